"""nn breadth, part 3: F.affine_grid / F.grid_sample (modes, paddings, align_corners, gradients),
F.grouped_mm, and cross_entropy / nll_loss class-target errors, against PyTorch."""
import numpy as np  # noqa: F401
import pytest

from harness import data, same, same_message


# ---- affine_grid / grid_sample ------------------------------------------------------------------

def _grid(T, *shape, seed, scale=1.2):
    """Sample points in about [-scale, scale] (some outside the image, exercising the padding)."""
    return T.tensor(data(*shape, seed=seed) * scale / 2, requires_grad=True)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d(mode, padding_mode, align_corners):
    def f(T):
        x = T.tensor(data(2, 3, 5, 4, seed=1), requires_grad=True)
        g = _grid(T, 2, 3, 6, 2, seed=2, scale=3.0)
        y = T.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        w = T.tensor(data(*y.shape, seed=3))
        gx, gg = T.autograd.grad((y * w).sum(), [x, g])
        return y, gx, gg
    # bicubic's grid gradient sums 16 taps' weight derivatives (cancelling to ~0 where the taps are equal)
    same(f, rtol=1e-4, atol=5e-5 if mode == "bicubic" else 1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d(mode, padding_mode):
    def f(T):
        x = T.tensor(data(1, 2, 3, 4, 5, seed=1), requires_grad=True)
        g = _grid(T, 1, 2, 3, 2, 3, seed=2, scale=2.5)
        y = T.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=False)
        gx, gg = T.autograd.grad(y.pow(2).sum(), [x, g])
        return y, gx, gg
    same(f, rtol=1e-4, atol=1e-5)


def test_grid_sample_exact_points_and_dtypes():
    """Pixel centres reproduce the input; float64 stays float64; torch.grid_sampler spelling."""
    def f(T):
        x = T.arange(12.0).reshape(1, 1, 3, 4)
        theta = T.tensor([[[1.0, 0, 0], [0, 1, 0]]])
        grid = T.nn.functional.affine_grid(theta, (1, 1, 3, 4), align_corners=False)
        y = T.nn.functional.grid_sample(x, grid, align_corners=False)
        xd = T.tensor(data(1, 2, 3, 3, seed=4)).double()
        gd = T.tensor(data(1, 2, 2, 2, seed=5)).double()
        return y, T.nn.functional.grid_sample(xd, gd, align_corners=True), T.grid_sampler(xd, gd, 1, 1, False), \
            T.grid_sampler_2d(xd, gd, 0, 2, True)
    same(f)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (1, 2, 3, 2, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    def f(T):
        theta = T.tensor(data(size[0], len(size) - 2, len(size) - 1, seed=6), requires_grad=True)
        g = T.nn.functional.affine_grid(theta, size, align_corners=align_corners)
        (gt,) = T.autograd.grad(g.sin().sum(), theta)
        y = T.nn.functional.grid_sample(T.tensor(data(*size, seed=7)), g, align_corners=align_corners)
        return g, gt, y, T.affine_grid_generator(theta, size, align_corners)
    same(f, rtol=1e-5, atol=1e-5)


def test_grid_sample_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    x = lambda T: T.tensor(data(1, 2, 3, 3, seed=1))  # noqa: E731
    g = lambda T, *s: T.tensor(data(*(s or (1, 2, 2, 2)), seed=2))  # noqa: E731
    same_message(lambda T: F(T).grid_sample(x(T), g(T), mode="foo"))
    same_message(lambda T: F(T).grid_sample(x(T), g(T), padding_mode="foo"))
    same_message(lambda T: F(T).grid_sample(x(T), g(T, 2, 2, 2, 2), align_corners=False))
    same_message(lambda T: F(T).grid_sample(x(T), g(T, 1, 2, 2, 3), align_corners=False))
    same_message(lambda T: F(T).grid_sample(x(T), g(T, 1, 2, 2, 2, 2), align_corners=False))
    same_message(lambda T: F(T).grid_sample(T.zeros(1, 2, 2, 2, 2), g(T, 1, 1, 2, 2, 3), mode="bicubic",
                                            align_corners=False))
    same_message(lambda T: F(T).grid_sample(x(T), g(T).double(), align_corners=False))
    same_message(lambda T: F(T).grid_sample(x(T).long(), g(T).long(), align_corners=False))
    same_message(lambda T: F(T).grid_sample(T.zeros(1, 2, 0, 3), g(T), align_corners=False))
    th = lambda T, *s: T.tensor(data(*s, seed=3))  # noqa: E731
    same_message(lambda T: F(T).affine_grid(th(T, 1, 2, 3).long(), (1, 1, 2, 2), align_corners=False))
    same_message(lambda T: F(T).affine_grid(th(T, 1, 3, 3), (1, 1, 2, 2), align_corners=False))
    same_message(lambda T: F(T).affine_grid(th(T, 1, 2, 3), (1, 1, 2, 2, 2), align_corners=False))
    same_message(lambda T: F(T).affine_grid(th(T, 1, 2, 3), (1, 1, 2), align_corners=False))
    same_message(lambda T: F(T).affine_grid(th(T, 1, 2, 3), (1, 1, 0, 2), align_corners=False))
    same(lambda T: F(T).affine_grid(th(T, 2, 2, 3), (1, 1, 2, 2), align_corners=False))


# ---- cross_entropy / nll_loss target errors (PyTorch's order: shapes, then dtype) ------------------

_TARGET_CASES = [((3, 4), (3, 5)), ((3, 4), (3,)), ((3, 4), (2,)), ((3, 4, 2), (3, 2, 2)), ((3, 4, 2), (3, 2)),
                 ((3, 4, 2), (3, 3)), ((3, 4, 2), (3,)), ((4,), (3,)), ((4,), (1,)), ((4,), ()), ((4,), (1, 1)),
                 ((3, 4), (3, 4, 1)), ((3, 4), (2, 4)), ((2, 3, 4), (2, 4, 4)), ((3, 4), ())]


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "int32"])
@pytest.mark.parametrize("shapes", _TARGET_CASES, ids=[f"{a}-{b}" for a, b in _TARGET_CASES])
def test_class_target_shapes_and_dtypes(fn, dtype, shapes):
    ishape, tshape = shapes

    def f(T):
        x = T.tensor(data(*ishape, seed=1), requires_grad=True)
        t = T.zeros(tshape, dtype=getattr(T, dtype))
        if t.is_floating_point() and tshape == ishape:
            return None
        y = getattr(T.nn.functional, fn)(x, t, reduction="none")
        return y, T.autograd.grad(y.sum(), x)
    same(f)
    r = same(lambda T: getattr(T.nn.functional, fn)(T.ones(*ishape), T.zeros(tshape, dtype=getattr(T, dtype))))
    if type(r[0]).__name__ == "Raised":
        same_message(lambda T: getattr(T.nn.functional, fn)(T.ones(*ishape), T.zeros(tshape, dtype=getattr(T, dtype))))


