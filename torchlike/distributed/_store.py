"""c10d key-value stores: ``Store``, ``HashStore``, ``FileStore``, ``TCPStore``, ``PrefixStore``.

torchlike's process groups meet in JAX's coordination service, so these stores are not what
``init_process_group`` rendezvouses through; they are the user-facing key-value stores with
PyTorch's observable behaviour (blocking ``get``/``wait`` with timeouts, counters kept as decimal
text, ``compare_set``, queues where PyTorch's store has them).

* ``HashStore``: a dict behind a condition variable, in this process.
* ``FileStore``: a JSON document in the named file, read and rewritten under ``fcntl.flock``;
  blocking reads poll the file.  Only torchlike processes understand the format (PyTorch's
  FileStore files are an append-only log of its own).
* ``TCPStore``: the master runs a threaded TCP server (daemon threads) that holds the same table
  as ``HashStore``; every store, master included, is a client speaking length-prefixed JSON
  frames.  Not wire-compatible with PyTorch's TCPStore.
"""
from __future__ import annotations

import collections
import datetime
import errno
import fcntl
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import weakref

from ._runtime import DistNetworkError, DistStoreError, QueueEmptyError

_DEFAULT_TIMEOUT = datetime.timedelta(seconds=300)
_INT64 = 1 << 64


# --------------------------------------------------------------------------- argument checks

def _bad_args(fn, args, sig):
    shown = ", ".join(repr(a) for a in args)
    return TypeError(f"{fn}(): incompatible function arguments. The following argument types are supported:\n"
                     f"    1. {sig}\n\nInvoked with: {shown}")


def _key(fn, k, args, sig):
    if isinstance(k, str):
        return k
    if isinstance(k, (bytes, bytearray)):
        try:
            return bytes(k).decode("utf-8")
        except UnicodeDecodeError:
            pass
    raise _bad_args(fn, args, sig)


def _value(fn, v, args, sig):
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    raise _bad_args(fn, args, sig)


def _keys(fn, ks, args, sig):
    if isinstance(ks, (str, bytes, bytearray)) or not hasattr(ks, "__iter__"):
        raise _bad_args(fn, args, sig)
    return [_key(fn, k, args, sig) for k in ks]


def _amount(fn, n, args, sig):
    if isinstance(n, int):
        v = int(n)
    elif hasattr(type(n), "__index__") and not isinstance(n, (float, str)):
        v = n.__index__()
    else:
        raise _bad_args(fn, args, sig)
    if not -(1 << 63) <= v < (1 << 63):
        raise _bad_args(fn, args, sig)
    return v


def _timedelta(fn, t, args, sig):
    if not isinstance(t, datetime.timedelta):
        raise _bad_args(fn, args, sig)
    return t


def _ms(t):
    return int(t.total_seconds() * 1000)


def _stoll(raw):
    """The integer at the start of ``raw`` as C's strtoll reads it (leading blanks, a sign, digits;
    whatever follows is ignored); ValueError('stoll') when there are no digits."""
    text = raw.decode("latin-1").lstrip(" \t\n\v\f\r")
    i = 1 if text[:1] in "+-" else 0
    j = i
    while j < len(text) and text[j] in "0123456789":
        j += 1
    if j == i:
        raise ValueError("stoll")
    v = int(text[:j])
    if not -(1 << 63) <= v < (1 << 63):
        raise IndexError("stoll")
    return v


def _wrap64(v):
    return ((v + (1 << 63)) % _INT64) - (1 << 63)


class _Timeout(Exception):
    """A blocking operation ran out of time; ``keys`` were still missing."""

    def __init__(self, keys):
        super().__init__(keys)
        self.keys = list(keys)


class _QueueEmpty(Exception):
    pass


# --------------------------------------------------------------------------- the shared table

