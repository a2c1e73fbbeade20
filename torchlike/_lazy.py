"""Deferred execution of recorded ops: runs of eager ops become one XLA program.

Every eager op is one call of a compiled program, and on a small tensor that
call (~5 us on a CPU) costs more than the arithmetic.  An op on small tensors
is therefore not run at once (one that autograd records, and, with ``NOGRAD``, one
that records nothing: inference steps, optimizer updates written by hand): its output tensors hold a
:class:`LazyRef` (shape and dtype, no value) and the op joins the thread's open
:class:`Segment`, a recipe: ops, static arguments, wiring, and the input arrays
from outside.  Values are computed from the recipe, by one compiled program
cached by the recipe's structure, when

* a value is read (``Storage.array``: printing, ``item()``, numpy, an op that
  is not deferred, an in-place write, a view): every value still referenced
  is computed at once, and the segment closes;
* backward starts: the fused backward (``autograd/_fused.py``) runs the
  segment's forward and the backward in one program and returns only the
  gradients and the roots' values; other values stay recipes, computed if
  they are ever read;
* the segment holds ``MAX_OPS`` ops.

An op is deferred only when its inputs are small (``MAX_NUMEL``) and its output
shapes and dtypes are known: the first call of an op with given static
arguments and input shapes/dtypes runs eagerly (and raises there what the op
raises), which records them.  A recipe runs op by op (each op's own program)
until compiling it pays (``Rent``: it came back ``COMPILE_AFTER`` times and is cheap to
compile, or running it op by op has cost what compiling it would); then it is compiled
into one program.  A segment of one op runs that op's own program.

An in-place op that records nothing, on a tensor that is not a view, writes its
deferred result by handing the pending value to the tensor's storage (``adopt``).
An op that records nothing on views of a pending tensor reads them inside the
segment (``_views.deferred_read``; the offset is an input).  Ops under
``torchlike.compile`` or a JAX transform (tracer inputs), view ops themselves,
``out=`` forms and ops on large tensors run eagerly.

``TORCHLIKE_LAZY=0`` in the environment, or ``torchlike._lazy.ENABLED[0] =
False``, turns deferral off.
"""
from __future__ import annotations

import math
import os
import threading
import time
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _interp, _pace
from ._state import local as _local
from ._dtype import _BY_NP

ENABLED = [os.environ.get("TORCHLIKE_LAZY", "1") != "0"]
# ops that record nothing (grad mode off, no input requiring grad) are deferred too, and so are in-place
# writes of their results into tensors that are not views: an inference or optimizer step is one program
NOGRAD = [os.environ.get("TORCHLIKE_LAZY_NOGRAD", "1") != "0"]
# TORCHLIKE_LAZY=2 (for testing deferral): ops are deferred from their first call, their output
# shapes found by ``jax.eval_shape``
EAGER_FIRST = os.environ.get("TORCHLIKE_LAZY", "1") != "2"
# a recipe is compiled into one program once it has run op by op this many times with the same
# structure and input shapes (a loop); 0 under TORCHLIKE_LAZY=2, so that tests exercise the programs
COMPILE_AFTER = 2 if EAGER_FIRST else 0
# only ops on small tensors are deferred: above this many elements in an input, the kernel's own time
# outweighs the dispatch, and an eager dispatch runs it asynchronously while Python records the next
# ops, which a deferred op cannot do.  Measured (session 12, the joint backward returning what the next
# step reads): 256K elements beats 16K on the steps with 1000x100 weights (MLP by hand 2.06x -> 1.83x
# PyTorch, the tutorial's 1.09x -> 1.04x, the small GPT's 1.32x -> 1.19x), the others unchanged
MAX_NUMEL = 1 << 18 if EAGER_FIRST else None
MAX_OPS = 256
MAX_PROGRAMS = 1024

