"""``torch.distributed.tensor.placement_types``: how a DTensor lies on one mesh dimension.

``Shard(dim)`` splits tensor dimension ``dim`` as ``torch.chunk`` does (the last pieces may be
short or empty), ``Replicate()`` holds the whole on each rank, ``Partial(reduce_op)`` holds one
term of a pending reduction (``sum``, ``avg``, ``max``, ``min``, ...).
"""
from __future__ import annotations

import operator


class Placement:
    """The base class of the placements."""

    def is_shard(self, dim=None):
        return False

    def is_replicate(self):
        return False

    def is_partial(self, reduce_op=None):
        return False


class Shard(Placement):
    def __init__(self, dim):
        try:
            dim = operator.index(dim)
        except TypeError:
            raise TypeError(f"__init__(): incompatible constructor arguments. The following argument types are "
                            f"supported:\n    1. torch._C._distributed.Shard(dim: typing.SupportsInt | "
                            f"typing.SupportsIndex)\n\nInvoked with: {dim!r}") from None
        self.dim = dim

    def is_shard(self, dim=None):
        return dim is None or dim == self.dim

    def __eq__(self, other):
        return type(other) is Shard and other.dim == self.dim

    def __hash__(self):
        return hash(("Shard", self.dim))

    def __repr__(self):
        return f"Shard(dim={self.dim})"

    def __str__(self):
        return f"S({self.dim})"


class Replicate(Placement):
    def is_replicate(self):
        return True

    def __eq__(self, other):
        return type(other) is Replicate

    def __hash__(self):
        return -1

    def __repr__(self):
        return "Replicate()"

    def __str__(self):
        return "R"


class Partial(Placement):
    def __init__(self, reduce_op="sum"):
        self.reduce_op = reduce_op

    def is_partial(self, reduce_op=None):
        return reduce_op is None or reduce_op == self.reduce_op

    def __eq__(self, other):
        return type(other) is Partial and other.reduce_op == self.reduce_op

    def __hash__(self):
        return 1 + hash(self.reduce_op)

    def __repr__(self):
        return f"Partial({self.reduce_op})"

    def __str__(self):
        return f"P({self.reduce_op})"


__all__ = ["Placement", "Shard", "Replicate", "Partial"]
