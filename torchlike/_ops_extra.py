"""Top-level ops that no other module declares (yet): declarations and composites.

Imported after every other op module (see the end of ``torchlike/__init__.py``);
each name is declared once in the package: a name declared here and elsewhere
raises at import (``_names.publish``).  Ops whose output
shape depends on the values (``nonzero``, ``masked_select``'s index list, ...) compute that part on the host, as PyTorch must synchronise for it too.
"""
from __future__ import annotations

import builtins
import itertools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np
from jax import lax

from . import _dtype as D
from . import _views as V
from . import _registry as R
from ._registry import (DTYPE_RULES, FUNCTIONS, METHODS, OPS, _promoted, _return_type, _type_word, defop,
                        publish, rule_promote)
from ._tensor import Tensor, Size, _CPP_TYPE
from ._creation import empty, tensor
from .linalg import _vector_norm_impl
from ._registry import _size, _wrap_dim
from .storage import _StorageBase


def _op(sig, impl, **kw):
    """``defop``; returns the public function (or None).  A name declared elsewhere too raises at import."""
    return defop(sig, impl, **kw).function


def _private(sig, impl, **kw):
    """A helper op used by a composite (not a public name)."""
    return defop(sig, impl, function=False, method=False, **kw).function


def _fn(name, fn, *, method=False, function=True):
    """Publish a composite as ``torch.<name>`` (and ``Tensor.<name>``); a name published twice raises."""
    if function:
        fn.__name__ = fn.__qualname__ = name
    publish(name, fn if function else None, method=method and fn or None)
    return fn


def _tensors_only(rule, name, params):
    """PyTorch's ``name(Tensor, Tensor)`` ops with no Python-number overload reject numbers with TypeError."""
    def strict(args, statics=None):
        for i, (a, p) in enumerate(zip(args, params)):
            if a is not None and not isinstance(a, Tensor):
                raise TypeError(f"argument '{p}' (position {i + 1}) must be Tensor, not "
                                f"{type(a).__name__}")
        return (DTYPE_RULES[rule] if isinstance(rule, str) else rule)(args, statics)
    return strict


def _float_only(name):
    def rule(args, statics=None):
        d = _promoted(args)
        if d.category < D.FLOAT:
            raise RuntimeError(f'"{name}" not implemented for \'{_type_word(d)}\'')
        return d
    return rule


def _axpby(c, prod, beta, alpha, dtype):
    """``beta * c + alpha * prod`` with PyTorch's rules: ``beta == 0`` ignores ``c`` (nan/inf too), and
    for integer tensors the scalars are truncated to integers."""
    if not jnp.issubdtype(dtype, jnp.inexact) and dtype != jnp.bool_:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = alpha * prod
    if beta == 0:
        out = jnp.broadcast_to(prod, jnp.broadcast_shapes(c.shape, prod.shape))
    elif beta == 1:
        out = c + prod
    else:
        out = beta * c + prod
    return out.astype(dtype)


def _check_int_scalars(c, beta, alpha):
    if not jnp.issubdtype(c.dtype, jnp.inexact):
        for nm, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {nm} must not be a floating point number.")


# ---- BLAS-like -----------------------------------------------------------------------------
def _addmv(c, m, v, beta, alpha):
    if m.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({c.shape[0] if c.ndim else 1}), mat ({m.shape[0]}x{m.shape[1]}), "
                           f"vec ({v.shape[0]})")
    return _axpby(c, m @ v, beta, alpha, c.dtype)


def _addbmm(c, b1, b2, beta, alpha):
    if b1.ndim != 3 or b2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if b1.ndim != 3 else "batch2 must be a 3D tensor")
    return _axpby(c, jnp.sum(jnp.matmul(b1, b2), axis=0), beta, alpha, c.dtype)


def _baddbmm(c, b1, b2, beta, alpha):
    if b1.ndim != 3 or b2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if b1.ndim != 3 else "batch2 must be a 3D tensor")
    return _axpby(c, jnp.matmul(b1, b2), beta, alpha, c.dtype)


def _addr(c, v1, v2, beta, alpha):
    if v1.ndim != 1 or v2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {v1.ndim}-D" if v1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {v2.ndim}-D")
    if c.dtype == jnp.bool_:
        outer = jnp.logical_and(v1[:, None], v2[None, :])
        if not beta:
            return jnp.broadcast_to(outer & bool(alpha), (v1.shape[0], v2.shape[0]))
        return (c & bool(beta)) | (outer & bool(alpha))
    _check_int_scalars(c, beta, alpha)
    return _axpby(c, jnp.outer(v1, v2), beta, alpha, c.dtype)


_BLAS = "*, Scalar beta=1, Scalar alpha=1"
_op(f"addmv(Tensor self, Tensor mat, Tensor vec, {_BLAS})", _addmv, inplace=True)
_op(f"addbmm(Tensor self, Tensor batch1, Tensor batch2, {_BLAS})", _addbmm, inplace=True)
_op(f"baddbmm(Tensor self, Tensor batch1, Tensor batch2, {_BLAS})", _baddbmm, inplace=True)
_op(f"addr(Tensor self, Tensor vec1, Tensor vec2, {_BLAS})", _addr, inplace=True)


def _addcmul(c, t1, t2, value):
    if not jnp.issubdtype(c.dtype, jnp.inexact) and c.dtype != jnp.bool_:
        value = int(value)
    return (c + value * t1 * t2 if value != 1 else c + t1 * t2).astype(jnp.result_type(c, t1, t2))


def _addcdiv(c, t1, t2, value):
    if not jnp.issubdtype(t1.dtype, jnp.inexact) and not jnp.issubdtype(t2.dtype, jnp.inexact):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return c + value * (t1 / t2) if value != 1 else c + t1 / t2


_op("addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1)", _addcmul, inplace=True)
_op("addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1)", _addcdiv, inplace=True)


def _vdot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    return jnp.sum(jnp.conj(a) * b if jnp.iscomplexobj(a) else a * b)


def _same_dtype(name):
    def rule(args, statics=None):
        a, b = args[0], args[1]
        if a._dtype is not b._dtype:
            raise RuntimeError(f"{name} expected both vectors to have same dtype, but found {_type_word(a._dtype)} "
                               f"and {_type_word(b._dtype)}")
        return None
    return rule


_op("vdot(Tensor self, Tensor other)", _vdot, dtype=_same_dtype("vdot"))


def _kron(a, b):
    if a.dtype == jnp.bool_:
        nd = builtins.max(a.ndim, b.ndim)
        a = a.reshape((1,) * (nd - a.ndim) + a.shape)
        b = b.reshape((1,) * (nd - b.ndim) + b.shape)
        outer = a.reshape(sum(((n, 1) for n in a.shape), ())) & b.reshape(sum(((1, n) for n in b.shape), ()))
        return outer.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))
    return jnp.kron(a, b)


_op("kron(Tensor self, Tensor other)", _kron, grad="UnsafeViewBackward0")


# ---- broadcasting, meshgrid, joins -----------------------------------------------------------
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


def _block_diag(arrs):
    mats = [a.reshape(1, 1) if a.ndim == 0 else a.reshape(1, -1) if a.ndim == 1 else a for a in arrs]
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{m.ndim} dimensions")
    dtype = jnp.result_type(*mats) if mats else jnp.float32
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    out = jnp.zeros((rows, cols), dtype)
    r = c = 0
    for m in mats:
        out = lax.dynamic_update_slice(out, m.astype(dtype), (r, c))
        r, c = r + m.shape[0], c + m.shape[1]
    return out


