"""Gathers and scatters: ``gather``, ``scatter``/``scatter_add``/``scatter_reduce``, ``index_select``,
``index_add``/``index_fill``/``index_copy``/``index_reduce``, ``take``, ``take_along_dim``, ``put``,
``masked_scatter``, the scatters into a view (``diagonal_scatter``, ``select_scatter``, ``slice_scatter``,
``as_strided_scatter``), and the ops whose output shape depends on the values (``nonzero``, ``argwhere``,
``masked_select``, ``repeat_interleave``: that part is computed on the host, as PyTorch must synchronise
for it too).  ``tensor[index]`` itself is ``_indexing``.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _registry as R
from ._registry import OPS, _type_word, _wrap_dim, defop
from ._ops_pointwise import _no_derivative
from ._tensor import Tensor
from ._creation import tensor
from ._ops_common import _fn, _op, _private
from ._ops_shape import broadcast_shapes

# ---- gather / scatter / index ----------------------------------------------
# The dtype rules of these ops see the index too (``with_indices``): they check its dtype,
# shape and - when its values are concrete - its bounds, raising PyTorch's errors where
# XLA would silently clamp or fill (gathers) or drop (scatters) out-of-range indices.

def _index_rule(check):
    def rule(args, statics=None):
        check(args, statics)
        return None
    rule.with_indices = True
    return rule


def _host(t):
    """The values of a concrete tensor as numpy (None while JAX traces it)."""
    a = t._arr()
    return None if isinstance(a, jax.core.Tracer) else np.asarray(a)


def _check_bounds(index, size, error, allow_negative=False):
    h = _host(index)
    if h is None or h.size == 0:
        return
    bad = h[(h < (-size if allow_negative else 0)) | (h >= size)]
    if bad.size:
        raise error(int(bad.flat[0]))


def _long_index(index, error):
    if index._dtype is not D.int64:
        raise error(index._dtype)


def _integer_index(index, error):
    if index._dtype.category != D.INT:
        raise error(index._dtype)


def _same_dtype_as_self(x, src, message):
    if isinstance(src, R._Tensor) and src._dtype is not x._dtype:
        raise RuntimeError(message(x._dtype, src._dtype))


def _check_gather_like(name, x, dim, index):
    n = x._ndim()
    d = _wrap_dim(dim, n)
    _integer_index(index, lambda t: RuntimeError(f"{name}(): Expected dtype int64 for index"))
    if index._ndim() != max(n, 1) and not (n == 0 and index._ndim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(n):
        if k != d and index.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be no larger "
                               f"than self {list(x.shape)} apart from dimension {d}")
    size = x.shape[d] if n else 1
    _check_bounds(index, size, lambda i: RuntimeError(f"index {i} is out of bounds for dimension {d} with size {size}"))
    return d


def _gather(x, index, dim, sparse_grad):
    if x.ndim == 0:
        return jnp.broadcast_to(x, index.shape)
    d = dim % x.ndim
    x = x[tuple(slice(None) if k == d else slice(0, n) for k, n in enumerate(index.shape))]
    return jnp.take_along_axis(x, index, axis=d)


defop("gather(Tensor self, int dim, Index index, *, bool sparse_grad=False)", _gather,
      dtype=_index_rule(lambda args, st: _check_gather_like("gather", args[0], st[0], args[1])))


def _scatter_idx(dim, index):
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in index.shape], indexing="ij"))
    grids[dim] = index
    return tuple(grids)


def _scatter_src(x, index, src):
    if jnp.ndim(src) == 0:
        return jnp.broadcast_to(jnp.asarray(src, x.dtype), index.shape)
    return src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)


def _scatter_prod(x, d, index, src):
    """``x`` times, at each target, the product of the ``src`` values sent there (a dense
    product along ``d``: JAX's scatter-multiply has no gradient for repeated indices)."""
    n = x.shape[d]
    hits = index[..., None] == jnp.arange(n)
    factors = jnp.where(hits, src[..., None], jnp.ones((), x.dtype))
    p = jnp.moveaxis(jnp.prod(factors, axis=d), -1, d)
    p = jnp.pad(p, [(0, x.shape[k] - p.shape[k]) for k in range(x.ndim)], constant_values=1)
    return x * p


def _lowest(dtype, highest=False):
    if jnp.issubdtype(dtype, jnp.floating):
        return jnp.asarray(jnp.inf if highest else -jnp.inf, dtype)
    info = jnp.iinfo(dtype) if dtype != jnp.bool_ else None
    return jnp.asarray(True if highest else False) if info is None else jnp.asarray(info.max if highest else info.min,
                                                                                     dtype)


def _scatter_reduce(x, index, src, dim, reduce, include_self):
    if x.dtype == jnp.bool_:            # XLA has no bool arithmetic: reduce 0/1 bytes, then back to bool
        r = _scatter_reduce(x.astype(jnp.uint8), index, jnp.asarray(src).astype(jnp.uint8), dim, reduce,
                            include_self)
        return r != 0
    if x.ndim == 0:
        x, index, src = x.reshape(1), index.reshape(-1), jnp.reshape(src, (-1,))
        return _scatter_reduce(x, index, src, 0, reduce, include_self).reshape(())
    d = dim % x.ndim
    src = _scatter_src(x, index, src)
    idx = _scatter_idx(d, index)
    reduce = {"max": "amax", "min": "amin", "add": "sum", "multiply": "prod"}.get(reduce, reduce)
    if reduce == "sum":
        base = x if include_self else x.at[idx].set(jnp.zeros((), x.dtype))
        return base.at[idx].add(src)
    if reduce == "prod":
        base = x if include_self else x.at[idx].set(jnp.ones((), x.dtype))
        return _scatter_prod(base, d, index, src)
    if reduce in ("amax", "amin"):
        base = x if include_self else x.at[idx].set(_lowest(x.dtype, highest=reduce == "amin"))
        return base.at[idx].max(src) if reduce == "amax" else base.at[idx].min(src)
    # mean
    count = jnp.zeros(x.shape, x.dtype).at[idx].add(jnp.ones((), x.dtype))
    total = (x if include_self else x.at[idx].set(jnp.zeros((), x.dtype))).at[idx].add(src)
    n = count + 1 if include_self else jnp.maximum(count, 1)
    mean = total / n if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.floor_divide(total, n)
    return mean if include_self else jnp.where(count > 0, mean, x)


def _scatter_set(x, index, src, dim):
    if x.ndim == 0:
        return jnp.reshape(_scatter_src(x.reshape(1), index.reshape(-1), jnp.reshape(src, (-1,))), ())
    d = dim % x.ndim
    return x.at[_scatter_idx(d, index)].set(_scatter_src(x, index, src))


def _scatter(x, index, src, dim, reduce):
    if reduce is None:
        return _scatter_set(x, index, src, dim)
    return _no_derivative(lambda a, i, b: _scatter_reduce(a, i, b, dim, reduce, True), "scatter")(x, index, src)


def _check_scatter(name, reduces=None, message=None):
    def check(args, statics):
        x, index, src = args[0], args[1], args[2]
        _check_gather_like(name, x, statics[0], index)
        _same_dtype_as_self(x, src, lambda a, b: f"{name}(): Expected self.dtype to be equal to src.dtype")
        if isinstance(src, R._Tensor):
            for k in range(src._ndim()):
                if index.shape[k] > src.shape[k]:
                    raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                                       f"no larger than src {list(src.shape)}")
        if reduces is not None:
            reduce = statics[1]
            if reduce is not None and reduce not in reduces:
                raise RuntimeError(message.format(reduce))
    return check


