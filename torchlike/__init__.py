"""torchlike: PyTorch's API and semantics over JAX.

``import torchlike as torch`` and write PyTorch.  Layers:

* ``_dtype``, ``_device``: torch dtypes/devices over numpy/JAX ones.
* ``_views``: storage shared by views, strided layouts.
* ``_registry``: the op registry and the dispatcher (one declaration per op).
* ``_ops_*``: the op declarations.
* ``_tensor``: the Tensor class; methods come from the registry.
* ``autograd``: graph nodes, the backward engine, grad modes, functional API.
"""
from __future__ import annotations

import builtins as _builtins
import os as _os

import numpy as _np

import jax as _jax

# 64-bit dtypes must be real (int64 indices, float64 tensors).  torchlike never
# makes float64 a default: every array it creates has an explicit dtype.
if _os.environ.get("TORCHLIKE_X64", "1") != "0":
    _jax.config.update("jax_enable_x64", True)

# PyTorch computes float32 matmuls and convolutions in full float32 unless told otherwise
# (set_float32_matmul_precision); JAX's GPU/TPU default is reduced precision.  An explicit
# JAX_DEFAULT_MATMUL_PRECISION in the environment wins.
if "JAX_DEFAULT_MATMUL_PRECISION" not in _os.environ:
    _jax.config.update("jax_default_matmul_precision", "highest")

# On a CPU, JAX runs a compiled call on a worker thread unless it is tiny (under ~1000 flops), and
# the caller that reads the value waits for that thread: two thread hand-offs per read, 40-60 us on
# a 2-core machine, where the program itself takes microseconds (a training step's, a decoding
# step's).  torchlike runs every call on the calling thread, as PyTorch's eager ops run (XLA still
# parallelizes a large op over its intra-op threads).  TORCHLIKE_CPU_SYNC=0 keeps JAX's worker
# thread, which overlaps a large program with the Python that records the next ops
# (docs/performance.md, session 14).  Set before JAX makes its CPU client; process-wide.
if _os.environ.get("TORCHLIKE_CPU_SYNC", "1") != "0":
    _jax.config.update("jax_cpu_enable_async_dispatch", False)

# Compiled XLA programs are kept on disk and loaded by later runs instead of compiled again
# (``_xla_cache``: JAX's persistent compilation cache in ~/.cache/torchlike/xla; TORCHLIKE_CACHE_DIR
# picks another directory, TORCHLIKE_CACHE_DIR=0 turns it off).
from . import _xla_cache  # noqa: E402
_xla_cache.enable()

from . import _dtype  # noqa: E402
from ._dtype import (ALIASES as _ALIASES, bfloat16, bool, can_cast, complex64, complex128, dtype,  # noqa: E402,A004
                     float16, float32, float64, get_default_dtype, int8, int16, int32, int64, promote_types,
                     set_default_dtype, uint8, uint16, uint32, uint64)
from ._device import device, get_default_device, set_default_device  # noqa: E402
from . import _names, _registry  # noqa: E402
from ._tensor import Size, Tensor  # noqa: E402
from . import _creation as _cr, _ops_views as _ov  # noqa: E402  (loaded by _tensor)
from .autograd import (_fused as _af, _intercept as _ai, _runs as _ar, _saved as _as,  # noqa: E402
                       anomaly_mode as _aa, engine as _ae, forward_ad as _afw, function as _afn, graph as _ag,
                       profiler as _ap)


def _hand_down(module, **names):
    """Give a lower module the names it calls in the layers above it, which import it (so it cannot import
    them): each is a module-level slot there, None until bound here, right after the layers are loaded."""
    for name, value in names.items():
        if vars(module).get(name, 0) is not None:
            raise AssertionError(f"{module.__name__}.{name} is not an unbound slot")
        setattr(module, name, value)


# the autograd core sits below the dispatcher, which sits below Tensor and the creation ops (docs/architecture.md,
# "Import layers"); what they call upward is handed down here
_hand_down(_ag, apply_node=_ae.apply_node, saved_attribute=_as.saved_attribute, push_hooks=_as.push_hooks,
           pop_hooks=_as.pop_hooks, disabled=_as.disabled, Tensor=Tensor)
