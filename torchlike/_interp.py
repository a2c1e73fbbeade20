"""Programs of shapes not seen before, computed on the host without compiling, where that gives
XLA's bits.

XLA compiles a program for each set of input shapes, 10-200 ms on a CPU for one op, while the op
itself takes microseconds.  A loop whose shapes change at every step (``generate`` with a context
that grows by one token, batches of ragged lengths, a test suite) compiles every op at every step;
PyTorch's kernels are compiled once.

So the first ``AFTER`` calls of a compiled function with given input shapes, on a process whose
only device is a CPU, evaluate the function's jaxpr with numpy instead (``call``), when numpy
computes exactly what XLA's program computes: integer and boolean arithmetic (with XLA's integer
division by zero, saturating float-to-int conversion and shifts past the width), and on floats,
only what moves, selects, compares or converts values (indexing, slicing, ``cat``, ``where``,
``max``, sorting, ``argmax``...; with XLA's signs of zero).  Float arithmetic stays XLA's: its CPU
code reads and writes subnormal numbers as zero, fuses a product into a following sum, divides by
a constant as a product with its reciprocal, folds ``x + 0`` to ``x``, and has its own
transcendental functions; numpy does none of these.  Any value met that is subnormal hands the
call to the compiled program too.  A shape that comes back a third time is compiled, as before:
a loop at a fixed shape pays one compilation and runs XLA's program from then on.

``compat_tests/test_interp.py`` checks every rule against XLA bit for bit, on NaN, infinities,
signed zeros and integer extremes.  ``TORCHLIKE_INTERP=0`` in the environment turns it off.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as _core

ENABLED = [os.environ.get("TORCHLIKE_INTERP", "1") != "0"]
# calls of one function with one set of input shapes computed here before it is compiled: the
# first call of an op at a shape (which learns its outputs, ``_lazy``) and the first replay of the
# segment that defers it; the third is a loop, compiled
AFTER = 2
MAX_ENTRIES = 4096
# loops run by Python one step at a time: longer ones are compiled (a scan at tracing, a while loop
# once it has run this many steps)
MAX_STEPS = 1024

DTYPES = frozenset(np.dtype(d) for d in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                         "uint32", "uint64", "float32", "float64"))
_UNSUPPORTED = object()
_seen = {}          # (function, input signature) -> calls so far, or the traced jaxpr's plan
_Literal = _core.Literal
_ARRAY = type(jnp.zeros(()))


class Unsupported(Exception):
    """A value this module does not compute as XLA does (found while evaluating): compile instead."""


def _sig(args):
    """What a compiled call's specialization depends on: each array's aval (shape, dtype, weak
    type), each Python number's type, the structure of lists; None for anything else (a tracer)."""
    sig = []
    for a in args:
        t = type(a)
        if t is _ARRAY:
            sig.append(a.aval)
        elif a is None or t is int or t is float or t is bool:
            sig.append(t)
        elif t is tuple or t is list:
            s = _sig(a)
            if s is None:
                return None
            sig.append((t, s))
        elif t is np.ndarray:
            sig.append((a.shape, a.dtype))
        else:
            return None
    return tuple(sig)


def call(fn, args):
    """``fn(*args)`` (``fn`` a ``jax.jit`` function of positional arrays, ``None`` and Python
    numbers), evaluated on the host while its input shapes are new, compiled afterwards."""
    if not ENABLED[0]:
        return fn(*args)
    sig = _sig(args)
    if sig is None:
        return fn(*args)
    k = (fn, sig)
    st = _seen.get(k)
    if st is None:
        if not _single_cpu():
            return fn(*args)
        if len(_seen) > MAX_ENTRIES:
            _seen.clear()
        st = _seen[k] = [0, None]
    elif st[0] >= AFTER:
        return fn(*args)
    st[0] += 1
    plan = st[1]
    if plan is None:
        plan = st[1] = _trace(fn, args)
    if st[0] >= AFTER:
        st[1] = None            # the last call interpreted: the next compiles (the plan is not kept)
    if plan is _UNSUPPORTED:
        st[0] = AFTER
        return fn(*args)
    closed, treedef = plan
    try:
        with np.errstate(all="ignore"):
            leaves = [_as(np.asarray(a), v.aval) for a, v in zip(jax.tree.leaves(args), closed.jaxpr.invars)]
            outs = evaluate(closed.jaxpr, closed.consts, leaves)
    except Exception:           # noqa: BLE001 - Unsupported, or anything numpy refuses: XLA's program decides
        st[0] = AFTER
        st[1] = None
        return fn(*args)
    return jax.tree.unflatten(treedef, [jax.device_put(o) for o in outs])


