"""Node by node backward of a large graph, with its repeated stretches as compiled loops.

A graph over ``_fused.PROGRAMS.max_units`` nodes is not one program (``_fused._run_pieces``): its nodes
run one by one, each op's own compiled vjp on arrays (``node_step``), the cotangents summed into
``pending`` (node index -> {output nr: array}) in execution order, as PyTorch's engine sums them.

A *run* is a stretch of that order which repeats with a period of ``p`` nodes (``find``): 5,000
``x = x * w`` (p = 1: each node sends its gradient to the next), or a loop unrolled (``total = total +
loss`` over 4,000 steps, a recurrent cell applied along a sequence: p = the ops of one step).  Node
``a`` of every period has the same op, statics and wiring: its gradients go to a node of its own
period (``"i"``), to one of the next period (``"n"``: the loop's carry), or to a target shared by the
whole run (``"s"``: a parameter's leaf), and nothing outside that pattern reaches the run's nodes.
Such a run is one compiled loop over its periods (``_program``), its nodes' saved inputs stacked:
one small program whatever the run's length (~10 ms to compile per node of a period), where running
node by node costs ~20 us per node (``NODE_COST``).  The gradients bound for shared targets are kept
and added in a second loop, in node order, so that XLA cannot fuse a vjp's product into that sum
(one rounding where node by node rounds twice); with one node per period and one carry edge, the
loop gives the node-by-node bits (mul, div, sin, tanh chains; an op whose own vjp multiplies then
adds, atan2, may round once, as every compiled backward does: docs/differences.md).  Sums along a
longer period (a node receiving two gradients in one step) round as XLA fuses them.
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp
import numpy as np

from .. import _interp, _lazy, _pace

vjp_function = None     # _registry's, bound by torchlike/__init__ (`_hand_down`)

MIN_NODES = 16          # a run shorter than this compiles no loop of its own (it uses one already made)
MAX_PERIOD = 32
NODE_COST = 20e-6       # seconds a node costs run on its own (its vjp call and a compiled add; this CPU)
ROWS = 128              # periods per loop call at most: a longer run is cut into calls
# what one call may stack (the nodes' varying inputs, and the gradients kept for shared targets): a run of
# large tensors is cut into calls of fewer periods, and one whose 8 periods exceed this runs node by node
# (its kernels outweigh the dispatches a loop saves)
STACK_BYTES = 32 << 20
RENT = _lazy.Rent(0.01, 0, 1 << 30)     # units: 2 + the period (~10 ms each to compile)
RENT.FREE = 0.0
MAX_PROGRAMS = 256

_ARRAY = _lazy._ARRAY
_FLOATS = frozenset(jnp.dtype(d) for d in ("float16", "bfloat16", "float32", "float64"))
_NUMBERS = (int, float, bool)
_programs = {}
_pace.register_cache(_programs.clear)      # made again, paced, if pacing turns on (FSDP over CPU devices)

# ``a + b`` of two arrays as one compiled call (an eager ``+`` on JAX arrays goes through the same
# promotion and compiles the same program per shape, with several times the dispatch cost)
add = jax.jit(operator.add)


def cotangents(b, diff_outs, out_meta):
    """A node's cotangents for its differentiable outputs: those gathered in ``b`` (output nr ->
    array), cast to the output's dtype, and zeros for outputs nothing flowed into."""
    cts = []
    for j in diff_outs:
        shape, dtype = out_meta[j]
        g = b.get(j)
        if g is None:
            g = jnp.zeros(shape, dtype)
        elif g.dtype != dtype:
            g = g.astype(dtype)
        cts.append(g)
    return cts


def node_step(n, arrays, tg, b, pending):
    """Node ``n``'s vjp on its cotangents ``b`` (output nr -> array), with its own compiled vjp; its
    gradients added into ``pending`` at its targets ``tg`` (per edge: (node index, nr) or None)."""
    out_meta, diff_outs = n._out_meta, n._diff_outs
    multi = len(out_meta) > 1
    cts = cotangents(b, diff_outs, out_meta)
    grads = _interp.call(n._op.vjp(n._key, n._mask, diff_outs if multi else None),
                         (arrays, tuple(cts) if multi else cts[0]))
    git = iter(grads)
    for m, e in zip(n._mask, n._edge_pos):
        if not m:
            continue
        g = next(git)
        target = tg[e]
        if target is None:
            continue
        t, nr = target
        tb = pending.get(t)
        if tb is None:
            pending[t] = {nr: g}
        else:
            tb[nr] = g if nr not in tb else add(tb[nr], g)


