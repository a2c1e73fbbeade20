"""Autograd graph nodes.

A :class:`Node` is one recorded operation.  Its class is named as PyTorch
names it (``SinBackward0``); ``next_functions`` holds one ``(node, output_nr)``
edge per differentiable input, ``(None, 0)`` where the input needs no grad.
Leaves that require grad end in an :class:`AccumulateGrad` node.

The node's gradient formula is not written here: an op node keeps the op, its
static arguments and the input arrays, and asks the op for the vector-Jacobian
product, which JAX derives from the op's implementation (see ``_registry``).
"""
from __future__ import annotations

import itertools
import jax.numpy as jnp
import sys
import contextlib

from .._lazy import LazyRef
from .grad_mode import no_grad

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
apply_node = saved_attribute = push_hooks = pop_hooks = disabled = Tensor = None   # engine, _saved, _tensor

_node_classes = {}

# Process-wide, not per thread (the per-thread switches are ``_state.ThreadState``'s):
# RECORD_EXTRA is a hint, True while some thread has saved-tensor hooks open or anomaly mode (process-wide,
# as PyTorch's) is on: the registry's ``record`` then calls ``_saved.on_record``, which reads this thread's
# own hooks, and ops are not deferred.  One list read per op, where a per-thread switch would cost one
# thread-local read more.
RECORD_EXTRA = [False]
# a "has ever happened" flag: some node holds packed saved tensors (they are unpacked node by node);
# until then the engine and ``_release`` skip looking for them
PACKED_EVER = [False]

# C++-side node classes whose ``name()`` PyTorch spells with their namespace
_QUALIFIED = {"AccumulateGrad": "torch::autograd::AccumulateGrad", "CopySlices": "torch::autograd::CopySlices",
              "CopyBackwards": "torch::autograd::CopyBackwards",
              "GraphRoot": "torch::autograd::GraphRoot", "Error": "torch::autograd::Error",
              "NotImplemented": "torch::autograd::NotImplemented"}
_hook_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, store, key):
        self._store, self.id = store, key

    def remove(self):
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register(store_owner, attr, fn):
    store = getattr(store_owner, attr)
    if store is None:
        store = {}
        setattr(store_owner, attr, store)
    key = next(_hook_ids)
    store[key] = fn
    return RemovableHandle(store, key)


# creation order of nodes: a node is made after the nodes of its inputs, so this order is topological
# (the engine runs newer nodes first)
next_seq = itertools.count().__next__

# node names of the view functions that return several views: PyTorch forbids writing in place into
# their outputs (and into views of them) while autograd records (``Tensor._check_multi_view``)
MULTI_VIEW_NODES = frozenset(("SplitBackward0", "SplitWithSizesBackward0", "UnbindBackward0"))


class Node:
    """Base of every grad_fn object."""
    __slots__ = ("next_functions", "_hooks", "_prehooks", "_tensor_prehooks",
                 "_retain", "_metadata", "_freed", "_seq", "__weakref__")

    def __init__(self, next_functions=()):
        self.next_functions = next_functions
        self._hooks = self._prehooks = self._tensor_prehooks = self._retain = None
        self._metadata = None
        self._freed = False

    # AccumulateGrad nodes run as soon as they are ready (PyTorch gives them the highest priority)
    _runs_first = False

    def name(self):
        n = type(self).__name__
        return _QUALIFIED.get(n, n)

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computes; may return new grad_inputs."""
        return _register(self, "_hooks", fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node computes; may return new grad_outputs."""
        return _register(self, "_prehooks", fn)

    def __call__(self, *grads):
        return apply_node(self, list(grads), create_graph=False)

    def _release(self):
        """Free what backward needs (called after a backward without retain_graph)."""
        self._freed = True

    def _revive(self):
        """After ``_release``: can the node run again?  (Only if it saved no tensors.)"""
        return False

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """Sink of a leaf tensor: adds the incoming gradient into ``variable.grad``."""
    __slots__ = ("variable",)
    _runs_first = True

    def __init__(self, variable):
        super().__init__(())
        self.variable = variable

    def _release(self):
        pass      # saves nothing: a leaf keeps accumulating on every backward


