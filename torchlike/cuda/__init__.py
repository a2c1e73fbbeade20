"""``torch.cuda``, answered from JAX's GPU devices: ``is_available()`` is True exactly when JAX sees a
GPU, ``device_count()`` counts them, names, capabilities and memory figures come from the JAX
devices (``device_kind``, ``compute_capability``, ``memory_stats()``).  Without a GPU every query
that PyTorch's CPU build refuses raises its ``AssertionError("Torch not compiled with CUDA enabled")``,
and the others answer as it does (0, False, [], no-ops).

torchlike has one random generator for every device: the CUDA seeding functions seed it when a GPU is
present and do nothing otherwise (as PyTorch's CPU build leaves its CPU stream alone).  Streams and
events are stand-ins over XLA's own ordering: ``synchronize`` waits for the device to finish its work,
an event records a time after waiting for it."""
from __future__ import annotations

import contextlib
import time

import jax

from .. import _creation
from .._device import CUDA_STATE, as_device, cuda_is_available
from ._state import _devices, _index, _jax_device, _lazy_init
from . import memory
from .memory import (empty_cache, max_memory_allocated, max_memory_reserved, mem_get_info, memory_allocated,  # noqa: F401
                     memory_reserved, memory_stats, memory_summary, reset_accumulated_memory_stats,
                     reset_max_memory_allocated, reset_max_memory_cached, reset_peak_memory_stats,
                     set_per_process_memory_fraction)
from .memory import (get_per_process_memory_fraction, host_memory_stats, host_memory_stats_as_nested_dict,  # noqa
                     max_memory_cached, memory_cached, memory_stats_as_nested_dict)
from ._nvml import (clock_rate, device_memory_used, list_gpu_processes, memory_usage, power_draw,  # noqa: F401
                    temperature, utilization)
import torchlike as torch     # the public face, read when called (not an import cycle)

_state = CUDA_STATE     # shared with _device.to_jax: set_device moves where a bare 'cuda' places tensors


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (``torch.cuda.OutOfMemoryError``)."""


def is_available():
    """True when JAX sees a GPU."""
    return cuda_is_available()


def device_count():
    return len(_devices())


def is_initialized():
    return _state["initialized"]


def init():
    _lazy_init()


def current_device():
    _lazy_init()
    return _state["current"]


def set_device(device):
    """Make ``device`` the current CUDA device (a negative index does nothing, as in PyTorch)."""
    idx = _index(device) if not isinstance(device, int) else device
    if idx < 0:
        return
    _jax_device(idx)
    _state["current"] = idx


class device:      # noqa: N801 - torch's name
    """Context manager making a CUDA device current (``None`` or a negative index: no change)."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device) if not isinstance(device, int) else device
        self.prev = -1

    def __enter__(self):
        if self.idx < 0:
            return self
        if not is_available():
            raise RuntimeError("PyTorch was compiled without CUDA support")
        self.prev = _state["current"]
        set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev >= 0:
            _state["current"] = self.prev
        return False


class device_of(device):    # noqa: N801
    """The device of a tensor as a context manager (no change for a CPU tensor)."""

    def __init__(self, obj):
        dev = obj.device
        super().__init__(dev.index if dev.type == "cuda" and dev.index is not None else -1)


class _DeviceProperties:
    def __init__(self, d):
        stats = memory._stats(d)
        cc = str(getattr(d, "compute_capability", "0.0") or "0.0").split(".")
        self.name = d.device_kind
        self.major, self.minor = int(cc[0]), int(cc[1]) if len(cc) > 1 else 0
        self.total_memory = int(stats.get("bytes_limit", 0))
        self.multi_processor_count = int(getattr(d, "core_count", 0) or 0)
        self.is_integrated = False
        self.is_multi_gpu_board = False

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    return _DeviceProperties(_jax_device(device))


def get_device_name(device=None):
    return _jax_device(device).device_kind


def get_device_capability(device=None):
    p = get_device_properties(device)
    return p.major, p.minor


def get_arch_list():
    if not is_available():
        return []
    return sorted({f"sm_{major}{minor}" for major, minor in (get_device_capability(i) for i in range(device_count()))})


def get_gencode_flags():
    return " ".join(f"-gencode compute={a.replace('sm', 'compute')},code={a}" for a in get_arch_list())


