"""``torch.nn.utils.skip_init``: construct a module without running its parameter initialisation."""
from __future__ import annotations

import inspect
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters are left uninitialised (here: ``empty``'s values)."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    reset = getattr(module_cls, "reset_parameters", None)
    if reset is None:
        return module_cls(*args, **kwargs)
    own = "reset_parameters" in module_cls.__dict__
    module_cls.reset_parameters = lambda self: None
    try:
        return module_cls(*args, **kwargs)
    finally:
        if own:
            module_cls.reset_parameters = reset
        else:
            del module_cls.reset_parameters
