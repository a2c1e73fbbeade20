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


__all__ = sorted(_REEXPORTED + ("chain_matmul", "unravel_index"))


def __dir__():
    return __all__ + ["Tensor"]
