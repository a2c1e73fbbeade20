"""Storage objects (``torch.TypedStorage``, ``torch.UntypedStorage``, ``torch.FloatStorage`` & co,
``Tensor.storage()``/``untyped_storage()``/``storage_type()``, ``torch.is_storage``) against PyTorch."""
import io

import numpy as np
import pytest
import torch

import torchlike
from harness import data, same, same_message

LEGACY = ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
          "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"]


def _x(T):
    return T.tensor(data(3, 4))


def _describe(s):
    """What a storage tells about itself (plain values, comparable across the libraries)."""
    return (type(s).__name__ if type(s).__name__ != "_TypedStorage" else "TypedStorage", len(s), s.size(),
            s.nbytes(), s.element_size(), str(s.device), s.tolist(), str(s), repr(s))


def test_tensor_storage_describes_the_buffer():
    same(lambda T: _describe(_x(T).storage()))
    same(lambda T: (_describe(_x(T).storage()), str(_x(T).storage().dtype)))


def test_untyped_storage_is_bytes():
    same(lambda T: _describe(_x(T).untyped_storage()))
    same(lambda T: _describe(T.arange(5).untyped_storage()))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float16", "bfloat16", "complex64"])
def test_storage_of_each_dtype(dtype):
    def fn(T):
        x = T.tensor(data(5, low=-3, high=3)).to(getattr(T, dtype))
        return (_describe(x.storage()), str(x.storage().dtype), x.storage().type(),
                x.storage().pickle_storage_type(), x.untyped_storage().nbytes(), repr(x.storage_type()),
                x.storage_type().__name__)
    same(fn)


def test_view_storage_covers_the_whole_buffer():
    def fn(T):
        x = _x(T)
        v = x[1:, ::2]
        return (v.storage().size(), v.untyped_storage().nbytes(), v.storage().tolist(), v.storage_offset(),
                v.storage().data_ptr() == x.storage().data_ptr(), v.untyped_storage().data_ptr() == x.data_ptr(),
                x.untyped_storage().data_ptr() == x.storage().data_ptr())
    same(fn)


def test_writes_through_storage_reach_the_tensor_and_its_views():
    def fn(T):
        x = _x(T)
        v = x[1]
        s = x.storage()
        s[0] = 10.0
        s[5:7] = -1.0
        s[-1] = 3.5
        return x, v, s[0], s[-1], s.tolist()
    same(fn)


def test_write_through_storage_of_a_leaf_that_requires_grad():
    def fn(T):
        w = T.ones(3, requires_grad=True)
        w.storage()[1] = 4.0
        return w.detach(), w.requires_grad, w.grad_fn
    same(fn)


def test_untyped_storage_writes_and_slices():
    def fn(T):
        x = T.zeros(2, dtype=T.int32)
        u = x.untyped_storage()
        u[0] = 7
        u[4:6] = 1
        part = u[4:8]
        return x, u.tolist(), part.tolist(), type(part).__name__, part.nbytes(), u[0], u[-3]
    same(fn)


def test_fill_copy_clone():
    def fn(T):
        x = T.tensor(data(4))
        s = x.storage()
        c = s.clone()
        s.fill_(2.0)
        after_fill = x.clone()
        s.copy_(T.FloatStorage([5, 6, 7, 8]))
        return after_fill, x, c.tolist(), s.fill_(1.0) is s
    same(fn)


def test_conversions():
    def fn(T):
        s = T.tensor([1.5, -2.0, 0.0]).storage()
        out = []
        for name in ["double", "float", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool",
                     "complex_float", "complex_double"]:
            r = getattr(s, name)()
            out.append((name, str(r.dtype), r.tolist(), type(r).__name__))
        return out, s.type(), s.cpu().tolist(), str(s.untyped().device)
    same(fn)


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructors(name):
    def fn(T):
        cls = getattr(T, name)
        empty, sized = cls(), cls(3)
        filled = cls([1, 0, 1])
        return (repr(cls), cls.__name__, str(cls.dtype), type(filled).__name__, sized.size(), empty.size(),
                filled.tolist(), str(filled), isinstance(filled, cls), isinstance(filled, T.TypedStorage),
                T.is_storage(filled), filled.type())
    same(fn)


