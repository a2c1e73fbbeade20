"""The last names of the ``torch`` namespace: symbolic-shape helpers, a few exception classes,
per-device autocast switches, ``torch.fork``/``wait``, ``torch.GradScaler`` and SyncBatchNorm's kernels.

torchlike has no symbolic shapes, so ``sym_*`` act on plain Python numbers exactly as PyTorch's
do on plain numbers, and ``SymInt``/``SymFloat``/``SymBool`` are classes no plain number is an
instance of (as in PyTorch).  SyncBatchNorm's kernels other than ``batch_norm_update_stats`` have
no CPU implementation in PyTorch and raise its NotImplementedError; ``batch_norm_update_stats`` is
composed of torchlike reductions, so it carries autograd.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .amp import autocast_mode as _ac
from .amp.grad_scaler import GradScaler  # noqa: F401  (torch.GradScaler is torch.amp.GradScaler)
from .jit import Error as JITException, fork, wait  # noqa: F401
import torchlike as torch     # the public face, read when called (not an import cycle)
from .autograd import grad_mode
from ._device import device as _device, device

__all__ = ["thread_safe_generator", "sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum", "sym_ite",
           "sym_fresh_size", "sym_constrain_range", "sym_constrain_range_for_size", "SymInt", "SymFloat",
           "SymBool", "AcceleratorError", "FatalError", "JITException", "GradScaler",
           "get_autocast_ipu_dtype", "get_autocast_xla_dtype", "is_autocast_ipu_enabled",
           "is_autocast_xla_enabled", "set_autocast_gpu_dtype", "set_autocast_ipu_dtype",
           "set_autocast_ipu_enabled", "set_autocast_xla_dtype", "set_autocast_xla_enabled", "fork", "wait",
           "batch_norm_stats", "batch_norm_elemt", "batch_norm_gather_stats",
           "batch_norm_gather_stats_with_counts", "batch_norm_update_stats", "batch_norm_backward_reduce",
           "batch_norm_backward_elemt", "Stream", "Event"]


# ---- symbolic-shape classes and helpers over plain numbers -----------------------------------------
class SymInt:
    """A symbolic integer (never produced by torchlike: shapes are concrete)."""


class SymFloat:
    """A symbolic float (never produced by torchlike)."""


class SymBool:
    """A symbolic bool (never produced by torchlike)."""


for _c in (SymInt, SymFloat, SymBool):
    _c.__module__ = "torch"

_NUMBER = (np.integer, np.floating, int, float)


def _expect_number(a):
    if not isinstance(a, _NUMBER):
        raise AssertionError(f"expected {_NUMBER}, got {type(a)}")


def sym_int(a):
    """``int(a)`` rounding toward zero."""
    return builtins.int(a)


def sym_float(a):
    return builtins.float(a)


def sym_max(a, b):
    """``max`` of two numbers; a float if either is a float."""
    _expect_number(a)
    _expect_number(b)
    r = builtins.max(a, b)
    return builtins.float(r) if isinstance(a, float) or isinstance(b, float) else r


def sym_min(a, b):
    _expect_number(a)
    _expect_number(b)
    r = builtins.min(a, b)
    return builtins.float(r) if isinstance(a, float) or isinstance(b, float) else r


def sym_not(a):
    return not a


def sym_sqrt(a):
    return math.sqrt(a)


def sym_sum(*args):
    """Sum of the numbers given as arguments or as one list/tuple."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return builtins.sum(args)


def sym_ite(b, t, f):
    """``t if b else f`` for a bool ``b``."""
    if not isinstance(b, (bool, SymBool)):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f


def sym_fresh_size(expr):
    return torch.tensor(expr).item()


_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


def _check_range(name, size, lo, hi):
    if isinstance(size, bool) or not isinstance(size, _NUMBER):
        raise TypeError(f"{name}(): argument 'size' (position 1) must be Number, not {type(size).__name__}")
    lo = _I64_MIN if lo is None else lo
    hi = _I64_MAX if hi is None else hi
    if not lo <= size <= hi:
        raise RuntimeError(f"Invalid value range for {size} between [{lo}, {hi}].")


