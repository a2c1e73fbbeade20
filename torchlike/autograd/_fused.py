"""Backward of a whole graph as one compiled XLA program.

A training loop records the same graph every step, so the engine can trace
the complete backward pass once - every node's vjp, the summing of
cotangents, the routing to leaves - compile it with ``jax.jit``, and reuse it
while the graph's *structure* (ops, static arguments, dtypes, shapes, wiring)
stays the same.  One compiled call then replaces one call per node.

Graphs with anything the compiled program cannot do (hooks, retained grads,
custom Functions, create_graph) run on the node-by-node engine instead.  Graphs
whose program would cost more to compile than it has saved so far (``PROGRAMS``,
a ``_lazy.Rent``) run node by node here (``_run_pieces``, ``_runs``: their
repeated stretches as compiled loops): a deep graph that is not repeated never
becomes one unbounded program.
"""
from __future__ import annotations

import operator

import jax

from .. import _pace
from .. import _lazy
from . import _runs
from .graph import PACKED_EVER, AccumulateGrad, OpNode
from .._state import local as _local
check_saved = vjp_function = None   # engine, _registry: bound by torchlike/__init__ (`_hand_down`)

_programs = {}
_pace.register_cache(_programs.clear)      # made again, paced, if pacing turns on (FSDP over CPU devices)
MAX_PROGRAMS = 512
# when a backward program is compiled (units: graph nodes, ~2.5 ms each: the 40-sin chain's forward and
# backward compile in ~0.1 s; see ``_lazy.Rent``): a graph up to ~200 nodes at once, a larger one once
# running it node by node has cost as much as compiling it would, one over 1,024 nodes never
PROGRAMS = _lazy.Rent(0.0025, 0, 1024)


# a graph over PROGRAMS.max_units nodes runs in pieces of PIECE nodes; a piece is compiled only once running
# pieces of its structure node by node has cost as much as compiling it would (nothing is free).  A piece's
# program takes every node's saved arrays as parameters, and XLA's CPU compile time grows with them: 128
# nodes of ``x * w`` (256 parameters) compiled in 1.8-7.8 s on a loaded 2-core machine, so the estimate is
# 10 ms per node, raised to the average measured once pieces have compiled (``_COMPILED``)
PIECE = 128
PIECES = _lazy.Rent(0.01, 0, PIECE)
PIECES.FREE = 0.0


def collect(roots):
    """Reachable nodes in execution order, or None if the graph can't be fused."""
    ops = []
    leaves = []
    seen = set()
    stack = [n for n, _ in roots if n is not None]
    while stack:
        n = stack.pop()
        i = id(n)
        if i in seen:
            continue
        seen.add(i)
        if n._hooks or n._prehooks or n._tensor_prehooks or n._retain:
            return None
        if PACKED_EVER[0] and getattr(n, "_packed", None):
            return None         # saved-tensor hooks: unpack runs node by node
        if isinstance(n, OpNode):
            ops.append(n)
            for nxt, _ in n.next_functions:
                if nxt is not None:
                    stack.append(nxt)
        elif isinstance(n, AccumulateGrad):
            if n.variable._leaf_hooks:
                return None
            leaves.append(n)
        else:
            return None
    # Op nodes run newest first (``_seq`` order is topological); leaves (AccumulateGrad: no outgoing
    # edges) go last.  Their _seq dates from the step that first used the parameter, so sorting them
    # among the fresh OpNodes would give step 1 and step 2 of a training loop different plans (two
    # compiles); after all OpNodes the plan is the same every step.
    ops.sort(key=_SEQ, reverse=True)
    if leaves:
        leaves.sort(key=_SEQ, reverse=True)
        ops += leaves
    return ops


_SEQ = operator.attrgetter("_seq")


