"""The Tensor: a JAX array plus PyTorch's autograd and aliasing state.

Data lives in a :class:`~torchlike._views.Storage` (shared by views); the
autograd state is ``requires_grad``, ``grad_fn``/``output_nr`` (non-leaves) or
an ``AccumulateGrad`` node (leaves), ``grad``, and a version counter shared by
every alias.  Ops are not written here: their functions and methods come from
the registry (``_registry.METHODS``) and are installed on the class at import.
"""
from __future__ import annotations

import builtins
import math
import operator
import sys
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._lazy import LazyRef as _LazyRef
from . import _registry as R
from ._registry import _wrap_dim
from . import _views as V
from ._device import device as _device_cls, device_of
from ._dtype import strided
from . import _ops_views
from ._creation import _legacy_new
from ._printing import format_tensor
from .autograd.forward_ad import _repr_with_tangent
from .autograd import grad_mode
from ._state import local as _local, tracking as _TRACKING
from .autograd.graph import AccumulateGrad, _register, next_seq


class _Hot:
    """Functions of modules that import this one, bound once the package is loaded (torchlike/__init__):
    a function-level import costs ~1 us per call on hot paths."""
    getitem = setitem = parse_to = to_copy = plain_views = iter_views = None


_hot = _Hot()
_autograd = None    # the package torchlike.autograd (backward), bound by torchlike/__init__: it imports this module
_getrefcount = sys.getrefcount


class _Probe:
    __slots__ = ("_storage",)

    def __init__(self):
        self._storage = object()

    def refs(self):
        return _getrefcount(self), _getrefcount(self._storage)


def _temp_refs():
    """``sys.getrefcount`` of ``self`` and of its storage inside a method called on a temporary
    (``f().backward()``), or None where this interpreter counts a named receiver the same way."""
    temp = _Probe().refs()
    p = _Probe()
    named = p.refs()
    return temp if temp[0] < named[0] else (None, None)


_TEMP_REFS = _temp_refs()


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __new__(cls, seq=()):
        t = tuple(seq)
        for i, v in enumerate(t):
            if type(v) is not int:
                if isinstance(v, float) or not hasattr(v, "__index__") or (
                        isinstance(v, Tensor) and v.dtype.category > D.INT):
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is '{type(v).__name__}')")
                t = tuple(operator.index(x) for x in t)
                break
        return tuple.__new__(cls, t)

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        return math.prod(self)

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information.")


_INFERENCE_SEEN = grad_mode.inference_seen

_NOGRAD_VIEW_BASE_MODIFIED = (
    "A view was created in no_grad mode and its base or another view of its base has been modified inplace with "
    "grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the "
    "inplace to be tracked) or both outside (if you want the inplace to be tracked).")


