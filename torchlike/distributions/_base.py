"""Building blocks shared by the distribution classes: parameter expansion and the probs/logits pair."""
from __future__ import annotations

import numbers

import torchlike as torch

from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits
from .distribution import Distribution

__all__ = ["expand_params", "finish_expand", "scalar_params", "init_probs_logits", "LocCentered"]


def expand_params(self, cls, batch_shape, _instance, names, event_shape=None):
    """``Distribution.expand`` for a distribution whose parameters ``names`` have shape
    ``batch_shape + event_shape``-compatible: each given parameter is expanded (lazy ones
    only if already computed)."""
    new = self._get_checked_instance(cls, _instance)
    batch_shape = torch.Size(batch_shape)
    for name in names:
        if name in self.__dict__:
            value = self.__dict__[name]
            setattr(new, name, value.expand(batch_shape + value.shape[len(self.batch_shape):]))
    return finish_expand(self, new, batch_shape, event_shape)


def finish_expand(self, new, batch_shape, event_shape=None):
    """The last step of every ``expand``: initialise ``new`` (its parameters already set) with the new batch
    shape, no validation, and ``self``'s validation flag."""
    Distribution.__init__(new, torch.Size(batch_shape), self.event_shape if event_shape is None else event_shape,
                          validate_args=False)
    new._validate_args = self._validate_args
    return new


def scalar_params(*values):
    """True when every value is a Python number (the batch shape is then ``()``)."""
    return all(isinstance(v, numbers.Number) for v in values)


def init_probs_logits(self, probs, logits, is_binary, check_dim=False):
    """Store exactly one of ``probs``/``logits`` (the other is computed on demand); returns the stored one."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    if probs is not None:
        if check_dim and probs.dim() < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional.")
        if is_binary:
            (self.probs,) = broadcast_all(probs)
        else:
            self.probs = probs / probs.sum(-1, keepdim=True)
        return self.probs
    if check_dim and logits.dim() < 1:
        raise ValueError("`logits` parameter must be at least one-dimensional.")
    if is_binary:
        (self.logits,) = broadcast_all(logits)
    else:
        self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
    return self.logits


class ProbsLogits:
    """Mixin: ``probs`` and ``logits`` computed from whichever was given (``_binary`` picks sigmoid or softmax)."""
    _binary = True

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self):
        return self._param.size()


class LocCentered:
    """Mixin: ``mean`` and ``mode`` are the ``loc`` parameter (symmetric unimodal families)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc
