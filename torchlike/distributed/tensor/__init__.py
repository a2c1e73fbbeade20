"""``torch.distributed.tensor``: a minimal DTensor over ``jax.sharding`` (see ``_api``).

``distribute_tensor``, ``DTensor.from_local``, ``to_local``, ``full_tensor``, ``redistribute``,
``placements``, ``device_mesh`` and the ``Shard``/``Replicate``/``Partial`` placements, on a
``DeviceMesh`` of this process's devices; ``+ - * /``, negation and a full ``sum()`` keep the
DTensor (with PyTorch's placements), any other op sees the global value and gives a plain Tensor.
"""
from ..device_mesh import DeviceMesh, init_device_mesh  # noqa: F401
from ._api import DTensor, distribute_tensor, empty, full, ones, rand, randn, zeros  # noqa: F401
from .placement_types import Partial, Placement, Replicate, Shard  # noqa: F401

__all__ = ["DTensor", "distribute_tensor", "Shard", "Replicate", "Partial", "Placement", "ones", "empty",
           "full", "rand", "randn", "zeros"]
