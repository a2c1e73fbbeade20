"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _zeros_like, required


def _sgd_kernel(cfg, params, grads, states, h):
    use_momentum, nesterov, maximize, has_wd = cfg
    lr, wd, momentum, dampening = h["lr"], h["weight_decay"], h["momentum"], h["dampening"]
    first = h["first"]        # traced flags: the first step copies the gradient into the buffer
    bufs = states[0] if use_momentum else ()
    new_params, new_bufs = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = -g
        if has_wd:
            g = g + wd * p
        if use_momentum:
            buf = jnp.where(first[i], g, bufs[i] * momentum + (1 - dampening) * g)
            new_bufs.append(buf)
            g = g + momentum * buf if nesterov else buf
        new_params.append(p - lr * g)
    return tuple(new_params), ((tuple(new_bufs),) if use_momentum else ())


class SGD(Optimizer):
    """Stochastic gradient descent (``torch.optim.SGD``)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _step_group(self, group):
        params = self._params_with_grad(group)
        if not params:
            return
        use_momentum = group["momentum"] != 0
        first = []
        if use_momentum:
            for p in params:
                st = self.state[p]
                first.append(st.get("momentum_buffer") is None)
                if first[-1]:
                    st["momentum_buffer"] = _zeros_like(p)
        cfg = (use_momentum, bool(group["nesterov"]), bool(group["maximize"]), group["weight_decay"] != 0)
        hyper = {k: group[k] for k in ("lr", "weight_decay", "momentum", "dampening")}
        hyper["first"] = tuple(first)
        self._update_group(_sgd_kernel, cfg, params, ("momentum_buffer",) if use_momentum else (), hyper)
