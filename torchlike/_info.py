"""``torch.finfo`` / ``torch.iinfo``: the numeric limits of a dtype, read from numpy/ml_dtypes.

``finfo(dtype=None)`` (the default dtype when omitted) has ``bits, eps, max, min, tiny,
smallest_normal, resolution, dtype`` (the dtype's name as a ``str``); a complex dtype reports the
limits of its real part.  ``iinfo(dtype)`` has ``bits, max, min, dtype``.  Both are immutable,
compare equal by value, are unhashable and print as PyTorch prints them.
"""
from __future__ import annotations

import importlib
import math
import warnings

import ml_dtypes
import numpy as np

from . import _dtype as D
from . import _creation
from . import cuda
from ._device import set_default_device

__all__ = ["finfo", "iinfo"]


def _check_dtype(fn, args, kwargs):
    """The single ``type`` argument of ``finfo(type)`` / ``iinfo(type)`` as PyTorch parses it."""
    if len(args) + len(kwargs) > 1:
        raise TypeError(f"{fn}() takes at most 1 argument ({len(args) + len(kwargs)} given)")
    if kwargs:
        key, = kwargs
        if key != "type":
            raise TypeError(f"{fn}() got an unexpected keyword argument '{key}'")
        args = (kwargs["type"],)
    if not args:
        if fn == "finfo":
            return D.get_default_dtype()
        raise TypeError(f'{fn}() missing 1 required positional arguments: "type"')
    t = args[0]
    if not isinstance(t, D.dtype):
        raise TypeError(f"{fn}(): argument 'type' (position 1) must be torch.dtype, not {type(t).__name__}")
    return t


class _Info:
    __slots__ = ()
    _fields: tuple = ()

    def __init__(self, **values):
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        if name in self._fields:
            raise AttributeError(f"attribute '{name}' of 'torch.{type(self).__name__}' objects is not writable")
        raise AttributeError(f"'torch.{type(self).__name__}' object has no attribute '{name}'")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        raise TypeError(f"unhashable type: 'torch.{type(self).__name__}'")

    def __repr__(self):
        shown = ", ".join(f"{f}={getattr(self, f):g}" for f in self._shown)
        return f"{type(self).__name__}({shown}, dtype={self.dtype})"

    __str__ = __repr__


class finfo(_Info):
    """``torch.finfo(dtype)``: the machine limits of a floating-point (or complex) dtype."""
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    _fields = __slots__
    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __new__(cls, *args, **kwargs):
        d = _check_dtype("finfo", args, kwargs).to_real()
        if d.category != D.FLOAT:
            raise TypeError("torch.finfo() requires a floating point input type. "
                            "Use torch.iinfo to handle 'torch.finfo'")
        fi = ml_dtypes.finfo(d.np) if d is D.bfloat16 else np.finfo(d.np)
        eps = float(fi.eps)
        self = object.__new__(cls)
        _Info.__init__(self, bits=d.itemsize * 8, eps=eps, max=float(fi.max), min=float(fi.min),
                       tiny=float(fi.tiny), smallest_normal=float(fi.smallest_normal),
                       resolution=10.0 ** -math.floor(-math.log10(eps)), dtype=d.name)
        return self

    def __init__(self, *args, **kwargs):
        pass


class iinfo(_Info):
    """``torch.iinfo(dtype)``: the limits of an integer dtype."""
    __slots__ = ("bits", "max", "min", "dtype")
    _fields = __slots__
    _shown = ("min", "max")

    def __new__(cls, *args, **kwargs):
        d = _check_dtype("iinfo", args, kwargs)
        if d is D.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != D.INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        ii = np.iinfo(d.np)
        self = object.__new__(cls)
        _Info.__init__(self, bits=d.itemsize * 8, max=int(ii.max), min=int(ii.min), dtype=d.name)
        return self

    def __init__(self, *args, **kwargs):
        pass

    def __repr__(self):
        shown = ", ".join(f"{f}={float(getattr(self, f)):g}" for f in self._shown)
        return f"iinfo({shown}, dtype={self.dtype})"

    __str__ = __repr__


finfo.__module__ = iinfo.__module__ = "torchlike"


# ---- deterministic algorithms --------------------------------------------------------------
# XLA's CPU kernels are deterministic; the flags are recorded so that programs that set them read
# back what they set (the debug mode is the flags' other spelling: 0 off, 1 warn only, 2 error).
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record whether programs asked for deterministic algorithms (``warn_only``: warn, don't raise)."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if type(value) is not bool:
            pos = " (position 1)" if name == "mode" else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{pos} must be bool, "
                            f"not {type(value).__name__}")
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode):
    """``"default"``/0: off; ``"warn"``/1: deterministic, warn only; ``"error"``/2: deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                               f"but got {debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _deterministic.update(mode=debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2


# ---- torch.set_default_tensor_type (deprecated) ----------------------------------------------
_warned_tensor_type = []


def set_default_tensor_type(t):
    """The default dtype (and, for ``torch.cuda.*Tensor``, device) that a legacy tensor type names:
    ``torch.DoubleTensor`` or ``'torch.DoubleTensor'``.  Deprecated in PyTorch 2.1, warned once."""
    if isinstance(t, str):
        module, _, attr = t.rpartition(".")
        parts = module.split(".")
        if parts[0] == "torch":
            parts[0] = "torchlike"
        found = importlib.import_module(".".join(parts))
        if not hasattr(found, attr):
            raise AttributeError(f"module '{module}' has no attribute '{attr}'")
        t = getattr(found, attr)
    if not _warned_tensor_type:
        _warned_tensor_type.append(True)
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                      "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                      stacklevel=2)
    if not isinstance(t, _creation.tensortype):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if t.is_cuda:
        if not cuda.is_available():
            raise TypeError(f"type torch.cuda.{t.__name__} not available. Torch not compiled with CUDA enabled.")
    if t.dtype.category != D.FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(t.dtype)
    if t.is_cuda:
        set_default_device("cuda")