_hand_down(_aa, _saved=_as)
_hand_down(_as, _input_uses=_ae._input_uses, _FREED=_ae._FREED, check_saved=_ae.check_saved, Tensor=Tensor,
           tensor=_cr.tensor)
_hand_down(_ai, R=_registry, input_shapes=_ap.input_shapes, forward_ad=_afw)
_hand_down(_ap, Tensor=Tensor)
_hand_down(_af, check_saved=_ae.check_saved, vjp_function=_registry.vjp_function)
_hand_down(_ar, vjp_function=_registry.vjp_function)
_hand_down(_ae, _type_word=_registry._type_word, vjp_function=_registry.vjp_function, call=_registry.call,
           Op=_registry.Op, Tensor=Tensor, empty_like=_cr.empty_like)
_hand_down(_afw, Tensor=Tensor, Op=_registry.Op, Function=_afn.Function)
_hand_down(_afn, zeros=_cr.zeros)
_hand_down(_registry, _ops_views=_ov)
del _cr, _ov, _af, _ai, _ar, _as, _aa, _ae, _afw, _afn, _ag, _ap
# the classes name themselves as spelled: <class 'torchlike.Tensor'> (``python -m torchlike``: 'torch.Tensor')
Tensor.__module__ = Size.__module__ = dtype.__module__ = device.__module__ = __name__
from . import _ops_pointwise, _ops_reduce, _ops_views, _ops_copy, _ops_matmul, _ops_joins, _ops_shape  # noqa: E402,F401
from . import _ops_scatter, _ops_compare, _indexing  # noqa: E402,F401
from ._ops_pointwise import result_type  # noqa: E402
from . import _creation, _random  # noqa: E402
from ._creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full,  # noqa: E402
                        full_like, linspace, logspace, ones, ones_like, tensor, zeros, zeros_like)
from ._random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed,  # noqa: E402
                      manual_seed, multinomial, normal, rand, rand_like, randint, randint_like, randn,
                      poisson, randn_like, randperm, seed, set_rng_state)
from . import autograd  # noqa: E402
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402
from ._printing import get_printoptions, set_printoptions  # noqa: E402
from . import return_types  # noqa: E402
from . import backends  # noqa: E402
from .backends import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401

for _alias, _dt in _ALIASES.items():
    globals()[_alias] = _dt
chalf = complex64
from ._dtype import (channels_last, channels_last_3d, contiguous_format, layout, memory_format,  # noqa: E402
                     preserve_format, sparse_coo, strided)
__version__ = "2.13.0"

# ---- install the published functions and methods (every name is published once: _names.publish) ----------
for _name, _fn in _creation._new_methods().items():
    _names.publish(_name, method=_fn)
_names.publish("type", method=_creation.tensor_type)
globals().update(_creation.typed_tensors(module=__name__))   # torch.FloatTensor, torch.LongTensor, ...
for _name, _fn in _random.INPLACE_SAMPLERS.items():
    _names.publish(_name, method=_fn)
_names.install(globals(), Tensor)
autograd.Variable = Tensor
_tensor._hot.getitem, _tensor._hot.setitem = _indexing.getitem, _indexing.setitem
_tensor._hot.parse_to, _tensor._hot.to_copy = _creation.parse_to, _ops_copy.to_copy
_tensor._hot.plain_views, _tensor._hot.iter_views = _indexing.plain_views, _indexing.iter_views
autograd._bind(Tensor, _creation.ones_like, _creation.zeros_like, _registry._constant)
_tensor._autograd = autograd


def _reflected(name):
    fn = _registry.FUNCTIONS[name]
    return lambda self, other: fn(other, self)


def _binary(name):
    fn = _registry.FUNCTIONS[name]

    def op(self, other):
        if not isinstance(other, (Tensor, _builtins.int, _builtins.float, _builtins.complex, _builtins.bool,
                                  _np.generic)) and not hasattr(other, "__index__"):
            return NotImplemented
        return fn(self, other)
    return op


