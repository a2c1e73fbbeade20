"""``torchlike.compile``: a whole step (forward, backward, optimizer update) as one XLA program.

``step = torchlike.compile(step_fn)``.  Calling ``step(*args)`` traces
``step_fn`` with its tensor arguments replaced by tracer-backed Tensors.  Every
pre-existing tensor the function touches (parameters, buffers, optimizer
state, ``.grad``) is *lifted*: its storage's array becomes an input of the
program and its final value an output written back after each call, as are
the gradients it sets and the random key it consumes (randomness is never
frozen into the program).  Tensors the function first meets during a trace
are discovered by that trace, which is then redone with them lifted.

The first call of each signature runs eagerly, so that state the step creates
lazily (optimizer moments, the first ``.grad``) exists before the trace; the
second call traces.  The compiled program is cached by guards: argument shapes, dtypes and
requires_grad, grad mode, and which lifted tensors' ``.grad`` are None.  What
cannot be traced (``.item()``/``print`` of a traced value, data-dependent
Python control flow) makes that call signature fall back to eager execution,
with a warning that says why.
"""
from __future__ import annotations

import functools
import warnings

import jax
import jax.extend
import numpy as np

from . import _lazy
from . import _random
from . import _views as V
from ._tensor import Tensor
from . import _state
from ._state import local as _local

MAX_DISCOVERY_ROUNDS = 8


class _Tracker:
    """Records external storages read/written and external tensors' grads during one trace."""

    def __init__(self, start_serial, lifted):
        self.start = start_serial
        self.lifted = lifted                    # id(storage) -> storage, installed as inputs
        self.found = {}                         # id(storage) -> storage found this trace (not lifted)
        self.originals = {}                     # id(storage) -> (storage, array, gen) to restore
        self.grads = {}                         # id(tensor) -> (tensor, _grad at first sight)
        self.versions = {}                      # id(vc) -> [vc, increments during the trace]

    def _see(self, t):
        st = t._storage
        if st.serial >= self.start:
            return
        k = id(st)
        if k not in self.lifted and k not in self.found:
            self.found[k] = st
            self.originals[k] = (st, st.array, st.gen)
        if id(t) not in self.grads:
            self.grads[id(t)] = (t, t._grad)
            g = t._grad
            if g is not None:
                self._see(g)

    def read(self, args):
        for a in args:
            if isinstance(a, Tensor):
                self._see(a)

    def write(self, t):
        self._see(t)
        entry = self.versions.get(id(t._vc))
        if entry is None:
            self.versions[id(t._vc)] = [t._vc, 1]
        else:
            entry[1] += 1


class _Entry:
    """One compiled program and what it lifts."""

    def __init__(self, storages, grad_slots, grad_none):
        self.storages = storages          # list of Storage (inputs and outputs)
        self.grad_slots = grad_slots      # tensors whose .grad the program sets
        self.grad_none = grad_none        # entry guard: which of them had .grad None
        self.fn = None
        self.out_tree = None
        self.version_bumps = ()
        self.grad_out_none = ()
        self.written = ()                 # indices of the storages the program writes (it returns those)


