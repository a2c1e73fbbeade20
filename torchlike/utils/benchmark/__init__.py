"""``torch.utils.benchmark``: ``Timer`` (``timeit``, ``blocked_autorange``, ``adaptive_autorange``) and
the ``Measurement`` it returns, printed in PyTorch's layout.  Statements run under Python's
``timeit`` with ``torch`` (torchlike) in their globals; torchlike's ops may run asynchronously (XLA)
or deferred, so a statement that should include its computation reads the result (``.item()``,
printing) as it would to time PyTorch on a GPU."""
from ._common import (Colorize, Measurement, TaskSpec, ordered_unique, select_unit, set_torch_threads,  # noqa: F401
                      trim_sigfig, unit_to_english)
from ._compare import Compare
from ._fuzzer import FuzzedParameter, FuzzedSparseTensor, FuzzedTensor, Fuzzer, ParameterAlias
from ._timer import Language, Timer, timer

__all__ = ["Timer", "timer", "Language", "Measurement", "TaskSpec", "select_unit", "trim_sigfig",
           "unit_to_english", "Colorize", "ordered_unique", "set_torch_threads", "Compare", "Fuzzer",
           "FuzzedParameter", "FuzzedTensor", "FuzzedSparseTensor", "ParameterAlias"]
