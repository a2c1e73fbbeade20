"""``torch.nn.utils.rnn``: padded and packed batches of variable-length sequences.

A :class:`PackedSequence` stores a batch time-major without padding: ``data``
holds, step after step, the elements of every sequence still running at that
step (sequences sorted longest first), and ``batch_sizes[t]`` says how many
there are at step ``t``.  ``sorted_indices`` / ``unsorted_indices`` map
between the caller's batch order and the sorted one (None when the caller's
batch was already sorted).  Gradients flow through packing and padding as in
PyTorch: ``data`` has grad_fn ``PackPaddedSequenceBackward0``, padded outputs
``CopySlices``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import _creation
from ..._registry import defop
from ..._tensor import Tensor
from ... import _dtype as D
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _pack_impl(x, index, batch_first):
    return x.reshape((-1,) + x.shape[2:])[np.asarray(index, dtype=np.int64)]


# the packed data as one differentiable gather; ``index`` (static) lists, step by step, the flat
# (time, batch) positions of the elements that are not padding
_pack_data = defop("_pack_padded_sequence_data(Tensor input, int[] index, bool batch_first)", _pack_impl,
                   grad="PackPaddedSequenceBackward0", dtype="keep", function=False, method=False, out=False).function


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    perm = np.asarray(permutation._arr())
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size, dtype=perm.dtype)
    return _creation.tensor(inv, device=permutation.device)


_PackedSequenceBase = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """A packed batch (see the module docstring).  Build it with :func:`pack_padded_sequence` or
    :func:`pack_sequence`, not directly."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:          # PackedSequence((data, batch_sizes)) as pack functions once returned
            data, batch_sizes = data[0], data[1]
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the index tensors follow ``data`` to its device (batch_sizes stays on CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        sorted_indices = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        unsorted_indices = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, device=None, non_blocking=False):
        dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
        return self.to(dev)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def pin_memory(self):
        return self

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _dtype_method(name):
    def method(self):
        return self.to(dtype=getattr(D, name))
    method.__name__ = method.__qualname__ = {"float64": "double", "float32": "float", "float16": "half",
                                             "int64": "long", "int32": "int", "int16": "short", "int8": "char",
                                             "uint8": "byte"}[name]
    return method


for _name in ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8"):
    _m = _dtype_method(_name)
    setattr(PackedSequence, _m.__name__, _m)


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device.type} {lengths.dtype} tensor")
        return [int(v) for v in np.asarray(lengths._arr()).tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) of sequences of ``lengths``."""
    lengths = _lengths_list(lengths)
    sorted_indices = None
    if not enforce_sorted:
        lens, sorted_indices = torch.sort(torch.tensor(lengths, dtype=torch.int64, device="cpu"), descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)  # noqa: A001
        lengths = [int(v) for v in np.asarray(lens._arr()).tolist()]
    if input.dim() < 2:
        raise RuntimeError(f"pack_padded_sequence: expected an input with at least 2 dimensions (time and "
                           f"batch), got {input.dim()}")
    T, B = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if len(lengths) != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={B})")
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if lengths and lengths[0] > T:
        raise RuntimeError(f"Expected sequence length to be at most {T} (the padded length), but got "
                           f"{lengths[0]}")
    steps = lengths[0] if lengths else 0
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(steps)]
    index = tuple((b * T + t) if batch_first else (t * B + b) for t in range(steps) for b in range(batch_sizes[t]))
    data = _pack_data(input, index, bool(batch_first))
    return PackedSequence(data, torch.tensor(batch_sizes, dtype=torch.int64, device="cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a :class:`PackedSequence` into ``(padded, lengths)``, in the caller's batch order."""
    data, batch_sizes = sequence.data, [int(v) for v in np.asarray(sequence.batch_sizes._arr()).tolist()]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps_out = total_length
    else:
        steps_out = steps
    B = batch_sizes[0] if batch_sizes else 0
    padded = data.new_full((steps_out, B) + tuple(data.shape[1:]), padding_value)
    offset = 0
    for t, bs in enumerate(batch_sizes):
        padded[t, :bs] = data[offset:offset + bs]
        offset += bs
    lengths = torch.tensor([sum(1 for bs in batch_sizes if bs > b) for b in range(B)], dtype=torch.int64, device="cpu")
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` if ``batch_first``), padding
    each on the right (or the left) with ``padding_value``."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for s in sequences:
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence(): expected a sequence of Tensors, but got {type(s).__name__}")
    first = sequences[0]
    max_len = max(s.shape[0] for s in sequences)
    B = len(sequences)
    shape = ((B, max_len) if batch_first else (max_len, B)) + tuple(first.shape[1:])
    out = first.new_full(shape, padding_value)
    for i, s in enumerate(sequences):
        n = s.shape[0]
        span = slice(0, n) if padding_side == "right" else slice(max_len - n, max_len)
        if batch_first:
            out[i, span] = s
        else:
            out[span, i] = s
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of :func:`pad_sequence`: a list of the unpadded sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    # an index (not a slice) per sequence, as PyTorch does: the pieces' grad_fn is IndexBackward0
    return [seq[torch.arange(n, device=seq.device)] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of :func:`pack_sequence`: a list of the sequences."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
