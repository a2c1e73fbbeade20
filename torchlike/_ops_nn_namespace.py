"""The torch-namespace spellings of nn ops: ``torch.celu``, ``torch.kl_div``, ``torch.embedding_bag``,
``torch.lstm``, ``torch.gru_cell``, ...

PyTorch exposes its ATen ops under ``torch`` with the ATen signatures, which differ from
``torch.nn.functional``'s: reductions are ints (0 none, 1 mean, 2 sum), there is no ``inplace``, argument
orders differ (``instance_norm``), several return the kernel's extra outputs (``native_dropout``'s mask,
``embedding_bag``'s bag bookkeeping, ``max_pool1d_with_indices``).  Each one here is the nn implementation
(``torchlike.nn.functional``, the recurrent layers' scan op) called with the functional spelling: nothing is
computed twice.  Published through ``_registry.FUNCTIONS`` (and ``METHODS`` for the Tensor methods PyTorch
has: ``Tensor.prelu``, ``Tensor.hardshrink``); names someone declared already are left alone.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from . import _creation, _dtype
from ._registry import FUNCTIONS
from ._names import publish
from .nn import functional
from ._tensor import Tensor
from .nn.modules.rnn import RNNBase, _TensorMath
from .nn._ops_seq import rnn_step

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _publish(fn, *, method=False):
    name = fn.__name__
    publish(name, fn)
    if method:
        publish(name, method=fn)
    return fn


def _F():
    return functional


def _check_tensor(name, value, what="input", pos=1):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _reduction(value):
    """ATen's reduction enum (0, 1, 2) as nn.functional's string; anything else reduces nothing, as PyTorch's
    kernels do."""
    return _REDUCTIONS.get(value, "none")


# ---- activations and shuffles ---------------------------------------------------------------------

def celu(input, alpha=1.0):
    _check_tensor("celu", input)
    return _F().celu(input, alpha)


def prelu(input, weight):
    _check_tensor("prelu", input)
    return _F().prelu(input, weight)


def hardshrink(input, lambd=0.5):
    _check_tensor("hardshrink", input)
    return _F().hardshrink(input, lambd)


def threshold(input, threshold, value, *, out=None):
    _check_tensor("threshold", input)
    r = _F().threshold(input, threshold, value)
    return r if out is None else out.copy_(r)


def pixel_shuffle(input, upscale_factor):
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _F().pixel_unshuffle(input, downscale_factor)


def native_channel_shuffle(input, groups):
    return _F().native_channel_shuffle(input, groups)


for _f in (celu, threshold, pixel_shuffle, pixel_unshuffle, native_channel_shuffle):
    _publish(_f)
for _f in (prelu, hardshrink):
    _publish(_f, method=True)


# ---- losses (ATen signatures: integer reductions) -------------------------------------------------
# ATen declares ``reduction=Mean``, but PyTorch's Python binding of these functions reads that default as 0:
# ``torch.kl_div(x, y)`` reduces nothing.  The defaults below are what a program observes.

def _quiet(fn, *args, **kwargs):
    """nn.functional warns about legacy arguments ATen's spelling cannot pass; silence only that."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def kl_div(input, target, reduction=0, *, log_target=False):
    _check_tensor("kl_div", input, "self")
    return _quiet(_F().kl_div, input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=0):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction),
                         zero_infinity)


for _f in (kl_div, margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss,
           poisson_nll_loss, ctc_loss):
    _publish(_f)


# ---- normalisation, bilinear, pooling, dropout, embedding bags ------------------------------------

def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _F().rms_norm(input, normalized_shape, weight, eps)


def bilinear(input1, input2, weight, bias=None):
    return _F().bilinear(input1, input2, weight, bias)


def conv_tbc(input, weight, bias, pad=0):
    return _F().conv_tbc(input, weight, bias, pad)