def test_legacy_isinstance_checks_the_dtype():
    def fn(T):
        f = T.tensor([1.0]).storage()
        i = T.tensor([1]).storage()
        u = T.tensor([1.0]).untyped_storage()
        return (isinstance(f, T.FloatStorage), isinstance(f, T.LongStorage), isinstance(i, T.LongStorage),
                isinstance(u, T.TypedStorage), isinstance(u, T.UntypedStorage), isinstance(f, T.UntypedStorage),
                isinstance(T.tensor([1.0]), T.FloatStorage))
    same(fn)


def test_typed_storage_constructor():
    def fn(T):
        a = T.TypedStorage([1, 2], dtype=T.int16)
        b = T.TypedStorage(3, dtype=T.float64)
        c = T.TypedStorage()
        u = T.UntypedStorage([0, 0, 128, 63])
        w = T.TypedStorage(wrap_storage=u, dtype=T.float32)
        return (_describe(a), b.size(), b.nbytes(), str(b.dtype), str(c.dtype), c.size(), w.tolist(), str(w.dtype))
    same(fn)


def test_untyped_storage_constructor():
    same(lambda T: (_describe(T.UntypedStorage([1, 2, 300])), T.UntypedStorage(4).nbytes(),
                    _describe(T.UntypedStorage(0))))


def test_is_storage():
    same(lambda T: [T.is_storage(o) for o in (T.ones(2), T.ones(2).storage(), T.ones(2).untyped_storage(),
                                              T.FloatStorage(1), [1], None)])


def test_storage_iteration_and_identity():
    def fn(T):
        s = T.IntStorage([1, 2, 3])
        return list(s), list(iter(T.UntypedStorage([4, 5]))), s == s, s.is_shared(), s.is_cuda
    same(fn)


# ---- errors ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["typed_slice", "typed_index", "untyped_index", "negative_size", "too_many_args",
                                  "untyped_step", "untyped_negative", "untyped_huge", "typed_huge", "typed_overflow",
                                  "untyped_overflow"])
def test_errors(case):
    def fn(T):
        s = T.arange(4.0).storage()
        if case == "typed_slice":
            return s[0:2]
        if case == "typed_index":
            return s[4]
        if case == "untyped_index":
            return T.arange(4.0).untyped_storage()[16]
        if case == "negative_size":
            return T.FloatStorage(-1)
        if case == "too_many_args":
            return T.FloatStorage(2, 3)
        if case in ("untyped_negative", "untyped_huge", "untyped_overflow"):
            return T.UntypedStorage({"untyped_negative": -1, "untyped_huge": 10 ** 13, "untyped_overflow": 2 ** 63}[case])
        if case in ("typed_huge", "typed_overflow"):
            return T.FloatStorage(10 ** 13 if case == "typed_huge" else 2 ** 61)
        return T.arange(4.0).untyped_storage()[0:4:2]
    same(fn)
    if case != "untyped_step":
        same_message(fn)


