"""View ops (outputs share storage with the input) and shape ops.

Each view op declares, next to its JAX implementation, how it maps the input's
strided layout ``(shape, strides, offset)`` to the output's (``view=``); the
registry then makes the output an alias of the input's storage.

Also here: ``as_strided`` (absolute storage layouts), ``copy_slices`` (the
``CopySlices`` node an in-place op on a view gives its base) and the in-place
view ops (``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``, ``as_strided_``).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from . import _views as V
from ._registry import OPS, Op, _wrap_dim, call, check_inplace, defop
from ._names import publish


# ---- layout maps ---------------------------------------------------------
def _lay_reshape(parent, statics, out_shape, i):
    return V.view_shape(*parent, tuple(out_shape))


def _lay_view(parent, statics, out_shape, i):
    lay = V.view_shape(*parent, tuple(out_shape))
    if lay is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return lay


def _lay_permute(parent, statics, out_shape, i):
    shape, strides, off = parent
    dims = [_wrap_dim(d, len(shape)) for d in statics[0]]
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims), off


def _lay_transpose(parent, statics, out_shape, i):
    shape, strides, off = parent
    n = len(shape)
    if n == 0:
        return parent
    a, b = _wrap_dim(statics[0], n), _wrap_dim(statics[1], n)
    sh, st = list(shape), list(strides)
    sh[a], sh[b] = sh[b], sh[a]
    st[a], st[b] = st[b], st[a]
    return tuple(sh), tuple(st), off


def _lay_t(parent, statics, out_shape, i):
    shape, strides, off = parent
    return tuple(reversed(shape)), tuple(reversed(strides)), off


def _lay_unsqueeze(parent, statics, out_shape, i):
    shape, strides, off = parent
    d = _wrap_dim(statics[0], len(shape) + 1)
    s = strides[d] * shape[d] if d < len(shape) else 1
    return shape[:d] + (1,) + shape[d:], strides[:d] + (s,) + strides[d:], off


def _lay_squeeze(parent, statics, out_shape, i):
    shape, strides, off = parent
    dims = statics[0]
    if dims is None:
        keep = [k for k, n in enumerate(shape) if n != 1]
    else:
        drop = {_wrap_dim(d, len(shape)) for d in dims}
        keep = [k for k, n in enumerate(shape) if not (k in drop and n == 1)]
    return tuple(shape[k] for k in keep), tuple(strides[k] for k in keep), off


def _lay_expand(parent, statics, out_shape, i):
    """Expanded dimensions get stride 0; a new leading dimension of size 1 gets the
    stride a contiguous layout would give it (PyTorch's choice)."""
    shape, strides, off = parent
    out_shape = tuple(out_shape)
    lead = len(out_shape) - len(shape)
    st = [0] * len(out_shape)
    for k in range(len(out_shape) - 1, -1, -1):
        if k >= lead:
            n, s = shape[k - lead], strides[k - lead]
        else:
            n, s = 1, (out_shape[k + 1] * st[k + 1] if k + 1 < len(out_shape) else 0)
        st[k] = s if n == out_shape[k] else 0
    return out_shape, tuple(st), off


def _lay_select(parent, statics, out_shape, i):
    shape, strides, off = parent
    d = _wrap_dim(statics[0], len(shape))
    idx = statics[1] % shape[d] if shape[d] else 0
    return shape[:d] + shape[d + 1:], strides[:d] + strides[d + 1:], off + idx * strides[d]


def _lay_slice(parent, statics, out_shape, i):
    shape, strides, off = parent
    d = _wrap_dim(statics[0], len(shape))
    start, _, step = _slice_bounds(shape[d], statics[1], statics[2], statics[3])
    sh, st = list(shape), list(strides)
    sh[d] = out_shape[d]
    st[d] = strides[d] * step
    return tuple(sh), tuple(st), off + start * strides[d]


def _lay_diagonal(parent, statics, out_shape, i):
    shape, strides, off = parent
    o, d1, d2 = statics
    d1, d2 = _wrap_dim(d1, len(shape)), _wrap_dim(d2, len(shape))
    keep = [k for k in range(len(shape)) if k not in (d1, d2)]
    n = out_shape[-1]
    start = o * strides[d2] if o >= 0 else -o * strides[d1]
    if n == 0:
        start = 0
    return (tuple(shape[k] for k in keep) + (n,), tuple(strides[k] for k in keep) + (strides[d1] + strides[d2],),
            off + start)


def _lay_split(parent, statics, out_shape, i):
    shape, strides, off = parent
    sizes, d = statics
    d = _wrap_dim(d, len(shape))
    start = sum(sizes[:i])
    return tuple(out_shape), strides, off + start * strides[d]


def _lay_unbind(parent, statics, out_shape, i):
    shape, strides, off = parent
    d = _wrap_dim(statics[0], len(shape))
    return shape[:d] + shape[d + 1:], strides[:d] + strides[d + 1:], off + i * strides[d]


def _lay_unfold(parent, statics, out_shape, i):
    shape, strides, off = parent
    d, size, step = statics
    if not shape:
        return (size,), (1,), off
    d = _wrap_dim(d, len(shape))
    sh, st = list(shape), list(strides)
    sh[d] = (shape[d] - size) // step + 1
    st[d] = strides[d] * step
    return tuple(sh) + (size,), tuple(st) + (strides[d],), off


def _lay_same(parent, statics, out_shape, i):
    return parent


# ---- implementations -----------------------------------------------------
def _slice_bounds(n, start, end, step):
    start = 0 if start is None else start
    end = n if end is None else end
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = min(max(start, 0), n)
    end = min(max(end, start), n)
    return start, end, step


def _slice(x, dim, start, end, step):
    d = _wrap_dim(dim, x.ndim)
    s, e, st = _slice_bounds(x.shape[d], start, end, step)
    idx = [slice(None)] * x.ndim
    idx[d] = slice(s, e, st)
    return x[tuple(idx)]


def _select(x, dim, index):
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} at dimension {d}")
    return jnp.take(x, index % n, axis=d)