_BLOCK_DIAG = _private("block_diag(Tensor[] tensors)", _block_diag, grad="BlockDiagBackward0")


def block_diag(*tensors):
    if not tensors:
        return empty(1, 0)
    return _BLOCK_DIAG(list(tensors))


_fn("block_diag", block_diag)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors (rows of the result)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return FUNCTIONS["stack"]([g.flatten() for g in grids], 1)


_fn("cartesian_prod", cartesian_prod)


def combinations(input, r=2, with_replacement=False):
    """Length-``r`` combinations of the elements of a 1-D tensor (rows of the result)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return empty(0, dtype=input.dtype)
    n = input.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    cols = [FUNCTIONS["index_select"](input, 0, tensor(idx[:, j])) for j in range(r)]
    return FUNCTIONS["stack"](cols, 1)


_fn("combinations", combinations)


def _tensor_list(name, tensors):
    """PyTorch's argument check for a ``Tensor[]`` parameter taken by a Python-level function."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")


def column_stack(tensors, *, out=None):
    _tensor_list("column_stack", tensors)
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return FUNCTIONS["hstack"](ts, out=out)


def _as_3d(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    if t.ndim == 2:
        return t.unsqueeze(-1)
    return t


def dstack(tensors, *, out=None):
    _tensor_list("dstack", tensors)
    if len(tensors) == 0:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return FUNCTIONS["cat"]([_as_3d(t) for t in tensors], 2, out=out)


_fn("column_stack", column_stack)
_fn("dstack", dstack)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into views: ``sections`` nearly equal parts, or at the given indices."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.category != D.INT:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have an integral dtype")
        ios = ios.item() if ios.ndim == 0 else [int(v) for v in ios.tolist()]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, rem = divmod(n, ios)
        bounds, start = [], 0
        for i in range(ios):
            size = q + (1 if i < rem else 0)
            bounds.append((start, start + size))
            start += size
    else:
        cuts = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n) for i in ios] + [n]
        bounds = [(cuts[i], builtins.max(cuts[i], cuts[i + 1])) for i in range(len(cuts) - 1)]
    sl = OPS["slice"].function if hasattr(OPS["slice"], "function") else None
    out = []
    for a, b in bounds:
        out.append(sl(input, d, a, b, 1) if sl is not None else FUNCTIONS["narrow"](input, d, a, b - a))
    return tuple(out)


def _split_dim(name, dim_of):
    def f(input, indices_or_sections):
        d = dim_of(input)
        if d is None:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {3 if name == 'dsplit' else 2} "
                               f"dimension, but got a tensor with {input.ndim} dimensions!")
        if isinstance(indices_or_sections, int) and (indices_or_sections == 0 or
                                                     input.shape[d] % indices_or_sections):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                               f"{input.shape[d]} is not divisible by the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)
    return f


_fn("tensor_split", tensor_split, method=True)
_fn("hsplit", _split_dim("hsplit", lambda t: (1 if t.ndim > 1 else 0) if t.ndim >= 1 else None), method=True)
_fn("vsplit", _split_dim("vsplit", lambda t: 0 if t.ndim >= 2 else None), method=True)
_fn("dsplit", _split_dim("dsplit", lambda t: 2 if t.ndim >= 3 else None), method=True)


# ---- copies of views (torch.*_copy) ------------------------------------------------------------
def _copy_of(view):
    def f(*args, out=None, **kwargs):
        r = view(*args, **kwargs)
        if isinstance(r, (tuple, list)):
            return tuple(t.clone() for t in r)
        r = r.clone()
        if out is not None:
            if tuple(out.shape) != tuple(r.shape):
                raise RuntimeError(f"out= expects a tensor of shape {list(r.shape)}, got {list(out.shape)}")
            return out.copy_(r)
        return r
    return f


def _method(name):
    return lambda self, *a, **k: getattr(self, name)(*a, **k)


def _slice(input, dim=0, start=None, end=None, step=1):
    """ATen's ``slice``: ``input[..., start:end:step]`` along ``dim``."""
    return input[(builtins.slice(None),) * _wrap_dim(dim, input.ndim) + (builtins.slice(start, end, step),)]


def _view_as_real(x):
    if not jnp.iscomplexobj(x):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([x.real, x.imag], axis=-1)


# a copy, not a view: JAX has no reinterpreting view of a complex buffer (docs/differences.md)
_op("view_as_real(Tensor self)", _view_as_real, dtype=lambda args, statics=None: None, method=False,
    grad="ViewAsRealBackward0")


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
for _name in ("t", "transpose", "permute", "squeeze", "unsqueeze", "diagonal", "alias", "unbind", "unfold",
              "as_strided", "split_with_sizes", "view", "expand", "select", "detach", "slice", "split",
              "view_as_real"):
    _view = _slice if _name == "slice" else FUNCTIONS.get(_name) or METHODS.get(_name)
    if _view is None and _name in ("view", "expand", "unfold", "detach"):
        _view = _method(_name)
    if _view is not None:
        _fn(f"{_name}_copy", _copy_of(_view))      # narrow_copy: below


def narrow_copy(input, dim, start, length, *, out=None):
    """``narrow(...).clone()``; PyTorch's kernel reports a dimension out of range as a RuntimeError."""
    if isinstance(input, R._Tensor) and input.ndim and int(dim) >= input.ndim:
        raise RuntimeError(f"narrow_copy(): dimension {dim} out of range for a tensor with {input.ndim} dimensions")
    return _copy_of(FUNCTIONS["narrow"])(input, dim, start, length, out=out)


publish("narrow_copy", narrow_copy, method=True)


# ---- scatters into a view ---------------------------------------------------------------------------
def _diag_index(shape, offset, d1, d2):
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        size = builtins.max(builtins.min(n1, n2 - offset), 0)
        i, j = np.arange(size), np.arange(size) + offset
    else:
        size = builtins.max(builtins.min(n1 + offset, n2), 0)
        i, j = np.arange(size) - offset, np.arange(size)
    return i, j


def _diagonal_scatter(x, src, offset, dim1, dim2):
    d1, d2 = _wrap_dim(dim1, x.ndim), _wrap_dim(dim2, x.ndim)
    i, j = _diag_index(x.shape, offset, d1, d2)
    xm = jnp.moveaxis(x, (d1, d2), (-2, -1))
    xm = xm.at[..., i, j].set(src.astype(x.dtype))
    return jnp.moveaxis(xm, (-2, -1), (d1, d2))


def _select_scatter(x, src, dim, index):
    d = _wrap_dim(dim, x.ndim)
    idx = [slice(None)] * x.ndim
    idx[d] = index
    return x.at[tuple(idx)].set(src.astype(x.dtype))


def _slice_scatter(x, src, dim, start, end, step):
    d = _wrap_dim(dim, x.ndim)
    idx = [slice(None)] * x.ndim
    idx[d] = slice(start, end, step)
    return x.at[tuple(idx)].set(src.astype(x.dtype))


_op("diagonal_scatter(Tensor self, Tensor src, int offset=0, int dim1=0, int dim2=1)", _diagonal_scatter,
    dtype="first")
_op("select_scatter(Tensor self, Tensor src, int dim, int index)", _select_scatter, dtype="first")
_op("slice_scatter(Tensor self, Tensor src, int dim=0, int? start=None, int? end=None, int step=1)", _slice_scatter,
    dtype="first")


