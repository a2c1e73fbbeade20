"""Elementwise ops: declarations only (see ``_registry.defop``).

Besides the implementation, a declaration states which dtypes PyTorch's kernel
rejects (``checked(rule, bool=..., complex=...)``): the error is raised by the
dtype rule, before anything is compiled, with PyTorch's exception type and text.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import jax.scipy.special as jsp
from jax import lax

from . import _dtype as D
from . import _registry as R
from ._registry import DTYPE_RULES, FUNCTIONS, METHODS, OPS, _promoted, _type_word, call, defop, rule_float, \
    rule_promote
from ._names import publish
from ._state import local as _local
from ._polygamma import _polygamma_fn_of
from ._ops_common import _float_only, _op, _tensors_only

# ---- dtype checks ------------------------------------------------------------------


def kernel(name, exc=NotImplementedError):
    """PyTorch's "<kernel> not implemented for '<Type>'" error, as a factory of the dtype."""
    return lambda d: exc(f'"{name}" not implemented for \'{_type_word(d)}\'')


def says(message, exc=NotImplementedError):
    """A fixed error message, as a factory of the dtype."""
    return lambda d: exc(message)


_CATEGORIES = {"bool": D.BOOL, "int": D.INT, "float": D.FLOAT, "complex": D.COMPLEX}


def checked(rule="promote", *, tensor_only=None, extra=None, **reject):
    """A dtype rule that first raises PyTorch's error for what its kernel does not accept.

    ``reject`` maps a category (``bool``, ``int``, ``float``, ``complex``) of the promoted
    input dtype to an error factory (:func:`kernel`, :func:`says`).  ``tensor_only`` maps
    argument positions to parameter names that must be Tensors (PyTorch has no Scalar
    overload there).  ``extra(args, statics, promoted)`` runs further checks.
    """
    base = DTYPE_RULES[rule] if isinstance(rule, str) else rule
    errors = {_CATEGORIES[k]: v for k, v in reject.items()}

    def rule_checked(args, statics=None):
        if tensor_only:
            T = R._Tensor
            for pos, pname in tensor_only.items():
                a = args[pos]
                if a is not None and not isinstance(a, T):
                    raise TypeError(f"argument '{pname}' (position {pos + 1}) must be Tensor, not "
                                    f"{type(a).__name__}")
        if errors or extra is not None:
            d = _promoted(args)
            if d is not None:
                err = errors.get(d.category)
                if err is not None:
                    raise err(d)
            if extra is not None:
                extra(args, statics, d)
        return base(args, statics)
    # without ``extra`` (or with one that reads only dtypes, types and statics: ``extra.by_dtype``) the
    # result depends on the tensors' dtypes only: ``call``'s fast path may cache it
    rule_checked.by_dtype = (extra is None or getattr(extra, "by_dtype", False)) and getattr(base, "by_dtype", False)
    # or on those and the value of a number the key holds (``_registry.keyed_by_form``: ``pow``'s exponent)
    rule_checked.by_value = ((extra is None or getattr(extra, "by_dtype", False) or getattr(extra, "by_value", False))
                             and getattr(base, "by_dtype", False))
    return rule_checked


def _concrete_zero(x):
    """Whether the divisor ``x`` (a scalar or a Tensor) holds a zero; False for traced values."""
    if isinstance(x, R._Tensor):
        a = x._arr()
        if isinstance(a, jax.core.Tracer):
            return False
        return bool((a == 0).any())
    return x == 0


def _int_division(args, statics, d):
    """Integer division by zero is an error in PyTorch (JAX returns garbage)."""
    if d is not None and d.category <= D.INT and _concrete_zero(args[1]):
        raise RuntimeError("ZeroDivisionError")


def _no_derivative(fn, name, message=None, exc=RuntimeError):
    """``fn`` whose backward raises PyTorch's "derivative ... is not implemented" error."""
    @jax.custom_vjp
    def f(*args):
        return fn(*args)

    def fwd(*args):
        return fn(*args), None

    def bwd(_, g):
        raise exc(message or f"derivative for aten::{name} is not implemented")
    f.defvjp(fwd, bwd)
    return f


def _scalar_name(tensor_name, scalar_name, self_scalar_name=None):
    """grad_fn name chosen by the overload PyTorch dispatches to (Tensor or Scalar operand)."""
    def name(args, statics):
        T = R._Tensor
        if self_scalar_name is not None and not isinstance(args[0], T):
            return self_scalar_name
        return tensor_name if isinstance(args[1], T) else scalar_name
    return name


# ---- unary, result is floating (ints promote to the default float) --------------
def _digamma(x):
    # PyTorch: digamma(+-0) = -+inf (JAX gives nan); the derivative is special.polygamma(1, x), exact for
    # negative x too (JAX's own derivative of digamma is not)
    return _polygamma_fn_of(0)(x)


