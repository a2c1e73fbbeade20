"""DTensor's op rules: which registry ops on DTensors give DTensors, with PyTorch's placements.

Once a DTensor exists, every op call passes through ``autograd/_intercept.dispatch`` (``activate``),
which asks :func:`rule` first.  A rule works on the DTensor's blocks (``_dt_stack``: every rank's
local piece, zero-padded) with the op's own JAX implementation, so each rank's piece is what that
rank would compute, and the global value is assembled from the blocks as for every DTensor.
:func:`rule` returns ``NotImplemented`` for what it does not cover (the op then runs on the global
value and gives a plain ``Tensor``, as before) and whenever autograd would record the call (a
DTensor that requires grad: the plain op keeps the graph).

* **Pointwise** ops of one DTensor (Python numbers may stand beside it: ``pow(d, 2)``) keep its
  placements; a ``Partial`` input is reduced to ``Replicate`` first unless the op is linear (neg).
* **sum / mean** over some or all dimensions: each rank reduces its piece; a reduced ``Shard``
  becomes ``Partial(sum)`` (sum) or ``Partial(avg)`` (mean, when it divides evenly; else it is
  gathered to ``Replicate`` first); a kept ``Shard`` follows its dimension.
* **t / transpose** swap the dimensions of the ``Shard``s.
* **mm / matmul** of two 2-D DTensors on a 1-D mesh: ``Shard(0) @ x -> Shard(0)`` and
  ``x @ Shard(1) -> Shard(1)`` (the other operand gathered to ``Replicate``), ``Shard(1) @ Shard(0)
  -> Partial(sum)``, a ``Partial(sum/avg)`` operand with a replicated one stays ``Partial``,
  anything else is gathered to ``Replicate @ Replicate -> Replicate``.
"""
from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp

from ...autograd import _intercept, grad_mode
from .placement_types import Partial, Replicate, Shard
# DTensor and _api's helpers, bound by ._api when it loads (it imports this module: importing it here would
# make ._api <-> _dispatch a cycle); ``rule`` runs only once a DTensor exists
DTensor = _boxes = _redistribute_program = _stack_sharding = None

POINTWISE = frozenset((
    "abs", "neg", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "sin", "cos", "tan",
    "tanh", "sinh", "cosh", "asin", "acos", "atan", "sigmoid", "relu", "erf", "erfinv", "floor", "ceil", "round",
    "trunc", "sign", "sgn", "reciprocal", "square", "frac", "gelu", "silu", "mish", "pow", "clamp", "nan_to_num",
    "leaky_relu", "hardtanh", "elu", "celu", "softplus", "hardswish", "hardsigmoid", "logit", "deg2rad",
    "rad2deg", "lgamma", "digamma", "threshold"))
LINEAR = frozenset(("neg",))        # f(a + b) = f(a) + f(b): a Partial input stays Partial

def activate():
    """Route op calls through :func:`rule` from now on (the first DTensor calls this)."""
    if _intercept.dtensor_rule[0] is None:
        _intercept.dtensor_rule[0] = rule
        _intercept.refresh()


def rule(op, args, statics):
    dts = [a for a in args if isinstance(a, DTensor)]
    if not dts:
        return NotImplemented
    if grad_mode.is_grad_enabled() and any(d.requires_grad for d in dts):
        return NotImplemented
    if op.name in POINTWISE and len(dts) == 1 and all(isinstance(a, (DTensor, int, float, bool)) or a is None
                                                      for a in args):
        return _pointwise(op, args, statics, dts[0])
    if op.name in ("sum", "mean") and len(args) == 1 and statics[2] is None:
        return _reduce(dts[0], op.name, statics[0], bool(statics[1]))
    if op.name == "t" and len(args) == 1:
        return _transpose(dts[0], 0, 1)
    if op.name == "transpose" and len(args) == 1:
        return _transpose(dts[0], *statics)
    if op.name in ("mm", "matmul") and len(args) == 2:
        if len(dts) == 1 and all(hasattr(a, "_storage") for a in args):
            raise RuntimeError(f"aten.mm.default got mixed torch.Tensor and DTensor, need to convert all "
                               f"torch.Tensor to DTensor before calling distributed operators!")
        if len(dts) == 2:
            return _matmul(*args)
    return NotImplemented


def _replicate_partials(d):
    if not any(isinstance(p, Partial) for p in d.placements):
        return d
    return d.redistribute(d.device_mesh, [Replicate() if isinstance(p, Partial) else p for p in d.placements])


def _finish(stack, mesh, shape, placements):
    """The DTensor of blocks ``stack`` (placed as every DTensor's blocks) and its assembled value."""
    stack = jax.device_put(stack, _stack_sharding(mesh))
    _, value = _redistribute_program(mesh, tuple(shape), tuple(placements), tuple(placements))(stack)
    return DTensor._make(stack, value, mesh, placements)


# --------------------------------------------------------------------------- pointwise

@functools.lru_cache(maxsize=256)
def _pointwise_program(op, where, consts, statics):
    def run(stack):
        operands = list(consts)
        operands[where] = stack
        return op.impl(*operands, *statics)
    return jax.jit(run)


def _pointwise(op, args, statics, d):
    if op.name not in LINEAR:
        d = _replicate_partials(d)
    where = next(i for i, a in enumerate(args) if a is not None and hasattr(a, "_dt_stack"))
    consts = tuple(None if i == where else a for i, a in enumerate(args))
    try:
        stack = _pointwise_program(op, where, consts, tuple(statics))(d._dt_stack)
    except TypeError:               # an unhashable static (a list): the plain op decides
        return NotImplemented
    if stack.dtype != d._dt_stack.dtype:
        return NotImplemented       # a dtype rule beyond "same as the input": the plain op knows it
    return _finish(stack, d.device_mesh, d.shape, d.placements)


