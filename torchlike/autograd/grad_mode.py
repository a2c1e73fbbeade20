"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each is a context manager and a decorator (of functions and of generators,
where the mode holds while the generator body runs and the caller's mode is
restored at each yield).  The state is thread-local, as in PyTorch: two fields
of the thread's ``_state.ThreadState`` (``grad_enabled``, ``inference``), so a
new thread starts with grad on.  ``inference_mode(True)`` turns grad off and
makes new tensors inference tensors; ``inference_mode(False)`` turns grad back on.
"""
from __future__ import annotations

import functools
import inspect
import warnings

from .._state import local as _local

# a process-wide "has ever happened" flag: True from the first time any thread enters inference mode;
# until then the tensor constructor need not look at the (per-thread) inference switch
inference_seen = [False]


def is_grad_enabled():
    """Whether operations are recorded for autograd in this thread."""
    return _local.state.grad_enabled


def is_inference_mode_enabled():
    return _local.state.inference


class _GradMode:
    """Base: ``_target()`` gives the (grad enabled, inference) pair to enter."""

    def _target(self):
        raise NotImplementedError

    def __enter__(self):
        state = _local.state
        self._stack().append((state.grad_enabled, state.inference))
        state.grad_enabled, state.inference = self._target()

    def __exit__(self, *exc):
        state = _local.state
        state.grad_enabled, state.inference = self._stack().pop()
        return False

    def _stack(self):
        # one object may be entered again while active (a decorated recursive function): a stack per object
        st = self.__dict__.get("_prev")
        if st is None:
            st = self.__dict__["_prev"] = []
        return st

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should "
                          "only decorate functions or methods. To preserve the current behavior of class "
                          "decoration, you can directly decorate the `__init__` method and nothing else.",
                          FutureWarning, stacklevel=2)
            cls = func

            def func(*args, **kwargs):
                return cls(*args, **kwargs)
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, func):
        """The generator body runs under the mode; the caller's mode is restored at every yield.

        Each resumption of the inner generator (``send``, ``throw``, ``close``)
        happens inside a fresh context of this mode.
        """
        mode = self

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            inner = func(*args, **kwargs)
            resume, value = inner.send, None
            while True:
                try:
                    with mode.clone():
                        out = resume(value)
                except StopIteration as done:
                    return done.value
                try:
                    value = yield out
                    resume = inner.send
                except GeneratorExit:
                    with mode.clone():
                        inner.close()
                    raise
                except BaseException as exc:  # noqa: BLE001 - thrown in by the caller: forward it
                    resume, value = inner.throw, exc
        return wrapper


class no_grad(_GradMode):
    """Disables gradient recording inside the block or decorated function."""

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            # bare ``@no_grad`` decoration
            return object.__new__(cls)(orig_func)
        return object.__new__(cls)

    def __init__(self, orig_func=None):
        pass

    def _target(self):
        return False, _local.state.inference


class enable_grad(no_grad):
    """Enables gradient recording inside the block or decorated function."""

    def _target(self):
        return True, _local.state.inference


class set_grad_enabled(_GradMode):
    """Sets grad mode to ``mode``, at construction (so it also works as a plain call), like PyTorch."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        state = _local.state
        self.prev = state.grad_enabled
        self.mode = mode
        state.grad_enabled = mode

    def _target(self):
        return self.mode, _local.state.inference

    def __enter__(self):
        # the mode was set by the constructor; exit restores what was there before it
        state = _local.state
        self._stack().append((self.prev, state.inference))
        state.grad_enabled = self.mode

    def __call__(self, func):
        _local.state.grad_enabled = self.prev
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_GradMode):
    """``inference_mode()``: grad off, new tensors are inference tensors; ``inference_mode(False)``: grad on."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            self = object.__new__(cls)           # bare ``@inference_mode``
            self.mode = True
            return self(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            mode = True
        self.mode = bool(mode)

    def _target(self):
        if self.mode:
            inference_seen[0] = True
            return False, True
        return True, False

    def clone(self):
        return inference_mode(self.mode)
