"""``torch.nn.parallel``: ``DistributedDataParallel`` (one process per rank, gradients averaged over
``torch.distributed`` after backward), ``DataParallel`` (one process) and the single-process data
parallel primitives ``scatter``, ``gather``, ``replicate`` and ``parallel_apply``."""
from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401
from .parallel_apply import parallel_apply  # noqa: F401
from .replicate import replicate  # noqa: F401
from .scatter_gather import gather, scatter  # noqa: F401

__all__ = ["replicate", "scatter", "parallel_apply", "gather", "data_parallel", "DataParallel",
           "DistributedDataParallel"]
