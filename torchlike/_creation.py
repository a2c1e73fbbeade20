"""Tensor constructors: ``tensor``, ``zeros``, ``arange``, ``linspace``, ... and ``Tensor.to`` parsing.

Every constructor follows PyTorch's contract: the dtype it infers, the sizes it
accepts (varargs, a tuple/list or a ``torch.Size``), its errors, and for the
range factories the exact values (``linspace``/``logspace`` are computed with
PyTorch's formulas, bit for bit in float32 and float64).

numpy memory cannot be shared with immutable JAX arrays: ``from_numpy`` and
``as_tensor`` copy the array (keeping its strides); a later write to the numpy
array is not seen by the tensor (docs/differences.md).
"""
from __future__ import annotations

import builtins
import collections.abc
import functools
import math
import operator
import os
import warnings

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from . import _dtype as D
from . import _views as V
from ._device import as_device, cuda_is_available, default_device, device as _device_cls, to_jax
from . import _registry as R      # R._Tensor: the Tensor class (_tensor.py imports this module and sets it)
from ._registry import FUNCTIONS
from ._ops_common import _fn


def _finish(array, dtype=None, device=None, requires_grad=False):
    """Wrap a freshly built array, placing it on ``device`` and checking requires_grad."""
    T = R._Tensor
    if device is None:
        device = default_device()
    if device is not None:
        dev = as_device(device)
        if dev.type != "cpu" or jax.default_backend() != "cpu":
            array = jax.device_put(array, to_jax(dev))
    t = T._wrap(array)
    if requires_grad:
        _check_requires_grad(t._dtype)
        t._requires_grad = True
    return t


def _check_requires_grad(dtype):
    if dtype.category < D.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.as_dtype(dtype)


# ---- sizes ---------------------------------------------------------------------

def _parse_size(args, name, size_kw=None):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(torch.Size([2, 3]))`` or ``f(size=...)`` -> (2, 3)."""
    if size_kw is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        args = (size_kw,)
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    try:
        size = tuple(operator.index(s) for s in args)
    except TypeError:
        bad = next(s for s in args if not hasattr(s, "__index__"))
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(bad).__name__}") from None
    for i, s in enumerate(size):
        if not -2 ** 63 <= s < 2 ** 63:         # PyTorch reads each size as a C long long
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            "\"Overflow when unpacking long long\"")
    return size


def _check_size(size, dtype=None):
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    n = math.prod(size) * (dtype.itemsize if dtype is not None else 1)
    if n >= 2 ** 63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)}")
    check_alloc(math.prod(size) * (dtype or D.get_default_dtype()).itemsize)
    return size


def _memory_limit():
    """Bytes the machine could ever hand out (RAM and swap): a larger request fails at the call, as
    PyTorch's allocator does, instead of inside XLA later (or not at all, for a lazy random draw)."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    swap = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("SwapTotal:"):
                    swap = int(line.split()[1]) * 1024
    except OSError:
        pass
    return ram + swap


_MEMORY_LIMIT = _memory_limit()


def check_alloc(nbytes):
    """PyTorch's error for an allocation no machine memory can hold."""
    if _MEMORY_LIMIT is not None and nbytes > _MEMORY_LIMIT:
        raise RuntimeError(f"[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                           f"memory: you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)")


def _out(t, out):
    if out is None:
        return t
    if tuple(out.shape) != tuple(t.shape):
        out._resize_to(t.shape)
    out._assign(t._arr())
    return out


# ---- torch.tensor: data -> array ------------------------------------------------

def _is_sequence(x):
    return isinstance(x, (list, tuple, range)) or (
        isinstance(x, collections.abc.Sequence) and not isinstance(x, (str, bytes)))


def _sizes(data):
    """The shape of nested data, from its first elements (torch's compute_sizes)."""
    T = R._Tensor
    sizes = []
    x = data
    while True:
        if isinstance(x, T):
            break
        if isinstance(x, np.ndarray):
            if x.ndim == 0:
                if x is data:
                    break
                raise TypeError("len() of unsized object")
            sizes.extend(x.shape)
            break
        if isinstance(x, (str, bytes)):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if not _is_sequence(x):
            break
        n = len(x)
        sizes.append(n)
        if n == 0:
            break
        x = x[0]
    return sizes


def _scalar_type(x):
    """torch's inferred dtype of one leaf of nested data (None for an empty sequence)."""
    T = R._Tensor
    if isinstance(x, T):
        return x._dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return D.from_numpy_dtype(x.dtype)
    if isinstance(x, builtins.bool):
        return D.bool
    if isinstance(x, builtins.int):
        return D.int64
    if isinstance(x, builtins.float):
        return D.get_default_dtype()
    if isinstance(x, builtins.complex):
        return D.default_complex()
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if _is_sequence(x):
        r = None
        for item in x:
            d = _scalar_type(item)
            if d is not None:
                r = d if r is None else D.promote_types(r, d)
        return r
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _flatten(x, sizes, dim, out, dtype):
    """Append the leaves of ``x`` (expected shape ``sizes[dim:]``) to ``out``, with torch's errors."""
    T = R._Tensor
    n = sizes[dim]
    if isinstance(x, np.ndarray) and x.ndim > 0:
        want = tuple(sizes[dim:])
        if x.shape != want:
            for k, (a, b) in enumerate(zip(x.shape, want)):
                if a != b:
                    raise ValueError(f"expected sequence of length {b} at dim {dim + k} (got {a})")
            if x.ndim < len(want):
                raise TypeError("not a sequence")
            raise TypeError(_not_a_number(x[(0,) * len(want)], dtype))
        D.from_numpy_dtype(x.dtype)
        out.extend(x.reshape(-1).tolist())
        return
    if isinstance(x, T) or not _is_sequence(x):
        raise TypeError("not a sequence")
    if len(x) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(x)})")
    if dim + 1 < len(sizes):
        for item in x:
            _flatten(item, sizes, dim + 1, out, dtype)
        return
    for item in x:
        if isinstance(item, T):
            item = _tensor_leaf(item, dtype)
        elif isinstance(item, np.ndarray):
            if item.ndim:
                raise TypeError(_not_a_number(item, dtype))
            item = item.item()
        elif _is_sequence(item) or isinstance(item, (str, bytes)):
            raise TypeError(_not_a_number(item, dtype))
        out.append(item)