# Eager forwards of select and slice take the index / start as a runtime argument:
# `x[i]` and `x[i:i + b]` over many i compile once per shape, not once per i.
@functools.lru_cache(maxsize=None)
def _select_at(d):
    return jax.jit(lambda x, i: jax.lax.dynamic_index_in_dim(x, i, d, keepdims=False))


@functools.lru_cache(maxsize=None)
def _slice_at(d, size, step):
    span = (size - 1) * step + 1 if size else 0

    def f(x, start):
        y = jax.lax.dynamic_slice_in_dim(x, start, span, axis=d)
        return jax.lax.slice_in_dim(y, 0, span, step, axis=d) if step > 1 else y
    return jax.jit(f)


def _select_forward(key):
    (dim, index), _ = key

    def fn(x):
        d = _wrap_dim(dim, x.ndim)
        n = x.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} "
                             f"at dimension {d}")
        return _select_at(d)(x, index % n)
    return fn


def _slice_forward(key):
    (dim, start, end, step), _ = key
    if step < 1:
        return jax.jit(OPS["slice"].pure(key))

    def fn(x):
        d = _wrap_dim(dim, x.ndim)
        s, e, st = _slice_bounds(x.shape[d], start, end, step)
        return _slice_at(d, len(range(s, e, st)), st)(x, s)
    return fn


def _reshape(x, shape):
    _check_shape(x, shape)
    return jnp.reshape(x, shape)


def _check_shape(x, shape):
    n = math.prod(x.shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if (-1 in shape and (known == 0 or n % known)) or (-1 not in shape and known != n):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")


def _expand(x, size):
    if len(size) < x.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(size)}): the number of sizes "
                           f"provided ({len(size)}) must be greater or equal to the number of dimensions in the tensor ({x.ndim})")
    lead = len(size) - x.ndim
    out = list(size[:lead])
    for k, (n, m) in enumerate(zip(x.shape, size[lead:])):
        if m == -1:
            m = n
        elif n != m and n != 1:
            raise RuntimeError(f"The expanded size of the tensor ({m}) must match the existing size ({n}) at "
                               f"non-singleton dimension {k + lead}.  Target sizes: {list(size)}.  Tensor sizes: {list(x.shape)}")
        out.append(m)
    return jnp.broadcast_to(x, tuple(out))


def _permute(x, dims):
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not equal "
                           f"to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return jnp.transpose(x, dims)