class OpNode(Node):
    """A node recorded by the op registry: gradients come from the op's JAX vjp."""
    # _lazy: (open segment, ((input position, segment output), ...)) for a node whose inputs a deferred
    # segment computes (``_lazy.enqueue``), else None; dropped when the segment computes them
    __slots__ = ("_op", "_key", "_arrays", "_mask", "_saved", "_out_meta", "_inputs", "_diff_outs", "_edge_pos",
                 "_packed", "_lazy")

    def __init__(self, next_functions, op, key, inputs, arrays, mask, edge_pos, out_meta, diff_outs, saved):
        """A node of ``op`` (static key ``key``) on ``inputs`` (the call's tensor positions), whose
        backward takes ``arrays`` (their values); ``mask`` says which inputs have an edge and
        ``edge_pos`` where each input's edge is in ``next_functions``; ``out_meta`` the outputs' shapes
        and dtypes, ``diff_outs`` those that are differentiable; ``saved`` ((tensor, version), ...) the
        inputs whose in-place modification makes backward raise.  Made by ``_registry.record`` only."""
        self.next_functions = next_functions
        self._hooks = self._prehooks = self._tensor_prehooks = self._retain = self._metadata = None
        self._freed = False
        self._seq = next_seq()      # after the inputs' nodes exist
        self._op = op
        self._key = key
        self._inputs = inputs
        self._arrays = arrays
        self._lazy = None
        self._mask = mask
        self._edge_pos = edge_pos
        self._out_meta = out_meta
        self._diff_outs = diff_outs
        self._saved = saved

    def __getattr__(self, name):
        # only reached for names not found normally: grad_fn._saved_self, _saved_dim, _saved_result, ...
        if name.startswith("_saved_"):
            return saved_attribute(self, name[7:])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _release(self):
        """Drop the saved input arrays.  A node that saved no tensors (``add``, views, ``sum``) keeps
        only their shapes: PyTorch lets such a node run again, and its gradient ignores the values."""
        self._freed = True
        self._lazy = None
        if PACKED_EVER[0]:
            self._packed = None
        arrays = self._arrays
        if arrays is None or type(arrays) is _Shapes:
            return
        self._arrays = None if self._saved else _Shapes(arrays)
        self._inputs = None

    def _revive(self):
        arrays = self._arrays
        if type(arrays) is not _Shapes:
            return False
        self._arrays = arrays.zeros()
        self._freed = False
        return True


def _array_type():
    global _ARRAY_TYPE
    if _ARRAY_TYPE is None:
        _ARRAY_TYPE = type(jnp.zeros(()))
    return _ARRAY_TYPE


_ARRAY_TYPE = None


class SavedOutput:
    """An output a node saved, as its version check and that check's error read it: the version counter
    (the list the tensor shares with its views and detached aliases), the dtype, the shape and the output
    number, not the tensor, whose ``grad_fn`` is the node: holding it would make the two a reference cycle,
    and a step's whole graph (and the deferred segment its nodes keep) would live until the cyclic collector
    ran, where PyTorch frees it when the last tensor goes.  (``grad_fn._saved_result`` is recomputed from
    the node's inputs: ``_saved._saved_result``.)"""
    __slots__ = ("_vc", "_dtype", "shape", "_output_nr", "_grad_fn")

    def __init__(self, t, output_nr=0):
        self._vc = t._vc
        self._dtype = t._dtype
        self.shape = t._shape()     # (a tuple: the error prints it as a list)
        self._output_nr = output_nr
        self._grad_fn = None        # (the saving node, named by the error instead)

    @staticmethod
    def is_inference():
        return False                # (a recorded op's output never is: ops record nothing in inference mode)


def saved_output(t):
    """``(SavedOutput(t), t's version now)``: a ``_saved`` entry for the output ``t``."""
    return SavedOutput(t), t._vc[0]


class _Shapes(tuple):
    """Shapes and dtypes of a released node's inputs (non-array inputs kept as they are)."""
    __slots__ = ()

    def __new__(cls, arrays):
        array_type = _ARRAY_TYPE or _array_type()
        return tuple.__new__(cls, [(a.shape, a.dtype) if type(a) is array_type or type(a) is LazyRef else (None, a)
                                   for a in arrays])

    def zeros(self):
        return tuple(v if s is None else jnp.zeros(s, v) for s, v in self)


def node_class(name, base=OpNode):
    """The Node subclass named ``name`` (created once, shared by every op with that name)."""
    cls = _node_classes.get((name, base))
    if cls is None:
        cls = type(name, (base,), {"__slots__": ()})
        _node_classes[(name, base)] = cls
    return cls


# ---- torch.autograd.graph's context managers ----------------------------------------

