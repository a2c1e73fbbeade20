"""``convert_conv2d_weight_memory_format`` / ``convert_conv3d_weight_memory_format``: lay the weights of
every (transposed) convolution in a module out in ``memory_format``.  torchlike keeps memory formats as a
hint (XLA chooses layouts), so the weights keep their values and strides; the module is returned."""
from __future__ import annotations

from ...autograd import grad_mode
from ..modules.conv import Conv2d
from ..modules.conv import ConvTranspose2d
from ..modules.conv import Conv3d
from ..modules.conv import ConvTranspose3d


def _convert(module, memory_format, conv_types):
    if isinstance(module, conv_types):
        with grad_mode.no_grad():
            module.weight.data = module.weight.detach().clone().contiguous(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, conv_types)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
