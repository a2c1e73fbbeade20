"""torch.autograd: ``backward``, ``grad``, grad modes, graph nodes, functional API."""
from __future__ import annotations

import warnings
import functools

from . import anomaly_mode, forward_ad, functional, graph, profiler  # noqa: F401
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401  (the module stays importable by its full name)
from . import engine
from .engine import run_backward, warn_create_graph
from .. import _registry as _R   # the module only: it is still loading when this package is
from .._state import local as _local
from .function import Function, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .graph import Node  # noqa: F401

Variable = None  # set in torchlike/__init__ (Tensor)


_Tensor = _ones_like = _zeros_like = _constant = None     # bound by torchlike/__init__ (import cycle; hot path)


def _bind(tensor_cls, ones_like, zeros_like, constant):
    global _Tensor, _ones_like, _zeros_like, _constant
    _Tensor, _ones_like, _zeros_like, _constant = tensor_cls, ones_like, zeros_like, constant
    engine._Tensor = tensor_cls


def _as_tuple(x):
    Tensor = _Tensor
    if x is None:
        return ()
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    """One seed per output (``zip`` semantics, as PyTorch): a given gradient is checked against its output;
    None means ones for a scalar output that requires grad."""
    Tensor = _Tensor
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if isinstance(g, Tensor):
            shape = tuple(g.shape)[1:] if is_grads_batched else tuple(g.shape)
            if shape != tuple(out.shape):
                gs = g.shape[1:] if is_grads_batched else g.shape
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {gs!r} and output[{i}] "
                                   f"has a shape of {out.shape!r}.")
            if out.is_complex() != g.is_complex():
                raise RuntimeError("For complex Tensors, both grad_output and output are required to have the same "
                                   f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                                   f"output[{i}] has a dtype of {out.dtype}.")
            grads.append(g)
        elif g is None:
            if out._requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.is_floating_point():
                    raise RuntimeError("grad can be implicitly created only for real scalar outputs but got "
                                       f"{out.dtype}")
                if out.ndim == 0:       # the usual seed: a cached device constant, no eager JAX op
                    grads.append(Tensor._wrap(_constant(1, out._dtype.np), dtype=out._dtype))
                else:
                    grads.append(_ones_like(out))
            else:
                grads.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return grads


def _roots(outputs, grads):
    """Root edges, and the seeds cast to their outputs' dtypes (the engine's own checks)."""
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    roots, seeds = [], []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(out._edge())
        if g is not None and g._dtype is not out._dtype:
            g = g._to(out._dtype)
        seeds.append(g)
    return roots, seeds


_warned_create_graph = []


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad``.

    ``grad_tensors`` holds one seed per tensor (None: ones, for a scalar).  With
    ``inputs`` only those tensors accumulate (a non-leaf among them is
    retained) and only the part of the graph leading to them runs.  The graph
    is freed unless ``retain_graph`` (default: ``create_graph``).
    """
    Tensor = _Tensor
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("'grad_tensors' and 'grad_variables' (deprecated) arguments both passed to "
                               "backward(). Please only use 'grad_tensors'.")
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.", FutureWarning, stacklevel=2)
        grad_tensors = grad_variables
    if inputs is not None and not isinstance(inputs, Tensor) and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grads = (None,) * len(outputs) if grad_tensors is None else _as_tuple(grad_tensors)
    grads = _make_grads(outputs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        only = set()
        for t in _as_tuple(inputs):
            if t.grad_fn is None:
                if not t._requires_grad:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                only.add(t._accumulator())
            else:
                t.retain_grad()
                only.add(t._grad_fn)
    roots, seeds = _roots(outputs, grads)
    if create_graph and not _warned_create_graph:
        _warned_create_graph.append(True)
        warn_create_graph()
    run_backward(roots, seeds, retain_graph, create_graph, accumulate_only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (never accumulated).

    Only the part of the graph between outputs and inputs runs.  An input the
    outputs do not depend on raises unless ``allow_unused`` (then None, or zeros
    with ``materialize_grads``).  With ``create_graph`` the gradients are
    differentiable.  ``is_grads_batched``: the first dimension of each
    grad_output is a batch of seeds.
    """
    Tensor = _Tensor
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.", FutureWarning,
                      stacklevel=2)
    outs = _as_tuple(outputs)
    ins = (inputs,) if isinstance(inputs, graph.GradientEdge) else _as_tuple(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    g_outs = (None,) * len(outs) if grad_outputs is None else _as_tuple(grad_outputs)
    g_outs = _make_grads(outs, g_outs, is_grads_batched)
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _grad_batched(outs, ins, g_outs, retain_graph, create_graph, allow_unused, materialize_grads)
    roots, seeds = _roots(outs, g_outs)
    for t in ins:
        if isinstance(t, graph.GradientEdge):
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, not {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {}
    slots = []
    for t in ins:
        node, nr = t[:2] if isinstance(t, graph.GradientEdge) else t._edge()
        slots.append(capture.setdefault((id(node), nr), len(capture)))
    captured = run_backward(roots, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, (slot, t) in enumerate(zip(slots, ins)):
        g = captured.get(slot)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = _zeros_like(t)
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _grad_batched(outs, ins, g_outs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``is_grads_batched``: one backward per seed along the first dimension, results stacked."""
    stack = _R.FUNCTIONS["stack"]
    for i, g in enumerate(g_outs):
        if g is None or g.dim() == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that input is a "
                             "Tensor of dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0.")
    n = g_outs[0].shape[0]
    per = []
    for b in range(n):
        seeds = [g[b] for g in g_outs]
        per.append(grad(outs, ins, seeds, retain_graph=True if b < n - 1 else retain_graph,
                        create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads))
    return tuple(None if col[0] is None else stack(list(col)) for col in zip(*per))


def variable(*args, **kwargs):
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) instead")


class set_multithreading_enabled:  # noqa: N801 - torch's name
    """Whether backward may run on per-device worker threads; set on construction, restored on exit.
    torchlike's engine always runs backward on the calling thread, so only the flag changes (per
    thread, as PyTorch's: ``_state.ThreadState.multithreading``)."""

    def __init__(self, mode):
        state = _local.state
        self.prev = state.multithreading
        state.multithreading = bool(mode)
        self.mode = bool(mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _local.state.multithreading = self.prev

    def clone(self):
        return self.__class__(self.mode)

    def __call__(self, fn):

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


def is_multithreading_enabled():
    return _local.state.multithreading
