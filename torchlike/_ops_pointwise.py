"""Elementwise ops: declarations only (see ``_registry.defop``)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from . import _dtype as D
from ._registry import defop, rule_float, rule_promote, _promoted

# ---- unary, result is floating (ints promote to the default float) --------
_FLOAT_UNARY = {
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "asin": jnp.arcsin, "acos": jnp.arccos,
    "atan": jnp.arctan, "sinh": jnp.sinh, "cosh": jnp.cosh, "tanh": jnp.tanh,
    "asinh": jnp.arcsinh, "acosh": jnp.arccosh, "atanh": jnp.arctanh, "exp": jnp.exp,
    "exp2": jnp.exp2, "expm1": jnp.expm1, "log": jnp.log, "log2": jnp.log2, "log10": jnp.log10,
    "log1p": jnp.log1p, "sqrt": jnp.sqrt, "rsqrt": jax.lax.rsqrt, "sigmoid": jax.nn.sigmoid,
    "erf": jsp.erf, "erfc": jsp.erfc, "erfinv": jsp.erfinv, "reciprocal": jnp.reciprocal,
    "lgamma": jsp.gammaln, "digamma": jsp.digamma, "i0": jsp.i0, "sinc": jnp.sinc,
    "logit": jsp.logit, "deg2rad": jnp.deg2rad, "rad2deg": jnp.rad2deg,
}
# ops whose backward reads the result rather than the input (PyTorch saves `result`)
_SAVES_RESULT = {"exp", "exp2", "tanh", "sigmoid", "rsqrt", "sqrt", "reciprocal", "expm1"}
_ALIASES = {"asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",),
            "acosh": ("arccosh",), "atanh": ("arctanh",)}
for _name, _fn in _FLOAT_UNARY.items():
    defop(f"{_name}(Tensor self)", _fn, dtype="float", inplace=True,
          saves="result" if _name in _SAVES_RESULT else "self", aliases=_ALIASES.get(_name, ()))


# ---- unary, same dtype as input -----------------------------------------
def _frac(x):
    return x - jnp.trunc(x)


def _sign(x):
    return jnp.sign(x).astype(x.dtype)


def _round(x, decimals):
    if decimals == 0:
        return jnp.round(x)
    return jnp.round(x, decimals)


defop("neg(Tensor self)", jnp.negative, dtype="promote", inplace=True, saves=(), aliases=("negative",))
defop("abs(Tensor self)", lambda x: jnp.abs(x) if x.dtype != jnp.bool_ else x, dtype="promote",
      inplace=True, aliases=("absolute",))
defop("ceil(Tensor self)", lambda x: jnp.ceil(x) if jnp.issubdtype(x.dtype, jnp.floating) else x,
      dtype="promote", inplace=True, saves=())
defop("floor(Tensor self)", lambda x: jnp.floor(x) if jnp.issubdtype(x.dtype, jnp.floating) else x,
      dtype="promote", inplace=True, saves=())
defop("trunc(Tensor self)", lambda x: jnp.trunc(x) if jnp.issubdtype(x.dtype, jnp.floating) else x,
      dtype="promote", inplace=True, saves=(), aliases=("fix",))
defop("round(Tensor self, *, int decimals=0)", _round, dtype="promote", inplace=True, saves=())
defop("frac(Tensor self)", _frac, dtype="promote", inplace=True, saves=())
defop("sign(Tensor self)", _sign, dtype="promote", inplace=True, saves=())
defop("sgn(Tensor self)", _sign, dtype="promote", inplace=True, saves=())
defop("square(Tensor self)", jnp.square, dtype="promote", inplace=True, grad="PowBackward0")
defop("relu(Tensor self)", lambda x: jnp.maximum(x, 0).astype(x.dtype), dtype="promote",
      inplace=True, saves="result")
defop("conj_physical(Tensor self)", jnp.conj, dtype="keep", inplace=True, saves=())
defop("conj(Tensor self)", lambda x: jnp.conj(x) if jnp.iscomplexobj(x) else x, dtype="keep", saves=())
defop("real(Tensor self)", jnp.real, dtype="keep", saves=(), method=False)
defop("imag(Tensor self)", jnp.imag, dtype="keep", saves=(), method=False)
defop("angle(Tensor self)", lambda x: jnp.angle(x).astype(x.real.dtype) if jnp.iscomplexobj(x) else
      jnp.where(x < 0, jnp.pi, 0.0).astype(x.dtype), dtype="float")
defop("positive(Tensor self)", lambda x: x, dtype="keep", saves=())

# ---- binary arithmetic ----------------------------------------------------


def _add(a, b, alpha):
    return a + b if alpha == 1 else a + alpha * b


def _sub(a, b, alpha):
    if a.dtype == jnp.bool_:
        raise TypeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                        "Use the `^` or `logical_xor()` operator instead.")
    return a - b if alpha == 1 else a - alpha * b


def _div(a, b, rounding_mode):
    if rounding_mode is None:
        return jnp.true_divide(a, b)
    if rounding_mode == "trunc":
        if jnp.issubdtype(a.dtype, jnp.integer):
            q = jnp.trunc(a / b)
            return q.astype(a.dtype)
        return jnp.trunc(a / b)
    if rounding_mode == "floor":
        return jnp.floor_divide(a, b)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def _pow_grad(args, statics):
    from ._tensor import Tensor
    a, b = args
    if not isinstance(a, Tensor):
        return "PowBackward2"
    return "PowBackward1" if isinstance(b, Tensor) else "PowBackward0"


def _div_name(args, statics):
    return "DivBackward0" if statics[0] is None else "DivBackward2"


def _rsub(a, b, alpha):
    return b - alpha * a if alpha != 1 else b - a


defop("add(Tensor self, Tensor other, *, Scalar alpha=1)", _add, inplace=True, saves=())
defop("sub(Tensor self, Tensor other, *, Scalar alpha=1)", _sub, inplace=True, saves=(),
      aliases=("subtract",))
defop("rsub(Tensor self, Tensor other, *, Scalar alpha=1)", _rsub, saves=(), method=False,
      grad=lambda args, statics: "RsubBackward1")
defop("mul(Tensor self, Tensor other)", jnp.multiply, inplace=True, aliases=("multiply",))
defop("div(Tensor self, Tensor other, *, str? rounding_mode=None)",
      lambda a, b, rm: _div(a, b, rm), inplace=True, grad=_div_name, aliases=("divide", "true_divide"),
      dtype=lambda args, statics: (rule_float if statics[0] is None else rule_promote)(args))
defop("floor_divide(Tensor self, Tensor other)", jnp.floor_divide, inplace=True)
defop("remainder(Tensor self, Tensor other)", jnp.remainder, inplace=True)
defop("fmod(Tensor self, Tensor other)", jnp.fmod, inplace=True)
defop("pow(Tensor? self, Tensor? exponent)", jnp.power, inplace=True, grad=_pow_grad)
defop("float_power(Tensor self, Tensor exponent)", jnp.power, inplace=True, grad="PowBackward1",
      dtype=lambda args, statics: D.complex128 if any(getattr(a, "is_complex", lambda: isinstance(a, complex))() for a in args) else D.float64)
defop("atan2(Tensor self, Tensor other)", jnp.arctan2, inplace=True, dtype="float", aliases=("arctan2",))
defop("hypot(Tensor self, Tensor other)", jnp.hypot, inplace=True, dtype="float")
defop("maximum(Tensor self, Tensor other)", jnp.maximum, saves="all")
defop("minimum(Tensor self, Tensor other)", jnp.minimum, saves="all")
defop("fmax(Tensor self, Tensor other)", jnp.fmax)
defop("fmin(Tensor self, Tensor other)", jnp.fmin)
defop("copysign(Tensor self, Tensor other)", jnp.copysign, dtype="float", inplace=True)
defop("xlogy(Tensor self, Tensor other)", jsp.xlogy, dtype="float", inplace=True)
defop("lerp(Tensor self, Tensor end, Tensor? weight)", lambda a, b, w: a + w * (b - a), inplace=True,
      grad=lambda args, statics: "LerpBackward1" if hasattr(args[2], "_arr") else "LerpBackward0")


# ---- comparisons and logic ------------------------------------------------
for _name, _fn, _al in [("eq", jnp.equal, ()), ("ne", jnp.not_equal, ("not_equal",)),
                        ("lt", jnp.less, ("less",)), ("le", jnp.less_equal, ("less_equal",)),
                        ("gt", jnp.greater, ("greater",)), ("ge", jnp.greater_equal, ("greater_equal",))]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, inplace=True, differentiable=False, aliases=_al)

for _name, _fn in [("logical_and", jnp.logical_and), ("logical_or", jnp.logical_or),
                   ("logical_xor", jnp.logical_xor)]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, dtype="keep", inplace=True, differentiable=False)
defop("logical_not(Tensor self)", jnp.logical_not, dtype="keep", inplace=True, differentiable=False)

for _name, _fn in [("bitwise_and", jnp.bitwise_and), ("bitwise_or", jnp.bitwise_or),
                   ("bitwise_xor", jnp.bitwise_xor), ("bitwise_left_shift", jnp.left_shift),
                   ("bitwise_right_shift", jnp.right_shift)]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, dtype="int", inplace=True, differentiable=False)
defop("bitwise_not(Tensor self)", jnp.invert, dtype="int", inplace=True, differentiable=False)

for _name, _fn in [("isnan", jnp.isnan), ("isinf", jnp.isinf), ("isfinite", jnp.isfinite),
                   ("isposinf", jnp.isposinf), ("isneginf", jnp.isneginf), ("signbit", jnp.signbit),
                   ("isreal", jnp.isreal)]:
    defop(f"{_name}(Tensor self)", _fn, dtype="keep", differentiable=False, out=False)


def _nan_to_num(x, nan, posinf, neginf):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return jnp.nan_to_num(x, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)


defop("nan_to_num(Tensor self, float? nan=0.0, float? posinf=None, float? neginf=None)", _nan_to_num,
      dtype="keep", inplace=True)


# ---- clamp / where --------------------------------------------------------
def _clamp(x, lo, hi):
    if lo is not None:
        x = jnp.maximum(x, lo.astype(x.dtype))
    if hi is not None:
        x = jnp.minimum(x, hi.astype(x.dtype))
    return x


def _clamp_check(args, statics):
    from ._tensor import Tensor
    return "ClampBackward0" if any(isinstance(a, Tensor) for a in args[1:]) else "ClampBackward1"


def _clamp_dtype(args, statics):
    if args[1] is None and args[2] is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return _promoted([a for a in args if a is not None])


defop("clamp(Tensor self, Tensor? min=None, Tensor? max=None)", _clamp, inplace=True, grad=_clamp_check,
      dtype=_clamp_dtype, aliases=("clip",))
defop("clamp_min(Tensor self, Tensor min)", jnp.maximum, inplace=True)
defop("clamp_max(Tensor self, Tensor max)", jnp.minimum, inplace=True)


def _where(cond, a, b):
    return jnp.where(cond, a, b)


defop("where(Index condition, Tensor self, Tensor other)", _where, dtype="promote", method=True)


def _masked_fill(x, mask, value):
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


defop("masked_fill(Tensor self, Index mask, Tensor? value)", _masked_fill, dtype="keep",
      inplace=True)
