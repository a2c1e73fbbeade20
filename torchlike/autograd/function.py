"""Custom autograd functions: ``torch.autograd.Function``.

``MyFn.apply(*args)`` creates the node ``MyFnBackward`` - which is also the
``ctx`` handed to ``forward``/``setup_context`` and ``backward``, as in
PyTorch (``y.grad_fn.saved_tensors``, ``y.grad_fn.my_attr``) - runs
``forward`` with grad recording off, and, when an input requires grad and
grad mode is on, makes the node the grad_fn of the outputs.  The engine calls
the user's ``backward`` for it; with ``create_graph=True`` that runs with grad
mode on, so a backward written with differentiable ops is differentiable.
"""
from __future__ import annotations

import contextlib
import functools

import jax

from . import forward_ad, grad_mode
from . import _saved
from .graph import RECORD_EXTRA, Node, next_seq
from .._state import local as _local
from .. import _registry as R     # R._Tensor: the Tensor class, which _tensor.py hands the registry
from .engine import _FREED, check_saved

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
zeros = None      # _creation


_NULL = contextlib.nullcontext()


class FunctionCtx:
    """What ``forward``/``setup_context`` and ``backward`` may call on ``ctx``."""

    def save_for_backward(self, *tensors):
        """Tensors (or None) for ``backward``; their versions are checked when they are read back."""
        T = R._Tensor
        for t in tensors:
            if t is not None and not isinstance(t, T):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """Base of the ``<Name>Backward`` nodes of custom Functions (no ``__slots__``: ctx takes attributes)."""

    def __init__(self):
        Node.__init__(self)
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._dirty = ()
        self._non_differentiable = ()
        self._saved = ()
        self._out_meta = ((), )
        self._all_edges = ()

    _packed = None      # saved-tensor hooks: ((unpack, packed) or None per saved tensor)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED)
        for t, version in self._saved:
            if t is not None and t._vc[0] != version:
                check_saved(self)
        if self._packed is not None:
            return tuple(t if p is None else p[0](p[1]) for (t, _), p in zip(self._saved, self._packed))
        return tuple(t for t, _ in self._saved)

    saved_variables = saved_tensors

    def apply(self, *grads):
        return self._fn_cls.backward(self, *grads)

    def _backward(self, grads, create_graph):
        if self.materialize_grads:
            grads = [zeros(s, dtype=d) if g is None and d is not None else g
                     for g, (s, d) in zip(grads, self._out_meta)]
        result = self._fn_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._all_edges)
        if len(result) != n:
            if len(result) < n or any(g is not None for g in result[n:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                                   f"{n}, got {len(result)})")
            result = result[:n]
        out = []
        for g, edge in zip(result, self._all_edges):
            if edge is not None:
                out.append(g if edge[0] is not None else None)
        return out

    def _release(self):
        # only what was saved is freed: a Function that saved nothing can run backward again
        if self._saved:
            self._freed = True
            self._saved = ()


class _FunctionMeta(type):
    """Gives every Function subclass its node class, named ``<Name>Backward`` as in PyTorch."""

    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_fn_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grads)``; call ``MyFn.apply(*args)``."""

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        T = R._Tensor
        if (_local.state.tracker is None
                and any(isinstance(a, T) and isinstance(a._arr(), jax.core.Tracer) for a in args)):
            return _apply_traced(cls, args, kwargs)     # under a JAX transform (not torchlike.compile's trace)
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, T) and a._requires_grad for a in args)
        fw = forward_ad.active()
        with grad_mode.no_grad(), (forward_ad.suspended() if fw else _NULL):
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outs = output if is_tuple else (output,)
        dirty = {id(t) for t in ctx._dirty}
        # an input returned as it is (not marked dirty) comes back as a new tensor aliasing it;
        # marks made on the input (mark_non_differentiable) carry over to its alias
        non_diff = {id(t) for t in ctx._non_differentiable}
        aliased = tuple(_alias(o) if isinstance(o, T) and id(o) not in dirty and any(o is a for a in args) else o
                        for o in outs)
        ctx._non_differentiable = tuple(ctx._non_differentiable) + tuple(
            a for o, a in zip(outs, aliased) if a is not o and id(o) in non_diff)
        outs = aliased
        inputs = tuple(a for a in args if isinstance(a, T))
        ctx._saved = tuple((t, 0 if t is None else t._vc[0]) for t in ctx.to_save)
        ctx._inputs = inputs
        if _local.state.grad_enabled and any(ctx.needs_input_grad):
            _connect(ctx, args, outs, dirty)
            if RECORD_EXTRA[0]:
                _saved.on_record_function(ctx)
            ctx._seq = next_seq()       # after the inputs' AccumulateGrad nodes: creation order is topological
        if fw:
            forward_ad.function_jvp(cls, ctx, args, outs)
        return outs if is_tuple else outs[0]


def _alias(t):
    a = R._Tensor._wrap(t._arr())
    a._become_view_of(t, t._layout())
    return a


def _connect(node, args, outs, dirty):
    """Make ``node`` the grad_fn of the differentiable outputs."""
    T = R._Tensor
    all_edges = []
    for a in args:
        if isinstance(a, T):
            all_edges.append(a._edge() if a._requires_grad else (None, 0))
        else:
            all_edges.append(None)
    node._all_edges = tuple(all_edges)
    node.next_functions = tuple(e for e in all_edges if e is not None)
    node._out_meta = tuple((tuple(o.shape), o.dtype) if isinstance(o, T) else ((), None) for o in outs)
    non_diff = {id(t) for t in node._non_differentiable}
    for i, o in enumerate(outs):
        if not isinstance(o, T) or id(o) in non_diff or not (o.is_floating_point() or o.is_complex()):
            continue
        o._requires_grad = True
        o._grad_fn = node
        o._output_nr = i
        if id(o) in dirty:
            o._hist_gen += 1
            if o._retains_grad:
                o._wire_retain()


class DelayedError(Node):
    """Stands in for the gradient of a ``once_differentiable`` backward: differentiating it raises."""

    def __init__(self, msg, edges, n_outputs):
        super().__init__(edges)
        self._msg = msg
        self._out_meta = ((), ) * n_outputs

    def _backward(self, grads, create_graph):
        raise RuntimeError(self._msg)


def once_differentiable(fn):
    """Run ``backward`` with grad off; with create_graph, differentiating its result raises."""
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            result = fn(ctx, *grads)
        T = R._Tensor
        if not _local.state.grad_enabled or not any(isinstance(g, T) and g._requires_grad for g in grads):
            return result
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        edges = tuple(g._edge() if isinstance(g, T) and g._requires_grad else (None, 0) for g in grads)
        err = DelayedError("trying to differentiate twice a function that was marked with @once_differentiable",
                           edges, len(outs))
        err._seq = next_seq()
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, T) and (o.is_floating_point() or o.is_complex()):
                o = o.detach()
                o._requires_grad = True
                o._grad_fn = err
                o._output_nr = i
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)
    return wrapper


# ---- inside JAX transforms (torch.func, autograd.functional, torchlike.compile) ------------------

def _run_forward(cls, args, kwargs):
    """``(ctx, output)`` of the Function's forward on ``args``, tape off."""
    T = R._Tensor
    ctx = cls._backward_cls()
    ctx.needs_input_grad = tuple(isinstance(a, T) and (a.is_floating_point() or a.is_complex()) for a in args)
    with grad_mode.no_grad():
        if cls.setup_context is not Function.setup_context:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)
    return ctx, output


