"""``torch.save`` / ``torch.load`` in PyTorch's own file format, without PyTorch.

The format (PyTorch >= 1.6, "zipfile serialization"): an uncompressed zip
archive whose records all live under one folder (``archive/`` for file-like
objects, the file's stem for paths):

* ``data.pkl``: the object, pickled with protocol 2.  A tensor is a call
  ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
  requires_grad, backward_hooks)`` whose ``storage`` is a *persistent id*
  ``('storage', torch.FloatStorage, key, location, numel)``; dtypes without a
  legacy storage class (uint16/32/64) use ``_rebuild_tensor_v3`` with an
  ``UntypedStorage`` (numel counted in bytes) and the dtype as an argument.
* ``data/<key>``: the raw little-endian bytes of each storage, aligned to 64
  bytes in the file.  Tensors that share a storage (views) refer to one key.
* ``byteorder``, ``version``, ``.format_version``, ``.storage_alignment``,
  ``.data/serialization_id``: small text records.

torchlike writes the pickle with its own pickler so that the globals named in
it are PyTorch's (``torch._utils._rebuild_tensor_v2``, ``torch FloatStorage``,
``torch float32``, ``torch device``, ...): files load in PyTorch, and PyTorch's
files load here, with PyTorch's names resolved to torchlike's objects.
Loading never imports ``torch``.

Memory: ``save`` writes each storage record straight from the tensor's host buffer (no copy of the data);
``load`` reads each record once into a 64-byte-aligned numpy buffer that JAX adopts on a CPU without
copying, so loading peaks at about the file's size, as PyTorch's does; ``mmap=True`` maps the file and
reads pages when values are.  A record's declared size is checked against what the file can hold before
anything is allocated (a stored record must fit in the file; deflate expands at most 1032-fold).

``weights_only=True`` (the default, as in PyTorch >= 2.6) unpickles with an
allow-list: only containers, numbers, strings, tensors, dtypes, devices and
what :func:`add_safe_globals` adds can be named by the pickle; anything else
raises ``pickle.UnpicklingError`` before it could run.
"""
from __future__ import annotations

import collections
import contextlib
import enum
import io
import mmap as _mmap
import os
import pickle
import pickletools
import struct
import sys
import types
import uuid
import warnings
import zipfile
import zlib

import jax
import numpy as np

from . import _dtype as D
from . import _views as V
from ._creation import check_alloc
from ._device import _jax_devices, as_device, device as _device_cls, device_of, to_jax
from ._state import local as _local
from ._tensor import Size, Tensor
from .storage import LEGACY_CLASSES, LEGACY_NAMES, TypedStorage, UntypedStorage
import torchlike
from .nn.parameter import Parameter
from . import nn
from .nn.parameter import _share
import shutil
import tempfile
import importlib
import _codecs

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL", "LoadEndianness", "get_default_load_endianness", "set_default_load_endianness",
           "get_default_mmap_options", "set_default_mmap_options", "get_crc32_options", "set_crc32_options",
           "StorageType", "SourceChangeWarning", "check_module_version_greater_or_equal", "default_restore_location",
           "get_unsafe_globals_in_checkpoint", "location_tag", "mkdtemp", "normalize_storage_type",
           "register_package", "storage_to_tensor_type", "validate_cuda_device", "validate_hpu_device", "skip_data"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64
_CHUNK = 1 << 22              # records are inflated (and zeros written) a buffer of this size at a time

# =====================================================================================
# saving
# =====================================================================================

class _Global:
    """A reference written into the pickle as ``GLOBAL module name`` (PyTorch's objects, by name)."""
    __slots__ = ("module", "name")
    _interned = {}

    def __new__(cls, module, name):
        key = (module, name)
        g = cls._interned.get(key)
        if g is None:
            g = cls._interned[key] = object.__new__(cls)
            g.module, g.name = module, name
        return g

    def __call__(self, *args):   # pickle's save_reduce insists on a callable; never called
        raise TypeError(f"{self.module}.{self.name} is a name written into a file, not a function")


class _StorageRef:
    """A storage as the pickle refers to it: a persistent id, its bytes written as a record."""
    __slots__ = ("key", "storage", "dtype", "untyped")

    def __init__(self, key, storage, dtype, untyped=False):
        self.key, self.storage, self.dtype, self.untyped = key, storage, dtype, untyped


class _PlainTensor:
    """``param.data`` when pickling a Parameter: the tensor written without its Parameter class."""
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


def _user_state(t):
    """Attributes a user set on a tensor (torchlike's own bookkeeping attributes start with ``_``)."""
    return {k: v for k, v in t.__dict__.items() if not k.startswith("_")}


