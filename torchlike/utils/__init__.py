"""``torch.utils``: ``data`` (datasets, samplers, DataLoader) and ``hooks``."""
from . import data  # noqa: F401
from . import hooks  # noqa: F401
