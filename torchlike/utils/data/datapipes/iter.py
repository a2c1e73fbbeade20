"""The iterable DataPipes programs use most, each registered under its functional name."""
from __future__ import annotations

import random

from .datapipe import (DataChunk, IterDataPipe, batch_count, check_batch_size, check_pipes,
                       functional_datapipe)
from .._collate import default_collate
import copy
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["Batcher", "Collator", "Concater", "Filter", "IterableWrapper", "Mapper", "Shuffler", "ShardingFilter",
           "UnBatcher", "Zipper"]


def _no_len(pipe):
    return TypeError(f"object of type '{type(pipe).__name__}' has no len()")


class IterableWrapperIterDataPipe(IterDataPipe):
    """A DataPipe over any iterable."""

    def __init__(self, iterable, deepcopy=True):
        self.iterable = iterable
        self.deepcopy = deepcopy

    def __iter__(self):
        source = self.iterable
        if self.deepcopy:
            try:
                source = copy.deepcopy(source)
            except TypeError:
                pass
        yield from source

    def __len__(self):
        if hasattr(self.iterable, "__len__"):
            return len(self.iterable)
        raise _no_len(self)


def _apply_cols(fn, data, input_col, output_col):
    if input_col is None:
        return fn(data)
    if isinstance(input_col, (list, tuple)):
        res = fn(*(data[c] for c in input_col))
    else:
        res = fn(data[input_col])
    if isinstance(data, tuple):
        data, was_tuple = list(data), True
    else:
        was_tuple = False
    target = input_col if output_col is None else output_col
    if output_col == -1:
        data.append(res)
    elif isinstance(target, (list, tuple)):
        for c in target:
            data[c] = res
    else:
        data[target] = res
    return tuple(data) if was_tuple else data


@functional_datapipe("map")
class MapperIterDataPipe(IterDataPipe):
    """``fn`` applied to each element (or to the columns ``input_col``, written to ``output_col``)."""

    def __init__(self, datapipe, fn, input_col=None, output_col=None):
        self.datapipe, self.fn, self.input_col, self.output_col = datapipe, fn, input_col, output_col

    def __iter__(self):
        for data in self.datapipe:
            yield _apply_cols(self.fn, data, self.input_col, self.output_col)

    def __len__(self):
        return len(self.datapipe)


@functional_datapipe("filter")
class FilterIterDataPipe(IterDataPipe):
    def __init__(self, datapipe, filter_fn, input_col=None):
        self.datapipe, self.filter_fn, self.input_col = datapipe, filter_fn, input_col

    def __iter__(self):
        col = self.input_col
        for data in self.datapipe:
            if col is None:
                keep = self.filter_fn(data)
            elif isinstance(col, (list, tuple)):
                keep = self.filter_fn(*(data[c] for c in col))
            else:
                keep = self.filter_fn(data[col])
            if keep:
                yield data


