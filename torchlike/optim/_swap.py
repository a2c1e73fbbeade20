"""``torch.optim.swap_in_optimizer_params_and_state``: run optimizer code against other parameter and
state tensors, then restore the live optimizer."""
from __future__ import annotations

import collections
import contextlib

_ORDER = ("swap_in_optimizer_params_and_state requires the explicit parameter state to match "
          "optimizer.param_groups ordering.")


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Inside the context ``optimizer`` holds ``swapin_parameters`` (in ``param_groups`` order) and the
    state and group hyperparameters of ``swapin_optim_state`` (an ``optimizer.state_dict()``-shaped dict).
    In-place updates reach the supplied tensors; everything else is restored on exit."""
    if not optimizer.state:
        raise RuntimeError("swap_in_optimizer_params_and_state requires initialized optimizer state.")
    params = list(swapin_parameters.values())
    groups = swapin_optim_state["param_groups"]
    if len(groups) != len(optimizer.param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups than the live optimizer.")
    if len(params) != sum(len(g["params"]) for g in optimizer.param_groups) or any(
            len(sg["params"]) != len(g["params"]) for sg, g in zip(groups, optimizer.param_groups)):
        raise RuntimeError(_ORDER)
    snapshots = [dict(g) for g in optimizer.param_groups]
    original_state = optimizer.state
    saved = swapin_optim_state.get("state", {})
    state = collections.defaultdict(dict)
    it = iter(params)
    try:
        for live, group in zip(optimizer.param_groups, groups):
            new_params = [next(it) for _ in live["params"]]
            live["params"] = new_params
            live.update({k: v for k, v in group.items() if k != "params"})
            for pid, p in zip(group["params"], new_params):
                if pid in saved:
                    state[p] = dict(saved[pid])     # the same tensors: in-place edits propagate back
        optimizer.state = state
        yield
    finally:
        optimizer.state = original_state
        for live, snap in zip(optimizer.param_groups, snapshots):
            live.clear()
            live.update(snap)
