"""The deprecated per-device spellings ``torch.cpu.amp`` / ``torch.cuda.amp``: ``autocast`` and
``GradScaler`` classes with the device fixed, each warning as PyTorch does when constructed."""
from __future__ import annotations

import warnings

from . import autocast_mode, grad_scaler


def classes(device_type, default_dtype, module):
    """``(autocast, GradScaler)`` of ``torch.<device_type>.amp``, presented as classes of ``module``."""

    def deprecated(name):
        warnings.warn(f"`torch.{device_type}.amp.{name}(args...)` is deprecated. Please use "
                      f"`torch.amp.{name}('{device_type}', args...)` instead.", FutureWarning, stacklevel=3)

    class autocast(autocast_mode.autocast):
        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            deprecated("autocast")
            super().__init__(device_type, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(grad_scaler.GradScaler):
        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            deprecated("GradScaler")
            super().__init__(device_type, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)

    for cls in (autocast, GradScaler):
        cls.__module__, cls.__qualname__ = module, cls.__name__
        cls.__doc__ = (f"``torch.{device_type}.amp.{cls.__name__}(args...)``: deprecated, "
                       f"``torch.amp.{cls.__name__}('{device_type}', args...)``.")
    return autocast, GradScaler
