"""ChannelShuffle and LocalResponseNorm: channel-mixing layers over ``nn.functional``."""
from __future__ import annotations

from .. import functional as F
from .module import Module
from .._functions import CrossMapLRN2d as CrossMapLRN2dFunction


class ChannelShuffle(Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class _ChannelWindowNorm(Module):
    """The hyper-parameters of the local-response normalisations (window size, alpha, beta, k)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LocalResponseNorm(_ChannelWindowNorm):
    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)


class CrossMapLRN2d(_ChannelWindowNorm):
    """Lua torch's cross-channel local response normalisation over a 4-D input (legacy; see
    :class:`LocalResponseNorm`)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)
