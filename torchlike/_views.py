"""Storage and strided views.

A JAX array cannot be written in place, so torchlike keeps PyTorch's storage
model itself: every tensor points at a :class:`Storage` holding one JAX array
(the data of the tensor that created it, the *root*).  A view records
``(shape, strides, offset)`` into the root's flattened elements, exactly as
PyTorch's strided tensors do.  Reading a view whose storage was written since
it last looked gathers its elements; writing through a view scatters them back
into the root array.  So a write through any alias is seen through every other.
"""
from __future__ import annotations

import functools
import itertools
import math

import jax
import numpy as np

from . import _lazy
from ._lazy import _ARRAY, LazyRef


_serials = itertools.count()
# a host value onto the default device: a compiled identity costs ~10 us where jax.device_put costs ~70
_to_device_jit = jax.jit(lambda a: a)
# Moving data (a host value to the device, reading a view) is compiled per shape.  A shape seen once
# or twice (a sequence growing by one token per step) is moved without a program: jax.device_put,
# a numpy slice of the host copy; a shape that comes back a third time gets its program (``_lazy.Rent``:
# ~20 ms to compile against ~0.1 ms per uncompiled move).  Both are exact: no arithmetic.
MOVES = _lazy.Rent(0.02, 2, 1)
_compiled_moves = set()


def _move_compiled(key):
    """Is the move ``key`` compiled (or due to be)?"""
    if key in _compiled_moves:
        return True
    if MOVES.due(key, 1):
        if len(_compiled_moves) > 4096:
            _compiled_moves.clear()
        _compiled_moves.add(key)
        return True
    return False


def _to_device(h):
    """The host array ``h`` (read-only) on the default device."""
    if _move_compiled((h.shape, h.dtype)):
        return _to_device_jit(h)
    return jax.device_put(h)

class Storage:
    """The shared buffer of a root tensor and all its views.

    ``gen`` counts writes, so that views know when their cached values are stale.
    ``host()`` is the array's value as a numpy array, kept until the array is replaced (a
    write): on a CPU a zero-copy view of the JAX buffer, elsewhere one device-to-host copy.
    """
    __slots__ = ("_a", "_host", "gen", "serial", "__weakref__")

    def __init__(self, array):
        # a jax.Array; a _lazy.LazyRef until its op has run; or a read-only numpy array, the value of
        # a few integers computed on the host (``_registry._host_call``), put on the device when an
        # op asks for the array (a compiled call takes it as it is)
        self._a = array
        self._host = array if type(array) is np.ndarray else None
        self.gen = 0
        self.serial = next(_serials)   # creation order: torchlike.compile tells old storages from new

    @property
    def array(self):
        a = self._a
        if type(a) is LazyRef:
            a = self._a = a.value()
        elif type(a) is np.ndarray:
            a = self._a = _to_device(a)
        return a

    @array.setter
    def array(self, value):
        self._a = value
        self._host = None

    def host(self):
        """The value as a read-only numpy array (JAX arrays are immutable: valid until the next write)."""
        h = self._host
        if h is None:
            h = np.asarray(self.array)
            # kept when it shares the device buffer (a CPU) or is small: a large copy from an
            # accelerator is not held beside its array
            if not h.flags.owndata or h.nbytes <= 1 << 20:
                self._host = h
        return h

    def __reduce_ex__(self, protocol):
        # copies and pickles carry the value, never a pending recipe (``_lazy``)
        return (_rebuild_storage, (self.array, self.gen))


def host_value(storage, view):
    """The numpy value of ``view = (shape, strides, offset)`` (None: the whole root) of a storage:
    a strided view of its host copy, so reading values runs no compiled program."""
    h = storage.host()
    if view is None:
        return h
    return _host_view(h, view)


def _host_view(h, view):
    """The elements of ``view`` of the numpy root ``h``."""
    shape, strides, offset = view
    if 0 in shape:
        return np.empty(shape, h.dtype)
    if strides == contiguous_strides(shape):    # a contiguous run (``y[:10]``, ``x[i]`` of a matrix)
        return h.reshape(-1)[offset:offset + math.prod(shape)].reshape(shape)
    size = h.itemsize
    return np.ndarray(shape, h.dtype, buffer=h.reshape(-1), offset=offset * size,
                      strides=tuple(s * size for s in strides))