class Graph:
    """The op nodes of one backward in execution order, with what finding runs needs: each node's
    input arrays and targets, how many edges reach it, and the next node of the same signature."""
    __slots__ = ("ops", "arrays", "targets", "incoming", "ids", "same", "pays")

    def __init__(self, ops, arrays, targets, incoming):
        self.ops, self.arrays, self.targets, self.incoming = ops, arrays, targets, incoming
        same = [-1] * len(ops)
        ids = [0] * len(ops)
        last = {}
        names = {}
        repeats = 0
        for k in range(len(ops) - 1, -1, -1):
            n = ops[k]
            i = ids[k] = names.setdefault((n._op, n._key, n._mask, n._out_meta, n._edge_pos), len(names))
            j = last.get(i, -1)
            same[k] = j
            last[i] = k
            if 0 < j - k <= MAX_PERIOD:
                repeats += 1
        self.ids, self.same = ids, same
        # what runs could save in this backward (seconds, at most): a loop compiles at once when that covers its cost
        self.pays = repeats * NODE_COST


def run_at(gr, k, stop, pending):
    """Run the nodes from ``k`` node by node up to ``stop``, a run found on the way as one loop (which
    may go past ``stop``).  Returns the index after the last node run."""
    ops, arrays, targets = gr.ops, gr.arrays, gr.targets
    while k < stop:
        j = _try_run(gr, k, pending)
        if j:
            k = j
            continue
        b = pending.pop(k, None)
        if b:
            node_step(ops[k], arrays[k], targets[k], b, pending)
        k += 1
    return k


class _Run:
    """A run found at node ``k``: ``periods`` periods of ``p`` nodes."""
    __slots__ = ("k", "p", "periods", "kinds", "fixed", "shared", "cpos", "outs", "sig")


def find(gr, k, pending):
    """The run starting at node ``k``, or None: its period is the distance to a later node of the same
    signature (the next few such nodes are tried: a period may hold one op twice)."""
    ids, same = gr.ids, gr.same
    n = len(ids)
    j = same[k]
    for _ in range(4):
        p = j - k
        if p <= 0 or p > MAX_PERIOD or k + 2 * p > n:
            return None
        if all(ids[k + a] == ids[k + p + a] for a in range(1, p)):
            r = _find(gr, k, p, pending)
            if r is not None:
                return r
        j = same[j]
    return None