class Tensor:
    """A PyTorch-style tensor over a ``jax.Array``."""
    # numpy defers binary operators to us (np.float32(2) * t is a Tensor), as with torch
    __array_priority__ = 1000
    # Hot attributes live in slots; the rest default on the class and are set per instance only
    # when they change (most tensors never have a view cache, hooks, an AccumulateGrad, ...).
    __slots__ = ("_storage", "_view", "_vc", "_dtype", "_requires_grad", "_grad_fn", "_base",
                 "__weakref__", "__dict__")
    _cache = None
    _cache_gen = -1
    _output_nr = 0
    _grad = None
    _acc = None
    _leaf_hooks = None
    _retains_grad = False
    _bgen = 0
    _hist_gen = 0

    # ---- construction ------------------------------------------------------
    @classmethod
    def _wrap(cls, array, requires_grad=False, dtype=None):
        """A new root tensor owning ``array`` (no copy)."""
        t = object.__new__(cls)
        t._storage = V.Storage(array)
        t._view = None
        t._vc = [0]
        t._dtype = D._BY_NP[array.dtype] if dtype is None else dtype
        t._requires_grad = requires_grad
        t._grad_fn = None
        t._base = None
        if _INFERENCE_SEEN[0] and _local.state.inference:
            t._inference = True
        return t

    def __new__(cls, *args, **kwargs):
        return _legacy_new(cls, *args, **kwargs)

    def _arr(self):
        """The current value as a JAX array."""
        if self._view is None:
            return self._storage.array
        st = self._storage
        if self._cache_gen != st.gen:
            self._cache = V.read(st.array, self._view)
            self._cache_gen = st.gen
        return self._cache

    def _ndim(self):
        return len(self._shape())

    def _shape(self):
        """The shape, without running a pending op (``_lazy``)."""
        if self._view is None:
            return self._storage._a.shape
        return self._view[0]

    def _layout(self):
        if self._view is not None:
            return self._view
        shape = self._storage._a.shape          # a pending value (LazyRef) knows its shape
        return (shape, V.contiguous_strides(shape), 0)

    def _layout_view(self, layout):
        """A view of this tensor's storage with ``layout``, its value read when needed (``_arr``,
        ``_host``): what a view op gives when autograd records nothing.  A view made under
        no_grad of a tensor that requires grad requires grad and has no edge, as in PyTorch
        (``_registry._make_views`` makes the recorded ones)."""
        t = object.__new__(Tensor)
        t._storage = self._storage
        t._view = layout
        t._vc = self._vc
        t._dtype = self._dtype
        t._grad_fn = None
        root = self._base if self._base is not None else self
        t._base = root
        t._bgen = root._hist_gen
        t._requires_grad = False
        if self._requires_grad and not _local.state.grad_enabled and self._dtype.category >= D.FLOAT:
            t._requires_grad = True
            t._nograd_view = True
        if _INFERENCE_SEEN[0] and _local.state.inference:
            t._inference = True
        return t

    def _become_view_of(self, base, layout):
        value = self._arr()
        self._storage = base._storage
        self._view = layout
        self._cache = value
        self._cache_gen = base._storage.gen
        self._vc = base._vc
        root = base._base if base._base is not None else base
        self._base = root
        self._bgen = root._hist_gen

    def _assign(self, array):
        """Write ``array`` (same shape) into this tensor's elements, through the storage."""
        if _TRACKING[0] and _local.state.tracker is not None:
            _local.state.tracker.write(self)
        st = self._storage
        if array.dtype != self._dtype.np:
            array = array.astype(self._dtype.np)
        if self._view is None:
            shape = st._a.shape         # (a pending value knows its shape: a write does not compute it)
            if array.shape != shape:
                array = jnp.broadcast_to(array, shape)
            st.array = array
        else:
            st.array = V.write(st.array, self._view, array)
            if array.shape == self._view[0]:
                self._cache = array
            else:                               # re-gathered from the storage when next read
                self._cache = None
                self._cache_gen = -1
        st.gen += 1
        if self._cache is not None or self._view is None:
            self._cache_gen = st.gen
        self._vc[0] += 1

    def _resize_to(self, shape):
        """``resize_`` for ``out=``: contiguous ``shape`` at the same storage offset.  When the storage
        holds enough elements it is kept (aliases still see the writes, as in PyTorch); a tensor that
        needs more gets a fresh storage (PyTorch grows the shared one in place)."""
        shape = tuple(shape)
        st = self._storage
        offset = self._layout()[2]
        if offset + math.prod(shape) <= st.array.size:
            value = V.read(st.array, (shape, V.contiguous_strides(shape), offset))
            whole = offset == 0 and shape == tuple(st.array.shape)
            self._view = None if whole and self._base is None else (shape, V.contiguous_strides(shape), offset)
            self._cache, self._cache_gen = value, st.gen
            return
        self._storage = V.Storage(jnp.zeros(shape, self._dtype.np))
        self._view = None
        self._cache, self._cache_gen = None, -1
        self._base = None

    # ---- autograd state ----------------------------------------------------
    def _accumulator(self):
        # the tensor holds its AccumulateGrad weakly, as PyTorch does: the graphs that use it keep it
        # alive (and with it its hooks); no reference cycle tensor <-> accumulator
        ref = self._acc
        acc = None if ref is None else ref()
        if acc is None:
            acc = AccumulateGrad(self)
            acc._seq = next_seq()
            self._acc = weakref.ref(acc)
        return acc

    def _edge(self):
        if self._base is not None and self._bgen != self._base._hist_gen:
            self._refresh_view_grad()
        fn = self._grad_fn
        if fn is not None:
            return (fn, self._output_nr)
        if self._requires_grad:
            if self._acc is None and self.__dict__.get("_nograd_view"):
                return (None, 0)        # PyTorch: a view made under no_grad requires grad but has no edge
            return (self._accumulator(), 0)
        return (None, 0)

    def _check_multi_view(self, what):
        """PyTorch's error for a view made by a function that returns several views (``split``,
        ``chunk``, ``unbind``, or a view of one of those), recorded by autograd, that ``what``."""
        mv = self.__dict__.get("_multi_view")
        if mv is not None:
            raise RuntimeError(
                f"Output {mv[1]} of {mv[0]} is a view and {what}. This view is the output of a function that returns "
                "multiple views. Such functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")

    def _refresh_view_grad(self):
        """After the base's history was rewritten, this view's grad_fn reads from the new base."""
        base = self._base
        self._bgen = base._hist_gen
        if not base._requires_grad or not _local.state.grad_enabled:
            return
        if self.__dict__.get("_nograd_view"):
            raise RuntimeError(_NOGRAD_VIEW_BASE_MODIFIED)
        self._check_multi_view("its base or another view of its base has been modified inplace")
        node = _ops_views.as_strided_node(base, self._layout(), self)
        self._grad_fn = node
        self._output_nr = 0
        self._requires_grad = True
        if self._retains_grad:
            self._wire_retain()

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, builtins.bool):
            raise RuntimeError("requires_grad must be a bool")
        if self.grad_fn is not None:
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        if value and self._dtype.category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        if not isinstance(requires_grad, builtins.bool):
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{type(requires_grad).__name__}")
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        if requires_grad and self._dtype.category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._base is not None and self._bgen != self._base._hist_gen:
            self._refresh_view_grad()
        return self._grad_fn

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._dtype is not self._dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{_CPP_TYPE[value._dtype.name]}' to a "
                                   f"tensor with grad_dtype '{R._type_word(self._dtype)}'. The gradient must match "
                                   "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
                                   "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                                   "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
                                   "break downstream systems that assume they match.")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                                   f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                                   "the same size")
        tracker = _local.state.tracker
        if tracker is not None:             # under torchlike.compile: the grad is state to restore
            tracker.read((self,))
        self._grad = value

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version(self):
        return self._vc[0]

    def is_inference(self):
        """Whether this tensor was created in inference mode."""
        return self.__dict__.get("_inference", False)

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self._retains_grad = True
        self._wire_retain()

    def _wire_retain(self):
        """Register this tensor with its grad_fn so the engine stores the gradient flowing into it
        (again after an in-place op gives the tensor a new grad_fn)."""
        fn = self._grad_fn
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; may return a new grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            return _register(self, "_leaf_hooks", hook)
        if fn._tensor_prehooks is None:
            fn._tensor_prehooks = {}
        holder = fn._tensor_prehooks.setdefault(self._output_nr, _HookList())
        return _register(holder, "hooks", hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        ref = self._storage._a
        if (type(ref) is _LazyRef and _TEMP_REFS[0] is not None and _getrefcount(self) <= _TEMP_REFS[0]
                and _getrefcount(self._storage) <= _TEMP_REFS[1]):
            # ``f(x).sum().backward()``: nothing else refers to this root, so its value can never be
            # read and the fused backward need not compute it (``ThreadState.unread``; were it read after
            # all, its recipe would compute it)
            state = _local.state
            state.unread = ref
            try:
                _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)
            finally:
                state.unread = None
        else:
            _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = Tensor._wrap(self._storage._a if self._view is None else self._arr(), dtype=self._dtype)
        t._storage, t._view, t._cache, t._cache_gen = self._storage, self._view, self._cache, self._cache_gen
        t._vc = self._vc
        return t

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                               "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                               "be called on these gradients. To fix this error, please refer to the "
                               "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        t = self.detach()
        t._vc = [0]         # .data has its own version counter
        return t

    @data.setter
    def data(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(other).__name__}")
        self._storage, self._view = other._storage, other._view
        self._cache, self._cache_gen = other._cache, other._cache_gen
        self._dtype = other._dtype

    @property
    def _is_view_flag(self):
        return self._base is not None

    def _is_view(self):
        return self._base is not None

    # ---- metadata ----------------------------------------------------------
    @property
    def shape(self):
        return Size(self._shape())

    def size(self, dim=None):
        shape = self._shape()
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return device_of(self._storage._a)      # a view's elements are on its storage's device

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    def get_device(self):
        d = self.device
        return -1 if d.type == "cpu" else d.index

    @property
    def ndim(self):
        return len(self._shape())

    def dim(self):
        return len(self._shape())

    ndimension = dim

    def numel(self):
        return math.prod(self._shape())

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self._dtype.itemsize

    def stride(self, dim=None):
        strides = self._layout()[1]
        return strides if dim is None else strides[_wrap_dim(dim, len(strides))]

    def storage_offset(self):
        return self._layout()[2]

    def is_contiguous(self, memory_format=None):
        shape, strides, _ = self._layout()
        return V.is_contiguous(shape, strides)

    def data_ptr(self):
        return id(self._storage) * 64 + self._layout()[2] * self._dtype.itemsize

    def is_floating_point(self):
        return self._dtype.category == D.FLOAT

    def is_complex(self):
        return self._dtype.category == D.COMPLEX

    def is_signed(self):
        return self._dtype.is_signed

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    @property
    def layout(self):
        return strided

    def __len__(self):
        shape = self._shape()
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if _hot.plain_views(self):      # no node to record: the elements are views, made as they come
            return _hot.iter_views(self)
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    # ---- conversion to Python / numpy --------------------------------------
    def _host(self):
        """The value as a read-only numpy array: a strided view of the storage's host copy (no
        compiled program runs; the copy is kept until the storage is written)."""
        return V.host_value(self._storage, self._view)

    def item(self):
        view = self._view
        if view is None:
            h = self._storage.host()
            if h.size == 1:
                return h.item()
        elif math.prod(view[0]) == 1:
            return self._storage.host().item(view[2])      # the root's host copy is C-contiguous
        raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")

    def tolist(self):
        return self._host().tolist()

    def numpy(self, *, force=False):
        """The values as a new numpy array (a copy: numpy cannot alias an immutable JAX array, so
        later writes to the tensor are not seen by the array; see docs/differences.md)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._dtype is D.bfloat16 and not force:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return np.array(self._host())

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._dtype is D.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        a = self._host()
        return a if dtype is None else a.astype(dtype)

    def jax(self):
        """The value as a ``jax.Array`` (no copy)."""
        return self._arr()

    def _scalar_check(self, what):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")

    def __bool__(self):
        n = self.numel()
        if n != 1:
            if n == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self.item())

    def _python_scalar(self, ctype):
        view = self._view
        if view is not None and not view[0]:      # a 0-dim view (``x[i]`` of a vector): one element
            v = self._storage.host().item(view[2])
        else:
            if self.numel() != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            v = self.item()
        if isinstance(v, builtins.complex) and ctype:
            # a complex with no imaginary part converts (PyTorch's checked cast; to an integer, a finite one)
            if v.imag != 0 or (ctype == "int64_t" and not math.isfinite(v.real)):
                raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
            v = v.real
        return v

    def __float__(self):
        return builtins.float(self._python_scalar("double"))

    def __int__(self):
        return builtins.int(self._python_scalar("int64_t"))

    def __complex__(self):
        return builtins.complex(self._python_scalar(None))

    def __index__(self):
        if self._dtype.category > D.INT or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __contains__(self, element):
        if isinstance(element, (Tensor, builtins.bool, builtins.int, builtins.float, builtins.complex, np.generic)):
            return builtins.bool((self == element).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                           f"{type(element)}.")

    def __format__(self, spec):
        if self.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ---- printing ----------------------------------------------------------
    def __repr__(self, *, tensor_contents=None):
        values = self._host()
        fn = self.grad_fn
        dev = self.device
        text = format_tensor(values, dtype_name=self._dtype.name,
                             default_float_name=D.get_default_dtype().name,
                             device=None if dev.type == "cpu" else str(dev),
                             requires_grad=self._requires_grad and fn is None,
                             grad_fn_name=None if fn is None else type(fn).__name__)
        if "_fw" in self.__dict__:         # a dual tensor prints its tangent (forward-mode AD)
            text = _repr_with_tangent(self, text)
        return text

    __str__ = __repr__

    # ---- dtype / device conversion -----------------------------------------
    def to(self, *args, **kwargs):
        dtype, dev, copy = _hot.parse_to(self, *args, **kwargs)
        return self._to(dtype, dev, copy)

    def _to(self, dtype=None, dev=None, copy=False):
        to_copy = _hot.to_copy
        same_dtype = dtype is None or dtype is self._dtype
        same_dev = dev is None or dev == self.device
        if same_dtype and same_dev and not copy:
            return self
        return to_copy(self, dtype or self._dtype, dev)

    def type_as(self, other):
        return self._to(other.dtype)

    def float(self, memory_format=None):
        return self._to(D.float32)

    def double(self, memory_format=None):
        return self._to(D.float64)

    def half(self, memory_format=None):
        return self._to(D.float16)

    def bfloat16(self, memory_format=None):
        return self._to(D.bfloat16)

    def long(self, memory_format=None):
        return self._to(D.int64)

    def int(self, memory_format=None):
        return self._to(D.int32)

    def short(self, memory_format=None):
        return self._to(D.int16)

    def char(self, memory_format=None):
        return self._to(D.int8)

    def byte(self, memory_format=None):
        return self._to(D.uint8)

    def bool(self, memory_format=None):
        return self._to(D.bool)

    def cfloat(self, memory_format=None):
        return self._to(D.complex64)

    def cdouble(self, memory_format=None):
        return self._to(D.complex128)

    def cpu(self, memory_format=None):
        return self._to(dev=_device_cls("cpu"))

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self._to(dev=_device_cls("cuda" if device is None else device if isinstance(device, (str, _device_cls)) else f"cuda:{device}"))

    # ---- operators ---------------------------------------------------------
    def __getitem__(self, index):
        return _hot.getitem(self, index)

    def __setitem__(self, index, value):
        _hot.setitem(self, index, value)

    @property
    def T(self):
        n = self.ndim
        if n > 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                          "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                          "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
                          "reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def mH(self):
        return self.mT.conj() if self.is_complex() else self.mT

    @property
    def H(self):
        return self.T.conj() if self.is_complex() else self.T

    @property
    def real(self):
        return R.FUNCTIONS["real"](self)

    @property
    def imag(self):
        return R.FUNCTIONS["imag"](self)


# C++ element type names, as PyTorch's messages spell them
_CPP_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
             "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "uint16": "short unsigned int", "uint32": "unsigned int",
             "uint64": "long unsigned int", "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}


class _HookList:
    __slots__ = ("hooks",)

    def __init__(self):
        self.hooks = None


def _tree_flatten(t):
    return (t._arr(),), t._requires_grad


def _tree_unflatten(requires_grad, children):
    t = Tensor._wrap_any(children[0])
    return t


@classmethod
def _wrap_any(cls, x):
    """Wrap anything JAX hands back through a pytree (arrays, tracers, or placeholders)."""
    dt = getattr(x, "dtype", None)
    known = dt is not None and dt != jax.dtypes.float0
    return cls._wrap(x, dtype=D._BY_NP.get(np.dtype(dt), D.float32) if known else D.float32)


Tensor._wrap_any = _wrap_any
jax.tree_util.register_pytree_node(Tensor, _tree_flatten, _tree_unflatten)
R._Tensor = Tensor
R._ROOTS.add(Tensor)
