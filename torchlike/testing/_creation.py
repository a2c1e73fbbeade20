"""``make_tensor``: a tensor of random values for tests, from torchlike's default generator."""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from .. import _dtype as D
import torchlike as T

_SUPPORTED = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
              "complex64", "complex128")


def _limits(dtype):
    if dtype.name == "bfloat16":
        info = ml_dtypes.finfo(ml_dtypes.bfloat16)
        return float(info.min), float(info.max)
    info = np.iinfo(dtype.np) if dtype.category < D.FLOAT else np.finfo(dtype.np)
    return float(info.min), float(info.max)


def _interval(low, high, default_low, default_high, dtype):
    """``[low, high)`` with the defaults filled in and clamped to what ``dtype`` holds, checked as
    PyTorch checks it."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if (isinstance(low, float) and math.isnan(low)) or (isinstance(high, float) and math.isnan(high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if dtype.category < D.FLOAT:
        lo, hi = _limits(dtype)
        if low >= hi + 1 or high <= lo:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} "
                             f"only supports [{int(lo)}, {int(hi) + 1})")
        low, high = math.ceil(low), math.ceil(high)
        if low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        return max(low, int(lo)), min(high, int(hi) + 1)
    if low > high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    lo, hi = _limits(dtype)
    return min(max(low, lo), hi), min(max(high, lo), hi)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` and ``dtype`` with values uniform in ``[low, high)`` (default ``[-9, 9]``;
    integers ``[-9, 10)``, unsigned ones from 0; complex: real and imaginary parts each), clamped to the
    dtype's range; ``noncontiguous`` makes it a strided view, ``exclude_zero`` replaces zeros."""
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and dtype.category < D.FLOAT:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    if dtype.name not in _SUPPORTED:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor(). To "
                        "request support, file an issue at: https://github.com/pytorch/pytorch/issues")
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    shape = tuple(T.empty(*shape).shape) if shape else ()      # PyTorch's size checks and errors
    if dtype is D.bool:
        _interval(low, high, 0, 2, D.int64)
        result = T.randint(0, 2, shape, dtype=T.int64, device=device) > 0
    elif dtype.category < D.FLOAT:
        lo, hi = _interval(low, high, 0 if dtype.name == "uint8" else -9, 10, dtype)
        result = T.randint(lo, hi, shape, dtype=T.int64, device=device).to(dtype)
    else:
        lo, hi = _interval(low, high, -9, 9, dtype)
        real = T.float64

        def uniform():
            return T.rand(shape, dtype=real, device=device) * (hi - lo) + lo
        result = (T.complex(uniform(), uniform()) if dtype.is_complex else uniform()).to(dtype)
    if exclude_zero:
        if dtype is D.bool:
            result = T.ones_like(result)
        else:
            replacement = 1 if dtype.category < D.FLOAT else float(np.finfo(np.float32).eps)
            result = T.where(result == 0, T.tensor(replacement, dtype=dtype, device=device), result)
    if noncontiguous and result.numel() > 1:
        wide = T.repeat_interleave(result, 2, dim=-1)
        result = wide[..., ::2]
    elif memory_format is not None:
        rank = {"channels_last": 4, "channels_last_3d": 5}.get(str(memory_format).split(".")[-1])
        if rank is not None and result.dim() != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {str(memory_format).split('.')[-1]} format")
        result = result.clone(memory_format=memory_format)
    if requires_grad:
        result.requires_grad_(True)
    return result