_SINGLE = [None]


def _single_cpu():
    """Is the process's only device a CPU?"""
    single = _SINGLE[0]
    if single is None:
        single = _SINGLE[0] = len(jax.devices()) == 1 and jax.default_backend() == "cpu"
    return single


def _trace(fn, args):
    """``fn``'s closed jaxpr for ``args`` and the tree of its outputs, or ``_UNSUPPORTED``.  (JAX
    keeps the trace: compiling the same call later does not trace it again.)"""
    try:
        traced = fn.trace(*args)
    except Exception:           # noqa: BLE001 - the compiled call raises it as the op should
        return _UNSUPPORTED
    closed = traced.jaxpr
    live = _live(closed.jaxpr)
    if live is not closed.jaxpr:
        closed = closed.replace(jaxpr=live)
    if (not all(_ok_aval(v.aval) for v in closed.jaxpr.invars) or not _supported(closed.jaxpr)
            or any(getattr(v.aval, "weak_type", False) for v in closed.jaxpr.outvars)):
        return _UNSUPPORTED     # (a weakly typed result: device_put would make it strongly typed)
    return closed, traced.out_tree


def _live(jaxpr):
    """``jaxpr`` without the equations no output depends on (a vjp's traced forward keeps the
    forward's own result, unused: ``sum``'s vjp sums its input), or ``jaxpr`` itself where every
    equation is used.  XLA drops them too, so the values computed are the same; what is left may
    be computable here where the dead equations were not."""
    used = {v for v in jaxpr.outvars if type(v) is not _Literal}
    live = []
    for eqn in reversed(jaxpr.eqns):
        if eqn.effects or any(v in used for v in eqn.outvars):
            live.append(eqn)
            used.update(v for v in eqn.invars if type(v) is not _Literal)
    if len(live) == len(jaxpr.eqns):
        return jaxpr
    live.reverse()
    return jaxpr.replace(eqns=live)


def _ok_aval(aval):
    return getattr(aval, "dtype", None) in DTYPES


def _subjaxprs(eqn):
    for p in eqn.params.values():
        if isinstance(p, _core.ClosedJaxpr):
            yield p.jaxpr
        elif isinstance(p, _core.Jaxpr):
            yield p
        elif type(p) is tuple:
            for q in p:
                if isinstance(q, _core.ClosedJaxpr):
                    yield q.jaxpr


# primitives that numpy computes with XLA's bits on floats: they move, select, compare or convert
# values (every float value met is checked not to be subnormal, ``_as``).  (Float arithmetic is left to XLA: its CPU code treats subnormal numbers
# as zero, fuses a product into a following sum, multiplies by the reciprocal of a constant divisor,
# folds x + 0 to x, and has its own transcendental functions; numpy does none of these.)
FLOAT_EXACT = frozenset((
    "broadcast_in_dim", "reshape", "squeeze", "transpose", "rev", "slice", "dynamic_slice",
    "dynamic_update_slice", "concatenate", "pad", "gather", "scatter", "select_n", "copy", "copy_p",
    "stop_gradient", "split", "eq", "ne", "lt", "le", "gt", "ge", "max", "min", "clamp", "reduce_max",
    "reduce_min", "argmax", "argmin", "sort", "abs", "neg", "is_finite", "convert_element_type",
    "jit", "pjit", "closed_call", "custom_jvp_call", "custom_vjp_call", "remat", "checkpoint", "scan",
    "while", "cond"))


def _floaty(v):
    dt = getattr(getattr(v, "aval", None), "dtype", None)
    return isinstance(dt, np.dtype) and dt.kind == "f"


def _supported(jaxpr):
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name not in RULES:
            return False
        for v in eqn.outvars:
            if not _ok_aval(v.aval):
                return False
        for v in eqn.invars:
            if not _ok_aval(v.aval):
                return False
        if any(_floaty(v) for v in eqn.invars) or any(_floaty(v) for v in eqn.outvars):
            if name not in FLOAT_EXACT:
                return False
        if name == "sort" and not eqn.params["is_stable"] and (
                len(eqn.invars) > eqn.params["num_keys"] or any(_floaty(v) for v in eqn.invars)):
            return False        # ties in XLA's unstable sort come out in an order of its own
        if name == "scan" and eqn.params["length"] > MAX_STEPS:
            return False
        for sub in _subjaxprs(eqn):
            if not _supported(sub):
                return False
    return True


