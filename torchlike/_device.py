"""torch.device over JAX devices: 'cpu' is JAX's CPU, 'cuda' JAX's GPUs."""
from __future__ import annotations

import functools

import jax

_PLATFORM_TO_TYPE = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda", "tpu": "xla"}


class device:
    """``torch.device('cuda:0')`` / ``torch.device('cpu')`` / ``torch.device('cuda', 1)``."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - torch's parameter name
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            if index is not None:
                raise ValueError("type (string) must not include an index because index was passed explicitly: " + type)
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "xla", "meta", "mps"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                f"lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}")
        self.type, self.index = type, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@functools.lru_cache(maxsize=None)
def _jax_devices(kind):
    try:
        if kind == "cpu":
            return tuple(jax.devices("cpu"))
        if kind == "cuda":
            return tuple(jax.devices("gpu"))
        return tuple(jax.devices())
    except RuntimeError:
        return ()


def to_jax(dev):
    """The JAX device for a torch device (RuntimeError when absent, as torch's lazy CUDA init does)."""
    dev = device(dev) if not isinstance(dev, device) else dev
    devices = _jax_devices(dev.type)
    if not devices:
        if dev.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"no JAX device for {dev}")
    idx = dev.index or 0
    if idx >= len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal")
    return devices[idx]


_cpu = device("cpu")
_cache = {}


def device_of(array):
    """The torch device holding a JAX array."""
    try:
        devs = array.devices()
    except AttributeError:  # a tracer inside a transform
        return _cpu
    d = next(iter(devs))
    r = _cache.get(d)
    if r is None:
        kind = _PLATFORM_TO_TYPE.get(d.platform, d.platform)
        r = _cpu if kind == "cpu" else device(kind, d.id if kind != "cuda" else _jax_devices("cuda").index(d))
        _cache[d] = r
    return r
