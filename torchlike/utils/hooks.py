"""``torch.utils.hooks``: the handle returned by ``register_*_hook``."""
from ..nn.modules.module import RemovableHandle  # noqa: F401
