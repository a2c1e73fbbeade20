"""In-place ops (``x.op_(...)``): values, dtype, identity, versions, errors, autograd.

Every trailing-underscore method the registry generates is exercised against
PyTorch: the result is ``self``, has PyTorch's values and dtype, and bumps the
version counter by one; a failed in-place op leaves the tensor untouched.
"""
import numpy as np
import pytest

import torchlike
from harness import data, same


def _f(T, *shape, seed=0, low=0.1, high=0.9):
    return T.tensor(data(*shape, seed=seed, low=low, high=high))


def _i(T, *shape, seed=0, low=-5, high=5):
    return T.tensor(data(*shape, seed=seed, dtype=np.int64, low=low, high=high))


def _b(T, *shape, seed=0):
    return T.tensor(data(*shape, seed=seed, dtype=np.bool_))


# name of the in-place method -> (make self, make the other arguments)
_UNARY_FLOAT = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "atanh", "exp",
                "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sigmoid", "erf", "erfc",
                "erfinv", "reciprocal", "lgamma", "digamma", "i0", "sinc", "logit", "deg2rad", "rad2deg",
                "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "neg", "negative", "abs", "absolute", "ceil",
                "floor", "trunc", "fix", "round", "frac", "sign", "sgn", "square", "relu", "conj_physical",
                "zero"]

_DOMAIN01 = {"asin", "acos", "atanh", "arcsin", "arccos", "arctanh", "log", "log2", "log10", "sqrt", "rsqrt",
             "erfinv", "logit", "lgamma", "digamma"}
CASES = {n + "_": ((lambda T: _f(T, 3, 4)) if n in _DOMAIN01 else (lambda T: _f(T, 3, 4) * 4 - 2), lambda T: ())
         for n in _UNARY_FLOAT}