class _TorchPickler(pickle._Pickler):
    """Pickles torchlike objects as PyTorch's, so that the file is PyTorch's format."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}       # id(Storage) -> _StorageRef, in first-seen order

    def _save_global_ref(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_ref

    def _save_dtype(self, obj):
        self.save(_Global("torch", obj.name))

    dispatch[D.dtype] = _save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, (TypedStorage, UntypedStorage)):       # a storage object: its id, as PyTorch
            flat = obj._flat
            if isinstance(flat._storage.array, jax.core.Tracer):
                raise RuntimeError("torchlike.save: cannot save a storage that is being traced")
            obj = self._storage_ref(flat, untyped=isinstance(obj, UntypedStorage))
            if obj.untyped:
                return ("storage", _Global("torch.storage", "UntypedStorage"), obj.key,
                        str(device_of(obj.storage.array)), obj.storage.array.size * obj.dtype.itemsize)
        if isinstance(obj, _StorageRef):
            dt = obj.dtype
            nbytes = obj.storage.array.size * dt.itemsize
            loc = str(device_of(obj.storage.array))
            if dt.name in LEGACY_NAMES:
                return ("storage", _Global("torch", LEGACY_NAMES[dt.name]), obj.key, loc, obj.storage.array.size)
            return ("storage", _Global("torch.storage", "UntypedStorage"), obj.key, loc, nbytes)
        return None

    def _storage_ref(self, t, untyped=False):
        """The reference to ``t``'s buffer (one per buffer; PyTorch refuses one seen as two types)."""
        st = t._storage
        ref = self.storages.get(id(st))
        if ref is None:
            ref = self.storages[id(st)] = _StorageRef(str(len(self.storages)), st, t._dtype, untyped)
        elif ref.untyped != untyped or ref.dtype != t._dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        return ref

    def _tensor_reduce(self, t):
        if isinstance(t._storage.array, jax.core.Tracer):
            raise RuntimeError("torchlike.save: cannot save a tensor that is being traced (inside a JAX "
                               "transform or torchlike.compile)")
        t._arr()   # settle a lazily cached view
        if t._storage.array.dtype != t._dtype.np:       # a dtype-reinterpreting view: save its values alone
            t = Tensor._wrap(t._arr(), dtype=t._dtype)
        shape, strides, offset = t._layout()
        args = (self._storage_ref(t), offset, tuple(shape), tuple(strides), t._requires_grad,
                collections.OrderedDict())
        if t._dtype.name in LEGACY_NAMES:
            return _Global("torch._utils", "_rebuild_tensor_v2"), args
        return _Global("torch._utils", "_rebuild_tensor_v3"), args + (t._dtype,)

    def reducer_override(self, obj):
        if isinstance(obj, _PlainTensor):
            return self._tensor_reduce(obj.tensor)
        if isinstance(obj, Tensor):
            state = _user_state(obj)
            if isinstance(obj, Parameter):
                args = (_PlainTensor(obj), obj._requires_grad, collections.OrderedDict())
                if state:
                    return _Global("torch._utils", "_rebuild_parameter_with_state"), args + (state,)
                return _Global("torch._utils", "_rebuild_parameter"), args
            func, args = self._tensor_reduce(obj)
            if state:
                return _Global("torch._tensor", "_rebuild_from_type_v2"), (func, _Global("torch", "Tensor"), args,
                                                                           state)
            return func, args
        if isinstance(obj, _device_cls):
            return _Global("torch", "device"), ((obj.type,) if obj.index is None else (obj.type, obj.index))
        if isinstance(obj, Size):
            return _Global("torch", "Size"), (tuple(obj),)
        return NotImplemented


def _open_for(f, mode):
    if isinstance(f, (str, os.PathLike)):
        return open(f, mode), True
    return f, False


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    return "archive"


class _AlignedZipWriter:
    """An uncompressed zip whose records start on 64-byte boundaries, as PyTorch writes them.

    A record's payload is ``bytes``, a numpy array (written from its own buffer: no copy of the tensor's
    bytes is made) or an int (that many zero bytes, for :class:`skip_data`), streamed into the file."""

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def write(self, name, data):
        nbytes = data if isinstance(data, int) else (data.nbytes if isinstance(data, np.ndarray) else len(data))
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.file_size = nbytes
        zip64 = nbytes * 1.05 > zipfile.ZIP64_LIMIT            # zipfile's own rule: a 20-byte zip64 extra follows
        start = self.zip.start_dir + 30 + len(name.encode("utf-8")) + (20 if zip64 else 0)
        pad = (-(start + 4)) % _ALIGNMENT
        info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad   # 'FB' padding field, as PyTorch's writer
        with self.zip.open(info, "w", force_zip64=zip64) as dst:
            if isinstance(data, int):
                zeros = bytes(min(data, _CHUNK))
                while data:
                    dst.write(zeros[:min(data, len(zeros))])
                    data -= min(data, len(zeros))
            elif isinstance(data, np.ndarray):
                dst.write(memoryview(data.reshape(-1).view(np.uint8)))
            else:
                dst.write(data)

    def close(self):
        self.zip.close()


class _FromHere:
    """A writable file seen from its current position: the zip's offsets count from the archive's start, as
    PyTorch writes them (a file that already holds other bytes)."""

    def __init__(self, fp, base):
        self.fp, self.base = fp, base

    def tell(self):
        return self.fp.tell() - self.base

    def seek(self, pos, whence=0):
        return self.fp.seek(pos + self.base if whence == 0 else pos, whence) - self.base

    def write(self, data):
        return self.fp.write(data)

    def flush(self):
        return self.fp.flush()