def evaluate(jaxpr, consts, args):
    """The outputs of ``jaxpr`` on numpy ``args``."""
    env = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = _as(np.asarray(c), v.aval)
    for v, a in zip(jaxpr.invars, args):
        env[v] = a
    for eqn in jaxpr.eqns:
        ins = [_as(np.asarray(v.val), v.aval) if type(v) is _Literal else env[v] for v in eqn.invars]
        out = RULES[eqn.primitive.name](eqn.params, *ins)
        if eqn.primitive.multiple_results:
            for v, o in zip(eqn.outvars, out):
                env[v] = _as(o, v.aval)
        else:
            env[eqn.outvars[0]] = _as(out, eqn.outvars[0].aval)
    return [_as(np.asarray(v.val), v.aval) if type(v) is _Literal else env[v] for v in jaxpr.outvars]


def _as(x, aval):
    x = np.asarray(x)
    if x.dtype != aval.dtype:
        x = x.astype(aval.dtype)
    if x.shape != aval.shape:
        raise Unsupported(f"shape {x.shape} where {aval.shape} was traced")
    if x.dtype.kind == "f" and x.size:
        # XLA's CPU code treats subnormal inputs as zero and flushes subnormal results to zero, except
        # where its simplifier removed the instruction: a program that meets one is compiled
        a = np.abs(x)
        if np.any((a < np.finfo(x.dtype).tiny) & (a != 0)):
            raise Unsupported("a subnormal number")
    return x


def _closed(p):
    return (p.jaxpr, p.consts) if isinstance(p, _core.ClosedJaxpr) else (p, ())


def _run(p, args):
    j, consts = _closed(p)
    return evaluate(j, consts, list(args))


# ---- rules: (params, *numpy inputs) -> numpy output (or list, for several) ----------------------

RULES = {}


def _unary(name, f):
    RULES[name] = lambda params, x: f(x)


for _n, _f in {"neg": np.negative, "sign": lambda x: _sign(x), "is_finite": np.isfinite, "abs": np.abs,
               "not": np.invert, "stop_gradient": lambda x: x, "copy": np.array, "copy_p": np.array}.items():
    _unary(_n, _f)


def _binary(name, f):
    RULES[name] = lambda params, x, y: f(x, y)


def _fmax(x, y):
    """XLA's ``max``: NaN propagates, and +0 is above -0."""
    r = np.maximum(x, y)
    if r.dtype.kind == "f":
        r = np.where((x == 0) & (y == 0), np.where(np.signbit(x) & np.signbit(y), x, np.zeros((), r.dtype)), r)
    return r


def _fmin(x, y):
    """XLA's ``min``: NaN propagates, and -0 is below +0."""
    r = np.minimum(x, y)
    if r.dtype.kind == "f":
        r = np.where((x == 0) & (y == 0), np.where(np.signbit(x) | np.signbit(y), -np.zeros((), r.dtype), y), r)
    return r


def _sign(x):
    return np.where(x == 0, x, np.sign(x)) if x.dtype.kind == "f" else np.sign(x)


for _n, _f in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "max": _fmax, "min": _fmin,
               "and": np.bitwise_and, "or": np.bitwise_or,
               "xor": np.bitwise_xor, "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
               "gt": np.greater, "ge": np.greater_equal}.items():
    _binary(_n, _f)


def _div(params, x, y):
    # integers only (float arithmetic is compiled); XLA: truncation toward zero; x / 0 is -1 (all bits set); MIN / -1 is MIN
    zero = y == 0
    ys = np.where(zero, 1, y)
    q = np.abs(x) // np.abs(ys) if x.dtype.kind == "u" else _trunc_div(x, ys)
    return np.where(zero, np.array(-1).astype(x.dtype), q)


def _trunc_div(x, y):
    q = np.floor_divide(x, y)
    fix = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return q + fix.astype(q.dtype)


def _rem(params, x, y):
    zero = y == 0
    r = np.fmod(x, np.where(zero, 1, y))
    return np.where(zero, x, r)


