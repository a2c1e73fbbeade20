"""``torch.utils.data``: datasets, samplers, collation and the DataLoader."""
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,  # noqa: F401
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler)
from ._collate import default_collate, default_convert  # noqa: F401
from .dataloader import DataLoader, get_worker_info  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from . import datapipes  # noqa: F401,E402
from .datapipes import DataChunk, DFIterDataPipe, IterDataPipe, MapDataPipe, functional_datapipe  # noqa: F401,E402
