"""``torch.amp.GradScaler``: dynamic loss scaling for mixed-precision training.

``scale(loss)`` multiplies by the scale (``init_scale`` on first use); ``unscale_(optimizer)`` divides
the optimizer's gradients by it and records whether any is inf/NaN; ``step`` unscales if needed and
skips ``optimizer.step()`` when one was; ``update`` backs the scale off after a skipped step and grows
it after ``growth_interval`` clean steps in a row.  ``enabled=False`` makes every method a pass-through.
"""
from __future__ import annotations

import warnings
from enum import Enum

import numpy as np

from .. import _dtype as D
from .._device import cuda_is_available
from .._tensor import Tensor
import torchlike     # the public face, read when called (not an import cycle)

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state():
    return {"stage": OptState.READY, "found_inf": None}


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            if not cuda_is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                              UserWarning, stacklevel=2)
                self._enabled = False
        if self._enabled:
            assert growth_factor > 1.0, "The growth factor must be > 1.0."
            assert backoff_factor < 1.0, "The backoff factor must be < 1.0."
            self._init_scale = init_scale
            self._scale = None          # a 0-dim float32 tensor from the first scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = {}

    # ---- scaling -----------------------------------------------------------------------------
    def _check_scale_growth_tracker(self, funcname):
        fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."
        assert self._scale is not None, f"Attempted {funcname} but _scale is None.  {fix}"
        assert self._growth_tracker is not None, f"Attempted {funcname} but _growth_tracker is None.  {fix}"

    def _lazy_init(self):
        self._scale = torchlike.full((), float(self._init_scale), dtype=D.float32)
        self._growth_tracker = int(self._init_growth_tracker)

    def scale(self, outputs):
        """``outputs`` (a tensor or nested lists/tuples of them) multiplied by the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init()
            return outputs * self._scale.to(device=outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(v) for v in outputs)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer):
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def _unscale_grads(self, optimizer, inv_scale, allow_fp16):
        """Divide the gradients by the scale; whether any was inf/NaN."""
        found = []
        with torchlike.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if not allow_fp16 and g.dtype is D.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    found.append(torchlike.isfinite(g).all().logical_not())
                    g.mul_(inv_scale.to(g.dtype))
            if not found:
                return torchlike.zeros((), dtype=D.float32)
            return torchlike.stack(found).any().to(D.float32)

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale (once per step, before ``step``)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._state(optimizer)
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        state["found_inf"] = self._unscale_grads(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` on unscaled gradients, unless one was inf/NaN (then None)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._state(optimizer)
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        assert state["found_inf"] is not None, "No inf checks were recorded for this optimizer."
        try:
            skip = bool(state["found_inf"].item())
        except Exception:
            # a value read while torchlike.compile traces the step: the step reruns eagerly from the
            # state before it, so forget what the traced run recorded for this optimizer
            self._per_optimizer_states.pop(id(optimizer), None)
            raise
        retval = None
        if not skip:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """Grow or back off the scale from this step's inf checks (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                assert isinstance(new_scale, Tensor), reason
                assert new_scale.numel() == 1, reason
                assert new_scale.requires_grad is False, reason
                if new_scale.dim():
                    shape = ", ".join(map(str, new_scale.shape))
                    raise RuntimeError(f"output with shape [] doesn't match the broadcast shape [{shape}]")
                self._scale.copy_(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            assert len(found) > 0, "No inf checks were recorded prior to update."
            found_inf = any(bool(f.item()) for f in found)
            scale = np.float32(self._scale.item())
            if found_inf:
                self._scale.fill_(float(scale * np.float32(self._backoff_factor)))
                self._growth_tracker = 0
            else:
                tracker = self._growth_tracker + 1
                if tracker == self._growth_interval:
                    grown = scale * np.float32(self._growth_factor)
                    if np.isfinite(grown):
                        self._scale.fill_(float(grown))
                    tracker = 0
                self._growth_tracker = tracker
        self._per_optimizer_states = {}

    # ---- settings and state ----------------------------------------------------------------------
    def _get_scale_async(self):
        return self._scale

    def get_scale(self):
        """The current scale as a Python float (``init_scale`` before the first ``scale``; 1.0 disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]