# ---- pickling storages ---------------------------------------------------------------------------------------------
def _roundtrip(T, obj):
    buf = io.BytesIO()
    T.save(obj, buf)
    return T.load(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("what", ["typed", "untyped", "empty", "bool", "with_tensor"])
def test_save_and_load_storages(what):
    def fn(T):
        x = T.tensor(data(6))
        obj = {"typed": lambda: x.storage(), "untyped": lambda: x.untyped_storage(),
               "empty": lambda: T.FloatStorage(0), "bool": lambda: T.BoolStorage([True, False]),
               "with_tensor": lambda: [x[2:], x.storage()]}[what]()
        r = _roundtrip(T, obj)
        if what == "with_tensor":
            return r[0], _describe(r[1]), r[1].data_ptr() == r[0].untyped_storage().data_ptr()
        return _describe(r), str(r.dtype)
    same(fn)


@pytest.mark.parametrize("writer", ["torch", "torchlike"])
def test_storages_cross_library(writer):
    src = torch if writer == "torch" else torchlike
    x = src.tensor(data(5))
    buf = io.BytesIO()
    src.save({"s": x.storage(), "u": src.tensor([1, 2]).untyped_storage()}, buf)
    raw = buf.getvalue()
    same(lambda T: {k: _describe(v) for k, v in T.load(io.BytesIO(raw)).items()})


def test_saving_one_buffer_as_two_types_is_refused():
    def fn(T):
        x = T.arange(4.0)
        T.save([x.untyped_storage(), x], io.BytesIO())
    same(fn)
    same_message(fn)


@pytest.mark.parametrize("name", ["FloatStorage", "LongStorage", "BoolStorage", "BFloat16Storage"])
def test_cuda_legacy_classes(name):
    def fn(T):
        cls = getattr(T.cuda, name)
        return repr(cls), cls.__name__, str(cls.dtype), isinstance(T.ones(1).storage(), cls), \
            issubclass(cls, T.TypedStorage)
    same(fn)
    if not torch.cuda.is_available():
        same(lambda T: getattr(T.cuda, name)(2))


def test_storage_type_is_the_legacy_class():
    same(lambda T: [repr(T.ones(1, dtype=d).storage_type()) for d in (T.float32, T.int64, T.bool, T.complex128)])


@pytest.mark.parametrize("case", ["little", "big", "native", "count_offset", "untyped", "typed_int16", "typed_default"])
def test_from_buffer(case):
    raw = bytes(range(1, 17))

    def fn(T):
        if case in ("little", "big", "native"):
            s = T.FloatStorage.from_buffer(raw, case)
        elif case == "count_offset":
            s = T.IntStorage.from_buffer(raw, "little", count=2, offset=4)
        elif case == "untyped":
            s = T.UntypedStorage.from_buffer(raw, dtype=T.uint8)
        elif case == "typed_int16":
            s = T.TypedStorage.from_buffer(raw, "big", dtype=T.int16)
        else:
            s = T.TypedStorage.from_buffer(raw, "little")
        return type(s).__name__, str(getattr(s, "dtype", None)), s.tolist()
    same(fn)


@pytest.mark.parametrize("case", ["no_order", "bad_size", "untyped_no_dtype", "bad_order"])
def test_from_buffer_errors(case):
    def fn(T):
        if case == "no_order":
            return T.FloatStorage.from_buffer(bytes(8))
        if case == "bad_size":
            return T.FloatStorage.from_buffer(bytes(3), "little")
        if case == "untyped_no_dtype":
            return T.UntypedStorage.from_buffer(bytes(8))
        return T.FloatStorage.from_buffer(bytes(8), "middle")
    same(fn)
    same_message(fn)


_RUNNER_SCRIPT = '''
import io, warnings
import torch
from torch.serialization import StorageType, location_tag, get_default_mmap_options
from torch.storage import TypedStorage, UntypedStorage
warnings.simplefilter("ignore")
x = torch.arange(6.).reshape(2, 3)
s = x.storage()
print(isinstance(s, TypedStorage), isinstance(s, torch.FloatStorage), x.untyped_storage().nbytes(), len(s))
print(s)
print(location_tag(s), StorageType("LongStorage"), get_default_mmap_options())
buf = io.BytesIO(); torch.save({"s": s, "x": x}, buf)
r = torch.load(io.BytesIO(buf.getvalue()))
print(isinstance(r["s"], TypedStorage), r["x"].storage().tolist(), r["s"].data_ptr() == r["x"].data_ptr())
'''


def test_storages_under_the_runner(tmp_path):
    """``import torch.storage`` / ``torch.serialization`` names in an unmodified script (python -m torchlike)."""
    from test_runner import same_under_runner
    same_under_runner(tmp_path, _RUNNER_SCRIPT, ())


def test_deepcopy_of_storages():
    import copy

    def fn(T):
        x = T.arange(4.0)
        s = copy.deepcopy(x.storage())
        s[0] = 9.0
        u = copy.deepcopy(x.untyped_storage())
        loaded = copy.deepcopy(_roundtrip(T, x.storage()))
        return x, s.tolist(), u.nbytes(), loaded.tolist(), type(loaded).__name__
    same(fn)
