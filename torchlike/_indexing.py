"""``tensor[index]`` and ``tensor[index] = value``, with PyTorch's rules.

An index is a tuple of items (a list that holds a tensor, a sequence, a slice,
``None`` or ``...`` counts as a tuple too, as in PyTorch).  Items are applied in
two stages, as PyTorch does:

1. **Basic items become views**: an int (or a 0-dim integer tensor) is
   ``select``, a slice is ``slice`` (steps must be positive), ``None`` is
   ``unsqueeze``, ``...`` spans the dimensions no other item consumes.  The
   result aliases the tensor; its grad_fn is ``SelectBackward0``,
   ``SliceBackward0``, ``UnsqueezeBackward0`` (``AliasBackward0`` when a tuple
   changes nothing).  Inside a tuple a slice that covers the whole dimension is
   skipped; a bare ``x[:]`` still makes a ``slice``.
2. **Advanced items index the view**: integer tensors, lists and numpy arrays,
   bool masks (one index per mask dimension, from its nonzero positions) and
   bool scalars (a new dimension of size 1 or 0).  They are broadcast together
   and gathered by one ``index`` op (``IndexBackward0``).  Their positions are
   those in the view, so ints already removed their dimensions while ``None``
   added one: when the advanced items are adjacent there the result dimensions
   replace them in place, otherwise they go first (NumPy's rule, which JAX's
   own indexing follows).

``x[index] = value`` resolves the same view, then copies into it (``copy_`` /
``fill_``: the base of a tensor with history gets ``CopySlices``) or, with
advanced items, runs ``index_put_`` on it (``IndexPutBackward0``).
"""
from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _registry as R
from ._ops_views import _lay_select, _lay_slice, _lay_unsqueeze, _slice_bounds
from ._registry import OPS, DTYPE_RULES, Op, call, call_inplace, _constant, _type_word
from ._names import publish
from ._state import local as _local, tracking as _TRACKING
from ._tensor import Tensor
from ._ops_copy import copy_, fill_

_INDEX_TYPES = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"
_BAD_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"

# item kinds after classification
_ELLIPSIS, _NONE, _BOOL, _INT, _SLICE, _MASK, _ARRAY = range(7)


# ---- parsing --------------------------------------------------------------------------

def _as_tuple(index, Tensor):
    """PyTorch's reading of an index as a tuple of items."""
    if type(index) is tuple:
        return index
    if type(index) is list and len(index) < 32:
        for i in index:
            if i is None or i is Ellipsis or isinstance(i, (Tensor, list, tuple, slice)):
                return tuple(index)
    return (index,)


def _int_of(v, Tensor):
    if isinstance(v, Tensor):
        return int(v.item())
    return v.__index__()


def _classify(i, Tensor):
    """``(kind, payload)`` for one index item."""
    if i is None:
        return _NONE, None
    if i is Ellipsis:
        return _ELLIPSIS, None
    if isinstance(i, (bool, np.bool_)):
        return _BOOL, bool(i)
    if isinstance(i, (int, np.integer)):
        return _INT, int(i)
    if isinstance(i, slice):
        step = 1 if i.step is None else _int_of(i.step, Tensor)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
        start = None if i.start is None else _int_of(i.start, Tensor)
        stop = None if i.stop is None else _int_of(i.stop, Tensor)
        return _SLICE, (start, stop, step)
    if isinstance(i, Tensor):
        d = i._dtype
        if d is D.bool or d is D.uint8:
            if d is D.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                              "instead.", UserWarning, stacklevel=4)
            if i.ndim == 0:
                return _BOOL, bool(i.item())
            return _MASK, np.asarray(i._arr()).astype(bool)
        if d is not D.int64 and d is not D.int32:
            raise IndexError(_BAD_INDEX_DTYPE)
        if i.ndim == 0:
            return _INT, int(i.item())
        a = i._arr()
        return _ARRAY, a if a.dtype == np.int64 else a.astype(np.int64)
    if isinstance(i, str):
        raise TypeError(f"new(): invalid data type '{type(i).__name__}'")
    if isinstance(i, (list, tuple, np.ndarray)):
        a = _sequence_array(i, Tensor)
        if a.dtype == np.bool_:
            return _MASK, a
        return _ARRAY, a
    if isinstance(i, float):
        raise IndexError(f"{_INDEX_TYPES} (got float)")
    if hasattr(i, "__index__"):
        return _INT, i.__index__()
    raise IndexError(f"{_INDEX_TYPES} (got {type(i).__name__})")