_ARRAY = type(jnp.zeros(()))
_HOST = np.ndarray      # a storage's value computed on the host (``_views.Storage``): an input like an array
# open segments (one per thread at most), weakly: a segment no tensor or node refers to any more (its
# thread ended, its values dropped) is freed, not kept for a flush nobody needs
_pending = weakref.WeakSet()
# segments are per thread, but a value can be read, or every segment flushed, from any thread:
# recording into a segment and computing one never interleave
_LOCK = threading.RLock()
_programs = {}
_pace.register_cache(_programs.clear)      # made again, paced, if pacing turns on (FSDP over CPU devices)
_single_device = [None]
_wref = weakref.ref
_prod = math.prod
_clock = time.perf_counter
# seconds this process has spent tracing, lowering and compiling XLA programs (JAX reports each):
# what a program's first call spent compiling, for ``Rent.learn``
_COMPILE_EVENTS = frozenset(("/jax/core/compile/jaxpr_trace_duration",
                             "/jax/core/compile/jaxpr_to_mlir_module_duration",
                             "/jax/core/compile/backend_compile_duration"))
_compiling = [0.0]


def _on_event(event, secs, **_):
    if event in _COMPILE_EVENTS:
        _compiling[0] += secs


jax.monitoring.register_event_duration_secs_listener(_on_event)


class LazyRef:
    """The not-yet-computed output ``idx`` of a segment."""
    __slots__ = ("seg", "idx", "shape", "dtype")

    def __init__(self, seg, idx, shape, dtype):
        self.seg, self.idx, self.shape, self.dtype = seg, idx, shape, dtype

    @property
    def ndim(self):
        return len(self.shape)

    def devices(self):
        d = self.seg.device
        if d is None:
            return jax.devices()[0:1] if _single_device[0] else self.value().devices()
        return {d}

    def value(self):
        seg = self.seg
        v = seg.vals.get(self.idx)
        if v is None:
            seg.compute(self.idx)
            v = seg.vals[self.idx]
        return v


