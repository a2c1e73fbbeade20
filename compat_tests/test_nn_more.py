"""nn breadth, part 2: spectral norm (legacy hook and parametrization), orthogonal parametrization,
AdaptiveLogSoftmaxWithLoss, CrossMapLRN2d, LinearCrossEntropyLoss, init aliases, clip_grads_with_norm_,
nn.attention's sdpa_kernel and small helpers, against PyTorch (grid sampling, grouped_mm and class-target
errors: test_nn_sampling.py)."""
import numpy as np
import pytest

from harness import data, same, same_message


def _load(T, m, seed=0):
    """Give ``m`` deterministic weights (the libraries' random initialisations differ)."""
    m.load_state_dict({k: T.tensor(data(*v.shape, seed=seed + i)) if v.is_floating_point() else v
                       for i, (k, v) in enumerate(m.state_dict().items())})
    return m


# ---- spectral norm -----------------------------------------------------------------------------

SN_MODULES = [
    ("linear", lambda T: T.nn.Linear(5, 3), (2, 5)),
    ("conv2d", lambda T: T.nn.Conv2d(2, 3, 2), (1, 2, 4, 4)),
    ("convT2d", lambda T: T.nn.ConvTranspose2d(2, 3, 2), (1, 2, 3, 3)),
]


@pytest.mark.parametrize("name,make,shape", SN_MODULES, ids=[c[0] for c in SN_MODULES])
def test_legacy_spectral_norm(name, make, shape):
    def f(T):
        m = _load(T, make(T), 1)
        T.nn.utils.spectral_norm(m, n_power_iterations=2)
        before = (m.weight.requires_grad, m.weight.grad_fn, sorted(dict(m.named_parameters())),
                  sorted(dict(m.named_buffers())), list(m.state_dict()), m.weight_u.shape, m.weight_v.shape)
        m.weight_u.copy_(T.tensor(data(*m.weight_u.shape, seed=3)))
        m.weight_v.copy_(T.tensor(data(*m.weight_v.shape, seed=4)))
        x = T.tensor(data(*shape, seed=5), requires_grad=True)
        y = m(x)
        y2 = m(x)
        gx, gw = T.autograd.grad(y2.sum(), [x, m.weight_orig])
        m.eval()
        y3 = m(x)
        u_eval = m.weight_u.clone()
        meta = m.state_dict()._metadata[""].get("spectral_norm")
        T.nn.utils.remove_spectral_norm(m)
        after = (sorted(dict(m.named_parameters())), sorted(dict(m.named_buffers())), type(m.weight).__name__)
        return before, y, y2, gx, gw, m.weight_u if hasattr(m, "weight_u") else None, y3, u_eval, meta, after, \
            m.weight
    same(f, rtol=1e-5, atol=1e-5)


def test_legacy_spectral_norm_errors():
    def twice(T):
        m = T.nn.utils.spectral_norm(T.nn.Linear(2, 2))
        T.nn.utils.spectral_norm(m)
    same_message(twice)
    same_message(lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2), n_power_iterations=0))
    same_message(lambda T: T.nn.utils.remove_spectral_norm(T.nn.Linear(2, 2)))
    same(lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2), name="foo"))


@pytest.mark.parametrize("name,make,shape", SN_MODULES, ids=[c[0] for c in SN_MODULES])
def test_parametrized_spectral_norm(name, make, shape):
    def f(T):
        m = _load(T, make(T), 1)
        T.nn.utils.parametrizations.spectral_norm(m)
        p = m.parametrizations.weight[0]
        before = (type(m).__name__, list(m.state_dict()), p._u.shape, p._v.shape, p.dim, p.eps)
        p._u.copy_(T.tensor(data(*p._u.shape, seed=3)))
        p._v.copy_(T.tensor(data(*p._v.shape, seed=4)))
        x = T.tensor(data(*shape, seed=5), requires_grad=True)
        w = m.weight
        y = m(x)
        gx, gw = T.autograd.grad(y.sum(), [x, m.parametrizations.weight.original])
        m.eval()
        w_eval = m.weight
        return before, w, y, gx, gw, p._u, p._v, w_eval, [type(n[0]).__name__ for n in w.grad_fn.next_functions]
    same(f, rtol=1e-5, atol=1e-5)


