"""``DTensor`` over ``jax.sharding``: every rank's local tensor is one block of a global JAX array.

A DTensor keeps

* ``_stack``: a global ``jax.Array`` of shape ``mesh.shape + padded local shape`` placed with
  ``NamedSharding(mesh, P(*mesh dims))``, so device ``c`` of the mesh holds exactly rank ``c``'s
  local tensor (zero-padded to the largest local shape: ``Shard`` follows ``torch.chunk``, whose
  last pieces may be short or empty; ``Partial`` ranks hold different terms of one sum, which no
  ``NamedSharding`` of the global shape can say);
* its storage (what ``Tensor`` methods see): the global value, placed with the ``NamedSharding``
  that the placements mean when JAX can express it (shards that divide evenly, no ``Partial``),
  else replicated over the mesh.

``distribute_tensor``, ``redistribute``, ``full_tensor`` and the few DTensor-preserving ops are
one jitted program each (cached per mesh, shape, dtype and placements): the blocks are cut from,
or assembled into, the global value with static slices, concatenations and reductions, and XLA
turns that into the collectives.  One process only: the mesh's devices must be this process's
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``); ``device_mesh.as_rank(r)`` makes the
process answer as rank ``r`` (``to_local``, ``get_coordinate``).
"""
from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

import torchlike
from ..._tensor import Tensor
from ..device_mesh import DeviceMesh
from . import _dispatch
from .placement_types import Partial, Placement, Replicate, Shard


# --------------------------------------------------------------------------- static plans

def _coords(mesh_shape):
    return list(itertools.product(*(range(n) for n in mesh_shape)))


