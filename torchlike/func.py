"""torch.func (functorch) over JAX's transforms.

Each transform runs the user's function on Tensors that wrap JAX tracers,
with the autograd tape out of the way, and lets JAX differentiate/vectorise
it.  Arguments may be Tensors or nested tuples/lists/dicts of Tensors.
"""
from __future__ import annotations

import functools

import jax

from ._tensor import Tensor
from .autograd import grad_mode
from ._state import local as _local
import copy
import warnings
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state", "linearize", "functionalize", "debug_unwrap", "replace_all_batch_norm_modules_",
           "make_functional", "make_functional_with_buffers"]


def _is_tensor(x):
    return isinstance(x, Tensor)


def _arrays(tree):
    return jax.tree_util.tree_map(lambda t: t._arr() if isinstance(t, Tensor) else t, tree, is_leaf=_is_tensor)


def _tensors(tree):
    return jax.tree_util.tree_map(lambda a: Tensor._wrap_any(a) if hasattr(a, "dtype") and hasattr(a, "shape")
                                  else a, tree)


def _lift(func):
    """func over Tensors -> func over arrays (outputs converted back to arrays)."""
    def f(*arrays, **kwargs):
        with grad_mode.no_grad():
            out = func(*_tensors(arrays), **kwargs)
        return _arrays(out)
    return f


def _scalar_out(func, has_aux):
    def f(*arrays, **kwargs):
        out = _lift(func)(*arrays, **kwargs)
        if has_aux:
            if not isinstance(out, tuple) or len(out) != 2:
                raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            val, aux = out
        else:
            val, aux = out, None
        if not hasattr(val, "shape") or val.size != 1:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {len(getattr(val, 'shape', ()))} dims. Maybe you wanted to use the vjp or "
                               "jacrev APIs instead?")
        return val.reshape(()), aux
    return f


def grad_and_value(func, argnums=0, has_aux=False):
    """``(grad, value)`` of a scalar function w.r.t. the arguments in ``argnums``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        f = _scalar_out(func, has_aux)
        (value, aux), g = jax.value_and_grad(f, argnums=argnums, has_aux=True)(*_arrays(args), **kwargs)
        g, value = _tensors(g), _tensors(value)
        if has_aux:
            return g, (value, _tensors(aux))
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """Gradient of a scalar function w.r.t. the arguments in ``argnums``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(output, vjp_fn)``; ``vjp_fn(cotangents)`` returns a tuple with one entry per primal."""
    f = _lift(func)
    if has_aux:
        out, pull, aux = jax.vjp(f, *_arrays(primals), has_aux=True)
    else:
        out, pull = jax.vjp(f, *_arrays(primals))

    def vjp_fn(*cts):
        ct = cts[0] if len(cts) == 1 else cts
        return _tensors(pull(_arrays(ct)))
    if has_aux:
        return _tensors(out), vjp_fn, _tensors(aux)
    return _tensors(out), vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(output, jvp_out)`` of ``func`` at ``primals`` along ``tangents``."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    f = _lift(func)
    if has_aux:
        out, tan, aux = jax.jvp(f, _arrays(primals), _arrays(tangents), has_aux=True)
        return _tensors(out), _tensors(tan), _tensors(aux)
    out, tan = jax.jvp(f, _arrays(primals), _arrays(tangents))
    return _tensors(out), _tensors(tan)


def _jac(transform):
    def jac(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
        @functools.wraps(func)
        def wrapper(*args):
            r = transform(_lift(func), argnums=argnums, has_aux=has_aux)(*_arrays(args))
            return _tensors(r)
        return wrapper
    return jac


jacrev = _jac(jax.jacrev)
jacfwd = _jac(jax.jacfwd)


def hessian(func, argnums=0):
    """Second derivatives (``jacfwd(jacrev(func))``), as torch.func.hessian."""
    @functools.wraps(func)
    def wrapper(*args):
        return _tensors(jax.hessian(_lift(func), argnums=argnums)(*_arrays(args)))
    return wrapper


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorise ``func`` over a batch dimension of its Tensor arguments."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        f = jax.vmap(_lift(func), in_axes=in_dims if not isinstance(in_dims, list) else tuple(in_dims),
                     out_axes=out_dims)
        state = _local.state
        state.vmap_depth += 1
        try:
            return _tensors(f(*_arrays(args), **kwargs))
        finally:
            state.vmap_depth -= 1
    return wrapper



def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call ``module`` with its parameters and buffers replaced by the given tensors."""
    if isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            merged.update(d)
        parameter_and_buffer_dicts = merged
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    kwargs = kwargs or {}
    saved = {}
    try:
        for name, value in parameter_and_buffer_dicts.items():
            owner, _, attr = name.rpartition(".")
            sub = module.get_submodule(owner) if owner else module
            store = sub._parameters if attr in sub._parameters else sub._buffers
            saved[name] = (store, attr, store[attr])
            store[attr] = value
        return module(*args, **kwargs)
    finally:
        for store, attr, old in saved.values():
            store[attr] = old


