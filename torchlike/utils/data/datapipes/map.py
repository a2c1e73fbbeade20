"""The map-style DataPipes programs use most, each registered under its functional name."""
from __future__ import annotations

from .datapipe import DataChunk, MapDataPipe, batch_count, check_batch_size, check_pipes, functional_datapipe
import copy
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["Batcher", "Concater", "Mapper", "SequenceWrapper", "Shuffler", "Zipper"]


class SequenceWrapperMapDataPipe(MapDataPipe):
    """A MapDataPipe over a sequence."""

    def __init__(self, sequence, deepcopy=True):
        if deepcopy:
            try:
                sequence = copy.deepcopy(sequence)
            except TypeError:
                pass
        self.sequence = sequence

    def __getitem__(self, index):
        return self.sequence[index]

    def __len__(self):
        return len(self.sequence)


@functional_datapipe("map")
class MapperMapDataPipe(MapDataPipe):
    def __init__(self, datapipe, fn=lambda x: x):
        self.datapipe, self.fn = datapipe, fn

    def __getitem__(self, index):
        return self.fn(self.datapipe[index])

    def __len__(self):
        return len(self.datapipe)


@functional_datapipe("batch")
class BatcherMapDataPipe(MapDataPipe):
    def __init__(self, datapipe, batch_size, drop_last=False, wrapper_class=DataChunk):
        self.datapipe, self.batch_size = datapipe, check_batch_size(batch_size)
        self.drop_last, self.wrapper_class = drop_last, wrapper_class

    def __getitem__(self, index):
        start = index * self.batch_size
        batch = [self.datapipe[i] for i in range(start, min(start + self.batch_size, len(self.datapipe)))]
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise IndexError(f"Index {index} is out of bound.")
        return self.wrapper_class(batch)

    def __len__(self):
        return batch_count(len(self.datapipe), self.batch_size, self.drop_last)


@functional_datapipe("concat")
class ConcaterMapDataPipe(MapDataPipe):
    def __init__(self, *datapipes):
        self.datapipes = check_pipes(datapipes, MapDataPipe)

    def __getitem__(self, index):
        offset = index
        for dp in self.datapipes:
            if offset < len(dp):
                return dp[offset]
            offset -= len(dp)
        raise IndexError(f"Index {index} is out of range.")

    def __len__(self):
        return sum(len(dp) for dp in self.datapipes)


@functional_datapipe("zip")
class ZipperMapDataPipe(MapDataPipe):
    def __init__(self, *datapipes):
        self.datapipes = check_pipes(datapipes, MapDataPipe)

    def __getitem__(self, index):
        return tuple(dp[index] for dp in self.datapipes)

    def __len__(self):
        return min(len(dp) for dp in self.datapipes)


@functional_datapipe("shuffle")
class ShufflerMapDataPipe(MapDataPipe):
    """A random permutation of the indices (torch's generator), drawn when iterated."""

    def __init__(self, datapipe, *, indices=None):
        self.datapipe = datapipe
        self.indices = list(range(len(datapipe))) if indices is None else indices
        self._order = list(self.indices)

    def __getitem__(self, index):
        return self.datapipe[self._order[index]]

    def __iter__(self):
        self._order = [self.indices[i] for i in torch.randperm(len(self.indices)).tolist()]
        for i in range(len(self._order)):
            yield self[i]

    def __len__(self):
        return len(self.datapipe)


SequenceWrapper = SequenceWrapperMapDataPipe
Mapper = MapperMapDataPipe
Batcher = BatcherMapDataPipe
Concater = ConcaterMapDataPipe
Zipper = ZipperMapDataPipe
Shuffler = ShufflerMapDataPipe
