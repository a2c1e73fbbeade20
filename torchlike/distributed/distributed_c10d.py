"""``torch.distributed``'s process groups and collectives over JAX's multi-process runtime (``_runtime``).

Contract, as PyTorch's: every rank of a group calls the same collectives in the same order;
tensor collectives write their results into the given tensors in place (no autograd record, the
version counter moves); ``src``/``dst`` are global ranks (``group_src``/``group_dst`` ranks within
the group); ``async_op=True`` returns a :class:`Work` (the result is already in place).
"""
from __future__ import annotations

import contextlib
import datetime
import enum
import os
import time
import socket
import typing
from urllib.parse import urlparse

import numpy as np

from . import _runtime
from ..jit import Future
from . import _store
from . import rendezvous as _rdzv      # the module (the package's attribute of that name is the function)
from ._runtime import DistBackendError, DistError, DistNetworkError, DistStoreError, QueueEmptyError  # noqa: F401
from ..autograd import no_grad
import inspect
import sys
import warnings
import torchlike as torch     # the public face, read when called (not an import cycle)


class Backend(str):
    """A backend name (``Backend('GLOO')`` is the str ``'gloo'``); gloo, nccl, mpi and ucc all run on JAX's runtime."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    backend_list = [UNDEFINED, GLOO, NCCL, UCC, MPI]

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        value = name.lower()
        if value not in cls.backend_list and ":" not in value:
            raise AssertionError(f"Unknown backend type {value}")
        return value            # a plain str, as PyTorch's


class ReduceOp:
    """``ReduceOp.SUM`` ... ``ReduceOp.BXOR`` (members of ``ReduceOp.RedOpType``)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

        def __str__(self):
            return f"RedOpType.{self.name}"

    SUM, AVG, PRODUCT, MIN, MAX = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT, RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR, PREMUL_SUM = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, RedOpType.PREMUL_SUM


class reduce_op:  # noqa: N801 - PyTorch's deprecated spelling
    SUM, PRODUCT, MIN, MAX = ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX


class ProcessGroup:
    """A set of global ranks; ``rank()``/``size()`` within it."""

    def __init__(self, ranks, gid, backend, timeout_s):
        self.ranks = tuple(ranks)
        self.gid = gid
        self._backend = backend
        self.timeout_s = timeout_s
        self._seq = 0

    def rank(self):
        return self.ranks.index(_runtime.STATE.rank) if _runtime.STATE.rank in self.ranks else -1

    def size(self):
        return len(self.ranks)

    def name(self):
        return str(self.gid)

    def _next(self):
        self._seq += 1
        return f"tl/{self.gid}/{self._seq}"

    def __repr__(self):
        return f"<torch.distributed.ProcessGroup ranks={list(self.ranks)}>"


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = -100


class group:  # noqa: N801 - PyTorch's spelling: ``dist.group.WORLD``
    WORLD = None


_group_namespace = group


class _World:
    default_pg = None
    backend = None
    groups = 0
    p2p_seq = {}


_W = _World()


class Work:
    """What ``async_op=True`` returns: the operation already finished when it was issued (JAX
    dispatches it; the tensors hold its result), so ``wait()`` only runs a deferred receive."""

    def __init__(self, result=None, pending=None):
        self._result = result
        self._pending = pending

    def wait(self, timeout=None):
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending()
        return True

    def is_completed(self):
        return self._pending is None

    def is_success(self):
        return self._pending is None

    def result(self):
        self.wait()
        return list(self._result or [])

    def exception(self):
        return None

    def get_future(self):
        self.wait()
        return Future(list(self._result or []))   # a finished future (torch.jit's)

    def source_rank(self):
        return self._source if hasattr(self, "_source") else -1


# --------------------------------------------------------------------------- state queries

def is_available():
    return True


def is_initialized():
    return _W.default_pg is not None


def is_gloo_available():
    return True


def is_nccl_available():
    return False


def is_mpi_available():
    return False


def is_ucc_available():
    return False


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_backend_available(backend):
    return backend.lower() in ("gloo", "nccl", "mpi", "ucc")


def _pg(group):
    if _W.default_pg is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    if group is None:
        return _W.default_pg
    if group == GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return group


def get_rank(group=None):
    pg = _pg(group)
    if pg is not _W.default_pg and _runtime.STATE.rank not in pg.ranks:
        return -1
    return pg.rank()


def get_world_size(group=None):
    pg = _pg(group)
    if pg is not _W.default_pg and _runtime.STATE.rank not in pg.ranks:
        return -1
    return pg.size()


