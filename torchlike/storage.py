"""``torch.storage``: the public storage objects (``TypedStorage``, ``UntypedStorage``, ``FloatStorage``, ...).

A storage object is a thin handle on a tensor's shared buffer (``_views.Storage``): it holds a flat 1-D
tensor that views every element of the root buffer (no copy), so ``x.storage()[0] = 5`` writes through
to ``x`` and every other view, and ``x.storage().tolist()`` reads all elements (also those no view of
``x`` covers).  An ``UntypedStorage`` is the same buffer seen as bytes.  Storages made by their
constructors (``torch.FloatStorage(5)``, ``torch.UntypedStorage([1, 2])``) own a new buffer.

``TypedStorage`` is deprecated in PyTorch (a ``UserWarning``, once per process, from
``Tensor.storage()``); the legacy classes (``FloatStorage``, ...) construct ``TypedStorage`` objects of
their dtype, and ``isinstance(s, torch.FloatStorage)`` tests the dtype, as in PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _dtype as D
from . import _creation
from ._device import as_device, device_of
from ._tensor import Tensor
from ._creation import check_alloc
from .autograd.grad_mode import no_grad

__all__ = ["TypedStorage", "UntypedStorage"]

# the legacy class of each dtype (PyTorch's names; the pickles name them too)
LEGACY_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
                "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}

_WARNED = [False]


def _warn_typed_storage_removal(stacklevel=3):
    if not _WARNED[0]:
        _WARNED[0] = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
                      "the only storage class. This should only matter to you if you are using storages "
                      "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead of "
                      "tensor.storage()", UserWarning, stacklevel=stacklevel)


def _flat_of(tensor):
    """A 1-D tensor viewing every element of ``tensor``'s root buffer, in the buffer's own dtype."""
    st = tensor._storage
    if st._a.dtype != tensor._dtype.np:             # a dtype-reinterpreting view: its values (a copy)
        return tensor.detach().reshape(-1).clone()
    n = math.prod(st._a.shape)
    return tensor._layout_view(((n,), (1,), 0))


def _new_flat(values, dtype, device=None):
    return _creation.tensor(values, dtype=dtype, device=device)


class _StorageBase:
    """What typed and untyped storages share: the flat tensor ``_flat`` and the byte-level queries."""
    __slots__ = ("_flat",)

    @property
    def device(self):
        return device_of(self._flat._storage.array) if self._flat.numel() else as_device("cpu")

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_sparse(self):
        return False

    @property
    def filename(self):
        """The file a storage maps (None: torchlike's loaded storages are arrays, see ``load(mmap=True)``)."""
        return None

    def data_ptr(self):
        """The address of the buffer (as ``Tensor.data_ptr()`` numbers a tensor at offset 0)."""
        return self._flat.data_ptr()

    def nbytes(self):
        return self._flat.numel() * self._flat._dtype.itemsize

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def share_memory_(self):
        return self

    def _values(self):
        return self._flat._host()

    def __iter__(self):
        return iter(self.tolist())

    def __len__(self):
        return self.size()

    def __repr__(self):
        items = self.tolist()
        return " " + "\n ".join(str(v) for v in items) + f"\n[{self._header()} of size {len(items)}]"

    __str__ = __repr__

    def __sizeof__(self):
        return super().__sizeof__() + self.nbytes()

    def _write(self, key, value):
        with no_grad():                # storage writes are below autograd (as PyTorch's)
            self._flat[key] = value


class UntypedStorage(_StorageBase):
    """A buffer of bytes: ``UntypedStorage(n)`` (zeroed; PyTorch leaves it uninitialised),
    ``UntypedStorage(sequence of ints)`` (each taken modulo 256), a tensor's ``untyped_storage()``, or a
    slice ``u[a:b]`` of one.  It is the typed flat tensor of the buffer and a byte window ``[_start,
    _stop)`` of it: reading reinterprets the elements' bytes, writing writes the changed elements back
    through the tensor (torchlike has no reinterpreting views), so every alias sees the write."""
    __slots__ = ("_start", "_stop")

    def __init__(self, *args, device=None):
        if len(args) > 1:
            raise TypeError(f"UntypedStorage(): expected at most 1 positional argument, got {len(args)}")
        arg = args[0] if args else 0
        if isinstance(arg, int) and not isinstance(arg, bool):
            _check_size(arg, 1)
            values = np.zeros(arg, np.uint8)
        else:
            values = (np.asarray([int(v) for v in arg], dtype=np.int64) % 256).astype(np.uint8)
        self._flat = _new_flat(values, D.uint8, device)
        self._start, self._stop = 0, len(values)

    @classmethod
    def _of(cls, flat, start=0, stop=None):
        s = object.__new__(cls)
        s._flat, s._start = flat, start
        s._stop = flat.numel() * flat._dtype.itemsize if stop is None else stop
        return s

    def data_ptr(self):
        return self._flat.data_ptr() + self._start

    def nbytes(self):
        return self._stop - self._start

    def size(self):
        return self.nbytes()

    def element_size(self):
        return 1

    def _all_bytes(self):
        return np.ascontiguousarray(self._values()).reshape(-1).view(np.uint8)

    def _bytes(self):
        return self._all_bytes()[self._start:self._stop]

    def tolist(self):
        return self._bytes().tolist()

    def __getitem__(self, key):
        n = self.size()
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise RuntimeError(f"Trying to slice with a step of {step}, but only a step of 1 is supported")
            return UntypedStorage._of(self._flat, self._start + start, self._start + max(start, stop))
        if not -n <= key < n:
            raise IndexError(f"index {key} out of range for storage of size {n}")
        return int(self._bytes()[key])

    def __setitem__(self, key, value):
        if isinstance(key, int) and not -self.size() <= key < self.size():
            raise IndexError(f"index {key} out of range for storage of size {self.size()}")
        if isinstance(value, UntypedStorage):
            value = value._bytes()
        elif isinstance(value, TypedStorage):
            value = np.ascontiguousarray(value._values()).view(np.uint8)
        elif isinstance(value, Tensor):
            value = value.numpy()
        data = self._all_bytes().copy()
        data[self._start:self._stop][key] = value
        self._write(slice(None), _creation.tensor(data.view(self._flat._dtype.np), dtype=self._flat._dtype))

    @classmethod
    def from_buffer(cls, buffer, byte_order=None, count=-1, offset=0, *, dtype=None):
        """The bytes of ``buffer`` read as ``dtype`` elements (``dtype`` is required), as a new storage."""
        if dtype is None:
            raise RuntimeError("argument 'dtype' cannot be None")
        return cls._of(_from_buffer(buffer, byte_order, count, offset, dtype))

    def fill_(self, value):
        self[:] = value
        return self

    def copy_(self, source, non_blocking=None):
        self[:] = source
        return self

    def clone(self):
        return UntypedStorage(self.tolist())

    def cpu(self):
        return self if self.device.type == "cpu" else UntypedStorage._of(self._flat.cpu(), self._start, self._stop)

    def untyped(self):
        return self

    def type(self, dtype=None, non_blocking=False):
        return "torch.storage.UntypedStorage" if dtype is None else self

    def _header(self):
        return f"torch.storage.UntypedStorage(device={self.device})"

    def __reduce_ex__(self, protocol):
        return (_rebuild_untyped, (self.tolist(),))


def _rebuild_untyped(values):
    return UntypedStorage(values)


def _from_buffer(buffer, byte_order, count, offset, dtype):
    """The elements of ``dtype`` in a bytes-like ``buffer`` (``offset`` in bytes, ``count`` elements, -1: all),
    as a new flat tensor (a copy: the buffer is not shared)."""
    if byte_order is None and dtype.itemsize > 1:
        raise RuntimeError("function missing required argument 'byte_order' (pos 2)")
    if byte_order not in (None, "big", "little", "native"):
        raise ValueError(f"invalid byte_order '{byte_order}' (expected 'big', 'little', or 'native')")
    raw = memoryview(buffer).cast("B")[offset:]
    if count < 0:
        if len(raw) % dtype.itemsize:
            raise ValueError(f"buffer size ({len(raw)}) must be a multiple of element size ({dtype.itemsize})")
        count = len(raw) // dtype.itemsize
    np_dtype = dtype.np.newbyteorder({"big": ">", "little": "<"}.get(byte_order, "=")) if dtype.itemsize > 1 \
        else dtype.np
    values = np.frombuffer(raw, np_dtype, count).astype(dtype.np)
    return _new_flat(values, dtype)


def _check_size(n, itemsize):
    """PyTorch's errors for a storage of ``n`` elements no machine can hold, before anything is allocated."""
    if n < 0:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:98] ((ptrdiff_t)nbytes) >= 0. alloc_cpu() seems to have "
                           f"been called with negative number: {(n * itemsize) % 2 ** 64}")
    if n * itemsize > 2 ** 63 - 1:
        raise ValueError("Overflow when unpacking long long")
    check_alloc(n * itemsize)


