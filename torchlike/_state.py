"""Every per-thread mode switch, in one object per thread (issue 13).

PyTorch keeps grad mode, inference mode, saved-tensor hooks, the profiler, functorch's transform
stack, autocast and the default device per thread, and a new thread starts with the defaults (grad
on, no hooks, ...).  torchlike
keeps each such switch as a field of one :class:`ThreadState`; a thread finds its own as
``local.state`` (``local`` is a ``threading.local`` whose constructor makes a fresh ``ThreadState``
the first time a thread asks, so a new thread starts with the defaults below).

Reading a field costs one thread-local lookup (``local.state``, ~30 ns) and one slot read (~3 ns), so
code that reads several switches per call reads ``local.state`` once into a local variable: the
registry's ``call`` reads it once per op and hands it to its fast paths.

What is *not* here, and why (see docs/architecture.md, "Where state lives"): process-wide
configuration set from the environment or by a global setter (``_lazy.ENABLED``/``NOGRAD``,
``_interp.ENABLED``, ``_pace.ACTIVE``, the default dtype, anomaly mode, forward AD's dual level,
which PyTorch keeps process-wide too); "has ever happened" flags that let the hot path skip work
(``grad_mode.inference_seen``, ``graph.PACKED_EVER``); and process-wide hints that some thread has a
feature on (``_registry._extra``, ``graph.RECORD_EXTRA``), after which the slow path reads this
thread's own switch.

This module imports nothing from torchlike, so every layer may import it.
"""
from __future__ import annotations

import threading

__all__ = ["AutocastState", "ThreadState", "local", "get", "set_tracker", "tracking"]


class ThreadState:
    """One thread's modes.  Plain slots: read through ``local.state`` (one thread-local lookup)."""

    __slots__ = (
        "grad_enabled",     # grad mode (``torch.is_grad_enabled``)
        "inference",        # inference mode (``torch.is_inference_mode_enabled``)
        "tracker",          # ``torchlike.compile``'s tracker while this thread traces a step, else None
        "vmap_depth",       # > 0 while ``torch.func.vmap`` traces a function in this thread
        "hooks",            # saved-tensor hooks: the stack of (pack, unpack) pairs
        "hooks_disabled",   # the stack of ``disable_saved_tensors_hooks`` messages
        "profiler",         # the profiler recording this thread's ops, or None
        "fw_suspended",     # > 0 while a custom Function's forward/jvp runs here (its ops see no tangents)
        "pass_call",        # the args tuple whose next ``_registry.call`` skips the intercept hook
        "pass_inplace",     # the same for ``call_inplace``
        "inplace_inner",    # args of the in-place op running (its inner out-of-place call is no op of its own)
        "segment",          # ``_lazy``: this thread's open segment of deferred ops, or None
        "unread",           # ``_lazy``: the output of a backward root that nothing can read, or None
        "default_device",   # ``torch.set_default_device`` / ``with torch.device(...)``, or None (the CPU)
        "skip_data",        # inside ``torch.serialization.skip_data()``
        "autocast",         # autocast's modes (:class:`AutocastState`)
        "multithreading",   # ``torch.autograd.set_multithreading_enabled``
    )

    def __init__(self):
        # the defaults a new thread starts with, as in PyTorch: grad on, no inference mode, no hooks, ...
        self.grad_enabled, self.inference = True, False
        self.hooks, self.hooks_disabled = [], []
        self.vmap_depth = self.fw_suspended = 0
        self.tracker = self.profiler = self.segment = self.unread = None
        self.pass_call = self.pass_inplace = self.inplace_inner = None
        self.default_device = None
        self.skip_data = False
        self.multithreading = True
        self.autocast = AutocastState()


class AutocastState:
    """``torch.autocast``'s per-thread modes (a part of :class:`ThreadState`, read by ``amp.autocast_mode``)."""

    __slots__ = ("enabled", "dtype", "cache_enabled", "inside", "nesting", "cache")

    def __init__(self):
        self.enabled = {}           # device type -> bool
        self.dtype = {}             # device type -> dtype
        self.cache_enabled = True
        self.inside = 0             # > 0 while a listed op runs: the ops it calls are not cast
        self.nesting = 0
        self.cache = {}             # id(float32 leaf) -> (leaf, its low-precision cast): one cast per region


class _Local(threading.local):
    def __init__(self):
        # runs once in each thread that reads ``local.state``: a new thread starts with the defaults
        self.state = ThreadState()


local = _Local()

# A process-wide hint, not a mode: how many threads have a tracker set (``torchlike.compile`` tracing a
# step).  Paths that would otherwise make no thread-local read at all (``x[i]`` of a tensor that needs
# no grad, an in-place write) test it first (a list read, ~4 ns) and read ``local.state.tracker`` only
# while it is not 0.
tracking = [0]
_lock = threading.Lock()


def get():
    """This thread's :class:`ThreadState`."""
    return local.state


def set_tracker(tracker):
    """Make ``tracker`` (or None) this thread's tracker; returns the one it replaces."""
    state = local.state
    prev = state.tracker
    with _lock:
        tracking[0] += (tracker is not None) - (prev is not None)
        state.tracker = tracker
    return prev