def is_bf16_supported(including_emulation=True):
    if not is_available():
        return False
    return including_emulation or get_device_capability()[0] >= 8


def is_tf32_supported():
    return is_available() and get_device_capability()[0] >= 8


def synchronize(device=None):
    """Wait until the device has finished the work queued on it."""
    d = _jax_device(device)
    jax.device_put(0.0, d).block_until_ready()
    for a in jax.live_arrays():
        if d in a.devices():
            a.block_until_ready()


def ipc_collect():
    _lazy_init()


def is_current_stream_capturing():
    return False


# ---- random numbers: torchlike's one generator ------------------------------------------------

def manual_seed(seed):
    if is_available():
        torch.manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    if is_available():
        torch.seed()


seed_all = seed


def initial_seed():
    _lazy_init()
    return torch.initial_seed()


def get_rng_state(device="cuda"):
    _lazy_init()
    return torch.get_rng_state()


def set_rng_state(new_state, device="cuda"):
    _lazy_init()
    torch.set_rng_state(new_state)


def get_rng_state_all():
    return [get_rng_state() for _ in range(device_count())]


def set_rng_state_all(new_states):
    for state in new_states:
        set_rng_state(state)


# ---- streams and events: stand-ins over XLA's ordering ---------------------------------------

class Stream:
    """A CUDA stream stand-in: XLA orders a device's work itself, so every stream is the device's."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not is_available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        self.device = as_device(f"cuda:{_index(device)}")
        self.priority = priority

    def synchronize(self):
        synchronize(self.device)

    def query(self):
        return True

    def wait_stream(self, stream):
        pass

    def wait_event(self, event):
        pass

    def record_event(self, event=None):
        event = event or Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and other.device == self.device

    def __hash__(self):
        return hash(self.device)


class ExternalStream(Stream):
    def __init__(self, stream_ptr, device=None, **kwargs):
        super().__init__(device)


class Event:
    """A CUDA event stand-in: ``record`` waits for the device and notes the time, so that
    ``elapsed_time`` gives milliseconds between two records."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False, external=False):
        if not is_available():
            raise RuntimeError("torch.cuda.Event requires CUDA support")
        self.enable_timing = enable_timing
        self._time = None

    def record(self, stream=None):
        synchronize(None if stream is None else stream.device)
        self._time = time.perf_counter()

    def wait(self, stream=None):
        pass

    def query(self):
        return True

    def synchronize(self):
        pass

    def elapsed_time(self, end_event):
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end_event._time - self._time) * 1000.0


def current_stream(device=None):
    _lazy_init()
    return Stream(device)


def default_stream(device=None):
    _lazy_init()
    return Stream(device)


def set_stream(stream):
    pass


@contextlib.contextmanager
def stream(stream):
    """``with torch.cuda.stream(s):``: XLA orders the work; nothing to switch."""
    yield


class _Nvtx:
    """``torch.cuda.nvtx``: profiler ranges (no-ops with a GPU; PyTorch's error without)."""

    @staticmethod
    def _check():
        if not is_available():
            raise RuntimeError("NVTX functions not installed. Are you sure you have a CUDA build?")

    def range_push(self, msg):
        self._check()
        return 0

    def range_pop(self):
        self._check()
        return 0

    def mark(self, msg):
        self._check()

    @contextlib.contextmanager
    def range(self, msg, *args, **kwargs):
        self._check()
        yield


nvtx = _Nvtx()
globals().update(_creation.typed_tensors(cuda=True, module=__name__))    # torch.cuda.FloatTensor, ...
from . import amp  # noqa: E402,F401  (torch.cuda.amp)


# ---- synchronisation debugging (a mode PyTorch's kernels consult; XLA launches no synchronising copies
# the mode could report, so it is recorded and read back)
_SYNC_MODES = {"default": 0, "warn": 1, "error": 2}
_sync_debug_mode = [0]


def set_sync_debug_mode(debug_mode):
    """0 / "default", 1 / "warn" or 2 / "error"."""
    _lazy_init()
    if isinstance(debug_mode, str):
        if debug_mode not in _SYNC_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`")
        debug_mode = _SYNC_MODES[debug_mode]
    _sync_debug_mode[0] = int(debug_mode)


def get_sync_debug_mode():
    _lazy_init()
    return _sync_debug_mode[0]
