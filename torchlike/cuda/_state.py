"""The device state ``torch.cuda`` and its submodules (``memory``, ``_nvml``) share: which GPUs JAX sees,
the current device, the device an argument names."""
from __future__ import annotations

from .._device import CUDA_STATE as _state, _jax_devices, as_device, cuda_is_available

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _devices():
    return _jax_devices("cuda")


def _lazy_init():
    if not cuda_is_available():
        raise AssertionError(_NOT_COMPILED)
    _state["initialized"] = True


def _index(device):
    """The device index a ``device`` argument names (None: the current device)."""
    if device is None:
        return _state["current"]
    if isinstance(device, int):
        return _state["current"] if device < 0 else device
    dev = as_device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return _state["current"] if dev.index is None else dev.index


def _jax_device(device=None):
    _lazy_init()
    idx = _index(device)
    devices = _devices()
    if not 0 <= idx < len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal")
    return devices[idx]
