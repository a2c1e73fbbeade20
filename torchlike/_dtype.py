"""torch dtypes over numpy/JAX dtypes, and PyTorch's type-promotion rules.

A :class:`dtype` is a small immutable object (``torchlike.float32``) that
names a JAX/numpy dtype.  Promotion follows PyTorch: operands are split into
three tiers (tensors with dimensions, 0-dim tensors, Python scalars); a lower
tier only changes the result when its *category* (bool < integer < floating <
complex) is higher than the category reached so far.
"""
from __future__ import annotations

import builtins
import threading

import ml_dtypes
import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types",
           "result_type", "can_cast"]

BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A torch dtype: ``torchlike.float32`` etc.  Compared by identity."""
    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_aliases")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = name not in ("uint8", "bool")

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float64: complex128, float32: complex64, float16: complex64,
                bfloat16: complex64}.get(self, self)

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16, FLOAT)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
complex64 = dtype("complex64", np.complex64, COMPLEX)
complex128 = dtype("complex128", np.complex128, COMPLEX)
uint8 = dtype("uint8", np.uint8, INT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
bool = dtype("bool", np.bool_, BOOL)  # noqa: A001  (torch.bool)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32,
       float64, complex64, complex128)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

# torch's alias spellings, exported from torchlike as attributes
ALIASES = {"half": float16, "float": float32, "double": float64,
           "cfloat": complex64, "cdouble": complex128, "short": int16,
           "int": int32, "long": int64, "complex32": complex64}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The torch dtype of a numpy/JAX dtype (TypeError if torch has none)."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.") from None


_state = threading.local()
_default = [float32]   # process-wide, as in torch


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or d.category != FLOAT or d not in (float32, float64, float16, bfloat16):
        raise TypeError(f"only floating-point types are supported as the default type")
    _default[0] = d


def default_complex():
    return complex128 if _default[0] is float64 else complex64


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` cast to (torch.promote_types).

    Unlike numpy, an integer never widens a floating or complex type
    (int64 + float32 -> float32), and float16 + bfloat16 -> float32.
    """
    if a is b:
        return a
    if a.category != b.category:
        lo, hi = (a, b) if a.category < b.category else (b, a)
        if lo.category != FLOAT:          # bool or an integer: the other side wins
            return hi
        # a floating type with a complex one keeps the wider precision
        return complex128 if lo is float64 or hi is complex128 else complex64
    if a.category == INT:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a.itemsize > b.itemsize else b
    if {a, b} == {float16, bfloat16}:
        return float32
    return a if a.itemsize > b.itemsize else b


def scalar_dtype(value):
    """The dtype a wrapped Python scalar stands for in promotion.

    numpy scalars follow PyTorch's argument parsing: numpy integers act as
    Python ints, ``np.float64``/``np.complex128`` (subclasses of float and
    complex) as Python floats/complexes, and the other numpy scalars
    (``np.bool_``, ``np.float16/32``, ``np.complex64``) are read through
    ``__float__``, i.e. as Python floats.
    """
    t = type(value)
    if t is builtins.bool:
        return bool
    if t is builtins.int or isinstance(value, np.integer):
        return int64
    if isinstance(value, builtins.float) or isinstance(value, (np.floating, np.bool_, np.complex64)):
        return _default[0]
    if isinstance(value, builtins.complex):
        return default_complex()
    raise TypeError(f"unsupported scalar type {t.__name__}")


def _combine(so_far, lower):
    if so_far is None:
        return lower
    if lower is None or lower.category <= so_far.category:
        return so_far
    if lower.category == COMPLEX and so_far.category == FLOAT:
        return so_far.to_complex()
    return promote_types(so_far, lower)


def promote_tiers(dim_dtypes, zero_dtypes, scalar_dtypes):
    """PyTorch's promotion over the three operand tiers (each an iterable of dtypes)."""
    tiers = []
    for group in (dim_dtypes, zero_dtypes, scalar_dtypes):
        r = None
        for d in group:
            r = d if r is None else promote_types(r, d)
        tiers.append(r)
    return _combine(_combine(tiers[0], tiers[1]), tiers[2])


def result_type(*operands):
    """torch.result_type over Tensors and Python scalars."""
    from ._tensor import Tensor
    dims, zeros, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x.ndim else zeros).append(x.dtype)
        else:
            scalars.append(scalar_dtype(x))
    return promote_tiers(dims, zeros, scalars)


def can_cast(from_, to):
    """torch.can_cast: casting never lowers the category."""
    return from_.category <= to.category
