"""The in-place functions of the torch namespace (``torch.sin_(x)``, ``torch.relu_(x)``, ...): each is the
Tensor's in-place method, or for the activation and dropout ones the ``nn.functional`` function with
``inplace=True``.  The names are PyTorch 2.13's (``[n for n in dir(torch) if n.endswith('_')]``)."""
from __future__ import annotations
from ._tensor import Tensor
from .nn import functional as F

# torch.<name>_ that are the Tensor method of the same name (fill_, index_put_, resize_as_ and zero_ are
# published with their declarations: _ops_copy, _ops_tensor_api, _indexing)
METHOD_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "as_strided_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
    "conj_physical_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_",
    "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
    "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_")


def _check_input(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _method_function(name):
    def fn(input, *args, **kwargs):
        _check_input(name, input)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(input, ...)``: ``input.{name}(...)``."
    return fn


def _nn_functions():

    def dropout_variant(name, impl, feature):
        def fn(input, p, train):
            _check_input(name, input)
            return impl(input, p, train, True, feature)
        fn.__name__ = fn.__qualname__ = name
        return fn
    dropouts = [dropout_variant(name, impl, feature) for name, impl, feature in (
        ("dropout_", F._dropout_impl, False), ("feature_dropout_", F._dropout_impl, True),
        ("alpha_dropout_", F._alpha_dropout_impl, False), ("feature_alpha_dropout_", F._alpha_dropout_impl, True))]

    def celu_(input, alpha=1.0):
        _check_input("celu_", input)
        return F.celu(input, alpha, inplace=True)

    def selu_(input):
        _check_input("selu_", input)
        return F.selu(input, inplace=True)

    def threshold_(input, threshold, value):
        _check_input("threshold_", input)
        return F.threshold(input, threshold, value, inplace=True)

    def embedding_renorm_(input, indices, max_norm, norm_type):
        _check_input("embedding_renorm_", input)
        F._embedding_renorm_(input, indices._arr(), max_norm, norm_type)
        return input

    return {f.__name__: f for f in (*dropouts, celu_, selu_, threshold_, embedding_renorm_)}


def functions():
    """``{name: function}`` for every in-place torch function whose Tensor method or nn function we have."""
    out = {n: _method_function(n) for n in METHOD_NAMES if hasattr(Tensor, n)}
    out.update(_nn_functions())
    return out
