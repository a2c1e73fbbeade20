"""RMSprop (optionally centered, with momentum)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _step_tensor, _zeros_like


def _rmsprop_kernel(cfg, params, grads, states, h):
    use_momentum, centered, maximize, has_wd = cfg
    lr, alpha, eps, wd, momentum = h["lr"], h["alpha"], h["eps"], h["weight_decay"], h["momentum"]
    it = iter(states)
    steps, square_avgs = next(it), next(it)
    bufs = next(it) if use_momentum else None
    grad_avgs = next(it) if centered else None
    out_p, out_step, out_sq, out_buf, out_ga = [], [], [], [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = -g
        out_step.append(steps[i] + 1)
        if has_wd:
            g = g + wd * p
        sq = square_avgs[i] * alpha + (1 - alpha) * (g * g)
        out_sq.append(sq)
        if centered:
            ga = grad_avgs[i]
            ga = ga + (1 - alpha) * (g - ga)
            out_ga.append(ga)
            avg = jnp.sqrt(sq + (-1) * (ga * ga))
        else:
            avg = jnp.sqrt(sq)
        avg = avg + eps
        if use_momentum:
            buf = bufs[i] * momentum + g / avg
            out_buf.append(buf)
            out_p.append(p - lr * buf)
        else:
            out_p.append(p - lr * (g / avg))
    new_states = [tuple(out_step), tuple(out_sq)]
    if use_momentum:
        new_states.append(tuple(out_buf))
    if centered:
        new_states.append(tuple(out_ga))
    return tuple(out_p), tuple(new_states)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group):
        params = self._params_with_grad(group)
        if not params:
            return
        use_momentum = group["momentum"] > 0
        centered = bool(group["centered"])
        for p in params:
            st = self.state[p]
            if len(st) == 0:
                st["step"] = _step_tensor()
                st["square_avg"] = _zeros_like(p)
                if use_momentum:
                    st["momentum_buffer"] = _zeros_like(p)
                if centered:
                    st["grad_avg"] = _zeros_like(p)
        names = ("step", "square_avg") + (("momentum_buffer",) if use_momentum else ()) + \
            (("grad_avg",) if centered else ())
        cfg = (use_momentum, centered, bool(group["maximize"]), group["weight_decay"] != 0)
        hyper = {k: group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum")}
        self._update_group(_rmsprop_kernel, cfg, params, names, hyper)
