"""``torch.cpu.amp``: deprecated spellings of ``torch.amp.autocast('cpu')`` and ``GradScaler('cpu')``."""
from ... import _dtype as _D
from ...amp import _device_spellings

autocast, GradScaler = _device_spellings.classes("cpu", _D.bfloat16, __name__)
