"""torch.nn.functional ops added for issues 4 and 5, differentially against PyTorch.

Interpolation, unfold/fold, transposed convolution, max unpooling, adaptive/fractional max pooling, the
margin/NLL/triplet losses, pdist, local response norm, channel shuffle, alpha dropout and rrelu, and their
modules: forward values, grad_fn names, gradients, reprs and the exceptions raised for bad arguments.
"""
import numpy as np
import pytest

from harness import data, same, same_output


def fwd_grad(T, fn, *shapes, seed=0, low=-2.0, high=2.0):
    """``fn(T, *inputs)`` on seeded inputs that require grad; the output and the gradients of a fixed random
    projection of it."""
    xs = [T.tensor(data(*s, seed=seed + i, low=low, high=high), requires_grad=True) for i, s in enumerate(shapes)]
    out = fn(T, *xs)
    first = out[0] if isinstance(out, tuple) else out
    if first.requires_grad:
        (first * T.tensor(data(*first.shape, seed=99))).sum().backward()
    return out, [x.grad for x in xs]


def check(fn, *shapes, rtol=1e-5, atol=1e-5, **kw):
    same(lambda T: fwd_grad(T, fn, *shapes, **kw), rtol=rtol, atol=atol)


# ---- interpolate -------------------------------------------------------------------
INTERP = [
    ("nearest-size", lambda T, x: T.nn.functional.interpolate(x, size=(5, 7)), (2, 3, 4, 5)),
    ("nearest-scale", lambda T, x: T.nn.functional.interpolate(x, scale_factor=1.7), (2, 3, 4, 5)),
    ("nearest-down", lambda T, x: T.nn.functional.interpolate(x, size=3), (1, 2, 7)),
    ("nearest-3d", lambda T, x: T.nn.functional.interpolate(x, scale_factor=(2, 0.5, 1.5)), (1, 2, 3, 4, 5)),
    ("nearest-exact", lambda T, x: T.nn.functional.interpolate(x, size=(7, 3), mode="nearest-exact"), (2, 2, 4, 5)),
    ("nearest-recompute", lambda T, x: T.nn.functional.interpolate(x, scale_factor=1.3, recompute_scale_factor=True),
     (1, 2, 9)),
    ("linear", lambda T, x: T.nn.functional.interpolate(x, size=9, mode="linear"), (2, 3, 5)),
    ("linear-ac", lambda T, x: T.nn.functional.interpolate(x, size=9, mode="linear", align_corners=True), (2, 3, 5)),
    ("linear-scale", lambda T, x: T.nn.functional.interpolate(x, scale_factor=0.6, mode="linear"), (2, 3, 8)),
    ("bilinear", lambda T, x: T.nn.functional.interpolate(x, size=(6, 3), mode="bilinear"), (2, 3, 4, 5)),
    ("bilinear-ac", lambda T, x: T.nn.functional.interpolate(x, scale_factor=2, mode="bilinear",
                                                              align_corners=True), (1, 2, 3, 4)),
    ("bilinear-to-1", lambda T, x: T.nn.functional.interpolate(x, size=1, mode="bilinear", align_corners=True),
     (1, 2, 3, 4)),
    ("bicubic", lambda T, x: T.nn.functional.interpolate(x, size=(7, 6), mode="bicubic"), (1, 2, 4, 5)),
    ("bicubic-ac", lambda T, x: T.nn.functional.interpolate(x, scale_factor=1.5, mode="bicubic",
                                                             align_corners=True), (1, 2, 4, 5)),
    ("trilinear", lambda T, x: T.nn.functional.interpolate(x, size=(3, 5, 2), mode="trilinear"), (1, 2, 2, 3, 4)),
    ("area", lambda T, x: T.nn.functional.interpolate(x, size=(2, 3), mode="area"), (2, 3, 4, 7)),
    ("area-1d", lambda T, x: T.nn.functional.interpolate(x, scale_factor=0.5, mode="area"), (2, 3, 8)),
    ("upsample_nearest", lambda T, x: T.nn.functional.upsample_nearest(x, scale_factor=2), (1, 2, 3, 3)),
    ("upsample_bilinear", lambda T, x: T.nn.functional.upsample_bilinear(x, size=(5, 4)), (1, 2, 3, 3)),
    ("Upsample", lambda T, x: T.nn.Upsample(scale_factor=2, mode="bilinear")(x), (1, 2, 3, 3)),
    ("UpsamplingNearest2d", lambda T, x: T.nn.UpsamplingNearest2d(size=5)(x), (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", lambda T, x: T.nn.UpsamplingBilinear2d(scale_factor=2)(x), (1, 2, 3, 3)),
]


@pytest.mark.parametrize("name,fn,shape", INTERP, ids=[c[0] for c in INTERP])
def test_interpolate(name, fn, shape):
    check(fn, shape)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
@pytest.mark.parametrize("scale", [2.1, 1.0001, 0.999, 0.5, 3, 0.3])
@pytest.mark.parametrize("n", [1, 5, 8])
def test_interpolate_scale_edge_cases(mode, scale, n):
    """Index rules at scale factors near 1 (PyTorch copies a dim of unchanged size in the linear modes but not
    in nearest), sizes that round to 0 (area returns empty) and the uint8 nearest kernel."""
    same(lambda T: T.nn.functional.interpolate(T.tensor(data(1, 2, n)), scale_factor=scale, mode=mode))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("scale", [2.1, 1.0001, (1.0001, 2), 0.5])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_2d_scales(mode, scale, align_corners):
    same(lambda T: T.nn.functional.interpolate(T.tensor(data(1, 1, 5, 6)), scale_factor=scale, mode=mode,
                                               align_corners=align_corners))


def test_interpolate_uint8():
    same(lambda T: T.nn.functional.interpolate(T.tensor(np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)),
                                               scale_factor=1.5))
    u = np.random.default_rng(0).integers(0, 256, (1, 2, 5, 6)).astype(np.uint8)
    import torch
    import torchlike
    for mode in ("bilinear", "bicubic"):
        # PyTorch's uint8 kernels use fixed-point weights: ours (float weights, rounded per pass) are within 2
        want, got = (T.nn.functional.interpolate(T.tensor(u), scale_factor=1.7, mode=mode).numpy().astype(int)
                     for T in (torch, torchlike))
        assert want.shape == got.shape and np.abs(want - got).max() <= 2


def test_unfold_fold_bool_and_complex():
    same(lambda T: T.nn.functional.unfold(T.tensor(data(1, 1, 4, 4) > 0), 2))
    same(lambda T: T.nn.functional.fold(T.tensor(data(1, 4, 4) > 0), 3, 2))
    same(lambda T: T.nn.functional.unfold(T.tensor(data(1, 1, 3, 3)) * (1 + 2j), 2))


def test_interpolate_float64_and_half():
    same(lambda T: T.nn.functional.interpolate(T.tensor(data(1, 2, 5, dtype=np.float64)), size=8, mode="linear"))
    same(lambda T: T.nn.functional.interpolate(T.tensor(data(1, 2, 3, 4)).half(), scale_factor=2,
                                               mode="bilinear"), rtol=1e-3, atol=1e-3)


INTERP_ERRORS = [
    lambda T, x: T.nn.functional.interpolate(x),
    lambda T, x: T.nn.functional.interpolate(x, size=3, scale_factor=2),
    lambda T, x: T.nn.functional.interpolate(x, size=(3, 4, 5)),
    lambda T, x: T.nn.functional.interpolate(x, size=3, align_corners=True),
    lambda T, x: T.nn.functional.interpolate(x, size=3, mode="linear"),
    lambda T, x: T.nn.functional.interpolate(x, size=3, mode="cubic"),
    lambda T, x: T.nn.functional.interpolate(x, size=3, mode="nearest", antialias=True),
    lambda T, x: T.nn.functional.interpolate(x, size=0),
    lambda T, x: T.nn.functional.interpolate(x[0, 0], size=3),
    lambda T, x: T.nn.functional.interpolate(T.arange(12).reshape(1, 1, 3, 4), scale_factor=1.5),
    lambda T, x: T.nn.functional.interpolate(T.arange(12).reshape(1, 1, 3, 4), size=5, mode="bilinear"),
]


@pytest.mark.parametrize("case", range(len(INTERP_ERRORS)))
def test_interpolate_errors(case):
    same(lambda T: INTERP_ERRORS[case](T, T.tensor(data(2, 3, 4, 5))))


# ---- unfold / fold ------------------------------------------------------------------
FOLD = [
    ("unfold", lambda T, x: T.nn.functional.unfold(x, 2), (2, 3, 4, 5)),
    ("unfold-args", lambda T, x: T.nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     (2, 3, 5, 6)),
    ("unfold-unbatched", lambda T, x: T.nn.functional.unfold(x, 3, padding=1), (2, 4, 4)),
    ("fold", lambda T, x: T.nn.functional.fold(x, (3, 4), 2), (2, 12, 6)),
    ("fold-args", lambda T, x: T.nn.functional.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     (2, 18, 12)),
    ("fold-unbatched", lambda T, x: T.nn.functional.fold(x, 4, 3, padding=1), (18, 16)),
    ("fold-of-unfold", lambda T, x: T.nn.functional.fold(T.nn.functional.unfold(x, 2, stride=1), (4, 5), 2),
     (1, 2, 4, 5)),
    ("Unfold", lambda T, x: T.nn.Unfold(kernel_size=(2, 2), stride=2)(x), (1, 2, 4, 4)),
    ("Fold", lambda T, x: T.nn.Fold(output_size=(4, 4), kernel_size=2, stride=2)(x), (1, 8, 4)),
]


@pytest.mark.parametrize("name,fn,shape", FOLD, ids=[c[0] for c in FOLD])
def test_fold_unfold(name, fn, shape):
    check(fn, shape)


FOLD_ERRORS = [
    lambda T: T.nn.functional.unfold(T.ones(2, 3), 2),
    lambda T: T.nn.functional.unfold(T.ones(1, 2, 3, 3), 4),
    lambda T: T.nn.functional.unfold(T.ones(1, 2, 3, 3), 0),
    lambda T: T.nn.functional.fold(T.ones(1, 5, 4), 3, 2),
    lambda T: T.nn.functional.fold(T.ones(1, 8, 5), 3, 2),
    lambda T: T.nn.functional.fold(T.ones(1, 1, 8, 4), 3, 2),
    lambda T: T.nn.functional.unfold(T.arange(16).reshape(1, 1, 4, 4), 2),
    lambda T: T.nn.functional.fold(T.arange(16).reshape(1, 4, 4), 3, 2),
]


@pytest.mark.parametrize("case", range(len(FOLD_ERRORS)))
def test_fold_errors(case):
    same(FOLD_ERRORS[case])


# ---- transposed convolution ---------------------------------------------------------------
CONVT = [
    ("1d", lambda T, x, w, b: T.nn.functional.conv_transpose1d(x, w, b), (2, 4, 5), (4, 3, 3), (3,)),
    ("1d-args", lambda T, x, w, b: T.nn.functional.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1,
                                                                     groups=2, dilation=2), (2, 4, 5), (4, 3, 3), (6,)),
    ("1d-unbatched", lambda T, x, w, b: T.nn.functional.conv_transpose1d(x, w, b, stride=3), (4, 5), (4, 2, 2), (2,)),
    ("2d", lambda T, x, w, b: T.nn.functional.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0)),
     (2, 3, 4, 5), (3, 2, 3, 2), (2,)),
    ("2d-groups", lambda T, x, w, b: T.nn.functional.conv_transpose2d(x, w, b, stride=2, output_padding=(1, 0),
                                                                       groups=3, dilation=(1, 2)),
     (1, 6, 3, 4), (6, 2, 2, 3), (6,)),
    ("2d-big-padding", lambda T, x, w, b: T.nn.functional.conv_transpose2d(x, w, b, padding=2), (1, 2, 5, 5),
     (2, 3, 3, 3), (3,)),
    ("3d", lambda T, x, w, b: T.nn.functional.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1),
     (1, 2, 3, 2, 3), (2, 2, 2, 3, 2), (2,)),
    ("torch.conv_transpose2d", lambda T, x, w, b: T.conv_transpose2d(x, w, b, 2), (1, 2, 3, 3), (2, 1, 2, 2), (1,)),
]


