"""Pacing of programs that span several CPU devices of one process (FSDP over forced host devices).

XLA:CPU deadlocks when too many programs with collectives are in flight over several devices of
one process (jax/jaxlib 0.10.2): each device admits at most 32 in-flight programs, the per-device
launches of one program go through a thread pool in no fixed order, so a device's slots can fill
with later programs that wait for an earlier one whose launch on that device waits for a slot,
while the earlier program's other devices wait in its collective.  The process aborts after 40 s
("Termination timeout for `all reduce RendezvousKey{...}` ... only 1 of them arrived").  Pure JAX
shows it: eight jitted matmuls against ``P("dp")``-sharded weights dispatched 16 at a time without
a read deadlock on 2 forced host devices of a 2-core machine.

torchlike dispatches one program per op while it decides what to compile, so a sharded model's
forward puts hundreds of such programs in flight.  ``fully_shard`` over a mesh of several CPU
devices turns pacing on: every ``EVERY``-th compiled call made through :func:`jit` (or reported
to :func:`tick`) waits for its result, keeping far fewer than 32 programs in flight per device.
While it is off, :func:`jit` is ``jax.jit`` (no cost per call); turning it on clears the program
caches registered with :func:`register_cache`, so that they are made again, paced.
"""
from __future__ import annotations

import jax

ACTIVE = [False]
EVERY = 8
_count = [0]
_CACHES = []        # functions that forget compiled programs made before pacing was on


def register_cache(clear):
    """``clear()`` forgets a cache of programs made by :func:`jit`; called when pacing turns on, so
    that the programs are made again, paced.  Returns ``clear``."""
    _CACHES.append(clear)
    return clear


def activate(devices):
    """Turn pacing on for the rest of the process if ``devices`` are several CPU devices."""
    devices = list(devices)
    if not ACTIVE[0] and len(devices) > 1 and all(d.platform == "cpu" for d in devices):
        ACTIVE[0] = True
        for clear in _CACHES:
            clear()


def tick(out):
    """Count one compiled call; every ``EVERY``-th waits for its result ``out``."""
    n = _count[0] + 1
    if n >= EVERY:
        n = 0
        jax.block_until_ready(out)
    _count[0] = n
    return out


def jit(fn, **kwargs):
    """``jax.jit(fn)``; while pacing is on, a function whose calls are paced.  (Off, the compiled
    function itself: nothing is added to a call.)"""
    compiled = jax.jit(fn, **kwargs)
    if not ACTIVE[0]:
        return compiled

    def call(*args, **kw):
        return tick(compiled(*args, **kw))
    call.lower = compiled.lower
    call.__wrapped__ = compiled
    return call