def _tensor_leaf(t, dtype):
    if t.numel() != 1:
        if dtype.category <= D.INT:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        raise ValueError("only one element tensors can be converted to Python scalars")
    return t.item()


def _not_a_number(item, dtype):
    name = type(item).__name__
    if dtype.category <= D.INT:
        return f"'{name}' object cannot be interpreted as an integer"
    return f"must be real number, not {name}"


def _cast_values(arr, dtype):
    """``arr`` (a wide numpy array of torch.tensor's data) converted to ``dtype`` with torch's checks."""
    if arr.dtype == object or arr.dtype == np.uint64 and dtype is not D.uint64:
        raise ValueError("Overflow when unpacking long long")
    if arr.dtype.kind == "c" and D.FLOAT >= dtype.category > D.BOOL:
        raise TypeError("must be real number, not complex")
    if dtype.category == D.INT and arr.size and arr.dtype.kind in "fiu":
        info = np.iinfo(dtype.np)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(arr).all() and arr.min() >= info.min and arr.max() <= info.max
        if not ok:
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
    if arr.dtype == dtype.np:
        return arr
    if dtype is D.bool and arr.dtype.kind == "c":
        return arr != 0
    if arr.dtype.kind in "fc" and dtype.category <= D.INT:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return arr.astype(dtype.np)
    return arr.astype(dtype.np)


_C_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>", "uint16": "uint16_t",
            "uint32": "uint32_t", "uint64": "uint64_t"}


def _scalar_to(value, dtype, half_overflows=True):
    """A Python scalar converted to ``dtype`` as PyTorch's checked Scalar conversion does
    (fill values, range bounds): RuntimeError when it overflows the type; unsigned types
    accept negative integers down to -max, which wrap."""
    if isinstance(value, np.generic):
        value = value.item()
    if dtype is D.bool:
        return builtins.bool(value)
    err = RuntimeError(f"value cannot be converted to type {_C_NAMES[dtype.name]} without overflow")
    if isinstance(value, builtins.complex) and dtype.category != D.COMPLEX:
        if dtype.category == D.FLOAT and dtype.itemsize == 2:
            raise RuntimeError("value cannot be converted to type double without overflow")
        raise err
    if dtype.category == D.INT:
        info = np.iinfo(dtype.np)
        if isinstance(value, builtins.float):
            if not math.isfinite(value) or not info.min <= value <= info.max:
                raise err
            return int(value)
        v = int(value)
        if info.min <= v <= info.max or (info.min == 0 and -info.max <= v < 0):
            return v
        raise err
    limit = float(ml_dtypes.finfo(dtype.to_real().np).max)
    parts = (value.real, value.imag) if isinstance(value, builtins.complex) else (value,)
    if (half_overflows or dtype.itemsize > 2 or dtype.category == D.COMPLEX) and dtype is not D.float64 \
            and dtype is not D.complex128:
        for x in parts:
            if math.isfinite(x) and abs(x) > limit:
                raise err
    return value


_PY_SCALARS = frozenset((builtins.bool, builtins.int, builtins.float, builtins.complex))


def _plain_leaf_types(data, sizes):
    """The set of leaf types when ``data`` is a regular nesting of lists/tuples of plain Python
    numbers with shape ``sizes`` (the common case, checked level by level at C speed), else None."""
    level = [data]
    last = len(sizes) - 1
    for d, n in enumerate(sizes):
        for seq in level:
            if type(seq) is not list and type(seq) is not tuple or len(seq) != n:
                return None
        if d == last or n == 0:
            if d != last:
                return set()
            types = set()
            for seq in level:
                types.update(map(type, seq))
            return types if types <= _PY_SCALARS else None
        level = [x for seq in level for x in seq]
    return None


def _plain_dtype(types):
    if builtins.complex in types:
        return D.default_complex()
    if builtins.float in types:
        return D.get_default_dtype()
    if builtins.int in types:
        return D.int64
    return D.bool if types else D.get_default_dtype()


def _data_to_numpy(data, dtype):
    """Nested Python data -> (numpy array, dtype), as torch.tensor reads it."""
    t = type(data)
    if t in _PY_SCALARS:                                     # a Python number
        if dtype is None:
            dtype = _plain_dtype((t,))
        try:
            return _cast_values(np.array(data), dtype), dtype
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
    sizes = _sizes(data)
    types = _plain_leaf_types(data, sizes) if sizes else None
    if types is not None:                                    # nested lists of Python numbers
        if dtype is None:
            dtype = _plain_dtype(types)
        wide = np.complex128 if builtins.complex in types else np.float64 if builtins.float in types else \
            np.int64 if builtins.int in types else np.bool_
        try:
            arr = np.array(data, dtype=wide) if types else np.zeros(sizes, np.float64)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
        return _cast_values(arr, dtype).reshape(sizes), dtype
    if dtype is None:
        dtype = _scalar_type(data) or D.get_default_dtype()
    if not sizes:
        if isinstance(data, R._Tensor):
            leaf = _tensor_leaf(data, dtype)
        elif isinstance(data, np.ndarray):
            leaf = data.item()
        else:
            leaf = data
        if _is_sequence(leaf):
            raise TypeError(_not_a_number(leaf, dtype))
        flat = [leaf]
    else:
        flat = []
        _flatten(data, sizes, 0, flat, dtype)
    try:
        wide = np.array(flat)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if wide.dtype.kind not in "biufc" and wide.size:
        for leaf in flat:
            if not isinstance(leaf, _NUMBERS):
                raise TypeError(_not_a_number(leaf, dtype))
        raise ValueError("Overflow when unpacking long long")   # Python ints beyond 64 bits
    return _cast_values(wide, dtype).reshape(sizes), dtype


_NUMBERS = (builtins.bool, builtins.int, builtins.float, builtins.complex, np.generic)


def _negative_strides(a):
    return any(s < 0 for s in a.strides)


_NEGATIVE_STRIDES = ("At least one stride in the given numpy array is negative, and tensors with negative strides "
                     "are not currently supported. (You can probably work around this by making a copy of your "
                     "array  with array.copy().) ")


