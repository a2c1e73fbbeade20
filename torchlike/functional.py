"""``torch.functional``: the module where PyTorch defines some of its torch-namespace functions in Python
(``norm``, ``einsum``, ``split``, ``meshgrid``, ``stft``, ...).  Programs import them from here
(``from torch.functional import F``-style code, ``torch.functional.norm``); they are torchlike's own
functions, plus the two this module defines: ``chain_matmul`` and ``unravel_index``."""
from __future__ import annotations

import builtins
import math
import warnings

import torchlike as _t
from torchlike import Tensor

_REEXPORTED = ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
               "block_diag", "cdist", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split", "stft",
               "svd_lowrank", "tensordot", "unique", "unique_consecutive")


def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices (deprecated in PyTorch for ``torch.linalg.multi_dot``)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    result = matrices[0].clone() if len(matrices) == 1 else _t.linalg.multi_dot(list(matrices))
    if out is not None:
        out.resize_(result.shape).copy_(result)
        return out
    return result


def unravel_index(indices, shape):
    """The coordinates, one int64 tensor per dimension of ``shape``, of flat ``indices`` into a tensor
    of that shape (indices wrap around modulo its size, as in PyTorch)."""
    if not isinstance(indices, Tensor):
        indices = _t.tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype is _t.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    for s in shape:
        if not isinstance(s, int) or isinstance(s, builtins.bool):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    shape = tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if math.prod(shape) == 0:
        raise RuntimeError("ZeroDivisionError")
    flat = indices.long()
    coords, stride = [], 1
    for size in reversed(shape):
        coords.append((flat // stride) % size)
        stride *= size
    return tuple(reversed(coords))


def __getattr__(name):
    if name in _REEXPORTED or name == "Tensor":
        return getattr(_t, name)
    if name == "F":
        return _t.nn.functional
    raise AttributeError(f"module 'torch.functional' has no attribute '{name}'")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of ``stft``: inverse FFT of each frame, windowed, overlap-added (``nn.functional.fold``)
    and divided by the overlapped squared window; ``center`` trims ``n_fft // 2`` at both ends,
    ``length`` trims or zero-pads the end."""
    if not isinstance(input, Tensor) or not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"istft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if not 0 < hop_length <= win_length:
        raise RuntimeError(f"istft: expected 0 < hop_length <= win_length, but got hop_length={hop_length}")
    batched = input.dim() == 3
    spec = input if batched else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[-2], spec.shape[-1]
    onesided = n_freq != n_fft if onesided is None else onesided
    if onesided and return_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if (n_fft // 2 + 1 if onesided else n_fft) != n_freq:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    real = _t.float64 if spec.dtype is _t.complex128 else _t.float32
    if window is None:
        window = _t.ones(win_length, dtype=real, device=spec.device)
    if window.dim() != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"istft: Invalid window shape. window has to be 1D and length of `win_length`, but got "
                           f"window with shape {tuple(window.shape)}")
    left = (n_fft - win_length) // 2
    window = _t.nn.functional.pad(window, (left, n_fft - win_length - left))
    if normalized:
        spec = spec * math.sqrt(n_fft)
    if onesided:
        frames = _t.fft.irfft(spec, n=n_fft, dim=-2)
    else:
        frames = _t.fft.ifft(spec, n=n_fft, dim=-2)
        frames = frames if return_complex else frames.real
    frames = frames * window.unsqueeze(-1)                               # (batch, n_fft, n_frames)
    total = n_fft + hop_length * (n_frames - 1)

    def overlap_add(columns):
        out = _t.nn.functional.fold(columns, output_size=(1, total), kernel_size=(1, n_fft), stride=(1, hop_length))
        return out.reshape(columns.shape[0], total)
    if frames.is_complex():
        signal = _t.complex(overlap_add(frames.real), overlap_add(frames.imag))
    else:
        signal = overlap_add(frames)
    envelope = overlap_add((window * window).unsqueeze(-1).expand(n_fft, n_frames).unsqueeze(0).to(real))[0]
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    end = min(end, total)
    signal, envelope = signal[:, start:end], envelope[start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError("istft: window overlap add min: the window's overlap-added square is zero somewhere, "
                           "so the signal cannot be recovered (NOLA condition)")
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        signal = _t.nn.functional.pad(signal, (0, length - signal.shape[-1]))
    return signal if batched else signal.squeeze(0)


__all__ = sorted(_REEXPORTED + ("chain_matmul", "istft", "unravel_index"))


def __dir__():
    return __all__ + ["Tensor"]
