"""Elementwise, operator and misc ops against PyTorch: values, dtypes, grad_fn names, gradients.

Table-driven: each case is ``(id, fn, inputs)`` where ``fn(T, *tensors)`` runs
the op with ``T`` = torch or torchlike and ``inputs`` are numpy arrays (turned
into tensors; float arrays require grad) or Python values (passed as is).
``check`` compares the forward result (shape, dtype, values, grad_fn name)
and the gradients of ``sum(out * cotangent)`` w.r.t. every float input.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from harness import assert_same, data, is_tensor, run, same

F32 = np.float32

# ---- the checker ---------------------------------------------------------------


def _flat(x):
    if is_tensor(x):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for y in x for t in _flat(y)]
    return []


def _leaf(T, a, grad):
    if isinstance(a, np.ndarray):
        return T.tensor(a, requires_grad=grad and a.dtype.kind == "f")
    return a


def with_grads(fn, inputs, grad=True):
    """``T -> (out, grads)``: run ``fn`` on tensors built from ``inputs``, then differentiate."""
    def f(T):
        xs = [_leaf(T, a, grad) for a in inputs]
        out = fn(T, *xs)
        leaves = [x for x in xs if is_tensor(x) and x.requires_grad]
        diff = [o for o in _flat(out) if o.requires_grad]
        if not leaves or not diff:
            return out
        loss = None
        for i, o in enumerate(diff):
            cot = T.tensor(data(*o.shape, seed=100 + i), dtype=o.dtype)
            term = (o * cot).sum()
            loss = term if loss is None else loss + term
        grads = T.autograd.grad(loss, leaves, allow_unused=True)
        # PyTorch may hand back a lazy ZeroTensor (e.g. sgn's gradient): compare its values
        return out, tuple(T.zeros_like(g) if getattr(g, "_is_zerotensor", lambda: False)() else g
                          for g in grads)
    return f


def check(fn, inputs, grad=True, **tol):
    same(with_grads(fn, inputs, grad), **tol)


def ids(cases):
    return [c[0] for c in cases]


# ---- inputs ------------------------------------------------------------------------
X = data(3, 4, seed=1)                       # general float32 input in [-2, 2]
Y = data(3, 4, seed=2)
Y_ROW = data(4, seed=3)                      # broadcasts against X
POS = data(3, 4, seed=4, low=0.1, high=3.0)  # log/sqrt domain
POS2 = data(3, 4, seed=5, low=0.1, high=3.0)
UNIT = data(3, 4, seed=6, low=-0.9, high=0.9)  # asin/acos/atanh/erfinv domain
GT1 = data(3, 4, seed=7, low=1.1, high=3.0)    # acosh domain
PROB = data(3, 4, seed=8, low=0.05, high=0.95)
S0 = np.array(1.5, dtype=F32)                # 0-dim tensor input
XI = data(3, 4, seed=9, dtype=np.int64, low=-5, high=5)
YI = np.where(data(3, 4, seed=10, dtype=np.int64, low=-4, high=4) == 0, 3,
              data(3, 4, seed=10, dtype=np.int64, low=-4, high=4)).astype(np.int64)  # no zero divisors
WITH_SPECIALS = np.array([[0.5, -1.0, np.nan, np.inf], [-np.inf, 0.0, -0.0, 3.0e38]], dtype=F32)
HALVES = np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, -0.49, 3.7]], dtype=F32)


# ---- unary elementwise, float32, value + grad -----------------------------------------
# (name, domain input)
UNARY = [
    ("sin", X), ("cos", X), ("tan", UNIT), ("asin", UNIT), ("acos", UNIT), ("atan", X),
    ("arcsin", UNIT), ("arccos", UNIT), ("arctan", X),
    ("sinh", X), ("cosh", X), ("tanh", X), ("asinh", X), ("acosh", GT1), ("atanh", UNIT),
    ("arcsinh", X), ("arccosh", GT1), ("arctanh", UNIT),
    ("exp", X), ("exp2", X), ("expm1", X), ("log", POS), ("log2", POS), ("log10", POS),
    ("log1p", UNIT), ("sqrt", POS), ("rsqrt", POS), ("sigmoid", X), ("relu", X),
    ("erf", X), ("erfc", X), ("erfinv", UNIT), ("reciprocal", POS), ("lgamma", POS),
    ("digamma", POS), ("i0", X), ("sinc", X), ("logit", PROB), ("deg2rad", X), ("rad2deg", X),
    ("neg", X), ("negative", X), ("abs", X), ("absolute", X), ("ceil", X), ("floor", X),
    ("round", HALVES), ("trunc", X), ("fix", X), ("frac", X), ("sign", X), ("sgn", X),
    ("square", X), ("positive", X), ("angle", X), ("conj", X), ("conj_physical", X),
    ("nan_to_num", X), ("signbit", X), ("isnan", WITH_SPECIALS), ("isinf", WITH_SPECIALS),
    ("isfinite", WITH_SPECIALS), ("isposinf", WITH_SPECIALS), ("isneginf", WITH_SPECIALS),
    ("isreal", X), ("logical_not", X),
]


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_function(name, x):
    check(lambda T, a: getattr(T, name)(a), [x])


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_method(name, x):
    check(lambda T, a: getattr(a, name)(), [x])


# aliases share their op (and its compiled code): the sweeps below run each op once
ALIASES = {"arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "negative", "absolute", "fix",
           "subtract", "multiply", "divide", "true_divide", "arctan2", "not_equal", "less", "less_equal",
           "greater", "greater_equal"}
UNARY_OPS = [u for u in UNARY if u[0] not in ALIASES]


@pytest.mark.parametrize("name,x", UNARY_OPS, ids=[u[0] for u in UNARY_OPS])
def test_unary_0dim(name, x):
    check(lambda T, a: getattr(T, name)(a), [np.asarray(x.reshape(-1)[1])])


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_inplace(name, x):
    """``x.clone().name_()``: same values and grad_fn as torch (or the same error if no name_)."""
    def f(T, a):
        y = a.clone()
        return getattr(y, name + "_")()
    check(f, [x])


# ---- unary dtype behaviour -----------------------------------------------------------
SWEEP_DTYPES = ["int64", "int32", "uint8", "bool", "float16", "float64", "complex64"]


def _as_dtype(x, dtype):
    """``x`` cast to ``dtype``, keeping the op's domain as well as the dtype allows."""
    if dtype == "bool":
        return x > np.median(x)
    if dtype in ("int64", "int32", "uint8"):
        lo = 0 if dtype == "uint8" else -3
        v = np.clip(np.round(x * 2), lo, 5)
        if x.min() > 0:                       # positive domain: keep it positive
            v = np.clip(v, 1, 5)
        if x.min() > -1 and x.max() < 1:      # (-1, 1) domain: only 0 fits
            v = np.zeros_like(v)
        return v.astype(dtype)
    if dtype == "complex64":
        return (x + 0.25j * x[::-1]).astype(np.complex64)
    return x.astype(dtype)


# int32 takes the int64 code path except where an op keeps the integer dtype: sweep those only
INT32_OPS = {"neg", "abs", "ceil", "floor", "round", "trunc", "frac", "sign", "sgn", "square", "relu", "positive",
             "sqrt", "sigmoid", "signbit", "isnan", "logical_not", "nan_to_num"}
UNARY_SWEEP = [(name, x, dt) for name, x in UNARY_OPS for dt in SWEEP_DTYPES if dt != "int32" or name in INT32_OPS]


@pytest.mark.parametrize("name,x,dtype", UNARY_SWEEP, ids=[f"{n}-{d}" for n, _, d in UNARY_SWEEP])
def test_unary_dtypes(name, x, dtype):
    # float16: torch computes in float32 and rounds once; XLA may round intermediate steps
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == "float16" else dict(rtol=2e-5, atol=1e-5)
    same(lambda T: getattr(T, name)(T.tensor(_as_dtype(x, dtype))), **tol)


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_decimals(decimals):
    xs = (data(3, 4, seed=11) * 50).astype(F32)
    check(lambda T, a: T.round(a, decimals=decimals), [xs])
    check(lambda T, a: a.round(decimals=decimals), [xs])


def test_round_half_to_even():
    check(lambda T, a: T.round(a), [HALVES])


NAN_TO_NUM = [
    ("default", lambda T, a: T.nan_to_num(a)),
    ("nan", lambda T, a: T.nan_to_num(a, nan=7.0)),
    ("all", lambda T, a: T.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-3.0)),
    ("posinf_only", lambda T, a: a.nan_to_num(posinf=9.0)),
    ("inplace", lambda T, a: a.clone().nan_to_num_(nan=-1.0)),
]


@pytest.mark.parametrize("name,fn", NAN_TO_NUM, ids=ids(NAN_TO_NUM))
def test_nan_to_num(name, fn):
    check(fn, [WITH_SPECIALS])
    same(lambda T: fn(T, T.tensor(WITH_SPECIALS.astype(np.float64))))
    same(lambda T: fn(T, T.tensor(WITH_SPECIALS.astype(np.float16))))
    same(lambda T: fn(T, T.tensor(XI)))