_OPERATORS = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__floordiv__": "floor_divide",
    "__mod__": "remainder", "__pow__": "pow", "__matmul__": "matmul", "__and__": "bitwise_and",
    "__or__": "bitwise_or", "__xor__": "bitwise_xor", "__lshift__": "bitwise_left_shift",
    "__rshift__": "bitwise_right_shift", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
    "__gt__": "gt", "__ge__": "ge",
}
for _dunder, _name in _OPERATORS.items():
    _names.publish(_dunder, method=_binary(_name))
# commutative: PyTorch calls self.op(other), so the tensor stays the first input
for _dunder, _name in {"__radd__": "add", "__rmul__": "mul", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
                       "__rxor__": "bitwise_xor"}.items():
    _names.publish(_dunder, method=_binary(_name))
for _dunder, _name in {"__rpow__": "pow", "__rfloordiv__": "floor_divide", "__rmod__": "remainder",
                       "__rmatmul__": "matmul", "__rlshift__": "bitwise_left_shift",
                       "__rrshift__": "bitwise_right_shift"}.items():
    _names.publish(_dunder, method=_reflected(_name))
# other / self is reciprocal(self) * other in PyTorch (grad_fn MulBackward0)
_names.publish("__rtruediv__",
         method=lambda self, other: _registry.FUNCTIONS["mul"](_registry.FUNCTIONS["reciprocal"](self), other))
_names.publish("__rsub__", method=lambda self, other: _registry.FUNCTIONS["rsub"](self, other))
for _dunder, _name in {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
                       "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
                       "__iand__": "bitwise_and_", "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_",
                       "__ilshift__": "bitwise_left_shift_", "__irshift__": "bitwise_right_shift_"}.items():
    _names.publish(_dunder, method=_registry.METHODS[_name])
_names.publish("__neg__", method=_registry.METHODS["neg"])
_names.publish("__pos__", method=_registry.METHODS["positive"])
_names.publish("__abs__", method=_registry.METHODS["abs"])


def _invert(self):
    if self.dtype is bool:
        return _registry.METHODS["logical_not"](self)
    if self.dtype.category > _dtype.INT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return _registry.METHODS["bitwise_not"](self)


_names.publish("__invert__", method=_invert)
_names.install(globals(), Tensor)

is_tensor = lambda obj: isinstance(obj, Tensor)  # noqa: E731


def from_jax(array, requires_grad=False):
    """A Tensor over a ``jax.Array`` without copying (the inverse of ``Tensor.jax()``)."""
    t = Tensor._wrap(_jax.numpy.asarray(array))
    if requires_grad:
        t.requires_grad_(True)
    return t
numel = lambda input: input.numel()  # noqa: E731


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def detach(input):
    return input.detach()


from . import func  # noqa: E402,F401
from . import profiler  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401,A001

# ---- training stack: torch.nn, torch.optim, torch.utils.data -------------------
from . import nn, optim, utils  # noqa: E402
from . import distributed  # noqa: E402,F401  (torch.distributed, as PyTorch loads it; loaded by utils.data already)
from . import serialization  # noqa: E402
from .serialization import load, save  # noqa: E402,F401


# ---- namespaces and extra ops declared in their own modules -------------------
# (each name is published once, wherever it is declared: a second declaration raises at import)
from . import _ops_calculus, _ops_stats, fft, linalg, masked, signal, special  # noqa: E402,F401
from . import distributions  # noqa: E402,F401  (torch.distributions)
from . import _ops_native, ops  # noqa: E402,F401
from . import _ops_nn_namespace  # noqa: E402,F401  (torch.celu, torch.kl_div, torch.lstm, ...)
from . import _ops_tensor_api  # noqa: E402  (is_nonzero, Tensor.new, apply_, fill_diagonal_, ...)
globals().update(_ops_native.PRIVATE_EXPORTS)
_names.install(globals(), Tensor)


