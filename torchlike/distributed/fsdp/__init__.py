"""``torch.distributed.fsdp``: FSDP2's ``fully_shard`` over JAX's ``NamedSharding``.

``fully_shard(module, mesh=mesh)`` places each parameter's array on the mesh, split along its
first dimension over the mesh's (last) dimension; the parameters stay whole tensors to the user
(JAX's global view, where PyTorch gives DTensors of local shards).  XLA then runs forward and
backward on the sharded arrays, gathering what each op needs; gradients and the optimizer state
created from the parameters come out sharded too, so each device holds about 1/N of the
parameters, gradients and optimizer state.  ``state_dict()`` values are full tensors (reading
one gathers it), ready for ``torch.save``.  Parameters whose first dimension does not divide by
the mesh size stay replicated.  That is over one process's devices; over a mesh spanning
processes (under ``torch.distributed``), see ``_across``.
"""
from __future__ import annotations

import functools

from ... import _pace
import jax

from ..device_mesh import init_device_mesh
from . import _across
import torchlike as torch     # the public face, read when called (not an import cycle)


class MixedPrecisionPolicy:
    def __init__(self, param_dtype=None, reduce_dtype=None, output_dtype=None, cast_forward_inputs=True):
        self.param_dtype, self.reduce_dtype, self.output_dtype = param_dtype, reduce_dtype, output_dtype
        self.cast_forward_inputs = cast_forward_inputs


class OffloadPolicy:
    pass


class CPUOffloadPolicy(OffloadPolicy):
    def __init__(self, pin_memory=True):
        self.pin_memory = pin_memory


class FSDPModule:
    """Mixed into a module's class by :func:`fully_shard` (``FSDPLinear`` for a ``Linear``)."""

    def reshard(self):
        """Parameters stay sharded between ops (XLA gathers inside each program): nothing to do."""

    def unshard(self, async_op=False):
        return None

    def set_requires_gradient_sync(self, requires_gradient_sync, *, recurse=True):
        self._fsdp_sync = requires_gradient_sync

    def set_reshard_after_forward(self, reshard_after_forward, recurse=True):
        self._fsdp_reshard = reshard_after_forward

    def set_reshard_after_backward(self, reshard_after_backward, *, recurse=True):
        pass

    def set_is_last_backward(self, is_last_backward):
        pass


def _place_here(m, mesh, ignored):
    """One process's devices: each parameter's array goes on the mesh with ``NamedSharding``."""
    with torch.no_grad():
        for p in m.parameters():
            if id(p) in ignored or getattr(p, "_fsdp_mesh", None) is not None:
                continue
            sharding = _across.sharding_for(mesh.jax_mesh, tuple(p.shape))
            p.data = torch.from_jax(jax.device_put(p.detach().jax(), sharding))
            p._fsdp_mesh = mesh


def fully_shard(module, *, mesh=None, reshard_after_forward=None, shard_placement_fn=None, mp_policy=None,
                offload_policy=None, ignored_params=None, dp_mesh_dims=None):
    """Shard ``module``'s parameters (those a nested ``fully_shard`` has not already placed) over ``mesh``."""
    if dp_mesh_dims is not None:
        raise NotImplementedError("torchlike's fully_shard shards over the mesh's last dimension and replicates "
                                  "over the others; dp_mesh_dims is not supported")
    modules = module if isinstance(module, (list, tuple)) else [module]
    if mesh is None:
        mesh = init_device_mesh("cpu", (len(jax.devices()),))
    ignored = {id(p) for p in (ignored_params or ())}
    across = _across.spans_processes(mesh)
    if not across:
        _pace.activate(mesh.jax_mesh.devices.flat)     # XLA:CPU's multi-device deadlock: see torchlike/_pace.py
    for m in modules:
        (_across.shard if across else _place_here)(m, mesh, ignored)
        cls = type(m)
        if not isinstance(m, FSDPModule):
            m.__class__ = type(f"FSDP{cls.__name__}", (FSDPModule, cls), {"__module__": cls.__module__})
        m._fsdp_mesh = mesh
    return module


def register_fsdp_forward_method(module, method_name):
    """Make ``module.<method_name>`` run between FSDP's forward hooks, as ``forward`` does (a no-op for a
    module that is not an ``FSDPModule``, and over one process's devices, where XLA gathers)."""
    if not isinstance(module, FSDPModule):
        return
    if not hasattr(module, method_name):
        raise ValueError(f"{type(module)} does not have a method {method_name}")
    if not getattr(module, "_fsdp_managed", None):
        return
    method = getattr(module, method_name)

    @functools.wraps(method)
    def between_hooks(*args, **kwargs):
        _across.unshard_hook(module, args)
        try:
            return method(*args, **kwargs)
        finally:
            _across.reshard_hook(module, args, None)
    setattr(module, method_name, between_hooks)


__all__ = ["fully_shard", "register_fsdp_forward_method", "FSDPModule", "MixedPrecisionPolicy", "OffloadPolicy", "CPUOffloadPolicy"]
