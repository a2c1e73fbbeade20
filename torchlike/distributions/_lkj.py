"""LKJCholesky(dim, concentration): Cholesky factors of LKJ-distributed correlation matrices.

The LKJ density over correlation matrices C is det(C)^(eta - 1) / c_d(eta) with
(Lewandowski, Kurowicka and Joe, 2009)
log c_d = sum_{k=1}^{d-1} [(2 eta - 2 + d - k)(d - k) log 2 + (d - k) lbeta(b_k, b_k)],
b_k = eta + (d - k - 1) / 2; in terms of L (C = L L^T, det C = prod L_ii^2, and
the Jacobian of L -> C is prod_i L_ii^(d - i - 1)) the density of L has
exponent 2 (eta - 1) + d - i - 1 on L_ii.  Sampling is the onion method: row k
of L (k = 1 .. d-1) is (sqrt(y) u, sqrt(1 - y)) with u uniform on the sphere of
dimension k and y ~ Beta(k / 2, eta + (d - 2) / 2 - (k - 1) / 2).
"""
from __future__ import annotations

import math

import torchlike as torch

from . import constraints
from ._base import finish_expand
from .distribution import Distribution
from ._multivariate import Beta

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJCholesky(dim, concentration=1.0) over lower Cholesky factors of dim x dim correlation matrices."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        if not isinstance(concentration, torch.Tensor):
            concentration = torch.tensor(float(concentration), dtype=torch.get_default_dtype())
        self.concentration = concentration
        super().__init__(concentration.shape, torch.Size((dim, dim)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = torch.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        return finish_expand(self, new, batch_shape)

    def sample(self, sample_shape=torch.Size()):
        with torch.no_grad():
            d = self.dim
            k = torch.arange(1, d, dtype=self.concentration.dtype, device=self.concentration.device)
            eta = self.concentration.unsqueeze(-1)
            y = Beta(torch.broadcast_to(k / 2, eta.shape[:-1] + (d - 1,)),
                     eta + (d - 2) / 2 - (k - 1) / 2).sample(sample_shape)
            u = torch.randn(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
            u[..., 0, 0] = 1.0                      # row 0 has no off-diagonal part: keep the division finite
            u = u / u.norm(dim=-1, keepdim=True)
            u[..., 0, 0] = 0.0
            y = torch.cat([torch.zeros_like(y[..., :1]), y], -1)
            return u * y.sqrt().unsqueeze(-1) + torch.diag_embed((1 - y).sqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = self.dim
        eta = self.concentration
        i = torch.arange(1, d, dtype=value.dtype, device=value.device)
        exponents = 2 * (eta.unsqueeze(-1) - 1) + d - i - 1
        unnormalized = (exponents * value.diagonal(dim1=-2, dim2=-1)[..., 1:].log()).sum(-1)
        return unnormalized - _log_lkj_normalizer(eta, d)


def _log_lkj_normalizer(eta, d):
    total = 0
    for k in range(1, d):
        b = eta + (d - k - 1) / 2
        lbeta = 2 * torch.lgamma(b) - torch.lgamma(2 * b)
        total = total + (2 * eta - 2 + d - k) * (d - k) * math.log(2) + (d - k) * lbeta
    return total
