"""torch.distributions: densities, moments, entropies, KL, transforms and validation against PyTorch.

Random streams differ from PyTorch's, so sampling is checked by shape, dtype,
support, reproducibility under ``manual_seed`` and moments over many draws;
everything deterministic is compared value by value, with gradients.
"""
import math

import numpy as np
import pytest
import torch

import torchlike
from harness import same, same_message

RTOL, ATOL = 2e-5, 2e-5


def t(T, x, grad=False, dtype=None):
    return T.tensor(np.asarray(x, dtype=np.float32), requires_grad=grad, dtype=dtype)


POS = [0.7, 1.3, 2.5]
POS2 = [1.5, 0.4, 3.0]
REAL = [-0.5, 0.2, 1.7]
PROB = [0.2, 0.5, 0.9]
PROBS2D = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
COV = [[2.0, 0.3], [0.3, 1.0]]

# name -> (params builder: T -> kwargs with grad leaves, value builder: T -> tensor inside the support)
CASES = {
    "Normal": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True)), lambda T: t(T, [0.1, -1.0, 2.0])),
    "Laplace": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True)), lambda T: t(T, [0.1, -1.0, 2.0])),
    "Cauchy": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True)), lambda T: t(T, [0.1, -1.0, 2.0])),
    "Uniform": (lambda T: dict(low=t(T, REAL, True), high=t(T, [1.0, 2.0, 3.0], True)),
                lambda T: t(T, [0.0, 1.0, 2.5])),
    "Exponential": (lambda T: dict(rate=t(T, POS, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "Gamma": (lambda T: dict(concentration=t(T, POS, True), rate=t(T, POS2, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "Chi2": (lambda T: dict(df=t(T, POS, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "Beta": (lambda T: dict(concentration1=t(T, POS, True), concentration0=t(T, POS2, True)),
             lambda T: t(T, [0.1, 0.5, 0.8])),
    "LogNormal": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "HalfNormal": (lambda T: dict(scale=t(T, POS, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "HalfCauchy": (lambda T: dict(scale=t(T, POS, True)), lambda T: t(T, [0.1, 1.0, 2.0])),
    "StudentT": (lambda T: dict(df=t(T, [3.0, 5.0, 1.5], True), loc=t(T, REAL, True), scale=t(T, POS, True)),
                 lambda T: t(T, [0.1, -1.0, 2.0])),
    "Gumbel": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True)), lambda T: t(T, [0.1, -1.0, 2.0])),
    "Pareto": (lambda T: dict(scale=t(T, [0.5, 1.0, 0.2], True), alpha=t(T, [1.5, 3.0, 2.5], True)),
               lambda T: t(T, [0.6, 1.5, 2.0])),
    "Weibull": (lambda T: dict(scale=t(T, POS, True), concentration=t(T, POS2, True)),
                lambda T: t(T, [0.1, 1.0, 2.0])),
    "Kumaraswamy": (lambda T: dict(concentration1=t(T, POS, True), concentration0=t(T, POS2, True)),
                    lambda T: t(T, [0.1, 0.5, 0.8])),
    "InverseGamma": (lambda T: dict(concentration=t(T, [1.5, 2.5, 3.0], True), rate=t(T, POS2, True)),
                     lambda T: t(T, [0.1, 1.0, 2.0])),
    "FisherSnedecor": (lambda T: dict(df1=t(T, [1.5, 3.0, 5.0], True), df2=t(T, [5.0, 6.0, 7.0], True)),
                       lambda T: t(T, [0.1, 1.0, 2.0])),
    "VonMises": (lambda T: dict(loc=t(T, REAL, True), concentration=t(T, POS, True)),
                 lambda T: t(T, [0.1, -1.0, 2.0])),
    "GeneralizedPareto": (lambda T: dict(loc=t(T, REAL, True), scale=t(T, POS, True),
                                         concentration=t(T, [0.3, -0.2, 0.1], True)),
                          lambda T: t(T, [0.1, 0.5, 2.0])),
    "Bernoulli": (lambda T: dict(probs=t(T, PROB, True)), lambda T: t(T, [0.0, 1.0, 1.0])),
    "ContinuousBernoulli": (lambda T: dict(probs=t(T, [0.2, 0.4996, 0.9], True)), lambda T: t(T, [0.1, 0.5, 0.8])),
    "Geometric": (lambda T: dict(probs=t(T, PROB, True)), lambda T: t(T, [0.0, 3.0, 1.0])),
    "Poisson": (lambda T: dict(rate=t(T, POS, True)), lambda T: t(T, [0.0, 3.0, 1.0])),
    "Binomial": (lambda T: dict(total_count=5, probs=t(T, PROB, True)), lambda T: t(T, [0.0, 3.0, 5.0])),
    "NegativeBinomial": (lambda T: dict(total_count=t(T, [2.0, 3.5, 1.0]), probs=t(T, PROB[:2] + [0.4], True)),
                         lambda T: t(T, [0.0, 3.0, 1.0])),
    "Categorical": (lambda T: dict(probs=t(T, PROBS2D, True)), lambda T: T.tensor([2, 0])),
    "OneHotCategorical": (lambda T: dict(logits=t(T, PROBS2D, True)), lambda T: t(T, [[0, 0, 1], [1, 0, 0]])),
    "Multinomial": (lambda T: dict(total_count=4, probs=t(T, PROBS2D, True)), lambda T: t(T, [[1, 1, 2], [4, 0, 0]])),
    "Dirichlet": (lambda T: dict(concentration=t(T, [[0.5, 1.5, 2.0], [3.0, 1.0, 0.7]], True)),
                  lambda T: t(T, [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
    "MultivariateNormal": (lambda T: dict(loc=t(T, [0.5, -0.3], True), covariance_matrix=t(T, COV, True)),
                           lambda T: t(T, [[0.1, 0.2], [1.0, -1.0]])),
    "LowRankMultivariateNormal": (lambda T: dict(loc=t(T, [0.5, -0.3], True),
                                                 cov_factor=t(T, [[0.5], [1.0]], True),
                                                 cov_diag=t(T, [1.0, 0.5], True)),
                                  lambda T: t(T, [[0.1, 0.2], [1.0, -1.0]])),
    "RelaxedBernoulli": (lambda T: dict(temperature=t(T, 0.5), probs=t(T, PROB, True)),
                         lambda T: t(T, [0.1, 0.5, 0.8])),
    "RelaxedOneHotCategorical": (lambda T: dict(temperature=t(T, 0.7), probs=t(T, PROBS2D, True)),
                                 lambda T: t(T, [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])),
    "LogisticNormal": (lambda T: dict(loc=t(T, [0.3, -0.2], True), scale=t(T, [1.0, 0.5], True)),
                       lambda T: t(T, [0.2, 0.3, 0.5])),
}


def build(T, name):
    return getattr(T.distributions, name)(**CASES[name][0](T))


def _call(d, what, value=None):
    if what in ("mean", "variance", "stddev", "mode"):
        return getattr(d, what)
    if what in ("entropy",):
        return d.entropy()
    return getattr(d, what)(value)


WHATS = ["log_prob", "entropy", "mean", "variance", "mode", "cdf"]
# PyTorch does not differentiate igamma in its first argument (its backward raises): their cdf compares values
NO_CDF_GRAD = ("Gamma", "Chi2", "InverseGamma")


def _values_and_grads(T, name):
    """For each of WHATS: its result and the gradients of its (finite part's) sum with respect to every
    parameter that requires grad; "NotImplementedError" where the distribution does not implement it.
    One distribution serves every quantity, so its setup runs once."""
    kw = CASES[name][0](T)
    d = getattr(T.distributions, name)(**kw)
    leaves = [v for v in kw.values() if isinstance(v, T.Tensor) and v.requires_grad]
    results = {}
    for what in WHATS:
        try:
            out = _call(d, what, CASES[name][1](T))
        except NotImplementedError:
            results[what] = "NotImplementedError"
            continue
        results[what] = [out.detach()]
        if what == "cdf" and name in NO_CDF_GRAD:
            continue
        finite = T.where(T.isfinite(out), out, T.zeros_like(out))
        if finite.requires_grad:
            gs = T.autograd.grad(finite.sum(), leaves, allow_unused=True, retain_graph=True)
            results[what] += [g if g is not None else T.zeros_like(x) for g, x in zip(gs, leaves)]
    return results


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients(name):
    """log_prob, entropy, mean, variance, mode and cdf with their gradients (or NotImplementedError in both)."""
    same(lambda T: _values_and_grads(T, name), rtol=RTOL, atol=ATOL, check_grad_fn=False)


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Cauchy", "Uniform", "Exponential", "HalfNormal",
                                  "HalfCauchy", "Gumbel", "LogNormal", "GeneralizedPareto"])
def test_icdf(name):
    same(lambda T: build(T, name).icdf(t(T, [0.1, 0.5, 0.8])), rtol=RTOL, atol=ATOL, check_grad_fn=False)


def test_log_prob_grad_fn_names():
    for name in ["Normal", "Exponential", "Poisson", "Categorical"]:
        same(lambda T: build(T, name).log_prob(CASES[name][1](T)), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_repr_and_expand(name):
    def fn(T):
        d = build(T, name)
        e = d.expand((4,) + tuple(d.batch_shape))
        return [tuple(d.batch_shape), tuple(d.event_shape), tuple(e.batch_shape), tuple(e.event_shape),
                d.has_rsample, d.has_enumerate_support, repr(d.support) if name != "Uniform" else "",
                type(e).__name__, e.log_prob(CASES[name][1](T)).detach()]
    same(fn, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["Normal", "Exponential", "Bernoulli", "Categorical", "MultivariateNormal",
                                  "Dirichlet", "Independent"])
def test_repr(name):
    def fn(T):
        D = T.distributions
        if name == "Independent":
            return repr(D.Independent(D.Normal(T.zeros(3), 1.0), 1))
        return [repr(build(T, name)), repr(getattr(D, name)(**{k: v.detach()[..., :1] if isinstance(v, T.Tensor)
                                                               and name in ("Normal", "Exponential", "Bernoulli")
                                                               else v for k, v in CASES[name][0](T).items()}))]
    same(fn)
    same(lambda T: [repr(T.distributions.Normal(0.0, 1.0)), repr(T.distributions.Bernoulli(logits=T.tensor(0.3)))])


# ---- sampling --------------------------------------------------------------------------------------
# Every sampling test draws SAMPLE_N at a time (the moment tests MOMENT_CHUNKS such draws): one sample shape
# per distribution, so the samplers, and the ops on their draws, compile once for all the tests; the
# bucketed gamma/binomial samplers pad up to 1024 elements, which SAMPLE_N draws of every case fit.
SAMPLE_N = 160
MOMENT_CHUNKS = 16

@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shape_dtype_support_and_seed(name):
    def fn(T):
        d = build(T, name)
        x = d.sample((SAMPLE_N,))
        ok = bool(d.support.check(x).all()) if name != "LogisticNormal" else True
        r = None
        if d.has_rsample:
            r = d.rsample((SAMPLE_N,))
            r = (tuple(r.shape), r.requires_grad)
        return [tuple(x.shape), str(x.dtype), x.requires_grad, ok, r]
    same(fn)
    D = torchlike.distributions
    torchlike.manual_seed(3)
    a = build(torchlike, name).sample((SAMPLE_N,))
    torchlike.manual_seed(3)
    b = build(torchlike, name).sample((SAMPLE_N,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert D is torchlike.distributions


MOMENTS = ["Normal", "Laplace", "Uniform", "Exponential", "Gamma", "Chi2", "Beta", "LogNormal", "HalfNormal",
           "Gumbel", "Weibull", "Kumaraswamy", "Bernoulli", "Geometric", "Poisson", "Binomial", "NegativeBinomial",
           "Dirichlet", "MultivariateNormal", "LowRankMultivariateNormal", "VonMises", "InverseGamma",
           "Multinomial", "Pareto", "ContinuousBernoulli"]


@pytest.mark.parametrize("name", MOMENTS)
def test_sample_moments(name):
    torchlike.manual_seed(0)
    d = build(torchlike, name)
    x = np.concatenate([d.sample((SAMPLE_N,)).double().numpy() for _ in range(MOMENT_CHUNKS)])
    n = len(x)
    ref = build(torch, name)
    mean = ref.mean.detach().double().numpy()
    var = ref.variance.detach().double().numpy()
    if name == "VonMises":       # circular: compare the mean direction
        got = np.arctan2(np.sin(x).mean(0), np.cos(x).mean(0))
        np.testing.assert_allclose(got, mean, atol=0.1)
        return
    finite = np.isfinite(var)
    tol = 6 * np.sqrt(np.where(finite, var, 1.0) / n) + 1e-3
    heavy = name in ("Pareto", "InverseGamma", "LogNormal", "Weibull")
    if heavy:                  # heavy tails: the sample mean converges slowly, the variance barely
        tol = tol * 5
    assert np.all(np.abs(x.mean(0) - mean)[finite] <= tol[finite]), (x.mean(0), mean)
    if not heavy:              # 6 standard errors of the sample variance, sqrt((m4 - var^2) / n)
        s2 = x.var(0)
        m4 = ((x - x.mean(0)) ** 4).mean(0)
        vtol = 6 * np.sqrt(np.maximum(m4 - s2 ** 2, 0) / n) + 1e-3
        assert np.all(np.abs(s2 - var)[finite] <= vtol[finite]), (s2, var, vtol)


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "Dirichlet", "MultivariateNormal", "StudentT",
                                  "Exponential", "LogNormal", "Uniform"])
def test_rsample_gradients_flow(name):
    """Gradients of rsample reach every parameter; for Gamma they match the implicit reparameterization
    d x / d alpha = -(d F(x; alpha) / d alpha) / f(x; alpha), checked with PyTorch's own cdf and log_prob."""
    torchlike.manual_seed(1)
    kw = CASES[name][0](torchlike)
    x = getattr(torchlike.distributions, name)(**kw).rsample((SAMPLE_N,))
    leaves = [v for v in kw.values() if isinstance(v, torchlike.Tensor) and v.requires_grad]
    gs = torchlike.autograd.grad(x.sum(), leaves)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in gs)
    if name == "Gamma":
        from scipy import special, stats
        a = np.asarray(POS, np.float64)
        rate = np.asarray(POS2, np.float64)
        z = x.detach().double().numpy() * rate          # the standard-gamma draws
        h = 1e-6
        dF = (special.gammainc(a + h, z) - special.gammainc(a - h, z)) / (2 * h)
        expected = (-dF / stats.gamma.pdf(z, a) / rate).sum(0)
        np.testing.assert_allclose(gs[0].numpy(), expected, rtol=2e-3)


def test_normal_rsample_grad_matches_formula():
    torchlike.manual_seed(2)
    loc = torchlike.tensor([0.5, -1.0], requires_grad=True)
    scale = torchlike.tensor([2.0, 0.5], requires_grad=True)
    x = torchlike.distributions.Normal(loc, scale).rsample()
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(scale.grad.numpy(), ((x - loc) / scale).detach().numpy(), rtol=1e-6)


# ---- enumerate_support, KL ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Bernoulli", "Categorical", "OneHotCategorical", "Binomial"])
def test_enumerate_support(name):
    same(lambda T: [build(T, name).enumerate_support(), build(T, name).enumerate_support(expand=False)])


KL_PAIRS = [("Normal", "Normal"), ("Bernoulli", "Bernoulli"), ("Categorical", "Categorical"), ("Beta", "Beta"),
            ("Gamma", "Gamma"), ("Dirichlet", "Dirichlet"), ("Exponential", "Exponential"), ("Laplace", "Laplace"),
            ("Uniform", "Uniform"), ("Poisson", "Poisson"), ("MultivariateNormal", "MultivariateNormal"),
            ("Binomial", "Binomial"), ("Geometric", "Geometric"), ("Gumbel", "Gumbel"),
            ("HalfNormal", "HalfNormal"), ("Cauchy", "Cauchy"), ("Pareto", "Pareto"), ("LogNormal", "LogNormal"),
            ("OneHotCategorical", "OneHotCategorical"), ("Chi2", "Chi2"), ("Beta", "Normal"), ("Gamma", "Normal"),
            ("Exponential", "Gamma"), ("Uniform", "Normal"), ("Normal", "Laplace"), ("Laplace", "Normal"),
            ("Exponential", "Normal"), ("Gamma", "Exponential"), ("Normal", "Gumbel"), ("Beta", "Gamma"),
            ("Beta", "Exponential"), ("Bernoulli", "Poisson"),
            ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
            ("MultivariateNormal", "LowRankMultivariateNormal"),
            ("LowRankMultivariateNormal", "MultivariateNormal"),
            ("ContinuousBernoulli", "ContinuousBernoulli"), ("ContinuousBernoulli", "Exponential"),
            ("ContinuousBernoulli", "Normal"), ("ContinuousBernoulli", "Uniform"), ("ContinuousBernoulli", "Pareto"),
            ("Beta", "ContinuousBernoulli"), ("Uniform", "ContinuousBernoulli"), ("Gamma", "ContinuousBernoulli"),
            ("Exponential", "ContinuousBernoulli"), ("Normal", "ContinuousBernoulli"),
            ("Laplace", "ContinuousBernoulli"), ("Gumbel", "ContinuousBernoulli"), ("Pareto", "ContinuousBernoulli")]


def _other(T, name):
    """A second parameterisation of ``name`` for KL (parameters shifted)."""
    kw = CASES[name][0](T)
    out = {}
    for k, v in kw.items():
        if isinstance(v, T.Tensor) and k not in ("covariance_matrix", "cov_factor") and v.is_floating_point():
            v = (v.detach() * 1.1).clamp(max=0.95) if k == "probs" else v.detach() * 1.3 + 0.05
            if k == "probs" and name in ("Categorical", "OneHotCategorical"):
                v = v / v.sum(-1, keepdim=True)
        out[k] = v
    return getattr(T.distributions, name)(**out)


@pytest.mark.parametrize("pq", KL_PAIRS, ids=["-".join(p) for p in KL_PAIRS])
def test_kl_divergence(pq):
    pn, qn = pq

    def fn(T):
        kw = CASES[pn][0](T)
        p = getattr(T.distributions, pn)(**kw)
        q = _other(T, qn) if pn == qn else build(T, qn)
        if pn == "Uniform" and qn == "Normal":
            pass
        if qn in ("Gamma", "Exponential", "Normal", "Gumbel", "Poisson", "Laplace") and pn != qn:
            q = build(T, qn)
        kl = T.distributions.kl_divergence(p, q)
        leaves = [v for v in kw.values() if isinstance(v, T.Tensor) and v.requires_grad]
        finite = T.where(T.isfinite(kl), kl, T.zeros_like(kl))
        gs = T.autograd.grad(finite.sum(), leaves, allow_unused=True)
        return [kl.detach()] + [g if g is not None else T.zeros_like(x) for g, x in zip(gs, leaves)]
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)


def test_kl_errors_and_register():
    same_message(lambda T: T.distributions.kl_divergence(T.distributions.Normal(0.0, 1.0),
                                                         T.distributions.Categorical(T.ones(2))))

    class MyNormal(torchlike.distributions.Normal):
        pass

    @torchlike.distributions.register_kl(MyNormal, torchlike.distributions.Normal)
    def _kl(p, q):
        return torchlike.tensor(42.0)
    assert torchlike.distributions.kl_divergence(MyNormal(0.0, 1.0), torchlike.distributions.Normal(0.0, 1.0)) == 42
    same(lambda T: [T.distributions.kl_divergence(T.distributions.Normal(0.0, 1.0), T.distributions.Normal(1., 2.))])
    with pytest.raises(TypeError):
        torchlike.distributions.register_kl(int, torchlike.distributions.Normal)


# ---- validation ------------------------------------------------------------------------------------

BAD = [
    lambda T: T.distributions.Normal(T.tensor([0.0]), T.tensor([-1.0])),
    lambda T: T.distributions.Normal(T.tensor([0.0, 1.0]), T.tensor([-1.0, 2.0])),
    lambda T: T.distributions.Bernoulli(probs=T.tensor([0.5, 1.5])),
    lambda T: T.distributions.Categorical(T.tensor([-1.0, 2.0])),
    lambda T: T.distributions.Categorical(),
    lambda T: T.distributions.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda T: T.distributions.MultivariateNormal(T.zeros(2)),
    lambda T: T.distributions.Gamma(T.tensor([1.0]), T.tensor([0.0])),
    lambda T: T.distributions.Exponential(T.tensor(-2.0)),
    lambda T: T.distributions.Poisson(T.tensor([-1.0])),
    lambda T: T.distributions.Uniform(T.tensor(1.0), T.tensor(0.0)),
    lambda T: T.distributions.Dirichlet(T.tensor(1.0)),
    lambda T: T.distributions.Normal(0.0, 1.0).log_prob(T.tensor([float("nan")])),
    lambda T: T.distributions.Bernoulli(probs=T.tensor(0.5)).log_prob(T.tensor(0.3)),
    lambda T: T.distributions.Normal(T.zeros(2), T.ones(2)).log_prob(T.tensor([[1.0, 2.0, 3.0]])),
    lambda T: T.distributions.Normal(T.zeros(2), T.ones(2)).log_prob([1.0]),
    lambda T: T.distributions.Exponential(T.tensor([1.0])).log_prob(T.tensor([-1.0])),
    lambda T: T.distributions.Categorical(T.ones(3)).log_prob(T.tensor([3])),
    lambda T: T.distributions.Independent(T.distributions.Normal(T.zeros(2), 1.0), 2),
    lambda T: T.distributions.Beta(T.tensor([1.0]), T.tensor([-1.0])),
    lambda T: T.distributions.Distribution.set_default_validate_args(3),
    lambda T: T.distributions.ContinuousBernoulli(),
    lambda T: T.distributions.ContinuousBernoulli(probs=T.tensor([0.5, 1.5]), validate_args=False),
    lambda T: T.distributions.ContinuousBernoulli(probs=T.tensor(0.3)).log_prob(T.tensor(1.5)),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_validation_errors(i):
    same(BAD[i])
    same_message(BAD[i])


def test_validation_switch():
    def fn(T):
        D = T.distributions
        d = D.Normal(T.tensor([0.0]), T.tensor([-1.0]), validate_args=False)
        try:
            D.Distribution.set_default_validate_args(False)
            e = D.Normal(0.0, -1.0).log_prob(T.tensor([float("nan")]))
        finally:
            D.Distribution.set_default_validate_args(True)
        return [d.scale, e]
    same(fn)


# ---- transforms, constraints, registry, TransformedDistribution -------------------------------------

TRANSFORMS = {
    "Exp": lambda T: T.distributions.ExpTransform(),
    "Affine": lambda T: T.distributions.AffineTransform(t(T, [0.5, 1.0, -1.0]), t(T, [2.0, -0.5, 3.0])),
    "Sigmoid": lambda T: T.distributions.SigmoidTransform(),
    "Tanh": lambda T: T.distributions.TanhTransform(),
    "Softplus": lambda T: T.distributions.SoftplusTransform(),
    "Power": lambda T: T.distributions.PowerTransform(t(T, 2.5)),
    "StickBreaking": lambda T: T.distributions.StickBreakingTransform(),
    "Compose": lambda T: T.distributions.ComposeTransform([T.distributions.AffineTransform(0.3, 2.0),
                                                          T.distributions.ExpTransform()]),
    "Independent": lambda T: T.distributions.IndependentTransform(T.distributions.ExpTransform(), 1),
    "CorrCholesky": lambda T: T.distributions.CorrCholeskyTransform(),
    "LowerCholesky": lambda T: T.distributions.transforms.LowerCholeskyTransform(),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_roundtrip_and_jacobian(name):
    def fn(T):
        tr = TRANSFORMS[name](T)
        if name == "LowerCholesky":
            x = t(T, [[0.3, 0.5], [-0.2, 0.1]], True)
        elif name == "Power":
            x = t(T, [0.3, 1.5, 2.0], True)
        else:
            x = t(T, [0.3, -1.2, 0.8], True)
        y = tr(x)
        out = [y, tr.inv(y), repr(tr), repr(tr.domain), repr(tr.codomain), tr.bijective]
        if name not in ("LowerCholesky",):
            j = tr.log_abs_det_jacobian(x, y)
            (g,) = T.autograd.grad(j.sum() + y.sum(), x)
            out += [j, g, tr.inv.log_abs_det_jacobian(y, x)]
        out += [tuple(tr.forward_shape((4, 3))) if name not in ("LowerCholesky",) else None]
        return out
    same(fn, rtol=RTOL, atol=ATOL, check_grad_fn=False)


def test_transformed_distribution():
    def fn(T):
        D = T.distributions
        loc = t(T, [0.2, -0.4], True)
        d = D.TransformedDistribution(D.Normal(loc, 1.5), [D.AffineTransform(1.0, 2.0), D.SigmoidTransform()])
        v = t(T, [0.3, 0.9])
        lp = d.log_prob(v)
        (g,) = T.autograd.grad(lp.sum(), loc)
        return [lp, g, d.cdf(v), d.icdf(v), tuple(d.batch_shape), repr(d.support), d.has_rsample, repr(d)]
    same(fn, rtol=RTOL, atol=ATOL, check_grad_fn=False)


def test_constraints_and_registry():
    def fn(T):
        C = T.distributions.constraints
        x = t(T, [[0.2, 0.8], [-1.0, 2.0]])
        checks = [C.real, C.positive, C.nonnegative, C.unit_interval, C.simplex, C.boolean, C.nonnegative_integer,
                  C.interval(-1.0, 1.0), C.half_open_interval(-1.0, 2.0), C.greater_than(0.1), C.less_than(1.0),
                  C.integer_interval(0, 2), C.real_vector, C.one_hot, C.lower_cholesky, C.lower_triangular,
                  C.positive_definite, C.symmetric, C.square, C.corr_cholesky, C.positive_semidefinite,
                  C.independent(C.positive, 1), C.multinomial(3)]
        out = [(repr(c), c.is_discrete, c.event_dim, c.check(x)) for c in checks]
        reg = []
        for c in [C.real, C.positive, C.greater_than(2.0), C.less_than(1.0), C.unit_interval, C.interval(1.0, 3.0),
                  C.simplex, C.corr_cholesky, C.real_vector, C.independent(C.positive, 1)]:
            for f in (T.distributions.biject_to, T.distributions.transform_to):
                tr = f(c)
                z = t(T, [0.3, -0.2, 0.5]) if c is not C.corr_cholesky else t(T, [0.3])
                reg.append((repr(tr), bool(c.check(tr(z)).all())))
        return out + reg
    same(fn)
    same_message(lambda T: T.distributions.biject_to(T.distributions.constraints.lower_cholesky))
    assert torchlike.distributions.constraints.is_dependent(torchlike.distributions.constraints.dependent)


def test_mixture_same_family():
    def fn(T):
        D = T.distributions
        logits = t(T, [[0.1, 0.5, -0.2], [1.0, 0.0, 0.3]], True)
        comp = D.Normal(t(T, [[0.0, 1.0, -1.0], [2.0, 0.5, 0.1]], True), t(T, [[1.0, 0.5, 2.0], [1.0, 1.0, 0.3]]))
        m = D.MixtureSameFamily(D.Categorical(logits=logits), comp)
        v = t(T, [0.3, -0.5])
        lp = m.log_prob(v)
        (g,) = T.autograd.grad(lp.sum(), logits)
        return [lp, g, m.mean, m.variance, m.cdf(v), tuple(m.sample((4,)).shape), tuple(m.batch_shape), repr(m)]
    same(fn, rtol=RTOL, atol=ATOL, check_grad_fn=False)


def test_independent():
    def fn(T):
        D = T.distributions
        loc = t(T, [[0.1, 0.2], [0.3, 0.4]], True)
        d = D.Independent(D.Normal(loc, 1.0), 1)
        v = t(T, [[0.0, 1.0], [1.0, 2.0]])
        return [d.log_prob(v), d.entropy(), tuple(d.batch_shape), tuple(d.event_shape), repr(d.support),
                tuple(d.sample((3,)).shape), d.mean]
    same(fn, rtol=RTOL, atol=ATOL, check_grad_fn=False)


def test_multivariate_normal_parameterisations():
    def fn(T):
        D = T.distributions
        cov = t(T, COV)
        L = T.linalg.cholesky(cov)
        P = T.linalg.inv(cov)
        v = t(T, [0.3, -0.1])
        out = []
        for kw in (dict(covariance_matrix=cov), dict(scale_tril=L), dict(precision_matrix=P)):
            d = D.MultivariateNormal(t(T, [0.5, -0.3]), **kw)
            out += [d.log_prob(v), d.entropy(), d.covariance_matrix, d.scale_tril, d.precision_matrix, d.variance]
        return out
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)


def test_continuous_bernoulli_logits_expand_and_exp_family():
    def fn(T):
        D = T.distributions
        logits = t(T, [-1.5, 0.0, 0.002, 2.0], True)
        d = D.ContinuousBernoulli(logits=logits)
        v = t(T, [0.1, 0.5, 0.9, 1.0])
        lp = d.log_prob(v)
        (g,) = T.autograd.grad(lp.sum() + d.entropy().sum(), logits)
        e = d.expand((2, 4))
        return [lp, g, d.mean, d.variance, d.cdf(v), d.icdf(v), tuple(e.batch_shape), e._lims, d.probs,
                D.ExponentialFamily.entropy(d), repr(d), D.continuous_bernoulli.ContinuousBernoulli.__name__]
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)


_CORR3 = np.linalg.cholesky(np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.5], [-0.2, 0.5, 1.0]])).astype(np.float32)


def test_lkj_cholesky_log_prob_and_errors():
    def fn(T):
        D = T.distributions
        eta = t(T, [0.7, 1.0, 2.5], True)
        d3 = D.LKJCholesky(3, eta)
        lp3 = d3.log_prob(T.tensor(_CORR3))
        (g,) = T.autograd.grad(lp3.sum(), eta)
        d2 = D.LKJCholesky(2, 0.5)
        lp2 = d2.log_prob(T.tensor([[1.0, 0.0], [0.6, 0.8]]))
        e = d3.expand((2, 3))
        return [lp3, g, lp2, tuple(d3.batch_shape), tuple(d3.event_shape), tuple(e.batch_shape),
                tuple(e.log_prob(T.tensor(_CORR3)).shape), repr(d3.support), d3.has_rsample,
                tuple(d3.sample((5,)).shape), str(d3.sample().dtype)]
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)
    same_message(lambda T: T.distributions.LKJCholesky(1, 1.0))
    same(lambda T: T.distributions.LKJCholesky(2, -1.0))     # ValueError (PyTorch words it about its Beta)
    same_message(lambda T: T.distributions.LKJCholesky(2, 1.0).log_prob(T.tensor([[1.0, 0.5], [0.0, 1.0]])))
    same(lambda T: T.distributions.LKJCholesky(2, 1.0).mean)


def test_lkj_cholesky_sampling():
    """Draws are correlation Cholesky factors; C = L L^T has mean I and off-diagonal variance 1 / (2 eta + d - 1)."""
    D = torchlike.distributions
    torchlike.manual_seed(0)
    d = D.LKJCholesky(3, torchlike.tensor(2.0))
    x = torchlike.cat([d.sample((SAMPLE_N,)) for _ in range(MOMENT_CHUNKS)])
    assert bool(D.constraints.corr_cholesky.check(x).all())
    L = x.double().numpy()
    C = L @ np.swapaxes(L, -1, -2)
    off = C[:, [1, 2, 2], [0, 0, 1]]
    var = 1 / (2 * 2.0 + 3 - 1)
    n = len(off)
    assert np.all(np.abs(off.mean(0)) <= 6 * np.sqrt(var / n)), off.mean(0)
    m4 = ((off - off.mean(0)) ** 4).mean(0)
    assert np.all(np.abs(off.var(0) - var) <= 6 * np.sqrt((m4 - off.var(0) ** 2) / n)), off.var(0)
    torchlike.manual_seed(3)
    a = d.sample((4,))
    torchlike.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), d.sample((4,)).numpy())


def test_wishart_values_gradients_and_errors():
    def fn(T):
        D = T.distributions
        df = t(T, [4.0, 6.5], True)
        cov = t(T, COV, True)
        d = D.Wishart(df, covariance_matrix=cov)
        X = t(T, [[3.0, 0.5], [0.5, 2.0]])
        out = [d.log_prob(X), d.entropy(), d.mean, d.variance, d.mode]
        gs = T.autograd.grad(sum(o.sum() for o in out), [df, cov])
        L = T.linalg.cholesky(t(T, COV))
        others = [D.Wishart(t(T, 3.0), scale_tril=L), D.Wishart(t(T, 3.0), precision_matrix=T.linalg.inv(t(T, COV)))]
        e = d.expand((3, 2))
        return ([o.detach() for o in out] + list(gs) + [o.log_prob(X) for o in others]
                + [others[1].covariance_matrix, others[0].precision_matrix, tuple(d.batch_shape),
                   tuple(d.event_shape), tuple(e.batch_shape), tuple(e.log_prob(X).shape), repr(d.support),
                   tuple(d.sample((5,)).shape), d.has_rsample])
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)
    same_message(lambda T: T.distributions.Wishart(T.tensor(4.0)))
    same_message(lambda T: T.distributions.Wishart(T.tensor(0.5), covariance_matrix=T.eye(2)))
    same_message(lambda T: T.distributions.Wishart(T.tensor(4.0), covariance_matrix=T.eye(2)).log_prob(
        T.tensor([[1.0, 2.0], [2.0, 1.0]])))


def test_wishart_sampling():
    """Bartlett draws: positive definite, reproducible, mean df Sigma and variance df (S_ij^2 + S_ii S_jj)."""
    D = torchlike.distributions
    torchlike.manual_seed(0)
    df = torchlike.tensor(5.0, requires_grad=True)
    d = D.Wishart(df, covariance_matrix=torchlike.tensor(COV))
    x = torchlike.cat([d.sample((SAMPLE_N,)) for _ in range(MOMENT_CHUNKS)])
    assert bool(D.constraints.positive_definite.check(x).all())
    v = x.double().numpy().reshape(len(x), -1)
    mean, var, n = d.mean.detach().double().numpy().ravel(), d.variance.detach().double().numpy().ravel(), len(v)
    assert np.all(np.abs(v.mean(0) - mean) <= 6 * np.sqrt(var / n)), (v.mean(0), mean)
    m4 = ((v - v.mean(0)) ** 4).mean(0)
    assert np.all(np.abs(v.var(0) - var) <= 6 * np.sqrt((m4 - v.var(0) ** 2) / n)), (v.var(0), var)
    (g,) = torchlike.autograd.grad(d.rsample((SAMPLE_N,)).sum(), df)
    assert np.isfinite(g.item()) and g.item() > 0       # more degrees of freedom, larger draws
    torchlike.manual_seed(3)
    a = d.sample((4,))
    torchlike.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), d.sample((4,)).numpy())


def test_runner_import_forms():
    import importlib
    mod = importlib.import_module("torchlike.distributions.normal")
    assert mod.Normal is torchlike.distributions.Normal
    from torchlike.distributions import constraints, transforms, kl  # noqa: F401
    from torchlike.distributions.utils import broadcast_all, probs_to_logits, logits_to_probs  # noqa: F401
    same(lambda T: [T.distributions.utils.probs_to_logits(t(T, [0.2, 0.8])),
                    T.distributions.utils.logits_to_probs(t(T, [0.2, 0.8]), is_binary=True),
                    list(T.distributions.utils.broadcast_all(t(T, [1.0, 2.0]), 3.0))])


def test_exponential_family_entropy_matches_closed_form():
    """ExponentialFamily.entropy (Bregman, by autograd) against PyTorch's closed forms."""
    def fn(T):
        D = T.distributions
        out = []
        for name in ("Normal", "Gamma", "Exponential", "Beta", "Dirichlet"):
            d = build(T, name)
            out.append(D.ExponentialFamily.entropy(d))
        return out
    same(fn, rtol=1e-4, atol=1e-4, check_grad_fn=False)