def _wrap_strided(buffer, shape, strides):
    """A root tensor over the 1-d ``buffer`` with the given element strides (not a view of anything)."""
    T = R._Tensor
    t = T._wrap(buffer)
    t._view = (tuple(shape), tuple(strides), 0)
    t._cache = None
    t._cache_gen = -1
    return t


def _from_ndarray(a, exact_strides):
    """A tensor holding a copy of ``a``.

    ``exact_strides`` (``from_numpy``/``as_tensor``): the tensor has ``a``'s strides, as
    PyTorch's tensor sharing ``a``'s memory would.  Otherwise (``torch.tensor``) the copy is
    dense but keeps the order of ``a``'s dimensions in memory (a Fortran-ordered array gives a
    column-major tensor), as PyTorch does.
    """
    D.from_numpy_dtype(a.dtype)
    if _negative_strides(a):
        raise ValueError(_NEGATIVE_STRIDES)
    T = R._Tensor
    item = a.itemsize
    if a.flags.c_contiguous or a.size <= 1 or a.ndim == 0 or any(s % item for s in a.strides):
        return T._wrap(jnp.asarray(np.asarray(a, order="C")))
    strides = tuple(s // item for s in a.strides)
    if exact_strides:
        if V.is_contiguous(a.shape, strides):
            return T._wrap(jnp.asarray(np.asarray(a, order="C")))
        span = 1 + sum((n - 1) * s for n, s in zip(a.shape, strides))
        buffer = np.lib.stride_tricks.as_strided(a, shape=(span,), strides=(item,)).copy()
        return _wrap_strided(jnp.asarray(buffer), a.shape, strides)
    return _dense_copy(np.asarray(a, order="C"), a.shape, strides)


def dense_strides(shape, strides):
    """Dense strides keeping the memory order of ``strides`` (PyTorch's infer_dense_strides):
    dimensions are ordered innermost-first by stride (ties by size; a zero stride keeps its place)."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))          # perm[0]: the innermost dimension

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa != sb:
            return 1 if sa > sb else -1
        return 1 if shape[a] > shape[b] else 0
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out, acc = [0] * nd, 1
    for d in perm:
        out[d] = acc
        acc *= max(shape[d], 1)
    return tuple(out)


def _dense_copy(values, shape, strides):
    """A root tensor holding ``values`` (a C-ordered numpy array of ``shape``) laid out with the
    dense strides PyTorch would give a copy of a tensor with ``strides``."""
    T = R._Tensor
    out = dense_strides(shape, strides)
    if V.is_contiguous(shape, out):
        return T._wrap(jnp.asarray(values))
    order = sorted(range(len(shape)), key=lambda d: -out[d])
    buffer = np.ascontiguousarray(np.transpose(values, order)).reshape(-1)
    return _wrap_strided(jnp.asarray(buffer), shape, out)


def _convert_ndarray(a, dtype, exact_strides=False):
    src = D.from_numpy_dtype(a.dtype)
    if dtype is None or dtype is src:
        return _from_ndarray(a, exact_strides)
    if _negative_strides(a):
        raise ValueError(_NEGATIVE_STRIDES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return R._Tensor._wrap(jnp.asarray(np.asarray(a, order="C").astype(dtype.np)))


def _place(t, device, requires_grad):
    if device is None:
        device = default_device()
    if device is not None:
        dev = as_device(device)
        if dev != t.device and (dev.type != "cpu" or jax.default_backend() != "cpu"):
            t = t._to(None, dev)
    if requires_grad:
        _check_requires_grad(t._dtype)
        t._requires_grad = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data``: nested sequences of numbers, numpy arrays or
    scalars, 0-dim tensors; its dtype is inferred as PyTorch infers it unless ``dtype`` is given."""
    T = R._Tensor
    if dtype is not None:
        dtype = D.as_dtype(dtype, "tensor")
    if isinstance(data, T):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        arr = data._arr()
        if dtype is not None and dtype is not data._dtype:
            arr = arr.astype(dtype.np)
        return _place(T._wrap(arr), device, requires_grad)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, np.uint64):
        raise TypeError("an integer is required")
    if not isinstance(data, np.ndarray) and not _is_sequence(data) and hasattr(data, "__array__") \
            and not isinstance(data, np.generic):
        data = np.asarray(data)          # jax.Array and other array-likes
    if isinstance(data, np.ndarray):
        return _place(_convert_ndarray(data, dtype), device, requires_grad)
    arr, dtype = _data_to_numpy(data, dtype)
    return _finish(jnp.asarray(arr), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, without a copy where PyTorch would share memory (a tensor of the
    requested dtype and device is returned as is; a numpy array is copied keeping its strides)."""
    T = R._Tensor
    if dtype is not None:
        dtype = D.as_dtype(dtype, "as_tensor")
    if isinstance(data, T):
        return data._to(dtype, None if device is None else as_device(device))
    if isinstance(data, np.ndarray):
        return _place(_convert_ndarray(data, dtype, exact_strides=True), device, False)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """torch.asarray: like ``as_tensor``; ``copy=True`` always copies."""
    T = R._Tensor
    if isinstance(obj, T):
        r = obj._to(None if dtype is None else D.as_dtype(dtype), None if device is None else as_device(device),
                    copy=builtins.bool(copy))
    else:
        r = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        if r is obj:
            r = obj.detach()
        r.requires_grad_(True)
    return r


def from_numpy(ndarray):
    """A tensor with the array's values, dtype and strides.

    Unlike PyTorch this is a copy: JAX arrays cannot alias numpy memory, so a later write to
    the numpy array is not seen by the tensor (nor the reverse); see docs/differences.md.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    t = _from_ndarray(ndarray, exact_strides=True)
    d = default_device()
    return t if d is None else t._to(None, d)


# ---- filled tensors ---------------------------------------------------------------

# Small filled arrays by (fill, size, numpy dtype, value): a JAX array is an immutable value (an in-place
# op gives the storage a new array), so tensors made by the same call can share one: ``torch.ones(10)``
# in a loop costs a dict lookup instead of building the array (~100 us through jnp.ones/jnp.full).
_CONSTS = {}
_CONST_NUMEL = 4096


def _host_full(size, value, np_dtype):
    """``jnp.full(size, value)`` without a compiled program: on a CPU backend the array is filled by
    numpy and put on the device (``jnp.full`` compiles one program per new shape, 30-60 ms)."""
    if jax.default_backend() == "cpu":
        return jax.device_put(np.full(size, value, np_dtype))
    return jnp.full(size, value, np_dtype)


def _const(key, size, make):
    a = _CONSTS.get(key)
    if a is None:
        a = make()
        if math.prod(size) <= _CONST_NUMEL:
            if len(_CONSTS) >= 512:
                _CONSTS.clear()
            _CONSTS[key] = a
    return a


def _filled(name, fill):
    def factory(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
                memory_format=None, **kw):
        size = _parse_size(size, name, kw.pop("size", None))
        if kw:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
        if dtype is None and out is not None:
            dtype = out.dtype
        d = _dt(dtype)
        if name == "zeros" and any(s < 0 for s in size):
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        _check_size(size, d)
        t = _finish(_const((fill, size, d.np), size, lambda: fill(size, d.np)), d, device, requires_grad)
        return _out(t, out)
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"torch.{name}(*size, dtype=None, device=None, requires_grad=False)"
    return factory


zeros = _filled("zeros", lambda size, dt: _host_full(size, 0, dt))
ones = _filled("ones", lambda size, dt: _host_full(size, 1, dt))
empty = _filled("empty", lambda size, dt: _host_full(size, 0, dt))    # torch leaves memory uninitialised: zeros are one content


def _fill_dtype(fill_value):
    """full()'s dtype for a fill value: bool, int64, the default float or complex dtype."""
    T = R._Tensor
    if isinstance(fill_value, T):
        fill_value = fill_value.item()
    return D.scalar_dtype(fill_value)


def _fill_scalar(fill_value, name):
    T = R._Tensor
    if isinstance(fill_value, T):
        if fill_value.ndim:
            raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not Tensor")
        return fill_value.item()
    if isinstance(fill_value, (builtins.bool, builtins.int, builtins.float, builtins.complex, np.generic)):
        return fill_value
    raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")


def _full_array(size, value, dtype):
    v = _scalar_to(value, dtype, half_overflows=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype.category == D.INT:
            v = np.asarray(v, np.int64).astype(dtype.np)       # negative values wrap into unsigned types
        v = np.asarray(v, dtype.np)
        return _const(("full", size, dtype.np, v.tobytes()), size, lambda: _host_full(size, v, dtype.np))


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64,
    the default float or complex dtype) unless ``dtype`` is given."""
    if not isinstance(size, (list, tuple)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    size = _parse_size((size,), "full")
    value = _fill_scalar(fill_value, "full")
    dtype = _fill_dtype(value) if dtype is None else D.as_dtype(dtype, "full")
    _check_size(size, dtype)
    return _out(_finish(_full_array(size, value, dtype), dtype, device, requires_grad), out)


def _check_input(input, name):
    if not isinstance(input, R._Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _preserve_layout(t, input, memory_format):
    """``memory_format=torch.preserve_format`` (the default): a dense input's strides are kept."""
    if (memory_format is not None and memory_format is not D.preserve_format) or input.is_contiguous():
        return t
    r = _dense_copy(np.asarray(t._arr()), tuple(t.shape), input.stride())
    if r._view is not None:
        t._storage, t._view, t._cache, t._cache_gen = r._storage, r._view, None, -1
    return t


def _like(name, factory):
    def f(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        _check_input(input, name)
        t = factory(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                    requires_grad=requires_grad)
        return _preserve_layout(t, input, memory_format)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"torch.{name}(input, *, dtype=None, device=None, requires_grad=False): shape/dtype/device of input"
    return f


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    _check_input(input, "full_like")
    value = _fill_scalar(fill_value, "full_like")
    t = full(tuple(input.shape), value, dtype=dtype or input.dtype, device=device or input.device,
             requires_grad=requires_grad)
    return _preserve_layout(t, input, memory_format)


# ---- ranges -------------------------------------------------------------------------

def _number(x, name):
    T = R._Tensor
    if isinstance(x, T):
        if x.ndim != 0:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got start with "
                               f"{x.ndim} dimension(s).")
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (builtins.bool, builtins.int, builtins.float, builtins.complex)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(x).__name__})")
    return x