def test_parametrized_spectral_norm_vector_and_errors():
    def vec(T):
        b = _load(T, T.nn.BatchNorm1d(3), 2)
        T.nn.utils.parametrizations.spectral_norm(b)
        return b.weight, list(b.state_dict())
    same(vec)
    same_message(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(4, 3), n_power_iterations=0))
    same_message(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(4, 3), dim=3))
    same_message(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(4, 3), name="foo"))
    same(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(4, 3), dim=2))


# ---- orthogonal ---------------------------------------------------------------------------------

@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
def test_orthogonal_square(omap):
    def f(T):
        m = _load(T, T.nn.Linear(4, 4), 1)
        T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap)
        p = m.parametrizations.weight[0]
        w = m.weight
        x = T.tensor(data(3, 4, seed=2))
        y = m(x)
        g = T.autograd.grad(y.pow(2).sum(), m.parametrizations.weight.original)
        m.weight = T.tensor(data(4, 4, seed=7))
        return (list(m.state_dict()), str(p.orthogonal_map), p.base, m.parametrizations.weight.original, w,
                y, g, m.weight)
    same(f, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_no_trivialization(omap):
    def f(T):
        m = _load(T, T.nn.Linear(3, 5), 1)
        T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=False)
        w = m.weight
        g = T.autograd.grad(w.sin().sum(), m.parametrizations.weight.original)
        return list(m.state_dict()), w, g, T.allclose(w.T @ w, T.eye(3), atol=1e-5)
    same(f, rtol=1e-4, atol=1e-5)


def test_orthogonal_assign_householder_no_trivialization():
    def f(T):
        m = _load(T, T.nn.Linear(3, 5), 1)
        T.nn.utils.parametrizations.orthogonal(m, orthogonal_map="householder", use_trivialization=False)
        q, _ = T.linalg.qr(T.tensor(data(5, 3, seed=9)))
        m.weight = q
        return m.weight, T.allclose(m.weight.T @ m.weight, T.eye(3), atol=1e-5)
    same(f, rtol=1e-4, atol=1e-5)


def test_orthogonal_rectangular_is_orthogonal():
    """A non-square weight is completed with random columns (different draws): check the properties."""
    def f(T):
        out = []
        for shape in [(3, 5), (5, 3)]:
            m = _load(T, T.nn.Linear(shape[1], shape[0]), 1)
            T.nn.utils.parametrizations.orthogonal(m)
            w = m.weight
            gram = w @ w.T if shape[0] < shape[1] else w.T @ w
            out.append((tuple(w.shape), tuple(m.parametrizations.weight[0].base.shape),
                        T.allclose(gram, T.eye(min(shape)), atol=1e-5), type(w.grad_fn).__name__))
        return out
    same(f)


def test_orthogonal_errors():
    P = lambda T: T.nn.utils.parametrizations  # noqa: E731
    same_message(lambda T: P(T).orthogonal(T.nn.Linear(4, 4), orthogonal_map="foo"))
    same_message(lambda T: P(T).orthogonal(T.nn.Linear(4, 4), "bias"))
    same_message(lambda T: P(T).orthogonal(T.nn.Linear(4, 4), "foo"))

    def wrong_shape(T):
        m = P(T).orthogonal(T.nn.Linear(4, 4))
        m.weight = T.ones(3, 3)
    same_message(wrong_shape)

    def assign_cayley(T):
        m = P(T).orthogonal(T.nn.Linear(4, 4), orthogonal_map="cayley", use_trivialization=False)
        m.weight = T.eye(4)
    same_message(assign_cayley)


# ---- init aliases, clip_grads_with_norm_, conv weight memory format -------------------------------

@pytest.mark.parametrize("name,shape,args", [("eye", (3, 4), ()), ("dirac", (4, 2, 3, 3), (2,)),
                                              ("constant", (2, 3), (0.5,))])
