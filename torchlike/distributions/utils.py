"""Helpers shared by the distributions (``torch.distributions.utils``)."""
from __future__ import annotations

import functools
import numbers

import torchlike as torch
import numpy as np
import ml_dtypes

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcast numbers and tensors to one shape; numbers take the tensors' dtype and device
    (the default dtype when every value is a number)."""
    if not all(isinstance(v, (torch.Tensor, numbers.Number)) or hasattr(v, "__torch_function__") for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if not tensors:
        dtype = torch.get_default_dtype()
        return torch.broadcast_tensors(*[torch.tensor(float(v), dtype=dtype) for v in values])
    like = tensors[0]
    values = [v if isinstance(v, torch.Tensor) else torch.tensor(v, dtype=like.dtype, device=like.device)
              for v in values]
    return torch.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    return torch.randn(shape, dtype=dtype, device=device)


def _sum_rightmost(value, dim):
    """Sum the rightmost ``dim`` dimensions."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid if binary, else softmax over the last dimension."""
    if is_binary:
        return torch.sigmoid(logits)
    return torch.softmax(logits, dim=-1)


def finfo(dtype):
    """Machine limits of a floating dtype (``torch.finfo``'s ``eps``, ``tiny``, ``max``, ``min``)."""
    return ml_dtypes.finfo(dtype.np)


def clamp_probs(probs):
    """Clamp into the open interval (eps, 1 - eps) of the dtype."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log-odds if binary, else log-probabilities."""
    ps = clamp_probs(probs)
    if is_binary:
        return torch.log(ps) - torch.log1p(-ps)
    return torch.log(ps)


class lazy_property:
    """A property computed on first access (with grad enabled) and then stored on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with torch.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    """The lower triangle (from diagonal ``diag``) of the last two dimensions, row by row, as a vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = _tril_indices(n, diag, mat.device)
    return mat[..., rows, cols]


def vec_to_tril_matrix(vec, diag=0):
    """Inverse of :func:`tril_matrix_to_vec` (zeros elsewhere)."""
    m = vec.shape[-1]
    n = round((-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2)
    rows, cols = _tril_indices(n, diag, vec.device)
    if rows.numel() != m:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    flat = rows * n + cols
    out = torch.zeros(vec.shape[:-1] + (n * n,), dtype=vec.dtype, device=vec.device)
    out = out.index_add(-1, flat, vec)
    return out.reshape(vec.shape[:-1] + (n, n))


def _tril_indices(n, diag, device):
    r, c = np.tril_indices(n, diag)
    return (torch.tensor(r.tolist(), dtype=torch.int64, device=device),
            torch.tensor(c.tolist(), dtype=torch.int64, device=device))
