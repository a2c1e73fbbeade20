"""What a node saved for backward, as PyTorch exposes it.

* **Which tensors a node saves** comes from the op's ``saves=`` declaration:
  an explicit list (``"self"``, ``"result"``, ...) or ``"all"``, narrowed to
  what the backward actually reads for the inputs that require grad - JAX
  tells us that exactly (``engine._input_uses``: the inputs the vjp's jaxpr
  still reads after dead-code elimination).  ``a * b`` with only ``a``
  requiring grad saves ``b``; ``a + b`` saves nothing; ``a * 2`` saves no
  tensor (the scalar is not a saved tensor).
* ``saved_tensors_hooks(pack, unpack)``: ``pack`` runs on each such tensor
  when the node is recorded, ``unpack`` each time backward (or a
  ``_saved_*`` attribute) reads it.
* ``grad_fn._saved_<name>``: the saved input named as in the op's signature
  (``_saved_self``, ``_saved_other``, ``_saved_mat2``), ``_saved_result``,
  the static arguments (``_saved_dim``, ``_saved_keepdim``, ``_saved_alpha``)
  and ``_saved_<input>_sym_sizes``.
* Anomaly mode keeps the forward traceback of each node.
"""
from __future__ import annotations

import threading

from . import anomaly_mode
from .graph import PACKED_EVER, RECORD_EXTRA
from .._lazy import resolve
from .._state import local as _local

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
_input_uses = _FREED = check_saved = Tensor = tensor = None   # engine, _tensor, _creation

# the hooks are per thread, as in PyTorch: ``ThreadState.hooks`` (the stack of (pack, unpack) pairs) and
# ``ThreadState.hooks_disabled`` (the stack of disabling messages); ``RECORD_EXTRA`` is the process-wide
# hint that some thread has hooks open (or anomaly mode, process-wide as PyTorch's, is on)
_n_active = [0]     # hook contexts open in any thread
_lock = threading.Lock()


def hooks():
    return _local.state.hooks


def disabled():
    return _local.state.hooks_disabled


def push_hooks(pack, unpack):
    state = _local.state
    if state.hooks_disabled:
        raise RuntimeError(state.hooks_disabled[-1])
    state.hooks.append((pack, unpack))
    with _lock:
        _n_active[0] += 1
        refresh()


def pop_hooks():
    _local.state.hooks.pop()
    with _lock:
        _n_active[0] -= 1
        refresh()


def refresh():
    RECORD_EXTRA[0] = _n_active[0] > 0 or anomaly_mode._enabled[0]


def saved_positions(node):
    """Positions of the inputs ``node`` saves (``-1``: the result), as PyTorch would save them."""
    op = node._op
    saves = op.saves
    if not saves:
        return ()
    uses = _input_uses(node)
    n = len(node._arrays)
    pos = []
    for s in saves:
        if s == "result":
            pos.append(-1)
        elif s == "all":
            pos.extend(i for i in range(n) if uses[i])
        elif s < n and uses[s]:
            pos.append(s)
    return tuple(pos)


def on_record(node, args, outs):
    """Called by ``_registry.record`` while hooks or anomaly mode are on."""
    if anomaly_mode._enabled[0]:
        anomaly_mode.keep_trace(node)
    hooks = _local.state.hooks
    if not hooks:
        return
    pack, unpack = hooks[-1]
    packed = []
    for i in saved_positions(node):
        t = outs[0] if i < 0 else args[i]
        if isinstance(t, Tensor):
            packed.append((i, t, unpack, pack(t)))
    if packed:
        node._packed = tuple(packed)
        PACKED_EVER[0] = True


def on_record_function(ctx):
    """A custom Function's node: its ``save_for_backward`` tensors go through the hooks."""
    if anomaly_mode._enabled[0]:
        anomaly_mode.keep_trace(ctx)
    hooks = _local.state.hooks
    if hooks and ctx._saved:
        pack, unpack = hooks[-1]
        ctx._packed = tuple(None if t is None else (unpack, pack(t)) for t, _ in ctx._saved)


def unpack_arrays(node):
    """The node's input arrays with each packed input replaced by its unpacked value."""
    arrays = list(node._arrays)
    for i, original, unpack, p in node._packed:
        t = unpack(p)
        if i >= 0 and t is not original:
            if not isinstance(t, Tensor):
                raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                                f"{type(t).__name__}")
            a = t._arr()
            if a.dtype != arrays[i].dtype:
                a = a.astype(arrays[i].dtype)
            arrays[i] = a
    return tuple(arrays)


# ---- grad_fn._saved_* -----------------------------------------------------------

def saved_attribute(node, name):
    if type(node._arrays) is list:
        resolve(node._arrays)       # deferred inputs (``_lazy``) get their values
    op = node._op
    tnames = getattr(op, "tensor_names", ())
    snames = getattr(op, "static_names", ())
    sym = name.endswith("_sym_sizes")
    base = name[:-len("_sym_sizes")] if sym else name
    if base == "result" and "result" in op.saves and not sym:
        _check_alive(node)
        return _saved_result(node)
    if base in tnames and not op.varargs:
        i = tnames.index(base)
        if sym:
            return tuple(node._arrays[i].shape) if not node._freed else _freed()
        if op.saves and ("all" in op.saves or i in op.saves):
            _check_alive(node)
            return _saved_input(node, i)
    elif base in snames and not sym:
        return node._key[0][snames.index(base)]
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '_saved_{name}'")


def _freed():
    raise RuntimeError(_FREED)


def _check_alive(node):
    if node._freed or node._arrays is None:
        _freed()
    for t, version in node._saved:
        if t._vc[0] != version:
            check_saved(node)


def _saved_input(node, i):
    if i not in saved_positions(node):
        return None
    packed = getattr(node, "_packed", None)
    if packed:
        for j, _, unpack, p in packed:
            if j == i:
                return unpack(p)
    a = node._inputs[i] if node._inputs is not None else None
    if isinstance(a, Tensor):
        return a
    if a is not None and not hasattr(a, "shape"):       # a Python scalar: PyTorch's wrapped scalar tensor
        return tensor(a)
    return Tensor._wrap(node._arrays[i])


def _saved_result(node):
    packed = getattr(node, "_packed", None)
    if packed:
        for j, _, unpack, p in packed:
            if j < 0:
                return unpack(p)
    out = node._op.forward(node._key)(*node._arrays)
    if isinstance(out, (tuple, list)):
        out = out[0]
    t = Tensor._wrap(out)
    t._requires_grad = True
    t._grad_fn = node
    return t