def run(nodes, roots, root_grads, retain_graph, capture, freed_error, accumulate=False):
    """Execute the fused backward.  Returns ({AccumulateGrad: grad array}, {slot: array}, summed).  A
    graph whose program does not pay yet runs node by node (``_run_pieces``: its repeats as loops).  With ``accumulate``, the program adds
    the gradients into the leaves' existing ``.grad`` values where it can (``_olds``): the leaves in
    ``summed`` got the sums, to be assigned to their ``.grad`` tensors."""
    if len(nodes) > PROGRAMS.max_units:
        return _run_pieces(nodes, roots, root_grads, retain_graph, freed_error)
    index = {id(n): i for i, n in enumerate(nodes)}
    cts = tuple([g._arr() for (n, _), g in zip(roots, root_grads) if n is not None])
    seg = _lazy.current() if _lazy._pending else None
    plan = []
    arrays = []
    lazy_pos = []       # per op node: ((input position, segment output), ...) that the program computes
    olds = []           # leaves whose existing .grad the program adds into
    for n in nodes:
        if type(n) is AccumulateGrad or isinstance(n, AccumulateGrad):
            plan.append(None)
            if accumulate:
                old = n.variable._grad
                if old is not None and old._view is None and type(old._storage._a) in _FOLDABLE:
                    olds.append((len(plan) - 1, old))
            continue
        _check(n, freed_error)
        nf = n.next_functions
        if len(nf) == 1:
            nxt, nr = nf[0]
            edges = (None,) if nxt is None else ((index[id(nxt)], nr),)
        else:
            edges = tuple([None if nxt is None else (index[id(nxt)], nr) for nxt, nr in nf])
        plan.append((n._op, n._key, n._mask, n._diff_outs, n._out_meta, edges, n._edge_pos))
        arrs = n._arrays
        pos = ()
        if type(arrs) is list:
            # the open segment's outputs among the inputs (recorded at ``_lazy._attach``, else found):
            # the program computes them
            lz = n._lazy
            pos = lz[1] if lz is not None and lz[0] is seg else _lazy.pending_in(arrs, seg)
            if pos:
                arrs = list(arrs)
                for j, _ in pos:
                    arrs[j] = None
        lazy_pos.append(pos)
        arrays.append(arrs)
    root_sig = tuple([(index[id(n)], nr) for n, nr in roots if n is not None])
    cap_sig = () if not capture else tuple(sorted((index[i], nr, slot) for (i, nr), slot in capture.items()
                                                  if i in index))
    joint = seg is not None and any(lazy_pos)
    if joint:
        # the open segment's forward runs inside the backward program, and the values of the roots and
        # of the live tensors that ops recording nothing made come out (an optimizer's update of the
        # step before: they are read next, and computing them later would run the segment again); the
        # graph's own values stay recipes (nodes hold them; computed if read).  A ``.grad`` zeroed in the
        # segment that the program adds into (``_olds``) is not among them: the sum replaces it.  (Were
        # one left unreplaced, its recipe would compute it when read.)
        seg.close()
        old_sig, old_arrays = _olds(olds, seg)
        need = seg.held(set(), seg.plain)
        need.difference_update([k for _, k in old_sig if k is not None])
        unread = _local.state.unread
        for n, nr in roots:
            base = seg.node_out.get(id(n))
            if base is not None:
                if unread is not None and unread.seg is seg and unread.idx == base + nr:
                    need.discard(base + nr)     # a root nobody can read: its recipe stays, uncomputed
                    continue
                need.add(base + nr)
        need = tuple(sorted(need))
        entries = tuple(seg.entries)
        lazy_pos = tuple(lazy_pos)
        sig = (tuple(plan), root_sig, cap_sig, entries, lazy_pos, need, old_sig)
        fn = _programs.get(sig)
        units = len(plan) + _lazy.segment_units(entries, need)
        if fn is None and not PROGRAMS.due(key := _lazy.rent_key(sig, seg.ext), units, _lazy.COMPILE_AFTER):
            # not a loop yet: the segment runs on its own and the backward program is the plain one,
            # which a graph of this structure may already have
            joint = False
            t0 = _lazy._clock()
            seg.compute()
            PROGRAMS.paid(key, _lazy._clock() - t0)
            k = 0
            for n, p in zip(nodes, plan):
                if p is not None:
                    if lazy_pos[k]:
                        arrays[k] = _lazy.resolve(n._arrays)
                    k += 1
    if joint:
        if fn is None:
            if len(_programs) > MAX_PROGRAMS:
                _programs.clear()
            fn = _programs[sig] = _pace.jit(_build(plan, root_sig, cap_sig, (entries, lazy_pos, need), old_sig))
        acc_grads, captured, values = fn(tuple(arrays), cts, old_arrays, tuple(seg.ext))
        if not retain_graph:
            _release(nodes, plan)       # (first: publishing skips the inputs of released nodes)
        seg.publish(need, values)
    else:
        old_sig, old_arrays = _olds(olds, None)
        sig = (tuple(plan), root_sig, cap_sig, old_sig)
        fn = _programs.get(sig)
        if fn is None:
            if not PROGRAMS.due(sig, len(plan)):
                # not worth compiling yet: node by node (its repeats as loops), the time counted towards it
                t0 = _lazy._clock()
                res = _run_pieces(nodes, roots, root_grads, retain_graph, freed_error)
                PROGRAMS.paid(sig, _lazy._clock() - t0)
                return res
            if len(_programs) > MAX_PROGRAMS:
                _programs.clear()
            fn = _programs[sig] = _pace.jit(_build(plan, root_sig, cap_sig, None, old_sig))
        acc_grads, captured = fn(tuple(arrays), cts, old_arrays)
        if not retain_graph:
            _release(nodes, plan)
    accs = {}
    it = iter(acc_grads)
    for n, p in zip(nodes, plan):
        if p is None:
            g = next(it)
            if g is not None:
                accs[n] = g
    caps = {slot: g for (_, _, slot), g in zip(cap_sig, captured) if g is not None}
    return accs, caps, {nodes[i] for i, _ in old_sig}