CASES.update({
    "acosh_": (lambda T: _f(T, 3, 4) + 1, lambda T: ()),
    "arccosh_": (lambda T: _f(T, 3, 4) + 1, lambda T: ()),
    "round_decimals": (lambda T: _f(T, 3, 4) * 10, lambda T: dict(decimals=1)),
    "add_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "add_alpha": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1), dict(alpha=2.5))),
    "sub_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 4, seed=1),)),
    "subtract_": (lambda T: _f(T, 3, 4), lambda T: (2,)),
    "sub_alpha": (lambda T: _f(T, 3, 4), lambda T: (T.tensor(0.5), dict(alpha=-3))),
    "mul_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 1, seed=1),)),
    "multiply_": (lambda T: _f(T, 3, 4), lambda T: (-1.5,)),
    "div_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "divide_": (lambda T: _f(T, 3, 4), lambda T: (3,)),
    "true_divide_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 4, seed=2),)),
    "div_floor": (lambda T: _f(T, 3, 4) * 10, lambda T: (0.3, dict(rounding_mode="floor"))),
    "div_trunc_int": (lambda T: _i(T, 3, 4), lambda T: (2, dict(rounding_mode="trunc"))),
    "floor_divide_": (lambda T: _f(T, 3, 4) * 10, lambda T: (_f(T, 3, 4, seed=1),)),
    "remainder_": (lambda T: _f(T, 3, 4) * 10 - 5, lambda T: (1.5,)),
    "fmod_": (lambda T: _f(T, 3, 4) * 10 - 5, lambda T: (1.5,)),
    "pow_": (lambda T: _f(T, 3, 4), lambda T: (2,)),
    "pow_tensor": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "float_power_": (lambda T: _f(T, 3, 4).double(), lambda T: (2,)),
    "atan2_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "arctan2_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "hypot_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "copysign_": (lambda T: _f(T, 3, 4), lambda T: (-1.0,)),
    "xlogy_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "lerp_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1), 0.3)),
    "gcd_": (lambda T: _i(T, 3, 4, low=-40, high=40), lambda T: (_i(T, 3, 4, seed=1, low=-12, high=12),)),
    "lcm_": (lambda T: _i(T, 3, 4, low=-9, high=9), lambda T: (_i(T, 4, seed=1, low=-6, high=6),)),
    "mvlgamma_": (lambda T: _f(T, 3, 4) * 4 + 1, lambda T: (2,)),
    "polygamma_": (lambda T: _f(T, 3, 4) * 3 + 0.5, lambda T: (1,)),
    "lerp_tensor": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1), _f(T, 4, seed=2))),
    "clamp_": (lambda T: _f(T, 3, 4), lambda T: (0.3, 0.6)),
    "clamp_min_only": (lambda T: _f(T, 3, 4), lambda T: (dict(min=0.5),)),
    "clamp_tensor": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 4, seed=1) * 0.5, _f(T, 3, 1, seed=2) + 0.3)),
    "clip_": (lambda T: _f(T, 3, 4), lambda T: (0.3, 0.6)),
    "clamp_min_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "clamp_max_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "nan_to_num_": (lambda T: T.tensor([float("nan"), float("inf"), -float("inf"), 1.0]), lambda T: ()),
    "masked_fill_": (lambda T: _f(T, 3, 4), lambda T: (_b(T, 3, 4), -1.0)),
    "masked_fill_bcast": (lambda T: _f(T, 3, 4), lambda T: (_b(T, 4), T.tensor(2.0))),
    "scatter_": (lambda T: _f(T, 3, 4), lambda T: (1, T.tensor([[0, 1], [2, 3], [1, 0]]), _f(T, 3, 2, seed=1))),
    "scatter_value": (lambda T: _f(T, 3, 4), lambda T: (0, T.tensor([[0, 1, 2, 0]]), 5.0)),
    "scatter_add_": (lambda T: _f(T, 3, 4), lambda T: (1, T.tensor([[0, 0], [2, 3], [1, 1]]), _f(T, 3, 2, seed=1))),
    "scatter_reduce_": (lambda T: _f(T, 3, 4), lambda T: (1, T.tensor([[0, 0], [2, 3], [1, 1]]),
                                                          _f(T, 3, 2, seed=1), "amax")),
    "index_add_": (lambda T: _f(T, 3, 4), lambda T: (0, T.tensor([0, 2, 0]), _f(T, 3, 4, seed=1))),
    "index_add_alpha": (lambda T: _f(T, 3, 4), lambda T: (1, T.tensor([3, 1]), _f(T, 3, 2, seed=1),
                                                          dict(alpha=2))),
    "index_copy_": (lambda T: _f(T, 3, 4), lambda T: (0, T.tensor([2, 0]), _f(T, 2, 4, seed=1))),
    "index_fill_": (lambda T: _f(T, 3, 4), lambda T: (1, T.tensor([0, 3]), -2.0)),
    "cumsum_": (lambda T: _f(T, 3, 4), lambda T: (1,)),
    "cumprod_": (lambda T: _f(T, 3, 4), lambda T: (0,)),
    "tril_": (lambda T: _f(T, 3, 4), lambda T: ()),
    "triu_": (lambda T: _f(T, 3, 4), lambda T: (1,)),
    "addmm_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 2, seed=1), _f(T, 2, 4, seed=2))),
    "addbmm_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 2, 3, 5, seed=1), _f(T, 2, 5, 4, seed=2))),
    "baddbmm_": (lambda T: _f(T, 2, 3, 4), lambda T: (_f(T, 2, 3, 5, seed=1), _f(T, 2, 5, 4, seed=2),
                                                       dict(beta=0.5, alpha=2))),
    "addmv_": (lambda T: _f(T, 3), lambda T: (_f(T, 3, 4, seed=1), _f(T, 4, seed=2))),
    "addr_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, seed=1), _f(T, 4, seed=2))),
    "addcdiv_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1), _f(T, 4, seed=2), dict(value=0.5))),
    "addcmul_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 1, seed=1), _f(T, 3, 4, seed=2), dict(value=-2))),
    "heaviside_": (lambda T: _f(T, 3, 4).round() - 0.5, lambda T: (_f(T, 3, 4, seed=1),)),
    "igamma_": (lambda T: _f(T, 3, 4) + 0.5, lambda T: (_f(T, 3, 4, seed=1),)),
    "igammac_": (lambda T: _f(T, 3, 4) + 0.5, lambda T: (_f(T, 3, 4, seed=1),)),
    "ldexp_": (lambda T: _f(T, 3, 4), lambda T: (T.tensor([1, 2, -1, 0]),)),
    "nextafter_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "index_reduce_": (lambda T: _f(T, 3, 4), lambda T: (0, T.tensor([0, 2, 0]), _f(T, 3, 4, seed=1), "prod")),
    "masked_scatter_": (lambda T: _f(T, 3, 4), lambda T: (_b(T, 3, 4), _f(T, 12, seed=1))),
    "put_": (lambda T: _f(T, 3, 4), lambda T: (T.tensor([0, 5, -1]), T.tensor([9.0, 8.0, 7.0]))),
    "put_accumulate": (lambda T: _f(T, 3, 4), lambda T: (T.tensor([0, 5, 0]), T.tensor([9.0, 8.0, 7.0]),
                                                         dict(accumulate=True))),
    "renorm_": (lambda T: _f(T, 3, 4), lambda T: (2, 0, 0.5)),
    "fill_": (lambda T: _f(T, 3, 4), lambda T: (2.5,)),
    "fill_tensor": (lambda T: _f(T, 3, 4), lambda T: (T.tensor(-1.0),)),
    "copy_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "copy_bcast": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 4, seed=1),)),
    "copy_int_src": (lambda T: _f(T, 3, 4), lambda T: (_i(T, 3, 4),)),
    "copy_double_src": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4).double() / 3,)),
    "eq_": (lambda T: _f(T, 3, 4).round(), lambda T: (1.0,)),
    "ne_": (lambda T: _f(T, 3, 4).round(), lambda T: (1.0,)),
    "not_equal_": (lambda T: _f(T, 3, 4).round(), lambda T: (1.0,)),
    "lt_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1),)),
    "less_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "le_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "less_equal_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "gt_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "greater_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "ge_": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 4, seed=1),)),
    "greater_equal_": (lambda T: _f(T, 3, 4), lambda T: (0.5,)),
    "eq_int": (lambda T: _i(T, 3, 4), lambda T: (1,)),
    "logical_and_": (lambda T: _b(T, 3, 4), lambda T: (_b(T, 3, 4, seed=1),)),
    "logical_or_": (lambda T: _b(T, 3, 4), lambda T: (_b(T, 3, 4, seed=1),)),
    "logical_xor_": (lambda T: _b(T, 3, 4), lambda T: (_b(T, 3, 4, seed=1),)),
    "logical_not_": (lambda T: _b(T, 3, 4), lambda T: ()),
    "logical_and_float": (lambda T: _f(T, 3, 4).round(), lambda T: (_b(T, 3, 4, seed=1),)),
    "logical_not_float": (lambda T: _f(T, 3, 4).round(), lambda T: ()),
    "bitwise_and_": (lambda T: _i(T, 3, 4), lambda T: (_i(T, 3, 4, seed=1),)),
    "bitwise_or_": (lambda T: _i(T, 3, 4), lambda T: (3,)),
    "bitwise_xor_": (lambda T: _i(T, 3, 4), lambda T: (_i(T, 4, seed=1),)),
    "bitwise_not_": (lambda T: _i(T, 3, 4), lambda T: ()),
    "bitwise_left_shift_": (lambda T: _i(T, 3, 4, low=0), lambda T: (2,)),
    "bitwise_right_shift_": (lambda T: _i(T, 3, 4, low=0), lambda T: (1,)),
    "neg_int": (lambda T: _i(T, 3, 4), lambda T: ()),
    "abs_int": (lambda T: _i(T, 3, 4), lambda T: ()),
    "add_int": (lambda T: _i(T, 3, 4), lambda T: (_i(T, 3, 4, seed=1),)),
    "mul_int_scalar": (lambda T: _i(T, 3, 4), lambda T: (3,)),
    "add_int32_int64": (lambda T: _i(T, 3, 4).int(), lambda T: (_i(T, 3, 4, seed=1),)),
    "add_float_int": (lambda T: _f(T, 3, 4), lambda T: (_i(T, 3, 4, seed=1),)),
    "add_float_double": (lambda T: _f(T, 3, 4), lambda T: (_f(T, 3, 4, seed=1).double() / 3,)),
    "add_float_double0d": (lambda T: _f(T, 3, 4), lambda T: (T.tensor(1 / 3, dtype=T.float64),)),
    "add_half_float": (lambda T: _f(T, 3, 4).half(), lambda T: (_f(T, 3, 4, seed=1),)),
    "add_bool_bool": (lambda T: _b(T, 3, 4), lambda T: (_b(T, 3, 4, seed=1),)),
    "mul_uint8_wrap": (lambda T: (_i(T, 3, 4, low=0) * 40).to(T.uint8), lambda T: (T.tensor(9, dtype=T.uint8),)),
    "fill_int_float": (lambda T: _i(T, 3, 4), lambda T: (2.7,)),
    "masked_fill_int_float": (lambda T: _i(T, 3, 4), lambda T: (_b(T, 3, 4), 0.5)),
    "copy_float_to_int": (lambda T: _i(T, 3, 4), lambda T: (_f(T, 3, 4) * 10 - 5,)),
    "copy_to_bool": (lambda T: _b(T, 3, 4), lambda T: (_f(T, 3, 4).round(),)),
})

