"""``tensor[index]`` and ``tensor[index] = value``.

Basic indices (ints, slices, None, Ellipsis) become a chain of view ops
(select, slice, unsqueeze), so the result aliases the tensor and its grad_fn
is ``SelectBackward0``/``SliceBackward0`` as in PyTorch.  Tensor, list and
bool-mask indices then apply one advanced-indexing op (``IndexBackward0``).
Writes go through the same views (basic) or ``index_put`` (advanced).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._registry import OPS, call, call_inplace, defop


def _is_adv(i):
    from ._tensor import Tensor
    return isinstance(i, (Tensor, list, np.ndarray)) or (isinstance(i, tuple))


def _normalize(index):
    if not isinstance(index, tuple):
        index = (index,)
    return index


def _to_index_array(i):
    """An advanced index as an int64 or bool array."""
    from ._tensor import Tensor
    if isinstance(i, Tensor):
        a = i._arr()
        if a.dtype not in (np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a
    a = np.asarray(i)
    if a.dtype == np.bool_:
        return jnp.asarray(a)
    if a.size == 0:
        a = a.astype(np.int64)
    if not np.issubdtype(a.dtype, np.integer):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return jnp.asarray(a.astype(np.int64))


def _count_dims(index):
    from ._tensor import Tensor
    n = 0
    for i in index:
        if i is None or i is Ellipsis:
            continue
        if isinstance(i, Tensor) and i.dtype is D.bool or (isinstance(i, np.ndarray) and i.dtype == np.bool_):
            n += max(i.ndim, 1) if i.ndim else 0
        elif isinstance(i, bool):
            continue
        else:
            n += 1
    return n


def getitem(t, index):
    from ._tensor import Tensor
    index = _normalize(index)
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    ndim = t.ndim
    used = _count_dims(index)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out = t
    dim = 0
    adv = []          # (dim in out, index array)
    did_view = False
    for i in index:
        if i is Ellipsis:
            dim += ndim - used
            continue
        if i is None:
            out = call(OPS["unsqueeze"], (out,), (dim,))
            dim += 1
            did_view = True
            continue
        if isinstance(i, bool):
            out = call(OPS["unsqueeze"], (out,), (dim,))
            adv.append((dim, jnp.asarray([i]) if i else jnp.zeros((0,), jnp.int64)))
            if not i:
                adv[-1] = (dim, jnp.zeros((0,), jnp.int64))
            else:
                adv[-1] = (dim, jnp.zeros((1,), jnp.int64))
            dim += 1
            continue
        if isinstance(i, (int, np.integer)) or (isinstance(i, Tensor) and i.ndim == 0 and i.dtype.category == D.INT
                                                 and not adv and False):
            n = out.shape[dim]
            k = int(i)
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            out = call(OPS["select"], (out,), (dim, k))
            did_view = True
            continue
        if isinstance(i, slice):
            start, stop, step = i.start, i.stop, i.step
            step = 1 if step is None else int(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            full = (start is None or start == 0) and stop is None and step == 1
            if not full:
                out = call(OPS["slice"], (out,), (dim, None if start is None else int(start),
                                                  None if stop is None else int(stop), step))
                did_view = True
            dim += 1
            continue
        # advanced
        a = _to_index_array(i)
        if a.dtype == np.bool_:
            if a.ndim == 0:
                out = call(OPS["unsqueeze"], (out,), (dim,))
                adv.append((dim, jnp.zeros((1,), jnp.int64) if bool(a) else jnp.zeros((0,), jnp.int64)))
                dim += 1
                continue
            for k in range(a.ndim):
                if a.shape[k] != out.shape[dim + k]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {k} does not match the shape "
                                     f"of the indexed tensor {list(out.shape)} at index {dim + k}")
            nz = np.nonzero(np.asarray(a))
            for k, idx in enumerate(nz):
                adv.append((dim + k, jnp.asarray(idx.astype(np.int64))))
            dim += a.ndim
            continue
        adv.append((dim, a))
        dim += 1
    if adv:
        dims = tuple(d for d, _ in adv)
        for d, a in adv:
            n = out.shape[d]
            if a.size and (int(jnp.max(a)) >= n or int(jnp.min(a)) < -n):
                bad = int(jnp.max(a)) if int(jnp.max(a)) >= n else int(jnp.min(a))
                raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
        out = _INDEX_CALL(out, [a for _, a in adv], dims)
    elif not did_view:
        out = call(OPS["slice"], (out,), (0, None, None, 1)) if out.ndim else call(OPS["alias"], (out,), ())
    return out


def _index_impl(x, dims, *arrays):
    idx = [slice(None)] * x.ndim
    for d, a in zip(dims, arrays):
        idx[d] = a
    return x[tuple(idx)]


def _INDEX_CALL(x, arrays, dims):
    return call(_index_op(len(arrays)), (x,) + tuple(arrays), (dims,))


_index_ops = {}


def _index_op(n):
    op = _index_ops.get(n)
    if op is None:
        from ._registry import DTYPE_RULES, Op
        op = Op("index", lambda x, *rest: _index_impl(x, rest[-1], *rest[:-1]), "IndexBackward0",
                DTYPE_RULES["keep"], (), None, None, False, True)
        op.edge_kinds = (0,) + (2,) * n
        _index_ops[n] = op
    return op


def _index_put_op(n, accumulate):
    key = (n, accumulate)
    op = _index_ops.get(key)
    if op is None:
        from ._registry import DTYPE_RULES, Op

        def impl(x, v, *rest):
            dims = rest[-1]
            idx = [slice(None)] * x.ndim
            for d, a in zip(dims, rest[:-1]):
                idx[d] = a
            v = v.astype(x.dtype)
            return x.at[tuple(idx)].add(v) if accumulate else x.at[tuple(idx)].set(v)
        op = Op("index_put", impl, "IndexPutBackward0", DTYPE_RULES["keep"], (), None, None, False, True)
        op.edge_kinds = (0, 0) + (2,) * n
        _index_ops[key] = op
    return op


def setitem(t, index, value):
    from ._tensor import Tensor
    index = _normalize(index)
    has_adv = any(not (i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) or isinstance(i, bool))
                  for i in index)
    if not isinstance(value, Tensor):
        value = Tensor._wrap(jnp.asarray(value, t.dtype.np))
    if not has_adv:
        from ._ops_misc import copy_
        target = getitem(t, index)
        copy_(target, value)
        return
    # advanced: t.index_put_(indices, value)
    from .autograd import grad_mode
    from ._views import Storage
    # resolve the basic part first, keeping advanced indices
    adv_t = _adv_target(t, index)
    base_view, arrays, dims = adv_t
    op = _index_put_op(len(arrays), False)
    _put(base_view, op, value, arrays, dims)


def _adv_target(t, index):
    """(view of t after basic indices, advanced index arrays, their dims)."""
    from ._tensor import Tensor
    ndim = t.ndim
    used = _count_dims(index)
    out = t
    dim = 0
    arrays, dims = [], []
    for i in index:
        if i is Ellipsis:
            dim += ndim - used
            continue
        if i is None:
            out = call(OPS["unsqueeze"], (out,), (dim,))
            dim += 1
            continue
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            out = call(OPS["select"], (out,), (dim, int(i)))
            continue
        if isinstance(i, slice):
            if not (i.start in (None, 0) and i.stop is None and i.step in (None, 1)):
                out = call(OPS["slice"], (out,), (dim, i.start, i.stop, i.step or 1))
            dim += 1
            continue
        a = _to_index_array(i)
        if a.dtype == np.bool_:
            nz = np.nonzero(np.asarray(a))
            for k, idx in enumerate(nz):
                arrays.append(jnp.asarray(idx.astype(np.int64)))
                dims.append(dim + k)
            dim += a.ndim
            continue
        arrays.append(a)
        dims.append(dim)
        dim += 1
    return out, arrays, tuple(dims)


def _put(target, op, value, arrays, dims):
    call_inplace(op, (target, value) + tuple(arrays), (dims,))


def index_put_(self, indices, values, accumulate=False):
    from ._tensor import Tensor
    arrays = [_to_index_array(i) for i in indices]
    dims = tuple(range(len(arrays)))
    if not isinstance(values, Tensor):
        values = Tensor._wrap(jnp.asarray(values, self.dtype.np))
    call_inplace(_index_put_op(len(arrays), accumulate), (self, values) + tuple(arrays), (dims,))
    return self


def index_put(self, indices, values, accumulate=False):
    return index_put_(self.clone(), indices, values, accumulate)
