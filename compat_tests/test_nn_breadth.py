"""nn breadth: lazy modules, LPPool, Softmax2d, CircularPad3d, SyncBatchNorm, the remaining nn.functional
names, nn.utils (parametrize, weight/spectral norm, fusion, stateless) against PyTorch."""
import numpy as np
import pytest

from harness import data, same, same_message, same_output


def _load(T, m, seed=0):
    """Give ``m`` deterministic weights (the libraries' random initialisations differ)."""
    m.load_state_dict({k: T.tensor(data(*v.shape, seed=seed + i)) if v.is_floating_point() else v
                       for i, (k, v) in enumerate(m.state_dict().items())})
    return m


# ---- lazy modules ---------------------------------------------------------------------

LAZY = [
    ("linear", lambda T: T.nn.LazyLinear(3), (2, 5)),
    ("linear_nobias", lambda T: T.nn.LazyLinear(3, bias=False), (4, 2, 5)),
    ("conv1d", lambda T: T.nn.LazyConv1d(4, 3, padding=1), (2, 3, 7)),
    ("conv2d", lambda T: T.nn.LazyConv2d(4, 3, stride=2, groups=2, bias=False), (2, 4, 7, 7)),
    ("conv2d_unbatched", lambda T: T.nn.LazyConv2d(2, 2), (3, 5, 5)),
    ("conv3d", lambda T: T.nn.LazyConv3d(2, 2), (1, 2, 4, 4, 4)),
    ("convT1d", lambda T: T.nn.LazyConvTranspose1d(4, 3, stride=2, output_padding=1), (2, 3, 5)),
    ("convT2d", lambda T: T.nn.LazyConvTranspose2d(2, 3, padding=1), (1, 3, 4, 4)),
    ("convT3d", lambda T: T.nn.LazyConvTranspose3d(2, 2), (1, 2, 3, 3, 3)),
    ("bn1d", lambda T: T.nn.LazyBatchNorm1d(), (4, 3)),
    ("bn2d", lambda T: T.nn.LazyBatchNorm2d(momentum=0.3, affine=False), (2, 3, 4, 4)),
    ("bn3d", lambda T: T.nn.LazyBatchNorm3d(track_running_stats=False), (2, 3, 2, 2, 2)),
    ("in1d", lambda T: T.nn.LazyInstanceNorm1d(), (2, 3, 5)),
    ("in1d_unbatched", lambda T: T.nn.LazyInstanceNorm1d(affine=False), (3, 5)),
    ("in2d", lambda T: T.nn.LazyInstanceNorm2d(), (2, 3, 4, 4)),
    ("in3d", lambda T: T.nn.LazyInstanceNorm3d(track_running_stats=False), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,make,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_module(name, make, shape):
    def f(T):
        m = make(T)
        before = (repr(m), type(m).__name__, m.has_uninitialized_params(), list(m.state_dict()),
                  [repr(v) for v in m.state_dict().values()], [repr(p) for p in m.parameters()])
        x = T.tensor(data(*shape, seed=1), requires_grad=True)
        m(x)
        after = (repr(m), type(m).__name__, [(k, tuple(v.shape), v.dtype) for k, v in m.state_dict().items()],
                 [type(p).__name__ for p in m.parameters()], len(m._forward_pre_hooks))
        _load(T, m, 5)
        y = m(x)
        grads = T.autograd.grad(y.sum(), [x] + list(m.parameters()))
        return before, after, y, grads
    same(f, rtol=1e-5, atol=1e-5)


def test_lazy_load_state_dict_and_errors():
    def f(T):
        m = T.nn.LazyLinear(3)
        m.load_state_dict(_load(T, T.nn.Linear(5, 3)).state_dict())
        out = (type(m).__name__, repr(m), m.weight, m.bias, m.has_uninitialized_params())
        y = m(T.tensor(data(2, 5, seed=2)))
        return out, type(m).__name__, repr(m), y
    same(f)
    same(lambda T: T.nn.LazyLinear(3).double()(T.tensor(data(2, 4, seed=1), dtype=T.float64)).dtype)
    same(lambda T: T.nn.LazyLinear(3)(T.tensor(data(2, 4, seed=1), dtype=T.float64)))
    same_message(lambda T: T.nn.UninitializedParameter().shape)
    same_message(lambda T: T.nn.Linear(5, 3).load_state_dict(T.nn.LazyLinear(3).state_dict()))
    same(lambda T: T.nn.UninitializedParameter() * 2)
    same(lambda T: T.nn.UninitializedParameter().sum())
    same_output(lambda T: print(T.nn.UninitializedParameter(), T.nn.UninitializedBuffer(),
                                T.nn.UninitializedParameter().requires_grad, T.nn.UninitializedBuffer().requires_grad,
                                T.nn.UninitializedParameter(dtype=T.float64).dtype))
    same(lambda T: T.nn.LazyConv2d(4, 3, groups=2)(T.tensor(data(1, 3, 5, 5))))


def test_lazy_in_sequential_trains():
    def f(T):
        nn = T.nn
        m = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
        x = T.tensor(data(2, 3, 6, 6, seed=3))
        m(x)
        _load(T, m, 11)
        opt = T.optim.SGD(m.parameters(), lr=0.01)
        for _ in range(2):
            opt.zero_grad()
            loss = m(x).pow(2).mean()
            loss.backward()
            opt.step()
        return repr(m), loss, [p.detach() for p in m.parameters()]
    same(f, rtol=1e-4, atol=1e-5)


# ---- other modules ----------------------------------------------------------------------

MODULES = [
    ("lppool1d", lambda T: T.nn.LPPool1d(2, 3), (2, 3, 8)),
    ("lppool1d_stride_ceil", lambda T: T.nn.LPPool1d(1.5, 2, stride=3, ceil_mode=True), (3, 7)),
    ("lppool2d", lambda T: T.nn.LPPool2d(2, 2), (1, 2, 6, 6)),
    ("lppool2d_rect", lambda T: T.nn.LPPool2d(3, (2, 3), stride=(1, 2)), (2, 5, 7)),
    ("lppool3d", lambda T: T.nn.LPPool3d(2, 2), (1, 2, 4, 4, 4)),
    ("softmax2d", lambda T: T.nn.Softmax2d(), (2, 3, 4, 4)),
    ("softmax2d_3d", lambda T: T.nn.Softmax2d(), (3, 4, 4)),
    ("circularpad3d", lambda T: T.nn.CircularPad3d((1, 0, 2, 1, 0, 1)), (1, 2, 3, 3, 3)),
    ("circularpad3d_int", lambda T: T.nn.CircularPad3d(1), (2, 2, 2, 2)),
    ("syncbn", lambda T: T.nn.SyncBatchNorm(3), (4, 3, 5)),
    ("nllloss2d", lambda T: T.nn.Sequential(T.nn.LogSoftmax(1), T.nn.Flatten(0, -1)), (2, 3)),
]


@pytest.mark.parametrize("name,make,shape", MODULES, ids=[c[0] for c in MODULES])
def test_module(name, make, shape):
    def f(T):
        m = make(T)
        x = T.tensor(data(*shape, seed=4, low=0.1 if "lppool" in name else -2.0), requires_grad=True)
        y = m(x)
        return repr(m), y, T.autograd.grad(y.pow(2).sum(), x), list(m.state_dict())
    same(f, rtol=1e-5, atol=1e-5)


def test_module_extras():
    def f(T):
        nn = T.nn
        x = T.tensor(data(2, 3, 4, 4, seed=1))
        t = T.tensor(np.array([[[0, 1, 2, 0]] * 4, [[2, 2, 1, 0]] * 4]))
        sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)))
        sync.eval()
        return (repr(sync), nn.NLLLoss2d()(x.log_softmax(1), t), repr(nn.NLLLoss2d(reduction="sum")),
                sync(x).shape, repr(nn.Container(a=nn.ReLU())))
    same(f)
    same_message(lambda T: T.nn.Softmax2d()(T.tensor(data(3))))
    same_message(lambda T: T.nn.SyncBatchNorm(3)(T.tensor(data(3))))