# in-place methods the registry generates that are exercised through the cases above
_METHOD_OF = {k: k if k.endswith("_") else None for k in CASES}
_METHOD_OF.update({"round_decimals": "round_", "add_alpha": "add_", "sub_alpha": "sub_", "div_floor": "div_",
                   "div_trunc_int": "div_", "pow_tensor": "pow_", "lerp_tensor": "lerp_",
                   "clamp_min_only": "clamp_", "clamp_tensor": "clamp_", "masked_fill_bcast": "masked_fill_",
                   "scatter_value": "scatter_", "index_add_alpha": "index_add_", "fill_tensor": "fill_",
                   "copy_bcast": "copy_", "copy_int_src": "copy_", "copy_double_src": "copy_", "eq_int": "eq_",
                   "logical_and_float": "logical_and_", "logical_not_float": "logical_not_",
                   "neg_int": "neg_", "abs_int": "abs_", "add_int": "add_", "mul_int_scalar": "mul_",
                   "add_int32_int64": "add_", "add_float_int": "add_", "add_float_double": "add_",
                   "add_float_double0d": "add_", "add_half_float": "add_", "add_bool_bool": "add_",
                   "mul_uint8_wrap": "mul_", "fill_int_float": "fill_",
                   "masked_fill_int_float": "masked_fill_", "copy_float_to_int": "copy_",
                   "copy_to_bool": "copy_", "put_accumulate": "put_"})


