"""``torch.backends``: the switches training scripts set (cudnn, cuda.matmul, mps).

Only the float32 matmul precision has an effect: it is JAX's default matmul
precision (PyTorch's "highest" = full float32, "high" = TF32, "medium" =
bfloat16 passes).  The cudnn flags are kept as plain attributes: XLA picks its
own convolution algorithms, deterministically on CPU.
"""
from __future__ import annotations

import contextlib
import types
import warnings

import jax
from .. import _lazy

_JAX_PRECISION = {"highest": "highest", "high": "tensorfloat32", "medium": "bfloat16"}
_precision = ["highest"]


def set_float32_matmul_precision(precision):
    if precision not in _JAX_PRECISION:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _precision[0] = precision
    _lazy.flush_all()       # deferred ops run with the precision of their call
    jax.config.update("jax_default_matmul_precision", _JAX_PRECISION[precision])


def get_float32_matmul_precision():
    return _precision[0]


class _Matmul:
    """``torch.backends.cuda.matmul``: ``allow_tf32`` is the float32 matmul precision."""

    @property
    def allow_tf32(self):
        return _precision[0] != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        set_float32_matmul_precision("high" if value else "highest")

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


def _gpu_available():
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


cuda = types.ModuleType("torchlike.backends.cuda")
cuda.matmul = _Matmul()
cuda.is_built = lambda: False           # torchlike has no CUDA build of its own; JAX's decides
cudnn = types.ModuleType("torchlike.backends.cudnn")
cudnn.enabled = True
cudnn.benchmark = False
cudnn.deterministic = False
cudnn.allow_tf32 = True
cudnn.is_available = _gpu_available
cudnn.version = lambda: None
mps = types.ModuleType("torchlike.backends.mps")
mps.is_available = lambda: False
mps.is_built = lambda: False


@contextlib.contextmanager
def _cudnn_flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
                 fp32_precision="none", depthwise_kernel="auto"):
    """``torch.backends.cudnn.flags(...)``: set the flags for a block, restore them after."""
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    old = {n: getattr(cudnn, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, deterministic, allow_tf32)):
        setattr(cudnn, n, v)
    try:
        yield
    finally:
        for n, v in old.items():
            setattr(cudnn, n, v)


cudnn.flags = _cudnn_flags
