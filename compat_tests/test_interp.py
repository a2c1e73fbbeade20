"""First calls of a new shape computed on the host (``torchlike/_interp.py``): the same bits as XLA's
compiled program, for every rule, on inputs with NaN, infinities, signed zeros and integer extremes;
torch ops whose first calls (interpreted) and later calls (compiled) agree bit for bit and agree
with PyTorch; and the compilations it saves."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import torchlike
from torchlike import _interp

F32 = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, -0.5, 1.5, np.nan, np.inf, -np.inf, 3e9, -3e9,
                1e-30, 7.25, -7.75, 1e38, 123.456, -0.49999997], np.float32)
I32 = np.array([0, 1, -1, 7, -7, 2, -2, 31, 32, 33, -2 ** 31, 2 ** 31 - 1, 5, -5, 100, 3, -3, 64, 8, -8],
               np.int32)


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if a.dtype.kind == "f":
        assert np.array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}")), (a, b)
    else:
        assert np.array_equal(a, b), (a, b)


def _check(f, *args):
    """``f`` interpreted (it must be supported) gives XLA's bits."""
    jitted = jax.jit(f)
    plan = _interp._trace(jitted, args)
    assert plan is not _interp._UNSUPPORTED, jax.make_jaxpr(f)(*args)
    closed, tree = plan
    leaves = [_interp._as(np.asarray(a), v.aval) for a, v in zip(jax.tree.leaves(args), closed.jaxpr.invars)]
    with np.errstate(all="ignore"):
        got = jax.tree.unflatten(tree, _interp.evaluate(closed.jaxpr, closed.consts, leaves))
    want = jitted(*args)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        _same_bits(g, w)


X = F32.reshape(4, 5)
Y = F32[::-1].copy().reshape(4, 5)
A = I32.reshape(4, 5)
B = I32[::-1].copy().reshape(4, 5)

FLOAT_BINARY = [jax.lax.max, jax.lax.min, jnp.maximum, jnp.minimum, jnp.equal, jnp.less, jnp.greater_equal,
                jnp.not_equal, lambda x, y: jnp.where(x > y, x, y), lambda x, y: jnp.concatenate([x, y], 1)]
FLOAT_UNARY = [jnp.negative, jnp.abs, jnp.isfinite, jnp.isnan, jax.nn.relu,
               lambda x: jnp.clip(x, -1.0, 1.0), lambda x: x.astype(jnp.int32), lambda x: x.astype(jnp.uint8),
               lambda x: x.astype(jnp.int64), lambda x: x.astype(jnp.float64), lambda x: x.astype(bool),
               lambda x: jnp.where(x > 0, x, -x), lambda x: jnp.max(x, axis=1), lambda x: jnp.min(x, axis=0),
               lambda x: jnp.argmax(x, axis=1), lambda x: jnp.argmin(x, axis=0), lambda x: jnp.sort(x, axis=1),
               lambda x: jnp.argsort(x, axis=0), lambda x: x.T[::-1, 1:3], lambda x: jnp.pad(x, ((1, 2), (0, 1))),
               lambda x: jnp.concatenate([x, x[:1]], 0), lambda x: jnp.reshape(x, (5, 4)),
               lambda x: jnp.take(x, jnp.array([3, 0, 3, 1]), axis=0), lambda x: x[jnp.array([0, 2]), jnp.array([4, 1])],
               lambda x: x.at[jnp.array([1, 1, 3])].set(9.0), lambda x: jax.lax.dynamic_slice(x, (1, 2), (2, 2)),
               lambda x: jax.lax.dynamic_update_slice(x, jnp.ones((2, 2), x.dtype), (3, 4)),
               lambda x: jnp.broadcast_to(x[:, :1], (4, 6)), lambda x: jnp.split(x, [1, 3], axis=1)[1],
               lambda x: jnp.where(jnp.isnan(x), 0.0, x).max(), lambda x: jax.lax.stop_gradient(x)[::2]]