class Segment:
    """A recipe of ops: ``entries`` are ``(op, key, refs, multi)``, each ref an index into ``ext``
    (arrays from outside) or ``~i`` for the segment's own output ``i``."""
    __slots__ = ("entries", "ext", "ext_ids", "n_out", "fills", "nodes", "node_out", "plain", "vals", "device",
                 "open", "__weakref__")

    def __init__(self, device):
        self.entries = []
        self.ext = []
        self.ext_ids = {}
        self.n_out = 0
        # per output i: a weakref to the storage made for it (no ref to the LazyRef, which refers to this
        # segment: no reference cycle, so a segment is freed as soon as nothing refers to it)
        self.fills = []
        self.nodes = []         # weakrefs to nodes whose input list holds outputs of this segment
        self.node_out = {}      # id(node) -> index of its first output
        self.plain = []         # outputs of ops that record nothing (an optimizer's update, a ``zero_()``)
        self.vals = {}          # computed outputs
        self.device = device
        self.open = True

    def close(self):
        if self.open:
            self.open = False
            state = _local.state
            if state.segment is self:
                state.segment = None
            _pending.discard(self)
            self.ext_ids = None

    def held(self, need, among=None):
        """Add to the set ``need`` the outputs (``among`` these indices, or any) not computed yet that
        a live storage holds."""
        fills = self.fills
        for i in range(len(fills)) if among is None else among:
            st = fills[i]()
            if st is not None:
                a = st._a
                if type(a) is LazyRef and a.seg is self:
                    need.add(a.idx)
        return need

    def wanted(self, extra=()):
        """Indices of outputs not computed yet that a live tensor or node still refers to."""
        need = self.held(set(extra))
        for wn in self.nodes:
            n = wn()
            if n is not None and type(n._arrays) is list:
                for v in n._arrays:
                    if type(v) is LazyRef and v.seg is self:
                        need.add(v.idx)
        return tuple(sorted(need.difference(self.vals)))

    def compute(self, idx=None):
        """Compute every wanted output (and ``idx``) in one program."""
        with _LOCK:
            self._compute(idx)

    def _compute(self, idx):
        self.close()
        if len(self.entries) == 1 and not self.vals:
            # one op: its own program computes every output at once, nothing to fuse or pick
            op, key, refs, multi = self.entries[0]
            ext = self.ext
            out = _interp.call(op.forward(key), [ext[r] for r in refs])
            outs = list(out) if multi else [out]
            self.publish(range(len(outs)), outs)
            return
        need = self.wanted(() if idx is None else (idx,))
        if need:
            sig = (tuple(self.entries), need)
            prog = _programs.get(sig)
            if prog is None:
                key = rent_key(sig, self.ext)
                units = segment_units(self.entries, need)
                if not SEGMENTS.due(key, units):
                    t0 = _clock()
                    self.publish(need, self.replay(need))
                    SEGMENTS.paid(key, _clock() - t0)
                    return
                if len(_programs) > MAX_PROGRAMS:
                    _programs.clear()
                prog = _programs[sig] = _pace.jit(_picker(forward_program(sig[0]), need))
            self.publish(need, prog(*self.ext))

    def replay(self, need):
        """The outputs ``need``, computed op by op with each op's own compiled forward."""
        ext = self.ext
        vals = []
        for op, key, refs, multi in self.entries:
            out = _interp.call(op.forward(key), [ext[r] if r >= 0 else vals[~r] for r in refs])
            if multi:
                vals.extend(out)
            else:
                vals.append(out)
        return [vals[i] for i in need]

    def publish(self, idxs, outs):
        """Store computed outputs and hand them to the storages that hold their refs (``fills`` is
        indexed by output) and to the input lists of the nodes recorded with them (``nodes``), whose
        ``_lazy`` (for a backward fused with the open segment) is dropped: the segment is closed.  So
        once every value it was asked for is out, nothing refers to the segment, and it is freed with
        its recipe and refs, which the cyclic collector would otherwise traverse at every full
        collection, for as long as the graph lives.  (A ref left anywhere finds its value in
        ``vals``: ``resolve``, ``LazyRef.value``.)"""
        vals, fills = self.vals, self.fills
        for i, o in zip(idxs, outs):
            vals[i] = o
            st = fills[i]()
            if st is not None:
                a = st._a
                if type(a) is LazyRef and a.seg is self and a.idx == i:
                    st._a = o
        for wn in self.nodes:
            n = wn()
            if n is None:
                continue
            n._lazy = None
            arrs = n._arrays
            if type(arrs) is list:
                for j, v in enumerate(arrs):
                    if type(v) is LazyRef and v.seg is self:
                        o = vals.get(v.idx)
                        if o is not None:
                            arrs[j] = o


class Rent:
    """When to compile a program that would replace work run piece by piece ("rent or buy").

    Compiling costs about ``rate`` seconds per unit (a unit: roughly one kernel of the program;
    10 ms each, measured on CPUs: a 256-op chain with 256 outputs compiles in 3 s, with one output
    in 0.13 s), and the program is compiled only when

    * it is cheap (at most ``FREE`` seconds) and has been asked for ``after`` times before, or
    * the time already spent running it piece by piece reaches ``RENT`` times its estimated cost
      (with ``RENT = 1``, the classic rent-or-buy rule: never more than twice the better choice's cost).

    So a loop of small steps compiles its step within a few iterations, as before, while a long
    chain that is never repeated (5,000 multiplications, then one backward) runs piece by piece:
    compiling never costs more than ``FREE`` or the work the pieces did before, and a deep graph is
    not one unbounded program.  ``units`` above ``max_units`` never compile."""
    FREE = 0.5
    RENT = 1.0

    def __init__(self, rate, after, max_units):
        self.rate, self.after, self.max_units = rate, after, max_units
        self.spent = {}     # key -> [times asked, seconds run piece by piece]
        self.base = rate
        self.measured = [0.0, 0]    # seconds and units of the programs compiled (``learn``)

    def learn(self, secs, units):
        """A program of ``units`` took ``secs`` to trace and compile: the estimate per unit is the
        average measured, never below the initial one.  (Backward pieces and loops learn; the whole
        step's program keeps its first estimate, which makes a training loop compile its step within
        a few iterations: a larger measured rate would delay that by hundreds.)"""
        m = self.measured
        m[0] += secs
        m[1] += units
        self.rate = max(self.base, m[0] / m[1])

    def due(self, key, units, after=None):
        """Compile now?  (Counts this request when the answer is no.)"""
        if units > self.max_units:
            return False
        s = self.spent.get(key)
        if s is None:
            if len(self.spent) > 4 * MAX_PROGRAMS:
                self.spent.clear()
            s = self.spent[key] = [0, 0.0]
        cost = self.rate * units
        if s[0] >= (self.after if after is None else after) and (cost <= self.FREE or s[1] >= self.RENT * cost):
            return True
        s[0] += 1
        return False

    def paid(self, key, secs):
        """``secs`` spent running ``key`` piece by piece."""
        s = self.spent.get(key)
        if s is not None:
            s[1] += secs


