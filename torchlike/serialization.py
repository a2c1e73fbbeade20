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

``weights_only=True`` (the default, as in PyTorch >= 2.6) unpickles with an
allow-list: only containers, numbers, strings, tensors, dtypes, devices and
what :func:`add_safe_globals` adds can be named by the pickle; anything else
raises ``pickle.UnpicklingError`` before it could run.
"""
from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import uuid
import zipfile

import jax
import numpy as np

from . import _dtype as D
from . import _views as V
from ._device import _jax_devices, as_device, device as _device_cls, device_of, to_jax
from ._tensor import Size, Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64

# PyTorch's legacy typed-storage class for each dtype (the pickle names these)
_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                  "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
                  "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                  "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}


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
    __slots__ = ("key", "storage", "dtype")

    def __init__(self, key, storage, dtype):
        self.key, self.storage, self.dtype = key, storage, dtype


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
        if isinstance(obj, _StorageRef):
            dt = obj.dtype
            nbytes = obj.storage.array.size * dt.itemsize
            loc = str(device_of(obj.storage.array))
            if dt.name in _STORAGE_NAMES:
                return ("storage", _Global("torch", _STORAGE_NAMES[dt.name]), obj.key, loc, obj.storage.array.size)
            return ("storage", _Global("torch.storage", "UntypedStorage"), obj.key, loc, nbytes)
        return None

    def _storage_ref(self, t):
        st = t._storage
        ref = self.storages.get(id(st))
        if ref is None:
            ref = self.storages[id(st)] = _StorageRef(str(len(self.storages)), st, t._dtype)
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
        if t._dtype.name in _STORAGE_NAMES:
            return _Global("torch._utils", "_rebuild_tensor_v2"), args
        return _Global("torch._utils", "_rebuild_tensor_v3"), args + (t._dtype,)

    def reducer_override(self, obj):
        from .nn.parameter import Parameter
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
    """An uncompressed zip whose storage records start on 64-byte boundaries, as PyTorch writes them."""

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.fp = fileobj

    def write(self, name, data):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        start = self.zip.start_dir + 30 + len(name.encode("utf-8"))
        pad = (-(start + 4)) % _ALIGNMENT
        info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad   # 'FB' padding field, as PyTorch's writer
        self.zip.writestr(info, data)

    def close(self):
        self.zip.close()


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` to ``f`` (a path, ``os.PathLike`` or writable binary file object) in PyTorch's format."""
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
        a = np.asarray(ref.storage.array).reshape(-1)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
            a = a.astype(a.dtype.newbyteorder("<"))
        records.append((f"data/{ref.key}", a.tobytes()))
    records += [("version", b"3\n"), (".data/serialization_id", str(uuid.uuid4().int).zfill(40).encode())]
    out = io.BytesIO()
    writer = _AlignedZipWriter(out)
    for name, data in records:
        writer.write(f"{prefix}/{name}", data)
    writer.close()
    fp, owned = _open_for(f, "wb")
    try:
        fp.write(out.getvalue())
    finally:
        if owned:
            fp.close()


# =====================================================================================
# loading
# =====================================================================================

class _StorageType:
    """What ``torch.FloatStorage`` etc. resolve to in a pickle: the storage's dtype (None: untyped bytes)."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {name: _StorageType(name, D._by_name(dt)) for dt, name in _STORAGE_NAMES.items()}
_UNTYPED = _StorageType("UntypedStorage", None)


class LoadedStorage:
    """A storage read from a file, as ``map_location`` callables receive it: its bytes and device.

    ``storage.cpu()``, ``storage.cuda(i)`` and ``storage.to(device)`` return the same bytes bound for
    another device (the arrays are created once the tensor's dtype is known)."""

    def __init__(self, raw, device, byteorder="little"):
        self.raw = raw
        self.device = as_device(device)
        self.byteorder = byteorder
        self._arrays = {}
        self._claimed = set()     # dtypes whose storage already has a tensor (its shape is then fixed)

    def _moved(self, dev):
        return LoadedStorage(self.raw, dev, self.byteorder)

    def cpu(self):
        return self._moved("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self._moved(_device_cls("cuda", device if isinstance(device, int) else
                                       (as_device(device).index if device is not None else 0)))

    def to(self, device=None, non_blocking=False):
        return self._moved(device)

    def nbytes(self):
        return len(self.raw)

    def size(self):
        return len(self.raw)

    def _storage(self, dtype):
        """The :class:`_views.Storage` holding these bytes as ``dtype`` (one per dtype, shared by views)."""
        st = self._arrays.get(dtype)
        if st is None:
            np_dtype = dtype.np.newbyteorder(">") if self.byteorder == "big" and dtype.itemsize > 1 else dtype.np
            if len(self.raw) % dtype.itemsize:
                raise RuntimeError(f"storage of {len(self.raw)} bytes cannot hold elements of {dtype}")
            a = np.frombuffer(self.raw, dtype=np_dtype).astype(dtype.np)
            st = self._arrays[dtype] = V.Storage(jax.device_put(a, to_jax(self.device)))
        return st


class _TypedStorage:
    """A storage of one dtype, as a typed persistent id resolves (before a tensor claims it)."""
    __slots__ = ("loaded", "dtype")

    def __init__(self, loaded, dtype):
        self.loaded, self.dtype = loaded, dtype


