"""Anomaly detection: ``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``.

While enabled, every recorded node keeps the traceback of the forward call
that created it; backward then runs node by node (not as one fused program),
and when a node fails - or, with ``check_nan``, returns NaN - a warning shows
that forward traceback, as PyTorch does.
"""
from __future__ import annotations

import functools
import os
import traceback
import warnings
import jax.numpy as jnp

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
_saved = None      # autograd._saved

__all__ = ["detect_anomaly", "set_detect_anomaly"]

_enabled = [False]
_check_nan = [True]


def is_anomaly_enabled():
    return _enabled[0]


def is_anomaly_check_nan_enabled():
    return _check_nan[0]


def _set(mode, check_nan):
    _enabled[0] = bool(mode)
    _check_nan[0] = bool(check_nan)
    _saved.refresh()


class detect_anomaly:
    """Context manager (and decorator) that enables anomaly detection inside."""

    def __init__(self, check_nan=True):
        self.prev = _enabled[0]
        self.check_nan = check_nan
        self.prev_check_nan = _check_nan[0]
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(mode, check_nan=True)``: sets the mode at once; as a context manager,
    restores the previous mode on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = _enabled[0]
        self.prev_check_nan = _check_nan[0]
        _set(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)


# ---- used by the engine --------------------------------------------------------

def keep_trace(node):
    """The forward traceback, as PyTorch keeps it: ``node.metadata["traceback_"]``."""
    node.metadata["traceback_"] = traceback.format_list(_user_frames(traceback.extract_stack()))


def forward_trace_warning(node):
    """PyTorch's warning naming the node that failed and where it was created."""
    text = "".join(node.metadata.get("traceback_", ()))
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{text}",
                  UserWarning, stacklevel=2)


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_frames(trace):
    """The stack without the innermost dispatch frames (registry, generated op functions, Tensor
    operators, autograd); torchlike's Python-level modules further out (``nn``) stay, as torch shows its own."""
    trace = list(trace)
    while trace and _internal(trace[-1]):
        trace.pop()
    return trace


def _internal(frame):
    fn = frame.filename
    if fn == "<string>":            # the registry's generated op functions (not a `python -c` program)
        return frame.name != "<module>"
    return fn.startswith(_PKG) and (os.path.basename(fn).startswith("_") or os.sep + "autograd" + os.sep in fn)


def check_nan(node, grads):
    """Raise PyTorch's error when the node returned NaN in one of its gradients."""
    for i, g in enumerate(grads):
        if g is not None and (g.is_floating_point() or g.is_complex()) and bool(jnp.isnan(g._arr()).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