_FLOAT_UNARY = {
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "asin": jnp.arcsin, "acos": jnp.arccos,
    "atan": jnp.arctan, "sinh": jnp.sinh, "cosh": jnp.cosh, "tanh": jnp.tanh,
    "asinh": jnp.arcsinh, "acosh": jnp.arccosh, "atanh": jnp.arctanh, "exp": jnp.exp,
    "exp2": jnp.exp2, "expm1": jnp.expm1, "log": jnp.log, "log2": jnp.log2, "log10": jnp.log10,
    "log1p": jnp.log1p, "sqrt": jnp.sqrt, "rsqrt": jax.lax.rsqrt, "sigmoid": jax.nn.sigmoid,
    "erf": jsp.erf, "erfc": jsp.erfc, "erfinv": jsp.erfinv, "reciprocal": jnp.reciprocal,
    "lgamma": jsp.gammaln, "digamma": _digamma, "i0": jsp.i0, "sinc": jnp.sinc,
    "deg2rad": jnp.deg2rad, "rad2deg": jnp.rad2deg,
}
# what PyTorch's kernels reject, by input category
_FLOAT_UNARY_REJECTS = {
    "erf": dict(complex=kernel("erf_vml_cpu")), "erfc": dict(complex=kernel("erfc_vml_cpu")),
    "erfinv": dict(complex=kernel("erfinv_vml_cpu")), "lgamma": dict(complex=kernel("lgamma_vml_cpu")),
    "digamma": dict(complex=kernel("digamma")), "i0": dict(complex=kernel("i0_vml_cpu")),
    "deg2rad": dict(complex=says("deg2rad is not supported for complex tensors.", RuntimeError)),
    "rad2deg": dict(complex=says("rad2deg is not supported for complex tensors.", RuntimeError)),
}
# ops whose backward reads the result rather than the input (PyTorch saves `result`)
_SAVES_RESULT = {"exp", "exp2", "tanh", "sigmoid", "rsqrt", "sqrt", "reciprocal", "expm1"}
_ALIASES = {"asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",),
            "acosh": ("arccosh",), "atanh": ("arctanh",)}
for _name, _fn in _FLOAT_UNARY.items():
    defop(f"{_name}(Tensor self)", _fn, dtype=checked("float", **_FLOAT_UNARY_REJECTS.get(_name, {})),
          inplace=True, saves="result" if _name in _SAVES_RESULT else "self", aliases=_ALIASES.get(_name, ()))


def _logit(x, eps):
    if eps is not None:
        x = jnp.clip(x, eps, 1.0 - eps)
    return jsp.logit(x)


defop("logit(Tensor self, float? eps=None)", _logit, dtype=checked("float", complex=kernel("logit_cpu")),
      inplace=True)


def _no_inplace_derivative(name):
    """PyTorch has no derivative for these in-place variants: error when grad is recorded."""
    inplace = METHODS[name + "_"]

    def method(self):
        if _local.state.grad_enabled and self._requires_grad:
            raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not implemented.")
        return inplace(self)
    method.__name__ = method.__qualname__ = name + "_"
    # replace=True: deliberate, this wraps the in-place method defop generated (and published) above
    publish(name + "_", method=method, replace=True)
    for alias in _ALIASES.get(name, ()):
        publish(alias + "_", method=method, replace=True)


for _name in ("asinh", "acosh", "atanh"):
    _no_inplace_derivative(_name)


# ---- unary, same dtype as input -------------------------------------------------
def _frac(x):
    return x - jnp.trunc(x)


def _sign(x):
    if x.dtype == jnp.bool_:
        return x
    return jnp.sign(x).astype(x.dtype)


def _round(x, decimals):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    if not decimals:
        return jnp.round(x)
    return jnp.round(x, decimals)


def _round_dtype(args, statics):
    d = args[0]._dtype
    if d.category == D.BOOL or d.category == D.COMPLEX:
        raise kernel("round_vml_cpu")(d)
    if statics[0] is not None and d.category == D.INT:
        raise kernel("round_cpu")(d)
    return d


def _integral(fn):
    """Rounding ops: the identity on integers."""
    return lambda x: fn(x) if jnp.issubdtype(x.dtype, jnp.floating) else x


def _rounding_rejects(name, vml=None):
    return checked("promote", bool=kernel(f"{vml or name}_vml_cpu"),
                   complex=says(f"{name} is not supported for complex inputs"))


