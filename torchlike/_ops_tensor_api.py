"""The rest of the Tensor API and the torch namespace's small functions: predicates (``is_nonzero``,
``is_same_size``, ``is_conj``, device kinds), legacy methods (``new``, ``apply_``, ``map_``, ``resize``,
``fill_diagonal_``, ``as_subclass``), in-place special functions, ``register_post_accumulate_grad_hook``,
process-wide switches (``set_warn_always``, ``set_flush_denormal``, ...), ``resize_``/``resize_as_``/``set_``
(a tensor's storage and layout replaced), ``resolve_conj``/``resolve_neg`` and ``__rdiv__``.

Functions, methods and properties are published with ``_names.publish`` (a name published twice raises);
``torchlike/__init__`` installs them (``_names.install``).
"""
from __future__ import annotations

import builtins
import math
import warnings

import jax.numpy as jnp

import numpy as np
import weakref
import importlib

from . import _dtype as D
from . import _registry as R
from . import _views as V
from . import cuda
from ._registry import FUNCTIONS, _size, call_inplace, defop
from ._names import publish
from ._tensor import Tensor, _CPP_TYPE
from .storage import _StorageBase
from ._ops_common import _fn
from ._creation import _legacy_construct, tensor, arange
from .autograd.grad_mode import no_grad
from .special import _MVLGAMMA, _polygamma
from .functional import istft as _istft
from .autograd import anomaly_mode
from ._device import device as device_cls


def _check_tensor(name, value, what="input", pos=1):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _both(fn, name=None):
    """Publish ``fn`` as ``torch.<name>`` and ``Tensor.<name>``."""
    name = name or fn.__name__
    fn.__name__ = fn.__qualname__ = name
    publish(name, fn)
    publish(name, method=fn)
    return fn


def _method(fn, name=None):
    name = name or fn.__name__
    fn.__name__, fn.__qualname__ = name, "Tensor." + name
    publish(name, method=fn)
    return fn


def _function(fn, name=None):
    name = name or fn.__name__
    fn.__name__ = fn.__qualname__ = name
    publish(name, fn)
    return fn


# ---- predicates ------------------------------------------------------------------------------------

@_both
def is_nonzero(input):
    """The truth of a one-element tensor (PyTorch's error for more or fewer elements)."""
    _check_tensor("is_nonzero", input)
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


@_both
def is_same_size(input, other):
    _check_tensor("is_same_size", input)
    _check_tensor("is_same_size", other, "other", 2)
    return tuple(input.shape) == tuple(other.shape)


@_both
def is_conj(input):
    """False: torchlike's ``conj()`` computes the conjugate instead of setting a lazy bit
    (docs/differences.md)."""
    _check_tensor("is_conj", input)
    return False


@_both
def is_neg(input):
    """False: there is no lazy negation bit (``resolve_neg`` is the identity)."""
    _check_tensor("is_neg", input)
    return False


@_both
def is_distributed(input):
    return False


for _name in ("is_signed", "is_inference", "get_device"):
    def _forward(input, _name=_name):
        _check_tensor(_name, input)
        return getattr(input, _name)()
    _function(_forward, _name)


@_function
def typename(obj):
    """``'torch.FloatTensor'`` for a tensor, else the qualified class name (``'torch.nn.modules.linear.Linear'``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not isinstance(obj, type):
        module, name = type(obj).__module__, type(obj).__qualname__
    if module.startswith("torchlike"):
        module = "torch" + module[len("torchlike"):]
    return name if module in ("", "builtins") else f"{module}.{name}"


@_method
def is_pinned(self, device=None):
    return False


@_method
def pin_memory(self, device=None):
    """A copy in page-locked host memory on a machine with an accelerator; PyTorch's error without one."""
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self.clone()


@_method
def share_memory_(self):
    """Marks the tensor shared (``is_shared()``); JAX arrays need no shared-memory segment to cross
    processes here, the data is pickled by value (docs/differences.md)."""
    self.__dict__["_shared"] = True
    return self


