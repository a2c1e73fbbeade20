"""Device-index resolution shared by ``scatter``/``gather``/``replicate``/``parallel_apply``.

PyTorch's CPU build answers these functions with the errors of its missing CUDA kernels; torchlike
raises the same ones where JAX sees no GPU, and does the work on its CUDA devices where it does.
"""
from __future__ import annotations
from ... import cuda
from ..._device import device

NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def has_cuda():
    return cuda.is_available()


def _current():
    """The current CUDA device index, or None where there is none."""
    if not has_cuda():
        return None
    return cuda.current_device()


def non_cpu_index(dev, require_index=False):
    """The index a target device names: strings parse as ``torch.device``, CPU devices are refused, an
    index-less device (or anything that is neither a device nor an int) means the current device."""
    if isinstance(dev, str):
        dev = device(dev)
    if isinstance(dev, device):
        if dev.type == "cpu":
            raise ValueError(f"Expected a non cpu device, but got: {dev}")
        idx = dev.index
    elif isinstance(dev, int):
        idx = int(dev)
    else:
        idx = None
    if idx is None:
        idx = _current()
    if idx is None and require_index:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{idx}")
    return idx


def cuda_index(dev):
    """``parallel_apply``'s reading of a device: a CUDA device (or an int, or None: the current one)."""
    if isinstance(dev, str):
        dev = device(dev)
    if isinstance(dev, device):
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        return _current() if dev.index is None else dev.index
    if isinstance(dev, int):
        return int(dev)
    return _current()


def cuda_device(idx):
    return device("cuda", _current() if idx is None or idx < 0 else idx)
