"""Custom autograd functions: ``torch.autograd.Function``.

``MyFn.apply(*args)`` runs ``forward`` with grad recording off, then records a
node named ``MyFnBackward`` whose gradient is the user's ``backward``.
"""
from __future__ import annotations

import functools

from . import grad_mode
from .graph import Node, node_class


class FunctionCtx:
    """The ``ctx`` object handed to ``forward``/``setup_context`` and ``backward``."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._dirty = ()
        self._non_differentiable = ()
        self._saved = None

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            from .engine import _FREED
            raise RuntimeError(_FREED)
        for t, v in self._saved:
            if t is not None and t._vc[0] != v:
                raise RuntimeError("one of the variables needed for gradient computation has been modified by an "
                                   "inplace operation")
        return tuple(t for t, _ in self._saved)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node):
    """Base of ``<Name>Backward`` nodes of custom Functions."""
    __slots__ = ("_fn_cls", "_ctx", "_out_meta")

    def _backward(self, grads, create_graph):
        from .._creation import zeros
        ctx = self._ctx
        if ctx._saved is None:
            from .engine import _FREED
            raise RuntimeError(_FREED)
        if ctx.materialize_grads:
            grads = [zeros(s, dtype=d) if g is None else g for g, (s, d) in zip(grads, self._out_meta)]
        result = self._fn_cls.backward(ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(ctx.needs_input_grad)
        if len(result) < n:
            raise RuntimeError(f"function {type(self).__name__} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        out = []
        for g, need, edge in zip(result, ctx.needs_input_grad, self._all_edges):
            if edge is not None:
                out.append(g if need else None)
        return out

    def _release(self):
        self._freed = True
        self._ctx._saved = None


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"__slots__": ("_all_edges",)})


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grads)``."""

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .. import _registry as R
        from .._tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        custom_setup = cls.setup_context is not Function.setup_context if hasattr(cls, "setup_context") else False
        with grad_mode.no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        outs = output if isinstance(output, tuple) else (output,)
        # outputs that are inputs returned as-is become new tensors sharing data (as PyTorch's view/identity rule)
        outs = tuple(o.detach() if isinstance(o, Tensor) and any(o is a for a in args) and o not in ctx._dirty
                     else o for o in outs)
        ctx._saved = tuple((t, t._vc[0] if t is not None else 0) for t in ctx.to_save)
        needs = grad_mode.state.enabled and any(ctx.needs_input_grad)
        if needs:
            node = cls._backward_cls()
            node._seq = next(R._seq)
            node._fn_cls = cls
            node._ctx = ctx
            edges, all_edges = [], []
            for a in args:
                if isinstance(a, Tensor):
                    e = a._edge() if a._requires_grad else (None, 0)
                    edges.append(e)
                    all_edges.append(e)
                else:
                    all_edges.append(None)
            node.next_functions = tuple(edges)
            node._all_edges = all_edges
            node._out_meta = tuple((tuple(o.shape), o.dtype) if isinstance(o, Tensor) else ((), None) for o in outs)
            non_diff = {id(t) for t in ctx._non_differentiable}
            for i, o in enumerate(outs):
                if isinstance(o, Tensor) and id(o) not in non_diff and (o.is_floating_point() or o.is_complex()):
                    o._requires_grad = True
                    o._grad_fn = node
                    o._output_nr = i
        return outs if isinstance(output, tuple) else outs[0]

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return fn(ctx, *grads)
    return wrapper
