"""torch.signal.windows: window functions (creation ops, computed on the host in float64).

Symmetric windows (``sym=True``) are the textbook formulas over ``M`` points;
periodic ones are the symmetric window of ``M + 1`` points without its last
point, as in PyTorch and SciPy.
"""
from __future__ import annotations

import math

import numpy as np
from .. import _dtype as D
from .._creation import tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _check(name, M):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")


def _finish(values, dtype, layout, device, requires_grad):
    dt = dtype or D.get_default_dtype()
    if dt.category < D.FLOAT:
        raise ValueError(f"Floating point dtype expected, got {dt}")
    return tensor(np.asarray(values, dtype=dt.np), dtype=dt, device=device, requires_grad=requires_grad)


def _check_layout(name, kwargs):
    layout = kwargs.get("layout")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dtype = kwargs.get("dtype")
    if dtype is not None and str(dtype) not in ("torch.float32", "torch.float64"):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _window(name, M, sym, fn, dtype, layout, device, requires_grad):
    """``fn(n)``: the symmetric window of ``n`` points (float64); periodic windows drop the last of ``M + 1``."""
    _check_layout(name, {"layout": layout, "dtype": dtype})
    _check(name, M)
    if M == 0:
        return _finish(np.zeros(0), dtype, layout, device, requires_grad)
    if M == 1:
        return _finish(np.ones(1), dtype, layout, device, requires_grad)
    w = fn(M) if sym else fn(M + 1)[:-1]
    return _finish(w, dtype, layout, device, requires_grad)


def _kw(kwargs):
    return kwargs.get("dtype"), kwargs.get("layout"), kwargs.get("device"), kwargs.get("requires_grad", False)


def general_cosine(M, *, a, sym=True, **kwargs):
    coeffs = list(a)

    def fn(n):
        k = np.arange(n)
        return sum((-1) ** i * c * np.cos(2 * math.pi * i * k / (n - 1)) for i, c in enumerate(coeffs))
    return _window("general_cosine", M, sym, fn, *_kw(kwargs))


def general_hamming(M, *, alpha=0.54, sym=True, **kwargs):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, **kwargs)


def hann(M, *, sym=True, **kwargs):
    return general_hamming(M, alpha=0.5, sym=sym, **kwargs)


def hamming(M, *, sym=True, **kwargs):
    return general_hamming(M, alpha=0.54, sym=sym, **kwargs)


def blackman(M, *, sym=True, **kwargs):
    _check_layout("blackman", kwargs)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, **kwargs)


def nuttall(M, *, sym=True, **kwargs):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, **kwargs)


def bartlett(M, *, sym=True, **kwargs):
    def fn(n):
        k = np.arange(n)
        return 1.0 - np.abs(2.0 * k / (n - 1) - 1.0)
    return _window("bartlett", M, sym, fn, *_kw(kwargs))


def cosine(M, *, sym=True, **kwargs):
    def fn(n):
        return np.sin(math.pi * (np.arange(n) + 0.5) / n)
    return _window("cosine", M, sym, fn, *_kw(kwargs))


def exponential(M, *, center=None, tau=1.0, sym=True, **kwargs):
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def fn(n):
        c = (n - 1) / 2 if center is None else center
        return np.exp(-np.abs(np.arange(n) - c) / tau)
    return _window("exponential", M, sym, fn, *_kw(kwargs))


def gaussian(M, *, std=1.0, sym=True, **kwargs):
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")

    def fn(n):
        k = np.arange(n) - (n - 1) / 2
        return np.exp(-(k / std) ** 2 / 2)
    return _window("gaussian", M, sym, fn, *_kw(kwargs))


def kaiser(M, *, beta=12.0, sym=True, **kwargs):
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def fn(n):
        alpha = (n - 1) / 2
        k = np.arange(n)
        return np.i0(beta * np.sqrt(np.clip(1 - ((k - alpha) / alpha) ** 2, 0, None))) / np.i0(beta)
    return _window("kaiser", M, sym, fn, *_kw(kwargs))
