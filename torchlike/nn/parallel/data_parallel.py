"""``nn.DataParallel``: one process runs the module on the whole batch.

PyTorch splits the batch over its visible CUDA devices and, with none (the CPU), calls the module
directly.  torchlike keeps one device per process and always calls the module on the whole batch:
the result, the gradients and the ``module.``-prefixed state dict are the wrapped module's, as
PyTorch's are on one device.
"""
from __future__ import annotations

from ..modules.module import Module
from ... import cuda


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form: ``module(*inputs, **module_kwargs)`` on the whole batch (PyTorch's error
    where there is no accelerator)."""
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return module(*inputs, **(module_kwargs or {}))
