"""The JAX side of ``torch.distributed``: one process per rank in JAX's multi-controller runtime.

* ``start`` joins JAX's distributed runtime (``jax.distributed.initialize``: rank 0 runs the
  coordination service on MASTER_PORT) with CPU collectives over gloo.  torchlike's import has
  already created JAX's single-process backend, so it is cleared first and rebuilt with every
  process's devices; arrays made before keep working.
* Tensor collectives are XLA programs: ``shard_map`` over a one-axis ``Mesh`` whose devices are
  the group's ranks (the first local device of each process), compiled once per group, kind and
  shape.  Each rank's tensor is its shard of a global array.
* Objects, point-to-point messages and barriers go through the coordination service's key-value
  store (``blocking_key_value_get_bytes`` with the group's timeout).
"""
from __future__ import annotations

import contextlib
import errno
import os
import sys
import functools
import pickle
import socket

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import jax.extend.backend as jeb
from .. import _device


class DistError(RuntimeError):
    """``torch.distributed.DistError``."""


class DistBackendError(DistError):
    """A collective failed (a peer died, a connection closed)."""


class DistNetworkError(DistError):
    """The rendezvous could not listen or connect."""


class DistStoreError(DistError):
    """A key-value store operation timed out."""


class QueueEmptyError(DistStoreError):
    """A store's queue had nothing to pop."""


HEARTBEAT_S = 30       # a process that stops answering fails the others after this long


class _State:
    rank = -1
    world_size = -1
    devices = ()        # devices[r]: the device that stands for rank r in collectives
    timeout_ms = 1800 * 1000


STATE = _State()


def _rebuild_backends():
    """Forget JAX's backends (and torchlike's device tables) so the next use builds them anew."""
    jeb.clear_backends()
    _device._jax_devices.cache_clear()
    _device._cache.clear()


def _check_port_free(port):
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("", port))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise DistNetworkError(
                f"The server socket has failed to listen on any local network address. port: {port}, "
                f"useIpv6: false, code: -98, name: EADDRINUSE, message: address already in use") from None
        raise DistNetworkError(f"The server socket has failed to listen on port {port}: {e}") from None
    finally:
        probe.close()


def start(addr, port, rank, world_size, timeout_s):
    """Join JAX's distributed runtime as process ``rank`` of ``world_size``; rank 0 serves on ``port``."""
    if rank == 0:
        _check_port_free(port)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    _rebuild_backends()
    try:
        jax.distributed.initialize(coordinator_address=f"{addr}:{port}", num_processes=world_size,
                                   process_id=rank, initialization_timeout=max(1, int(timeout_s)),
                                   heartbeat_timeout_seconds=HEARTBEAT_S,
                                   shutdown_timeout_seconds=max(1, min(int(timeout_s), 60)))
    except Exception as e:  # noqa: BLE001 - JAX raises its runtime error for every rendezvous failure
        _forget_client()
        if rank == 0 and "Failed to start RPC server" in str(e):
            raise DistNetworkError(
                f"The server socket has failed to listen on any local network address. port: {port}, "
                f"useIpv6: false, code: -98, name: EADDRINUSE, message: address already in use") from None
        raise DistNetworkError(f"rank {rank} could not join the process group at {addr}:{port} within "
                               f"{timeout_s:g} s: {str(e).splitlines()[0]}") from None
    STATE.rank, STATE.world_size = rank, world_size
    STATE.timeout_ms = int(timeout_s * 1000)
    first = {}
    for d in sorted(jax.devices(), key=lambda d: d.id):
        first.setdefault(d.process_index, d)
    STATE.devices = tuple(first[r] for r in range(world_size))


def _forget_client():
    from jax._src import distributed
    state = distributed.global_state
    for name in ("client", "service"):
        obj = getattr(state, name, None)
        if obj is not None:
            try:
                obj.shutdown()
            except Exception:  # noqa: BLE001
                pass
            setattr(state, name, None)
    _rebuild_backends()


def stop():
    """Leave the runtime (every process's shutdown meets at a barrier) and go back to one process."""
    _program.cache_clear()
    _CONNECTED.clear()
    try:
        jax.distributed.shutdown()
    finally:
        STATE.rank, STATE.world_size, STATE.devices = -1, -1, ()
        _rebuild_backends()


def client():
    from jax._src import distributed
    return distributed.global_state.client


# --------------------------------------------------------------------------- tensor collectives

def _reduce_rows(g, op):
    """Reduce a gathered ``(n, ...)`` array over its first axis with ReduceOp ``op`` (a name)."""
    if g.dtype == jnp.bool_:
        if op in ("SUM", "MAX", "BOR", "AVG"):
            return jnp.any(g, axis=0)
        if op in ("PRODUCT", "MIN", "BAND"):
            return jnp.all(g, axis=0)
        return functools.reduce(jnp.logical_xor, list(g))
    if op == "SUM":
        return jnp.sum(g, axis=0, dtype=g.dtype)
    if op == "AVG":
        s = jnp.sum(g, axis=0, dtype=g.dtype)
        return (s / g.shape[0]).astype(g.dtype) if jnp.issubdtype(g.dtype, jnp.inexact) else s // g.shape[0]
    if op == "PRODUCT":
        return jnp.prod(g, axis=0, dtype=g.dtype)
    if op == "MIN":
        return jnp.min(g, axis=0)
    if op == "MAX":
        return jnp.max(g, axis=0)
    fn = {"BAND": jnp.bitwise_and, "BOR": jnp.bitwise_or, "BXOR": jnp.bitwise_xor}[op]
    return functools.reduce(fn, list(g))


