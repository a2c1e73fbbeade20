"""``nn.Parameter`` and ``nn.Buffer``: Tensor subclasses that modules register on assignment."""
from __future__ import annotations

from .. import _registry
from .._tensor import Tensor
from .. import _dtype as D
from .._printing import format_tensor
from .._creation import empty
import numpy as np


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
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = _share(cls, data)
        p.requires_grad = requires_grad
        return p

    def __repr__(self, *, tensor_contents=None):
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


# ops take a Parameter on the registry's fast paths as they take a Tensor
_registry._ROOTS.add(Parameter)


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: assigned to a module attribute, it registers a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        t = _share(cls, data)
        t.persistent = persistent
        return t


_SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                  "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                  "`forward` to initialize the parameters before accessing their attributes.")

# what an uninitialized tensor still answers: its metadata, conversions (a lazy module's ``.double()`` or
# ``.to(device)`` picks what ``materialize`` makes) and in-place copies
_UNINITIALIZED_ALLOWED = frozenset((
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char", "short", "int", "long",
    "cuda", "cpu", "to", "share_memory_", "type", "bfloat16", "detach", "requires_grad_", "materialize",
    "cls_to_become", "register_hook", "data", "dtype", "device", "requires_grad", "grad", "is_leaf", "grad_fn",
    "persistent", "layout", "is_cuda", "is_meta"))


class UninitializedTensorMixin:
    """A placeholder whose shape is not known yet (lazy modules): ``materialize(shape)`` gives it storage and
    turns it into ``cls_to_become``; until then tensor operations raise ValueError and ``.shape`` RuntimeError."""

    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None):
        if device is None:
            device = self.device
        if dtype is None:
            dtype = self.dtype
        data = empty(shape, device=device, dtype=dtype)
        for slot in ("_storage", "_view", "_cache", "_cache_gen", "_vc", "_dtype"):
            object.__setattr__(self, slot, getattr(data, slot))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_MESSAGE)

    def __getattribute__(self, name):
        if name[0] != "_" and name not in _UNINITIALIZED_ALLOWED:
            value = object.__getattribute__(self, name)
            if callable(value):
                _refuse(name)
            return value
        return object.__getattribute__(self, name)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


def _refuse(name, *args, **kwargs):
    raise ValueError(f"Attempted to use an uninitialized parameter in {name}. This error happens when you are using a "
                     "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
                     "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
                     "calling torch functions")


def _refusing(name):
    def method(self, *args, **kwargs):
        _refuse(name)
    method.__name__ = name
    return method


for _op in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "matmul", "rmatmul",
            "pow", "rpow", "neg", "pos", "abs", "getitem", "setitem", "len", "iter", "float", "int", "bool",
            "lt", "le", "gt", "ge", "iadd", "isub", "imul", "itruediv", "array", "format"):
    setattr(UninitializedTensorMixin, f"__{_op}__", _refusing(f"__{_op}__"))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A :class:`Parameter` of unknown shape (``nn.LazyLinear`` & co create them)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of unknown shape (``nn.LazyBatchNorm1d`` & co create them)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _share(cls, empty(0, device=device, dtype=dtype))
        t.requires_grad = requires_grad
        t.persistent = persistent
        return t

    def __init__(self, *args, **kwargs):
        pass


def is_lazy(param):
    """Whether ``param`` is an uninitialized parameter or buffer."""
    return isinstance(param, UninitializedTensorMixin)
