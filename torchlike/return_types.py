"""torch.return_types: named tuples returned by ops like ``max(dim)`` and ``sort``."""
from ._registry import RETURN_TYPES as _RT


def __getattr__(name):
    try:
        return _RT[name]
    except KeyError:
        raise AttributeError(name) from None