# ---- nn.functional additions ------------------------------------------------------------------

def test_functional_additions():
    def f(T):
        F = T.nn.functional
        x = T.tensor(data(2, 3, 8, seed=1), requires_grad=True)
        x2 = T.tensor(data(1, 2, 6, 6, seed=2), requires_grad=True)
        x3 = T.tensor(data(1, 2, 4, 4, 4, seed=3), requires_grad=True)
        outs = [F.max_pool1d_with_indices(x, 2), F.max_pool3d_with_indices(x3, 2, 1),
                F.adaptive_max_pool1d_with_indices(x, 3), F.adaptive_max_pool2d_with_indices(x2, (2, 3)),
                F.lp_pool1d(x.abs(), 2, 3), F.lp_pool2d(x2.abs(), 1.5, (2, 3), 1), F.lp_pool3d(x3.abs(), 2, 2),
                F.native_channel_shuffle(x2.detach().reshape(1, 4, 3, 6), 2)]
        tbc = F.conv_tbc(x.permute(2, 0, 1).contiguous(), T.tensor(data(3, 3, 4, seed=5)), T.tensor(data(4, seed=6)), 1)
        outs.append(tbc)
        flat = [o for out in outs for o in (out if isinstance(out, tuple) else (out,))]
        total = sum(o.float().sum() for o in flat if o.is_floating_point())
        return [o.detach() for o in flat], T.autograd.grad(total, [x, x2, x3])
    same(f, rtol=1e-5, atol=1e-5, check_grad_fn=False)