@pytest.mark.parametrize("name,fn,xs,ws,bs", CONVT, ids=[c[0] for c in CONVT])
def test_conv_transpose(name, fn, xs, ws, bs):
    check(fn, xs, ws, bs, rtol=1e-4, atol=1e-4)


def _load(m, T):
    m.load_state_dict({k: T.tensor(data(*v.shape, seed=7 + i, low=-0.5, high=0.5))
                       for i, (k, v) in enumerate(m.state_dict().items())})
    return m


@pytest.mark.parametrize("cls,args,shape,kw", [
    ("ConvTranspose1d", (4, 6, 3), (2, 4, 5), dict(stride=2, groups=2)),
    ("ConvTranspose2d", (2, 3, (3, 2)), (1, 2, 4, 5), dict(stride=2, padding=1, output_padding=1, bias=False)),
    ("ConvTranspose3d", (2, 2, 2), (1, 2, 2, 3, 2), dict(dilation=2)),
])
def test_conv_transpose_modules(cls, args, shape, kw):
    def run(T):
        m = _load(getattr(T.nn, cls)(*args, **kw), T)
        x = T.tensor(data(*shape), requires_grad=True)
        y = m(x)
        y.sum().backward()
        return repr(m), y, x.grad, m.weight.grad, tuple(m.weight.shape)
    same(run, rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size():
    def run(T):
        m = _load(T.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), T)
        x = T.tensor(data(1, 2, 4, 4))
        return m(x).shape, m(x, output_size=[8, 8]).shape, m(x, output_size=(1, 3, 7, 8)).shape
    same(run)
    same(lambda T: _load(T.nn.ConvTranspose2d(2, 3, 3, stride=2), T)(T.ones(1, 2, 4, 4), output_size=[20, 20]))
    same(lambda T: T.nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect"))


CONVT_ERRORS = [
    lambda T: T.nn.functional.conv_transpose2d(T.ones(1, 3, 4, 4), T.ones(2, 2, 3, 3)),
    lambda T: T.nn.functional.conv_transpose2d(T.ones(1, 2, 4, 4), T.ones(2, 2, 3, 3), output_padding=1),
    lambda T: T.nn.functional.conv_transpose2d(T.ones(1, 2, 4, 4), T.ones(2, 2, 3, 3), stride=0),
    lambda T: T.nn.functional.conv_transpose2d(T.ones(2, 4, 4), T.ones(2, 2, 3), stride=1),
    lambda T: T.nn.functional.conv_transpose1d(T.ones(1, 2, 4), T.ones(2, 2, 3), T.ones(3)),
    lambda T: T.nn.functional.conv_transpose1d(T.ones(1, 2, 1), T.ones(2, 2, 1), padding=1),
    lambda T: T.nn.functional.conv_transpose1d(T.ones(1, 2, 4), T.ones(2, 2, 3, dtype=T.float64)),
]


@pytest.mark.parametrize("case", range(len(CONVT_ERRORS)))
def test_conv_transpose_errors(case):
    same(CONVT_ERRORS[case])


# ---- max unpooling, adaptive and fractional max pooling ---------------------------------------------
@pytest.mark.parametrize("n,shape,kw", [
    (1, (2, 3, 8), dict(kernel_size=2)),
    (2, (2, 3, 5, 4), dict(kernel_size=2, stride=1, padding=1)),
    (2, (3, 4, 4), dict(kernel_size=2)),
    (3, (1, 2, 4, 4, 4), dict(kernel_size=2)),
])
def test_max_unpool_roundtrip(n, shape, kw):
    def run(T, x):
        F = T.nn.functional
        y, idx = getattr(F, f"max_pool{n}d")(x, return_indices=True, **kw)
        return getattr(F, f"max_unpool{n}d")(y, idx, **kw), idx
    check(run, shape)


def test_max_unpool_output_size_and_modules():
    def run(T, x):
        y, idx = T.nn.functional.max_pool2d(x, 2, return_indices=True)
        a = T.nn.functional.max_unpool2d(y, idx, 2, output_size=(5, 5))
        b = T.nn.MaxUnpool2d(2)(y, idx, output_size=[1, 2, 5, 4])
        return a, b, repr(T.nn.MaxUnpool2d(2)), repr(T.nn.MaxUnpool1d(3, 1, 1)), repr(T.nn.MaxUnpool3d(2, 1))
    check(run, (1, 2, 5, 5))


UNPOOL_ERRORS = [
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 2), 2),
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 1, dtype=T.int64), 2),
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.full((1, 1, 2, 2), 16), 2),
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 2, dtype=T.int64), 2,
                                           output_size=(9, 9)),
    lambda T: T.nn.functional.max_unpool2d(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 2, dtype=T.int64), 2,
                                           output_size=(4, 4, 4)),
]


