"""``torch.autograd.functional`` with ``create_graph=True``: on the tape.

``functional.py`` computes with JAX's transforms: exact and vectorised, but
the results have no history, so they cannot be differentiated again with
``backward()``.  With ``create_graph=True`` PyTorch's contract is that they
can, so the computation runs on the recording tape instead, by repeated
``autograd.grad(..., create_graph=True)``.  Inputs that require grad keep their
history (through a view of each); the others become fresh leaves that require
grad, so the results are differentiable wherever they depend on the inputs,
as in PyTorch.
"""
from __future__ import annotations

import torchlike as torch     # the public face (torch.autograd.grad, torch.zeros_like, ...), not an import cycle

from . import grad_mode


def _prepare(inputs):
    return tuple(t.view_as(t) if t.requires_grad else t.detach().requires_grad_(True) for t in inputs)


def _call(func, inputs):
    with grad_mode.enable_grad():
        return func(*inputs)


def _grads(outputs, inputs, grad_outputs=None):
    """d outputs / d inputs (zeros where unused), differentiable."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs or (None,) * len(outputs)) if o.requires_grad]
    if not pairs:
        return tuple(torch.zeros_like(t) for t in inputs)
    res = torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=True,
                              create_graph=True, allow_unused=True)
    return tuple(torch.zeros_like(t) if g is None else g for g, t in zip(res, inputs))


def _jac_rows(out, inputs):
    """One Jacobian block per input for one output: ``out.shape + input.shape``."""
    flat = out.reshape(-1)
    rows = [[] for _ in inputs]
    for k in range(flat.numel()):
        for j, g in enumerate(_grads((flat[k],), inputs)):
            rows[j].append(g)
    blocks = []
    for j, t in enumerate(inputs):
        shape = tuple(out.shape) + tuple(t.shape)
        if rows[j]:
            blocks.append(torch.stack(rows[j]).view(shape))
        else:
            blocks.append(torch.zeros(shape, dtype=t.dtype))
    return tuple(blocks)


def jacobian(func, ins):
    """Blocks ``[output][input]`` (the caller picks PyTorch's nesting) and whether func returned a tuple."""
    inputs = _prepare(ins)
    out = _call(func, inputs)
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(_jac_rows(o, inputs) for o in outs)


def hessian(func, ins):
    """Blocks ``[input i][input j]`` of a scalar function."""
    inputs = _prepare(ins)
    out = _call(func, inputs)
    first = _grads((out,), inputs)
    return tuple(_jac_rows(g, inputs) for g in first)


def vjp(func, ins, vs):
    """(outputs, v^T J); ``vs`` None means ones for a single-element output."""
    inputs = _prepare(ins)
    out = _call(func, inputs)
    outs = out if isinstance(out, tuple) else (out,)
    seeds = tuple(torch.ones_like(o) for o in outs) if vs is None else vs
    return out, _grads(outs, inputs, seeds)


def jvp(func, ins, vs):
    """(outputs, J v) by the double-vjp trick: the vjp is linear in its seed ``u``; differentiate it by ``u``."""
    inputs = _prepare(ins)
    out = _call(func, inputs)
    outs = out if isinstance(out, tuple) else (out,)
    us = tuple(torch.zeros_like(o).requires_grad_(True) for o in outs)
    g = _grads(outs, inputs, us)
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
    if not pairs:
        res = (None,) * len(us)
    else:
        res = torch.autograd.grad([p for p, _ in pairs], us, [v for _, v in pairs], create_graph=True,
                                  allow_unused=True)
    return out, tuple(torch.zeros_like(o) if r is None else r for r, o in zip(res, outs))


def hessian_vector(func, ins, vs):
    """(output, H v) of a scalar function (H is symmetric: v^T H = H v)."""
    inputs = _prepare(ins)
    out = _call(func, inputs)
    first = _grads((out,), inputs)
    return out, _grads(first, inputs, vs)