def _tensor_on(storage, offset, size, stride, dtype=None):
    if not isinstance(storage, _TypedStorage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor, got {type(storage).__name__}")
    dtype = dtype or storage.dtype
    if dtype is None:
        raise pickle.UnpicklingError("an untyped storage needs a dtype to rebuild a tensor")
    loaded = storage.loaded
    st = loaded._storage(dtype)
    size, stride, offset = tuple(int(n) for n in size), tuple(int(s) for s in stride), int(offset)
    n = st.array.size
    if any(x < 0 for x in size) or any(s < 0 for s in stride) or offset < 0 or len(size) != len(stride):
        raise RuntimeError(f"invalid tensor layout in file: size {size}, stride {stride}, offset {offset}")
    if 0 not in size and offset + sum((x - 1) * s for x, s in zip(size, stride)) >= n:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset} "
                           f"require more elements than the storage's {n}")
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
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _set_state(obj, state):
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
    if new_type is not Tensor and isinstance(new_type, type) and issubclass(new_type, Tensor) and \
            type(t) is not new_type:
        from .nn.parameter import _share
        requires_grad = t.requires_grad
        t = _share(new_type, t)
        t.requires_grad = requires_grad
    return _set_state(t, state)


def _torch_names():
    """PyTorch's global names a tensor file uses, mapped to torchlike's objects."""
    from . import nn
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
        import _codecs
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

_WEIGHTS_ONLY_HEADER = (
    "Weights only load failed. In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a trusted "
    "source.\n\n\n")
_WEIGHTS_ONLY_FOOTER = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default "
                        "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _fix_module(module):
    return {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)


def _torchlike_global(module, name):
    """A ``torch.*`` global that is not a tensor-file name: torchlike's object of the same path, if any."""
    import importlib
    mod = "torchlike" + module[len("torch"):]
    try:
        obj = importlib.import_module(mod)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"torchlike.load: the file names {module}.{name}, which torchlike does not "
                                     "provide") from None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, loader, weights_only, **kw):
        super().__init__(file, **kw)
        self.loader = loader
        self.weights_only = weights_only

    def find_class(self, module, name):
        module = _fix_module(module)
        full = f"{module}.{name}"
        known = _names().get(full)
        if known is None:
            known = _USER_SAFE.get(full)
        if known is not None:
            return known
        if self.weights_only:
            top = module.split(".")[0]
            if top in _BLOCKED_MODULES:
                msg = f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked."
            else:
                msg = (f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
                       f"`torch.serialization.add_safe_globals([{name}])` or the "
                       f"`torch.serialization.safe_globals([{name}])` context manager to allowlist this global if "
                       "you trust this class/function.")
            raise pickle.UnpicklingError(_WEIGHTS_ONLY_HEADER + msg + _WEIGHTS_ONLY_FOOTER)
        if module == "torch" or module.startswith("torch."):
            return _torchlike_global(module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return self.loader.storage(pid)


class _Loader:
    """State of one ``load`` call: the zip, the storages read so far and where they go."""

    def __init__(self, zf, prefix, map_location):
        self.zf, self.prefix, self.map_location = zf, prefix, map_location
        self.loaded = {}
        self.byteorder = "little"
        name = f"{prefix}/byteorder"
        if name in zf.NameToInfo:
            self.byteorder = zf.read(name).decode().strip()

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

    def storage(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"Unknown persistent id in the file: {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"Unknown storage type in the file: {stype!r}")
        loaded = self.loaded.get(key)
        if loaded is None:
            try:
                raw = self.zf.read(f"{self.prefix}/data/{key}")
            except KeyError:
                raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not found") from None
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: {e}") from None
            itemsize = 1 if stype.dtype is None else stype.dtype.itemsize
            if len(raw) != int(numel) * itemsize:
                raise RuntimeError(f"PytorchStreamReader: record data/{key} holds {len(raw)} bytes, expected "
                                   f"{int(numel) * itemsize}")
            loaded = LoadedStorage(raw, "cpu", self.byteorder)
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
    storages go.  Tensors that shared a storage when saved share one here too.
    """
    if weights_only is None:
        weights_only = pickle_module is None and os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in (
            "0", "", "false", "False")
    if weights_only and pickle_module is not None and pickle_module is not pickle:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if map_location is not None and not isinstance(map_location, (str, _device_cls, dict)) and \
            not callable(map_location):
        raise TypeError(f"map_location should be a callable, string, dict or torch.device, got {type(map_location)}")
    fp, owned = _open_for(f, "rb")
    try:
        with _read_zip(fp) as zf:
            names = zf.namelist()
            if not names:
                raise RuntimeError("PytorchStreamReader failed reading zip archive: the archive is empty")
            prefix = names[0].split("/")[0]
            if f"{prefix}/version" not in zf.NameToInfo and f"{prefix}/.data/version" not in zf.NameToInfo:
                raise RuntimeError('PytorchStreamReader: expected hasRecord("version") to be true, but got false '
                                   "(not a file written by torch.save)")
            try:
                data = zf.read(f"{prefix}/data.pkl")
            except KeyError:
                raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found") from None
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise RuntimeError(f"PytorchStreamReader failed reading file data.pkl: {e}") from None
            loader = _Loader(zf, prefix, map_location)
            kw = {"encoding": pickle_load_args.get("encoding", "utf-8")}
            up = _Unpickler(io.BytesIO(data), loader, weights_only, **kw)
            try:
                return up.load()
            except (pickle.UnpicklingError, RuntimeError, TypeError, ValueError):
                raise
            except (EOFError, KeyError, IndexError, AttributeError, struct.error) as e:
                raise pickle.UnpicklingError(f"torchlike.load: the pickle in the file is corrupted "
                                             f"({type(e).__name__}: {e})") from None
    finally:
        if owned:
            fp.close()
