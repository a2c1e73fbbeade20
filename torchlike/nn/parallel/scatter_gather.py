"""``scatter`` (split tensors of a nested input across devices), ``scatter_kwargs`` and ``gather``
(concatenate per-device outputs onto one device).

Containers are walked as PyTorch walks them: tuples and lists become one tuple/list per device,
dicts (and their subclasses) one dict per device, named tuples one named tuple; anything else is
repeated once per target.  Tensors are chunked along ``dim`` onto the target CUDA devices; where
JAX sees no GPU, torchlike raises what PyTorch's CPU build raises for them.
"""
from __future__ import annotations

import warnings

from ._devices import cuda_device, has_cuda, non_cpu_index
from ..._device import device
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["scatter", "scatter_kwargs", "gather", "is_namedtuple"]


def is_namedtuple(obj):
    """Whether ``obj`` is an instance of a ``collections.namedtuple`` (or ``typing.NamedTuple``) class."""
    return isinstance(obj, tuple) and hasattr(obj, "_asdict") and hasattr(obj, "_fields")


_is_namedtuple = is_namedtuple


def _scatter_tensor(t, targets, dim):
    indices = [non_cpu_index(d, require_index=True) for d in targets]
    if not has_cuda():
        raise AttributeError("module 'torch._C' has no attribute '_scatter'")
    chunks = t.chunk(len(indices), dim)
    return [c.to(cuda_device(i)) for c, i in zip(chunks, indices)]


def scatter(inputs, target_gpus, dim=0):
    """One copy of ``inputs`` per target device, each tensor in it replaced by its chunk along ``dim``."""

    def split(obj):
        if isinstance(obj, torch.Tensor):
            return _scatter_tensor(obj, target_gpus, dim)
        if is_namedtuple(obj):
            return [type(obj)(*fields) for fields in zip(*map(split, obj))]
        if isinstance(obj, tuple) and obj:
            return list(zip(*map(split, obj)))
        if isinstance(obj, list) and obj:
            return [list(parts) for parts in zip(*map(split, obj))]
        if isinstance(obj, dict) and obj:
            return [type(obj)(items) for items in zip(*map(split, obj.items()))]
        return [obj for _ in target_gpus]

    return split(inputs)


def scatter_kwargs(inputs, kwargs, target_gpus, dim=0):
    """``scatter`` of the positional and keyword inputs, padded to the same number of devices."""
    args = scatter(inputs, target_gpus, dim) if inputs else []
    kws = scatter(kwargs, target_gpus, dim) if kwargs else []
    args += [() for _ in range(len(kws) - len(args))]
    kws += [{} for _ in range(len(args) - len(kws))]
    return tuple(args), tuple(kws)


def _gather_tensors(tensors, target_device, dim):
    if any(t.device.type == "cpu" for t in tensors):
        raise AssertionError("Gather function not implemented for CPU tensors")
    if target_device == -1 or (isinstance(target_device, (str, device)) and device(target_device).type == "cpu"):
        dest = device("cpu")
    else:
        dest = cuda_device(non_cpu_index(target_device))
    if all(t.dim() == 0 for t in tensors):
        warnings.warn("Was asked to gather along dimension 0, but all input tensors were scalars; will "
                      "instead unsqueeze and return a vector.", stacklevel=3)
        tensors, dim = [t.reshape(1) for t in tensors], 0
    return torch.cat([t.to(dest) for t in tensors], dim)


def gather(outputs, target_device, dim=0):
    """The per-device ``outputs`` merged into one: tensors concatenated along ``dim`` on
    ``target_device`` (``'cpu'`` or -1: the CPU), containers merged element by element."""

    def merge(outs):
        first = outs[0]
        if isinstance(first, torch.Tensor):
            return _gather_tensors(outs, target_device, dim)
        if first is None:
            return None
        if isinstance(first, dict):
            if any(len(d) != len(first) for d in outs):
                raise ValueError("All dicts must have the same number of keys")
            return type(first)((k, merge([d[k] for d in outs])) for k in first)
        if is_namedtuple(first):
            return type(first)._make(map(merge, zip(*outs, strict=True)))
        return type(first)(map(merge, zip(*outs, strict=True)))

    return merge(outputs)