class _LegacyStorageMeta(type):
    """``isinstance(s, torch.FloatStorage)``: a ``TypedStorage`` whose dtype is the class's."""

    def __instancecheck__(cls, instance):
        if cls._legacy_device is None:
            return type.__instancecheck__(cls, instance)
        return isinstance(instance, TypedStorage) and instance.dtype == cls.dtype and \
            instance.device.type == cls._legacy_device

    def __repr__(cls):
        if cls._legacy_device is not None:
            return f"<class '{_legacy_module(cls._legacy_device)}.{cls.__name__}'>"
        return type.__repr__(cls)


def _legacy_module(device_type):
    return "torch" if device_type == "cpu" else f"torch.{device_type}"


class TypedStorage(_StorageBase, metaclass=_LegacyStorageMeta):
    """Elements of one dtype: ``TypedStorage(n, dtype=...)``, ``TypedStorage(sequence, dtype=...)``,
    ``TypedStorage(wrap_storage=untyped, dtype=...)``, or a tensor's ``storage()``."""
    __slots__ = ()
    _legacy_device = None          # FloatStorage & co: the device type their instances have

    def __new__(cls, *args, wrap_storage=None, dtype=None, device=None, _internal=False):
        if cls._legacy_device is not None:
            dtype, device = cls.dtype, cls._legacy_device
            if len(args) > 1:
                raise RuntimeError(f"{cls!r}.__new__ received an invalid combination of arguments. Expected one "
                                   "of:\n * no arguments\n * (int size)\n * (Sequence data)\n * (*, UntypedStorage "
                                   "wrap_storage)\nToo many positional arguments")
        self = object.__new__(TypedStorage)
        dtype = D.get_default_dtype() if dtype is None else dtype
        if wrap_storage is not None:
            if args:
                raise RuntimeError("No positional arguments should be given when using 'wrap_storage'")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(f"expected a torch.storage.UntypedStorage as wrap_storage, got "
                                f"{type(wrap_storage).__name__}")
            flat = wrap_storage._flat
            if flat._dtype == dtype and wrap_storage._start == 0 and wrap_storage.nbytes() == flat.numel() * \
                    dtype.itemsize:
                self._flat = flat                   # the same buffer, the same elements: an alias
            else:                                   # reinterpreted bytes: a copy (docs/differences.md)
                raw = wrap_storage._bytes()
                if raw.size % dtype.itemsize:
                    raise RuntimeError(f"Trying to wrap an UntypedStorage of size {raw.size} with dtype {dtype}, "
                                       f"whose element size {dtype.itemsize} does not divide it")
                self._flat = _new_flat(raw.copy().view(dtype.np), dtype, wrap_storage.device)
            return self
        if len(args) > 1:
            raise RuntimeError("Too many positional arguments")
        arg = args[0] if args else 0
        if isinstance(arg, int) and not isinstance(arg, bool):
            _check_size(arg, dtype.itemsize)
            self._flat = _creation.zeros(arg, dtype=dtype, device=device)
        else:
            self._flat = _new_flat(list(arg), dtype, device)
        return self

    def __init__(self, *args, **kwargs):
        pass

    @classmethod
    def _of(cls, flat):
        s = object.__new__(TypedStorage)
        s._flat = flat
        return s

    @classmethod
    def from_buffer(cls, buffer, byte_order=None, count=-1, offset=0, *, dtype=None):
        """A new storage of ``buffer``'s bytes read as elements of the class's dtype (``dtype=`` for
        ``TypedStorage``; the default dtype if None) in ``byte_order`` ('little', 'big' or 'native')."""
        dtype = cls.dtype if cls._legacy_device is not None else (dtype or D.get_default_dtype())
        return TypedStorage._of(_from_buffer(buffer, byte_order, count, offset, dtype))

    @property
    def dtype(self):
        return self._flat._dtype

    def size(self):
        return self._flat.numel()

    def element_size(self):
        return self.dtype.itemsize

    def tolist(self):
        return self._values().tolist()

    def __getitem__(self, key):
        if isinstance(key, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        n = self.size()
        if not isinstance(key, int) or not -n <= key < n:
            raise IndexError(f"index {key} out of range for storage of size {n}")
        return self._values()[key].item()

    def __setitem__(self, key, value):
        if isinstance(key, int) and not -self.size() <= key < self.size():
            raise IndexError(f"index {key} out of range for storage of size {self.size()}")
        if isinstance(value, TypedStorage):
            value = value._flat
        self._write(key, value)

    def fill_(self, value):
        self._write(slice(None), value)
        return self

    def copy_(self, source, non_blocking=None):
        self._write(slice(None), source._flat if isinstance(source, _StorageBase) else source)
        return self

    def clone(self):
        return TypedStorage._of(self._flat.clone())

    def cpu(self):
        return TypedStorage._of(self._flat.cpu() if self.device.type != "cpu" else self._flat)

    def cuda(self, device=None, non_blocking=False):
        return TypedStorage._of(self._flat.cuda(device))

    def to(self, *, device, non_blocking=False):
        return TypedStorage._of(self._flat.to(device))

    def untyped(self):
        return UntypedStorage._of(self._flat)

    def _untyped_storage_or_none(self):
        return self.untyped()

    def pickle_storage_type(self):
        return LEGACY_NAMES.get(self.dtype.name, "UntypedStorage")

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            name = LEGACY_NAMES.get(self.dtype.name)
            return f"torch.{name}" if name else "torch.storage.TypedStorage"
        return self._to(dtype.dtype if isinstance(dtype, _LegacyStorageMeta) else dtype)

    def _to(self, dtype):
        return TypedStorage._of(self._flat.to(dtype)) if dtype != self.dtype else self

    def _header(self):
        return f"torch.storage.TypedStorage(dtype={self.dtype}, device={self.device})"

    def __reduce_ex__(self, protocol):       # copies and pickles: a TypedStorage of a copy of the elements
        return (_rebuild_typed, (self._flat,))


def _rebuild_typed(flat):
    return TypedStorage._of(flat)


# TypedStorage.double() & co: a new storage of the values converted
_CONVERSIONS = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16", "long": "int64",
                "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
                "complex_float": "complex64", "complex_double": "complex128"}


