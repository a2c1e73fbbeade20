"""Neural-network ops: declarations only (see ``torchlike._registry.defop``).

Each op is one pure JAX function declared with the grad_fn name PyTorch gives
it (a function of the arguments where PyTorch's name depends on them, e.g.
an upsampling op's name depends on its mode).  Gradients are
JAX's vjp of the same function.  The public, argument-checking wrappers live in
:mod:`torchlike.nn.functional`.

Argument kinds used here: ``Index`` marks tensors that are never
differentiated and keep their dtype (class targets, masks, running
statistics, PRNG keys); a Python float passed in an ``Index`` slot is a traced
scalar, so changing it (a BatchNorm momentum, say) does not recompile.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
import jax.scipy.special as jsp

from .. import _dtype as D
from .._ops_matmul import _addmm_dtypes, _check_expand, matmul_t
from .._registry import OPS, _type_word, _wrap_dim, defop
from .attention import SDPBackend
from .attention import enabled_backends

_HALF = (jnp.float16, jnp.bfloat16)


def _acc_dtype(x):
    """Half-precision inputs are computed in float32, as PyTorch's CPU kernels do."""
    return jnp.float32 if x.dtype in _HALF else x.dtype


# ---- activations -----------------------------------------------------------
def _leaky_relu(x, slope):
    return jnp.where(x > 0, x, x * slope).astype(x.dtype)


def _elu(x, alpha, scale, input_scale):
    # where, not minimum: minimum's derivative at 0 is 1/2; PyTorch takes the negative branch at 0
    neg = alpha * jnp.expm1(jnp.where(x > 0, jnp.zeros_like(x), x) * input_scale)
    return (jnp.where(x > 0, x, neg) * scale).astype(x.dtype)


def _gelu(x, approximate):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return jax.nn.gelu(x, approximate=approximate == "tanh")


def _softplus(x, beta, threshold):
    bx = x * beta
    return jnp.where(bx > threshold, x, jnp.logaddexp(0, bx) / beta).astype(x.dtype)


def _hardtanh(x, lo, hi):
    inside = (x > lo) & (x < hi)
    return jnp.where(inside, x, jnp.where(x <= lo, jnp.asarray(lo, x.dtype), jnp.asarray(hi, x.dtype)))


def _hardswish(x):
    return jnp.where(x <= -3, jnp.zeros_like(x), jnp.where(x >= 3, x, x * (x + 3) / 6))


def _hardsigmoid(x):
    return jnp.where(x <= -3, jnp.zeros_like(x), jnp.where(x >= 3, jnp.ones_like(x), x / 6 + 0.5))


def _mish(x):
    return x * jnp.tanh(jnp.logaddexp(0, x))


def _glu(x, dim):
    a, b = jnp.split(x, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


def _softmax_dtype(name):
    """PyTorch's checks, in its order: the dim's range, then the kernel's dtype (``dtype`` if given,
    else the input's), which must be a real floating type; the kernel is named for a last-dim softmax."""
    def rule(args, statics):
        x = args[0]
        nd = x._ndim()
        dim = _wrap_dim(statics[0], nd)
        d = statics[1] if statics[1] is not None else x._dtype
        if d.category != D.FLOAT:
            last = nd == 0 or dim == nd - 1
            raise NotImplementedError(f'"{name}_{"lastdim_" if last else ""}kernel_impl" not implemented for '
                                      f"'{_type_word(d)}'")
        return d
    # the statics, the dtype and the rank (the dim's range, the kernel's name): a key with shapes holds them
    rule.by_shape = True
    return rule


def _softmax(fn):
    def impl(x, dim, dtype):
        if x.ndim == 0:
            return fn(x.reshape(1), axis=0).reshape(())
        return fn(x, axis=dim)
    return impl


defop("leaky_relu(Tensor self, Scalar negative_slope=0.01)", _leaky_relu, function=False, method=False,
      saves="self")
LEAKY_RELU_INPLACE = defop("_leaky_relu_inplace(Tensor self, Scalar negative_slope=0.01)", _leaky_relu,
                           function=False, method=False, saves="result", grad="LeakyReluBackward1")
defop("elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)", _elu, function=False,
      method=False, saves="result")
ELU_INPLACE = defop("_elu_inplace(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)", _elu,
                    function=False, method=False, saves="result", grad="EluBackward1")
defop("gelu(Tensor self, *, str approximate='none')", _gelu, dtype="float", function=False, method=False)
defop("silu(Tensor self)", jax.nn.silu, dtype="float", function=False, method=False)
defop("mish(Tensor self)", _mish, dtype="float", function=False, method=False)
defop("softplus(Tensor self, Scalar beta=1, Scalar threshold=20)", _softplus, dtype="float", function=False,
      method=False)
defop("hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1)", _hardtanh, function=False, method=False)
defop("hardswish(Tensor self)", _hardswish, dtype="float", function=False, method=False)
defop("hardsigmoid(Tensor self)", _hardsigmoid, dtype="float", function=False, method=False)
defop("log_sigmoid(Tensor self)", jax.nn.log_sigmoid, dtype="float", function=False, method=False,
      grad="LogSigmoidBackward0")
defop("softsign(Tensor self)", lambda x: x / (1 + jnp.abs(x)), dtype="float", function=False, method=False,
      grad="DivBackward0")
defop("glu(Tensor self, int dim=-1)", _glu, dtype="float", function=False, method=False)
# torch.softmax, Tensor.softmax (& log_): F.softmax's spellings, published by nn.functional._install
defop("softmax(Tensor self, int dim, ScalarType? dtype=None)", _softmax(jax.nn.softmax),
      dtype=_softmax_dtype("softmax"), saves="result", out=False, function=False, method=False)
defop("log_softmax(Tensor self, int dim, ScalarType? dtype=None)", _softmax(jax.nn.log_softmax),
      dtype=_softmax_dtype("log_softmax"), saves="result", out=False, function=False, method=False)


# ---- linear / convolution ----------------------------------------------------
def _linear_mm(c, x, w):
    """``x @ w.T (+ c)``: PyTorch's ``addmm(c, x, w.t())`` (``mm`` without ``c``) with ``x`` folded to 2-D,
    computed without materialising the transpose or the fold."""
    rows, k = math.prod(x.shape[:-1]), x.shape[-1]
    if c is not None and w.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {w.ndim}-D tensor")
    if k != w.shape[-1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {w.shape[1]}x{w.shape[0]})")
    y = matmul_t(x, w)
    if c is None:
        return y
    _check_expand(c.shape, (rows, w.shape[0]), c.dtype)
    return (y + c).astype(y.dtype)


def _linear_dtypes(args, statics=None):
    if args[0] is None:
        return _MATMUL_DTYPES(args[1:], statics)
    return _addmm_dtypes(args, statics)


_linear_dtypes.by_dtype = True


_MATMUL_DTYPES = OPS["matmul"].dtype_rule
# ``nn.functional.linear``'s kernel; the edges are addmm's, ``(bias, input, weight)`` (no bias: mm's)
defop("_linear_mm(Tensor? bias, Tensor input, Tensor weight)", _linear_mm, dtype=_linear_dtypes,
      function=False, method=False, out=False,
      grad=lambda args, statics: "MmBackward0" if args[0] is None else "AddmmBackward0")
# The view steps PyTorch's linear records around its addmm/mm (the weight's ``t()``, the folds of the
# input and the output to and from 2-D) as a node named ``node``: a reshape that does not alias (an
# identity where ``_linear_mm`` does the step itself), deferred whatever its size so that XLA sees
# through it (see ``functional.linear``).
defop("_as_node(Tensor self, int[] size, str node)", lambda x, size, node: jnp.reshape(x, size), dtype="keep",
      saves=(), function=False, method=False, out=False, grad=lambda args, statics: statics[1]).defer_large = True


def _conv_pads(padding, kernel, dilation):
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "same":
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return out
    return [(p, p) for p in padding]


_CONV_DIMS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _convolution(x, w, b, stride, padding, dilation, groups):
    nsp = w.ndim - 2
    if x.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to conv{nsp}d, but got "
                           f"input of size: {list(x.shape)}")
    unbatched = x.ndim == nsp + 1
    if unbatched:
        x = x[None]
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input"
                           f"{list(x.shape)} to have {w.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    if w.shape[0] % groups:
        raise RuntimeError("Given groups=%d, expected weight to be divisible by %d at dimension 0, but got weight "
                           "of size %s instead" % (groups, groups, list(w.shape)))
    pads = _conv_pads(padding, w.shape[2:], dilation)
    padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual "
                           "input size")
    y = lax.conv_general_dilated(x, w, tuple(stride), pads, rhs_dilation=tuple(dilation),
                                 dimension_numbers=_CONV_DIMS[nsp], feature_group_count=groups)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nsp)
    return y[0] if unbatched else y


