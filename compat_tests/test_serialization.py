"""torch.save / torch.load: files cross between PyTorch and torchlike in both directions.

Each case builds the same object in both libraries; the torchlike-written file
is loaded by PyTorch (and compared with PyTorch's own object), and the
PyTorch-written file is loaded by torchlike (and compared with PyTorch's
object through the harness).
"""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import torchlike
from harness import Raised, assert_same, data, run, same

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bytes(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf, **kw)
    buf.seek(0)
    return buf


def _tensors(T):
    return {
        "f32": T.tensor(data(3, 4)),
        "f64": T.tensor(data(2, 3, dtype=np.float64)),
        "f16": T.tensor(data(5)).half(),
        "bf16": T.tensor(data(2, 2)).bfloat16(),
        "i64": T.tensor(data(4, dtype=np.int64, low=-100, high=100)),
        "i32": T.tensor(data(4, dtype=np.int32, low=-100, high=100)),
        "i16": T.tensor(data(3, dtype=np.int16, low=-100, high=100)),
        "i8": T.tensor(data(3, dtype=np.int8, low=-100, high=100)),
        "u8": T.tensor(data(3, dtype=np.uint8, low=0, high=200)),
        "u16": T.tensor([1, 2, 65535], dtype=T.uint16),
        "u32": T.tensor([1, 2, 4000000000], dtype=T.uint32),
        "bool": T.tensor(data(2, 3, dtype=np.bool_)),
        "c64": T.complex(T.tensor(data(3)), T.tensor(data(3, seed=1))),
        "c128": T.complex(T.tensor(data(2, dtype=np.float64)), T.tensor(data(2, seed=1, dtype=np.float64))),
        "scalar": T.tensor(3.5),
        "empty": T.zeros(0, 3),
        "grad": T.tensor(data(3)).requires_grad_(),
        "param": T.nn.Parameter(T.tensor(data(2, 2))),
        "frozen_param": T.nn.Parameter(T.tensor(data(2)), requires_grad=False),
    }


def _views(T):
    x = T.tensor(data(4, 6))
    return [x, x[1:3, ::2], x.t(), x[2], x.view(24)[5:], x.narrow(1, 2, 3)]


OBJECTS = {
    "tensors": _tensors,
    "views": _views,
    "containers": lambda T: {"list": [T.ones(2), 1, 2.5, "s", None, True], "tuple": (T.zeros(1), (1, 2)),
                             "nested": {"a": {"b": [T.arange(3)]}}, "set": {1, 2}, "bytes": b"\x00ab",
                             "complex": 1 + 2j, "big": 2 ** 70, "od": collections.OrderedDict(z=1, a=2)},
    "meta": lambda T: [T.float32, T.bfloat16, T.int64, T.bool, T.device("cpu"), T.Size([2, 3])],
    "state_dict": lambda T: _linear(T).state_dict(),
    "module_params": lambda T: list(_linear(T).parameters()),
    "same_tensor_twice": lambda T: (lambda t: [t, t, {"again": t}])(T.ones(3)),
}


def _linear(T):
    m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4))
    m.load_state_dict({k: T.tensor(data(*v.shape, seed=i)) if v.is_floating_point() else v
                       for i, (k, v) in enumerate(m.state_dict().items())})
    return m


