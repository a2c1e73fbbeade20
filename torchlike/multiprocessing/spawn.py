"""``torch.multiprocessing.spawn(fn, args, nprocs, join)``: run ``fn(i, *args)`` in ``nprocs`` fresh processes.

A child's exception reaches the parent as :class:`ProcessRaisedException` carrying the child's
traceback; a child that dies otherwise as :class:`ProcessExitedException`; either stops the other
children.  Under ``python -m torchlike`` the children resolve ``import torch`` to torchlike too
(their interpreter starts through ``_child``, which installs the alias before the main module is
re-imported).
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import traceback


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child exited with a non-zero code or was killed by a signal."""
    __slots__ = ["exit_code", "signal_name"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _wrap(fn, i, args, error_file):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - handed to the parent
        with open(error_file, "w") as f:
            f.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    def __init__(self, processes, error_files):
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def join(self, timeout=None, grace_period=None):
        """True when every process has finished; raises the first failure (stopping the others)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        p = self.processes[failed]
        error_file = self.error_files[failed]
        if os.path.exists(error_file) and os.path.getsize(error_file):
            with open(error_file) as f:
                text = f.read()
            msg = f"\n\n-- Process {failed} terminated with the following error:\n{text}"
            raise ProcessRaisedException(msg, failed, p.pid)
        if p.exitcode < 0:
            name = signal.Signals(-p.exitcode).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, p.pid,
                                         p.exitcode, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {p.exitcode}", failed, p.pid,
                                     p.exitcode)


SpawnContext = ProcessContext


def _alias_executable():
    """An interpreter wrapper that installs ``torch`` -> torchlike before multiprocessing's bootstrap."""
    path = os.path.join(tempfile.gettempdir(), f"torchlike-mp-python-{os.getuid()}")
    body = f'#!/bin/sh\nexec "{sys.executable}" -m torchlike.multiprocessing._child "$@"\n'
    try:
        with open(path) as f:
            if f.read() == body:
                return path
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(body)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return path


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``fn(i, *args)`` for i in range(nprocs); join them (or return the :class:`ProcessContext`)."""
    ctx = multiprocessing.get_context(start_method)
    aliased = "torch" in sys.modules and getattr(sys.modules["torch"], "__name__", "") == "torchlike"
    saved = None
    if aliased and start_method != "fork":
        from multiprocessing import spawn as mp_spawn
        saved = mp_spawn.get_executable()
        mp_spawn.set_executable(_alias_executable())
    error_dir = tempfile.mkdtemp(prefix="torchlike-spawn-")
    processes, error_files = [], []
    try:
        for i in range(nprocs):
            error_file = os.path.join(error_dir, f"{i}.err")
            p = ctx.Process(target=_wrap, args=(fn, i, args, error_file), daemon=daemon)
            p.start()
            processes.append(p)
            error_files.append(error_file)
    finally:
        if saved is not None:
            mp_spawn.set_executable(saved)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``torch.multiprocessing.spawn``: :func:`start_processes` with the spawn start method."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
