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
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._registry import OPS, _type_word, call, call_inplace
from .._tensor import Tensor
from ..autograd import grad_mode
from . import _ops_nn  # noqa: F401  (declares the ops)

_OP = {name: OPS[name] for name in (
    "relu", "leaky_relu", "_leaky_relu_inplace", "elu", "_elu_inplace", "gelu", "silu", "mish", "softplus",
    "hardtanh", "hardswish", "hardsigmoid", "log_sigmoid", "softsign", "glu", "softmax", "log_softmax", "sigmoid",
    "tanh", "linear", "convolution", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "native_batch_norm", "native_layer_norm", "native_group_norm",
    "embedding", "_dropout", "nll_loss", "cross_entropy", "cross_entropy_probs", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot",
    "constant_pad_nd", "_mode_pad", "normalize", "scaled_dot_product_attention", "celu", "threshold", "softshrink",
    "hardshrink", "tanhshrink", "_prelu_kernel", "rms_norm", "kl_div", "soft_margin_loss", "pixel_shuffle",
    "pixel_unshuffle", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices")}


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


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


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
    _check_tensor(input, "linear")
    return call(_OP["linear"], (input, weight, bias), ())


def bilinear(input1, input2, weight, bias=None):
    from .. import einsum
    y = einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


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
    if any(v <= 0 for v in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != nsp + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.ndim < 3 else
                           f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to conv{nsp}d, but got "
                           f"input of size: {list(input.shape)}")
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
    from ._ops_nn import pool_geometry
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
    _check_tensor(input, "adaptive_avg_pool2d")
    if input.ndim < 3:
        raise ValueError("Input dimension should be at least 3")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    return call(_OP["adaptive_avg_pool2d"], (input,), (_adaptive_size(output_size, input, 2),))


def adaptive_avg_pool3d(input, output_size):
    _check_tensor(input, "adaptive_avg_pool3d")
    if input.ndim < 4:
        raise ValueError("Input dimension should be at least 4")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    return call(_OP["adaptive_avg_pool3d"], (input,), (_adaptive_size(output_size, input, 3),))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    _pool_input(1, input, "adaptive_max_pool1d")
    size = (_adaptive_size(output_size, input, 1),)
    if return_indices:
        return call(_OP["adaptive_max_pool1d_with_indices"], (input,), size)
    return call(_OP["adaptive_max_pool1d"], (input,), size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    _check_tensor(input, "adaptive_max_pool2d")
    if input.ndim < 3:
        raise ValueError("Input dimension should be at least 3")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    size = (_adaptive_size(output_size, input, 2),)
    if return_indices:
        return call(_OP["adaptive_max_pool2d_with_indices"], (input,), size)
    return call(_OP["adaptive_max_pool2d"], (input,), size)


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
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    idx = input._arr()
    host = _host(idx)
    if host is not None and host.size and (host.min() < 0 or host.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
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
    from .._random import _key
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


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    raise NotImplementedError("feature_alpha_dropout is not supported by torchlike")


# ---- losses -----------------------------------------------------------------------
def _check_class_target(input, target, name):
    if target._dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_type_word(target._dtype)}")
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif input.shape[0] != (target.shape[0] if target.ndim else -1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    elif input.ndim > 2 and tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)}, target: {list(target.shape)})")
    elif input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")


def _host(a):
    """A concrete array's values on the host (None under a JAX transform).

    Index checks read the *input* (targets, indices), which is normally ready, so
    this waits for that array only rather than for all queued work, as a device
    reduction followed by ``bool()`` would."""
    return None if isinstance(a, jax.core.Tracer) else np.asarray(a)


def _check_class_values(target, n_classes, ignore_index):
    t = _host(target._arr())
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
    _check_class_target(input, target, "nll_loss")
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
    _check_class_target(input, target, "cross_entropy")
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
        raise NotImplementedError("mse_loss(weight=...) is not supported by torchlike")
    return _pair_loss("mse_loss", input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        raise NotImplementedError("l1_loss(weight=...) is not supported by torchlike")
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
    rng = None
    if dropout_p > 0.0:
        from .._random import _key
        rng = _key(None)
    return call(_OP["scaled_dot_product_attention"], (query, key, value, attn_mask, rng),
                (builtins.float(dropout_p), builtins.bool(is_causal),
                 None if scale is None else builtins.float(scale), builtins.bool(enable_gqa)))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    ndim = max(x1.ndim, x2.ndim)
    return call(OPS["cosine_similarity"], (x1, x2), (_wrap_dim(dim, ndim), builtins.float(eps)))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    from .. import norm as _norm
    return _norm(x1 - x2 + eps, p, -1, keepdim)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def unfold(*args, **kwargs):
    raise NotImplementedError("F.unfold is not supported by torchlike yet")


def interpolate(*args, **kwargs):
    raise NotImplementedError("F.interpolate is not supported by torchlike yet")


# ---- torch.* spellings of these ops ------------------------------------------------
def _install():
    """``torch.softmax``, ``Tensor.softmax`` & co. where the core doesn't define them already."""
    import torchlike as _t
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
                 "cosine_similarity": cosine_similarity, "pairwise_distance": pairwise_distance}
    for name, fn in functions.items():
        if fn is not None and not hasattr(_t, name):
            setattr(_t, name, fn)
    methods = {"softmax": lambda self, dim, dtype=None: softmax(self, dim, dtype=dtype),
               "log_softmax": lambda self, dim, dtype=None: log_softmax(self, dim, dtype=dtype),
               "relu_": relu_}
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)
