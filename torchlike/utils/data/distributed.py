"""``torch.utils.data.distributed.DistributedSampler``: each rank's share of a dataset.

The assignment is PyTorch's, index for index: the dataset's indices (shuffled by a CPU generator
seeded ``seed + epoch``), padded by repeating the first ones up to a multiple of ``num_replicas``
(or cut to one when ``drop_last``), then every ``num_replicas``-th index from ``rank`` on.  The
shuffle is PyTorch's CPU ``randperm`` (a Fisher-Yates pass over mt19937 draws), reproduced here
with numpy's MT19937, so every rank of a torchlike run reads the samples PyTorch's would.
"""
from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler
from ... import distributed as dist


def _torch_randperm(n, seed):
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` on the CPU, as a list."""
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)      # mt19937's classic init_genrand, as torch seeds it
    draws = bits.random_raw(max(n - 1, 0))
    perm = list(range(n))
    for i in range(n - 1):
        j = i + int(draws[i]) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


class DistributedSampler(Sampler):
    """Yields this rank's indices of ``dataset``; call ``set_epoch(e)`` each epoch to reshuffle."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = _torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        mine = indices[self.rank:self.total_size:self.num_replicas]
        assert len(mine) == self.num_samples
        return iter(mine)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The next iteration shuffles with ``seed + epoch``."""
        self.epoch = epoch
