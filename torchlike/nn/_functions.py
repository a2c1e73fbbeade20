"""Autograd Functions behind legacy ``nn`` modules (PyTorch's ``torch.nn._functions``): the grad_fn is
``<Function>Backward``, as PyTorch's."""
from __future__ import annotations

from ..autograd import Function
import torchlike as torch     # the public face, read when called (not an import cycle)


def _channel_window(channels, lo, hi, first=False):
    """The (C, C) 0/1 matrix selecting channels ``c + lo .. c + hi`` for each output channel ``c`` (and
    channel 0 always, with ``first``)."""
    c = torch.arange(channels).unsqueeze(1)
    j = torch.arange(channels).unsqueeze(0)
    sel = (j >= c + lo) & (j <= c + hi)
    if first:
        sel = sel | (j == 0)
    return sel


class CrossMapLRN2d(Function):
    """Legacy Lua-torch cross-channel LRN, with PyTorch's values: its running-sum forward never drops
    channel 0 from the window, and its hand-written backward sums over a window shifted by one from the
    forward's (so the gradient is PyTorch's, not the forward's exact derivative)."""

    @staticmethod
    def _scale(x, size, alpha, k):
        channels = x.size(1)
        pre = int((size - 1) / 2 + 1)
        window = _channel_window(channels, 1 - pre, pre - 1, first=True).to(x.dtype)
        return torch.einsum("cj,njhw->nchw", window, x * x) * (alpha / size) + k

    @staticmethod
    def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        scale = CrossMapLRN2d._scale(input, size, alpha, k)
        output = input * scale.pow(-beta)
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        ctx.save_for_backward(input, output, scale)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output, scale = ctx.saved_tensors
        channels = input.size(1)
        pre = int((ctx.size - 1) / 2 + 1)
        if ctx.size - 1 - pre < 0:      # PyTorch's kernel narrows past the end for size 1
            raise RuntimeError(f"start (1) + length ({channels}) exceeds dimension size ({channels}).")
        ratio = grad_output * output / scale
        window = _channel_window(channels, -pre, ctx.size - 1 - pre).to(input.dtype)
        summed = torch.einsum("cj,njhw->nchw", window, ratio)
        grad_input = grad_output * scale.pow(-ctx.beta) - input * summed * (2 * ctx.alpha * ctx.beta / ctx.size)
        return grad_input, None, None, None, None