def _norm(obj):
    """Devices as strings (torch.device and torchlike.device do not compare equal to each other)."""
    if isinstance(obj, (torch.device, torchlike.device)):
        return ("device", str(obj))
    if isinstance(obj, dict):
        return type(obj)((k, _norm(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_norm(v) for v in obj]
    return obj


def _layouts(obj):
    """Strides and storage offsets of every tensor in a (possibly nested) object."""
    if isinstance(obj, (torch.Tensor, torchlike.Tensor)):
        return (tuple(obj.stride()), obj.storage_offset())
    if isinstance(obj, dict):
        return {k: _layouts(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_layouts(v) for v in obj]
    return None


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("name", list(OBJECTS))
def test_torchlike_file_loads_in_torch(name, weights_only):
    expected = OBJECTS[name](torch)
    # map_location: where JAX's default device is a GPU, torchlike's tensors (and so the file) are on cuda:0
    got = torch.load(_bytes(torchlike, OBJECTS[name](torchlike)), weights_only=weights_only, map_location="cpu")
    assert_same(expected, got, rtol=0, atol=0)
    assert _layouts(got) == _layouts(expected)
    assert type(got) is type(expected)


@pytest.mark.parametrize("name", list(OBJECTS))
def test_torch_file_loads_in_torchlike(name):
    expected = OBJECTS[name](torch)
    got = torchlike.load(_bytes(torch, expected))
    assert_same(_norm(expected), _norm(got), rtol=0, atol=0)
    assert _layouts(got) == _layouts(expected)
    assert type(got).__name__ == type(expected).__name__


def test_roundtrip_torchlike_only():
    obj = OBJECTS["tensors"](torchlike)
    got = torchlike.load(_bytes(torchlike, obj))
    assert_same(OBJECTS["tensors"](torch), got, rtol=0, atol=0)


def test_views_share_storage_after_load():
    # torch: a write through one loaded view is seen through the others
    for lib, writer in [(torch, torch), (torchlike, torch), (torch, torchlike), (torchlike, torchlike)]:
        x, v, xt, row, flat, nar = lib.load(_bytes(writer, _views(writer)))
        v[0, 0] = 100.0
        assert float(x[1, 0]) == 100.0 and float(xt[0, 1]) == 100.0, (lib.__name__, writer.__name__)
        row[1] = -7.0
        assert float(x[2, 1]) == -7.0 and float(flat[8]) == -7.0 and float(nar[2, 0] if False else x[2, 1]) == -7.0
    # the file holds one storage for all six views (in both writers)
    for lib in (torch, torchlike):
        names = zipfile.ZipFile(_bytes(lib, _views(lib))).namelist()
        assert sum("/data/" in n and ".data/" not in n for n in names) == 1


def test_loaded_tensors_are_leaves_with_requires_grad():
    for writer in (torch, torchlike):
        t = writer.tensor(data(3)).requires_grad_()
        got = torchlike.load(_bytes(writer, {"nonleaf": t * 2, "leaf": t}))
        assert got["nonleaf"].is_leaf and got["nonleaf"].requires_grad and got["nonleaf"].grad_fn is None
        got["leaf"].sum().backward()
        assert got["leaf"].grad is not None


def test_format_records_match_torch(tmp_path):
    """Same record names (prefix = file stem), 64-byte aligned storages, same small records."""
    files = {}
    for lib in (torch, torchlike):
        path = tmp_path / f"{lib.__name__}_model.pt"
        lib.save({"w": lib.ones(3), "b": lib.zeros(2)}, path)
        z = zipfile.ZipFile(path)
        files[lib] = z
        raw = path.read_bytes()
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename:      # the data starts after the local header's name and extra
                h = info.header_offset
                name_len, extra_len = struct.unpack("<HH", raw[h + 26:h + 30])
                assert (h + 30 + name_len + extra_len) % 64 == 0
    strip = lambda z: sorted(n.split("/", 1)[1] for n in z.namelist())  # noqa: E731
    assert strip(files[torch]) == strip(files[torchlike])
    assert files[torchlike].namelist()[0].startswith("torchlike_model/")
    for rec in ("byteorder", "version", ".format_version", ".storage_alignment"):
        a = files[torch].read(f"torch_model/{rec}")
        b = files[torchlike].read(f"torchlike_model/{rec}")
        assert a == b, rec


def test_paths_pathlib_and_file_objects(tmp_path):
    obj = {"x": torchlike.arange(5)}
    torchlike.save(obj, str(tmp_path / "a.pt"))
    torchlike.save(obj, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as f:
        torchlike.save(obj, f)
    for name in ("a.pt", "b.pt", "c.pt"):
        for loader, arg in [(torchlike.load, str(tmp_path / name)), (torchlike.load, tmp_path / name),
                            (torch.load, tmp_path / name)]:
            assert loader(arg)["x"].tolist() == [0, 1, 2, 3, 4]
        with open(tmp_path / name, "rb") as f:
            assert torchlike.load(f)["x"].tolist() == [0, 1, 2, 3, 4]


def test_load_does_not_import_torch(tmp_path):
    path = tmp_path / "from_torch.pt"
    sd = _linear(torch).state_dict()
    torch.save({"sd": sd, "views": _views(torch), "meta": [torch.float16, torch.Size([1]), torch.device("cpu")]},
               path)
    code = textwrap.dedent(f"""
        import sys
        import torchlike
        obj = torchlike.load({str(path)!r})
        obj2 = torchlike.load({str(path)!r}, weights_only=False)
        assert "torch" not in sys.modules, [m for m in sys.modules if m.split(".")[0] == "torch"]
        print(sorted(obj["sd"].keys()), obj["meta"])
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stderr
    assert "0.weight" in r.stdout and "torch.float16" in r.stdout


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_malicious_pickle_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "x": _Evil(marker)}, path)
    errors = {}
    for lib in (torch, torchlike):
        with pytest.raises(pickle.UnpicklingError) as info:
            lib.load(path)
        errors[lib] = str(info.value)
        assert not marker.exists()
    assert errors[torchlike].startswith("Weights only load failed.")
    assert "GLOBAL posix.system whose module posix is blocked" in errors[torchlike] or os.name != "posix"
    # a plain pickle stream inside the zip, written by hand (no torch involved), is refused the same way
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Evil(marker), protocol=2))
        z.writestr("archive/version", "3\n")
    for lib in (torch, torchlike):
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            lib.load(buf)
    assert not marker.exists()


class Point:
    def __init__(self, x=0):
        self.x = x


def test_unknown_global_and_add_safe_globals():
    for lib in (torch, torchlike):
        buf = _bytes(torch, {"p": Point(3), "t": torch.ones(1)})
        with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL test_serialization.Point"):
            lib.load(buf)
        buf.seek(0)
        assert lib.load(buf, weights_only=False)["p"].x == 3
        buf.seek(0)
        with lib.serialization.safe_globals([Point]):
            assert lib.load(buf)["p"].x == 3
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            lib.load(buf)
        lib.serialization.add_safe_globals([Point])
        try:
            buf.seek(0)
            assert lib.load(buf)["p"].x == 3
            assert Point in lib.serialization.get_safe_globals()
        finally:
            lib.serialization.clear_safe_globals()


MAP_LOCATIONS = [
    ("str", lambda T: "cpu"), ("device", lambda T: T.device("cpu")), ("dict", lambda T: {"cpu": "cpu"}),
    ("callable", lambda T: (lambda storage, loc: storage)), ("callable_cpu", lambda T: (lambda s, loc: s.cpu())),
    ("callable_none", lambda T: (lambda storage, loc: None)),
]


@pytest.mark.skipif(torchlike.cuda.is_available(), reason="torchlike's default device is the GPU there, torch's the CPU")
@pytest.mark.parametrize("name,make", MAP_LOCATIONS, ids=[m[0] for m in MAP_LOCATIONS])
def test_map_location(name, make):
    def f(T):
        obj = T.load(_bytes(T, {"a": T.tensor(data(3)), "v": T.tensor(data(4))[1:]}), map_location=make(T))
        return obj, str(obj["a"].device), obj["v"].storage_offset()
    same(f)


def test_map_location_errors():
    def f(T):
        return T.load(_bytes(T, T.ones(2)), map_location=3)
    same(f)
    if not torchlike.cuda.is_available():
        same(lambda T: T.load(_bytes(T, T.ones(2)), map_location="cuda:0"))


def test_corrupt_and_truncated_files(tmp_path):
    good = _bytes(torch, {"w": torch.ones(100)}).getvalue()
    cases = {"truncated": good[:300], "truncated_tail": good[:-30]}
    for name, payload in cases.items():
        p = tmp_path / f"{name}.pt"
        p.write_bytes(payload)
        expected = run(lambda T: T.load(p), torch)
        actual = run(lambda T: T.load(p), torchlike)
        assert isinstance(expected, Raised) and isinstance(actual, Raised), name
        assert type(actual.exc) is type(expected.exc), (name, expected, actual)
    # a missing storage record
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if "/data/" not in info.filename:
                dst.writestr(info.filename, src.read(info.filename))
    same(lambda T: T.load(io.BytesIO(buf.getvalue())))
    same(lambda T: T.load(tmp_path / "does_not_exist.pt"))


def test_legacy_format_is_refused_clearly():
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    with pytest.raises(RuntimeError, match="legacy"):
        torchlike.load(buf)


def test_optimizer_state_dict_crosses():
    """An optimizer's state_dict saved by one library resumes in the other with the same next step."""
    def run_steps(T, opt, ps, n, seed):
        for i in range(n):
            for j, p in enumerate(ps):
                p.grad = T.tensor(data(*p.shape, seed=seed + 10 * i + j))
            opt.step()

    def fresh(T):
        ps = [T.nn.Parameter(T.tensor(data(3, 2, seed=1))), T.nn.Parameter(T.tensor(data(2, seed=2)))]
        return ps, T.optim.Adam(ps, lr=0.1, amsgrad=True)

    for src, dst in [(torch, torchlike), (torchlike, torch)]:
        ps, opt = fresh(src)
        run_steps(src, opt, ps, 3, 100)
        buf = _bytes(src, {"opt": opt.state_dict(), "params": [p.detach() for p in ps]})
        loaded = dst.load(buf, map_location="cpu" if dst is torch else None)
        ps2 = [dst.nn.Parameter(t) for t in loaded["params"]]
        opt2 = dst.optim.Adam(ps2, lr=0.5)
        opt2.load_state_dict(loaded["opt"])
        run_steps(dst, opt2, ps2, 2, 200)
        run_steps(src, opt, ps, 2, 200)
        for a, b in zip(ps, ps2):
            np.testing.assert_allclose(np.asarray(b.detach().tolist()), np.asarray(a.detach().tolist()),
                                       rtol=1e-5, atol=1e-6)
        assert_same(opt.state_dict() if src is torch else opt2.state_dict(),
                    opt2.state_dict() if src is torch else opt.state_dict(), rtol=1e-5, atol=1e-6)


def test_module_state_dict_from_torch_file():
    m_torch = _linear(torch)
    buf = _bytes(torch, m_torch.state_dict())
    m = torchlike.nn.Sequential(torchlike.nn.Linear(3, 4), torchlike.nn.BatchNorm1d(4))
    m.load_state_dict(torchlike.load(buf))
    x = data(5, 3, seed=9)
    m.eval()
    m_torch.eval()
    np.testing.assert_allclose(m(torchlike.tensor(x)).detach().tolist(), m_torch(torch.tensor(x)).detach().tolist(),
                               rtol=1e-5, atol=1e-6)


def test_full_pickled_tensor_subclass_state_and_weights_only_false_module():
    for writer in (torch, torchlike):
        t = writer.ones(2)
        t.note = "hello"
        p = writer.nn.Parameter(writer.zeros(1))
        p.tag = 5
        got = torchlike.load(_bytes(writer, [t, p]))
        assert got[0].note == "hello" and got[1].tag == 5 and isinstance(got[1], torchlike.nn.Parameter)
        got = torch.load(_bytes(writer, [t, p]), map_location="cpu")
        assert got[0].note == "hello" and got[1].tag == 5 and isinstance(got[1], torch.nn.Parameter)


@pytest.mark.parametrize("case", ["missing", "unexpected", "shape", "bad_type"])
def test_load_state_dict_failure_leaves_module_unchanged(case):
    m = torchlike.nn.Sequential(torchlike.nn.Linear(3, 4), torchlike.nn.BatchNorm1d(4))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    ids = {k: id(v) for k, v in m.state_dict(keep_vars=True).items()}
    sd = {k: v + 1 for k, v in m.state_dict().items()}
    if case == "missing":
        del sd["1.running_var"]
    elif case == "unexpected":
        sd["extra"] = torchlike.ones(1)
    elif case == "shape":
        sd["1.weight"] = torchlike.ones(5)
    else:
        sd["0.bias"] = [1.0, 2.0, 3.0, 4.0]
    for assign in (False, True):
        with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Sequential"):
            m.load_state_dict(sd, assign=assign)
        after = m.state_dict(keep_vars=True)
        assert {k: id(v) for k, v in after.items()} == ids
        for k, v in before.items():
            assert after[k].tolist() == v.tolist(), k
    # non-strict loading of what matches still works, and a good load changes everything
    m.load_state_dict({k: v for k, v in sd.items() if k == "0.weight"}, strict=False)
    assert m.state_dict()["0.weight"].tolist() == (before["0.weight"] + 1).tolist()


def test_save_errors_write_nothing(tmp_path):
    path = tmp_path / "x.pt"
    with pytest.raises(Exception):
        torchlike.save({"f": lambda: 1}, path)
    assert not path.exists()


def test_whole_module_pickle_weights_only_false():
    """torch.save(model) pickles the module's classes: torchlike resolves torch.nn.* to torchlike.nn.*."""
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    got = torchlike.load(_bytes(torch, m), weights_only=False)
    assert type(got) is torchlike.nn.Sequential and type(got[0]) is torchlike.nn.Linear
    x = data(4, 2)
    np.testing.assert_allclose(got(torchlike.tensor(x)).detach().tolist(), m(torch.tensor(x)).detach().tolist(),
                               rtol=1e-6, atol=1e-6)
    with pytest.raises(pickle.UnpicklingError):
        torchlike.load(_bytes(torch, m))


def _relocated(payload, location):
    """A copy of a saved file whose storages claim to live on ``location`` (as if saved from a GPU)."""
    src = zipfile.ZipFile(io.BytesIO(payload))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            raw = src.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                new = location.encode()
                raw = raw.replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(new)) + new)
            dst.writestr(info.filename, raw)
    return buf.getvalue()


@pytest.mark.skipif(torchlike.cuda.is_available(), reason="checks the CPU-only behaviour")
def test_gpu_saved_file_on_cpu_machine():
    for writer in (torch, torchlike):
        payload = _relocated(_bytes(writer, {"w": writer.tensor(data(3)), "v": writer.tensor(data(4))[1:]}).getvalue(),
                             "cuda:0")
        same(lambda T: T.load(io.BytesIO(payload)))      # RuntimeError: CUDA not available
        for ml in ("cpu", {"cuda:0": "cpu"}, lambda T: (lambda storage, loc: storage.cpu())):
            def f(T):
                got = T.load(io.BytesIO(payload), map_location=ml(T) if callable(ml) else ml)
                return got, str(got["w"].device)
            same(f)


def test_big_endian_records():
    """A file written on a big-endian machine (byteorder record 'big') loads with the right values."""
    obj = {"f": torch.tensor(data(3)), "i": torch.tensor([1, -2, 300]), "b": torch.tensor([True, False]),
           "h": torch.tensor(data(2)).half(), "c": torch.tensor([1 + 2j])}
    src = zipfile.ZipFile(_bytes(torch, obj))
    sizes = {}
    for k, v in obj.items():
        sizes[k] = v.element_size() if not v.is_complex() else v.element_size() // 2
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as dst:
        keys = list(obj)
        for info in src.infolist():
            raw = src.read(info.filename)
            if info.filename.endswith("/byteorder"):
                raw = b"big"
            elif "/data/" in info.filename and ".data/" not in info.filename:
                n = sizes[keys[int(info.filename.rsplit("/", 1)[1])]]
                raw = np.frombuffer(raw, dtype=f"<u{n}" if n > 1 else "u1").astype(f">u{n}" if n > 1 else "u1").tobytes()
            dst.writestr(info.filename, raw)
    same(lambda T: T.load(io.BytesIO(payload.getvalue())))
    assert_same(obj, torchlike.load(io.BytesIO(payload.getvalue())), rtol=0, atol=0)