def _sequence_array(i, Tensor):
    if isinstance(i, (list, tuple)) and any(isinstance(v, Tensor) for v in i):
        i = [v.item() if isinstance(v, Tensor) else v for v in i]
    try:
        a = np.asarray(i)
    except ValueError:
        raise IndexError(_BAD_INDEX_DTYPE) from None
    if a.dtype == np.bool_ and a.size:
        return a
    if a.dtype.kind in "USO":
        raise TypeError(f"new(): invalid data type '{'str' if a.dtype.kind == 'U' else a.dtype.name}'")
    if a.dtype.kind == "c":
        raise IndexError(_BAD_INDEX_DTYPE)
    return a.astype(np.int64)          # PyTorch reads a sequence index as long (floats truncate)


def _parse(t, index):
    """The classified items of ``index`` for tensor ``t``, and whether it was a bare slice."""
    items = [_classify(i, Tensor) for i in _as_tuple(index, Tensor)]
    ndim = t.ndim
    used = 0
    for kind, p in items:
        if kind == _INT or kind == _SLICE or kind == _ARRAY:
            used += 1
        elif kind == _MASK:
            used += p.ndim
    if used > ndim:
        if ndim == 0 and len(items) == 1:
            kind = items[0][0]
            if kind == _INT:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            if kind == _SLICE:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    return items, used


# ---- stage 1: basic items as views; stage 2: advanced items collected ---------------

def plain_views(t):
    """Can views of ``t`` be made from their layout alone?  Yes when autograd records no node for
    them and nothing watches ops (``torchlike.compile``'s tracker, forward AD, the profiler): the
    view op would then only compute the values its layout reads."""
    return (not (t._requires_grad and _local.state.grad_enabled)
            and (not _TRACKING[0] or _local.state.tracker is None) and R._extra is None)


def _select_view(t, dim, index):
    """``t.select(dim, index)`` (index in range) as a plain view."""
    return t._layout_view(_lay_select(t._layout(), (dim, index), None, 0))


def _slice_view(t, dim, start, stop, step):
    """``t[..., start:stop:step]`` along ``dim`` (step >= 1) as a plain view."""
    parent = t._layout()
    shape = list(parent[0])
    shape[dim] = len(range(*_slice_bounds(shape[dim], start, stop, step)))
    return t._layout_view(_lay_slice(parent, (dim, start, stop, step), shape, 0))


def iter_views(t):
    """``iter(t)`` when ``plain_views(t)``: the views ``t[0]``, ``t[1]``, ... as they are asked for."""
    shape, strides, offset = t._layout()
    layout = (shape[1:], strides[1:])       # shared by the elements (``_select_view``'s along dim 0)
    step = strides[0]
    for k in range(shape[0]):
        yield t._layout_view(layout + (offset + k * step,))