def _call_case(T, name):
    mk_self, mk_args = CASES[name]
    x = mk_self(T)
    args = mk_args(T)
    kwargs = {}
    if isinstance(args, dict):
        args, kwargs = (), args
    elif args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], args[-1]
    before = x.clone()
    v0 = x._version
    r = getattr(x, _METHOD_OF[name])(*args, **kwargs)
    return r, x, before, v0, args, kwargs


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_op(name):
    def f(T):
        r, x, before, v0, args, kwargs = _call_case(T, name)
        return r is x, x, x.dtype, x._version - v0
    same(f, rtol=2e-6)


@pytest.mark.parametrize("name", sorted(k for k in CASES if _METHOD_OF[k] not in ("zero_", "fill_", "copy_")))
def test_inplace_matches_out_of_place(name):
    """``x.op_(a)`` equals ``x.op(a)`` cast to x's dtype (checked in torchlike against itself and in torch)."""
    method = _METHOD_OF[name][:-1]

    def f(T):
        r, x, before, v0, args, kwargs = _call_case(T, name)
        expected = getattr(before, method)(*args, **kwargs).to(x.dtype)
        return (x == expected).all().item() or (x - expected).abs().max().item() < 1e-6
    same(f)


def test_every_generated_inplace_method_is_covered():
    generated = {k for k in torchlike._registry.METHODS if k.endswith("_") and not k.startswith("_")}
    covered = set(_METHOD_OF.values())
    # in-place view ops (t_, squeeze_, ...) are tested in test_views.py
    views = {"t_", "transpose_", "swapaxes_", "swapdims_", "squeeze_", "unsqueeze_", "as_strided_"}
    # resize_, set_: test_ops_errors.py; the legacy Python-callable and storage methods and fill_diagonal_ (no
    # out-of-place form): test_torch_namespace_more.py; the random fills (bernoulli_, normal_, ...): test_random.py
    random_fills = {"bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_", "random_", "uniform_"}
    missing = sorted(generated - covered - views - random_fills - {"requires_grad_", "index_put_", "resize_", "resize_as_",
                                                                   "set_", "apply_", "map_", "map2_", "share_memory_",
                                                                   "fill_diagonal_"})
    assert not missing, f"in-place methods without a test case: {missing}"


# ---- dtype rules -----------------------------------------------------------
@pytest.mark.parametrize("case", [
    "int_add_float_scalar", "int_add_float_tensor", "int_add_float_0d", "int_sin", "int_div", "int_true_divide",
    "int_pow_float", "int_clamp_float", "int_sqrt", "bool_add_int", "int_div_floor_float", "int32_add_int64_ok", "int_mul_bool_ok",
    "float_logical_not_ok", "uint8_sub_wrap", "int_floor_divide_float", "int_masked_fill_float_tensor",
])
def test_inplace_dtype_rules(case):
    def f(T):
        x = _i(T, 4)
        ops = {
            "int_add_float_scalar": lambda: x.add_(1.5),
            "int_add_float_tensor": lambda: x.add_(_f(T, 4)),
            "int_add_float_0d": lambda: x.add_(T.tensor(0.5)),
            "int_sin": lambda: x.sin_(),
            "int_div": lambda: x.div_(2),
            "int_true_divide": lambda: x.true_divide_(2),
            "int_pow_float": lambda: x.pow_(0.5),
            "int_clamp_float": lambda: x.clamp_(0.5),
            "int_sqrt": lambda: x.sqrt_(),
            "bool_add_int": lambda: _b(T, 4).add_(1),
            "int_div_floor_float": lambda: x.div_(1.5, rounding_mode="floor"),
            "int32_add_int64_ok": lambda: x.int().add_(_i(T, 4, seed=1) * 1000000),
            "int_mul_bool_ok": lambda: x.mul_(_b(T, 4)),
            "float_logical_not_ok": lambda: _f(T, 4).logical_not_(),
            "uint8_sub_wrap": lambda: T.tensor([1, 2, 3, 4], dtype=T.uint8).sub_(3),
            "int_floor_divide_float": lambda: x.floor_divide_(2.0),
            "int_masked_fill_float_tensor": lambda: x.masked_fill_(x > 0, T.tensor(1.5)),
        }
        r = ops[case]()
        return r, r.dtype
    same(f)


def test_int_add_float_error_message():
    x = torchlike.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.add_(1.5)


# ---- broadcasting and shape errors -----------------------------------------
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (1, 1)), ((3, 4), ()),
                                    ((4,), (3, 4)), ((3, 1), (3, 4)), ((3, 4), (2, 4)), ((), (3,)),
                                    ((1,), (1, 1)), ((3, 4), (1, 3, 4))])
def test_inplace_broadcast(shapes):
    a, b = shapes

    def f(T):
        x = _f(T, *a)
        y = _f(T, *b, seed=1)
        out = []
        for op in ("add_", "mul_", "copy_"):
            x0 = x.clone()
            v = x._version
            try:
                r = getattr(x, op)(y)
                out.append((r is x, x.clone(), x._version - v))
            except RuntimeError:
                out.append(("raised", x.clone(), x._version - v, bool((x == x0).all())))
        return out
    same(f)


def test_inplace_shape_error_type():
    def f(T):
        return _f(T, 4).add_(_f(T, 3, 4))
    same(f)