@_method
def is_shared(self):
    return builtins.bool(self.__dict__.get("_shared", False))


@_method
def is_set_to(self, tensor):
    """Same storage, offset, sizes and strides."""
    return (self._storage is tensor._storage and self.storage_offset() == tensor.storage_offset()
            and tuple(self.shape) == tuple(tensor.shape) and self.stride() == tensor.stride())


@_method
def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (sorted by stride, stable)."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


@_method
def const_data_ptr(self):
    return self.data_ptr()


@_method
def record_stream(self, stream):
    """Nothing to do: XLA orders its own streams."""


@_method
def module_load(self, other, assign=False):
    """How ``load_state_dict`` turns ``other`` into this parameter's new value: a copy into ``self`` (detached),
    or ``other`` itself with ``assign=True``."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


def _no_backend(kind, exc, message):
    def method(self, device=None, non_blocking=False, memory_format=None):
        raise exc(message)
    return _method(method, kind)


_no_backend("xpu", AssertionError, "Torch not compiled with XPU enabled")
_no_backend("ipu", RuntimeError, "PyTorch is not linked with support for ipu devices")
_no_backend("mtia", AssertionError, "Torch not compiled with MTIA enabled")


@_method
def reinforce(self, reward):
    raise RuntimeError("reinforce() was removed.\nUse torch.distributions instead.\nSee "
                       "https://pytorch.org/docs/main/distributions.html\n\nInstead of:\n\nprobs = "
                       "policy_network(state)\naction = probs.multinomial()\nnext_state, reward = env.step(action)\n"
                       "action.reinforce(reward)\naction.backward()\n\nUse:\n\nprobs = policy_network(state)\n# "
                       "NOTE: categorical is equivalent to what used to be called multinomial\nm = "
                       "torch.distributions.Categorical(probs)\naction = m.sample()\nnext_state, reward = "
                       "env.step(action)\nloss = -m.log_prob(action) * reward\nloss.backward()\n")


# ---- legacy methods ----------------------------------------------------------------------------------

@_method
def new(self, *args, **kwargs):
    """The legacy constructor with this tensor's dtype and device: ``x.new(2, 3)`` (uninitialised),
    ``x.new([1, 2])`` (data), ``x.new()`` (empty), ``x.new(other)`` (an alias)."""
    return _legacy_construct(self.dtype, self.device.type, args, kwargs, default_device=self.device)


def _check_no_grad(self, name):
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() "
                           "instead.")


def _map_values(self, fn, *others):
    """``fn`` on each element (and the matching elements of ``others``, broadcast to ``self``), on the host,
    written back into ``self`` in its dtype."""
    arrays = [np.asarray(o.expand_as(self).detach()._arr()) for o in others]
    mine = np.asarray(self.detach()._arr())
    out = np.empty(mine.shape, dtype=object)
    for idx in np.ndindex(mine.shape):
        out[idx] = fn(mine[idx].item(), *(a[idx].item() for a in arrays))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = out.astype(np.complex128 if self.is_complex() else np.float64 if self.is_floating_point()
                            else np.int64 if self.dtype is not D.bool else np.bool_)
    with _no_grad():
        self.copy_(tensor(values.astype(self.dtype.np) if self.dtype is not D.bfloat16 else values,
                          dtype=self.dtype))
    return self


def _no_grad():
    return no_grad()


@_method
def apply_(self, callable):
    """Replace each element with ``callable(element)`` (CPU tensors in PyTorch; slow: one Python call each)."""
    _check_no_grad(self, "apply_")
    return _map_values(self, callable)


@_method
def map_(self, tensor, callable):
    _check_no_grad(self, "map_")
    return _map_values(self, callable, tensor)


@_method
def map2_(self, x, y, callable):
    _check_no_grad(self, "map2_")
    return _map_values(self, callable, x, y)


@_method
def as_subclass(self, cls):
    """``self`` as an instance of the Tensor subclass ``cls``, sharing its data and its autograd history."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                        "possible. Make sure your class inherits from Tensor.")
    r = FUNCTIONS["alias"](self)
    r.__class__ = cls
    return r