_NEG_BOOL = says("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                 "mask, use the `~` or `logical_not()` operator instead.", RuntimeError)
defop("neg(Tensor self)", jnp.negative, dtype=checked(bool=_NEG_BOOL), inplace=True, saves=(),
      aliases=("negative",), host=np.negative)
def _abs(x):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.abs(x)
    # PyTorch's gradient at 0 is 0 (sgn(0)); JAX's is 1 (real) or NaN (complex)
    zero = x == 0
    return jnp.where(zero, jnp.zeros((), x.real.dtype), jnp.abs(jnp.where(zero, jnp.ones((), x.dtype), x)))


defop("abs(Tensor self)", _abs, dtype=checked(bool=kernel("abs_cpu")), inplace=True, aliases=("absolute",))
defop("ceil(Tensor self)", _integral(jnp.ceil), dtype=_rounding_rejects("ceil"), inplace=True, saves=())
defop("floor(Tensor self)", _integral(jnp.floor), dtype=_rounding_rejects("floor"), inplace=True, saves=())
defop("trunc(Tensor self)", _integral(jnp.trunc), dtype=_rounding_rejects("trunc"), inplace=True, saves=(),
      aliases=("fix",))
defop("round(Tensor self, *, int? decimals=None)", _round, dtype=_round_dtype, inplace=True, saves=(),
      grad=lambda args, statics: "RoundBackward0" if statics[0] is None else "RoundBackward1")
defop("frac(Tensor self)", _frac, dtype=checked(bool=kernel("frac_cpu"), int=kernel("frac_cpu"),
                                               complex=kernel("frac_cpu")), inplace=True, saves=())
defop("sign(Tensor self)", _sign, inplace=True, saves=(), dtype=checked(complex=says(
    "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead.")))
defop("sgn(Tensor self)", _sign, dtype="promote", inplace=True, saves=())
# square(x) is pow(x, 2): a bool tensor becomes int64, as with any int scalar
defop("square(Tensor self)", jnp.square, dtype=lambda args, statics: _promoted((args[0], 2)), inplace=True,
      grad="PowBackward0")
_RELU_REJECTS = dict(bool=says("Boolean inputs not supported for relu", RuntimeError),
                     complex=says("clamp is not supported for complex types"))
# where, not maximum: maximum's derivative at 0 is 1/2, PyTorch's relu has 0 there
defop("relu(Tensor self)", lambda x: jnp.where(x > 0, x, 0).astype(x.dtype), dtype=checked(**_RELU_REJECTS),
      inplace=True, saves="result")
_CONJ_PHYSICAL = defop("conj_physical(Tensor self)", jnp.conj, dtype="keep", saves=(), function=False,
                       method=False)      # published below: a real tensor is its own conj
_CONJ_PHYSICAL_INPLACE = defop("_conj_physical_inplace(Tensor self)", jnp.conj, dtype="keep", saves=(),
                               function=False, method=False, out=False, grad="ConjPhysicalBackward1")
_CONJ = defop("conj(Tensor self)", jnp.conj, dtype="keep", saves=(), function=False, method=False)
defop("real(Tensor self)", jnp.real, dtype="keep", saves=(), method=False)
defop("imag(Tensor self)", jnp.imag, dtype="keep", saves=(), method=False)
defop("angle(Tensor self)", lambda x: jnp.angle(x).astype(x.real.dtype) if jnp.iscomplexobj(x) else
      jnp.where(x < 0, jnp.pi, 0.0).astype(x.dtype), dtype="float")


def positive(input):
    """``+x``: ``x`` itself (not a copy), as in PyTorch."""
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _self_unless_complex(op):
    """``conj``/``conj_physical`` of a real tensor is the tensor itself, as in PyTorch."""
    fn, name = op.function, op.name

    def f(input):
        return fn(input) if input.is_complex() else input
    f.__name__ = f.__qualname__ = name
    return f


def conj_physical_(self):
    return R.call_inplace(_CONJ_PHYSICAL_INPLACE, (self,), ())


publish("positive", positive, method=True)
publish("conj", _self_unless_complex(_CONJ), method=True)
publish("conj_physical", _self_unless_complex(_CONJ_PHYSICAL), method=True)
publish("conj_physical_", method=conj_physical_)


# ---- binary arithmetic ------------------------------------------------------------


def _add(a, b, alpha):
    return a + b if alpha == 1 else (a + alpha * b).astype(a.dtype)


def _sub(a, b, alpha):
    return a - b if alpha == 1 else (a - alpha * b).astype(a.dtype)


def _rsub(a, b, alpha):
    return b - a if alpha == 1 else (b - alpha * a).astype(a.dtype)


def _no_bool_sub(args, statics, d):
    bools = [a._dtype is D.bool if isinstance(a, R._Tensor) else type(a) is bool for a in args]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _trunc_divide(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        q = jnp.floor_divide(a, b)
        inexact = (q * b != a) & ((a < 0) != (b < 0))
        return jnp.where(inexact, q + 1, q)
    return jnp.trunc(a / b)


_UNSET = "<unset>"   # div(a, b) and div(a, b, rounding_mode=None) are different overloads (grad_fn names)


def _div(a, b, rounding_mode):
    if rounding_mode is None or rounding_mode == _UNSET:
        return jnp.true_divide(a, b)
    if rounding_mode == "trunc":
        return _trunc_divide(a, b)
    return jnp.floor_divide(a, b)


def _div_dtype(args, statics):
    mode = statics[0]
    if mode is None or mode == _UNSET:
        return rule_float(args)
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'")
    reject = kernel(f"div_{mode}_cpu")
    return checked(bool=reject, complex=reject, extra=_int_division)(args, statics)


# true division reads dtypes only (a fast path may cache it); a rounding mode's integer division reads values
_div_dtype.by_dtype_when = lambda statics: statics[0] is None or statics[0] == _UNSET


def _power(x, e):
    """``jnp.power``; a compiled-in exponent (``Op.scalar_spec``) of 0.5 / -0.5 is sqrt / rsqrt, and an
    integral one is repeated multiplication (exactly PyTorch's results for 2, 3, -1, -2)."""
    if type(e) is float:
        return jnp.sqrt(x) if e == 0.5 else 1 / jnp.sqrt(x)
    return jnp.power(x, e)


def _pow_grad(args, statics):
    a, b = args
    if not isinstance(a, R._Tensor):
        return "PowBackward2"
    return "PowBackward1" if isinstance(b, R._Tensor) else "PowBackward0"


def _int_pow(args, statics, d):
    e = args[1]
    if d is not None and d.category <= D.INT and type(e) is int and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


_int_pow.by_value = True        # (the dtype, and the exponent's type and value)


def _float_power_dtype(args, statics=None):
    complex_in = any(a.is_complex() if isinstance(a, R._Tensor) else isinstance(a, complex) for a in args)
    return D.complex128 if complex_in else D.float64


def _alpha_check(args, statics, d):
    alpha = statics[0]
    if d is None:
        return
    if isinstance(alpha, bool) and d.category != D.BOOL:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and d.category <= D.INT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if isinstance(alpha, complex) and d.category <= D.FLOAT:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")


def _sub_checks(args, statics, d):
    _no_bool_sub(args, statics, d)
    _alpha_check(args, statics, d)


_alpha_check.by_dtype = _sub_checks.by_dtype = True     # they read dtypes, number types and alpha
_SUB_RULE = checked(extra=_sub_checks)
# ``host=``: the same computation in numpy, for integer values already on the host (``_registry._host_call``);
# the operators in _add/_sub/_rsub mean the same on numpy arrays
defop("add(Tensor self, Tensor other, *, Scalar alpha=1)", _add, inplace=True, saves=(),
      dtype=checked(extra=_alpha_check), host=_add)
defop("sub(Tensor self, Tensor other, *, Scalar alpha=1)", _sub, dtype=_SUB_RULE, inplace=True, saves=(),
      aliases=("subtract",), host=_sub)
defop("rsub(Tensor self, Tensor? other, *, Scalar alpha=1)", _rsub, dtype=_SUB_RULE, saves=(), method=False,
      grad=_scalar_name("RsubBackward0", "RsubBackward1"), host=_rsub)
defop("mul(Tensor self, Tensor other)", jnp.multiply, inplace=True, aliases=("multiply",), host=np.multiply)
defop(f"div(Tensor self, Tensor other, *, str? rounding_mode='{_UNSET}')", _div, inplace=True,
      grad=lambda args, statics: "DivBackward0" if statics[0] == _UNSET else "DivBackward2",
      aliases=("divide", "true_divide"), dtype=_div_dtype)
_FLOORDIV = kernel("div_floor_cpu")
defop("floor_divide(Tensor self, Tensor other)", _no_derivative(jnp.floor_divide, "floor_divide"), inplace=True,
      grad="NotImplemented", dtype=checked(bool=_FLOORDIV, complex=_FLOORDIV, extra=_int_division))
_SELF, _OTHER, _BOTH = {0: "input"}, {1: "other"}, {0: "input", 1: "other"}
for _name, _fn in (("remainder", jnp.remainder), ("fmod", jnp.fmod)):
    _k = kernel(f"{_name}_cpu")
    # torch.remainder is published below (it also takes a Python number first)
    defop(f"{_name}(Tensor self, Tensor? other)", _fn, inplace=True, function=_name != "remainder",
          grad=_scalar_name(f"{_name.title()}Backward1", f"{_name.title()}Backward0"),
          dtype=checked(bool=_k, complex=_k, extra=_int_division, tensor_only=_SELF if _name == "fmod" else None))
_k = kernel("remainder_cpu")
_REMAINDER_SCALAR_SELF = defop("_remainder_scalar_self(Tensor? self, Tensor other)",
                               _no_derivative(jnp.remainder, "remainder"), grad="NotImplemented",
                               dtype=checked(bool=_k, complex=_k, extra=_int_division), function=False,
                               method=False)
_remainder = R.OPS["remainder"].function


def remainder(input, other, *, out=None):
    """``remainder(Scalar, Tensor)`` exists in PyTorch, without a derivative."""
    if not isinstance(input, R._Tensor):
        return call(_REMAINDER_SCALAR_SELF, (input, other), (), out)
    return _remainder(input, other, out=out)


publish("remainder", remainder)
_POW = defop("pow(Tensor? self, Tensor? exponent)", _power, inplace=True, grad=_pow_grad,
             dtype=checked(bool=kernel("pow"), extra=_int_pow))
_POW.scalar_spec = (1, frozenset((2, 3, 4, -1, -2, 0.5, -0.5)))     # PyTorch's special cases too


def float_power(input, exponent, *, out=None):
    """``pow`` in double precision: tensor operands are first converted (``ToCopyBackward0``)."""
    d = _float_power_dtype((input, exponent))
    input, exponent = (x.to(d) if isinstance(x, R._Tensor) else x for x in (input, exponent))
    return FUNCTIONS["pow"](input, exponent, out=out)


def float_power_(self, exponent):
    d = _float_power_dtype((self, exponent))
    if self.dtype is not d:
        raise RuntimeError(f"the base given to float_power_ has dtype {_type_word(self.dtype)} but the operation's "
                           f"result requires dtype {_type_word(d)}")
    return METHODS["pow_"](self, exponent.to(d) if isinstance(exponent, R._Tensor) else exponent)


publish("float_power", float_power, method=True)
publish("float_power_", method=float_power_)
defop("atan2(Tensor self, Tensor other)", jnp.arctan2, inplace=True, aliases=("arctan2",),
      dtype=checked("float", tensor_only=_BOTH, complex=kernel("atan2_cpu")))
defop("hypot(Tensor self, Tensor other)", jnp.hypot, inplace=True,
      dtype=checked("float", tensor_only=_BOTH, bool=kernel("hypot_cpu"), int=kernel("hypot_cpu"),
                    complex=kernel("hypot_cpu")))
def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting)."""
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra else g
    keep = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=keep, keepdims=True) if keep else g


def _extremum(fn, a_wins):
    """maximum/minimum with PyTorch's gradient: ties split it, and a NaN on one side passes
    it to both inputs (JAX's comparison-based rule drops it)."""
    @jax.custom_vjp
    def f(a, b):
        return fn(a, b)

    def fwd(a, b):
        return fn(a, b), (a, b)

    def bwd(res, g):
        a, b = res
        half = jnp.where(a == b, g / 2, g)
        ga = jnp.where(a_wins(b, a), jnp.zeros_like(half), half)   # zero where b strictly wins
        gb = jnp.where(a_wins(a, b), jnp.zeros_like(half), half)
        return _unbroadcast(ga, a.shape).astype(a.dtype), _unbroadcast(gb, b.shape).astype(b.dtype)
    f.defvjp(fwd, bwd)

    def impl(a, b):
        if not jnp.issubdtype(a.dtype, jnp.inexact):
            return fn(a, b)
        return f(a, b)
    return impl


_maximum = _extremum(jnp.maximum, jnp.greater)
_minimum = _extremum(jnp.minimum, jnp.less)
for _name, _fn in (("maximum", _maximum), ("minimum", _minimum), ("fmax", jnp.fmax), ("fmin", jnp.fmin)):
    defop(f"{_name}(Tensor self, Tensor other)", _fn, dtype=checked(
        tensor_only=_BOTH, complex=says(f"{_name} not implemented for complex tensors.", RuntimeError)))
defop("copysign(Tensor self, Tensor? other)", jnp.copysign, inplace=True,
      grad=_scalar_name("CopysignBackward0", "CopysignBackward1"),
      dtype=checked("float", tensor_only=_SELF, complex=kernel("copysign_cpu")))
defop("xlogy(Tensor? self, Tensor? other)", jsp.xlogy, inplace=True,
      grad=_scalar_name("XlogyBackward0", "XlogyBackward2", "XlogyBackward1"),
      dtype=checked("float", complex=kernel("xlogy_cpu")))
def _lerp(a, b, w):
    # PyTorch's formula: from the nearer end, so that lerp(a, b, 1) == b exactly
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _lerp_dtype(args, statics=None):
    a, b, w = args
    d = a._dtype
    if isinstance(b, R._Tensor) and b._dtype is not d:
        raise RuntimeError(f"expected dtype {_type_word(d).lower()} for `end` but got dtype {_type_word(b._dtype).lower()}")
    if isinstance(w, R._Tensor) and w._ndim() and w._dtype is not d:
        raise RuntimeError(f"expected dtype {_type_word(d).lower()} for `weight` but got dtype "
                           f"{_type_word(w._dtype).lower()}")
    if d.category < D.FLOAT:
        raise kernel("lerp_kernel_tensor" if isinstance(w, R._Tensor) else "lerp_kernel_scalar")(d)
    return d


defop("lerp(Tensor self, Tensor end, Tensor? weight)", _lerp, inplace=True, dtype=_lerp_dtype,
      grad=lambda args, statics: "LerpBackward1" if isinstance(args[2], R._Tensor) else "LerpBackward0")


# ---- comparisons and logic --------------------------------------------------------
for _name, _fn, _al in [("eq", jnp.equal, ()), ("ne", jnp.not_equal, ("not_equal",))]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, inplace=True, differentiable=False, aliases=_al,
          dtype=checked(tensor_only=_SELF), host=getattr(np, _fn.__name__))
for _name, _fn, _al in [("lt", jnp.less, ("less",)), ("le", jnp.less_equal, ("less_equal",)),
                        ("gt", jnp.greater, ("greater",)), ("ge", jnp.greater_equal, ("greater_equal",))]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, inplace=True, differentiable=False, aliases=_al,
          dtype=checked(tensor_only=_SELF, complex=kernel(f"{_name}_cpu")), host=getattr(np, _fn.__name__))

