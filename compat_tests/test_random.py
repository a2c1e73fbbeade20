"""Randomness: the contract, not the values.

torchlike's streams come from JAX's PRNG, so sampled values cannot equal
PyTorch's (docs/differences.md).  What is compared with PyTorch: shapes, dtypes,
requires_grad/grad_fn, value ranges, distribution statistics and errors; and
what is checked on torchlike's own: same seed -> same values, generators are
independent streams, and saving/restoring the state replays the draws.
"""
import math

import numpy as np
import pytest
import torch

import torchlike
from harness import same


def _like(t):
    """What can be compared across libraries for a random tensor."""
    return (t.dtype, tuple(t.shape), t.requires_grad, None if t.grad_fn is None else type(t.grad_fn).__name__,
            repr(t.device))


SAMPLERS = {
    "rand": lambda T, g=None: T.rand(2, 3, generator=g),
    "rand_size": lambda T, g=None: T.rand((4,), generator=g, dtype=T.float64),
    "randn": lambda T, g=None: T.randn(3, 2, generator=g),
    "randn_complex": lambda T, g=None: T.randn(3, dtype=T.complex64, generator=g),
    "randint": lambda T, g=None: T.randint(0, 10, (5,), generator=g),
    "randint_high": lambda T, g=None: T.randint(7, (2, 2), generator=g, dtype=T.int32),
    "randperm": lambda T, g=None: T.randperm(10, generator=g),
    "normal": lambda T, g=None: T.normal(2.0, 3.0, size=(4,), generator=g),
    "normal_tensors": lambda T, g=None: T.normal(T.zeros(2, 3), T.ones(3), generator=g),
    "bernoulli": lambda T, g=None: T.bernoulli(T.full((6,), 0.5), generator=g),
    "multinomial": lambda T, g=None: T.multinomial(T.tensor([0.1, 0.2, 0.7]), 2, generator=g),
    "multinomial_rows": lambda T, g=None: T.multinomial(T.ones(3, 5), 4, replacement=True, generator=g),
    "rand_like": lambda T, g=None: T.rand_like(T.ones(2, 2, dtype=T.float64), generator=g),
    "randn_like": lambda T, g=None: T.randn_like(T.ones(3), generator=g),
    "randint_like": lambda T, g=None: T.randint_like(T.ones(3, dtype=T.int32), 2, 9, generator=g),
    "uniform_": lambda T, g=None: T.empty(5).uniform_(-2, 3, generator=g),
    "normal_": lambda T, g=None: T.empty(5).normal_(1, 2, generator=g),
    "bernoulli_": lambda T, g=None: T.empty(5).bernoulli_(0.3, generator=g),
    "random_": lambda T, g=None: T.empty(5, dtype=T.int64).random_(0, 100, generator=g),
    "exponential_": lambda T, g=None: T.empty(5).exponential_(2.0, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_shapes_and_dtypes_match_torch(name):
    same(lambda T: _like(SAMPLERS[name](T)))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_manual_seed_reproducible(name):
    fn = SAMPLERS[name]
    torchlike.manual_seed(1234)
    a = fn(torchlike).tolist()
    b = fn(torchlike).tolist()
    torchlike.manual_seed(1234)
    assert fn(torchlike).tolist() == a
    assert fn(torchlike).tolist() == b
    torchlike.manual_seed(4321)
    c, d = fn(torchlike).tolist(), fn(torchlike).tolist()
    if name not in ("multinomial",):        # 2 draws from 3 categories can repeat by chance
        assert (c, d) != (a, b)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_generator_objects(name):
    fn = SAMPLERS[name]
    g1 = torchlike.Generator().manual_seed(3)
    first = fn(torchlike, g1).tolist()
    torchlike.manual_seed(0)
    fn(torchlike)                                 # draws from the default generator do not disturb g1
    second = fn(torchlike, g1).tolist()
    g2 = torchlike.Generator().manual_seed(3)
    assert fn(torchlike, g2).tolist() == first
    assert fn(torchlike, g2).tolist() == second


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_rng_state_round_trip(name):
    fn = SAMPLERS[name]
    torchlike.manual_seed(7)
    fn(torchlike)
    state = torchlike.get_rng_state()
    a, b = fn(torchlike).tolist(), fn(torchlike).tolist()
    torchlike.set_rng_state(state)
    assert fn(torchlike).tolist() == a
    assert fn(torchlike).tolist() == b
    g = torchlike.Generator().manual_seed(5)
    gs = g.get_state()
    x = fn(torchlike, g).tolist()
    assert fn(torchlike, g.set_state(gs)).tolist() == x


def test_batched_draw_seeds_are_the_one_by_one_seeds():
    """A draw's seed comes from a batch of counters folded in by one program (``Generator._draw_seed``):
    the same bits as folding each counter in on its own, across batch boundaries, after ``set_state``
    and ``manual_seed``, and where the 32-bit counter wraps; the stream a seed gives does not depend on
    where the batch began."""
    from torchlike import _random
    g = torchlike.Generator().manual_seed(11)
    for start in (0, 5, 2 ** 32 - 70, 2 ** 32 + 3):
        g._count = start
        for _ in range(2 * _random._SEED_BATCH + 3):
            n = g._count
            want = np.asarray(_random._seed_program(g._key, np.uint32(n & 0xFFFFFFFF)))
            assert np.array_equal(g._draw_seed(), want)
            assert g._count == n + 1
    state = g.get_state()
    a = torchlike.rand(5, generator=g).tolist()
    torchlike.rand(3, generator=g)
    b = torchlike.rand(5, generator=g.set_state(state)).tolist()
    c = torchlike.rand(5, generator=torchlike.Generator().set_state(state)).tolist()
    assert a == b == c
    g.manual_seed(11)
    g2 = torchlike.Generator().manual_seed(11)
    torchlike.rand(1, generator=g2)             # g2's batch starts one counter earlier than g's
    g2.manual_seed(11)
    torchlike.rand(1, generator=g2)
    g.manual_seed(11)
    torchlike.rand(1, generator=g)
    assert torchlike.randint(0, 1000, (8,), generator=g).tolist() == \
        torchlike.randint(0, 1000, (8,), generator=g2).tolist()


def test_generator_api():
    def f(T):
        g = T.Generator()
        out = [repr(g.device), g.initial_seed(), type(g.manual_seed(3)).__name__, g.manual_seed(3) is g,
               g.initial_seed(), type(T.manual_seed(1)).__name__, T.manual_seed(1) is T.default_generator,
               T.initial_seed(), T.manual_seed(-1).initial_seed(), T.manual_seed(2 ** 64 - 1).initial_seed(),
               T.manual_seed(1.5).initial_seed(), type(T.seed()).__name__, type(g.seed()).__name__,
               T.get_rng_state().dtype, T.get_rng_state().shape, g.get_state().shape, g.set_state(g.get_state()) is g,
               repr(T.Generator(device="cpu").device), repr(T.Generator(T.device("cpu")).device)]
        s = T.seed()
        out.append(T.initial_seed() == s)
        return out
    same(f)


@pytest.mark.parametrize("case", ["seed_big", "seed_str", "set_small", "set_float", "gen_cuda", "rand_gen_pos",
                                  "set_list"])
def test_generator_errors(case):
    def f(T):
        return {"seed_big": lambda: T.manual_seed(2 ** 64), "seed_str": lambda: T.manual_seed("a"),
                "set_small": lambda: T.set_rng_state(T.zeros(3, dtype=T.uint8)),
                "set_float": lambda: T.set_rng_state(T.zeros(5056)), "gen_cuda": lambda: T.Generator(device="cuda"),
                "rand_gen_pos": lambda: T.rand(2, T.Generator()),
                "set_list": lambda: T.set_rng_state([0] * 5056)}[case]()
    same(f)
    torchlike.manual_seed(0)


def test_seed_is_fresh_each_call():
    assert torchlike.seed() != torchlike.seed()
    s = torchlike.seed()
    a = torchlike.rand(4).tolist()
    torchlike.manual_seed(s)
    assert torchlike.rand(4).tolist() == a


# ---- argument forms ------------------------------------------------------------------------

def test_argument_forms_match_torch():
    def f(T):
        return [_like(x) for x in (
            T.rand(size=(2, 3)), T.rand([2]), T.rand(T.Size([1, 2])), T.rand(()), T.rand(0), T.rand(2, dtype=T.float16),
            T.rand(2, dtype=T.bfloat16), T.rand(2, dtype=T.complex64), T.rand(2, requires_grad=True),
            T.randn(2, dtype=T.float64, requires_grad=True), T.randn(size=(3,)), T.randint(3, (2,)),
            T.randint(0, 10, (2,), dtype=T.float32), T.randint(0, 2, (3,), dtype=T.bool),
            T.randint(0, 5, (3,), dtype=T.float32, requires_grad=True), T.randint(-5, 5, [2, 2]), T.randint(3, size=(2,)),
            T.randint(1, 3, size=(2,)), T.randperm(4, dtype=T.float32), T.randperm(0), T.randperm(1),
            T.normal(T.zeros(2, 3), 1.), T.normal(2., T.ones(3)), T.normal(T.zeros(2, 1), T.ones(3)), T.normal(T.zeros(3)),
            T.normal(0., 1., size=(2,), dtype=T.float64), T.normal(0., 1., (2,), requires_grad=True),
            T.normal(T.zeros(2, dtype=T.float64), 1.), T.bernoulli(T.zeros(3), p=0.7),
            T.bernoulli(T.full((3,), 0.5, dtype=T.float64)), T.multinomial(T.ones(3, 4), 2),
            T.multinomial(T.tensor([0.5, 0.5]), 5, replacement=True), T.randint_like(T.ones(2, 3), 5),
            T.randint_like(T.ones(2, dtype=T.int32), 2, 5), T.rand_like(T.ones(2), dtype=T.float64),
            T.randn_like(T.ones(2), requires_grad=True), T.poisson(T.ones(3) * 2),
            T.empty(3, dtype=T.float16).random_(), T.empty(3, dtype=T.bool).random_(),
            T.empty(3, dtype=T.int64).bernoulli_(0.5), T.empty(3).bernoulli_(T.tensor([0., 1., 1.])),
            T.empty(3).cauchy_(), T.empty(3).log_normal_(), T.empty(3).geometric_(0.5))]
    same(f)


def test_samplers_with_grad_record_torch_nodes():
    def f(T):
        m = T.zeros(2, requires_grad=True)
        s = T.ones(2, requires_grad=True)
        p = T.full((3,), 0.5, requires_grad=True)
        outs = [T.normal(m, 1.), T.normal(0., s), T.normal(m, s), T.normal(m), T.bernoulli(p)]
        names = [(type(o.grad_fn).__name__, [(type(n).__name__, i) for n, i in o.grad_fn.next_functions])
                 for o in outs]
        sum(o.sum() for o in outs).backward()
        return names, m.grad, s.grad, p.grad, [_like(o) for o in outs]
    same(f)


def test_in_place_sampler_on_leaf_requiring_grad():
    same(lambda T: T.ones(2, requires_grad=True).uniform_())
    same(lambda T: T.ones(2, requires_grad=True).normal_())


# ---- value ranges ---------------------------------------------------------------------------

def test_value_ranges():
    torchlike.manual_seed(0)
    T = torchlike
    r = T.rand(10000).numpy()
    assert r.min() >= 0 and r.max() < 1
    for dt in (T.float16, T.bfloat16, T.float64):
        x = T.rand(20000, dtype=dt).float().numpy()
        assert x.min() >= 0 and x.max() < 1, dt
    ri = T.randint(-3, 4, (10000,)).numpy()
    assert ri.min() == -3 and ri.max() == 3
    assert set(np.unique(T.randint(0, 2, (200,), dtype=T.bool).numpy()).tolist()) == {False, True}
    for n in (1, 7, 100):
        assert sorted(T.randperm(n).tolist()) == list(range(n))
    for _ in range(20):
        m = T.multinomial(T.tensor([0.1, 0.2, 0.3, 0.4, 0.0, 1.0]), 5).tolist()
        assert len(set(m)) == 5 and 4 not in m
    rows = T.multinomial(T.rand(4, 8) + 0.01, 8).numpy()
    assert all(sorted(r.tolist()) == list(range(8)) for r in rows)
    b = T.bernoulli(T.full((1000,), 0.5)).numpy()
    assert set(np.unique(b).tolist()) == {0.0, 1.0}
    assert T.bernoulli(T.zeros(100)).sum().item() == 0 and T.bernoulli(T.ones(100)).sum().item() == 100
    u = T.empty(10000).uniform_(-2, 3).numpy()
    assert u.min() >= -2 and u.max() < 3
    ri = T.empty(10000, dtype=T.int64).random_(5, 9).numpy()
    assert ri.min() == 5 and ri.max() == 8
    for dt, hi in ((T.uint8, 255), (T.int8, 127), (T.float16, 2 ** 11), (T.bfloat16, 2 ** 8), (T.float32, 2 ** 24)):
        v = T.empty(20000, dtype=dt).random_().float().numpy()
        assert v.min() >= 0 and v.max() <= hi and v.max() > hi * 0.9 and np.all(v == np.round(v)), dt
    assert (T.empty(1000).exponential_().numpy() > 0).all()
    g = T.empty(1000).geometric_(0.3).numpy()
    assert g.min() >= 1 and np.all(g == np.round(g))


# ---- statistics ------------------------------------------------------------------------------

N = 100_000

STATS = {
    "rand": lambda T: T.rand(N),
    "randn": lambda T: T.randn(N),
    "randn_f64": lambda T: T.randn(N, dtype=T.float64),
    "normal": lambda T: T.normal(3.0, 2.0, size=(N,)),
    "normal_tensor": lambda T: T.normal(T.full((N,), -1.0), T.full((N,), 0.5)),
    "randint": lambda T: T.randint(0, 10, (N,)).double(),
    "bernoulli": lambda T: T.bernoulli(T.full((N,), 0.3)),
    "uniform_": lambda T: T.empty(N).uniform_(-1, 3),
    "normal_": lambda T: T.empty(N).normal_(5, 0.1),
    "exponential_": lambda T: T.empty(N).exponential_(2.0),
    "bernoulli_": lambda T: T.empty(N).bernoulli_(0.8),
    "randn_complex_real": lambda T: T.randn(N, dtype=T.complex64).real,
    "rand_f16": lambda T: T.rand(N, dtype=T.float16).float(),
    "log_normal_": lambda T: T.empty(N).log_normal_(0.0, 0.25),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_distribution_statistics(name):
    """Mean and standard deviation of 100k samples agree with PyTorch's (both near the theoretical values)."""
    torch.manual_seed(0)
    torchlike.manual_seed(0)
    e = STATS[name](torch).double().numpy()
    a = STATS[name](torchlike).double().numpy()
    std = e.std()
    tol = 6 * std / math.sqrt(N) + 1e-12
    assert abs(a.mean() - e.mean()) < 2 * tol, (a.mean(), e.mean())
    assert abs(a.std() - std) < 0.02 * std + 1e-12, (a.std(), std)


def test_multinomial_frequencies():
    probs = [0.1, 0.2, 0.3, 0.4]
    torchlike.manual_seed(0)
    s = torchlike.multinomial(torchlike.tensor(probs), N, replacement=True).numpy()
    freq = np.bincount(s, minlength=4) / N
    np.testing.assert_allclose(freq, probs, atol=0.01)
    first = np.array([torchlike.multinomial(torchlike.tensor(probs), 2).tolist()[0] for _ in range(2000)])
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 2000, probs, atol=0.04)


def test_randperm_is_uniform():
    torchlike.manual_seed(0)
    firsts = np.array([torchlike.randperm(5)[0].item() for _ in range(2000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=5) / 2000, [0.2] * 5, atol=0.04)


# ---- errors ------------------------------------------------------------------------------------

ERRORS = {
    "rand_int": lambda T: T.rand(2, dtype=T.int64), "rand_bool": lambda T: T.rand(2, dtype=T.bool),
    "randn_int": lambda T: T.randn(2, dtype=T.int64), "rand_neg": lambda T: T.rand(-1), "randn_neg": lambda T: T.randn(2, -1),
    "rand_float_size": lambda T: T.rand(2.0),
    "randint_eq": lambda T: T.randint(5, 5, (2,)), "randint_gt": lambda T: T.randint(5, 2, (2,)),
    "randint_nosize": lambda T: T.randint(3), "randint_int_size": lambda T: T.randint(0, 5, 3),
    "randint_u8": lambda T: T.randint(0, 300, (3,), dtype=T.uint8), "randint_neg_u8": lambda T: T.randint(-1, 5, (3,), dtype=T.uint8),
    "randint_neg_size": lambda T: T.randint(0, 5, (-1,)), "randint_float": lambda T: T.randint(0.5, 5.5, (3,)),
    "randint_bool": lambda T: T.randint(0, 3, (3,), dtype=T.bool),
    "randint_grad_int": lambda T: T.randint(0, 5, (3,), requires_grad=True),
    "randperm_neg": lambda T: T.randperm(-1), "randperm_float": lambda T: T.randperm(2.5),
    "normal_neg": lambda T: T.normal(0., -1., size=(2,)), "normal_t_neg": lambda T: T.normal(T.zeros(2), T.tensor([1., -1.])),
    "normal_f_neg": lambda T: T.normal(T.zeros(2), -1.), "normal_nosize": lambda T: T.normal(0., 1.),
    "normal_int_mean": lambda T: T.normal(T.zeros(2, dtype=T.int64), 1.),
    "bern_bad": lambda T: T.bernoulli(T.tensor([1.5])), "bern_neg": lambda T: T.bernoulli(T.tensor([-0.5])),
    "bern_int": lambda T: T.bernoulli(T.ones(3, dtype=T.int64)), "bern_p_bad": lambda T: T.bernoulli(T.zeros(2), p=2.0),
    "mn_neg": lambda T: T.multinomial(T.tensor([0.5, -0.1]), 1), "mn_many": lambda T: T.multinomial(T.tensor([0.5, 0.5]), 3),
    "mn_zero": lambda T: T.multinomial(T.tensor([0., 0.]), 1), "mn_int": lambda T: T.multinomial(T.tensor([1, 2]), 1),
    "mn_n0": lambda T: T.multinomial(T.tensor([1., 2.]), 0), "mn_3d": lambda T: T.multinomial(T.ones(2, 2, 2), 1),
    "mn_nan": lambda T: T.multinomial(T.tensor([float("nan"), 1.]), 1), "mn_0d": lambda T: T.multinomial(T.tensor(1.), 1),
    "mn_inf": lambda T: T.multinomial(T.tensor([float("inf"), 1.]), 1),
    "rand_like_int": lambda T: T.rand_like(T.ones(2, dtype=T.int64)), "randn_like_int": lambda T: T.randn_like(T.ones(2, dtype=T.int64)),
    "randint_like_bad": lambda T: T.randint_like(T.ones(2), 5, 5), "rand_like_list": lambda T: T.rand_like([1., 2.]),
    "uniform_bad": lambda T: T.ones(2).uniform_(2, 1), "uniform_int": lambda T: T.ones(2, dtype=T.int64).uniform_(),
    "uniform_nan": lambda T: T.ones(2).uniform_(float("nan"), 1), "uniform_huge": lambda T: T.ones(2).uniform_(-1e39, 1),
    "normal_int": lambda T: T.ones(2, dtype=T.int64).normal_(), "normal_neg_": lambda T: T.ones(2).normal_(0, -1),
    "exp_neg": lambda T: T.ones(2).exponential_(-1), "exp_zero": lambda T: T.ones(2).exponential_(0),
    "exp_int": lambda T: T.ones(2, dtype=T.int64).exponential_(),
    "random_bad": lambda T: T.ones(2).random_(5, 5), "random_bool_to": lambda T: T.ones(2, dtype=T.bool).random_(5),
    "random_u8_from": lambda T: T.ones(2, dtype=T.uint8).random_(-3, 5), "random_u8_to": lambda T: T.ones(2, dtype=T.uint8).random_(0, 300),
    "random_f16_to": lambda T: T.ones(2, dtype=T.float16).random_(0, 70000),
    "bern__bad": lambda T: T.ones(3).bernoulli_(1.5), "bern__tensor_bad": lambda T: T.ones(2).bernoulli_(T.tensor([0.5, 2.0])),
    "cauchy_int": lambda T: T.ones(2, dtype=T.int64).cauchy_(), "geometric_bad": lambda T: T.ones(2).geometric_(1.5),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    same(lambda T: ERRORS[name](T))