def _resize_error(self, sizes):
    want = "x".join(str(s) for s in sizes)
    have = "x".join(str(s) for s in self.shape)
    n = int(np.prod(sizes, dtype=np.int64))
    return RuntimeError(f"requested resize to {want} ({n} elements in total), but the given tensor has a size of "
                        f"{have} ({self.numel()} elements). autograd's resize can only change the shape of a given "
                        "tensor, while preserving the number of elements. ")


@_method
def resize(self, *sizes):
    """Deprecated out-of-place resize: a reshape that must keep the number of elements."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if int(np.prod(sizes, dtype=np.int64)) != self.numel():
        raise _resize_error(self, sizes)
    return self.reshape(sizes)


@_method
def resize_as(self, tensor, memory_format=None):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    if tensor.numel() != self.numel():
        raise _resize_error(self, tuple(tensor.shape))
    return self.reshape(tuple(tensor.shape))


@_method
def fill_diagonal_(self, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal (every dim the same length when more than two); a tall
    matrix with ``wrap=True`` starts again every ``cols + 1`` rows.  Written through a strided view of
    ``self``, so autograd records it as PyTorch does (``CopySlices``)."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    strides = self.stride()
    step = builtins.sum(strides)
    n = builtins.min(self.shape)
    if wrap and self.ndim == 2 and self.shape[0] > self.shape[1] + 1:
        rows, cols = self.shape
        n = (rows * cols + cols) // (cols + 1)     # positions k * (cols + 1) of the row-major matrix
        if strides != (cols, 1):
            flat = self.reshape(-1)
            idx = arange(0, rows * cols, cols + 1)
            return self.copy_(flat.index_fill(0, idx, fill_value).view(self.shape))
    if n:
        self.as_strided((n,), (step,), self.storage_offset()).fill_(fill_value)
    return self


# ---- in-place special functions ------------------------------------------------------------------------

@_method
def mvlgamma_(self, p):
    return call_inplace(_MVLGAMMA, (self,), (p,))


_POLYGAMMA_INPLACE = []


@_method
def polygamma_(self, n):
    """In place, recorded as PyTorch's ``PolygammaBackward1`` (the out-of-place op's node is ...Backward0)."""
    if n < 0:
        _polygamma(None, n)
    if not _POLYGAMMA_INPLACE:
        _POLYGAMMA_INPLACE.append(defop("_polygamma_inplace(Tensor self, int n)", _polygamma, function=False,
                                        method=False, dtype="float", grad="PolygammaBackward1"))
    return call_inplace(_POLYGAMMA_INPLACE[0], (self,), (n,))


@_method
def istft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    return _istft(self, n_fft, hop_length, win_length, window, center, normalized, onesided, length,
                  return_complex)


# ---- autograd: hooks after a leaf's gradient is accumulated ------------------------------------------

class _PostAccumulateHandle:
    def __init__(self, tensor, acc, handle):
        self._tensor, self._acc, self._handle = tensor, acc, handle

    def remove(self):
        self._handle.remove()
        hooks = self._tensor.__dict__.get("_post_acc_nodes")
        if hooks and self._acc in hooks:
            hooks.remove(self._acc)


@_method
def register_post_accumulate_grad_hook(self, hook):
    """``hook(tensor)`` after each backward has accumulated into ``tensor.grad`` (leaves only).  It runs as a
    hook of the leaf's ``AccumulateGrad`` node, which the tensor then keeps alive (PyTorch keeps such hooks on
    the tensor itself).  It also runs for ``torch.autograd.grad`` through the leaf, where PyTorch, which
    accumulates nothing there, does not call it (docs/differences.md)."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    ref = weakref.ref(self)
    acc = self._accumulator()

    def run(grad_inputs, grad_outputs):
        t = ref()
        if t is not None:
            hook(t)
    handle = acc.register_hook(run)
    self.__dict__.setdefault("_post_acc_nodes", []).append(acc)
    return _PostAccumulateHandle(self, acc, handle)