class _Table:
    """Keys, values and queues behind one condition variable: HashStore's state and the TCP server's."""

    def __init__(self):
        self.kv = {}
        self.queues = {}
        self.cond = threading.Condition()

    def _wait_for(self, pred, keys, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout(keys() if callable(keys) else keys)
            self.cond.wait(left)

    def set(self, key, value):
        with self.cond:
            self.kv[key] = value
            self.cond.notify_all()

    def get(self, key, timeout_s):
        with self.cond:
            self._wait_for(lambda: key in self.kv, [key], timeout_s)
            return self.kv[key]

    def add(self, key, amount):
        with self.cond:
            old = _stoll(self.kv[key]) if key in self.kv else 0
            new = _wrap64(old + amount)
            self.kv[key] = str(new).encode()
            self.cond.notify_all()
            return new

    def compare_set(self, key, expected, desired):
        with self.cond:
            if key not in self.kv:
                if expected == b"":
                    self.kv[key] = desired
                    self.cond.notify_all()
                    return desired
                return expected
            if self.kv[key] == expected:
                self.kv[key] = desired
                self.cond.notify_all()
                return desired
            return self.kv[key]

    def delete_key(self, key):
        with self.cond:
            return self.kv.pop(key, None) is not None

    def num_keys(self):
        with self.cond:
            return len(self.kv)

    def list_keys(self):
        with self.cond:
            return list(self.kv)

    def check(self, keys):
        with self.cond:
            return all(k in self.kv or self.queues.get(k) for k in keys)

    def wait(self, keys, timeout_s):
        with self.cond:
            self._wait_for(lambda: all(k in self.kv for k in keys), keys, timeout_s)

    def append(self, key, value):
        with self.cond:
            self.kv[key] = self.kv.get(key, b"") + value
            self.cond.notify_all()

    def multi_get(self, keys, timeout_s):
        with self.cond:
            self._wait_for(lambda: all(k in self.kv for k in keys), keys, timeout_s)
            return [self.kv[k] for k in keys]

    def multi_set(self, keys, values):
        with self.cond:
            for k, v in zip(keys, values):
                self.kv[k] = v
            self.cond.notify_all()

    def queue_push(self, key, value):
        with self.cond:
            self.queues.setdefault(key, collections.deque()).append(value)
            self.cond.notify_all()

    def queue_pop(self, key, block, timeout_s):
        with self.cond:
            if not block and not self.queues.get(key):
                raise _QueueEmpty()
            self._wait_for(lambda: bool(self.queues.get(key)), [key], timeout_s)
            return self.queues[key].popleft()

    def queue_len(self, key):
        with self.cond:
            return len(self.queues.get(key, ()))


# --------------------------------------------------------------------------- Store

class Store:
    """``torch.distributed.Store``: the base class.  A Python subclass overrides the methods it
    supports; the base's methods raise RuntimeError, as PyTorch's do."""

    def __init__(self):
        self._timeout = _DEFAULT_TIMEOUT

    # primitives a subclass provides -----------------------------------------------------------
    def _not_implemented(self, *_):
        raise RuntimeError("Not implemented.")

    _set = _get = _add = _compare_set = _delete_key = _num_keys = _list_keys = _check = _not_implemented
    _wait = _append = _multi_get = _multi_set = _not_implemented
    _queue_push = _queue_pop = _queue_len = _not_implemented

    # the public API: argument checks as PyTorch's bindings make them --------------------------
    def set(self, key, value):  # noqa: A003 - PyTorch's name
        sig = "(self: Store, arg0: str, arg1: str) -> None"
        self._set(_key("set", key, (self, key, value), sig), _value("set", value, (self, key, value), sig))

    def get(self, key):
        return self._get(_key("get", key, (self, key), "(self: Store, arg0: str) -> bytes"))

    def add(self, key, amount):
        sig = "(self: Store, arg0: str, arg1: typing.SupportsInt | typing.SupportsIndex) -> int"
        args = (self, key, amount)
        return self._add(_key("add", key, args, sig), _amount("add", amount, args, sig))

    def compare_set(self, key, expected_value, desired_value):
        sig = "(self: Store, arg0: str, arg1: str, arg2: str) -> bytes"
        args = (self, key, expected_value, desired_value)
        return self._compare_set(_key("compare_set", key, args, sig),
                                 _value("compare_set", expected_value, args, sig),
                                 _value("compare_set", desired_value, args, sig))

    def delete_key(self, key):
        return self._delete_key(_key("delete_key", key, (self, key), "(self: Store, arg0: str) -> bool"))

    def num_keys(self):
        return self._num_keys()

    def list_keys(self):
        return self._list_keys()

    def check(self, keys):
        sig = "(self: Store, arg0: collections.abc.Sequence[str]) -> bool"
        return self._check(_keys("check", keys, (self, keys), sig))

    def wait(self, keys, *timeout):
        sig = ("(self: Store, arg0: collections.abc.Sequence[str]) -> None\n    2. (self: Store, arg0: "
               "collections.abc.Sequence[str], arg1: datetime.timedelta) -> None")
        args = (self, keys, *timeout)
        if len(timeout) > 1:
            raise _bad_args("wait", args, sig)
        ks = _keys("wait", keys, args, sig)
        t = _timedelta("wait", timeout[0], args, sig) if timeout else self.timeout
        self._wait(ks, t)

    def append(self, key, value):
        sig = "(self: Store, arg0: str, arg1: str) -> None"
        args = (self, key, value)
        self._append(_key("append", key, args, sig), _value("append", value, args, sig))

    def multi_get(self, keys):
        sig = "(self: Store, arg0: collections.abc.Sequence[str]) -> list[bytes]"
        return self._multi_get(_keys("multi_get", keys, (self, keys), sig))

    def multi_set(self, keys, values):
        sig = "(self: Store, arg0: collections.abc.Sequence[str], arg1: collections.abc.Sequence[str]) -> None"
        args = (self, keys, values)
        ks = _keys("multi_set", keys, args, sig)
        if isinstance(values, (str, bytes, bytearray)) or not hasattr(values, "__iter__"):
            raise _bad_args("multi_set", args, sig)
        vs = [_value("multi_set", v, args, sig) for v in values]
        if len(vs) < len(ks):
            raise ValueError(f"multi_set: {len(ks)} keys but only {len(vs)} values")
        self._multi_set(ks, vs)

    def queue_push(self, key, value):
        sig = "(self: Store, arg0: str, arg1: str) -> None"
        args = (self, key, value)
        self._queue_push(_key("queue_push", key, args, sig), _value("queue_push", value, args, sig))

    def queue_pop(self, key, block=True):
        sig = "(self: Store, key: str, block: bool = True) -> bytes"
        args = (self, key, block)
        if not isinstance(block, bool):
            raise _bad_args("queue_pop", args, sig)
        return self._queue_pop(_key("queue_pop", key, args, sig), block)

    def queue_len(self, key):
        return self._queue_len(_key("queue_len", key, (self, key), "(self: Store, arg0: str) -> int"))

    def has_extended_api(self):
        return False

    def set_timeout(self, timeout):
        self._timeout = _timedelta("set_timeout", timeout, (self, timeout),
                                   "(self: Store, arg0: datetime.timedelta) -> None")

    @property
    def timeout(self):
        return self._timeout

    def clone(self):
        raise RuntimeError("Not implemented.")

    def barrier(self, key, world_size, timeout=None):
        """Block until ``world_size`` callers have reached the barrier ``key``."""
        sig = ("(self: Store, key: str, world_size: typing.SupportsInt | typing.SupportsIndex, "
               "timeout: datetime.timedelta | None = None) -> None")
        args = (self, key, world_size, timeout)
        key = _key("barrier", key, args, sig)
        n = _amount("barrier", world_size, args, sig)
        t = self.timeout if timeout is None else _timedelta("barrier", timeout, args, sig)
        if self.add(key + "/barrier_count", 1) >= n:
            self.set(key + "/barrier_done", "1")
        self.wait([key + "/barrier_done"], t)


class _TableStore(Store):
    """A store whose state is a ``_Table``; timeouts raise DistStoreError('Wait timeout')."""

    def __init__(self, table):
        super().__init__()
        self._table = table

    def _t(self, timeout=None):
        return (timeout or self._timeout).total_seconds()

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except _Timeout:
            raise DistStoreError("Wait timeout") from None
        except _QueueEmpty:
            raise QueueEmptyError("queue is empty") from None

    def _set(self, k, v):
        self._table.set(k, v)

    def _get(self, k):
        return self._call(self._table.get, k, self._t())

    def _add(self, k, n):
        return self._table.add(k, n)

    def _compare_set(self, k, e, d):
        return self._table.compare_set(k, e, d)

    def _delete_key(self, k):
        return self._table.delete_key(k)

    def _num_keys(self):
        return self._table.num_keys()

    def _list_keys(self):
        return self._table.list_keys()

    def _check(self, ks):
        return self._table.check(ks)

    def _wait(self, ks, t):
        self._call(self._table.wait, ks, t.total_seconds())

    def _append(self, k, v):
        self._table.append(k, v)

    def _multi_get(self, ks):
        return self._call(self._table.multi_get, ks, self._t())

    def _multi_set(self, ks, vs):
        self._table.multi_set(ks, vs)

    def _queue_push(self, k, v):
        self._table.queue_push(k, v)

    def _queue_pop(self, k, block):
        return self._call(self._table.queue_pop, k, block, self._t())

    def _queue_len(self, k):
        return self._table.queue_len(k)

    def has_extended_api(self):
        return True


class HashStore(_TableStore):
    """``torch.distributed.HashStore``: an in-process, thread-safe store."""

    def __init__(self):
        super().__init__(_Table())

    def clone(self):
        twin = HashStore.__new__(HashStore)
        _TableStore.__init__(twin, self._table)
        twin._timeout = self._timeout
        return twin


# --------------------------------------------------------------------------- FileStore

class FileStore(Store):
    """``torch.distributed.FileStore``: keys in a file that processes share (JSON under flock).

    The file is torchlike's own format: it does not interoperate with PyTorch's FileStore files.
    Every open FileStore counts itself in the file; the last one closed removes the file."""

    _POLL_S = 0.01

    def __init__(self, file_name, world_size=-1):
        super().__init__()
        sig = "(self: FileStore, file_name: str, world_size: typing.SupportsInt | typing.SupportsIndex = -1) -> None"
        args = (self, file_name, world_size)
        self._path = _key("__init__", file_name, args, sig)
        self._world_size = _amount("__init__", world_size, args, sig)
        self._update(lambda st: st.__setitem__("refs", st.get("refs", 0) + 1))
        weakref.finalize(self, FileStore._release, self._path)

    @property
    def path(self):
        return self._path

    # the file: {"kv": {key: value as latin-1 text}, "refs": open stores} --------------------
    def _locked(self, mode, fn):
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            with os.fdopen(os.dup(fd), "r+b") as f:
                raw = f.read()
                state = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                state.setdefault("kv", {})
                result = fn(state)
                if mode == fcntl.LOCK_EX:
                    data = json.dumps(state).encode("utf-8")
                    f.seek(0)
                    f.write(data)
                    f.truncate()
                    f.flush()
            return result
        finally:
            os.close(fd)        # releases the lock

    def _read(self, fn):
        return self._locked(fcntl.LOCK_SH, fn)

    def _update(self, fn):
        return self._locked(fcntl.LOCK_EX, fn)

    @staticmethod
    def _enc(v):
        return v.decode("latin-1")

    @staticmethod
    def _dec(s):
        return s.encode("latin-1")

    def _poll(self, fn, t=None):
        """Call ``fn(state)`` under a shared lock until it returns non-None or the timeout passes."""
        deadline = time.monotonic() + (t or self._timeout).total_seconds()
        while True:
            r = self._read(fn)
            if r is not None:
                return r
            if time.monotonic() >= deadline:
                return None
            time.sleep(self._POLL_S)

    def _set(self, k, v):
        self._update(lambda st: st["kv"].__setitem__(k, self._enc(v)))

    def _get(self, k):
        r = self._poll(lambda st: st["kv"].get(k))
        if r is None:
            raise RuntimeError(f"Timeout waiting for key: {k} after {_ms(self._timeout)} ms")
        return self._dec(r)

    def _add(self, k, n):
        def go(st):
            old = _stoll(self._dec(st["kv"][k])) if k in st["kv"] else 0
            new = _wrap64(old + n)
            st["kv"][k] = str(new)
            return new
        return self._update(go)

    def _compare_set(self, k, e, d):
        def go(st):
            kv = st["kv"]
            if k not in kv:
                if e == b"":
                    kv[k] = self._enc(d)
                    return d
                return e
            if self._dec(kv[k]) == e:
                kv[k] = self._enc(d)
                return d
            return self._dec(kv[k])
        return self._update(go)

    def _delete_key(self, k):
        self._update(lambda st: st["kv"].pop(k, None))
        return True

    def _num_keys(self):
        # + PyTorch's bookkeeping key (its open-store count), which its num_keys counts too
        return self._read(lambda st: len(st["kv"])) + 1

    def _list_keys(self):
        return self._read(lambda st: list(st["kv"]))

    def _check(self, ks):
        return self._read(lambda st: all(k in st["kv"] for k in ks))

    def _wait(self, ks, t):
        if self._poll(lambda st: True if all(k in st["kv"] for k in ks) else None, t) is None:
            raise RuntimeError("Wait timeout")

    def _append(self, k, v):
        self._update(lambda st: st["kv"].__setitem__(k, st["kv"].get(k, "") + self._enc(v)))

    def _multi_get(self, ks):
        r = self._poll(lambda st: [st["kv"][k] for k in ks] if all(k in st["kv"] for k in ks) else None)
        if r is None:
            missing = self._read(lambda st: [k for k in ks if k not in st["kv"]])
            raise RuntimeError(f"Timeout waiting for key: {missing[0] if missing else ks[0]} after "
                               f"{_ms(self._timeout)} ms")
        return [self._dec(v) for v in r]

    def _multi_set(self, ks, vs):
        def go(st):
            for k, v in zip(ks, vs):
                st["kv"][k] = self._enc(v)
        self._update(go)

    def _no_queues(self, *_):
        raise NotImplementedError("queue support is not implemented.")

    _queue_push = _queue_pop = _queue_len = _no_queues

    def clone(self):
        twin = FileStore(self._path, self._world_size)
        twin._timeout = self._timeout
        return twin

    @staticmethod
    def _release(path):
        """One FileStore on ``path`` closes (collected, or at exit); the last one removes the file."""
        def go(st):
            st["refs"] = st.get("refs", 1) - 1
            return st["refs"]
        probe = FileStore.__new__(FileStore)
        probe._path = path
        try:
            if probe._update(go) <= 0:
                os.unlink(path)
        except (OSError, ValueError):
            pass


# --------------------------------------------------------------------------- TCPStore

_BYTES = "\u0000b"

def _pack(x):
    """JSON-able form of a request/response: bytes become {"\u0000b": latin-1 text}."""
    if isinstance(x, bytes):
        return {_BYTES: x.decode("latin-1")}
    if isinstance(x, (list, tuple)):
        return [_pack(i) for i in x]
    if isinstance(x, dict):
        return {k: _pack(v) for k, v in x.items()}
    return x


def _unpack(x):
    if isinstance(x, dict):
        if _BYTES in x:
            return x[_BYTES].encode("latin-1")
        return {k: _unpack(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unpack(i) for i in x]
    return x


def _send(sock, obj):
    data = json.dumps(_pack(obj)).encode("utf-8")
    sock.sendall(struct.pack("!I", len(data)) + data)


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("Failed to recv, got 0 bytes. Connection was likely closed. Did the remote "
                                  "server shutdown or crash?")
        buf += chunk
    return bytes(buf)


def _recv(sock):
    (n,) = struct.unpack("!I", _recv_exact(sock, 4))
    return _unpack(json.loads(_recv_exact(sock, n).decode("utf-8")))


_INIT_KEY = "init/"       # the workers' check-in counter: num_keys counts it, list_keys hides it

_SERVER_OPS = {
    "set": lambda t, k, v: t.set(k, v),
    "get": lambda t, k, s: t.get(k, s),
    "add": lambda t, k, n: t.add(k, n),
    "compare_set": lambda t, k, e, d: t.compare_set(k, e, d),
    "delete_key": lambda t, k: t.delete_key(k),
    "num_keys": lambda t: t.num_keys(),
    "list_keys": lambda t: [k for k in t.list_keys() if k != _INIT_KEY],
    "check": lambda t, ks: t.check(ks),
    "wait": lambda t, ks, s: t.wait(ks, s),
    "append": lambda t, k, v: t.append(k, v),
    "multi_get": lambda t, ks, s: t.multi_get(ks, s),
    "multi_set": lambda t, ks, vs: t.multi_set(ks, vs),
    "queue_push": lambda t, k, v: t.queue_push(k, v),
    "queue_pop": lambda t, k, b, s: t.queue_pop(k, b, s),
    "queue_len": lambda t, k: t.queue_len(k),
}


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        table = self.server.table
        while True:
            try:
                op, args = _recv(sock)
            except (ConnectionError, OSError, struct.error, ValueError):
                return
            try:
                reply = {"ok": _SERVER_OPS[op](table, *args)}
            except _Timeout as e:
                reply = {"timeout": e.keys}
            except _QueueEmpty:
                reply = {"empty": True}
            except Exception as e:  # noqa: BLE001 - the client raises it; the connection lives on
                reply = {"error": type(e).__name__, "msg": str(e)}
            try:
                _send(sock, reply)
            except OSError:
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, listen_fd=None):
        super().__init__(("", port), _Handler, bind_and_activate=listen_fd is None)
        if listen_fd is not None:
            self.socket.close()
            self.socket = socket.socket(fileno=listen_fd)
        self.table = _Table()
        self.users = 1
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"torchlike-TCPStore-{self.server_address[1]}", daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.socket.getsockname()[1]

    def stop(self):
        self.shutdown()
        self.server_close()


_TENANTS = {}              # port -> _Server shared by multi_tenant masters of this process
_TENANTS_LOCK = threading.Lock()


def _addr_in_use(port):
    return DistNetworkError(
        f"The server socket has failed to listen on any local network address. port: {port}, useIpv6: false, "
        f"code: -98, name: EADDRINUSE, message: address already in use")


class TCPStore(Store):
    """``torch.distributed.TCPStore``: the master serves the keys over TCP; every store (the master
    too) is a client.  ``port=0`` on the master picks a free port (read it from ``.port``).  The
    protocol is torchlike's own (length-prefixed JSON), not PyTorch's."""

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=_DEFAULT_TIMEOUT,
                 wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True):
        super().__init__()
        sig = ("(self: TCPStore, host_name: str, port: typing.SupportsInt | typing.SupportsIndex, world_size: "
               "typing.SupportsInt | typing.SupportsIndex | None = None, is_master: bool = False, timeout: "
               "datetime.timedelta = datetime.timedelta(seconds=300), wait_for_workers: bool = True, "
               "multi_tenant: bool = False, master_listen_fd: typing.SupportsInt | typing.SupportsIndex | None "
               "= None, use_libuv: bool = True) -> None")
        args = (self, host_name, port, world_size, is_master, timeout, wait_for_workers, multi_tenant,
                master_listen_fd, use_libuv)
        self._host = _key("__init__", host_name, args, sig)
        port = _amount("__init__", port, args, sig)
        if world_size is not None:
            world_size = _amount("__init__", world_size, args, sig)
        for flag in (is_master, wait_for_workers, multi_tenant, use_libuv):
            if not isinstance(flag, bool):
                raise _bad_args("__init__", args, sig)
        self._timeout = _timedelta("__init__", timeout, args, sig)
        if master_listen_fd is not None:
            master_listen_fd = _amount("__init__", master_listen_fd, args, sig)
        self._use_libuv = use_libuv
        self._server = None
        self._lock = threading.Lock()
        self._sock = None
        if is_master:
            self._server = self._serve(port, multi_tenant, master_listen_fd)
            port = self._server.port
        self._port = port
        self._connect()
        if world_size is not None and wait_for_workers:
            self._rpc("add", _INIT_KEY, 1)
            if is_master:
                self._wait_workers(world_size)

    @staticmethod
    def _serve(port, multi_tenant, listen_fd):
        with _TENANTS_LOCK:
            if multi_tenant and port in _TENANTS:
                server = _TENANTS[port]
                server.users += 1
                return server
            try:
                server = _Server(port, listen_fd)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    raise _addr_in_use(port) from None
                raise DistNetworkError(f"The server socket has failed to listen on port {port}: {e}") from None
            if multi_tenant:
                _TENANTS[server.port] = server
            return server

    def _connect(self):
        deadline = time.monotonic() + self._timeout.total_seconds()
        while True:
            try:
                left = max(0.05, deadline - time.monotonic())
                sock = socket.create_connection((self._host, self._port), timeout=min(left, 5.0))
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise DistNetworkError(
                        f"The client socket has timed out after {_ms(self._timeout)}ms while trying to connect "
                        f"to ({self._host}, {self._port}).") from None
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def _wait_workers(self, world_size):
        deadline = time.monotonic() + self._timeout.total_seconds()
        while True:
            n = _stoll(self._rpc("get", _INIT_KEY, 0.0))
            if n >= world_size:
                return
            if time.monotonic() >= deadline:
                raise DistStoreError(f"Timed out after {int(self._timeout.total_seconds())} seconds waiting for "
                                     f"clients. {n}/{world_size} clients joined.")
            time.sleep(0.01)

    def _rpc(self, op, *args):
        with self._lock:
            try:
                _send(self._sock, (op, list(args)))
                reply = _recv(self._sock)
            except BrokenPipeError:
                raise DistNetworkError("Broken pipe") from None
            except (ConnectionError, OSError) as e:
                raise DistNetworkError(str(e)) from None
        if "ok" in reply:
            return reply["ok"]
        if "timeout" in reply:
            raise DistStoreError(f"wait timeout after {_ms(self._timeout) if op != 'wait' else self._wait_ms}ms, "
                                 f"keys: " + ", ".join("/" + k for k in reply["timeout"]))
        if "empty" in reply:
            raise QueueEmptyError("queue is empty")
        raise {"ValueError": ValueError, "IndexError": IndexError}.get(reply["error"], RuntimeError)(reply["msg"])

    def _s(self):
        return self._timeout.total_seconds()

    def _set(self, k, v):
        self._rpc("set", k, v)

    def _get(self, k):
        return self._rpc("get", k, self._s())

    def _add(self, k, n):
        return self._rpc("add", k, n)

    def _compare_set(self, k, e, d):
        return self._rpc("compare_set", k, e, d)

    def _delete_key(self, k):
        return self._rpc("delete_key", k)

    def _num_keys(self):
        return self._rpc("num_keys")

    def _list_keys(self):
        return self._rpc("list_keys")

    def _check(self, ks):
        return self._rpc("check", ks)

    def _wait(self, ks, t):
        self._wait_ms = _ms(t)
        self._rpc("wait", ks, t.total_seconds())

    def _append(self, k, v):
        self._rpc("append", k, v)

    def _multi_get(self, ks):
        return self._rpc("multi_get", ks, self._s())

    def _multi_set(self, ks, vs):
        self._rpc("multi_set", ks, vs)

    def _queue_push(self, k, v):
        self._rpc("queue_push", k, v)

    def _queue_pop(self, k, block):
        return self._rpc("queue_pop", k, block, self._s())

    def _queue_len(self, k):
        return self._rpc("queue_len", k)

    def has_extended_api(self):
        return True

    @property
    def host(self):
        return self._host

    @property
    def port(self):
        return self._port

    @property
    def libuvBackend(self):  # noqa: N802 - PyTorch's name
        return self._use_libuv

    def clone(self):
        return TCPStore(self._host, self._port, None, False, self._timeout, use_libuv=self._use_libuv)

    def __repr__(self):
        server = f", server=TCPServer(port={self._port})" if self._server is not None else ""
        return f"TCPStore(client=TCPClient({self._host}:{self._port}){server})"

    def __del__(self):
        sock, self._sock = getattr(self, "_sock", None), None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        server, self._server = getattr(self, "_server", None), None
        if server is not None:
            with _TENANTS_LOCK:
                server.users -= 1
                if server.users > 0:
                    return
                if _TENANTS.get(server.port) is server:
                    del _TENANTS[server.port]
            if sys.is_finalizing():      # the serving thread is frozen: shutdown() would never return
                return
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass


# --------------------------------------------------------------------------- PrefixStore

class PrefixStore(Store):
    """``torch.distributed.PrefixStore``: every key becomes ``prefix + "/" + key`` in ``store``."""

    def __init__(self, prefix, store):
        super().__init__()
        sig = "PrefixStore(prefix: str, store: Store)"
        if not isinstance(prefix, str) or not isinstance(store, Store):
            raise TypeError(f"__init__(): incompatible constructor arguments. The following argument types are "
                            f"supported:\n    1. {sig}\n\nInvoked with: {prefix!r}, {store!r}")
        self._prefix = prefix
        self._store = store

    def _k(self, k):
        return f"{self._prefix}/{k}"

    @property
    def underlying_store(self):
        return self._store

    @property
    def _underlying_non_prefix_store(self):
        s = self._store
        while isinstance(s, PrefixStore):
            s = s._store
        return s

    def _set(self, k, v):
        self._store.set(self._k(k), v)

    def _get(self, k):
        return self._store.get(self._k(k))

    def _add(self, k, n):
        return self._store.add(self._k(k), n)

    def _compare_set(self, k, e, d):
        return self._store.compare_set(self._k(k), e, d)

    def _delete_key(self, k):
        return self._store.delete_key(self._k(k))

    def _num_keys(self):
        return self._store.num_keys()

    def _list_keys(self):
        head = self._prefix + "/"
        return [k[len(head):] for k in self._store.list_keys() if k.startswith(head)]

    def _check(self, ks):
        return self._store.check([self._k(k) for k in ks])

    def _wait(self, ks, t):
        self._store.wait([self._k(k) for k in ks], t)

    def _append(self, k, v):
        self._store.append(self._k(k), v)

    def _multi_get(self, ks):
        return self._store.multi_get([self._k(k) for k in ks])

    def _multi_set(self, ks, vs):
        self._store.multi_set([self._k(k) for k in ks], vs)

    def _queue_push(self, k, v):
        self._store.queue_push(self._k(k), v)

    def _queue_pop(self, k, block):
        return self._store.queue_pop(self._k(k), block)

    def _queue_len(self, k):
        return self._store.queue_len(self._k(k))

    def has_extended_api(self):
        return self._store.has_extended_api()

    def set_timeout(self, timeout):
        self._store.set_timeout(timeout)

    @property
    def timeout(self):
        return self._store.timeout

    def clone(self):
        return PrefixStore(self._prefix, self._store.clone())
