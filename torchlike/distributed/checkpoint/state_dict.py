"""``torch.distributed.checkpoint.state_dict``: a model's state dict as shards or as whole tensors, and
loading a whole one back into a sharded model.

* ``get_model_state_dict(model)`` is ``model.state_dict()`` (a parameter ``fully_shard`` spread over
  processes gives its sharded value); ``full_state_dict=True`` gathers each one whole on every rank
  (``full_tensor()``: every rank must call), and with ``cpu_offload=True`` only rank 0 keeps them (the
  others get an empty dict), as PyTorch does.
* ``set_model_state_dict(model, state_dict, options=...)`` loads whole values: each rank keeps its
  piece of a sharded parameter; ``broadcast_from_rank0=True`` takes rank 0's values (the other ranks
  may pass an empty dict).  Returns ``(missing_keys, unexpected_keys)``; ``strict`` raises on either.
"""
from __future__ import annotations

import dataclasses
from typing import Union

import numpy as np

from ..._creation import zeros
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...nn.modules.module import _IncompatibleKeys
from .. import distributed_c10d as c10d
from ..fsdp._across import ShardedParameter, place
import torchlike as torch     # the public face, read when called (not an import cycle): torch.from_jax

# the type names PyTorch's signatures use
FQNS_T = set[str]
PrimitiveType = Union[Tensor, int, float, str]
ValueType = Union[PrimitiveType, list, tuple, dict]
DictValueType = dict[str, ValueType]
ListDictValueType = list[DictValueType]
OptimizerStateType = dict[str, Union[DictValueType, ListDictValueType]]


@dataclasses.dataclass
class StateDictOptions:
    full_state_dict: bool = False
    cpu_offload: bool = False
    ignore_frozen_params: bool = False
    keep_submodule_prefixes: bool = True
    strict: bool = True
    broadcast_from_rank0: bool = False
    flatten_optimizer_state_dict: bool = False
    dsd_fqn_modifiers: str = "_fqn_modifiers"


def _rank0():
    return not c10d.is_initialized() or c10d.get_rank() == 0


def _frozen(model):
    return {name for name, p in model.named_parameters() if not p.requires_grad}


def get_model_state_dict(model, *, submodules=None, options=None):
    """``model``'s state dict, sharded or (``full_state_dict``) whole; see the module docstring."""
    if submodules is not None:
        raise NotImplementedError("get_model_state_dict(submodules=...) is not supported by torchlike")
    options = options or StateDictOptions()
    state = model.state_dict()
    if options.ignore_frozen_params:
        frozen = _frozen(model)
        state = type(state)((k, v) for k, v in state.items() if k not in frozen)
    if not options.full_state_dict:
        return state
    keep = _rank0() or not options.cpu_offload
    whole = {}
    for k, v in state.items():
        full = v.full_tensor() if hasattr(v, "full_tensor") else v      # a collective: every rank gathers
        if keep:
            whole[k] = full
    return whole


def set_model_state_dict(model, model_state_dict, *, options=None):
    """Load whole (``full_state_dict``) or same-placed values into ``model``; see the module docstring."""
    options = options or StateDictOptions()
    targets = model.state_dict(keep_vars=True)
    given = dict(model_state_dict)
    if options.broadcast_from_rank0 and options.full_state_dict and c10d.is_initialized():
        given = {}
        for k, t in targets.items():
            value = model_state_dict[k].detach().clone() if _rank0() and k in model_state_dict else \
                zeros(tuple(t.shape), dtype=t.dtype)
            c10d.broadcast(value, src=0)
            given[k] = value
    missing = [k for k in targets if k not in given]
    unexpected = [k for k in given if k not in targets]
    if options.strict and (missing or unexpected):
        def listed(what, keys):
            return [f"{what} key(s) in state_dict: " + ", ".join(f'"{k}"' for k in keys) + ". "] if keys else []
        errors = listed("Missing", missing) + listed("Unexpected", unexpected)
        raise RuntimeError(f"Error(s) in loading state_dict for {type(model).__name__}:\n\t" + "\n\t".join(errors))
    plain = {}
    with no_grad():
        for k, value in given.items():
            t = targets.get(k)
            if isinstance(t, ShardedParameter):
                whole = value.full_tensor() if hasattr(value, "full_tensor") else value
                t.data = torch.from_jax(place(np.asarray(whole.detach().numpy()), t.jax().sharding))
            elif t is not None:
                plain[k] = value
    model.load_state_dict(plain, strict=False)
    return _IncompatibleKeys(missing, unexpected)


__all__ = ["FQNS_T", "PrimitiveType", "ValueType", "DictValueType", "ListDictValueType", "OptimizerStateType",
           "StateDictOptions", "get_model_state_dict", "set_model_state_dict"]