# ---- binary elementwise ----------------------------------------------------------------
# (name, domain): "any"; "div": nonzero divisor; "pow": positive base, small exponent;
# "shift": shift amount in [0, 3]; "log": positive second operand; "bits": integer-only op.
BINARY = [
    ("add", "any"), ("sub", "any"), ("subtract", "any"), ("mul", "any"), ("multiply", "any"),
    ("div", "div"), ("divide", "div"), ("true_divide", "div"), ("floor_divide", "div"),
    ("remainder", "div"), ("fmod", "div"), ("pow", "pow"), ("float_power", "pow"),
    ("atan2", "any"), ("arctan2", "any"), ("hypot", "any"), ("maximum", "any"), ("minimum", "any"),
    ("fmax", "any"), ("fmin", "any"), ("copysign", "any"), ("xlogy", "log"),
    ("eq", "any"), ("ne", "any"), ("not_equal", "any"), ("lt", "any"), ("less", "any"),
    ("le", "any"), ("less_equal", "any"), ("gt", "any"), ("greater", "any"), ("ge", "any"),
    ("greater_equal", "any"), ("logical_and", "any"), ("logical_or", "any"), ("logical_xor", "any"),
    ("bitwise_and", "bits"), ("bitwise_or", "bits"), ("bitwise_xor", "bits"),
    ("bitwise_left_shift", "shift"), ("bitwise_right_shift", "shift"),
]


def operand(dtype, seed, domain, second, shape=(3, 4)):
    """A numpy operand of ``dtype`` inside ``domain`` (``second``: the right-hand operand)."""
    if dtype == "bool":
        v = data(*shape, seed=seed, dtype=np.bool_)
        return np.ones(shape, bool) if domain == "div" and second else v
    if np.dtype(dtype).kind in "iu":
        lo = 0 if dtype == "uint8" else -4
        if domain == "pow" or domain == "shift":
            lo = 0
        hi = 3 if (domain in ("pow", "shift") and second) else 6
        v = data(*shape, seed=seed, dtype=np.int64, low=lo, high=hi)
        if domain in ("div", "log") and second:
            v = np.where(v == 0, 2, v)
        return v.astype(dtype)
    lo, hi = -2.0, 2.0
    if (domain == "pow" and not second) or (domain == "log" and second):
        lo = 0.1
    v = data(*shape, seed=seed, low=lo, high=hi)
    if domain == "div" and second:
        v = np.where(np.abs(v) < 0.2, 0.7, v).astype(F32)
    if dtype == "complex64":
        return (v + 0.5j * v[..., ::-1]).astype(np.complex64)
    return v.astype(dtype)


def _binary_inputs(domain, da, db, shape_b=(3, 4)):
    return operand(da, 21, domain, False), operand(db, 22, domain, True, shape_b)


FLOAT_FORMS = [  # how the second operand is given
    ("same_shape", lambda domain: _binary_inputs(domain, "float32", "float32")),
    ("broadcast", lambda domain: _binary_inputs(domain, "float32", "float32", (4,))),
    ("zero_dim", lambda domain: _binary_inputs(domain, "float32", "float32", ())),
]


