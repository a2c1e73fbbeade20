"""Tensor constructors: ``tensor``, ``zeros``, ``arange``, ``linspace``, ... and ``Tensor.to`` parsing."""
from __future__ import annotations

import builtins
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._device import device as _device_cls, to_jax
from ._registry import _size
from .autograd import grad_mode


def _tensor_cls():
    from ._tensor import Tensor
    return Tensor


def _finish(array, dtype=None, device=None, requires_grad=False):
    """Wrap a freshly built array, placing it on ``device`` and checking requires_grad."""
    T = _tensor_cls()
    if device is not None:
        dev = device if isinstance(device, _device_cls) else _device_cls(device)
        if dev.type != "cpu" or jax.default_backend() != "cpu":
            array = jax.device_put(array, to_jax(dev))
    t = T._wrap(array)
    if requires_grad:
        if t._dtype.category < D.FLOAT:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _infer_dtype(data):
    """torch.tensor's dtype inference over nested Python data."""
    kind = D.BOOL
    stack = [data]
    T = _tensor_cls()
    found_tensor = None
    while stack:
        x = stack.pop()
        if isinstance(x, T):
            found_tensor = x.dtype if found_tensor is None else D.promote_types(found_tensor, x.dtype)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, np.ndarray):
            found_tensor = D.from_numpy_dtype(x.dtype)
        elif isinstance(x, (builtins.bool, np.bool_)):
            pass
        elif isinstance(x, (builtins.int, np.integer)):
            kind = max(kind, D.INT)
        elif isinstance(x, (builtins.float, np.floating)):
            kind = max(kind, D.FLOAT)
        elif isinstance(x, (builtins.complex, np.complexfloating)):
            kind = max(kind, D.COMPLEX)
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    if found_tensor is not None and kind == D.BOOL:
        return found_tensor
    base = {D.BOOL: D.bool, D.INT: D.int64, D.FLOAT: D.get_default_dtype(), D.COMPLEX: D.default_complex()}[kind]
    return base if found_tensor is None else D.promote_types(base, found_tensor)


def _to_numpy(data, dtype):
    T = _tensor_cls()
    if isinstance(data, T):
        return np.asarray(data._arr()).astype(dtype.np)
    if isinstance(data, (list, tuple)):
        items = [_to_numpy(x, dtype) if isinstance(x, (list, tuple, T, np.ndarray)) else x for x in data]
        try:
            return np.array(items, dtype=dtype.np)
        except ValueError as e:
            raise ValueError(f"expected sequence of length {len(data[0]) if hasattr(data[0], '__len__') else 1} at dim 1 (got {len(data[-1]) if hasattr(data[-1], '__len__') else 1})") from None
    if isinstance(data, float) and dtype.category == D.INT and not math.isfinite(data):
        raise RuntimeError("value cannot be converted to type int64 without overflow")
    return np.asarray(data, dtype=dtype.np)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, numpy arrays, tensors)."""
    T = _tensor_cls()
    if isinstance(data, T):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    if dtype is None:
        dtype = _infer_dtype(data)
    arr = _to_numpy(data, dtype)
    return _finish(jnp.asarray(arr, dtype=dtype.np), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    T = _tensor_cls()
    if isinstance(data, T):
        return data._to(dtype, None if device is None else _device_cls(device) if not isinstance(device, _device_cls) else device)
    if isinstance(data, np.ndarray) and dtype is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor with the array's values (a copy: JAX arrays cannot alias numpy memory; see docs/differences.md)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return _finish(jnp.asarray(ndarray))


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.as_dtype(dtype)


def _check_size(size):
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _filled(fill):
    def f(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
        size = _check_size(_size(size))
        d = _dt(dtype)
        t = _finish(fill(size, d.np), d, device, requires_grad)
        return _out(t, out)
    return f


def _out(t, out):
    if out is None:
        return t
    out._resize_to(t.shape) if tuple(out.shape) != tuple(t.shape) else None
    out._assign(t._arr())
    return out


@functools.lru_cache(maxsize=1024)
def _filler(shape, np_dtype):
    """A compiled ``value -> full(shape, value)``: an eager jnp.full costs ~100 us, this ~5 us."""
    return jax.jit(lambda v: jnp.full(shape, v, np_dtype))


def fill(shape, value, np_dtype):
    return _filler(tuple(shape), np.dtype(np_dtype))(value)


zeros = _filled(lambda size, dt: fill(size, 0, dt))
ones = _filled(lambda size, dt: fill(size, 1, dt))
empty = zeros


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    size = _check_size(_size((size,)) if not isinstance(size, (list, tuple)) else tuple(size))
    if dtype is None:
        dtype = D.scalar_dtype(fill_value) if not isinstance(fill_value, _tensor_cls()) else fill_value.dtype
    return _out(_finish(fill(size, fill_value, dtype.np), dtype, device, requires_grad), out)


def _like(fn):
    def f(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        return fn(*input.shape, dtype=dtype or input.dtype, device=device or _dev_if_not_cpu(input),
                  requires_grad=requires_grad)
    return f


def _dev_if_not_cpu(t):
    d = t.device
    return None if d.type == "cpu" else d


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, device=device or _dev_if_not_cpu(input),
                requires_grad=requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, _tensor_cls()) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (builtins.int, np.integer)) for v in vals) else D.get_default_dtype()
    n = max(0, math.ceil((end - start) / step))
    arr = (np.arange(n, dtype=np.float64) * step + start) if dtype.category >= D.FLOAT else \
        np.arange(start, start + n * step, step)[:n]
    return _out(_finish(jnp.asarray(arr.astype(dtype.np)), dtype, device, requires_grad), out)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dtype = _dt(dtype)
    arr = np.arange(n, dtype=np.float64) * step + start
    return _finish(jnp.asarray(arr.astype(dtype.np)), dtype, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values, computed as PyTorch does (symmetric from both ends)."""
    if not isinstance(steps, (builtins.int, np.integer)) or steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    start = start.item() if isinstance(start, _tensor_cls()) else start
    end = end.item() if isinstance(end, _tensor_cls()) else end
    dtype = _dt(dtype)
    arr = _linspace_array(start, end, steps, dtype) if steps <= 65536 else \
        jax.device_put(_linspace_values(start, end, steps, dtype))
    return _out(_finish(arr, dtype, device, requires_grad), out)


