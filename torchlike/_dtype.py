"""torch dtypes over numpy/JAX dtypes, and PyTorch's type-promotion rules.

A :class:`dtype` is a small immutable object (``torchlike.float32``) that
names a JAX/numpy dtype.  Promotion follows PyTorch: operands are split into
three tiers (tensors with dimensions, 0-dim tensors, Python scalars); a lower
tier only changes the result when its *category* (bool < integer < floating <
complex) is higher than the category reached so far.
"""
from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np
import jax.numpy as jnp
import torchlike     # the public face, read when called (not an import cycle)

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types",
           "can_cast"]

BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A torch dtype: ``torchlike.float32`` etc.  Compared by identity."""
    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_aliases")

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.dtype' instances")

    @classmethod
    def _make(cls, name, np_dtype, category):
        self = object.__new__(cls)
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = not name.startswith("uint") and name != "bool"
        return self

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        """The real counterpart of a complex dtype (other dtypes are returned as they are)."""
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        """The complex dtype with this floating type's precision (float16 -> complex64: no complex32)."""
        if self.category == COMPLEX:
            return self
        if self.category != FLOAT:
            raise RuntimeError(f"Unknown Complex ScalarType for {WORDS[self.name]}")
        return complex128 if self is float64 else complex64

    @property
    def abbr(self):
        return _ABBR[self.name]

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


# torch's scalar-type words (``torch.FloatTensor``, error messages) and dtype abbreviations
WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
         "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
         "complex64": "ComplexFloat", "complex128": "ComplexDouble", "uint16": "UInt16", "uint32": "UInt32",
         "uint64": "UInt64"}
_WORDS = WORDS
_ABBR = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16", "int64": "i64", "int32": "i32",
         "int16": "i16", "int8": "i8", "uint8": "u8", "bool": "b8", "complex64": "c64", "complex128": "c128",
         "uint16": "u16", "uint32": "u32", "uint64": "u64"}

float16 = dtype._make("float16", np.float16, FLOAT)
bfloat16 = dtype._make("bfloat16", ml_dtypes.bfloat16, FLOAT)
float32 = dtype._make("float32", np.float32, FLOAT)
float64 = dtype._make("float64", np.float64, FLOAT)
complex64 = dtype._make("complex64", np.complex64, COMPLEX)
complex128 = dtype._make("complex128", np.complex128, COMPLEX)
uint8 = dtype._make("uint8", np.uint8, INT)
int8 = dtype._make("int8", np.int8, INT)
int16 = dtype._make("int16", np.int16, INT)
int32 = dtype._make("int32", np.int32, INT)
int64 = dtype._make("int64", np.int64, INT)
bool = dtype._make("bool", np.bool_, BOOL)  # noqa: A001  (torch.bool)
# torch's "shell" unsigned types: storage, conversion and a few ops; no promotion with other integers
uint16 = dtype._make("uint16", np.uint16, INT)
uint32 = dtype._make("uint32", np.uint32, INT)
uint64 = dtype._make("uint64", np.uint64, INT)
_SHELL = (uint16, uint32, uint64)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32,
       float64, complex64, complex128, uint16, uint32, uint64)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

# torch's alias spellings, exported from torchlike as attributes
ALIASES = {"half": float16, "float": float32, "double": float64,
           "cfloat": complex64, "cdouble": complex128, "short": int16,
           "int": int32, "long": int64, "complex32": complex64}


_PY_TYPES = {builtins.bool: bool, builtins.int: int64, builtins.float: float64, builtins.complex: complex128}


def as_dtype(x, fn=None, arg="dtype"):
    """``x`` as a torch dtype: a dtype, or one of the Python types torch accepts
    (``float`` -> float64, ``int`` -> int64, ``bool``, ``complex`` -> complex128).
    Anything else (numpy dtypes, strings) is a TypeError, as in torch."""
    if isinstance(x, dtype):
        return x
    d = _PY_TYPES.get(x) if isinstance(x, type) else None
    if d is None:
        where = f"{fn}(): " if fn else ""
        raise TypeError(f"{where}argument '{arg}' must be torch.dtype, not {type(x).__name__}")
    return d


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The torch dtype of a numpy/JAX dtype (TypeError if torch has none)."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {_np_type_name(np_dtype)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, "
            "uint8, and bool.") from None


def _np_type_name(np_dtype):
    try:
        t = np.dtype(np_dtype).type
    except TypeError:
        return str(np_dtype)
    return f"{t.__module__}.{t.__name__}"


_default = [float32]   # process-wide, as in torch


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    """Set the dtype of Python floats and of float constructors (float32, float64, float16 or bfloat16)."""
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    _default[0] = d


def default_complex():
    """The dtype of Python complex numbers: complex128 when the default is float64, else complex64
    (torch uses complex32 for a float16 default, a dtype torchlike lacks, and has none for bfloat16)."""
    d = _default[0]
    if d is bfloat16:
        raise RuntimeError("invalid default scalar type for complex")
    return complex128 if d is float64 else complex64


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` cast to (torch.promote_types).

    Unlike numpy, an integer never widens a floating or complex type
    (int64 + float32 -> float32), and float16 + bfloat16 -> float32.
    """
    a = as_dtype(a, "promote_types", "type1")
    b = as_dtype(b, "promote_types", "type2")
    if a is b:
        return a
    if (a in _SHELL or b in _SHELL) and FLOAT not in (a.category, b.category):
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                           f"{WORDS[a.name]} and {WORDS[b.name]}")
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


def can_cast(from_, to):
    """torch.can_cast: casting never lowers the category."""
    from_ = as_dtype(from_, "can_cast", "from_")
    to = as_dtype(to, "can_cast", "to")
    return from_.category <= to.category


def cast_array(x, to):
    """``x`` (a JAX array) converted to dtype ``to`` with PyTorch's CPU conversion semantics.

    Floating -> integer truncates toward zero through a 32-bit (64-bit for 64-bit targets)
    integer as x86 does: NaN, infinities and out-of-range values become that integer's minimum,
    and narrower targets keep its low bits (-2.2 -> uint8 254, 300.5 -> int8 44).  Complex ->
    real keeps the real part; anything -> bool is ``x != 0``.
    """
    src = np.dtype(x.dtype)
    if src == to.np:
        return x
    if to is bool:
        return x != 0
    if src.kind == "c" and to.category != COMPLEX:
        x = jnp.real(x)
        src = np.dtype(x.dtype)
    if src.kind == "f" or src == np.dtype(ml_dtypes.bfloat16):
        if to.category == INT:
            wide = np.int64 if to.itemsize == 8 else np.int32
            limit = float(2 ** (np.iinfo(wide).bits - 1))
            xf = x.astype(np.float64) if src.itemsize < 8 else x
            bad = ~jnp.isfinite(xf) | (xf >= limit) | (xf < -limit)
            w = jnp.where(bad, np.iinfo(wide).min, jnp.where(bad, 0, xf).astype(wide))
            return w.astype(to.np)
    return x.astype(to.np)


class _Named:
    """torch.memory_format / torch.layout values: named singletons that print as ``torch.<name>``."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (getattr, (_module(), self.name))


def _module():
    return torchlike


class memory_format(_Named):
    __slots__ = ()


class layout(_Named):
    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
strided = layout("strided")
sparse_coo = layout("sparse_coo")