def _allreduce_block(b, op):
    x = b[0]
    if op == "SUM" and x.dtype != jnp.bool_:
        return lax.psum(x, "g")[None]
    if op in ("MAX", "MIN") and x.dtype != jnp.bool_:
        return (lax.pmax if op == "MAX" else lax.pmin)(x, "g")[None]
    return _reduce_rows(lax.all_gather(x, "g"), op)[None]


_BODIES = {
    # each body maps this rank's block (1, ...) to its result block (1, ...)
    "all_reduce": _allreduce_block,
    "all_gather": lambda b, arg: lax.all_gather(b[0], "g")[None],
    "broadcast": lambda b, src: lax.all_gather(b[0], "g")[src][None],
    # the input block holds one row per destination rank: (1, n, ...)
    "reduce_scatter": lambda b, op: _reduce_rows(lax.all_gather(b[0], "g"), op)[lax.axis_index("g")][None],
    "scatter": lambda b, src: lax.all_gather(b[0], "g")[src][lax.axis_index("g")][None],
    "all_to_all": lambda b, arg: lax.all_to_all(b[0], "g", 0, 0, tiled=True)[None],
}


@functools.lru_cache(maxsize=None)
def _program(kind, ranks, arg):
    mesh = Mesh(np.array([STATE.devices[r] for r in ranks]), ("g",))
    body = _BODIES[kind]
    fn = jax.shard_map(lambda b: body(b, arg), mesh=mesh, in_specs=P("g"), out_specs=P("g"), check_vma=False)
    return mesh, jax.jit(fn)


_CONNECTED = set()


@contextlib.contextmanager
def _quiet_first(mesh):
    """gloo prints '[Gloo] Rank r is connected to ...' on stdout when a group first connects; a
    PyTorch script prints nothing there, so that first run writes stdout to /dev/null."""
    key = tuple(d.id for d in mesh.devices.flat)
    if key in _CONNECTED:
        yield
        return
    _CONNECTED.add(key)
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def collective(kind, ranks, arg, x):
    """Run collective ``kind`` over the global ``ranks`` with this rank's array ``x`` (numpy or JAX);
    this rank's result with a leading axis of 1 (the caller drops it: eager JAX indexing costs more
    than the collective itself)."""
    mesh, fn = _program(kind, tuple(ranks), arg)
    device = STATE.devices[STATE.rank]
    if isinstance(x, np.ndarray) or device.platform == "cpu":
        local = jax.device_put(np.asarray(x)[None], device)      # a host view: no eager JAX op
    else:
        local = jax.device_put(jnp.expand_dims(x, 0), device)
    glob = jax.make_array_from_single_device_arrays((len(ranks),) + local.shape[1:],
                                                    NamedSharding(mesh, P("g")), [local])
    with peer_failures(kind):
        with _quiet_first(mesh):
            res = fn(glob).addressable_data(0)
            res.block_until_ready()
    return res


@contextlib.contextmanager
def peer_failures(kind):
    """A gloo failure inside (JAX's runtime error) becomes DistBackendError naming ``kind``."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - a gloo failure arrives as JAX's runtime error
        msg = str(e)
        if "Gloo" in msg or "gloo" in msg or "Connection" in msg:
            raise DistBackendError(f"{kind} failed: a peer process of rank {STATE.rank} is gone or "
                                   f"unreachable ({msg.splitlines()[0]})") from None
        raise


# --------------------------------------------------------------------------- key-value store

def kv_set(key, obj):
    client().key_value_set_bytes(key, pickle.dumps(obj), allow_overwrite=True)


def kv_get(key, what):
    try:
        data = client().blocking_key_value_get_bytes(key, STATE.timeout_ms)
    except Exception as e:  # noqa: BLE001
        raise DistStoreError(f"{what}: timed out or failed after {STATE.timeout_ms / 1000:g} s waiting for "
                             f"a peer ({str(e).splitlines()[0]})") from None
    return pickle.loads(data)


def kv_try_get(key):
    try:
        return pickle.loads(client().key_value_try_get_bytes(key))
    except Exception:  # noqa: BLE001 - not there yet
        return _MISSING


_MISSING = object()


def kv_delete(key):
    try:
        client().key_value_delete(key)
    except Exception:  # noqa: BLE001
        pass


def kv_barrier(name, ranks):
    try:
        client().wait_at_barrier(name, STATE.timeout_ms,
                                 None if len(ranks) == STATE.world_size else list(ranks))
    except Exception as e:  # noqa: BLE001
        raise DistBackendError(f"barrier failed on rank {STATE.rank}: a peer did not arrive within "
                               f"{STATE.timeout_ms / 1000:g} s or is gone ({str(e).splitlines()[0]})") from None
