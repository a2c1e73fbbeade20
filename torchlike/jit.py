"""``torch.jit`` as pass-throughs: torchlike has no TorchScript, and needs none to run a program that
uses it (``torchlike.compile`` is the way to one compiled program).  ``script``, ``trace`` and the
decorators return what they are given, so scripted and traced code runs eagerly with the same
values; ``is_scripting()`` and ``is_tracing()`` are False.  Saving and loading TorchScript archives
(``torch.jit.save`` / ``load``) cannot be served and raise a NotImplementedError that says what to
use instead."""
from __future__ import annotations

import contextlib
import typing
import warnings

from .nn import Module

__all__ = ["Attribute", "CompilationUnit", "Error", "Future", "ScriptFunction", "ScriptModule", "annotate",
           "enable_onednn_fusion", "export", "export_opnames", "fork", "freeze", "interface", "ignore", "isinstance",
           "load", "onednn_fusion_enabled", "optimize_for_inference", "save", "script", "script_if_tracing",
           "set_fusion_strategy", "strict_fusion", "trace", "trace_module", "unused", "wait"]

_builtin_isinstance = isinstance
_NO_ARCHIVES = ("TorchScript archives are not supported by torchlike (there is no TorchScript): save the "
                "module's state_dict with torch.save and rebuild the module in Python instead")


class Error(Exception):
    """A TorchScript error (never raised by torchlike's pass-throughs)."""


class TracerWarning(Warning):
    pass


class ScriptWarning(Warning):
    pass


class TracingCheckError(Exception):
    pass


class ScriptModule(Module):
    """The base class of scripted modules; subclassing it gives a plain ``nn.Module``."""


class RecursiveScriptModule(ScriptModule):
    pass


class TracedModule(ScriptModule):
    pass


TopLevelTracedModule = TracedModule


class ScriptFunction:
    """The type of scripted functions (``script`` returns functions unchanged, so nothing is one)."""


class RecursiveScriptClass:
    pass


class CompilationUnit:
    def __init__(self, lang=None, _frames_up=0):
        raise NotImplementedError("torch.jit.CompilationUnit compiles TorchScript source, which torchlike does not "
                                  "support")


class Attribute(typing.NamedTuple):
    value: typing.Any
    type: typing.Any


Final = typing.Final
Iterator = typing.Iterator


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns ``obj`` (a function, module or class) unchanged: it runs eagerly."""
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Returns ``func`` unchanged: the traced program is the function itself, run eagerly."""
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
                 strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
                 example_inputs_is_kwarg=False, _store_inputs=True):
    return mod


def script_method(fn):
    return fn


def script_if_tracing(fn):
    return fn


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` and ``@torch.jit.ignore(drop=True)``: the function unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def _copy_to_script_wrapper(fn):
    return fn


def is_scripting():
    """False: nothing runs as TorchScript in torchlike."""
    return False


def is_tracing():
    """False: ``torch.jit.trace`` does not trace in torchlike."""
    return False


def annotate(the_type, the_value):
    return the_value


def isinstance(obj, target_type):   # noqa: A001 - torch.jit.isinstance
    """``isinstance`` that also understands ``List[int]``, ``Dict[str, Tensor]``, ``Optional[...]``,
    ``Tuple[...]`` (checking every element, as TorchScript refines them)."""
    origin, args = typing.get_origin(target_type), typing.get_args(target_type)
    if origin is None:
        return target_type is typing.Any or _builtin_isinstance(obj, target_type)
    if origin is typing.Union:
        return any(isinstance(obj, a) for a in args)
    if origin in (list, tuple, dict) and not _builtin_isinstance(obj, origin):
        return False
    if origin is list:
        return all(isinstance(x, args[0]) for x in obj) if args else True
    if origin is dict:
        return all(isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items()) if args else True
    if origin is tuple:
        if not args:
            return True
        if len(args) == 2 and args[1] is Ellipsis:
            return all(isinstance(x, args[0]) for x in obj)
        return len(obj) == len(args) and all(isinstance(x, a) for x, a in zip(obj, args))
    return _builtin_isinstance(obj, origin)


class Future:
    """The result of ``fork``: computed at once (torchlike runs forked calls synchronously)."""

    def __init__(self, value=None):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self):
        return True

    def then(self, callback):
        return Future(callback(self))


def fork(func, *args, **kwargs):
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def run_frozen_optimizations(mod, optimize_numerics=True, preserved_methods=None):
    return None


def export_opnames(m):
    return []


def save(m, f, _extra_files=None):
    raise NotImplementedError(f"torch.jit.save: {_NO_ARCHIVES}")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError(f"torch.jit.load: {_NO_ARCHIVES}")


def save_jit_module_to_flatbuffer(m, f, _extra_files=None):
    raise NotImplementedError(f"torch.jit.save_jit_module_to_flatbuffer: {_NO_ARCHIVES}")


def jit_module_from_flatbuffer(f):
    raise NotImplementedError(f"torch.jit.jit_module_from_flatbuffer: {_NO_ARCHIVES}")


def last_executed_optimized_graph():
    raise NotImplementedError("torch.jit.last_executed_optimized_graph: torchlike runs no TorchScript graphs")


_fusion = {"onednn": False, "strategy": [("STATIC", 2), ("DYNAMIC", 10)]}


def enable_onednn_fusion(enabled):
    _fusion["onednn"] = bool(enabled)


def onednn_fusion_enabled():
    return _fusion["onednn"]


def set_fusion_strategy(strategy):
    previous, _fusion["strategy"] = _fusion["strategy"], strategy
    return previous


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def fuser(name):
    yield


class strict_fusion:     # noqa: N801 - torch's name
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def set_module(obj, mod):
    obj.__module__ = mod
    return obj
