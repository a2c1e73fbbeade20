"""``replicate``: one copy of a module per device, sharing nothing but the structure.

A replica is a new object of the module's class with the module's attributes, its submodules
replicated in turn and its parameters and buffers copied to the replica's device.  Without
``detach`` the copies stay in the autograd graph of the originals (gradients flow back to them);
buffers that do not require grad are always copied detached.  Where JAX sees no GPU, a module with
tensors fails as it does in PyTorch's CPU build; one without tensors is replicated.
"""
from __future__ import annotations

from ._devices import cuda_device, has_cuda, non_cpu_index

__all__ = ["replicate"]

_NO_BROADCAST = "module 'torch._C' has no attribute '_broadcast_coalesced'"


def _copy(t, dev, detach):
    if t is None:
        return None
    if detach or not t.requires_grad:
        return t.detach().to(dev).requires_grad_(t.requires_grad and detach)
    return t.to(dev)


def _check_tensors(params, buffers, detach):
    if params and not detach and any(p.device.type == "cpu" for p in params):
        raise AssertionError("Broadcast function not implemented for CPU tensors")
    if (params or buffers) and not has_cuda():
        raise AttributeError(_NO_BROADCAST)
    if any(t.device.type == "cpu" for t in (*params, *buffers)):
        raise AssertionError("Broadcast function not implemented for CPU tensors")


def _replica(module, dev, detach, memo):
    if id(module) in memo:
        return memo[id(module)]
    rep = object.__new__(type(module))
    d = dict(module.__dict__)
    d["_parameters"] = {k: _copy(p, dev, detach) for k, p in module._parameters.items()}
    d["_buffers"] = {k: _copy(b, dev, detach) for k, b in module._buffers.items()}
    d["_modules"] = {}
    d["_is_replica"] = True
    rep.__dict__.update(d)
    memo[id(module)] = rep
    for k, child in module._modules.items():
        rep._modules[k] = None if child is None else _replica(child, dev, detach, memo)
    return rep


def replicate(network, devices, detach=False):
    """``len(devices)`` replicas of ``network``, the i-th on ``devices[i]``."""
    list(network.children())      # a Module (PyTorch's error otherwise)
    if not devices:
        return []
    indices = [non_cpu_index(d) for d in devices]
    params = [p for p in network.parameters()]
    buffers = [b for b in network.buffers()]
    _check_tensors(params, buffers, detach)
    return [_replica(network, cuda_device(i) if has_cuda() else None, detach, {}) for i in indices]