@pytest.mark.parametrize("form,make", FLOAT_FORMS, ids=ids(FLOAT_FORMS))
@pytest.mark.parametrize("name,domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_float32(name, domain, form, make):
    a, b = make(domain)
    check(lambda T, x, y: getattr(T, name)(x, y), [a, b])
    check(lambda T, x, y: getattr(x, name)(y), [a, b])


SCALARS = [("int", 2), ("float", 1.5), ("neg_float", -0.75), ("bool", True)]


@pytest.mark.parametrize("sname,scalar", SCALARS, ids=ids(SCALARS))
@pytest.mark.parametrize("name,domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_scalar(name, domain, sname, scalar):
    a = operand("float32", 21, domain, False)
    check(lambda T, x: getattr(T, name)(x, scalar), [a])
    ai = operand("int64", 21, domain, False)
    same(lambda T: getattr(T, name)(T.tensor(ai), scalar))


DTYPE_PAIRS = [
    ("int64", "int64"), ("int32", "int64"), ("uint8", "uint8"), ("bool", "bool"),
    ("float16", "float16"), ("float64", "float32"), ("int64", "float32"), ("bool", "float16"),
    ("complex64", "float32"), ("int32", "0d_float64"), ("uint8", "0d_int64"),
]
BINARY_OPS = [b for b in BINARY if b[0] not in ALIASES]


@pytest.mark.parametrize("da,db", DTYPE_PAIRS, ids=[f"{a}-{b}" for a, b in DTYPE_PAIRS])
@pytest.mark.parametrize("name,domain", BINARY_OPS, ids=[b[0] for b in BINARY_OPS])
def test_binary_dtypes(name, domain, da, db):
    shape_b = (3, 4)
    if db.startswith("0d_"):
        db, shape_b = db[3:], ()
    a, b = _binary_inputs(domain, da, db, shape_b)
    tol = dict(rtol=2e-3, atol=2e-3) if "float16" in (da, db) else dict(rtol=2e-5, atol=1e-5)
    same(lambda T: getattr(T, name)(T.tensor(a), T.tensor(b)), **tol)


# ---- Python operators ------------------------------------------------------------------
OPERATORS = [
    ("add", lambda T, a, b: a + b), ("sub", lambda T, a, b: a - b), ("mul", lambda T, a, b: a * b),
    ("truediv", lambda T, a, b: a / b), ("floordiv", lambda T, a, b: a // b), ("mod", lambda T, a, b: a % b),
    ("pow", lambda T, a, b: a.abs() ** b), ("matmul", lambda T, a, b: a @ b.T),
    ("and", lambda T, a, b: a & b), ("or", lambda T, a, b: a | b), ("xor", lambda T, a, b: a ^ b),
    ("lshift", lambda T, a, b: a << b), ("rshift", lambda T, a, b: a >> b),
    ("eq", lambda T, a, b: a == b), ("ne", lambda T, a, b: a != b), ("lt", lambda T, a, b: a < b),
    ("le", lambda T, a, b: a <= b), ("gt", lambda T, a, b: a > b), ("ge", lambda T, a, b: a >= b),
]
INT_A = data(3, 4, seed=31, dtype=np.int64, low=-6, high=6)
INT_B = np.where(data(3, 4, seed=32, dtype=np.int64, low=0, high=3) == 0, 1,
                 data(3, 4, seed=32, dtype=np.int64, low=0, high=3)).astype(np.int64)
FLOAT_B = np.where(np.abs(Y) < 0.2, 0.7, Y).astype(F32)


@pytest.mark.parametrize("name,fn", OPERATORS, ids=ids(OPERATORS))
def test_operator_float(name, fn):
    check(fn, [X, FLOAT_B])


@pytest.mark.parametrize("name,fn", OPERATORS, ids=ids(OPERATORS))
def test_operator_int(name, fn):
    same(lambda T: fn(T, T.tensor(INT_A), T.tensor(INT_B)))
    same(lambda T: fn(T, T.tensor(INT_A > 0), T.tensor(INT_B > 1)))


@pytest.mark.parametrize("scalar", [3, -2, 2.5, True], ids=["int", "neg_int", "float", "bool"])
@pytest.mark.parametrize("name,fn", [o for o in OPERATORS if o[0] != "matmul"],
                         ids=[o[0] for o in OPERATORS if o[0] != "matmul"])
def test_operator_scalar_both_sides(name, fn, scalar):
    """``x op s`` and the reflected ``s op x``, on float and int tensors."""
    check(lambda T, a: fn(T, a, scalar), [POS])
    check(lambda T, a: fn(T, scalar, a), [POS])
    same(lambda T: fn(T, T.tensor(INT_B), scalar))
    same(lambda T: fn(T, scalar, T.tensor(INT_B)))


UNARY_OPERATORS = [
    ("neg", lambda T, a: -a), ("pos", lambda T, a: +a), ("abs", lambda T, a: abs(a)), ("invert", lambda T, a: ~a),
]


@pytest.mark.parametrize("name,fn", UNARY_OPERATORS, ids=ids(UNARY_OPERATORS))
def test_unary_operators(name, fn):
    check(fn, [X])
    for dt in ("int64", "uint8", "bool"):
        same(lambda T: fn(T, T.tensor(_as_dtype(X, dt))))


INPLACE_OPERATORS = [
    ("iadd", "+="), ("isub", "-="), ("imul", "*="), ("itruediv", "/="), ("ifloordiv", "//="), ("imod", "%="),
    ("ipow", "**="), ("iand", "&="), ("ior", "|="), ("ixor", "^="), ("ilshift", "<<="), ("irshift", ">>="),
]


def _inplace(op):
    ns = {}
    exec(f"def f(a, b):\n    a {op} b\n    return a\n", ns)
    return ns["f"]


@pytest.mark.parametrize("name,op", INPLACE_OPERATORS, ids=ids(INPLACE_OPERATORS))
def test_inplace_operators(name, op):
    f = _inplace(op)
    # float: on a non-leaf (records the in-place grad_fn), with a tensor and with a scalar
    check(lambda T, a, b: f(a * 1, b), [POS, FLOAT_B])
    check(lambda T, a: f(a * 1, 2), [POS])
    # the result is the same object
    same(lambda T: (lambda t: f(t, 2) is t)(T.tensor(POS)))
    # int and bool tensors; int /= int cannot cast the float result back
    same(lambda T: f(T.tensor(INT_A), T.tensor(INT_B)))
    same(lambda T: f(T.tensor(INT_A), 2))
    same(lambda T: f(T.tensor(INT_A), 1.5))
    same(lambda T: f(T.tensor(INT_A > 0), T.tensor(INT_B > 1)))
    # a leaf that requires grad cannot be modified in place
    same(lambda T: f(T.tensor(POS, requires_grad=True), 2))


def test_inplace_operator_broadcast_errors():
    same(lambda T: (lambda a: a.__iadd__(T.ones(2, 3, 4)))(T.ones(3, 4)))
    check(lambda T, a, b: f_iadd(a * 1, b), [X, Y_ROW])


def f_iadd(a, b):
    a += b
    return a


# ---- ops with several overloads -------------------------------------------------------
LO = data(3, 4, seed=41, low=-1.5, high=0.0)
HI = data(3, 4, seed=42, low=0.0, high=1.5)
CLAMP = [
    ("scalars", lambda T, x: T.clamp(x, -0.5, 0.5)),
    ("min_only", lambda T, x: T.clamp(x, min=-0.5)),
    ("max_only", lambda T, x: T.clamp(x, max=0.5)),
    ("int_bounds", lambda T, x: T.clamp(x, -1, 1)),
    ("method", lambda T, x: x.clamp(-1.0, 1.0)),
    ("clip", lambda T, x: T.clip(x, -0.5, 0.5)),
    ("clip_method_max", lambda T, x: x.clip(max=0.25)),
    ("inverted_bounds", lambda T, x: T.clamp(x, 1.0, -1.0)),
    ("none", lambda T, x: T.clamp(x)),
    ("none_none", lambda T, x: T.clamp(x, None, None)),
    ("clamp_min", lambda T, x: T.clamp_min(x, 0.1)),
    ("clamp_max", lambda T, x: x.clamp_max(0.1)),
    ("inplace", lambda T, x: (x * 1).clamp_(-0.5, 0.5)),
    ("inplace_min", lambda T, x: (x * 1).clamp_(min=0.0)),
]


@pytest.mark.parametrize("name,fn", CLAMP, ids=ids(CLAMP))
def test_clamp(name, fn):
    check(fn, [X])
    same(lambda T: fn(T, T.tensor(XI)))


CLAMP_TENSORS = [
    ("both", lambda T, x, lo, hi: T.clamp(x, lo, hi)),
    ("min_tensor", lambda T, x, lo, hi: T.clamp(x, min=lo)),
    ("max_tensor", lambda T, x, lo, hi: T.clamp(x, max=hi)),
    ("broadcast_row", lambda T, x, lo, hi: T.clamp(x, lo[0], hi[1])),
    ("clip_method", lambda T, x, lo, hi: x.clip(lo, hi)),
    ("inplace", lambda T, x, lo, hi: (x * 1).clamp_(lo, hi)),
]


@pytest.mark.parametrize("name,fn", CLAMP_TENSORS, ids=ids(CLAMP_TENSORS))
def test_clamp_tensor_bounds(name, fn):
    check(fn, [X, LO, HI])


CLAMP_DTYPES = [
    ("int_tensor_float_bound", lambda T: T.clamp(T.tensor(XI), 0.5)),
    ("int_tensor_float_tensor_bound", lambda T: T.clamp(T.tensor(XI), T.tensor(LO))),
    ("uint8_int_bound", lambda T: T.clamp(T.tensor(_as_dtype(X, "uint8")), 1, 3)),
    ("bool", lambda T: T.clamp(T.tensor(X > 0), 0, 1)),
    ("float16", lambda T: T.clamp(T.tensor(X.astype(np.float16)), -0.5, 0.5)),
    ("float64_tensor_bound", lambda T: T.clamp(T.tensor(X), T.tensor(LO.astype(np.float64)))),
    ("complex", lambda T: T.clamp(T.tensor(X.astype(np.complex64)), 0.0)),
    ("int_inplace_float_bound", lambda T: T.tensor(XI).clamp_(0.5)),
    ("nan", lambda T: T.clamp(T.tensor(WITH_SPECIALS), -1.0, 1.0)),
]


@pytest.mark.parametrize("name,fn", CLAMP_DTYPES, ids=ids(CLAMP_DTYPES))
def test_clamp_dtypes(name, fn):
    same(fn)


# pow: every scalar/tensor combination (PowBackward0: Tensor ** Scalar, PowBackward1: Tensor ** Tensor,
# PowBackward2: Scalar ** Tensor)
POW = [
    ("tensor_tensor", lambda T, a, b: T.pow(a, b)),
    ("tensor_int", lambda T, a, b: T.pow(a, 3)),
    ("tensor_float", lambda T, a, b: a.pow(0.5)),
    ("tensor_neg_int", lambda T, a, b: a ** -2),
    ("tensor_zero", lambda T, a, b: a ** 0),
    ("tensor_one", lambda T, a, b: a ** 1),
    ("int_tensor", lambda T, a, b: T.pow(2, b)),
    ("float_tensor", lambda T, a, b: 1.5 ** b),
    ("tensor_0dim", lambda T, a, b: a ** b[0, 0]),
    ("broadcast", lambda T, a, b: a ** b[0]),
    ("inplace_tensor", lambda T, a, b: (a * 1).pow_(b)),
    ("inplace_scalar", lambda T, a, b: (a * 1).pow_(2)),
    ("square", lambda T, a, b: T.square(a)),
    ("float_power", lambda T, a, b: T.float_power(a, b)),
    ("float_power_scalar", lambda T, a, b: T.float_power(a, 2)),
    ("float_power_scalar_base", lambda T, a, b: T.float_power(2, b)),
]


@pytest.mark.parametrize("name,fn", POW, ids=ids(POW))
def test_pow(name, fn):
    check(fn, [POS, Y])


POW_DTYPES = [
    ("int_int_scalar", lambda T: T.tensor(INT_A) ** 2),
    ("int_neg_int_scalar", lambda T: T.tensor(INT_A) ** -1),
    ("int_float_scalar", lambda T: T.tensor(INT_B) ** -1.0),
    ("int_tensor_tensor", lambda T: T.tensor(INT_A) ** T.tensor(INT_B)),
    ("scalar_int_tensor", lambda T: 2 ** T.tensor(INT_B)),
    ("scalar_float_int_tensor", lambda T: 2.5 ** T.tensor(INT_B)),
    ("bool_int", lambda T: T.tensor(INT_A > 0) ** 2),
    ("bool_bool", lambda T: T.tensor(INT_A > 0) ** T.tensor(INT_B > 1)),
    ("uint8", lambda T: T.tensor(INT_B.astype(np.uint8)) ** 3),
    ("float16_0dim_float64", lambda T: T.tensor(POS.astype(np.float16)) ** T.tensor(2.0, dtype=T.float64)),
    ("int_float_tensor", lambda T: T.tensor(INT_B) ** T.tensor(Y)),
    ("complex", lambda T: T.tensor(X.astype(np.complex64)) ** 2),
    ("int_inplace_float", lambda T: T.tensor(INT_B).pow_(0.5)),
    ("float_power_int", lambda T: T.float_power(T.tensor(INT_B), 2)),
    ("float_power_complex", lambda T: T.float_power(T.tensor(X.astype(np.complex64)), 2)),
    ("float_power_inplace_float32", lambda T: T.tensor(POS).float_power_(2)),
    ("float_power_inplace_float64", lambda T: T.tensor(POS.astype(np.float64)).float_power_(2)),
]


@pytest.mark.parametrize("name,fn", POW_DTYPES, ids=ids(POW_DTYPES))
def test_pow_dtypes(name, fn):
    same(fn)


LERP = [
    ("scalar_weight", lambda T, a, b, w: T.lerp(a, b, 0.3)),
    ("tensor_weight", lambda T, a, b, w: T.lerp(a, b, w)),
    ("method", lambda T, a, b, w: a.lerp(b, w)),
    ("broadcast_end", lambda T, a, b, w: T.lerp(a, b[0], 0.5)),
    ("inplace", lambda T, a, b, w: (a * 1).lerp_(b, w)),
    ("weight_above_half", lambda T, a, b, w: T.lerp(a, b, 0.75)),
]


@pytest.mark.parametrize("name,fn", LERP, ids=ids(LERP))
def test_lerp(name, fn):
    check(fn, [X, Y, PROB])


def test_lerp_dtype_errors():
    same(lambda T: T.lerp(T.tensor(X), T.tensor(Y.astype(np.float64)), 0.5))
    same(lambda T: T.lerp(T.tensor(XI), T.tensor(XI), 0.5))
    same(lambda T: T.lerp(T.tensor(X), T.tensor(Y), T.tensor(PROB.astype(np.float64))))


WHERE = [
    ("tensors", lambda T, c, a, b: T.where(c, a, b)),
    ("scalar_other", lambda T, c, a, b: T.where(c, a, 0.0)),
    ("scalar_self", lambda T, c, a, b: T.where(c, 1.5, b)),
    ("int_scalar", lambda T, c, a, b: T.where(c, a, 2)),
    ("both_scalars", lambda T, c, a, b: T.where(c, 1.0, 0.0)),
    ("broadcast", lambda T, c, a, b: T.where(c[0], a, b[1])),
    ("method", lambda T, c, a, b: a.where(c, b)),
    ("0dim", lambda T, c, a, b: T.where(c, a, b[0, 0])),
]


@pytest.mark.parametrize("name,fn", WHERE, ids=ids(WHERE))
def test_where(name, fn):
    check(fn, [X > 0, X, Y])


WHERE_DTYPES = [
    ("int_float", lambda T, c: T.where(c, T.tensor(XI), T.tensor(Y))),
    ("int_float_scalar", lambda T, c: T.where(c, T.tensor(XI), 2.5)),
    ("float16_float64", lambda T, c: T.where(c, T.tensor(X.astype(np.float16)), T.tensor(Y.astype(np.float64)))),
    ("float32_0dim_float64", lambda T, c: T.where(c, T.tensor(X), T.tensor(1.0, dtype=T.float64))),
    ("bool_bool", lambda T, c: T.where(c, T.tensor(X > 1), T.tensor(Y > 1))),
    ("uint8_int", lambda T, c: T.where(c, T.tensor(_as_dtype(X, "uint8")), 3)),
    ("int_condition", lambda T, c: T.where(T.tensor(XI), T.tensor(X), T.tensor(Y))),
    ("float_condition", lambda T, c: T.where(T.tensor(X), T.tensor(X), T.tensor(Y))),
    ("shape_mismatch", lambda T, c: T.where(c, T.tensor(X), T.tensor(data(5, seed=1)))),
]


@pytest.mark.parametrize("name,fn", WHERE_DTYPES, ids=ids(WHERE_DTYPES))
def test_where_dtypes(name, fn):
    same(lambda T: fn(T, T.tensor(X > 0)))


# division family on negative ints and floats, incl. rounding modes
NEG_INTS = np.array([[-7, -6, -5, -1], [0, 1, 5, 7], [-8, 8, 3, -3]], dtype=np.int64)
DIVISORS = np.array([[2, -2, 3, -3], [2, -2, 3, -3], [-4, 4, -4, 4]], dtype=np.int64)
NEG_FLOATS = np.array([[-7.5, -6.0, -5.25, -1.0], [0.0, 1.5, 5.0, 7.25], [-8.0, 8.0, 3.5, -3.5]], dtype=F32)
FLOAT_DIVISORS = np.array([[2.0, -2.0, 3.0, -3.0], [2.5, -2.5, 0.75, -0.75], [-4.0, 4.0, -4.0, 4.0]], dtype=F32)
DIVISION = [
    ("div", lambda T, a, b: T.div(a, b)),
    ("div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc")),
    ("div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor")),
    ("div_none", lambda T, a, b: a.div(b, rounding_mode=None)),
    ("div_bad_mode", lambda T, a, b: T.div(a, b, rounding_mode="round")),
    ("div_trunc_scalar", lambda T, a, b: T.div(a, 3, rounding_mode="trunc")),
    ("div_floor_scalar", lambda T, a, b: a.div(-3, rounding_mode="floor")),
    ("floor_divide", lambda T, a, b: T.floor_divide(a, b)),
    ("floordiv_scalar", lambda T, a, b: a // -2),
    ("remainder", lambda T, a, b: T.remainder(a, b)),
    ("remainder_scalar", lambda T, a, b: a % -3),
    ("fmod", lambda T, a, b: T.fmod(a, b)),
    ("fmod_scalar", lambda T, a, b: T.fmod(a, -3)),
    ("div_inplace_trunc", lambda T, a, b: (a * 1).div_(b, rounding_mode="trunc")),
]


@pytest.mark.parametrize("name,fn", DIVISION, ids=ids(DIVISION))
def test_division_negative(name, fn):
    same(lambda T: fn(T, T.tensor(NEG_INTS), T.tensor(DIVISORS)))
    check(fn, [NEG_FLOATS, FLOAT_DIVISORS])


@pytest.mark.parametrize("name,fn", DIVISION, ids=ids(DIVISION))
def test_integer_division_by_zero(name, fn):
    same(lambda T: fn(T, T.tensor(NEG_INTS), T.tensor(DIVISORS * (NEG_INTS > 0))))
    same(lambda T: fn(T, T.tensor(NEG_FLOATS), T.tensor(FLOAT_DIVISORS * (NEG_FLOATS > 0))))


def test_floor_divide_has_no_derivative():
    def f(T):
        x = T.tensor(NEG_FLOATS, requires_grad=True)
        y = x // 2
        name = y.grad_fn.name()
        y.sum().backward()
        return name
    same(f)
    same(lambda T: (lambda y: (type(y.grad_fn).__name__, y.grad_fn.name()))(
        T.floor_divide(T.tensor(NEG_FLOATS, requires_grad=True), 2)))
    same(lambda T: (lambda y: (type(y.grad_fn).__name__, y.grad_fn.name()))(
        T.remainder(2, T.tensor(POS, requires_grad=True))))


BINARY_EXTRA = [
    ("atan2_quadrants", lambda T, a, b: T.atan2(a, b), [X, Y]),
    ("atan2_inplace", lambda T, a, b: (a * 1).atan2_(b), [X, Y]),
    ("hypot", lambda T, a, b: T.hypot(a, b), [X, Y]),
    ("hypot_inplace", lambda T, a, b: (a * 1).hypot_(b), [X, Y]),
    ("xlogy", lambda T, a, b: T.xlogy(a, b), [X, POS]),
    ("xlogy_zero_x", lambda T, a, b: T.xlogy(a * 0, b), [X, POS]),
    ("xlogy_scalar_self", lambda T, a, b: T.xlogy(2.0, b), [X, POS]),
    ("xlogy_scalar_other", lambda T, a, b: T.xlogy(a, 3.0), [X, POS]),
    ("copysign", lambda T, a, b: T.copysign(a, b), [X, Y]),
    ("copysign_scalar", lambda T, a, b: T.copysign(a, -1.0), [X, Y]),
    ("maximum_ties", lambda T, a, b: T.maximum(a, a.detach().clone()), [X, Y]),
    ("minimum_ties", lambda T, a, b: T.minimum(a, a.detach().clone()), [X, Y]),
    ("maximum_nan", lambda T, a, b: T.maximum(a, b * float("nan")), [X, Y]),
    ("fmax_nan", lambda T, a, b: T.fmax(a, b * float("nan")), [X, Y]),
    ("add_alpha", lambda T, a, b: T.add(a, b, alpha=2.5), [X, Y]),
    ("sub_alpha", lambda T, a, b: a.sub(b, alpha=-2), [X, Y]),
    ("rsub", lambda T, a, b: T.rsub(a, b), [X, Y]),
    ("rsub_scalar", lambda T, a, b: T.rsub(a, 2), [X, Y]),
    ("rsub_alpha", lambda T, a, b: T.rsub(a, b, alpha=3), [X, Y]),
    ("add_scalar_self", lambda T, a, b: T.add(2, b), [X, Y]),
    ("mul_scalar_self", lambda T, a, b: T.mul(2.5, b), [X, Y]),
]


@pytest.mark.parametrize("name,fn,inputs", BINARY_EXTRA, ids=ids(BINARY_EXTRA))
def test_binary_extra(name, fn, inputs):
    check(fn, inputs)


def test_add_alpha_dtypes():
    same(lambda T: T.add(T.tensor(XI), T.tensor(XI), alpha=2))
    same(lambda T: T.add(T.tensor(XI), T.tensor(XI), alpha=2.5))
    same(lambda T: T.add(T.tensor(X > 0), T.tensor(X > 1), alpha=2))


LOGICAL = [
    ("and", lambda T, a, b: T.logical_and(a, b)), ("or", lambda T, a, b: a.logical_or(b)),
    ("xor", lambda T, a, b: T.logical_xor(a, b)), ("not", lambda T, a, b: T.logical_not(a)),
    ("and_inplace", lambda T, a, b: a.clone().logical_and_(b)),
    ("not_inplace", lambda T, a, b: a.clone().logical_not_()),
]


@pytest.mark.parametrize("name,fn", LOGICAL, ids=ids(LOGICAL))
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "bool"), ("uint8", "float64"),
                                    ("complex64", "float32")], ids=lambda d: "-".join(d))