defop("scatter(Tensor self, int dim, Index index, Tensor? src, *, str? reduce=None)", _scatter, inplace=True,
      dtype=_index_rule(_check_scatter("scatter", ("add", "multiply"),
                                       "reduce argument must be either add or multiply. Got {}")),
      grad=lambda args, statics: "NotImplemented" if statics[1] is not None else
      "ScatterBackward0" if isinstance(args[2], R._Tensor) else "ScatterBackward1")
defop("scatter_add(Tensor self, int dim, Index index, Tensor src)",
      lambda x, i, s, d: _scatter_reduce(x, i, s, d, "sum", True), inplace=True,
      dtype=_index_rule(_check_scatter("scatter_add")))


def _scatter_reduce_op(x, index, src, dim, reduce, include_self):
    if reduce in ("max", "min"):
        return _no_derivative_reduce(x, index, src, dim, reduce, include_self)
    return _scatter_reduce(x, index, src, dim, reduce, include_self)


def _no_derivative_reduce(x, index, src, dim, reduce, include_self):
    """``reduce='max'/'min'``: accepted by PyTorch's forward, rejected by its backward."""
    @jax.custom_vjp
    def f(x, src):
        return _scatter_reduce(x, index, src, dim, reduce, include_self)

    def bwd(_, g):
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.")
    f.defvjp(lambda x, src: (f(x, src), None), bwd)
    return f(x, src)


