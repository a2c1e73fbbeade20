"""ContinuousBernoulli: the density proportional to p^x (1 - p)^(1 - x) on [0, 1].

Its normalizer C(p) = (log(1 - p) - log p) / (1 - 2p), its mean and its variance
are 0/0 at p = 1/2; inside ``lims`` around 1/2 they are replaced by their Taylor
series in x = p - 1/2 (derived from 2 atanh(2x) = 4x + 16x^3/3 + 64x^5/5 + ...):
log C = log 2 + 4x^2/3 + 104x^4/45, mean = 1/2 + x/3 + 16x^3/45,
variance = 1/12 - x^2/15 - 128x^4/945.
"""
from __future__ import annotations

import math

import torchlike as torch

from . import constraints
from ._base import ProbsLogits, init_probs_logits
from ._discrete import _expand_probs_logits
from .exp_family import ExponentialFamily
from .utils import clamp_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ProbsLogits, ExponentialFamily):
    """ContinuousBernoulli(probs | logits, lims=(0.499, 0.501)) on the unit interval."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        self._param = init_probs_logits(self, probs, logits, is_binary=True)
        if probs is not None:
            # as PyTorch: checked before clamping whenever validate_args is given (even False), else clamped
            if validate_args is not None and not bool(constraints.unit_interval.check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand_probs_logits(self, ContinuousBernoulli, batch_shape, _instance)
        new._lims = self._lims
        return new

    # ---- the stable/Taylor split ----
    def _outside(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _split(self, exact, taylor):
        """``exact(p)`` outside ``lims`` (evaluated at a safe p inside), ``taylor(p - 1/2)`` inside."""
        outside = self._outside()
        safe = torch.where(outside, self.probs, torch.full_like(self.probs, self._lims[0]))
        near = torch.where(outside, torch.full_like(self.probs, 0.5), self.probs) - 0.5
        return torch.where(outside, exact(safe), taylor(near))

    def _log_normalizer_p(self):
        return self._split(lambda p: torch.log(torch.abs(torch.log1p(-p) - torch.log(p)))
                           - torch.log(torch.abs(1 - 2 * p)),
                           lambda x: math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x * x) * x * x)

    @property
    def mean(self):
        return self._split(lambda p: p / (2 * p - 1) + 1 / (torch.log1p(-p) - torch.log(p)),
                           lambda x: 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x * x) * x)

    @property
    def stddev(self):
        return torch.sqrt(self.variance)

    @property
    def variance(self):
        return self._split(lambda p: p * (p - 1) / (1 - 2 * p).pow(2) + 1 / (torch.log1p(-p) - torch.log(p)).pow(2),
                           lambda x: 1.0 / 12.0 - (1.0 / 15.0 + 128.0 / 945.0 * x * x) * x * x)

    @property
    def param_shape(self):
        return self._param.size()

    def rsample(self, sample_shape=torch.Size()):
        shape = self._extended_shape(sample_shape)
        u = torch.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = torch.broadcast_tensors(self.logits, torch.as_tensor(value, dtype=self.logits.dtype))
        return value * logits - torch.nn.functional.softplus(logits) + self._log_normalizer_p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = self._split(lambda q: (q.pow(value) * (1 - q).pow(1 - value) + q - 1) / (2 * q - 1),
                             lambda x: value + 0 * x)
        return torch.where(value <= 0, torch.zeros_like(inside),
                           torch.where(value >= 1, torch.ones_like(inside), inside))

    def icdf(self, value):
        return self._split(lambda p: (torch.log1p(-p + value * (2 * p - 1)) - torch.log1p(-p))
                           / (torch.log(p) - torch.log1p(-p)),
                           lambda x: value + 0 * x)

    def entropy(self):
        log0 = torch.log1p(-self.probs)
        log1 = torch.log(self.probs)
        return self.mean * (log0 - log1) - self._log_normalizer_p() - log0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """log of the integral of exp(x t) over [0, 1]: log(expm1(x) / x), log(1 + x/2 + x^2/6 ...) near 0."""
        outside = (x < self._logit_lims()[0]) | (x > self._logit_lims()[1])
        safe = torch.where(outside, x, torch.ones_like(x))
        near = torch.where(outside, torch.zeros_like(x), x)
        exact = torch.log(torch.abs(torch.expm1(safe))) - torch.log(torch.abs(safe))
        taylor = 0.5 * near + near * near / 24.0 - near.pow(4) / 2880.0
        return torch.where(outside, exact, taylor)

    def _logit_lims(self):
        lo, hi = self._lims
        return math.log(lo / (1 - lo)), math.log(hi / (1 - hi))
