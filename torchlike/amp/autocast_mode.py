"""``torch.autocast``: mixed precision by casting the inputs of listed ops.

PyTorch's autocast casts at its dispatcher; torchlike casts at the torch-level functions instead,
and only while an autocast region is open anywhere: entering the first enabled region installs
wrappers over the listed ``torchlike.*``, ``torchlike.nn.functional.*``, ``linalg.*``, ``fft.*``
functions and Tensor methods/operators, leaving the last restores the originals, so code outside
autocast pays nothing.  Whether a region is enabled, and its dtype, is thread-local per device type.

A wrapper casts the op's floating inputs (float16/bfloat16/float32, never float64, on the region's
device) to the region's dtype (ops PyTorch's CPU autocast runs in lower precision: matmuls,
convolutions, ``linear``, attention) or to float32 (ops it runs in float32: losses, ``prod``,
``cdist``, FFTs, most of ``linalg``), then runs the op with autocast off for the ops it calls
itself (PyTorch's ops do not re-enter autocast either).  Every other op follows its inputs.  The
casts are ordinary ``Tensor.to`` calls, so gradients flow back to float32 parameters through
``ToCopyBackward0`` as in PyTorch.
"""
from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as D
from .._device import cuda_is_available
from .._state import local as _local
from .._tensor import Tensor
import torchlike     # the public face, read when called (not an import cycle)

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

_DEVICE_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, "
                 "mps, meta, hpu, mtia, privateuseone")
_KNOWN = frozenset(_DEVICE_TYPES.split(", "))
_AUTOCAST_DEVICES = frozenset(("cpu", "cuda", "xpu", "ipu", "hpu", "xla", "mps", "mtia", "maia", "privateuseone"))


def _check_device_type(device_type):
    if device_type not in _KNOWN:
        raise RuntimeError(f"Expected one of {_DEVICE_TYPES} device type at start of device string: {device_type}")


def _check_str(fn, device_type):
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not {type(device_type).__name__}")


# ---- thread-local state: this thread's ``_state.ThreadState.autocast`` (``_state.AutocastState``) ----


