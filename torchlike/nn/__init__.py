"""``torch.nn``: modules, parameters, ``functional``, ``init`` and ``utils``.

Layers are ordinary Python objects holding :class:`Parameter` tensors; their
``forward`` calls :mod:`torchlike.nn.functional`, whose ops are declared in
the registry (``_ops_nn``) so that every one gets PyTorch's grad_fn name and a
JAX-derived gradient.
"""
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from . import functional  # noqa: F401
from . import init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import utils  # noqa: F401
from . import modules  # noqa: F401
from . import parallel  # noqa: F401
from .parallel import DataParallel  # noqa: F401

functional._install()
# torch.nn.attention (the package; `from .modules import *` bound the name to modules.attention)
import importlib as _importlib  # noqa: E402
attention = _importlib.import_module(".attention", __name__)


def factory_kwargs(kwargs):
    """``device``/``dtype``/``memory_format`` of ``kwargs`` (and of its nested ``factory_kwargs``) as one dict
    for factory functions; TypeError for anything else or a key given twice."""
    if kwargs is None:
        return {}
    simple_keys = {"device", "dtype", "memory_format"}
    expected_keys = simple_keys | {"factory_kwargs"}
    if not kwargs.keys() <= expected_keys:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected_keys}")
    r = dict(kwargs.get("factory_kwargs", {}))
    for k in simple_keys:
        if k in kwargs:
            if k in r:
                raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
            r[k] = kwargs[k]
    return r