for _name, _fn in [("logical_and", jnp.logical_and), ("logical_or", jnp.logical_or),
                   ("logical_xor", jnp.logical_xor)]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, dtype=checked("keep", tensor_only=_BOTH), inplace=True,
          differentiable=False)
defop("logical_not(Tensor self)", jnp.logical_not, dtype="keep", inplace=True, differentiable=False)


def _bits(kernel_name, shift=False):
    k = kernel(kernel_name)
    return checked(float=k, complex=k, **({"bool": k} if shift else {}))


for _name, _fn, _k in [("bitwise_and", jnp.bitwise_and, "bitwise_and_cpu"),
                       ("bitwise_or", jnp.bitwise_or, "bitwise_or_cpu"),
                       ("bitwise_xor", jnp.bitwise_xor, "bitwise_xor_cpu")]:
    defop(f"{_name}(Tensor self, Tensor other)", _fn, dtype=_bits(_k), inplace=True, differentiable=False)
defop("bitwise_left_shift(Tensor self, Tensor other)", jnp.left_shift, dtype=_bits("lshift_cpu", True),
      inplace=True, differentiable=False)
defop("bitwise_right_shift(Tensor self, Tensor other)", jnp.right_shift, dtype=_bits("rshift_cpu", True),
      inplace=True, differentiable=False)
