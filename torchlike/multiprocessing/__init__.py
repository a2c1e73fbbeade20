"""``torch.multiprocessing``: Python's ``multiprocessing`` plus ``spawn``/``start_processes``.

Tensors cross processes by pickling (their values are copied; JAX arrays cannot be shared
memory), so ``share_memory_`` has nothing to do and the sharing strategies are names only.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException,  # noqa: F401
                    SpawnContext, spawn, start_processes)

_STRATEGY = ["file_system"]


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _STRATEGY[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _STRATEGY[0] = new_strategy


def init_reductions():
    pass


__all__ = [n for n in dir(multiprocessing) if not n.startswith("_")] + [
    "spawn", "start_processes", "ProcessContext", "SpawnContext", "ProcessException", "ProcessExitedException",
    "ProcessRaisedException", "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy"]
