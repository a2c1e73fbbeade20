"""c10d stores (issue 14): the same operations on PyTorch's and torchlike's HashStore, FileStore,
TCPStore and PrefixStore give the same results and raise the same exception types (and messages
where PyTorch's are stable); blocking get/wait time out; TCPStore and FileStore across processes."""
import contextlib
import datetime
import os
import subprocess
import sys
import textwrap
import threading

import pytest
import torch.distributed as tdist

import torchlike.distributed as ldist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHORT = datetime.timedelta(milliseconds=200)


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - compared below
        return ("raised", type(e).__name__, str(e).splitlines()[0] if str(e) else "")


def script(D, s, kind):
    """A sequence of store operations; every return value and exception recorded."""
    out = []
    r = lambda fn: out.append(outcome(fn))  # noqa: E731
    r(lambda: s.set("a", "x"))
    r(lambda: s.get("a"))
    r(lambda: s.set("b", b"y\x00\xff"))
    r(lambda: s.get("b"))
    r(lambda: s.set("u", "h\u00e9llo"))
    r(lambda: s.get("u"))
    r(lambda: s.set(b"bk", "1"))
    r(lambda: s.get("bk"))
    r(lambda: s.set(1, "x"))
    r(lambda: s.set("c", 3))
    r(lambda: s.set("c", None))
    r(lambda: s.add("n", 3))
    r(lambda: s.get("n"))
    r(lambda: s.add("n", -5))
    r(lambda: s.add("n", 0))
    r(lambda: s.add("n", 1.5))
    r(lambda: s.add("n", "1"))
    r(lambda: s.add("n", 2 ** 64))
    r(lambda: (s.set("w", " 7x"), s.add("w", 1)))
    if kind != "tcp":   # PyTorch's TCPStore server drops the connection here
        r(lambda: s.add("a", 1))
    r(lambda: s.compare_set("z", "", "v"))
    r(lambda: s.get("z"))
    r(lambda: s.compare_set("q", "x", "v"))
    r(lambda: s.check(["q"]))
    r(lambda: s.compare_set("z", "v", "w"))
    r(lambda: s.compare_set("z", "nope", "u"))
    r(lambda: s.compare_set("z", b"w", b"u"))
    r(lambda: s.delete_key("z"))
    r(lambda: s.delete_key("z"))
    r(lambda: s.check(["a", "b"]))
    r(lambda: s.check(["a", "nope"]))
    r(lambda: s.check("a"))
    r(lambda: s.append("ap", "x"))
    r(lambda: s.append("ap", b"y"))
    r(lambda: s.get("ap"))
    r(lambda: s.multi_set(["m1", "m2"], ["1", b"2"]))
    r(lambda: s.multi_get(["m1", "m2", "a"]))
    r(lambda: s.multi_get([]))
    r(lambda: s.has_extended_api())
    r(lambda: s.num_keys())
    r(lambda: sorted(s.list_keys()) if kind != "file" else None)
    r(lambda: s.wait(["a", "m1"]))
    r(lambda: s.wait("a"))
    r(lambda: s.wait(["a"], None))
    r(lambda: s.set_timeout(5))
    r(lambda: s.timeout)
    r(lambda: s.set_timeout(SHORT))
    r(lambda: s.timeout)
    r(lambda: s.get("missing"))
    r(lambda: s.wait(["missing"]))
    r(lambda: s.wait(["a", "missing"], datetime.timedelta(milliseconds=100)))
    r(lambda: s.multi_get(["a", "missing"]))
    r(lambda: s.queue_push("qq", "v1"))
    r(lambda: s.queue_push("qq", b"v2"))
    r(lambda: s.queue_len("qq"))
    r(lambda: s.queue_len("none"))
    r(lambda: s.queue_pop("qq"))
    r(lambda: s.queue_pop("qq", block=False))
    r(lambda: s.queue_pop("qq", block=False))
    r(lambda: s.queue_pop("qq"))
    r(lambda: type(s.clone()).__name__)
    r(lambda: s.clone().get("n"))
    return out


def make(D, kind, path):
    if kind == "hash":
        return D.HashStore()
    if kind == "file":
        return D.FileStore(path, 1)
    if kind == "tcp":
        return D.TCPStore("127.0.0.1", 0, 1, True, timeout=datetime.timedelta(seconds=10))
    return D.PrefixStore("pre", D.HashStore())


def canon(results):
    # Both libraries name their errors alike; torch's come from torch.distributed, ours from torchlike.
    return [tuple(x) for x in results]


