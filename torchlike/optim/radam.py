"""RAdam (``torch.optim.RAdam``): Adam with a rectified adaptive learning rate."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check_hyper, _f64, _grad_prelude, _step_tensor, _zeros_like


def _radam_kernel(cfg, params, grads, states, h):
    maximize, has_wd, decoupled = cfg
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    out = ([], [], [], [])
    for p, g, step, m, v in zip(params, grads, *states):
        dt = p.dtype
        p, g = _grad_prelude(p, g, maximize, has_wd, decoupled, lr, wd)
        step = step + 1
        s = step.astype(_f64())
        m = m + (1 - beta1) * (g - m)
        v = v * beta2 + (1 - beta2) * (g * g)
        bias_correction1 = 1 - beta1 ** s
        bias_correction2 = 1 - beta2 ** s
        m_hat = m / bias_correction1.astype(dt)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * s * (beta2 ** s) / bias_correction2
        # the variance is tractable only once rho_t > 5; before that the update is plain momentum
        rect = jnp.sqrt(jnp.maximum((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t),
                                    0.0))
        adaptive = jnp.sqrt(bias_correction2).astype(dt) / (jnp.sqrt(v) + eps)
        rectified = p + m_hat * lr * adaptive * rect.astype(dt) * -1.0
        plain = p + m_hat * lr * -1.0
        for o, x in zip(out, (jnp.where(rho_t > 5.0, rectified, plain), step, m, v)):
            o.append(x)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_hyper(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        cfg = (bool(group["maximize"]), group["weight_decay"] != 0, bool(group["decoupled_weight_decay"]))
        self._lazy_step(group, _radam_kernel, cfg, ("step", "exp_avg", "exp_avg_sq"),
                        lambda p: {"step": _step_tensor(), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)},
                        ("lr", "betas", "eps", "weight_decay"))
