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