defop("scatter_reduce(Tensor self, int dim, Index index, Tensor src, str reduce, *, bool include_self=True)",
      _scatter_reduce_op, inplace=True, grad="ScatterReduceBackward0", dtype=_index_rule(_check_scatter(
          "scatter_reduce", ("sum", "prod", "mean", "amax", "amin", "max", "min"),
          "reduce argument must be either sum, prod, mean, amax or amin, got {}")))


def _check_index_select(args, statics):
    x, index = args
    d = _wrap_dim(statics[0], x._ndim())
    _integer_index(index, lambda t: RuntimeError("index_select(): Expected dtype int32 or int64 for index"))
    if index._ndim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not x._ndim() and index.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
    size = x.shape[d] if x._ndim() else 1
    # PyTorch's message (and type) differ between the first and the other dimensions
    _check_bounds(index, size, lambda i: IndexError("index out of range in self") if d == 0 else
                  RuntimeError(f"INDICES element is out of DATA bounds, id={i} axis_dim={size}"))


def _index_select(x, index, dim):
    if x.ndim == 0:
        return x        # a 0-dim self gives a 0-dim result (its one index was checked to be 0)
    return jnp.take(x, index.reshape(-1), axis=dim % x.ndim)


defop("index_select(Tensor self, int dim, Index index)", _index_select, dtype=_index_rule(_check_index_select))


def _along(x, dim, index):
    """The index expression selecting ``index`` along ``dim`` (0-dim ``x``: the whole thing)."""
    d = dim % max(x.ndim, 1)
    idx = [slice(None)] * x.ndim
    if x.ndim:
        idx[d] = index.reshape(-1)
    return tuple(idx)


def _check_index_op(name, index_error, source_message=None, vector_error=None):
    def check(args, statics):
        x, index = args[0], args[1]
        n = x._ndim()
        d = _wrap_dim(statics[0], n)
        index_error(index)
        if index._ndim() > 1:
            if name == "index_add":
                raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._ndim()} with "
                                 f"type: {R._type_word(index._dtype)} and size: {list(index.shape)}")
            raise (vector_error or (lambda: IndexError(f"{name}(): Index is supposed to be a vector")))()
        if source_message is not None and len(args) > 2:
            _same_dtype_as_self(x, args[2], source_message)
        if name == "index_add" and isinstance(args[2], R._Tensor):
            src = args[2]
            if src._ndim() != n or any(a != b for k, (a, b) in enumerate(zip(x.shape, src.shape)) if k != d):
                raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                                   f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(src.shape)}")
            count = src.shape[d] if n else 1
            if index.numel() != count:
                raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                                   f"source.size(dim): ({count}), for dim: {d}")
        size = x.shape[d] if n else 1
        # index_add's kernel checks bounds itself and raises RuntimeError; the indexing ops IndexError
        kind = RuntimeError if name == "index_add" else IndexError
        _check_bounds(index, size, lambda i: kind(f"index {i} is out of bounds for dimension {d} with size {size}"))
    return check


def _index_add(x, index, src, dim, alpha):
    src = jnp.asarray(src, x.dtype)
    if alpha != 1:
        src = (alpha * src).astype(x.dtype)
    if x.ndim == 0:
        return x + src.reshape(()) if index.size else x
    return x.at[_along(x, dim, index)].add(src)


def _long_or_int(name):
    return lambda i: _integer_index(i, lambda t: RuntimeError(f"{name}(): Expected dtype int32/int64 for index"))


defop("index_add(Tensor self, int dim, Index index, Tensor source, *, Scalar alpha=1)", _index_add, inplace=True,
      dtype=_index_rule(_check_index_op(
          "index_add",
          lambda i: _integer_index(i, lambda t: RuntimeError(
              f"index_add_(): Expected dtype int32/int64 for index but got: {R._type_word(t)}")),
          lambda a, b: f"index_add_(): self ({R._type_word(a)}) and source ({R._type_word(b)}) must have the same "
                       f"scalar type")))


def _index_fill(x, index, value, dim):
    v = jnp.asarray(value, x.dtype)
    if x.ndim == 0:
        return jnp.where(index.size > 0, v, x)
    return x.at[_along(x, dim, index)].set(v)


