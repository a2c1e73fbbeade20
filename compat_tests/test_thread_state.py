"""Per-thread modes (issue 13: one thread-local state object, ``torchlike/_state.py``), differentially
against PyTorch where PyTorch has the scenario.

A thread that enters a mode (grad off, inference mode, saved-tensor hooks, a profiler, ``torch.func``'s
vmap, a custom Function's forward under forward AD, ``torchlike.compile``'s trace) must not change
what another thread's ops do while it is in it, and a new thread starts with the defaults.  The threads
interleave deterministically: the one holding a mode signals an Event once inside and waits for the
other to finish its ops before it leaves.  Forward AD's dual level is process-wide in PyTorch (a
second thread cannot open one), and stays so here.
"""
import io
import threading

import numpy as np
import pytest
import torch

import torchlike
from harness import data, same

X = data(3, seed=11)
TIMEOUT = 30


def _hold(enter, body_in_other_thread):
    """Run ``enter()`` (a context manager factory) in a worker thread and ``body_in_other_thread()``
    in this one while the worker is inside it; returns (the body's result, what the worker saw)."""
    inside, release = threading.Event(), threading.Event()
    seen = []
    errors = []

    def worker():
        try:
            with enter():
                inside.set()
                release.wait(TIMEOUT)
        except BaseException as e:      # noqa: BLE001 - reported below
            errors.append(e)
            inside.set()

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert inside.wait(TIMEOUT)
        result = body_in_other_thread()
    finally:
        release.set()
        th.join(TIMEOUT)
    if errors:
        raise errors[0]
    return result, seen


def _in_new_thread(fn):
    out = []
    errors = []

    def worker():
        try:
            out.append(fn())
        except BaseException as e:      # noqa: BLE001 - reported below
            errors.append(e)

    th = threading.Thread(target=worker)
    th.start()
    th.join(TIMEOUT)
    if errors:
        raise errors[0]
    return out[0]


def _ops(T, packed=None):
    """What a thread's ops look like: grad/inference switches, recording, inference tensors."""
    x = T.tensor(X, requires_grad=True)
    y = x * 2
    z = x.sin()
    w = T.ones(2)
    return (T.is_grad_enabled(), T.is_inference_mode_enabled(), y.requires_grad, z.requires_grad,
            type(z.grad_fn).__name__, w.is_inference(), y)


# ---- a new thread starts with the defaults ----------------------------------------------------------

def test_new_thread_starts_with_defaults_under_every_mode():
    def f(T):
        packed = []
        with T.autograd.profiler.profile() as prof:
            with T.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
                with T.inference_mode():
                    inner = _in_new_thread(lambda: _ops(T))
                    mine = (T.is_grad_enabled(), T.is_inference_mode_enabled(), T.ones(2).is_inference())
        names = {e.name for e in prof.function_events}
        # the thread's ops are neither recorded by this thread's profiler nor packed by its hooks
        return inner, mine, len(packed), "aten::sin" in names, "aten::mul" in names
    same(f)


def test_new_thread_starts_with_default_device_autocast_and_skip_data_off():
    def f(T):
        def probe():
            a = T.tensor(np.ones((2, 2), np.float32))
            buf = io.BytesIO()
            T.save(T.tensor(X), buf)        # skip_data off here: the values are written
            buf.seek(0)
            return (str(T.get_default_device()), str(T.ones(1).device), T.is_autocast_enabled("cpu"),
                    (a @ a).dtype, T.load(buf), T.autograd.is_multithreading_enabled())
        with T.device("meta"), T.autocast("cpu"), T.serialization.skip_data(), \
                T.autograd.set_multithreading_enabled(False):
            inner = _in_new_thread(probe)
            mine = (str(T.get_default_device()), T.is_autocast_enabled("cpu"), T.autograd.is_multithreading_enabled())
        return inner, mine, str(T.get_default_device()), T.autograd.is_multithreading_enabled()
    same(f)


# ---- a thread inside a mode does not disturb another thread's ops ---------------------------------

@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "set_grad_enabled"])
def test_grad_modes_of_another_thread_do_not_apply(mode):
    def f(T):
        enter = {"no_grad": T.no_grad, "inference_mode": T.inference_mode,
                 "set_grad_enabled": lambda: T.set_grad_enabled(False)}[mode]
        result, _ = _hold(enter, lambda: _ops(T))
        return result, T.is_grad_enabled()
    same(f)


def test_saved_tensor_hooks_of_another_thread_do_not_pack():
    def f(T):
        packed = []
        x = T.tensor(X, requires_grad=True)

        def enter():
            return T.autograd.graph.saved_tensors_hooks(lambda t: packed.append("worker") or t, lambda t: t)
        y, _ = _hold(enter, lambda: x.exp() * x)
        y.sum().backward()
        return packed, x.grad
    same(f)


