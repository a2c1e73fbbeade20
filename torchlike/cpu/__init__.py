"""``torch.cpu``: the CPU device module (always available, one device) and ``torch.cpu.amp``."""
from __future__ import annotations
import jax

from . import amp  # noqa: F401


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def is_initialized():
    return True


def set_device(device):
    """A no-op, as in PyTorch (there is one CPU device)."""


def synchronize(device=None):
    """Wait for pending CPU work: XLA computes asynchronously, so block on every live array."""
    for a in jax.live_arrays():
        if a.devices() and next(iter(a.devices())).platform == "cpu":
            a.block_until_ready()