def _apply(t, items, used, bare_slice, for_set):
    """``(view, advanced)``: ``view`` after the basic items; ``advanced`` is a list of
    ``(dim in view, int64 index array)``, bool masks expanded to their nonzero positions."""
    out = t
    ndim = t.ndim
    dim = 0
    adv = []
    plain = plain_views(t)
    for kind, p in items:
        if kind == _SLICE:
            start, stop, step = p
            if dim >= out.ndim:         # only reachable past several ellipses
                if (start is None or start == 0) and step == 1 and (stop is None or stop >= 0):
                    dim += 1
                    continue
                raise IndexError(f"Dimension out of range (expected to be in range of [{-out.ndim}, "
                                 f"{out.ndim - 1}], but got {dim})")
            n = out.shape[dim]
            whole = (start is None or start == 0) and step == 1 and (stop is None or stop >= n)
            if not whole or (bare_slice and not for_set):
                out = (_slice_view(out, dim, start, stop, step) if plain
                       else call(OPS["slice"], (out,), (dim, start, stop, step)))
            dim += 1
        elif kind == _INT:
            n = out.shape[dim] if dim < out.ndim else 0
            if not -n <= p < n:
                raise IndexError(f"index {p} is out of bounds for dimension {dim} with size {n}")
            out = _select_view(out, dim, p) if plain else call(OPS["select"], (out,), (dim, p))
        elif kind == _NONE:
            out = (out._layout_view(_lay_unsqueeze(out._layout(), (dim,), None, 0)) if plain
                   else call(OPS["unsqueeze"], (out,), (dim,)))
            dim += 1
        elif kind == _ELLIPSIS:
            dim += ndim - used          # every ellipsis spans this many (PyTorch allows several)
        elif kind == _BOOL:
            out = call(OPS["unsqueeze"], (out,), (dim,))
            if not (for_set and p and len(items) == 1):
                adv.append((dim, np.zeros((1 if p else 0,), np.int64)))
            dim += 1
        elif kind == _MASK:
            shape = out.shape
            for k in range(p.ndim):
                if p.shape[k] != shape[dim + k]:
                    raise IndexError(f"The shape of the mask {list(p.shape)} at index {k} does not match the shape "
                                     f"of the indexed tensor {list(shape)} at index {dim + k}")
            for k, nz in enumerate(np.nonzero(p)):
                adv.append((dim + k, nz.astype(np.int64)))
            dim += p.ndim
        else:
            adv.append((dim, p))
            dim += 1
    return out, adv


def _check_advanced(view, adv):
    """Broadcast shape of the index arrays; IndexError for incompatible shapes or out-of-range indices."""
    shapes = [tuple(a.shape) for _, a in adv]
    try:
        bshape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes)) from None
    vshape = view.shape
    for d, a in adv:
        if a.size == 0 or isinstance(a, jax.core.Tracer):
            continue
        host = np.asarray(a)
        n = vshape[d]
        hi, lo = int(host.max()), int(host.min())
        if hi >= n or lo < -n:
            bad = hi if hi >= n else lo
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return bshape


def _result_shape(vshape, dims, bshape):
    """Shape of ``view[advanced]``: broadcast index dims in place when adjacent, else first."""
    rest = [n for k, n in enumerate(vshape) if k not in dims]
    adjacent = list(dims) == list(range(dims[0], dims[0] + len(dims)))
    if adjacent:
        lead = sum(1 for k in range(dims[0]) if k not in dims)
        return tuple(rest[:lead]) + tuple(bshape) + tuple(rest[lead:])
    return tuple(bshape) + tuple(rest)


# ---- the index / index_put ops -----------------------------------------------------

def _index_impl(x, *rest):
    *arrays, dims = rest
    idx = [slice(None)] * x.ndim
    for d, a in zip(dims, arrays):
        idx[d] = a
    return x[tuple(idx)]


def _index_tuple(ndim, arrays, dims):
    idx = [slice(None)] * ndim
    for d, a in zip(dims, arrays):
        idx[d] = a
    return tuple(idx)


