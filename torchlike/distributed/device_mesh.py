"""``torch.distributed.device_mesh``: a ``DeviceMesh`` is a ``jax.sharding.Mesh`` with PyTorch's API.

Its "ranks" are JAX devices, numbered as ``jax.devices()`` lists them.  In one process (for
example with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``) a mesh spans the process's
devices and needs no process group; PyTorch's needs one process per rank.  Under
``torch.distributed`` a mesh spans every process's device.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

import jax
from jax.sharding import Mesh
from . import distributed_c10d
import torchlike as torch     # the public face, read when called (not an import cycle)


class DeviceMesh:
    """``DeviceMesh(device_type, mesh, mesh_dim_names=...)``; ``jax_mesh`` is the JAX mesh."""

    def __init__(self, device_type, mesh, *, mesh_dim_names=None, _devices=None):
        ids = np.asarray(mesh.tolist() if hasattr(mesh, "tolist") else mesh, dtype=np.int64)
        devices = list(_devices if _devices is not None else _all_devices())
        if ids.size and (ids.min() < 0 or ids.max() >= len(devices)):
            raise ValueError(f"DeviceMesh: ranks {sorted(set(ids.flat))} outside the {len(devices)} devices JAX has")
        names = tuple(mesh_dim_names) if mesh_dim_names is not None else tuple(f"dim_{i}" for i in range(ids.ndim))
        if len(names) != ids.ndim:
            raise RuntimeError(f"mesh_dim_names {names} must have one name per mesh dimension ({ids.ndim})")
        if len(set(names)) != len(names):
            raise RuntimeError(f"Each mesh_dim_name must be unique. Found repeated mesh_dim_name in "
                               f"mesh_dim_names {names}")
        self.device_type = device_type
        self.mesh = torch.as_tensor(ids.astype(np.int32))
        self.mesh_dim_names = tuple(mesh_dim_names) if mesh_dim_names is not None else None
        self._names = names
        self._devices = devices
        self.jax_mesh = Mesh(np.array([devices[i] for i in ids.flat], dtype=object).reshape(ids.shape), names)

    @property
    def ndim(self):
        return self.mesh.dim()

    @property
    def shape(self):
        return tuple(self.mesh.shape)

    def size(self, mesh_dim=None):
        return self.mesh.numel() if mesh_dim is None else self.mesh.shape[mesh_dim]

    def get_rank(self):
        if _VIEW[0] is not None:
            return _VIEW[0]
        return distributed_c10d.get_rank() if distributed_c10d.is_initialized() else 0

    def get_local_rank(self, mesh_dim=None):
        if mesh_dim is None and self.ndim > 1:
            raise RuntimeError(f"Found the DeviceMesh have {self.ndim} dimensions. Optional kwarg `mesh_dim` "
                               f"needs to be specified when device_mesh.ndim > 1.")
        coord = self.get_coordinate()
        dim = self._dim(mesh_dim if mesh_dim is not None else 0)
        return coord[dim] if coord is not None else -1

    def get_coordinate(self):
        me = self._my_device()
        where = np.argwhere(np.asarray(self.mesh.tolist()) == me)
        return tuple(int(i) for i in where[0]) if len(where) else None

    def _my_device(self):
        if _VIEW[0] is not None:
            return _VIEW[0]
        local = jax.local_devices()[0]
        return self._devices.index(local) if local in self._devices else -1

    def _dim(self, name):
        if isinstance(name, int):
            return name
        if name not in self._names:
            raise KeyError(f"Invalid mesh_dim_name {name!r} specified. Valid mesh_dim_names are {self._names}.")
        return self._names.index(name)

    def __getitem__(self, names):
        """The sub-mesh along the named dimension(s) that holds this process's first device."""
        if self.mesh_dim_names is None:
            raise RuntimeError("Cannot slice a DeviceMesh without mesh_dim_names!")
        names = (names,) if isinstance(names, str) else tuple(names)
        dims = [self._dim(n) for n in names]
        ids = np.asarray(self.mesh.tolist())
        coord = self.get_coordinate() or [0] * ids.ndim
        rest = [d for d in range(ids.ndim) if d not in dims]
        sub = np.transpose(ids, dims + rest)[(slice(None),) * len(dims) + tuple(coord[d] for d in rest)]
        return DeviceMesh(self.device_type, sub, mesh_dim_names=names, _devices=self._devices)

    def __eq__(self, other):
        return isinstance(other, DeviceMesh) and self.shape == other.shape and \
            self.mesh.tolist() == other.mesh.tolist() and self.mesh_dim_names == other.mesh_dim_names

    def __hash__(self):
        return hash((self.shape, str(self.mesh.tolist()), self.mesh_dim_names))

    def _strides(self):
        """How far apart, in ranks, neighbours along each dimension are: what PyTorch's repr calls the
        mesh's stride (``()`` for a dimension of one rank, which PyTorch's layout has no stride for)."""
        ids = np.asarray(self.mesh.tolist())
        return tuple(int(np.take(ids, 1, axis=d).flat[0] - np.take(ids, 0, axis=d).flat[0]) if n > 1 else ()
                     for d, n in enumerate(ids.shape))

    def __repr__(self):
        if self.mesh_dim_names:
            dims = "(" + ", ".join(f"{n}={s}" for n, s in zip(self.mesh_dim_names, self.shape)) + ")"
        else:
            dims = str(self.shape)
        return f"DeviceMesh({dims}, '{self.device_type}', stride={self._strides()})"