def _release(nodes, plan):
    """Free the saved inputs of the op nodes (``plan`` entries not None) after their backward."""
    for n, p in zip(nodes, plan):
        if p is not None:
            n._release()


# a ``.grad`` the program can add into: an array, or a value pending (a ``zero_()`` deferred)
_FOLDABLE = (_lazy._ARRAY, _lazy.LazyRef)


def _olds(olds, seg):
    """For the leaves ``olds`` ((plan index, .grad tensor), ...): the program's signature of the
    values it adds into, ((plan index, output of ``seg`` or None), ...), and the arrays of those that
    are not outputs of ``seg`` (computed now if pending elsewhere)."""
    sig, arrays = [], []
    for i, old in olds:
        a = old._storage._a
        if type(a) is _lazy.LazyRef and a.seg is seg:
            sig.append((i, a.idx))
        else:
            sig.append((i, None))
            arrays.append(old._arr())
    return tuple(sig), tuple(arrays)


def _check(n, freed_error):
    """PyTorch's errors for a node whose saved inputs were freed or modified in place."""
    if n._freed and not n._revive():
        raise RuntimeError(freed_error)
    for t, version in n._saved:
        if t._vc[0] != version:
            check_saved(n)


def _checked(n, freed_error):
    """``n``'s saved inputs, as the backward reads them (``_check``)."""
    _check(n, freed_error)
    arrs = n._arrays
    return _lazy.resolve(arrs) if type(arrs) is list else arrs


def _run_pieces(nodes, roots, root_grads, retain_graph, freed_error):
    """The backward of a graph too large for one program, in pieces of ``PIECE`` consecutive nodes
    (execution order, so cotangents only flow from a piece to later ones).  A piece's program takes
    the cotangents flowing into it and returns those flowing out, summed per target; pieces of the
    same structure (a chain, a loop unrolled) share one program.  A piece is compiled only when that
    pays (``PIECES``, with nothing free: a graph that is not repeated never compiles piece after
    piece); until then its nodes run one by one with each op's own compiled vjp, on arrays, their
    cotangents summed by one compiled add per pair, and the stretches that repeat as compiled loops
    (``_runs``: a run may go on past the piece's end, and the next piece starts after it).  Every
    node's saved inputs are checked before any runs, so a backward that fails changes nothing."""
    index = {id(n): i for i, n in enumerate(nodes)}
    pending = {}        # node index -> {output nr: cotangent}
    for (n, nr), g in zip(roots, root_grads):
        if n is not None:
            b = pending.setdefault(index[id(n)], {})
            b[nr] = g._arr() if nr not in b else _runs.add(b[nr], g._arr())
    # ``collect`` puts every AccumulateGrad after the op nodes: the op nodes are a prefix of ``nodes``
    n_ops = len(nodes)
    while n_ops and isinstance(nodes[n_ops - 1], AccumulateGrad):
        n_ops -= 1
    ops = nodes[:n_ops]
    arrays = [_checked(n, freed_error) for n in ops]
    targets = []        # per node: per edge, (node index, nr) or None
    incoming = {}       # node index -> edges into it
    for n in ops:
        tg = []
        for nxt, nr in n.next_functions:
            if nxt is None:
                tg.append(None)
                continue
            t = index[id(nxt)]
            tg.append((t, nr))
            incoming[t] = incoming.get(t, 0) + 1
        targets.append(tg)
    graph = _runs.Graph(ops, arrays, targets, incoming)
    start = 0
    while start < n_ops:
        stop = min(start + PIECE, n_ops)
        outs = {}       # (node index, nr) outside the piece -> its slot (a pseudo-leaf after the piece's nodes)
        plan = []
        for i in range(start, stop):
            n = ops[i]
            edges = []
            for target in targets[i]:
                if target is None:
                    edges.append(None)
                elif start <= target[0] < stop:
                    edges.append((target[0] - start, target[1]))
                else:
                    j = outs.get(target)
                    if j is None:
                        j = outs[target] = stop - start + len(outs)
                    edges.append((j, 0))
            plan.append((n._op, n._key, n._mask, n._diff_outs, n._out_meta, tuple(edges), n._edge_pos))
        plan += [None] * len(outs)
        ins = tuple([(i - start, nr) for i in range(start, stop) for nr in sorted(pending.get(i, ()))])
        sig = (tuple(plan), ins)
        fn = _programs.get(sig)
        end = stop
        if fn is None and PIECES.due(sig, stop - start):
            if len(_programs) > MAX_PROGRAMS:
                _programs.clear()
            fn = _programs[sig] = _pace.jit(_build(plan, ins, ()))
            c0 = _lazy._compiling[0]
            got = _piece_call(fn, arrays[start:stop], ins, start, pending)
            PIECES.learn(_lazy._compiling[0] - c0, stop - start)
        elif fn is not None:
            got = _piece_call(fn, arrays[start:stop], ins, start, pending)
        else:
            t0 = _lazy._clock()
            end = _runs.run_at(graph, start, stop, pending)
            PIECES.paid(sig, _lazy._clock() - t0)
            got = None
        if got is not None:
            for (t, nr), g in zip(outs, got):
                if g is not None:
                    b = pending.get(t)
                    if b is None:
                        pending[t] = {nr: g}
                    else:
                        b[nr] = g if nr not in b else _runs.add(b[nr], g)
        if not retain_graph:
            for n in ops[start:end]:
                n._release()
        start = end
    accs = {}
    for i in range(n_ops, len(nodes)):
        g = pending.get(i, {}).get(0)
        if g is not None:
            accs[nodes[i]] = g
    return accs, {}, ()