def test_logical(name, fn, dtypes):
    a = operand(dtypes[0], 51, "any", False)
    b = operand(dtypes[1], 52, "any", True)
    a[0, 0] = 0
    same(lambda T: fn(T, T.tensor(a), T.tensor(b)))


# ---- matmul family --------------------------------------------------------------------
MATMUL_SHAPES = [
    ("1d@1d", (3,), (3,)), ("2d@1d", (2, 3), (3,)), ("1d@2d", (3,), (3, 4)), ("2d@2d", (2, 3), (3, 4)),
    ("3d@3d", (5, 2, 3), (5, 3, 4)), ("3d@2d", (5, 2, 3), (3, 4)), ("2d@3d", (2, 3), (5, 3, 4)),
    ("3d@1d", (5, 2, 3), (3,)), ("1d@3d", (3,), (5, 3, 4)), ("4d@4d", (2, 5, 2, 3), (2, 5, 3, 4)),
    ("4d@4d_broadcast", (2, 1, 2, 3), (1, 5, 3, 4)), ("batch1@3d", (1, 2, 3), (5, 3, 4)),
    ("batch1@3d_column", (1, 2, 3), (5, 3, 1)), ("3d@batch1", (5, 2, 3), (1, 3, 4)),
    ("4d@2d", (2, 5, 2, 3), (3, 4)), ("2d@4d", (2, 3), (2, 5, 3, 4)), ("4d@3d", (2, 5, 2, 3), (5, 3, 4)),
]


