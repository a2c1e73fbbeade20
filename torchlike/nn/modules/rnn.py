"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Each layer and direction of a multi-layer network is one registered op
(``_rnn_layer`` in :mod:`torchlike.nn._ops_seq`) whose JAX implementation runs
the time loop with ``lax.scan``: one graph node per layer and direction, its
gradient JAX's vjp of the scan, compile time flat in the sequence length.
The cells compose torchlike ops (one step needs no loop), using the same step
function as the scan.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import _creation
from ..._registry import FUNCTIONS, call
from .. import functional as F
from .. import init
from .._ops_seq import GATES, RNN_CELL, RNN_LAYER, rnn_step
from ..._state import local as _local
from ..parameter import Parameter
from .module import Module
from ..utils.rnn import PackedSequence


def _param(shape, device, dtype):
    return Parameter(_creation.empty(shape, device=device, dtype=dtype))


def _reset_uniform(module):
    """PyTorch's recurrent init: every parameter uniform in ±1/sqrt(hidden_size)."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for w in module.parameters():
        init.uniform_(w, -stdv, stdv)


class _TensorMath:
    """The step functions of :func:`rnn_step` on torchlike Tensors."""
    sigmoid = staticmethod(lambda x: FUNCTIONS["sigmoid"](x))
    tanh = staticmethod(lambda x: FUNCTIONS["tanh"](x))
    relu = staticmethod(lambda x: FUNCTIONS["relu"](x))
    linear = staticmethod(F.linear)


def _zeros(shape, like):
    return _creation.zeros(shape, dtype=like.dtype, device=like.device)


def _is_packed(x):
    return type(x).__name__ == "PackedSequence"


class RNNBase(Module):
    """Shared parameters, checks and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else real_hidden * dirs
                shapes = [("weight_ih", (gate_size, in_size)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if d == 1 else ""
                names = [f"{n}_l{layer}{suffix}" for n, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, _param(shape, device, dtype))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """A no-op: there is no cuDNN weight buffer to compact."""

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward --------------------------------------------------------------------------
    def _check_input(self, input, h0, c0):
        name = type(self).__name__
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        want = 3 if batched else 2
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if c0 is not None and (h0.dim() != want or c0.dim() != want):
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({h0.dim()}-D, {c0.dim()}-D) tensors")
        if h0 is not None and h0.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {h0.dim()}-D tensor")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        return batched

    @staticmethod
    def _check_hidden(h, expected, what="hidden"):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")

    def _initial_state(self, hx, batch, like):
        """``(h0, c0)`` of shape (layers * directions, batch, hidden): zeros, or ``hx`` checked."""
        lstm = self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * dirs, batch, real_hidden)
        c_shape = (self.num_layers * dirs, batch, self.hidden_size)
        if hx is None:
            return _zeros(h_shape, like), (_zeros(c_shape, like) if lstm else None)
        h0, c0 = hx
        self._check_hidden(h0, h_shape, "hidden[0]" if lstm else "hidden")
        if lstm:
            self._check_hidden(c0, c_shape, "hidden[1]")
        return h0, c0

    def _result(self, out, hs, cs):
        h_n = FUNCTIONS["stack"](hs)
        return out, ((h_n, FUNCTIONS["stack"](cs)) if self.mode == "LSTM" else h_n)

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        if hx is not None:
            hx = (hx[0], hx[1]) if lstm else (hx, None)
        if _is_packed(input):
            return self._forward_packed(input, hx)
        batched = self._check_input(input, *(hx or (None, None)))
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                hx = tuple(None if h is None else h.unsqueeze(1) for h in hx)
        elif self.batch_first:
            input = input.transpose(0, 1)
        h0, c0 = self._initial_state(hx, input.shape[1], input)
        out, state = self._result(*self._run_layers(input, h0, c0))
        if not batched:
            out = out.squeeze(1)
            state = tuple(h.squeeze(1) for h in state) if lstm else state.squeeze(1)
        elif self.batch_first:      # PyTorch transposes RNN/GRU outputs in place (TransposeBackward1)
            out = out.transpose(0, 1) if lstm else out.transpose_(0, 1)
        return out, state

    def _forward_packed(self, packed, hx):
        """A PackedSequence runs padded, time-major, with per-sequence lengths masking the scan."""
        data, batch_sizes, sorted_idx, unsorted_idx = packed
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {data.shape[-1]}")
        sizes = np.asarray(batch_sizes._arr())
        steps, batch = len(sizes), int(sizes[0])
        valid = np.arange(batch)[None, :] < sizes[:, None]          # (T, B): row k of data is the k-th True
        rows = np.flatnonzero(valid.reshape(-1))
        gather = np.full(steps * batch, data.shape[0], dtype=np.int64)
        gather[rows] = np.arange(rows.size)
        padded = FUNCTIONS["cat"]([data, _zeros((1, data.shape[-1]), data)])
        padded = padded.index_select(0, _creation.tensor(gather)).view(steps, batch, -1)
        if hx is not None:
            for h in hx:
                if h is not None and h.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h.dim()}-D tensor")
            if sorted_idx is not None:
                hx = tuple(None if h is None else h.index_select(1, sorted_idx) for h in hx)
        h0, c0 = self._initial_state(hx, batch, data)
        lengths = _creation.tensor(valid.sum(0).astype(np.int64))
        out, state = self._result(*self._run_layers(padded, h0, c0, lengths))
        out = out.reshape(steps * batch, -1).index_select(0, _creation.tensor(rows.astype(np.int64)))
        if unsorted_idx is not None:
            state = (tuple(h.index_select(1, unsorted_idx) for h in state) if self.mode == "LSTM"
                     else state.index_select(1, unsorted_idx))
        return PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx), state

    def _run_layers(self, x, h0, c0, lengths=None):
        """Time-major ``x``; one ``_rnn_layer`` op per layer and direction."""
        dirs = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w = {n.split("_l")[0]: getattr(self, n) for n in self._all_weights[k]}
                r = call(RNN_LAYER, (x, h0[k], None if c0 is None else c0[k], w["weight_ih"], w["weight_hh"],
                                     w.get("bias_ih"), w.get("bias_hh"), w.get("weight_hr"), lengths),
                         (self.mode, d == 1))
                outs.append(r[0])
                hs.append(r[1])
                if c0 is not None:
                    cs.append(r[2])
            x = outs[0] if dirs == 1 else FUNCTIONS["cat"](outs, 2)
        return x, hs, cs


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        # positional order: input_size, hidden_size, num_layers, nonlinearity, bias, ...
        nonlinearity = kwargs.pop("nonlinearity", args[3] if len(args) > 3 else "tanh")
        args = args[:3] + args[4:]
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; ``proj_size > 0`` projects the hidden state (``weight_hr``)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells ------------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _param((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = _param((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = _param((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = _param((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, mode, input, hx):
        """Checks, unbatched handling and one :func:`rnn_step` on Tensors."""
        nd = input.dim()
        if nd not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {nd}D instead")
        hs = hx if isinstance(hx, tuple) else (hx,)
        for h in hs:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{type(self).__name__}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")
        batched = nd == 2
        if not batched:
            input = input.unsqueeze(0)
        ishape = input._shape()
        if ishape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {ishape[1]} expected "
                               f"{self.input_size}")
        if hx is None:
            shape = (ishape[0], self.hidden_size)
            hs = tuple(_zeros(shape, input) for _ in range(2 if mode == "LSTM" else 1))
        elif not batched:
            hs = tuple(h.unsqueeze(0) for h in hs)
        for h in hs:
            hshape = h._shape()
            if hshape[0] != ishape[0]:
                raise RuntimeError(f"Input batch size {ishape[0]} doesn't match hidden0 batch size "
                                   f"{hshape[0]}")
            if hshape[1] != self.hidden_size:
                raise RuntimeError(f"hidden0 has inconsistent hidden_size: got {hshape[1]}, expected "
                                   f"{self.hidden_size}")
        c0 = hs[1] if mode == "LSTM" else None
        args = (input, hs[0], c0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        d = input._dtype
        if (d.is_floating_point and all(a is None or a._dtype is d for a in args)
                and not (_local.state.grad_enabled and any(a is not None and a._requires_grad for a in args))):
            # nothing to record (an inference loop) and one dtype (else the composite raises PyTorch's
            # error): the step is one op
            out = call(RNN_CELL, args, (mode,))
            h, c = out if mode == "LSTM" else (out[0], None)
        else:
            gi = F.linear(input, self.weight_ih, self.bias_ih)
            h, c = rnn_step(mode, gi, hs[0], c0, self.weight_hh, self.bias_hh, None, _TensorMath)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return (h, c) if mode == "LSTM" else h


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(modes[self.nonlinearity], input, hx)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._step("LSTM", input, hx)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, hx)
