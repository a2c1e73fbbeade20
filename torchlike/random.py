"""``torch.random``: the default generator's seed and state, and ``fork_rng``, which restores the
state on exit (torchlike has one generator for every device kind, so forking the CPU state forks all)."""
from __future__ import annotations

import contextlib

from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: F401
                      seed, set_rng_state)

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng",
           "thread_safe_generator"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Run the body, then put the random number generator back in the state it had before (unless
    ``enabled`` is False).  Usable as a context manager and as a decorator."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def thread_safe_generator():
    """The generator for DataLoader thread workers: torchlike's workers share the default generator,
    so this is None (use the default), as PyTorch answers outside thread workers."""
    return None

