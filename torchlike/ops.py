"""``torch.ops.aten``: the aten overloads that PyTorch's own tests and decompositions call directly.

Only a few are exposed, each mapped onto torchlike's declared ops (no second implementation): an
``OpOverloadPacket``-like object is callable and has its overloads as attributes
(``torchlike.ops.aten.slice.Tensor``, ``torchlike.ops.aten._safe_softmax.default``).  Anything else
raises AttributeError, as for an unknown op.
"""
from __future__ import annotations

from . import _dtype as D
from . import _registry as R
from ._registry import FUNCTIONS
from ._creation import zeros_like
from ._ops_native import _batch_norm_with_update as f


class _Packet:
    """An aten op: callable, with its overloads (all the same function here) as attributes."""

    def __init__(self, name, fn, overloads):
        self.__name__ = name
        self._fn = fn
        for o in overloads:
            setattr(self, o, fn)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __repr__(self):
        return f"torchlike.ops.aten.{self.__name__}"


def _slice(self, dim=0, start=None, end=None, step=1):
    """aten::slice.Tensor: the view ``self[..., start:end:step, ...]`` along ``dim``."""
    return R.OPS["slice"].function(self, dim, start, end, step)


def _softmax_backward_data(grad_output, output, dim, input_dtype):
    """The gradient of ``softmax`` w.r.t. its input, from the softmax ``output``."""
    g = output * (grad_output - (grad_output * output).sum(dim, keepdim=True))
    return g.to(input_dtype)


def _safe_softmax(self, dim, dtype=None):
    """``softmax`` whose slices that are entirely ``-inf`` give zeros instead of nan."""
    masked = FUNCTIONS["isneginf"](self).all(dim, keepdim=True)
    # the masked slices are replaced before softmax too, so that no nan reaches the gradient
    out = FUNCTIONS["softmax"](FUNCTIONS["where"](masked, zeros_like(self), self), dim, dtype=dtype)
    return FUNCTIONS["where"](masked, zeros_like(out), out)


def _native_dropout_backward(grad_output, mask, scale):
    """The gradient of dropout: ``grad_output * mask * scale``."""
    return grad_output * mask.to(grad_output.dtype) * scale


def _max_pool2d_with_indices_backward(grad_output, self, kernel_size, stride, padding, dilation, ceil_mode,
                                      indices):
    """The gradient of ``max_pool2d`` w.r.t. its input: each output gradient added at its argmax
    (``indices`` index the flattened spatial plane)."""
    flat = zeros_like(self).flatten(-2)
    g = flat.scatter_add(-1, indices.flatten(-2), grad_output.flatten(-2).to(self.dtype)).reshape(self.shape)
    # the result depends on ``self`` only through its shape: PyTorch still records ``self`` (with a zero
    # gradient), which a where() on an all-false mask reproduces
    return FUNCTIONS["where"](zeros_like(g, dtype=D.bool), self, g)


def _batch_norm_with_update(*args, **kwargs):
    return f(*args, **kwargs)


class _Aten:
    """The ``torch.ops.aten`` namespace."""

    def __init__(self, table):
        for name, (fn, overloads) in table.items():
            setattr(self, name, _Packet(name, fn, overloads))


aten = _Aten({
    "slice": (_slice, ("Tensor", "default")),
    "_softmax_backward_data": (_softmax_backward_data, ("default",)),
    "_safe_softmax": (_safe_softmax, ("default",)),
    "native_dropout_backward": (_native_dropout_backward, ("default",)),
    "max_pool2d_with_indices_backward": (_max_pool2d_with_indices_backward, ("default",)),
    "_batch_norm_with_update": (_batch_norm_with_update, ("default",)),
})
