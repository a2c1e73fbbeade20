"""``torch.cuda.amp``: deprecated spellings of ``torch.amp.autocast('cuda')``, ``GradScaler('cuda')``,
``custom_fwd``/``custom_bwd`` with ``device_type='cuda'``."""
from __future__ import annotations

import warnings

from .. import _dtype as D
from ..amp import _device_spellings, autocast_mode as _autocast_mode


autocast, GradScaler = _device_spellings.classes("cuda", D.float16, __name__)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: ``torch.amp.custom_fwd(args..., device_type='cuda')``."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd=None):
    """Deprecated: ``torch.amp.custom_bwd(args..., device_type='cuda')``."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _autocast_mode.custom_bwd(bwd, device_type="cuda")