def adaptive_max_pool1d(input, output_size):
    """``(values, indices)``, always both."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d_with_indices(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                                        return_indices=True)


def _check_p(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def feature_dropout(input, p, train):
    """Dropout of whole channels (dim 1 and up share one draw), as ``nn.functional.dropout2d/3d``."""
    _check_p(p)
    return _F()._dropout_impl(input, p, train, False, True)


def native_dropout(input, p, train):
    """``(output, mask)``: ``train`` None or True drops with probability ``p`` and scales by 1/(1-p), False
    keeps every element (mask all True)."""
    _check_tensor("native_dropout", input)
    if train is False or p == 0:
        return input * 1.0 if input.is_floating_point() else input.clone(), \
            _creation.ones(input.shape, dtype=_bool(), device=input.device)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p}")
    keep = _creation.empty(input.shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    mask = keep.bool()
    scale = 0.0 if p == 1 else 1.0 / (1 - p)
    return input * keep * scale, mask


def _bool():
    return _dtype.bool


def _bag_bookkeeping(indices, offsets, mode, per_sample_weights, include_last_offset, padding_idx, weight):
    """PyTorch's three extra outputs of ``embedding_bag`` (offset2bag, bag_size, max_indices), computed
    from the index values on the host as its CPU kernel fills them: ``sum`` without ``padding_idx`` leaves
    offset2bag empty and the sizes zero."""
    idx = np.asarray(indices.tolist(), dtype=np.int64).reshape(-1)
    offs = np.asarray(offsets.tolist(), dtype=np.int64).reshape(-1)
    nbags = len(offs) - (1 if include_last_offset else 0)
    long = indices.dtype
    if mode == 0 and padding_idx is None:
        zeros = _creation.zeros(nbags, dtype=long)
        return _creation.empty(0, dtype=long), zeros, zeros.clone()
    bag = np.minimum(np.searchsorted(offs, np.arange(idx.size), side="right") - 1, builtins.max(nbags - 1, 0))
    valid = idx != (-1 if padding_idx is None else padding_idx % weight.shape[0])
    size = np.bincount(bag[valid], minlength=nbags)[:nbags] if idx.size else np.zeros(nbags, np.int64)
    offset2bag = _creation.tensor(bag, dtype=long)
    if mode == 0:
        return offset2bag, _creation.zeros(nbags, dtype=long), _creation.zeros(nbags, dtype=long)
    if mode == 1:
        return offset2bag, _creation.tensor(size, dtype=long), _creation.tensor(size, dtype=long)
    w = np.asarray(weight.detach().tolist(), dtype=np.float64).reshape(weight.shape)
    best = np.zeros((nbags, w.shape[1]), np.int64)
    for b in range(nbags):
        rows = idx[(bag == b) & valid]
        if rows.size:
            best[b] = rows[np.argmax(w[rows], axis=0)]
    return offset2bag, _creation.tensor(size, dtype=long), _creation.tensor(best, dtype=long)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """``(output, offset2bag, bag_size, max_indices)``; ``mode`` 0 sum, 1 mean, 2 max."""
    _check_tensor("embedding_bag", offsets, "offsets", 3)
    out = _F().embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, ("sum", "mean", "max")[mode],
                             sparse, per_sample_weights, include_last_offset, padding_idx)
    return (out,) + _bag_bookkeeping(indices, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                                     weight)


for _f in (instance_norm, rms_norm, bilinear, conv_tbc, adaptive_max_pool1d, max_pool1d_with_indices,
           feature_dropout, native_dropout, embedding_bag):
    _publish(_f)


# ---- recurrent ops: torch.lstm / gru / rnn_tanh / rnn_relu and their cells ----------------------

class _FlatWeights:
    """A recurrent network given as ATen's flat parameter list, run by the nn layers' own loop
    (``RNNBase._run_layers``: one scan op per layer and direction)."""

    def __init__(self, mode, params, has_biases, num_layers, dropout, train, bidirectional):
        self._run = RNNBase._run_layers
        self.mode, self.num_layers, self.dropout = mode, num_layers, dropout
        self.training, self.bidirectional = train, bidirectional
        dirs = 2 if bidirectional else 1
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_biases else [])
        per = len(params) // builtins.max(num_layers * dirs, 1)
        if per == len(names) + 1:
            names.append("weight_hr")
        if per != len(names) or len(params) != per * num_layers * dirs:
            raise RuntimeError(f"{mode.lower()}: expected {len(names) * num_layers * dirs} parameters "
                               f"({num_layers} layers, {dirs} directions), got {len(params)}")
        self._all_weights = []
        for k in range(num_layers * dirs):
            ks = [f"{n}_l{k}" for n in names]
            for n, w in zip(ks, params[k * per:(k + 1) * per]):
                setattr(self, n, w)
            self._all_weights.append(ks)

    def __call__(self, x, h0, c0, batch_first):
        if batch_first:
            x = x.transpose(0, 1)
        out, hs, cs = self._run(self, x, h0, c0)
        if batch_first:     # PyTorch transposes RNN/GRU outputs in place (TransposeBackward1), LSTM's not
            out = out.transpose(0, 1) if self.mode == "LSTM" else out.transpose_(0, 1)
        stack = FUNCTIONS["stack"]
        return (out, stack(hs)) + ((stack(cs),) if c0 is not None else ())


def _recurrent(name, mode):
    def fn(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first=False):
        if not isinstance(params, (list, tuple)):
            raise NotImplementedError(f"torch.{name}: the packed-data form (data, batch_sizes, ...) is not "
                                      "supported; pass a PackedSequence to torch.nn.{name.upper()} instead")
        run = _FlatWeights(mode, list(params), has_biases, num_layers, dropout, train, bidirectional)
        h0, c0 = (hx[0], hx[1]) if mode == "LSTM" else (hx, None)
        return run(input, h0, c0, batch_first)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.{name}(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, "
                  "batch_first)``: a whole recurrent network from its flat parameter list (per layer and "
                  "direction: w_ih, w_hh[, b_ih, b_hh][, w_hr]).")
    return _publish(fn)


lstm = _recurrent("lstm", "LSTM")
gru = _recurrent("gru", "GRU")
rnn_tanh = _recurrent("rnn_tanh", "RNN_TANH")
rnn_relu = _recurrent("rnn_relu", "RNN_RELU")


def _cell(name, mode):
    def fn(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        hs = tuple(hx) if mode == "LSTM" else (hx,)
        for h in hs:
            if input.dim() == h.dim() == 2 and h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch size "
                                   f"{h.shape[0]}")
        gi = _F().linear(input, w_ih, b_ih)
        h, c = rnn_step(mode, gi, hs[0], hs[1] if mode == "LSTM" else None, w_hh, b_hh, None, _TensorMath)
        return (h, c) if mode == "LSTM" else h
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(input, hx, w_ih, w_hh, b_ih=None, b_hh=None)``: one step of the cell."
    return _publish(fn)


lstm_cell = _cell("lstm_cell", "LSTM")
gru_cell = _cell("gru_cell", "GRU")
rnn_tanh_cell = _cell("rnn_tanh_cell", "RNN_TANH")
rnn_relu_cell = _cell("rnn_relu_cell", "RNN_RELU")