@pytest.mark.parametrize("case", range(len(UNPOOL_ERRORS)))
def test_max_unpool_errors(case):
    same(UNPOOL_ERRORS[case])


@pytest.mark.parametrize("size,shape", [(2, (2, 3, 4, 5, 6)), ((1, None, 3), (3, 4, 5, 5)), (1, (1, 2, 3, 3, 3))])
def test_adaptive_max_pool3d(size, shape):
    check(lambda T, x: T.nn.functional.adaptive_max_pool3d(x, size, return_indices=True), shape)
    check(lambda T, x: T.nn.AdaptiveMaxPool3d(size)(x), shape)


@pytest.mark.parametrize("n,shape,kw", [
    (2, (2, 3, 7, 8), dict(kernel_size=2, output_size=(3, 4))),
    (2, (2, 3, 9, 9), dict(kernel_size=3, output_ratio=(0.5, 0.7))),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=2, output_size=3)),
])
def test_fractional_max_pool_given_samples(n, shape, kw):
    """With the same ``_random_samples`` both libraries pick the same windows."""
    def run(T, x):
        samples = T.tensor(data(shape[0], shape[1], n, seed=5, low=0.0, high=1.0))
        return getattr(T.nn.functional, f"fractional_max_pool{n}d")(x, return_indices=True, _random_samples=samples,
                                                                     **kw)
    check(run, shape)