_VIEW = [None]      # the rank that one process stands for (``as_rank``); None: its first device's


@contextlib.contextmanager
def as_rank(rank):
    """In one process over several devices, act as mesh rank ``rank`` (device ``rank``): ``get_rank``,
    ``get_coordinate``, sub-meshes and ``DTensor.to_local`` answer as that rank's process would in
    PyTorch.  A torchlike extension, for looking at every rank's view from one process."""
    saved = _VIEW[0]
    _VIEW[0] = int(rank)
    try:
        yield
    finally:
        _VIEW[0] = saved


def _all_devices():
    return sorted(jax.devices(), key=lambda d: (d.process_index, d.id))


def init_device_mesh(device_type, mesh_shape, *, mesh_dim_names=None, backend_override=None):
    """A mesh of ``mesh_shape`` over JAX's devices (their count must be the shape's product)."""
    mesh_shape = tuple(mesh_shape)
    if mesh_dim_names is not None:
        if len(set(mesh_dim_names)) != len(mesh_dim_names):
            raise RuntimeError(f"Each mesh_dim_name must be unique. Found repeated mesh_dim_name in "
                               f"mesh_dim_names {tuple(mesh_dim_names)}")
        if len(mesh_shape) != len(mesh_dim_names):
            raise RuntimeError(f"mesh_shape and mesh_dim_names should have same length! Found len(mesh_dim_names): "
                               f"{len(mesh_dim_names)} and len(mesh_shape):{len(mesh_shape)}.")
    if device_type not in ("cpu", "cuda", "xla"):
        raise RuntimeError(f"Device type with index is not supported but got {device_type}. ") if ":" in device_type \
            else RuntimeError(f"torchlike has no {device_type!r} devices for a DeviceMesh")
    devices = _all_devices()
    n = math.prod(mesh_shape)
    if n != len(devices):
        raise RuntimeError(f"init_device_mesh: a mesh of shape {mesh_shape} needs {n} devices; JAX has "
                           f"{len(devices)} (one per process under torch.distributed, or set "
                           f"XLA_FLAGS=--xla_force_host_platform_device_count={n} for one process)")
    return DeviceMesh(device_type, np.arange(n).reshape(mesh_shape), mesh_dim_names=mesh_dim_names,
                      _devices=devices)
