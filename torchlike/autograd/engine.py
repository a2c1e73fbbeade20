"""The backward engine: run the recorded graph in reverse.

``run_backward(roots, grads, ...)`` is PyTorch's engine in miniature:

1. **Plan.**  Walk the graph from the roots and count, for every node, the
   edges that reach it from nodes that will run (its dependencies).  When the
   caller names targets (``autograd.grad`` inputs, ``backward(inputs=...)``),
   only the nodes on a path to a target run, as in PyTorch.
2. **Run.**  A node becomes ready when all its dependencies have delivered
   their gradients (summed per output).  Ready nodes run in decreasing creation
   order (``_seq``), except AccumulateGrad nodes, which run as soon as they are
   ready: PyTorch's priority order, which decides the order hooks fire in.
3. **Per node**, in PyTorch's order: tensor hooks (``Tensor.register_hook``,
   then ``retain_grad``), node prehooks, the gradient computation, node hooks,
   release of the saved values (unless ``retain_graph``), routing of the
   results to the next nodes.

An op node's gradient is JAX's vjp of the op (compiled once per op, static
arguments and dtypes).  With ``create_graph=True`` that vjp is itself
dispatched as a recorded op, so gradients carry a graph of their own.  Graphs
without hooks or custom Functions go through ``_fused`` (the whole backward as
one compiled program) instead of node by node.
"""
from __future__ import annotations

import heapq
import itertools
import warnings

import jax
import jax.numpy as jnp

from . import _fused, anomaly_mode, grad_mode
from .. import _interp, _lazy
from .graph import PACKED_EVER, AccumulateGrad, OpNode
from ._saved import unpack_arrays
from .. import _dtype as D
# _registry, _tensor, _creation (they import this module): bound by torchlike/__init__ (`_hand_down`)
_type_word = vjp_function = call = Op = Tensor = empty_like = None

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
          "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
          "or if you need to access saved tensors after calling backward.")

_ACC_FIRST = -(1 << 62)     # heap key of AccumulateGrad nodes: ahead of every other ready node


# ---- saved tensors -------------------------------------------------------------

_Tensor = None      # bound by torchlike/__init__ (autograd._bind)


def _tensor_type(t):
    return f"torch.{_type_word(t._dtype)}Tensor"


def check_saved(node):
    """PyTorch's error when a tensor the node saved was modified in place after it was saved."""
    for t, version in node._saved:
        if t._vc[0] != version and _really_saved(node, t):
            inputs = getattr(node, "_inputs", None) or ()
            # a saved result names the node that saved it; a saved input its current grad_fn
            fn = t._grad_fn if any(t is a for a in inputs) else node
            what = "" if fn is None else f", which is output {t._output_nr} of {_short_name(fn)},"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{_tensor_type(t)} {list(t.shape)}]{what} is at version {t._vc[0]}; expected version {version} "
                "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _short_name(fn):
    """The node name as this message spells it: ``AddBackward0`` -> ``Add``, ``ClampBackward1`` -> ``Clamp1``."""
    name = fn.name()
    if name.endswith("Backward0"):
        return name[:-len("Backward0")]
    return name.replace("Backward", "")


_uses_cache = {}


def _really_saved(node, t):
    """Does the gradient of ``node`` read ``t``?

    An op declared with ``saves="all"`` records every tensor argument; PyTorch
    saves only what the formula for the inputs that require grad reads (``a * b``
    saves ``b`` when only ``a`` requires grad).  JAX tells us exactly that: the
    inputs its vjp still uses after dead-code elimination.  Computed on this rare
    path only (a version mismatch), and cached.
    """
    op = getattr(node, "_op", None)
    inputs = getattr(node, "_inputs", None)
    if op is None or inputs is None or "all" not in op.saves:
        return True
    positions = [i for i, a in enumerate(inputs) if a is t]
    if not positions:
        return True         # saved as the result
    used = _input_uses(node)
    return any(used[i] for i in positions)


def _input_uses(node):
    """Per input of an op node: does its vjp (for the inputs that require grad) read that input's value?"""
    multi = len(node._out_meta) > 1
    key = (node._op, node._key, node._mask, node._diff_outs if multi else None,
           tuple((getattr(a, "shape", None), getattr(a, "dtype", None)) for a in node._arrays))
    used = _uses_cache.get(key)
    if used is None:
        if len(_uses_cache) > 4096:
            _uses_cache.clear()
        used = _uses_cache[key] = _vjp_uses(node, multi)
    return used