@functional_datapipe("batch")
class BatcherIterDataPipe(IterDataPipe):
    """Consecutive elements in ``DataChunk`` lists of ``batch_size`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, datapipe, batch_size, drop_last=False, wrapper_class=DataChunk):
        self.datapipe, self.batch_size = datapipe, check_batch_size(batch_size)
        self.drop_last, self.wrapper_class = drop_last, wrapper_class

    def __iter__(self):
        batch = []
        for x in self.datapipe:
            batch.append(x)
            if len(batch) == self.batch_size:
                yield self.wrapper_class(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.wrapper_class(batch)

    def __len__(self):
        return batch_count(len(self.datapipe), self.batch_size, self.drop_last)


@functional_datapipe("unbatch")
class UnBatcherIterDataPipe(IterDataPipe):
    def __init__(self, datapipe, unbatch_level=1):
        self.datapipe, self.unbatch_level = datapipe, unbatch_level

    def __iter__(self):
        for element in self.datapipe:
            yield from self._dive(element, self.unbatch_level)

    def _dive(self, element, level):
        if level < -1:
            raise ValueError("unbatch_level must be -1 or >= 0")
        if level == -1:
            if isinstance(element, (list, DataChunk)):
                for item in element:
                    yield from self._dive(item, -1)
            else:
                yield element
        elif level == 0:
            yield element
        elif isinstance(element, (list, DataChunk)):
            for item in element:
                yield from self._dive(item, level - 1)
        else:
            raise IndexError(f"unbatch_level {self.unbatch_level} exceeds the depth of the DataPipe")


@functional_datapipe("collate")
class CollatorIterDataPipe(MapperIterDataPipe):
    """``collate_fn`` (default: ``default_collate``) applied to each element (a batch)."""

    def __init__(self, datapipe, conversion=None, collate_fn=None):
        super().__init__(datapipe, collate_fn or conversion or default_collate)


@functional_datapipe("concat")
class ConcaterIterDataPipe(IterDataPipe):
    def __init__(self, *datapipes):
        self.datapipes = check_pipes(datapipes, IterDataPipe)

    def __iter__(self):
        for dp in self.datapipes:
            yield from dp

    def __len__(self):
        return sum(len(dp) for dp in self.datapipes)


@functional_datapipe("zip")
class ZipperIterDataPipe(IterDataPipe):
    def __init__(self, *datapipes):
        if not all(isinstance(dp, IterDataPipe) for dp in datapipes):
            raise TypeError("All inputs are required to be `IterDataPipe` for `ZipIterDataPipe`.")
        self.datapipes = datapipes

    def __iter__(self):
        yield from zip(*self.datapipes)

    def __len__(self):
        return min(len(dp) for dp in self.datapipes)


@functional_datapipe("sharding_filter")
class ShardingFilterIterDataPipe(IterDataPipe):
    """Every ``num_of_instances``-th element from ``instance_id`` (all of them in one process)."""

    def __init__(self, source_datapipe, sharding_group_filter=None):
        self.source_datapipe = source_datapipe
        self.num_of_instances, self.instance_id = 1, 0

    def apply_sharding(self, num_of_instances, instance_id, sharding_group=None):
        self.num_of_instances, self.instance_id = num_of_instances, instance_id

    def __iter__(self):
        for i, item in enumerate(self.source_datapipe):
            if i % self.num_of_instances == self.instance_id:
                yield item

    def __len__(self):
        n = len(self.source_datapipe)
        return n // self.num_of_instances + (1 if self.instance_id < n % self.num_of_instances else 0)


@functional_datapipe("shuffle")
class ShufflerIterDataPipe(IterDataPipe):
    """Elements drawn at random from a buffer of ``buffer_size`` (seeded from torch's generator)."""

    def __init__(self, datapipe, *, buffer_size=10000, unbatch_level=0):
        if buffer_size <= 0:
            raise AssertionError("buffer_size should be larger than 0")
        self.datapipe = datapipe if unbatch_level == 0 else UnBatcherIterDataPipe(datapipe, unbatch_level)
        self.buffer_size = buffer_size
        self._enabled = True
        self._seed = None

    def set_shuffle(self, shuffle=True):
        self._enabled = shuffle
        return self

    def set_seed(self, seed):
        self._seed = seed
        return self

    def __iter__(self):
        if not self._enabled:
            yield from self.datapipe
            return
        if self._seed is None:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
        else:
            seed = self._seed
        rng = random.Random(seed)
        buffer = []
        for x in self.datapipe:
            if len(buffer) == self.buffer_size:
                idx = rng.randint(0, len(buffer) - 1)
                val, buffer[idx] = buffer[idx], x
                yield val
            else:
                buffer.append(x)
        while buffer:
            idx = rng.randint(0, len(buffer) - 1)
            yield buffer.pop(idx)

    def __len__(self):
        return len(self.datapipe)


IterableWrapper = IterableWrapperIterDataPipe
Mapper = MapperIterDataPipe
Filter = FilterIterDataPipe
Batcher = BatcherIterDataPipe
UnBatcher = UnBatcherIterDataPipe
Collator = CollatorIterDataPipe
Concater = ConcaterIterDataPipe
Zipper = ZipperIterDataPipe
ShardingFilter = ShardingFilterIterDataPipe
Shuffler = ShufflerIterDataPipe