def _as_strided_scatter(x, src, size, stride, offset):
    flat = x.reshape(-1)
    off = 0 if offset is None else offset
    idx = np.full(tuple(size), off, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        idx = idx + (np.arange(n) * s).reshape(shape)
    return flat.at[idx.reshape(-1)].set(src.reshape(-1).astype(x.dtype)).reshape(x.shape)


def _as_strided_scatter_rule(args, statics):
    """PyTorch's bounds check of the strided layout against ``self``'s elements (its clone's storage)."""
    x = args[0]
    size, stride, offset = statics[0], statics[1], statics[2] or 0
    need = 0 if 0 in size else offset + 1 + builtins.sum((n - 1) * st for n, st in zip(size, stride))
    if need > x.numel():
        item = x._dtype.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {need * item} are out of bounds for "
                           f"storage of size {x.numel() * item}")
    return x._dtype


_op("as_strided_scatter(Tensor self, Tensor src, int[] size, int[] stride, int? storage_offset=None)",
    _as_strided_scatter, dtype=_as_strided_scatter_rule)


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


# ---- differences, integration ------------------------------------------------------------------------
def _diff(x, prepend, append, n, dim):
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, x.ndim)
    parts = [a for a in (prepend, x, append) if a is not None]
    if len(parts) > 1:
        parts = [jnp.broadcast_to(p, x.shape[:d] + p.shape[d:d + 1] + x.shape[d + 1:]) if p.ndim == x.ndim else
                 jnp.broadcast_to(p.reshape(p.shape + (1,) * 0), x.shape[:d] + (1,) + x.shape[d + 1:])
                 for p in parts]
        x = jnp.concatenate([p.astype(x.dtype) for p in parts], axis=d)
    for _ in range(n):
        a = lax.slice_in_dim(x, 1, x.shape[d], axis=d)
        b = lax.slice_in_dim(x, 0, builtins.max(x.shape[d] - 1, 0), axis=d)
        x = jnp.logical_xor(a, b) if x.dtype == jnp.bool_ else a - b
    return x


_DIFF = _private("diff(Tensor self, Tensor? prepend, Tensor? append, int n=1, int dim=-1)", _diff,
                 grad="SubBackward0", dtype="first")


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """n-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if n == 0:
        return input
    return _DIFF(input, prepend, append, n, dim, out=out)


_fn("diff", diff, method=True)


def _trapz_dx(y, dx, dim):
    d = _wrap_dim(dim, y.ndim)
    if y.shape[d] == 0:
        return jnp.zeros(y.shape[:d] + y.shape[d + 1:], y.dtype)
    first = lax.index_in_dim(y, 0, d, keepdims=False)
    last = lax.index_in_dim(y, y.shape[d] - 1, d, keepdims=False)
    return (jnp.sum(y, axis=d) - (first + last) * 0.5) * dx


def _trapz_x(y, x, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return jnp.zeros(y.shape[:d] + y.shape[d + 1:], jnp.result_type(y, x))
    if x.ndim == 1:
        dx = jnp.diff(x).reshape((-1,) + (1,) * (y.ndim - 1 - d))
    else:
        dx = jnp.diff(x, axis=d - y.ndim if x.ndim < y.ndim else d)
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, n - 1, axis=d)
    return jnp.sum((a + b) * dx, axis=d) / 2


def _cumtrapz_dx(y, dx, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, builtins.max(n - 1, 0), axis=d)
    return jnp.cumsum((a + b) * (dx / 2), axis=d)


def _cumtrapz_x(y, x, dim):
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if x.ndim == 1:
        dx = jnp.diff(x).reshape((-1,) + (1,) * (y.ndim - 1 - d))
    else:
        dx = jnp.diff(x, axis=d - y.ndim if x.ndim < y.ndim else d)
    a = lax.slice_in_dim(y, 1, n, axis=d)
    b = lax.slice_in_dim(y, 0, builtins.max(n - 1, 0), axis=d)
    return jnp.cumsum((a + b) * dx / 2, axis=d)


_TRAPZ_DX = _private("_trapezoid_dx(Tensor y, float dx=1, int dim=-1)", _trapz_dx, grad="MulBackward1", dtype="float")
_TRAPZ_X = _private("_trapezoid_x(Tensor y, Tensor x, int dim=-1)", _trapz_x, grad="DivBackward1", dtype="float")
_CUMTRAPZ_DX = _private("_cumulative_trapezoid_dx(Tensor y, float dx=1, int dim=-1)", _cumtrapz_dx,
                        grad="CumsumBackward0", dtype="float")
_CUMTRAPZ_X = _private("_cumulative_trapezoid_x(Tensor y, Tensor x, int dim=-1)", _cumtrapz_x,
                       grad="DivBackward1", dtype="float")


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim`` (uniform spacing ``dx`` or sample points ``x``)."""
    if x is not None and dx is not None:
        raise RuntimeError("torch.trapezoid: received both x and dx")
    if isinstance(x, Tensor):
        return _TRAPZ_X(y, x, dim)
    if x is not None:       # trapezoid(y, dx_number)
        dx = x
    return _TRAPZ_DX(y, 1.0 if dx is None else float(dx), dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if isinstance(x, Tensor):
        return _CUMTRAPZ_X(y, x, dim)
    if x is not None:
        dx = x
    return _CUMTRAPZ_DX(y, 1.0 if dx is None else float(dx), dim)


_fn("trapezoid", trapezoid)
_fn("trapz", trapz)
_fn("cumulative_trapezoid", cumulative_trapezoid)


def _gradient_1d(f, h, d, edge_order, coords):
    n = f.shape[d]
    if n < edge_order + 1:
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    sl = lambda a, b: lax.slice_in_dim(f, a, b, axis=d)  # noqa: E731
    if coords is None:
        interior = (sl(2, n) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
            last = (0.5 * sl(n - 3, n - 2) - 2 * sl(n - 2, n - 1) + 1.5 * sl(n - 1, n)) / h
        return jnp.concatenate([first, interior, last], axis=d)
    shape = [1] * f.ndim
    shape[d] = -1
    c = coords
    dxs = jnp.diff(c)
    hl, hr = dxs[:-1].reshape(shape), dxs[1:].reshape(shape)
    interior = (hl ** 2 * sl(2, n) - hr ** 2 * sl(0, n - 2) + (hr ** 2 - hl ** 2) * sl(1, n - 1)) / (hl * hr * (hl + hr))
    if edge_order == 1:
        first = (sl(1, 2) - sl(0, 1)) / dxs[0]
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / dxs[-1]
    else:
        h1, h2 = dxs[0], dxs[1]
        first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * sl(0, 1) + (h1 + h2) / (h1 * h2) * sl(1, 2)
                 - h1 / (h2 * (h1 + h2)) * sl(2, 3))
        h1, h2 = dxs[-2], dxs[-1]
        last = (h2 / (h1 * (h1 + h2)) * sl(n - 3, n - 2) - (h1 + h2) / (h1 * h2) * sl(n - 2, n - 1)
                + (2 * h2 + h1) / (h2 * (h1 + h2)) * sl(n - 1, n))
    return jnp.concatenate([first, interior, last], axis=d)


def _gradient(arrs, spacing, dims, edge_order):
    f = arrs[0]
    coords = arrs[1:]
    if not jnp.issubdtype(f.dtype, jnp.inexact):
        f = f.astype(jnp.float32)
    outs = []
    for k, d in enumerate(dims):
        if coords:
            c = coords[k]
            outs.append(_gradient_1d(f, None, d, edge_order, c.astype(f.dtype)))
        else:
            outs.append(_gradient_1d(f, spacing[k], d, edge_order, None))
    return tuple(outs)


_GRADIENT = _private("_gradient(Tensor[] tensors, any spacing, int[] dims, int edge_order)", _gradient,
                     grad="CatBackward0", dtype="keep")


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences in the interior, one-sided (first or second order) at the edges."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, int):
        dims = [dim]
    else:
        dims = list(dim)
    dims = [_wrap_dim(d, input.ndim) for d in dims]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if spacing is None:
        spacing = 1
    coords = []
    if isinstance(spacing, (int, float)):
        steps = tuple(float(spacing) for _ in dims)
    elif isinstance(spacing, Tensor) and spacing.ndim == 0:
        steps = tuple(float(spacing.item()) for _ in dims)
    else:
        sp = list(spacing)
        if len(sp) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length {len(sp)} "
                               f"and a dim argument of length {len(dims)}.")
        if all(isinstance(s, Tensor) and s.ndim == 1 for s in sp):
            coords = sp
            steps = None
        else:
            steps = tuple(float(s.item() if isinstance(s, Tensor) else s) for s in sp)
    return _GRADIENT([input] + coords, steps, tuple(dims), edge_order)


