"""``TaskSpec`` (what was timed) and ``Measurement`` (the times, their statistics and PyTorch's printed
summary)."""
from __future__ import annotations

import contextlib
import dataclasses
import enum
import math
import textwrap

import numpy as np
import torchlike as torch     # the public face, read when called (not an import cycle)

_UNITS = {-3: "ns", -2: "us", -1: "ms"}      # floor(log10(t) / 3) -> unit; anything else: seconds
_SCALES = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}
_ENGLISH = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}


def select_unit(t):
    """(unit, scale) that prints ``t`` seconds with fewer than four integer digits: ns, us or ms by
    the thousands group of ``log10(t)`` (in single precision), else seconds (so also below 1 ns).
    The logarithm is taken in double precision and rounded to single: numpy's single-precision
    ``log10`` is 1 ulp off on some CPUs (-6.0000005 for 1e-06 on AMD EPYC), which moves 1 us to ns."""
    with np.errstate(divide="ignore", invalid="ignore"):
        group = int(float(np.float32(np.log10(np.float64(np.float32(t)))) // 3))
    unit = _UNITS.get(group, "s")
    return unit, _SCALES[unit]


def unit_to_english(u):
    return _ENGLISH[u]


def trim_sigfig(x, n):
    """``x`` rounded (half to even) to ``n`` significant figures, in single precision as PyTorch
    computes it (so ``2201000000.3`` becomes ``2200999936.0``); 0 has no magnitude (OverflowError)."""
    v = np.float32(x)
    with np.errstate(divide="ignore"):
        magnitude = int(np.ceil(np.log10(np.abs(v))))
    scale = np.float32(10.0 ** (magnitude - n))
    return float(np.round(v / scale) * scale)


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self):
        """The label (else the statement), with the sub-label after a colon."""
        title = self.label if self.label is not None else self.stmt
        if "\n" in title:
            title = f"stmt:\n{textwrap.indent(title, '  ')}\n"
        if self.sub_label:
            title = f"{title}: {self.sub_label}"
        return title

    def summarize(self):
        parts = [self.title]
        if self.description:
            parts.append(self.description)
        if self.setup and self.setup != "pass":
            parts.append(f"setup:\n{textwrap.indent(self.setup, '  ')}\n" if "\n" in self.setup
                         else f"setup: {self.setup}")
        return "\n".join(parts)


class Measurement:
    """The result of a ``Timer`` run: ``raw_times`` (seconds per block of ``number_per_run`` runs),
    ``times`` (seconds per run), ``mean``, ``median``, ``iqr`` and PyTorch's printed summary."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec
        self.metadata = metadata

    def __getattr__(self, name):
        if name in {f.name for f in dataclasses.fields(TaskSpec)} or name == "title":
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        return float(np.median(self.times))

    @property
    def mean(self):
        return float(np.mean(self.times))

    @property
    def iqr(self):
        q25, q75 = np.percentile(self.times, [25, 75])
        return float(q75 - q25)

    @property
    def significant_figures(self):
        """How many figures of the median mean something (1 to 4): the median over a 90% confidence
        half-width estimated from the middle half of the times (at least 25 ns)."""
        times = sorted(self.times)
        middle = times[len(times) // 4:int(math.ceil(3 * len(times) / 4))]
        half_width = max(1.645 * float(np.std(middle)) / math.sqrt(len(middle)), 25e-9)
        return min(max(int(math.floor(math.log10(self.median / half_width))), 1), 4)

    def _warnings(self):
        rel = self.iqr / self.median if self.median else 0.0
        if rel <= 0.1:
            return []
        advice = ("This suggests significant environmental influence." if rel > 0.25
                  else "This could indicate system fluctuation.")
        return [f"WARNING: Interquartile range is {rel * 100:.1f}% of the median measurement.", f"         {advice}"]

    @property
    def has_warnings(self):
        return bool(self._warnings())

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        n = len(self.times)
        unit, scale = select_unit(self.median)
        lines = [object.__repr__(self), self.task_spec.summarize()]
        if n == 1:
            lines.append(f"  {self.median / scale:.2f} {unit}")
        else:
            lines.append(f"  Median: {self.median / scale:.2f} {unit}")
        if n >= 4:
            q25, q75 = np.percentile(self.times, [25, 75])
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({q25 / scale:.2f} to {q75 / scale:.2f})")
        threads = f"{self.task_spec.num_threads} thread{'s' if self.task_spec.num_threads > 1 else ''}"
        if n == 1:
            lines.append(f"  1 measurement, {self.number_per_run} runs , {threads}")
        else:
            lines.append(f"  {n} measurements, {self.number_per_run} runs per measurement, {threads}")
        lines += ["  " + w for w in self._warnings()]
        return "\n".join(lines)

    __str__ = __repr__

    @staticmethod
    def merge(measurements):
        """One Measurement per task, its times the union of theirs (blocks of one run each)."""
        by_task = {}
        for m in measurements:
            by_task.setdefault(m.task_spec, []).extend(m.times)
        return [Measurement(1, times, spec) for spec, times in by_task.items()]


def ordered_unique(elements):
    """The distinct ``elements`` in first-seen order."""
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n):
    """Run the block with ``torch.set_num_threads(n)``, restoring the previous count after."""
    prior = torch.get_num_threads()
    try:
        torch.set_num_threads(n)
        yield
    finally:
        torch.set_num_threads(prior)


class Colorize(enum.Enum):
    """How ``Compare`` colours a table (PyTorch's options)."""
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"
