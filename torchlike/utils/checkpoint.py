"""``torch.utils.checkpoint``: activation checkpointing with PyTorch's results.

``checkpoint(fn, *args, use_reentrant=True)`` is PyTorch's reentrant form: ``fn`` runs without
recording a graph, the output's node is ``CheckpointFunctionBackward``, and its backward re-runs
``fn`` (with the random state of the first run, so dropout masks repeat) and back-propagates through
the re-run: the same values and gradients as without checkpointing, and PyTorch's quirk that the
output needs no grad when no input does.  ``use_reentrant=False`` runs ``fn`` as a plain call: the graph
is the one without checkpointing.  The memory saving itself is XLA's business: under
``torchlike.compile`` and JAX transforms the program is rematerialised as XLA sees fit
(``jax.checkpoint``-style policies are not applied)."""
from __future__ import annotations

import contextlib
import enum
import warnings

from .. import autograd
from .._random import get_rng_state, set_rng_state
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..nn import Sequential
from ..random import fork_rng

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction", "check_backward_validity",
           "detach_variable", "get_device_states", "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "DefaultDeviceType", "set_checkpoint_debug_enabled", "CheckpointPolicy", "SelectiveCheckpointContext",
           "create_selective_checkpoint_contexts", "SAC_IGNORED_OPS", "GraphExecGroup"]

SAC_IGNORED_OPS = set()
_NO_REENTRANT_FLAG = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.")


class CheckpointError(RuntimeError):
    pass


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def check_backward_validity(inputs):
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)


def detach_variable(inputs):
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for x in inputs:
        if not isinstance(x, Tensor):
            out.append(x)
            continue
        d = x.detach()
        d.requires_grad = x.requires_grad
        out.append(d)
    return tuple(out)


def get_device_states(*args):
    """(devices, states): torchlike's one generator serves every device, so there are none apart."""
    return [], []


def set_device_states(devices, states, *, device_type=None):
    pass


class DefaultDeviceType:
    _default_device_type = "cuda"

    @staticmethod
    def set_device_type(device="cuda"):
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type():
        return DefaultDeviceType._default_device_type


class CheckpointFunction(autograd.Function):
    """The reentrant checkpoint: forward without a graph, backward by re-running ``run_function``."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.inputs)
        for pos, t in zip(ctx.tensor_positions, detach_variable(tuple(ctx.saved_tensors))):
            args[pos] = t
        with fork_rng(enabled=ctx.rng_state is not None):
            if ctx.rng_state is not None:
                set_rng_state(ctx.rng_state)
            with enable_grad():
                outputs = ctx.run_function(*args)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in args)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)`` with its activations recomputed in backward (module docstring)."""
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT_FLAG, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not noop_context_fn or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return CheckpointFunction.apply(function, preserve_rng_state, *args)
    forward_context, _ = context_fn()
    with forward_context:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules) in ``segments`` chunks, each but the
    last checkpointed."""
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT_FLAG, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)


_flags = {"early_stop": True, "debug": False}


@contextlib.contextmanager
def _flag(name, value):
    previous, _flags[name] = _flags[name], value
    try:
        yield
    finally:
        _flags[name] = previous


def set_checkpoint_early_stop(enable):
    return _flag("early_stop", enable)


def set_checkpoint_debug_enabled(enabled):
    return _flag("debug", enabled)


class CheckpointPolicy(enum.Enum):
    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3


class SelectiveCheckpointContext:
    def __init__(self, *, is_recompute):
        self.is_recompute = is_recompute


def create_selective_checkpoint_contexts(policy_fn_or_list, allow_cache_entry_mutation=False):
    """Selective checkpointing's two contexts: every activation is kept here (the policy is accepted
    and has no effect: results are the same either way)."""
    return contextlib.nullcontext(), contextlib.nullcontext()


class GraphExecGroup:
    """A group of backward calls sharing recomputed activations: a plain context manager here."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