@pytest.mark.parametrize("kind", ["hash", "file", "tcp", "prefix"])
def test_store_ops_match(kind, tmp_path):
    ref = script(tdist, make(tdist, kind, str(tmp_path / "torch_store")), kind)
    got = script(ldist, make(ldist, kind, str(tmp_path / "torchlike_store")), kind)
    assert len(ref) == len(got)
    for i, (a, b) in enumerate(zip(canon(ref), canon(got))):
        if a[0] == "raised" and a[1] == "TypeError":
            assert b[:2] == a[:2], (i, a, b)        # pybind's message names its own classes
        else:
            assert a == b, (i, a, b)


def test_prefix_store_keys():
    for D in (tdist, ldist):
        base = D.HashStore()
        base.set("other", "1")
        p = D.PrefixStore("p", base)
        p.set("k", "v")
        assert base.get("p/k") == b"v"
        assert p.list_keys() == ["k"]
        assert p.num_keys() == 2
        assert p.underlying_store is base
        pp = D.PrefixStore("q", p)
        pp.add("z", 2)
        assert base.get("p/q/z") == b"2"
        assert pp._underlying_non_prefix_store is base
        p.set_timeout(datetime.timedelta(seconds=7))
        assert base.timeout == datetime.timedelta(seconds=7)
        assert outcome(lambda: D.PrefixStore("x", 5))[1] == "TypeError"


def test_exception_classes():
    assert issubclass(ldist.DistStoreError, ldist.DistError)
    assert issubclass(ldist.DistStoreError, RuntimeError)
    for name in ("Store", "HashStore", "FileStore", "TCPStore", "PrefixStore"):
        assert issubclass(getattr(ldist, name), ldist.Store)