def _transpose(x, a, b):
    if x.ndim == 0:
        return x
    return jnp.swapaxes(x, _wrap_dim(a, x.ndim), _wrap_dim(b, x.ndim))


def _t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x.T


def _squeeze(x, dims):
    if dims is None:
        return jnp.squeeze(x)
    ds = tuple(_wrap_dim(d, x.ndim) for d in dims)
    return jnp.squeeze(x, tuple(d for d in ds if x.ndim and x.shape[d] == 1))


def _unsqueeze(x, d):
    return jnp.expand_dims(x, _wrap_dim(d, x.ndim + 1))


def _flatten(x, start, end):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = _wrap_dim(start, x.ndim), _wrap_dim(end, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:]) if x.size else x.reshape(
        x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])


def _unflatten(x, dim, sizes):
    d = _wrap_dim(dim, x.ndim)
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def _diagonal(x, offset, d1, d2):
    d1, d2 = _wrap_dim(d1, x.ndim), _wrap_dim(d2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {d1}, {d2}")
    return jnp.diagonal(x, offset, d1, d2)


def _split_sizes(x, sizes, dim):
    d = _wrap_dim(dim, x.ndim)
    if sum(sizes) != x.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={list(sizes)}")
    outs, start = [], 0
    for s in sizes:
        outs.append(jax_slice(x, d, start, start + s))
        start += s
    return tuple(outs)


def jax_slice(x, d, s, e):
    idx = [slice(None)] * x.ndim
    idx[d] = slice(s, e)
    return x[tuple(idx)]


def _unbind(x, dim):
    d = _wrap_dim(dim, x.ndim)
    return tuple(jnp.take(x, i, axis=d) for i in range(x.shape[d]))


def _unfold(x, dim, size, step):
    if x.ndim == 0:
        return x.reshape(1)
    d = _wrap_dim(dim, x.ndim)
    n = (x.shape[d] - size) // step + 1
    idx = jnp.arange(n)[:, None] * step + jnp.arange(size)[None, :]
    y = jnp.take(x, idx, axis=d)           # shape[:d] + (n, size) + shape[d+1:]
    return jnp.moveaxis(y, d + 1, -1)


def _reshape_name(args, statics):
    t = args[0]
    shape = tuple(_infer(statics[0], t.numel()))
    return "ViewBackward0" if V.view_shape(*t._layout(), shape) is not None else "UnsafeViewBackward0"


def _infer(shape, n):
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        return tuple(n // known if s == -1 and known else s for s in shape)
    return shape


def _squeeze_name(args, statics):
    dims = statics[0]
    return "SqueezeBackward0" if dims is None else "SqueezeBackward1" if len(dims) == 1 else "SqueezeBackward2"


defop("view(Tensor self, *int[] size)", _reshape, dtype="keep", view=_lay_view, saves=(), out=False,
      method_only=True)
defop("reshape(Tensor self, *int[] shape)", _reshape, dtype="keep", view=_lay_reshape, saves=(), out=False,
      grad=_reshape_name)
defop("flatten(Tensor self, int start_dim=0, int end_dim=-1)", _flatten, dtype="keep", view=_lay_reshape,
      saves=(), out=False, grad=lambda args, statics: "ViewBackward0" if V.view_shape(
          *args[0]._layout(), _flat_shape(args[0].shape, *statics)) is not None else "UnsafeViewBackward0")
defop("unflatten(Tensor self, int dim, int[] sizes)", _unflatten, dtype="keep", view=_lay_reshape, saves=(),
      out=False, grad="ViewBackward0")
defop("permute(Tensor self, *int[] dims)", _permute, dtype="keep", view=_lay_permute, saves=(), out=False)
defop("transpose(Tensor self, int dim0, int dim1)", _transpose, dtype="keep", view=_lay_transpose, saves=(),
      out=False, aliases=("swapaxes", "swapdims"))
defop("t(Tensor self)", _t, dtype="keep", view=_lay_t, saves=(), out=False, grad="TBackward0")
defop("unsqueeze(Tensor self, int dim)", _unsqueeze, dtype="keep", view=_lay_unsqueeze, saves=(), out=False)
defop("squeeze(Tensor self, int[]? dim=None)", _squeeze, dtype="keep", view=_lay_squeeze, saves=(), out=False,
      grad=_squeeze_name)
defop("expand(Tensor self, *int[] size)", _expand, dtype="keep", view=_lay_expand, saves=(), out=False,
      method_only=True)
defop("select(Tensor self, int dim, int index)", _select, dtype="keep", view=_lay_select, saves=(), out=False)
defop("slice(Tensor self, int dim=0, int? start=None, int? end=None, int step=1)", _slice, dtype="keep",
      view=_lay_slice, saves=(), out=False, method=False, function=False)
OPS["select"].forward_factory = _select_forward
OPS["slice"].forward_factory = _slice_forward
defop("diagonal(Tensor self, int offset=0, int dim1=0, int dim2=1)", _diagonal, dtype="keep",
      view=_lay_diagonal, saves=(), out=False)
defop("split_with_sizes(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]", _split_sizes, dtype="keep",
      view=_lay_split, saves=(), out=False, grad="SplitWithSizesBackward0")
defop("_split_even(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]", _split_sizes, dtype="keep",
      view=_lay_split, saves=(), out=False, grad="SplitBackward0", method=False, function=False)
defop("_unsafe_split(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]", _split_sizes, dtype="keep", saves=(),
      out=False, grad="UnsafeSplitBackward0", method=False, function=False)
defop("_unsafe_split_with_sizes(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]", _split_sizes, dtype="keep",
      saves=(), out=False, grad="UnsafeSplitWithSizesBackward0", method=False, function=False)
defop("unbind(Tensor self, int dim=0) -> Tensor[]", _unbind, dtype="keep", view=_lay_unbind, saves=(), out=False)
defop("unfold(Tensor self, int dimension, int size, int step)", _unfold, dtype="keep", view=_lay_unfold,
      saves=(), out=False, function=False)
defop("alias(Tensor self)", lambda x: x, dtype="keep", view=_lay_same, saves=(), out=False, method=False,
      grad="AliasBackward0")


def _flat_shape(shape, start, end):
    if not shape:
        return (1,)
    s, e = _wrap_dim(start, len(shape)), _wrap_dim(end, len(shape))
    return tuple(shape[:s]) + (math.prod(shape[s:e + 1]),) + tuple(shape[e + 1:])


# ---- as_strided and CopySlices --------------------------------------------
# ``as_strided`` addresses the *storage*, not its input's elements: its size,
# strides and offset are absolute.  The op therefore receives the root array as
# a second (non-differentiable) input and the input's own layout as a static;
# the input's elements are scattered over the root before gathering, so the
# gradient flows to the input for every element it covers.

def _as_strided_impl(x, root, size, stride, offset, in_layout):
    if in_layout is None:           # x is the whole root, laid out contiguously
        return V.gather_fn(x.shape, (size, stride, offset))(x)
    flat = root.reshape(-1).at[V._flat_index(*in_layout).reshape(-1)].set(x.reshape(-1))
    return flat[V._flat_index(size, stride, offset)]


_AS_STRIDED = Op("as_strided", _as_strided_impl, "AsStridedBackward0", lambda a, s=None: None, (),
                 lambda parent, statics, out_shape, i: statics[:3], None, False, True)
_AS_STRIDED.edge_kinds = (0, 2)


def _as_strided_args(input, size, stride, storage_offset):
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    layout = input._layout()
    offset = layout[2] if storage_offset is None else int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    root = input._storage.array
    n_storage = math.prod(root.shape)
    need = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > n_storage:
        item = input._dtype.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {need * item} are out of bounds for "
                           f"storage of size {n_storage * item}")
    whole = input._view is None
    return size, stride, offset, None if whole else layout, None if whole else root


def as_strided(input, size, stride, storage_offset=None):
    """torch.as_strided: a view of ``input``'s storage with the given absolute layout."""
    size, stride, offset, in_layout, root = _as_strided_args(input, size, stride, storage_offset)
    return call(_AS_STRIDED, (input, root), (size, stride, offset, in_layout))


def as_strided_node(base, layout, view):
    """A fresh AsStridedBackward0 node reading ``layout`` from ``base`` (used after CopySlices)."""
    r = as_strided(base, *layout)
    return r._grad_fn


publish("as_strided", as_strided, method=True)


_copy_slices_ops = {}


def copy_slices(base, layout, op, key, args):
    """``base`` with the region ``layout`` replaced by ``op(region, *args[1:])``, recorded as CopySlices.

    ``base`` is the root tensor; its elements may themselves have a layout in the
    storage (after ``t_()`` and the like), so the region is addressed relative to
    the base's own elements."""
    base_layout = base._view
    root_shape = base._storage.array.shape
    k = (op, key, root_shape, base_layout, layout)
    cs = _copy_slices_ops.get(k)
    if cs is None:
        inner = op.pure(key)
        if base_layout is None:
            gather = V.gather_fn(root_shape, layout)
            scatter = V.scatter_fn(root_shape, layout)
        else:
            rel = V.relative_index(base_layout, layout)
            if rel is None:
                raise RuntimeError("in-place write through a view that reaches outside its base is not supported")
            shape = layout[0]

            def gather(b):
                return b.reshape(-1)[rel]

            def scatter(b, v):
                return b.reshape(-1).at[rel].set(jnp.broadcast_to(v.astype(b.dtype), shape)).reshape(b.shape)

        def impl(b, *others):
            region = gather(b)
            r = inner(region, *others)
            if isinstance(r, tuple):
                r = r[0]
            return scatter(b, r)
        # the inner op's saves, by position: CopySlices' inputs are (base, *others) as the op's are (self, *others)
        cs = Op("copy_slices", impl, "CopySlices", lambda a, s=None: None, op.saves, None, None, False, True)
        cs.edge_kinds = (0,) + tuple(op.edge_kinds[1:]) if op.edge_kinds else None
        _copy_slices_ops[k] = cs
    others = tuple(args[1:])
    return call(cs, (base,) + others, ())


# ---- in-place view ops: t_, transpose_, squeeze_, unsqueeze_, as_strided_ ----------
# ``x.t_()`` gives ``x`` itself the layout ``x.t()`` would have (still aliasing its
# storage), bumps its version, and - with history - the grad_fn PyTorch names
# ``TBackward1``.  Each is the out-of-place view op under another grad_fn name.

_inplace_view_ops = {}


def _inplace_variant(op, grad):
    key = (op, grad)
    d = _inplace_view_ops.get(key)
    if d is None:
        d = _inplace_view_ops[key] = Op(op.name + "_", op.impl, grad, op.dtype_rule, (), op.view, None,
                                        op.varargs, op.differentiable)
        d.edge_kinds = op.edge_kinds
    return d


def _apply_inplace_view(op, grad, t, args, statics):
    check_inplace(t, True)
    r = call(_inplace_variant(op, grad), (t,) + tuple(args), statics)
    t._view = r._view
    t._cache, t._cache_gen = r._cache, r._cache_gen
    if r._grad_fn is not None:
        t._grad_fn = r._grad_fn
        t._output_nr = 0
        t._requires_grad = True
        t._hist_gen += 1
    t._vc[0] += 1
    return t


def t_(self):
    _t(self._arr())       # the ndim check
    return _apply_inplace_view(OPS["t"], "TBackward1", self, (), ())


def transpose_(self, dim0, dim1):
    return _apply_inplace_view(OPS["transpose"], "TransposeBackward1", self, (), (int(dim0), int(dim1)))


def unsqueeze_(self, dim):
    return _apply_inplace_view(OPS["unsqueeze"], "UnsqueezeBackward1", self, (), (int(dim),))


def squeeze_(self, dim=None):
    if dim is None:
        return _apply_inplace_view(OPS["squeeze"], "SqueezeBackward3", self, (), (None,))
    if isinstance(dim, (tuple, list)):
        return _apply_inplace_view(OPS["squeeze"], "SqueezeBackward5", self, (), (tuple(int(d) for d in dim),))
    return _apply_inplace_view(OPS["squeeze"], "SqueezeBackward4", self, (), ((int(dim),),))


def as_strided_(self, size, stride, storage_offset=None):
    size, stride, offset, in_layout, root = _as_strided_args(self, size, stride, storage_offset)
    return _apply_inplace_view(_AS_STRIDED, "AsStridedBackward1", self, (root,), (size, stride, offset, in_layout))


for _name, _fn in dict(t_=t_, transpose_=transpose_, swapaxes_=transpose_, swapdims_=transpose_,
                       unsqueeze_=unsqueeze_, squeeze_=squeeze_, as_strided_=as_strided_).items():
    publish(_name, method=_fn)