class CompiledFunction:
    """The callable returned by :func:`compile`."""

    def __init__(self, fn):
        self.fn = fn
        self._entries = {}
        self._eager = {}
        self._warm = set()
        self._programs = []
        functools.update_wrapper(self, fn)

    def _key(self, args, kwargs):
        if not kwargs:
            for a in args:
                if type(a) is not Tensor:
                    break
            else:
                # tensors only (``step(x, y)``, ``step()``): their shapes, dtypes and requires_grad are the
                # signature (a key of its own form: these calls never share entries with other forms)
                return ((len(args), tuple([(a._shape(), a._dtype, a._requires_grad) for a in args]),
                         _local.state.grad_enabled), args, None)
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
        sig = []
        for x in leaves:
            if isinstance(x, Tensor):
                sig.append(("T", tuple(x.shape), x.dtype.name, x.requires_grad))
            else:
                try:
                    hash(x)
                    sig.append(("S", x))
                except TypeError:
                    sig.append(("O", id(x)))
        return (treedef, tuple(sig), _local.state.grad_enabled), leaves, treedef

    def __call__(self, *args, **kwargs):
        key, leaves, treedef = self._key(args, kwargs)
        if key in self._eager:
            return self.fn(*args, **kwargs)
        if key not in self._warm:
            # The first call of a signature runs eagerly: state the step creates lazily
            # (optimizer moments, a first .grad) then exists before tracing, instead of
            # being created inside the trace and left holding tracers.
            self._warm.add(key)
            return self.fn(*args, **kwargs)
        for entry in self._entries.get(key, ()):
            if tuple(t._grad is None for t in entry.grad_slots) == entry.grad_none:
                return self._run(entry, leaves)
        if treedef is None:     # (``_key``'s form for tensors only)
            leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
        try:
            entry = self._trace(leaves, treedef)
        except _Untraceable as e:
            warnings.warn(f"torchlike.compile: running {getattr(self.fn, '__name__', 'function')} eagerly for this "
                          f"call signature: {e}", RuntimeWarning, stacklevel=2)
            self._eager[key] = True
            return self.fn(*args, **kwargs)
        self._entries.setdefault(key, []).append(entry)
        return self._run(entry, leaves)

    # ---- tracing -----------------------------------------------------------
    def _trace(self, leaves, treedef):
        # pending deferred values (``_lazy``) are computed now: computed inside the trace, their
        # programs would be staged into it and their values would be tracers left in the storages
        _lazy.flush_all()
        lifted = {}
        grad_slots = {}
        for _ in range(MAX_DISCOVERY_ROUNDS):
            storages = list(lifted.values())
            slots = list(grad_slots.values())
            entry = _Entry(storages, slots, tuple(t._grad is None for t in slots))
            new = self._lower(entry, leaves, treedef)
            if not new:
                return entry
            found_storages, found_grads = new
            lifted.update(found_storages)
            grad_slots.update(found_grads)
        raise _Untraceable("the set of tensors it touches did not settle")

    def _lower(self, entry, leaves, treedef):
        """Build entry.fn; returns newly found externals (then the caller retraces) or None."""
        fn = self.fn
        tensor_pos = [i for i, x in enumerate(leaves) if isinstance(x, Tensor)]
        found = {}

        def program(arg_arrays, storage_arrays, rng_key, rng_count):
            start = next(V._serials)
            tracker = _Tracker(start, {id(s): s for s in entry.storages})
            saved = [(s, s.array, s.gen) for s in entry.storages]
            gen = _random.default_generator
            saved_rng = (gen._key, gen._count)
            saved_grads = [(t, t._grad) for t in entry.grad_slots]
            prev_tracker = _state.set_tracker(tracker)
            try:
                for s, a in zip(entry.storages, storage_arrays):
                    s.array = a
                    s.gen += 1
                gen._key, gen._count = rng_key, _random.TracedCount(rng_count)
                call_leaves = list(leaves)
                for i, a in zip(tensor_pos, arg_arrays):
                    orig = leaves[i]
                    t = Tensor._wrap(a)
                    t._requires_grad = orig._requires_grad
                    call_leaves[i] = t
                args, kwargs = jax.tree_util.tree_unflatten(treedef, call_leaves)
                try:
                    out = fn(*args, **kwargs)
                except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                        jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError) as e:
                    raise _Untraceable(str(e).splitlines()[0]) from e
                out_leaves, out_tree = jax.tree_util.tree_flatten(out, is_leaf=lambda x: isinstance(x, Tensor))
                entry.out_tree = (out_tree, [isinstance(x, Tensor) for x in out_leaves],
                                  [None if isinstance(x, Tensor) else x for x in out_leaves])
                if isinstance(out, Tensor):
                    entry.out_tree = (None,) + entry.out_tree[1:]
                out_arrays = tuple(x._arr() for x in out_leaves if isinstance(x, Tensor))
                # only the storages the step wrote come out: returning an untouched input (the
                # batch, a frozen weight) would make XLA copy it at every call
                entry.written = tuple(i for i, (s, a) in enumerate(zip(entry.storages, storage_arrays))
                                      if s.array is not a)
                new_storage_arrays = tuple(entry.storages[i].array for i in entry.written)
                grads_after = []
                for t in entry.grad_slots:
                    grads_after.append(None if t._grad is None else t._grad._arr())
                entry.grad_out_none = tuple(g is None for g in grads_after)
                # what this trace met outside the lifted set
                new_storages = dict(tracker.found)
                new_grads = {k: t for k, (t, g0) in tracker.grads.items()
                             if t._grad is not g0 and not any(t is s for s in entry.grad_slots)}
                if new_storages or new_grads:
                    found["storages"], found["grads"] = new_storages, new_grads
                entry.version_bumps = tuple((vc, n) for vc, n in tracker.versions.values())
                entry.draws = gen._count.draws if type(gen._count) is _random.TracedCount else 0
                return out_arrays, new_storage_arrays, tuple(g for g in grads_after if g is not None)
            finally:
                _state.set_tracker(prev_tracker)
                for s, a, g in saved:
                    s.array, s.gen = a, g + 1
                for st, a, g in tracker.originals.values():
                    st.array, st.gen = a, g + 1
                for vc, n in tracker.versions.values():
                    vc[0] -= n
                for t, g in saved_grads:
                    t._grad = g
                for t, g0 in tracker.grads.values():
                    t._grad = g0
                gen._key, gen._count = saved_rng

        arg_arrays = tuple(leaves[i]._arr() for i in tensor_pos)
        storage_arrays = tuple(s.array for s in entry.storages)
        # Trace once to a jaxpr (this also discovers the externals).  Arrays the function closes over
        # become explicit arguments of the compiled program: JAX's fast call path mishandles
        # closed-over constants.
        closed, out_shape = jax.make_jaxpr(program, return_shape=True)(
            arg_arrays, storage_arrays, _random.default_generator._key,
            np.uint32(_random.default_generator._count & 0xFFFFFFFF))
        if found:
            return found["storages"], found["grads"]
        jaxpr, consts = _inline_scalars(closed.jaxpr, closed.consts)
        jaxpr = _hoist(jaxpr)
        rng = entry.draws > 0 or _reads(jaxpr, jaxpr.invars[-2:])
        if not rng:     # a step that draws nothing: the program takes no key and no counter
            jaxpr = jaxpr.replace(invars=jaxpr.invars[:-2])
        run = jax.jit(jax.extend.core.jaxpr_as_fun(jax.extend.core.ClosedJaxpr(jaxpr, ())))
        n_out, n_written = len(out_shape[0]), len(out_shape[1])

        def fn(arg_arrays, storage_arrays, rng_key, rng_count):
            # the flat inputs in ``program``'s order; the flat outputs split back into its three tuples
            if rng:
                flat = run(*consts, *arg_arrays, *storage_arrays, rng_key, rng_count)
            else:
                flat = run(*consts, *arg_arrays, *storage_arrays)
            return flat[:n_out], flat[n_out:n_out + n_written], flat[n_out + n_written:]
        entry.fn = fn
        entry.tensor_pos = tensor_pos
        return None

    # ---- running -----------------------------------------------------------
    def _run(self, entry, leaves):
        gen = _random.default_generator
        arg_arrays = [leaves[i]._arr() for i in entry.tensor_pos]
        storage_arrays = [s.array for s in entry.storages]
        count = np.uint32(gen._count & 0xFFFFFFFF) if entry.draws else None     # (None: not an input)
        out_arrays, new_storage, grads = entry.fn(arg_arrays, storage_arrays, gen._key, count)
        storages = entry.storages
        for i, a in zip(entry.written, new_storage):
            s = storages[i]
            s.array = a
            s.gen += 1
        for vc, n in entry.version_bumps:
            vc[0] += n
        gen._count += entry.draws
        git = iter(grads)
        for t, none in zip(entry.grad_slots, entry.grad_out_none):
            if none:
                t._grad = None
            else:
                g = next(git)
                if t._grad is not None and tuple(t._grad.shape) == tuple(g.shape) and t._grad._view is None:
                    t._grad._storage.array = g          # keep the grad tensor's identity, as in-place accumulation
                    t._grad._storage.gen += 1
                else:
                    t._grad = Tensor._wrap(g)
        out_tree, is_tensor, statics = entry.out_tree
        if out_tree is None:        # one tensor (a loss): no tree to rebuild
            return Tensor._wrap(out_arrays[0])
        it = iter(out_arrays)
        out_leaves = [Tensor._wrap(next(it)) if flag else s for flag, s in zip(is_tensor, statics)]
        return jax.tree_util.tree_unflatten(out_tree, out_leaves)


