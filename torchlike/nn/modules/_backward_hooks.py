"""Module full backward hooks (``register_full_backward_hook`` / ``register_full_backward_pre_hook``).

As in PyTorch, the module's tensor inputs and outputs pass through an identity
``BackwardHookFunction``: a prehook on the outputs' node sees the gradients of
the outputs (``grad_output``, which pre-hooks may replace), and a hook on the
inputs' node sees the gradients of the inputs (``grad_input``, which full
hooks may replace).  When no input requires grad, the full hooks run on the
outputs' node with ``grad_input`` all ``None``.
"""
from __future__ import annotations

import warnings

from ... import _creation
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function


class BackwardHookFunction(Function):
    """Identity on its tensor arguments; its node carries the module's backward hooks."""

    @staticmethod
    def forward(ctx, *args):
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _wrap(tensors):
    """The tensors that require grad, through one identity node; the others as they are."""
    diff = [t for t in tensors if t.requires_grad]
    out = BackwardHookFunction.apply(*diff)
    it = iter(out if isinstance(out, tuple) else (out,))
    wrapped = [next(it) if t.requires_grad else t for t in tensors]
    return wrapped, next(w.grad_fn for w in wrapped if w.requires_grad)


class BackwardHook:
    """The hooks of one module call: wraps its inputs, then its outputs."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = []
        self.input_requires_grad = False

    def _run_full_hooks(self, grad_input):
        return _chain(self.user_hooks, lambda hook, g: hook(self.module, g, self.grad_outputs), grad_input,
                      "Backward hook returned an invalid number of grad_input")

    def setup_input(self, args):
        self.n_inputs = len(args)
        self.input_index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in self.input_index]
        self.input_requires_grad = grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)
        if not self.input_requires_grad:
            return args
        wrapped, node = _wrap(tensors)
        diff = [j for j, t in enumerate(tensors) if t.requires_grad]     # the node's outputs
        shapes = [(tuple(t.shape), t.dtype, t.device) for t in tensors]

        def hook(grad_inputs, grad_outputs):
            if self.grad_outputs is None:      # the outputs got no gradient through this call
                return None
            full = [None] * self.n_inputs
            for j, i in enumerate(self.input_index):     # PyTorch materialises missing ones as zeros
                s, d, dev = shapes[j]
                full[i] = _creation.zeros(s, dtype=d, device=dev)
            for g, j in zip(grad_outputs, diff):
                if g is not None:
                    full[self.input_index[j]] = g
            res = self._run_full_hooks(tuple(full))
            self.grad_outputs = None
            return [res[self.input_index[j]] for j in diff]
        node.register_hook(hook)
        out = list(args)
        for j, i in enumerate(self.input_index):
            out[i] = wrapped[j]
        return tuple(out)

    def setup_output(self, result):
        if not grad_mode.is_grad_enabled():
            return result
        is_tuple = isinstance(result, tuple)
        outs = result if is_tuple else (result,)
        index = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        tensors = [outs[i] for i in index]
        if not any(t.requires_grad for t in tensors):
            return result
        wrapped, node = _wrap(tensors)

        diff = [j for j, t in enumerate(tensors) if t.requires_grad]     # the node's outputs

        def prehook(grad_outputs):
            full = [None] * len(tensors)
            for g, j in zip(grad_outputs, diff):
                full[j] = g
            grads = tuple(full)
            grads = _chain(self.user_pre_hooks, lambda hook, g: hook(self.module, g), grads,
                           "Backward pre hook returned an invalid number of grad_output")
            self.grad_outputs = grads
            if not self.input_requires_grad and self.user_hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", stacklevel=5)
                self._run_full_hooks((None,) * self.n_inputs)
                self.grad_outputs = None
            return [grads[j] for j in diff]
        node.register_prehook(prehook)
        out = list(outs)
        for j, i in enumerate(index):
            out[i] = wrapped[j]
        return tuple(out) if is_tuple else out[0]


def _chain(hooks, call, grads, what):
    """Run ``hooks`` in order, each on the previous one's result (None keeps it), checking its length."""
    for hook in hooks:
        r = call(hook, grads)
        if r is None:
            continue
        r = r if isinstance(r, tuple) else (r,)
        if len(r) != len(grads):
            raise RuntimeError(f"{what}, got {len(r)}, but expected {len(grads)}")
        grads = r
    return grads