def _default_dtype(device_type):
    return D.float16 if device_type in ("cuda", "mps", "xpu", "ipu", "mtia", "privateuseone") else D.bfloat16


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` in this thread (no argument: CUDA, as PyTorch)."""
    if device_type is None:
        device_type = "cuda"
    _check_str("is_autocast_enabled", device_type)
    _check_device_type(device_type)
    return _local.state.autocast.enabled.get(device_type, False)


def set_autocast_enabled(device_type, enabled):
    if type(enabled) is not bool:
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position 2) must be bool, "
                        f"not {type(enabled).__name__}")
    _check_device_type(device_type)
    _local.state.autocast.enabled[device_type] = enabled


def get_autocast_dtype(*args):
    """The dtype autocast casts to on ``device_type`` (CPU: bfloat16, CUDA: float16 unless set)."""
    if len(args) != 1:
        raise TypeError(f'get_autocast_dtype() missing 1 required positional arguments: "device_type"'
                        if not args else f"get_autocast_dtype() takes 1 positional argument but {len(args)} were given")
    device_type, = args
    _check_str("get_autocast_dtype", device_type)
    _check_device_type(device_type)
    return _local.state.autocast.dtype.get(device_type) or _default_dtype(device_type)


def set_autocast_dtype(device_type, dtype):
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"set_autocast_dtype(): argument 'dtype' (position 2) must be torch.dtype, "
                        f"not {type(dtype).__name__}")
    _check_device_type(device_type)
    _local.state.autocast.dtype[device_type] = dtype


def is_autocast_cache_enabled():
    return _local.state.autocast.cache_enabled


def set_autocast_cache_enabled(enabled):
    if type(enabled) is not bool:
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    _local.state.autocast.cache_enabled = enabled


def clear_autocast_cache():
    """Forget the casts of parameters made in this thread (also done when the outermost region ends)."""
    _local.state.autocast.cache.clear()


def autocast_increment_nesting():
    tls = _local.state.autocast
    tls.nesting += 1
    return tls.nesting


def autocast_decrement_nesting():
    tls = _local.state.autocast
    tls.nesting -= 1
    if tls.nesting == 0:
        tls.cache.clear()
    return tls.nesting


def is_autocast_available(device_type):
    """Whether autocast exists for ``device_type`` (as PyTorch: also CUDA without a GPU)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    _check_device_type(device_type)
    return device_type in _AUTOCAST_DEVICES


# ---- the op lists (PyTorch 2.13's CPU autocast, observed op by op) --------------------------------
_MATMULS = ("mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm")
_LOWER = {
    "": _MATMULS + ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                    "einsum", "tensordot", "inner", "chain_matmul", "prelu", "conv_tbc"),
    "nn.functional": ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                      "conv_transpose3d", "prelu", "scaled_dot_product_attention"),
    "linalg": ("vecdot", "matmul", "multi_dot"),
    "Tensor": _MATMULS + ("__matmul__", "__rmatmul__", "prelu", "inner"),
}
_LINALG_FP32 = ("cholesky", "cholesky_ex", "eig", "eigh", "eigvals", "eigvalsh", "inv", "inv_ex", "householder_product",
                "lstsq", "lu_factor", "lu_factor_ex", "lu", "lu_solve", "matrix_rank", "pinv", "qr", "solve",
                "solve_ex", "svd", "svdvals", "tensorinv", "tensorsolve", "solve_triangular", "ldl_factor",
                "ldl_factor_ex", "ldl_solve")
_TORCH_FP32 = ("prod", "cdist", "quantile", "nanquantile", "trace", "inverse", "pinverse", "cholesky",
               "cholesky_inverse", "cholesky_solve", "polar", "stft", "view_as_complex", "lu_solve", "orgqr",
               "ormqr")
_FP32 = {
    "": _TORCH_FP32,
    "nn.functional": ("mse_loss", "cross_entropy", "nll_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
                      "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
                      "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
                      "soft_margin_loss", "triplet_margin_loss", "poisson_nll_loss", "ctc_loss", "grid_sample",
                      "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "max_unpool2d", "max_unpool3d"),
    "linalg": _LINALG_FP32,
    "fft": ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
            "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn"),
    "Tensor": _TORCH_FP32,
}
_LOWER_POLICY, _FP32_POLICY = "lower", "fp32"


def _einsum_contracts(args, kwargs):
    """PyTorch's einsum reaches a matmul (and autocast) only when two operands contract an index."""
    if not args or not isinstance(args[0], str):
        return True
    eq, operands = args[0].replace(" ", ""), args[1:]
    if len(operands) == 1 and type(operands[0]) in (list, tuple):
        operands = operands[0]
    if len(operands) < 2:
        return False
    lhs, arrow, out = eq.partition("->")
    letters = [c for c in lhs if c.isalpha()]
    if not arrow:
        return any(letters.count(c) > 1 for c in letters)
    return any(c not in out for c in letters)


def _not_two_vectors(args, kwargs):
    """``tensordot``/``inner`` of two vectors is a ``dot`` (which follows its inputs); else a matmul."""
    a = args[0] if args else kwargs.get("input", kwargs.get("a"))
    b = args[1] if len(args) > 1 else kwargs.get("other", kwargs.get("b"))
    return not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.dim() <= 1 and b.dim() <= 1)


# lower-precision ops that PyTorch casts only for some arguments (composites that may reach a matmul)
_WHEN = {"einsum": _einsum_contracts, "tensordot": _not_two_vectors, "inner": _not_two_vectors}


def _namespace(where):
    if where == "Tensor":
        return torchlike.Tensor
    obj = torchlike
    for part in where.split(".") if where else ():
        obj = getattr(obj, part)
    return obj


def _cast(value, to, device_type):
    """``value`` (a tensor, or a list/tuple of them) with its eligible floating tensors cast to ``to``.
    A float32 leaf that requires grad (a parameter) is cast once per region when the cast cache is on,
    so that its uses share one ``ToCopyBackward0`` as in PyTorch."""
    if isinstance(value, Tensor):
        d = value.dtype
        if (d is not to and d.category == D.FLOAT and d is not D.float64
                and value.device.type == device_type):
            tls = _local.state.autocast
            if (tls.cache_enabled and d is D.float32 and to is not D.float32 and value.requires_grad
                    and value.is_leaf and not value._is_view()):
                hit = tls.cache.get((id(value), to))
                if hit is None or hit[0] is not value:
                    hit = tls.cache[(id(value), to)] = (value, value.to(to))
                return hit[1]
            return value.to(to)
        return value
    if isinstance(value, (list, tuple)) and value and type(value) in (list, tuple):
        return type(value)(_cast(v, to, device_type) for v in value)
    return value


def _device_type(args, kwargs):
    for v in (*args, *kwargs.values()):
        if isinstance(v, Tensor):
            return v.device.type
        if type(v) in (list, tuple):
            for w in v:
                if isinstance(w, Tensor):
                    return w.device.type
    return None


def _wrap(fn, policy, when=None):
    @functools.wraps(fn)
    def autocast_op(*args, **kwargs):
        tls = _local.state.autocast
        if tls.inside or not tls.enabled or (when is not None and not when(args, kwargs)):
            return fn(*args, **kwargs)
        dev = _device_type(args, kwargs)
        if dev is None or not tls.enabled.get(dev, False):
            return fn(*args, **kwargs)
        to = (tls.dtype.get(dev) or _default_dtype(dev)) if policy is _LOWER_POLICY else D.float32
        args = tuple(_cast(a, to, dev) for a in args)
        kwargs = {k: _cast(v, to, dev) for k, v in kwargs.items()}
        tls.inside += 1
        try:
            return fn(*args, **kwargs)
        finally:
            tls.inside -= 1
    autocast_op.__wrapped_by_autocast__ = fn
    return autocast_op


_LOCK = threading.Lock()
_active = [0]            # enabled autocast regions open, in every thread
_installed = []          # (namespace, name, original) while wrappers are installed


def _install():
    for table, policy in ((_LOWER, _LOWER_POLICY), (_FP32, _FP32_POLICY)):
        for where, names in table.items():
            ns = _namespace(where)
            for name in names:
                original = ns.__dict__.get(name) if isinstance(ns, type) else getattr(ns, name, None)
                if original is None or hasattr(original, "__wrapped_by_autocast__"):
                    continue
                _installed.append((ns, name, original))
                setattr(ns, name, _wrap(original, policy, _WHEN.get(name) if policy is _LOWER_POLICY else None))


def _uninstall():
    while _installed:
        ns, name, original = _installed.pop()
        setattr(ns, name, original)


def _enter_region():
    with _LOCK:
        _active[0] += 1
        if _active[0] == 1:
            _install()


def _leave_region():
    with _LOCK:
        _active[0] -= 1
        if _active[0] == 0:
            _uninstall()


# ---- the context manager -------------------------------------------------------------------------
class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a context manager
    (and decorator) in which the listed ops run in ``dtype`` (CPU: bfloat16 or float16) or float32."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        _check_device_type(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda":
            if not cuda_is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                              stacklevel=2)
                enabled = False
            elif self.fast_dtype not in (D.float16, D.bfloat16):
                warnings.warn("In CUDA autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CUDA Autocast only supports dtypes of torch.float16 and torch.bfloat16 currently.",
                              UserWarning, stacklevel=2)
                enabled = False
        elif enabled and device_type == "cpu" and self.fast_dtype not in (D.bfloat16, D.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._saved = []

    def __enter__(self):
        tls = _local.state.autocast
        prev = (tls.enabled.get(self.device, False), get_autocast_dtype(self.device), tls.cache_enabled)
        set_autocast_enabled(self.device, self._enabled)
        try:
            set_autocast_dtype(self.device, self.fast_dtype)
        except TypeError:
            tls.enabled[self.device] = prev[0]
            raise
        tls.cache_enabled = bool(self._cache_enabled)
        autocast_increment_nesting()
        if self._enabled:
            _enter_region()
        self._saved.append(prev)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        enabled, dtype, cache = self._saved.pop()
        tls = _local.state.autocast
        tls.enabled[self.device] = enabled
        tls.dtype[self.device] = dtype
        tls.cache_enabled = cache
        autocast_decrement_nesting()
        if self._enabled:
            _leave_region()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


# ---- custom autograd Functions under autocast ------------------------------------------------------
def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's ``forward``: records whether autocast was on (``backward``
    runs in the same state); with ``cast_inputs`` the forward runs with autocast off, its floating
    inputs cast to that dtype when autocast was on."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        on = is_autocast_enabled(device_type)
        ctx._fwd_used_autocast = False
        if not on:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*(_cast_any(a, cast_inputs) for a in args),
                       **{k: _cast_any(v, cast_inputs) for k, v in kwargs.items()})
    return decorate_fwd


def _cast_any(value, to):
    if isinstance(value, Tensor):
        return value.to(to) if value.is_floating_point() and value.dtype is not D.float64 else value
    if isinstance(value, dict):
        return {k: _cast_any(v, to) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_cast_any(v, to) for v in value)
    return value


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's ``backward``: runs it in the autocast state of its forward."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd


# ---- deprecated per-device spellings (torch.is_autocast_cpu_enabled, ...) ------------------------------
def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


TOP_LEVEL = ("autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
             "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
             "autocast_increment_nesting", "autocast_decrement_nesting", "is_autocast_cpu_enabled",
             "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_cpu_enabled", "set_autocast_cpu_dtype")