def _boxes(shape, placements, mesh_shape):
    """{mesh coordinate: ((start, size) per tensor dim)}: each rank's piece, as PyTorch cuts it
    (mesh dims in order, each ``Shard`` a ``torch.chunk`` of what the earlier ones left)."""
    boxes = {}
    for c in _coords(mesh_shape):
        box = [(0, s) for s in shape]
        for i, p in enumerate(placements):
            if isinstance(p, Shard):
                start, size = box[p.dim]
                chunk = -(-size // mesh_shape[i])
                a = min(c[i] * chunk, size)
                box[p.dim] = (start + a, max(0, min(chunk, size - a)))
        boxes[c] = tuple(box)
    return boxes


def _padded(boxes, ndim):
    return tuple(max(b[d][1] for b in boxes.values()) for d in range(ndim))


def _cut(full, box):
    return full[tuple(slice(s, s + n) for s, n in box)]


def _stack_sharding(mesh):
    jm = mesh.jax_mesh
    return NamedSharding(jm, P(*jm.axis_names))


def _value_sharding(mesh, placements, shape):
    """The ``NamedSharding`` the placements mean, or replicated when JAX cannot say it."""
    jm = mesh.jax_mesh
    spec = [[] for _ in shape]
    for i, p in enumerate(placements):
        if isinstance(p, Partial):
            return NamedSharding(jm, P())
        if isinstance(p, Shard):
            spec[p.dim].append(jm.axis_names[i])
    for d, axes in enumerate(spec):
        if shape[d] % max(1, int(np.prod([jm.shape[a] for a in axes]))):
            return NamedSharding(jm, P())
    return NamedSharding(jm, P(*[tuple(a) if len(a) > 1 else (a[0] if a else None) for a in spec]))


def _stack(blocks, mesh_shape, pad):
    parts = []
    for c in _coords(mesh_shape):
        b = blocks[c]
        parts.append(jnp.pad(b, [(0, p - s) for p, s in zip(pad, b.shape)]) if b.shape != pad else b)
    return jnp.stack(parts).reshape(tuple(mesh_shape) + tuple(pad))


def _unstack(stack, boxes):
    return {c: stack[c][tuple(slice(0, n) for _, n in box)] for c, box in boxes.items()}


def _reduce(arrs, op):
    s = jnp.stack(arrs)
    if op == "sum":
        return jnp.sum(s, 0, dtype=s.dtype)
    if op == "avg":
        return (jnp.sum(s, 0, dtype=s.dtype) / len(arrs)).astype(s.dtype)
    if op in ("product", "prod"):
        return jnp.prod(s, 0, dtype=s.dtype)
    if op == "max":
        return jnp.max(s, 0)
    if op == "min":
        return jnp.min(s, 0)
    if op in ("band", "bor", "bxor"):
        fn = {"band": jnp.bitwise_and, "bor": jnp.bitwise_or, "bxor": jnp.bitwise_xor}[op]
        return functools.reduce(fn, arrs)
    raise RuntimeError(f"Unrecognized reduce_op: {op}")


def _assemble(blocks, placements, mesh_shape, keep=frozenset()):
    """Collapse the blocks into the global value, last mesh dim first; the mesh dims in ``keep`` (kept
    ``Partial`` ones) are not collapsed.  {coordinate with None at collapsed dims: value}."""
    state = dict(blocks)
    for i in reversed(range(len(mesh_shape))):
        if i in keep:
            continue
        groups = {}
        for k, b in state.items():
            groups.setdefault(k[:i] + (None,) + k[i + 1:], []).append((k[i], b))
        p = placements[i]
        new = {}
        for g, items in groups.items():
            arrs = [b for _, b in sorted(items, key=operator.itemgetter(0))]
            if isinstance(p, Shard):
                new[g] = jnp.concatenate(arrs, axis=p.dim)
            elif isinstance(p, Partial):
                new[g] = _reduce(arrs, p.reduce_op)
            else:
                new[g] = arrs[0]
        state = new
    return state


def _partition(block, c, placements, mesh_shape):
    """Replicate -> Partial as PyTorch's ``_partition_value``: a sum's term is value / n."""
    for i, p in enumerate(placements):
        if isinstance(p, Partial):
            if p.reduce_op == "sum":
                block = block / mesh_shape[i] if jnp.issubdtype(block.dtype, jnp.inexact) else block // mesh_shape[i]
            elif p.reduce_op not in ("avg", "min", "max"):
                raise ValueError(f"Replicate to Partial({p.reduce_op}) conversion is not supported.")
    return block


@functools.lru_cache(maxsize=256)
def _distribute_program(mesh, shape, placements):
    boxes = _boxes(shape, placements, mesh.shape)
    pad = _padded(boxes, len(shape))
    for c in boxes:                         # raises before tracing for a reduce op that cannot partition
        _partition(jnp.zeros(()), c, placements, mesh.shape)

    def run(full):
        blocks = {c: _partition(_cut(full, box), c, placements, mesh.shape) for c, box in boxes.items()}
        return _stack(blocks, mesh.shape, pad), full
    return jax.jit(run, out_shardings=(_stack_sharding(mesh), _value_sharding(mesh, placements, shape)))


@functools.lru_cache(maxsize=256)
def _redistribute_program(mesh, shape, src, dst):
    """src blocks -> (dst blocks, global value).  Partial dims of ``dst`` are the same in ``src`` (kept)."""
    src_boxes, dst_boxes = _boxes(shape, src, mesh.shape), _boxes(shape, dst, mesh.shape)
    pad = _padded(dst_boxes, len(shape))
    keep = frozenset(i for i, p in enumerate(dst) if isinstance(p, Partial))

    def run(stack):
        blocks = _unstack(stack, src_boxes)
        value = _assemble(blocks, src, mesh.shape)[(None,) * len(mesh.shape)]
        if src == dst:
            return stack, value
        fulls = _assemble(blocks, src, mesh.shape, keep) if keep else {(None,) * len(mesh.shape): value}
        new = {c: _cut(fulls[tuple(c[i] if i in keep else None for i in range(len(c)))], box)
               for c, box in dst_boxes.items()}
        return _stack(new, mesh.shape, pad), value
    return jax.jit(run, out_shardings=(_stack_sharding(mesh), _value_sharding(mesh, dst, shape)))


# --------------------------------------------------------------------------- checks

def _check_mesh(mesh):
    if not isinstance(mesh, DeviceMesh):
        raise TypeError(f"device_mesh must be a DeviceMesh, not {type(mesh).__name__}")
    me = jax.process_index()
    if any(d.process_index != me for d in mesh.jax_mesh.devices.flat):
        raise NotImplementedError("DTensor over a mesh spanning several processes is not supported by torchlike "
                                  "yet: use one process with several JAX devices")


def _norm_placements(placements, mesh, ndim, *, what="distribute tensor"):
    placements = tuple(placements)
    if len(placements) != mesh.ndim:
        raise ValueError(f"`placements` must have the same length as `device_mesh.ndim`! Found placements "
                         f"length: {len(placements)}, and device_mesh.ndim: {mesh.ndim}.")
    out = []
    for i, p in enumerate(placements):
        if not isinstance(p, Placement):
            raise RuntimeError(f"Trying to {what} with unsupported placements {p} on device mesh dimension {i}!")
        if isinstance(p, Shard):
            if not -max(ndim, 1) <= p.dim < max(ndim, 1):
                lo, hi = -max(ndim, 1), max(ndim, 1) - 1
                raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {p.dim})")
            p = Shard(p.dim % ndim)
        out.append(p)
    partial_ops = {p.reduce_op for p in out if isinstance(p, Partial)}
    if len(partial_ops) > 1:
        raise ValueError(f"Cannot have mixed reduce types in placements: {tuple(out)}")
    return tuple(out)