def test_init_deprecated_aliases(name, shape, args):
    def f(T):
        import warnings
        t = T.empty(*shape)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = getattr(T.nn.init, name)(t, *args)
        return r, r is t, [(x.category.__name__, str(x.message)) for x in w]
    same(f)


def test_init_deprecated_sparse_shape_and_warning():
    def f(T):
        import warnings
        t = T.empty(6, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.nn.init.sparse(t, 0.5)
        return [int((t[:, c] == 0).sum()) for c in range(3)], [str(x.message) for x in w]
    same(f)
    same_message(lambda T: T.nn.init.sparse(T.empty(2, 2, 2), 0.5))


def test_clip_grads_with_norm():
    def f(T):
        ps = [T.nn.Parameter(T.tensor(data(3, seed=1))), T.nn.Parameter(T.tensor(data(2, 2, seed=2)))]
        for i, p in enumerate(ps):
            p.grad = T.tensor(data(*p.shape, seed=3 + i)) * 4
        total = T.nn.utils.get_total_norm([p.grad for p in ps])
        r = T.nn.utils.clip_grads_with_norm_(ps, 1.0, total)
        g1 = [p.grad.clone() for p in ps]
        T.nn.utils.clip_grads_with_norm_(ps, 100.0, T.tensor(2.0))       # coefficient clamped to 1
        single = T.nn.Parameter(T.ones(2))
        single.grad = T.full((2,), 3.0)
        T.nn.utils.clip_grads_with_norm_(single, 1.0, T.tensor(6.0, dtype=T.float64))
        return r, total, g1, [p.grad for p in ps], single.grad, T.nn.utils.clip_grads_with_norm_([], 1.0, total)
    same(f)
    same(lambda T: T.nn.utils.clip_grads_with_norm_([T.nn.Parameter(T.ones(2))], 1.0, 0.5))


def test_convert_conv_weight_memory_format():
    def f(T):
        m = T.nn.Sequential(T.nn.Conv2d(2, 3, 2), T.nn.ConvTranspose2d(3, 2, 2), T.nn.Linear(2, 2),
                            T.nn.Sequential(T.nn.Conv3d(1, 1, 1)))
        _load(T, m, 3)
        before = {k: v.clone() for k, v in m.state_dict().items()}
        r2 = T.nn.utils.convert_conv2d_weight_memory_format(m, T.channels_last)
        r3 = T.nn.utils.convert_conv3d_weight_memory_format(m, T.channels_last_3d)
        return r2 is m, r3 is m, before, m.state_dict(), [type(p).__name__ for p in m.parameters()]
    same(f)


# ---- CrossMapLRN2d -----------------------------------------------------------------------------

@pytest.mark.parametrize("size,channels", [(2, 6), (3, 3), (3, 6), (4, 6), (5, 9), (7, 3), (12, 6)])
def test_cross_map_lrn2d(size, channels):
    def f(T):
        m = T.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=2)
        x = T.tensor(data(2, channels, 3, 2, seed=size), requires_grad=True)
        y = m(x)
        (g,) = T.autograd.grad(y, x, T.tensor(data(*y.shape, seed=1)))
        return repr(m), y, g, [type(n[0]).__name__ for n in y.grad_fn.next_functions]
    same(f, rtol=1e-5, atol=1e-5)


def test_cross_map_lrn2d_errors():
    same_message(lambda T: T.nn.CrossMapLRN2d(3)(T.ones(5, 3, 3)))
    same_message(lambda T: T.nn.CrossMapLRN2d(3)(T.ones(1, 5, 3, 3, 1)))

    def size_one_backward(T):
        x = T.ones(1, 4, 2, 2, requires_grad=True)
        T.nn.CrossMapLRN2d(1)(x).sum().backward()
    same_message(size_one_backward)
    same(lambda T: (T.nn.CrossMapLRN2d(1, 0.5, 0.75, 2)(T.tensor(data(1, 4, 2, 2, seed=1))), repr(
        T.nn.CrossMapLRN2d(3))))