def test_hash_store_add_from_threads():
    for D in (tdist, ldist):
        s = D.HashStore()
        threads = [threading.Thread(target=lambda: [s.add("c", 1) for _ in range(200)]) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert s.get("c") == b"800"


def test_hash_store_wait_unblocks_on_set():
    s = ldist.HashStore()
    s.set_timeout(datetime.timedelta(seconds=20))
    t = threading.Thread(target=lambda: s.set("late", "1"))
    got = []
    waiter = threading.Thread(target=lambda: got.append(s.get("late")))
    waiter.start()
    t.start()
    waiter.join()
    t.join()
    assert got == [b"1"]


def test_tcp_store_port_in_use_and_unreachable():
    for D in (tdist, ldist):
        m = D.TCPStore("127.0.0.1", 0, None, True, timeout=datetime.timedelta(seconds=5))
        assert m.port > 0 and m.host == "127.0.0.1" and m.libuvBackend is True
        again = outcome(lambda: D.TCPStore("127.0.0.1", m.port, 1, True, timeout=datetime.timedelta(seconds=2)))
        assert again[:2] == ("raised", "DistNetworkError")
        assert "EADDRINUSE" in again[2]
        c = D.TCPStore("127.0.0.1", m.port, None, False, timeout=datetime.timedelta(seconds=5))
        c.set("k", "v")
        assert m.get("k") == b"v"
        assert c.num_keys() == 1 and m.list_keys() == ["k"]
        # nothing listens on a fresh port: the client gives up after its timeout
        import socket
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
        probe.close()
        lost = outcome(lambda: D.TCPStore("127.0.0.1", free, 2, False,
                                          timeout=datetime.timedelta(milliseconds=300)))
        assert lost[:2] == ("raised", "DistNetworkError")


def run_child(code, *args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


TCP_CHILD = """
import datetime, sys
import torchlike.distributed as d
c = d.TCPStore("127.0.0.1", int(sys.argv[1]), 2, False, timeout=datetime.timedelta(seconds=20))
c.set("from_child", "hello")
c.wait(["from_master"])
print(c.get("from_master").decode(), c.add("count", 5))
"""


def test_tcp_store_across_processes():
    m = ldist.TCPStore("127.0.0.1", 0, None, True, timeout=datetime.timedelta(seconds=20))
    child = run_child(TCP_CHILD.replace("2, False", "None, False"), m.port)
    m.wait(["from_child"])          # unblocks when the other process sets the key
    assert m.get("from_child") == b"hello"
    m.add("count", 1)
    m.set("from_master", "hi")
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.split() == ["hi", "6"]
    assert m.get("count") == b"6"


def test_tcp_store_master_waits_for_workers():
    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    child = run_child(TCP_CHILD, port)
    m = ldist.TCPStore("127.0.0.1", port, 2, True, timeout=datetime.timedelta(seconds=20))
    assert m.get("from_child") == b"hello"
    m.set("from_master", "hi")
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.split() == ["hi", "5"]


FILE_CHILD = """
import datetime, sys
import torchlike.distributed as d
f = d.FileStore(sys.argv[1], 2)
f.set_timeout(datetime.timedelta(seconds=20))
f.set("from_child", "hello")
print(f.get("from_parent").decode(), f.add("count", 5))
"""


def test_file_store_across_processes(tmp_path):
    path = str(tmp_path / "shared_store")
    f = ldist.FileStore(path, 2)
    f.set_timeout(datetime.timedelta(seconds=20))
    child = run_child(FILE_CHILD, path)
    f.wait(["from_child"])
    assert f.get("from_child") == b"hello"
    f.add("count", 1)
    f.set("from_parent", "hi")
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.split() == ["hi", "6"]
    assert f.get("count") == b"6"


def test_init_process_group_store_args():
    for D in (tdist, ldist):
        s = D.HashStore()
        assert outcome(lambda: D.init_process_group("gloo", store=s))[:2] == ("raised", "AssertionError")
        assert outcome(lambda: D.init_process_group("gloo", store=s, world_size=1))[:2] == \
            ("raised", "AssertionError")
        assert outcome(lambda: D.init_process_group("gloo", store=s, rank=0, world_size=1,
                                                    init_method="env://"))[:2] == ("raised", "AssertionError")


PG_CHILD = """
import datetime, sys
import torchlike as torch
import torchlike.distributed as d
rank = int(sys.argv[2])
store = d.TCPStore("127.0.0.1", int(sys.argv[1]), 2, rank == 0, timeout=datetime.timedelta(seconds=60))
d.init_process_group("gloo", store=d.PrefixStore("pg", store), rank=rank, world_size=2)
t = torch.tensor([float(rank + 1)])
d.all_reduce(t)
print(rank, t.tolist())
d.destroy_process_group()
"""


def test_init_process_group_with_tcp_store():
    """Two ranks meet through a TCPStore (rank 0 publishes where JAX's service listens) and all_reduce."""
    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    procs = [run_child(PG_CHILD, port, r) for r in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    assert sorted(line for out, _ in outs for line in out.splitlines() if line[:1] in "01") == \
        ["0 [3.0]", "1 [3.0]"]


# --------------------------------------------------------------------------- rendezvous

def _free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _env(**values):
    """os.environ with MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE replaced by ``values``."""
    saved = dict(os.environ)
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        os.environ.pop(name, None)
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def rendezvous_errors(D, tmp):
    """Every argument and URL error of rendezvous, and those its generator raises at next()."""
    out = []
    r = lambda fn: out.append(outcome(fn))  # noqa: E731
    r(lambda: D.rendezvous(123))
    r(lambda: D.rendezvous("tcp://127.0.0.1:1", rank="0"))
    r(lambda: D.rendezvous("tcp://127.0.0.1:1", world_size=2.0))
    r(lambda: D.rendezvous("bogus://x"))
    r(lambda: D.rendezvous("bogus://x", rank=0, world_size=1))
    r(lambda: D.rendezvous("tcp://127.0.0.1:1?rank=0", rank=0))
    r(lambda: D.rendezvous("tcp://127.0.0.1:1?world_size=1", world_size=1))
    r(lambda: next(D.rendezvous("tcp://127.0.0.1:1")))
    r(lambda: next(D.rendezvous("tcp://127.0.0.1:1", rank=0)))
    r(lambda: next(D.rendezvous("tcp://127.0.0.1", rank=0, world_size=1)))
    r(lambda: next(D.rendezvous("tcp://127.0.0.1:70000", rank=0, world_size=1)))
    r(lambda: next(D.rendezvous("file://", rank=0, world_size=1)))
    r(lambda: next(D.rendezvous(f"file://{tmp}/f", world_size=1)))
    r(lambda: next(D.rendezvous(f"file://{tmp}/f", rank=0)))
    r(lambda: type(D.rendezvous(f"file://{tmp}/f", rank=0, world_size=1)).__name__)
    with _env():
        r(lambda: next(D.rendezvous("env://")))
        r(lambda: next(D.rendezvous("env://", rank=0)))
    with _env(RANK=0, MASTER_ADDR="127.0.0.1"):
        r(lambda: next(D.rendezvous("env://", world_size=1)))
    with _env(RANK=0, WORLD_SIZE=1, MASTER_ADDR="", MASTER_PORT=1):
        r(lambda: next(D.rendezvous("env://")))
    r(lambda: D.register_rendezvous_handler("tcp", None))
    return out


def test_rendezvous_errors_match(tmp_path):
    """PyTorch's exception types and messages for bad arguments, unknown schemes, missing URL parts
    and environment variables (raised when called or at the generator's first item, as PyTorch does)."""
    ref = rendezvous_errors(tdist, tmp_path)
    got = rendezvous_errors(ldist, tmp_path)
    assert len(ref) == len(got)
    for i, (a, b) in enumerate(zip(ref, got)):
        assert a == b, (i, a, b)


def rendezvous_uses(D, tmp, name, scheme):
    """What each bundled scheme yields on one rank, the store working, and re-rendezvous refused."""
    out = []
    r = lambda fn: out.append(outcome(fn))  # noqa: E731

    def use(gen):
        store, rank, world = next(gen)
        store.set("k", "v")
        return [type(store).__name__, rank, world, store.get("k"), outcome(lambda: next(gen))]
    r(lambda: use(D.rendezvous(f"file://{tmp}/{name}", rank=0, world_size=1)))
    r(lambda: use(D.rendezvous(f"file://{tmp}/{name}q?rank=0&world_size=1")))
    r(lambda: use(D.rendezvous(f"tcp://127.0.0.1:{_free_port()}?rank=0&world_size=1")))
    r(lambda: use(D.rendezvous(f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1, timeout=SHORT * 50)))
    with _env(RANK=0, WORLD_SIZE=1, MASTER_ADDR="127.0.0.1", MASTER_PORT=_free_port()):
        r(lambda: use(D.rendezvous("env://")))
    with _env(MASTER_ADDR="127.0.0.1", MASTER_PORT=_free_port()):
        r(lambda: use(D.rendezvous("env://?rank=0&world_size=1")))

    def handler(url, **kwargs):
        yield D.HashStore(), 0, 1, url, sorted(kwargs)
    r(lambda: D.register_rendezvous_handler(scheme, handler))
    r(lambda: next(D.rendezvous(f"{scheme}://x/y?a=1", rank=0, world_size=1, extra=2))[1:])
    r(lambda: next(D.rendezvous(f"{scheme}://x", world_size=3))[1:])
    return out


def test_rendezvous_yields_stores_as_pytorch():
    import tempfile
    import uuid
    scheme = "s" + uuid.uuid4().hex     # a scheme stays registered for the life of the process
    with tempfile.TemporaryDirectory() as tmp:
        ref = rendezvous_uses(tdist, tmp, "torch", scheme)
        got = rendezvous_uses(ldist, tmp, "torchlike", scheme)
    assert len(ref) == len(got)
    for i, (a, b) in enumerate(zip(ref, got)):
        assert a == b, (i, a, b)


RDZV_CHILD = """
import datetime, sys
import torch
import torch.distributed as d
port, rank, init_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
store, r, w = next(d.rendezvous(f"tcp://127.0.0.1:{port}?rank={rank}&world_size=2",
                                timeout=datetime.timedelta(seconds=60)))
store.set(f"from{rank}", f"hello {rank}")
print("store", type(store).__name__, r, w, store.get(f"from{1 - rank}").decode(), flush=True)
d.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
t = torch.tensor([float(rank + 1)])
d.all_reduce(t)
print("pg", d.get_rank(), d.get_world_size(), t.tolist(), flush=True)
d.destroy_process_group()
"""


def test_rendezvous_and_file_init_across_processes(tmp_path):
    """Two processes meet through a tcp:// rendezvous's TCPStore, then join a process group with a
    file:// init method and all_reduce: PyTorch's (python) and torchlike's (python -m torchlike) output."""
    child = tmp_path / "child.py"
    child.write_text(RDZV_CHILD)
    outputs = []
    for launcher in ([sys.executable], [sys.executable, "-m", "torchlike"]):
        port, init_file = _free_port(), tmp_path / f"init{len(outputs)}"
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
        procs = [subprocess.Popen([*launcher, str(child), str(port), str(r), str(init_file)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                 for r in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, err[-2000:]
        outputs.append(sorted(line for out, _ in outs for line in out.splitlines()
                              if line.startswith(("store", "pg"))))
    assert outputs[0] == outputs[1] and len(outputs[0]) == 4, outputs