def _integer_pow(params, x):
    y = params["y"]
    if y == 0:
        return np.ones_like(x)
    n, acc, base = abs(y), None, x
    while n:
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n:
            base = base * base
    if y < 0:
        raise Unsupported("a negative power of an integer")
    return acc


def _shift(kind):
    def rule(params, x, y):
        bits = x.dtype.itemsize * 8
        big = (y < 0) | (y >= bits)
        ys = np.where(big, 0, y).astype(x.dtype)
        if kind == "left":
            return np.where(big, 0, np.left_shift(x, ys))
        if kind == "arith":         # on the bits as a signed number, for unsigned types too
            sx = x.view(np.dtype(f"int{bits}"))
            r = np.where(big, np.where(sx < 0, -1, 0).astype(sx.dtype), np.right_shift(sx, ys.view(sx.dtype)))
            return r.astype(sx.dtype).view(x.dtype)
        u = x.view(np.dtype(f"uint{bits}"))
        return np.where(big, 0, np.right_shift(u, ys.view(u.dtype)).view(x.dtype))
    return rule


RULES.update(div=_div, rem=_rem, integer_pow=_integer_pow, shift_left=_shift("left"),
             shift_right_arithmetic=_shift("arith"), shift_right_logical=_shift("logical"))


def _convert(params, x):
    to = np.dtype(params["new_dtype"])
    if to == x.dtype:
        return x
    if to.kind == "b":
        return x != 0
    if x.dtype.kind == "f" and to.kind in "iu":
        # XLA saturates: NaN -> 0, out of range -> the nearest bound
        info = np.iinfo(to)
        y = np.trunc(np.where(np.isnan(x), 0, x).astype(np.float64))
        hi, lo = y >= float(info.max), y <= float(info.min)
        mid = np.where(hi | lo, 0, y).astype(to)
        return np.where(hi, info.max, np.where(lo, info.min, mid)).astype(to)
    return x.astype(to)


def _bitcast(params, x):
    to = np.dtype(params["new_dtype"])
    if to.itemsize != x.dtype.itemsize:
        raise Unsupported("bitcast of another width")
    return np.ascontiguousarray(x).view(to)


def _select_n(params, which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    return np.choose(which, cases)


def _clamp(params, lo, x, hi):
    return _fmin(_fmax(x, lo), hi)


def _broadcast_in_dim(params, x, *dyn):
    if dyn:
        raise Unsupported("dynamic shape")
    shape = tuple(params["shape"])
    dims = params["broadcast_dimensions"]
    r = [1] * len(shape)
    for i, d in enumerate(dims):
        r[d] = x.shape[i]
    return np.broadcast_to(x.reshape(r), shape)


def _reshape(params, x, *dyn):
    if dyn or params.get("dimensions") is not None:
        raise Unsupported("reshape with dimensions")
    return np.reshape(x, tuple(params["new_sizes"]))


def _slice(params, x):
    strides = params["strides"] or (1,) * x.ndim
    return x[tuple(slice(s, e, st) for s, e, st in zip(params["start_indices"], params["limit_indices"], strides))]


def _starts(x, sizes, idx):
    return [min(max(int(i), 0), n - s) for i, n, s in zip(idx, x.shape, sizes)]


def _dynamic_slice(params, x, *idx):
    sizes = params["slice_sizes"]
    if len(idx) != x.ndim:
        raise Unsupported("dynamic sizes")
    return x[tuple(slice(s, s + n) for s, n in zip(_starts(x, sizes, idx), sizes))]


def _dynamic_update_slice(params, x, upd, *idx):
    out = np.array(x)
    st = _starts(x, upd.shape, idx)
    out[tuple(slice(s, s + n) for s, n in zip(st, upd.shape))] = upd
    return out


def _pad(params, x, val):
    out = x
    for d, (lo, hi, inner) in enumerate(params["padding_config"]):
        n = out.shape[d]
        if inner and n > 1:
            shape = list(out.shape)
            shape[d] = n + (n - 1) * inner
            spread = np.full(shape, val, out.dtype)
            idx = [slice(None)] * out.ndim
            idx[d] = slice(None, None, inner + 1)
            spread[tuple(idx)] = out
            out = spread
        for amount, at_end in ((lo, False), (hi, True)):
            if amount > 0:
                shape = list(out.shape)
                shape[d] = amount
                block = np.full(shape, val, out.dtype)
                out = np.concatenate((out, block) if at_end else (block, out), axis=d)
            elif amount < 0:
                idx = [slice(None)] * out.ndim
                idx[d] = slice(None, amount) if at_end else slice(-amount, None)
                out = out[tuple(idx)]
    return out


def _iota(params):
    shape, dim = tuple(params["shape"]), params["dimension"]
    r = [1] * len(shape)
    r[dim] = shape[dim]
    return np.broadcast_to(np.arange(shape[dim], dtype=np.dtype(params["dtype"])).reshape(r), shape)


def _reduce(f, identity):
    def rule(params, x, *rest):
        axes = tuple(params["axes"])
        if x.size == 0 and identity is not None:
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
            return np.full(shape, identity(x.dtype), x.dtype)
        return f(x, axis=axes)
    return rule


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (False if dt.kind == "b" else np.iinfo(dt).min)


def _highest(dt):
    return np.inf if dt.kind == "f" else (True if dt.kind == "b" else np.iinfo(dt).max)


def _zero_signed(f, plus):
    """``reduce_max`` (``plus``) / ``reduce_min`` with XLA's signs of zero: the max of zeros is +0
    if any is +0, the min is -0 if any is -0."""
    def red(x, axis):
        r = f(x, axis=axis)
        if x.dtype.kind == "f":
            z = r == 0
            if np.any(z):
                has = np.any((x == 0) & (np.signbit(x) != plus), axis=axis)
                zero = np.zeros((), x.dtype)
                r = np.where(z, np.where(has, zero if plus else -zero, -zero if plus else zero), r)
        return r
    return red


def _sum(x, axis):
    return np.sum(x, axis=axis, dtype=x.dtype)


def _prod(x, axis):
    return np.prod(x, axis=axis, dtype=x.dtype)


def _arg(f):
    def rule(params, x):
        (axis,) = params["axes"]
        return f(x, axis=axis).astype(np.dtype(params["index_dtype"]))
    return rule


def _cumulative(f):
    def rule(params, x):
        axis = params["axis"]
        if params.get("reverse"):
            return np.flip(f(np.flip(x, axis), axis), axis)
        return f(x, axis)
    return rule


RULES.update(
    convert_element_type=_convert, bitcast_convert_type=_bitcast, select_n=_select_n,
    clamp=_clamp, broadcast_in_dim=_broadcast_in_dim, reshape=_reshape,
    squeeze=lambda params, x: np.squeeze(x, axis=tuple(params["dimensions"])),
    transpose=lambda params, x: np.transpose(x, params["permutation"]),
    rev=lambda params, x: np.flip(x, axis=tuple(params["dimensions"])),
    slice=_slice, dynamic_slice=_dynamic_slice, dynamic_update_slice=_dynamic_update_slice,
    concatenate=lambda params, *xs: np.concatenate(xs, axis=params["dimension"]),
    pad=_pad, iota=_iota,
    reduce_sum=_reduce(_sum, None), reduce_prod=_reduce(_prod, None),
    reduce_max=_reduce(_zero_signed(np.max, True), _lowest), reduce_min=_reduce(_zero_signed(np.min, False), _highest),
    reduce_and=_reduce(np.all, None), reduce_or=_reduce(np.any, None),
    argmax=_arg(np.argmax), argmin=_arg(np.argmin),
    cumsum=_cumulative(lambda x, a: np.cumsum(x, axis=a, dtype=x.dtype)),
    cumprod=_cumulative(lambda x, a: np.cumprod(x, axis=a, dtype=x.dtype)),
    cummax=_cumulative(lambda x, a: np.maximum.accumulate(x, axis=a)),
    cummin=_cumulative(lambda x, a: np.minimum.accumulate(x, axis=a)),
)


def _dot_general(params, a, b):
    (ca, cb), (ba, bb) = params["dimension_numbers"]
    fa = [d for d in range(a.ndim) if d not in ca and d not in ba]
    fb = [d for d in range(b.ndim) if d not in cb and d not in bb]
    at = np.transpose(a, list(ba) + fa + list(ca))
    bt = np.transpose(b, list(bb) + list(cb) + fb)
    batch = at.shape[:len(ba)]
    m = int(np.prod([a.shape[d] for d in fa], dtype=np.int64))
    n = int(np.prod([b.shape[d] for d in fb], dtype=np.int64))
    k = int(np.prod([a.shape[d] for d in ca], dtype=np.int64))
    pet = params.get("preferred_element_type")
    dt = np.result_type(a.dtype, b.dtype) if pet is None else np.dtype(pet)
    if dt.kind == "b":
        raise Unsupported("boolean dot")
    r = np.matmul(at.reshape(batch + (m, k)).astype(dt, copy=False), bt.reshape(batch + (k, n)).astype(dt, copy=False))
    return r.reshape(batch + tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))


def _sort(params, *ops):
    dim, nk = params["dimension"], params["num_keys"]
    moved = [np.moveaxis(o, dim, -1) for o in ops]
    if nk == 1:
        perm = np.argsort(moved[0], axis=-1, kind="stable")
    else:
        keys = moved[:nk]
        flat = [k.reshape(-1, k.shape[-1]) for k in keys]
        perm = np.stack([np.lexsort([f[i] for f in reversed(flat)]) for i in range(flat[0].shape[0])])
        perm = perm.reshape(keys[0].shape)
    return [np.moveaxis(np.take_along_axis(o, perm, axis=-1), -1, dim) for o in moved]


def _split(params, x):
    cuts = np.cumsum(params["sizes"])[:-1]
    return np.split(x, cuts, axis=params["axis"])


def _gather_indices(operand_shape, idx, dnums, slice_sizes, mode_fill):
    """Per batch position of ``idx``: the clamped window start in every operand dim, and (fill
    mode) which windows lie wholly inside the operand."""
    if tuple(getattr(dnums, "operand_batching_dims", ())) or tuple(getattr(dnums, "start_indices_batching_dims", ())):
        raise Unsupported("batched gather")
    batch = idx.shape[:-1]
    start = np.zeros(batch + (len(operand_shape),), np.int64)
    for j, d in enumerate(dnums.start_index_map):
        start[..., d] = idx[..., j]
    limit = np.array(operand_shape, np.int64) - np.array(slice_sizes, np.int64)
    ok = None
    if mode_fill:
        ok = np.all((start >= 0) & (start <= limit), axis=-1)
    return np.clip(start, 0, np.maximum(limit, 0)), ok


def _window(operand, start, slice_sizes):
    """``operand``'s windows at ``start`` (batch + (rank,)): shape batch + slice_sizes."""
    nb = start.ndim - 1
    r = operand.ndim
    index = []
    for d in range(r):
        shape = [1] * (nb + r)
        shape[nb + d] = slice_sizes[d]
        index.append(start[..., d].reshape(start.shape[:-1] + (1,) * r) + np.arange(slice_sizes[d]).reshape(shape))
    return tuple(index)


def _is_fill(mode):
    name = getattr(mode, "name", str(mode))
    if "FILL" in name:
        return True
    if "CLIP" in name or "PROMISE" in name:
        return False
    raise Unsupported(f"gather mode {name}")


def _gather(params, operand, idx):
    dn, sizes = params["dimension_numbers"], tuple(params["slice_sizes"])
    fill = _is_fill(params["mode"])
    start, ok = _gather_indices(operand.shape, idx, dn, sizes, fill)
    out = operand[_window(operand, start, sizes)]
    if fill:
        fv = params.get("fill_value")
        if fv is None:
            k = operand.dtype.kind      # JAX's defaults: NaN, the lowest signed, the highest unsigned, True
            fv = (np.nan if k == "f" else np.iinfo(operand.dtype).min if k == "i"
                  else np.iinfo(operand.dtype).max if k == "u" else True)
        out = np.where(ok.reshape(ok.shape + (1,) * len(sizes)), out, np.array(fv).astype(operand.dtype))
    nb = idx.ndim - 1
    out = out.reshape(out.shape[:nb] + tuple(s for d, s in enumerate(sizes) if d not in dn.collapsed_slice_dims))
    # window dims go to ``offset_dims`` of the output, batch dims fill the rest in order
    order, bi, wi = [], 0, nb
    for p in range(out.ndim):
        if p in dn.offset_dims:
            order.append(wi)
            wi += 1
        else:
            order.append(bi)
            bi += 1
    return np.transpose(out, order)


def _scatter(combine):
    def rule(params, operand, idx, upd):
        dn = params["dimension_numbers"]
        if tuple(getattr(dn, "operand_batching_dims", ())) or tuple(getattr(dn, "scatter_indices_batching_dims", ())):
            raise Unsupported("batched scatter")
        mode = getattr(params["mode"], "name", str(params["mode"]))
        fill = "CLIP" not in mode       # FILL_OR_DROP, and XLA's own (PROMISE_IN_BOUNDS): skip a window out of bounds
        nb = idx.ndim - 1
        # update dims: window dims are ``update_window_dims``, the rest are batch dims (in order)
        wdims = tuple(dn.update_window_dims)
        bdims = [d for d in range(upd.ndim) if d not in wdims]
        u = np.transpose(upd, bdims + list(wdims))
        sizes, it = [], iter(u.shape[nb:])
        for d in range(operand.ndim):
            sizes.append(1 if d in dn.inserted_window_dims else next(it))
        u = u.reshape(u.shape[:nb] + tuple(sizes))
        start = np.zeros(idx.shape[:-1] + (operand.ndim,), np.int64)
        for j, d in enumerate(dn.scatter_dims_to_operand_dims):
            start[..., d] = idx[..., j]
        limit = np.array(operand.shape, np.int64) - np.array(sizes, np.int64)
        inside = np.all((start >= 0) & (start <= limit), axis=-1)
        if not fill:
            start = np.clip(start, 0, np.maximum(limit, 0))
            inside = np.ones_like(inside)
        out = np.array(operand)
        keep = inside.reshape(-1)
        s = start.reshape(-1, operand.ndim)[keep]
        uu = u.reshape((-1,) + tuple(sizes))[keep]
        combine(out, _window(out, s, tuple(sizes)), uu)
        return out
    return rule


def _assign(out, index, vals):
    out[index] = vals


def _scan(params, *args):
    nc, ncar, length = params["num_consts"], params["num_carry"], params["length"]
    consts, carry, xs = list(args[:nc]), list(args[nc:nc + ncar]), args[nc + ncar:]
    ys = None
    steps = range(length - 1, -1, -1) if params["reverse"] else range(length)
    for i in steps:
        out = _run(params["jaxpr"], consts + carry + [x[i] for x in xs])
        carry, y = out[:ncar], out[ncar:]
        if ys is None:
            ys = [np.empty((length,) + v.shape, v.dtype) for v in y]
        for buf, v in zip(ys, y):
            buf[i] = v
    if ys is None:
        ys = [np.empty((length,) + tuple(v.aval.shape), v.aval.dtype) for v in params["jaxpr"].jaxpr.outvars[ncar:]]
    return carry + ys


def _while(params, *args):
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cc, bc, carry = list(args[:cn]), list(args[cn:cn + bn]), list(args[cn + bn:])
    steps = 0
    while bool(_run(params["cond_jaxpr"], cc + carry)[0]):
        steps += 1
        if steps > MAX_STEPS:
            raise Unsupported("a long loop")
        carry = _run(params["body_jaxpr"], bc + carry)
    return carry


def _cond(params, which, *ops):
    branches = params["branches"]
    i = int(which)
    return _run(branches[min(max(i, 0), len(branches) - 1)], ops)


def _call(name):
    def rule(params, *args):
        return _run(params[name], args)
    return rule


RULES.update(
    dot_general=_dot_general, sort=_sort, split=_split,
    gather=_gather, scatter=_scatter(_assign),
    **{"scatter-add": _scatter(lambda out, i, v: np.add.at(out, i, v)),
       "scatter_add": _scatter(lambda out, i, v: np.add.at(out, i, v)),
       "scatter-mul": _scatter(lambda out, i, v: np.multiply.at(out, i, v)),
       "scatter_mul": _scatter(lambda out, i, v: np.multiply.at(out, i, v)),
       "scatter-min": _scatter(lambda out, i, v: np.minimum.at(out, i, v)),
       "scatter_min": _scatter(lambda out, i, v: np.minimum.at(out, i, v)),
       "scatter-max": _scatter(lambda out, i, v: np.maximum.at(out, i, v)),
       "scatter_max": _scatter(lambda out, i, v: np.maximum.at(out, i, v))},
    scan=_scan, jit=_call("jaxpr"), pjit=_call("jaxpr"), closed_call=_call("call_jaxpr"),
    custom_jvp_call=_call("call_jaxpr"), custom_vjp_call=_call("call_jaxpr"),
    remat=_call("jaxpr"), checkpoint=_call("jaxpr"),
)
RULES["while"] = _while
RULES["cond"] = _cond
