"""``torch.functional``: the module where PyTorch defines some of its torch-namespace functions in Python
(``norm``, ``einsum``, ``split``, ``meshgrid``, ``stft``, ...).  Programs import them from here
(``from torch.functional import F``-style code, ``torch.functional.norm``); they are torchlike's own
functions, plus the ones this module defines: ``chain_matmul``, ``unravel_index``, ``stft`` and ``istft``."""
from __future__ import annotations

import builtins
import math
import warnings

import jax.numpy as jnp
import numpy as np

import torchlike as _t
from torchlike import Tensor
from ._ops_common import _fn, _private

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


# ---- short-time Fourier transform ---------------------------------------------------------------------------------
def _stft(x, window, n_fft, hop, win_length, center, pad_mode, normalized, onesided, as_real):
    if x.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {x.ndim}D")
    batched = x.ndim == 2
    if not batched:
        x = x[None]
    if center:
        p = n_fft // 2
        mode = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}[pad_mode]
        x = jnp.pad(x, ((0, 0), (p, p)), mode=mode)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is None:
        window = jnp.ones((win_length,), x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32)
    if window.shape != (win_length,):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    window = jnp.pad(window, (left, n_fft - win_length - left))
    n_frames = 1 + (length - n_fft) // hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = x[:, idx] * window                               # (B, frames, n_fft)
    spec = jnp.fft.rfft(frames, axis=-1) if onesided else jnp.fft.fft(frames, axis=-1)
    if normalized:
        spec = spec * (1.0 / math.sqrt(n_fft))
    spec = jnp.swapaxes(spec, -1, -2)                         # (B, freq, frames)
    if not batched:
        spec = spec[0]
    if as_real:
        spec = jnp.stack([spec.real, spec.imag], axis=-1)
    return spec


_STFT = _private("_stft(Tensor self, Tensor? window, int n_fft, int hop, int win_length, bool center, str pad_mode, "
                 "bool normalized, bool onesided, bool as_real)", _stft, grad="FftR2CBackward0", dtype="keep")


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform: windowed frames of ``input`` (padded by ``n_fft // 2`` on each side
    when ``center``), one FFT per frame; ``(freq, frames)`` (with a leading batch dimension for 2-D input)."""
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if onesided is None:
        onesided = not complex_in
    if onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    wl = n_fft if win_length is None else int(win_length)
    return _STFT(input, window, int(n_fft), hop, wl, bool(center), pad_mode, bool(normalized), bool(onesided),
                 not return_complex)


_fn("stft", stft, method=True)


__all__ = sorted(_REEXPORTED + ("chain_matmul", "istft", "unravel_index"))


def __dir__():
    return __all__ + ["Tensor"]
