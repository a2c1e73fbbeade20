"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): positive-definite p x p matrices.

With Sigma = L L^T: log f(X) = (df - p - 1)/2 log|X| - tr(Sigma^-1 X)/2 - df p/2 log 2 - df/2 log|Sigma|
- mvlgamma(df/2, p); E[log|X|] = sum_i digamma((df - i)/2) + p log 2 + log|Sigma|.  Draws are
Bartlett's: L A A^T L^T with A lower triangular, A_ii^2 ~ Chi2(df - i), A_ij ~ N(0, 1) below.
"""
from __future__ import annotations

import math

import torchlike as torch

from . import constraints
from ._base import finish_expand
from ._multivariate import _precision_to_scale_tril
from ._sampling import standard_gamma
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["Wishart"]


class Wishart(Distribution):
    """Wishart(df, covariance_matrix | precision_matrix | scale_tril)."""
    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                                      ("precision_matrix", precision_matrix)) if m is not None]
        assert len(given) == 1, "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
        name, m = given[0]
        if m.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if not isinstance(df, torch.Tensor):
            df = torch.tensor(float(df), dtype=m.dtype)
        batch_shape = torch.broadcast_shapes(m.shape[:-2], df.shape)
        event_shape = m.shape[-2:]
        if bool(df.le(event_shape[-1] - 1).any()):       # always checked, as in PyTorch
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {event_shape[-1] - 1}.")
        self.df = df.expand(batch_shape)
        setattr(self, name, m.expand(batch_shape + event_shape))
        self._event_shape = torch.Size(event_shape)      # arg_constraints reads it during validation
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = m
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = torch.linalg.cholesky(m)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(m)

    _matrix_constraints = {"covariance_matrix": constraints.positive_definite,
                           "precision_matrix": constraints.positive_definite,
                           "scale_tril": constraints.lower_cholesky}

    @property
    def arg_constraints(self):
        return {**Wishart._matrix_constraints, "df": constraints.greater_than(self._event_shape[-1] - 1)}

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = torch.Size(batch_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + self.event_shape))
        return finish_expand(self, new, batch_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        return torch.cholesky_inverse(self._unbroadcasted_scale_tril).expand(self._batch_shape + self._event_shape)

    @property
    def mean(self):
        return self.df.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def mode(self):
        p = self._event_shape[-1]
        factor = self.df - p - 1
        factor = torch.where(factor <= 0, torch.full_like(factor, math.nan), factor)
        return factor.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag = V.diagonal(dim1=-2, dim2=-1)
        return self.df.view(self._batch_shape + (1, 1)) * (V.pow(2) + torch.einsum("...i,...j->...ij", diag, diag))

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def rsample(self, sample_shape=torch.Size()):
        p = self._event_shape[-1]
        shape = self._extended_shape(sample_shape)
        df = self.df.expand(torch.Size(sample_shape) + self._batch_shape).unsqueeze(-1)
        i = torch.arange(p, dtype=df.dtype, device=df.device)
        chi2 = 2 * standard_gamma((df - i) / 2)
        noise = torch.randn(shape, dtype=df.dtype, device=df.device).tril(-1)
        A = noise + torch.diag_embed(chi2.sqrt())
        LA = self._unbroadcasted_scale_tril @ A
        return LA @ LA.mT

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._event_shape[-1]
        nu = self.df
        log_det_x = 2 * torch.linalg.cholesky(value).diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = (torch.cholesky_inverse(self._unbroadcasted_scale_tril) * value).sum((-2, -1))
        return (0.5 * (nu - p - 1) * log_det_x - 0.5 * trace - 0.5 * nu * p * math.log(2)
                - nu * self._half_log_det() - torch.mvlgamma(0.5 * nu, p=p))

    def entropy(self):
        p = self._event_shape[-1]
        nu = self.df
        i = torch.arange(p, dtype=nu.dtype, device=nu.device)
        expected_log_det = (torch.digamma(0.5 * (nu.unsqueeze(-1) - i)).sum(-1) + p * math.log(2)
                            + 2 * self._half_log_det())
        return (-0.5 * (nu - p - 1) * expected_log_det + 0.5 * nu * p + 0.5 * nu * p * math.log(2)
                + nu * self._half_log_det() + torch.mvlgamma(0.5 * nu, p=p))
