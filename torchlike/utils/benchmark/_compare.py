"""``Compare``: Measurements laid out as tables, one per label, in PyTorch's format.

Each label gets a table whose columns are the descriptions (first-seen order) and whose rows are
(threads, env, sub-label or statement), grouped in blocks by thread count and sorted by env; cells
are medians in one unit per table, right-aligned to the column's leading digits.  Measurements of
the same task are merged first.  ``trim_significant_figures`` rounds each cell to the figures its
spread supports, ``colorize`` marks each cell against the best of its column (or row), and
``highlight_warnings`` appends the relative IQR of noisy measurements.
"""
from __future__ import annotations

import math

from ._common import Colorize, Measurement, ordered_unique, select_unit, trim_sigfig, unit_to_english

_GREEN_BOLD = "\033[92m\033[1m"
_BLUE_BOLD = "\033[34m\033[1m"
_DIM_RED = "\033[2m\033[91m"
_RED_BOLD = "\033[31m\033[1m"
_RESET = "\033[0m\033[0m"
_NO_WARNING = " " * 7
_LEGEND = "(! XX%) Measurement has high variance, where XX is the IQR / median * 100."


def _color(value, best):
    """The terminal colour of a time against the best time it is compared with."""
    if value <= best * 1.01 or value <= best + 100e-9:
        return _GREEN_BOLD
    if value <= best * 1.1:
        return _BLUE_BOLD
    if value >= best * 5:
        return _RED_BOLD
    if value >= best * 2:
        return _DIM_RED
    return ""


def _digits(value):
    return int(math.ceil(math.log10(value))) if value > 0 else 1


class _Table:
    def __init__(self, label, measurements, trim, colorize, highlight):
        self.label = label
        self.trim, self.colorize, self.highlight = trim, colorize, highlight
        self.unit, self.scale = select_unit(min(m.median for m in measurements))
        self.columns = ordered_unique(m.description for m in measurements)
        cells = {}
        for m in measurements:
            cells.setdefault((m.num_threads, m.env, m.as_row_name), {})[m.description] = m
        self.keys = sorted(cells, key=lambda k: (k[0], k[1]))
        self.cells = cells
        self.measurements = measurements
        self.formats = {c: self._column_format([row[c] for row in cells.values() if c in row]) for c in self.columns}

    def _value(self, m):
        v = m.median / self.scale
        return trim_sigfig(v, m.significant_figures) if self.trim else v

    def _column_format(self, ms):
        digits = max(_digits(m.median / self.scale) for m in ms)
        if self.trim:
            precision = max(0, min(m.significant_figures - _digits(m.median / self.scale) for m in ms))
        else:
            precision = 1
        width = digits + (precision + 1 if precision else 0)
        warn = self.highlight and any(m.has_warnings for m in ms)
        return width, precision, warn

    def _cell(self, m, column):
        if m is None:
            return ""
        width, precision, warn = self.formats[column]
        text = f"{self._value(m):>{width}.{precision}f}"
        if warn:
            text += f" (! {m.iqr / m.median * 100:.0f}%)" if m.has_warnings else _NO_WARNING
        return text

    def _best(self, key, column):
        if self.colorize == Colorize.ROWWISE:
            pool = self.cells[key].values()
        else:
            pool = [self.cells[k][column] for k in self.keys if k[0] == key[0] and column in self.cells[k]]
        return min(m.median for m in pool)

    def render(self):
        envs = ordered_unique(k[1] for k in self.keys)
        show_env = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_env else 0
        lines = [["", *self.columns]]
        blocks, prev = [], None
        for key in self.keys:
            threads, env, name = key
            if not blocks or blocks[-1][0] != threads:
                blocks.append((threads, len(lines)))
                prev = None
            env_text = f"({env})" if show_env and env != prev else ""
            prev = env
            row = self.cells[key]
            lines.append(["  " + env_text.ljust(env_width + 4) + name, *[self._cell(row.get(c), c) for c in self.columns]])
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        out = []
        for i, line in enumerate(lines):
            parts = [line[0].ljust(widths[0])] if i else [" " * widths[0]]
            for j, column in enumerate(self.columns, 1):
                text = line[j].center(widths[j])
                m = self.cells[self.keys[i - 1]].get(column) if i else None
                if m is not None and self.colorize != Colorize.NONE:
                    color = _color(m.median, self._best(self.keys[i - 1], column))
                    text = f"{color}{text}{_RESET}" if color else text
                parts.append(text)
            out.append("  |  ".join(parts))
        total = len(out[0])
        for threads, at in reversed(blocks):
            out.insert(at, f"{threads} threads: ".ljust(total, "-"))
        title = f" {self.label or ''} ".center(total - 2, "-")
        out = [f"[{title}]", *out, "", f"Times are in {unit_to_english(self.unit)}s ({self.unit})."]
        if self.highlight and any(m.has_warnings for m in self.measurements):
            out.append(_LEGEND)
        return "\n".join(out) + "\n"


class Compare:
    """Tables comparing ``Measurement``s: one per label, rows by sub-label (or statement) within
    thread-count blocks, columns by description."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self):
        return "\n".join(self._render())

    def extend_results(self, results):
        results = list(results)
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self):
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def _render(self):
        groups = {}
        for m in Measurement.merge(self._results):
            groups.setdefault(m.label, []).append(m)
        return [_Table(label, ms, self._trim_significant_figures, self._colorize, self._highlight_warnings).render()
                for label, ms in groups.items()]