def _sum_to_shape(g, shape):
    """Reduce a broadcast result ``g`` back to ``shape`` (right-aligned broadcasting)."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _put_set(x, v, arrays, dims):
    return x.at[_index_tuple(x.ndim, arrays, dims)].set(v.astype(x.dtype))


def _put_set_fwd(x, v, arrays, dims):
    return _put_set(x, v, arrays, dims), (arrays, jnp.zeros(v.shape, v.dtype))


def _put_set_bwd(dims, res, g):
    # PyTorch's IndexPutBackward0: every value written gets the gradient of the element it was written to,
    # also when an index repeats (JAX's own rule credits only the write that survives).
    arrays, vproto = res
    idx = _index_tuple(g.ndim, arrays, dims)
    gv = _sum_to_shape(g[idx], vproto.shape).astype(vproto.dtype)
    return g.at[idx].set(0), gv, None


_put_set.defvjp(_put_set_fwd, _put_set_bwd)


def _index_put_impl(accumulate):
    def impl(x, v, *rest):
        *arrays, dims = rest
        if accumulate:
            idx = _index_tuple(x.ndim, arrays, dims)
            if x.dtype == jnp.bool_:            # bool accumulation is a logical or, as in PyTorch
                return x.at[idx].max(v.astype(x.dtype))
            return x.at[idx].add(v.astype(x.dtype))
        return _put_set(x, v, tuple(arrays), dims)
    return impl


_index_ops = {}


def _index_op(n):
    op = _index_ops.get(n)
    if op is None:
        op = _index_ops[n] = Op("index", _index_impl, "IndexBackward0", DTYPE_RULES["keep"], (), None, None,
                                False, True)
        op.edge_kinds = (0,) + (2,) * n
    return op


def _index_put_op(n, accumulate):
    key = (n, accumulate)
    op = _index_ops.get(key)
    if op is None:
        op = _index_ops[key] = Op("index_put", _index_put_impl(accumulate), "IndexPutBackward0",
                                  DTYPE_RULES["keep"], (), None, None, False, True)
        op.edge_kinds = (0, 0) + (2,) * n
    return op


def _index_arrays(adv):
    # numpy index arrays go to the compiled call as they are (jnp.asarray would cost ~70 us each)
    return tuple(a if isinstance(a, (jax.Array, np.ndarray)) else np.asarray(a) for _, a in adv)


def _index(view, adv):
    _check_advanced(view, adv)
    arrays = _index_arrays(adv)
    return call(_index_op(len(arrays)), (view,) + arrays, (tuple(d for d, _ in adv),))


# ---- getitem ---------------------------------------------------------------------------

def getitem(t, index):
    if type(index) is int:                      # fast path: x[i]
        shape = t._shape()
        if shape:
            n = shape[0]
            if not -n <= index < n:
                raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
            if plain_views(t):
                shape, strides, off = t._layout()
                return t._layout_view((shape[1:], strides[1:], off + (index % n) * strides[0]))
            return call(OPS["select"], (t,), (0, index))
    if type(index) is slice and index.step is None and t.ndim and plain_views(t):
        # fast path: x[a:b] (``data[i:i + 8]``), what ``_apply`` makes of a bare slice of step 1
        start = index.start if index.start is None or type(index.start) is int else _int_of(index.start, Tensor)
        stop = index.stop if index.stop is None or type(index.stop) is int else _int_of(index.stop, Tensor)
        shape, strides, off = t._layout()
        s, e, _ = _slice_bounds(shape[0], start, stop, 1)
        return t._layout_view(((e - s,) + shape[1:], strides, off + s * strides[0]))
    items, used = _parse(t, index)
    out, adv = _apply(t, items, used, isinstance(index, slice), False)
    if adv:
        return _index(out, adv)
    if out is t:
        return call(OPS["alias"], (t,), ())
    return out


# ---- setitem ---------------------------------------------------------------------------

def _value_tensor(t, value):
    """``value`` as a Tensor: Python numbers become a 0-dim tensor of ``t``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        dt = t._dtype
        if isinstance(value, complex) and dt.category != D.COMPLEX:
            raise RuntimeError(f"value cannot be converted to type {_c_name(dt)} without overflow")
        if dt.category == D.INT and not isinstance(value, (bool, np.bool_)):
            info = np.iinfo(dt.np)
            if not info.min <= value <= info.max and np.isfinite(value):
                raise RuntimeError(f"value cannot be converted to type {_c_name(dt)} without overflow")
        return Tensor._wrap(_constant(value.item() if isinstance(value, np.generic) else value, dt.np))
    raise TypeError(f"can't assign a {_type_name(value)} to a torch.{_type_word(t._dtype)}Tensor")


