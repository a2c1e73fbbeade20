"""Shape ops beyond the views of ``_ops_views``: rearranging copies (``repeat``, ``tile``, ``flip``, ``roll``,
``rot90``, ``tril``/``triu``, ``diag``/``diag_embed``/``diagflat``) and composites over view ops (``narrow``,
``movedim``, ``expand_as``/``view_as``/``reshape_as``, ``ravel``, ``atleast_Nd``, ``broadcast_to``,
``broadcast_tensors``, ``broadcast_shapes``, ``meshgrid``, ``adjoint``, ``slice_inverse``).

Composites are written in terms of declared ops, so their grad_fn is that of the op they lower to, as in
PyTorch.
"""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np

from ._registry import FUNCTIONS, METHODS, OPS, _wrap_dim, call, defop
from ._names import publish
from ._tensor import Size
from ._ops_common import _fn, _op

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
def _dims_rule(args, statics):
    """``dims`` in range and without repeats."""
    n = args[0]._ndim()
    seen = set()
    for k in statics[0]:
        d = _wrap_dim(k, n)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return None


defop("flip(Tensor self, *int[] dims)", lambda x, d: jnp.flip(x, tuple(k % max(x.ndim, 1) for k in d)) if x.ndim else x,
      dtype=_dims_rule, saves=(), out=False)
def _min_ndim(n):
    def rule(args, statics=None):
        if args[0]._ndim() < n:
            raise RuntimeError(f"Input must be >= {n}-d.")
        return None
    return rule


defop("fliplr(Tensor self)", lambda x: jnp.flip(x, 1), dtype=_min_ndim(2), saves=(), out=False, grad="FlipBackward0")
defop("flipud(Tensor self)", lambda x: jnp.flip(x, 0), dtype=_min_ndim(1), saves=(), out=False, grad="FlipBackward0")
def _roll_rule(args, statics):
    shifts, dims = statics
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return None
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for k in dims:
        _wrap_dim(k, args[0]._ndim())
    return None


defop("roll(Tensor self, int[] shifts, int[]? dims=None)",
      lambda x, s, d: jnp.roll(x, s, d) if d is not None else jnp.roll(x.reshape(-1), s).reshape(x.shape),
      dtype=_roll_rule, saves=(), out=False)


def _triangle_rule(name):
    def rule(args, statics=None):
        if args[0]._ndim() < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return None
    return rule


defop("tril(Tensor self, int diagonal=0)", lambda x, k: jnp.tril(x, k), dtype=_triangle_rule("tril"), saves=(),
      inplace=True)
defop("triu(Tensor self, int diagonal=0)", lambda x, k: jnp.triu(x, k), dtype=_triangle_rule("triu"), saves=(),
      inplace=True)
defop("broadcast_to(Tensor self, int[] size)", lambda x, s: jnp.broadcast_to(x, s), dtype="keep", saves=(),
      out=False, grad="ExpandBackward0")


def _rot90(x, k, dims):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _wrap_dim(dims[0], x.ndim), _wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return jnp.rot90(x, k, axes=(d0, d1))


_op("rot90(Tensor self, int k=1, int[] dims=(0, 1))", _rot90, dtype="keep", saves=(), out=False)


# ---- diagonals --------------------------------------------------------------------------------------
def _diag_embed(x, offset, dim1, dim2):
    nd = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = x.shape[-1] + builtins.abs(offset) if x.ndim else builtins.abs(offset) + 1
    v = x if x.ndim else x.reshape(1)
    out = jnp.zeros(v.shape[:-1] + (n, n), x.dtype)
    k = np.arange(v.shape[-1])
    i, j = (k, k + offset) if offset >= 0 else (k - offset, k)
    out = out.at[..., i, j].set(v)
    # the two new dims are the last two: move them to (d1, d2)
    rest = [a for a in range(nd) if a not in (d1, d2)]
    order = [None] * nd
    for a, src in zip(rest, range(nd - 2)):
        order[a] = src
    order[d1], order[d2] = nd - 2, nd - 1
    return jnp.transpose(out, order)