def test_fractional_max_pool_random_shapes():
    def run(T):
        T.manual_seed(0)
        x = T.tensor(data(2, 3, 8, 8))
        y = T.nn.FractionalMaxPool2d(2, output_ratio=0.5)(x)
        z = T.nn.functional.fractional_max_pool3d(T.ones(3, 5, 5, 5), 2, output_size=2)
        return y.shape, z.shape, repr(T.nn.FractionalMaxPool3d(2, output_size=3))
    same(run)
    same(lambda T: T.nn.functional.fractional_max_pool2d(T.ones(1, 1, 4, 4), 3, output_size=3))
    same(lambda T: T.nn.functional.fractional_max_pool2d(T.ones(1, 1, 4, 4), 2))


# ---- losses ------------------------------------------------------------------------------
def _t(T, a, **kw):
    return T.tensor(np.asarray(a), **kw)


LOSSES = [
    ("cosine_embedding", lambda T, a, b, r: T.nn.functional.cosine_embedding_loss(
        a, b, _t(T, [1., -1, 1, -1]), margin=0.2, reduction=r), (4, 5), (4, 5)),
    ("cosine_embedding-1d", lambda T, a, b, r: T.nn.functional.cosine_embedding_loss(
        a, b, _t(T, -1.), reduction=r), (5,), (5,)),
    ("margin_ranking", lambda T, a, b, r: T.nn.functional.margin_ranking_loss(
        a, b, _t(T, [1., -1, 1, -1, 1]), margin=0.3, reduction=r), (5,), (5,)),
    ("hinge_embedding", lambda T, a, r: T.nn.functional.hinge_embedding_loss(
        a, _t(T, [[1., -1, 1], [-1, 1, 1]]), margin=0.5, reduction=r), (2, 3)),
    ("multi_margin", lambda T, a, r: T.nn.functional.multi_margin_loss(
        a, _t(T, [0, 3, 1]), reduction=r), (3, 4)),
    ("multi_margin-p2-weight", lambda T, a, r: T.nn.functional.multi_margin_loss(
        a, _t(T, [2, 0, 1]), p=2, margin=0.7, weight=T.tensor([0.5, 1., 2., 0.1]), reduction=r), (3, 4)),
    ("multi_margin-1d", lambda T, a, r: T.nn.functional.multi_margin_loss(a, _t(T, 2), reduction=r), (4,)),
    ("multilabel_margin", lambda T, a, r: T.nn.functional.multilabel_margin_loss(
        a, _t(T, [[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 0]]), reduction=r), (3, 4)),
    ("multilabel_margin-1d", lambda T, a, r: T.nn.functional.multilabel_margin_loss(
        a, _t(T, [2, 1, -1, 0]), reduction=r), (4,)),
    ("multilabel_soft_margin", lambda T, a, w, r: T.nn.functional.multilabel_soft_margin_loss(
        a, _t(T, [[1., 0, 1, 0], [0, 0, 1, 1]]), weight=w, reduction=r), (2, 4), (4,)),
    ("poisson_nll", lambda T, a, b, r: T.nn.functional.poisson_nll_loss(a, b.abs(), reduction=r), (3, 4), (3, 4)),
    ("poisson_nll-nolog-full", lambda T, a, b, r: T.nn.functional.poisson_nll_loss(
        a.abs(), b.abs() * 2, log_input=False, full=True, reduction=r), (3, 4), (3, 4)),
    ("gaussian_nll", lambda T, a, b, v, r: T.nn.functional.gaussian_nll_loss(a, b, v.abs(), reduction=r),
     (3, 4), (3, 4), (3, 4)),
    ("gaussian_nll-full-1dvar", lambda T, a, b, v, r: T.nn.functional.gaussian_nll_loss(
        a, b, v * v, full=True, eps=0.1, reduction=r), (3, 4), (3, 4), (3,)),
    ("gaussian_nll-float-var", lambda T, a, b, r: T.nn.functional.gaussian_nll_loss(a, b, 0.5, reduction=r),
     (3, 4), (3, 4)),
    ("triplet_margin", lambda T, a, p, n, r: T.nn.functional.triplet_margin_loss(a, p, n, reduction=r),
     (3, 5), (3, 5), (3, 5)),
    ("triplet_margin-swap-p1", lambda T, a, p, n, r: T.nn.functional.triplet_margin_loss(
        a, p, n, margin=2.0, p=1, swap=True, reduction=r), (3, 5), (3, 5), (3, 5)),
    ("triplet_with_distance", lambda T, a, p, n, r: T.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - T.nn.functional.cosine_similarity(x, y), reduction=r),
     (3, 5), (3, 5), (3, 5)),
    ("triplet_with_distance-default", lambda T, a, p, n, r: T.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, swap=True, reduction=r), (3, 5), (3, 5), (3, 5)),
    ("mse-weight", lambda T, a, b, w, r: T.nn.functional.mse_loss(a, b, reduction=r, weight=w.abs()),
     (3, 4), (3, 4), (3, 4)),
    ("l1-weight", lambda T, a, b, w, r: T.nn.functional.l1_loss(a, b, reduction=r, weight=w.abs()),
     (3, 4), (3, 4), (3, 4)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss(case, reduction):
    _, fn, *shapes = case
    check(lambda T, *xs: fn(T, *xs, reduction), *shapes)


LOSS_MODULES = [
    ("CosineEmbeddingLoss", dict(margin=0.1), lambda T: (T.tensor(data(3, 4)), T.tensor(data(3, 4, seed=1)),
                                                         _t(T, [1., -1, 1]))),
    ("MarginRankingLoss", dict(margin=0.5), lambda T: (T.tensor(data(4)), T.tensor(data(4, seed=1)),
                                                       _t(T, [1., -1, 1, 1]))),
    ("HingeEmbeddingLoss", dict(reduction="sum"), lambda T: (T.tensor(data(4)), _t(T, [1., -1, 1, 1]))),
    ("MultiMarginLoss", dict(p=2, weight=None), lambda T: (T.tensor(data(2, 3)), _t(T, [0, 2]))),
    ("MultiLabelMarginLoss", {}, lambda T: (T.tensor(data(2, 3)), _t(T, [[0, -1, 1], [2, 1, -1]]))),
    ("MultiLabelSoftMarginLoss", {}, lambda T: (T.tensor(data(2, 3)), _t(T, [[0., 1, 1], [1, 0, 0]]))),
    ("PoissonNLLLoss", dict(full=True), lambda T: (T.tensor(data(2, 3)), T.tensor(data(2, 3, seed=1, low=0)))),
    ("GaussianNLLLoss", dict(eps=1e-3), lambda T: (T.tensor(data(2, 3)), T.tensor(data(2, 3, seed=1)),
                                                   T.tensor(data(2, 3, seed=2, low=0)))),
    ("TripletMarginLoss", dict(margin=0.5, swap=True), lambda T: tuple(T.tensor(data(2, 3, seed=s))
                                                                      for s in range(3))),
    ("TripletMarginWithDistanceLoss", {}, lambda T: tuple(T.tensor(data(2, 3, seed=s)) for s in range(3))),
]


@pytest.mark.parametrize("cls,kw,inputs", LOSS_MODULES, ids=[c[0] for c in LOSS_MODULES])
def test_loss_modules(cls, kw, inputs):
    def run(T):
        m = getattr(T.nn, cls)(**kw)
        xs = inputs(T)
        x0 = xs[0].requires_grad_()
        out = m(*xs)
        out.backward()
        return repr(m), out, x0.grad
    same(run)


LOSS_ERRORS = [
    lambda T: T.nn.functional.cosine_embedding_loss(T.ones(3, 4), T.ones(3, 5), T.ones(3)),
    lambda T: T.nn.functional.cosine_embedding_loss(T.ones(3, 4, 2), T.ones(3, 4, 2), T.ones(3)),
    lambda T: T.nn.functional.margin_ranking_loss(T.ones(3), T.ones(3, 1), T.ones(3)),
    lambda T: T.nn.functional.margin_ranking_loss(T.ones(3), T.ones(3), T.ones(3), reduction="avg"),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0, 1, 4])),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0, 1])),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0, 1, 2]), p=3),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0., 1, 2])),
    lambda T: T.nn.functional.multilabel_margin_loss(T.ones(3, 4), _t(T, [0, 1, 2])),
    lambda T: T.nn.functional.multilabel_margin_loss(T.ones(2, 2), _t(T, [[0, 5], [1, -1]])),
    lambda T: T.nn.functional.gaussian_nll_loss(T.ones(3, 4), T.ones(3, 4), T.ones(2, 4)),
    lambda T: T.nn.functional.gaussian_nll_loss(T.ones(3, 4), T.ones(3, 4), -T.ones(3, 4)),
    lambda T: T.nn.functional.triplet_margin_loss(T.ones(3, 4), T.ones(3, 4), T.ones(4)),
    lambda T: T.nn.functional.triplet_margin_loss(T.ones(3, 4), T.ones(3, 4), T.ones(3, 4), margin=0),
    lambda T: T.nn.functional.triplet_margin_with_distance_loss(T.ones(3, 4), T.ones(3, 4), T.ones(3, 4),
                                                                margin=-1),
    lambda T: T.nn.functional.mse_loss(T.ones(3, 4), T.ones(3, 4), weight=T.ones(4)),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0, 1, 2]), weight=T.ones(4, requires_grad=True)),
    lambda T: T.nn.MultiMarginLoss(p=3),
    lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), _t(T, [0, 1, 2]), weight=_t(T, [1., 2, 3, 4])),
    lambda T: T.nn.TripletMarginLoss(margin=0),
]


