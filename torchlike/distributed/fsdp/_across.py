"""``fully_shard`` over a mesh that spans processes (torch.distributed's ranks, one device each).

* **Storage.**  Each parameter's storage becomes a global ``jax.Array`` over the mesh: split along its
  first dimension over the mesh's last axis (``NamedSharding``) when that divides, so each process
  stores its rows, 1/N of the parameter; else replicated (every process stores it whole; its
  ``to_local()`` is still PyTorch's ``torch.chunk`` piece).  Every rank keeps its own value's piece,
  as PyTorch does: nothing is broadcast.  The gradients and the optimizer state that torchlike's ops
  make from such arrays come out placed the same way (XLA runs the update on each process's piece).
* **Forward.**  A module's forward needs its parameters whole, on this process's device, beside this
  rank's batch: a forward pre-hook swaps the parameters the module manages for the outputs of
  ``_Unshard`` (the all-gather: one jitted program for all of them, whose outputs are replicated, of
  which this process keeps its copies) and a forward hook puts the sharded parameters back.
* **Backward.**  ``_Unshard``'s backward is the reduce-scatter (again one program): every rank's
  gradient of each whole parameter, stacked into a global array over the mesh, averaged (FSDP2's
  default) into the parameter's placement, then accumulated into ``param.grad``.
* **What the user sees.**  Parameters, their ``.grad`` and the state dict's values have the global
  shape (as PyTorch's DTensors do) and DTensor's accessors: ``to_local()`` (this rank's piece),
  ``full_tensor()`` (a collective: every rank calls it), ``placements``, ``device_mesh``.
"""
from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...nn.parameter import Parameter
from .._runtime import _CONNECTED, _quiet_first, peer_failures
from ..tensor._api import _boxes
from ..tensor.placement_types import Replicate, Shard
import torchlike as torch     # the public face, read when called (not an import cycle): torch.from_jax


def spans_processes(mesh):
    return any(d.process_index != jax.process_index() for d in mesh.jax_mesh.devices.flat)


def _my_device(jm):
    mine = [d for d in jm.devices.flat if d.process_index == jax.process_index()]
    if len(mine) != 1:
        raise NotImplementedError(f"fully_shard over a mesh spanning processes needs exactly one of the mesh's "
                                  f"devices in each process; this process has {len(mine)}")
    return mine[0]


def sharding_for(jm, shape):
    """Dimension 0 split over the mesh's last axis when it divides, else replicated."""
    axis = jm.axis_names[-1]
    if shape and shape[0] % jm.shape[axis] == 0:
        return NamedSharding(jm, P(axis))
    return NamedSharding(jm, P())


def place(local, sharding):
    """This rank's whole value (numpy) -> the global array of which this process stores its piece."""
    device = _my_device(sharding.mesh)
    index = sharding.addressable_devices_indices_map(local.shape)[device]
    piece = jax.device_put(np.ascontiguousarray(local[index]), device)
    return jax.make_array_from_single_device_arrays(local.shape, sharding, [piece])


def _run(kind, jm, program, *arrays):
    """``program(*arrays)`` over mesh ``jm``; its first collective there runs to completion inside
    ``_quiet_first`` (gloo prints a notice on stdout while it connects, which PyTorch never does).
    A peer that is gone makes it raise DistBackendError."""
    with peer_failures(kind):
        if tuple(d.id for d in jm.devices.flat) in _CONNECTED:
            return program(*arrays)
        with _quiet_first(jm):
            return jax.block_until_ready(program(*arrays))


@functools.lru_cache(maxsize=None)
def _gather_program(jm, n):
    replicated = NamedSharding(jm, P())
    return jax.jit(lambda *arrs: arrs, out_shardings=(replicated,) * n)


def _gather(*arrs):
    """The all-gather of global arrays over one mesh (one program): this process's copies of their
    whole values.  A replicated array, or one this process holds whole (one an in-place op such as
    ``zero_()`` made on its own device), needs no program: its local copy is the value."""
    spread = [i for i, a in enumerate(arrs) if not a.sharding.is_fully_replicated]
    out = [a if a.sharding.is_fully_replicated else None for a in arrs]
    if spread:
        jm = arrs[spread[0]].sharding.mesh
        gathered = _run("FSDP all-gather", jm, _gather_program(jm, len(spread)), *(arrs[i] for i in spread))
        for i, a in zip(spread, gathered):
            out[i] = a
    return [a.addressable_data(0) for a in out]


@functools.lru_cache(maxsize=None)
def _average_program(shardings):
    def mean(*stacked):
        return tuple((jnp.sum(s, 0, dtype=s.dtype) / s.shape[0]).astype(s.dtype) for s in stacked)
    return jax.jit(mean, out_shardings=shardings)