def _vjp_uses(node, multi):
    try:
        from jax._src.interpreters.partial_eval import dce_jaxpr
    except ImportError:     # pragma: no cover - private API moved: be conservative
        return [True] * len(node._arrays)
    diff_outs = node._diff_outs if multi else None
    fn = vjp_function(node._op.pure(node._key), node._mask, diff_outs)
    cts = tuple(jnp.zeros(*node._out_meta[i]) for i in node._diff_outs)
    arrays = tuple(node._arrays)
    try:
        closed = jax.make_jaxpr(lambda arrs, c: fn(arrs, c))(arrays, cts if multi else cts[0])
        _, used = dce_jaxpr(closed.jaxpr, [True] * len(closed.jaxpr.outvars))
    except Exception:       # noqa: BLE001 - anything unexpected: treat every input as read
        return [True] * len(arrays)
    # the flat jaxpr inputs are the array arguments (leaves) followed by the cotangents
    out, k = [], 0
    for a in arrays:
        n = len(jax.tree_util.tree_leaves(a))
        out.append(any(used[k:k + n]))
        k += n
    return out


# ---- one node ------------------------------------------------------------------

def apply_node(node, grads, create_graph):
    """Gradients for ``node``'s inputs (one per edge, None where no gradient) given its output gradients."""
    if node._freed and not node._revive():
        raise RuntimeError(_FREED)
    saved = node._saved
    if saved:
        for t, version in saved:
            if t._vc[0] != version:
                check_saved(node)
                break
    out_meta = node._out_meta
    multi = len(out_meta) > 1
    cts = []
    for i in node._diff_outs:
        g = grads[i] if i < len(grads) else None
        shape, dtype = out_meta[i]
        if g is None:
            g = Tensor._wrap(jnp.zeros(shape, dtype))
        elif g._dtype.np != dtype:
            g = g._to(_dtype_of(dtype))
        cts.append(g)
    out = [None] * len(node.next_functions)
    if not cts:
        return out
    arrays = node._arrays
    if type(arrays) is list:
        _lazy.resolve(arrays)       # deferred inputs (``_lazy``) get their values
    if PACKED_EVER[0] and getattr(node, "_packed", None):
        arrays = unpack_arrays(node)
    if create_graph:
        bop = _backward_op(node)
        edges = node.next_functions
        # an input joins the gradient's graph only if the vjp reads it (sum's gradient does not depend on x)
        uses = _input_uses(node)
        inputs = tuple(_saved_input(a, edges[e]) if m and u else a
                       for a, m, e, u in zip(arrays, node._mask, node._edge_pos, uses))
        res = call(bop, inputs + tuple(cts), ())
        if not isinstance(res, tuple):
            res = (res,)
    else:
        fn = node._op.vjp(node._key, node._mask, node._diff_outs if multi else None)
        ct_arrays = tuple(c._arr() for c in cts) if multi else cts[0]._arr()
        res = [Tensor._wrap(a) for a in _interp.call(fn, (arrays, ct_arrays))]
    it = iter(res)
    for m, e in zip(node._mask, node._edge_pos):
        if m:
            out[e] = next(it)
    return out


def _dtype_of(np_dtype):
    return D._BY_NP[np_dtype]


def _saved_input(array, edge):
    """The input as saved at forward time, connected to its recorded history."""
    t = Tensor._wrap(array)
    t._requires_grad = True
    t._grad_fn, t._output_nr = edge
    return t


def _backward_op(node):
    """The vjp of ``node``'s op as an op of its own (for create_graph)."""
    op = node._op
    multi = len(node._out_meta) > 1
    key = (node._key, node._mask, node._diff_outs if multi else None)
    cache = op.__dict__.setdefault("_bwd_ops", {})
    bop = cache.get(key)
    if bop is None:
        n_in = len(node._mask)
        vjp = vjp_function(op.pure(node._key), node._mask, node._diff_outs if multi else None)

        single = sum(node._mask) == 1

        def impl(*arrays):
            primals, cts = arrays[:n_in], arrays[n_in:]
            grads = vjp(primals, tuple(cts) if multi else cts[0])
            return grads[0] if single else tuple(grads)
        # PyTorch's name for a backward op's own node: SigmoidBackward0 -> SigmoidBackwardBackward0
        name = node.name().rstrip("0123456789") + "Backward0"
        bop = Op(name, impl, name, lambda a, s=None: None, (), None, None, False, True)
        bop.edge_kinds = None
        cache[key] = bop
    return bop


# ---- the graph -----------------------------------------------------------------