def test_class_target_values():
    F = lambda T: T.nn.functional  # noqa: E731
    for t in ([0, 1, 4], [0, 1, -1], [0, 5, -3]):
        same_message(lambda T: F(T).cross_entropy(T.ones(3, 4), T.tensor(t)))
        same_message(lambda T: F(T).nll_loss(T.ones(3, 4), T.tensor(t)))
    same(lambda T: F(T).cross_entropy(T.tensor(data(3, 4, seed=1)), T.tensor([0, -100, 2])))
    same_message(lambda T: F(T).cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]), weight=T.ones(3)))
    same_message(lambda T: F(T).cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]).bool()))
    same_message(lambda T: F(T).cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]), label_smoothing=1.5))


# ---- F.grouped_mm ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
@pytest.mark.parametrize("case", ["2d3d", "3d3d", "2d2d", "3d2d"])
def test_grouped_mm(case, dtype):
    shapes = {"2d3d": ((16, 8), (2, 8, 8)), "3d3d": ((2, 8, 8), (2, 8, 8)), "2d2d": ((8, 16), (16, 8)),
              "3d2d": ((2, 8, 8), (8, 16))}[case]

    def f(T):
        dt = getattr(T, dtype)
        a = T.tensor(data(*shapes[0], seed=1)).to(dt).requires_grad_()
        b = T.tensor(data(*shapes[1], seed=2)).to(dt).requires_grad_()
        offs = None if case == "3d3d" else T.tensor([5, 12] if case != "3d2d" else [8, 16], dtype=T.int32)
        y = T.nn.functional.grouped_mm(a, b, offs=offs)
        if case == "2d3d":
            y = y[:12]          # rows past offs[-1] are unspecified in PyTorch
        w = T.tensor(data(*y.shape, seed=3)).to(dt)
        ga, gb = T.autograd.grad((y * w).sum(), [a, b])
        if case == "2d3d":
            ga = ga[:12]
        if case == "2d2d":      # so are the gradients of K positions past offs[-1]
            ga, gb = ga[:, :12], gb[:12]
        return y, ga, gb
    tol = dict(rtol=2e-2, atol=2e-2) if dtype == "bfloat16" else dict(rtol=1e-5, atol=1e-5)
    same(f, **tol)


def test_grouped_mm_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    a = lambda T, *s: T.ones(*s, dtype=T.bfloat16)  # noqa: E731
    offs = lambda T: T.tensor([8, 16], dtype=T.int32)  # noqa: E731
    same_message(lambda T: F(T).grouped_mm(a(T, 16, 8), a(T, 2, 8, 8), offs=offs(T), out_dtype=T.float32))
    same_message(lambda T: F(T).grouped_mm(a(T, 16, 8), a(T, 2, 8, 8), offs=offs(T), bias=a(T, 2, 8)))
    same_message(lambda T: F(T).grouped_mm(a(T, 16, 8), a(T, 2, 8, 8)))
    same_message(lambda T: F(T).grouped_mm(a(T, 2, 8, 8), a(T, 2, 8, 8), offs=offs(T)))
    same_message(lambda T: F(T).grouped_mm(a(T, 6, 4), a(T, 2, 4, 3), offs=offs(T)))
