"""``torch.profiler``: the op profiler with activities, a step schedule and ``record_function``.

Built on ``torchlike.autograd.profiler`` (same events and table).  Only CPU
time is measured: every op's outputs are waited for, so on an accelerator an
op's time includes its device time (there is no separate device column).
"""
from __future__ import annotations

import enum

from ..autograd import profiler as _ap
from ..autograd.profiler import EventList, record_function  # noqa: F401
import os
import shutil
import time
import gzip
import socket

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule", "supported_activities",
           "kineto_available", "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"


def supported_activities():
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """``step -> ProfilerAction``: skip ``skip_first`` steps, then cycles of ``wait`` idle, ``warmup``
    and ``active`` recording steps (the last one saves), ``repeat`` times (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")

    def fn(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return fn


def _always_record(step):
    return ProfilerAction.RECORD


class profile(_ap.profile):
    """``with torch.profiler.profile(activities=[ProfilerActivity.CPU], schedule=...) as prof:``;
    ``prof.step()`` advances the schedule; ``on_trace_ready(prof)`` runs after each saved cycle."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 use_cuda=None, custom_trace_id_callback=None):
        super().__init__(record_shapes=record_shapes)
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule or _always_record
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self._recording = False
        self._steps = schedule is not None     # steps are events of their own ("ProfilerStep#N")
        self._step_event = None

    def start(self):
        self._transit(None, self.schedule(self.step_num))

    def stop(self):
        self._close_step()
        if self._recording:
            self._stop_recording(save=self.schedule(self.step_num) in _SAVED)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def step(self):
        """End the current step and move the schedule on."""
        prev = self.schedule(self.step_num)
        self.step_num += 1
        self._steps = True
        self._transit(prev, self.schedule(self.step_num))

    def _transit(self, prev, action):
        self._close_step()
        if prev == ProfilerAction.RECORD_AND_SAVE and self._recording:
            self._stop_recording(save=True)
        recording = action != ProfilerAction.NONE
        if recording and not self._recording:
            self._start()
            self._recording = True
        elif not recording and self._recording:
            self._stop_recording(save=False)
        elif prev == ProfilerAction.WARMUP and action in _SAVED:
            self._events.clear()        # warm-up steps are not reported
        if self._recording and self._steps:
            self._step_event = self._begin(f"ProfilerStep#{self.step_num}")

    def _close_step(self):
        if self._step_event is not None:
            self._end(self._step_event)
            self._step_event = None

    def _stop_recording(self, save):
        self._stop()
        self._recording = False
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)


_SAVED = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def kineto_available():
    """Whether ``torch.profiler.profile`` (PyTorch's Kineto-based profiler API) can be used: it can."""
    return True


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An ``on_trace_ready`` handler writing each trace to ``dir_name`` as
    ``<worker_name>.<time_ns>.pt.trace.json[.gz]`` (worker name: ``<host>_<pid>``), the files TensorBoard's
    profiler plugin reads."""

    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker_name}.{time.time_ns()}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler_fn