def test_inplace_activations():
    def f(T):
        F = T.nn.functional
        out = []
        for fn in (lambda y: F.celu_(y, 0.5), F.selu_, lambda y: F.threshold_(y, 0.1, 2.0)):
            x = T.tensor(data(5, seed=1), requires_grad=True)
            y = x * 1
            r = fn(y)
            out.append((r is y, y, T.autograd.grad(y.sum(), x)))
        return out
    same(f, check_grad_fn=False)


def test_gumbel_softmax():
    """Random draws differ between the libraries: compare what does not depend on them."""
    import torch
    import torchlike
    for T in (torch, torchlike):
        logits = T.tensor(data(4, 6, seed=1), requires_grad=True)
        soft = T.nn.functional.gumbel_softmax(logits, tau=0.5)
        hard = T.nn.functional.gumbel_softmax(logits, hard=True, dim=0)
        np.testing.assert_allclose(soft.detach().sum(-1).numpy(), np.ones(4), rtol=1e-5)
        h = hard.detach().numpy()
        assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(0) == 1).all()
        (g,) = T.autograd.grad((hard * T.arange(6.0)).sum(), logits)
        assert g.shape == (4, 6) and np.isfinite(g.numpy()).all()
    same(lambda T: T.nn.functional.conv_tbc(T.tensor(data(5, 2, 3)), T.tensor(data(3, 4, 4)), T.tensor(data(4))))


# ---- nn.utils --------------------------------------------------------------------------------

def _symmetric(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _scaled(T):
    class Scale(T.nn.Module):
        def forward(self, X):
            return 2 * X
    return Scale()


def test_parametrize_register_remove():
    def f(T):
        P = T.nn.utils.parametrize
        m = _load(T, T.nn.Linear(3, 3))
        P.register_parametrization(m, "weight", _symmetric(T))
        first = (repr(m), type(m).__name__, P.type_before_parametrizations(m).__name__, list(m.state_dict()),
                 P.is_parametrized(m), P.is_parametrized(m, "weight"), P.is_parametrized(m, "bias"), m.weight)
        x = T.tensor(data(2, 3, seed=7))
        y = m(x)
        grads = T.autograd.grad(y.sum(), list(m.parameters()))
        P.register_parametrization(m, "weight", _scaled(T))
        chained = (repr(m), m.weight)
        m.weight = T.tensor(data(3, 3, seed=8))
        assigned = (m.weight, m.parametrizations.weight.original)
        with P.cached():
            same_obj = m.weight is m.weight
        P.remove_parametrizations(m, "weight")
        return first, y, grads, chained, assigned, same_obj, type(m).__name__, list(m.state_dict()), m.weight, \
            type(m.weight).__name__
    same(f)


def test_parametrize_buffer_and_leave_original():
    def f(T):
        P = T.nn.utils.parametrize
        m = _load(T, T.nn.BatchNorm1d(3))
        P.register_parametrization(m, "running_var", _scaled(T))
        sd = list(m.state_dict())
        v = m.running_var
        P.remove_parametrizations(m, "running_var", leave_parametrized=False)
        return sd, v, m.running_var, list(m.state_dict())
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: T.nn.utils.parametrize.remove_parametrizations(T.nn.Linear(2, 2), "weight"),
    lambda T: T.nn.utils.parametrize.register_parametrization(T.nn.Linear(2, 2), "foo", _scaled(T)),
    lambda T: setattr(T.nn.utils.parametrize.register_parametrization(T.nn.Linear(2, 2), "weight", _scaled(T)),
                      "weight", T.zeros(2, 2)),
])
def test_parametrize_errors(case):
    same(case)


def test_parametrize_shape_change_error():
    def f(T):
        class First(T.nn.Module):
            def forward(self, X):
                return X[0]
        T.nn.utils.parametrize.register_parametrization(T.nn.Linear(2, 2), "weight", First())
    same_message(f)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    def f(T):
        m = _load(T, T.nn.Linear(3, 4))
        T.nn.utils.parametrizations.weight_norm(m, dim=dim)
        g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
        x = T.tensor(data(2, 3, seed=7))
        y = m(x)
        grads = T.autograd.grad(y.pow(2).sum(), [g, v, m.bias])
        return repr(m), list(m.state_dict()), g, v, m.weight, y, grads
    same(f, rtol=1e-5, atol=1e-6, check_grad_fn=False)


def test_legacy_weight_norm():
    def f(T):
        m = _load(T, T.nn.Conv1d(2, 3, 2))
        T.nn.utils.weight_norm(m, dim=1)
        x = T.tensor(data(1, 2, 5, seed=7))
        y = m(x)
        grads = T.autograd.grad(y.pow(2).sum(), [m.weight_g, m.weight_v])
        sd = list(m.state_dict())
        T.nn.utils.remove_weight_norm(m)
        return sd, m.weight_g if hasattr(m, "weight_g") else None, y, grads, list(m.state_dict()), m.weight
    same(f, rtol=1e-5, atol=1e-6, check_grad_fn=False)
    same_message(lambda T: T.nn.utils.remove_weight_norm(T.nn.Linear(2, 2)))