_fn("gradient", gradient)


# ---- elementwise -------------------------------------------------------------------------------------
_op("logaddexp(Tensor self, Tensor other)", jnp.logaddexp,
    dtype=_tensors_only(_float_only("logaddexp"), "logaddexp", ("input", "other")))
_op("logaddexp2(Tensor self, Tensor other)", jnp.logaddexp2,
    dtype=_tensors_only(_float_only("logaddexp2"), "logaddexp2", ("input", "other")))


def _heaviside_dtype(args, statics=None):
    a, b = args
    if hasattr(a, "_dtype") and hasattr(b, "_dtype") and a._dtype is not b._dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    return rule_promote(args)


_op("heaviside(Tensor self, Tensor values)", lambda x, v: jnp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype),
    dtype=_tensors_only(_heaviside_dtype, "heaviside", ("input", "values")), differentiable=False, inplace=True)
def _nextafter(x, y):
    """The next representable value; PyTorch's gradient is 1 w.r.t. ``self`` and 0 w.r.t. ``other``."""
    return x + (jnp.nextafter(lax.stop_gradient(x), lax.stop_gradient(y)) - lax.stop_gradient(x))


_op("nextafter(Tensor self, Tensor other)", _nextafter,
    dtype=_tensors_only(_float_only("nextafter"), "nextafter", ("input", "other")), inplace=True)


def _ldexp(x, e):
    return x * jnp.exp2(e.astype(x.dtype))


_op("ldexp(Tensor self, Tensor other)", _ldexp, dtype=_tensors_only("float", "ldexp", ("input", "other")),
    grad="MulBackward0", inplace=True)


def _frexp(x):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = jnp.frexp(x)
    return m, e.astype(jnp.int32)


_op("frexp(Tensor self)", _frexp, dtype="keep", returns=("mantissa", "exponent"))


def _igamma_dtype(args, statics=None):
    return _float_only("igamma")(args)


_op("igamma(Tensor self, Tensor other)", jsp.gammainc, dtype=_tensors_only(_igamma_dtype, "igamma", ("input", "other")),
    differentiable=False, inplace=True)
_op("igammac(Tensor self, Tensor other)", jsp.gammaincc,
    dtype=_tensors_only(_igamma_dtype, "igammac", ("input", "other")), differentiable=False, inplace=True)


def _complex(re, im):
    if re.dtype != im.dtype:
        raise RuntimeError(f"Expected object of scalar type {_type_word(D._BY_NP[re.dtype])} but got scalar type "
                           f"{_type_word(D._BY_NP[im.dtype])} for second argument")
    if not jnp.issubdtype(re.dtype, jnp.floating):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_type_word(D._BY_NP[re.dtype])} and {_type_word(D._BY_NP[im.dtype])}")
    return lax.complex(*jnp.broadcast_arrays(re, im))


_op("complex(Tensor real, Tensor imag)", _complex, dtype=_tensors_only("keep", "complex", ("real", "imag")),
    method=False)
_op("polar(Tensor abs, Tensor angle)", lambda r, t: _complex(r * jnp.cos(t), r * jnp.sin(t)),
    dtype=_tensors_only("keep", "polar", ("abs", "angle")), method=False)


def _view_as_complex(x):
    if x.shape[-1:] != (2,):
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise RuntimeError("view_as_complex is only supported for floating point tensors")
    return lax.complex(x[..., 0], x[..., 1])


_op("view_as_complex(Tensor self)", _view_as_complex, dtype="keep", method=False)
_fn("view_as_complex_copy", _copy_of(FUNCTIONS["view_as_complex"]))


def _sparse_only(name, part, layout):
    def f(input, *, out=None):
        raise RuntimeError(f"{part} expected sparse {layout + ' ' if layout else ''}tensor layout but got Strided")
    return _fn(name, f)


# the components of sparse layouts: a dense tensor has none, as in PyTorch
for _name, _part, _layout in (("values_copy", "values", ""), ("indices_copy", "indices", "coordinate"),
                              ("crow_indices_copy", "crow_indices", "row compressed"),
                              ("col_indices_copy", "col_indices", "row compressed"),
                              ("ccol_indices_copy", "ccol_indices", "column compressed"),
                              ("row_indices_copy", "row_indices", "column compressed")):
    _sparse_only(_name, _part, _layout)
_fn("resolve_conj", lambda input: input, method=True)
_fn("resolve_neg", lambda input: input, method=True)


# ---- histograms, searching ---------------------------------------------------------------------------
def _histc(x, bins, lo, hi):
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " f"{bins} for bins")
    x = x.reshape(-1)
    lo = jnp.asarray(lo, x.dtype)
    hi = jnp.asarray(hi, x.dtype)
    if x.size:
        same = lo == hi
        lo = jnp.where(same, jnp.min(x), lo)
        hi = jnp.where(same, jnp.max(x), hi)
    same = lo == hi
    lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    inside = (x >= lo) & (x <= hi) & ~jnp.isnan(x)
    b = ((x - lo) * bins / (hi - lo)).astype(jnp.int64)
    b = jnp.where(b == bins, bins - 1, b)
    b = jnp.where(inside, b, bins)
    return jnp.zeros(bins + 1, x.dtype).at[b].add(1)[:bins]


_op("histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0)", _histc, dtype=_float_only("histogram_cpu"),
    differentiable=False)