def _target(f):
    """The file object ``save`` writes, and whether it opened it (PyTorch's errors for a bad path)."""
    if not isinstance(f, (str, os.PathLike)):
        return f, False
    parent = os.path.dirname(os.fspath(f))
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    try:
        return open(f, "wb"), True
    except OSError as e:
        raise RuntimeError(f"open file failed with strerror: {e.strerror}") from None


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` to ``f`` (a path, ``os.PathLike`` or writable binary file object) in PyTorch's format.

    The object is pickled first (an object that cannot be saved fails before ``f`` is touched); then each
    storage is written from the tensor's own host buffer, so saving needs no second copy of the data."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("torchlike.save writes only the zipfile format "
                                  "(_use_new_zipfile_serialization=False is not supported)")
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, pickle_protocol)
    pickler.dump(obj)                        # fails before anything is written to f
    prefix = _archive_name(f)
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", str(_ALIGNMENT).encode())]
    if not _disable_byteorder_record:
        records.append(("byteorder", sys.byteorder.encode()))
    for ref in pickler.storages.values():
        a = np.asarray(ref.storage.array)
        if _skipping_data():
            records.append((f"data/{ref.key}", a.nbytes))
            continue
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
            a = a.astype(a.dtype.newbyteorder("<"))
        records.append((f"data/{ref.key}", np.ascontiguousarray(a)))
    records += [("version", b"3\n"), (".data/serialization_id", str(uuid.uuid4().int).zfill(40).encode())]
    fp, owned = _target(f)
    try:
        try:
            base = fp.tell()
        except (AttributeError, OSError):    # a stream: zipfile counts the bytes it writes itself
            base = 0
        writer = _AlignedZipWriter(_FromHere(fp, base) if base else fp)
        for name, data in records:
            writer.write(f"{prefix}/{name}", data)
        writer.close()
    finally:
        if owned:
            fp.close()


# =====================================================================================
# options (PyTorch's module-level switches)
# =====================================================================================

class LoadEndianness(enum.Enum):
    """Byte order assumed for a file without a ``byteorder`` record (None, the default: this machine's)."""
    NATIVE = 1
    LITTLE = 2
    BIG = 3


_OPTIONS = {"endianness": None, "mmap_flags": getattr(_mmap, "MAP_PRIVATE", None), "crc32": True}
# skip_data is per thread, as PyTorch's: ``_state.ThreadState.skip_data``


def _skipping_data():
    return _local.state.skip_data


def get_default_load_endianness():
    """The :class:`LoadEndianness` ``load`` assumes for files without a byteorder record (None: native)."""
    return _OPTIONS["endianness"]


def set_default_load_endianness(endianness):
    if endianness is not None and not isinstance(endianness, LoadEndianness):
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _OPTIONS["endianness"] = endianness


def get_crc32_options():
    """Whether ``save`` computes the CRC-32 of each record (PyTorch's switch; zipfile always computes it)."""
    return _OPTIONS["crc32"]


def set_crc32_options(compute_crc32):
    _OPTIONS["crc32"] = compute_crc32


def get_default_mmap_options():
    """The ``mmap`` flags of ``load(..., mmap=True)``: ``mmap.MAP_PRIVATE`` (default) or ``mmap.MAP_SHARED``."""
    return _OPTIONS["mmap_flags"]


class set_default_mmap_options:
    """Set the ``mmap`` flags for ``load(..., mmap=True)``; as a context manager, restored on exit.

    torchlike maps the file read-only either way: a write to a loaded tensor makes a new array (JAX arrays
    are immutable), so ``MAP_SHARED`` never writes through to the file (docs/differences.md)."""

    def __init__(self, flags):
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError("Invalid argument in function set_default_mmap_options, expected mmap.MAP_PRIVATE "
                             f"or mmap.MAP_SHARED, but got {flags}")
        self.prev = _OPTIONS["mmap_flags"]
        _OPTIONS["mmap_flags"] = flags

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _OPTIONS["mmap_flags"] = self.prev


class skip_data:
    """Inside this context ``save`` writes every storage record as zeros of its size (the file's layout,
    without the data: fill it in later) and ``load`` reads no storage (tensors come back zeroed; PyTorch
    leaves them uninitialised).  ``materialize_fake_tensors`` concerns PyTorch's fake tensors, which
    torchlike does not have; it is accepted."""

    def __init__(self, materialize_fake_tensors=False):
        self.materialize_fake_tensors = materialize_fake_tensors

    def __enter__(self):
        self.prev = _skipping_data()
        _local.state.skip_data = True

    def __exit__(self, *exc):
        _local.state.skip_data = self.prev


class SourceChangeWarning(Warning):
    """PyTorch warns so when a pickled module's source changed since it was saved (torchlike never does)."""


def check_module_version_greater_or_equal(module, req_version_tuple, error_if_malformed=True):
    """Whether ``module.__version__`` (dot-separated fields, each parsed as the type of the matching field of
    ``req_version_tuple``) is at least ``req_version_tuple``; a malformed version raises RuntimeError
    (or, with ``error_if_malformed=False``, warns and counts as met)."""
    fields = str(module.__version__).split(".")
    try:
        version = tuple(type(want)(fields[i]) for i, want in enumerate(req_version_tuple))
        return version >= tuple(req_version_tuple)
    except Exception:  # noqa: BLE001 - any parse failure is "malformed"
        msg = (f"'{module.__name__}' module version string is malformed '{module.__version__}' and cannot be "
               f"compared with tuple {tuple(req_version_tuple)}")
        if error_if_malformed:
            raise RuntimeError(msg) from None
        warnings.warn(msg + ", but continuing assuming that requirement is met")
        return True


@contextlib.contextmanager
def mkdtemp():
    """A temporary directory's path, removed (with its contents) on exit."""
    path = tempfile.mkdtemp()
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _typename(obj):
    if isinstance(obj, TypedStorage):
        return "torch.storage.TypedStorage"
    if isinstance(obj, UntypedStorage):
        return "torch.storage.UntypedStorage"
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _cpu_tag(obj):
    if obj.device.type == "cpu":
        return "cpu"


def _cuda_tag(obj):
    if obj.device.type == "cuda":
        return f"cuda:{obj.device.index or 0}"


def _cpu_deserialize(obj, location):
    if location == "cpu":
        return obj


def _cuda_deserialize(obj, location):
    if location.startswith("cuda"):
        index = validate_cuda_device(location)
        return obj.cuda(index)


# (priority, tagger, deserializer), lowest priority first: register_package adds to it
_PACKAGES = [(10, _cpu_tag, _cpu_deserialize), (20, _cuda_tag, _cuda_deserialize)]


def register_package(priority, tagger, deserializer):
    """Register how storages of a device are tagged (``tagger(storage)``: a location string or None) and
    restored (``deserializer(storage, location)``: the storage on that location, or None)."""
    _PACKAGES.append((priority, tagger, deserializer))
    _PACKAGES.sort(key=lambda p: p[0])


def location_tag(storage):
    """The location string ``save`` records for a storage (``'cpu'``, ``'cuda:0'``, ...)."""
    for _, tagger, _ in _PACKAGES:
        location = tagger(storage)
        if location:
            return location
    raise RuntimeError("don't know how to determine data location of " + _typename(storage))


def default_restore_location(storage, location):
    """``storage`` moved to the location a file recorded (what ``load`` does without ``map_location``)."""
    for _, _, deserializer in _PACKAGES:
        result = deserializer(storage, location)
        if result is not None:
            return result
    raise RuntimeError(f"don't know how to restore data location of {_typename(storage)} (tagged with "
                       f"{location})")


def validate_cuda_device(location):
    """The device index of a ``'cuda[:i]'`` location, which must exist here."""
    index = as_device(location).index or 0
    if not _jax_devices("cuda"):
        raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                           "False. If you are running on a CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    count = len(_jax_devices("cuda"))
    if index >= count:
        raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but torch.cuda.device_count() "
                           f"is {count}. Please use torch.load with map_location to map your storages to an "
                           "existing device.")
    return index


def validate_hpu_device(location):
    raise RuntimeError("The HPU device module is not registered. If you are running on a CPU-only machine, please "
                       "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.")


def normalize_storage_type(storage_type):
    """The ``torch`` namespace's class of this name (``torch.FloatStorage``, ``torch.UntypedStorage``)."""
    return getattr(torchlike, storage_type.__name__)


def storage_to_tensor_type(storage):
    """The legacy tensor type matching a storage's class (``FloatStorage`` -> ``FloatTensor``)."""
    cls = type(storage)
    return getattr(importlib.import_module(cls.__module__), cls.__name__.replace("Storage", "Tensor"))


def get_unsafe_globals_in_checkpoint(f):
    """The ``module.name`` globals a checkpoint's pickle names that ``weights_only=True`` would refuse (not
    on the allow-list nor added by :func:`add_safe_globals`); nothing in the file is run."""
    fp, owned = _open_for(f, "rb")
    try:
        try:
            zf = _read_zip(fp)
        except (RuntimeError, pickle.UnpicklingError):
            raise ValueError("Expected input to be a checkpoint returned by torch.save") from None
        with zf:
            names = zf.namelist()
            prefix = names[0].split("/")[0] if names else ""
            data = _Loader(zf, prefix, None).pickle()
    finally:
        if owned:
            fp.close()
    unsafe = set()
    for op, arg, _ in pickletools.genops(data):
        if op.code.encode("latin-1")[0] not in _WEIGHTS_ONLY_OPCODES:
            raise pickle.UnpicklingError(f"Unsupported operand {op.code.encode('latin-1')[0]}")
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            if _allowed_global(module, name)[2] is None:
                unsafe.add(f"{_fix_module(module)}.{name}")
    return list(unsafe)


# =====================================================================================
# loading
# =====================================================================================

class StorageType:
    """A legacy storage class by name: ``StorageType("FloatStorage").dtype`` is ``torch.float32``.

    What ``torch.FloatStorage`` etc. resolve to in a pickle (one interned instance per name; its dtype is
    None for ``UntypedStorage``, which only the loader makes)."""

    def __init__(self, name, _dtype=None):
        if _dtype is None:
            cls = LEGACY_CLASSES.get(name)
            if cls is None:
                raise KeyError(f'pickle storage type "{name}" is not recognized')
            _dtype = cls.dtype
        self.name, self.dtype = name, _dtype

    def __repr__(self):                  # how PyTorch's weights-only messages spell a storage class
        return f"torch.{self.name}"

    def __str__(self):
        return f"StorageType(dtype={self.dtype})"


_StorageType = StorageType


def _untyped_storage_type():
    st = object.__new__(StorageType)
    st.name, st.dtype = "UntypedStorage", None
    return st


_STORAGE_TYPES = {name: StorageType(name) for name in LEGACY_NAMES.values()}
_UNTYPED = _untyped_storage_type()

# how PyTorch's messages spell these classes
_TORCH_CLASS_NAMES = {_StorageType: "<class 'torch.serialization.StorageType'>", D.dtype: "<class 'torch.dtype'>"}

# objects whose state a weights-only file may never set (shared by every later load, or code)
_NEVER_BUILT = (type, D.dtype, _StorageType, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                types.MethodType)


class LoadedStorage(UntypedStorage):
    """A storage read from a file, as ``map_location`` callables receive it: an ``UntypedStorage`` of its
    bytes (``nbytes()``, ``tolist()``, ``device``, ...), as in PyTorch.

    ``raw`` is a read-only uint8 numpy array starting on a 64-byte boundary (or a window of the mapped
    file, for ``load(..., mmap=True)``): on a CPU, JAX adopts such a buffer without copying it, so a
    loaded tensor's array *is* the bytes read from the file.  ``storage.cpu()``, ``storage.cuda(i)`` and
    ``storage.to(device)`` return the same bytes bound for another device (the arrays are created once
    the tensor's dtype is known)."""

    def __init__(self, raw, device, byteorder="little"):
        self.raw = raw
        self._start, self._stop = 0, raw.nbytes
        self._device = as_device(device)
        self.byteorder = byteorder
        self._arrays = {}
        self._claimed = set()     # dtypes whose storage already has a tensor (its shape is then fixed)

    @property
    def device(self):
        return self._device

    @device.setter
    def device(self, value):
        self._device = as_device(value)

    @property
    def _flat(self):              # the bytes as a (host) tensor, for the UntypedStorage methods that read them
        return Tensor._wrap(jax.device_put(self.raw, to_jax(as_device("cpu"))), dtype=D.uint8)

    def _moved(self, dev):
        return LoadedStorage(self.raw, dev, self.byteorder)

    def cpu(self):
        return self._moved("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self._moved(_device_cls("cuda", device if isinstance(device, int) else
                                       (as_device(device).index if device is not None else 0)))

    def to(self, device=None, non_blocking=False):
        return self._moved(device)

    def __setitem__(self, key, value):
        raise RuntimeError("a storage being loaded is read-only (write to the loaded tensor instead)")

    def _storage(self, dtype):
        """The :class:`_views.Storage` holding these bytes as ``dtype`` (one per dtype, shared by views)."""
        st = self._arrays.get(dtype)
        if st is None:
            if self.raw.nbytes % dtype.itemsize:
                raise RuntimeError(f"storage of {self.raw.nbytes} bytes cannot hold elements of {dtype}")
            a = self.raw.view(dtype.np)
            if self.byteorder == "big" and dtype.itemsize > 1:
                a = a.byteswap()
            # an aligned host buffer becomes the CPU array itself (zero-copy); other devices copy it once
            st = self._arrays[dtype] = V.Storage(jax.device_put(a, to_jax(self.device)))
        return st


class _TypedStorage(TypedStorage):
    """A storage as a persistent id resolves: the bytes read and the dtype the pickle names (None:
    untyped bytes).  A tensor rebuilt on it claims its buffer; one the file holds alone is a public
    ``TypedStorage`` (an untyped one of ``uint8``, as PyTorch loads it), its flat tensor made when used."""
    __slots__ = ("loaded", "stype_dtype", "_tensor")

    def __new__(cls, loaded, dtype):
        self = object.__new__(cls)
        self.loaded, self.stype_dtype, self._tensor = loaded, dtype, None
        return self

    @property
    def _flat(self):
        if self._tensor is None:
            dtype = self.stype_dtype or D.uint8
            st = self.loaded._storage(dtype)
            t = Tensor._wrap(st.array, dtype=dtype)
            t._storage = st
            self._tensor = t._layout_view(((st.array.size,), (1,), 0))   # a view: a tensor may reshape the root
        return self._tensor


_INT64_MAX = 2 ** 63 - 1


def _check_layout(size, stride, offset, n):
    """PyTorch's checks (and messages) on a tensor a file lays over a storage of ``n`` elements."""
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length ({len(stride)})")
    numel = 1
    for x in size:
        numel *= x
        if x < 0 or numel > _INT64_MAX:
            raise RuntimeError("numel: integer multiplication overflow")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    if numel and offset + sum((x - 1) * s for x, s in zip(size, stride)) >= n:
        raise RuntimeError("Trying to resize storage that is not resizable")


def _ints(xs, what):
    if not isinstance(xs, (tuple, list)) or not all(isinstance(x, int) for x in xs):
        raise TypeError(f"set_() received an invalid combination of arguments: {what} must be a tuple of ints, "
                        f"got {xs!r}")
    return tuple(int(x) for x in xs)


def _tensor_on(storage, offset, size, stride, dtype=None):
    if not isinstance(storage, _TypedStorage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor, got {type(storage).__name__}")
    if dtype is not None and not isinstance(dtype, D.dtype):
        raise TypeError(f"empty(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    dtype = dtype or storage.stype_dtype
    if dtype is None:
        raise pickle.UnpicklingError("an untyped storage needs a dtype to rebuild a tensor")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if not isinstance(offset, int):
        raise TypeError(f"set_() received an invalid combination of arguments: storage_offset must be an int, "
                        f"got {offset!r}")
    loaded = storage.loaded
    st = loaded._storage(dtype)
    n = st.array.size
    _check_layout(size, stride, offset, n)
    t = Tensor._wrap(st.array, dtype=dtype)
    t._storage = st
    root_shape = tuple(st.array.shape)
    if (size, stride, offset) != (root_shape, V.contiguous_strides(root_shape), 0):
        if offset == 0 and stride == V.contiguous_strides(size) and int(np.prod(size)) == n and \
                dtype not in loaded._claimed:
            st.array = st.array.reshape(size)          # the storage's first tensor covers it: its shape
        else:
            t._view = (size, stride, offset)           # shares the storage, not a view (as in PyTorch)
    loaded._claimed.add(dtype)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _tensor_on(storage, storage_offset, size, stride)
    t.requires_grad = bool(requires_grad)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    t = _tensor_on(storage, storage_offset, size, stride, dtype)
    t.requires_grad = bool(requires_grad)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_on(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return Parameter(data, requires_grad)


def _set_state(obj, state):
    """A tensor's Python attributes from a file (this tensor's own: never a class, dtype or shared object)."""
    if not isinstance(obj, Tensor):
        raise _RefusedAttributeError(f"'{type(obj).__name__}' object has no attribute 'as_subclass'")
    if isinstance(state, dict):
        for k, v in state.items():
            setattr(obj, k, v)
    elif isinstance(state, tuple) and len(state) == 2:      # (dict, slots) as copyreg writes it
        for part in state:
            if part:
                for k, v in part.items():
                    setattr(obj, k, v)
    return obj


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    t = func(*args)
    if not isinstance(t, Tensor):
        raise _RefusedAttributeError(f"'{type(t).__module__}.{type(t).__qualname__}' object has no attribute "
                                     "'as_subclass'")
    if new_type is not Tensor and isinstance(new_type, type) and issubclass(new_type, Tensor) and \
            type(t) is not new_type:
        requires_grad = t.requires_grad
        t = _share(new_type, t)
        t.requires_grad = requires_grad
    return _set_state(t, state)


def _torch_names():
    """PyTorch's global names a tensor file uses, mapped to torchlike's objects."""
    names = {
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Tensor": Tensor,
        "torch.nn.parameter.Parameter": nn.Parameter,
        "torch.Size": Size,
        "torch.device": _device_cls,
        "torch.storage.UntypedStorage": _UNTYPED,
    }
    for name, st in _STORAGE_TYPES.items():
        names[f"torch.{name}"] = st
    for dt in D.ALL:
        names[f"torch.{dt.name}"] = dt
    return names


_SAFE_BUILTINS = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.complex": complex,
    "builtins.bytearray": bytearray,
}
_USER_SAFE = {}
_TORCH_NAMES = None


def _names():
    global _TORCH_NAMES
    if _TORCH_NAMES is None:
        _TORCH_NAMES = dict(_torch_names(), **_SAFE_BUILTINS)
        _TORCH_NAMES["_codecs.encode"] = _codecs.encode
    return _TORCH_NAMES


def _qualified(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow these globals (objects, or ``(object, "module.name")`` pairs) in ``weights_only`` loads."""
    for g in safe_globals:
        if isinstance(g, tuple):
            obj, name = g
            _USER_SAFE[name] = obj
        else:
            _USER_SAFE[_qualified(g)] = g


def get_safe_globals():
    return list(_USER_SAFE.values())


def clear_safe_globals():
    _USER_SAFE.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    saved = dict(_USER_SAFE)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _USER_SAFE.clear()
        _USER_SAFE.update(saved)


_BLOCKED_MODULES = {"sys", "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "shutil", "socket",
                    "importlib", "runpy", "pty", "commands", "webbrowser"}

_RERUN_ADVICE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from `False` to "
    "`True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source.")