@pytest.mark.parametrize("name,sa,sb", MATMUL_SHAPES, ids=ids(MATMUL_SHAPES))
def test_matmul_shapes(name, sa, sb):
    a, b = data(*sa, seed=61), data(*sb, seed=62)
    check(lambda T, x, y: T.matmul(x, y), [a, b])
    check(lambda T, x, y: x @ y, [a, b])
    # only one side requires grad: PyTorch folds differently, and names the result accordingly
    check(lambda T, x, y: x @ T.tensor(b), [a, b])
    check(lambda T, x, y: T.tensor(a) @ y, [a, b])


MATMUL_ERRORS = [
    ("inner_mismatch", (2, 3), (4, 5)), ("1d_mismatch", (3,), (4,)), ("2d@1d_mismatch", (2, 3), (4,)),
    ("batch_mismatch", (2, 2, 3), (3, 3, 4)), ("0d", (), (3,)), ("3d@1d_mismatch", (5, 2, 3), (2,)),
]


@pytest.mark.parametrize("name,sa,sb", MATMUL_ERRORS, ids=ids(MATMUL_ERRORS))
def test_matmul_errors(name, sa, sb):
    same(lambda T: T.matmul(T.tensor(data(*sa, seed=1)), T.tensor(data(*sb, seed=2))))


