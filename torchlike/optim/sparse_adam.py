"""SparseAdam (``torch.optim.SparseAdam``).

torchlike has no sparse tensors, so every gradient is dense, and PyTorch's SparseAdam refuses dense
gradients: the constructor validates as PyTorch's does and ``step`` raises PyTorch's error.
"""
from __future__ import annotations

from .optimizer import Optimizer, _check_hyper


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_hyper(lr, eps, betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _step_group(self, group):
        if self._params_with_grad(group):
            raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