def _find(gr, k, p, pending):
    """The run of period ``p`` starting at node ``k`` (whose first two periods have the same node
    signatures), or None."""
    ops, arrays, targets, ids = gr.ops, gr.arrays, gr.targets, gr.ids
    n = len(ops)
    kinds, fixed, shared = [], [], []
    inc = [0] * p               # gradients reaching position a from the run: from its own period or the last
    internal = [0] * p
    for a in range(p):
        g = k + a
        nd = ops[g]
        out_meta = nd._out_meta
        ins, ins1 = arrays[g], arrays[g + p]
        if (len(out_meta) != 1 or out_meta[0][1] not in _FLOATS or type(ins) is not list
                or type(ins1) is not list or len(ins) != len(ins1) or len(ins) != len(nd._mask)):
            return None
        tg = targets[g]
        ks, fx = [], []
        for q, (m, e) in enumerate(zip(nd._mask, nd._edge_pos)):
            x, x1 = ins[q], ins1[q]
            if x is x1 or (type(x) in _NUMBERS and type(x1) is type(x) and x == x1):
                fx.append(True)
            elif type(x) is _ARRAY and type(x1) is _ARRAY and x.shape == x1.shape and x.dtype == x1.dtype:
                fx.append(False)
            else:
                return None
            if not m or tg[e] is None:
                ks.append(None)
                continue
            t, nr = tg[e]
            if g < t < k + p:
                kind, d = "i", t - k
                internal[d] += 1
            elif k + p <= t < k + 2 * p:
                kind, d = "n", t - k - p
            else:
                if tg[e] not in shared:
                    shared.append(tg[e])
                ks.append(("s", shared.index(tg[e])))
                if type(x) is not _ARRAY or x.dtype not in _FLOATS:
                    return None
                continue
            # a gradient into a node of the run has that node's output shape and dtype (no cast, no broadcast)
            if nr != 0 or type(x) is not _ARRAY or (x.shape, x.dtype) != ops[k + d]._out_meta[0]:
                return None
            inc[d] += 1
            ks.append((kind, d))
        kinds.append(tuple(ks))
        fixed.append(tuple(fx))
    if 0 in inc:
        return None             # a node the run sends nothing to: its gradients come from outside
    cpos = tuple(a for a in range(p) if inc[a] > internal[a])
    # the first period: the carry positions' gradients so far are in ``pending``, nothing else is
    for a in range(p):
        b = pending.get(k + a)
        if a in cpos:
            if b is None and not internal[a]:
                return None     # (run node by node, it would have no gradient and be skipped)
            if b is not None and (list(b) != [0] or internal[a] and b[0].dtype != ops[k + a]._out_meta[0][1]):
                return None
        elif b is not None:
            return None
    incoming = gr.incoming
    periods = 1
    outs = None                 # the last period's carry targets, when not the next nodes
    while k + (periods + 1) * p <= n:
        base = k + periods * p
        last = False
        ok = True
        for a in range(p):
            g = base + a
            if ids[g - p] != ids[g] or g in pending or incoming.get(g, 0) != inc[a] \
                    or not _same_inputs(arrays[g], arrays[k + a], fixed[a]):
                ok = False
                break
            tg, nd = targets[g], ops[g]
            for q, kind in enumerate(kinds[a]):
                e = nd._edge_pos[q]
                if kind is None:
                    if nd._mask[q] and tg[e] is not None:
                        ok = False
                        break
                elif kind[0] == "i":
                    ok = tg[e] == (base + kind[1], 0)
                elif kind[0] == "s":
                    ok = tg[e] == shared[kind[1]]
                elif tg[e] != (base + p + kind[1], 0):
                    last = True
                if not ok:
                    break
            if not ok:
                break
        if not ok:
            break
        if last:
            outs = _last_outs(gr, base, p, kinds)
            if outs is not None:
                periods += 1
            break
        periods += 1
    if outs is None:
        outs = {d: (k + periods * p + d, 0) for d in cpos}
    if any(t in shared for t in outs.values()):
        periods -= 1            # (the order of the sums into that target): the last period runs on its own
        outs = {d: (k + periods * p + d, 0) for d in cpos}
    if periods < 2:
        return None
    r = _Run()
    r.k, r.p, r.periods, r.kinds, r.fixed, r.shared, r.cpos, r.outs = k, p, periods, kinds, fixed, shared, cpos, outs
    r.sig = (tuple((ops[k + a]._op, ops[k + a]._key, ops[k + a]._mask, ops[k + a]._out_meta) for a in range(p)),
             tuple(kinds), tuple(fixed), cpos)
    return r


def _last_outs(gr, base, p, kinds):
    """The carry targets of the period at ``base`` when its carry edges go elsewhere than to the next
    nodes (the chain's end: a leaf): {position: (node, nr)}, or None unless each position goes to one
    target of its own."""
    outs = {}
    for a in range(p):
        nd, tg = gr.ops[base + a], gr.targets[base + a]
        for q, kind in enumerate(kinds[a]):
            if kind is not None and kind[0] == "n":
                t = tg[nd._edge_pos[q]]
                if t is None or outs.setdefault(kind[1], t) != t:
                    return None
    if len(set(outs.values())) != len(outs):
        return None
    return outs


