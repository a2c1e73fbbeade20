"""Hostile checkpoints: what ``torch.load(weights_only=True)`` (the default) refuses.

Every file here is written by hand in the test (pickle opcodes and ``zipfile``),
loaded by PyTorch and by torchlike, and must give the same outcome: the same
exception type where PyTorch refuses it, the same object where PyTorch accepts
it.  After each hostile file, legitimate checkpoints must still load with their
exact values and dtypes (a refused file must not have changed anything first).
"""
import io
import os
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
import torch

import torchlike
from harness import Raised, assert_same, data, run, same, same_message


# ---- writing pickles by hand ---------------------------------------------------------------
def G(module, name):                      # GLOBAL
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def S(s):                                 # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def I(n):                                 # BININT1 / BININT / LONG1
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -2 ** 31 <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b


def T(*items):                            # MARK ... TUPLE
    return b"(" + b"".join(items) + b"t"


def D(**kv):                              # EMPTY_DICT MARK ... SETITEMS
    return b"}(" + b"".join(S(k) + v for k, v in kv.items()) + b"u"


PROTO, STOP, BUILD, REDUCE, NEWOBJ = b"\x80\x02", b".", b"b", b"R", b"\x81"
NONE, TRUE, FALSE = b"N", b"\x88", b"\x89"
FLOAT_STORAGE = G("torch", "FloatStorage")


def call(func, *args):
    return func + T(*args) + REDUCE


def od():
    return call(G("collections", "OrderedDict"))


def pid(stype, key, numel):
    return T(S("storage"), stype, key if isinstance(key, bytes) else S(key), S("cpu"), I(numel)) + b"Q"


def tensor(offset=0, size=(6,), stride=(1,), numel=6, key="0"):
    return call(G("torch._utils", "_rebuild_tensor_v2"), pid(FLOAT_STORAGE, key, numel), I(offset),
                T(*map(I, size)), T(*map(I, stride)), FALSE, od())


SIX = np.arange(6, dtype=np.float32).tobytes()


