"""The backward engine: run the recorded graph in reverse.

Nodes are executed in decreasing creation order (``_seq``), which is a valid
reverse topological order because a node is always created after the nodes of
its inputs.  Gradients flowing into a node are summed per output; hooks run
where PyTorch runs them (tensor hooks and prehooks before the node, node hooks
after).  With ``create_graph=True`` each node's vector-Jacobian product is
itself dispatched as a recorded op, so the gradients have a graph of their own.
"""
from __future__ import annotations

import heapq

import jax.numpy as jnp

from . import _fused, grad_mode
from .graph import AccumulateGrad, OpNode

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
          "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
          "or if you need to access saved tensors after calling backward.")


def _tensor_type(t):
    from .._registry import _type_word
    return f"torch.{_type_word(t._dtype)}Tensor"


def check_saved(node):
    for t, version in node._saved:
        if t._vc[0] != version:
            fn = t._grad_fn
            if fn is None:
                what = ""
            else:
                name = fn.name()
                what = f", which is output {t._output_nr} of {name}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{_tensor_type(t)} {list(t.shape)}]{what}, is at version {t._vc[0]}; expected version {version} "
                "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True).")


def apply_node(node, grads, create_graph):
    """Gradients for ``node``'s inputs given gradients for its outputs (None = zero)."""
    from .._tensor import Tensor
    if node._freed:
        raise RuntimeError(_FREED)
    check_saved(node)
    op = node._op
    cts = []
    for i in node._diff_outs:
        g = grads[i] if i < len(grads) else None
        shape, dtype = node._out_meta[i]
        if g is None:
            g = Tensor._wrap(jnp.zeros(shape, dtype))
        elif g._dtype.np != dtype:
            g = g._to(_dtype_of(dtype))
        cts.append(g)
    if not cts:
        return [None] * len(node.next_functions)
    if create_graph:
        from .._registry import call
        bop = _backward_op(node)
        inputs = tuple(_saved_input(a, edge) if m else a for a, m, edge in
                       zip(node._arrays, node._mask, _edges_aligned(node)))
        outs = call(bop, inputs + tuple(cts), ())
        if not isinstance(outs, tuple):
            outs = (outs,)
        res = iter(outs)
    else:
        fn = op.vjp(node._key, node._mask, node._diff_outs if len(node._out_meta) > 1 else None)
        ct_arrays = tuple(c._arr() for c in cts) if len(node._out_meta) > 1 else cts[0]._arr()
        res = iter(Tensor._wrap(a) for a in fn(node._arrays, ct_arrays))
    out = []
    for m, kind in _mask_kinds(node):
        if kind == "skip":
            continue
        out.append(next(res) if m else None)
    return out


def _dtype_of(np_dtype):
    from .. import _dtype as D
    return D._BY_NP[np_dtype]


def _mask_kinds(node):
    """(mask, 'edge'|'skip') per input: inputs without an edge are skipped in the result."""
    op = node._op
    kinds = op.edge_kinds
    out = []
    for i, m in enumerate(node._mask):
        k = 0 if kinds is None else kinds[i]
        a = node._inputs[i]
        has_edge = not (k == 2 or (k == 1 and not hasattr(a, "_arr")))
        out.append((m, "edge" if has_edge else "skip"))
    return out


def _edges_aligned(node):
    it = iter(node.next_functions)
    return [next(it) if kind == "edge" else None for _, kind in _mask_kinds(node)]


def _saved_input(array, edge):
    """The input as saved at forward time, connected to its recorded history."""
    from .._tensor import Tensor
    t = Tensor._wrap(array)
    t._requires_grad = True
    t._grad_fn, t._output_nr = edge
    return t