# --------------------------------------------------------------------------- DTensor

class DTensor(Tensor):
    """A tensor laid out over a ``DeviceMesh`` by ``placements`` (one per mesh dimension).

    ``Tensor`` methods see the global value (JAX's global view); ``to_local()`` is this rank's piece."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("DTensor: build one with distribute_tensor(), DTensor.from_local() or redistribute()")

    @classmethod
    def _make(cls, stack, value, mesh, placements, requires_grad=False):
        _dispatch.activate()
        t = cls._wrap(value, requires_grad=requires_grad)
        t._dt_stack = stack
        t._dt_mesh = mesh
        t._dt_placements = tuple(placements)
        return t

    # ---- the spec
    @property
    def device_mesh(self):
        return self._dt_mesh

    @property
    def placements(self):
        return self._dt_placements

    # ---- conversions
    def to_local(self, *, grad_placements=None):
        """This rank's piece (mesh coordinate of this process, or of ``device_mesh.as_rank``)."""
        coord = self._dt_mesh.get_coordinate()
        shape = tuple(self.shape)
        if coord is None:
            return torchlike.empty(0, dtype=self.dtype)
        box = _boxes(shape, self._dt_placements, self._dt_mesh.shape)[tuple(coord)]
        device = self._dt_mesh.jax_mesh.devices[tuple(coord)]
        block = next(s.data for s in self._dt_stack.addressable_shards if s.device == device)
        local = np.asarray(block).reshape(block.shape[len(coord):])
        return torchlike.as_tensor(local[tuple(slice(0, n) for _, n in box)].copy())

    def full_tensor(self, *, grad_placements=None):
        """The global value (what redistributing to ``Replicate()`` everywhere gives each rank): the
        storage already holds it, reduced and gathered by the program that made this DTensor."""
        return torchlike.as_tensor(np.asarray(self._arr()).copy())

    def redistribute(self, device_mesh=None, placements=None, *, async_op=False, forward_dtype=None,
                     backward_dtype=None):
        mesh = self._dt_mesh if device_mesh is None else device_mesh
        if mesh != self._dt_mesh:
            raise NotImplementedError("Cross device mesh comm not supported yet!")
        if placements is None:
            raise RuntimeError("placements is needed for redistribute!")
        dst = _norm_placements(placements, mesh, self.dim(), what="redistribute")
        src = self._dt_placements
        for i, (s, d) in enumerate(zip(src, dst)):
            if isinstance(d, Partial) and s != d:
                raise RuntimeError(f"Can not redistribute from {s} to {d}, redistributing to Partial is for "
                                   f"internal use only!")
        stack, value = _redistribute_program(mesh, tuple(self.shape), src, dst)(self._dt_stack)
        return DTensor._make(stack, value, mesh, dst, self.requires_grad)

    @staticmethod
    def from_local(local_tensor, device_mesh=None, placements=None, *, run_check=False, shape=None, stride=None):
        """The DTensor whose local piece on every rank is ``local_tensor`` (in one process the one tensor
        stands for each rank's; ``Partial`` ranks then hold equal terms)."""
        if device_mesh is None:
            raise RuntimeError("No device mesh is currently active!")
        _check_mesh(device_mesh)
        if placements is None:
            placements = [Replicate()] * device_mesh.ndim
        pl = []
        for i, p in enumerate(placements):
            if isinstance(p, Shard) and p.dim < 0:
                p = Shard(p.dim + local_tensor.dim())
            pl.append(p)
        pl = _norm_placements(pl, device_mesh, local_tensor.dim(), what="create a DTensor")
        if shape is None:
            gshape = list(local_tensor.shape)
            for i, p in enumerate(pl):
                if isinstance(p, Shard):
                    gshape[p.dim] *= device_mesh.shape[i]
            shape = tuple(gshape)
        shape = tuple(shape)
        local = local_tensor.detach().jax()
        boxes = _boxes(shape, pl, device_mesh.shape)
        if any(tuple(n for _, n in box) != tuple(local.shape) for box in boxes.values()):
            raise RuntimeError(f"DTensor.from_local: in one process the local tensor {tuple(local.shape)} stands "
                               f"for every rank's, so every rank's piece of {shape} must have its shape")
        stack = jax.device_put(jnp.broadcast_to(local, tuple(device_mesh.shape) + local.shape),
                               _stack_sharding(device_mesh))
        _, value = _redistribute_program(device_mesh, shape, pl, pl)(stack)
        return DTensor._make(stack, value, device_mesh, pl, local_tensor.requires_grad)

    # ---- ops that stay DTensors
    def _blockwise(self, fn, name, other=None, linear=False):
        """``fn`` on every rank's block (the padding is cut off later): what PyTorch's pointwise
        sharding rule does.  ``Partial`` inputs are reduced first unless the op is ``linear``."""
        me = self
        if isinstance(other, DTensor):
            if other._dt_mesh != me._dt_mesh:
                raise NotImplementedError("Cross device mesh comm not supported yet!")
            if tuple(other.shape) != tuple(me.shape):
                raise RuntimeError(f"{name}: DTensors of shapes {tuple(me.shape)} and {tuple(other.shape)}: "
                                   f"torchlike's DTensor ops take equal shapes only")
            linear = False
        elif isinstance(other, Tensor):
            raise RuntimeError(f"aten.{name}.Tensor got mixed torch.Tensor and DTensor, need to convert all "
                               f"torch.Tensor to DTensor before calling distributed operators!")
        if not linear and any(isinstance(p, Partial) for p in me._dt_placements):
            me = me.redistribute(me._dt_mesh, [Replicate() if isinstance(p, Partial) else p
                                               for p in me._dt_placements])
        if isinstance(other, DTensor):
            if other._dt_placements != me._dt_placements:
                other = other.redistribute(me._dt_mesh, me._dt_placements)
            stack = _pointwise(fn)(me._dt_stack, other._dt_stack)
        else:
            stack = _pointwise(fn)(me._dt_stack, other)
        _, value = _redistribute_program(me._dt_mesh, tuple(me.shape), me._dt_placements,
                                         me._dt_placements)(stack)
        return DTensor._make(stack, value, me._dt_mesh, me._dt_placements)

    def __add__(self, other):
        return self._blockwise(operator.add, "add", other)

    def __radd__(self, other):
        return self._blockwise(_radd, "add", other)

    def __sub__(self, other):
        return self._blockwise(operator.sub, "sub", other)

    def __rsub__(self, other):
        return self._blockwise(_rsub, "sub", other)

    def __mul__(self, other):
        return self._blockwise(operator.mul, "mul", other, linear=not isinstance(other, Tensor))

    def __rmul__(self, other):
        return self._blockwise(_rmul, "mul", other, linear=not isinstance(other, Tensor))

    def __truediv__(self, other):
        return self._blockwise(operator.truediv, "div", other, linear=not isinstance(other, Tensor))

    def __rtruediv__(self, other):
        return self._blockwise(_rdiv, "div", other)

    def __neg__(self):
        return self._blockwise(_neg, "neg", None, linear=True)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum of all elements: each rank sums its piece, so ``Shard`` becomes ``Partial(sum)``."""
        if dim is not None or dtype is not None:
            return Tensor.sum(self, dim, keepdim, dtype=dtype) if dim is not None else Tensor.sum(self, dtype=dtype)
        me = self
        if any(isinstance(p, Partial) and p.reduce_op != "sum" for p in me._dt_placements):
            me = me.redistribute(me._dt_mesh, [Replicate() if isinstance(p, Partial) else p
                                               for p in me._dt_placements])
        k = me._dt_mesh.ndim
        stack = _block_sum(k)(me._dt_stack)
        pl = tuple(Partial("sum") if isinstance(p, Shard) else p for p in me._dt_placements)
        stack = jax.device_put(stack, _stack_sharding(me._dt_mesh))
        _, value = _redistribute_program(me._dt_mesh, (), pl, pl)(stack)
        return DTensor._make(stack, value, me._dt_mesh, pl)

    def _assign(self, array):
        raise NotImplementedError("torchlike's DTensor has no in-place ops: its ranks' pieces and its global value "
                                  "would disagree (use out-of-place ops or redistribute)")

    def __setitem__(self, index, value):
        self._assign(None)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = DTensor._make(self._dt_stack, self._arr(), self._dt_mesh, self._dt_placements,
                                           self.requires_grad)
        return memo[id(self)]

    def __repr__(self, *, tensor_contents=None):
        return f"DTensor(local_tensor={self.to_local()!r}, device_mesh={self._dt_mesh!r}, " \
               f"placements={self._dt_placements})"

    __str__ = __repr__


def _radd(a, b):
    return b + a


def _rsub(a, b):
    return b - a


def _rmul(a, b):
    return b * a


def _rdiv(a, b):
    return b / a


def _neg(a, b):
    return -a


@functools.lru_cache(maxsize=64)
def _pointwise(fn):
    return jax.jit(lambda a, b: fn(a, b))


@functools.lru_cache(maxsize=8)
def _block_sum(k):
    return jax.jit(lambda s: jnp.sum(s, axis=tuple(range(k, s.ndim)), dtype=s.dtype))


_dispatch.DTensor, _dispatch._boxes = DTensor, _boxes       # what its op rules need (see _dispatch's head)
_dispatch._redistribute_program, _dispatch._stack_sharding = _redistribute_program, _stack_sharding


# --------------------------------------------------------------------------- construction

def distribute_tensor(tensor, device_mesh=None, placements=None, *, src_data_rank=0):
    """``tensor`` (the same on every rank) laid out over ``device_mesh``: each rank keeps its piece."""
    if device_mesh is None:
        raise RuntimeError("No device mesh is currently active!")
    if not isinstance(tensor, Tensor):
        raise AttributeError(f"'{type(tensor).__name__}' object has no attribute 'is_leaf'")
    _check_mesh(device_mesh)
    if not tensor.is_leaf:
        raise RuntimeError("`distribute_tensor` should be used to distribute leaf tensors! but found non-leaf tensor!")
    if placements is None:
        placements = [Replicate()] * device_mesh.ndim
    placements = _norm_placements(placements, device_mesh, tensor.dim())
    if isinstance(tensor, DTensor):
        if tensor.device_mesh != device_mesh:
            raise ValueError(f"Cannot distribute a DTensor with device mesh {tensor.device_mesh} to a different "
                             f"device mesh {device_mesh}.")
        if tensor.placements != placements:
            raise ValueError(f"Cannot distribute a DTensor with placements {tensor.placements} to a different "
                             f"placements {list(placements)}. do you want to call `redistribute` instead?")
        return tensor
    stack, value = _distribute_program(device_mesh, tuple(tensor.shape), placements)(tensor.detach().jax())
    return DTensor._make(stack, value, device_mesh, placements, tensor.requires_grad)


def _factory(make, size, device_mesh, placements, requires_grad, dtype):
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    t = distribute_tensor(make(size, dtype), device_mesh, placements)
    t.requires_grad_(requires_grad)
    return t


def zeros(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.zeros(s, dtype=d), size, device_mesh, placements, requires_grad, dtype)


def ones(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.ones(s, dtype=d), size, device_mesh, placements, requires_grad, dtype)


def empty(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.empty(s, dtype=d), size, device_mesh, placements, requires_grad, dtype)


def full(size, fill_value, *, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.full(s, fill_value, dtype=d), (size,), device_mesh, placements,
                    requires_grad, dtype)


def rand(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.rand(s, dtype=d), size, device_mesh, placements, requires_grad, dtype)


def randn(*size, requires_grad=False, dtype=None, layout=None, device_mesh=None, placements=None):
    return _factory(lambda s, d: torchlike.randn(s, dtype=d), size, device_mesh, placements, requires_grad, dtype)
