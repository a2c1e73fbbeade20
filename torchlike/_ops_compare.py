"""Comparisons of whole tensors: ``isclose``, ``allclose``, ``equal``, and ``isin``.  (Elementwise
comparisons, ``eq``/``lt``/..., are ``_ops_pointwise``'s.)"""
from __future__ import annotations

import jax.numpy as jnp

from . import _registry as R
from ._registry import FUNCTIONS, defop
from ._names import publish
from ._ops_common import _op

# ---- comparisons of whole tensors -------------------------------------------
def _isclose(a, b, rtol, atol, equal_nan):
    return jnp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _isclose_rule(args, statics=None):
    a, b = args
    if not isinstance(b, R._Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    for name, v in (("rtol", statics[0]), ("atol", statics[1])):
        if v < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {v}")
    if isinstance(b, R._Tensor) and a._dtype is not b._dtype:
        raise RuntimeError(f"{R._type_word(a._dtype)} did not match {R._type_word(b._dtype)}")
    return None


defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False)",
      _isclose, differentiable=False, out=False, dtype=_isclose_rule)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(FUNCTIONS["isclose"](input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(FUNCTIONS["eq"](input, other).all())


publish("allclose", allclose, method=True)
publish("equal", equal, method=True)


def _isin(x, t, assume_unique, invert):
    r = jnp.isin(x, t)
    return ~r if invert else r


_op("isin(Tensor elements, Tensor test_elements, *, bool assume_unique=False, bool invert=False)", _isin,
    differentiable=False, method=False)
