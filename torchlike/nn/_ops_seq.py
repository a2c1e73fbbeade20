"""Sequence ops: one recurrent layer (a ``lax.scan`` over time) and embedding bags.

Declarations only (see ``torchlike._registry.defop``); the modules that use
them are :mod:`torchlike.nn.modules.rnn` and :mod:`torchlike.nn.modules.sparse`.

A recurrent layer in one direction is ONE op whose JAX implementation scans
over time, so its gradient is JAX's vjp of the scan (one node in the graph)
and compile time does not grow with the sequence length.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._ops_matmul import matmul_t
from .._registry import defop

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class _JaxMath:
    """The few functions the recurrence step needs, on JAX arrays (the cells use torchlike's)."""
    sigmoid = staticmethod(jax.nn.sigmoid)
    tanh = staticmethod(jnp.tanh)
    relu = staticmethod(jax.nn.relu)

    @staticmethod
    def linear(x, w, b):
        y = matmul_t(x, w)
        return y if b is None else y + b


def rnn_step(mode, gi, h, c, w_hh, b_hh, w_hr, m):
    """One step of a recurrence, written once for JAX arrays and torchlike Tensors.

    ``gi`` is the input's projection ``x W_ih^T + b_ih``; ``m`` supplies
    ``sigmoid``/``tanh``/``relu``/``linear``.  Returns ``(h', c')`` (``c'`` is
    None except for LSTM).
    """
    gh = m.linear(h, w_hh, b_hh)
    if mode == "GRU":
        n = gh.shape[-1] // 3
        r = m.sigmoid(gi[..., :n] + gh[..., :n])
        z = m.sigmoid(gi[..., n:2 * n] + gh[..., n:2 * n])
        cand = m.tanh(gi[..., 2 * n:] + r * gh[..., 2 * n:])
        return (1 - z) * cand + z * h, None
    g = gi + gh
    if mode == "LSTM":
        n = g.shape[-1] // 4
        i, f = m.sigmoid(g[..., :n]), m.sigmoid(g[..., n:2 * n])
        cell, o = m.tanh(g[..., 2 * n:3 * n]), m.sigmoid(g[..., 3 * n:])
        c2 = f * c + i * cell
        h2 = o * m.tanh(c2)
        if w_hr is not None:
            h2 = m.linear(h2, w_hr, None)
        return h2, c2
    return (m.tanh(g) if mode == "RNN_TANH" else m.relu(g)), None


def _rnn_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, lengths, mode, reverse):
    """x: (T, B, F) time-major; returns (output (T, B, H'), h_T[, c_T]).

    With ``lengths`` (a packed batch, padded), sequence b only steps at ``t < lengths[b]``: its state
    stays put elsewhere and its output there is zero, so the reverse direction starts at its last
    element and ``h_T`` is its state after its last element.
    """
    gi = _JaxMath.linear(x, w_ih, b_ih)         # every step's input projection at once
    steps = jnp.arange(x.shape[0])

    def step(carry, inp):
        g, t = inp
        h, c = carry
        h2, c2 = rnn_step(mode, g, h, c, w_hh, b_hh, w_hr, _JaxMath)
        if lengths is not None:
            valid = (t < lengths)[:, None]
            h2, out = jnp.where(valid, h2, h), jnp.where(valid, h2, jnp.zeros_like(h2))
            c2 = None if c is None else jnp.where(valid, c2, c)
            return (h2, c2), out
        return (h2, c2), h2
    (h, c), out = lax.scan(step, (h0, c0), (gi, steps), reverse=reverse)
    return (out, h, c) if mode == "LSTM" else (out, h)


def _rnn_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, mode):
    """One step of a recurrent cell (``nn.GRUCell``, ``LSTMCell``, ``RNNCell``) as one op: the cells
    run it when autograd records nothing (an inference loop), the composite of Tensor ops otherwise,
    whose graph is PyTorch's.  Same arithmetic, one enqueue instead of fifteen."""
    h2, c2 = rnn_step(mode, _JaxMath.linear(x, w_ih, b_ih), h, c, w_hh, b_hh, None, _JaxMath)
    return (h2, c2) if mode == "LSTM" else (h2,)


RNN_CELL = defop("_rnn_cell(Tensor input, Tensor hx, Tensor? cx, Tensor w_ih, Tensor w_hh, Tensor? b_ih, "
                 "Tensor? b_hh, str mode)", _rnn_cell, dtype="keep", method=False, function=False, out=False,
                 grad="NotImplemented")


def _rnn_name(args, statics):
    """PyTorch's CPU LSTM runs oneDNN's layer kernel (no projections); the rest stack per-step outputs."""
    lstm_kernel = statics[0] == "LSTM" and args[7] is None and args[0]._dtype is D.float32 and args[8] is None
    return "MkldnnRnnLayerBackward0" if lstm_kernel else "StackBackward0"


RNN_LAYER = defop("_rnn_layer(Tensor input, Tensor hx, Tensor? cx, Tensor w_ih, Tensor w_hh, Tensor? b_ih, "
                  "Tensor? b_hh, Tensor? w_hr, Index? lengths, str mode, bool reverse)", _rnn_layer, dtype="keep",
                  method=False, function=False, out=False, grad=_rnn_name)


# ---- embedding bags -------------------------------------------------------------------------
def _embedding_bag(weight, idx, offsets, psw, mode, padding_idx, include_last_offset):
    """1-D ``idx`` split into bags at ``offsets``; padding entries take no part in a bag."""
    n = idx.shape[0]
    nbags = offsets.shape[0] - (1 if include_last_offset else 0)
    pos = jnp.arange(n)
    bag = jnp.searchsorted(offsets, pos, side="right") - 1
    if include_last_offset:
        bag = jnp.where(pos < offsets[-1], bag, nbags)          # past the last offset: dropped
    keep = (idx != padding_idx) if padding_idx >= 0 else jnp.ones((n,), bool)
    bag = jnp.where(keep, bag, nbags)                           # out-of-range segment ids are dropped
    rows = jnp.take(weight, idx, axis=0)
    if psw is not None:
        rows = rows * psw[:, None].astype(rows.dtype)
    if mode == "max":
        out = jax.ops.segment_max(rows, bag, num_segments=nbags)
        count = jax.ops.segment_sum(jnp.ones((n,), jnp.int32), bag, num_segments=nbags)
        return jnp.where((count > 0)[:, None], out, jnp.zeros_like(out))
    out = jax.ops.segment_sum(rows, bag, num_segments=nbags)
    if mode == "mean":
        count = jax.ops.segment_sum(jnp.ones((n,), rows.dtype), bag, num_segments=nbags)
        out = out / jnp.maximum(count, 1)[:, None]
    return out


EMBEDDING_BAG = defop("_embedding_bag(Tensor weight, Index indices, Index offsets, Tensor? per_sample_weights, "
                      "str mode, int padding_idx, bool include_last_offset)", _embedding_bag, dtype="keep",
                      method=False, function=False, out=False, grad="EmbeddingBagBackward0")