def checkpoint(body, records=(("archive/data/0", SIX),), compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", PROTO + body + STOP)
        z.writestr("archive/byteorder", "little")
        for name, raw in records:
            z.writestr(name, raw, compress_type=compress)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def load(lib, raw, **kw):
    return lib.load(io.BytesIO(raw), **kw)


def peak_bytes(fn, *args):
    """Peak Python/numpy allocation (tracemalloc) while ``fn(*args)`` runs; what it raises propagates."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(lib, raw):
    with pytest.raises(RuntimeError):
        load(lib, raw, weights_only=True)


# ---- what must keep holding after every hostile file -------------------------------------------
def _legit(lib):
    return {"f32": lib.tensor(data(3, 4)), "f64": lib.tensor(data(2, 3, dtype=np.float64)),
            "i32": lib.tensor(data(5, dtype=np.int32, low=-100, high=100)),
            "i64": lib.arange(6).reshape(2, 3), "bool": lib.tensor([True, False]),
            "view": lib.arange(12.0).reshape(3, 4)[1:, ::2], "dev": lib.device("cpu"), "size": lib.Size([2, 3])}


_TORCH_FILE = None


def _same_checkpoint(expected, got):
    """Tensors through the harness; devices by their repr (the two libraries' device classes differ)."""
    assert repr(got.pop("dev")) == repr(expected.pop("dev"))
    assert_same(expected, got)


def assert_legit_loads_unaffected():
    global _TORCH_FILE
    if _TORCH_FILE is None:
        buf = io.BytesIO()
        torch.save(_legit(torch), buf)
        _TORCH_FILE = buf.getvalue()
    _same_checkpoint(_legit(torch), torchlike.load(io.BytesIO(_TORCH_FILE)))
    buf = io.BytesIO()
    torchlike.save(_legit(torchlike), buf)
    _same_checkpoint(_legit(torch), torch.load(io.BytesIO(buf.getvalue())))
    _same_checkpoint(_legit(torch), torchlike.load(io.BytesIO(buf.getvalue())))
    # the library objects a gadget would aim at
    assert torchlike.float32.itemsize == 4 and torchlike.int32.itemsize == 4
    assert torchlike.serialization._STORAGE_TYPES["FloatStorage"].dtype is torchlike.float32
    assert repr(torchlike.device("cpu")) == "device(type='cpu')"
    assert "__add__" not in vars(torchlike.Tensor) or vars(torchlike.Tensor)["__add__"] is _TENSOR_ADD
    assert torchlike.tensor([1.0]) + torchlike.tensor([2.0]) == torchlike.tensor([3.0])


_TENSOR_ADD = vars(torchlike.Tensor).get("__add__")


# ---- the corpus: PyTorch refuses each of these -------------------------------------------------
def _slots(**kv):
    return T(NONE, D(**kv))


REFUSED = {
    # state setting on shared library objects (BUILD)
    "storage_type_dtype": FLOAT_STORAGE + D(dtype=G("torch", "int32")) + BUILD,
    "storage_type_slots": FLOAT_STORAGE + _slots(dtype=G("torch", "int32")) + BUILD,
    "dtype_itemsize": G("torch", "float32") + D(itemsize=I(1)) + BUILD,
    "dtype_itemsize_slots": G("torch", "float32") + _slots(itemsize=I(1)) + BUILD,
    "tensor_class_add": G("torch", "Tensor") + _slots(__add__=G("collections", "OrderedDict")) + BUILD,
    "device_class_repr": G("torch", "device") + _slots(__repr__=G("collections", "OrderedDict")) + BUILD,
    "size_class": G("torch", "Size") + _slots(__len__=G("collections", "OrderedDict")) + BUILD,
    "rebuild_function": G("torch._utils", "_rebuild_tensor_v2") + _slots(__code__=NONE) + BUILD,
    "ordered_dict_class": G("collections", "OrderedDict") + _slots(__repr__=NONE) + BUILD,
    "device_instance": call(G("torch", "device"), S("cpu")) + D(type=S("cuda")) + BUILD,
    "set_instance": call(G("builtins", "set")) + D(x=I(1)) + BUILD,
    "complex_instance": call(G("builtins", "complex"), I(1), I(2)) + D(x=I(1)) + BUILD,
    "int": I(3) + D(x=I(1)) + BUILD,
    "str": S("a") + D(x=I(1)) + BUILD,
    "dict": D() + D(x=I(1)) + BUILD,
    "list": b"]" + D(x=I(1)) + BUILD,
    "tensor_state_dict": tensor() + D(foo=I(1)) + BUILD,
    "tensor_state_tuple": tensor() + _slots(foo=I(1)) + BUILD,
    "parameter_state": call(G("torch._utils", "_rebuild_parameter"), tensor(), TRUE, od()) + D(foo=I(1)) + BUILD,
    "ordered_dict_slot_state": od() + _slots(x=I(1)) + BUILD,
    # state through the rebuild functions
    "rebuild_from_type_device": call(G("torch._tensor", "_rebuild_from_type_v2"), G("torch", "device"),
                                     G("torch", "Tensor"), T(S("cpu")), D(type=S("cuda"))),
    "rebuild_from_type_ordered_dict": call(G("torch._tensor", "_rebuild_from_type_v2"),
                                           G("collections", "OrderedDict"), G("torch", "Tensor"), T(), D(x=I(1))),
    "rebuild_v3_dtype_not_dtype": call(G("torch._utils", "_rebuild_tensor_v3"),
                                       pid(G("torch.storage", "UntypedStorage"), "0", 24), I(0), T(I(6)), T(I(1)),
                                       FALSE, od(), I(3)),
    # calls and instantiation
    "reduce_on_instance": call(od()),
    "reduce_dtype": call(G("torch", "float32")),
    "reduce_storage_type": call(FLOAT_STORAGE, I(3)),
    "newobj_storage_type": FLOAT_STORAGE + T() + NEWOBJ,
    "newobj_dtype": G("torch", "float32") + T() + NEWOBJ,
    # code execution and globals outside the allow-list
    "os_system": call(G("os", "system"), S("echo pwned")),
    "posix_system": call(G("posix", "system"), S("echo pwned")),
    "builtins_eval": call(G("builtins", "eval"), S("1")),
    "builtins_getattr": call(G("builtins", "getattr"), G("torch", "Tensor"), S("__add__")),
    "subprocess": call(G("subprocess", "check_output"), T(S("true"))),
    "torch_function": call(G("torch", "zeros"), I(3)),
    "unknown_module": G("foo.bar", "Baz"),
    "dtype_attribute_path": G("torch", "float32.__class__"),
    # opcodes a checkpoint never needs
    "inst": b"(icollections\nOrderedDict\n",
    "obj": b"(" + G("collections", "OrderedDict") + b"o",
    "ext1": b"\x82\x01",
    "newobj_ex": G("collections", "OrderedDict") + T() + D() + b"\x92",
    "stack_global": S("collections") + S("OrderedDict") + b"\x93",
    "text_persid": b"P0\n",
    "frozenset": b"(K\x01\x91",
    "binbytes": b"C\x03abc",
    "text_int": b"I12\n",
    "pop": I(1) + b"0" + I(2),
    # persistent ids
    "persistent_id_str": S("x") + b"Q",
    "persistent_id_short": T(S("storage"), FLOAT_STORAGE) + b"Q",
    "persistent_id_dtype_as_storage": T(S("storage"), G("torch", "float32"), S("0"), S("cpu"), I(6)) + b"Q",
    "persistent_id_int_as_storage": T(S("storage"), I(3), S("0"), S("cpu"), I(6)) + b"Q",
    "persistent_id_unhashable_key": call(G("torch._utils", "_rebuild_tensor_v2"), pid(FLOAT_STORAGE, b"]", 6), I(0),
                                         T(I(6)), T(I(1)), FALSE, od()),
    # lying sizes: the tensor does not fit its storage, or its record
    "size_past_storage": tensor(size=(10,)),
    "offset_past_storage": tensor(offset=5, size=(2,)),
    "stride_past_storage": tensor(size=(3, 2), stride=(3, 1)),
    "numel_larger_than_record": tensor(numel=100),
    "numel_smaller_than_record": tensor(numel=2, size=(2,)),
    "negative_stride": tensor(stride=(-1,)),
    "negative_size": tensor(size=(-1,)),
    "negative_offset": tensor(offset=-1, size=(2,)),
    "size_stride_lengths_differ": tensor(size=(2, 3), stride=(1,)),
    "numel_overflow": tensor(size=(2 ** 62, 2 ** 62), stride=(0, 0)),
    "missing_record": tensor(key="7"),
    "path_traversal_to_host_file": tensor(key="../../../../../../etc/passwd"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_file_refused(name):
    raw = checkpoint(REFUSED[name])
    expected = run(lambda T: load(T, raw, weights_only=True), torch)
    assert isinstance(expected, Raised), f"PyTorch accepted {name}: the case does not test a refusal"
    same(lambda T: load(T, raw, weights_only=True))
    same(lambda T: load(T, raw))                          # weights_only=True is the default
    assert_legit_loads_unaffected()


@pytest.mark.parametrize("name", ["storage_type_dtype", "dtype_itemsize", "int", "device_class_repr",
                                  "os_system", "ext1", "size_past_storage", "persistent_id_str"])
def test_refusal_messages_are_pytorchs(name):
    raw = checkpoint(REFUSED[name])
    same_message(lambda T: load(T, raw, weights_only=True))


def test_code_execution_never_runs(tmp_path):
    marker = tmp_path / "ran"
    for body in (call(G("os", "system"), S(f"touch {marker}")),
                 call(G("subprocess", "call"), T(S("touch"), S(str(marker)))),
                 call(G("builtins", "exec"), S(f"open({str(marker)!r}, 'w').close()"))):
        with pytest.raises(Exception):
            load(torchlike, checkpoint(body), weights_only=True)
        assert not marker.exists()


# ---- files PyTorch accepts: the same result, and nothing else changed ----------------------------------
class Plain:
    pass


class WithSetstate:
    def __setstate__(self, state):
        self.got = state


class Slotted:
    __slots__ = ("a",)


ACCEPTED = {
    "ordered_dict_state": od() + D(x=I(1)) + BUILD,
    "counter_state": call(G("collections", "Counter")) + D(x=I(1)) + BUILD,
    "newobj_ordered_dict": G("collections", "OrderedDict") + T() + NEWOBJ,
    "newobj_set": G("builtins", "set") + T() + NEWOBJ,
    "newobj_device": G("torch", "device") + T(S("cpu")) + NEWOBJ,
    "newobj_tensor": G("torch", "Tensor") + T() + NEWOBJ,
    "rebuild_from_type_state": call(G("torch._tensor", "_rebuild_from_type_v2"),
                                    G("torch._utils", "_rebuild_tensor_v2"), G("torch", "Tensor"),
                                    T(pid(FLOAT_STORAGE, "0", 6), I(0), T(I(6)), T(I(1)), FALSE, od()),
                                    D(foo=I(1))),
    "stride0_zero_size_offset": tensor(offset=100, size=(0,)),
    "int_key": call(G("torch._utils", "_rebuild_tensor_v2"), pid(FLOAT_STORAGE, I(0), 6), I(0), T(I(6)), T(I(1)),
                    FALSE, od()),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_file_same_result(name):
    raw = checkpoint(ACCEPTED[name])

    def loaded(T):
        obj = load(T, raw, weights_only=True)
        return repr(obj) if isinstance(obj, T.device) else obj     # device classes differ between the libraries

    same(loaded)
    assert_legit_loads_unaffected()


def test_rebuild_from_type_state_sets_the_tensors_own_attribute():
    raw = checkpoint(ACCEPTED["rebuild_from_type_state"])
    for lib in (torch, torchlike):
        t = load(lib, raw)
        assert t.foo == 1 and not hasattr(lib.Tensor, "foo")


@pytest.mark.parametrize("case", ["plain", "plain_slots", "setstate", "slotted", "class_itself"])
def test_allowlisted_user_class_state(case):
    m = __name__
    body = {"plain": G(m, "Plain") + T() + NEWOBJ + D(x=I(1)) + BUILD,
            "plain_slots": G(m, "Plain") + T() + NEWOBJ + _slots(x=I(1)) + BUILD,
            "setstate": G(m, "WithSetstate") + T() + NEWOBJ + D(x=I(1)) + BUILD,
            "slotted": G(m, "Slotted") + T() + NEWOBJ + _slots(a=I(1)) + BUILD,
            "class_itself": G(m, "Plain") + _slots(x=I(1)) + BUILD}[case]
    raw = checkpoint(body)

    def attrs(T):
        with T.serialization.safe_globals([Plain, WithSetstate, Slotted]):
            obj = load(T, raw, weights_only=True)
        return type(obj).__name__, getattr(obj, "x", None), getattr(obj, "got", None), getattr(obj, "a", None)

    same(attrs)
    assert not hasattr(Plain, "x")
    # without the allow-list the class cannot even be named
    same(lambda T: load(T, raw, weights_only=True))


# ---- sizes: huge views, zip bombs, compressed and lying records ----------------------------------------
def test_stride0_huge_view_loads_without_allocating():
    raw = checkpoint(tensor(size=(2_000_000_000,), stride=(0,)))
    assert peak_bytes(load, torchlike, raw) < 10 * 2 ** 20
    t = load(torchlike, raw, weights_only=True)
    ref = load(torch, raw, weights_only=True)
    assert tuple(t.shape) == tuple(ref.shape) and t.stride() == ref.stride() and t.dtype == torchlike.float32
    assert t._storage.array.size == 6        # the file's 24 bytes, not 2e9 elements


def test_zip_bomb_record_is_never_inflated():
    bomb = checkpoint(tensor(), records=(("archive/data/0", bytes(32 * 2 ** 20)),), compress=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 2 ** 20
    same(lambda T: load(T, bomb, weights_only=True))
    same_message(lambda T: load(T, bomb, weights_only=True))
    assert peak_bytes(refused, torchlike, bomb) < 4 * 2 ** 20
    assert_legit_loads_unaffected()


def test_compressed_records_load():
    raw = checkpoint(tensor(), compress=zipfile.ZIP_DEFLATED)
    same(lambda T: load(T, raw, weights_only=True))


def test_record_expanding_past_its_declared_size_is_not_read_past_it():
    """A deflated record whose header declares 24 bytes but whose stream inflates to 32 MiB: neither library
    reads more than the 24 bytes (PyTorch returns them, unchecked; torchlike refuses the record, whose CRC
    cannot match: docs/differences.md)."""
    raw = bytearray(checkpoint(tensor(), records=(("archive/data/0", bytes(32 * 2 ** 20)),),
                               compress=zipfile.ZIP_DEFLATED))
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = raw.find(sig)
        while pos != -1:
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            header = 30 if sig == b"PK\x03\x04" else 46
            n = struct.unpack("<H", raw[pos + name_len_at:pos + name_len_at + 2])[0]
            if bytes(raw[pos + header:pos + header + n]) == b"archive/data/0":
                raw[pos + size_at:pos + size_at + 4] = struct.pack("<I", 24)
            pos = raw.find(sig, pos + 1)
    raw = bytes(raw)
    assert tuple(load(torch, raw, weights_only=True).shape) == (6,)
    assert peak_bytes(refused, torchlike, raw) < 4 * 2 ** 20


def test_record_names_are_archive_names_not_paths(tmp_path):
    """A key with ``..`` names a record inside the archive (as in PyTorch), never a file on disk."""
    outside = tmp_path / "secret"
    outside.write_bytes(SIX)
    raw = checkpoint(tensor(key="../data.pkl"), records=(("archive/data/../data.pkl", SIX),))
    same(lambda T: load(T, raw, weights_only=True))
    absolute = checkpoint(tensor(key=str(outside)))
    same(lambda T: load(T, absolute, weights_only=True))
    relative = checkpoint(tensor(key="../" * 12 + str(outside).lstrip("/")))
    same(lambda T: load(T, relative, weights_only=True))


# ---- saving -----------------------------------------------------------------------------------------------
def test_save_into_missing_directory(tmp_path):
    path = str(tmp_path / "missing" / "a.pt")
    same_message(lambda T: T.save(T.ones(2), path))
    assert not os.path.exists(os.path.dirname(path))


def test_save_onto_a_directory(tmp_path):
    same(lambda T: T.save(T.ones(2), str(tmp_path)))
