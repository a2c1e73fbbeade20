"""Stochastic weight averaging (``torch.optim.swa_utils``): an averaged copy of a model, the SWA learning-rate
schedule, and recomputing batch-norm statistics for the averaged weights."""
from __future__ import annotations

import copy
import itertools
import math
import warnings

from .. import _creation, _dtype
from ..autograd import grad_mode
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from .._tensor import Tensor
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _lerp_all(averaged, current, weight):
    """Move each averaged tensor ``weight`` of the way to the current one (floats: ``lerp_``'s rounding)."""
    if averaged[0].is_floating_point() or averaged[0].is_complex():
        for a, c in zip(averaged, current):
            a.lerp_(c, weight)
        return False
    return True


def get_ema_multi_avg_fn(decay=0.999):
    """An exponential moving average over lists of tensors, updated in place."""
    _check_decay(decay)

    @grad_mode.no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if _lerp_all(ema_param_list, current_param_list, 1 - decay):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """The running mean over lists of tensors, updated in place."""
    @grad_mode.no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if _lerp_all(averaged_param_list, current_param_list, float(1 / (num_averaged + 1))):
            for a, c in zip(averaged_param_list, current_param_list):
                if isinstance(num_averaged, Tensor):
                    a.addcdiv_(c - a, num_averaged + 1)
                else:
                    a.add_(c - a, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An exponential moving average of one tensor (returns the new average)."""
    _check_decay(decay)

    @grad_mode.no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running mean of one tensor (returns the new average)."""
    @grad_mode.no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters (and buffers, with ``use_buffers``) hold an average of the
    ``model``'s values passed to :meth:`update_parameters`; ``n_averaged`` counts them."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _creation.tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model):
        return itertools.chain(model.parameters(), model.buffers()) if self.use_buffers else model.parameters()

    def update_parameters(self, model):
        ours = self._tensors(self.module) if self.use_buffers else self.parameters()
        pairs = [(a.detach(), m.detach().to(a.device)) for a, m in zip(ours, self._tensors(model))]
        first = bool(self.n_averaged == 0)
        if first:
            for a, m in pairs:
                a.copy_(m)
        else:
            n = self.n_averaged
            if self.multi_avg_fn is not None:
                by_kind = {}
                for a, m in pairs:
                    by_kind.setdefault((a.device, a.dtype), []).append((a, m))
                for (device, _), group in by_kind.items():
                    self.multi_avg_fn([a for a, _ in group], [m for _, m in group], n.to(device))
            else:
                # PyTorch's CPU path: one tensor at a time (integer buffers truncate the float mean on copy)
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for a, m in pairs:
                    a.copy_(avg_fn(a, m, n.to(a.device)))
        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


@grad_mode.no_grad()
def update_bn(loader, model, device=None):
    """Recompute every batch norm's running statistics as a cumulative average over one pass of ``loader``
    (the first element of list or tuple batches is the input)."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to its ``swa_lr`` over ``anneal_epochs`` steps (cosine or linear), then hold."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr the schedule started from, recovered from the current one (so the schedule chains)."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
