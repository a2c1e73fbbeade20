"""``torch.amp``: automatic mixed precision (``autocast``, ``GradScaler``, ``custom_fwd``/``custom_bwd``)."""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401
from . import autocast_mode, grad_scaler  # noqa: F401
