"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each is a context manager and a decorator (of functions and of generators,
where the mode holds while the generator runs and is restored at each yield).
The state is thread-local, as in PyTorch: a new thread starts with grad on.
"""
from __future__ import annotations

import functools
import inspect
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False


state = _State()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _GradMode:
    """Base: subclasses give the (enabled, inference) pair to enter."""

    def _target(self):
        raise NotImplementedError

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        state.enabled, state.inference = self._target()
        return None

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError(f"{type(self).__name__} cannot be used to decorate a class")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            with self.clone():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with self.clone():
                        gen.close()
                    raise
                except BaseException as exc:  # noqa: BLE001 - forwarded into the generator
                    with self.clone():
                        response = gen.throw(exc)
                else:
                    try:
                        with self.clone():
                            response = gen.send(request)
                    except StopIteration as stop:
                        return stop.value
        return wrapper


class no_grad(_GradMode):
    """Disables gradient recording inside the block or decorated function."""

    def __init__(self, orig_func=None):
        if orig_func is not None and callable(orig_func):
            raise TypeError("no_grad() takes no arguments; use @no_grad() or @no_grad")

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            # bare ``@no_grad`` decoration
            self.__init__()
            return self(orig_func)
        return self

    def _target(self):
        return False, state.inference


class enable_grad(no_grad):
    """Enables gradient recording inside the block or decorated function."""

    def _target(self):
        return True, state.inference


class set_grad_enabled(_GradMode):
    """Sets grad mode to ``mode``; takes effect at construction, like PyTorch."""

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def _target(self):
        return self.mode, state.inference

    def __enter__(self):
        self._prev = (self.prev, state.inference)
        state.enabled = self.mode

    def __call__(self, func):
        state.enabled = self.prev
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_GradMode):
    """Like no_grad, and tensors made inside are inference tensors."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode) and not isinstance(mode, bool):
            self.__init__()
            return self(mode)
        return self

    def _target(self):
        if self.mode:
            return False, True
        return state.enabled, False

    def clone(self):
        return inference_mode(self.mode)
