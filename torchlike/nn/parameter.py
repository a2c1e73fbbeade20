"""``nn.Parameter`` and ``nn.Buffer``: Tensor subclasses that modules register on assignment."""
from __future__ import annotations

from .._tensor import Tensor


def _share(cls, data):
    """A new ``cls`` tensor sharing ``data``'s storage (and version counter), with no history."""
    t = object.__new__(cls)
    for slot in ("_storage", "_view", "_cache", "_cache_gen", "_vc", "_dtype"):
        setattr(t, slot, getattr(data, slot))
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._acc = None
    t._leaf_hooks = None
    t._retains_grad = False
    t._base = None
    t._bgen = 0
    t._hist_gen = 0
    return t


class Parameter(Tensor):
    """A leaf tensor that a :class:`Module` registers as a parameter when assigned as an attribute.

    ``Parameter(data)`` shares ``data``'s storage (as PyTorch's does) and
    requires grad unless ``requires_grad=False``.  Results of ops on a
    Parameter are plain Tensors.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = _share(cls, data)
        p.requires_grad = requires_grad
        return p

    def __repr__(self, *, tensor_contents=None):
        from .. import _dtype as D
        from .._printing import format_tensor
        import numpy as np
        dev = self.device
        return format_tensor(np.asarray(self._arr()), dtype_name=self._dtype.name,
                             default_float_name=D.get_default_dtype().name,
                             device=None if dev.type == "cpu" else str(dev),
                             requires_grad=self._requires_grad, prefix="Parameter containing:\ntensor(")

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().clone(), self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: assigned to a module attribute, it registers a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = _share(cls, data)
        t.persistent = persistent
        return t


def is_lazy(param):
    return False