def bincount(input, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (``weights``: sums of them), at least
    ``minlength`` long.  The length depends on the values, so they are read on the host, as PyTorch's kernel
    reads them; the result records no gradient (PyTorch's has none either)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bincount(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype.category != D.INT:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_type_word(input.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    values = np.asarray(input.detach()._arr()).astype(np.int64)
    if input.ndim != 1 or (values.size and values.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != values.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = builtins.max(int(values.max()) + 1 if values.size else 0, minlength)
    if weights is None:
        out, dtype = np.bincount(values, minlength=n), D.int64
    else:
        dtype = D.float32 if weights.dtype is D.float32 else D.float64
        out = np.bincount(values, np.asarray(weights.detach()._arr()).astype(np.float64), minlength=n)
    return Tensor._wrap(jnp.asarray(out.astype(dtype.np)))


_fn("bincount", bincount, method=True)


def _histogram(x, edges_in, weight, bins, rng, density):
    x = x.reshape(-1)
    w = None if weight is None else weight.reshape(-1)
    if edges_in is not None:
        edges = edges_in.astype(x.dtype)
    else:
        if rng is not None:
            lo, hi = jnp.asarray(rng[0], x.dtype), jnp.asarray(rng[1], x.dtype)
        elif x.size:
            lo, hi = jnp.min(x), jnp.max(x)
        else:
            lo, hi = jnp.asarray(0, x.dtype), jnp.asarray(0, x.dtype)
        same = lo == hi
        lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
        edges = lo + (hi - lo) * jnp.arange(bins + 1, dtype=x.dtype) / bins
        edges = edges.at[-1].set(hi)
    nb = edges.shape[0] - 1
    idx = jnp.searchsorted(edges, x, side="right") - 1
    idx = jnp.where(x == edges[-1], nb - 1, idx)
    inside = (x >= edges[0]) & (x <= edges[-1])
    idx = jnp.where(inside, idx, nb)
    hist = jnp.zeros(nb + 1, x.dtype).at[idx].add(jnp.ones_like(x) if w is None else w.astype(x.dtype))[:nb]
    if density:
        widths = jnp.diff(edges)
        hist = hist / (jnp.sum(hist) * widths)
    return hist, edges


_HISTOGRAM = _private("_histogram(Tensor self, Tensor? bins_tensor, Tensor? weight, int bins, any range, bool density)",
                      _histogram, differentiable=False, dtype=_float_only("histogram"),
                      returns=("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    r = _return_type("histogram", ("hist", "bin_edges"))
    if isinstance(bins, Tensor):
        h, e = _HISTOGRAM(input, bins, weight, 0, None, density)
    else:
        h, e = _HISTOGRAM(input, None, weight, int(bins), None if range is None else tuple(float(v) for v in range),
                          density)
    return r(h, e)


_fn("histogram", histogram, method=True)


def _searchsorted(seq, x, sorter, out_int32, right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    if sorter is not None:
        seq = jnp.take_along_axis(seq, sorter, axis=-1)
    s = "right" if right else "left"
    dt = jnp.int32 if out_int32 else jnp.int64
    if seq.ndim <= 1:
        return jnp.searchsorted(seq, x, side=s).astype(dt)
    if seq.shape[:-1] != x.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           "of boundaries tensor and input value tensor must match")
    fs = seq.reshape(-1, seq.shape[-1])
    fx = x.reshape(-1, x.shape[-1])
    r = jax.vmap(lambda a, v: jnp.searchsorted(a, v, side=s))(fs, fx)
    return r.reshape(x.shape).astype(dt)


def _search_dtype(args, statics=None):
    seq, x = args[0], args[1]
    d = _promoted([seq, x])
    return (d, d, None)


_SEARCHSORTED = _private("_searchsorted(Tensor sorted_sequence, Tensor self, Tensor? sorter, bool out_int32, "
                         "bool right, str? side)", _searchsorted, differentiable=False, dtype=_search_dtype)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    return _SEARCHSORTED(sorted_sequence, input, sorter, out_int32, right, side, out=out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _SEARCHSORTED(boundaries, input, None, out_int32, right, None, out=out)


_fn("searchsorted", searchsorted)
_fn("bucketize", bucketize)


def _isin(x, t, assume_unique, invert):
    r = jnp.isin(x, t)
    return ~r if invert else r


_op("isin(Tensor elements, Tensor test_elements, *, bool assume_unique=False, bool invert=False)", _isin,
    differentiable=False, method=False)


# ---- order statistics ----------------------------------------------------------------------------------
def _median_all(x, ignore_nan):
    if x.size == 0:
        return jnp.asarray(jnp.nan, x.dtype) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros((), x.dtype)
    v, _ = _median_dim(x.reshape(-1), 0, False, ignore_nan)
    return v


def _median_dim(x, dim, keepdim, ignore_nan):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    order = jnp.argsort(x, axis=d, stable=True)      # NaNs last
    floating = jnp.issubdtype(x.dtype, jnp.inexact)
    if floating:
        nans = jnp.sum(jnp.isnan(x), axis=d, keepdims=True)
    if ignore_nan and floating:
        k = jnp.maximum((n - nans - 1) // 2, 0)
    else:
        k = jnp.full((1,) * x.ndim, (n - 1) // 2)
    idx = jnp.take_along_axis(order, jnp.broadcast_to(k, x.shape[:d] + (1,) + x.shape[d + 1:]), axis=d)
    if floating and not ignore_nan:
        first_nan = jnp.argmax(jnp.isnan(x), axis=d, keepdims=True)
        idx = jnp.where(nans > 0, first_nan, idx)
    if floating and ignore_nan:
        idx = jnp.where(nans == n, 0, idx)
    val = jnp.take_along_axis(x, idx, axis=d)
    if not keepdim:
        val, idx = jnp.squeeze(val, d), jnp.squeeze(idx, d)
    return val, idx.astype(jnp.int64)


for _name, _nan, _stem in (("median", False, "Median"), ("nanmedian", True, "Nanmedian")):
    _all = _private(f"_{_name}_all(Tensor self)", (lambda nan: lambda x: _median_all(x, nan))(_nan),
                    grad=f"{_stem}Backward0", dtype="keep")
    _dim_op = _private(f"_{_name}_dim(Tensor self, int dim, bool keepdim=False)",
                       (lambda nan: lambda x, d, k: _median_dim(x, d, k, nan))(_nan), grad=f"{_stem}Backward1",
                       dtype="keep", returns=("values", "indices"))
    OPS[f"_{_name}_dim"].returns = _return_type(_name, ("values", "indices"))

    def _median(input, dim=None, keepdim=False, *, out=None, _all=_all, _dim_op=_dim_op):
        if dim is None:
            return _all(input, out=out)
        return _dim_op(input, dim, keepdim, out=out)
    _fn(_name, _median, method=True)


def _mode(x, dim, keepdim):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    d = _wrap_dim(dim, x.ndim)
    xm = jnp.moveaxis(x, d, -1)
    n = xm.shape[-1]
    if n == 0:
        raise IndexError("mode(): Expected reduction dim to have non-zero size.")
    order = jnp.argsort(xm, axis=-1, stable=True)
    s = jnp.take_along_axis(xm, order, axis=-1)
    # run lengths: for each sorted position, the count of equal values up to and including it
    start = jnp.concatenate([jnp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], axis=-1)
    pos = jnp.arange(n)
    run_start = lax.cummax(jnp.where(start, pos, 0), axis=s.ndim - 1)
    count = pos - run_start + 1
    # the most frequent value, the smallest among ties: the first position reaching the maximum count
    best = jnp.argmax(count == jnp.max(count, axis=-1, keepdims=True), axis=-1)[..., None]
    val = jnp.take_along_axis(s, best, axis=-1)
    # PyTorch returns the last index of that value in the input
    idx = jnp.max(jnp.where(xm == val, pos, -1), axis=-1, keepdims=True)
    val = jnp.take_along_axis(xm, idx, axis=-1)
    val, idx = jnp.moveaxis(val, -1, d), jnp.moveaxis(idx, -1, d)
    if not keepdim:
        val, idx = jnp.squeeze(val, d), jnp.squeeze(idx, d)
    return val, idx.astype(jnp.int64)


_op("mode(Tensor self, int dim=-1, bool keepdim=False)", _mode, dtype="keep", returns=("values", "indices"))


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan, q_scalar):
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    name = "nanquantile" if ignore_nan else "quantile"
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if dim is None:
        xs = x.reshape(-1)
        d = 0
    else:
        d = _wrap_dim(dim, x.ndim)
        xs = x if x.ndim else x.reshape(1)
    xs = jnp.moveaxis(xs, d, -1)
    s = jnp.sort(xs, axis=-1)                           # NaNs last
    n = s.shape[-1]
    nans = jnp.sum(jnp.isnan(s), axis=-1, keepdims=True)
    valid = n - nans if ignore_nan else jnp.full_like(nans, n)
    qv = q.reshape(-1).astype(s.dtype)                  # (Q,)
    ranks = qv * (valid - 1).astype(s.dtype)            # (..., Q)
    if interpolation == "lower":
        ranks = jnp.floor(ranks)
    elif interpolation == "higher":
        ranks = jnp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = jnp.round(ranks)
    lo_i = jnp.clip(jnp.floor(ranks), 0, n - 1).astype(jnp.int64)
    hi_i = jnp.clip(jnp.ceil(ranks), 0, n - 1).astype(jnp.int64)
    lo = jnp.take_along_axis(s, lo_i, axis=-1)
    hi = jnp.take_along_axis(s, hi_i, axis=-1)
    if interpolation == "midpoint":
        w = jnp.where(hi_i > lo_i, 0.5, 0.0).astype(s.dtype)
    else:
        w = (ranks - jnp.floor(ranks)).astype(s.dtype)
    r = jnp.where(w < 0.5, lo + w * (hi - lo), hi - (hi - lo) * (1 - w))
    if ignore_nan:
        r = jnp.where(valid == 0, jnp.nan, r)
    else:
        r = jnp.where(nans > 0, jnp.nan, r)
    r = jnp.moveaxis(r, -1, 0)                          # (Q, ...)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * x.ndim)
        elif x.ndim:
            r = jnp.expand_dims(r, d + 1)
    if q_scalar:
        r = r[0]
    return r


def _quantile_dtype(name):
    def rule(args, statics=None):
        x, q = args
        if x._dtype.category < D.FLOAT:
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
        if hasattr(q, "_dtype") and q._dtype is not x._dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        return x._dtype
    return rule


for _name, _nan in (("quantile", False), ("nanquantile", True)):
    _q_op = _private(f"_{_name}(Tensor self, Tensor q, int? dim, bool keepdim, str interpolation, bool ignore_nan, "
                     "bool q_scalar)", _quantile, grad="SqueezeBackward4", dtype=_quantile_dtype(_name))

    def _quantile_fn(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None, _q_op=_q_op,
                     _nan=_nan, _name=_name):
        scalar = not isinstance(q, Tensor)
        if scalar:
            if not 0 <= q <= 1:
                raise RuntimeError(f"{_name}() q must be in the range [0, 1] but got {q}")
        return _q_op(input, q, dim, keepdim, interpolation, _nan, scalar or q.ndim == 0, out=out)
    _fn(_name, _quantile_fn, method=True)


_fn("msort", lambda input, *, out=None: FUNCTIONS["sort"](input, 0)[0], method=True)


def _aminmax(x, dim, keepdim):
    if x.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    axis = None if dim is None else _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        axis = None
    kd = keepdim and axis is not None
    lo, hi = jnp.min(x, axis=axis, keepdims=kd), jnp.max(x, axis=axis, keepdims=kd)
    if keepdim and axis is None and x.ndim:
        lo, hi = lo.reshape((1,) * x.ndim), hi.reshape((1,) * x.ndim)
    return lo, hi


_op("aminmax(Tensor self, *, int? dim=None, bool keepdim=False)", _aminmax, dtype="keep", returns=("min", "max"))


# ---- rearrangements ---------------------------------------------------------------------------------------
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


def _renorm(x, p, dim, maxnorm):
    if x.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, x.ndim)
    axes = tuple(a for a in range(x.ndim) if a != d)
    a = jnp.abs(x)
    if p == float("inf"):
        norm = jnp.max(a, axis=axes, keepdims=True)
    else:
        norm = jnp.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
    factor = jnp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return x * factor.astype(x.dtype)


_op("renorm(Tensor self, Scalar p, int dim, Scalar maxnorm)", _renorm, dtype=_float_only("renorm"), inplace=True)


def _dist(a, b, p):
    diff = a - b
    return _vector_norm_impl(diff, p, None, False, None)


_op("dist(Tensor self, Tensor other, Scalar p=2)", _dist, dtype=_float_only("dist"))


def _cdist(x1, x2, p, compute_mode):
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D" if x1.ndim < 2 else
                           f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values")
    batch = jnp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    a = jnp.broadcast_to(x1, batch + x1.shape[-2:])[..., :, None, :]
    b = jnp.broadcast_to(x2, batch + x2.shape[-2:])[..., None, :, :]
    return _vector_norm_impl(a - b, p, (-1,), False, None)


_op("cdist(Tensor x1, Tensor x2, float p=2.0, str? compute_mode=None)", _cdist, dtype=_float_only("cdist"),
    method=False)


def _cov(x, fweights, aweights, correction):
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} "
                           "dimensions")
    obs = x.reshape(1, -1) if x.ndim < 2 else x
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{w.ndim} dimensions")
        if w.size != obs.shape[1]:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {w.size} != {obs.shape[1]}")
    if fweights is not None and not jnp.issubdtype(fweights.dtype, jnp.integer):
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                           f"{_type_word(D._BY_NP[fweights.dtype])} dtype")
    if aweights is not None and not jnp.issubdtype(aweights.dtype, jnp.floating):
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                           f"{_type_word(D._BY_NP[aweights.dtype])} dtype")
    if not jnp.issubdtype(obs.dtype, jnp.inexact):
        obs = obs.astype(jnp.float32)
    n = obs.shape[1]
    w = None
    if fweights is not None:
        w = fweights.astype(obs.dtype)
    if aweights is not None:
        w = aweights.astype(obs.dtype) if w is None else w * aweights.astype(obs.dtype)
    if w is None:
        avg = jnp.mean(obs, axis=1)
        w_sum = jnp.asarray(n, obs.dtype)
        norm = w_sum - correction
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(obs * w, axis=1) / w_sum
        if aweights is None or correction == 0:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * jnp.sum(w * aweights.astype(obs.dtype)) / w_sum
    norm = jnp.maximum(norm, 0)
    xm = obs - avg[:, None]
    xw = xm if w is None else xm * w
    c = xw @ jnp.conj(xm).T / norm
    return jnp.squeeze(c) if x.ndim < 2 or obs.shape[0] == 1 else c


def _cov_dtype(args, statics=None):
    x = args[0]
    d = x._dtype if x._dtype.category >= D.FLOAT else D.get_default_dtype()
    return (d, None, None)


_COV = _private("_cov(Tensor self, Tensor? fweights, Tensor? aweights, int correction)", _cov,
                grad="SqueezeBackward0", dtype=_cov_dtype)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations)."""
    return _COV(input, fweights, aweights, int(correction))


def _corrcoef(x):
    c = _cov(x, None, None, 1)
    if c.ndim == 0:
        return c / c
    d = jnp.diagonal(c)
    std = jnp.sqrt(jnp.real(d))
    c = c / std[:, None] / std[None, :]
    if jnp.iscomplexobj(c):
        return lax.complex(jnp.clip(c.real, -1, 1), jnp.clip(c.imag, -1, 1))
    return jnp.clip(c, -1, 1)


_CORRCOEF = _private("_corrcoef(Tensor self)", _corrcoef, grad="ClampBackward1",
                     dtype=lambda args, statics=None: args[0]._dtype if args[0]._dtype.category >= D.FLOAT
                     else D.get_default_dtype())
_fn("cov", cov, method=True)
_fn("corrcoef", lambda input: _CORRCOEF(input), method=True)


# ---- fills, puts, scatters ---------------------------------------------------------------------------------
_FILL = _private("_fill_functional(Tensor self, Tensor value)", lambda x, v: jnp.full_like(x, v.astype(x.dtype))
                 if v.ndim == 0 else _raise_fill(v), dtype="first", grad="FillBackward0")
_fn("fill", lambda input, value: _FILL(input, value))


def _raise_fill(v):
    raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {v.ndim} dimensions.")


_fn("zero_", lambda input: METHODS["zero_"](input))
_fn("fill_", lambda input, value: METHODS["fill_"](input, value))


def _put(x, index, source, accumulate):
    flat = x.reshape(-1)
    n = flat.shape[0]
    idx = index.reshape(-1)
    idx = jnp.where(idx < 0, idx + n, idx)
    src = source.reshape(-1).astype(x.dtype)
    if accumulate:
        flat = flat.at[idx].max(src) if x.dtype == jnp.bool_ else flat.at[idx].add(src)
    else:
        flat = flat.at[idx].set(src)
    return flat.reshape(x.shape)


_op("put(Tensor self, Index index, Tensor source, bool accumulate=False)", _put, dtype="first", inplace=True)


def _masked_scatter(x, mask, source):
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_type_word(D._BY_NP[mask.dtype])}")
    shape = jnp.broadcast_shapes(x.shape, mask.shape)
    xb = jnp.broadcast_to(x, shape).reshape(-1)
    m = jnp.broadcast_to(mask, shape).reshape(-1)
    pos = jnp.clip(jnp.cumsum(m) - 1, 0, builtins.max(source.size - 1, 0))
    vals = source.reshape(-1).astype(x.dtype)[pos] if source.size else jnp.zeros_like(xb)
    return jnp.where(m, vals, xb).reshape(shape)


_op("masked_scatter(Tensor self, Index mask, Tensor source)", _masked_scatter, dtype="first", inplace=True)


def _index_reduce(x, dim, index, source, reduce, include_self):
    if x.ndim == 0:
        return _index_reduce(x.reshape(1), 0, index, source.reshape(1), reduce, include_self).reshape(())
    d = _wrap_dim(dim, x.ndim)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    xm = jnp.moveaxis(x, d, 0)
    sm = jnp.moveaxis(source.astype(x.dtype), d, 0)
    if not include_self:
        fill = {"prod": 1, "mean": 0, "amax": -jnp.inf, "amin": jnp.inf}[reduce]
        if not jnp.issubdtype(x.dtype, jnp.inexact) and reduce in ("amax", "amin"):
            info = jnp.iinfo(x.dtype)
            fill = info.min if reduce == "amax" else info.max
        xm = xm.at[index].set(jnp.asarray(fill, x.dtype))
    if reduce == "prod":
        # dense: every target row times the source rows that index it (differentiable, zeros included)
        hit = index[None, :] == jnp.arange(xm.shape[0])[:, None]                  # (targets, sources)
        hit = hit.reshape(hit.shape + (1,) * (xm.ndim - 1))
        out = xm * jnp.prod(jnp.where(hit, sm[None], jnp.ones((), x.dtype)), axis=1)
    elif reduce == "amax":
        out = xm.at[index].max(sm)
    elif reduce == "amin":
        out = xm.at[index].min(sm)
    else:
        total = xm.at[index].add(sm)
        count = jnp.zeros(xm.shape[0], x.dtype).at[index].add(1)
        if include_self:
            count = count + 1
        count = jnp.maximum(count, 1).reshape((-1,) + (1,) * (xm.ndim - 1))
        out = total / count if jnp.issubdtype(x.dtype, jnp.inexact) else total // count
    return jnp.moveaxis(out, 0, d)


_op("index_reduce(Tensor self, int dim, Index index, Tensor source, str reduce, *, bool include_self=True)",
    lambda x, i, s, d, r, inc: _index_reduce(x, d, i, s, r, inc), dtype="first", inplace=True)




# ---- data-dependent shapes (the index list is computed on the host) -----------------------------------------
def _host(t):
    return np.asarray(t.detach()._arr())


def nonzero(input, *, out=None, as_tuple=False):
    a = _host(input)
    if as_tuple:
        if a.ndim == 0:
            return (tensor(np.nonzero(a.reshape(1))[0].astype(np.int64)),)
        return tuple(tensor(i.astype(np.int64)) for i in np.nonzero(a))
    if a.ndim == 0:
        return tensor(np.zeros((1 if a else 0, 0), np.int64))
    return tensor(np.argwhere(a).astype(np.int64).reshape(-1, a.ndim))


_fn("nonzero", nonzero, method=True)


def nonzero_static(input, *, size, fill_value=-1):
    """The first ``size`` rows of ``nonzero(input)``, padded with ``fill_value``."""
    a = _host(input)
    idx = np.argwhere(a).astype(np.int64)[:size]
    if a.ndim == 0:
        return tensor(np.zeros((size, 0), np.int64))
    pad = np.full((size - idx.shape[0], a.ndim), fill_value, np.int64)
    return tensor(np.concatenate([idx, pad], axis=0))


_fn("nonzero_static", nonzero_static, method=True)
_fn("argwhere", lambda input: nonzero(input), method=True)


_MASKED_GATHER = _private("_masked_select_gather(Tensor self, Index index, int[] shape)",
                          lambda x, idx, shape: jnp.broadcast_to(x, shape).reshape(-1)[idx], dtype="keep",
                          grad="MaskedSelectBackward0")


def masked_select(input, mask, *, out=None):
    """The elements of ``input`` where ``mask`` (broadcast) is true, as a 1-D tensor."""
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(input.shape, mask.shape)
    m = np.broadcast_to(_host(mask), tuple(shape)).reshape(-1)
    idx = tensor(np.nonzero(m)[0].astype(np.int64))
    if isinstance(out, R._Tensor):
        R.check_no_partial_overlap(out, (mask,), full=True)
    return _MASKED_GATHER(input, idx, tuple(shape), out=out)


_fn("masked_select", masked_select, method=True)


_REPEAT_INTERLEAVE = _private("_repeat_interleave(Tensor self, Index repeats, int? dim, int total)",
                              lambda x, r, dim, total: jnp.repeat(x if dim is not None else x.reshape(-1), r,
                                                                  axis=0 if dim is None else dim,
                                                                  total_repeat_length=total),
                              dtype="keep", grad="ViewBackward0")


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or a tensor of counts) along ``dim`` (flattened if None)."""
    if repeats is None:     # repeat_interleave(repeats): indices repeated
        r = _host(input)
        return tensor(np.repeat(np.arange(r.shape[0]), r).astype(np.int64))
    if dim is not None:
        dim = _wrap_dim(dim, input.ndim)
    n = input.numel() if dim is None else input.shape[dim]
    if isinstance(repeats, Tensor):
        r = _host(repeats).astype(np.int64).reshape(-1)
        if r.size == 1:
            r = np.full(n, r[0])
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
    else:
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        r = np.full(n, int(repeats), np.int64)
    if r.size != n:
        raise RuntimeError("repeats must have the same size as input along dim")
    return _REPEAT_INTERLEAVE(input, tensor(r), dim, int(r.sum()))


_fn("repeat_interleave", repeat_interleave, method=True)


# ---- creation helpers ------------------------------------------------------------------------------------------
def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False):
    return tensor(s, dtype=dtype or D.get_default_dtype(), device=device, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    if len(tuple(size)) != len(tuple(physical_layout)):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(tuple(size))} is not equal to len(physical_layout) = "
                           f"{len(tuple(physical_layout))}")
    if sorted(physical_layout) != list(range(len(tuple(size)))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout {list(physical_layout)}")
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


_fn("scalar_tensor", scalar_tensor)
_fn("empty_strided", empty_strided)
_fn("empty_permuted", empty_permuted)


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                       pin_memory=False):
    return self.new_empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