def _reduce_scatter(locals_, shardings):
    """The reduce-scatter (one program): every rank's ``locals_`` (its gradients of whole parameters)
    averaged over the ranks, each placed as its ``shardings``."""
    jm = shardings[0].mesh
    device = _my_device(jm)
    stacked = [jax.make_array_from_single_device_arrays(
        (jm.size,) + tuple(g.shape), NamedSharding(jm, P(tuple(jm.axis_names))), [jax.device_put(g[None], device)])
        for g in locals_]
    return _run("FSDP reduce-scatter", jm, _average_program(tuple(shardings)), *stacked)


class _Unshard(Function):
    """A module's sharded parameters -> their whole values on this process (one all-gather);
    backward: the averaged gradients' pieces (one reduce-scatter)."""

    @staticmethod
    def forward(ctx, *params):
        arrays = [p.jax() for p in params]
        ctx.shapes = [(a.shape, a.dtype, a.sharding) for a in arrays]
        return tuple(torch.from_jax(a) for a in _gather(*arrays))

    @staticmethod
    def backward(ctx, *grads):
        wanted = [i for i, need in enumerate(ctx.needs_input_grad) if need]
        if not wanted:
            return (None,) * len(grads)
        locals_ = [grads[i].jax() if grads[i] is not None else jnp.zeros(*ctx.shapes[i][:2]) for i in wanted]
        reduced = iter(_reduce_scatter(locals_, [ctx.shapes[i][2] for i in wanted]))
        return tuple(torch.from_jax(next(reduced)) if i in wanted else None for i in range(len(grads)))


class _ShardedAccess:
    """DTensor's accessors for tensors whose storage is a global array over ``_fsdp_mesh``."""

    @property
    def device_mesh(self):
        return self._fsdp_mesh

    @property
    def placements(self):
        mesh = self._fsdp_mesh
        return (Replicate(),) * (mesh.ndim - 1) + (Shard(0),)

    def to_local(self, *, grad_placements=None):
        """This rank's piece (``torch.chunk`` of the first dimension over the mesh's last dimension)."""
        arr, mesh = self.jax(), self._fsdp_mesh
        shape = tuple(arr.shape)
        box = _boxes(shape, self.placements, mesh.shape)[tuple(mesh.get_coordinate())]
        shard = arr.addressable_shards[0]
        start = [ix.start or 0 for ix in shard.index] + [0] * (len(shape) - len(shard.index))
        return torch.from_jax(shard.data[tuple(slice(b - s, b - s + n) for (b, n), s in zip(box, start))])

    def full_tensor(self, *, grad_placements=None):
        """The whole value on every rank (a collective)."""
        return torch.from_jax(_gather(self.jax())[0])

    def __repr__(self, *, tensor_contents=None):
        return f"DTensor(local_tensor={self.to_local()!r}, device_mesh={self._fsdp_mesh!r}, " \
               f"placements={self.placements})"

    __str__ = __repr__


class ShardedTensor(_ShardedAccess, Tensor):
    """What ``detach()``/``state_dict()`` and ``.grad`` give for a parameter sharded across processes."""

    @classmethod
    def adopt(cls, t, mesh):
        t.__class__ = cls
        t._fsdp_mesh = mesh
        return t


class ShardedParameter(_ShardedAccess, Parameter):
    """A parameter ``fully_shard`` placed over a mesh spanning processes (global shape, 1/N stored)."""

    def detach(self):
        return ShardedTensor.adopt(Tensor.detach(self), self._fsdp_mesh)

    def __deepcopy__(self, memo):
        raise RuntimeError("torchlike cannot deepcopy a parameter sharded across processes")


def _mark_grad(param):
    if param.grad is not None and not isinstance(param.grad, ShardedTensor):
        ShardedTensor.adopt(param.grad, param._fsdp_mesh)


def unshard_hook(module, args):
    managed = module._fsdp_managed
    whole = _Unshard.apply(*(p for _, _, p in managed))
    for (owner, name, _), w in zip(managed, whole if isinstance(whole, tuple) else (whole,)):
        owner._parameters[name] = w


def reshard_hook(module, args, output):
    for owner, name, p in module._fsdp_managed:
        owner._parameters[name] = p


def shard(m, mesh, ignored):
    """Place the parameters of ``m`` that no nested ``fully_shard`` manages, and hook its forward."""
    jm = mesh.jax_mesh
    _my_device(jm)
    managed, seen = [], set()
    with no_grad():
        for owner in m.modules():
            for name, p in list(owner._parameters.items()):
                if p is None or id(p) in ignored or id(p) in seen or getattr(p, "_fsdp_mesh", None) is not None:
                    continue
                seen.add(id(p))
                local = np.asarray(p.detach().jax())
                p.data = torch.from_jax(place(local, sharding_for(jm, local.shape)))
                p.__class__ = ShardedParameter
                p._fsdp_mesh = mesh
                if p.requires_grad:
                    p.register_post_accumulate_grad_hook(_mark_grad)
                managed.append((owner, name, p))
    m._fsdp_managed = managed
    if managed:
        m.register_forward_pre_hook(unshard_hook)
        m.register_forward_hook(reshard_hook, always_call=True)