class _Untraceable(Exception):
    pass


def _reads(jaxpr, variables):
    """Does ``jaxpr`` read any of ``variables`` (in an equation or as an output)?"""
    ids = {id(v) for v in variables}
    return (any(id(v) in ids for eqn in jaxpr.eqns for v in eqn.invars)
            or any(id(v) in ids for v in jaxpr.outvars))


_CONCRETE = frozenset((_lazy._ARRAY, np.ndarray))


def _inline_scalars(jaxpr, consts):
    """The jaxpr with its 0-dim constants (the step's Python numbers: a learning rate, a clamp's
    bound) as literals of the program, as ``jax.jit``'s own program has them (XLA folds them into
    the fused loops, and the call passes no buffer for them); the other constants, to be inputs."""
    sub, keep_vars, keep = {}, [], []
    for v, c in zip(jaxpr.constvars, consts):
        if type(c) in _CONCRETE and c.ndim == 0:     # (not a tracer: a jax.Array is one, too)
            sub[v] = jax.extend.core.Literal(np.asarray(c), v.aval)
        else:
            keep_vars.append(v)
            keep.append(c)
    if not sub:
        return jaxpr, tuple(consts)
    Var = jax.extend.core.Var

    def put(atoms):
        return [sub.get(a, a) if isinstance(a, Var) else a for a in atoms]
    eqns = [e.replace(invars=put(e.invars)) for e in jaxpr.eqns]
    return jaxpr.replace(constvars=keep_vars, eqns=eqns, outvars=put(jaxpr.outvars)), tuple(keep)


def _hoist(jaxpr):
    """The jaxpr with its constants turned into leading ordinary inputs."""
    return jaxpr.replace(constvars=[], invars=list(jaxpr.constvars) + list(jaxpr.invars))


_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="xla", mode=None, options=None,  # noqa: A001
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """Compile ``model`` (a function or an ``nn.Module``) into one XLA program per call signature.
    ``torch.compile``'s other arguments are accepted and checked as PyTorch checks them; whatever
    ``backend`` or ``mode`` names, the program is XLA's."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")

    def wrap(fn):
        if not callable(fn):
            raise AssertionError(f"A callable function is expected, but {type(fn)} is provided.")
        if disable:
            return fn
        return CompiledFunction(fn)
    if model is None:
        return wrap
    return wrap(model)