def _type_name(v):
    cls = type(v)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _c_name(dt):
    return {"float32": "float", "float64": "double", "int64": "int64_t", "int32": "int", "int16": "int16_t",
            "int8": "int8_t", "uint8": "uint8_t", "bool": "bool", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}.get(dt.name, dt.name)


def _strip_leading_ones(v):
    shape = tuple(v.shape)
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return shape[k:]


def _copy_to(dst, src):
    """``dst[...] = src``: PyTorch's copy of a setitem value into a view."""
    if tuple(dst.shape) == tuple(src.shape):
        copy_(dst, src)
        return
    if src.ndim == 0:
        fill_(dst, src)
        return
    src = src.view(_strip_leading_ones(src))
    if tuple(src.shape) != tuple(dst.shape):
        src = src.expand(dst.shape)
    copy_(dst, src)


def setitem(t, index, value):
    value = _value_tensor(t, value)
    if index is False or (index is not None and type(index) is not tuple and _is_false_tensor(index)):
        return                                  # x[False] = v writes nothing
    items, used = _parse(t, index)
    view, adv = _apply(t, items, used, False, True)
    if not adv:
        _copy_to(view, value)
        return
    only_mask = sum(1 for kind, _ in items if kind in (_MASK, _ARRAY, _BOOL)) == 1 and any(
        kind == _MASK for kind, _ in items)
    _index_put(view, adv, value, accumulate=False, cast=only_mask)


def _is_false_tensor(i):
    return isinstance(i, Tensor) and i.ndim == 0 and i._dtype is D.bool and not bool(i.item())


def _index_put(view, adv, value, accumulate, cast):
    bshape = _check_advanced(view, adv)
    dims = tuple(d for d, _ in adv)
    if value._dtype is not view._dtype:
        if not cast:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_type_word(view._dtype)} for the destination and {_type_word(value._dtype)} "
                               "for the source.")
        value = value.to(view._dtype)
    stripped = _strip_leading_ones(value)
    if stripped != tuple(value.shape):
        value = value.view(stripped)
    target = _result_shape(tuple(view.shape), dims, bshape)
    try:
        np.broadcast_shapes(tuple(value.shape), target)
        ok = len(value.shape) <= len(target)
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(target)}")
    arrays = _index_arrays(adv)
    call_inplace(_index_put_op(len(arrays), accumulate), (view, value) + arrays, (dims,))


# ---- index_put_ / index_put ------------------------------------------------------------

def index_put_(self, indices, values, accumulate=False):
    """``self[indices] = values`` (or ``+=`` with ``accumulate``): ``indices`` is a tuple of
    index tensors (``None`` for a whole dimension), one per leading dimension."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' must be Tensor, not {type(values).__name__}")
    items = []
    for i in indices:
        if i is None:
            items.append((_SLICE, (None, None, 1)))
            continue
        kind, p = _classify(i, Tensor)
        if kind == _INT:           # a 0-dim integer index tensor is an index, not a select, here
            kind, p = _ARRAY, np.asarray(p, np.int64)
        elif kind == _BOOL:
            kind, p = _MASK, np.asarray(p)
        items.append((kind, p))
    used = sum(p.ndim if kind == _MASK else 1 for kind, p in items)
    if used > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim} (got {used})")
    view, adv = _apply(self, items, used, False, True)
    if not adv:
        raise RuntimeError("index_put_(): expected at least one index tensor")
    _index_put(view, adv, values, accumulate, cast=False)
    return self


def index_put(self, indices, values, accumulate=False):
    return index_put_(self.clone(), indices, values, accumulate)


publish("index_put", index_put, method=True)
publish("index_put_", index_put_, method=True)