if not EAGER_FIRST:
    Rent.FREE = float("inf")    # TORCHLIKE_LAZY=2: compile every program, so that tests exercise them
# deferred segments: units = outputs (each a materialized buffer, about a kernel) + entries / 4
SEGMENTS = Rent(0.01, COMPILE_AFTER, 4096)


def rent_key(sig, ext):
    """``sig`` with the shapes and dtypes of the inputs ``ext`` (a Python number input, a view's offset
    from ``_views.deferred_read`` or ``masked_fill``'s value, is an argument of the program: its type
    only)."""
    return (sig, tuple([(a.shape, a.dtype) if type(a) is _ARRAY or type(a) is _HOST else type(a) if type(a) in _NUMBERS
                        else a for a in ext]))


_NUMBERS = (int, float, bool)


def segment_units(entries, need):
    return len(need) + len(entries) / 4 + 1


def _picker(run, need):
    def program(*ext):
        vals = run(ext)
        return [vals[i] for i in need]
    return program


def forward_program(entries):
    """``ext -> list of every output`` of a recipe (traced inside a jitted program).  XLA fuses
    across the ops (see docs/differences.md on rounding)."""
    steps = [(op.pure(key), refs, multi) for op, key, refs, multi in entries]

    def run(ext):
        vals = []
        for f, refs, multi in steps:
            out = f(*[ext[r] if r >= 0 else vals[~r] for r in refs])
            if multi:
                vals.extend(out)
            else:
                vals.append(out)
        return vals
    return run


class _NoGradOp:
    """An op that records nothing, as a segment entry: inside a traced program (the fused backward
    differentiates the segment's forward) its inputs are cut from the gradient, so that JAX neither
    differentiates it (a non-differentiable op may have no derivative rule) nor spends work on it."""
    __slots__ = ("op", "name", "defer_large")

    def __init__(self, op):
        self.op = op
        self.name = op.name
        self.defer_large = getattr(op, "defer_large", False)

    def forward(self, key):
        return self.op.forward(key)

    def pure(self, key):
        f = self.op.pure(key)

        def run(*xs):
            return f(*[x if x is None or isinstance(x, int) else jax.lax.stop_gradient(x) for x in xs])
        return run


def _no_grad_op(op):
    """``op``'s ``_NoGradOp``, made once per op."""
    try:
        return op._no_grad_op
    except AttributeError:
        w = op._no_grad_op = _NoGradOp(op)
        return w


def no_record(op, key, args, arrays, outs, statics):
    """The ``record`` argument of ``enqueue`` for an op that records nothing."""
    return None


def adopt(ref, storage):
    """Make ``storage`` hold the pending output ``ref`` of this thread's open segment (an in-place
    write of a deferred result): the segment fills it when it computes.  False when ``ref``'s
    segment is not the open one (its value may be computed already: the caller writes a value)."""
    with _LOCK:
        seg = ref.seg
        if seg is not current():
            return False
        seg.fills[ref.idx] = _wref(storage)
        storage._a = ref
        storage._host = None
        return True


def current():
    """This thread's open segment, or None (a read from another thread may have closed it)."""
    seg = _local.state.segment
    return seg if seg is not None and seg.open else None


def flush_all():
    """Close and compute every open segment."""
    while _pending:
        for seg in list(_pending):
            seg.compute()


