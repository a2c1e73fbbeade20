"""polygamma(n, x) as a JAX function with its derivative polygamma(n + 1, x) (custom JVP: the Hurwitz zeta
loop is not reverse-differentiable).  Shared by ``special`` (polygamma, zeta) and ``_ops_pointwise``
(digamma, whose derivative it is), below both."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax import lax

_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
              -174611 / 330, 854513 / 138, -236364091 / 2730)     # B_2, B_4, ..., B_24


def _hurwitz_zeta(s, q):
    """zeta(s, q) for an integer s >= 2 and any real q (negative q too, as PyTorch's Cephes zeta):
    the direct sum until q + k >= 9, then the Euler-Maclaurin tail; in float64."""
    q = q.astype(jnp.float64)

    def cond(c):
        return jnp.any(c[1] < 9.0)

    def body(c):
        total, a = c
        low = a < 9.0
        return total + jnp.where(low, a ** -s, 0.0), jnp.where(low, a + 1.0, a)

    total, a = lax.while_loop(cond, body, (jnp.zeros_like(q), q))
    tail = a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    rising = float(s)                      # s (s + 1) ... (s + 2j - 2)
    fact = 2.0                              # (2j)!
    for j, b in enumerate(_BERNOULLI, start=1):
        tail = tail + b / fact * rising * a ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
    pole = (q <= 0) & (q == jnp.floor(q))
    return jnp.where(pole, jnp.inf, total + tail)


_POLYGAMMA_FNS = {}


def _polygamma_fn_of(n):
    """polygamma(n, .) with derivative polygamma(n + 1, .) (its loop is not reverse-differentiable)."""
    fn = _POLYGAMMA_FNS.get(n)
    if fn is not None:
        return fn

    @jax.custom_jvp
    def fn(x):
        if n == 0:
            d = jsp.digamma(x)
            return jnp.where(x == 0, jnp.copysign(jnp.inf, -x), d).astype(x.dtype)
        sign = 1.0 if n % 2 else -1.0
        return (sign * math.factorial(n) * _hurwitz_zeta(n + 1, x)).astype(x.dtype)

    @fn.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return fn(x), _polygamma_fn_of(n + 1)(x) * dx

    _POLYGAMMA_FNS[n] = fn
    return fn