def _piece_call(fn, arrays, ins, start, pending):
    """Run a piece's program on the cotangents ``ins`` names (taken out of ``pending``)."""
    cts = tuple([pending[i + start][nr] for i, nr in ins])
    for i, _ in ins:
        pending.pop(i + start, None)
    return fn(tuple(arrays), cts)[0]


def _build(plan, root_sig, cap_sig, forward=None, old_sig=(), vjps=None):
    """The backward program ``(node input arrays, root cotangents, old grads) -> (leaf grads, captured
    grads)``.  ``old_sig`` (``_olds``) names the leaves whose gradient is added to an existing value
    (cast to its dtype, as ``.grad`` keeps its dtype): that sum is their result.
    With ``forward = (segment entries, lazy positions, needed outputs)`` it also takes the segment's
    outside inputs, computes the segment first, fills the node inputs (and old grads) it provides, and
    returns the needed outputs as a third result.  ``vjps`` (each op's own compiled vjp) make it a program to run
    as it is, node by node, instead of one to trace."""
    if vjps is None:
        vjps = [None if p is None else vjp_function(p[0].pure(p[1]), p[2], p[3] if len(p[4]) > 1 else None)
                for p in plan]
    caps_at = {}
    for idx, nr, slot in cap_sig:
        caps_at.setdefault(idx, []).append((nr, slot))
    def program(all_arrays, root_cts, old_arrays=()):
        bufs = [dict() for _ in plan]
        olds = {i: a for (i, _), a in zip(old_sig, old_arrays)}
        for (idx, nr), ct in zip(root_sig, root_cts):
            b = bufs[idx]
            b[nr] = ct if nr not in b else b[nr] + ct
        acc_out = []
        captured = {}
        it = iter(all_arrays)
        for i, p in enumerate(plan):
            b = bufs[i]
            for nr, slot in caps_at.get(i, ()):
                captured[slot] = b.get(nr)
            if p is None:
                g = b.get(0)
                old = olds.get(i)
                if old is not None and g is not None:
                    g = old + g.astype(old.dtype)
                acc_out.append(g)
                continue
            arrays = next(it)
            if not b:
                continue
            op, key, mask, diff_outs, out_meta, edges, edge_pos = p
            cts = _runs.cotangents(b, diff_outs, out_meta)
            grads = vjps[i](arrays, tuple(cts) if len(out_meta) > 1 else cts[0])
            git = iter(grads)
            for m, e in zip(mask, edge_pos):
                if not m:
                    continue
                g = next(git)
                target = edges[e]
                if target is None:
                    continue
                tb = bufs[target[0]]
                nr = target[1]
                tb[nr] = g if nr not in tb else tb[nr] + g
        return tuple(acc_out), tuple(captured.get(slot) for _, _, slot in cap_sig)

    if forward is not None:
        entries, lazy_pos, need = forward
        run_forward = _lazy.forward_program(entries)

        def joint(all_arrays, root_cts, old_arrays, ext):
            vals = run_forward(ext)
            filled = []
            for arrs, pos in zip(all_arrays, lazy_pos):
                if pos:
                    arrs = list(arrs)
                    for j, i in pos:
                        arrs[j] = vals[i]
                filled.append(arrs)
            it = iter(old_arrays)
            olds = [vals[k] if k is not None else next(it) for _, k in old_sig]
            return program(filled, root_cts, olds) + (tuple(vals[i] for i in need),)
        return joint
    return program