def _plan(roots, execute_targets, capture_targets):
    """``(deps, visit)``: per node id the number of incoming edges from running nodes, and the ids of the
    nodes to visit (None: every reachable node runs).

    A visited node gets its tensor hooks and captures; it *runs* (prehooks,
    gradient, hooks) when it is an execute target or lies above any target.
    """
    deps = {}
    stack = [n for n, _ in roots if n is not None]
    seen = set()
    if execute_targets is None and capture_targets is None:
        get = deps.get
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            for nxt, _ in n.next_functions:
                if nxt is not None:
                    k = id(nxt)
                    deps[k] = get(k, 0) + 1
                    stack.append(nxt)
        return deps, None, None
    parents = {}
    nodes = {}
    while stack:
        n = stack.pop()
        if id(n) in nodes:
            continue
        nodes[id(n)] = n
        for nxt, _ in n.next_functions:
            if nxt is not None:
                parents.setdefault(id(nxt), []).append(n)
                stack.append(nxt)
    runs = set()
    frontier = []
    for k in (execute_targets or ()):
        if k in nodes and k not in runs:
            runs.add(k)
            frontier.append(k)
    for k in (capture_targets or ()):
        if k in nodes:
            frontier.append(k)
    while frontier:
        k = frontier.pop()
        for p in parents.get(k, ()):
            if id(p) not in runs:
                runs.add(id(p))
                frontier.append(id(p))
    visit = runs | {k for k in (capture_targets or ()) if k in nodes}
    for k in runs:
        for nxt, _ in nodes[k].next_functions:
            if nxt is not None and id(nxt) in visit:
                deps[id(nxt)] = deps.get(id(nxt), 0) + 1
    return deps, visit, runs


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True,
                 accumulate_only=None, allow_unused=True):
    """Backpropagate from ``roots`` (edges) seeded with ``root_grads`` (Tensors).

    ``capture`` maps ``(id(node), output_nr)`` to a slot: the gradient flowing
    into that edge is returned in that slot (``autograd.grad``), and only the
    nodes between the roots and the captured edges run.  ``accumulate_only``, a
    set of nodes, likewise limits the run to the nodes above them
    (``backward(inputs=...)``); those nodes run.
    """
    Tensor = _Tensor
    if not create_graph and capture is None and accumulate_only is None and not anomaly_mode._enabled[0]:
        nodes = _fused.collect(roots)
        if nodes is not None:
            accs, caps, summed = _fused.run(nodes, roots, root_grads, retain_graph, capture, _FREED, accumulate)
            if accumulate:
                olds, news = [], []
                for node, g in accs.items():        # g: a JAX array
                    t = node.variable
                    old = t._grad
                    if node in summed:              # the program added it into the old value
                        old._assign(g)
                    elif old is None:
                        t._grad = Tensor._wrap(g)
                    else:
                        if g.dtype != old._dtype.np:
                            g = g.astype(old._dtype.np)
                        olds.append(old)
                        news.append(g)
                if olds:        # into existing .grad tensors (zeroed with zero_()): one program adds them all
                    for old, s in zip(olds, _add_pairs([o._arr() for o in olds], news)):
                        old._assign(s)
            return {slot: Tensor._wrap(g) for slot, g in caps.items()} if capture is not None else None
    return _run_nodes(roots, root_grads, retain_graph, create_graph, capture, accumulate, accumulate_only,
                      allow_unused)


# the sums of ``a[i] + b[i]``: accumulating several gradients costs one compiled call, not one eager op each
_add_pairs = jax.jit(lambda a, b: [x + y for x, y in zip(a, b)])