def _check_index_fill(args, statics):
    value = args[2]
    if isinstance(value, R._Tensor) and value._ndim():
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._ndim()} dimension(s).")
    _check_index_op("index_fill", lambda i: _long_index(
        i, lambda t: IndexError("index_fill_(): Expected dtype int64 for index.")),
        vector_error=lambda: RuntimeError("Index has to be a vector/scalar"))(args, statics)


defop("index_fill(Tensor self, int dim, Index index, Tensor? value)", _index_fill, inplace=True,
      dtype=_index_rule(_check_index_fill),
      grad=lambda args, statics: "IndexFillBackward1" if isinstance(args[2], R._Tensor) else "IndexFillBackward0")


def _index_copy(x, index, src, dim):
    if x.ndim == 0:
        return jnp.where(index.size > 0, src.reshape(()), x).astype(x.dtype)
    return x.at[_along(x, dim, index)].set(src.astype(x.dtype))


defop("index_copy(Tensor self, int dim, Index index, Tensor source)", _index_copy, inplace=True,
      dtype=_index_rule(_check_index_op(
          "index_copy", lambda i: _long_index(i, lambda t: RuntimeError(
              f"index_copy_(): Expected a long tensor for index, but got {R._type_word(t)}")),
          lambda a, b: f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                       f"{R._type_word(a)} and (source) {R._type_word(b)}")))


def _check_take(args, statics):
    x, index = args
    _long_index(index, lambda t: RuntimeError(f"take(): Expected a long tensor for index, but got {R._type_word(t)}"))
    n = x.numel()
    _check_bounds(index, n, lambda i: IndexError(f"out of range: tried to access index {i} on a tensor of {n} elements."),
                  allow_negative=True)


def _check_take_along_dim(args, statics):
    x, index = args
    if index._dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {R._type_word(index._dtype)}")
    dim = statics[0]
    if dim is None:
        _check_bounds(index, x.numel(), lambda i: RuntimeError(f"index {i} is out of bounds for dimension 0 with size "
                                                               f"{x.numel()}"))
        return
    n = x._ndim()
    d = _wrap_dim(dim, n)
    if index._ndim() != n:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {n} dimensions for input, and {index._ndim()} dimensions for indices")


def _take_along_dim(x, idx, dim):
    if dim is None:
        return jnp.take(x.reshape(-1), idx.reshape(-1))
    d = dim % max(x.ndim, 1)
    shape = list(jnp.broadcast_shapes(tuple(n for k, n in enumerate(x.shape) if k != d),
                                      tuple(n for k, n in enumerate(idx.shape) if k != d)))
    xs, ix = list(shape), list(shape)
    xs.insert(d, x.shape[d])
    ix.insert(d, idx.shape[d])
    return jnp.take_along_axis(jnp.broadcast_to(x, xs), jnp.broadcast_to(idx, ix), axis=d)


defop("take(Tensor self, Index index)", lambda x, i: jnp.take(x.reshape(-1), i), dtype=_index_rule(_check_take))
defop("take_along_dim(Tensor self, Index indices, int? dim=None)", _take_along_dim, grad="GatherBackward0",
      dtype=_index_rule(_check_take_along_dim))


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


# ---- put, masked_scatter, index_reduce -------------------------------------------------------------
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
def _host_array(t):
    return np.asarray(t.detach()._arr())


def nonzero(input, *, out=None, as_tuple=False):
    a = _host_array(input)
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
    a = _host_array(input)
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
    m = np.broadcast_to(_host_array(mask), tuple(shape)).reshape(-1)
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
        r = _host_array(input)
        return tensor(np.repeat(np.arange(r.shape[0]), r).astype(np.int64))
    if dim is not None:
        dim = _wrap_dim(dim, input.ndim)
    n = input.numel() if dim is None else input.shape[dim]
    if isinstance(repeats, Tensor):
        r = _host_array(repeats).astype(np.int64).reshape(-1)
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


# out= rules stricter than the registry's default: PyTorch refuses an out= tensor sharing any memory
# with an input (not only partly) for ops whose output is not elementwise in their inputs, and an
# out= tensor of another dtype for some ops
for _name in ("take", "index_select", "gather", "index_add", "_masked_select_gather"):
    OPS[_name].out_no_alias = True
OPS["gather"].out_exact_dtype = True