def resolve(lst):
    """Replace every LazyRef in the list ``lst`` by its value (in place)."""
    for j, v in enumerate(lst):
        if type(v) is LazyRef:
            lst[j] = v.value()
    return lst


def concrete(arrays):
    """``arrays`` with every LazyRef replaced by its value."""
    return [a.value() if type(a) is LazyRef else a for a in arrays]


def in_sig(arrays):
    """Shapes and dtypes of the inputs, or None when one is not a concrete array, a LazyRef or None."""
    sig = []
    for a in arrays:
        t = type(a)
        if t is _ARRAY or t is LazyRef or t is _HOST:
            sig.append((a.shape, a.dtype))
        elif a is None:
            sig.append(None)
        elif t is float or t is int or t is bool:
            sig.append(((), t))     # a Python number the op takes as an input (``masked_fill``'s value)
        else:
            return None
    return tuple(sig)


def learn(op, key, arrays, result):
    """After an eager run that autograd recorded: remember the output shapes/dtypes for deferral."""
    sig = in_sig(arrays)
    if sig is None or (key, sig) in op._avals:      # known already (an op on large inputs stays eager)
        return
    multi = type(result) is tuple or type(result) is list
    outs = result if multi else (result,)
    for o in outs:
        if type(o) is not _ARRAY:
            return
    op._avals[(key, sig)] = _meta(outs, multi)


def _meta(outs, multi):
    """Output shapes and dtypes (and torchlike dtypes) of an op."""
    return (tuple((tuple(o.shape), o.dtype) for o in outs), multi, tuple(_BY_NP[o.dtype] for o in outs))


def _eval_shape(op, key, arrays, sig):
    try:
        out = jax.eval_shape(op.forward(key), *[None if a is None else jax.ShapeDtypeStruct(a.shape, a.dtype)
                                                for a in arrays])
    except Exception:       # noqa: BLE001 - the eager call raises it as the op should
        return None
    multi = type(out) is tuple or type(out) is list
    outs = out if multi else (out,)
    meta = op._avals[(key, sig)] = _meta(outs, multi)
    return meta


def _device_of(arrays):
    dev = None
    for a in arrays:
        if type(a) is _ARRAY:
            ds = a.devices()
            if len(ds) != 1:
                return False
            d = next(iter(ds))
            if dev is None:
                dev = d
            elif d != dev:
                return False
    return dev


def small(arrays):
    """Are the arrays (or LazyRefs) small enough for deferral (``MAX_NUMEL``)?"""
    if MAX_NUMEL is None:
        return True
    for a in arrays:
        if _prod(a.shape) > MAX_NUMEL:
            return False
    return True


def lookup(op, key, arrays):
    """The output shapes and dtypes of ``op`` on ``arrays`` if it can be deferred, else None (outputs
    not known yet, inputs that are tracers or Python values, inputs too large)."""
    sig = in_sig(arrays)
    if sig is None:
        return None
    if MAX_NUMEL is not None and not op.defer_large:
        for s in sig:
            if s is not None and _prod(s[0]) > MAX_NUMEL:
                # a large input runs eagerly, unless the open segment computes it (continuing a
                # deferred convolution's output keeps the forward in one program with its backward)
                seg = current()
                if seg is None or not any(type(a) is LazyRef and a.seg is seg for a in arrays):
                    return None
                break
    meta = op._avals.get((key, sig))
    if meta is None and not EAGER_FIRST:
        meta = _eval_shape(op, key, arrays, sig)
    return meta


def single_cpu():
    """Is the process's only device a CPU?  (Then every array is on it, host values included.)"""
    single = _single_device[0]
    if single is None:
        single = _single_device[0] = len(jax.devices()) == 1 and jax.default_backend() == "cpu"
    return single


