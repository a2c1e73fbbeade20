"""Muon (``torch.optim.Muon``): momentum SGD for 2-D parameters whose update is orthogonalised by a few
Newton-Schulz iterations (in bfloat16, as PyTorch), with the learning rate scaled by the matrix shape."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _zeros_like

_ADJUST_LR = (None, "original", "match_rms_adamw")


def _orthogonalize(g, coefficients, steps, eps):
    """The nearest semi-orthogonal matrix to ``g``, approximately: quintic Newton-Schulz iterations on
    ``g / ||g||`` (the wide orientation), in bfloat16."""
    a, b, c = coefficients
    x = g.astype(jnp.bfloat16)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = jnp.linalg.norm(x.astype(jnp.float32)).astype(x.dtype)
    x = (x.astype(jnp.float32) / jnp.maximum(norm, jnp.asarray(eps, x.dtype)).astype(jnp.float32)).astype(x.dtype)

    def mm(u, v):       # a bfloat16 product accumulated in float32, as PyTorch's CPU kernel
        return jnp.matmul(u, v, preferred_element_type=jnp.float32)
    for _ in range(steps):
        gram = mm(x, x.T).astype(x.dtype)
        gram_update = (b * gram.astype(jnp.float32) + c * mm(gram, gram)).astype(x.dtype)
        x = (a * x.astype(jnp.float32) + mm(gram_update, x)).astype(x.dtype)
    return x.T if tall else x


def _lr_ratio(shape, adjust_lr_fn):
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(rows, cols))
    return math.sqrt(max(1, rows / cols))


def _muon_kernel(cfg, params, grads, states, h):
    nesterov, coefficients, steps, adjust_lr_fn, has_wd = cfg
    lr, wd, momentum, eps = h["lr"], h["weight_decay"], h["momentum"], h["eps"]
    new_params, new_bufs = [], []
    for p, g, buf in zip(params, grads, states[0]):
        if has_wd:
            p = p * (1 - lr * wd)
        buf = buf + (1 - momentum) * (g - buf)
        update = g + momentum * (buf - g) if nesterov else buf
        update = _orthogonalize(update, coefficients, steps, eps)
        new_params.append((p - (lr * _lr_ratio(p.shape, adjust_lr_fn)) * update.astype(p.dtype)).astype(p.dtype))
        new_bufs.append(buf)
    return tuple(new_params), (tuple(new_bufs),)


class Muon(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        _check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        _check(adjust_lr_fn in _ADJUST_LR, f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def _step_group(self, group):
        params = self._params_with_grad(group)
        if not params:
            return
        for p in params:
            if p.is_complex():
                raise RuntimeError("Muon does not support complex parameters")
            st = self.state[p]
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = _zeros_like(p._grad)
        cfg = (bool(group["nesterov"]), tuple(float(c) for c in group["ns_coefficients"]), int(group["ns_steps"]),
               group["adjust_lr_fn"], group["weight_decay"] != 0)
        hyper = {k: group[k] for k in ("lr", "weight_decay", "momentum", "eps")}
        self._update_group(_muon_kernel, cfg, params, ("momentum_buffer",), hyper)