def sym_constrain_range(size, min=None, max=None):  # noqa: A002
    """Checks ``min <= size <= max`` for a concrete ``size`` (a symbolic one would be constrained)."""
    _check_range("sym_constrain_range", size, min, max)


def sym_constrain_range_for_size(size, min=None, max=None):  # noqa: A002
    """Checks that ``size`` is a valid size: ``max(min, 0) <= size <= max``."""
    _check_range("sym_constrain_range_for_size", size, 0 if min is None else min, max)


# ---- exception classes ---------------------------------------------------------------------------
class AcceleratorError(RuntimeError):
    """Raised by an accelerator runtime (CUDA errors in PyTorch)."""


class FatalError(Exception):
    pass


AcceleratorError.__module__ = FatalError.__module__ = "torch"


# ---- deprecated per-device autocast switches (state kept by torchlike.amp) -------------------------
def _deprecated_get(old, device_type, what):
    def fn():
        _ac._deprecated(f"{old}()", f"{what}('{device_type}')")
        return (_ac.get_autocast_dtype if what == "get_autocast_dtype" else _ac.is_autocast_enabled)(device_type)
    fn.__name__ = fn.__qualname__ = old
    return fn


def _deprecated_set(old, device_type, what, arg):
    def fn(value):
        _ac._deprecated(f"{old}({arg})", f"{what}('{device_type}', {arg})")
        (_ac.set_autocast_dtype if what == "set_autocast_dtype" else _ac.set_autocast_enabled)(device_type, value)
    fn.__name__ = fn.__qualname__ = old
    return fn


get_autocast_ipu_dtype = _deprecated_get("get_autocast_ipu_dtype", "ipu", "get_autocast_dtype")
get_autocast_xla_dtype = _deprecated_get("get_autocast_xla_dtype", "xla", "get_autocast_dtype")
is_autocast_ipu_enabled = _deprecated_get("is_autocast_ipu_enabled", "ipu", "is_autocast_enabled")
is_autocast_xla_enabled = _deprecated_get("is_autocast_xla_enabled", "xla", "is_autocast_enabled")
set_autocast_gpu_dtype = _deprecated_set("set_autocast_gpu_dtype", "cuda", "set_autocast_dtype", "dtype")
set_autocast_ipu_dtype = _deprecated_set("set_autocast_ipu_dtype", "ipu", "set_autocast_dtype", "dtype")
set_autocast_xla_dtype = _deprecated_set("set_autocast_xla_dtype", "xla", "set_autocast_dtype", "dtype")
set_autocast_ipu_enabled = _deprecated_set("set_autocast_ipu_enabled", "ipu", "set_autocast_enabled", "enabled")
set_autocast_xla_enabled = _deprecated_set("set_autocast_xla_enabled", "xla", "set_autocast_enabled", "enabled")


# ---- SyncBatchNorm's kernels -----------------------------------------------------------------------
def batch_norm_update_stats(input, running_mean, running_var, momentum):  # noqa: A002
    """Per-channel (dim 1) mean and biased variance of ``input``; updates the running stats in place
    (``running_var`` with the unbiased variance, as ``batch_norm`` does)."""
    dims = [0] + list(range(2, input.dim())) if input.dim() >= 2 else [1]
    mean = input.mean(dims)
    var = input.var(dims, unbiased=False)
    n = input.numel() // max(mean.numel(), 1)
    with grad_mode.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.detach().to(running_mean.dtype), alpha=momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_((var.detach() * (n / max(n - 1, 1))).to(running_var.dtype), alpha=momentum)
    return mean, var


def _no_cpu_kernel(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"Could not run 'aten::{name}' with arguments from the 'CPU' backend. This "
                                  f"could be because the operator doesn't exist for this backend (PyTorch "
                                  f"implements it for CUDA only; torchlike follows its CPU build).")
    fn.__name__ = fn.__qualname__ = name
    return fn