# ---- AdaptiveLogSoftmaxWithLoss -----------------------------------------------------------------

def _asm(T, head_bias=False):
    return _load(T, T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [2, 5], div_value=2.0, head_bias=head_bias), 1)


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax(head_bias):
    def f(T):
        m = _asm(T, head_bias)
        x = T.tensor(data(6, 8, seed=2), requires_grad=True)
        target = T.tensor([0, 4, 9, 1, 6, 2])
        out = m(x, target)
        grads = T.autograd.grad(out.loss, [x] + list(m.parameters()))
        lp = m.log_prob(x)
        head_only = m(x[:2], T.tensor([0, 1]))
        single = m(x[1], T.tensor(7))
        return (repr(m), [(k, tuple(v.shape)) for k, v in m.state_dict().items()], type(out).__name__,
                out._fields, out.output, out.loss, grads, lp, lp.exp().sum(1), head_only, single, m.predict(x),
                m.shortlist_size, m.n_clusters, m.head_size, m.cutoffs)
    same(f, rtol=1e-5, atol=1e-5)


def test_adaptive_log_softmax_predict_paths():
    """predict: rows the head decides, rows that need the tails, and a mix."""
    def f(T):
        m = _asm(T)
        with T.no_grad():
            m.head.weight.zero_()
            m.head.weight[0, 0] = 10.0      # x[:, 0] > 0: shortlist class 0
            m.head.weight[3, 0] = -10.0     # x[:, 0] < 0: the second cluster
        x = T.tensor(data(6, 8, seed=4))
        pos, neg = x[x[:, 0] > 0], x[x[:, 0] < 0]
        return m.predict(pos), m.predict(neg), m.predict(x)
    same(f)


def test_adaptive_log_softmax_errors():
    A = lambda T, *a, **k: T.nn.AdaptiveLogSoftmaxWithLoss(*a, **k)  # noqa: E731
    for cutoffs in ([5, 2], [0, 3], [3, 10], [2, 2], [2.5]):
        same_message(lambda T: A(T, 8, 10, cutoffs))
    same(lambda T: A(T, 8, 10, []))
    m = lambda T: _asm(T)  # noqa: E731
    same_message(lambda T: m(T)(T.ones(3, 8), T.tensor([0, 1])))
    same_message(lambda T: m(T)(T.ones(3, 8), T.tensor([0, 1, 10])))
    same_message(lambda T: m(T)(T.ones(3, 8), T.tensor([[0, 1, 2]])))
    same(lambda T: m(T)(T.ones(3, 2, 8), T.tensor([0, 1, 2])))
    same(lambda T: m(T)(T.ones(3, 8), T.tensor(1)))
    same(lambda T: m(T).log_prob(T.ones(8)))        # a batch only, as PyTorch
    same(lambda T: m(T).predict(T.ones(8)))


# ---- torch.nn.attention ------------------------------------------------------------------------

def test_sdpa_kernel():
    def f(T):
        A = T.nn.attention
        q = T.tensor(data(1, 2, 3, 4, seed=1), requires_grad=True)
        out = [[(b.name, int(b), str(b), repr(b)) for b in A.SDPBackend.__members__.values()],
               sorted(A.SDPBackend.__members__)]
        for backends in (A.SDPBackend.MATH, [A.SDPBackend.FLASH_ATTENTION], [A.SDPBackend.FLASH_ATTENTION,
                                                                             A.SDPBackend.MATH]):
            with A.sdpa_kernel(backends, set_priority=True) as r:
                y = T.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)
                out.append((r, y, T.autograd.grad(y.sum(), q)))
        return out, T.nn.functional.scaled_dot_product_attention(q, q, q)
    same(f, rtol=1e-5, atol=1e-6)


