"""``torch.nn.functional``: argument checking and dispatch to the declared ops.

The ops themselves (JAX implementation, grad_fn name, dtype rule) are declared
once in :mod:`torchlike.nn._ops_nn`; this module turns PyTorch's calling
conventions (``stride=2`` for ``(2, 2)``, ``reduction=``, legacy
``size_average``/``reduce``, ``inplace=True``, string padding, ...) into a
``call`` of the op, and raises PyTorch's exceptions for bad arguments before
any JAX code runs.
"""
from __future__ import annotations

import builtins
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._names import publish
from .._registry import OPS, _type_word, _wrap_dim, call, call_inplace
from .._tensor import Tensor
from ..autograd import grad_mode
from .._state import local as _local
from . import _ops_nn  # noqa: F401  (declares the ops)
from ._ops_nn import pool_geometry
from .._random import _key
from .attention import check_viable
import torchlike as torch     # the public face, read when called (not an import cycle)

_OP = {name: OPS[name] for name in (
    "relu", "leaky_relu", "_leaky_relu_inplace", "elu", "_elu_inplace", "gelu", "silu", "mish", "softplus",
    "hardtanh", "hardswish", "hardsigmoid", "log_sigmoid", "softsign", "glu", "softmax", "log_softmax", "sigmoid",
    "tanh", "_as_node", "convolution", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "native_batch_norm", "native_layer_norm", "native_group_norm",
    "embedding", "_dropout", "nll_loss", "cross_entropy", "cross_entropy_probs", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot",
    "constant_pad_nd", "_mode_pad", "normalize", "scaled_dot_product_attention", "celu", "threshold", "softshrink",
    "hardshrink", "tanhshrink", "_prelu_kernel", "rms_norm", "kl_div", "soft_margin_loss", "pixel_shuffle",
    "pixel_unshuffle", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices")}
_LINEAR_MM = OPS["_linear_mm"].function
_MV, _DOT = OPS["mv"].function, OPS["dot"].function


def _tuple(x, n, name="argument"):
    if isinstance(x, (list, tuple)):
        if len(x) == 1:
            return tuple(builtins.int(x[0]) for _ in range(n))
        return tuple(builtins.int(v) for v in x)
    return (builtins.int(x),) * n


def _check_tensor(x, fn, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")


# ---- reductions ---------------------------------------------------------------
def _legacy_reduction(size_average, reduce):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  UserWarning, stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


# ---- activations ----------------------------------------------------------------
def _pointwise(name, x, statics=(), inplace=False, inplace_op=None):
    if inplace:
        return call_inplace(inplace_op or _OP[name], (x,), statics)
    return call(_OP[name], (x,), statics)


def relu(input, inplace=False):
    return _pointwise("relu", input, (), inplace)


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _pointwise("leaky_relu", input, (negative_slope,), inplace, _OP["_leaky_relu_inplace"])


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _pointwise("elu", input, (alpha, 1, 1), inplace, _OP["_elu_inplace"])


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    return _pointwise("elu", input, (1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1),
                      inplace, _OP["_elu_inplace"])


def gelu(input, approximate="none"):
    return call(_OP["gelu"], (input,), (approximate,))


def silu(input, inplace=False):
    return _pointwise("silu", input, (), inplace)


def mish(input, inplace=False):
    return _pointwise("mish", input, (), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return call(_OP["softplus"], (input,), (beta, threshold))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _pointwise("hardtanh", input, (min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardswish(input, inplace=False):
    return _pointwise("hardswish", input, (), inplace)


def hardsigmoid(input, inplace=False):
    return _pointwise("hardsigmoid", input, (), inplace)


def logsigmoid(input):
    return call(_OP["log_sigmoid"], (input,), ())


def softsign(input):
    return call(_OP["softsign"], (input,), ())


def glu(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is size {n}")
    return call(_OP["glu"], (input,), (dim % input.ndim,))


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _pointwise("celu", input, (alpha,), inplace)


def threshold(input, threshold, value, inplace=False):
    return _pointwise("threshold", input, (threshold, value), inplace)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return call(_OP["softshrink"], (input,), (lambd,))


def hardshrink(input, lambd=0.5):
    return call(_OP["hardshrink"], (input,), (lambd,))


def tanhshrink(input):
    return call(_OP["tanhshrink"], (input,), ())


def prelu(input, weight):
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    return call(_OP["_prelu_kernel"], (input, weight), ())


def sigmoid(input):
    return call(_OP["sigmoid"], (input,), ())


def tanh(input):
    return call(_OP["tanh"], (input,), ())


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return call(_OP["softmax"], (input,), (_wrap_dim(dim, input.ndim), dtype))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return call(_OP["log_softmax"], (input,), (_wrap_dim(dim, input.ndim), dtype))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return softmax(-input, dim, dtype=dtype)


# ---- linear / conv --------------------------------------------------------------
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, with PyTorch's graph: a 2-D input is ``AddmmBackward0`` over
    ``(bias, input, TBackward0(weight))`` (``MmBackward0`` without a bias); an input of another rank
    that PyTorch folds to 2-D has ``ViewBackward0`` (``UnsqueezeBackward0``, or a clone and
    ``UnsafeViewBackward0``) before and ``ViewBackward0`` (``SqueezeBackward4``, ``UnsafeViewBackward0``)
    after; a 1-D weight is ``mv``/``dot``; a bias PyTorch cannot fold into ``addmm`` is an ``add_``.

    The kernel is one ``_linear_mm`` op whatever the rank (the transpose and the folds are XLA's
    business); the view steps exist only as graph nodes (``_as_node``), made only where autograd records.
    """
    _check_tensor(input, "linear")
    _check_tensor(weight, "linear", "weight")
    if bias is not None:
        _check_tensor(bias, "linear", "bias")
    nd = input.ndim
    if nd == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {nd}D and "
                           f"{weight.ndim}D")
    if weight.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.ndim}D")
    if bias is not None and nd != 2 and (bias.ndim != 1 or not _contiguous(input)):
        return linear(input, weight).add_(bias)         # PyTorch's matmul, then an in-place add
    rec = _local.state.grad_enabled
    w = _as_node(weight, weight.shape, "TBackward0") if rec and weight._requires_grad else weight
    if weight.ndim == 1 and bias is None:               # matmul with a vector: dot / mv
        if nd == 1:
            return _DOT(input, w)
        if nd == 2:
            return _MV(input, w)
        return _as_node(_MV(_fold(input), w), input.shape[:-1], "UnsafeViewBackward0")
    x = input
    if nd != 2 and rec and input._requires_grad:
        if bias is not None or (nd > 2 and _contiguous(input)):
            x = _as_node(input, input.shape, "ViewBackward0")
        elif nd == 1:
            x = _as_node(input, input.shape, "UnsqueezeBackward0")
        else:
            x = _as_node(input.contiguous(), input.shape, "UnsafeViewBackward0")
    y = _LINEAR_MM(bias, x, w)
    if nd != 2 and y._grad_fn is not None:
        y = _as_node(y, y.shape, "ViewBackward0" if bias is not None else "SqueezeBackward4" if nd == 1
                     else "UnsafeViewBackward0")
    return y


def _contiguous(x):
    # a tensor that is not a view is contiguous: no need to ask its layout, which would compute a pending value
    return x._view is None or x.is_contiguous()


def _as_node(x, size, node):
    return call(_OP["_as_node"], (x,), (tuple(size), node))


def _fold(x):
    """``x`` as a matrix of its rows, as PyTorch's matmul folds it: a view, or a clone when not contiguous."""
    size = (math.prod(x.shape[:-1]), x.shape[-1])
    if _contiguous(x):
        return _as_node(x, size, "ViewBackward0")
    return _as_node(x.contiguous(), size, "UnsafeViewBackward0")


def bilinear(input1, input2, weight, bias=None):
    y = torch.einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


def _check_conv_tail(name, nsp, input, weight, dilation, groups):
    """PyTorch's checks of dilation, groups and the weight's rank, shared by conv and conv_transpose."""
    if any(v <= 0 for v in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != nsp + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.ndim < 3 else
                           f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")


def _conv(nsp, input, weight, bias, stride, padding, dilation, groups):
    _check_tensor(input, f"conv{nsp}d")
    stride = _tuple(stride, nsp)
    dilation = _tuple(dilation, nsp)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of ('valid', 'same')")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    else:
        padding = _tuple(padding, nsp)
        if any(p < 0 for p in padding):
            raise RuntimeError("negative padding is not supported")
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    _check_conv_tail(f"conv{nsp}d", nsp, input, weight, dilation, groups)
    return call(_OP["convolution"], (input, weight, bias), (stride, padding, dilation, builtins.int(groups)))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


# ---- pooling --------------------------------------------------------------------
def _pool_input(nsp, input, name):
    if input.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{name}: Expected {nsp + 1}D or {nsp + 2}D (batch mode) tensor for input, but got: "
                           f"{list(input.shape)}" if nsp != 2 else
                           f"non-empty {nsp + 1}D or {nsp + 2}D (batch mode) tensor expected for input")


def _pool_args(nsp, kernel_size, stride, padding, dilation):
    k = _tuple(kernel_size, nsp)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _tuple(stride, nsp)
    return k, s, _tuple(padding, nsp), _tuple(dilation, nsp)


def _check_pool_output(input, nsp, k, s, p, d, ceil_mode, dilated):
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel_size must be greater than zero, but got " + ", ".join(map(str, k)))
    for pp in p:
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " + ", ".join(map(str, d)))
    for kk, pp, dd in zip(k, p, d):
        if dilated:
            if pp > ((kk - 1) * dd + 1) // 2:
                raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                                   f"kernel_size={kk} and dilation={dd}")
        elif pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of kernel size, but got pad={pp} and kernel_size={kk}")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should be greater than zero, but got " + ", ".join(f"{v}" for v in s))
    outs, _ = pool_geometry(input.shape[-nsp:], k, s, p, d, ceil_mode)
    if any(o <= 0 for o in outs):
        size = "x".join(map(str, input.shape[-nsp - 1:]))
        osize = "x".join(map(str, (input.shape[-nsp - 1],) + tuple(outs)))
        raise RuntimeError(f"Given input size: ({size}). Calculated output size: ({osize}). Output size is too small")


def _max_pool(nsp, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_tensor(input, f"max_pool{nsp}d")
    _pool_input(nsp, input, f"max_pool{nsp}d")
    k, s, p, d = _pool_args(nsp, kernel_size, stride, padding, dilation)
    _check_pool_output(input, nsp, k, s, p, d, ceil_mode, True)
    statics = (k, s, p, d, builtins.bool(ceil_mode))
    if return_indices:
        return call(_OP[f"max_pool{nsp}d_with_indices"], (input,), statics)
    return call(_OP[f"max_pool{nsp}d"], (input,), statics)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(nsp, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _check_tensor(input, f"avg_pool{nsp}d")
    _pool_input(nsp, input, f"avg_pool{nsp}d")
    k, s, p, d = _pool_args(nsp, kernel_size, stride, padding, 1)
    _check_pool_output(input, nsp, k, s, p, d, ceil_mode, False)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return call(_OP[f"avg_pool{nsp}d"], (input,), (k, s, p, builtins.bool(ceil_mode), builtins.bool(count_include_pad),
                                                  divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(output_size, input, nsp):
    if isinstance(output_size, (list, tuple)) and input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nsp:
            raise RuntimeError(f"adaptive_avg_pool{nsp}d: output_size must be {nsp}")
        sizes = output_size
    else:
        sizes = (output_size,) * nsp
    return tuple(input.shape[input.ndim - nsp + i] if o is None else builtins.int(o) for i, o in enumerate(sizes))


def adaptive_avg_pool1d(input, output_size):
    _pool_input(1, input, "adaptive_avg_pool1d")
    return call(_OP["adaptive_avg_pool1d"], (input,), (_adaptive_size(output_size, input, 1),))


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_pool_nd("avg", 2, input, output_size, False)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_pool_nd("avg", 3, input, output_size, False)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    _pool_input(1, input, "adaptive_max_pool1d")
    size = (_adaptive_size(output_size, input, 1),)
    if return_indices:
        return call(_OP["adaptive_max_pool1d_with_indices"], (input,), size)
    return call(_OP["adaptive_max_pool1d"], (input,), size)


def _adaptive_pool_nd(kind, n, input, output_size, return_indices):
    """adaptive_{avg,max}_pool{2,3}d: PyTorch's input checks in its order, then the op."""
    name = f"adaptive_{kind}_pool{n}d"
    _check_tensor(input, name)
    size = (_adaptive_size(output_size, input, n),)
    if input.ndim not in (n + 1, n + 2):
        sep = ":" if kind == "max" else ""
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got{sep} {list(input.shape)}")
    return call(OPS[name + "_with_indices" if return_indices else name], (input,), size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_pool_nd("max", 2, input, output_size, return_indices)


# ---- normalization --------------------------------------------------------------
def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    """Normalises over the batch (training) or with the running statistics (eval).

    In training, ``running_mean``/``running_var`` (when given) are updated in
    place with ``momentum``, as PyTorch does.
    """
    if training:
        _verify_batch_size(input.size())
    elif running_mean is None or running_var is None:
        if running_mean is None and running_var is None:
            training = True
        else:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    stats = running_mean is not None and running_var is not None
    rm = running_mean._arr() if stats else None
    rv = running_var._arr() if stats else None
    m = builtins.float(momentum if momentum is not None else 0.0)
    r = call(_OP["native_batch_norm"], (input, weight, bias, rm, rv, m), (builtins.bool(training), builtins.float(eps)))
    if training and stats:
        out, new_rm, new_rv = r
        running_mean._assign(new_rm._arr())
        running_var._assign(new_rv._arr())
        return out
    return r


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    ns = _tuple(normalized_shape, 1) if not isinstance(normalized_shape, (list, tuple)) else \
        tuple(builtins.int(v) for v in normalized_shape)
    return call(_OP["native_layer_norm"], (input, weight, bias), (ns, builtins.float(eps)))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = (builtins.int(normalized_shape),) if not isinstance(normalized_shape, (list, tuple)) else \
        tuple(builtins.int(v) for v in normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size{list(input.shape)}")
    return call(_OP["rms_norm"], (input, weight), (ns, None if eps is None else builtins.float(eps)))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    """Normalise each (sample, channel) plane: batch norm of the input viewed as (1, N*C, ...), PyTorch's
    formulation (running statistics, when given, are updated with the mean over the batch)."""
    n, c = input.shape[0], input.shape[1]
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    rep = (lambda t: None if t is None else t.repeat(n))
    rm, rv = rep(running_mean), rep(running_var)
    out = batch_norm(x, rm, rv, rep(weight), rep(bias), use_input_stats, momentum, eps)
    if use_input_stats:
        with grad_mode.no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.view(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(rv.view(n, c).mean(0))
    return out.view(tuple(input.shape))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    if input.shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    return call(_OP["native_group_norm"], (input, weight, bias), (builtins.int(num_groups), builtins.float(eps)))


# ---- embedding / dropout --------------------------------------------------------
def _concrete(a):
    return not isinstance(a, jax.core.Tracer)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if input._dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_type_word(input._dtype)}Tensor instead "
                           "(while checking arguments for embedding)")
    wshape = weight._shape()
    if len(wshape) != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = wshape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    host = _host(input)
    if host is not None and host.size:
        # (a few indices, a decoding loop's token: as Python ints, ~10x cheaper than numpy's min and max)
        if host.size <= 16:
            idx = host.reshape(-1).tolist()
            low, high = min(idx), max(idx)
        else:
            low, high = host.min(), host.max()
        if low < 0 or high >= n:
            raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, input._arr(), max_norm, norm_type)
    return call(_OP["embedding"], (weight, input), (builtins.int(padding_idx),))


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    with grad_mode.no_grad():
        w = weight._arr()
        rows = jnp.unique(idx.reshape(-1))
        sel = w[rows]
        norms = jnp.sum(jnp.abs(sel) ** norm_type, axis=-1) ** (1.0 / norm_type)
        scale = jnp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        weight._assign(w.at[rows].set(sel * scale[:, None]))


def _dropout_impl(input, p, training, inplace, feature):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    key = _key(None)
    if inplace:
        return call_inplace(_OP["_dropout"], (input, key), (builtins.float(p), feature))
    return call(_OP["_dropout"], (input, key), (builtins.float(p), feature))


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_impl(input, p, training, inplace, False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.ndim == 2:
        return _dropout_impl(input.unsqueeze(0), p, training, inplace, True).squeeze(0)
    return _dropout_impl(input, p, training, inplace, True)


def dropout2d(input, p=0.5, training=True, inplace=False):
    if input.ndim == 3:
        return _dropout_impl(input.unsqueeze(0), p, training, inplace, True).squeeze(0)
    return _dropout_impl(input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    if input.ndim == 4:
        return _dropout_impl(input.unsqueeze(0), p, training, inplace, True).squeeze(0)
    return _dropout_impl(input, p, training, inplace, True)




# ---- losses -----------------------------------------------------------------------
def _check_class_target(input, target, name, reduction="mean"):
    """Class-index targets: the shapes first, then the dtype, in PyTorch's order.  Returns the target (a
    1-D input's one-element target as a scalar, as PyTorch reads it)."""
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if input.ndim == 1:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        _check_class_dtype(target)
        if target.ndim == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
        if target.ndim == 1 and reduction == "none":
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)}, target: {list(target.shape)})")
    elif input.shape[0] != (target.shape[0] if target.ndim else -1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    elif input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif input.ndim > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    _check_class_dtype(target)
    return target.reshape(()) if input.ndim == 1 and target.ndim == 1 else target


def _check_class_dtype(target):
    if target._dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_type_word(target._dtype)}")


def _host(t):
    """A tensor's values on the host (None under a JAX transform): a strided view of its storage's
    host copy, so a view (``targets.view(-1)``) is read without a program of its own.

    Index checks read the *input* (targets, indices), which is normally ready, so
    this waits for that array only rather than for all queued work, as a device
    reduction followed by ``bool()`` would."""
    a = t._storage._a
    if isinstance(a, jax.core.Tracer) or isinstance(t._cache, jax.core.Tracer):
        return None
    return t._host()


def _check_class_values(target, n_classes, ignore_index):
    t = _host(target)
    if t is not None and t.size:
        bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
        if bad.any():
            raise IndexError(f"Target {int(t.reshape(-1)[np.argmax(bad.reshape(-1))])} is out of bounds.")


def _check_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    target = _check_class_target(input, target, "nll_loss", reduction)
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    _check_weight(weight, n_classes)
    _check_class_values(target, n_classes, ignore_index)
    return call(_OP["nll_loss"], (input, target, weight), (reduction, builtins.int(ignore_index)))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    n_classes = input.shape[0 if input.ndim == 1 else 1] if input.ndim else 0
    if target._dtype.category >= D.FLOAT and tuple(target.shape) == tuple(input.shape):
        _check_weight(weight, n_classes)
        return call(_OP["cross_entropy_probs"], (input, target, weight), (reduction, builtins.float(label_smoothing)))
    target = _check_class_target(input, target, "cross_entropy", reduction)
    _check_weight(weight, n_classes)
    _check_class_values(target, n_classes, ignore_index)
    return call(_OP["cross_entropy"], (input, target, weight),
                (reduction, builtins.int(ignore_index), builtins.float(label_smoothing)))


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def _pair_loss(name, input, target, reduction, *extra):
    _check_tensor(input, name)
    _warn_size(input, target)
    return call(_OP[name], (input, target), (reduction,) + extra)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted_pair_loss("mse_loss", input, target, weight, reduction)
    return _pair_loss("mse_loss", input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        return _weighted_pair_loss("l1_loss", input, target, weight, reduction)
    return _pair_loss("l1_loss", input, target, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pair_loss("smooth_l1_loss", input, target, reduction, builtins.float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pair_loss("huber_loss", input, target, reduction, builtins.float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    x = input._arr()
    if _concrete(x) and x.size and builtins.bool(jnp.any((x < 0) | (x > 1))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return call(_OP["binary_cross_entropy"], (input, target, weight), (reduction,))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    return call(_OP["binary_cross_entropy_with_logits"], (input, target, weight, pos_weight), (reduction,))


# ---- misc -------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return call(_OP["kl_div"], (input, target), (reduction, builtins.bool(log_target)))


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    return call(_OP["soft_margin_loss"], (input, target), (reduction,))


def pixel_shuffle(input, upscale_factor):
    r = builtins.int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return call(_OP["pixel_shuffle"], (input,), (r,))


def pixel_unshuffle(input, downscale_factor):
    r = builtins.int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if input.shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{input.shape[-2]} is not divisible by {r}")
    if input.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{input.shape[-1]} is not divisible by {r}")
    return call(_OP["pixel_unshuffle"], (input,), (r,))


def one_hot(tensor, num_classes=-1):
    if tensor._dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    t = tensor._arr()
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = builtins.int(jnp.max(t)) + 1
    if t.size:
        if builtins.bool(jnp.any(t < 0)):
            raise RuntimeError("Class values must be non-negative.")
        if builtins.bool(jnp.any(t >= num_classes)):
            raise RuntimeError("Class values must be smaller than num_classes.")
    return call(_OP["one_hot"], (tensor,), (builtins.int(num_classes),))


def pad(input, pad, mode="constant", value=None):
    pad = tuple(builtins.int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode == "constant":
        return call(_OP["constant_pad_nd"], (input,), (pad, 0 if value is None else value))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise AssertionError(f'Padding mode "{mode}"" doesn\'t take in value argument')
    n = len(pad) // 2
    if input.ndim not in (n + 1, n + 2):
        raise NotImplementedError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
    if mode == "reflect":
        for i in range(n):
            size = input.shape[input.ndim - 1 - i]
            if pad[2 * i] >= size or pad[2 * i + 1] >= size:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({pad[2 * i]}, {pad[2 * i + 1]}) at dimension "
                                   f"{input.ndim - 1 - i} of input {list(input.shape)}")
    return call(_OP["_mode_pad"], (input,), (pad, mode))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    r = call(_OP["normalize"], (input,), (builtins.float(p), _wrap_dim(dim, input.ndim), builtins.float(eps)))
    if out is not None:
        out.copy_(r)
        return out
    return r


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    check_viable()
    rng = None
    if dropout_p > 0.0:
        rng = _key(None)
    return call(_OP["scaled_dot_product_attention"], (query, key, value, attn_mask, rng),
                (builtins.float(dropout_p), builtins.bool(is_causal),
                 None if scale is None else builtins.float(scale), builtins.bool(enable_gqa)))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    ndim = max(x1.ndim, x2.ndim)
    return call(OPS["cosine_similarity"], (x1, x2), (_wrap_dim(dim, ndim), builtins.float(eps)))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return torch.norm(x1 - x2 + eps, p, -1, keepdim)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)




# ---- interpolation -------------------------------------------------------------------
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _spatial_list(value, nsp):
    if isinstance(value, (list, tuple)):
        if len(value) != nsp:
            return None
        return list(value)
    return [value] * nsp


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims (all but the first two) of ``input``; PyTorch's index and weight rules."""
    _check_tensor(input, "interpolate")
    nsp = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = _spatial_list(size, nsp)
        if sizes is None:
            raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK)"
                             " format.")
        scales = None
    elif scale_factor is not None:
        scales = _spatial_list(scale_factor, nsp)
        if scales is None:
            raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             "scale_factor in (s1, s2, ...,sK) format.")
        sizes = [math.floor(float(n) * float(sc)) for n, sc in zip(input.shape[2:], scales)]
        scales = None if recompute_scale_factor else tuple(float(sc) for sc in scales)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != nsp:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode] + 2}D input")
    if nsp not in (1, 2, 3) or mode not in ("nearest", "nearest-exact", "area") + tuple(_LINEAR_MODES):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by torchlike")
    sizes = tuple(builtins.int(o) for o in sizes)
    cat = input._dtype.category
    if mode == "area" and cat < D.FLOAT:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_type_word(input._dtype)}")
    if mode != "area" and (cat == D.COMPLEX or (cat < D.FLOAT and input._dtype is not D.uint8)):
        kernel = "_upsample_nearest_exact" if mode == "nearest-exact" else "upsample_" + mode
        raise NotImplementedError(f'"{kernel}{nsp}d" not implemented for \'{_type_word(input._dtype)}\'')
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nsp - 1](input, sizes)
    if any(o <= 0 for o in sizes) or any(n <= 0 for n in input.shape[2:]):
        dims = "DHW"[3 - nsp:]
        raise RuntimeError("Input and output sizes should be greater than 0, but got input (" +
                           ", ".join(f"{d}: {n}" for d, n in zip(dims, input.shape[2:])) + ") output (" +
                           ", ".join(f"{d}: {n}" for d, n in zip(dims, sizes)) + ")")
    return call(OPS["_upsample"], (input,), (mode, sizes, scales, builtins.bool(align_corners)))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- unfold / fold ---------------------------------------------------------------------
def _fold_args(name, input, kernel_size, dilation, padding, stride):
    if input._dtype.category == D.INT:
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'{_type_word(input._dtype)}\'')
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}: stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{name}: dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"{name}: padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def _blocks(sizes, k, d, p, s):
    return [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(sizes, k, d, p, s)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: ``(N, C, H, W)`` -> ``(N, C * kh * kw, L)`` sliding blocks (also unbatched ``(C, H, W)``)."""
    _check_tensor(input, "unfold")
    if 0 < input.ndim < 3:      # PyTorch reads dim 2 before checking
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                         f"but got {input.ndim})")
    k, d, p, s = _fold_args("im2col", input, kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4) or any(n == 0 for n in input.shape[-3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    blocks = _blocks(input.shape[-2:], k, d, p, s)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size ({input.shape[-2]}, {input.shape[-1]}), "
                           f"kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"calculated shape of the array of sliding blocks as ({blocks[0]}, {blocks[1]}), but its "
                           "components must be at least one.")
    return call(OPS["im2col"], (input,), (k, d, p, s))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of :func:`unfold`: sums the blocks ``(N, C * kh * kw, L)`` into ``(N, C, *output_size)``."""
    _check_tensor(input, "fold")
    o = _tuple(output_size, 2)
    k, d, p, s = _fold_args("col2im", input, kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or any(n == 0 for n in input.shape[-2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    kk = k[0] * k[1]
    if input.shape[-2] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={input.shape[-2]} and kernel_size=({k[0]}, {k[1]})")
    blocks = _blocks(o, k, d, p, s)
    if any(b < 1 for b in blocks) or blocks[0] * blocks[1] != input.shape[-1]:
        raise RuntimeError(f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={input.shape[-1]}.")
    return call(OPS["col2im"], (input,), (o, k, d, p, s))


# ---- transposed convolution ----------------------------------------------------------------
def _conv_transpose(nsp, input, weight, bias, stride, padding, output_padding, groups, dilation):
    name = f"conv_transpose{nsp}d"
    _check_tensor(input, name)
    if isinstance(padding, str):
        raise RuntimeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride, padding, output_padding, dilation = (_tuple(v, nsp) for v in (stride, padding, output_padding, dilation))
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")
    if any(v < 0 for v in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_conv_tail(name, nsp, input, weight, dilation, groups)
    if input.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {list(weight.shape)} instead")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got output_padding: "
                           f"{list(output_padding)} stride: {list(stride)} dilation: {list(dilation)}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    sizes = input.shape[-nsp:]
    outs = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
            for n, s, p, d, k, op in zip(sizes, stride, padding, dilation, weight.shape[2:], output_padding)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, sizes))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, outs))}). Output size is too small")
    return call(OPS["conv_transpose"], (input, weight, bias),
                (stride, padding, output_padding, builtins.int(groups), dilation))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


# ---- max unpooling, adaptive max pool 3d, fractional max pooling ----------------------------------------
def _unpool_output_size(input, nsp, k, s, p, output_size):
    default = [(input.shape[input.ndim - nsp + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(nsp)]
    if output_size is None:
        return tuple(default)
    output_size = [builtins.int(v) for v in output_size]
    if len(output_size) == nsp + 2:
        output_size = output_size[2:]
    if len(output_size) != nsp:
        raise ValueError(f"output_size should be a sequence containing {nsp} or {nsp + 2} elements, but it has a "
                         f"length of '{len(output_size)}'")
    for i in range(nsp):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < output_size[i] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between {lo} and {hi})')
    return tuple(output_size)


def _max_unpool(nsp, input, indices, kernel_size, stride, padding, output_size):
    name = f"max_unpool{nsp}d"
    _check_tensor(input, name)
    k, s, p, _ = _pool_args(nsp, kernel_size, stride, padding, 1)
    if indices._dtype is not D.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {_type_word(indices._dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    if input.ndim not in (nsp + 1, nsp + 2) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError(f"{name}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got {list(input.shape)}")
    outs = _unpool_output_size(input, nsp, k, s, p, output_size)
    n_out = math.prod(outs)
    host = _host(indices)
    if host is not None and host.size and (host.min() < 0 or host.max() >= n_out):
        bad = host.reshape(-1)[np.argmax((host.reshape(-1) < 0) | (host.reshape(-1) >= n_out))]
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, outs))}")
    return call(OPS[name], (input, indices), (outs,))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_pool_nd("max", 3, input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


def _fractional_max_pool(nsp, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    name = f"fractional_max_pool{nsp}d"
    _check_tensor(input, name)
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{name}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got: {list(input.shape)}")
    k = _tuple(kernel_size, nsp)
    sizes = input.shape[-nsp:]
    if output_size is None:
        ratio = output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nsp
        if len(ratio) == 1:
            ratio = tuple(ratio) * nsp
        outs = tuple(builtins.int(n * r) for n, r in zip(sizes, ratio))
    else:
        outs = _tuple(output_size, nsp)
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}(): kernel_size must be greater than zero, but got {list(k)}")
    for n, kk, o in zip(sizes, k, outs):
        if o + kk - 1 > n:
            raise RuntimeError(f"{name}(): pool size {kk} too large relative to input size {n} and output size {o}")
    unbatched = input.ndim == nsp + 1
    x = input.unsqueeze(0) if unbatched else input
    if _random_samples is None:
        _random_samples = torch.rand(x.shape[0], x.shape[1], nsp, dtype=input.dtype)
    vals, idx = call(OPS[name], (x, _random_samples), (k, outs))
    if unbatched:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return (vals, idx) if return_indices else vals


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


# ---- more losses ---------------------------------------------------------------------------
def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted_pair_loss(name, input, target, weight, reduction):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    _warn_size(input, target)
    d = input - target
    loss = (d * d if name == "mse_loss" else d.abs()) * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where ``target == -1``."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss : 1D or 2D inputs of the same size expected, got "
                           f"{list(input1.shape)} and {list(input2.shape)}" if input1.ndim == input2.ndim else
                           f"cosine_embedding_loss : input1 and input2 must have the same number of dimensions, got "
                           f"{input1.ndim} and {input2.ndim}")
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = torch.zeros_like(cos)
    loss = torch.where(target == 1, 1 - cos, zeros) + torch.where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    zeros = torch.zeros_like(input)
    loss = torch.where(target != 1, (margin - input).clamp_min(0), zeros) + torch.where(target != -1, input, zeros)
    return _apply_reduction(loss, reduction)


def _margin_input(input):
    if input.ndim > 2 or (input.ndim >= 1 and input.shape[-1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    return input.shape[-1] if input.ndim else 1


def _long_target(target):
    if target._dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_word(target._dtype)}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    c = _margin_input(input)
    n = input.shape[0] if input.ndim == 2 else 1
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(target.shape)}. Input has "
                           f"shape {list(input.shape)}.")
    _long_target(target)
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if weight is not None and weight._dtype is not input._dtype:
        raise RuntimeError(f"expected scalar type {_type_word(input._dtype)} but found {_type_word(weight._dtype)}")
    if weight is not None and weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument "
                           "'weight'. This input cannot have requires_grad True.")
    t = _host(target)
    if t is not None and t.size and ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    return call(OPS["multi_margin_loss"], (input, target, weight), (builtins.int(p), builtins.float(margin), reduction))


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    c = _margin_input(input)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    _long_target(target)
    t = _host(target)
    if t is not None and t.size and ((t < -1) | (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    return call(OPS["multilabel_margin_loss"], (input, target), (reduction,))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    dim = input.ndim - 1
    loss = loss.sum(dim) / input.shape[dim]
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + torch.where(target > 1, stirling, torch.zeros_like(stirling))
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(var) + (input - target)**2 / var)`` (+ ``0.5 * log(2 pi)`` when ``full``); ``var`` is
    clamped to ``eps`` from below without affecting its gradient, as in PyTorch."""
    if not isinstance(var, Tensor):
        var = torch.full_like(input, builtins.float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    v = var._arr()
    if _concrete(v) and v.size and builtins.bool(jnp.any(v < 0)):
        raise ValueError("var has negative entry/entries")
    var = var + (var.detach().clamp_min(eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def _triplet_check(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p == n):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def _triplet(anchor, positive, negative, dist, margin, swap, reduction):
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = torch.minimum(d_an, dist(positive, negative))
    return _apply_reduction((margin + d_ap - d_an).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    _triplet_check(anchor, positive, negative)
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    return _triplet(anchor, positive, negative, lambda x, y: pairwise_distance(x, y, p, eps), margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    _triplet_check(anchor, positive, negative)
    return _triplet(anchor, positive, negative, distance_function or pairwise_distance, margin, swap, reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss (log_probs ``(T, N, C)`` or unbatched ``(T, C)``; targets padded
    ``(N, S)`` or concatenated 1-D); the alpha recursion runs as one ``lax.scan``."""
    _check_tensor(log_probs, "ctc_loss", "log_probs")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lengths = [v if isinstance(v, Tensor) else torch.tensor(list(v) if isinstance(v, (list, tuple)) else v)
               for v in (input_lengths, target_lengths)]
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
        lengths = [v.reshape(1) for v in lengths]
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, but got {log_probs.ndim}-D")
    T_, N, C = log_probs.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    il, tl = (_host(v) for v in lengths)
    tg = _host(targets)
    if il is None or tl is None or tg is None:
        raise RuntimeError("ctc_loss needs concrete lengths and targets (it cannot run under a JAX transform)")
    il, tl = il.reshape(-1).astype(np.int64), tl.reshape(-1).astype(np.int64)
    if il.size != N:
        raise RuntimeError(f"input_lengths must be of size batch_size ({N}), but got {il.size}")
    if tl.size != N:
        raise RuntimeError(f"target_lengths must be of size batch_size ({N}), but got {tl.size}")
    for n in range(N):
        if il[n] < 0 or il[n] > T_:
            raise RuntimeError(f"Expected input_lengths to have value at most {T_}, but got value {il[n]} (while "
                               "checking arguments for ctc_loss_cpu)")
    if targets.ndim == 1:                       # concatenated: pad to (N, max target length)
        if tg.size < tl.sum():
            raise RuntimeError(f"Expected tensor to have size at least {tl.sum()} at dimension 1, but got size "
                               f"{tg.size} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)")
        width = builtins.max(builtins.int(tl.max()) if N else 0, 1)
        padded = np.full((N, width), blank, np.int64)
        offs = np.concatenate([[0], np.cumsum(tl)])
        for n in range(N):
            padded[n, :tl[n]] = tg[offs[n]:offs[n + 1]]
        tg = padded
    else:
        if tl.size and tl.max() > tg.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {tl.max()} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)")
        if tg.shape[1] == 0:
            tg = np.full((N, 1), blank, np.int64)
    loss = call(OPS["ctc_loss"], (log_probs, jnp.asarray(tg), jnp.asarray(il), jnp.asarray(tl)),
                (builtins.int(blank), builtins.bool(zero_infinity)))
    if reduction == "mean":
        return (loss / lengths[1].clamp_min(1).to(loss.dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


# ---- distances, normalisation, shuffles, random activations ----------------------------------------
def pdist(input, p=2):
    """Distances between all pairs of rows ``i < j`` of a 2-D ``input``, in row-major order."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input._dtype.category < D.FLOAT:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return call(OPS["pdist"], (input,), (builtins.float(p),))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.ndim
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    return call(OPS["local_response_norm"], (input,), (builtins.int(size), builtins.float(alpha), builtins.float(beta),
                                                      builtins.float(k)))


def channel_shuffle(input, groups):
    g = builtins.int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if input.shape[1] % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{g} groups.")
    return call(OPS["channel_shuffle"], (input,), (g,))


def _alpha_dropout_impl(input, p, training, inplace, feature):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input.mul(0)
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    args, statics = (input, _key(None)), (builtins.float(p), feature)
    if inplace:
        return call_inplace(OPS["_alpha_dropout"], args, statics)
    return call(OPS["_alpha_dropout"], args, statics)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout_impl(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout_impl(input, p, training, inplace, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from ``U(lower, upper)`` per element in training and is
    ``(lower + upper) / 2`` in eval."""
    _check_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    key = None
    if training:
        key = _key(None)
    statics = (builtins.float(lower), builtins.float(upper), builtins.bool(training))
    if inplace:
        return call_inplace(OPS["rrelu_with_noise"], (input, key), statics)
    return call(OPS["rrelu_with_noise"], (input, key), statics)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


# ---- torch.* spellings of these ops ------------------------------------------------
def _install():
    """``torch.softmax``, ``Tensor.softmax`` & co.: these spellings are published here only."""
    functions = {"softmax": softmax, "log_softmax": log_softmax, "conv1d": conv1d, "conv2d": conv2d,
                 "conv3d": conv3d, "max_pool1d": max_pool1d, "max_pool2d": max_pool2d, "max_pool3d": max_pool3d,
                 "avg_pool1d": avg_pool1d, "adaptive_avg_pool1d": adaptive_avg_pool1d,
                 "batch_norm": lambda input, weight, bias, running_mean, running_var, training, momentum, eps,
                 cudnn_enabled=True: batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                                                eps),
                 "layer_norm": lambda input, normalized_shape, weight=None, bias=None, eps=1e-5,
                 cudnn_enable=True: layer_norm(input, normalized_shape, weight, bias, eps),
                 "group_norm": lambda input, num_groups, weight=None, bias=None, eps=1e-5,
                 cudnn_enabled=True: group_norm(input, num_groups, weight, bias, eps),
                 "embedding": lambda weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False:
                 embedding(indices, weight, None if padding_idx == -1 else padding_idx),
                 "dropout": lambda input, p, train: dropout(input, p, train),
                 "constant_pad_nd": lambda input, pad, value=0: call(_OP["constant_pad_nd"], (input,),
                                                                     (tuple(pad), value)),
                 "selu": selu,
                 "binary_cross_entropy_with_logits": lambda input, target, weight=None, pos_weight=None,
                 reduction=1: binary_cross_entropy_with_logits(input, target, weight, reduction=
                                                               ("none", "mean", "sum")[reduction],
                                                               pos_weight=pos_weight),
                 "cosine_similarity": cosine_similarity, "pairwise_distance": pairwise_distance,
                 "conv_transpose1d": conv_transpose1d, "conv_transpose2d": conv_transpose2d,
                 "conv_transpose3d": conv_transpose3d, "pdist": pdist, "channel_shuffle": channel_shuffle,
                 "rrelu": rrelu, "rrelu_": rrelu_,
                 "alpha_dropout": lambda input, p, train: alpha_dropout(input, p, train),
                 "feature_alpha_dropout": lambda input, p, train: feature_alpha_dropout(input, p, train),
                 "grid_sampler": grid_sampler, "grid_sampler_2d": grid_sampler, "grid_sampler_3d": grid_sampler,
                 "affine_grid_generator": affine_grid_generator}
    for name, fn in functions.items():
        if fn is not None:
            publish(name, fn)
    methods = {"softmax": lambda self, dim, dtype=None: softmax(self, dim, dtype=dtype),
               "log_softmax": lambda self, dim, dtype=None: log_softmax(self, dim, dtype=dtype)}
    for name, fn in methods.items():
        publish(name, method=fn)


# ---- multi-head attention, embedding bags (implemented in _functional_seq) -------------------------
from ._functional_seq import embedding_bag, multi_head_attention_forward  # noqa: E402,F401


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.  A weight of shape
    ``(C, d_1, ..., d_K, in_features)`` gives K-dimensional logits ``(N, C, d_1, ..., d_K)``.
    ``options`` (PyTorch's chunking, a memory optimisation) is accepted; XLA plans the memory here."""
    _check_tensor(input, "linear_cross_entropy")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    out_shape = tuple(linear_weight.shape[:-1])
    if ignore_index is not None and target.is_floating_point():
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if len(out_shape) > 1 and input.ndim != 2:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {input.shape[-1]}), got unbatched input with shape {tuple(input.shape)}")
    if linear_bias is not None and tuple(linear_bias.shape) != out_shape:
        raise RuntimeError(f"expected linear_bias shape {out_shape}, got {tuple(linear_bias.shape)}")
    w2 = linear_weight.reshape(-1, linear_weight.shape[-1]) if len(out_shape) > 1 else linear_weight
    b2 = linear_bias.reshape(-1) if linear_bias is not None and linear_bias.ndim > 1 else linear_bias
    logits = linear(input, w2, b2)
    if len(out_shape) > 1:
        logits = logits.view(input.shape[0], *out_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)
from ._functional_more import (adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,  # noqa: E402,F401
                               celu_, conv_tbc, fractional_max_pool2d_with_indices,
                               fractional_max_pool3d_with_indices, gumbel_softmax, lp_pool1d, lp_pool2d, lp_pool3d,
                               max_pool1d_with_indices, max_pool3d_with_indices, native_channel_shuffle, selu_,
                               threshold_)
from ._grid import affine_grid, affine_grid_generator, grid_sample, grid_sampler  # noqa: E402,F401
from ._functional_more import assert_int_or_pair, boolean_dispatch, grouped_mm  # noqa: E402,F401
