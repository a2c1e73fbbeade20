"""The registry's one hook for features that watch or change every op call.

``_registry.call`` (and ``call_inplace``) test a single module global,
``_registry._extra``: None while no such feature is on, so the hot path pays
one global lookup.  While forward-mode AD has a dual level open, a profiler
is recording or a DTensor exists, ``_extra`` is :func:`dispatch`, which

* times the call as an ``aten::<name>`` event (profiler), and
* computes the output tangents with ``jax.jvp`` when an input carries one
  (forward AD),
* gives DTensor results, with PyTorch's placements, for the ops DTensor has rules
  for (once a DTensor exists: ``distributed/tensor/_dispatch.py``),

and runs the plain call for the actual work: it marks the argument tuple it
passes on (this thread's ``pass_call``/``pass_inplace``, ``_state.ThreadState``)
so that the registry runs that one call directly.

``_extra`` is process-wide: a hint that some thread may have such a feature on.
Which profiler records is per thread (``ThreadState.profiler``, as in PyTorch:
a profiler sees the ops of the thread that entered it); a thread with none
pays only the detour through :func:`dispatch`.  Forward AD's dual level is
process-wide, as PyTorch's is (one level at a time in the whole process).
"""
from __future__ import annotations

import threading

from .._state import local as _local

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
R = input_shapes = forward_ad = None   # _registry, autograd.profiler, autograd.forward_ad

profilers = [0]           # profilers recording, in all threads (each thread's own: ``ThreadState.profiler``)
fw_active = [False]       # a dual level is open (process-wide, as in PyTorch)
dtensor_rule = [None]     # once a DTensor exists, its op rules (distributed/tensor/_dispatch.py), asked first
_lock = threading.Lock()


def refresh():
    """Install or remove :func:`dispatch` as the registry's hook."""
    R._extra = dispatch if (profilers[0] or fw_active[0] or dtensor_rule[0] is not None) else None


def set_profiler(prof):
    """Make ``prof`` (or None) the profiler recording this thread's ops; returns the one it replaces."""
    state = _local.state
    prev = state.profiler
    state.profiler = prof
    with _lock:
        profilers[0] += (prof is not None) - (prev is not None)
        refresh()
    return prev


def plain(op, args, statics, out, inplace):
    """The registry's own call, skipping the hook once."""
    state = _local.state
    if inplace:
        state.pass_inplace = args
        prev = state.inplace_inner
        state.inplace_inner = args
        try:
            return R.call_inplace(op, args, statics)
        finally:
            state.inplace_inner = prev
    state.pass_call = args
    return R.call(op, args, statics, out)


def dispatch(op, args, statics, out=None, inplace=False):
    state = _local.state
    if not inplace and args is state.inplace_inner:
        state.inplace_inner = None
        return plain(op, args, statics, out, False)
    prof = state.profiler
    if prof is None:
        return _run(op, args, statics, out, inplace)
    shapes = None
    if prof.record_shapes:
        shapes = input_shapes(op, args, statics)
    ev = prof._begin("aten::" + op.name + ("_" if inplace else ""), shapes)
    result = None
    try:
        result = _run(op, args, statics, out, inplace)
        return result
    finally:
        prof._end(ev, result)


def _run(op, args, statics, out, inplace):
    if dtensor_rule[0] is not None and out is None and not inplace:
        res = dtensor_rule[0](op, args, statics)
        if res is not NotImplemented:
            return res
    if fw_active[0]:
        return forward_ad._dual_call(op, args, statics, out, inplace)
    return plain(op, args, statics, out, inplace)