_fn("new_empty_strided", _new_empty_strided, method=True, function=False)


def _sum_to_size(self, *size):
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    size = tuple(size)
    if not size:
        return self.sum()
    lead = self.ndim - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self.shape))}}}.")
    dims = list(range(lead)) + [lead + i for i, n in enumerate(size) if n == 1 and self.shape[lead + i] != 1]
    for i, n in enumerate(size):
        if n != 1 and n != self.shape[lead + i]:
            raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                               f"{{{', '.join(map(str, self.shape))}}}.")
    r = self.sum(dims, keepdim=True) if dims else self
    return r.reshape(size) if lead else r


_fn("sum_to_size", _sum_to_size, method=True, function=False)
publish("__rdiv__", method=lambda self, other: self.__rtruediv__(other))


# ---- short-time Fourier transform ---------------------------------------------------------------------------------
def _stft(x, window, n_fft, hop, win_length, center, pad_mode, normalized, onesided, as_real):
    if x.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {x.ndim}D")
    batched = x.ndim == 2
    if not batched:
        x = x[None]
    if center:
        p = n_fft // 2
        mode = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}[pad_mode]
        x = jnp.pad(x, ((0, 0), (p, p)), mode=mode)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is None:
        window = jnp.ones((win_length,), x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32)
    if window.shape != (win_length,):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    window = jnp.pad(window, (left, n_fft - win_length - left))
    n_frames = 1 + (length - n_fft) // hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = x[:, idx] * window                               # (B, frames, n_fft)
    spec = jnp.fft.rfft(frames, axis=-1) if onesided else jnp.fft.fft(frames, axis=-1)
    if normalized:
        spec = spec * (1.0 / math.sqrt(n_fft))
    spec = jnp.swapaxes(spec, -1, -2)                         # (B, freq, frames)
    if not batched:
        spec = spec[0]
    if as_real:
        spec = jnp.stack([spec.real, spec.imag], axis=-1)
    return spec