def _conv_dtype(args, statics=None):
    x, w, b = args
    if x._dtype is not w._dtype:
        raise RuntimeError(f"Input type ({x._dtype.name}) and weight type ({w._dtype.name}) should be the same")
    if b is not None and b._dtype is not x._dtype:
        raise RuntimeError(f"Input type ({x._dtype.name}) and bias type ({b._dtype.name}) should be the same")
    return None


defop("convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, any padding, int[] dilation, "
      "int groups)", _convolution, dtype=_conv_dtype, method=False, out=False,
      grad=lambda args, st: "SqueezeBackward1" if args[0].ndim == args[1].ndim - 1 else "ConvolutionBackward0"
      ).defer_large = True


# ---- pooling ---------------------------------------------------------------
def pool_geometry(sizes, kernel, stride, padding, dilation, ceil_mode):
    """Output sizes and the (low, high) padding each spatial dim needs, PyTorch's rules."""
    outs, pads = [], []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        eff = d * (k - 1) + 1
        num = n + 2 * p - eff
        o = (-(-num // s) if ceil_mode else num // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        outs.append(o)
        pads.append((p, max((o - 1) * s + eff - n - p, 0)))
    return outs, pads


def _window(x_ndim, nsp, vals, fill=1):
    return (fill,) * (x_ndim - nsp) + tuple(vals)


def _max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    nsp = len(kernel)
    if any(d != 1 for d in dilation):     # JAX has no vjp for dilated reduce_window max: gather the windows
        return _max_pool_indices(x, kernel, stride, padding, dilation, ceil_mode)[0]
    outs, pads = pool_geometry(x.shape[-nsp:], kernel, stride, padding, dilation, ceil_mode)
    # a Python scalar init lets JAX recognise reduce_window_max (which has a vjp)
    init = -float("inf") if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
    y = lax.reduce_window(x, init, lax.max, _window(x.ndim, nsp, kernel),
                          _window(x.ndim, nsp, stride), [(0, 0)] * (x.ndim - nsp) + pads,
                          window_dilation=_window(x.ndim, nsp, dilation))
    return y[(Ellipsis,) + tuple(slice(0, o) for o in outs)]


def _window_max(x, flat, valid, outs):
    """(max values, flat plane indices) over windows given as host index arrays laid out
    ``(o1, k1, o2, k2, ...)`` (position in each input plane, and whether it is inside)."""
    nsp = len(outs)
    perm = list(range(0, 2 * nsp, 2)) + list(range(1, 2 * nsp, 2))
    flat = flat.transpose(perm).reshape(tuple(outs) + (-1,))
    valid = valid.transpose(perm).reshape(tuple(outs) + (-1,))
    planes = x.reshape(x.shape[:-nsp] + (-1,))
    vals = jnp.take(planes, jnp.asarray(flat.reshape(-1)), axis=-1).reshape(x.shape[:-nsp] + flat.shape)
    neg = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    vals = jnp.where(jnp.asarray(valid), vals, jnp.asarray(neg, x.dtype))
    arg = jnp.argmax(vals, axis=-1)
    values = jnp.take_along_axis(vals, arg[..., None], axis=-1)[..., 0]
    idx = jnp.take_along_axis(jnp.broadcast_to(jnp.asarray(flat), vals.shape), arg[..., None], axis=-1)[..., 0]
    return values, idx


def _max_pool_indices(x, kernel, stride, padding, dilation, ceil_mode):
    """(values, flat indices into each input plane): the window elements are gathered explicitly."""
    nsp = len(kernel)
    sizes = x.shape[-nsp:]
    outs, pads = pool_geometry(sizes, kernel, stride, padding, dilation, ceil_mode)
    # per spatial dim: input coordinate of (output position, kernel offset)
    coords = [np.arange(o)[:, None] * s - p + np.arange(k)[None, :] * d
              for o, s, (p, _), k, d in zip(outs, stride, pads, kernel, dilation)]
    grids = np.meshgrid(*[c.reshape(-1) for c in coords], indexing="ij")
    flat = np.zeros(grids[0].shape, np.int64)
    valid = np.ones(grids[0].shape, bool)
    for g, n in zip(grids, sizes):
        valid &= (g >= 0) & (g < n)
        flat = flat * n + np.clip(g, 0, n - 1)
    # reorder to (outs..., kernel...) then flatten windows
    shape = sum(([o, k] for o, k in zip(outs, kernel)), [])
    return _window_max(x, flat.reshape(shape), valid.reshape(shape), outs)


def _avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    nsp = len(kernel)
    sizes = x.shape[-nsp:]
    outs, pads = pool_geometry(sizes, kernel, stride, padding, (1,) * nsp, ceil_mode)
    acc = _acc_dtype(x)
    xs = x.astype(acc)
    y = lax.reduce_window(xs, 0.0 if jnp.issubdtype(acc, jnp.floating) else 0, lax.add, _window(x.ndim, nsp, kernel),
                          _window(x.ndim, nsp, stride), [(0, 0)] * (x.ndim - nsp) + pads)
    y = y[(Ellipsis,) + tuple(slice(0, o) for o in outs)]
    if divisor_override:
        return (y / divisor_override).astype(x.dtype)
    counts = np.ones((), np.float64)
    for n, k, s, (p, hi), o in zip(sizes, kernel, stride, pads, outs):
        starts = np.arange(o) * s - p
        ends = np.minimum(starts + k, n + p)      # windows never count past the right padding
        if not count_include_pad:
            c = np.minimum(ends, n) - np.maximum(starts, 0)
        else:
            c = ends - starts
        counts = np.multiply.outer(counts, c)
    return (y / jnp.asarray(counts, acc)).astype(x.dtype)


def _adaptive_matrix(n, o):
    m = np.zeros((o, n), np.float64)
    for i in range(o):
        start = (i * n) // o
        end = -(-((i + 1) * n) // o)
        m[i, start:end] = 1.0 / (end - start)
    return m


def _adaptive_avg_pool(x, output_size):
    nsp = len(output_size)
    if all(o == 1 for o in output_size):
        return jnp.mean(x, axis=tuple(range(x.ndim - nsp, x.ndim)), keepdims=True)
    acc = _acc_dtype(x)
    y = x.astype(acc)
    u8 = x.dtype == jnp.uint8 and acc != x.dtype
    for i, o in reversed(list(enumerate(output_size))) if u8 else enumerate(output_size):
        axis = x.ndim - nsp + i
        m = jnp.asarray(_adaptive_matrix(x.shape[axis], o), acc)
        y = jnp.moveaxis(jnp.tensordot(y, m, axes=([axis], [1]), precision=lax.Precision.HIGHEST), -1, axis)
    return y.astype(x.dtype)


def _adaptive_max_pool(x, output_size):
    nsp = len(output_size)
    y = x
    for i, o in enumerate(output_size):
        axis = x.ndim - nsp + i
        n = y.shape[axis]
        parts = []
        for j in range(o):
            start, end = (j * n) // o, -(-((j + 1) * n) // o)
            parts.append(jnp.max(lax.slice_in_dim(y, start, end, axis=axis), axis=axis, keepdims=True))
        y = jnp.concatenate(parts, axis=axis)
    return y


# torch.max_pool*d, avg_pool1d, adaptive_avg_pool1d, embedding, binary_cross_entropy_with_logits,
# constant_pad_nd: nn.functional's functions, published by nn.functional._install (function=False here)
defop("max_pool2d(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, bool ceil_mode)",
      _max_pool, dtype="keep", method=False, function=False, out=False, grad="MaxPool2DWithIndicesBackward0")
defop("max_pool1d(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, bool ceil_mode)",
      _max_pool, dtype="keep", method=False, function=False, out=False, grad="SqueezeBackward1")
defop("max_pool3d(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, bool ceil_mode)",
      _max_pool, dtype="keep", method=False, function=False, out=False, grad="MaxPool3DWithIndicesBackward0")
defop("max_pool2d_with_indices(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, "
      "bool ceil_mode)", _max_pool_indices, dtype="keep", method=False, function=False, out=False,
      grad="MaxPool2DWithIndicesBackward0")
defop("max_pool1d_with_indices(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, "
      "bool ceil_mode)", _max_pool_indices, dtype="keep", method=False, function=False, out=False,
      grad="SqueezeBackward1")
defop("max_pool3d_with_indices(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, "
      "bool ceil_mode)", _max_pool_indices, dtype="keep", method=False, function=False, out=False,
      grad="MaxPool3DWithIndicesBackward0")
defop("avg_pool2d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode, "
      "bool count_include_pad, int? divisor_override)", _avg_pool, dtype="keep", method=False, out=False,
      function=False)
defop("avg_pool1d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode, "
      "bool count_include_pad, int? divisor_override)", _avg_pool, dtype="keep", method=False, out=False,
      function=False, grad="SqueezeBackward1")
defop("avg_pool3d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode, "
      "bool count_include_pad, int? divisor_override)", _avg_pool, dtype="keep", method=False, out=False,
      function=False)
defop("adaptive_avg_pool2d(Tensor self, int[] output_size)", _adaptive_avg_pool, dtype="keep", method=False,
      out=False, function=False,
      grad=lambda args, st: "MeanBackward1" if all(o == 1 for o in st[0]) else "AdaptiveAvgPool2DBackward0")
defop("adaptive_avg_pool1d(Tensor self, int[] output_size)", _adaptive_avg_pool, dtype="keep", method=False,
      out=False, function=False, grad="SqueezeBackward1")
def _adaptive_max_pool_indices(x, output_size):
    """(values, flat indices into each input plane) over PyTorch's adaptive windows."""
    nsp = len(output_size)
    sizes = x.shape[-nsp:]
    per_dim = []
    for n, o in zip(sizes, output_size):
        starts = [(i * n) // o for i in range(o)]
        ends = [-(-((i + 1) * n) // o) for i in range(o)]
        k = max(e - st for st, e in zip(starts, ends))
        pos = np.array([[st + j for j in range(k)] for st in starts])
        ok = np.array([[st + j < e for j in range(k)] for st, e in zip(starts, ends)])
        per_dim.append((np.minimum(pos, n - 1), ok, k))
    # combine dims: index arrays of shape (o1, ..., on, k1 * ... * kn)
    flat = np.zeros((), np.int64)
    valid = np.ones((), bool)
    for (pos, ok, k), n in zip(per_dim, sizes):
        flat = np.multiply.outer(flat * n, np.ones_like(pos)) + pos if flat.ndim == 0 else \
            flat[..., None, None] * n + pos.reshape((1,) * (flat.ndim // 2) + pos.shape)
        valid = np.multiply.outer(valid, ok) if valid.ndim == 0 else valid[..., None, None] & ok
    # axes are (o1, k1, o2, k2, ...): bring the window offsets last
    return _window_max(x, flat, valid, output_size)


defop("adaptive_max_pool2d(Tensor self, int[] output_size)", _adaptive_max_pool, dtype="keep", method=False,
      out=False, function=False)
defop("adaptive_max_pool2d_with_indices(Tensor self, int[] output_size)", _adaptive_max_pool_indices,
      dtype="keep", method=False, out=False, function=False, grad="AdaptiveMaxPool2DBackward0")
defop("adaptive_max_pool1d_with_indices(Tensor self, int[] output_size)", _adaptive_max_pool_indices,
      dtype="keep", method=False, out=False, function=False, grad="SqueezeBackward1")


# ---- normalization ---------------------------------------------------------
def _batch_norm(x, w, b, rm, rv, momentum, training, eps):
    if x.size == 0:
        return (x, rm, rv) if training and rm is not None else x
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    acc = _acc_dtype(x)
    xs = x.astype(acc)
    if training:
        mean = jnp.mean(xs, axis=axes)
        var = jnp.mean(jnp.square(xs - mean.reshape(shape)), axis=axes)
    else:
        mean, var = rm.astype(acc), rv.astype(acc)
    out = (xs - mean.reshape(shape)) * lax.rsqrt(var.reshape(shape) + eps)
    if w is not None:
        out = out * w.astype(acc).reshape(shape)
    if b is not None:
        out = out + b.astype(acc).reshape(shape)
    out = out.astype(x.dtype)
    if not training or rm is None:
        return out
    n = x.size // x.shape[1]
    m = momentum
    mean = lax.stop_gradient(mean)
    var = lax.stop_gradient(var)
    new_rm = ((1 - m) * rm + m * mean).astype(rm.dtype)
    new_rv = ((1 - m) * rv + m * var * (n / max(n - 1, 1))).astype(rv.dtype)
    return out, new_rm, new_rv


def _layer_norm(x, w, b, normalized_shape, eps):
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != tuple(normalized_shape) or x.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(x.shape)}")
    axes = tuple(range(x.ndim - k, x.ndim))
    acc = _acc_dtype(x)
    xs = x.astype(acc)
    mean = jnp.mean(xs, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(xs - mean), axis=axes, keepdims=True)
    out = (xs - mean) * lax.rsqrt(var + eps)
    if w is not None:
        out = out * w.astype(acc)
    if b is not None:
        out = out + b.astype(acc)
    return out.astype(x.dtype)


def _group_norm(x, w, b, groups, eps):
    if x.size == 0:
        return x
    n, c = x.shape[:2]
    acc = _acc_dtype(x)
    xs = x.astype(acc).reshape((n, groups, -1))
    mean = jnp.mean(xs, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(xs - mean), axis=-1, keepdims=True)
    out = ((xs - mean) * lax.rsqrt(var + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.astype(acc).reshape(shape)
    if b is not None:
        out = out + b.astype(acc).reshape(shape)
    return out.astype(x.dtype)


defop("native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Index? running_mean, Index? running_var, "
      "Index? momentum, bool training, float eps)", _batch_norm, method=False, function=False, out=False,
      dtype="keep")
defop("native_layer_norm(Tensor input, Tensor? weight, Tensor? bias, int[] normalized_shape, float eps)",
      _layer_norm, method=False, function=False, out=False, dtype="keep")
defop("native_group_norm(Tensor input, Tensor? weight, Tensor? bias, int groups, float eps)",
      _group_norm, method=False, function=False, out=False, dtype="keep")


# ---- embedding / dropout -----------------------------------------------------
def _embedding(w, idx, padding_idx):
    out = jnp.take(w, idx, axis=0)
    if padding_idx >= 0:
        pad = (idx == padding_idx)[..., None]
        out = jnp.where(pad, lax.stop_gradient(out), out)
    return out


defop("embedding(Tensor weight, Index indices, int padding_idx=-1)", _embedding, dtype="keep", method=False,
      function=False, out=False)


def _dropout(x, key, p, feature):
    if feature:
        shape = x.shape[:2] + (1,) * (x.ndim - 2) if x.ndim > 1 else x.shape
    else:
        shape = x.shape
    keep = jax.random.bernoulli(key, 1.0 - p, shape)
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return x * (keep.astype(x.dtype) * jnp.asarray(scale, x.dtype))


DROPOUT = defop("_dropout(Tensor self, Index key, float p, bool feature)", _dropout, dtype="keep", method=False,
                function=False, out=False, grad="MulBackward0")


# ---- losses ----------------------------------------------------------------
def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _class_nll(logp, target, weight, ignore_index):
    """Per-element negative log likelihood and the weight of each element's class (0 where ignored)."""
    cdim = 0 if logp.ndim == 1 else 1
    valid = target != ignore_index
    safe = jnp.where(valid, target, 0)
    picked = jnp.squeeze(jnp.take_along_axis(logp, jnp.expand_dims(safe, cdim), axis=cdim), cdim)
    wt = jnp.ones_like(picked) if weight is None else jnp.take(weight, safe).astype(picked.dtype)
    wt = jnp.where(valid, wt, jnp.zeros_like(wt))
    return -picked * wt, wt, valid


def _nll_loss(logp, target, weight, reduction, ignore_index):
    loss, wt, _ = _class_nll(logp, target, weight, ignore_index)
    if reduction == "mean":
        return jnp.sum(loss) / jnp.sum(wt)
    return _reduce(loss, reduction)


def _cross_entropy(x, target, weight, reduction, ignore_index, label_smoothing):
    cdim = 0 if x.ndim == 1 else 1
    logp = jax.nn.log_softmax(x, axis=cdim)
    loss, wt, valid = _class_nll(logp, target, weight, ignore_index)
    if reduction == "mean":
        nll = jnp.sum(loss) / jnp.sum(wt)
    else:
        nll = _reduce(loss, reduction)
    if not label_smoothing:
        return nll
    n_classes = x.shape[cdim]
    if weight is not None:
        wshape = (-1,) + (1,) * (x.ndim - 1 - cdim)
        smooth = -jnp.sum(logp * weight.astype(logp.dtype).reshape(wshape), axis=cdim)
    else:
        smooth = -jnp.sum(logp, axis=cdim)
    smooth = jnp.where(valid, smooth, jnp.zeros_like(smooth))
    if reduction == "mean":
        smooth = jnp.sum(smooth) / (jnp.sum(wt) if weight is not None else jnp.sum(valid))
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(x, target, weight, reduction, label_smoothing):
    cdim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[cdim]
    logp = jax.nn.log_softmax(x, axis=cdim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape((-1,) + (1,) * (x.ndim - 1 - cdim))
    loss = -jnp.sum(prod, axis=cdim)
    if reduction == "mean":
        return jnp.sum(loss) / (x.size / n_classes)
    return _reduce(loss, reduction)


def _nll_name(args, statics):
    """PyTorch runs inputs of rank 3 or above 4 as 4-D, so their unreduced loss is a view of the 2-D one's."""
    ndim = args[0].ndim
    if ndim < 3:
        return "NllLossBackward0"
    return "ViewBackward0" if ndim != 4 and statics[0] == "none" else "NllLoss2DBackward0"


def _ce_name(args, statics):
    if statics[2]:
        return "AddBackward0"
    return _nll_name(args, statics)


defop("nll_loss(Tensor self, Index target, Tensor? weight, str reduction, int ignore_index)", _nll_loss,
      grad=_nll_name, method=False, function=False, out=False)
defop("cross_entropy(Tensor self, Index target, Tensor? weight, str reduction, int ignore_index, "
      "float label_smoothing)", _cross_entropy, grad=_ce_name, dtype="float", method=False, function=False,
      out=False)
defop("cross_entropy_probs(Tensor self, Tensor target, Tensor? weight, str reduction, float label_smoothing)",
      _cross_entropy_probs, dtype="float", method=False, function=False, out=False,
      grad=lambda args, st: "DivBackward1" if st[0] == "mean" else "NegBackward0")


def _mse(x, t, reduction):
    return _reduce(jnp.square(x - t), reduction)


def _l1(x, t, reduction):
    return _reduce(jnp.abs(x - t), reduction)


def _smooth_l1(x, t, reduction, beta):
    d = jnp.abs(x - t)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _huber(x, t, reduction, delta):
    d = jnp.abs(x - t)
    return _reduce(jnp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _bce(x, t, w, reduction):
    log_x = jnp.maximum(jnp.log(x), -100)
    log_1mx = jnp.maximum(jnp.log1p(-x), -100)
    loss = -(t * log_x + (1 - t) * log_1mx)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def _bce_logits(x, t, w, pos_weight, reduction):
    softplus_neg = jnp.logaddexp(0, -x)      # log(1 + exp(-x)), stable
    if pos_weight is not None:
        log_weight = 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + log_weight * softplus_neg
    else:
        loss = (1 - t) * x + softplus_neg
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


_L1_NAMES = {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}
defop("mse_loss(Tensor self, Tensor target, str reduction='mean')", _mse, method=False, out=False)
defop("l1_loss(Tensor self, Tensor target, str reduction='mean')", _l1, method=False, out=False,
      grad=lambda args, st: _L1_NAMES[st[0]])
defop("smooth_l1_loss(Tensor self, Tensor target, str reduction='mean', float beta=1.0)", _smooth_l1,
      method=False, out=False)
defop("huber_loss(Tensor self, Tensor target, str reduction='mean', float delta=1.0)", _huber, method=False,
      out=False)
defop("binary_cross_entropy(Tensor self, Tensor target, Tensor? weight=None, str reduction='mean')", _bce,
      method=False, out=False)
defop("binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, "
      "Tensor? pos_weight=None, str reduction='mean')", _bce_logits, method=False, function=False, out=False)


# ---- misc ------------------------------------------------------------------
def _one_hot(x, num_classes):
    return (x[..., None] == jnp.arange(num_classes, dtype=x.dtype)).astype(jnp.int64)


defop("one_hot(Tensor self, int num_classes)", _one_hot, dtype="keep", differentiable=False, method=False,
      function=False, out=False)


def _constant_pad(x, pad, value):
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) // 2 > x.ndim:     # PyTorch's message, spaces as they are
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. "
                           f"Pad length is {len(pad)}while the input has {x.ndim}dimensions.")
    cfg = [(0, 0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        d = x.ndim - 1 - i
        cfg[d] = (pad[2 * i], pad[2 * i + 1], 0)
    return lax.pad(x, jnp.asarray(value, x.dtype), cfg)


def _pad_source_index(n, lo, out_len, mode):
    """For each output position along one dim, the input position it copies (PyTorch's index rules,
    which also define negative pads: they crop)."""
    j = np.arange(out_len) - lo
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    if n == 1:
        return np.zeros_like(j)
    period = 2 * (n - 1)
    return (n - 1) - np.abs(np.abs(j) % period - (n - 1))


def _mode_pad(x, pad, mode):
    for i in range(len(pad) // 2):
        d = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = x.shape[d]
        idx = _pad_source_index(n, lo, n + lo + hi, mode)
        x = jnp.take(x, jnp.asarray(idx), axis=d)
    return x


def _mode_pad_name(args, statics):
    pad, mode = statics
    n = len(pad) // 2
    if mode == "circular":
        return "CopySlices"
    return f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{n}DBackward0"


# saves nothing: ConstantPadNdBackward0 keeps only the pad (an in-place change of the input after it is fine)
defop("constant_pad_nd(Tensor self, int[] pad, Scalar value=0)", _constant_pad, dtype="keep", method=False,
      function=False, out=False, saves=())
defop("_mode_pad(Tensor self, int[] pad, str mode)", _mode_pad, dtype="keep", method=False, function=False,
      out=False, grad=_mode_pad_name)


def _normalize(x, p, dim, eps):
    if p == 2:
        s = jnp.sum(jnp.square(jnp.abs(x)), axis=dim, keepdims=True)
        pos = s > 0
        norm = jnp.where(pos, jnp.sqrt(jnp.where(pos, s, 1)), 0)
    elif p == math.inf:
        norm = jnp.max(jnp.abs(x), axis=dim, keepdims=True)
    else:
        s = jnp.sum(jnp.abs(x) ** p, axis=dim, keepdims=True)
        pos = s > 0
        norm = jnp.where(pos, jnp.where(pos, s, 1) ** (1.0 / p), 0)
    return x / jnp.maximum(norm, eps)


defop("normalize(Tensor self, float p, int dim, float eps)", _normalize, dtype="float", method=False,
      function=False, out=False, grad="DivBackward0")


def _sdpa(q, k, v, mask, key, dropout_p, is_causal, scale, enable_gqa):
    L, S = q.shape[-2], k.shape[-2]
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = jnp.repeat(k, rep, axis=-3)
        v = jnp.repeat(v, rep, axis=-3)
    sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = jnp.matmul(q, jnp.swapaxes(k, -1, -2)) * jnp.asarray(sc, q.dtype)
    neg = jnp.asarray(-jnp.inf, scores.dtype)
    if is_causal:
        scores = jnp.where(jnp.tril(jnp.ones((L, S), bool)), scores, neg)
    if mask is not None:
        if mask.dtype == jnp.bool_:
            scores = jnp.where(mask, scores, neg)
        else:
            scores = scores + mask.astype(scores.dtype)
    w = jax.nn.softmax(scores, axis=-1)
    if dropout_p > 0:
        keep = jax.random.bernoulli(key, 1.0 - dropout_p, w.shape)
        w = w * keep.astype(w.dtype) / (1.0 - dropout_p)
    return jnp.matmul(w, v)


def _flash_enabled():
    """PyTorch runs the CPU flash kernel where ``sdpa_kernel`` allows it (else the math composition)."""
    return SDPBackend.FLASH_ATTENTION in enabled_backends()


def _sdpa_name(args, statics):
    q, k, v = args[:3]
    dropout_p = statics[0]
    if q.ndim == 2:
        return "MmBackward0"
    mask = args[3]
    if mask is not None and mask.requires_grad:
        return "UnsafeViewBackward0"
    if q.ndim == 4 and not dropout_p and q.shape[-1] == k.shape[-1] == v.shape[-1] and _flash_enabled():
        return "ScaledDotProductFlashAttentionForCpuBackward0"
    return "UnsafeViewBackward0"


def _sdpa_dtype(args, statics=None):
    q, k, v = args[:3]
    if not (q._dtype is k._dtype is v._dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{q._dtype} key.dtype: {k._dtype} and value.dtype: {v._dtype} instead.")
    return None


defop("scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask, Index? dropout_key, "
      "float dropout_p, bool is_causal, float? scale, bool enable_gqa)", _sdpa, method=False, out=False,
      function=False, grad=_sdpa_name, dtype=_sdpa_dtype)


def _cosine_similarity(x1, x2, dim, eps):
    x1, x2 = jnp.broadcast_arrays(x1, x2)

    def unit(x):
        s = jnp.sum(x * x, axis=dim, keepdims=True)
        pos = s > 0
        n = jnp.where(pos, jnp.sqrt(jnp.where(pos, s, 1)), 0)
        return x / jnp.maximum(n, eps)
    return jnp.sum(unit(x1) * unit(x2), axis=dim)


defop("cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08)", _cosine_similarity, dtype="float",
      method=False, out=False, function=False, grad="SumBackward1")


# ---- more activations, losses and shuffles ----------------------------------------
def _celu(x, alpha):
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.where(x > 0, jnp.zeros_like(x), x) / alpha)).astype(x.dtype)


def _threshold(x, threshold, value):
    return jnp.where(x > threshold, x, jnp.asarray(value, x.dtype))


def _softshrink(x, lambd):
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, jnp.zeros_like(x)))


def _hardshrink(x, lambd):
    return jnp.where((x > lambd) | (x < -lambd), x, jnp.zeros_like(x))


def _prelu(x, w):
    if w.size != 1 and x.ndim >= 2:
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return jnp.where(x > 0, x, w * x)


def _rms_norm(x, w, normalized_shape, eps):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    acc = _acc_dtype(x)
    xs = x.astype(acc)
    e = jnp.finfo(acc).eps if eps is None else eps
    out = xs * lax.rsqrt(jnp.mean(xs * xs, axis=axes, keepdims=True) + e)
    if w is not None:
        out = out * w.astype(acc)
    return out.astype(x.dtype)


def _kl_div(x, t, reduction, log_target):
    loss = jnp.exp(t) * (t - x) if log_target else jsp_xlogy(t, t) - t * x
    if reduction == "batchmean":
        return jnp.sum(loss) / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


def jsp_xlogy(a, b):
    return jsp.xlogy(a, b)


def _kl_name(args, st):
    reduction, log_target = st
    return {"batchmean": "DivBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}.get(
        reduction, "MulBackward0" if log_target else "SubBackward0")


def _soft_margin(x, t, reduction):
    return _reduce(jnp.logaddexp(0, -t * x), reduction)


def _pixel_shuffle(x, r):
    *b, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(tuple(b) + (oc, r, r, h, w))
    n = len(b)
    y = jnp.transpose(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(tuple(b) + (oc, h * r, w * r))


def _pixel_unshuffle(x, r):
    *b, c, h, w = x.shape
    n = len(b)
    y = x.reshape(tuple(b) + (c, h // r, r, w // r, r))
    y = jnp.transpose(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(tuple(b) + (c * r * r, h // r, w // r))


defop("celu(Tensor self, Scalar alpha=1.0)", _celu, dtype="float", method=False, function=False, out=False)
defop("threshold(Tensor self, Scalar threshold, Scalar value)", _threshold, method=False, function=False,
      out=False)
defop("softshrink(Tensor self, Scalar lambd=0.5)", _softshrink, dtype="float", method=False, function=False,
      out=False)
defop("hardshrink(Tensor self, Scalar lambd=0.5)", _hardshrink, dtype="float", method=False, function=False,
      out=False)
defop("tanhshrink(Tensor self)", lambda x: x - jnp.tanh(x), dtype="float", method=False, function=False, out=False,
      grad="SubBackward0")
defop("_prelu_kernel(Tensor self, Tensor weight)", _prelu, method=False, function=False, out=False,
      grad="PreluKernelBackward0")
defop("rms_norm(Tensor input, Tensor? weight, int[] normalized_shape, float? eps)", _rms_norm, method=False,
      function=False, out=False, dtype="keep", grad="MulBackward0")
defop("kl_div(Tensor self, Tensor target, str reduction, bool log_target)", _kl_div, dtype="float", method=False,
      function=False, out=False, grad=_kl_name)
defop("soft_margin_loss(Tensor self, Tensor target, str reduction)", _soft_margin, dtype="float", method=False,
      function=False, out=False)
defop("pixel_shuffle(Tensor self, int upscale_factor)", _pixel_shuffle, dtype="keep", method=False,
      function=False, out=False)
defop("pixel_unshuffle(Tensor self, int downscale_factor)", _pixel_unshuffle, dtype="keep", method=False,
      function=False, out=False)
defop("adaptive_avg_pool3d(Tensor self, int[] output_size)", _adaptive_avg_pool, dtype="keep", method=False,
      out=False, function=False,
      grad=lambda args, st: "MeanBackward1" if all(o == 1 for o in st[0]) else "AdaptiveAvgPool3DBackward0")
defop("adaptive_max_pool1d(Tensor self, int[] output_size)", _adaptive_max_pool, dtype="keep", method=False,
      out=False, function=False, grad="SqueezeBackward1")


# ---- interpolation (upsampling) ----------------------------------------------
# Each output position along a spatial dim reads a few input positions with fixed weights; both are computed
# on the host in PyTorch's own arithmetic (float32 for float32 inputs), so indices agree exactly.  The op is
# then a gather and a weighted sum per dim, whose vjp is a scatter-add.
_UPSAMPLE_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
                   "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}


def _host_float(dtype):
    return np.float64 if dtype == jnp.float64 else np.float32


def _interp_scale(n_in, n_out, align_corners, scale, ft):
    if align_corners:
        return ft((n_in - 1) / (n_out - 1)) if n_out > 1 else ft(0)
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in / n_out)


def _cubic_weights(t, A=-0.75):
    def near(x):                 # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):                  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    one = t.dtype.type(1)
    return [far(t + one), near(t), near(one - t), far(one + one - t)]


def _interp_taps(mode, n_in, n_out, align_corners, scale, ft):
    """(indices, weights) lists: output[j] = sum_k weights[k][j] * input[indices[k][j]]."""
    j = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        s = _interp_scale(n_in, n_out, False, scale, ft)
        pos = (j + 0.5).astype(ft) * s if mode == "nearest-exact" else j.astype(ft) * s
        return [np.minimum(np.floor(pos).astype(np.int64), n_in - 1)], None
    if n_in == n_out and mode != "bicubic":      # PyTorch copies the input along a dim of unchanged size
        return [j], None
    s = _interp_scale(n_in, n_out, align_corners, scale, ft)
    src = j.astype(ft) * s if align_corners else (j.astype(ft) + ft(0.5)) * s - ft(0.5)
    if mode == "bicubic":
        lo = np.floor(src)
        t = (src - lo).astype(ft)
        base = lo.astype(np.int64)
        return [np.clip(base + o, 0, n_in - 1) for o in (-1, 0, 1, 2)], _cubic_weights(t)
    src = np.maximum(src, ft(0))
    lo = src.astype(np.int64)
    hi = lo + (lo < n_in - 1)
    lam = np.clip(src - lo.astype(ft), 0, 1).astype(ft)
    return [lo, hi], [(ft(1) - lam).astype(ft), lam]


def _upsample(x, mode, output_size, scales, align_corners):
    nsp = len(output_size)
    ft = _host_float(x.dtype)
    if mode in ("nearest", "nearest-exact"):
        acc = x.dtype
    else:
        acc = jnp.float32 if x.dtype == jnp.uint8 else _acc_dtype(x)
    y = x.astype(acc)
    u8 = x.dtype == jnp.uint8 and acc != x.dtype
    for i, o in reversed(list(enumerate(output_size))) if u8 else enumerate(output_size):
        axis = x.ndim - nsp + i
        idx, wts = _interp_taps(mode, x.shape[axis], o, align_corners, scales[i] if scales else None, ft)
        if wts is None:
            y = jnp.take(y, jnp.asarray(idx[0]), axis=axis)
            continue
        shape = [1] * y.ndim
        shape[axis] = o
        terms = [jnp.take(y, jnp.asarray(ix), axis=axis) * jnp.asarray(w.reshape(shape), acc)
                 for ix, w in zip(idx, wts)]
        y = terms[0]
        for t in terms[1:]:
            y = y + t
        if u8:          # PyTorch's uint8 kernels resize the last dim first, rounding and saturating each pass
            y = jnp.clip(jnp.round(y), 0, 255)
    return y.astype(x.dtype)


defop("_upsample(Tensor self, str mode, int[] output_size, any scales, bool align_corners)", _upsample,
      dtype="keep", method=False, function=False, out=False,
      grad=lambda args, st: f"Upsample{_UPSAMPLE_NAMES[st[0]]}{len(st[1])}DBackward0")


# ---- unfold / fold (im2col / col2im) -------------------------------------------
def _im2col_index(sizes, kernel, dilation, padding, stride):
    """Flat positions into the zero-padded plane, shape (prod(kernel), L), and the block counts."""
    padded = [n + 2 * p for n, p in zip(sizes, padding)]
    blocks = [(pn - d * (k - 1) - 1) // s + 1 for pn, k, d, s in zip(padded, kernel, dilation, stride)]
    # per dim: position of (kernel offset, block)
    per = [np.arange(k)[:, None] * d + np.arange(b)[None, :] * s
           for k, d, b, s in zip(kernel, dilation, blocks, stride)]
    (kh, bh), (kw, bw) = per[0].shape, per[1].shape
    flat = per[0][:, None, :, None] * padded[1] + per[1][None, :, None, :]      # (kh, kw, bh, bw)
    return flat.reshape(kh * kw, bh * bw), padded, blocks


def _unfold(x, kernel, dilation, padding, stride):
    flat, padded, _ = _im2col_index(x.shape[-2:], kernel, dilation, padding, stride)
    xp = jnp.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p) for p in padding])
    planes = xp.reshape(x.shape[:-2] + (xp.shape[-2] * xp.shape[-1],))
    cols = jnp.take(planes, jnp.asarray(flat), axis=-1)            # (..., C, K, L)
    return cols.reshape(x.shape[:-3] + (x.shape[-3] * flat.shape[0], flat.shape[1]))


def _fold(cols, output_size, kernel, dilation, padding, stride):
    flat, padded, _ = _im2col_index(output_size, kernel, dilation, padding, stride)
    k = flat.shape[0]
    lead = cols.shape[:-2]
    c = cols.shape[-2] // k
    vals = cols.reshape(lead + (c, k * flat.shape[1]))
    acc = jnp.int32 if cols.dtype == jnp.bool_ else cols.dtype          # bool blocks overlap as logical or
    planes = jnp.zeros(lead + (c, padded[0] * padded[1]), acc).at[..., jnp.asarray(flat.reshape(-1))].add(
        vals.astype(acc))
    out = planes.reshape(lead + (c, padded[0], padded[1])).astype(cols.dtype)
    return out[..., padding[0]:padding[0] + output_size[0], padding[1]:padding[1] + output_size[1]]


defop("im2col(Tensor self, int[] kernel_size, int[] dilation, int[] padding, int[] stride)", _unfold,
      dtype="keep", method=False, function=False, out=False)
defop("col2im(Tensor self, int[] output_size, int[] kernel_size, int[] dilation, int[] padding, int[] stride)",
      _fold, dtype="keep", method=False, function=False, out=False)


# ---- transposed convolution ----------------------------------------------------
def _conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation):
    nsp = w.ndim - 2
    if x.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                           f"conv_transpose{nsp}d, but got input of size: {list(x.shape)}")
    unbatched = x.ndim == nsp + 1
    if unbatched:
        x = x[None]
    cin, cout_g = w.shape[0], w.shape[1]
    if x.shape[1] != cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                           f"have {cin} channels, but got {x.shape[1]} channels instead")
    k = w.shape[2:]
    # (in, out/g, k...) -> (out, in/g, k...), spatially flipped: the forward conv whose input gradient this is
    wg = w.reshape((groups, cin // groups, cout_g) + k)
    wg = jnp.swapaxes(wg, 1, 2).reshape((groups * cout_g, cin // groups) + k)
    wg = jnp.flip(wg, axis=tuple(range(2, 2 + nsp)))
    pads = [(d * (kk - 1) - p, d * (kk - 1) - p + op) for kk, d, p, op in zip(k, dilation, padding, output_padding)]
    y = lax.conv_general_dilated(x, wg, (1,) * nsp, pads, lhs_dilation=tuple(stride), rhs_dilation=tuple(dilation),
                                 dimension_numbers=_CONV_DIMS[nsp], feature_group_count=groups)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nsp)
    return y[0] if unbatched else y


defop("conv_transpose(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] output_padding, "
      "int groups, int[] dilation)", _conv_transpose, dtype=_conv_dtype, method=False, function=False, out=False,
      grad=lambda args, st: "SqueezeBackward1" if args[0].ndim == args[1].ndim - 1 else "ConvolutionBackward0"
      ).defer_large = True


# ---- max unpooling, adaptive max pool 3d, fractional max pool ----------------------
@jax.custom_vjp
def _scatter_rows(vals, ind, zeros):
    """``zeros`` with ``vals`` written at ``ind`` along the last axis; the gradient of ``vals`` gathers at
    ``ind``, as PyTorch's max_unpool backward does (also where an index repeats)."""
    rows = jnp.arange(vals.shape[0])[:, None]
    return zeros.at[rows, ind].set(vals)


def _scatter_rows_fwd(vals, ind, zeros):
    return _scatter_rows(vals, ind, zeros), ind


def _scatter_rows_bwd(ind, g):
    return jnp.take_along_axis(g, ind, axis=1), None, jnp.zeros_like(g)


_scatter_rows.defvjp(_scatter_rows_fwd, _scatter_rows_bwd)


def _max_unpool(x, idx, output_size):
    nsp = len(output_size)
    lead = x.shape[:-nsp]
    rows = math.prod(lead)
    n_in = math.prod(x.shape[-nsp:])
    zeros = jnp.zeros((rows, math.prod(output_size)), x.dtype)
    out = _scatter_rows(x.reshape(rows, n_in), idx.reshape(rows, n_in), zeros)
    return out.reshape(lead + tuple(output_size))


for _n, _name in ((1, "SqueezeBackward1"), (2, "MaxUnpool2DBackward0"), (3, "MaxUnpool3DBackward0")):
    defop(f"max_unpool{_n}d(Tensor self, Index indices, int[] output_size)", _max_unpool, dtype="keep",
          method=False, function=False, out=False, grad=_name)

defop("adaptive_max_pool3d_with_indices(Tensor self, int[] output_size)", _adaptive_max_pool_indices,
      dtype="keep", method=False, out=False, function=False, grad="AdaptiveMaxPool3DBackward0")
defop("adaptive_max_pool3d(Tensor self, int[] output_size)", lambda x, o: _adaptive_max_pool_indices(x, o)[0],
      dtype="keep", method=False, out=False, function=False, grad="AdaptiveMaxPool3DBackward0")


def _fractional_max_pool(x, samples, kernel, output_size):
    """PyTorch's pseudo-random pooling sequence (one uniform sample per plane and dim) and a window max."""
    nsp = len(kernel)
    sizes = x.shape[-nsp:]
    lead = x.shape[:-nsp]
    samples = samples.reshape(lead + (nsp,)).astype(jnp.float64 if x.dtype == jnp.float64 else jnp.float32)
    if nsp == 2:                # PyTorch's 2-d kernel reads the samples as (width, height)
        samples = samples[..., ::-1]
    starts = []
    for d, (n, k, o) in enumerate(zip(sizes, kernel, output_size)):
        u = samples[..., d:d + 1]
        if o > 1:
            alpha = (n - k) / (o - 1)
            i = jnp.arange(o, dtype=u.dtype)
            seq = (jnp.floor((i + u) * alpha) - jnp.floor(u * alpha)).astype(jnp.int64)
            seq = seq.at[..., o - 1].set(n - k)
        else:
            seq = jnp.full(lead + (1,), n - k, jnp.int64)
        starts.append(seq)                                           # lead + (o,)
    # flat input positions, lead + (o1.., k1..) built dim by dim
    flat = None
    for d, (n, k, st) in enumerate(zip(sizes, kernel, starts)):
        pos = st[..., :, None] + jnp.arange(k)                      # lead + (o, k)
        if flat is None:
            flat = pos
        else:
            nl = len(lead)
            a = flat.reshape(flat.shape + (1, 1))
            flat = a * n + pos.reshape(lead + (1,) * (flat.ndim - nl) + pos.shape[nl:])
    nl = len(lead)
    perm = list(range(nl)) + [nl + 2 * i for i in range(nsp)] + [nl + 2 * i + 1 for i in range(nsp)]
    flat = jnp.transpose(flat, perm).reshape(lead + tuple(output_size) + (-1,))
    planes = x.reshape(lead + (-1,))
    vals = jnp.take_along_axis(planes, flat.reshape(lead + (-1,)), axis=-1).reshape(flat.shape)
    arg = jnp.argmax(vals, axis=-1)
    values = jnp.take_along_axis(vals, arg[..., None], axis=-1)[..., 0]
    idx = jnp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return values, idx


for _n in (2, 3):
    defop(f"fractional_max_pool{_n}d(Tensor self, Index random_samples, int[] kernel_size, int[] output_size)",
          _fractional_max_pool, dtype="keep", method=False, function=False, out=False,
          grad=f"FractionalMaxPool{_n}DBackward0")


# ---- losses with a single PyTorch node, distances, normalisation, shuffles, random activations ---------
def _multi_margin(x, target, weight, p, margin, reduction):
    x2 = x.reshape((-1, x.shape[-1])) if x.ndim else x.reshape(1, 1)
    t = target.reshape(-1)
    c = x2.shape[-1]
    xy = jnp.take_along_axis(x2, t[:, None], axis=1)
    z = jnp.maximum(margin - xy + x2, 0)
    z = z ** p if p != 1 else z
    if weight is not None:
        z = z * jnp.take(weight, t)[:, None].astype(z.dtype)
    z = jnp.where(jnp.arange(c)[None, :] == t[:, None], jnp.zeros_like(z), z)
    loss = jnp.sum(z, axis=1) / c
    if reduction == "none":
        return loss.reshape(target.shape)
    return _reduce(loss, reduction)


def _multilabel_margin(x, target, reduction):
    x2 = x.reshape((-1, x.shape[-1])) if x.ndim else x.reshape(1, 1)
    t = target.reshape(x2.shape)
    c = x2.shape[-1]
    valid = jnp.cumprod(t != -1, axis=1).astype(bool)           # targets stop at the first -1
    safe = jnp.where(valid, t, 0)
    is_target = jnp.any((safe[:, :, None] == jnp.arange(c)[None, None, :]) & valid[:, :, None], axis=1)
    xy = jnp.take_along_axis(x2, safe, axis=1)                    # (N, J)
    z = jnp.maximum(1 - xy[:, :, None] + x2[:, None, :], 0)       # (N, J, C)
    z = jnp.where(valid[:, :, None] & ~is_target[:, None, :], z, jnp.zeros_like(z))
    loss = jnp.sum(z, axis=(1, 2)) / c
    if reduction == "none":
        return loss.reshape(x.shape[:-1]) if x.ndim > 1 else loss.reshape(())
    return _reduce(loss, reduction)


defop("multi_margin_loss(Tensor self, Index target, Index? weight, int p, float margin, str reduction)",
      _multi_margin, dtype="float", method=False, function=False, out=False)
defop("multilabel_margin_loss(Tensor self, Index target, str reduction)", _multilabel_margin, dtype="float",
      method=False, function=False, out=False, grad="MultilabelMarginLossBackward0")


def _pdist(x, p):
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    d = jnp.abs(x[jnp.asarray(i)] - x[jnp.asarray(j)])
    if p == 0:
        return jnp.sum((d != 0).astype(x.dtype), axis=-1)
    if p == math.inf:
        return jnp.max(d, axis=-1) if x.shape[1] else jnp.zeros(len(i), x.dtype)
    if p == 1:
        return jnp.sum(d, axis=-1)
    s = jnp.sum(d ** p, axis=-1)
    pos = s > 0
    return jnp.where(pos, jnp.where(pos, s, 1) ** (1.0 / p), 0)


defop("pdist(Tensor self, float p)", _pdist, dtype="keep", method=False, function=False, out=False)


def _local_response_norm(x, size, alpha, beta, k):
    # a window of ``size`` channels, zero-padded (size // 2, (size - 1) // 2), averaged over ``size``
    sq = jnp.square(x)
    pads = [(0, 0)] * x.ndim
    pads[1] = (size // 2, (size - 1) // 2)
    win = [1] * x.ndim
    win[1] = size
    s = lax.reduce_window(sq, 0.0, lax.add, tuple(win), (1,) * x.ndim, pads)
    return x / (s * (alpha / size) + k) ** beta


defop("local_response_norm(Tensor self, int size, float alpha, float beta, float k)", _local_response_norm,
      dtype="keep", method=False, function=False, out=False, grad="DivBackward0")


def _channel_shuffle(x, groups):
    n, c = x.shape[:2]
    y = x.reshape((n, groups, c // groups) + x.shape[2:])
    return jnp.swapaxes(y, 1, 2).reshape(x.shape)


defop("channel_shuffle(Tensor self, int groups)", _channel_shuffle, dtype="keep", method=False, function=False,
      out=False)


_SELU_ALPHA_SCALE = 1.7580993408473766       # SELU's alpha * scale: the value dropped units saturate to (negated)


def _alpha_dropout(x, key, p, feature):
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = jax.random.bernoulli(key, 1.0 - p, shape).astype(x.dtype)
    a = ((1 - p) * (1 + p * _SELU_ALPHA_SCALE ** 2)) ** -0.5
    b = (1 - keep) * (-_SELU_ALPHA_SCALE * a) + _SELU_ALPHA_SCALE * a * p
    return x * (keep * a) + b


defop("_alpha_dropout(Tensor self, Index key, float p, bool feature)", _alpha_dropout, dtype="keep",
      method=False, function=False, out=False, grad="AddBackward0")


def _rrelu(x, key, lower, upper, training):
    if training:
        slope = jax.random.uniform(key, x.shape, jnp.float32 if x.dtype in _HALF else x.dtype, lower, upper)
        slope = slope.astype(x.dtype)
    else:
        slope = jnp.asarray((lower + upper) / 2, x.dtype)
    return jnp.where(x > 0, x, x * slope)


defop("rrelu_with_noise(Tensor self, Index? key, float lower, float upper, bool training)", _rrelu, dtype="keep",
      method=False, function=False, out=False)


# ---- CTC loss --------------------------------------------------------------------------------
def _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
    """Per-sample negative log likelihood of ``targets`` under CTC: the forward (alpha) recursion over time in
    log space as one ``lax.scan``; ``targets`` is (N, S) padded.  Gradients are JAX's through the scan."""
    T_, N, _ = log_probs.shape
    S = targets.shape[1]
    L = 2 * S + 1
    neg = jnp.asarray(-jnp.inf, log_probs.dtype)
    tg = targets.astype(jnp.int32)
    ext = jnp.full((N, L), blank, jnp.int32).at[:, 1::2].set(tg)             # blank, t1, blank, t2, ..., blank
    prev2 = jnp.concatenate([jnp.full((N, 2), blank, jnp.int32), ext[:, :-2]], axis=1)
    skip = (ext != blank) & (ext != prev2)                                     # may jump over a blank
    skip = skip.at[:, :2].set(False)
    valid = jnp.arange(L)[None, :] < (2 * target_lengths[:, None] + 1)
    emit = jnp.take_along_axis(log_probs, jnp.broadcast_to(ext[None], (T_, N, L)), axis=2)   # (T, N, L)

    def lse(*xs):
        m = xs[0]
        for x in xs[1:]:
            m = jnp.maximum(m, x)
        m = lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0))
        s = sum(jnp.exp(x - m) for x in xs)
        pos = s > 0
        return jnp.where(pos, jnp.log(jnp.where(pos, s, 1)) + m, neg)

    init = jnp.where(jnp.arange(L)[None, :] < 2, emit[0], neg)
    init = jnp.where(valid, init, neg)

    def step(alpha, xs):
        t, e = xs
        a1 = jnp.concatenate([jnp.full((N, 1), neg), alpha[:, :-1]], axis=1)
        a2 = jnp.concatenate([jnp.full((N, 2), neg), alpha[:, :-2]], axis=1)
        a2 = jnp.where(skip, a2, neg)
        new = jnp.where(valid, lse(alpha, a1, a2) + e, neg)
        return jnp.where((t < input_lengths)[:, None], new, alpha), None

    alpha, _ = lax.scan(step, init, (jnp.arange(1, T_), emit[1:]))
    end = 2 * target_lengths
    last = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    before = jnp.where(target_lengths > 0, before, neg)
    loss = -lse(last, before)
    # PyTorch's backward returns exp(log_probs) - posterior, the gradient w.r.t. logits that log_probs is
    # assumed to be the log_softmax of: add a zero-valued term whose gradient is exp(log_probs) up to each
    # sample's input length
    lp = jnp.where(jnp.isfinite(log_probs), log_probs, 0)
    live = (jnp.arange(T_)[:, None] < input_lengths[None, :])[:, :, None]
    extra = jnp.where(live, (lp - lax.stop_gradient(lp)) * jnp.exp(lax.stop_gradient(lp)), 0)
    loss = loss + jnp.sum(extra, axis=(0, 2))
    if not zero_infinity:       # an impossible alignment: infinite loss, NaN gradient (zero-valued sqrt(0) terms)
        dead = live & jnp.isinf(loss)[None, :, None]
        d = jnp.where(dead, lp - lax.stop_gradient(lp), 1)
        loss = loss + jnp.sum(jnp.where(dead, jnp.sqrt(d) - jnp.sqrt(d), 0), axis=(0, 2))
    if zero_infinity:
        loss = jnp.where(jnp.isinf(loss), jnp.zeros_like(loss), loss)
    return loss


defop("ctc_loss(Tensor log_probs, Index targets, Index input_lengths, Index target_lengths, int blank, "
      "bool zero_infinity)", _ctc_loss, dtype="keep", method=False, function=False, out=False,
      grad=lambda args, st: "WhereBackward0" if st[1] else "CtcLossBackward0")


# ---- grouped matrix multiply (mixture-of-experts layers) -------------------------------------------
def _group_masks(offs, length):
    """(G, length) booleans: position i belongs to group g when offs[g-1] <= i < offs[g]."""
    idx = jnp.arange(length)
    ends = offs.astype(jnp.int32)
    starts = jnp.concatenate([jnp.zeros((1,), jnp.int32), ends[:-1]])
    return (idx[None, :] >= starts[:, None]) & (idx[None, :] < ends[:, None])


def _grouped_mm(a, b, offs):
    """``a @ b`` per group: 3-D x 3-D is a batched product; a 2-D operand is cut into groups by ``offs``
    (rows of ``a`` against ``b[g]``; the shared K of two 2-D operands; the columns of ``b`` against
    ``a[g]``), positions past ``offs[-1]`` giving zeros."""
    def mm(x, y):
        return jnp.matmul(x, y, preferred_element_type=jnp.float32)
    if a.ndim == 3 and b.ndim == 3:
        out = mm(a, b)
    elif a.ndim == 2 and b.ndim == 3:
        masks = _group_masks(offs, a.shape[0])
        out = jnp.einsum("gm,gmn->mn", masks.astype(jnp.float32), mm(a[None], b))
    elif a.ndim == 2 and b.ndim == 2:
        masks = _group_masks(offs, a.shape[1]).astype(a.dtype)
        out = mm(a[None] * masks[:, None, :], b)
    else:
        masks = _group_masks(offs, b.shape[1])
        out = jnp.einsum("gn,gmn->mn", masks.astype(jnp.float32), mm(a, b[None]))
    return out.astype(a.dtype)


defop("_grouped_mm(Tensor self, Tensor mat2, Index? offs=None)", _grouped_mm, method=False, function=False,
      out=False, dtype="keep")