LINALG = [
    ("mm", lambda T, a, b, c, v: T.mm(a, b), [(2, 3), (3, 4)]),
    ("mm_method", lambda T, a, b, c, v: a.mm(b), [(2, 3), (3, 4)]),
    ("bmm", lambda T, a, b, c, v: T.bmm(a, b), [(5, 2, 3), (5, 3, 4)]),
    ("mv", lambda T, a, b, c, v: T.mv(a, v), [(2, 3), (3,)]),
    ("dot", lambda T, a, b, c, v: T.dot(a, v), [(3,), (3,)]),
    ("inner", lambda T, a, b, c, v: T.inner(a, v), [(3,), (3,)]),
    ("outer", lambda T, a, b, c, v: T.outer(a, v), [(3,), (4,)]),
    ("ger", lambda T, a, b, c, v: T.ger(a, v), [(3,), (4,)]),
    ("addmm", lambda T, a, b, c, v: T.addmm(c, a, b), [(2, 3), (3, 4), (2, 4)]),
    ("addmm_scaled", lambda T, a, b, c, v: T.addmm(c, a, b, beta=0.5, alpha=2.0), [(2, 3), (3, 4), (2, 4)]),
    ("addmm_broadcast", lambda T, a, b, c, v: T.addmm(c, a, b), [(2, 3), (3, 4), (4,)]),
    ("addmm_method", lambda T, a, b, c, v: c.addmm(a, b), [(2, 3), (3, 4), (2, 4)]),
    ("einsum_matmul", lambda T, a, b, c, v: T.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    ("einsum_list", lambda T, a, b, c, v: T.einsum("ij,jk->ik", [a, b]), [(2, 3), (3, 4)]),
    ("einsum_trace", lambda T, a, b, c, v: T.einsum("ii", a), [(3, 3)]),
    ("einsum_transpose", lambda T, a, b, c, v: T.einsum("ij->ji", a), [(2, 3)]),
    ("einsum_batch", lambda T, a, b, c, v: T.einsum("bij,bjk->bik", a, b), [(5, 2, 3), (5, 3, 4)]),
    ("einsum_outer", lambda T, a, b, c, v: T.einsum("i,j->ij", a, v), [(3,), (4,)]),
    ("einsum_sum", lambda T, a, b, c, v: T.einsum("ij->", a), [(2, 3)]),
    ("einsum_ellipsis", lambda T, a, b, c, v: T.einsum("...ij,...jk", a, b), [(5, 2, 3), (5, 3, 4)]),
    ("tensordot_int", lambda T, a, b, c, v: T.tensordot(a, b, dims=1), [(2, 3), (3, 4)]),
    ("tensordot_lists", lambda T, a, b, c, v: T.tensordot(a, b, dims=([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_default", lambda T, a, b, c, v: T.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_zero", lambda T, a, b, c, v: T.tensordot(a, b, dims=0), [(2,), (3,)]),
]


@pytest.mark.parametrize("name,fn,shapes", LINALG, ids=ids(LINALG))
def test_linalg(name, fn, shapes):
    arrays = [data(*s, seed=70 + i) for i, s in enumerate(shapes)]
    names = {"mv": "av", "dot": "av", "inner": "av", "outer": "av", "ger": "av", "einsum_outer": "av"}
    order = names.get(name)
    if order == "av":
        check(lambda T, a, v: fn(T, a, None, None, v), arrays)
    elif len(arrays) == 3:
        check(lambda T, a, b, c: fn(T, a, b, c, None), arrays)
    elif len(arrays) == 2:
        check(lambda T, a, b: fn(T, a, b, None, None), arrays)
    else:
        check(lambda T, a: fn(T, a, None, None, None), arrays)


LINALG_ERRORS = [
    ("mm_1d", lambda T: T.mm(T.ones(3), T.ones(3, 2))),
    ("mm_mismatch", lambda T: T.mm(T.ones(2, 3), T.ones(2, 3))),
    ("mm_dtype", lambda T: T.mm(T.ones(2, 3), T.ones(3, 2, dtype=T.float64))),
    ("matmul_dtype", lambda T: T.matmul(T.ones(2, 3), T.ones(3, 2, dtype=T.float64))),
    ("matmul_int", lambda T: T.matmul(T.tensor(INT_A), T.tensor(INT_B.T))),
    ("matmul_int32", lambda T: T.matmul(T.tensor(INT_A.astype(np.int32)), T.tensor(INT_B.T.astype(np.int32)))),
    ("matmul_bool", lambda T: T.matmul(T.tensor(INT_A > 0), T.tensor(INT_B.T > 1))),
    ("matmul_float64", lambda T: T.matmul(T.tensor(X.astype(np.float64)), T.tensor(Y.T.astype(np.float64)))),
    ("matmul_float16", lambda T: T.matmul(T.tensor(X.astype(np.float16)), T.tensor(Y.T.astype(np.float16)))),
    ("matmul_complex", lambda T: T.matmul(T.tensor(X.astype(np.complex64)), T.tensor(Y.T.astype(np.complex64)))),
    ("bmm_2d", lambda T: T.bmm(T.ones(2, 3), T.ones(3, 2))),
    ("bmm_batch_mismatch", lambda T: T.bmm(T.ones(2, 2, 3), T.ones(3, 3, 2))),
    ("bmm_inner_mismatch", lambda T: T.bmm(T.ones(2, 2, 3), T.ones(2, 2, 2))),
    ("mv_mismatch", lambda T: T.mv(T.ones(2, 3), T.ones(4))),
    ("mv_2d", lambda T: T.mv(T.ones(2, 3), T.ones(3, 1))),
    ("dot_mismatch", lambda T: T.dot(T.ones(3), T.ones(4))),
    ("dot_2d", lambda T: T.dot(T.ones(3, 1), T.ones(3))),
    ("dot_dtype", lambda T: T.dot(T.ones(3), T.ones(3, dtype=T.float64))),
    ("outer_dtypes", lambda T: T.outer(T.ones(3, dtype=T.int64), T.ones(2))),
    ("addmm_mismatch", lambda T: T.addmm(T.ones(2, 4), T.ones(2, 3), T.ones(4, 4))),
    ("einsum_bad", lambda T: T.einsum("ij,jk->ik", T.ones(2, 3), T.ones(4, 4))),
]


@pytest.mark.parametrize("name,fn", LINALG_ERRORS, ids=ids(LINALG_ERRORS))
def test_linalg_dtypes_and_errors(name, fn):
    same(fn, rtol=2e-3, atol=2e-3)   # float16 matmul accumulates differently


TRANSPOSES = [
    ("t_2d", lambda T, a: a.t(), (3, 4)), ("t_1d", lambda T, a: a.t(), (4,)), ("t_0d", lambda T, a: a.t(), ()),
    ("t_3d", lambda T, a: a.t(), (2, 3, 4)), ("torch_t", lambda T, a: T.t(a), (3, 4)),
    ("T_2d", lambda T, a: a.T, (3, 4)), ("T_1d", lambda T, a: a.T, (4,)), ("T_3d", lambda T, a: a.T, (2, 3, 4)),
    ("mT_3d", lambda T, a: a.mT, (2, 3, 4)), ("mT_2d", lambda T, a: a.mT, (3, 4)), ("mT_1d", lambda T, a: a.mT, (4,)),
    ("t_then_matmul", lambda T, a: a.t() @ a, (3, 4)),
]


@pytest.mark.parametrize("name,fn,shape", TRANSPOSES, ids=ids(TRANSPOSES))
def test_transposes(name, fn, shape):
    check(fn, [data(*shape, seed=80)])


# ---- joining ---------------------------------------------------------------------------
A23, B23, C13 = data(2, 3, seed=91), data(2, 3, seed=92), data(1, 3, seed=93)
JOIN = [
    ("cat0", lambda T, a, b, c: T.cat([a, b, c])),
    ("cat1", lambda T, a, b, c: T.cat((a, b), dim=1)),
    ("cat_neg", lambda T, a, b, c: T.cat([a, b], -1)),
    ("concat", lambda T, a, b, c: T.concat([a, c])),
    ("concatenate", lambda T, a, b, c: T.concatenate([a, c], dim=0)),
    ("cat_single", lambda T, a, b, c: T.cat([a])),
    ("stack0", lambda T, a, b, c: T.stack([a, b])),
    ("stack_last", lambda T, a, b, c: T.stack([a, b], dim=2)),
    ("stack_neg", lambda T, a, b, c: T.stack((a, b), -1)),
    ("hstack", lambda T, a, b, c: T.hstack([a, b])),
    ("vstack", lambda T, a, b, c: T.vstack([a, b, c])),
    ("hstack_1d", lambda T, a, b, c: T.hstack([a[0], b[1]])),
    ("vstack_1d", lambda T, a, b, c: T.vstack([a[0], b[1]])),
    ("hstack_0d", lambda T, a, b, c: T.hstack([a[0, 0], b[1, 1]])),
]


@pytest.mark.parametrize("name,fn", JOIN, ids=ids(JOIN))
def test_join(name, fn):
    check(fn, [A23, B23, C13])


JOIN_DTYPES_ERRORS = [
    ("cat_int_float", lambda T: T.cat([T.tensor(XI), T.tensor(X)])),
    ("cat_bool_int", lambda T: T.cat([T.tensor(XI > 0), T.tensor(XI)])),
    ("cat_float16_float64", lambda T: T.cat([T.tensor(X.astype(np.float16)), T.tensor(X.astype(np.float64))])),
    ("cat_uint8_int32", lambda T: T.cat([T.tensor(XI.astype(np.uint8)), T.tensor(XI.astype(np.int32))])),
    ("cat_complex_float", lambda T: T.cat([T.tensor(X.astype(np.complex64)), T.tensor(X.astype(np.float64))])),
    ("stack_int_float", lambda T: T.stack([T.tensor(XI), T.tensor(X)])),
    ("hstack_dtypes", lambda T: T.hstack([T.tensor(XI), T.tensor(X.astype(np.float16))])),
    ("cat_empty_list", lambda T: T.cat([])),
    ("stack_empty_list", lambda T: T.stack([])),
    ("cat_shape_mismatch", lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)])),
    ("cat_rank_mismatch", lambda T: T.cat([T.ones(2, 3), T.ones(3)])),
    ("cat_0d", lambda T: T.cat([T.tensor(1.0), T.tensor(2.0)])),
    ("cat_dim_out_of_range", lambda T: T.cat([T.ones(2, 3), T.ones(2, 3)], dim=2)),
    ("cat_legacy_empty", lambda T: T.cat([T.ones(2, 3), T.tensor([])])),
    ("stack_shape_mismatch", lambda T: T.stack([T.ones(2, 3), T.ones(3, 2)])),
    ("stack_dim_out_of_range", lambda T: T.stack([T.ones(2, 3), T.ones(2, 3)], dim=3)),
    ("cat_not_tensors", lambda T: T.cat([T.ones(2), 3])),
]


@pytest.mark.parametrize("name,fn", JOIN_DTYPES_ERRORS, ids=ids(JOIN_DTYPES_ERRORS))
def test_join_dtypes_and_errors(name, fn):
    same(fn)


def test_cat_out_and_grad_to_each_input():
    check(lambda T, a, b: T.cat([a * 2, b]).sum(0), [A23, B23])
    same(lambda T: (lambda o: (T.cat([T.ones(2), T.zeros(2)], out=o), o))(T.empty(4)))


# ---- rearrangements -----------------------------------------------------------------
X234 = data(2, 3, 4, seed=95)
REARRANGE = [
    ("repeat", lambda T, a: a.repeat(2, 1, 3)), ("repeat_more_dims", lambda T, a: a.repeat(2, 1, 1, 2)),
    ("repeat_tuple", lambda T, a: a.repeat((1, 2, 1))), ("repeat_too_few", lambda T, a: a.repeat(2, 2)),
    ("tile", lambda T, a: a.tile((2, 1, 2))), ("tile_fewer", lambda T, a: T.tile(a, (2,))),
    ("tile_more", lambda T, a: a.tile((2, 1, 1, 1))),
    ("flip", lambda T, a: T.flip(a, [0, 2])), ("flip_neg", lambda T, a: a.flip(-1)), ("flip_tuple", lambda T, a: a.flip((1,))),
    ("flip_dup", lambda T, a: a.flip(0, 0)),
    ("fliplr", lambda T, a: T.fliplr(a)), ("flipud", lambda T, a: T.flipud(a)),
    ("roll", lambda T, a: T.roll(a, 1, 0)), ("roll_neg", lambda T, a: a.roll(-2, -1)),
    ("roll_flat", lambda T, a: T.roll(a, 5)), ("roll_multi", lambda T, a: a.roll((1, 2), (0, 2))),
    ("roll_mismatch", lambda T, a: a.roll((1, 2), (0,))),
    ("tril", lambda T, a: T.tril(a)), ("tril_k", lambda T, a: a.tril(1)), ("triu", lambda T, a: T.triu(a, -1)),
    ("triu_method", lambda T, a: a.triu()), ("tril_inplace", lambda T, a: (a * 1).tril_(-1)),
    ("triu_inplace", lambda T, a: (a * 1).triu_(2)),
]


@pytest.mark.parametrize("name,fn", REARRANGE, ids=ids(REARRANGE))
def test_rearrange(name, fn):
    check(fn, [X234])


@pytest.mark.parametrize("name,fn", [r for r in REARRANGE if r[0] in ("tril", "triu", "flip", "roll", "repeat")],
                         ids=["tril", "triu", "flip", "roll", "repeat"])
def test_rearrange_1d_and_ints(name, fn):
    same(lambda T: fn(T, T.tensor(XI)))
    same(lambda T: fn(T, T.tensor(XI[0])))


# ---- gather / scatter / index ops ------------------------------------------------------
IDX = np.array([[0, 2, 1, 0], [1, 1, 0, 2]], dtype=np.int64)          # values along dim 0 of a (3, 4)
IDX1 = np.array([[3, 0], [1, 1], [2, 0]], dtype=np.int64)             # along dim 1 of a (3, 4)
VEC_IDX = np.array([2, 0, 2], dtype=np.int64)
SRC = data(2, 4, seed=96)
SRC1 = data(3, 2, seed=97)
GATHER_SCATTER = [
    ("gather0", lambda T, x, s: T.gather(x, 0, T.tensor(IDX))),
    ("gather1", lambda T, x, s: x.gather(1, T.tensor(IDX1))),
    ("gather_neg", lambda T, x, s: x.gather(-1, T.tensor(IDX1))),
    ("gather_small_index", lambda T, x, s: T.gather(x, 0, T.tensor(IDX[:1, :2]))),
    ("scatter_src", lambda T, x, s: T.scatter(x, 0, T.tensor(IDX), s)),
    ("scatter_value", lambda T, x, s: x.scatter(1, T.tensor(IDX1), 1.5)),
    ("scatter_reduce_add", lambda T, x, s: x.scatter(0, T.tensor(IDX), s, reduce="add")),
    ("scatter_reduce_multiply", lambda T, x, s: x.detach().scatter(0, T.tensor(IDX), s.detach(), reduce="multiply")),
    ("scatter_add", lambda T, x, s: T.scatter_add(x, 0, T.tensor(IDX), s)),
    ("scatter_add_method", lambda T, x, s: x.scatter_add(1, T.tensor(IDX1), s[:, :2].T.contiguous()[:, :2].T.T)),
    ("scatter_add_inplace", lambda T, x, s: (x * 1).scatter_add_(0, T.tensor(IDX), s)),
    ("scatter_inplace", lambda T, x, s: (x * 1).scatter_(0, T.tensor(IDX), s)),
    ("scatter_reduce_sum", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "sum")),
    ("scatter_reduce_sum_excl", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "sum", include_self=False)),
    ("scatter_reduce_prod", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "prod")),
    ("scatter_reduce_mean", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "mean")),
    ("scatter_reduce_mean_excl", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "mean", include_self=False)),
    ("scatter_reduce_amax", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "amax")),
    ("scatter_reduce_amin_excl", lambda T, x, s: x.scatter_reduce(0, T.tensor(IDX), s, "amin", include_self=False)),
    ("index_select0", lambda T, x, s: T.index_select(x, 0, T.tensor(VEC_IDX))),
    ("index_select1", lambda T, x, s: x.index_select(1, T.tensor(VEC_IDX))),
    ("index_select_0d_index", lambda T, x, s: x.index_select(1, T.tensor(2))),
    ("index_add", lambda T, x, s: x.index_add(1, T.tensor([3, 0]), s[:, :2].T[:2].T[:3] if False else T.ones(3, 2))),
    ("index_add_src", lambda T, x, s: T.index_add(x, 0, T.tensor([2, 0]), s)),
    ("index_add_alpha", lambda T, x, s: x.index_add(0, T.tensor([2, 2]), s, alpha=2.0)),
    ("index_add_inplace", lambda T, x, s: (x * 1).index_add_(0, T.tensor([1, 0]), s)),
    ("index_fill", lambda T, x, s: x.index_fill(1, T.tensor([0, 3]), -1.0)),
    ("index_fill_inplace", lambda T, x, s: (x * 1).index_fill_(0, T.tensor([1]), 2)),
    ("index_copy", lambda T, x, s: x.index_copy(0, T.tensor([2, 0]), s)),
    ("index_copy_inplace", lambda T, x, s: (x * 1).index_copy_(0, T.tensor([1, 2]), s)),
    ("take", lambda T, x, s: T.take(x, T.tensor(IDX))),
    ("take_neg", lambda T, x, s: x.take(T.tensor([-1, 0, 5]))),
    ("take_along_dim", lambda T, x, s: T.take_along_dim(x, T.tensor(IDX1), dim=1)),
    ("take_along_dim_flat", lambda T, x, s: T.take_along_dim(x, T.tensor(VEC_IDX))),
    ("take_along_dim_broadcast", lambda T, x, s: T.take_along_dim(x, T.tensor([[0], [2], [1]]), 1)),
]