def enqueue(op, key, meta, args, arrays, statics, wrap, record, state=None):
    """Add ``op`` (outputs ``meta`` from ``lookup``) to this thread's open segment and record its node.
    ``state``: this thread's ``_state.ThreadState`` where the caller has read it already.  Returns the
    output tensors, or None when the op must run now (inputs on another device)."""
    single = _single_device[0]
    if single is None:
        single = single_cpu()
    device = None
    if not single:
        device = _device_of(arrays)
        if device is False:
            return None
    with _LOCK:
        return _enqueue(op, key, meta, args, arrays, statics, wrap, record, device,
                        _local.state if state is None else state)


def _enqueue(op, key, meta, args, arrays, statics, wrap, record, device, state):
    seg = state.segment                     # ``current()``, inlined: once per op
    if seg is not None and not seg.open:
        seg = None
    if seg is not None and (len(seg.entries) >= MAX_OPS or (device is not None and seg.device is not None
                                                          and seg.device != device)):
        seg.compute()
        seg = None
    if seg is None:
        seg = state.segment = Segment(device)
        _pending.add(seg)
    elif seg.device is None:
        seg.device = device
    refs = []
    pos = ()            # (input position, segment output) of the inputs this segment computes
    ext, ext_ids = seg.ext, seg.ext_ids
    for j, a in enumerate(arrays):
        if type(a) is LazyRef:
            if a.seg is seg:
                refs.append(~a.idx)
                pos += ((j, a.idx),)
                continue
            a = arrays[j] = a.value()       # a closed segment's output
        i = ext_ids.get(id(a))
        if i is None:
            i = ext_ids[id(a)] = len(ext)
            ext.append(a)
        refs.append(i)
    outs_meta, multi, dtypes = meta
    base = seg.n_out
    fills = seg.fills
    if multi:
        outs = []
        i = base
        for (shape, dtype), d in zip(outs_meta, dtypes):
            t = wrap(LazyRef(seg, i, shape, dtype), False, d)
            fills.append(_wref(t._storage))
            outs.append(t)
            i += 1
        seg.n_out = i
        outs = tuple(outs)
    else:                       # one output (most ops): no list or zip of outputs made
        shape, dtype = outs_meta[0]
        t = wrap(LazyRef(seg, base, shape, dtype), False, dtypes[0])
        fills.append(_wref(t._storage))
        seg.n_out = base + 1
        outs = (t,)
    if record is no_record:     # an op that records nothing (``NOGRAD``): no gradient flows through it
        seg.entries.append((_no_grad_op(op), key, tuple(refs), multi))
        if multi:
            seg.plain.extend(range(base, seg.n_out))
        else:
            seg.plain.append(base)      # (one output: no range made, on every op that records nothing)
        return outs if multi else t
    seg.entries.append((op, key, tuple(refs), multi))
    node = record(op, key, args, arrays, outs, statics)
    seg.node_out[id(node)] = base
    if pos:                     # (``_attach``, inlined: once per recorded op)
        seg.nodes.append(_wref(node))
        node._lazy = (seg, pos)
    return outs if multi else t


def _attach(seg, node, pos, arrays):
    """``node`` keeps outputs of the open ``seg`` among its inputs ``arrays``, at ``pos`` ((input
    position, segment output), ...): the segment computes them while the node lives, and a fused
    backward that runs the segment's forward in its program takes the node's other inputs from
    ``node._arrays`` (``autograd/_fused.run``)."""
    seg.nodes.append(_wref(node))
    node._lazy = (seg, pos)


def hold(node, arrays):
    """A node recorded outside a segment (a view op's, ``_registry._recorded_views``) whose inputs
    ``arrays`` (its ``_arrays``) include pending values: those of the open segment stay pending,
    attached as ``enqueue`` attaches them; any other is computed now."""
    with _LOCK:
        seg = current()
        pos = pending_in(arrays, seg)
        if pos:
            _attach(seg, node, pos, arrays)


def pending_in(arrays, seg):
    """((position, output), ...) of the inputs in the list ``arrays`` that the open ``seg`` computes;
    any other pending input is computed now (replaced in place by its value)."""
    pos = ()
    for j, a in enumerate(arrays):
        if type(a) is LazyRef:
            if a.seg is seg:
                pos += ((j, a.idx),)
            else:
                arrays[j] = a.value()       # a closed segment's output
    return pos
