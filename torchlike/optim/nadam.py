"""NAdam (``torch.optim.NAdam``): Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _check_hyper, _f64, _grad_prelude, _step_tensor, _zeros_like


def _nadam_kernel(cfg, params, grads, states, h):
    maximize, has_wd, decoupled = cfg
    lr, (beta1, beta2), eps, wd, psi = h["lr"], h["betas"], h["eps"], h["weight_decay"], h["momentum_decay"]
    out = ([], [], [], [], [])
    for p, g, step, mu_product, m, v in zip(params, grads, *states):
        dt = p.dtype
        p, g = _grad_prelude(p, g, maximize, has_wd, decoupled, lr, wd)
        step = step + 1
        s = step.astype(_f64())
        bias_correction2 = 1 - beta2 ** s
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (s * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((s + 1) * psi))
        mu_product = mu_product * mu.astype(mu_product.dtype)
        mu_product_next = mu_product.astype(_f64()) * mu_next
        m = m + (1 - beta1) * (g - m)
        v = v * beta2 + (1 - beta2) * (g * g)
        denom = jnp.sqrt(v / bias_correction2.astype(dt)) + eps
        c_grad = (-lr * (1.0 - mu) / (1.0 - mu_product.astype(_f64()))).astype(dt)
        c_avg = (-lr * mu_next / (1.0 - mu_product_next)).astype(dt)
        p = p + c_grad * (g / denom)
        p = p + c_avg * (m / denom)
        for o, x in zip(out, (p, step, mu_product, m, v)):
            o.append(x)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyper(lr, eps, betas, weight_decay)
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        cfg = (bool(group["maximize"]), group["weight_decay"] != 0, bool(group["decoupled_weight_decay"]))
        self._lazy_step(group, _nadam_kernel, cfg, ("step", "mu_product", "exp_avg", "exp_avg_sq"),
                        lambda p: {"step": _step_tensor(), "mu_product": _step_tensor(1.0),
                                   "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)},
                        ("lr", "betas", "eps", "weight_decay", "momentum_decay"))