_op("diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1)", _diag_embed, dtype="keep", saves=())


def _diag(x, diagonal):
    if x.ndim == 1:
        return _diag_embed(x, diagonal, 0, 1)
    if x.ndim == 2:
        return jnp.diagonal(x, diagonal)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{x.ndim}D")


_op("diag(Tensor self, int diagonal=0)", _diag, dtype="keep", saves=(),
    grad=lambda args, statics: "DiagEmbedBackward0" if args[0].ndim == 1 else "DiagonalBackward0_copy")
_op("diagflat(Tensor self, int offset=0)", lambda x, offset: _diag_embed(x.reshape(-1), offset, 0, 1), dtype="keep",
    saves=(), grad="DiagEmbedBackward0")


# ---- composites (lower to declared ops) -------------------------------------
def narrow(self, dim, start, length):
    if self.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return call(OPS["slice"], (self,), (d, start, start + length, 1))


def movedim(self, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = self.ndim
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    given = {"source": src, "destination": dst}
    src = [_wrap_dim(s, n) for s in src]
    dst = [_wrap_dim(s, n) for s in dst]
    for which, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{which}` ({given[which]})")
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
                # PyTorch: 0-d -> (1,)*n; (N,) -> (1, N) or (1, N, 1); (M, N) -> (M, N, 1)
                shape = tuple(t.shape)
                if len(shape) == 0:
                    shape = (1,)
                if len(shape) == 1 and n >= 2:
                    shape = (1,) + shape
                if len(shape) == 2 and n == 3:
                    shape = shape + (1,)
                t = t.reshape(shape)
            out.append(t)
        return out[0] if len(out) == 1 else tuple(out)
    return f


for _name, _f in {"narrow": narrow, "movedim": movedim, "moveaxis": movedim, "ravel": ravel}.items():
    publish(_name, _f, method=True)
for _name, _f in {"expand_as": expand_as, "view_as": view_as, "reshape_as": reshape_as}.items():
    publish(_name, method=_f)
for _n in (1, 2, 3):
    publish(f"atleast_{_n}d", atleast(_n))


# ---- broadcasting, meshgrid -------------------------------------------------------------------
def broadcast_shapes(*shapes):
    """The broadcast shape of ``shapes`` (ints or sequences), as a ``torch.Size``."""
    dims = []
    for s in shapes:
        s = (s,) if isinstance(s, int) else tuple(s)
        dims.append(s)
    n = builtins.max((len(s) for s in dims), default=0)
    out = [1] * n
    for s in dims:
        for i, v in enumerate(s):
            k = n - len(s) + i
            if v < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {list(s)}")
            if out[k] == 1:
                out[k] = v
            elif v != 1 and v != out[k]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is "
                                   f"between arg 0 and arg 1.")
    return Size(out)


def broadcast_tensors(*tensors):
    """Each tensor expanded (a view) to the common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids (expanded views); ``indexing='ij'`` by default, as PyTorch."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = [t.numel() for t in ts]
    n = len(ts)
    grids = [t.reshape([-1 if k == i else 1 for k in range(n)]).expand(shape) for i, t in enumerate(ts)]
    if swap:
        grids = [g.transpose(0, 1) for g in grids]
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


_fn("broadcast_shapes", broadcast_shapes)
_fn("broadcast_tensors", broadcast_tensors)
_fn("meshgrid", meshgrid)


def adjoint(input):
    """The conjugate transpose of the last two dims (a view; PyTorch's is a lazy conjugate)."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")
    t = input.transpose(-2, -1)
    return t.conj() if input.is_complex() else t


_fn("adjoint", adjoint, method=True)
_fn("slice_inverse", lambda input, src, dim=0, start=None, end=None, step=1:
    input.as_strided(src.shape, src.stride(), src.storage_offset()), method=True)