batch_norm_stats = _no_cpu_kernel("batch_norm_stats")
batch_norm_elemt = _no_cpu_kernel("batch_norm_elemt")
batch_norm_gather_stats = _no_cpu_kernel("batch_norm_gather_stats")
batch_norm_gather_stats_with_counts = _no_cpu_kernel("batch_norm_gather_stats_with_counts")
batch_norm_backward_reduce = _no_cpu_kernel("batch_norm_backward_reduce")
batch_norm_backward_elemt = _no_cpu_kernel("batch_norm_backward_elemt")


# ---- torch.Stream / torch.Event: the CPU (and meta) device's, which order nothing ----------------------
_DEVICE_TYPE_CODES = {"cpu": 0, "meta": 14}


def _stream_device(device):
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    d = _device("cpu" if device is None else device)
    if d.type not in _DEVICE_TYPE_CODES:
        raise RuntimeError(f"PyTorch is not linked with support for {d.type} devices")
    return d.type


class Stream:
    """A stream of the CPU device: work on it runs at once, so it is always idle."""

    def __init__(self, device=None, *, priority=0, **kwargs):
        if kwargs:
            if set(kwargs) != {"stream_id", "device_index", "device_type"}:
                raise TypeError(f"Stream() got an unexpected keyword argument '{next(iter(kwargs))}'")
            names = {v: k for k, v in _DEVICE_TYPE_CODES.items()}
            if kwargs["device_type"] not in names:
                raise RuntimeError("Cannot access accelerator device when none is available.")
            self._type, self.device_index, self.stream_id = (names[kwargs["device_type"]], kwargs["device_index"],
                                                              kwargs["stream_id"])
        else:
            self._type, self.device_index, self.stream_id = _stream_device(device), -1, 0

    device_type = property(lambda self: _DEVICE_TYPE_CODES[self._type])

    @property
    def device(self):
        return device(self._type)

    @property
    def native_handle(self):
        raise RuntimeError("Backend doesn't support getting stream native handle.")

    def query(self):
        return True

    def synchronize(self):
        return None

    def is_capturing(self):
        return False

    def record_event(self, event=None):
        raise RuntimeError(f"{self._type} backend doesn't support events.")

    def wait_event(self, event):
        return None

    def wait_stream(self, stream):
        raise RuntimeError(f"{self._type} backend doesn't support events.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def _key(self):
        return (self._type, self.device_index, self.stream_id)

    def __eq__(self, other):
        return isinstance(other, Stream) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"torch.Stream device_type={self._type}, device_index={self.device_index}, stream_id={self.stream_id}"


class Event:
    """An event of the CPU device: never recorded (the CPU backend has no events), always complete."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self._type = _stream_device(device)
        self._flag = 1 if enable_timing else 0
        self.event_id = 0

    @property
    def device(self):
        return device(self._type)

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait(self, stream=None):
        return None

    def record(self, stream=None):
        raise RuntimeError(f"{self._type} backend doesn't support events.")

    def elapsed_time(self, end_event):
        if not (self._flag and getattr(end_event, "_flag", 0)):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        raise ValueError("Both events must be recorded before calculating elapsed time.")

    def ipc_handle(self):
        raise NotImplementedError("torch.Event ipc is not supported yet, please open an issue if you need this!")

    @classmethod
    def from_ipc_handle(cls, device, ipc_handle):
        raise NotImplementedError("torch.Event ipc is not supported yet, please open an issue if you need this!")

    def __repr__(self):
        return (f"torch.Event device_type={self._type}, device_index=-1, event_flag={self._flag}, "
                f"event_id={self.event_id}")


Stream.__module__ = Event.__module__ = "torch"


def thread_safe_generator():
    """The generator of the DataLoader *thread* worker calling it, else None (use the global RNG).
    torchlike's DataLoader workers are processes (or the main process), so this is always None."""
    return None