# --------------------------------------------------------------------------- sum, mean

@functools.lru_cache(maxsize=64)
def _reduce_program(mesh_shape, axes, keepdim, counts):
    k = len(mesh_shape)

    def run(stack):
        total = jnp.sum(stack, axis=tuple(k + a for a in axes), keepdims=keepdim, dtype=stack.dtype)
        if counts is None:
            return total
        n = jnp.asarray(counts, stack.dtype).reshape(mesh_shape + (1,) * (total.ndim - k))
        return (total / n).astype(stack.dtype)
    return jax.jit(run)


def _reduce(d, kind, dim, keepdim):
    """``sum``/``mean`` over ``dim`` (None: every dim): each rank reduces its piece; a reduced
    ``Shard`` becomes ``Partial(sum)`` (sum) or ``Partial(avg)`` (mean of an even shard; an uneven one
    is gathered first), a kept one moves to its dimension in the result."""
    ndim, mesh = d.dim(), d.device_mesh
    if not d.dtype.is_floating_point or ndim == 0:
        return NotImplemented
    dims = range(ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    axes = tuple(sorted({int(a) % ndim for a in dims}))
    partial = [p for p in d.placements if isinstance(p, Partial)]
    if partial and (kind == "mean" or any(p.reduce_op != "sum" for p in partial)):
        return NotImplemented
    shape = tuple(d.shape)
    if kind == "mean":
        uneven = [isinstance(p, Shard) and p.dim in axes and shape[p.dim] % mesh.shape[i] != 0
                  for i, p in enumerate(d.placements)]
        if any(uneven):
            d = d.redistribute(mesh, [Replicate() if u else p for p, u in zip(d.placements, uneven)])
    counts = None
    if kind == "mean":
        boxes = _boxes(shape, d.placements, mesh.shape)
        counts = tuple(int(np.prod([boxes[c][a][1] for a in axes])) for c in sorted(boxes))
    stack = _reduce_program(tuple(mesh.shape), axes, keepdim, counts)(d._dt_stack)
    placements = []
    for p in d.placements:
        if isinstance(p, Shard) and p.dim in axes:
            p = Partial("sum" if kind == "sum" else "avg")
        elif isinstance(p, Shard) and not keepdim:
            p = Shard(p.dim - sum(a < p.dim for a in axes))
        placements.append(p)
    out_shape = tuple(1 if i in axes else n for i, n in enumerate(shape)) if keepdim else \
        tuple(n for i, n in enumerate(shape) if i not in axes)
    return _finish(stack, mesh, out_shape, tuple(placements))


# --------------------------------------------------------------------------- transpose

@functools.lru_cache(maxsize=64)
def _swap_program(k, a, b):
    return jax.jit(lambda stack: jnp.swapaxes(stack, k + a, k + b))


def _transpose(d, a, b):
    ndim = d.dim()
    if ndim < 2:
        return NotImplemented
    a, b = a % ndim, b % ndim
    swap = {a: b, b: a}
    placements = tuple(Shard(swap.get(p.dim, p.dim)) if isinstance(p, Shard) else p for p in d.placements)
    shape = list(d.shape)
    shape[a], shape[b] = shape[b], shape[a]
    stack = _swap_program(d.device_mesh.ndim, a, b)(d._dt_stack)
    return _finish(stack, d.device_mesh, tuple(shape), placements)


# --------------------------------------------------------------------------- matmul

@functools.lru_cache(maxsize=64)
def _mm_program():
    return jax.jit(lambda a, b: jnp.matmul(a, b))


def _linear_partial(p):
    return isinstance(p, Partial) and p.reduce_op in ("sum", "avg")


def _matmul(a, b):
    if a.device_mesh != b.device_mesh or a.device_mesh.ndim != 1 or a.dim() != 2 or b.dim() != 2 \
            or a.dtype != b.dtype or not a.dtype.is_floating_point or a.shape[1] != b.shape[0]:
        return NotImplemented
    mesh, R = a.device_mesh, Replicate()
    if isinstance(a.placements[0], Partial) and (isinstance(b.placements[0], Partial)
                                                  or not _linear_partial(a.placements[0])):
        a = _replicate_partials(a)
    if isinstance(b.placements[0], Partial) and not _linear_partial(b.placements[0]):
        b = _replicate_partials(b)
    pa, pb = a.placements[0], b.placements[0]

    def whole(x):
        return x if x.placements[0] == R else x.redistribute(mesh, [R])
    if pa == Shard(0) and not isinstance(pb, Partial):
        out, b = pa, whole(b)
    elif pb == Shard(1) and not isinstance(pa, Partial):
        out, a = pb, whole(a)
    elif pa == Shard(1) and pb == Shard(0):
        out = Partial("sum")
    elif isinstance(pa, Partial) or isinstance(pb, Partial):
        out = pa if isinstance(pa, Partial) else pb
        a, b = (x if isinstance(x.placements[0], Partial) else whole(x) for x in (a, b))
    else:
        out = R
        a, b = whole(a), whole(b)
    stack = _mm_program()(a._dt_stack, b._dt_stack)
    return _finish(stack, mesh, (a.shape[0], b.shape[1]), (out,))