_STFT = _private("_stft(Tensor self, Tensor? window, int n_fft, int hop, int win_length, bool center, str pad_mode, "
                 "bool normalized, bool onesided, bool as_real)", _stft, grad="FftR2CBackward0", dtype="keep")


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform: windowed frames of ``input`` (padded by ``n_fft // 2`` on each side
    when ``center``), one FFT per frame; ``(freq, frames)`` (with a leading batch dimension for 2-D input)."""
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if onesided is None:
        onesided = not complex_in
    if onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    wl = n_fft if win_length is None else int(win_length)
    return _STFT(input, window, int(n_fft), hop, wl, bool(center), pad_mode, bool(normalized), bool(onesided),
                 not return_complex)


_fn("stft", stft, method=True)


# ---- out= rules stricter than the registry's default ---------------------------------------
# PyTorch refuses an out= tensor sharing any memory with an input (not only partly) for ops whose
# output is not elementwise in their inputs, and an out= tensor of another dtype for some ops.
for _name in ("cat", "stack", "take", "index_select", "gather", "kthvalue", "index_add", "_masked_select_gather",
              "_max_dim", "_min_dim"):
    OPS[_name].out_no_alias = True
for _name in ("gather", "aminmax", "complex"):
    OPS[_name].out_exact_dtype = True


# ---- resize_ / resize_as_ ---------------------------------------------------------------------------
def resize_(self, *sizes, memory_format=None):
    """``self`` becomes a contiguous tensor of ``sizes`` over the same storage, from its storage offset:
    the elements it keeps are the storage's, in order; a larger size grows the storage (new elements are
    zeros here, uninitialised in PyTorch).  A tensor that requires grad cannot be resized."""
    shape = _size(sizes)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(shape)}: {list(shape)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    st = self._storage
    offset = self._layout()[2]
    need = offset + math.prod(shape)
    if need > st.array.size:
        flat = st.array.reshape(-1)
        grown = jnp.zeros((need,), self._dtype.np).at[:flat.size].set(flat)
        self._storage = V.Storage(grown)    # PyTorch grows the shared storage in place: aliases are left behind
        self._view = ((flat.size - offset,), (1,), offset) if offset else None
        self._base = None
        self._cache, self._cache_gen = None, -1
    self._resize_to(shape)
    return self


def resize_as_(self, the_template, *, memory_format=None):
    """``self.resize_(the_template.shape)``."""
    if not isinstance(the_template, R._Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 2) must be Tensor, not "
                        f"{type(the_template).__name__}")
    return resize_(self, tuple(the_template.shape), memory_format=memory_format)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """``self`` becomes another window on ``source``'s storage: a tensor's (its size, stride and offset
    unless given), or a storage's (the whole storage as 1-D unless given); ``set_()`` leaves it empty.
    Writes through either are seen by both.  Only the storage is taken: ``self`` keeps its own autograd
    state (see docs/differences.md)."""
    T = R._Tensor
    R.check_inplace(self, overlap_ok=True)
    if source is None:
        if size is not None or storage_offset:
            raise TypeError("set_() received an invalid combination of arguments")
        st, layout = V.Storage(jnp.zeros((0,), self._dtype.np)), ((0,), (1,), 0)
    else:
        if isinstance(source, T):
            flat_dtype, st = source._dtype, source._storage
            layout = source._layout() if size is None else None
            start = 0
        elif isinstance(source, _StorageBase):
            flat = source._flat
            flat_dtype, st = flat._dtype, flat._storage
            start = flat._layout()[2] + getattr(source, "_start", 0) // flat_dtype.itemsize
            layout = ((flat.numel() - start,), (1,), start) if size is None else None
            if size is None and storage_offset:
                raise TypeError("set_() received an invalid combination of arguments")
        else:
            raise TypeError(f"set_() received an invalid combination of arguments - got ({type(source).__name__}), "
                            "but expected one of:\n * ()\n * (torch.Storage source)\n * (torch.Storage source, "
                            "int storage_offset, tuple of ints size, tuple of ints stride)\n * (Tensor source)\n"
                            " * (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride)")
        if flat_dtype is not self._dtype:
            if isinstance(source, T):
                raise RuntimeError(f"Could not set tensor of type {_CPP_TYPE.get(flat_dtype.name, flat_dtype.name)} "
                                   f"to a tensor of type {_CPP_TYPE.get(self._dtype.name, self._dtype.name)}")
            raise NotImplementedError(f"set_(): a storage of {flat_dtype} elements viewed as {self._dtype} (its "
                                      "bytes reinterpreted) is not supported (docs/differences.md)")
        if layout is None:
            size = tuple(int(n) for n in size)
            stride = V.contiguous_strides(size) if stride is None else tuple(int(n) for n in stride)
            offset = int(storage_offset)
            if any(n < 0 for n in size):
                raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(size)}: {list(size)}")
            numel = st.array.size
            need = 0 if 0 in size else offset + 1 + builtins.sum((n - 1) * k for n, k in zip(size, stride))
            if need > numel:
                isz = self._dtype.itemsize
                raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                                   f"and itemsize {isz} requiring a storage size of {need * isz} are out of bounds "
                                   f"for storage of size {numel * isz}")
            layout = (size, stride, offset)
    shape, strides, offset = (tuple(layout[0]), tuple(layout[1]), layout[2])
    self._storage = st
    whole = offset == 0 and shape == tuple(st.array.shape) and strides == V.contiguous_strides(shape)
    self._view = None if whole else (shape, strides, offset)
    self._base = None
    self._cache, self._cache_gen = None, -1
    self._vc[0] += 1
    return self


publish("resize_", method=resize_)
publish("set_", method=set_)
publish("resize_as_", resize_as_, method=True)