def test_profiler_records_only_its_own_thread():
    """(One profiler at a time: PyTorch 2.13 crashes with two recording in two threads at once.)"""
    def f(T):
        started, stop = threading.Event(), threading.Event()
        names = []

        def worker():
            with T.autograd.profiler.profile() as prof:
                T.ones(2).exp()
                started.set()
                stop.wait(TIMEOUT)
                T.ones(2).neg()
            names.append({e.name for e in prof.function_events})

        th = threading.Thread(target=worker)
        th.start()
        try:
            assert started.wait(TIMEOUT)
            y = T.tensor(X).cos()
        finally:
            stop.set()
            th.join(TIMEOUT)
        theirs = names[0]
        return y, "aten::exp" in theirs, "aten::neg" in theirs, "aten::cos" in theirs
    same(f)


def test_record_function_outside_a_profiling_thread_records_nothing():
    def f(T):
        def body():
            with T.autograd.profiler.record_function("main_block"):
                return T.tensor(X).tanh()
        prof_holder = []

        def enter():
            p = T.autograd.profiler.profile()
            prof_holder.append(p)
            return p
        y, _ = _hold(enter, body)
        names = {e.name for e in prof_holder[0].function_events}
        return y, "main_block" in names, "aten::tanh" in names
    same(f)


class _Twice:
    """A custom Function in the ``setup_context`` style (usable under ``torch.func``), without a vmap rule."""

    @staticmethod
    def make(T):
        class Twice(T.autograd.Function):
            @staticmethod
            def forward(x):
                return x * 2

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, g):
                return g * 2
        return Twice


def test_vmap_in_another_thread_does_not_refuse_a_function_here():
    """``torch.func.vmap`` refuses a custom Function without vmap support only in the thread that
    vmaps (PyTorch's transform stack is per thread)."""
    def f(T):
        Twice = _Twice.make(T)
        inside, release = threading.Event(), threading.Event()
        seen = []

        def batched(row):
            inside.set()
            release.wait(TIMEOUT)
            return row.sin()

        def worker():
            seen.append(T.func.vmap(batched)(T.tensor(np.stack([X, X]))))

        th = threading.Thread(target=worker)
        th.start()
        try:
            assert inside.wait(TIMEOUT)
            grad = T.func.grad(lambda x: Twice.apply(x).sum())(T.tensor(X))
        finally:
            release.set()
            th.join(TIMEOUT)
        return grad, seen[0]
    same(f)


def test_vmap_still_refuses_the_function_in_its_own_thread():
    def f(T):
        Twice = _Twice.make(T)
        return _in_new_thread(lambda: T.func.vmap(Twice.apply)(T.tensor(np.stack([X, X]))))
    same(f)


def test_custom_function_forward_in_another_thread_keeps_tangents_here():
    """Under forward AD a custom Function's forward sees no tangents; only in its own thread."""
    def f(T):
        fwad = T.autograd.forward_ad
        inside, release = threading.Event(), threading.Event()
        out = []

        class Wait(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                inside.set()
                release.wait(TIMEOUT)
                return x + 1

            @staticmethod
            def backward(ctx, g):
                return g

        with fwad.dual_level():
            th = threading.Thread(target=lambda: out.append(Wait.apply(T.tensor(X))))
            th.start()
            try:
                assert inside.wait(TIMEOUT)
                dual = fwad.make_dual(T.tensor(X), T.ones(3))
                y = fwad.unpack_dual(dual * 3)
            finally:
                release.set()
                th.join(TIMEOUT)
            return y.primal, y.tangent, out[0]
    same(f)


def test_dual_level_is_process_wide():
    """PyTorch keeps forward AD's level process-wide: a second thread cannot open another."""
    def f(T):
        fwad = T.autograd.forward_ad
        with fwad.dual_level():
            try:
                _in_new_thread(fwad.enter_dual_level)
                return "opened"
            except RuntimeError as e:
                return str(e)
    same(f)


def test_compile_trace_in_another_thread_does_not_track_this_thread():
    """While one thread traces a ``torchlike.compile`` step, another thread is not compiling (PyTorch:
    ``is_compiling()`` is False outside a compiled frame) and its ops are its own."""
    T = torchlike
    tracing, release = threading.Event(), threading.Event()
    w = T.ones(3, requires_grad=True)

    @T.compile
    def step(x):
        if T.compiler.is_compiling():
            tracing.set()
            release.wait(TIMEOUT)
        return (w * x).sum()

    results = []

    def worker():
        for _ in range(3):          # the first call runs eagerly, the second traces
            results.append(float(step(T.tensor(X))))

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert tracing.wait(TIMEOUT)
        here = T.compiler.is_compiling()
        y = (w * 2).sum()
        y.backward()
        z = T.tensor(X)
        z.add_(1)
    finally:
        release.set()
        th.join(TIMEOUT)
    assert here is False and torch.compiler.is_compiling() is False
    np.testing.assert_allclose(w.grad.numpy(), np.full(3, 2.0))
    np.testing.assert_allclose(z.numpy(), X + 1, rtol=1e-6)
    np.testing.assert_allclose(results, [X.sum()] * 3, rtol=1e-5)
    assert T.compiler.is_compiling() is False
