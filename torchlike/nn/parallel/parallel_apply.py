"""``parallel_apply``: ``modules[i](*inputs[i], **kwargs_tup[i])`` for each replica, on its device.

torchlike runs the replicas one after another (JAX dispatches their work asynchronously, so the
devices still overlap); an exception in replica ``i`` is re-raised with PyTorch's
``Caught <Error> in replica i on device d.`` wrapping.  Where JAX sees no GPU it raises what
PyTorch's CPU build raises.
"""
from __future__ import annotations

import traceback

from ._devices import NO_ACCELERATOR, cuda_device, cuda_index, has_cuda
from ... import cuda
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["parallel_apply", "get_a_var"]


def get_a_var(obj):
    """The first tensor found in ``obj`` (a tensor, or lists/tuples/dicts of them), else None."""
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (list, tuple)):
        items = obj
    elif isinstance(obj, dict):
        items = obj.items()
    else:
        return None
    for item in items:
        found = get_a_var(item)
        if found is not None:
            return found
    return None


def _reraise(exc, i, dev):
    where = f"in replica {i} on device {dev}"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    msg = f"Caught {type(exc).__name__} {where}.\nOriginal {text}"
    try:
        new = type(exc)(msg)
    except Exception:  # noqa: BLE001 - an exception class that takes other arguments
        raise RuntimeError(msg) from exc
    raise new from None


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """Apply ``modules[i]`` to ``inputs[i]`` (a tuple is unpacked) with ``kwargs_tup[i]``; the outputs
    in order."""
    n = len(modules)
    assert n == len(inputs), f"The number of modules {n} is not equal to the number of inputs {len(inputs)}"
    if kwargs_tup is not None:
        assert n == len(kwargs_tup), \
            f"The number of modules {n} is not equal to the number of kwargs_tup {len(kwargs_tup)}"
    else:
        kwargs_tup = ({},) * n
    if devices is not None:
        assert n == len(devices), f"The number of modules {n} is not equal to the number of devices {len(devices)}"
    else:
        devices = [None] * n
    indices = [cuda_index(d) for d in devices]
    if not has_cuda():
        if n:
            raise RuntimeError(NO_ACCELERATOR)
        raise AssertionError("No available accelerator found.")
    outputs = []
    for i, (module, inp, kw, idx) in enumerate(zip(modules, inputs, kwargs_tup, indices)):
        if idx is None:
            var = get_a_var(inp)
            idx = var.device.index if var is not None and var.device.type == "cuda" else None
        dev = cuda_device(idx)
        try:
            with cuda.device(dev):
                args = inp if isinstance(inp, (list, tuple)) else (inp,)
                outputs.append(module(*args, **kw))
        except Exception as exc:  # noqa: BLE001 - re-raised with the replica's place
            _reraise(exc, i, dev)
    return outputs
