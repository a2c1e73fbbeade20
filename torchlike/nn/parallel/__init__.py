"""``torch.nn.parallel``: ``DistributedDataParallel`` (one process per rank, gradients averaged over
``torch.distributed`` after backward) and ``DataParallel`` (one process)."""
from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401
