"""``nn.parallel.DistributedDataParallel``: data parallelism over ``torch.distributed`` ranks.

At construction rank 0's parameters and buffers are broadcast to every rank.  Each parameter's
``post_accumulate_grad`` hook marks it ready; when every parameter this backward reaches is
ready, all gradients go through one ``all_reduce`` per dtype (a flat bucket) and each rank's
``.grad`` becomes the mean over ranks, as PyTorch's reducer leaves it.  ``no_sync()`` skips the
reduction (gradients accumulate locally and the next synced backward averages the sum);
``find_unused_parameters=True`` walks the output's graph in forward so that parameters the step
does not reach count as ready, and a parameter no rank used keeps its gradient untouched.
"""
from __future__ import annotations

import contextlib
import weakref

import torchlike as torch     # the public face (torch.distributed, torch.cat, ...), not an import cycle

from ..modules.module import Module


def _reached_parameters(outputs):
    """The leaves whose AccumulateGrad nodes the autograd graphs of ``outputs`` reach."""
    Tensor = torch.Tensor
    stack, seen, found = [], set(), set()

    def visit(obj):
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                stack.append(obj.grad_fn)
            elif obj.requires_grad:
                found.add(id(obj))
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                visit(o)
        elif isinstance(obj, dict):
            for o in obj.values():
                visit(o)
    visit(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            found.add(id(variable))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return found


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False):
        super().__init__()
        dist = torch.distributed
        if process_group is None:
            process_group = dist.distributed_c10d._pg(None)
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if device_ids and all(d.type == "cpu" for d in devices):
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                             f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.static_graph = static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self._params = [p for p in dict.fromkeys(module.parameters()) if p.requires_grad]
        self._expected = {id(p) for p in self._params}
        self._ready = set()
        self._sync_now = True
        self._pending = False
        if init_sync:
            self._broadcast([*module.parameters(), *module.buffers()])
        me = weakref.ref(self)
        for p in self._params:
            p.register_post_accumulate_grad_hook(lambda p, me=me: me() is not None and me()._grad_ready(p))

    # ---- the reducer
    def _broadcast(self, tensors):
        """Every rank's ``tensors`` become rank 0's (one broadcast per dtype)."""
        cat, no_grad = torch.cat, torch.no_grad
        dist = torch.distributed
        src = self.process_group.ranks[0]
        for group in _by_dtype(tensors).values():
            flat = cat([t.detach().reshape(-1) for t in group])
            dist.broadcast(flat, src=src, group=self.process_group)
            with no_grad():
                for t, piece in zip(group, flat.split([t.numel() for t in group])):
                    t.copy_(piece.view(t.shape))

    def _grad_ready(self, p):
        if not self._sync_now or not self._pending:
            return
        self._ready.add(id(p))
        if self._expected <= self._ready:
            self._pending = False
            self._reduce()

    def _reduce(self):
        cat, no_grad, tensor, zeros_like = torch.cat, torch.no_grad, torch.tensor, torch.zeros_like
        dist = torch.distributed
        n = self.process_group.size()
        used = {id(p): id(p) in self._ready for p in self._params}
        unused_everywhere = set()
        if self.find_unused_parameters:
            counts = tensor([int(used[id(p)]) for p in self._params])
            dist.all_reduce(counts, group=self.process_group)
            unused_everywhere = {id(p) for p, c in zip(self._params, counts.tolist()) if c == 0}
        for group in _by_dtype(self._params).values():
            flat = cat([(p.grad if p.grad is not None and used[id(p)] else zeros_like(p)).detach().reshape(-1)
                        for p in group])
            dist.distributed_c10d._all_reduce_agreed(flat, self.process_group)
            flat = flat / n
            with no_grad():
                for p, piece in zip(group, flat.split([p.numel() for p in group])):
                    if id(p) in unused_everywhere:
                        continue      # no rank used it: PyTorch leaves its gradient alone
                    if p.grad is None:
                        p.grad = piece.view(p.shape).clone()
                    else:
                        p.grad.copy_(piece.view(p.shape))

    # ---- Module
    def forward(self, *inputs, **kwargs):
        if self._pending and self._sync_now and self._ready:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This "
                "error indicates that your module has parameters that were not used in producing loss. You can "
                "enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by making "
                "sure all `forward` function outputs participate in calculating loss.")
        if self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast(buffers)
        out = self.module(*inputs, **kwargs)
        self._sync_now = self.require_backward_grad_sync
        self._ready = set()
        self._pending = True
        if self.find_unused_parameters and self._sync_now:
            reached = _reached_parameters(out)
            self._expected = {id(p) for p in self._params if id(p) in reached}
            if not self._expected:      # nothing to wait for: the step contributes zeros
                self._pending = False
                self._reduce()
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside accumulate gradients locally, unsynchronised."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        return contextlib.nullcontext()

    def _set_static_graph(self):
        self.static_graph = True


def _by_dtype(tensors):
    groups = {}
    for t in tensors:
        groups.setdefault(t.dtype, []).append(t)
    return groups
