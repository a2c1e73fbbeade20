"""``torch.load`` reading storages into single buffers, ``mmap=True``, lying record sizes, and the
``torch.serialization`` switches (endianness, mmap flags, crc32) and helper names, against PyTorch.

Peak-memory numbers are measured by ``benchmarks/load_memory.py`` (not here: RSS is not a stable
assertion); these tests check values and behaviour.
"""
import io
import mmap
import struct
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch

import torchlike
from harness import assert_same, data, same, same_message


def _state(T):
    return {"w": T.tensor(data(64, 33)), "b": T.tensor(data(33, dtype=np.float64)),
            "i": T.tensor(data(17, dtype=np.int32, low=-50, high=50)), "h": T.tensor(data(9)).half(),
            "bf": T.tensor(data(5)).bfloat16(), "flag": T.tensor([True, False, True]),
            "c": T.tensor(data(4)) * (1 + 2j), "view": T.tensor(data(6, 4))[1:, ::2]}


def _saved_by(lib, obj_fn=_state, **kw):
    buf = io.BytesIO()
    lib.save(obj_fn(lib), buf, **kw)
    return buf.getvalue()


def _rezip(raw, drop=(), compress=None, replace=None):
    """The archive's records rewritten (some dropped, data records recompressed or replaced)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            name = info.filename
            if any(name.endswith(d) for d in drop):
                continue
            body = (replace or {}).get(name.split("/", 1)[1], src.read(info))
            dst.writestr(name, body, compress_type=compress if compress and "/data/" in name else zipfile.ZIP_STORED)
    return out.getvalue()


def _patch_size(raw, record, new, compressed_too=False):
    """Both zip headers of ``record`` declare ``new`` uncompressed (and maybe compressed) bytes."""
    raw = bytearray(raw)
    for sig, size_at, name_at, header in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = raw.find(sig)
        while pos != -1:
            n = struct.unpack("<H", raw[pos + name_at:pos + name_at + 2])[0]
            if bytes(raw[pos + header:pos + header + n]).endswith(record):
                raw[pos + size_at:pos + size_at + 4] = struct.pack("<I", new)
                if compressed_too:
                    raw[pos + size_at - 4:pos + size_at] = struct.pack("<I", new)
            pos = raw.find(sig, pos + 1)
    return bytes(raw)


def _declaring(raw, numel, compress=zipfile.ZIP_STORED):
    """A one-tensor checkpoint of 6 elements whose pickle declares ``numel`` (storage and size)."""
    pkl = zipfile.ZipFile(io.BytesIO(raw)).read("archive/data.pkl")
    pkl = pkl.replace(b"K\x06", b"J" + struct.pack("<i", numel))
    return _rezip(raw, compress=compress, replace={"data.pkl": pkl})


def load(T, raw, **kw):
    return T.load(io.BytesIO(raw), **kw)


# ---- reading storages -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", ["torch", "torchlike"])
def test_checkpoint_values_every_dtype(writer):
    raw = _saved_by(torch if writer == "torch" else torchlike)
    same(lambda T: load(T, raw))


def test_loaded_tensors_are_independent_of_the_file_buffer():
    raw = _saved_by(torch)
    got = load(torchlike, raw)
    got["w"].add_(1)
    got["view"].mul_(0)
    expected = load(torch, raw)
    expected["w"].add_(1)
    expected["view"].mul_(0)
    assert_same(expected, got)


def test_large_storage_shared_by_views():
    def fn(T):
        big = T.tensor(data(1 << 20, seed=3))
        buf = io.BytesIO()
        T.save({"a": big[10:], "b": big.view(1024, 1024)[3], "c": big}, buf)
        out = T.load(io.BytesIO(buf.getvalue()))
        out["c"][11] = 5.0
        return out["a"][:4], out["b"][:4], out["c"][:12]
    same(fn)


def test_crc32_disabled_file_from_pytorch_loads():
    prev = torch.serialization.get_crc32_options()
    torch.serialization.set_crc32_options(False)
    try:
        raw = _saved_by(torch)
    finally:
        torch.serialization.set_crc32_options(prev)
    assert zipfile.ZipFile(io.BytesIO(raw)).infolist()[0].CRC == 0
    same(lambda T: load(T, raw))


def test_deflated_records_load():
    raw = _rezip(_saved_by(torch), compress=zipfile.ZIP_DEFLATED)
    same(lambda T: load(T, raw))


def test_unsupported_compression_refused_as_pytorch():
    raw = _rezip(_saved_by(torch), compress=zipfile.ZIP_BZIP2)
    same(lambda T: load(T, raw))
    same_message(lambda T: load(T, raw))


def test_deflated_record_shorter_than_declared():
    raw = _rezip(_saved_by(torch, lambda T: {"a": T.arange(12.0)}), compress=zipfile.ZIP_DEFLATED,
                 replace={"data/0": np.arange(6, dtype=np.float32).tobytes()})
    raw = _patch_size(raw, b"data/0", 48)
    same(lambda T: load(T, raw))
    same_message(lambda T: load(T, raw))


def test_deflated_record_declaring_more_than_deflate_can_expand_is_refused_unallocated():
    """A 4 GB record declared by a few dozen deflated bytes: refused before a buffer of its size exists."""
    raw = _declaring(_saved_by(torch, lambda T: {"a": T.zeros(6)}), 1_000_000_000, zipfile.ZIP_DEFLATED)
    raw = _patch_size(raw, b"data/0", 4_000_000_000)
    same(lambda T: load(T, raw))
    same_message(lambda T: load(T, raw))


def test_stored_record_past_the_end_of_the_file_is_refused():
    raw = _declaring(_saved_by(torch, lambda T: {"a": T.zeros(6)}), 1_000_000_000)
    raw = _patch_size(raw, b"data/0", 4_000_000_000, compressed_too=True)
    same(lambda T: load(T, raw))
    with pytest.raises(RuntimeError, match="data/0"):
        load(torchlike, raw)


def test_corrupted_stored_record_fails_its_crc():
    raw = bytearray(_saved_by(torch, lambda T: {"a": T.arange(6.0)}))
    info = next(i for i in zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist() if i.filename.endswith("data/0"))
    n, m = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    raw[info.header_offset + 30 + n + m] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC"):
        load(torchlike, bytes(raw))


# ---- mmap=True -------------------------------------------------------------------------------------------------
def test_mmap_load_values(tmp_path):
    path = str(tmp_path / "m.pt")
    torch.save(_state(torch), path)
    same(lambda T: T.load(path, mmap=True))
    same(lambda T: T.load(path, mmap=True, weights_only=False))


def test_mmap_tensors_take_writes(tmp_path):
    path = str(tmp_path / "m.pt")
    torchlike.save(_state(torchlike), path)

    def fn(T):
        out = T.load(path, mmap=True)
        out["w"][0] = 7.0
        out["view"].add_(1)
        again = T.load(path, mmap=True)          # the file is unchanged by the writes
        return out["w"][:2], out["view"], again["w"][:2], again["view"]
    same(fn)


def test_mmap_of_a_compressed_file_reads_its_values(tmp_path):
    """PyTorch maps the compressed bytes as if stored (garbage values); torchlike inflates them."""
    path = tmp_path / "z.pt"
    path.write_bytes(_rezip(_saved_by(torch), compress=zipfile.ZIP_DEFLATED))
    assert_same(torch.load(str(path)), torchlike.load(str(path), mmap=True))


@pytest.mark.parametrize("kind", ["bytesio", "file"])
def test_mmap_needs_a_path(tmp_path, kind):
    path = tmp_path / "m.pt"
    torch.save(torch.arange(3.0), str(path))

    def fn(T):
        if kind == "bytesio":
            return T.load(io.BytesIO(path.read_bytes()), mmap=True)
        with open(path, "rb") as f:
            return T.load(f, mmap=True)
    same(fn)
    same_message(fn)


def test_mmap_shared_option(tmp_path):
    path = str(tmp_path / "m.pt")
    torch.save(_state(torch), path)

    def fn(T):
        with T.serialization.set_default_mmap_options(mmap.MAP_SHARED):
            inside = T.serialization.get_default_mmap_options()
            out = T.load(path, mmap=True)
        return inside, T.serialization.get_default_mmap_options(), out
    same(fn)


# ---- switches ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [None, "NATIVE", "LITTLE", "BIG"])
def test_load_endianness_of_a_file_without_byteorder(value):
    raw = _rezip(_saved_by(torch), drop=("byteorder",))

    def fn(T):
        S = T.serialization
        prev = S.get_default_load_endianness()
        S.set_default_load_endianness(None if value is None else getattr(S.LoadEndianness, value))
        try:
            return str(S.get_default_load_endianness()), load(T, raw)
        finally:
            S.set_default_load_endianness(prev)
    same(fn)


def test_load_endianness_record_wins():
    raw = _saved_by(torch)

    def fn(T):
        S = T.serialization
        S.set_default_load_endianness(S.LoadEndianness.BIG)
        try:
            return load(T, raw)
        finally:
            S.set_default_load_endianness(None)
    same(fn)


def test_load_endianness_enum():
    same(lambda T: [(repr(e), str(e), e.value) for e in T.serialization.LoadEndianness])
    same(lambda T: T.serialization.get_default_load_endianness())


@pytest.mark.parametrize("bad", ["big", 1, True])
def test_set_default_load_endianness_type_error(bad):
    same(lambda T: T.serialization.set_default_load_endianness(bad))
    same_message(lambda T: T.serialization.set_default_load_endianness(bad))


@pytest.mark.parametrize("bad", [3, "x", None])
def test_set_default_mmap_options_value_error(bad):
    same(lambda T: T.serialization.set_default_mmap_options(bad))
    same_message(lambda T: T.serialization.set_default_mmap_options(bad))


def test_mmap_options_default_and_set():
    def fn(T):
        S = T.serialization
        first = S.get_default_mmap_options()
        S.set_default_mmap_options(mmap.MAP_SHARED)
        shared = S.get_default_mmap_options()
        S.set_default_mmap_options(mmap.MAP_PRIVATE)
        return first, shared, S.get_default_mmap_options(), type(S.set_default_mmap_options(mmap.MAP_PRIVATE)).__name__
    same(fn)


def test_crc32_options():
    def fn(T):
        S = T.serialization
        first = S.get_crc32_options()
        S.set_crc32_options(False)
        off = S.get_crc32_options()
        S.set_crc32_options(True)
        return first, off, S.get_crc32_options()
    same(fn)


def test_crc32_off_file_from_torchlike_loads_in_both():
    torchlike.serialization.set_crc32_options(False)
    try:
        raw = _saved_by(torchlike)
    finally:
        torchlike.serialization.set_crc32_options(True)
    same(lambda T: load(T, raw))


# ---- helper names of torch.serialization ----------------------------------------------------------------------
def test_storage_type():
    same(lambda T: [(str(T.serialization.StorageType(n)), str(T.serialization.StorageType(n).dtype))
                    for n in ("FloatStorage", "LongStorage", "BoolStorage", "BFloat16Storage")])
    same(lambda T: T.serialization.StorageType("NoSuchStorage"))
    same_message(lambda T: T.serialization.StorageType("NoSuchStorage"))


def test_source_change_warning():
    same(lambda T: (issubclass(T.serialization.SourceChangeWarning, Warning), T.serialization.SourceChangeWarning.__name__))


class _Versioned:
    def __init__(self, name, version):
        self.__name__, self.__version__ = name, version


@pytest.mark.parametrize("version,req", [("1.26.4", (1, 0)), ("1.26.4", (2,)), ("2.0", (2, 0, 1)),
                                         ("1.26.4", (1, 26, 4)), ("abc", (1,)), ("1.x", (1, 2))])
def test_check_module_version_greater_or_equal(version, req):
    mod = _Versioned("mymod", version)
    same(lambda T: T.serialization.check_module_version_greater_or_equal(mod, req))
    if version in ("abc", "1.x"):
        same_message(lambda T: T.serialization.check_module_version_greater_or_equal(mod, req))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert torchlike.serialization.check_module_version_greater_or_equal(mod, req, False) is True
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            assert torch.serialization.check_module_version_greater_or_equal(mod, req, False) is True
        assert [str(w.message) for w in caught] == [str(w.message) for w in expected]


def test_location_tag_and_default_restore_location():
    def fn(T):
        S = T.serialization
        st = T.ones(2).storage()
        restored = S.default_restore_location(st, "cpu")
        return (S.location_tag(st), S.location_tag(T.ones(2).untyped_storage()), S.location_tag(T.ones(1)),
                restored.tolist())
    same(fn)


@pytest.mark.parametrize("case", ["unknown", "cuda", "tag_int", "hpu", "validate_cuda"])
def test_location_errors(case):
    def fn(T):
        S = T.serialization
        st = T.ones(2).untyped_storage()
        if case == "unknown":
            return S.default_restore_location(st, "nowhere")
        if case == "cuda":
            return S.default_restore_location(st, "cuda:0")
        if case == "tag_int":
            return S.location_tag(5)
        if case == "hpu":
            return S.validate_hpu_device("hpu:0")
        return S.validate_cuda_device("cuda:0")
    if case in ("cuda", "validate_cuda") and torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")      # PyTorch's error is about a missing device
    same(fn)
    same_message(fn)


def test_register_package_tags_and_restores():
    def fn(T):
        S = T.serialization
        seen = []

        def tagger(storage):
            seen.append("tag")
            return "mine" if storage.size() == 3 else None

        def deserializer(storage, location):
            return storage if location == "mine" else None
        S.register_package(5, tagger, deserializer)
        try:
            st = T.ones(3).storage()
            return S.location_tag(st), S.location_tag(T.ones(2).storage()), \
                S.default_restore_location(st, "mine").tolist(), len(seen)
        finally:
            for packages in (getattr(S, "_package_registry", None), getattr(S, "_PACKAGES", None)):
                if packages is not None:
                    packages[:] = [p for p in packages if tagger not in p]
    same(fn)


def test_normalize_storage_type():
    same(lambda T: [repr(T.serialization.normalize_storage_type(c)) for c in (T.FloatStorage, T.LongStorage)])
    same(lambda T: T.serialization.normalize_storage_type(T.UntypedStorage).__name__)


def test_storage_to_tensor_type_of_a_typed_storage():
    same(lambda T: T.serialization.storage_to_tensor_type(T.ones(2).storage()))


def test_mkdtemp():
    import os

    def fn(T):
        with T.serialization.mkdtemp() as d:
            existed = os.path.isdir(d)
            T.save(T.arange(3.0), os.path.join(d, "x.pt"))
            back = T.load(os.path.join(d, "x.pt"))
        return existed, os.path.exists(d), back
    same(fn)


class _Unsafe:
    pass


def test_get_unsafe_globals_in_checkpoint():
    import collections

    def fn(T):
        buf = io.BytesIO()
        T.save({"a": _Unsafe(), "f": print, "o": collections.OrderedDict(), "x": T.arange(3.0),
                "d": T.device("cpu"), "dt": T.float64}, buf)
        buf.seek(0)
        return sorted(T.serialization.get_unsafe_globals_in_checkpoint(buf))
    same(fn)


def test_get_unsafe_globals_respects_safe_globals():
    def fn(T):
        buf = io.BytesIO()
        T.save({"a": _Unsafe()}, buf)
        with T.serialization.safe_globals([_Unsafe]):
            inside = T.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
        return inside, T.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    same(fn)


@pytest.mark.parametrize("case", ["not_zip", "protocol4"])
def test_get_unsafe_globals_errors(case):
    def fn(T):
        if case == "not_zip":
            return T.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(b"abc"))
        buf = io.BytesIO()
        T.save({"x": T.arange(3.0)}, buf, pickle_protocol=4)
        return T.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    same(fn)
    same_message(fn)


# ---- saving: records streamed from the tensors' buffers -----------------------------------------------------------
def test_records_are_aligned_and_load_in_pytorch():
    raw = _saved_by(torchlike)
    z = zipfile.ZipFile(io.BytesIO(raw))
    for info in z.infolist():
        if "/data/" in info.filename:
            n, m = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + n + m) % 64 == 0, info.filename
    assert_same(load(torch, _saved_by(torch)), load(torch, raw))


def test_save_into_a_file_that_already_holds_bytes(tmp_path):
    """The archive's offsets count from where it starts, as PyTorch writes them: each library reads the other's."""
    for writer in (torch, torchlike):
        path = tmp_path / f"{writer.__name__}.bin"
        with open(path, "wb") as f:
            f.write(b"header")
            writer.save(_state(writer), f)

        def fn(T):
            with open(path, "rb") as f:
                f.read(6)
                return T.load(f)
        same(fn)


class _Stream:
    """A write-only, unseekable output."""

    def __init__(self):
        self.data = bytearray()

    def write(self, b):
        self.data += b
        return len(b)

    def flush(self):
        pass


def test_save_into_an_unseekable_stream():
    def fn(T):
        out = _Stream()
        T.save(_state(T), out)
        return T.load(io.BytesIO(bytes(out.data)))
    same(fn)


def test_save_of_a_non_contiguous_and_big_endian_free_dtypes_round_trips():
    def fn(T):
        x = T.tensor(data(8, 6))
        return _roundtrip_state(T, {"t": x.t(), "col": x[:, 1], "bf": x.bfloat16().t(), "b": x > 0})
    same(fn)


def _roundtrip_state(T, obj):
    buf = io.BytesIO()
    T.save(obj, buf)
    return T.load(io.BytesIO(buf.getvalue()))


def test_skip_data_save_writes_the_layout_only():
    def fn(T):
        with T.serialization.skip_data():
            buf = io.BytesIO()
            T.save({"a": T.arange(4.0) + 1, "b": T.ones(3, dtype=T.int64)}, buf)
        raw = buf.getvalue()
        sizes = sorted(i.file_size for i in zipfile.ZipFile(io.BytesIO(raw)).infolist() if "/data/" in i.filename)
        return sizes, T.load(io.BytesIO(raw))
    same(fn)


def test_skip_data_load_reads_no_storage():
    raw = _saved_by(torch, lambda T: {"a": T.arange(4.0) + 1})
    with torchlike.serialization.skip_data():
        got = load(torchlike, raw)
    assert got["a"].shape == (4,) and got["a"].dtype == torchlike.float32
    assert load(torchlike, raw)["a"].tolist() == [1.0, 2.0, 3.0, 4.0]       # the switch is off again


def test_skip_data_context():
    def fn(T):
        ctx = T.serialization.skip_data(materialize_fake_tensors=False)
        with ctx as value:
            with T.serialization.skip_data():
                pass
        return value, type(ctx).__name__
    same(fn)


def test_map_location_callable_receives_an_untyped_storage():
    raw = _saved_by(torch, lambda T: {"a": T.arange(3.0), "b": T.tensor([True, False])})

    def fn(T):
        seen = []

        def ml(storage, location):
            seen.append((isinstance(storage, T.UntypedStorage), T.is_storage(storage), storage.nbytes(),
                         storage.size(), str(storage.device), storage.tolist(), location,
                         str(storage.cpu().device), T.serialization.location_tag(storage)))
            return T.serialization.default_restore_location(storage, location)
        return T.load(io.BytesIO(raw), map_location=ml), sorted(seen)
    same(fn)


def test_skip_data_is_per_thread():
    import threading
    raw = _saved_by(torch, lambda T: {"a": T.arange(3.0) + 1})

    def fn(T):
        seen = []
        with T.serialization.skip_data():
            t = threading.Thread(target=lambda: seen.append(load(T, raw)["a"]))
            t.start()
            t.join()
        return seen
    same(fn)