# gcd/lcm: integer-only, no Python-number overload
for _name, _fn in [("gcd", jnp.gcd), ("lcm", jnp.lcm)]:
    _int_kernel = kernel(f"{_name}_cpu")
    defop(f"{_name}(Tensor self, Tensor other)", _fn, differentiable=False, inplace=True,
          dtype=checked(tensor_only=_BOTH, bool=_int_kernel, float=_int_kernel,
                        complex=_int_kernel))
defop("bitwise_not(Tensor self)", jnp.invert, dtype=_bits("bitwise_not_cpu"), inplace=True,
      differentiable=False)

_NO_COMPLEX_INF = {n: says(f"{n} does not support complex inputs.", RuntimeError) for n in ("isposinf", "isneginf")}
for _name, _fn in [("isnan", jnp.isnan), ("isinf", jnp.isinf), ("isfinite", jnp.isfinite),
                   ("isposinf", jnp.isposinf), ("isneginf", jnp.isneginf), ("signbit", jnp.signbit),
                   ("isreal", jnp.isreal)]:
    _rej = {"complex": _NO_COMPLEX_INF[_name]} if _name in _NO_COMPLEX_INF else \
        {"complex": says("signbit is not implemented for complex tensors.")} if _name == "signbit" else {}
    defop(f"{_name}(Tensor self)", _fn, dtype=checked("keep", **_rej), differentiable=False, out=False)