@pytest.mark.parametrize("case", ["shape", "dtype", "leaf", "index", "overlap"])
def test_failed_inplace_leaves_tensor_unchanged(case):
    def f(T):
        x = _i(T, 3, 4) if case == "dtype" else _f(T, 3, 4)
        if case == "leaf":
            x.requires_grad_()
        v = x._version
        try:
            if case == "shape":
                x.mul_(_f(T, 2, 3, 4))
            elif case == "dtype":
                x.add_(0.5)
            elif case == "leaf":
                x.add_(1)
            elif case == "index":
                x[[0, 2]] = T.ones(3)
            else:
                x[:, :1].expand(3, 4).mul_(2)
        except (RuntimeError, IndexError):
            pass
        return x.detach(), x._version - v
    same(f)


# ---- version counter -----------------------------------------------------
def test_versions_count_writes():
    def f(T):
        x = _f(T, 3, 4)
        v = x[0]
        vs = [x._version]
        x.add_(1)
        vs.append((x._version, v._version))
        v.mul_(2)
        vs.append((x._version, v._version))
        x[1] = 3
        vs.append((x._version, v._version))
        x[[0, 2]] = 0.5
        vs.append((x._version, v._version))
        x[x > 1] = 0
        vs.append((x._version, v._version))
        x.zero_().fill_(1).add_(1)
        vs.append((x._version, v._version))
        y = x + 1       # out of place: no bump
        vs.append((x._version, y._version))
        T.add(x, 1, out=x)
        vs.append(x._version)
        return vs
    same(f)


def test_chained_inplace_returns_self():
    def f(T):
        x = _f(T, 3, 4)
        r = x.add_(1).mul_(2).clamp_(0, 3).sqrt_()
        return r is x, x, x._version
    same(f)


def test_inplace_python_operators():
    def f(T):
        x = _f(T, 3, 4)
        v = x[1]
        orig = x
        x += 1
        x *= _f(T, 4, seed=1)
        x -= 0.5
        x /= 2
        v **= 2
        i = _i(T, 3)
        orig_i = i
        i //= 2
        i %= 3
        i |= 4
        i &= 6
        i ^= 1
        i <<= 1
        i >>= 1
        b = _b(T, 3)
        b |= _b(T, 3, seed=2)
        return x is orig, x, v, x._version, i is orig_i, i, b
    same(f)


def test_inplace_operator_int_float_error():
    def f(T):
        i = _i(T, 3)
        i += 0.5
        return i
    same(f)


def test_inplace_operator_truediv_int_error():
    def f(T):
        i = _i(T, 3)
        i /= 2
        return i
    same(f)


# ---- autograd through in-place --------------------------------------------
@pytest.mark.parametrize("case", ["leaf", "leaf_view", "leaf_view_setitem", "leaf_setitem", "leaf_zero",
                                  "leaf_copy", "leaf_view_of_view", "leaf_detach_ok", "leaf_no_grad_ok",
                                  "leaf_data_ok", "leaf_view_no_grad_ok"])
def test_inplace_on_leaf(case):
    def f(T):
        x = T.tensor(data(3, 4), requires_grad=True)
        if case == "leaf":
            x.add_(1)
        elif case == "leaf_view":
            x[0].mul_(2)
        elif case == "leaf_view_setitem":
            x.t()[1] = 0
        elif case == "leaf_setitem":
            x[0, 1] = 5
        elif case == "leaf_zero":
            x.zero_()
        elif case == "leaf_copy":
            x.copy_(T.ones(3, 4))
        elif case == "leaf_view_of_view":
            x[1:].t()[0].sin_()
        elif case == "leaf_detach_ok":
            x.detach().add_(1)
        elif case == "leaf_no_grad_ok":
            with T.no_grad():
                x.add_(1)
                x[0] = 2
        elif case == "leaf_data_ok":
            x.data.mul_(3)
        else:
            with T.no_grad():
                v = x[1]
            v.add_(1)
        return x, x.is_leaf, x._version
    same(f)


def test_inplace_leaf_error_messages():
    x = torchlike.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an"):
        x[0].add_(1)


def _names(node, depth=4):
    if node is None or depth == 0:
        return None
    return (node.name(), [(_names(n, depth - 1), i) for n, i in node.next_functions])


@pytest.mark.parametrize("op", ["sin_", "mul_", "add_", "exp_", "pow_", "clamp_", "div_", "copy_", "zero_",
                                "fill_", "masked_fill_", "index_add_", "scatter_", "tanh_", "relu_", "neg_"])
def test_inplace_on_nonleaf(op):
    def f(T):
        x = T.tensor(data(3, 4), requires_grad=True)
        w = T.tensor(data(3, 4, seed=1), requires_grad=True)
        y = x * 2
        args = {"sin_": (), "mul_": (w,), "add_": (w, ), "exp_": (), "pow_": (2,), "clamp_": (-0.5, 0.5),
                "div_": (w,), "copy_": (w,), "zero_": (), "fill_": (1.5,),
                "masked_fill_": (T.tensor(data(3, 4, dtype=np.bool_)), 0.0),
                "index_add_": (0, T.tensor([0, 2]), w[:2]), "scatter_": (1, T.tensor([[0], [1], [3]]), w[:, :1]),
                "tanh_": (), "relu_": (), "neg_": ()}[op]
        r = getattr(y, op)(*args)
        names = _names(y.grad_fn)
        (y * T.tensor(data(3, 4, seed=5))).sum().backward()
        return r is y, y, names, x.grad, w.grad, y.is_leaf, y._version
    same(f)


