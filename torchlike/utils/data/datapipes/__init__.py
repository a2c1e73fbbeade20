"""``torch.utils.data.datapipes``: composable streams (``IterDataPipe``) and indexable pipes
(``MapDataPipe``) whose functional forms (``dp.map(fn).filter(pred).batch(4)``) are the registered pipe
classes (``functional_datapipe``).  PyTorch has deprecated DataPipes in favour of torchdata; this keeps
programs written for them running, with the pipes they use most."""
from . import iter, map  # noqa: F401,A004
from .datapipe import DataChunk, DFIterDataPipe, IterDataPipe, MapDataPipe, functional_datapipe  # noqa: F401