class saved_tensors_hooks:
    """``with saved_tensors_hooks(pack, unpack):`` every tensor an op saves for backward while the
    context is active goes through ``pack`` when saved; backward reads ``unpack(packed)``."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        push_hooks(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc):
        pop_hooks()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device for backward."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            return (t.device, t.to("cpu"))

        def unpack(packed):
            device, t = packed
            return t.to(device)
        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Inside, registering saved-tensor hooks raises ``RuntimeError(error_message)``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        disabled().append(self.error_message)

    def __exit__(self, *exc):
        disabled().pop()


# ---- gradient edges, version counters, multi-tensor grad hooks ---------------------------------

from typing import NamedTuple, Optional  # noqa: E402


class GradientEdge(NamedTuple):
    """An edge of the autograd graph: ``node``'s input ``output_nr``.  ``autograd.grad`` accepts one in
    place of the tensor whose gradient flows along it."""
    node: Node
    output_nr: int
    ownership_token: Optional[Node] = None


def get_gradient_edge(tensor):
    """The edge through which ``tensor``'s gradient flows: its ``grad_fn`` and output number, or its
    ``AccumulateGrad`` node for a leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require "
                           "gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each of an iterable of tensors), as an in-place
    write done outside autograd's sight would."""
    for t in ((tensor,) if isinstance(tensor, Tensor) else tensor):
        t._vc[0] += 1


class _MultiHandle:
    """Removes every per-tensor hook of one ``register_multi_grad_hook``."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _current_backward():
    """The running backward pass (its ``run_backward`` frame) and the ids of the graph nodes its roots
    reach; (None, None) outside one."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name == "run_backward" and "roots" in f.f_locals:
            roots = f.f_locals["roots"]
            seen = set()
            stack = [n for n, _ in roots if n is not None]
            while stack:
                n = stack.pop()
                if id(n) not in seen:
                    seen.add(id(n))
                    stack.extend(m for m, _ in n.next_functions if m is not None)
            return f, seen
        f = f.f_back
    return None, None


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """``mode="all"``: ``fn(grads)`` once per backward, after the gradients of all ``tensors`` that the
    backward reaches are computed (None for the others).  ``mode="any"``: ``fn(grad)`` once per backward,
    with the first of their gradients computed."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = {"run": None, "grads": None, "expected": 0, "got": 0}

    def start():
        """(Re)start the per-backward bookkeeping when a new backward pass reaches the first hook."""
        run, reached = _current_backward()
        if state["run"] is not run or run is None:
            state["run"] = run
            state["grads"] = [None] * len(tensors)
            state["got"] = 0
            state["expected"] = len(tensors) if reached is None else sum(
                1 for t in tensors if t.requires_grad and id(t._edge()[0]) in reached)
            state["fired"] = False

    def make_hook(i):
        def hook(grad):
            start()
            if mode == "any":
                if not state["fired"]:
                    state["fired"] = True
                    fn(grad)
                return None
            state["grads"][i] = grad
            state["got"] += 1
            if state["got"] == state["expected"]:
                grads, state["grads"] = state["grads"], [None] * len(tensors)
                state["got"] = 0
                fn(grads)
            return None
        return hook

    return _MultiHandle([t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad])


# ---- allow_mutation_on_saved_tensors --------------------------------------------------------------

class _AllowMutationOnSavedContext:
    """What ``allow_mutation_on_saved_tensors`` yields (PyTorch keeps its clones here)."""

    def clear(self):
        pass


_mutation_context = [None]


def _forget_versions(t):
    """A pack hook that lets the node being recorded skip its saved-version check: a node's saved
    arrays are immutable snapshots, so a later in-place write cannot change what backward reads, which
    is what PyTorch's clone-on-mutation gives inside this context.  The node is the recorder's local
    (``node`` in ``_saved.on_record``, ``ctx`` in ``on_record_function``), found a frame or two up; a
    custom Function's saved tensors are cloned, since its ``saved_tensors`` are the tensors themselves."""
    frame, owner, is_function = sys._getframe(1), None, False
    for _ in range(3):          # on_record's frame, or on_record_function's above its generator
        if frame is None:
            break
        owner = frame.f_locals.get("node")
        if owner is None and "ctx" in frame.f_locals:
            owner, is_function = frame.f_locals["ctx"], True
        if owner is not None:
            break
        frame = frame.f_back
    if owner is not None and getattr(owner, "_saved", None):
        owner._saved = tuple((saved, _ANY_VERSION) for saved, _ in owner._saved)
    if is_function:             # a Function's saved_tensors are the tensors themselves: keep their values
        with no_grad():
            return t.clone()
    return t


class _AnyVersion(int):
    """Compares equal to every version number."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


_ANY_VERSION = _AnyVersion(0)


def allow_mutation_on_saved_tensors():
    """Within the context, tensors saved for backward may be modified in place afterwards: backward uses
    the values they had when saved (instead of raising PyTorch's version-counter error)."""

    @contextlib.contextmanager
    def ctx():
        if _mutation_context[0] is not None:
            raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
        _mutation_context[0] = _AllowMutationOnSavedContext()
        try:
            with saved_tensors_hooks(_forget_versions, lambda t: t):
                yield _mutation_context[0]
        finally:
            _mutation_context[0] = None
    return ctx()