@pytest.mark.parametrize("case", range(len(LOSS_ERRORS)))
def test_loss_errors(case):
    same(LOSS_ERRORS[case])


# ---- pdist, local response norm, channel shuffle ---------------------------------------------
@pytest.mark.parametrize("p", [2, 1, 0, 3.5, float("inf")])
def test_pdist(p):
    check(lambda T, x: T.nn.functional.pdist(x, p), (5, 3))
    check(lambda T, x: T.pdist(x, p), (2, 4))


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((2, 6, 3, 4), 2), ((1, 4, 2, 3, 2), 5)])
def test_local_response_norm(shape, size):
    check(lambda T, x: T.nn.functional.local_response_norm(x, size, alpha=0.1, beta=0.6, k=1.5), shape)
    check(lambda T, x: T.nn.LocalResponseNorm(size)(x), shape)


def test_channel_shuffle():
    check(lambda T, x: T.nn.functional.channel_shuffle(x, 3), (2, 6, 2, 2))
    check(lambda T, x: T.nn.ChannelShuffle(2)(x), (2, 4, 3))
    same_output(lambda T: print(T.nn.ChannelShuffle(2), T.nn.LocalResponseNorm(3, k=2.0)))


MISC_ERRORS = [
    lambda T: T.nn.functional.pdist(T.ones(2, 3, 4)),
    lambda T: T.nn.functional.pdist(T.ones(3, 4), -1),
    lambda T: T.nn.functional.local_response_norm(T.ones(3, 4), 2),
    lambda T: T.nn.functional.channel_shuffle(T.ones(1, 5, 2), 2),
    lambda T: T.nn.functional.channel_shuffle(T.ones(1, 4, 2), 0),
    lambda T: T.nn.functional.rrelu(T.ones(3), 0.5, 0.1),
    lambda T: T.nn.functional.alpha_dropout(T.ones(3), 1.5, True),
]