def get_backend(group=None):
    return Backend(_pg(group)._backend)


def get_process_group_ranks(group):
    return list(_pg(group).ranks)


def get_global_rank(group, group_rank):
    pg = _pg(group)
    if not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg.ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _pg(group)
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg.ranks.index(global_rank)


def get_default_backend_for_device(device):
    return "gloo"


# --------------------------------------------------------------------------- rendezvous

def _seconds(timeout):
    if timeout is None:
        return 1800.0
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout)}")


_STORE_INITS = [0]


def _coordinator_from_store(store, rank, world_size, timeout_s):
    """JAX's coordination service still carries the collectives; the store only tells the ranks where
    rank 0 serves it: rank 0 picks a free port and publishes ``host:port`` under a torchlike key."""
    _STORE_INITS[0] += 1
    key = f"torchlike/jax_coordinator/{_STORE_INITS[0]}"
    base = store._underlying_non_prefix_store if isinstance(store, _store.PrefixStore) else store
    if rank == 0:
        host = base.host if isinstance(base, _store.TCPStore) else os.environ.get("MASTER_ADDR", "127.0.0.1")
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind(("", 0))
        port = probe.getsockname()[1]
        probe.close()
        if world_size > 1:
            store.set(key, f"{host}:{port}")
        return host, port
    old = store.timeout
    store.set_timeout(datetime.timedelta(seconds=timeout_s))
    try:
        host, _, port = store.get(key).decode().rpartition(":")
    finally:
        store.set_timeout(old)
    return host, int(port)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: ``env://`` (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, as
    torchrun sets them; ``rank``/``world_size`` arguments win) or ``tcp://host:port`` with
    ``rank`` and ``world_size``.  Rank 0 listens on the port (JAX's coordination service).  With
    ``store=`` (any ``Store``; ``rank``/``world_size`` required) the collectives still run over JAX's
    service: rank 0 serves it on a free port and publishes ``host:port`` in the store."""
    if _W.default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend if backend is not None else "gloo")
    timeout_s = _seconds(timeout)
    if store is not None:
        if init_method is not None:
            raise AssertionError("Cannot specify both init_method and store.")
        if world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    method = init_method if init_method is not None else "env://"
    url = urlparse(method)
    if store is not None:
        addr, port = _coordinator_from_store(store, rank, world_size, timeout_s)
    elif url.scheme in ("env", "tcp"):           # rank 0's JAX coordination service takes the port itself
        query = _rdzv._query(url.query)
        if rank == -1:
            rank = int(query["rank"]) if "rank" in query else \
                int(_rdzv.env_value("RANK")) if url.scheme == "env" else -1
        if world_size == -1:
            world_size = int(query["world_size"]) if "world_size" in query else \
                int(_rdzv.env_value("WORLD_SIZE")) if url.scheme == "env" else -1
        if url.scheme == "env":
            addr, port = _rdzv.env_value("MASTER_ADDR"), int(_rdzv.env_value("MASTER_PORT"))
        else:
            for missing, what in ((rank == -1, "rank parameter"), (world_size == -1, "world size parameter"),
                                  (url.port is None, "port number")):
                if missing:
                    raise _rdzv.error("tcp://", f"{what} missing")
            addr, port = url.hostname, url.port
    else:                                         # file:// and registered schemes: a store tells the address
        store, rank, world_size = next(_rdzv.rendezvous(method, rank, world_size,
                                                        timeout=datetime.timedelta(seconds=timeout_s)))
        addr, port = _coordinator_from_store(store, rank, world_size, timeout_s)
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}, world size {world_size}: a rank must be in [0, world_size)")
    _runtime.start(addr, port, rank, world_size, timeout_s)
    _W.backend = str(name)
    _W.groups = 0
    _W.p2p_seq = {}
    _W.default_pg = ProcessGroup(range(world_size), 0, str(name), timeout_s)
    GroupMember.WORLD = _group_namespace.WORLD = _W.default_pg


def destroy_process_group(group=None):
    if _W.default_pg is None:
        raise AssertionError("Process group cannot be None")
    if group is not None and group is not _W.default_pg:
        return
    _W.default_pg = None
    GroupMember.WORLD = _group_namespace.WORLD = None
    _runtime.stop()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the given global ranks; every rank calls it (non-members get NON_GROUP_MEMBER)."""
    world = _pg(None)
    _W.groups += 1
    members = sorted(set(world.ranks if ranks is None else ranks))
    for r in members:
        if not 0 <= r < world.size():
            raise ValueError(f"The new group's rank should be within the world_size set by "
                             f"init_process_group, got rank {r} for world size {world.size()}")
    if _runtime.STATE.rank not in members:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(members, _W.groups, backend or world._backend,
                        world.timeout_s if timeout is None else _seconds(timeout))


# --------------------------------------------------------------------------- argument checks

def _check_tensor(t, name):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, torch.Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(ts)} instead.")