def _not_implemented(name, dtype):
    return NotImplementedError(f'"{name}_cpu" not implemented for \'{D.WORDS[dtype.name]}\'')


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` (inclusive) to ``end`` (exclusive) by ``step``.

    int64 when every bound is an integer, else the default dtype.  The element count is
    ``ceil((end - start) / step)`` in double precision and element ``i`` is ``start + i * step``
    computed in double, as PyTorch's CPU kernel does."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange") for v in (start, end, step))
    if dtype is None:
        if out is not None:
            dtype = out.dtype
        elif all(isinstance(v, builtins.int) for v in (start, end, step)):
            dtype = D.int64
        else:
            dtype = D.get_default_dtype()
    dtype = D.as_dtype(dtype, "arange")
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise _not_implemented("arange", dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for v in (start, end):
        if not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if dtype is D.int64:
        # int64 computes in int64: the bounds and the step are truncated first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if all(isinstance(v, builtins.int) for v in (start, end, step)):
        n = -((start - end) // step)
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    if n >= 2 ** 63 or n * dtype.itemsize >= 2 ** 63:
        raise RuntimeError("invalid size, possible overflow?")
    check_alloc(max(n, 0) * dtype.itemsize)
    if dtype is D.int64:
        arr = np.arange(n, dtype=np.int64) * step + start
    elif dtype.category == D.INT:
        # other integer types: the count from the exact bounds, the values from truncated start and step
        arr = np.arange(n, dtype=np.int64) * int(step) + int(start)
    else:
        arr = np.arange(n, dtype=np.float64) * float(step) + float(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = arr.astype(dtype.np)
    return _out(_finish(jnp.asarray(arr), dtype, device, requires_grad), out)


def range_(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """torch.range (deprecated, with PyTorch's warning): ``start`` to ``end`` *inclusive* by ``step``, in
    the default dtype whatever the bounds' types; the count is ``floor((end - start) / step) + 1``."""
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values "
                  "in [start, end).", UserWarning, stacklevel=2)
    start, end, step = (_number(v, "range") for v in (start, end, step))
    dtype = _dt(dtype if dtype is not None or out is None else out.dtype)
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise _not_implemented("range", dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((float(end) - float(start)) / float(step))) + 1
    check_alloc(n * dtype.itemsize)
    if dtype.category == D.INT:
        arr = np.arange(n, dtype=np.int64) * int(step) + int(start)
    else:
        arr = np.arange(n, dtype=np.float64) * float(step) + float(start)
    return _out(_finish(jnp.asarray(arr.astype(dtype.np)), dtype, device, requires_grad), out)


range_.__name__ = range_.__qualname__ = "range"


def _steps(steps, name):
    T = R._Tensor
    if isinstance(steps, T) and steps.ndim == 0 and steps.dtype.category == D.INT:
        steps = steps.item()
    if isinstance(steps, builtins.bool) or not isinstance(steps, (builtins.int, np.integer)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got steps of type "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _range_dtype(start, end, dtype, name):
    if dtype is None:
        dtype = D.default_complex() if isinstance(start, complex) or isinstance(end, complex) \
            else D.get_default_dtype()
    dtype = D.as_dtype(dtype, name)
    if dtype is D.bool:
        raise _not_implemented(name, dtype)
    return dtype


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, computed as PyTorch does
    (the first half from ``start``, the second half back from ``end``)."""
    steps = _steps(steps, "linspace")
    start, end = _number(start, "linspace"), _number(end, "linspace")
    dtype = _range_dtype(start, end, dtype if dtype is not None or out is None else out.dtype, "linspace")
    if requires_grad:
        _check_requires_grad(dtype)
    arr = _linspace_array(start, end, steps, dtype) if steps <= 65536 else \
        jax.device_put(_linspace_values(start, end, steps, dtype))
    return _out(_finish(arr, dtype, device, requires_grad), out)


@functools.lru_cache(maxsize=256)
def _linspace_array(start, end, steps, dtype):
    """Device array of linspace values, cached: JAX arrays are immutable (writes to a tensor
    replace its storage's array), so equal calls can share one buffer and skip the transfer."""
    return jax.device_put(_linspace_values(start, end, steps, dtype))


def _two_prod(a, b):
    """(p, e) with p = fl(a * b) and a * b = p + e exactly (Dekker)."""
    p = a * b
    split = 134217729.0

    def halves(x):
        c = split * x
        hi = c - (c - x)
        return hi, x - hi
    ah, al = halves(a)
    bh, bl = halves(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma(a, b, c):
    """a * b + c with a single rounding, in float64 (numpy has no fma)."""
    p, e = _two_prod(a, b)
    s = c + p
    bb = s - c
    t = (c - (s - bb)) + (p - bb)
    return s + (t + e)


def _symmetric(start, end, step, steps, fma):
    """``start + step*i`` for the first half, ``end - step*(steps-1-i)`` for the rest."""
    i = np.arange(steps, dtype=np.float64)
    n = np.full(steps, step, np.float64)
    if fma:
        lo = _fma(n, i, np.full(steps, start, np.float64))
        hi = _fma(-n, (steps - 1) - i, np.full(steps, end, np.float64))
    else:
        lo = start + step * i
        hi = end - step * ((steps - 1) - i)
    return np.where(np.arange(steps) < steps // 2, lo, hi)


def _linspace_real(start, end, steps, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype.category == D.INT:
            s, e = _int_bound(start, dtype), _int_bound(end, dtype)
            step = (e - s) / (steps - 1)
            return _symmetric(float(s), float(e), step, steps, True)
        if dtype is D.float64:
            s, e = float(start), float(end)
            return _symmetric(s, e, (e - s) / (steps - 1), steps, True)
        if dtype is D.float32:
            # float32 start/end/step; each value start + step*i is exact in float64, then rounded once
            s, e = np.float32(start), np.float32(end)
            step = (e - s) / np.float32(steps - 1)
            return _symmetric(float(s), float(e), float(step), steps, False)
        # float16 / bfloat16: each operation rounds to the dtype (close to, not always bit-equal with, torch)
        h, f = dtype.np.type, np.float32
        s, e = h(start), h(end)
        step = h(f(h(f(e) - f(s))) / f(steps - 1))
        i = np.arange(steps)
        prod_lo = (f(step) * i.astype(h).astype(f)).astype(h).astype(f)
        prod_hi = (f(step) * (steps - 1 - i).astype(h).astype(f)).astype(h).astype(f)
        lo = (f(s) + prod_lo).astype(h)
        hi = (f(e) - prod_hi).astype(h)
        return np.where(i < steps // 2, lo, hi)


def _int_bound(x, dtype):
    """A range bound converted to an integer dtype (checked; negative values wrap into unsigned types)."""
    return int(np.asarray(_scalar_to(x, dtype), np.int64).astype(dtype.np))


def _linspace_values(start, end, steps, dtype):
    if dtype.category != D.COMPLEX:
        _scalar_to(start, dtype)
        _scalar_to(end, dtype)
    if steps == 0:
        return np.zeros((0,), dtype.np)
    if steps == 1:
        return _cast_values(np.asarray([start]), dtype)
    if dtype.category == D.COMPLEX:
        real = dtype.to_real()
        s, e = complex(start), complex(end)
        re = _linspace_real(s.real, e.real, steps, real)
        im = _linspace_real(s.imag, e.imag, steps, real)
        return (re.astype(real.np) + 1j * im.astype(real.np)).astype(dtype.np)
    if isinstance(start, complex) or isinstance(end, complex):
        raise TypeError("must be real number, not complex")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _linspace_real(start, end, steps, dtype).astype(dtype.np)


def _libm_pow(base, exps):
    """``base ** exps`` with the C library's pow, as PyTorch computes it (numpy's vectorised
    power can differ in the last bit); numpy's for very long inputs."""
    if exps.size > 100_000:
        return np.power(base, exps)
    return np.array([math.pow(base, x) for x in exps.tolist()], np.float64)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``, computed as PyTorch does: the exponents in double
    from the dtype-rounded ``start``/``end``, ``pow`` in double, then rounded to ``dtype``."""
    steps = _steps(steps, "logspace")
    start, end = _number(start, "logspace"), _number(end, "logspace")
    base = float(_number(base, "logspace"))
    dtype = _range_dtype(start, end, dtype if dtype is not None or out is None else out.dtype, "logspace")
    if requires_grad:
        _check_requires_grad(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if steps == 0:
            arr = np.zeros((0,), dtype.np)
        elif dtype.category == D.COMPLEX:
            exps = _linspace_values(start, end, steps, D.complex128)
            arr = np.power(complex(base), exps).astype(dtype.np)
        else:
            _scalar_to(start, dtype)
            _scalar_to(end, dtype)
            if dtype.category == D.INT:
                s, e = _int_bound(start, dtype), _int_bound(end, dtype)
                diff = float(e - s)
            else:
                s, e = dtype.np.type(start), dtype.np.type(end)
                diff = float(dtype.np.type(e - s))
                s, e = float(s), float(e)
            if steps == 1:
                exps = np.array([float(s)])
            else:
                exps = _symmetric(float(s), float(e), diff / (steps - 1), steps, False)
            vals = _libm_pow(base, exps)
            arr = vals.astype(dtype.np) if dtype.category != D.INT else np.trunc(vals).astype(np.int64).astype(dtype.np)
    return _out(_finish(jnp.asarray(arr), dtype, device, requires_grad), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and (isinstance(v, builtins.bool) or not hasattr(v, "__index__")):
            raise TypeError(f"eye(): argument '{name}' (position {1 if name == 'n' else 2}) must be int, not "
                            f"{type(v).__name__}")
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype = _dt(dtype if dtype is not None or out is None else out.dtype)
    return _out(_finish(jnp.eye(n, m, dtype=dtype.np), dtype, device, requires_grad), out)


# ---- Tensor.to ---------------------------------------------------------------------

def _to_error(args, kwargs):
    got = ", ".join([type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
                     "bool copy = False, *, torch.memory_format memory_format = None)\n"
                     " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
                     "torch.memory_format memory_format = None)\n"
                     " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
                     "torch.memory_format memory_format = None)")


def _is_dtype_like(a):
    return isinstance(a, D.dtype) or any(a is p for p in (builtins.float, builtins.int, builtins.bool,
                                                           builtins.complex))


def parse_to(t, *args, **kwargs):
    """Tensor.to's three forms: ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)`` and ``to(other, non_blocking=False, copy=False)``;
    returns (dtype or None, device or None, copy)."""
    T = R._Tensor
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown or len(args) > 4:
        raise _to_error(args, kwargs)
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    flags = []
    rest = list(args)
    if rest and isinstance(rest[0], T):
        other = rest.pop(0)
        if dtype is not None or device is not None:
            raise _to_error(args, kwargs)
        dtype, device = other.dtype, other.device
    elif rest and _is_dtype_like(rest[0]):
        if dtype is not None:
            raise _to_error(args, kwargs)
        dtype = rest.pop(0)
    elif rest and (rest[0] is None or isinstance(rest[0], (str, _device_cls, builtins.int))
                   and not isinstance(rest[0], builtins.bool)):
        if device is not None:
            raise _to_error(args, kwargs)
        device = rest.pop(0)
        if rest and (rest[0] is None or _is_dtype_like(rest[0])):
            dtype = rest.pop(0)
    for a in rest:
        if not isinstance(a, builtins.bool):
            raise _to_error(args, kwargs)
        flags.append(a)
    if len(flags) > 2:
        raise _to_error(args, kwargs)
    copy = kwargs.get("copy", flags[1] if len(flags) > 1 else False)
    if dtype is not None:
        dtype = D.as_dtype(dtype, "to")
    if device is not None:
        device = as_device(device)
        if device.type != "cpu":
            to_jax(device)
        if device == t.device:
            device = None
    return dtype, device, builtins.bool(copy)


# ---- legacy constructors and Tensor.new_* ------------------------------------------

_LEGACY_FORMS = (" * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
                 " * (tuple of ints size, *, torch.device device = None)\n"
                 " * (object data, *, torch.device device = None)\n")


def _arg_type_name(a):
    if isinstance(a, R._Tensor):
        return "Tensor"
    if isinstance(a, D.dtype):
        return "torch.dtype"
    if isinstance(a, _device_cls):
        return "torch.device"
    return type(a).__name__


def _legacy_args_error(args, kwargs):
    """PyTorch's "invalid combination of arguments" error of the legacy constructors."""
    kws = [f"{k}={_arg_type_name(v)}" for k, v in kwargs.items()]
    got = ", ".join([_arg_type_name(a) for a in args] + kws) if args else "".join(k + ", " for k in kws)
    return TypeError(f"new() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + _LEGACY_FORMS)


def _qualified_type_name(a):
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def _is_size_int(a):
    return hasattr(a, "__index__") and not isinstance(a, (builtins.bool, np.ndarray, R._Tensor))


def _legacy_construct(dtype, device_type, args, kwargs, default_device=None):
    """The legacy constructors ``torch.Tensor(...)`` (``dtype`` None: the default dtype) and
    ``torch.FloatTensor(...)`` & co (a fixed dtype): ``(2, 3)`` or a ``torch.Size`` (uninitialised:
    zeros here), ``([1, 2])`` (data), ``(tensor)`` (an alias of it), ``()`` (empty), and the keyword
    forms ``size=``, ``data=``, ``other=``; ``device=`` only of ``device_type``."""
    kw = dict(kwargs)
    device = kw.pop("device", None)
    if kw:
        key = next(iter(kw))
        if args or len(kw) > 1 or key not in ("size", "data", "other"):
            raise _legacy_args_error(args, kwargs)
        value = kw[key]
        if key == "size" and not (isinstance(value, (tuple, list)) and all(map(_is_size_int, value))):
            raise _legacy_args_error(args, kwargs)
        if key == "other" and not isinstance(value, R._Tensor):
            raise _legacy_args_error(args, kwargs)
        if key == "data":
            return _legacy_data(value, dtype, device or default_device)
        args = tuple(value) if key == "size" else (value,)
        if key == "size" and not args:
            return _legacy_sized((), dtype, device or default_device)
    if device is not None:
        dev = as_device(device)
        if dev.type != device_type and not (dtype is None and dev.type == "cuda"):
            raise RuntimeError(f"legacy constructor expects device type: {device_type} but device type: "
                               f"{dev.type} was passed")
    if device is None and not (args and isinstance(args[0], R._Tensor)):
        device = default_device
    if not args:
        return _legacy_sized((0,), dtype, device)
    first = args[0]
    if isinstance(first, R._Tensor):
        if len(args) > 1:
            raise _legacy_args_error(args, kwargs)
        if device is not None:
            raise RuntimeError("Legacy tensor constructor of the form torch.Tensor(tensor, device=device) is not "
                               "supported.  Use torch.tensor(...) or torch.as_tensor(...) instead.")
        if dtype is not None and (first.dtype is not dtype or (first.device.type == "cuda") != (device_type == "cuda")):
            raise TypeError(f"expected {_tensor_options(dtype)} (got {_tensor_options(first.dtype)})")
        return FUNCTIONS["alias"](first)        # a view of the same storage (AliasBackward0), as in torch
    if len(args) == 1 and type(first).__name__ == "Size":
        return _legacy_sized(tuple(first), dtype, device)
    if _is_size_int(first):
        for i, a in enumerate(args[1:], 2):
            if not _is_size_int(a):
                raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i} with error "
                                f"\"type must be tuple of ints,but got {_qualified_type_name(a)}\"")
        return _legacy_sized(tuple(operator.index(a) for a in args), dtype, device)
    if len(args) > 1:
        raise _legacy_args_error(args, kwargs)
    return _legacy_data(first, dtype, device)


def _legacy_sized(size, dtype, device):
    return empty(*size, dtype=dtype or D.get_default_dtype(), device=device)


def _legacy_data(data, dtype, device):
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not (_is_sequence(data) or isinstance(data, np.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {_qualified_type_name(data)})")
    return tensor(data, dtype=dtype or D.get_default_dtype(), device=device)


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                 "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "bool": "bool"}


def _tensor_options(dtype):
    return (f"TensorOptions(dtype={_C_TYPE_NAMES.get(dtype.name, dtype.name)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt))")


def _legacy_new(cls, *args, **kwargs):
    """``torch.Tensor(...)`` (``Tensor.__new__``): see ``_legacy_construct``; a subclass gets its class."""
    t = _legacy_construct(None, "cpu", args, kwargs)
    if cls is not t.__class__:
        t.__class__ = cls
    return t


class tensortype(type):
    """The class of ``torch.FloatTensor``, ``torch.LongTensor``, ...: calling one is the legacy
    constructor with its dtype; ``isinstance(x, torch.FloatTensor)`` is true for a float32 tensor on
    the CPU (on CUDA for ``torch.cuda.FloatTensor``), whatever class ``x`` has; the Tensor methods
    are its attributes (``torch.FloatTensor.add``)."""

    def __call__(cls, *args, **kwargs):
        if not cls.is_cuda:
            return _legacy_construct(cls.dtype, "cpu", args, kwargs)
        if not cuda_is_available():
            raise TypeError(f"type torch.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled.")
        return _legacy_construct(cls.dtype, "cuda", args, kwargs, default_device="cuda")

    def __instancecheck__(cls, obj):
        return (isinstance(obj, R._Tensor) and obj.dtype is cls.dtype
                and (obj.device.type == "cuda") == cls.is_cuda)

    def __getattr__(cls, name):
        return getattr(R._Tensor, name)


def _typed_tensor(dtype, cuda=False, module=None):
    name = D.WORDS[dtype.name] + "Tensor"
    return tensortype(name, (), {"dtype": dtype, "is_cuda": cuda, "is_sparse": False, "is_sparse_csr": False,
                                 "is_xpu": False, "layout": D.strided, "__module__": module or __name__,
                                 "__qualname__": name})


def typed_tensors(cuda=False, module=None):
    """``{"FloatTensor": torch.FloatTensor, ...}``: the legacy typed tensor classes of torch (or
    torch.cuda with ``cuda=True``)."""
    return {t.__name__: t for t in (_typed_tensor(getattr(D, n), cuda, module) for n in
                                    ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16",
                                     "int8", "uint8", "bool"))}


def _tensor_type_of(dtype):
    """The dtype a ``Tensor.type(...)`` argument names: a dtype, a typed tensor class, ``torch.Tensor``
    (the default dtype) or a name (``'torch.LongTensor'``, ``'torch.cuda.FloatTensor'``); with whether it
    names a CUDA type."""
    T = R._Tensor
    if isinstance(dtype, str):
        name = dtype
        cuda = name.startswith("torch.cuda.")
        word = name[len("torch.cuda."):] if cuda else name[len("torch."):] if name.startswith("torch.") else None
        if word == "Tensor":
            return D.get_default_dtype(), cuda
        by_word = {w + "Tensor": getattr(D, n) for n, w in D.WORDS.items()}
        if word not in by_word:
            raise ValueError(f"invalid type: '{dtype}'")
        return by_word[word], cuda
    if isinstance(dtype, tensortype):
        return dtype.dtype, dtype.is_cuda
    if isinstance(dtype, type):
        if dtype is T:
            return D.get_default_dtype(), False
        raise ValueError(f"invalid type: '{dtype.__name__}'")
    if isinstance(dtype, D.dtype):
        return dtype, None
    raise TypeError("dtype must be a type, str, or dtype object")


def tensor_type(self, dtype=None, non_blocking=False, **kwargs):
    """``Tensor.type()``: ``'torch.FloatTensor'`` (``'torch.cuda.FloatTensor'`` on CUDA); ``Tensor.type(t)``
    converts to the dtype (and device kind) ``t`` names, returning ``self`` when nothing changes."""
    unexpected = kwargs.keys() - {"async"}
    if unexpected:
        raise TypeError(f"type() got an unexpected keyword argument '{sorted(unexpected)[0]}'")
    cuda_now = self.device.type == "cuda"
    if dtype is None:
        return f"torch.{'cuda.' if cuda_now else ''}{D.WORDS.get(self.dtype.name, self.dtype.name)}Tensor"
    target, cuda = _tensor_type_of(dtype)
    if cuda is None or cuda == cuda_now:
        return self._to(target)
    if cuda:
        if not cuda_is_available():
            raise RuntimeError(f"Cannot convert to {dtype if isinstance(dtype, str) else 'torch.cuda.' + dtype.__name__}"
                               ": no CUDA device (JAX sees no GPU)")
    return self.to(device="cuda" if cuda else "cpu", dtype=target)


def _new_methods():
    """Tensor.new_*: the dtype and device of ``self`` unless given."""
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def mk(name, factory):
        def f(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
            size = _check_size(_parse_size(size, name, kw.pop("size", None)))
            return factory(size, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad, **kw)
        f.__name__ = name
        f.__qualname__ = "Tensor." + name
        return f

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        if not isinstance(size, (list, tuple)):
            raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(size).__name__}")
        return full(size, _fill_scalar(fill_value, "new_full"), dtype=dtype or self.dtype,
                    device=device or self.device, requires_grad=requires_grad)
    return {"new_tensor": new_tensor, "new_zeros": mk("new_zeros", zeros), "new_ones": mk("new_ones", ones),
            "new_empty": mk("new_empty", empty), "new_full": new_full}


# ---- index factories: tril_indices / triu_indices ---------------------------------------------

def _tri_indices(name, lower):
    def f(row, col, offset=0, *, dtype=None, device=None, layout=None):
        dtype = D.int64 if dtype is None else D.as_dtype(dtype, name)
        if dtype.category != D.INT:
            raise NotImplementedError(f'"{name}" not implemented for \'{D.WORDS[dtype.name]}\'')
        row, col, offset = (operator.index(v) for v in (row, col, offset))
        if row < 0:
            raise RuntimeError(f"row must be non-negative, got{row}")
        if col < 0:
            raise RuntimeError(f"col must be non-negative, got{col}")
        r, c = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
        return _finish(jnp.asarray(np.stack([r, c]).astype(dtype.np).reshape(2, -1)), dtype, device)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``torch.{name}(row, col, offset=0)``: the (2, N) row and column indices of the "
                 f"{'lower' if lower else 'upper'} triangle of a ``row`` x ``col`` matrix, row-major.")
    return f


tril_indices = _tri_indices("tril_indices", True)
triu_indices = _tri_indices("triu_indices", False)


# ---- spectral windows of the torch namespace (``periodic=True`` by default) ---------------------

def _window(name, formula):
    """``torch.<name>(window_length, periodic=True, *params, dtype=None, ...)``: ``formula(n, N, *params)``
    (``params``: the formula's own, ``alpha``/``beta``) over ``n = 0..N-1`` in float64, with ``N = window_length + 1`` for a periodic window (its last point
    dropped), cast to ``dtype``; length 1 is ``[1.]``."""
    def f(window_length, periodic=True, *params, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **named):
        dtype = _dt(dtype)
        if dtype.category != D.FLOAT:
            raise RuntimeError(f"{name} expects floating point dtypes, got: {_window_options(dtype)}")
        n = operator.index(window_length)
        if n < 0:
            raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
        if n <= 1:
            arr = np.ones(n)
        else:
            m = n + 1 if periodic else n
            arr = formula(np.arange(m, dtype=np.float64), m, *params, **named)[:n]
        return _finish(jnp.asarray(arr.astype(dtype.np)), dtype, device, requires_grad)
    f.__name__ = f.__qualname__ = name
    return f


def _window_options(dtype):
    return (f"TensorOptions(dtype={_C_TYPE_NAMES.get(dtype.name, dtype.name)}, device=cpu, layout=Strided "
            "(default), requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")


def _hamming(n, m, alpha=0.54, beta=0.46):
    return alpha - beta * np.cos(2 * np.pi * n / (m - 1))


def _kaiser(n, m, beta=12.0):
    return np.i0(beta * np.sqrt(np.maximum(0.0, 1 - (2 * n / (m - 1) - 1) ** 2))) / np.i0(beta)


hann_window = _window("hann_window", lambda n, m: _hamming(n, m, 0.5, 0.5))
hamming_window = _window("hamming_window", _hamming)
blackman_window = _window("blackman_window", lambda n, m: (0.08 * np.cos(4 * np.pi * n / (m - 1))
                                                            - 0.5 * np.cos(2 * np.pi * n / (m - 1)) + 0.42))
bartlett_window = _window("bartlett_window", lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1))
kaiser_window = _window("kaiser_window", _kaiser)


# ---- tensors over raw bytes: frombuffer, from_file ---------------------------------------------

def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """The elements of a Python buffer (``bytes``, ``bytearray``, ``array.array``, ``memoryview``, ...) read
    as ``dtype``, from byte ``offset``, ``count`` of them (-1: all).  PyTorch shares the buffer's memory;
    JAX arrays are immutable, so this copies it (docs/differences.md)."""
    dtype = D.as_dtype(dtype, "frombuffer")
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    nbytes, size = view.nbytes, dtype.itemsize
    if view.readonly:
        warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. This "
                      "means you can write to the underlying (supposedly non-writable) buffer using the tensor. "
                      "You may want to copy the buffer to protect its data or make it writable before converting "
                      "it to a tensor. This type of warning will be suppressed for the rest of this program.",
                      UserWarning, stacklevel=2)
    if nbytes <= 0 and count == -1 or count == 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if offset < 0 or offset >= nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({nbytes} bytes) minus 1")
    if count < 0:
        if (nbytes - offset) % size:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({size})")
        count = (nbytes - offset) // size
    elif offset + count * size > nbytes:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({nbytes} bytes)")
    arr = np.frombuffer(view.cast("B"), dtype=dtype.np, count=count, offset=offset).copy()
    return _finish(jnp.asarray(arr), dtype, None, requires_grad)


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False):
    """``size`` elements of ``dtype`` read from the start of file ``filename``.  PyTorch maps the file
    (``shared=True`` writes back to it); here the tensor is a copy of its bytes (docs/differences.md)."""
    dtype = _dt(dtype)
    size = operator.index(size)
    try:
        with open(filename, "rb") as fh:
            raw = fh.read(size * dtype.itemsize)
            have = os.fstat(fh.fileno()).st_size
    except OSError as e:
        mode = "read-write" if shared else "read-only"
        raise RuntimeError(f"unable to open file <{filename}> in {mode} mode: {e.strerror} ({e.errno})") from None
    if have < size * dtype.itemsize:
        raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required mapping size "
                           f"<{size * dtype.itemsize}>")
    arr = np.frombuffer(raw, dtype=dtype.np, count=size).copy()
    return _finish(jnp.asarray(arr), dtype, device, requires_grad)


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