def _same_inputs(ins, ins0, fixed):
    """Are ``ins`` (a node's inputs) those of the run's first node ``ins0`` at the fixed positions, and
    arrays of the same shape and dtype at the others?"""
    if type(ins) is not list or len(ins) != len(ins0):
        return False
    for x, x0, f in zip(ins, ins0, fixed):
        if f:
            if x is not x0 and not (type(x) is type(x0) and type(x) in _NUMBERS and x == x0):
                return False
        elif type(x) is not _ARRAY or x.shape != x0.shape or x.dtype != x0.dtype:
            return False
    return True


def _try_run(gr, k, pending):
    """Run the run at node ``k`` as loops when there is one and its loop pays; the index after it, or 0."""
    same = gr.same[k]
    if same < 0 or same - k > MAX_PERIOD:
        return 0
    r = find(gr, k, pending)
    if r is None:
        return 0
    fn = _programs.get(r.sig)
    nodes = r.periods * r.p
    ops, arrays = gr.ops, gr.arrays
    k, p = r.k, r.p
    if fn is None and nodes < MIN_NODES:
        run_nodes(gr, k, k + nodes, pending)    # (too short to compile a loop for: not looked at again)
        return k + nodes
    # the sums so far of the shared targets (-0.0 where none: adding to it changes no bits, +0.0 would turn
    # a -0.0 gradient into +0.0), each of the one shape and dtype its gradients have
    sums = []
    specs = {}
    row_bytes = 0
    for a in range(p):
        for q, kind in enumerate(r.kinds[a]):
            if kind is not None and kind[0] == "s":
                x = arrays[k + a][q]
                row_bytes += x.nbytes
                if specs.setdefault(kind[1], (x.shape, x.dtype)) != (x.shape, x.dtype):
                    fn = False      # (gradients of several shapes summed into one target: broadcast)
            elif not r.fixed[a][q]:
                row_bytes += arrays[k + a][q].nbytes
    # periods per call: a power of two (few programs), enough for the run, within STACK_BYTES
    rows = 8
    while rows < ROWS and rows < r.periods:
        rows *= 2
    while rows > 8 and rows * row_bytes > STACK_BYTES:
        rows //= 2
    if rows * row_bytes > STACK_BYTES or all(all(fx) for fx in r.fixed):
        fn = False          # (too large to stack, or nothing to stack: no loop)
    for s, (t, nr) in enumerate(r.shared):
        old = pending.get(t, {}).get(nr)
        if fn is False:
            break
        if old is None:
            old = np.full(specs[s][0], -0.0, specs[s][1])
        elif type(old) is not _ARRAY or (old.shape, old.dtype) != specs[s]:
            fn = False          # (a sum of another type: the loop's carry would change type)
        sums.append(old)
    if fn is None:
        units = 2 + p
        if gr.pays < RENT.rate * units and not RENT.due(r.sig, units):
            fn = False
    if fn is False:
        t0 = _lazy._clock()
        run_nodes(gr, k, k + nodes, pending)
        RENT.paid(r.sig, _lazy._clock() - t0)
        return k + nodes
    if fn is None:
        if len(_programs) > MAX_PROGRAMS:
            _programs.clear()
        fn = _programs[r.sig] = _pace.jit(_program(r, [ops[k + a] for a in range(p)]))
        learn = _lazy._compiling[0]
    else:
        learn = None
    carry = []
    for a in r.cpos:
        b = pending.pop(k + a, None)
        nd = ops[k + a]
        if b is None:
            shape, dtype = nd._out_meta[0]
            carry.append(np.full(shape, -0.0, dtype))
        else:
            carry.append(cotangents(b, nd._diff_outs, nd._out_meta)[0])
    carry = tuple(carry)
    fixed = tuple(tuple(x for x, f in zip(arrays[k + a], r.fixed[a]) if f) for a in range(p))
    sums = tuple(sums)
    for start in range(0, r.periods, rows):
        count = min(rows, r.periods - start)
        stacks = tuple(tuple(_stack([arrays[k + (start + j) * p + a][q] for j in range(count)], rows)
                             for q, f in enumerate(r.fixed[a]) if not f) for a in range(p))
        carry, sums = fn(carry, fixed, stacks, sums, np.int32(count))
        if learn is not None:
            RENT.learn(_lazy._compiling[0] - learn, 2 + p)
            learn = None
    for g in range(k, k + nodes):
        pending.pop(g, None)
    for d, c in zip(r.cpos, carry):
        t, nr = r.outs[d]
        tb = pending.get(t)
        if tb is None:
            pending[t] = {nr: c}
        else:
            tb[nr] = c if nr not in tb else add(tb[nr], c)
    for (t, nr), a in zip(r.shared, sums):
        pending.setdefault(t, {})[nr] = a
    return k + nodes


