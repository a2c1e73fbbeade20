"""``torch.compiler``: ``compile`` is ``torchlike.compile`` (one XLA program per call signature); the
rest are pass-throughs that keep programs running: decorators return their function, guard and cache
controls are accepted and change nothing, ``is_compiling()`` is True while ``torchlike.compile``
traces a step."""
from __future__ import annotations

import dataclasses
import types
import functools

from ._state import local as _local
from ._compile import compile  # noqa: A004 - torch.compiler.compile

__all__ = ["compile", "config", "assume_constant_result", "reset", "allow_in_graph", "substitute_in_graph",
           "list_backends", "disable", "set_default_backend", "get_default_backend", "set_stance",
           "set_enable_guard_collectives", "cudagraph_mark_step_begin", "load_compiled_function", "wrap_numpy",
           "is_compiling", "is_dynamo_compiling", "is_exporting", "save_cache_artifacts", "load_cache_artifacts",
           "keep_portable_guards_unsafe", "skip_guard_on_inbuilt_nn_modules_unsafe",
           "skip_guard_on_all_nn_modules_unsafe", "keep_tensor_guards_unsafe", "skip_guard_on_globals_unsafe",
           "skip_all_guards_unsafe", "nested_compile_region"]

config = types.SimpleNamespace(job_id=None, cache_key_tag="", dynamic_sources="", unbacked_sources="")
_state = {"backend": "xla", "stance": "default", "guard_collectives": False}


def is_compiling():
    """True while ``torchlike.compile`` traces a function into its program."""
    return _local.state.tracker is not None


def is_dynamo_compiling():
    return is_compiling()


def is_exporting():
    return False


def reset():
    """Nothing to reset: each compiled function keeps its own programs, freed with it."""


def disable(fn=None, recursive=True, *, reason=None):
    """``@torch.compiler.disable`` and ``@torch.compiler.disable(recursive=False)``: the function
    unchanged (under ``torchlike.compile`` it is traced with the rest of the step)."""
    if fn is None:
        return lambda f: f
    return fn


def _identity_decorator(fn=None, **kwargs):
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def wrap_numpy(fn):
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """A decorator registering a traceable substitute for ``original_fn``: the original is kept."""
    return lambda substitute: original_fn


def nested_compile_region(fn=None, *, options=None, max_reuse_entries=8, reuse_hash_fn=None):
    return _identity_decorator(fn)


def list_backends(exclude_tags=("debug", "experimental")):
    return ["xla"]


def get_default_backend():
    return _state["backend"]


def set_default_backend(backend):
    _state["backend"] = backend


class set_stance:      # noqa: N801 - torch's name
    """``torch.compiler.set_stance(...)`` as a call, a context manager or a decorator; recorded only
    (``torchlike.compile`` has one stance: compile from a signature's second call)."""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.stance = stance
        self.previous = _state["stance"]
        _state["stance"] = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state["stance"] = self.previous
        return False

    def __call__(self, fn):

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with set_stance(self.stance):
                return fn(*args, **kwargs)
        _state["stance"] = self.previous
        return run


def set_enable_guard_collectives(enabled):
    previous, _state["guard_collectives"] = _state["guard_collectives"], bool(enabled)
    return previous


def cudagraph_mark_step_begin():
    return None


def save_cache_artifacts():
    return None


def load_cache_artifacts(serialized_artifacts):
    return None


def load_compiled_function(file, *, f_globals=None, external_data=None):
    raise NotImplementedError("torch.compiler.load_compiled_function: torchlike compiles from Python functions "
                              "(torch.compile), it cannot load PyTorch's precompiled artifacts")


def _guard_filter(keep):
    def guard_filter(guard_entries):
        return [keep(g) for g in guard_entries]
    return guard_filter


keep_portable_guards_unsafe = _guard_filter(lambda g: True)
keep_tensor_guards_unsafe = _guard_filter(lambda g: True)
skip_guard_on_inbuilt_nn_modules_unsafe = _guard_filter(lambda g: True)
skip_guard_on_all_nn_modules_unsafe = _guard_filter(lambda g: True)
skip_guard_on_globals_unsafe = _guard_filter(lambda g: True)
skip_all_guards_unsafe = _guard_filter(lambda g: False)


@dataclasses.dataclass
class CacheInfo:
    artifacts: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class NestedCompileRegionOptions:
    fw_compiler: object = None
    bw_compiler: object = None
    partitioner: object = None
    decompositions: object = None