def test_inplace_nonleaf_chain_and_grads():
    def f(T):
        x = T.tensor(data(4), requires_grad=True)
        y = x * 2
        y.sin_()
        y.mul_(x)
        y.add_(1).exp_()
        z = y.sum()
        z.backward()
        return y, _names(y.grad_fn, 6), x.grad
    same(f)


def test_inplace_with_grad_other_on_plain_tensor():
    def f(T):
        w = T.tensor(data(3), requires_grad=True)
        y = T.tensor(data(3, seed=1))
        y.mul_(w)
        y.add_(w)
        y.sum().backward()
        return y, _names(y.grad_fn), w.grad, y.is_leaf, y.requires_grad
    same(f)


@pytest.mark.parametrize("case", ["saved_input", "saved_result", "saved_via_view", "not_saved_ok"])
def test_modified_saved_tensor_raises(case):
    def f(T):
        x = T.tensor(data(3), requires_grad=True)
        y = x * 1
        if case == "saved_input":
            z = y.sin()
            y.add_(1)
        elif case == "saved_result":
            z = y.exp()
            z.add_(1)
        elif case == "saved_via_view":
            z = y.sin()
            y[0] = 0.0
        else:
            z = y + 1
            y.add_(1)
        z.sum().backward()
        return x.grad
    same(f)


def test_inplace_in_no_grad_on_nonleaf_keeps_history():
    def f(T):
        x = T.tensor(data(3), requires_grad=True)
        y = x * 2
        with T.no_grad():
            y.add_(1)
        y.sum().backward()
        return y, y.grad_fn.name(), x.grad
    same(f)


# ---- writes into views of tensors with history: CopySlices -------------------
def test_setitem_copyslices_grads():
    def f(T):
        a = T.tensor(data(4, 3), requires_grad=True)
        x = T.tensor(data(3, seed=1), requires_grad=True)
        b = a.clone()
        b[0] = x * 3
        names = _names(b.grad_fn)
        view_name = b[0].grad_fn.name()
        (b * T.tensor(data(4, 3, seed=2))).sum().backward()
        return b, names, view_name, a.grad, x.grad
    same(f)


def test_view_mul_copyslices_grads():
    def f(T):
        a = T.tensor(data(4, 3), requires_grad=True)
        w = T.tensor(data(2, 3, seed=1), requires_grad=True)
        b = a.clone()
        v = b[1:3]
        v.mul_(w)
        names = _names(b.grad_fn)
        vname = _names(v.grad_fn)
        (b ** 2).sum().backward()
        return b, v, names, vname, a.grad, w.grad
    same(f)


def test_views_grad_fn_after_base_inplace():
    def f(T):
        a = T.tensor(data(4, 3), requires_grad=True)
        b = a.clone()
        v, w, t = b[0], b[1:3], b.t()
        before = [v.grad_fn.name(), w.grad_fn.name(), t.grad_fn.name()]
        b.mul_(2)
        after = [_names(v.grad_fn), _names(w.grad_fn), _names(t.grad_fn)]
        v2 = b[2]
        v2.add_(1)
        after2 = [_names(b.grad_fn), _names(v2.grad_fn), _names(v.grad_fn)]
        (v.sum() + w.sum() * 2 + (t * t).sum() + v2.sum()).backward()
        return before, after, after2, v, w, t, a.grad
    same(f)


def test_inplace_on_view_of_nonleaf_multiple():
    def f(T):
        a = T.tensor(data(3, 4), requires_grad=True)
        w = T.tensor(data(4, seed=1), requires_grad=True)
        b = a * 1
        b[0].mul_(w)
        b[:, 1].sin_()
        b.t()[2] += w[:3]
        b.diagonal().exp_()
        b[1:, ::2] = w[:2] * w[2:]
        (b * T.tensor(data(3, 4, seed=3))).sum().backward()
        return b, _names(b.grad_fn, 3), a.grad, w.grad
    same(f)


def test_inplace_on_view_of_plain_tensor_with_grad_value():
    def f(T):
        w = T.tensor(data(3, seed=1), requires_grad=True)
        b = T.zeros(2, 3)
        b[1] = w * 2
        b[0].add_(w)
        (b * b).sum().backward()
        return b, _names(b.grad_fn), b.is_leaf, w.grad
    same(f)


def test_inplace_view_chain_views_of_views():
    def f(T):
        a = T.tensor(data(4, 6), requires_grad=True)
        b = a.exp()
        v = b[1:].t()[::2]          # view of a view of a view
        v.mul_(3)
        u = b.view(24)[5:9]
        u.zero_()
        b.sum().backward()
        return b, v, u, _names(b.grad_fn, 2), a.grad
    same(f)


