"""Adafactor (``torch.optim.Adafactor``): second moments kept as row and column factors for matrices
(``row_var``, ``col_var``) and in full for vectors (``variance``), with relative step sizes."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, _check, _f64, _step_tensor
from .._tensor import Tensor


def _lerp(a, b, w):
    """``a.lerp_(b, w)`` for a scalar weight, rounded as PyTorch's kernel rounds either half."""
    w = w.astype(a.dtype)
    return jnp.where(w < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _rms(x):
    return jnp.sqrt(jnp.sum(x * x)).astype(_f64()) / (x.size ** 0.5)


def _adafactor_kernel(cfg, params, grads, states, h):
    maximize, has_wd, factored = cfg
    lr, decay, (eps1, eps2), d, wd = h["lr"], h["beta2_decay"], h["eps"], h["d"], h["weight_decay"]
    out = tuple([] for _ in range(1 + len(states)))
    for p, g, step, *moments in zip(params, grads, *states):
        if maximize:
            g = -g
        e1 = jnp.finfo(p.dtype).eps if eps1 is None else eps1
        step = step + 1
        s = step.astype(_f64())
        weight = s ** decay
        rho = jnp.minimum(lr, 1 / jnp.sqrt(s))
        alpha = jnp.maximum(eps2, _rms(p)) * rho
        if has_wd:
            p = p * (1 - lr * wd)
        if factored:
            row_var, col_var = moments
            sq = g * g
            row_var = _lerp(row_var, jnp.square(jnp.sqrt(jnp.sum(sq, -1, keepdims=True))) / g.shape[-1], weight)
            col_var = _lerp(col_var, jnp.square(jnp.sqrt(jnp.sum(sq, -2, keepdims=True))) / g.shape[-2], weight)
            estimate = jnp.matmul(row_var, col_var) / jnp.maximum(row_var.mean(-2, keepdims=True),
                                                                  jnp.asarray(e1, p.dtype))
            moments = (row_var, col_var)
        else:
            (variance,) = moments
            variance = _lerp(variance, g * g, weight)
            estimate = variance
            moments = (variance,)
        update = g / jnp.sqrt(jnp.maximum(estimate, jnp.asarray(e1 * e1, p.dtype)))
        denom = jnp.maximum(1.0, _rms(update) / d)
        p = p - (alpha / denom).astype(p.dtype) * update
        for o, v in zip(out, (p, step, *moments)):
            o.append(v)
    return tuple(out[0]), tuple(tuple(o) for o in out[1:])


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        _check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        _check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        _check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        _check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        _check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        _check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        params = self._params_with_grad(group)
        for p in params:
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            st = self.state[p]
            if len(st) == 0:
                st["step"] = _step_tensor()
                g = p._grad._arr()
                if g.ndim > 1:
                    st["row_var"] = Tensor._wrap(jnp.zeros(g.shape[:-1] + (1,), g.dtype))
                    st["col_var"] = Tensor._wrap(jnp.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                else:
                    st["variance"] = Tensor._wrap(jnp.zeros(g.shape, g.dtype))
        hyper = {k: group[k] for k in ("lr", "beta2_decay", "eps", "d", "weight_decay")}
        hyper["eps"] = tuple(hyper["eps"])
        base = (bool(group["maximize"]), group["weight_decay"] != 0)
        matrices = [p for p in params if p.dim() > 1]
        vectors = [p for p in params if p.dim() <= 1]
        if matrices:
            self._update_group(_adafactor_kernel, base + (True,), matrices, ("step", "row_var", "col_var"), hyper)
        if vectors:
            self._update_group(_adafactor_kernel, base + (False,), vectors, ("step", "variance"), hyper)