def _backward_op(node):
    """The vjp of ``node``'s op as an op of its own (for create_graph)."""
    from .._registry import Op, vjp_function
    op = node._op
    key = (node._key, node._mask, node._diff_outs if len(node._out_meta) > 1 else None)
    cache = op.__dict__.setdefault("_bwd_ops", {})
    bop = cache.get(key)
    if bop is None:
        n_in = len(node._mask)
        multi = len(node._out_meta) > 1
        vjp = vjp_function(op.pure(node._key), node._mask, node._diff_outs if multi else None)

        def impl(*arrays):
            primals, cts = arrays[:n_in], arrays[n_in:]
            return tuple(vjp(primals, tuple(cts) if multi else cts[0]))
        bop = Op(node.name() + "Backward", impl, node.name() + "Backward", lambda a, s=None: None, (), None, None,
                 False, True)
        bop.edge_kinds = None
        cache[key] = bop
    return bop


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True,
                 accumulate_only=None, allow_unused=True):
    """Backpropagate from ``roots`` (edges) seeded with ``root_grads`` (Tensors).

    ``capture`` maps ``(node, output_nr)`` to a slot; captured gradients are
    returned (for ``autograd.grad``) instead of accumulated.  ``accumulate_only``
    restricts accumulation to the AccumulateGrad nodes in that set.
    """
    from .._tensor import Tensor
    if not create_graph:
        nodes = _fused.collect(roots)
        if nodes is not None:
            accs, caps = _fused.run(nodes, roots, root_grads, retain_graph, capture, _FREED)
            for node, g in accs.items():
                _accumulate(node, Tensor._wrap(g), False, accumulate, accumulate_only)
            return {slot: Tensor._wrap(g) for slot, g in caps.items()} if capture is not None else None
    buffers = {}
    heap = []
    seen = set()

    def push(node):
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            heapq.heappush(heap, (-node._seq, id(node), node))

    # count dependencies so a node runs only after all its consumers
    deps = {}
    stack = [n for n, _ in roots if n is not None]
    visited = set()
    while stack:
        n = stack.pop()
        if id(n) in visited:
            continue
        visited.add(id(n))
        for nxt, _ in n.next_functions:
            if nxt is not None:
                deps[id(nxt)] = deps.get(id(nxt), 0) + 1
                stack.append(nxt)
    for (node, nr), g in zip(roots, root_grads):
        if node is None:
            continue
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
        if deps.get(id(node), 0) == 0:
            push(node)
    captured = {} if capture is not None else None
    ctx = grad_mode.enable_grad() if create_graph else grad_mode.no_grad()
    with ctx:
        while heap:
            _, _, node = heapq.heappop(heap)
            grads = buffers.pop(node, {})
            n_out = _n_outputs(node)
            glist = [grads.get(i) for i in range(n_out)]
            # tensor hooks / retain_grad on the tensors this node produced
            if node._tensor_prehooks:
                for nr, holder in node._tensor_prehooks.items():
                    if holder.hooks and glist[nr] is not None:
                        for hook in list(holder.hooks.values()):
                            r = hook(glist[nr])
                            if r is not None:
                                glist[nr] = r
            if node._retain:
                for nr, t in node._retain.items():
                    t_ = t()
                    if t_ is not None and glist[nr] is not None:
                        g = glist[nr] if create_graph else glist[nr].detach()
                        t_._grad = g if t_._grad is None else t_._grad + g
            if capture is not None:
                for nr in range(n_out):
                    slot = capture.get((id(node), nr))
                    if slot is not None and glist[nr] is not None:
                        captured[slot] = glist[nr]
            if node._prehooks:
                for hook in list(node._prehooks.values()):
                    r = hook(tuple(glist))
                    if r is not None:
                        glist = list(r)
            if isinstance(node, AccumulateGrad):
                _accumulate(node, glist[0], create_graph, accumulate, accumulate_only)
                if node._hooks:
                    for hook in list(node._hooks.values()):
                        hook((), tuple(glist))
                continue
            if all(g is None for g in glist):
                in_grads = [None] * len(node.next_functions)
            else:
                in_grads = _apply(node, glist, create_graph)
            if node._hooks:
                for hook in list(node._hooks.values()):
                    r = hook(tuple(in_grads), tuple(glist))
                    if r is not None:
                        in_grads = list(r)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None:
                    continue
                deps[id(nxt)] -= 1
                if g is not None:
                    buf = buffers.setdefault(nxt, {})
                    buf[nr] = g if nr not in buf else buf[nr] + g
                if deps[id(nxt)] == 0:
                    push(nxt)
    return captured


def _apply(node, glist, create_graph):
    if isinstance(node, OpNode):
        return apply_node(node, glist, create_graph)
    return node._backward(glist, create_graph)


def _n_outputs(node):
    meta = getattr(node, "_out_meta", None)
    return len(meta) if meta else 1


def _accumulate(node, g, create_graph, accumulate, only):
    if g is None or not accumulate or (only is not None and node not in only):
        return
    t = node.variable
    if t._leaf_hooks:
        for hook in list(t._leaf_hooks.values()):
            r = hook(g)
            if r is not None:
                g = r
    if not create_graph:
        g = g.detach()
    if t._grad is None:
        if not create_graph and g._base is not None:
            g = g.clone()
        t._grad = g
    elif create_graph:
        t._grad = t._grad + g
    else:
        t._grad = t._grad + g