def test_inplace_view_then_use_old_view_in_graph():
    def f(T):
        a = T.tensor(data(3, 3), requires_grad=True)
        b = a * 2
        v = b[0]
        b[1].mul_(3)            # CopySlices on b; v's grad_fn is regenerated
        z = (v * v).sum() + b.sum()
        z.backward()
        return z, v.grad_fn.name(), a.grad
    same(f)


def test_detach_inplace_not_in_graph():
    def f(T):
        a = T.tensor(data(3), requires_grad=True)
        b = a * 2
        b.detach().zero_()
        # b's value is now zero but its history is MulBackward0 (torch does not check)
        b.sum().backward()
        return b, b.grad_fn.name(), a.grad
    same(f)


def test_detach_inplace_bumps_shared_version():
    def f(T):
        a = T.tensor(data(3), requires_grad=True)
        b = a.sin()
        c = b.exp()         # saves its result... and sin saves a
        a.detach().add_(1)  # a's version bumps: sin's saved input is stale
        c.sum().backward()
        return a.grad
    same(f)


def test_detach_inplace_error_view():
    def f(T):
        a = T.tensor(data(3, 4), requires_grad=True)
        b = a * 2
        v = b[0]
        v.detach_()
        return v, v.requires_grad
    same(f)


def test_detach_inplace_on_nonleaf():
    def f(T):
        a = T.tensor(data(3, 4), requires_grad=True)
        b = a * 2
        r = b.detach_()
        return r is b, b, b.requires_grad, b.grad_fn is None, b.is_leaf
    same(f)


def test_requires_grad_propagates_through_inplace_on_view():
    def f(T):
        w = T.tensor(data(3), requires_grad=True)
        base = T.zeros(3, 3)
        v = base[1]
        v.copy_(w)
        return base.requires_grad, base.grad_fn.name(), v.requires_grad, v.grad_fn.name()
    same(f)


# ---- out= ----------------------------------------------------------------------------
OUT_CASES = {
    "add_same_shape": lambda T, a, b: (T.add, (a, b), T.zeros(2, 3)),
    "add_empty": lambda T, a, b: (T.add, (a, b), T.empty(0)),
    "add_wrong_shape_nonempty": lambda T, a, b: (T.add, (a, b), T.zeros(5)),
    "add_float64_out": lambda T, a, b: (T.add, (a, b), T.zeros(2, 3, dtype=T.float64)),
    "add_long_out_error": lambda T, a, b: (T.add, (a, b), T.zeros(2, 3, dtype=T.int64)),
    "add_bool_out_error": lambda T, a, b: (T.add, (a, b), T.zeros(2, 3, dtype=T.bool)),
    "int_add_float_out": lambda T, a, b: (T.add, (a.long(), 1), T.zeros(2, 3)),
    "eq_float_out": lambda T, a, b: (T.eq, (a, b), T.zeros(2, 3)),
    "sin_int_float_out": lambda T, a, b: (T.sin, (T.arange(3),), T.empty(0)),
    "sin_int_long_out_error": lambda T, a, b: (T.sin, (T.arange(3),), T.empty(0, dtype=T.int64)),
    "mul_scalar": lambda T, a, b: (T.mul, (a, 2.5), T.empty(0)),
    "sum_dim": lambda T, a, b: (T.sum, (a, 0), T.empty(0)),
    "mean_f64": lambda T, a, b: (T.mean, (a,), T.empty(0, dtype=T.float64)),
    "cat": lambda T, a, b: (T.cat, ([a, a],), T.empty(0)),
    "matmul": lambda T, a, b: (T.matmul, (a, b), T.empty(0)),
    "clamp": lambda T, a, b: (T.clamp, (a, -0.5, 0.5), T.empty(0)),
    "where": lambda T, a, b: (T.where, (a > 0, a, b), T.empty(0)),
    "out_list_type_error": lambda T, a, b: (T.add, (a, b), [1]),
}


@pytest.mark.parametrize("name", list(OUT_CASES))
def test_out(name):
    def f(T):
        a = _f(T, 2, 3) - 0.5
        b = _f(T, 3, seed=1)
        fn, args, out = OUT_CASES[name](T, a, b)
        v0 = out._version if hasattr(out, "_version") else None
        r = fn(*args, out=out)
        return r is out, out, out.dtype, out.shape, out._version - v0
    same(f)


def test_out_resize_nonempty_warns():
    import warnings
    for T in (torchlike, __import__("torch")):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.add(T.ones(2, 3), 1, out=T.zeros(5))
            T.add(T.ones(2, 3), 1, out=T.empty(0))
        msgs = [str(x.message) for x in w if issubclass(x.category, UserWarning)]
        assert len(msgs) == 1 and "was resized since it had shape [5]" in msgs[0], (T.__name__, msgs)


def test_out_multiple_outputs():
    def f(T):
        a = _f(T, 3, 4)
        v, i = T.empty(0), T.empty(0, dtype=T.int64)
        r = T.max(a, 1, out=(v, i))
        return r, r.values is v, r.indices is i, v, i
    same(f)


