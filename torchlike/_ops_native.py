"""PyTorch's "native" composite ops that return their saved statistics (``native_batch_norm``,
``native_layer_norm``, ``native_group_norm``, ...) and a few private ops PyTorch exposes at the top
level (``_chunk_cat``, ``_segment_reduce``).

They are written as compositions of declared ops, so they are differentiable through the same
registry (the grad_fn names are those of the ops they are made of, not ``NativeBatchNormBackward0``).
"""
from __future__ import annotations

import builtins
import math
import jax.numpy as jnp
import jax
import numpy as np

from . import _creation
from . import _dtype as D
from . import _registry as R
from ._registry import FUNCTIONS
from ._names import publish
from .autograd import grad_mode

F = FUNCTIONS


def _check_tensor(x, fn, arg, pos):
    if not isinstance(x, R._Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _empty0(x):
    return _creation.zeros((0,), dtype=x.dtype)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch normalisation over every dimension but 1; returns ``(output, save_mean, save_invstd)``.

    In training the batch statistics are used (and returned, detached), and the running statistics, when
    given, are updated in place with the unbiased variance; in evaluation the running statistics are used
    and the saved statistics are empty, as in PyTorch."""
    _check_tensor(input, "native_batch_norm", "input", 1)
    if input.ndim < 2:
        raise RuntimeError(f"native_batch_norm(): expected a tensor with at least 2 dimensions, got {input.ndim}")
    dims = [0] + list(range(2, input.ndim))
    shape = _channel_shape(input)
    if training:
        n = input.numel() // builtins.max(input.shape[1], 1)
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        invstd = F["rsqrt"](var + eps)
        if running_mean is not None or running_var is not None:
            with grad_mode.no_grad():
                if running_mean is not None:
                    running_mean.copy_(running_mean * (1 - momentum) + mean.detach() * momentum)
                if running_var is not None:
                    unbiased = var.detach() * (n / builtins.max(n - 1, 1))
                    running_var.copy_(running_var * (1 - momentum) + unbiased * momentum)
        y = (input - mean.reshape(shape)) * invstd.reshape(shape)
        return _affine(y, weight, bias, shape), mean.detach(), invstd.detach()
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in the evaluation mode")
    y = (input - running_mean.reshape(shape)) * F["rsqrt"](running_var + eps).reshape(shape)
    return _affine(y, weight, bias, shape), _empty0(input), _empty0(input)


def _native_batch_norm_legit(input, weight, bias, *args):
    """``(input, weight, bias, running_mean, running_var, training, momentum, eps)`` or, without running
    statistics, ``(input, weight, bias, training, momentum, eps)``."""
    if len(args) == 3:
        training, momentum, eps = args
        return native_batch_norm(input, weight, bias, None, None, training, momentum, eps)
    if len(args) != 5:
        raise TypeError("_native_batch_norm_legit() received an invalid combination of arguments")
    return native_batch_norm(input, weight, bias, *args)


def _batch_norm_with_update(input, weight, bias, running_mean, running_var, momentum, eps):
    """Training-mode batch norm updating the running statistics; the fourth output is the (empty)
    reserve buffer PyTorch's cuDNN path uses."""
    out, mean, invstd = native_batch_norm(input, weight, bias, running_mean, running_var, True, momentum, eps)
    return out, mean, invstd, _creation.zeros((0,), dtype=D.uint8)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Layer normalisation over the trailing ``normalized_shape``; returns ``(output, mean, rstd)`` with
    the statistics shaped ``input.shape[:axis] + (1,) * len(normalized_shape)`` (detached, as PyTorch's)."""
    _check_tensor(input, "native_layer_norm", "input", 1)
    ns = tuple(int(n) for n in normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    axis = input.ndim - len(ns)
    if axis < 0 or tuple(input.shape[axis:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(str(n) for n in ns)}], but got input of size{list(input.shape)}")
    dims = list(range(axis, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    rstd = F["rsqrt"](var + eps)
    y = (input - mean) * rstd
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y, mean.detach(), rstd.detach()


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """Group normalisation; returns ``(output, mean, rstd)`` with statistics of shape ``(N, group)``
    (differentiable, as in PyTorch)."""
    _check_tensor(input, "native_group_norm", "input", 1)
    if C % group:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={group}")
    x = input.reshape(N, group, (C // group) * HxW)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    rstd = F["rsqrt"](var + eps)
    y = ((x - mean) * rstd).reshape(input.shape)
    shape = (1, C) + (1,) * (input.ndim - 2)
    return _affine(y, weight, bias, shape), mean.reshape(N, group), rstd.reshape(N, group)


# ---- _chunk_cat ---------------------------------------------------------------------------------
def _chunk_cat(tensors, dim, num_chunks, *, out=None):
    """Each tensor split into ``num_chunks`` chunks along ``dim`` (padded with zeros to a multiple of
    ``num_chunks``), flattened after ``dim``, and concatenated so chunk ``i`` of every tensor lies in row ``i``:
    the result has shape ``tensors[0].shape[:dim] + (num_chunks, -1)``."""
    if not isinstance(tensors, (list, tuple)) or len(tensors) == 0:
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    if num_chunks < 1:
        raise RuntimeError("_chunk_cat expects positive num_chunks")
    first = tensors[0]
    d = dim % first.ndim if first.ndim else 0
    if first.ndim == 0 or not -first.ndim <= dim < first.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-builtins.max(first.ndim, 1)}, "
                         f"{builtins.max(first.ndim, 1) - 1}], but got {dim})")
    dtype = first.dtype
    pieces = []
    for t in tensors:
        if t.ndim != first.ndim or tuple(t.shape[:d]) != tuple(first.shape[:d]):
            raise RuntimeError("_chunk_cat expects same sizes of 0,...,dim-1 dimensions for all tensors")
        if t.dtype is not dtype:
            raise RuntimeError("_chunk_cat expects all input tensors with the same dtype")
        size = t.shape[d]
        chunk = -(-size // num_chunks)
        padded = chunk * num_chunks
        if padded != size:
            pad = [0, 0] * (t.ndim - d - 1) + [0, padded - size]
            t = F["constant_pad_nd"](t, pad, 0) if "constant_pad_nd" in F else _pad_dim(t, d, padded - size)
        pieces.append(t.reshape(tuple(t.shape[:d]) + (num_chunks, -1)))
    return F["cat"](pieces, d + 1, out=out)


def _pad_dim(t, d, extra):
    shape = list(t.shape)
    shape[d] = extra
    return F["cat"]([t, _creation.zeros(tuple(shape), dtype=t.dtype)], d)


# ---- _segment_reduce ------------------------------------------------------------------------------
def _segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduce consecutive segments of ``data`` along ``axis`` (segments given by ``lengths`` or by
    ``offsets``, batched over their leading dimensions); ``reduce`` is sum, mean, max, min or prod;
    an empty segment gives ``initial`` (or the reduction's identity; nan for mean)."""
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if reduce not in ("sum", "mean", "max", "min", "prod"):
        raise RuntimeError(f"segment_reduce(): reduction {reduce!r} is not supported")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    ax = axis % data.ndim
    if lengths is not None:
        lens = lengths
        starts = F["cumsum"](lens, -1) - lens
    else:
        starts = offsets[..., :-1]
        lens = offsets[..., 1:] - starts
    lens_h = lens.tolist()
    starts_h = starts.tolist()
    batch = list(lens.shape[:-1])
    if tuple(batch) != tuple(data.shape[:ax]):
        raise RuntimeError("segment_reduce(): Expected lengths/offsets and data to agree on the leading dimensions")
    if lengths is not None and not unsafe:
        flat = lengths.reshape(-1, lengths.shape[-1]).sum(-1).tolist() if lengths.ndim else [lens_h]
        for s in flat:
            if s != data.shape[ax]:
                raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) when !unsafe.")
    identity = {"sum": 0.0, "prod": 1.0, "mean": math.nan, "max": -math.inf, "min": math.inf}[reduce]
    fill = identity if initial is None else initial

    def reduce_rows(x, ls, ss):
        outs = []
        for ln, st in zip(ls, ss):
            seg = x.narrow(0, st, ln)
            if ln == 0:
                outs.append(_creation.full(tuple(x.shape[1:]), fill, dtype=x.dtype))
                continue
            if reduce == "sum":
                r = seg.sum(0)
            elif reduce == "prod":
                r = seg.prod(0)
            elif reduce == "mean":
                r = seg.mean(0)
            elif reduce == "max":
                r = seg.amax(0)
            else:
                r = seg.amin(0)
            if initial is not None and reduce in ("sum", "prod", "max", "min"):
                r = {"sum": lambda a: a + initial, "prod": lambda a: a * initial,
                     "max": lambda a: F["clamp_min"](a, initial), "min": lambda a: F["clamp_max"](a, initial)}[reduce](r)
            elif initial is not None and reduce == "mean":
                r = (seg.sum(0) + initial) / ln     # PyTorch adds initial to the sum, divides by the length
            outs.append(r)
        return F["stack"](outs, 0)

    def rec(x, ls, ss):
        if isinstance(ls, list) and ls and isinstance(ls[0], list):
            return F["stack"]([rec(x[i], l2, s2) for i, (l2, s2) in enumerate(zip(ls, ss))], 0)
        return reduce_rows(x, ls, ss)
    return rec(data, lens_h, starts_h)


for _name, _fn in {"native_batch_norm": native_batch_norm, "native_layer_norm": native_layer_norm,
                   "native_group_norm": native_group_norm}.items():
    publish(_name, _fn)

# private names PyTorch exposes at the top level (torchlike's namespace skips names starting with "_")
PRIVATE_EXPORTS = {"_native_batch_norm_legit": _native_batch_norm_legit, "_chunk_cat": _chunk_cat,
                   "_segment_reduce": _segment_reduce, "_batch_norm_with_update": _batch_norm_with_update}


# ---- _unsafe_masked_index / _unsafe_masked_index_put_accumulate -----------------------------------
def _clamped(x, indices):
    """Indices clamped into range (the masked-off ones may be out of range); None stays a full slice."""
    out = []
    for i, idx in enumerate(indices):
        if idx is None:
            out.append(slice(None))
            continue
        if idx.dtype not in (D.int64, D.int32):
            raise RuntimeError(f"_unsafe_masked_index found unexpected index type {idx.dtype}")
        out.append(FUNCTIONS["clamp"](idx, -x.shape[i], x.shape[i] - 1))
    return tuple(out)


def _unsafe_masked_index(input, mask, indices, fill):
    """``input[indices]`` where ``mask`` is true, ``fill`` elsewhere (out-of-range indices under a false
    mask are allowed)."""
    return input[_clamped(input, indices)].masked_fill(~mask, fill)


def _unsafe_masked_index_put_accumulate(input, mask, indices, values):
    """``input`` with ``values`` (where ``mask`` is true) added at ``indices``."""
    return input.index_put(_clamped(input, indices), values.masked_fill(~mask, 0), accumulate=True)


PRIVATE_EXPORTS.update(_unsafe_masked_index=_unsafe_masked_index,
                       _unsafe_masked_index_put_accumulate=_unsafe_masked_index_put_accumulate)


# ---- histogramdd ----------------------------------------------------------------------------------
def _histogramdd_impl(x, w, edges_cat, nbins, density):
    dims = len(nbins)
    x = x.reshape(-1, dims)
    flat = jnp.zeros(x.shape[0], jnp.int64)
    valid = jnp.ones(x.shape[0], bool)
    widths, off = [], 0
    for d, nb in enumerate(nbins):
        e = edges_cat[off:off + nb + 1]
        off += nb + 1
        xd = x[:, d]
        idx = jnp.searchsorted(e, xd, side="right") - 1
        idx = jnp.where(xd == e[-1], nb - 1, idx)
        valid = valid & (xd >= e[0]) & (xd <= e[-1])
        flat = flat * nb + jnp.clip(idx, 0, nb - 1)
        widths.append(jnp.diff(e))
    total = math.prod(nbins)
    flat = jnp.where(valid, flat, total)
    ones = jnp.ones(x.shape[0], x.dtype) if w is None else w.reshape(-1).astype(x.dtype)
    hist = jnp.zeros(total + 1, x.dtype).at[flat].add(ones)[:total].reshape(nbins)
    if density:
        volume = widths[0]
        for wd in widths[1:]:
            volume = volume[..., None] * wd
        hist = hist / (jnp.sum(hist) * volume.reshape(nbins))
    return hist


def _histogramdd_rule(args, statics=None):
    d = args[0].dtype
    if d.category != D.FLOAT:
        raise RuntimeError(f"\"histogramdd\" not implemented for '{R._type_word(d)}'")
    return None


_HISTOGRAMDD = R.defop("_histogramdd(Tensor self, Tensor? weight, Tensor edges, int[] nbins, bool density)",
                       _histogramdd_impl, differentiable=False, function=False, method=False, out=False,
                       dtype=_histogramdd_rule).function


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """A D-dimensional histogram of the rows of ``input`` (shape ``(..., D)``): ``bins`` is an int, one
    int per dimension, or one tensor of edges per dimension; ``range`` is ``[lo0, hi0, lo1, hi1, ...]``.
    Returns ``(hist, bin_edges)``; values on a last edge count in the last bin."""
    _check_tensor(input, "histogramdd", "input", 1)
    if input.ndim < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension")
    dims = input.shape[-1]
    if isinstance(bins, R._Tensor) and bins.ndim == 0 or isinstance(bins, int):
        bins = [int(bins)] * dims
    if len(bins) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for each of the {dims} "
                           f"dimensions of the input tensor, but got {len(bins)} bin edges")
    flat = input.reshape(-1, dims)
    edges = []
    for d, b in enumerate(bins):
        if isinstance(b, R._Tensor):
            edges.append(b.to(input.dtype))
            continue
        rng = None if range is None else (float(range[2 * d]), float(range[2 * d + 1]))
        edges.append(FUNCTIONS["histogram"](flat[:, d].contiguous(), int(b), range=rng).bin_edges)
    nbins = tuple(int(e.numel()) - 1 for e in edges)
    hist = _HISTOGRAMDD(input, weight, FUNCTIONS["cat"](edges), nbins, bool(density))
    return R._return_type("histogramdd", ("hist", "bin_edges"))(hist, tuple(edges))


publish("histogramdd", histogramdd)


# ---- hash_tensor ------------------------------------------------------------------------------------
def _hash_tensor_impl(x, dim, keepdim, mode):
    if jnp.issubdtype(x.dtype, jnp.floating):
        bits = jax.lax.bitcast_convert_type(x.astype(jnp.float64), jnp.uint64)
    else:
        bits = x.astype(jnp.int64).astype(jnp.uint64)
    axes = tuple(range(x.ndim)) if dim is None or len(dim) == 0 else tuple(d % builtins.max(x.ndim, 1) for d in dim)
    axes = tuple(a for a in axes if a < x.ndim)
    out = jax.lax.reduce(bits, np.uint64(0), jax.lax.bitwise_xor, axes)
    if keepdim:
        out = jnp.expand_dims(out, axes)
    return out


def _hash_tensor_rule(args, statics=None):
    x = args[0]
    if statics[2] != 0:
        raise RuntimeError(f"hash_tensor: only mode=0 (xor reduction) is supported, got mode={statics[2]}")
    if x.dtype.category == D.COMPLEX:
        raise RuntimeError("hash_tensor: complex tensors are not supported")
    return None


R.defop("hash_tensor(Tensor self, int[]? dim=None, *, bool keepdim=False, int mode=0)", _hash_tensor_impl,
        differentiable=False, dtype=_hash_tensor_rule)
