"""``torch.nn.utils.stateless.functional_call`` (the same as ``torch.func.functional_call``)."""
from ...func import functional_call  # noqa: F401

__all__ = ["functional_call"]
