"""``torch.nn.attention``: which scaled-dot-product-attention backends may run (``sdpa_kernel``).

XLA compiles one attention program whatever the backend; the switches keep PyTorch's observable
contract on a CPU: the math and (CPU) flash kernels can run there, the efficient and cuDNN kernels
cannot, so ``F.scaled_dot_product_attention`` with only those enabled raises PyTorch's
"No viable backend" error.
"""
from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The scaled-dot-product-attention implementations PyTorch chooses between."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    __str__ = enum.Enum.__str__


_ALL = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
        SDPBackend.OVERRIDEABLE)
_enabled = set(_ALL)
_CPU_KERNELS = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION)


def enabled_backends():
    """The backends ``F.scaled_dot_product_attention`` may use now."""
    return frozenset(_enabled)


def check_viable():
    """PyTorch's error when no enabled backend runs on this (CPU) device."""
    if not any(b in _enabled for b in _CPU_KERNELS):
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the context only ``backends`` (one or a list of :class:`SDPBackend`) may run; the order is
    their priority with ``set_priority`` (one compiled kernel here, so only the set matters)."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, list) or not all(isinstance(b, SDPBackend) for b in backends):
        bad = backends if not isinstance(backends, list) else next(b for b in backends if not isinstance(b, SDPBackend))
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(bad).__name__}")
    previous = set(_enabled)
    _enabled.clear()
    _enabled.update(b for b in backends if b in _ALL)
    try:
        yield {}
    finally:
        _enabled.clear()
        _enabled.update(previous)