@pytest.mark.parametrize("kind", ["conv", "conv_nobias", "convT", "linear"])
def test_fusion(kind):
    def f(T):
        nn, fu = T.nn, T.nn.utils
        if kind == "linear":
            layer, bn, x = nn.Linear(3, 4), nn.BatchNorm1d(4), T.tensor(data(5, 3, seed=3))
        elif kind == "convT":
            layer, bn, x = nn.ConvTranspose2d(2, 3, 2), nn.BatchNorm2d(3), T.tensor(data(1, 2, 4, 4, seed=3))
        else:
            layer, bn = nn.Conv2d(2, 3, 2, bias=kind == "conv"), nn.BatchNorm2d(3)
            x = T.tensor(data(1, 2, 4, 4, seed=3))
        _load(T, layer, 1)
        _load(T, bn, 10)
        bn.running_var.abs_()
        layer.eval()
        bn.eval()
        fused = (fu.fuse_linear_bn_eval(layer, bn) if kind == "linear"
                 else fu.fuse_conv_bn_eval(layer, bn, transpose=kind == "convT"))
        return fused(x), bn(layer(x)), repr(fused), type(fused.weight).__name__, fused.weight.requires_grad
    same(f, rtol=1e-5, atol=1e-5, check_grad_fn=False)
    same(lambda T: T.nn.utils.fuse_conv_bn_eval(T.nn.Conv2d(1, 1, 1), T.nn.BatchNorm2d(1)))


def test_stateless_skip_init_clip_value():
    def f(T):
        m = _load(T, T.nn.Linear(3, 2))
        x = T.tensor(data(4, 3, seed=5))
        w = T.tensor(data(2, 3, seed=6))
        out = T.nn.utils.stateless.functional_call(m, {"weight": w}, (x,))
        s = T.nn.utils.skip_init(T.nn.Linear, 3, 2)
        ps = [T.nn.Parameter(T.tensor(data(3, seed=1)))]
        ps[0].grad = T.tensor(data(3, seed=2))
        T.nn.utils.clip_grad_value_(ps, 0.5)
        vec = T.nn.utils.parameters_to_vector(m.parameters())
        return out, repr(s), s.weight.shape, ps[0].grad, vec
    same(f, check_grad_fn=False)
    same(lambda T: T.nn.utils.skip_init(T.nn.ReLU))


# ---- torch.func additions and functorch's make_functional --------------------------------------

def test_make_functional():
    def f(T, functorch_like):
        m = _load(T, T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2)))
        fmodel, params = functorch_like.make_functional(m)
        x = T.tensor(data(5, 3, seed=3))
        new = tuple(p * 0.5 for p in params)
        y = fmodel(new, x)
        grads = T.autograd.grad(fmodel(params, x).sum(), params)
        bn = _load(T, T.nn.BatchNorm1d(3))
        fbn, bp, bb = functorch_like.make_functional_with_buffers(bn, disable_autograd_tracking=True)
        z = fbn(bp, tuple(b * 2 if b.is_floating_point() else b for b in bb), x)
        return repr(fmodel), len(params), y, grads, repr(fbn), [p.requires_grad for p in bp], len(bb), z
    import functorch
    import torch
    import torchlike
    expected = f(torch, functorch)
    actual = f(torchlike, torchlike.func)
    from harness import assert_same
    assert_same(expected, actual, rtol=1e-5, atol=1e-6, check_grad_fn=False)
    for lib, mod in ((torch, functorch), (torchlike, torchlike.func)):
        try:
            mod.make_functional(lib.nn.BatchNorm1d(2))
        except RuntimeError as exc:
            assert "make_functional_with_buffers" in str(exc)
        else:
            raise AssertionError("no error")


def test_func_linearize_functionalize_batchnorm():
    def f(T):
        x = T.tensor(data(4, seed=1))
        out, jvp_fn = T.func.linearize(lambda a: (a.sin() * a).sum(), x)
        t1 = jvp_fn(T.ones(4))
        t2 = jvp_fn(T.tensor(data(4, seed=2)))
        g = T.func.functionalize(lambda a: a.clone().add_(1).mul(2))(x)
        m = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.BatchNorm1d(3))
        T.func.replace_all_batch_norm_modules_(m)
        bn = m[1]
        return out, t1, t2, g, bn.running_mean, bn.track_running_stats, list(m.state_dict()), T.func.debug_unwrap(x)
    same(f, rtol=1e-5, atol=1e-6, check_grad_fn=False)