def _op_name(op):
    if not isinstance(op, ReduceOp.RedOpType):
        raise TypeError(f"all_reduce(): op must be a torch.distributed.ReduceOp, got {op!r}")
    if op == ReduceOp.PREMUL_SUM:
        raise RuntimeError("ReduceOp.PREMUL_SUM is not supported by the gloo backend")
    return op.name


def _check_op_dtype(op, t):
    if op in ("BAND", "BOR", "BXOR") and (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError(f"Cannot use ReduceOp.{op} with non-integral dtype")


def _member(pg):
    return _runtime.STATE.rank in pg.ranks


def _group_rank(pg, rank, group_rank, what, kind):
    """The group index of the ``src``/``dst`` a collective names (global ``rank`` or ``group_rank``)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"Group {what} {group_rank} is not part of group of size {pg.size()}")
        return group_rank
    rank = 0 if rank is None else rank
    if rank not in pg.ranks:
        if pg is _W.default_pg:
            raise RuntimeError(f"ProcessGroupGloo::{kind}: invalid root rank: {rank}")
        raise ValueError(f"Global rank {rank} is not part of group {pg}")
    return pg.ranks.index(rank)


# --------------------------------------------------------------------------- metadata agreement

_DTYPE_CODES = {}


def _signature(t):
    """An int64 vector naming a tensor's dtype and shape, gathered before a collective so that
    mismatched ranks fail with a message instead of a garbled or hung transfer."""
    code = _DTYPE_CODES.setdefault(str(t.dtype), len(_DTYPE_CODES) + 1)
    dims = list(t.shape)[:8] + [-1] * (8 - min(len(t.shape), 8))
    return np.array([code, len(t.shape)] + dims, dtype=np.int64)


def _describe(sig):
    name = next((k for k, v in _DTYPE_CODES.items() if v == sig[0]), f"dtype#{sig[0]}")
    return f"{tuple(int(d) for d in sig[2:2 + int(sig[1])])} {name}"


def _agree(pg, kind, t):
    if os.environ.get("TORCHLIKE_DIST_CHECK", "1") == "0":
        return
    sig = _signature(t)
    sigs = np.asarray(_runtime.collective("all_gather", pg.ranks, None, sig))[0]
    if (sigs != sigs[0]).any():
        parts = ", ".join(f"rank {pg.ranks[i]}: {_describe(s)}" for i, s in enumerate(sigs))
        raise RuntimeError(f"{kind}: the tensors differ across ranks ({parts}); every rank must pass "
                           f"tensors of one shape and dtype")


def _run(pg, kind, arg, t):
    return torch.from_jax(_runtime.collective(kind, pg.ranks, arg, t.detach().jax()))[0]


def _write(dst, value):
    with no_grad():
        dst.copy_(value)


def _done(async_op, tensors=None):
    return Work(tensors) if async_op else None


def _stack(ts):
    return torch.stack([t.detach() for t in ts])


# --------------------------------------------------------------------------- collectives

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the group's ranks with ``op``; every rank gets the result in place."""
    _check_tensor(tensor, "tensor")
    name = _op_name(op)
    pg = _pg(group)
    if not _member(pg):
        return None
    _check_op_dtype(name, tensor)
    _agree(pg, "all_reduce", tensor)
    _write(tensor, _run(pg, "all_reduce", name, tensor))
    return _done(async_op, [tensor])


def _all_reduce_agreed(tensor, group):
    """``all_reduce`` (SUM) of a tensor whose shape every rank is known to share (DDP's flat
    gradients, whose layout the construction broadcast checked): no shape exchange first."""
    _write(tensor, _run(_pg(group), "all_reduce", "SUM", tensor))


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """``all_reduce``'s result, kept only on ``dst``."""
    _check_tensor(tensor, "tensor")
    name = _op_name(op)
    pg = _pg(group)
    if not _member(pg):
        return None
    root = _group_rank(pg, dst, group_dst, "dst", "reduce")
    _check_op_dtype(name, tensor)
    _agree(pg, "reduce", tensor)
    result = _run(pg, "all_reduce", name, tensor)
    if pg.rank() == root:
        _write(tensor, result)
    return _done(async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Every rank's ``tensor`` becomes ``src``'s."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if not _member(pg):
        return None
    root = _group_rank(pg, src, group_src, "src", "broadcast")
    _agree(pg, "broadcast", tensor)
    _write(tensor, _run(pg, "broadcast", root, tensor))
    return _done(async_op, [tensor])


def _gathered(pg, kind, tensor):
    _agree(pg, kind, tensor)
    return _run(pg, "all_gather", None, tensor)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` becomes rank i's ``tensor``."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if not _member(pg):
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected "
                           f"length {pg.size()}, got {len(tensor_list)})")
    for i, t in enumerate(tensor_list):
        if tuple(t.shape) != tuple(tensor.shape):
            raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor size at index {i} (expected "
                               f"({', '.join(map(str, tensor.shape))}), got ({', '.join(map(str, t.shape))}))")
    rows = _gathered(pg, "all_gather", tensor)
    for i, t in enumerate(tensor_list):
        _write(t, rows[i])
    return _done(async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank i's ``input_tensor`` fills the i-th chunk of ``output_tensor``'s first dimension
    (``(world * d0, ...)``, as gloo takes it)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg(group)
    if not _member(pg):
        return None
    n, shape, out = pg.size(), tuple(input_tensor.shape), tuple(output_tensor.shape)
    chunk = ((out[0] // n,) + out[1:]) if out else ()
    if chunk != shape or not out or out[0] % n:
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor size at index 0 (expected "
                           f"({', '.join(map(str, shape))}), got ({', '.join(map(str, chunk))}))")
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor type at index 0 (expected "
                           f"{input_tensor.dtype}, got {output_tensor.dtype})")
    rows = _gathered(pg, "all_gather_into_tensor", input_tensor)
    _write(output_tensor, rows.reshape(out))
    return _done(async_op, [output_tensor])


def _check_root_list(pg, root, tensors, name, kind, direction, role):
    """``gather_list``/``scatter_list``: one tensor per rank on the root, nothing elsewhere."""
    if pg.rank() == root:
        if tensors is None:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        _check_list(tensors, name)
        if len(tensors) != pg.size():
            raise RuntimeError(f"ProcessGroupGloo::{kind}: Incorrect {direction} list size {len(tensors)}. "
                               f"{direction.capitalize()} list size should be {pg.size()}, same as size of the "
                               f"process group.")
    elif tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """``gather_list[i]`` on ``dst`` becomes rank i's ``tensor``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if not _member(pg):
        return None
    root = _group_rank(pg, dst, group_dst, "dst", "gather")
    _check_root_list(pg, root, gather_list, "gather_list", "gather", "output", "destination")
    rows = _gathered(pg, "gather", tensor)
    if pg.rank() == root:
        for i, t in enumerate(gather_list):
            _write(t, rows[i])
    return _done(async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank i's ``tensor`` becomes ``scatter_list[i]`` of ``src``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if not _member(pg):
        return None
    root = _group_rank(pg, src, group_src, "src", "scatter")
    _check_root_list(pg, root, scatter_list, "scatter_list", "scatter", "input", "source")
    if pg.rank() == root:
        rows = _stack(scatter_list)
    else:
        rows = torch.zeros((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype)
    _agree(pg, "scatter", tensor)
    _write(tensor, _run(pg, "scatter", root, rows))
    return _done(async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank i becomes the reduction over ranks of their ``input_list[i]``."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    name = _op_name(op)
    pg = _pg(group)
    if not _member(pg):
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list must have one tensor per rank ({pg.size()}), got "
                         f"{len(input_list)}")
    _check_op_dtype(name, output)
    rows = _stack(input_list)
    _agree(pg, "reduce_scatter", rows)
    _write(output, _run(pg, "reduce_scatter", name, rows))
    return _done(async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """``input``'s first dimension in world-many chunks; rank i gets the reduction of every rank's chunk i."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    name = _op_name(op)
    pg = _pg(group)
    if not _member(pg):
        return None
    n = pg.size()
    if not output.dim() or input.dim() != output.dim() or input.shape[0] != output.shape[0] * n \
            or tuple(input.shape[1:]) != tuple(output.shape[1:]):
        raise RuntimeError(f"reduce_scatter_tensor: input of shape {tuple(input.shape)} must be world_size "
                           f"({n}) chunks of the output's shape {tuple(output.shape)} along the first dimension")
    _check_op_dtype(name, output)
    rows = input.detach().reshape((n,) + tuple(output.shape))
    _agree(pg, "reduce_scatter_tensor", rows)
    _write(output, _run(pg, "reduce_scatter", name, rows))
    return _done(async_op, [output])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i's ``output_tensor_list[j]`` becomes rank j's ``input_tensor_list[i]``."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _pg(group)
    if not _member(pg):
        return None
    n = pg.size()
    if len(input_tensor_list) != n or len(output_tensor_list) != n:
        raise ValueError(f"all_to_all: both tensor lists must have one tensor per rank ({n})")
    shapes = {tuple(t.shape) for t in list(input_tensor_list) + list(output_tensor_list)}
    if len(shapes) != 1:
        raise ValueError("all_to_all: torchlike needs every tensor of both lists to have one shape, got "
                         f"{sorted(shapes)}")
    rows = _stack(input_tensor_list)
    _agree(pg, "all_to_all", rows)
    result = _run(pg, "all_to_all", None, rows)
    for i, t in enumerate(output_tensor_list):
        _write(t, result[i])
    return _done(async_op, output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,  # noqa: A002
                      async_op=False):
    """``all_to_all`` over the equal chunks of ``input``'s first dimension."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg(group)
    if not _member(pg):
        return None
    if output_split_sizes is not None or input_split_sizes is not None:
        sizes = set(output_split_sizes or []) | set(input_split_sizes or [])
        if len(sizes) > 1:
            raise NotImplementedError("all_to_all_single with unequal split sizes is not supported by torchlike")
    n = pg.size()
    if input.shape[0] % n or tuple(input.shape) != tuple(output.shape):
        raise ValueError(f"all_to_all_single: input and output must have one shape whose first dimension "
                         f"divides by the group size {n}")
    rows = input.detach().reshape((n, input.shape[0] // n) + tuple(input.shape[1:]))
    _agree(pg, "all_to_all_single", rows)
    _write(output, _run(pg, "all_to_all", None, rows).reshape(tuple(output.shape)))
    return _done(async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group arrives."""
    pg = _pg(group)
    if not _member(pg):
        return None
    _runtime.kv_barrier(pg._next() + "/barrier", pg.ranks)
    return _done(async_op, [])


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    return barrier(group)


# --------------------------------------------------------------------------- point to point

def _peer(pg, rank, group_rank, what):
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    if group_rank is not None:
        rank = pg.ranks[group_rank]
    if rank is None or not 0 <= rank < _runtime.STATE.world_size:
        raise ValueError(f"Invalid {'destination' if what == 'dst' else 'source'} rank: {rank} (world size "
                         f"{_runtime.STATE.world_size})")
    if rank == _runtime.STATE.rank:
        word = "destination" if what == "dst" else "source"
        raise ValueError(f"Invalid {word} rank: {word} rank should not be the same as the rank of the "
                         f"current process.")
    return rank


def _p2p_key(src, dst, tag):
    seq = _W.p2p_seq.get((src, dst, tag), 0) + 1
    _W.p2p_seq[(src, dst, tag)] = seq
    return f"tl/p2p/{src}/{dst}/{tag}/{seq}"


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (which calls ``recv``)."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    dst = _peer(pg, dst, group_dst, "dst")
    _runtime.kv_set(_p2p_key(_runtime.STATE.rank, dst, tag), np.array(tensor.detach().cpu().numpy()))


def _receive(tensor, src, tag):
    me = _runtime.STATE.rank
    if src is not None:
        key = _p2p_key(src, me, tag)
        value = _runtime.kv_get(key, f"recv from rank {src}")
    else:   # any source: the first message to arrive
        deadline = time.monotonic() + _runtime.STATE.timeout_ms / 1000
        while True:
            for r in range(_runtime.STATE.world_size):
                if r == me:
                    continue
                seq = _W.p2p_seq.get((r, me, tag), 0) + 1
                key = f"tl/p2p/{r}/{me}/{tag}/{seq}"
                value = _runtime.kv_try_get(key)
                if value is not _runtime._MISSING:
                    _W.p2p_seq[(r, me, tag)] = seq
                    src = r
                    break
            if src is not None:
                break
            if time.monotonic() > deadline:
                raise DistStoreError("recv from any source: no message arrived within the timeout")
            time.sleep(0.001)
    _runtime.kv_delete(key)
    if tuple(value.shape) != tuple(tensor.shape):
        raise RuntimeError(f"recv: rank {src} sent a tensor of shape {tuple(value.shape)} into a tensor of "
                           f"shape {tuple(tensor.shape)}")
    _write(tensor, torch.from_numpy(value).to(tensor.dtype))
    return src


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from ``src`` (any rank when None); returns the sender's rank."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if src is not None or group_src is not None:
        src = _peer(pg, src, group_src, "src")
    return _receive(tensor, src, tag)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    send(tensor, dst, group, tag, group_dst)
    return Work([tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """A receive that happens at ``wait()``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if src is not None or group_src is not None:
        src = _peer(pg, src, group_src, "src")
    work = Work([tensor])

    def finish():
        work._source = _receive(tensor, src, tag)
    work._pending = finish
    return work


class P2POp:
    """One operation of ``batch_isend_irecv``: ``P2POp(dist.isend, tensor, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag


def batch_isend_irecv(p2p_op_list):
    """Every send first, then the receives (which wait when their handles are waited on)."""
    sends = [p.op(p.tensor, p.peer, p.group, p.tag) for p in p2p_op_list if p.op is isend]
    recvs = [p.op(p.tensor, p.peer, p.group, p.tag) for p in p2p_op_list if p.op is irecv]
    order = iter(sends), iter(recvs)
    return [next(order[0] if p.op is isend else order[1]) for p in p2p_op_list]


# --------------------------------------------------------------------------- Python objects

def _exchange(pg, mine, read):
    """Publish ``mine`` (if not None) under this call's key, read the members ``read`` names, then meet
    and take the key down."""
    base = pg._next()
    if mine is not None:
        _runtime.kv_set(f"{base}/{_runtime.STATE.rank}", mine)
    got = {r: _runtime.kv_get(f"{base}/{r}", "object collective") for r in read}
    _runtime.kv_barrier(base + "/done", pg.ranks)
    if mine is not None:
        _runtime.kv_delete(f"{base}/{_runtime.STATE.rank}")
    return got


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """``object_list``'s items on every rank become ``src``'s (pickled)."""
    pg = _pg(group)
    if not _member(pg):
        return
    root = pg.ranks[_group_rank(pg, src, group_src, "src", "broadcast")]
    me = _runtime.STATE.rank
    got = _exchange(pg, list(object_list) if me == root else None, [] if me == root else [root])
    if me != root:
        object_list[:] = got[root][:len(object_list)]


def all_gather_object(object_list, obj, group=None):
    """``object_list[i]`` becomes rank i's ``obj``."""
    pg = _pg(group)
    if not _member(pg):
        return
    got = _exchange(pg, obj, [r for r in pg.ranks])
    for i, r in enumerate(pg.ranks):
        object_list[i] = got[r]


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    pg = _pg(group)
    if not _member(pg):
        return
    root = pg.ranks[_group_rank(pg, dst, group_dst, "dst", "gather")]
    me = _runtime.STATE.rank
    got = _exchange(pg, obj, list(pg.ranks) if me == root else [])
    if me == root:
        for i, r in enumerate(pg.ranks):
            object_gather_list[i] = got[r]


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    pg = _pg(group)
    if not _member(pg):
        return
    root = pg.ranks[_group_rank(pg, src, group_src, "src", "scatter")]
    me = _runtime.STATE.rank
    got = _exchange(pg, list(scatter_object_input_list) if me == root else None, [] if me == root else [root])
    items = scatter_object_input_list if me == root else got[root]
    scatter_object_output_list[0] = items[pg.rank()]


# --------------------------------------------------------------------------- more groups and helpers

def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None, group_desc=None):
    """Split the world into consecutive groups of ``group_size`` ranks: (this rank's group, all groups)."""
    world = _pg(group)
    size = world.size() if group_size is None else group_size
    if size <= 0:
        raise ValueError(f"The arg 'group_size' ({size}) must be positive")
    if world.size() % size:
        raise ValueError(f"The world size ({world.size()}) must be divisible by 'group_size={size}'")
    ranks = list(world.ranks)
    return new_subgroups_by_enumeration([ranks[i:i + size] for i in range(0, len(ranks), size)], timeout, backend)


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None, pg_options=None,
                                 group_desc=None):
    """One group per list of ranks (every rank calls it): (this rank's group or None, all groups)."""
    if not ranks_per_subgroup_list:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    mine, groups = None, []
    for ranks in ranks_per_subgroup_list:
        g = new_group(ranks, timeout=timeout, backend=backend)
        groups.append(g)
        if _runtime.STATE.rank in ranks:
            mine = g
    return mine, groups


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None, use_batch=False):
    """Send the picklable objects of ``object_list`` to ``dst`` (which calls ``recv_object_list``)."""
    pg = _pg(group)
    dst = _peer(pg, dst, group_dst, "dst")
    _runtime.kv_set(_p2p_key(_runtime.STATE.rank, dst, "objects"), list(object_list))


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None, use_batch=False):
    """Fill ``object_list`` with what ``src`` sent; returns the sender's rank."""
    pg = _pg(group)
    src = _peer(pg, src, group_src, "src")
    key = _p2p_key(src, _runtime.STATE.rank, "objects")
    got = _runtime.kv_get(key, f"recv_object_list from rank {src}")
    _runtime.kv_delete(key)
    object_list[:len(got)] = got[:len(object_list)]
    return src


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False):
    """``all_reduce`` of each tensor (PyTorch's deprecated spelling); one dtype for all."""
    _check_list(tensors, "tensors")
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {tensors[0].dtype} and  {t.dtype}")
    for t in tensors:
        all_reduce(t, op, group)
    return _done(async_op, list(tensors))


def all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None, async_op=False):
    """``all_gather`` of each input into the matching per-rank list (PyTorch's deprecated spelling)."""
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _pg(group)
    for i, t in enumerate(input_tensor_list):
        all_gather([output_tensor_lists[r][i] for r in range(pg.size())], t, group)
    return _done(async_op, [t for lst in output_tensor_lists for t in lst])


def get_node_local_rank(fallback_rank=None):
    """LOCAL_RANK as the launcher set it (else ``fallback_rank``)."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context "
                       "and want the code to run locally instead.")


def get_pg_count():
    """How many process groups exist (the default group and those new_group made)."""
    return 0 if _W.default_pg is None else 1 + _W.groups


class DebugLevel(enum.IntEnum):
    OFF = 0
    INFO = 1
    DETAIL = 2


_DEBUG = []    # the level set_debug_level chose; read from TORCH_DISTRIBUTED_DEBUG on first use


def set_debug_level(level):
    """Set the package's debug level (a :class:`DebugLevel`)."""
    if not isinstance(level, DebugLevel):
        raise TypeError(f"set_debug_level(): expected a torch.distributed.DebugLevel, got {type(level).__name__} "
                        f"{level!r}")
    _DEBUG[:] = [level]


def set_debug_level_from_env():
    """Set the debug level from ``TORCH_DISTRIBUTED_DEBUG`` (OFF when unset)."""
    value = os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper()
    if value not in DebugLevel.__members__:
        raise ValueError("The value of TORCH_DISTRIBUTED_DEBUG must be OFF, INFO, or DETAIL.")
    _DEBUG[:] = [DebugLevel[value]]


def get_debug_level():
    if not _DEBUG:
        set_debug_level_from_env()
    return _DEBUG[0]


# --------------------------------------------------------------------------- backend configuration

Backend.backend_capability = {"gloo": ["cpu", "cuda"], "nccl": ["cuda"], "xccl": ["xpu"], "ucc": ["cpu", "cuda"],
                              "mpi": ["cpu", "cuda"]}
Backend.default_device_backend_map = {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "mps": "gloo"}
_BACKEND_STRING_FORMAT = ('Custom backend string is an experimental feature where the backend string must be in the '
                          'format: "<device_type1>:<backend1>,<device_type2>:<backend2>...". e.g. '
                          "'cpu:gloo,cuda:nccl'")


class BackendConfig:
    """Which backend serves each device type: ``BackendConfig('gloo')`` is ``cpu:gloo,cuda:gloo``; a
    ``'cpu:gloo,cuda:nccl'`` string names them one by one."""

    def __init__(self, backend):
        self.device_backend_map = {}
        name = str(backend).lower()
        if name == Backend.UNDEFINED:
            self.device_backend_map = {"cpu": "gloo"}
            if is_nccl_available():
                self.device_backend_map["cuda"] = "nccl"
        elif name in Backend.backend_capability:
            self.device_backend_map = {dev: name for dev in Backend.backend_capability[name]}
        elif ":" in name:
            for pair in name.split(","):
                parts = pair.split(":")
                if len(parts) != 2:
                    raise ValueError(f"Invalid device:backend pairing: {pair}. The custom backend string "
                                     f"argument is invalid: {backend}.\n{_BACKEND_STRING_FORMAT}")
                device, value = parts
                if device in self.device_backend_map:
                    raise ValueError(f"Duplicate device type {device} in backend string: {value}. The custom "
                                     f"backend string argument is invalid: {backend}.\n{_BACKEND_STRING_FORMAT}")
                self.device_backend_map[device] = value
        else:
            warnings.warn(f"Device capability of {backend} unknown, assuming `cpu` and `cuda`. You can specify it "
                          "in `device:backend` format in `init_process_group` call.", stacklevel=2)
            self.device_backend_map = {dev: name for dev in ("cpu", "cuda", "xpu")}

    def get_device_backend_map(self):
        return dict(self.device_backend_map)

    def __repr__(self):
        return ",".join(f"{dev}:{value}" for dev, value in self.device_backend_map.items())

    __str__ = __repr__


def get_backend_config(group=None):
    """The group's backend configuration as a string (``'cpu:gloo,cuda:gloo'``)."""
    return str(BackendConfig(_pg(group)._backend))


def is_xccl_available():
    return False


def supports_complex(reduceOp):  # noqa: N803 - PyTorch's parameter name
    """Whether ``reduceOp`` is defined on complex tensors (not MAX, MIN, PRODUCT or the bitwise ops)."""
    return reduceOp not in (ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT, ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


GroupName = typing.NewType("GroupName", str)
GroupName.__module__ = __name__


# --------------------------------------------------------------------------- more collectives

def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` in rank order along ``output_tensor``'s first dimension
    (``all_gather_into_tensor``)."""
    return all_gather_into_tensor(output_tensor, input_tensor, group, async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """Reduce ``input`` across ranks, rank i keeping chunk i of its first dimension (``reduce_scatter_tensor``)."""
    return reduce_scatter_tensor(output, input, op, group, async_op)


def split_group(parent_pg=None, split_ranks=None, timeout=None, pg_options=None, group_desc=None, backend=None):
    """PyTorch splits only groups bound to an accelerator (NCCL's communicator split); torchlike's groups
    are bound to no device, so this raises PyTorch's error for them (``new_group`` makes subgroups)."""
    _pg(parent_pg)
    raise RuntimeError("No device associated with the default pg, not safe to split any process groups")


def shrink_group(ranks_to_exclude, group=None, shrink_flags=0, pg_options=None):
    """Checks the arguments as PyTorch does; the backends torchlike runs (JAX's coordination service)
    cannot drop ranks from a live group, as PyTorch's gloo cannot, so a valid call raises TypeError."""
    pg = _pg(group)
    if pg.size() < 2:
        raise ValueError(f"Cannot shrink a process group with size {pg.size()}. Group must have at least 2 ranks "
                         "to support shrinking.")
    if not ranks_to_exclude:
        raise ValueError("ranks_to_exclude cannot be empty. To shrink a group, you must specify at least one rank "
                         "to exclude. Example: [failed_rank_id]")
    raise TypeError(f"Process group backend for '{pg.name()}' does not support shrinking operations.")


_COMM_NAME = []


@contextlib.contextmanager
def record_comm(name):
    """Within the block, collectives carry ``name`` as their profiling title."""
    if not isinstance(name, str):
        raise TypeError(f"record_comm(): name must be a str, got {type(name).__name__}")
    _COMM_NAME.append(name)
    try:
        yield
    finally:
        _COMM_NAME.pop()


_BREAKS = {}


def breakpoint(rank=0, skip=0, timeout_s=3600):  # noqa: A001 - PyTorch's name
    """Stop in pdb on ``rank`` only (reading the terminal), every rank of the world waiting at a barrier
    until it continues; the first ``skip`` calls (from one line) do nothing."""
    me = get_rank()
    if skip > 0:
        caller = inspect.stack()[1]
        where = (caller.filename, caller.lineno)
        _BREAKS[where] = _BREAKS.get(where, 0) + 1
        if _BREAKS[where] <= skip:
            return
    if me == rank:
        import pdb
        try:
            stdin = open("/dev/tty")        # noqa: SIM115 - closed below
        except OSError:
            stdin = sys.stdin
        try:
            pdb.Pdb(stdin=stdin).set_trace(sys._getframe(1))
        finally:
            if stdin is not sys.stdin:
                stdin.close()
    barrier()