def _conversion(dtype_name):
    def convert(self):
        return self._to(D._by_name(dtype_name))
    return convert


for _method, _dtype_name in _CONVERSIONS.items():
    setattr(TypedStorage, _method, _conversion(_dtype_name))


def _legacy_class(dtype_name, name, device_type):
    module = "torchlike" + _legacy_module(device_type)[len("torch"):]
    cls = _LegacyStorageMeta(name, (TypedStorage,), {"__slots__": (), "__module__": module, "__qualname__": name,
                                                     "dtype": D._by_name(dtype_name), "_legacy_device": device_type})
    return cls


# torch.FloatStorage & co, and torch.cuda.FloatStorage & co
LEGACY_CLASSES = {name: _legacy_class(dt, name, "cpu") for dt, name in LEGACY_NAMES.items()}
CUDA_LEGACY_CLASSES = {name: _legacy_class(dt, name, "cuda") for dt, name in LEGACY_NAMES.items()}
TypedStorage.__module__ = UntypedStorage.__module__ = "torchlike.storage"


def is_storage(obj):
    """Whether ``obj`` is a storage object (``TypedStorage`` or ``UntypedStorage``)."""
    return isinstance(obj, (TypedStorage, UntypedStorage))


# ---- Tensor methods ------------------------------------------------------------------------------------------
def _tensor_storage(self):
    """The tensor's buffer as a ``TypedStorage`` of its dtype (deprecated in PyTorch: a warning once)."""
    _warn_typed_storage_removal()
    return TypedStorage._of(_flat_of(self))


def _tensor_untyped_storage(self):
    return UntypedStorage._of(_flat_of(self))


def _tensor_storage_type(self):
    name = LEGACY_NAMES.get(self._dtype.name)
    if name is None:
        raise NotImplementedError(f"storage_type() has no legacy class for {self._dtype}")
    return (CUDA_LEGACY_CLASSES if self.device.type == "cuda" else LEGACY_CLASSES)[name]


TENSOR_METHODS = {"storage": _tensor_storage, "untyped_storage": _tensor_untyped_storage,
                  "storage_type": _tensor_storage_type}
