"""Copies, joins, linear algebra basics, gather/scatter, and composite ops.

Composite ops (``chunk``, ``narrow``, ``movedim``, ...) are written in terms
of declared ops, so their grad_fn is that of the op they lower to, as in
PyTorch.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._device import to_jax
from ._registry import FUNCTIONS, METHODS, OPS, call, defop, rule_promote
from .autograd import grad_mode

# ---- copies --------------------------------------------------------------
_TO_COPY = defop("_to_copy(Tensor self, ScalarType? dtype=None)",
                 lambda x, d: x.astype(d.np) if d is not None else x, dtype="keep", saves=(), out=False,
                 method=False, function=False, grad="ToCopyBackward0")


def to_copy(t, dtype, dev):
    r = call(_TO_COPY, (t,), (dtype,))
    if dev is not None and dev != t.device:
        r._storage.array = jax.device_put(r._storage.array, to_jax(dev))
    return r


defop("clone(Tensor self, *, any memory_format=None)", lambda x, m: jnp.array(x, copy=True), dtype="keep",
      saves=(), out=False)


def contiguous(self, memory_format=None):
    return self if self.is_contiguous() else FUNCTIONS["clone"](self)


METHODS["contiguous"] = contiguous


def _copy(dst, src):
    return jnp.broadcast_to(src.astype(dst.dtype), dst.shape)


_COPY = defop("copy(Tensor self, Tensor src)", _copy, dtype="keep", saves=(), out=False, function=False,
              method=False, grad="CopyBackwards")


def copy_(self, src, non_blocking=False):
    from ._registry import call_inplace
    from ._tensor import Tensor
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return call_inplace(_COPY, (self, src), ())


METHODS["copy_"] = copy_
_FILL = defop("fill(Tensor self, Tensor? value)", lambda x, v: jnp.full_like(x, jnp.asarray(v).astype(x.dtype)),
              dtype="keep", saves=(), out=False, method=False, function=False,
              grad=lambda args, statics: "FillBackward3" if hasattr(args[1], "_arr") else "FillBackward2")
_ZERO = defop("zero(Tensor self)", jnp.zeros_like, dtype="keep", saves=(), out=False, method=False,
              function=False)
_FILL.overlap_ok = _ZERO.overlap_ok = True


def fill_(self, value):
    from ._registry import call_inplace
    from ._tensor import Tensor
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return call_inplace(_FILL, (self, value), ())


def zero_(self):
    from ._registry import call_inplace
    return call_inplace(_ZERO, (self,), ())


METHODS["fill_"] = fill_
METHODS["zero_"] = zero_


# ---- matmul family -------------------------------------------------------
def _check_mm(a, b, name):
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {D._BY_NP[a.dtype].name} != "
                           f"{D._BY_NP[b.dtype].name}")


def _matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    _check_mm(a, b, "matmul")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                               "to have the same number of elements, but got "
                               f"{a.shape[0]} and {b.shape[0]} elements respectively")
        sa = f"{math.prod(a.shape[:-1])}x{ka}" if a.ndim > 1 else f"1x{ka}"
        sb = f"{kb}x{b.shape[-1]}" if b.ndim > 1 else f"{kb}x1"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    return jnp.matmul(a, b)


def _matmul_name(args, statics):
    a, b = args
    na, nb = a.ndim, b.ndim
    if na == 1 and nb == 1:
        return "DotBackward0"
    if na == 2 and nb == 1:
        return "MvBackward0"
    if na == 1 and nb == 2:
        return "SqueezeBackward4"
    if na == 2 and nb == 2:
        return "MmBackward0"
    if na >= 3 and nb <= 2:
        return "UnsafeViewBackward0"
    return "UnsafeViewBackward0" if na > 3 or nb > 3 or a.shape[:-2] != b.shape[:-2] else "BmmBackward0"


def _same_dtype(args, statics=None):
    a, b = args[0], args[1]
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}")
    return None


defop("matmul(Tensor self, Tensor other)", _matmul, dtype=_same_dtype, grad=_matmul_name)


def _mm(a, b):
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    return a @ b


def _bmm(a, b):
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    return jnp.matmul(a, b)


def _mv(a, v):
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    return a @ v


def _dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    return jnp.dot(a, b)


defop("mm(Tensor self, Tensor mat2)", _mm, dtype=_same_dtype)
defop("bmm(Tensor self, Tensor mat2)", _bmm, dtype=_same_dtype)
defop("mv(Tensor self, Tensor vec)", _mv, dtype=_same_dtype)
defop("dot(Tensor self, Tensor tensor)", _dot, dtype=_same_dtype, aliases=("inner",))
defop("outer(Tensor self, Tensor vec2)", lambda a, b: jnp.outer(a, b), aliases=("ger",),
      grad="MulBackward0")
defop("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)",
      lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b), inplace=True)
defop("einsum(str equation, Tensor[] operands)", lambda ops, eq: jnp.einsum(eq, *ops), method=False,
      out=False, grad="EinsumBackward0")


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return call(OPS["einsum"], tuple(operands), (equation,))


FUNCTIONS["einsum"] = einsum


def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, int):
        axes = dims
    else:
        axes = (tuple(dims[0]) if isinstance(dims[0], (list, tuple)) else (dims[0],),
                tuple(dims[1]) if isinstance(dims[1], (list, tuple)) else (dims[1],))
    return call(_TENSORDOT, (a, b), (axes,), out)


_TENSORDOT = defop("_tensordot(Tensor self, Tensor other, any axes)", lambda a, b, ax: jnp.tensordot(a, b, ax),
                   function=False, method=False, grad="TensordotBackward0")
FUNCTIONS["tensordot"] = tensordot


# ---- joining -------------------------------------------------------------
def _cat(arrs, dim):
    arrs = [a for a in arrs if not (a.ndim == 1 and a.shape[0] == 0)] or list(arrs[:1])
    nd = arrs[0].ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = dim % nd
    for i, a in enumerate(arrs):
        if a.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {a.ndim}")
        for k in range(nd):
            if k != d and a.shape[k] != arrs[0].shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{arrs[0].shape[k]} but got size {a.shape[k]} for tensor number {i} in the list.")
    return jnp.concatenate(arrs, axis=d)


def _stack(arrs, dim):
    for i, a in enumerate(arrs):
        if a.shape != arrs[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(arrs[0].shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {i}")
    return jnp.stack(arrs, axis=dim % (arrs[0].ndim + 1))


def _nonempty(args, statics=None):
    if len(args) == 0:
        raise RuntimeError("expected a non-empty list of Tensors")
    return rule_promote(args)


defop("cat(Tensor[] tensors, int dim=0)", _cat, dtype=_nonempty, method=False, saves=(),
      aliases=("concat", "concatenate"))
defop("stack(Tensor[] tensors, int dim=0)", _stack, dtype=_nonempty, method=False, saves=())


def _hv(stack_fn, min_dim):
    def f(tensors, *, out=None):
        ts = [t.reshape(1, -1) if min_dim == 2 and t.ndim < 2 else t.reshape(-1) if t.ndim == 0 else t for t in tensors]
        if min_dim == 1:
            return FUNCTIONS["cat"](ts, 0 if ts[0].ndim == 1 else 1, out=out)
        return FUNCTIONS["cat"](ts, 0, out=out)
    return f


FUNCTIONS["hstack"] = _hv(None, 1)
FUNCTIONS["vstack"] = FUNCTIONS["row_stack"] = _hv(None, 2)


# ---- rearrangements -------------------------------------------------------
def _repeat(x, sizes):
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    x = x.reshape((1,) * (len(sizes) - x.ndim) + x.shape)
    return jnp.tile(x, sizes)


defop("repeat(Tensor self, *int[] repeats)", _repeat, dtype="keep", saves=(), function=False, out=False)
defop("tile(Tensor self, int[] dims)", lambda x, d: jnp.tile(x.reshape((1,) * max(0, len(d) - x.ndim) + x.shape),
                                                             (1,) * max(0, x.ndim - len(d)) + tuple(d)),
      dtype="keep", saves=(), out=False, grad="RepeatBackward0")
defop("flip(Tensor self, int[] dims)", lambda x, d: jnp.flip(x, tuple(k % max(x.ndim, 1) for k in d)) if x.ndim else x,
      dtype="keep", saves=(), out=False)
defop("fliplr(Tensor self)", lambda x: jnp.flip(x, 1), dtype="keep", saves=(), out=False, grad="FlipBackward0")
defop("flipud(Tensor self)", lambda x: jnp.flip(x, 0), dtype="keep", saves=(), out=False, grad="FlipBackward0")
defop("roll(Tensor self, int[] shifts, int[]? dims=None)",
      lambda x, s, d: jnp.roll(x, s, d) if d is not None else jnp.roll(x.reshape(-1), s).reshape(x.shape),
      dtype="keep", saves=(), out=False)
defop("tril(Tensor self, int diagonal=0)", lambda x, k: jnp.tril(x, k), dtype="keep", saves=(), inplace=True)
defop("triu(Tensor self, int diagonal=0)", lambda x, k: jnp.triu(x, k), dtype="keep", saves=(), inplace=True)
defop("broadcast_to(Tensor self, int[] size)", lambda x, s: jnp.broadcast_to(x, s), dtype="keep", saves=(),
      out=False, grad="ExpandBackward0")


# ---- gather / scatter / index ----------------------------------------------
def _check_index(i, name):
    if not jnp.issubdtype(i.dtype, jnp.integer):
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def _gather(x, dim, index):
    _check_index(index, "gather")
    d = dim % max(x.ndim, 1)
    return jnp.take_along_axis(x, index, axis=d) if x.ndim else x[()] * jnp.ones(index.shape, x.dtype)


def _scatter_idx(x, dim, index):
    d = dim % max(x.ndim, 1)
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in index.shape], indexing="ij"))
    grids[d] = index
    return tuple(grids)


def _scatter(x, dim, index, src, reduce):
    _check_index(index, "scatter")
    src = jnp.broadcast_to(jnp.asarray(src, x.dtype), index.shape) if jnp.ndim(src) == 0 else \
        src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)
    idx = _scatter_idx(x, dim, index)
    if reduce is None:
        return x.at[idx].set(src)
    if reduce in ("add", "sum"):
        return x.at[idx].add(src)
    if reduce in ("multiply", "prod"):
        return x.at[idx].multiply(src)
    if reduce == "amax":
        return x.at[idx].max(src)
    if reduce == "amin":
        return x.at[idx].min(src)
    raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")


defop("gather(Tensor self, int dim, Index index, *, bool sparse_grad=False)",
      lambda x, i, d, s: _gather(x, d, i), dtype="keep")
defop("scatter(Tensor self, int dim, Index index, Tensor? src, *, str? reduce=None)",
      lambda x, i, s, d, r: _scatter(x, d, i, s, r), dtype="keep", inplace=True,
      grad=lambda args, statics: "ScatterBackward0" if hasattr(args[2], "_arr") else "ScatterBackward1")
defop("scatter_add(Tensor self, int dim, Index index, Tensor src)",
      lambda x, i, s, d: _scatter(x, d, i, s, "add"), dtype="keep", inplace=True)
defop("scatter_reduce(Tensor self, int dim, Index index, Tensor src, str reduce, *, bool include_self=True)",
      lambda x, i, s, d, r, inc: _scatter(x if inc else _scatter(x, d, i, jnp.zeros((), x.dtype) if r in ("sum", "mean") else
                                                                  jnp.ones((), x.dtype) if r == "prod" else s, None), d, i, s, r),
      dtype="keep", inplace=True)


def _index_select(x, dim, index):
    _check_index(index, "index_select")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return jnp.take(x, index.reshape(-1), axis=dim % max(x.ndim, 1)) if x.ndim else x[()] * jnp.ones(index.size, x.dtype).reshape(index.shape)


defop("index_select(Tensor self, int dim, Index index)", lambda x, i, d: _index_select(x, d, i), dtype="keep")


def _index_add(x, dim, index, src, alpha):
    d = dim % max(x.ndim, 1)
    idx = [slice(None)] * x.ndim
    idx[d] = index
    src = jnp.asarray(src, x.dtype)
    return x.at[tuple(idx)].add(alpha * src if alpha != 1 else src)


defop("index_add(Tensor self, int dim, Index index, Tensor source, *, Scalar alpha=1)",
      lambda x, i, s, d, a: _index_add(x, d, i, s, a), dtype="keep", inplace=True)


def _index_fill(x, dim, index, value):
    d = dim % max(x.ndim, 1)
    idx = [slice(None)] * x.ndim
    idx[d] = index
    return x.at[tuple(idx)].set(jnp.asarray(value, x.dtype))


defop("index_fill(Tensor self, int dim, Index index, Tensor? value)",
      lambda x, i, v, d: _index_fill(x, d, i, v), dtype="keep", inplace=True)


def _index_copy(x, dim, index, src):
    d = dim % max(x.ndim, 1)
    idx = [slice(None)] * x.ndim
    idx[d] = index
    return x.at[tuple(idx)].set(src.astype(x.dtype))


defop("index_copy(Tensor self, int dim, Index index, Tensor source)",
      lambda x, i, s, d: _index_copy(x, d, i, s), dtype="keep", inplace=True)


def _take_along_dim(x, idx, dim):
    if dim is None:
        return jnp.take(x.reshape(-1), idx)
    return jnp.take_along_axis(x, idx, axis=dim)


defop("take(Tensor self, Index index)", lambda x, i: jnp.take(x.reshape(-1), i), dtype="keep")
defop("take_along_dim(Tensor self, Index indices, int? dim=None)", _take_along_dim, dtype="keep")


# ---- comparisons of whole tensors -------------------------------------------
def _isclose(a, b, rtol, atol, equal_nan):
    return jnp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False)",
      _isclose, differentiable=False, out=False)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(FUNCTIONS["isclose"](input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(FUNCTIONS["eq"](input, other).all())


FUNCTIONS["allclose"] = METHODS["allclose"] = allclose
FUNCTIONS["equal"] = METHODS["equal"] = equal


# ---- composites (lower to declared ops) -------------------------------------
def _dim(d, n):
    m = max(n, 1)
    if not -m <= d < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {d})")
    return d % m


def narrow(self, dim, start, length):
    d = _dim(dim, self.ndim)
    n = self.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return call(OPS["slice"], (self,), (d, start, start + length, 1))


def split(self, split_size_or_sections, dim=0):
    d = _dim(dim, self.ndim)
    n = self.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        if n == 0:
            sizes = [0]
        return call(OPS["_split_even"], (self,), (tuple(sizes), d))
    return call(OPS["split_with_sizes"], (self,), (tuple(int(v) for v in split_size_or_sections), d))


def chunk(self, chunks, dim=0):
    d = _dim(dim, self.ndim)
    n = self.shape[d]
    size = -(-n // chunks) if chunks else 0
    return split(self, max(size, 1) if n else 1, d)


def movedim(self, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = self.ndim
    src = [_dim(s, n) for s in src]
    dst = [_dim(s, n) for s in dst]
    order = [None] * n
    for s, t in zip(src, dst):
        order[t] = s
    rest = iter(k for k in range(n) if k not in src)
    order = [o if o is not None else next(rest) for o in order]
    return FUNCTIONS["permute"](self, order)


def expand_as(self, other):
    return METHODS["expand"](self, other.shape)


def view_as(self, other):
    return METHODS["view"](self, other.shape)


def reshape_as(self, other):
    return FUNCTIONS["reshape"](self, other.shape)


def ravel(self):
    return FUNCTIONS["reshape"](self, -1)


def atleast(n):
    def f(*tensors):
        ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
        out = []
        for t in ts:
            if t.ndim < n:
                shape = {1: (1,), 2: (1, -1), 3: (1, -1, 1)}[n] if t.ndim == 0 or n == 2 else None
                t = t.reshape((1,) * (n - t.ndim) + tuple(t.shape)) if shape is None or t.ndim else t.reshape((1,) * n)
            out.append(t)
        return out[0] if len(out) == 1 else tuple(out)
    return f


for _name, _fn in {"narrow": narrow, "split": split, "chunk": chunk, "movedim": movedim,
                   "moveaxis": movedim, "ravel": ravel}.items():
    FUNCTIONS[_name] = METHODS[_name] = _fn
for _name, _fn in {"expand_as": expand_as, "view_as": view_as, "reshape_as": reshape_as}.items():
    METHODS[_name] = _fn
FUNCTIONS["atleast_1d"], FUNCTIONS["atleast_2d"], FUNCTIONS["atleast_3d"] = atleast(1), atleast(2), atleast(3)