@pytest.mark.parametrize("name,fn", GATHER_SCATTER, ids=ids(GATHER_SCATTER))
def test_gather_scatter(name, fn):
    check(fn, [X, SRC])


GATHER_SCATTER_DTYPES = [
    ("gather_int", lambda T: T.gather(T.tensor(XI), 0, T.tensor(IDX))),
    ("gather_int32_index", lambda T: T.gather(T.tensor(X), 0, T.tensor(IDX.astype(np.int32)))),
    ("gather_float_index", lambda T: T.gather(T.tensor(X), 0, T.tensor(IDX.astype(F32)))),
    ("gather_out_of_range", lambda T: T.gather(T.tensor(X), 0, T.tensor(IDX + 3))),
    ("gather_rank_mismatch", lambda T: T.gather(T.tensor(X), 0, T.tensor(VEC_IDX))),
    ("scatter_int_float_src", lambda T: T.scatter(T.tensor(XI), 0, T.tensor(IDX), T.tensor(SRC))),
    ("scatter_value_int", lambda T: T.scatter(T.tensor(XI), 0, T.tensor(IDX), 7)),
    ("scatter_bad_reduce", lambda T: T.scatter(T.tensor(X), 0, T.tensor(IDX), T.tensor(SRC), reduce="max")),
    ("scatter_add_dtype_mismatch", lambda T: T.scatter_add(T.tensor(X), 0, T.tensor(IDX), T.tensor(SRC.astype(np.float64)))),
    ("scatter_reduce_bad", lambda T: T.tensor(X).scatter_reduce(0, T.tensor(IDX), T.tensor(SRC), "max")),
    ("index_select_int", lambda T: T.index_select(T.tensor(XI), 1, T.tensor(VEC_IDX))),
    ("index_select_float_index", lambda T: T.index_select(T.tensor(X), 1, T.tensor(VEC_IDX.astype(F32)))),
    ("index_select_2d_index", lambda T: T.index_select(T.tensor(X), 1, T.tensor(IDX))),
    ("index_select_out_of_range", lambda T: T.index_select(T.tensor(X), 1, T.tensor([4]))),
    ("index_add_int", lambda T: T.tensor(XI).index_add(0, T.tensor([0]), T.ones(1, 4, dtype=T.int64))),
    ("index_add_dtype_mismatch", lambda T: T.tensor(X).index_add(0, T.tensor([0]), T.ones(1, 4, dtype=T.float64))),
    ("index_fill_int_float", lambda T: T.tensor(XI).index_fill(0, T.tensor([0]), 1.5)),
    ("index_copy_dtype_mismatch", lambda T: T.tensor(X).index_copy(0, T.tensor([0]), T.ones(1, 4, dtype=T.float64))),
    ("take_int", lambda T: T.take(T.tensor(XI), T.tensor(IDX))),
    ("take_out_of_range", lambda T: T.take(T.tensor(X), T.tensor([12]))),
    ("take_along_dim_float_index", lambda T: T.take_along_dim(T.tensor(X), T.tensor(IDX1.astype(F32)), 1)),
]


@pytest.mark.parametrize("name,fn", GATHER_SCATTER_DTYPES, ids=ids(GATHER_SCATTER_DTYPES))
def test_gather_scatter_dtypes_and_errors(name, fn):
    same(fn)


# ---- masks -------------------------------------------------------------------------------
MASK = X > 0.3
MASKS = [
    ("masked_fill", lambda T, x, m: x.masked_fill(m, -1.0)),
    ("masked_fill_fn", lambda T, x, m: T.masked_fill(x, m, 0)),
    ("masked_fill_broadcast_mask", lambda T, x, m: x.masked_fill(m[0], 2.0)),
    ("masked_fill_tensor_value", lambda T, x, m: x.masked_fill(m, T.tensor(3.0))),
    ("masked_fill_grad_value", lambda T, x, m: x.masked_fill(m, x[0, 0])),
    ("masked_fill_inplace", lambda T, x, m: (x * 1).masked_fill_(m, 0.5)),
    ("masked_select", lambda T, x, m: T.masked_select(x, m)),
    ("masked_select_method", lambda T, x, m: x.masked_select(m)),
    ("masked_select_broadcast", lambda T, x, m: x.masked_select(m[1])),
    ("masked_select_none", lambda T, x, m: x.masked_select(m & ~m)),
    ("where_then_sum", lambda T, x, m: T.where(m, x, x * 2).sum()),
]


@pytest.mark.parametrize("name,fn", MASKS, ids=ids(MASKS))
def test_masks(name, fn):
    check(fn, [X, MASK])


MASK_ERRORS = [
    ("masked_fill_float_mask", lambda T: T.tensor(X).masked_fill(T.tensor(X), 0.0)),
    ("masked_fill_int_mask", lambda T: T.tensor(X).masked_fill(T.tensor(XI), 0.0)),
    ("masked_fill_uint8_mask", lambda T: T.tensor(X).masked_fill(T.tensor(MASK.astype(np.uint8)), 0.0)),
    ("masked_fill_1d_value", lambda T: T.tensor(X).masked_fill(T.tensor(MASK), T.ones(2))),
    ("masked_fill_int_float_value", lambda T: T.tensor(XI).masked_fill(T.tensor(MASK), 2.7)),
    ("masked_fill_bool", lambda T: T.tensor(MASK).masked_fill(T.tensor(MASK), False)),
    ("masked_fill_bad_shape", lambda T: T.tensor(X).masked_fill(T.ones(5, dtype=T.bool), 0.0)),
    ("masked_select_float_mask", lambda T: T.tensor(X).masked_select(T.tensor(X))),
    ("masked_select_int", lambda T: T.tensor(XI).masked_select(T.tensor(MASK))),
    ("masked_select_bad_shape", lambda T: T.tensor(X).masked_select(T.ones(5, dtype=T.bool))),
]


@pytest.mark.parametrize("name,fn", MASK_ERRORS, ids=ids(MASK_ERRORS))
def test_mask_dtypes_and_errors(name, fn):
    same(fn)


NONZERO = [
    ("nonzero", lambda T, a: T.nonzero(a)), ("nonzero_method", lambda T, a: a.nonzero()),
    ("nonzero_tuple", lambda T, a: T.nonzero(a, as_tuple=True)), ("where_1arg", lambda T, a: T.where(a)),
    ("argwhere", lambda T, a: T.argwhere(a)), ("nonzero_1d", lambda T, a: a[0].nonzero()),
    ("nonzero_0d", lambda T, a: a[0, 0].nonzero()), ("nonzero_0d_tuple", lambda T, a: a[0, 0].nonzero(as_tuple=True)),
    ("count_nonzero", lambda T, a: T.count_nonzero(a)), ("count_nonzero_dim", lambda T, a: a.count_nonzero(0)),
]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("name,fn", NONZERO, ids=ids(NONZERO))
def test_nonzero(name, fn, dtype):
    a = np.where(MASK, X, 0).astype(dtype)
    same(lambda T: fn(T, T.tensor(a)))
    same(lambda T: fn(T, T.zeros(3, 4, dtype=getattr(T, dtype))))