_GRIDS = {}


def gather_views(h, offsets, shape, strides):
    """The values of the views ``(shape, strides, offset)`` for ``offset`` in ``offsets`` of the numpy
    root ``h``, stacked along a new first axis: one gather (``h``'s flat elements at each offset plus
    the element offsets of one view, remembered per shape and strides)."""
    k = (shape, strides)
    grid = _GRIDS.get(k)
    if grid is None:
        grid = np.zeros(shape, np.int64)
        for d, (n, s) in enumerate(zip(shape, strides)):
            grid = grid + (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
        if len(_GRIDS) > 1024:
            _GRIDS.clear()
        _GRIDS[k] = grid
    return h.reshape(-1)[np.add.outer(np.asarray(offsets, np.int64), grid)]


def _rebuild_storage(array, gen):
    st = Storage(array)
    st.gen = gen
    return st


_STRIDES = {}


def contiguous_strides(shape):
    """The strides of a C-contiguous ``shape`` (in elements), remembered per shape."""
    st = _STRIDES.get(shape) if type(shape) is tuple else None
    if st is None:
        strides, acc = [], 1
        for n in reversed(shape):
            strides.append(acc)
            acc *= max(n, 1)
        st = tuple(reversed(strides))
        if len(_STRIDES) > 4096:
            _STRIDES.clear()
        _STRIDES[tuple(shape)] = st
    return st


def is_contiguous(shape, strides):
    if 0 in shape:          # an empty tensor is contiguous whatever its strides (as in PyTorch)
        return True
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


def is_dense(shape, strides):
    """Do the elements fill a contiguous range of the storage, each once (in some order)?"""
    expected = 1
    for s, n in sorted((s, n) for n, s in zip(shape, strides) if n != 1):
        if s != expected:
            return False
        expected *= n
    return True


FULL, PARTIAL, NO, TOO_HARD = "full", "partial", "no", "too hard"


def overlap(a, b):
    """How two layouts ``(shape, strides, offset)`` of one storage overlap, judged as PyTorch does:
    only layouts that are dense are compared (by their storage ranges); others are TOO_HARD."""
    if a == b:
        return FULL
    na, nb = math.prod(a[0]), math.prod(b[0])
    if na == 0 or nb == 0:
        return NO
    if not (is_dense(a[0], a[1]) and is_dense(b[0], b[1])):
        return TOO_HARD
    a0, b0 = a[2], b[2]
    a1, b1 = a0 + na, b0 + nb
    if a0 == b0 and a1 == b1:
        return FULL if tuple(a[1]) == tuple(b[1]) else PARTIAL
    return PARTIAL if a0 < b1 and b0 < a1 else NO


@functools.lru_cache(maxsize=4096)
def _flat_index(shape, strides, offset):
    idx = np.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        sh = [1] * len(shape)
        sh[d] = n
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape(sh)
    return idx


@functools.lru_cache(maxsize=1024)
def relative_index(base_layout, layout):
    """For each element of ``layout``, its position in the flattened elements of ``base_layout``
    (both laid out in one storage), or None when some element lies outside the base."""
    bidx = _flat_index(*base_layout).reshape(-1)
    vidx = _flat_index(*layout)
    if vidx.size == 0:
        return vidx
    pos = np.full(max(int(bidx.max(initial=0)), int(vidx.max())) + 1, -1, dtype=np.int64)
    pos[bidx] = np.arange(bidx.size, dtype=np.int64)
    rel = pos[vidx]
    return None if (rel < 0).any() else rel


def _is_whole(root_shape, shape, strides, offset):
    return offset == 0 and math.prod(shape) == math.prod(root_shape) and is_contiguous(shape, strides)


def _strided_index(shape, strides, offset):
    """Flat root positions of a strided view, built from iotas inside a trace: the
    offset may be traced, so one compiled reader/writer serves every offset."""
    idx = jax.numpy.asarray(offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        sh = [1] * len(shape)
        sh[d] = n
        idx = idx + (jax.lax.iota(np.int64, n) * s).reshape(sh)
    return jax.numpy.broadcast_to(idx, shape)


@functools.lru_cache(maxsize=4096)
def _nesting(shape, strides):
    """How a layout's elements nest in the flat root, for a read by slices and reshapes instead of a
    gather (XLA's gathers cost far more than slices): the dimensions of size > 1 and stride > 0 by
    decreasing stride, each as ``(axis, size, stride, extent)`` where ``extent`` is how many flat
    elements the dimensions inside it span; None when one does not fit inside the next outer stride
    (overlapping or interleaved layouts take the gather)."""
    dims = sorted(((s, d, n) for d, (n, s) in enumerate(zip(shape, strides)) if n > 1 and s > 0), reverse=True)
    out, inner = [], 1
    for s, d, n in reversed(dims):      # innermost first
        if inner > s:
            return None
        out.append((d, n, s, inner))
        inner += (n - 1) * s
    return tuple(reversed(out)), inner


def strided_read(root, shape, strides, offset):
    """Inside a trace: the elements of the layout ``(shape, strides, offset)`` of ``root`` (the
    offset may be traced).  A layout that nests (every slice, ``select``, ``narrow``, ``chunk``,
    ``t()`` ...) is read by one contiguous slice, then for each dimension from the outermost a
    reshape to ``(size, stride)`` and a slice of the inner extent; others by a gather."""
    shape, strides = tuple(shape), tuple(strides)
    if 0 in shape:
        return jax.numpy.zeros(shape, root.dtype)
    plan = _nesting(shape, strides)
    if plan is None:
        return root.reshape(-1)[_strided_index(shape, strides, offset)]
    dims, extent = plan
    flat = root.reshape(-1)
    if isinstance(offset, int):
        v = jax.lax.slice(flat, (offset,), (offset + extent,))
    else:
        v = jax.lax.dynamic_slice(flat, (offset,), (extent,))
    for d, n, s, inner in dims:
        length = v.shape[-1]
        if length < n * s:
            v = jax.numpy.pad(v, [(0, 0)] * (v.ndim - 1) + [(0, n * s - length)])
        elif length > n * s:
            v = v[..., :n * s]
        v = v.reshape(v.shape[:-1] + (n, s))[..., :inner]
    v = v[..., 0]           # the innermost extent is one element
    order = [d for d, _, _, _ in dims]
    # back to the layout's axis order, then its size-1 and stride-0 dimensions
    perm = sorted(range(len(order)), key=lambda i: order[i])
    v = jax.numpy.transpose(v, perm) if perm != list(range(len(order))) else v
    kept = sorted(order)
    v = v.reshape(tuple(shape[d] if d in kept else 1 for d in range(len(shape))))
    return jax.numpy.broadcast_to(v, shape)


# Readers and writers are compiled per (root shape, view shape, strides); the offset
# is an argument, so `x[i]` / `x[i] = v` over many i compile once, not once per i.
@functools.lru_cache(maxsize=4096)
def _reader(root_shape, shape, strides):
    return jax.jit(lambda a, off: strided_read(a, shape, strides, off))


@functools.lru_cache(maxsize=4096)
def _writer(root_shape, shape, strides):
    return jax.jit(lambda a, v, off: a.reshape(-1).at[_strided_index(shape, strides, off)].set(
        jax.numpy.broadcast_to(v.astype(a.dtype), shape)).reshape(root_shape))


@functools.lru_cache(maxsize=256)
def _whole_reader(shape):
    return jax.jit(lambda a: a.reshape(shape))


@functools.lru_cache(maxsize=256)
def _whole_writer(root_shape):
    return jax.jit(lambda a, v: v.astype(a.dtype).reshape(root_shape))


def read(root_array, view):
    """The elements of ``view = (shape, strides, offset)`` of a root array."""
    shape, strides, offset = view
    whole = _is_whole(root_array.shape, shape, strides, offset)
    if type(root_array) is _ARRAY and _lazy.single_cpu() and not _move_compiled(
            (root_array.shape, root_array.dtype, shape, strides, whole)):
        # a read of a new shape (``idx[:, -8:]`` as ``idx`` grows): a slice of the zero-copy host view
        return jax.device_put(np.array(_host_view(np.asarray(root_array), view)))     # (a copy; 0-dim stays 0-dim)
    if whole:
        return _whole_reader(shape)(root_array)
    return _reader(root_array.shape, shape, strides)(root_array, offset)




def view_args(arrays, positions):
    """For a program that reads its view inputs itself (``Op.forward_views``): the spec of the
    reads ``(positions, reads)`` (``reads``: per view, root number, shape and strides) and the
    arguments: the arrays with the views left out, the views' storage arrays (each once) and their
    offsets, one integer array (an argument: one program serves every offset)."""
    plain, roots, numbers, reads, offsets = list(arrays), [], {}, [], []
    for i in positions:
        t = arrays[i]
        a = t._storage.array
        k = numbers.get(id(a))
        if k is None:
            k = numbers[id(a)] = len(roots)
            roots.append(a)
        shape, strides, offset = t._view
        plain[i] = None
        reads.append((k, shape, strides))
        offsets.append(offset)
    return (tuple(positions), tuple(reads)), (plain, roots, np.asarray(offsets, np.int64))


@functools.lru_cache(maxsize=256)
def _groups(reads):
    """The views of ``reads`` grouped by root and layout: ``(k, shape, strides, numbers)``."""
    groups = {}
    for j, (k, shape, strides) in enumerate(reads):
        groups.setdefault((k, shape, strides), []).append(j)
    return tuple(key + (tuple(js),) for key, js in groups.items())


def read_many(roots, reads, offsets):
    """Inside a trace: the values of the views ``reads`` (``view_args``) at ``offsets``.  Views of
    one root with one layout (``data[i:i + 8]`` for 32 ``i``) are read by one batched slice, not
    one slice each (XLA on a CPU runs each slice of a program as a kernel of its own)."""
    out = [None] * len(reads)
    for k, shape, strides, js in _groups(reads):
        if len(js) == 1:
            out[js[0]] = strided_read(roots[k], shape, strides, offsets[js[0]])
            continue
        if js[-1] - js[0] == len(js) - 1:
            offs = offsets[js[0]:js[-1] + 1]
        else:
            offs = offsets[np.asarray(js)]
        root = roots[k]
        batch = jax.vmap(lambda o: strided_read(root, shape, strides, o))(offs)
        for n, j in enumerate(js):
            out[j] = batch[n]
    return out


@functools.lru_cache(maxsize=256)
def _many_reader(reads):
    return jax.jit(lambda roots, offsets: read_many(roots, reads, offsets))


def read_views(tensors):
    """Read the values of several views (tensors with a layout) in one compiled program, and keep
    each in its tensor's cache."""
    (_, reads), (_, roots, offsets) = view_args(tensors, range(len(tensors)))
    values = _many_reader(reads)(roots, offsets)
    for t, v in zip(tensors, values):
        t._cache = v
        t._cache_gen = t._storage.gen
    return values


class _Read:
    """The read of a view's elements as an entry of a deferred segment (``_lazy``): ``key`` is
    ``(root shape, shape, strides)``; the offset is an input, so the views of a loop over ``i``
    (``data[i:i + 8]``) share one program."""
    name = "view_read"
    defer_large = True

    @staticmethod
    def pure(key):
        _, shape, strides = key
        return lambda a, off: strided_read(a, shape, strides, off)

    @staticmethod
    def forward(key):
        return _reader(*key)


_READ = _Read()


class _ReadOut:
    """A deferred read's output: only the storage that the segment fills (nobody holds it, so the
    segment computes the read for the op that takes it and no more); no tensor is made."""
    __slots__ = ("_storage",)


def _read_out(ref, requires_grad, dtype):
    o = _ReadOut()
    o._storage = Storage(ref)
    return o


def deferred_read(t, concrete=False):
    """The value of the view ``t`` of a pending root as a pending output of this thread's open segment
    (the read joins the program that computes the root), or None (the op reads it itself).  With
    ``concrete``, for a recorded op that is deferred with it, a small concrete root is read there too."""
    root = t._storage._a
    if type(root) is not LazyRef:
        # a small concrete root is read inside the open segment (``mask[:, :, :L, :L] == 0`` in an
        # attention's forward); with no segment open, by the op's own program (``Op.forward_views``):
        # deferring only the read of concrete data would add a segment where nothing is fused
        if (not (concrete or _lazy.current() is not None) or (type(root) is not _ARRAY and type(root) is not np.ndarray)
                or not _lazy.small((root,))):
            return None         # (a tracer: ops under a JAX transform run as they come)
        root = t._storage.array
    shape, strides, offset = t._view
    meta = (((shape, root.dtype),), False, (t._dtype,))
    out = _lazy.enqueue(_READ, (tuple(root.shape), shape, strides), meta, (), [root, offset],
                        (), _read_out, _lazy.no_record)
    return None if out is None else out._storage._a


def write(root_array, view, values):
    """A new root array with the elements of ``view`` replaced by ``values``."""
    shape, strides, offset = view
    if _is_whole(root_array.shape, shape, strides, offset):
        return _whole_writer(root_array.shape)(root_array, values)
    return _writer(root_array.shape, shape, strides)(root_array, values, offset)


def gather_fn(root_shape, view):
    """Pure JAX function root -> view elements (used as the as_strided op)."""
    shape, strides, offset = view
    if _is_whole(root_shape, shape, strides, offset):
        return lambda a: a.reshape(shape)
    if _nesting(tuple(shape), tuple(strides)) is not None:
        return lambda a: strided_read(a, shape, strides, offset)
    idx = _flat_index(shape, strides, offset)
    return lambda a: a.reshape(-1)[idx]


def scatter_fn(root_shape, view):
    """Pure JAX function (root, values) -> root with the view's elements replaced."""
    shape, strides, offset = view
    idx = _flat_index(shape, strides, offset)
    return lambda a, v: a.reshape(-1).at[idx].set(
        jax.numpy.broadcast_to(v.astype(a.dtype), shape)).reshape(root_shape)


# ---- how each view op maps (shape, strides, offset) -------------------------

def view_shape(shape, strides, offset, new_shape):
    """The layout of ``shape/strides`` viewed as ``new_shape``, or None when impossible.

    The source dimensions split, from the right, into chunks that are contiguous
    among themselves (size-1 dimensions never break a chunk).  The target
    dimensions are matched to the chunks from the right; each chunk is re-split
    contiguously.  A target dimension spanning two chunks cannot be a view.
    Size-1 target dimensions are absorbed into the chunk to their right, with
    the stride a contiguous layout would give them, as PyTorch does.
    """
    new_shape = tuple(new_shape)
    if math.prod(shape) == 0:
        if tuple(shape) == new_shape:
            return new_shape, tuple(strides), offset
        return new_shape, contiguous_strides(new_shape), offset
    if not shape:
        return new_shape, contiguous_strides(new_shape), offset
    res = [0] * len(new_shape)
    v = len(new_shape) - 1
    base = strides[-1]          # stride of the innermost element of the current chunk
    chunk = 1                   # elements of the current chunk so far
    for d in range(len(shape) - 1, -1, -1):
        chunk *= shape[d]
        ends = d == 0 or (shape[d - 1] != 1 and strides[d - 1] != chunk * base)
        if not ends:
            continue
        got = 1
        while v >= 0 and (got < chunk or new_shape[v] == 1):
            res[v] = got * base
            got *= new_shape[v]
            v -= 1
        if got != chunk:
            return None
        if d > 0:
            base, chunk = strides[d - 1], 1
    if v != -1:
        return None
    return new_shape, tuple(res), offset