def stack_module_state(models):
    """``(params, buffers)``: each model's parameters and buffers stacked along a new leading
    dimension, by name, for ``vmap`` over ``functional_call`` (model ensembling).  The stacked
    parameters are new leaves that require grad, as in PyTorch."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")

    def stacked(named):
        names = [n for n, _ in named(models[0])]
        out = {}
        for name in names:
            with grad_mode.no_grad():
                out[name] = torch.stack([dict(named(m))[name].detach() for m in models])
        return out
    params = stacked(lambda m: m.named_parameters())
    for name, p in params.items():
        p.requires_grad_(dict(models[0].named_parameters())[name].requires_grad)
    return params, stacked(lambda m: m.named_buffers())


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at ``primals``
    (JAX's ``linearize``: the linear map is traced once and replayed)."""
    out, lin = jax.linearize(_lift(func), *_arrays(primals))

    def jvp_fn(*tangents):
        return _tensors(lin(*_arrays(tangents)))
    return _tensors(out), jvp_fn


def functionalize(func, *, remove="mutations"):
    """``func`` unchanged: JAX programs are already free of mutation and aliasing, so torchlike has nothing
    to remove (in-place ops on traced Tensors are functional updates)."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
                           "Valid options are:\n     remove='mutations': all inplace and out= operators will be "
                           "removed from the program, and replaced with their out-of-place equivalents.\n     "
                           "remove='mutations_and_views': In addition to the above, all aliasing operators "
                           "{view} will be replaced with their non-aliasing counterparts, {view}_copy.\n")
    return func


def debug_unwrap(tensor, *, recurse=True):
    """The tensor itself: torchlike's transforms do not wrap Tensors in layers."""
    return tensor


def replace_all_batch_norm_modules_(root):
    """Make every batch norm under ``root`` use batch statistics only (no running stats), in place."""
    from .nn.modules.normalization import _BatchNorm
    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def _functional_module_class():
    from .nn.modules.module import Module

    class FunctionalModule(Module):
        """functorch's ``make_functional`` result: ``fmodel(params, *args)`` calls the model with ``params``."""

        def __init__(self, stateless_model, param_names, buffer_names=None):
            super().__init__()
            self.stateless_model = stateless_model
            self.param_names = param_names
            self.buffer_names = buffer_names

        def forward(self, params, *args, **kwargs):
            return functional_call(self.stateless_model, dict(zip(self.param_names, params)), args, kwargs)

    class FunctionalModuleWithBuffers(FunctionalModule):
        def forward(self, params, buffers, *args, **kwargs):
            named = dict(zip(self.param_names, params))
            named.update(zip(self.buffer_names, buffers))
            return functional_call(self.stateless_model, named, args, kwargs)

    return FunctionalModule, FunctionalModuleWithBuffers


def _make_functional(model, with_buffers, disable_autograd_tracking):
    from .nn.modules.module import Module
    name = "make_functional_with_buffers" if with_buffers else "make_functional"
    warnings.warn(f"We've integrated functorch into PyTorch. As the final step of the integration, `functorch.{name}` "
                  "is deprecated as of PyTorch 2.0 and will be deleted in a future version of PyTorch >= 2.3. Please "
                  "use `torch.func.functional_call` instead; see the PyTorch 2.0 release notes and/or the "
                  "`torch.func` migration guide for more details https://pytorch.org/docs/main/func.migrating.html",
                  FutureWarning, stacklevel=3)
    if not isinstance(model, Module):
        raise RuntimeError(f"make_functional(model): Expected model to be a torch.nn.Module but got {type(model)}")
    if not with_buffers and len(tuple(model.buffers())) > 0:
        raise RuntimeError("make_functional(model): `model` has buffers. Please use "
                           "make_functional_with_buffers(model) instead.")
    plain, buffered = _functional_module_class()
    named = list(model.named_parameters())
    params = tuple(p.detach() if disable_autograd_tracking else p for _, p in named)
    stateless = copy.deepcopy(model)
    if not with_buffers:
        return plain(stateless, [n for n, _ in named]), params
    named_buffers = list(model.named_buffers())
    return (buffered(stateless, [n for n, _ in named], [n for n, _ in named_buffers]), params,
            tuple(b for _, b in named_buffers))


def make_functional(model, disable_autograd_tracking=False):
    """functorch's legacy API: ``(fmodel, params)`` with ``fmodel(params, *args)`` calling ``model``."""
    return _make_functional(model, False, disable_autograd_tracking)


def make_functional_with_buffers(model, disable_autograd_tracking=False):
    """functorch's legacy API: ``(fmodel, params, buffers)`` with ``fmodel(params, buffers, *args)``."""
    return _make_functional(model, True, disable_autograd_tracking)


from ._rearrange import rearrange  # noqa: E402,F401  (torch.func.rearrange)