# ---- properties -------------------------------------------------------------------------------------------

_FALSE_PROPERTIES = ("is_xla", "is_xpu", "is_mps", "is_ipu", "is_maia", "is_mtia", "is_vulkan", "is_mkldnn",
                     "is_nested", "is_sparse_csr")


def _volatile(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _grad_dtype(self):
    return self.dtype


# the properties PyTorch's Tensor has that torchlike's lacks: device kinds it never is, ``name`` (named
# tensors: None), ``volatile`` (removed), ``grad_dtype``
for _name in _FALSE_PROPERTIES:
    publish(_name, method=property(lambda self: False))
for _name, _getter in (("name", lambda self: None), ("volatile", _volatile), ("grad_dtype", _grad_dtype)):
    publish(_name, method=property(_getter))


# ---- process-wide switches and small torch functions ------------------------------------------------------

_WARN_ALWAYS = [False]


@_function
def set_warn_always(b):
    """Whether warnings PyTorch gives once per process are given every time (recorded; torchlike's own
    warnings follow Python's filters)."""
    _WARN_ALWAYS[0] = builtins.bool(b)


@_function
def is_warn_always_enabled():
    return _WARN_ALWAYS[0]


@_function
def set_anomaly_enabled(enabled, check_nan=True):
    anomaly_mode._set(enabled, check_nan)


@_function
def set_flush_denormal(mode):
    """False: XLA's CPU kernels do not take a flush-to-zero switch, so denormals are kept (PyTorch returns True
    where the CPU supports it; docs/differences.md)."""
    return False


@_function
def init_num_threads():
    """Nothing to do: XLA sizes its own thread pools."""


@_function
def is_vulkan_available():
    return False


@_function
def get_device_module(device=None):
    """The module of a device kind: ``torch.cpu`` or ``torch.cuda`` (the current accelerator's without an
    argument, else ``torch.cpu``)."""
    if device is None:
        kind = "cuda" if cuda.is_available() else "cpu"
    elif isinstance(device, device_cls):
        kind = device.type
    else:
        kind = device_cls(device).type
    try:
        return importlib.import_module(f"{__package__}.{kind}")
    except ImportError:
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as 'torch.{kind}'."
                           ) from None


@_function
def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``, evaluated eagerly (PyTorch traces both
    branches under ``torch.compile``; here the predicate's value decides at once)."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
        pred = builtins.bool(pred.item())
    elif not isinstance(pred, (builtins.bool, builtins.int)):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple that only consists "
                           f"of tensor leaves, but got {operands}.")
    return (true_fn if pred else false_fn)(*operands)


publish("__rdiv__", method=lambda self, other: self.__rtruediv__(other))