# ---- conversions, copies and comparisons of whole tensors -------------------------------
CONVERSIONS = [
    ("to_float64", lambda T, a: a.to(T.float64)), ("to_same", lambda T, a: a.to(T.float32)),
    ("to_same_is_self", lambda T, a: a.to(T.float32) is a), ("to_copy", lambda T, a: a.to(T.float32, copy=True)),
    ("to_kw", lambda T, a: a.to(dtype=T.float16)), ("to_tensor", lambda T, a: a.to(T.tensor([1.0], dtype=T.float64))),
    ("to_int", lambda T, a: a.to(T.int64)), ("to_cpu_dtype", lambda T, a: a.to("cpu", T.float64)),
    ("type_str", lambda T, a: a.type("torch.DoubleTensor")), ("type_dtype", lambda T, a: a.type(T.float16)),
    ("type_name", lambda T, a: a.type()), ("type_same_is_self", lambda T, a: a.type(T.float32) is a),
    ("float", lambda T, a: a.float()), ("float_is_self", lambda T, a: a.float() is a),
    ("double", lambda T, a: a.double()), ("half", lambda T, a: a.half()), ("long", lambda T, a: a.long()),
    ("int", lambda T, a: a.int()), ("bool", lambda T, a: a.bool()), ("byte", lambda T, a: (a * 10).byte()),
    ("type_as", lambda T, a: a.type_as(T.ones(1, dtype=T.float64))),
    ("type_as_same", lambda T, a: a.type_as(T.ones(1))),
    ("double_then_float", lambda T, a: a.double().float()),
    ("clone", lambda T, a: a.clone()), ("torch_clone", lambda T, a: T.clone(a)),
    ("clone_t", lambda T, a: a.t().clone().is_contiguous()), ("clone_t_stride", lambda T, a: a.t().clone().stride()),
    ("contiguous_is_self", lambda T, a: a.contiguous() is a), ("contiguous_t", lambda T, a: a.t().contiguous()),
    ("contiguous_t_is_contiguous", lambda T, a: a.t().contiguous().is_contiguous()),
]


@pytest.mark.parametrize("name,fn", CONVERSIONS, ids=ids(CONVERSIONS))
def test_conversions(name, fn):
    check(fn, [X])


@pytest.mark.parametrize("src", ["int64", "bool", "float64", "uint8", "complex64"])
@pytest.mark.parametrize("name,fn", [c for c in CONVERSIONS if c[0] in ("to_float64", "half", "long", "int", "bool",
                                                                        "float", "type_as")],
                         ids=["to_float64", "half", "long", "int", "bool", "float", "type_as"])
def test_conversions_from(name, fn, src):
    same(lambda T: fn(T, T.tensor(_as_dtype(X, src))))


CLOSE = [
    ("allclose_same", lambda T, a, b: T.allclose(a, a.clone())),
    ("allclose_diff", lambda T, a, b: T.allclose(a, b)),
    ("allclose_tol", lambda T, a, b: T.allclose(a, a + 1e-3, atol=1e-2)),
    ("allclose_rtol", lambda T, a, b: a.allclose(a * 1.001, rtol=1e-2, atol=0.0)),
    ("allclose_nan", lambda T, a, b: T.allclose(a * float("nan"), a * float("nan"))),
    ("allclose_nan_equal", lambda T, a, b: T.allclose(a * float("nan"), a * float("nan"), equal_nan=True)),
    ("allclose_broadcast", lambda T, a, b: T.allclose(a, a[0])),
    ("allclose_dtype_mismatch", lambda T, a, b: T.allclose(a, a.double())),
    ("isclose", lambda T, a, b: T.isclose(a, a + b * 1e-6)),
    ("isclose_method", lambda T, a, b: a.isclose(b, atol=1.0)),
    ("isclose_inf", lambda T, a, b: T.isclose(a / 0, a / 0)),
    ("equal_same", lambda T, a, b: T.equal(a, a.clone())),
    ("equal_diff", lambda T, a, b: T.equal(a, b)),
    ("equal_shape", lambda T, a, b: T.equal(a, a[0])),
    ("equal_method", lambda T, a, b: a.equal(a)),
    ("equal_dtype", lambda T, a, b: T.equal(a, a.double())),
    ("equal_int", lambda T, a, b: T.equal((a * 10).long(), (a * 10).long())),
]


@pytest.mark.parametrize("name,fn", CLOSE, ids=ids(CLOSE))
def test_close_and_equal(name, fn):
    same(lambda T: fn(T, T.tensor(X), T.tensor(Y)))


# ---- property: random elementwise programs ----------------------------------------------
# Every op here is defined (and smooth enough) on all of R, so any chain stays in domain.
PROGRAM_UNARY = [
    lambda T, a: T.sin(a), lambda T, a: T.cos(a), lambda T, a: T.tanh(a), lambda T, a: T.sigmoid(a),
    lambda T, a: a.abs(), lambda T, a: -a, lambda T, a: T.relu(a), lambda T, a: a.square(), lambda T, a: T.atan(a),
    lambda T, a: T.erf(a), lambda T, a: T.log1p(a.abs()), lambda T, a: T.sqrt(a * a + 0.5),
    lambda T, a: T.exp(a.clamp(-3, 3)), lambda T, a: a * 0.5 + 1, lambda T, a: 2 - a, lambda T, a: a ** 3,
]
PROGRAM_BINARY = [
    lambda T, a, b: a + b, lambda T, a, b: a - b, lambda T, a, b: a * b, lambda T, a, b: a / (b * b + 1),
    lambda T, a, b: T.maximum(a, b), lambda T, a, b: T.minimum(a, b), lambda T, a, b: T.atan2(a, b * b + 0.5),
    lambda T, a, b: T.where(a > b, a, b * 2), lambda T, a, b: T.lerp(a, b, 0.3), lambda T, a, b: T.hypot(a, b + 3),
]
PROGRAM_REDUCTIONS = [
    lambda T, a: a.sum(), lambda T, a: a.mean(), lambda T, a: a.amax(), lambda T, a: T.logsumexp(a.reshape(-1), 0),
    lambda T, a: a.norm(), lambda T, a: a.sum(-1).prod() if a.ndim else a, lambda T, a: a.std() if a.numel() > 1 else a,
]
BASE_SHAPES = [(3,), (2, 3), (2, 1, 3), (4, 2)]


@st.composite
def programs(draw):
    base = draw(st.sampled_from(BASE_SHAPES))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        keep = draw(st.integers(0, len(base)))
        shape = tuple(1 if draw(st.booleans()) and draw(st.booleans()) else n for n in base[len(base) - keep:])
        shapes.append(shape)
    steps = []
    for _ in range(draw(st.integers(3, 6))):
        n_values = len(shapes) + len(steps)
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(PROGRAM_UNARY) - 1)), draw(st.integers(0, n_values - 1))))
        else:
            steps.append(("b", draw(st.integers(0, len(PROGRAM_BINARY) - 1)), draw(st.integers(0, n_values - 1)),
                          draw(st.integers(0, n_values - 1))))
    reduction = draw(st.integers(0, len(PROGRAM_REDUCTIONS) - 1))
    return shapes, steps, reduction, draw(st.integers(0, 2 ** 16))


def run_program(T, xs, steps, reduction):
    values = list(xs)
    for step in steps:
        if step[0] == "u":
            values.append(PROGRAM_UNARY[step[1]](T, values[step[2]]))
        else:
            values.append(PROGRAM_BINARY[step[1]](T, values[step[2]], values[step[3]]))
    return values[-1], PROGRAM_REDUCTIONS[reduction](T, values[-1])


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_elementwise_programs(program):
    shapes, steps, reduction, seed = program
    inputs = [data(*s, seed=seed + i) for i, s in enumerate(shapes)]
    # a chain of up to six float32 ops and a reduction: rounding differences between ATen's and
    # XLA's kernels compound, so the tolerance is wider than for a single op
    check(lambda T, *xs: run_program(T, xs, steps, reduction), inputs, rtol=1e-4, atol=1e-4)


_POW_EXPONENTS = [2, 2.0, 3, 4, -1, -2.0, 0.5, -0.5, 1.7, 0]


@pytest.mark.parametrize("dtype, exponent", [(d, e) for d in ("float32", "float64") for e in _POW_EXPONENTS]
                         + [("int64", e) for e in (2, 3, 4, 0, 2.0, 0.5)])
def test_pow_scalar_exponents_values_grads_and_dtypes(dtype, exponent):
    """Special-cased exponents (compiled in as x*x, sqrt, ...) give PyTorch's values, dtypes,
    grad_fn and gradients; x**2, x**3 and x**-1 are bit-exact, values and gradients."""

    def f(T):
        a = np.abs(np.random.default_rng(3).standard_normal(64)) + 0.1
        x = T.tensor(a.astype(dtype), requires_grad=dtype != "int64")
        y = x ** exponent
        z = x.pow(exponent)
        out = [y, z, y.dtype]
        if x.requires_grad:
            (g,) = T.autograd.grad(y.sum(), x)
            out += [g, y.grad_fn.name()]
        return out
    exact = exponent in (2, 2.0, 3, -1)
    same(f, rtol=0 if exact else 1e-6, atol=0 if exact else 1e-7)