@functools.lru_cache(maxsize=256)
def _linspace_array(start, end, steps, dtype):
    """Device array of linspace values, cached: JAX arrays are immutable (writes to a tensor
    replace its storage's array), so equal calls can share one buffer and skip the transfer."""
    return jax.device_put(_linspace_values(start, end, steps, dtype))


def _linspace_values(start, end, steps, dtype):
    if steps == 0:
        return np.zeros((0,), dtype.np)
    if steps == 1:
        return np.full((1,), start, dtype.np)
    if dtype.category == D.INT:
        step = (end - start) / (steps - 1)
        return np.array([start + int(step * i) for i in range(steps)], dtype.np)
    comp = np.float64 if dtype is D.float64 else np.float32
    step = comp((end - start) / (steps - 1))
    i = np.arange(steps)
    half = steps // 2
    lo = comp(start) + step * i.astype(comp)
    hi = comp(end) - step * (steps - 1 - i).astype(comp)
    return np.where(i < half, lo, hi).astype(dtype.np)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = _dt(dtype)
    exps = _linspace_values(start, end, steps, D.float64 if dtype is D.float64 else D.float32)
    arr = np.power(np.asarray(base, exps.dtype), exps).astype(dtype.np)
    return _out(_finish(jax.device_put(arr), dtype, device, requires_grad), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dtype = _dt(dtype)
    return _out(_finish(jnp.eye(n, n if m is None else m, dtype=dtype.np), dtype, device, requires_grad), out)


def parse_to(t, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """Tensor.to(dtype) / to(device, dtype) / to(other) / to(dtype=..., device=...)."""
    T = _tensor_cls()
    for a in args:
        if isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, (str, _device_cls)):
            device = a
        elif isinstance(a, T):
            dtype, device = a.dtype, a.device
        elif isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
            device = _device_cls("cuda", a)
        elif isinstance(a, builtins.bool):
            non_blocking = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    if device is not None and not isinstance(device, _device_cls):
        device = _device_cls(device)
    if device is not None and device.type != "cpu":
        to_jax(device)
    return dtype, device, copy


def _legacy_new(cls, *args, **kwargs):
    """``torch.Tensor(2, 3)`` / ``torch.Tensor([1, 2])``: float tensors of the default dtype."""
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        t = tensor(args[0], dtype=D.get_default_dtype())
    elif args and all(isinstance(a, builtins.int) for a in args):
        t = zeros(*args)
    elif not args:
        t = zeros(0)
    else:
        t = tensor(args[0], dtype=D.get_default_dtype())
    if cls is not t.__class__:
        t.__class__ = cls
    return t


def _new_methods():
    """Tensor.new_* : same dtype and device as self unless given."""
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def mk(fn):
        def f(self, *size, dtype=None, device=None, requires_grad=False, **kw):
            return fn(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
        return f

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
    return {"new_tensor": new_tensor, "new_zeros": mk(zeros), "new_ones": mk(ones), "new_empty": mk(empty),
            "new_full": new_full}