def _nan_to_num(x, nan, posinf, neginf):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return jnp.nan_to_num(x, nan=0.0 if nan is None else nan, posinf=posinf, neginf=neginf)


defop("nan_to_num(Tensor self, float? nan=0.0, float? posinf=None, float? neginf=None)", _nan_to_num,
      dtype="keep", inplace=True)


# ---- clamp / where ------------------------------------------------------------------
def _clamp_min(x, lo):
    """``max(x, lo)`` with PyTorch's gradient: all of it to ``x`` where ``x >= lo`` (bound included)."""
    lo = jnp.asarray(lo).astype(x.dtype)
    return jnp.where(x < lo, lo, x)


def _clamp_max(x, hi):
    hi = jnp.asarray(hi).astype(x.dtype)
    return jnp.where(x > hi, hi, x)


def _clamp(x, lo, hi):
    if lo is not None:
        x = _clamp_min(x, lo)
    if hi is not None:
        x = _clamp_max(x, hi)
    return x


def _clamp_name(args, statics):
    return "ClampBackward0" if any(isinstance(a, R._Tensor) for a in args[1:]) else "ClampBackward1"


def _clamp_dtype(args, statics):
    if args[1] is None and args[2] is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = _promoted([a for a in args if a is not None])
    if d.category == D.COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    return d