@pytest.mark.parametrize("case", range(len(MISC_ERRORS)))
def test_misc_errors(case):
    same(MISC_ERRORS[case])


# ---- alpha dropout and rrelu (random: statistics and structure) ------------------------------------
def test_alpha_dropout_eval_identity_and_grad_fn():
    same(lambda T: T.nn.functional.alpha_dropout(T.tensor(data(3, 4), requires_grad=True), 0.3, False))
    same(lambda T: T.nn.AlphaDropout(0.3).eval()(T.tensor(data(3, 4))))
    same(lambda T: T.nn.functional.alpha_dropout(T.tensor(data(3, 4), requires_grad=True), 1.0, True))
    same(lambda T: T.nn.functional.feature_alpha_dropout(T.tensor(data(3, 4, 2)), 0.2, False))
    same_output(lambda T: print(T.nn.AlphaDropout(0.2), T.nn.FeatureAlphaDropout(), T.nn.RReLU(0.1, 0.3)))

    def kinds(T):
        T.manual_seed(0)
        x = T.tensor(data(3, 4, 5), requires_grad=True)
        y = T.nn.functional.alpha_dropout(x, 0.5, True)
        z = T.nn.FeatureAlphaDropout(0.5)(x)
        return y.grad_fn.name(), z.grad_fn.name(), y.shape, z.shape
    same(kinds)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_train_values(feature):
    """Kept units are ``a * x + b``, dropped ones the constant ``a * alpha' + b``; mean and variance are kept."""
    import torchlike as tl
    p = 0.3
    alpha = -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    b = -a * alpha * p
    x = data(64, 32, 8, 8, seed=3, low=0) if feature else data(200000, seed=3, low=0)
    tl.manual_seed(1)
    fn = tl.nn.functional.feature_alpha_dropout if feature else tl.nn.functional.alpha_dropout
    y = fn(tl.tensor(x), p, True).numpy()
    kept = np.isclose(y, a * x + b, atol=1e-5)
    dropped = np.isclose(y, a * alpha + b, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - p) < 0.02
    if feature:
        per_map = dropped.reshape(64, 32, -1)
        assert np.all(per_map.all(-1) | ~per_map.any(-1))
    else:
        z = data(200000, seed=4) * 0 + np.random.default_rng(0).standard_normal(200000).astype(np.float32)
        w = fn(tl.tensor(z), p, True).numpy()
        assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


