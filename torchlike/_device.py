"""torch.device over JAX devices: 'cpu' is JAX's CPU, 'cuda' JAX's GPUs.

A :class:`device` is a (type, index) pair parsed as PyTorch parses it.  Every
device type PyTorch knows can be *named*; tensors can only be placed on the
types JAX has here (``cpu``, ``cuda`` when JAX sees a GPU, ``xla`` for TPUs).
``with torch.device(...)`` and ``set_default_device`` choose where factory
functions put tensors when no ``device=`` is given.
"""
from __future__ import annotations

import builtins
import functools

import jax

from ._state import local as _local

_PLATFORM_TO_TYPE = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda", "tpu": "xla"}
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_TYPES_MSG = ("Expected one of " + ", ".join(_TYPES) + " device type at start of device string: ")


def _parse(spec):
    """``'cuda:1'`` -> ('cuda', 1), with PyTorch's errors."""
    if not spec:
        raise RuntimeError("Device string must not be empty")
    kind, colon, idx = spec.partition(":")
    if kind not in _TYPES:
        if kind.strip() in _TYPES or not kind.isalpha():
            raise RuntimeError(f"Invalid device string: '{spec}'")
        raise RuntimeError(_TYPES_MSG + spec)
    if not colon:
        return kind, None
    if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
        raise RuntimeError(f"Invalid device string: '{spec}'")
    return kind, int(idx)


class device:
    """``torch.device('cuda:0')`` / ``torch.device('cpu')`` / ``torch.device('cuda', 1)`` / ``torch.device(0)``.

    Equal devices compare equal and hash alike; a device never equals a string.
    """
    __slots__ = ("type", "index", "_prev")

    def __init__(self, type=None, index=None):  # noqa: A002 - torch's parameter names
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device() received an invalid combination of arguments - got (torch.device, int)")
            type, index = type.type, type.index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            if not _jax_devices("cuda"):
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type
        elif isinstance(type, str):
            kind, idx = _parse(type)
            if idx is not None and index is not None:
                raise RuntimeError(
                    "type (string) must not include an index because index was passed explicitly: " + type)
            type = kind
            index = idx if index is None else index
        else:
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__})")
        if index is not None:
            if not isinstance(index, builtins.int) or isinstance(index, builtins.bool):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                                f"{builtins.type(index).__name__}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index
        self._prev = None

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    # ``with torch.device('cuda'):`` makes it the default for factory functions
    def __enter__(self):
        state = _local.state
        self._prev = state.default_device
        state.default_device = self
        return self

    def __exit__(self, *exc):
        _local.state.default_device = self._prev
        self._prev = None
        return False


# the default device is per thread, as PyTorch's: ``_state.ThreadState.default_device``


def set_default_device(dev):
    """Where factory functions put tensors when given no ``device=`` (None: the CPU)."""
    _local.state.default_device = None if dev is None else as_device(dev)


def get_default_device():
    return _local.state.default_device or _cpu


def default_device():
    """The device factory functions use when none is given, or None for the CPU (the fast path)."""
    d = _local.state.default_device
    return None if d is None or d.type == "cpu" else d


def as_device(dev):
    return dev if isinstance(dev, device) else device(dev)


@functools.lru_cache(maxsize=None)
def _jax_devices(kind):
    try:
        # this process's devices: under torch.distributed JAX also lists the other processes'
        if kind == "cpu":
            return tuple(jax.local_devices(backend="cpu"))
        if kind == "cuda":
            return tuple(jax.local_devices(backend="gpu"))
        if kind == "xla":
            return tuple(jax.local_devices(backend="tpu"))
        return ()
    except RuntimeError:
        return ()


def cuda_is_available():
    """True when JAX sees a GPU (``torch.cuda.is_available``)."""
    return len(_jax_devices("cuda")) > 0


# torch.cuda's state (``torchlike/cuda``): the current device, which a bare ``'cuda'`` names
CUDA_STATE = {"current": 0, "initialized": False}


def to_jax(dev):
    """The JAX device for a torch device (PyTorch's error when there is none)."""
    dev = as_device(dev)
    devices = _jax_devices(dev.type)
    if not devices:
        if dev.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"torchlike cannot place tensors on device '{dev}': JAX has no such device here")
    idx = dev.index
    if idx is None:
        idx = CUDA_STATE["current"] if dev.type == "cuda" else 0
    if idx >= len(devices):
        if dev.type == "cuda":
            raise RuntimeError("CUDA error: invalid device ordinal")
        raise RuntimeError(f"device index {idx} out of range: JAX has {len(devices)} {dev.type} device(s)")
    return devices[idx]


_cpu = device("cpu")
_cache = {}


def device_of(array):
    """The torch device holding a JAX array."""
    if isinstance(array, jax.core.Tracer):   # inside a transform: placement is the transform's business
        return _cpu
    try:
        devs = array.devices()
    except AttributeError:  # a tracer inside a transform
        return _cpu
    d = next(iter(devs))
    r = _cache.get(d)
    if r is None:
        kind = _PLATFORM_TO_TYPE.get(d.platform, d.platform)
        r = _cpu if kind == "cpu" else device(kind, _jax_devices(kind).index(d))
        _cache[d] = r
    return r