INT_BINARY = [jnp.add, jnp.subtract, jnp.multiply, jax.lax.div, jax.lax.rem, jnp.floor_divide, jnp.remainder,
              jnp.maximum, jnp.minimum, jnp.bitwise_and, jnp.bitwise_xor, jax.lax.shift_left,
              jax.lax.shift_right_arithmetic, jax.lax.shift_right_logical, jnp.less_equal]
INT_UNARY = [jnp.negative, jnp.abs, jnp.sign, jnp.invert, lambda a: a ** 3, lambda a: a.sum(axis=1),
             lambda a: a.prod(axis=0), lambda a: jnp.cumsum(a, axis=1), lambda a: a @ a.T,
             lambda a: a.astype(jnp.float32), lambda a: a.astype(jnp.int8), lambda a: a.astype(jnp.uint32),
             lambda a: jnp.sort(a, axis=None), lambda a: a.at[jnp.array([0, 0, 2])].add(5),
             lambda a: jnp.argmax(a, axis=1), lambda a: jnp.iinfo(jnp.int32).max - a,
             lambda a: jnp.arange(20, dtype=jnp.int32).reshape(4, 5) * a]


@pytest.mark.parametrize("f", FLOAT_BINARY)
def test_float_binary_rules_give_xlas_bits(f):
    _check(f, X, Y)
    _check(f, X.astype(np.float64), Y.astype(np.float64))


@pytest.mark.parametrize("f", FLOAT_UNARY)
def test_float_unary_rules_give_xlas_bits(f):
    _check(f, X)


@pytest.mark.parametrize("f", INT_BINARY)
def test_integer_binary_rules_give_xlas_bits(f):
    _check(f, A, B)
    _check(f, A.astype(np.int64), B.astype(np.int64))
    _check(f, A.astype(np.uint8), B.astype(np.uint8))


@pytest.mark.parametrize("f", INT_UNARY)
def test_integer_unary_rules_give_xlas_bits(f):
    _check(f, A)


def test_loops_and_branches_give_xlas_bits():
    def loop(a):
        def body(c, x):
            return c + x, c * x
        return jax.lax.scan(body, a[0], a[1:], reverse=True)
    _check(loop, A)
    _check(lambda a: jax.lax.fori_loop(0, 3, lambda i, c: c * 2 + i, a), A)
    _check(lambda a, i: jax.lax.switch(i, [lambda v: v + 1, lambda v: v - 1, lambda v: -v], a), A, np.int32(5))
    _check(lambda a: jax.lax.cond(a.sum() > 0, lambda v: v, lambda v: v * 3, a), A)


@pytest.mark.parametrize("f", [jnp.exp, jnp.tanh, jax.nn.sigmoid, lambda x: x.sum(), lambda x: x @ x.T,
                               lambda x: x * 2.0 + 1.0, lambda x: jnp.cumsum(x, 0), lambda x: x / 3.0,
                               lambda x: x + 0.0, lambda x: x * x, jnp.round, jnp.floor])
def test_float_arithmetic_is_compiled(f):
    """Float arithmetic is XLA's: its CPU code flushes subnormal numbers, fuses a product into a
    following sum, divides by a constant as a product, folds x + 0, and has its own transcendental
    functions; numpy does none of these.  Never interpreted."""
    assert _interp._trace(jax.jit(f), (X,)) is _interp._UNSUPPORTED


def test_subnormal_numbers_are_left_to_xla():
    """XLA's CPU code flushes subnormal numbers to zero (but not where its simplifier removed the
    instruction): a value that meets one is computed by the compiled program."""
    f = jax.jit(lambda x, y: jnp.maximum(x, y))
    x = np.array([1e-40, 1.0], np.float32)
    y = np.array([-1e-40, 2.0], np.float32)
    _same_bits(_interp.call(f, (x, y)), f(x, y))
    with pytest.raises(_interp.Unsupported):
        closed, _ = _interp._trace(f, (x, y))
        _interp.evaluate(closed.jaxpr, closed.consts, [x, y])


def _ops(T, x, i):
    return [x + 1, x * 2, x - x.flip(0), x / 3, -x, x.abs(), x.sign(), x.floor(), x.round(), x.sqrt(),
            x.exp(), x.sum(1), x @ x.t(), T.clamp(x, -1, 1), T.maximum(x, x.flip(1)), x.relu(), x.max(dim=1).values, x.argmax(dim=0),
            x.sort(dim=1).values, x.argsort(dim=1), x[i], x[:, 1:3].t(), T.cat([x, x[:1]]), T.stack([x, x]),
            T.where(x > 0, x, T.zeros_like(x)), x.to(T.int32), x.to(T.float64), x > 0.5, x.masked_fill(x < 0, 0.0),
            x.gather(1, i[:, None].expand(-1, 3) % 5), i * 3 // 2, i % 3, i.cumsum(0), (i @ i.reshape(1, -1).t()),
            T.nn.functional.embedding(i % 4, x), x.topk(2, dim=1).indices if hasattr(x, "topk") else x]


def test_first_calls_give_the_compiled_bits_and_pytorchs_values():
    """The first two calls of each op at a new shape are interpreted, the third compiled: all three
    agree bit for bit, and with PyTorch."""
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((4, 5)).astype(np.float32)
    xs[0, 0], xs[1, 1], xs[2, 2] = -0.0, 0.0, 2.5
    ix = np.array([3, 0, 2, 1])
    want = _ops(torch, torch.tensor(xs), torch.tensor(ix))
    runs = []
    for _ in range(3):
        with torchlike.no_grad():
            runs.append([np.asarray(t.numpy()) for t in _ops(torchlike, torchlike.tensor(xs), torchlike.tensor(ix))])
    for got in runs[1:]:
        for a, b in zip(runs[0], got):
            _same_bits(a, b)
    for w, g in zip(want, runs[0]):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-6, atol=1e-6)
        assert g.dtype == w.numpy().dtype


def test_new_shapes_compile_nothing_until_they_repeat():
    """A loop whose integer work changes shape every step (a growing index list) runs its first
    sightings without compiling; a shape seen a third time is compiled."""
    from jax import monitoring
    events = []

    def listen(name, secs, **kw):
        if name.endswith("backend_compile_duration"):
            events.append(name)
    monitoring.register_event_duration_secs_listener(listen)
    try:
        base = torchlike.arange(100)
        for n in range(3, 9):          # warm what the loop needs besides the ops under test
            _ = (base[:n] * 3 + 1).tolist()
        events.clear()
        got = [(base[:n] * 7 - 2).max().item() for n in range(20, 26)]
        assert got == [(torch.arange(100)[:n] * 7 - 2).max().item() for n in range(20, 26)]
        assert events == []
        for _ in range(3):
            (base[:40] * 11).sum().item()
        assert events, "a shape seen three times is compiled"
    finally:
        from jax._src import monitoring as _m
        _m.unregister_event_duration_listener(listen)


def test_switch_turns_it_off():
    _interp.ENABLED[0] = False
    try:
        f = jax.jit(lambda a: a + 1)
        assert _interp.call(f, (A,)) is not None
        assert not any(k[0] is f for k in _interp._seen)
    finally:
        _interp.ENABLED[0] = True


def test_under_jax_transformations_the_program_is_traced():
    """Inside ``torchlike.compile`` or ``jax.vmap`` the inputs are tracers: nothing is interpreted."""
    f = jax.jit(lambda a: a * 2 + 1)
    out = jax.vmap(lambda a: _interp.call(f, (a,)))(A)
    _same_bits(out, A * 2 + 1)

    @torchlike.compile
    def g(t):
        return (t[1:] * 3).max()
    assert g(torchlike.arange(7)).item() == 18


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.bool_])
def test_gathers_and_scatters_out_of_bounds_give_xlas_bits(dtype):
    x = (np.arange(12) % 5).astype(dtype).reshape(3, 4)
    idx = np.array([2, 0, 7, -9, 1])
    for mode in ("fill", "clip", "promise_in_bounds"):
        _check(lambda a, i: a.at[i].get(mode=mode), x, idx)
        _check(lambda a, i: a.at[:, i].get(mode=mode), x, idx % 6)
        _check(lambda a, i: a.at[i].set(a[0], mode=mode), x, idx)
        if dtype is not np.bool_ and dtype is not np.float32:
            _check(lambda a, i: a.at[i].add(a[1], mode=mode), x, idx)


def test_integer_division_extremes_give_xlas_bits():
    lo = np.array([-2 ** 31, -2 ** 31, 7, -7, 0], np.int32)
    by = np.array([-1, 1, 0, 0, 0], np.int32)
    for f in (jax.lax.div, jax.lax.rem, jnp.floor_divide, jnp.remainder):
        _check(f, lo, by)
        _check(f, lo.astype(np.int64) * 2 ** 32, by.astype(np.int64))


def test_what_is_left_to_xla():
    """An unstable sort with ties to order, a loop longer than ``MAX_STEPS``, a weakly typed result."""
    ties = np.array([3, 1, 3, 1, 2], np.int32)
    assert _interp._trace(jax.jit(lambda a: jax.lax.sort((a, jnp.arange(5)), is_stable=False, num_keys=1)),
                          (ties,)) is _interp._UNSUPPORTED
    assert _interp._trace(jax.jit(lambda a: jax.lax.sort(a.astype(jnp.float32), is_stable=False)),
                          (ties,)) is _interp._UNSUPPORTED
    assert _interp._trace(jax.jit(lambda a: jnp.sort(a, stable=False)), (ties,)) is not _interp._UNSUPPORTED
    assert _interp._trace(jax.jit(lambda a: jax.lax.scan(lambda c, x: (c + x, c), 0, jnp.arange(5000) + a)[0]),
                          (np.int64(1),)) is _interp._UNSUPPORTED
    long = jax.jit(lambda n: jax.lax.while_loop(lambda c: c < n, lambda c: c + 1, 0))
    _same_bits(_interp.call(long, (np.int64(5000),)), long(np.int64(5000)))
    assert _interp._trace(jax.jit(lambda a: 2), (ties,)) is _interp._UNSUPPORTED


def test_an_error_in_a_rule_hands_the_call_to_xla(monkeypatch):
    f = jax.jit(lambda a: a[::-1] + 1)
    a = np.arange(7, dtype=np.int32)

    def broken(params, x):
        raise IndexError("a rule that cannot compute this")
    monkeypatch.setitem(_interp.RULES, "rev", broken)
    _same_bits(_interp.call(f, (a,)), f(a))


def test_equations_no_output_depends_on_are_dropped_first():
    """A vjp traces the forward too (``sum``'s vjp sums its input, a float reduction left to XLA)
    but returns only what moves the cotangent: the dead equations are dropped before deciding, so
    it is computed here, with XLA's bits; an unused float product alone does not force a compile."""
    x = jnp.asarray(F32[np.isfinite(F32)])
    ct = jnp.float32(1.5)
    vjp_of_sum = lambda a, g: jax.vjp(lambda v: jnp.sum(v.astype(jnp.float64)).astype(jnp.float32), a)[1](g)
    _check(vjp_of_sum, x, ct)
    _check(lambda a, b: ((a * b), jnp.where(a > b, a, b))[1], x, x[::-1])
    live = _interp._live(jax.make_jaxpr(vjp_of_sum)(x, ct).jaxpr)
    assert not any(e.primitive.name == "reduce_sum" for e in live.eqns)