def test_rrelu():
    check(lambda T, x: T.nn.functional.rrelu(x, 0.1, 0.3), (3, 4))
    check(lambda T, x: T.nn.RReLU().eval()(x), (3, 4))
    same(lambda T: T.nn.functional.rrelu_(T.tensor(data(3, 4)), 0.2, 0.4))
    import torchlike as tl
    tl.manual_seed(0)
    x = tl.tensor(data(1000), requires_grad=True)
    y = tl.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    xn, yn = x.detach().numpy(), y.detach().numpy()
    slope = yn[xn < 0] / xn[xn < 0]
    assert np.all(yn[xn > 0] == xn[xn > 0])
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[xn < 0], slope, rtol=1e-6)


# ---- CTC loss ---------------------------------------------------------------------------
CTC_TARGETS = np.array([[1, 2, 2], [1, 3, 0], [4, 4, 4]])


def _ctc(T, reduction, zero_infinity=False, form="padded"):
    lp = T.tensor(data(7, 3, 5, seed=1)).log_softmax(2).detach().requires_grad_()
    targets, il, tl = T.tensor(CTC_TARGETS), T.tensor(np.array([7, 5, 3])), T.tensor(np.array([3, 1, 3]))
    if form == "concatenated":
        targets = T.tensor(np.array([1, 2, 2, 1, 4, 4, 4]))
    if form == "lists":
        il, tl = [7, 5, 3], (3, 1, 3)
    if form == "unbatched":
        out = T.nn.functional.ctc_loss(lp[:, 0], targets[0], il[0], tl[0], reduction=reduction,
                                       zero_infinity=zero_infinity)
    elif form == "module":
        out = T.nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_infinity)(lp, targets, il, tl)
    else:
        out = T.nn.functional.ctc_loss(lp, targets, il, tl, reduction=reduction, zero_infinity=zero_infinity)
    out.sum().backward()
    return out, lp.grad


