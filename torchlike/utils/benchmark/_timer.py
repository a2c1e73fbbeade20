"""``Timer``: Python's ``timeit`` around a statement, in blocks, with PyTorch's autorange policies."""
from __future__ import annotations

import enum
import timeit

import numpy as np

from ._common import Measurement, TaskSpec
import torchlike

timer = timeit.default_timer


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


class Timer:
    """Time ``stmt`` after ``setup`` (strings, run with ``globals``; ``torch`` is torchlike there)."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,  # noqa: A002
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            raise NotImplementedError("torchlike times Python statements only (no C++ Timer)")
        self._globals = {"torch": torchlike, **(globals or {})}
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)

    def _time(self, number):
        previous = torchlike.get_num_threads()
        torchlike.set_num_threads(self._task_spec.num_threads)
        try:
            return self._timer.timeit(number)
        finally:
            torchlike.set_num_threads(previous)

    def timeit(self, number=1000000):
        """One block of ``number`` runs (after a warm-up run, which compiles what needs compiling)."""
        self._time(max(1, number // 100) if number > 100 else 1)
        return Measurement(number, [self._time(number)], self._task_spec)

    def _block_size(self):
        """The smallest power of ten of runs that takes at least a millisecond (after a warm-up run)."""
        self._time(1)
        number = 1
        while True:
            if self._time(number) >= 1e-3 or number >= 10 ** 9:
                return number
            number *= 10

    def _blocks(self, stop, callback):
        number = self._block_size()
        times, total = [], 0.0
        while True:
            t = self._time(number)
            times.append(t)
            total += t
            if callback:
                callback(number, t)
            if stop(times, total, number):
                return Measurement(number, times, self._task_spec)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs until ``min_run_time`` seconds have been spent timing."""
        return self._blocks(lambda times, total, number: total >= min_run_time, callback)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Blocks of runs until the interquartile range is below ``threshold`` of the median (after at
        least ``min_run_time`` seconds and three blocks), or ``max_run_time`` seconds."""
        def stop(times, total, number):
            if total >= max_run_time:
                return True
            if total < min_run_time or len(times) < 3:
                return False
            q25, q50, q75 = np.percentile(times, [25, 50, 75])
            return (q75 - q25) / q50 < threshold
        return self._blocks(stop, callback)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError("torchlike does not collect Callgrind instruction counts")
