"""parameters_to_vector / vector_to_parameters."""
from __future__ import annotations

from ..._tensor import Tensor
import torchlike as torch     # the public face, read when called (not an import cycle)


def parameters_to_vector(parameters):
    vec = []
    device = None
    for param in parameters:
        if device is None:
            device = param.device
        elif param.device != device:
            raise TypeError("Found two parameters on different devices, this is currently not supported.")
        vec.append(param.view(-1))
    return torch.cat(vec)


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