_WEIGHTS_ONLY_HEADER = "Weights only load failed. " + _RERUN_ADVICE
_WEIGHTS_ONLY_OPTIONS = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
    "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) " + _RERUN_ADVICE + "\n\t(2) "
    "Alternatively, to load with `weights_only=True` please check the recommended steps in the following error "
    "message.\n\tWeightsUnpickler error: ")
_WEIGHTS_ONLY_FOOTER = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default "
                        "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _fix_module(module):
    return {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)


def _torchlike_global(module, name):
    """A ``torch.*`` global that is not a tensor-file name: torchlike's object of the same path, if any."""
    mod = "torchlike" + module[len("torch"):]
    try:
        obj = importlib.import_module(mod)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"torchlike.load: the file names {module}.{name}, which torchlike does not "
                                     "provide") from None


def _allowed_global(module, name):
    """``(module, "module.name", the allowed object or None)`` for a global a pickle names."""
    module = _fix_module(module)
    full = f"{module}.{name}"
    known = _names().get(full)
    return module, full, (known if known is not None else _USER_SAFE.get(full))


class _Unpickler(pickle.Unpickler):
    """``weights_only=False``: any global (PyTorch's names resolved to torchlike's), as ``pickle`` itself."""

    def __init__(self, file, loader, **kw):
        super().__init__(file, **kw)
        self.loader = loader

    def find_class(self, module, name):
        module, full, known = _allowed_global(module, name)
        if known is not None:
            return known
        if module == "torch" or module.startswith("torch."):
            return _torchlike_global(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return self.loader.storage(pid)


def _weights_only_error(msg):
    """PyTorch's wording of a weights-only refusal that is not about a global."""
    return pickle.UnpicklingError(_WEIGHTS_ONLY_HEADER + "\nPlease file an issue with the following so that we can "
                                  "make `weights_only=True` compatible with your use case: WeightsUnpickler error: "
                                  "\n\n" + msg + _WEIGHTS_ONLY_FOOTER)


class _RefusedAttributeError(AttributeError):
    """An AttributeError PyTorch raises for this input (passed through, not reworded as a corrupt pickle)."""


# the opcodes PyTorch's weights-only unpickler executes (protocol 2 and the text/binary basics); any other
# (INST, OBJ, EXT*, NEWOBJ_EX, STACK_GLOBAL, FRAME, PERSID, sets, bytes, ...) is refused
_WEIGHTS_ONLY_OPCODES = frozenset(b"c\x81Rbaesu(t\x85\x86\x87N\x88\x89)]}JKM\x8aGXUQhjqr\x80.")


class _OpcodeTable(dict):
    def __missing__(self, code):
        def refuse(_self):
            raise _weights_only_error(f"Unsupported operand {code}")
        return refuse


class _WeightsOnlyUnpickler(pickle._Unpickler):
    """``weights_only=True``: an allow-list of globals *and* of what the pickle may do with them.

    Runs on pickle's pure-Python unpickler so that each opcode that creates or changes an object is checked:

    * ``GLOBAL`` names only the allow-list (:func:`_names`, :func:`add_safe_globals`);
    * ``REDUCE`` calls only an allowed global; ``NEWOBJ`` instantiates only an allowed class;
    * ``BUILD`` (state setting) applies only to a tensor or Parameter, an ``OrderedDict``/``Counter``, or an
      instance of an allowed class, never to a class, dtype, device, storage type, module or function:
      a file cannot change library objects that later loads use;
    * every other opcode outside the set PyTorch executes is refused.
    """

    dispatch = _OpcodeTable({k: v for k, v in pickle._Unpickler.dispatch.items() if k in _WEIGHTS_ONLY_OPCODES})

    def __init__(self, file, loader, **kw):
        super().__init__(file, **kw)
        self.loader = loader
        self.allowed = {id(v): v for v in _names().values()}
        self.allowed.update((id(v), v) for v in _USER_SAFE.values())
        self.user_types = {id(v) for v in _USER_SAFE.values() if isinstance(v, type)}

    def find_class(self, module, name):
        module, full, known = _allowed_global(module, name)
        if known is not None:
            return known
        if module.split(".")[0] in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(_WEIGHTS_ONLY_HEADER + "\n\n\n" + f"Trying to load unsupported GLOBAL "
                                         f"{full} whose module {module} is blocked." + _WEIGHTS_ONLY_FOOTER)
        raise pickle.UnpicklingError(
            _WEIGHTS_ONLY_OPTIONS + f"Unsupported global: GLOBAL {full} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{full}])` or the "
            f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this global if you trust "
            "this class/function." + _WEIGHTS_ONLY_FOOTER)

    def persistent_load(self, pid):
        if not isinstance(pid, (tuple, int)):
            raise _weights_only_error(f"persistent_load id must be tuple or int, but got {type(pid)}")
        return self.loader.storage(pid)

    def _is_allowed(self, obj):
        return self.allowed.get(id(obj)) is obj

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._is_allowed(func):
            raise _weights_only_error(f"Trying to call reduce for unrecognized function {func!r}")
        self.stack[-1] = func(*args)

    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not self._is_allowed(cls):
            raise _weights_only_error(f"Trying to instantiate unsupported class {cls!r}")
        if not isinstance(cls, type):
            raise TypeError(f"object.__new__(X): X is not a type object ({type(cls).__name__})")
        if id(cls) in self.user_types or cls.__module__ in ("builtins", "collections"):
            obj = cls.__new__(cls, *args)
        else:                       # torchlike's own classes (Tensor, Parameter, device, Size) build in __init__
            obj = cls(*args)
        self.append(obj)

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        kind = type(inst)
        if isinstance(inst, _NEVER_BUILT) or not (kind is Tensor or kind is Parameter or self._is_allowed(kind)):
            raise _weights_only_error("Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                                      f"`add_safe_globals`, but got {_TORCH_CLASS_NAMES.get(kind, kind)}")
        if kind is Tensor:            # PyTorch calls inst.set_(*state); no file torch.save writes does this
            raise TypeError("set_() received an invalid combination of arguments - got "
                            f"({', '.join(type(x).__name__ for x in state)}), but expected one of: (), "
                            "(torch.Storage source), (Tensor source)")
        if kind is Parameter:         # PyTorch reads (data, requires_grad, hooks) and refuses it
            _data, _requires_grad, _hooks = state
            raise RuntimeError("requires_grad must be a bool")
        if kind in (collections.OrderedDict, collections.Counter):
            inst.__dict__.update(state)
            return
        if id(kind) not in self.user_types:      # set, complex, bytearray, device, Size: no state to set
            raise _RefusedAttributeError(f"'{kind.__name__}' object has no attribute '__dict__'")
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None and getattr(kind, "__setstate__", None) is not None:
            setstate(state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        if state:
            inst.__dict__.update(state)
        if slotstate:
            for k, v in slotstate.items():
                setattr(inst, k, v)

    dispatch[pickle.BUILD[0]] = load_build


_MAX_DEFLATE_RATIO = 1032      # deflate's largest expansion: a 258-byte match coded in 2 bits
_MINIZ_CORRUPT = (". This is an internal miniz error. If you are seeing this error, there is a high likelihood "
                  "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
                  "properly, was transferred incorrectly, or the file was modified after saving.")
_MINIZ_SIZE = "unexpected decompressed size" + _MINIZ_CORRUPT


def _aligned_empty(nbytes, make=np.empty):
    """A writable uint8 buffer of ``nbytes`` starting on a 64-byte boundary, which JAX adopts on a CPU."""
    base = make(nbytes + _ALIGNMENT, np.uint8)
    start = (-base.ctypes.data) % _ALIGNMENT
    return base[start:start + nbytes]


def _data_start(zf, info):
    """Offset in the archive's file of a record's first data byte (after its local header)."""
    zf.fp.seek(info.header_offset)
    header = zf.fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad magic number for file header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _read_stored(fp, start, buf):
    """Read ``len(buf)`` bytes at ``start`` of ``fp`` straight into ``buf``."""
    fp.seek(start)
    view, pos = memoryview(buf), 0
    while pos < len(buf):
        k = fp.readinto(view[pos:])
        if not k:
            raise EOFError("the record is truncated")
        pos += k


def _read_compressed(zf, info, buf, name):
    """Inflate a record into ``buf`` a chunk at a time; it must fill ``buf`` exactly (zipfile checks its CRC)."""
    view, pos = memoryview(buf), 0
    with zf.open(info) as src:
        while pos < len(buf):
            chunk = src.read(min(_CHUNK, len(buf) - pos))
            if not chunk:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: " + _MINIZ_SIZE)
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)


def _read_record(zf, info, name, file_size, mapped=None):
    """A record's bytes as one aligned read-only numpy buffer (no intermediate ``bytes``).

    The declared size is checked against the record's real extent before anything is allocated: a stored
    record must lie inside the file, a deflated one cannot inflate by more than deflate's maximum ratio (a
    zip bomb that lies about its size is refused unread), and a record that expands past its declared size
    fails its CRC.  A stored record's CRC is checked unless it is 0 (PyTorch writes 0 under
    ``set_crc32_options(False)``); with ``mapped`` (the file's mmap) a stored record is a window of it."""
    nbytes = info.file_size
    try:
        if info.compress_type == zipfile.ZIP_STORED:
            start = _data_start(zf, info)
            if start + nbytes > file_size or info.compress_size != nbytes:
                raise EOFError("the record is truncated")
            if mapped is not None:
                return np.frombuffer(mapped, np.uint8, nbytes, start)
            check_alloc(nbytes)
            buf = _aligned_empty(nbytes)
            _read_stored(zf.fp, start, buf)
            if info.CRC and zlib.crc32(buf) != info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if nbytes > info.compress_size * _MAX_DEFLATE_RATIO + _ALIGNMENT:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: " + _MINIZ_SIZE)
            check_alloc(nbytes)
            buf = _aligned_empty(nbytes)
            _read_compressed(zf, info, buf, name)
        else:
            raise RuntimeError(f"PytorchStreamReader failed retrieving file meta-data for {name}: unsupported "
                               "method" + _MINIZ_CORRUPT)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading file {name}: {e}") from None
    buf.flags.writeable = False
    return buf


class _Loader:
    """State of one ``load`` call: the zip, the storages read so far and where they go."""

    def __init__(self, zf, prefix, map_location, mmap=None):
        self.zf, self.prefix, self.map_location = zf, prefix, map_location
        self.mmap = mmap                   # the whole file mapped (load(..., mmap=True)), or None
        zf.fp.seek(0, io.SEEK_END)
        self.file_size = zf.fp.tell()
        self.loaded = {}
        info = zf.NameToInfo.get(f"{prefix}/byteorder")
        if info is not None:
            self.byteorder = _read_record(zf, info, "byteorder", self.file_size).tobytes().decode().strip()
        else:        # a file without the record: the default load endianness says (None: this machine's)
            self.byteorder = {LoadEndianness.LITTLE: "little", LoadEndianness.BIG: "big"}.get(
                _OPTIONS["endianness"], sys.byteorder)

    def pickle(self):
        """The bytes of ``data.pkl``."""
        info = self.zf.NameToInfo.get(f"{self.prefix}/data.pkl")
        if info is None:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        return _read_record(self.zf, info, "data.pkl", self.file_size).tobytes()

    def _device(self, location, loaded):
        ml = self.map_location
        if ml is None:
            return location
        if isinstance(ml, (str, _device_cls)):
            return ml
        if isinstance(ml, dict):
            return ml.get(location, location)
        if callable(ml):
            r = ml(loaded, location)
            if r is None:
                return location
            if isinstance(r, LoadedStorage):
                return r.device
            raise TypeError(f"map_location returned {type(r).__name__}; expected the storage it was given "
                            "(or storage.cpu()/.cuda()/.to(device))")
        raise ValueError(f"map_location should be a callable, string, dict or torch.device, got {type(ml)}")

    def _record(self, name, nbytes):
        """The bytes of record ``name``, which must hold exactly ``nbytes`` (see :func:`_read_record`)."""
        info = self.zf.NameToInfo.get(f"{self.prefix}/{name}")
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        if info.file_size != nbytes:
            raise RuntimeError(f"record size ({info.file_size} bytes) does not match expected size ({nbytes} bytes = "
                               f"{nbytes} elements * 1 bytes/element) for dtype Byte")
        if _skipping_data():              # the layout only: zeros (pages untouched until written)
            check_alloc(nbytes)
            buf = _aligned_empty(nbytes, np.zeros)
            buf.flags.writeable = False
            return buf
        return _read_record(self.zf, info, name, self.file_size, self.mmap)

    def storage(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"Unknown persistent id in the file: {pid!r}")
        if len(pid) != 5:
            raise ValueError(f"not enough values to unpack (expected 4, got {len(pid) - 1})" if len(pid) < 5 else
                             f"too many values to unpack (expected 4)")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise _RefusedAttributeError(f"'{type(stype).__name__}' object has no attribute 'dtype'")
        if not isinstance(numel, int):
            raise TypeError(f"storage size must be an int, got {type(numel).__name__}")
        key = str(key) if isinstance(key, (str, int)) else key
        loaded = self.loaded.get(key)
        if loaded is None:
            itemsize = 1 if stype.dtype is None else stype.dtype.itemsize
            loaded = LoadedStorage(self._record(f"data/{key}", numel * itemsize), "cpu", self.byteorder)
            dev = as_device(self._device(str(location), loaded))
            if dev.type == "cuda" and not _jax_devices("cuda"):
                raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                                   "is False. If you are running on a CPU-only machine, please use torch.load with "
                                   "map_location=torch.device('cpu') to map your storages to the CPU.")
            loaded.device = dev
            self.loaded[key] = loaded
        return _TypedStorage(loaded, stype.dtype)


def _read_zip(f):
    if hasattr(f, "seekable") and not f.seekable():
        f = io.BytesIO(f.read())
    start = f.tell()
    magic = f.read(4)
    f.seek(start)
    if magic[:2] != b"PK":
        if magic[:1] == b"\x80" or not magic:
            raise RuntimeError("torchlike.load: this file is in PyTorch's legacy (pre-1.6, non-zip) format, which "
                               "torchlike cannot read; re-save it with torch.save in PyTorch >= 1.6"
                               if magic else "torchlike.load: the file is empty")
        raise pickle.UnpicklingError("torchlike.load: not a PyTorch file (no zip archive and no pickle): "
                                     f"starts with {magic!r}")
    try:
        return zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory "
                           f"({e}). The file is probably truncated or corrupted.") from None


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved with ``torch.save`` (PyTorch's zip format) from a path or binary file object.

    ``weights_only`` (default True) restricts the pickle to tensors, containers and primitive types;
    ``map_location`` (str, device, dict of location strings, or ``fn(storage, location)``) picks where
    storages go.  Tensors that shared a storage when saved share one here too.  Each storage is read
    once, into the buffer its CPU tensor then uses (peak memory: about the file's size).  ``mmap=True``
    (``f`` must be a path) maps the file instead: a tensor's pages are read when its values are.
    """
    if weights_only is None:
        weights_only = pickle_module is None and os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in (
            "0", "", "false", "False")
    if weights_only and pickle_module is not None and pickle_module is not pickle:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if map_location is not None and not isinstance(map_location, (str, _device_cls, dict)) and \
            not callable(map_location):
        raise TypeError(f"map_location should be a callable, string, dict or torch.device, got {type(map_location)}")
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    fp, owned = _open_for(f, "rb")
    try:
        with _read_zip(fp) as zf:
            # mmap=True: stored records become windows of the mapped file, read only where touched
            mapped = _mmap.mmap(fp.fileno(), 0, flags=_OPTIONS["mmap_flags"], prot=_mmap.PROT_READ) if mmap else None
            names = zf.namelist()
            if not names:
                raise RuntimeError("PytorchStreamReader failed reading zip archive: the archive is empty")
            prefix = names[0].split("/")[0]
            if f"{prefix}/version" not in zf.NameToInfo and f"{prefix}/.data/version" not in zf.NameToInfo:
                raise RuntimeError('PytorchStreamReader: expected hasRecord("version") to be true, but got false '
                                   "(not a file written by torch.save)")
            loader = _Loader(zf, prefix, map_location, mapped)
            data = loader.pickle()
            kw = {"encoding": pickle_load_args.get("encoding", "utf-8")}
            up = (_WeightsOnlyUnpickler if weights_only else _Unpickler)(io.BytesIO(data), loader, **kw)
            try:
                return up.load()
            except (pickle.UnpicklingError, RuntimeError, TypeError, ValueError, _RefusedAttributeError):
                raise
            except (EOFError, KeyError, IndexError, AttributeError, struct.error) as e:
                raise pickle.UnpicklingError(f"torchlike.load: the pickle in the file is corrupted "
                                             f"({type(e).__name__}: {e})") from None
    finally:
        if owned:
            fp.close()