@pytest.mark.parametrize("form", ["padded", "concatenated", "lists", "unbatched", "module"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss(reduction, zero_infinity, form):
    """The third sample cannot be aligned (3 repeated labels in 3 steps): infinite loss and NaN gradients,
    or zeros with ``zero_infinity``; PyTorch's gradient is ``exp(log_probs) - posterior``."""
    same(lambda T: _ctc(T, reduction, zero_infinity, form), rtol=1e-4, atol=1e-5)


CTC_ERRORS = [
    lambda T: T.nn.functional.ctc_loss(T.zeros(4, 2, 3), T.ones(2, 2, dtype=T.int64), [5, 4], [2, 2]),
    lambda T: T.nn.functional.ctc_loss(T.zeros(4, 2, 3), T.ones(2, 2, dtype=T.int64), [4, 4], [2, 2], blank=3),
    lambda T: T.nn.functional.ctc_loss(T.zeros(4, 2, 3), T.ones(2, 2, dtype=T.int64), [4], [2, 2]),
    lambda T: T.nn.functional.ctc_loss(T.zeros(4, 2, 3), T.ones(2, 2, dtype=T.int64), [4, 4], [2, 2],
                                       reduction="avg"),
]


@pytest.mark.parametrize("case", range(len(CTC_ERRORS)))
def test_ctc_loss_errors(case):
    same(CTC_ERRORS[case])


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, size", [((4,), 2), ((2, 2), 2), ((2, 2, 2), 2), ((2, 2), "none-first"),
                                         ((2, 2, 2), "none-first"), ((2, 3, 5, 6), 2), ((2, 3, 5, 6), "none-first"),
                                         ((2, 2), "tuple"), ((2, 2, 2), "tuple"), ((2, 3, 5, 6), "tuple")])
def test_adaptive_pool_input_checks(n, kind, shape, size):
    def f(T):
        out = {"none-first": (None,) + (2,) * (n - 1), "tuple": (2,) * n}.get(size, size)
        return getattr(T.nn.functional, f"adaptive_{kind}_pool{n}d")(T.ones(shape), out)
    same(f)


@pytest.mark.parametrize("chunked", [False, True])
def test_linear_cross_entropy_with_options_and_bias(chunked):
    def f(T):
        x = T.tensor(data(6, 4), requires_grad=True)
        w = T.tensor(data(5, 4, seed=1), requires_grad=True)
        b = T.tensor(data(5, seed=2))
        t = T.tensor(np.array([0, 4, 2, 1, 3, 0]))
        opts = T.nn.LinearCrossEntropyOptions(batch_chunk_size=2) if chunked else None
        loss = T.nn.functional.linear_cross_entropy(x, w, t, linear_bias=b, label_smoothing=0.1, options=opts)
        loss.backward()
        return loss, x.grad, w.grad
    same(f)