defop("clamp(Tensor self, Tensor? min=None, Tensor? max=None)", _clamp, inplace=True, grad=_clamp_name,
      dtype=_clamp_dtype, aliases=("clip",))
defop("clamp_min(Tensor self, Tensor min)", _clamp_min, inplace=True)
defop("clamp_max(Tensor self, Tensor max)", _clamp_max, inplace=True)


def _where(cond, a, b):
    return jnp.where(cond, a, b)


def _where_condition(cond):
    if isinstance(cond, R._Tensor) and cond._dtype is not D.bool and cond._dtype is not D.uint8:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_type_word(cond._dtype)}")


_where3 = defop("where(Index condition, Tensor self, Tensor other)", _where, dtype="promote", method=False,
                function=False).function     # published below: where(cond) is nonzero


def where(condition, input=None, other=None, *, out=None):
    """``where(cond, x, y)`` selects; ``where(cond)`` is ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        return FUNCTIONS["nonzero"](condition, as_tuple=True)
    _where_condition(condition)
    return _where3(condition, input, other, out=out)


def where_method(self, condition, other):
    """``x.where(cond, y)`` is ``torch.where(cond, x, y)``."""
    return where(condition, self, other)


publish("where", where)
publish("where", method=where_method)


def _masked_fill(x, mask, value):
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


# the C++ type names PyTorch's messages use
_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _masked_fill_rule(args, statics=None):
    x, mask, value = args
    if mask._dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPES[mask._dtype.name]}")
    if isinstance(value, R._Tensor) and value._ndim():
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._ndim()} dimension(s).")
    check_fill_value(value, x._dtype)
    return None


_CHECKED_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                  "int64": "int64_t", "int32": "int32_t", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
                  "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t"}


def check_fill_value(value, dtype):
    """PyTorch's check that a fill value (a number, or a concrete 0-dim tensor) fits ``dtype``: a complex
    value with an imaginary part for a real dtype, or a value out of the dtype's range, is refused."""
    if isinstance(value, R._Tensor):
        a = value._arr()
        if isinstance(a, jax.core.Tracer):
            return
        value = a.item()
    if dtype is D.bool or dtype.category == D.COMPLEX or value is None or isinstance(value, bool):
        return
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[dtype.name]} without overflow")
        value = value.real
    if dtype.category == D.FLOAT:
        if math.isfinite(value) and abs(value) > float(jnp.finfo(dtype.np).max):
            raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[dtype.name]} without overflow")
        return
    info = jnp.iinfo(dtype.np)
    if isinstance(value, float) and not math.isfinite(value) or not info.min <= value <= info.max:
        raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[dtype.name]} without overflow")


_masked_fill_rule.with_indices = True
defop("masked_fill(Tensor self, Index mask, Tensor? value)", _masked_fill, dtype=_masked_fill_rule, inplace=True,
      grad=lambda args, statics: "MaskedFillBackward1" if isinstance(args[2], R._Tensor) else "MaskedFillBackward0")


def result_type(tensor, other):
    """torch.result_type(tensor, other): the dtype an arithmetic op on the two would compute in.

    Each argument is a Tensor or a Python/numpy scalar."""
    dims, zeros, scalars = [], [], []
    for x in (tensor, other):
        if isinstance(x, R._Tensor):
            (dims if x.ndim else zeros).append(x.dtype)
        else:
            try:
                scalars.append(D.scalar_dtype(x))
            except TypeError:
                raise TypeError(f"result_type() received an invalid combination of arguments - got "
                                f"({type(tensor).__name__}, {type(other).__name__})") from None
    return D.promote_tiers(dims, zeros, scalars)