# ---- intra-op / inter-op thread counts -------------------------------------------
# XLA sizes its own thread pools; these record what a program asks for, so that scripts which set
# them (``torch.set_num_threads(1)``) run and read back what they set.
_threads = {"intra": _os.cpu_count() or 1, "interop": _os.cpu_count() or 1}


def _thread_count(kind, n, name):
    if type(n) is not _builtins.int:
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    _threads[kind] = n


def set_num_threads(n):
    _thread_count("intra", n, "set_num_threads")


def get_num_threads():
    return _threads["intra"]


def set_num_interop_threads(n):
    _thread_count("interop", n, "set_num_interop_threads")


def get_num_interop_threads():
    return _threads["interop"]


# ---- torch.sin_ & co (in-place functions of the namespace), torch.functional, random, testing
from . import _inplace_functions, compiler, cuda, functional, jit, random, testing  # noqa: E402
for _name, _fn in _inplace_functions.functions().items():
    _names.publish(_name, _fn)
_names.publish("chain_matmul", functional.chain_matmul)
_names.publish("unravel_index", functional.unravel_index)
_names.publish("istft", functional.istft)
_names.publish("OutOfMemoryError", cuda.OutOfMemoryError)
_names.install(globals(), Tensor)
from .utils import benchmark as _benchmark, checkpoint as _checkpoint  # noqa: E402,F401 (torch.utils.*)

# ---- torch.finfo/iinfo, constants, deterministic-algorithm flags, set_default_tensor_type
from ._info import (are_deterministic_algorithms_enabled, finfo, get_deterministic_debug_mode,  # noqa: E402
                    iinfo, is_deterministic_algorithms_warn_only_enabled, set_default_tensor_type,
                    set_deterministic_debug_mode, use_deterministic_algorithms)
import math as _math  # noqa: E402
inf, nan, pi, e, newaxis = _math.inf, _math.nan, _math.pi, _math.e, None

# ---- mixed precision: torch.amp, torch.autocast, torch.cpu(.amp)
from . import amp, cpu  # noqa: E402,F401
from . import hub  # noqa: E402,F401
globals().update({_n: getattr(amp.autocast_mode, _n) for _n in amp.autocast_mode.TOP_LEVEL})

# ---- more of the torch namespace (issue 12): index and window factories, tensors over raw bytes, torch.range
from ._creation import (bartlett_window, blackman_window, from_file, frombuffer, hamming_window,  # noqa: E402
                        hann_window, kaiser_window, range_ as range, tril_indices, triu_indices)  # noqa: A001
from ._random import binomial  # noqa: E402
from .func import vmap  # noqa: E402,F401

# ---- storages (torch.storage): TypedStorage, UntypedStorage, FloatStorage & co, Tensor.storage()
from . import storage  # noqa: E402
from .storage import TypedStorage, UntypedStorage, is_storage  # noqa: E402
globals().update(storage.LEGACY_CLASSES)
for _name, _cls in storage.CUDA_LEGACY_CLASSES.items():
    setattr(cuda, _name, _cls)                      # torch.cuda.FloatStorage & co
for _name, _fn in storage.TENSOR_METHODS.items():
    _names.publish(_name, method=_fn)
_names.install(globals(), Tensor)

# ---- the last torch names: sym_* helpers, AcceleratorError/FatalError/JITException, GradScaler, per-device
# autocast switches, fork/wait, SyncBatchNorm's kernels
from . import _torch_misc_names  # noqa: E402
globals().update({_n: getattr(_torch_misc_names, _n) for _n in _torch_misc_names.__all__})

# ---- last: the objects that importing JAX, numpy and torchlike made live as long as the process.
# Moved out of the cyclic collector's view (gc.freeze), they are not walked by every full collection,
# which a growing autograd graph (Python objects here, C++ in PyTorch) triggers each time the live
# objects grow by a quarter: 4,000 summed losses' forward 1.4 -> 0.8 s.  TORCHLIKE_GC_FREEZE=0: off.
if _os.environ.get("TORCHLIKE_GC_FREEZE", "1") != "0":
    import gc as _gc
    _gc.freeze()
