"""``torch.autograd.profiler``: time every op and ``record_function`` block.

While a :class:`profile` is recording, the registry's hook
(``autograd/_intercept.py``) wraps every op call in an event named as
PyTorch's dispatcher names it (``aten::mul``, ``aten::add_``, ...); a
``record_function("name")`` block is an event too.  Events nest: an event's
self time is its total time minus its children's.  Each op's outputs are
waited for (``block_until_ready``) before its event ends, so times are the
op's real CPU/device time, not just JAX's asynchronous dispatch.

``prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)``
prints PyTorch's table: Name, Self CPU %, Self CPU, CPU total %, CPU total,
CPU time avg, # of Calls, then ``Self CPU time total: ...``.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import json
import time

from . import _intercept
from .._state import local as _local

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
Tensor = None

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

_ids = itertools.count()


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_percent(part, total):
    return f"{(part / total * 100.0) if total else 0.0:.2f}%"


class FunctionEvent:
    """One timed op or ``record_function`` block (times in microseconds)."""

    def __init__(self, name, start_ns, parent=None, input_shapes=None):
        self.id = next(_ids)
        self.name = name
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.start_ns = start_ns
        self.end_ns = start_ns
        self.cpu_parent = parent
        self.cpu_children = []
        self.count = 1
        self.is_user_annotation = not name.startswith("aten::")

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return (self.end_ns - self.start_ns) / 1e3

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"self_cpu_time_total={self.self_cpu_time_total_str}>")


class FunctionEventAvg:
    """The events of one key summed: ``count``, ``cpu_time_total``, ``self_cpu_time_total`` and the average."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.is_user_annotation = not key.startswith("aten::")

    def add(self, ev):
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} count={self.count}>")


_SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "count")


class EventList(list):
    """A list of events with PyTorch's ``table``, ``key_averages`` and ``total_average``."""

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        avgs = {}
        for ev in self:
            key = "ProfilerStep*" if ev.key.startswith("ProfilerStep#") else ev.key
            shapes = ev.input_shapes if group_by_input_shape else None
            group = (key, str(shapes)) if group_by_input_shape else key
            avg = avgs.get(group)
            if avg is None:
                avg = avgs[group] = FunctionEventAvg(key, shapes)
            avg.add(ev)
        return EventList(avgs.values())

    def total_average(self):
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        return total

    @property
    def self_cpu_time_total(self):
        return sum(ev.self_cpu_time_total for ev in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """PyTorch's profiler table (CPU columns)."""
        events = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
            events.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if top_level_events_only:
            events = [e for e in events if getattr(e, "cpu_parent", None) is None]
        total = self.self_cpu_time_total
        if row_limit is not None and row_limit >= 0:
            events = events[:row_limit]
        name_w = min(max((len(e.key) for e in self), default=4), max_name_column_width) + 4
        widths = [name_w] + [12] * 6
        headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        shapes = any(getattr(e, "input_shapes", None) for e in self)
        if shapes:
            widths.append(min(max(len(str(e.input_shapes)) for e in self), max_shapes_column_width) + 4)
            headers.append("Input Shapes")

        def row(cells):
            return "".join(f"{c:>{w}}  " for c, w in zip(cells, widths))
        line = "".join("-" * w + "  " for w in widths)
        out = []
        if header is not None:
            out += ["=" * len(line), header]
        out += [line, row(headers), line]
        for e in events:
            name = e.key if len(e.key) <= max_name_column_width else e.key[:max_name_column_width - 3] + "..."
            out.append(row([name, _format_percent(e.self_cpu_time_total, total),
                            _format_time(e.self_cpu_time_total), _format_percent(e.cpu_time_total, total),
                            _format_time(e.cpu_time_total), _format_time(e.cpu_time), str(e.count)]
                           + ([str(e.input_shapes)[:max_shapes_column_width]] if shapes else [])))
        out.append(line)
        out.append(f"Self CPU time total: {_format_time(total)}")
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path):
        trace = [{"name": e.name, "ph": "X", "ts": e.start_ns / 1e3, "dur": e.cpu_time_total, "pid": 0, "tid": 0,
                  "cat": "user_annotation" if e.is_user_annotation else "cpu_op"} for e in self]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)


class profile:
    """Records every op and ``record_function`` block run inside ``with profile() as prof:``."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=True, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.function_events = None
        self._events = []
        self._stack = []
        self._prev = None
        self._entered = False

    # -- recording ---------------------------------------------------------------
    def __enter__(self):
        if not self.enabled:
            return self
        if self._entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._entered = True
        self._start()
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return
        self._stop()
        self._entered = False

    def _start(self):
        self._events = []
        self._stack = []
        self._prev = _intercept.set_profiler(self)      # this thread's ops (as in PyTorch)

    def _stop(self):
        _intercept.set_profiler(self._prev)
        self.function_events = EventList(self._events)

    def _begin(self, name, input_shapes=None):
        ev = FunctionEvent(name, time.perf_counter_ns(), self._stack[-1] if self._stack else None, input_shapes)
        if ev.cpu_parent is not None:
            ev.cpu_parent.cpu_children.append(ev)
        self._stack.append(ev)
        self._events.append(ev)
        return ev

    def _end(self, ev, result=None):
        if result is not None:
            _block(result)
        ev.end_ns = time.perf_counter_ns()
        if self._stack and self._stack[-1] is ev:
            self._stack.pop()

    # -- results -----------------------------------------------------------------
    def _check(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self):
        self._check()
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        self._check()
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self):
        self._check()
        return self.function_events.total_average()

    def table(self, *args, **kwargs):
        self._check()
        return self.function_events.table(*args, **kwargs)

    def export_chrome_trace(self, path):
        self._check()
        return self.function_events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        self._check()
        return self.function_events.self_cpu_time_total

    def __str__(self):
        return self.table() if self.function_events is not None else "<unfinished profile>"


def input_shapes(op, args, statics):
    """``record_shapes``: one entry per argument of the op, a tensor's shape or ``[]`` (as PyTorch lists them)."""
    return [list(a.shape) if isinstance(a, Tensor) else [] for a in args] + [[] for _ in statics]


def _block(result):
    for r in (result if isinstance(result, (tuple, list)) else (result,)):
        if isinstance(r, Tensor):
            a = r._storage.array
            if hasattr(a, "block_until_ready"):
                a.block_until_ready()


class record_function(contextlib.ContextDecorator):
    """``with record_function("name"):`` (or ``@record_function("name")``) times the block as one event
    of the recording profiler; does nothing when none records."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._ev = None
        self._prof = None

    def __enter__(self):
        prof = _local.state.profiler
        if prof is not None:
            self._prof = prof
            self._ev = prof._begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._prof is not None:
            self._prof._end(self._ev)
            self._prof = self._ev = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
