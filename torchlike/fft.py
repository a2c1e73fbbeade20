"""torch.fft: declarations over ``jax.numpy.fft``.

Each transform is one op (grad_fn named as PyTorch names it: ``FftR2CBackward0``
for real-to-complex, ``FftC2CBackward0``, ``FftC2RBackward0``), published under
its ``torch.fft`` name.  ``norm`` is PyTorch's (and numpy's): ``"backward"``
(default: no scaling forward, ``1/n`` inverse), ``"ortho"`` (``1/sqrt(n)`` both
ways) or ``"forward"``.  Integer and bool inputs are promoted to the default
float dtype first, as in PyTorch.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._registry import FUNCTIONS, _promoted, _type_word, _wrap_dim, defop
from ._creation import tensor
from ._ops_common import dim_list

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")
_FLIP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _wrap(d, ndim):
    # unlike _wrap_dim, torch.fft refuses a 0-dim input outright (its own message) instead of treating it as 1-dim
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return _wrap_dim(d, ndim)


def _check_n(n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dims(x, s, dim, default_all):
    """PyTorch's (s, dim) resolution for the n-dimensional transforms."""
    if dim is not None:
        dims = [_wrap(d, x.ndim) for d in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions.")
        dims = list(range(x.ndim - len(s), x.ndim))
    else:
        if x.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        dims = list(range(x.ndim)) if default_all else [x.ndim - 2, x.ndim - 1]
    if s is not None:
        s = [x.shape[d] if n == -1 else n for n, d in zip(s, dims)]
        for n in s:
            _check_n(n)
    return (None if s is None else tuple(s)), tuple(dims)


def _require_real(x, name, word="a real input tensor"):
    if jnp.iscomplexobj(x):
        raise RuntimeError(f"{name} expects {word}, but got {_type_word(D._BY_NP[x.dtype])}")


# ---- declaring ------------------------------------------------------------------------
def _float_rule(args, statics=None):
    d = _promoted(args)
    return d if d.category >= D.FLOAT else D.get_default_dtype()


def _fft_op(name, sig_tail, impl, grad):
    op = defop(f"fft_{name}(Tensor self, {sig_tail})", impl, grad=grad, dtype=_float_rule, function=False,
               method=False)
    fn = op.function
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    globals()[name] = fn
    __all__.append(name)
    return fn


def _by_input(real_name, complex_name):
    return lambda args, statics: real_name if not args[0].is_complex() else complex_name


_R2C, _C2C, _C2R = "FftR2CBackward0", "FftC2CBackward0", "FftC2RBackward0"

# ---- one-dimensional -------------------------------------------------------------------
_ONE = "int? n=None, int dim=-1, str? norm=None"


def _fft(x, n, dim, norm):
    _check_n(n)
    return jnp.fft.fft(x, n, _wrap(dim, x.ndim), _norm(norm))


def _ifft(x, n, dim, norm):
    _check_n(n)
    return jnp.fft.ifft(x, n, _wrap(dim, x.ndim), _norm(norm))


def _rfft(x, n, dim, norm):
    _require_real(x, "rfft")
    _check_n(n)
    return jnp.fft.rfft(x, n, _wrap(dim, x.ndim), _norm(norm))


def _irfft(x, n, dim, norm):
    _check_n(n)
    return jnp.fft.irfft(x, n, _wrap(dim, x.ndim), _norm(norm))


def _hfft(x, n, dim, norm):
    _check_n(n)
    return jnp.fft.irfft(jnp.conj(x), n, _wrap(dim, x.ndim), _FLIP[_norm(norm)])


def _ihfft(x, n, dim, norm):
    _require_real(x, "ihfft")
    _check_n(n)
    return jnp.conj(jnp.fft.rfft(x, n, _wrap(dim, x.ndim), _FLIP[_norm(norm)]))


_fft_op("fft", _ONE, _fft, _by_input(_R2C, _C2C))
_fft_op("ifft", _ONE, _ifft, _by_input("ConjBackward0", _C2C))
_fft_op("rfft", _ONE, _rfft, _R2C)
_fft_op("irfft", _ONE, _irfft, _C2R)
_fft_op("hfft", _ONE, _hfft, _C2R)
_fft_op("ihfft", _ONE, _ihfft, "ConjBackward0")


# ---- n-dimensional -------------------------------------------------------------------------
def _nd(kind, default_all):
    def impl(x, s, dim, norm):
        s, dims = _dims(x, s, dim, default_all)
        norm = _norm(norm)
        if kind == "fftn":
            return jnp.fft.fftn(x, s, dims, norm)
        if kind == "ifftn":
            return jnp.fft.ifftn(x, s, dims, norm)
        if kind == "rfftn":
            _require_real(x, "rfftn", "a real-valued input tensor")
            return jnp.fft.rfftn(x, s, dims, norm)
        if kind == "irfftn":
            return jnp.fft.irfftn(x, s, dims, norm)
        if kind == "hfftn":
            return jnp.fft.irfftn(jnp.conj(x), s, dims, _FLIP[norm])
        if kind == "ihfftn":
            if jnp.iscomplexobj(x):
                raise RuntimeError(f"Only supports floating-point dtypes, but found: {_type_word(D._BY_NP[x.dtype])}")
            return jnp.conj(jnp.fft.rfftn(x, s, dims, _FLIP[norm]))
        raise AssertionError(kind)
    return impl


def _ihfftn_grad(args, statics):
    """A one-dimensional ihfftn is PyTorch's ihfft (a conj of an r2c)."""
    s, dim, _ = statics
    n = len(dim) if dim is not None else len(s) if s is not None else args[0].ndim
    return "ConjBackward0" if n == 1 else _C2C


for _kind, _grad in (("fftn", _C2C), ("ifftn", _C2C), ("rfftn", _R2C), ("irfftn", _C2R), ("hfftn", _C2R),
                     ("ihfftn", _C2C)):
    _fft_op(_kind, "int[]? s=None, int[]? dim=None, str? norm=None", _nd(_kind, True),
            _ihfftn_grad if _kind == "ihfftn" else _grad)
    _fft_op(_kind[:-1] + "2", "int[]? s=None, int[] dim=(-2, -1), str? norm=None", _nd(_kind, False), _grad)


# ---- helpers ----------------------------------------------------------------------------------
def _shift(input, dim, sign):
    roll = FUNCTIONS["roll"]
    dims = dim_list(dim, input.ndim)
    shape = input.shape
    shifts = [sign * (shape[_wrap(d, input.ndim)] // 2) for d in dims]
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    """Move the zero-frequency term to the centre (a ``roll`` by ``n // 2``, as PyTorch)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift` (a ``roll`` by ``-(n // 2)``)."""
    return _shift(input, dim, -1)


def _freq_tensor(values, dtype, device, requires_grad):
    dt = dtype or D.get_default_dtype()
    return tensor(values.astype(dt.np), dtype=dt, device=device, requires_grad=requires_grad)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an ``n``-point FFT: ``[0, 1, ..., -n//2, ..., -1] / (d * n)``."""
    k = np.concatenate([np.arange(0, (n + 1) // 2), np.arange(-(n // 2), 0)])
    dt = dtype or D.get_default_dtype()
    return _freq_tensor(k.astype(dt.np) * np.asarray(1.0 / (n * d), dt.np), dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an ``n``-point real FFT: ``[0, 1, ..., n//2] / (d * n)``."""
    k = np.arange(0, n // 2 + 1)
    dt = dtype or D.get_default_dtype()
    return _freq_tensor(k.astype(dt.np) * np.asarray(1.0 / (n * d), dt.np), dtype, device, requires_grad)


from ._tensor import Tensor  # noqa: E402,F401  (torch.fft.Tensor is torch.Tensor)