def _apply_traced(cls, args, kwargs):
    """The Function as a ``jax.custom_vjp``: JAX's transforms differentiate it with the user's
    ``backward`` (straight-through estimators, stable gradients), not through ``forward``.
    Under ``vmap`` JAX batches it (the Function must opt in, as in PyTorch)."""
    T = R._Tensor
    if _local.state.vmap_depth and not getattr(cls, "generate_vmap_rule", False) and "vmap" not in vars(cls):
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                           "override and implement the vmap staticmethod or set generate_vmap_rule=True. For more "
                           "details, please see https://pytorch.org/docs/main/notes/extending.func.html")
    pos = [i for i, a in enumerate(args) if isinstance(a, T)]
    dtypes = [args[i]._dtype for i in pos]
    structure = {}

    def call_with(arrays):
        full = list(args)
        for i, a, d in zip(pos, arrays, dtypes):
            full[i] = T._wrap(a, dtype=d)
        ctx, out = _run_forward(cls, tuple(full), kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        structure["tuple"] = isinstance(out, tuple)
        structure["is_tensor"] = [isinstance(o, T) for o in outs]
        structure["static"] = [None if isinstance(o, T) else o for o in outs]
        structure["out_dtypes"] = [o._dtype if isinstance(o, T) else None for o in outs]
        return ctx, tuple(o._arr() for o in outs if isinstance(o, T))

    @jax.custom_vjp
    def fn(*arrays):
        return call_with(arrays)[1]

    def fwd(*arrays):
        ctx, out = call_with(arrays)
        saved = tuple(ctx.to_save)
        # tensors the backward reads (saved, or kept as ctx attributes) travel as residual arrays;
        # other ctx attributes are plain Python values, kept aside
        attrs = {k: v for k, v in vars(ctx).items() if isinstance(v, T)}
        structure["saved"] = [t is not None for t in saved]
        structure["saved_dtypes"] = [None if t is None else t._dtype for t in saved]
        structure["attr_names"] = list(attrs)
        structure["attr_dtypes"] = [v._dtype for v in attrs.values()]
        structure["plain"] = {k: v for k, v in vars(ctx).items()
                              if not isinstance(v, T) and k not in ("to_save", "_saved")}
        res = (tuple(t._arr() for t in saved if t is not None), tuple(v._arr() for v in attrs.values()),
               tuple(jax.numpy.zeros_like(a) for a in arrays))
        return out, res

    def bwd(res, cts):
        saved_arrays, attr_arrays, zeros = res
        ctx = cls._backward_cls()
        for k, v in structure["plain"].items():
            setattr(ctx, k, v)
        it = iter(saved_arrays)
        saved = tuple(T._wrap(next(it), dtype=d) if present else None
                      for present, d in zip(structure["saved"], structure["saved_dtypes"]))
        ctx._saved = tuple((t, None if t is None else t._vc[0]) for t in saved)
        for k, a, d in zip(structure["attr_names"], attr_arrays, structure["attr_dtypes"]):
            setattr(ctx, k, T._wrap(a, dtype=d))
        grads_out = [T._wrap(c, dtype=d) for c, d in zip(cts, [d for d in structure["out_dtypes"] if d is not None])]
        with grad_mode.no_grad():
            result = cls.backward(ctx, *grads_out)
        if not isinstance(result, tuple):
            result = (result,)
        grads = []
        for i, z in zip(pos, zeros):
            g = result[i] if i < len(result) else None
            grads.append(z if g is None else g._arr().astype(z.dtype))
        return tuple(grads)

    fn.defvjp(fwd, bwd)
    arrays = fn(*[args[i]._arr() for i in pos])
    it = iter(arrays)
    outs = [T._wrap(next(it), dtype=d) if flag else s
            for flag, s, d in zip(structure["is_tensor"], structure["static"], structure["out_dtypes"])]
    return tuple(outs) if structure["tuple"] else outs[0]
