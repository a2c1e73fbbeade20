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
passes on (``_passing``) so that the registry runs that one call directly.
"""
from __future__ import annotations

import threading

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
R = input_shapes = forward_ad = None   # _registry, autograd.profiler, autograd.forward_ad

_PASS_CALL = [None]       # the args tuple whose next ``call`` runs directly
_PASS_INPLACE = [None]    # the same for ``call_inplace``
_INPLACE_INNER = [None]   # args of the running in-place op (its inner out-of-place call is not an op of its own)

profiler_active = [None]  # the recording profiler, or None
fw_active = [False]       # a dual level is open
dtensor_rule = [None]     # once a DTensor exists, its op rules (distributed/tensor/_dispatch.py), asked first
_lock = threading.RLock()


def refresh():
    """Install or remove :func:`dispatch` as the registry's hook."""
    R._extra = dispatch if (profiler_active[0] is not None or fw_active[0] or dtensor_rule[0] is not None) else None


def plain(op, args, statics, out, inplace):
    """The registry's own call, skipping the hook once."""
    if inplace:
        _PASS_INPLACE[0] = args
        prev = _INPLACE_INNER[0]
        _INPLACE_INNER[0] = args
        try:
            return R.call_inplace(op, args, statics)
        finally:
            _INPLACE_INNER[0] = prev
    _PASS_CALL[0] = args
    return R.call(op, args, statics, out)


def dispatch(op, args, statics, out=None, inplace=False):
    if not inplace and args is _INPLACE_INNER[0]:
        _INPLACE_INNER[0] = None
        return plain(op, args, statics, out, False)
    prof = profiler_active[0]
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