def run_nodes(gr, k, stop, pending):
    """Nodes ``k``..``stop`` one by one."""
    ops, arrays, targets = gr.ops, gr.arrays, gr.targets
    for g in range(k, stop):
        b = pending.pop(g, None)
        if b:
            node_step(ops[g], arrays[g], targets[g], b, pending)


def _stack(rows, n):
    """``rows`` (arrays of one shape and dtype) stacked into one array of ``n`` rows (the last repeated:
    the loop stops before them), so that one program serves runs of many lengths.  On a CPU-only process
    through numpy (no compiled concatenation of ``n`` operands, ~0.1 s to compile for 128)."""
    rows = rows + [rows[-1]] * (n - len(rows))
    if _lazy.single_cpu():
        return np.stack([np.asarray(r) for r in rows])
    fn = _stackers.get(n)
    if fn is None:
        fn = _stackers[n] = jax.jit(lambda *rs: jnp.stack(rs))
    return fn(*rows)


_stackers = {}


def _program(r, nodes):
    """``(carry, fixed inputs, stacked inputs, sums so far of the shared targets, periods) -> (carry,
    sums)`` for the run ``r``: the carry is the gradients flowing into the next period's nodes.  Two
    loops: the first runs the vjps period by period and keeps every gradient bound for a shared target,
    the second adds those up in node order (in one loop XLA fuses a vjp's product into the sum that
    follows, rounding once where node by node rounds twice; an optimization barrier does not survive its
    CPU pipeline)."""
    p, kinds, fixed_at, cpos = r.p, r.kinds, r.fixed, r.cpos
    vjps = [vjp_function(n._op.pure(n._key), n._mask, None) for n in nodes]
    masks = [n._mask for n in nodes]
    dtypes = [n._out_meta[0][1] for n in nodes]
    kept_slots = [kind[1] for a in range(p) for kind in kinds[a] if kind is not None and kind[0] == "s"]

    def program(carry, fixed, stacks, sums, count):
        carry = tuple(jax.lax.convert_element_type(c, dtypes[a]) for c, a in zip(carry, cpos))

        def inputs(a, j):
            fi, si = iter(fixed[a]), iter(stacks[a])
            return [next(fi) if f else next(si)[j] for f in fixed_at[a]]

        rows = next(x for st in stacks for x in st).shape[0]     # (a run has inputs that vary: its carry's)
        kept = []
        for a in range(p):
            ins = inputs(a, 0)
            for x, kind in zip(ins, kinds[a]):
                if kind is not None and kind[0] == "s":
                    kept.append(jnp.zeros((rows,) + x.shape, x.dtype))

        def run(j, state):
            carry, kept = state
            cts = dict(zip(cpos, carry))
            nxt = {}
            kept = list(kept)
            i = 0
            for a in range(p):
                grads = iter(vjps[a](inputs(a, j), cts[a]))
                for m, kind in zip(masks[a], kinds[a]):
                    if not m:
                        continue
                    g = next(grads)
                    if kind is None:
                        continue
                    tag, v = kind
                    if tag == "s":
                        kept[i] = kept[i].at[j].set(g)
                        i += 1
                    else:
                        into = cts if tag == "i" else nxt
                        into[v] = into[v] + g if v in into else g
            return tuple(nxt[d] for d in cpos), tuple(kept)
        carry, kept = jax.lax.fori_loop(0, count, run, (carry, tuple(kept)))

        def add_up(j, sums):
            sums = list(sums)
            for slot, g in zip(kept_slots, kept):
                sums[slot] = sums[slot] + g[j]
            return tuple(sums)
        return carry, jax.lax.fori_loop(0, count, add_up, tuple(sums))
    return program