def test_sdpa_kernel_errors():
    def no_cpu_kernel(T):
        q = T.ones(1, 2, 3, 4)
        with T.nn.attention.sdpa_kernel([T.nn.attention.SDPBackend.EFFICIENT_ATTENTION,
                                         T.nn.attention.SDPBackend.CUDNN_ATTENTION]):
            T.nn.functional.scaled_dot_product_attention(q, q, q)
    same_message(no_cpu_kernel)
    same(lambda T: T.nn.functional.scaled_dot_product_attention(T.ones(1, 3, 4), T.ones(1, 3, 4), T.ones(1, 3, 4)))

    def restored(T):        # the previous backends come back after an error inside the context
        try:
            with T.nn.attention.sdpa_kernel([]):
                raise KeyError("x")
        except KeyError:
            pass
        return T.nn.functional.scaled_dot_product_attention(T.ones(1, 3, 4), T.ones(1, 3, 4), T.ones(1, 3, 4))
    same(restored)

    def bad(T):
        with T.nn.attention.sdpa_kernel(3):
            pass
    same_message(bad)


# ---- small helpers: nn.factory_kwargs, F.assert_int_or_pair, F.boolean_dispatch --------------------

def test_factory_kwargs():
    def f(T):
        fk = T.nn.factory_kwargs
        return (fk(None), fk({"device": "cpu", "dtype": T.float64}),
                fk({"factory_kwargs": {"dtype": T.float16}, "device": "cpu"}), fk({"factory_kwargs": {"foo": 1}}))
    same(f)
    same_message(lambda T: T.nn.factory_kwargs({"foo": 1}))
    same_message(lambda T: T.nn.factory_kwargs({"dtype": 1, "factory_kwargs": {"dtype": 2}}))


def test_functional_helpers():
    F = lambda T: T.nn.functional  # noqa: E731
    same(lambda T: F(T).assert_int_or_pair(3, "x", "bad {}"))
    same(lambda T: F(T).assert_int_or_pair((1, 2), "x", "bad {}"))
    same_message(lambda T: F(T).assert_int_or_pair([1, 2, 3], "kernel", "{} must be int or pair"))

    def dispatch(T):
        def yes(x, flag=False):
            """doc"""
            return ("yes", x)

        def no(x, flag=False):
            return ("no", x)
        fn = F(T).boolean_dispatch("flag", 1, False, yes, no, "mymod", "myfn")
        return fn(1), fn(1, True), fn(1, flag=True), fn.__name__, fn.__module__, fn.__doc__
    same(dispatch)

    def two_docs(T):
        def a():
            """a"""

        def b():
            """b"""
        F(T).boolean_dispatch("f", 0, False, a, b, None, None)
    same_message(two_docs)


# ---- LinearCrossEntropyLoss --------------------------------------------------------------------

@pytest.mark.parametrize("kw,xshape,tshape", [
    ({}, (3, 4), (3,)),
    (dict(bias=True, label_smoothing=0.1, reduction="sum"), (3, 4), (3,)),
    (dict(out_features=(2,), bias=True, ignore_index=0), (3, 4), (3, 2)),
    (dict(reduction="none"), (4,), ()),
], ids=["plain", "bias_smoothing_sum", "k_dim_ignore", "unbatched_none"])
def test_linear_cross_entropy_loss(kw, xshape, tshape):
    def f(T):
        m = _load(T, T.nn.LinearCrossEntropyLoss(4, 5, **kw), 1)
        x = T.tensor(data(*xshape, seed=2), requires_grad=True)
        t = T.tensor(np.arange(int(np.prod(tshape))).reshape(tshape) % 5)
        loss = m(x, t)
        grads = T.autograd.grad(loss.sum(), [x] + list(m.parameters()))
        return repr(m), list(m.state_dict()), loss, grads
    same(f, rtol=1e-5, atol=1e-6)


def test_linear_cross_entropy_loss_weight_buffer():
    def f(T):
        m = T.nn.LinearCrossEntropyLoss(4, 5, weight=T.tensor([1.0, 2.0, 0.5, 1.0, 3.0]))
        _load(T, m, 3)
        return list(m.state_dict()), m(T.tensor(data(3, 4, seed=4)), T.tensor([0, 4, 2]))
    same(f, rtol=1e-5, atol=1e-6)