@pytest.mark.parametrize("case", ["input_requires_grad", "out_requires_grad", "no_grad_ok", "out_is_view",
                                  "out_view_resized_keeps_alias", "out_root_resized_keeps_views",
                                  "out_full_overlap_ok", "out_partial_overlap", "out_expanded",
                                  "out_error_leaves_unchanged"])
def test_out_semantics(case):
    def f(T):
        a = _f(T, 2, 3)
        b = _f(T, 3, seed=1)
        if case == "input_requires_grad":
            o = T.zeros(2, 3)
            T.add(a.requires_grad_(), b, out=o)
            return o
        if case == "out_requires_grad":
            o = T.zeros(2, 3, requires_grad=True)
            T.add(a, b, out=o)
            return o
        if case == "no_grad_ok":
            o = T.zeros(2, 3, requires_grad=True)
            with T.no_grad():
                r = T.mul(a.requires_grad_(), b, out=o)
            return r is o, o, o.requires_grad, o.grad_fn is None
        if case == "out_is_view":
            x = T.zeros(4, 3)
            r = T.add(a[0], b, out=x[1])
            return x, r, r._base is x
        if case == "out_view_resized_keeps_alias":
            x = T.zeros(4, 3)
            o = x[1]
            T.add(a, b, out=o)
            return x, o, o.shape, o.stride(), o.storage_offset()
        if case == "out_root_resized_keeps_views":
            o = T.zeros(6)
            v = o[:3]
            T.add(a, b, out=o)
            return o, v, o.stride()
        if case == "out_full_overlap_ok":
            x = T.arange(5.0)
            r = T.add(x, 1, out=x)
            return r is x, x, x._version
        if case == "out_partial_overlap":
            x = T.arange(5.0)
            T.add(x[:-1], 1, out=x[1:])
            return x
        if case == "out_expanded":
            x = T.zeros(3)
            T.add(a, b, out=x.expand(2, 3))
            return x
        o = T.zeros(2, 3, dtype=T.int64)
        try:
            T.add(a, b, out=o)
        except RuntimeError:
            pass
        return o, o._version
    same(f)


def test_zero_of_whole_tensors_under_no_grad(monkeypatch):
    """``p.grad.zero_()`` with nothing recorded writes a zeros array shared by every tensor of that shape and
    dtype (``_ops_copy._zeros_of``; JAX arrays are immutable): each tensor's versions, its views and aliases
    see the zeros, writes after it (in place, through a view, by backward adding into ``.grad``) change that
    tensor alone, and a view, a large tensor or a recorded ``zero_`` take the op's own path, as PyTorch."""
    from torchlike import _ops_copy
    made = []
    zeros_of = _ops_copy._zeros_of
    def counted(t):
        z = zeros_of(t)
        made.append(z is not None)
        return z
    monkeypatch.setattr(_ops_copy._ZERO, "constant", counted)

    def f(T):
        a, b = T.tensor(data(3, 4)), T.tensor(data(3, 4, seed=2))
        va, alias = a[1], a.detach()
        out = []
        with T.no_grad():
            a.zero_()
            b.zero_()
            out += [a.clone(), b.clone(), va.clone(), alias.clone(), a._version, b._version, va._version]
            a.add_(1)
            b[0, 1] = 5
            out += [a.clone(), b.clone(), T.zeros(3, 4).zero_() + 2]
            big = T.ones(600, 500)
            out += [big.zero_().sum(), big._version]
            c = T.tensor(data(3, 4, seed=3))
            c[1:].zero_()
            out += [c.clone(), c._version, T.ones(3, dtype=T.int64).zero_(), T.ones(2, dtype=T.bool).zero_()]
        w = T.tensor(data(3, 4, seed=4), requires_grad=True)
        for _ in range(3):
            (w.sin() * 3).sum().backward()      # (one path to w: PyTorch's first .grad is version 0)
            g = w.grad.clone()
            with T.no_grad():
                w.grad.zero_()
            out += [g, w.grad.clone(), w.grad._version]
        x = T.tensor(data(3), requires_grad=True) * 2
        x.zero_()
        out += [x, x.grad_fn.name(), x._version]
        return out
    same(f)
    assert any(made) and not all(made)      # the shared zeros were written, and the large tensor took the op


def test_zero_under_a_jit_caches_no_tracer_for_later_tensors():
    """``zero_()``'s shared zeros made while a user's ``jax.jit`` traces (of a tensor from outside the
    function) are staged into that program and not kept (``_registry.put_cached``): a later eager
    ``zero_()`` of another tensor of that shape gets concrete zeros, as in PyTorch (it raised JAX's
    UnexpectedTracerError when the traced zeros were cached)."""
    import jax
    import jax.numpy as jnp
    g = torchlike.ones(3, 7)

    def f(x):
        with torchlike.no_grad():
            g.zero_()
        return x + 1
    jax.jit(f)(jnp.ones(2))

    def later(T):
        h = T.ones(3, 7)
        with T.no_grad():
            h.zero_()
        return h + 1, h._version
    same(later)
