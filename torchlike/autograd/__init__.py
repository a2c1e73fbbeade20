"""torch.autograd: ``backward``, ``grad``, grad modes, graph nodes, functional API."""
from __future__ import annotations

from . import functional, graph  # noqa: F401
from .engine import run_backward
from .function import Function, once_differentiable  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .graph import Node  # noqa: F401

Variable = None  # set in torchlike/__init__ (Tensor)


def _as_tuple(x):
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _make_grads(outputs, grad_outputs, is_grads_batched=False):
    from .._creation import ones_like
    from .._tensor import Tensor
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.is_floating_point() and not out.is_complex():
                raise RuntimeError(f"grad can be computed only for real floating point or complex outputs, got {out.dtype}")
            if out.ndim == 0:   # the usual loss.backward(): a cached device constant, no fill
                from .._registry import _constant
                grads.append(Tensor._wrap(_constant(1, out.dtype.np)))
            else:
                grads.append(ones_like(out))
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                                   f"has a shape of {out.shape}.")
            if g.dtype is not out.dtype:
                g = g.to(out.dtype)
            grads.append(g)
    return grads


def _roots(outputs):
    roots = []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(out._edge())
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad``."""
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outputs)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        ins = _as_tuple(inputs)
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = {t._accumulator() for t in ins if t.grad_fn is None}
        for t in ins:
            if t.grad_fn is not None:
                t.retain_grad()
    roots = _roots(outputs)
    seeds = _make_grads(outputs, grads)
    run_backward(roots, seeds, retain_graph, create_graph, accumulate_only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (never accumulated)."""
    from .._creation import zeros_like
    single = not isinstance(inputs, (tuple, list))
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    g_outs = _as_tuple(grad_outputs) or (None,) * len(outs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {}
    for slot, t in enumerate(ins):
        node, nr = t._edge()
        capture[(id(node), nr)] = slot
    roots = _roots(outs)
    seeds = _make_grads(outs, g_outs)
    captured = run_backward(roots, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for slot, t in enumerate(ins):
        g = captured.get(slot)
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = zeros_like(t)
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