# ---- resize_ / resize_as_ ---------------------------------------------------------------------------
def resize_(self, *sizes, memory_format=None):
    """``self`` becomes a contiguous tensor of ``sizes`` over the same storage, from its storage offset:
    the elements it keeps are the storage's, in order; a larger size grows the storage (new elements are
    zeros here, uninitialised in PyTorch).  A tensor that requires grad cannot be resized."""
    shape = _size(sizes)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(shape)}: {list(shape)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    st = self._storage
    offset = self._layout()[2]
    need = offset + math.prod(shape)
    if need > st.array.size:
        flat = st.array.reshape(-1)
        grown = jnp.zeros((need,), self._dtype.np).at[:flat.size].set(flat)
        self._storage = V.Storage(grown)    # PyTorch grows the shared storage in place: aliases are left behind
        self._view = ((flat.size - offset,), (1,), offset) if offset else None
        self._base = None
        self._cache, self._cache_gen = None, -1
    self._resize_to(shape)
    return self


def resize_as_(self, the_template, *, memory_format=None):
    """``self.resize_(the_template.shape)``."""
    if not isinstance(the_template, R._Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 2) must be Tensor, not "
                        f"{type(the_template).__name__}")
    return resize_(self, tuple(the_template.shape), memory_format=memory_format)


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """``self`` becomes another window on ``source``'s storage: a tensor's (its size, stride and offset
    unless given), or a storage's (the whole storage as 1-D unless given); ``set_()`` leaves it empty.
    Writes through either are seen by both.  Only the storage is taken: ``self`` keeps its own autograd
    state (see docs/differences.md)."""
    T = R._Tensor
    R.check_inplace(self, overlap_ok=True)
    if source is None:
        if size is not None or storage_offset:
            raise TypeError("set_() received an invalid combination of arguments")
        st, layout = V.Storage(jnp.zeros((0,), self._dtype.np)), ((0,), (1,), 0)
    else:
        if isinstance(source, T):
            flat_dtype, st = source._dtype, source._storage
            layout = source._layout() if size is None else None
            start = 0
        elif isinstance(source, _StorageBase):
            flat = source._flat
            flat_dtype, st = flat._dtype, flat._storage
            start = flat._layout()[2] + getattr(source, "_start", 0) // flat_dtype.itemsize
            layout = ((flat.numel() - start,), (1,), start) if size is None else None
            if size is None and storage_offset:
                raise TypeError("set_() received an invalid combination of arguments")
        else:
            raise TypeError(f"set_() received an invalid combination of arguments - got ({type(source).__name__}), "
                            "but expected one of:\n * ()\n * (torch.Storage source)\n * (torch.Storage source, "
                            "int storage_offset, tuple of ints size, tuple of ints stride)\n * (Tensor source)\n"
                            " * (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride)")
        if flat_dtype is not self._dtype:
            if isinstance(source, T):
                raise RuntimeError(f"Could not set tensor of type {_CPP_TYPE.get(flat_dtype.name, flat_dtype.name)} "
                                   f"to a tensor of type {_CPP_TYPE.get(self._dtype.name, self._dtype.name)}")
            raise NotImplementedError(f"set_(): a storage of {flat_dtype} elements viewed as {self._dtype} (its "
                                      "bytes reinterpreted) is not supported (docs/differences.md)")
        if layout is None:
            size = tuple(int(n) for n in size)
            stride = V.contiguous_strides(size) if stride is None else tuple(int(n) for n in stride)
            offset = int(storage_offset)
            if any(n < 0 for n in size):
                raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(size)}: {list(size)}")
            numel = st.array.size
            need = 0 if 0 in size else offset + 1 + builtins.sum((n - 1) * k for n, k in zip(size, stride))
            if need > numel:
                isz = self._dtype.itemsize
                raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                                   f"and itemsize {isz} requiring a storage size of {need * isz} are out of bounds "
                                   f"for storage of size {numel * isz}")
            layout = (size, stride, offset)
    shape, strides, offset = (tuple(layout[0]), tuple(layout[1]), layout[2])
    self._storage = st
    whole = offset == 0 and shape == tuple(st.array.shape) and strides == V.contiguous_strides(shape)
    self._view = None if whole else (shape, strides, offset)
    self._base = None
    self._cache, self._cache_gen = None, -1
    self._vc[0] += 1
    return self


publish("resize_", method=resize_)
publish("set_", method=set_)
publish("resize_as_", resize_as_, method=True)


# conjugate and negative bits: a tensor here never carries them (is_conj/is_neg are False)
_fn("resolve_conj", lambda input: input, method=True)
_fn("resolve_neg", lambda input: input, method=True)