def _run_nodes(roots, root_grads, retain_graph, create_graph, capture, accumulate, accumulate_only,
               allow_unused):
    """``run_backward`` node by node."""
    Tensor = _Tensor
    capture_at = None
    if capture is not None:
        capture_at = {}
        for (nid, nr), slot in capture.items():
            capture_at.setdefault(nid, []).append((nr, slot))
    execute_targets = None if accumulate_only is None else {id(n) for n in accumulate_only}
    deps, visit, runs = _plan(roots, execute_targets, capture_at)

    buffers = {}
    heap = []
    order = itertools.count()       # ties (AccumulateGrad nodes) run in the order they became ready
    for (node, nr), g in zip(roots, root_grads):
        if node is None or (visit is not None and id(node) not in visit):
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _n_outputs(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    for node in buffers:
        if not deps.get(id(node)):
            heapq.heappush(heap, (_priority(node), next(order), node))

    captured = {} if capture is not None else None
    with grad_mode.set_grad_enabled(create_graph):
        while heap:
            node = heapq.heappop(heap)[2]
            glist = buffers.pop(node)
            executes = runs is None or id(node) in runs
            if capture_at is not None and executes:
                _capture(node, glist, capture_at, captured)       # PyTorch captures before the tensor hooks here
            if node._tensor_prehooks or node._retain or node._runs_first:
                glist = _tensor_hooks(node, glist, create_graph)
            if capture_at is not None and not executes:
                _capture(node, glist, capture_at, captured)
            if not executes:
                continue
            if node._prehooks:
                for hook in tuple(node._prehooks.values()):
                    r = hook(tuple(glist))
                    if r is not None:
                        glist = list(r)
            if node._runs_first:
                if accumulate:
                    _accumulate(node, glist[0], create_graph, True, None)
                in_grads = ()
            elif glist[0] is not None or any(g is not None for g in glist):
                if anomaly_mode._enabled[0]:
                    in_grads = _apply_anomaly(node, glist, create_graph)
                else:
                    in_grads = _apply(node, glist, create_graph)
            else:
                in_grads = [None] * len(node.next_functions)
            if node._hooks:
                for hook in tuple(node._hooks.values()):
                    r = hook(tuple(in_grads), tuple(glist))
                    if r is not None:
                        in_grads = list(r)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None:
                    continue
                k = id(nxt)
                if visit is not None and k not in visit:
                    continue
                if g is not None:
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * _n_outputs(nxt)
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[k] - 1
                deps[k] = left
                if left == 0:
                    if nxt not in buffers:
                        buffers[nxt] = [None] * _n_outputs(nxt)
                    heapq.heappush(heap, (_ACC_FIRST if nxt._runs_first else -nxt._seq, next(order), nxt))
    return captured


def _priority(node):
    return _ACC_FIRST if node._runs_first else -node._seq


def _capture(node, glist, capture_at, captured):
    for nr, slot in capture_at.get(id(node), ()):
        g = glist[nr]
        if g is not None:
            captured[slot] = g


def _tensor_hooks(node, glist, create_graph):
    """Hooks registered on the tensors this node produced (leaf hooks for AccumulateGrad), then retain_grad."""
    if node._runs_first:
        hooks = node.variable._leaf_hooks
        if hooks and glist[0] is not None:
            g = glist[0]
            for hook in tuple(hooks.values()):
                r = hook(g)
                if r is not None:
                    g = r
            glist[0] = g
        return glist
    pre = node._tensor_prehooks
    if pre:
        for nr, holder in pre.items():
            g = glist[nr]
            if holder.hooks and g is not None:
                for hook in tuple(holder.hooks.values()):
                    r = hook(g)
                    if r is not None:
                        g = r
                glist[nr] = g
    if node._retain:
        for nr, ref in tuple(node._retain.items()):
            t = ref()
            g = glist[nr]
            if t is None or t._grad_fn is not node or t._output_nr != nr:
                continue            # gone, or modified in place since (its retain moved with it)
            if g is not None:
                if t._grad is None:
                    t._grad = g.clone() if create_graph else _fresh(g)
                else:
                    t._grad = t._grad + g
    return glist


def _fresh(g):
    """A new tensor over ``g``'s value with no history (JAX arrays are immutable: no copy needed)."""
    return _Tensor._wrap(g._arr())


def _apply_anomaly(node, glist, create_graph):
    """``_apply`` under anomaly mode: a failing node (or, with check_nan, one returning NaN) warns with the
    traceback of the forward call that created it."""
    try:
        in_grads = _apply(node, glist, create_graph)
        if anomaly_mode._check_nan[0]:
            anomaly_mode.check_nan(node, in_grads)
    except Exception:
        anomaly_mode.forward_trace_warning(node)
        raise
    return in_grads


def _apply(node, glist, create_graph):
    if isinstance(node, OpNode):
        return apply_node(node, glist, create_graph)
    return node._backward(glist, create_graph)


def _n_outputs(node):
    meta = getattr(node, "_out_meta", None)
    return len(meta) if meta else 1


def _accumulate(node, g, create_graph, accumulate, only):
    """AccumulateGrad: ``variable.grad = g`` the first time, then ``+= g`` (in place, as PyTorch)."""
    if g is None or not accumulate or (only is not None and node not in only):
        return
    t = node.variable
    old = t._grad
    if create_graph:
        if old is None:
            t._grad = empty_like(g, requires_grad=False).copy_(g) if g._requires_grad else _fresh(g)
        else:
            t._grad = old + g
        return
    if old is None:
        t._grad = _fresh(g)
    else:
        a = g._arr()
        if a.dtype != old._dtype.np:
            a = a.astype(old._dtype.np)
        old._assign(old._arr() + a)


def warn_create_graph():
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
        "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
        "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
        "to None after use to break the cycle and avoid the leak.", UserWarning, stacklevel=4)