# ---- more binary and complex-number ops -----------------------------------------------
def _addcmul(c, t1, t2, value):
    if not jnp.issubdtype(c.dtype, jnp.inexact) and c.dtype != jnp.bool_:
        value = int(value)
    return (c + value * t1 * t2 if value != 1 else c + t1 * t2).astype(jnp.result_type(c, t1, t2))


def _addcdiv(c, t1, t2, value):
    if not jnp.issubdtype(t1.dtype, jnp.inexact) and not jnp.issubdtype(t2.dtype, jnp.inexact):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return c + value * (t1 / t2) if value != 1 else c + t1 / t2


_op("addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1)", _addcmul, inplace=True)
_op("addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1)", _addcdiv, inplace=True)


# ---- elementwise -------------------------------------------------------------------------------------
_op("logaddexp(Tensor self, Tensor other)", jnp.logaddexp,
    dtype=_tensors_only(_float_only("logaddexp"), "logaddexp", ("input", "other")))
_op("logaddexp2(Tensor self, Tensor other)", jnp.logaddexp2,
    dtype=_tensors_only(_float_only("logaddexp2"), "logaddexp2", ("input", "other")))


def _heaviside_dtype(args, statics=None):
    a, b = args
    if hasattr(a, "_dtype") and hasattr(b, "_dtype") and a._dtype is not b._dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
    return rule_promote(args)


_op("heaviside(Tensor self, Tensor values)", lambda x, v: jnp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype),
    dtype=_tensors_only(_heaviside_dtype, "heaviside", ("input", "values")), differentiable=False, inplace=True)
def _nextafter(x, y):
    """The next representable value; PyTorch's gradient is 1 w.r.t. ``self`` and 0 w.r.t. ``other``."""
    return x + (jnp.nextafter(lax.stop_gradient(x), lax.stop_gradient(y)) - lax.stop_gradient(x))


_op("nextafter(Tensor self, Tensor other)", _nextafter,
    dtype=_tensors_only(_float_only("nextafter"), "nextafter", ("input", "other")), inplace=True)


def _ldexp(x, e):
    return x * jnp.exp2(e.astype(x.dtype))


_op("ldexp(Tensor self, Tensor other)", _ldexp, dtype=_tensors_only("float", "ldexp", ("input", "other")),
    grad="MulBackward0", inplace=True)


def _frexp(x):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = jnp.frexp(x)
    return m, e.astype(jnp.int32)


_op("frexp(Tensor self)", _frexp, dtype="keep", returns=("mantissa", "exponent"))


def _igamma_dtype(args, statics=None):
    return _float_only("igamma")(args)


_op("igamma(Tensor self, Tensor other)", jsp.gammainc, dtype=_tensors_only(_igamma_dtype, "igamma", ("input", "other")),
    differentiable=False, inplace=True)
_op("igammac(Tensor self, Tensor other)", jsp.gammaincc,
    dtype=_tensors_only(_igamma_dtype, "igammac", ("input", "other")), differentiable=False, inplace=True)


def _complex(re, im):
    if re.dtype != im.dtype:
        raise RuntimeError(f"Expected object of scalar type {_type_word(D._BY_NP[re.dtype])} but got scalar type "
                           f"{_type_word(D._BY_NP[im.dtype])} for second argument")
    if not jnp.issubdtype(re.dtype, jnp.floating):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_type_word(D._BY_NP[re.dtype])} and {_type_word(D._BY_NP[im.dtype])}")
    return lax.complex(*jnp.broadcast_arrays(re, im))


_op("complex(Tensor real, Tensor imag)", _complex, dtype=_tensors_only("keep", "complex", ("real", "imag")),
    method=False)
_op("polar(Tensor abs, Tensor angle)", lambda r, t: _complex(r * jnp.cos(t), r * jnp.sin(t)),
    dtype=_tensors_only("keep", "polar", ("abs", "angle")), method=False)


def _view_as_complex(x):
    if x.shape[-1:] != (2,):
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise RuntimeError("view_as_complex is only supported for floating point tensors")
    return lax.complex(x[..., 0], x[..., 1])


_op("view_as_complex(Tensor self)", _view_as_complex, dtype="keep", method=False)


def _view_as_real(x):
    if not jnp.iscomplexobj(x):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([x.real, x.imag], axis=-1)


# a copy, not a view: JAX has no reinterpreting view of a complex buffer (docs/differences.md)
_op("view_as_real(Tensor self)", _view_as_real, dtype=lambda args, statics=None: None, method=False,
    grad="ViewAsRealBackward0")


# out= must have complex's result dtype exactly (the registry's default accepts any it can cast to)
OPS["complex"].out_exact_dtype = True
