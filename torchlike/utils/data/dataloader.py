"""``DataLoader``: batches from a dataset, in-process.

``num_workers`` is accepted but loading always happens in the calling
process (torchlike arrays live in one JAX runtime; see docs/differences.md).
A :class:`TensorDataset` (or a chain of :class:`Subset` over one, as
``random_split`` makes) batched with the default collate is fetched with one
gather per tensor instead of one index op per sample: the result is what
``default_collate`` of the samples would be, in one compiled gather instead of
one index op per sample.
"""
from __future__ import annotations

import numpy as np

from ._collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from math import ceil


def get_worker_info():
    return None


class _InfiniteConstantSampler:
    def __iter__(self):
        while True:
            yield None


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        if self._is_iterable:
            return self._iter_iterable()
        return self._iter_map()

    def _tensor_source(self):
        """(TensorDataset, index maps of the Subsets above it) when batches can be gathered directly."""
        if not self._auto_collation or self.collate_fn is not default_collate:
            return None
        ds, maps = self.dataset, []
        while type(ds) is Subset:
            maps.append(ds.indices)
            ds = ds.dataset
        if type(ds) is not TensorDataset or any(t.requires_grad for t in ds.tensors):
            return None
        return ds, [np.asarray(m, dtype=np.int64) for m in maps]      # outermost Subset first

    def _iter_map(self):
        ds = self.dataset
        source = self._tensor_source()
        getitems = getattr(ds, "__getitems__", None)
        for index in self._index_sampler:
            if source is not None:
                base, maps = source
                idx = np.asarray(index, dtype=np.int64)
                n = len(ds)
                if idx.size and (idx.min() < -n or idx.max() >= n):
                    raise IndexError(f"index {int(idx.max())} is out of bounds for dimension 0 with size {n}")
                for m in maps:
                    idx = m[idx]
                # the numpy index as it is: an index tensor would cost a host-to-device copy of its own
                yield [t[idx] for t in base.tensors]
            elif self._auto_collation:
                data = getitems(index) if callable(getitems) else [ds[i] for i in index]
                yield self.collate_fn(data)
            else:
                yield self.collate_fn(ds[index])

    def _iter_iterable(self):
        it = iter(self.dataset)
        if not self._auto_collation:
            for item in it:
                yield self.collate_fn(item)
            return
        while True:
            batch = []
            for item in it:
                batch.append(item)
                if len(batch) == self.batch_size:
                    break
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)
            if len(batch) < self.batch_size:
                return
