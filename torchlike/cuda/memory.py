"""``torch.cuda.memory``: the memory figures JAX reports for a GPU (``device.memory_stats()``:
``bytes_in_use``, ``peak_bytes_in_use``, ``pool_bytes``, ``bytes_limit``), 0 where it reports
none.  JAX cannot lower its peak counter: ``reset_peak_memory_stats`` remembers where the peak stood,
and until a new peak the maximum reported is the larger of the use at the reset and the use now."""
from __future__ import annotations

import collections
import warnings

from ._state import _devices, _index, _jax_device, _lazy_init

_peaks = {}      # device id -> (peak_bytes_in_use at the reset, bytes_in_use at the reset)


def _device(device=None):
    devices = _devices()
    if not devices:
        return None
    idx = _index(device)
    return devices[idx] if 0 <= idx < len(devices) else None


def _stats(d):
    try:
        return d.memory_stats() or {}
    except Exception:  # noqa: BLE001 - a backend without memory statistics reports none
        return {}


def _stat(device, key, fallback=None):
    d = _device(device)
    if d is None:
        return 0
    stats = _stats(d)
    return int(stats.get(key, stats.get(fallback, 0) if fallback else 0))


def memory_allocated(device=None):
    return _stat(device, "bytes_in_use")


def max_memory_allocated(device=None):
    d = _device(device)
    if d is None:
        return 0
    stats = _stats(d)
    peak, now = int(stats.get("peak_bytes_in_use", 0)), int(stats.get("bytes_in_use", 0))
    if id(d) in _peaks:
        peak_at_reset, use_at_reset = _peaks[id(d)]
        if peak <= peak_at_reset:
            return max(use_at_reset, now)
    return peak


def memory_reserved(device=None):
    return _stat(device, "pool_bytes", "bytes_reserved") or memory_allocated(device)


def max_memory_reserved(device=None):
    return _stat(device, "peak_pool_bytes", "peak_bytes_in_use")


def memory_cached(device=None):
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning,
                  stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device=None):
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def reset_peak_memory_stats(device=None):
    d = _device(device)
    if d is None:
        _lazy_init()
        return
    stats = _stats(d)
    _peaks[id(d)] = (int(stats.get("peak_bytes_in_use", 0)), int(stats.get("bytes_in_use", 0)))


reset_max_memory_allocated = reset_peak_memory_stats
reset_max_memory_cached = reset_peak_memory_stats


def reset_accumulated_memory_stats(device=None):
    pass


def memory_stats(device=None):
    """JAX's statistics of the device, under its own key names (empty without a GPU)."""
    d = _device(device)
    return collections.OrderedDict(sorted(_stats(d).items())) if d is not None else collections.OrderedDict()


def memory_summary(device=None, abbreviated=False):
    stats = memory_stats(device)
    lines = [f"{k}: {v}" for k, v in stats.items()]
    return "\n".join(["torchlike CUDA memory summary (JAX memory_stats)"] + lines) + "\n"


def mem_get_info(device=None):
    """(free, total) bytes of the device."""
    stats = _stats(_jax_device(device))
    total = int(stats.get("bytes_limit", 0))
    return total - int(stats.get("bytes_in_use", 0)), total


def empty_cache():
    """Nothing to release: JAX frees a buffer when its last array goes."""


def set_per_process_memory_fraction(fraction, device=None):
    _lazy_init()
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    _fractions[_index(device)] = float(fraction)


_fractions = {}     # device index -> the fraction set (XLA sizes its pool at start-up: a recorded limit)


def get_per_process_memory_fraction(device=None):
    _lazy_init()
    return _fractions.get(_index(device), 1.0)


def _nest(flat):
    """``{"a.b.c": v}`` as ``{"a": {"b": {"c": v}}}``."""
    out = {}
    for key, value in flat.items():
        node = out
        *path, leaf = str(key).split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def memory_stats_as_nested_dict(device=None):
    return _nest(memory_stats(device))


def host_memory_stats():
    """Pinned host memory statistics: JAX keeps no caching host allocator, so there are none (as on
    PyTorch's CPU build)."""
    return collections.OrderedDict()


def host_memory_stats_as_nested_dict():
    return _nest(host_memory_stats())
