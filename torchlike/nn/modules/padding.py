"""Constant/zero/reflection/replication padding modules."""
from __future__ import annotations

from .. import functional as F
from .module import Module


def _pad_tuple(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(padding)


class _ConstantPadNd(Module):
    _N = 1

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _pad_tuple(padding, self._N)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    _N = 1


class ConstantPad2d(_ConstantPadNd):
    _N = 2


class ConstantPad3d(_ConstantPadNd):
    _N = 3


class _ZeroPad(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad):
    _N = 1


class ZeroPad2d(_ZeroPad):
    _N = 2


class ZeroPad3d(_ZeroPad):
    _N = 3


class _ModePad(Module):
    _N = 1
    _MODE = "reflect"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pad_tuple(padding, self._N)

    def forward(self, input):
        return F.pad(input, self.padding, self._MODE)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_ModePad):
    _N = 1


class ReflectionPad2d(_ModePad):
    _N = 2


class ReflectionPad3d(_ModePad):
    _N = 3


class ReplicationPad1d(_ModePad):
    _N = 1
    _MODE = "replicate"


class ReplicationPad2d(_ModePad):
    _N = 2
    _MODE = "replicate"


class ReplicationPad3d(_ModePad):
    _N = 3
    _MODE = "replicate"


class CircularPad1d(_ModePad):
    _N = 1
    _MODE = "circular"


class CircularPad2d(_ModePad):
    _N = 2
    _MODE = "circular"


class CircularPad3d(_ModePad):
    _N = 3
    _MODE = "circular"
