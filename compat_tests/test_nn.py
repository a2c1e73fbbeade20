"""torch.nn: modules, functional ops, init and utils, differentially against PyTorch.

Modules are built in both libraries, their weights set from the same numpy data
through ``load_state_dict``, and compared on forward values, grad_fn names,
gradients of inputs and of every parameter, buffers, printed trees and
state_dict layouts.
"""
import copy
import math

import numpy as np
import pytest

from harness import data, same, same_output

# ---------------------------------------------------------------------------
# helpers


def set_weights(m, T, seed=100):
    """Load deterministic numpy values into every floating entry of ``m``'s state_dict."""
    sd = {}
    for i, (k, v) in enumerate(m.state_dict().items()):
        if v.is_floating_point():
            a = data(*v.shape, seed=seed + i, low=-0.5, high=0.5)
            if k.endswith("running_var"):
                a = np.abs(a) + 0.5
            sd[k] = T.tensor(a, dtype=v.dtype)
        else:
            sd[k] = v
    m.load_state_dict(sd)
    return m


def fwd_bwd(T, make, *shapes, train=True, int_input=None, seed=1, calls=1):
    """Build the module, run it (``calls`` times), backprop a fixed random projection of the output.

    Returns the output, the input gradients, every parameter gradient and the buffers.
    """
    m = set_weights(make(T), T)
    m.train(train)
    if int_input is not None:
        xs = [T.tensor(int_input)]
    else:
        xs = [T.tensor(data(*s, seed=seed + i), requires_grad=True) for i, s in enumerate(shapes)]
    for _ in range(calls):
        out = m(*xs)
    outs = out if isinstance(out, tuple) else (out,)
    first = outs[0]
    proj = T.tensor(data(*first.shape, seed=99))
    (first * proj).sum().backward()
    return (outs, [x.grad for x in xs if x.requires_grad],
            {k: p.grad for k, p in m.named_parameters()}, dict(m.named_buffers()))


def check(make, *shapes, rtol=1e-5, atol=1e-5, **kw):
    same(lambda T: fwd_bwd(T, make, *shapes, **kw), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# layers: forward, backward, grad_fn names

LAYERS = [
    ("linear", lambda T: T.nn.Linear(5, 4), [(3, 5)]),
    ("linear_nobias", lambda T: T.nn.Linear(5, 4, bias=False), [(3, 5)]),
    ("linear_3d", lambda T: T.nn.Linear(5, 4), [(2, 3, 5)]),
    ("linear_3d_nobias", lambda T: T.nn.Linear(5, 4, bias=False), [(2, 3, 5)]),
    ("linear_1d", lambda T: T.nn.Linear(5, 4), [(5,)]),
    ("linear_1d_nobias", lambda T: T.nn.Linear(5, 4, bias=False), [(5,)]),
    ("bilinear", lambda T: T.nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    ("identity", lambda T: T.nn.Sequential(T.nn.Identity(54, unused=1), T.nn.Tanh()), [(2, 3)]),
    ("conv1d", lambda T: T.nn.Conv1d(3, 4, 3), [(2, 3, 10)]),
    ("conv1d_args", lambda T: T.nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), [(2, 4, 11)]),
    ("conv2d", lambda T: T.nn.Conv2d(3, 4, 3), [(2, 3, 8, 8)]),
    ("conv2d_args", lambda T: T.nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), bias=False), [(2, 3, 9, 7)]),
    ("conv2d_same_groups", lambda T: T.nn.Conv2d(4, 6, 3, padding="same", groups=2), [(2, 4, 7, 7)]),
    ("conv2d_same_even_dilated", lambda T: T.nn.Conv2d(3, 2, 4, padding="same", dilation=2), [(1, 3, 9, 9)]),
    ("conv2d_valid", lambda T: T.nn.Conv2d(3, 2, 3, padding="valid"), [(1, 3, 6, 6)]),
    ("conv2d_reflect", lambda T: T.nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect"), [(2, 3, 6, 6)]),
    ("conv2d_replicate", lambda T: T.nn.Conv2d(3, 2, 3, padding=(2, 1), padding_mode="replicate"), [(2, 3, 6, 6)]),
    ("conv2d_circular", lambda T: T.nn.Conv2d(3, 2, 3, padding=1, padding_mode="circular"), [(2, 3, 6, 6)]),
    ("conv2d_unbatched", lambda T: T.nn.Conv2d(3, 4, 3, stride=2), [(3, 9, 9)]),
    ("conv3d", lambda T: T.nn.Conv3d(2, 3, 2), [(1, 2, 4, 4, 4)]),
    ("maxpool", lambda T: T.nn.MaxPool2d(2), [(2, 3, 8, 8)]),
    ("maxpool_pad", lambda T: T.nn.MaxPool2d(3, 2, 1), [(2, 3, 9, 9)]),
    ("maxpool_ceil", lambda T: T.nn.MaxPool2d(3, 2, 1, ceil_mode=True), [(2, 3, 8, 8)]),
    ("maxpool_ceil2", lambda T: T.nn.MaxPool2d(2, ceil_mode=True), [(1, 2, 7, 5)]),
    ("maxpool_dilation", lambda T: T.nn.MaxPool2d(2, stride=1, dilation=2), [(1, 2, 7, 7)]),
    ("maxpool_unbatched", lambda T: T.nn.MaxPool2d(2), [(3, 6, 6)]),
    ("maxpool_indices", lambda T: T.nn.MaxPool2d(3, 2, 1, return_indices=True), [(2, 2, 7, 7)]),
    ("maxpool1d", lambda T: T.nn.MaxPool1d(3, 2), [(2, 3, 11)]),
    ("avgpool", lambda T: T.nn.AvgPool2d(2), [(2, 3, 8, 8)]),
    ("avgpool_pad", lambda T: T.nn.AvgPool2d(3, 2, 1), [(2, 3, 9, 9)]),
    ("avgpool_nocount", lambda T: T.nn.AvgPool2d(3, 2, 1, count_include_pad=False), [(2, 3, 8, 8)]),
    ("avgpool_ceil", lambda T: T.nn.AvgPool2d(3, 2, 1, ceil_mode=True), [(2, 3, 8, 8)]),
    ("avgpool_ceil_nocount", lambda T: T.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     [(1, 2, 8, 8)]),
    ("avgpool_divisor", lambda T: T.nn.AvgPool2d(2, divisor_override=3), [(1, 2, 6, 6)]),
    ("avgpool1d", lambda T: T.nn.AvgPool1d(3, 2, 1), [(2, 3, 10)]),
    ("adaptive_1", lambda T: T.nn.AdaptiveAvgPool2d((1, 1)), [(2, 3, 5, 5)]),
    ("adaptive_3", lambda T: T.nn.AdaptiveAvgPool2d(3), [(2, 3, 7, 8)]),
    ("adaptive_none", lambda T: T.nn.AdaptiveAvgPool2d((2, None)), [(2, 3, 5, 4)]),
    ("adaptive_1d", lambda T: T.nn.AdaptiveAvgPool1d(4), [(2, 3, 10)]),
    ("adaptive_max", lambda T: T.nn.AdaptiveMaxPool2d((2, 3)), [(2, 3, 5, 7)]),
    ("layernorm", lambda T: T.nn.LayerNorm(5), [(3, 5)]),
    ("layernorm_2d", lambda T: T.nn.LayerNorm((3, 5)), [(2, 3, 5)]),
    ("layernorm_noaffine", lambda T: T.nn.LayerNorm(5, elementwise_affine=False), [(4, 5)]),
    ("layernorm_nobias", lambda T: T.nn.LayerNorm(5, bias=False), [(4, 5)]),
    ("groupnorm", lambda T: T.nn.GroupNorm(2, 4), [(3, 4, 5)]),
    ("flatten", lambda T: T.nn.Sequential(T.nn.Flatten(), T.nn.Tanh()), [(2, 3, 4)]),
    ("flatten_args", lambda T: T.nn.Sequential(T.nn.Flatten(0, 1), T.nn.Tanh()), [(2, 3, 4)]),
    ("unflatten", lambda T: T.nn.Sequential(T.nn.Unflatten(1, (2, 3)), T.nn.Tanh()), [(4, 6)]),
    ("zeropad", lambda T: T.nn.ZeroPad2d((1, 2, 0, 1)), [(1, 2, 3, 3)]),
    ("constpad", lambda T: T.nn.ConstantPad1d(2, 3.5), [(2, 3)]),
    ("reflectpad", lambda T: T.nn.ReflectionPad2d((1, 2, 1, 0)), [(1, 2, 4, 4)]),
    ("replicatepad", lambda T: T.nn.ReplicationPad1d(2), [(1, 2, 4)]),
    ("prelu", lambda T: T.nn.PReLU(3), [(2, 3, 4)]),
    ("rmsnorm", lambda T: T.nn.RMSNorm(5), [(3, 5)]),
    ("rmsnorm_eps", lambda T: T.nn.RMSNorm((2, 5), eps=1e-3, elementwise_affine=False), [(3, 2, 5)]),
    ("instancenorm", lambda T: T.nn.InstanceNorm2d(3, affine=True), [(2, 3, 4, 4)]),
    ("instancenorm_stats", lambda T: T.nn.InstanceNorm1d(3, track_running_stats=True), [(2, 3, 6)]),
    ("pixelshuffle", lambda T: T.nn.PixelShuffle(2), [(1, 8, 2, 3)]),
    ("pixelunshuffle", lambda T: T.nn.PixelUnshuffle(2), [(1, 2, 4, 6)]),
    ("adaptive_avg_3d", lambda T: T.nn.AdaptiveAvgPool3d((2, 1, 3)), [(1, 2, 4, 3, 5)]),
    ("adaptive_max_1d", lambda T: T.nn.AdaptiveMaxPool1d(3), [(2, 3, 7)]),
    ("adaptive_max_indices", lambda T: T.nn.AdaptiveMaxPool2d((3, 2), return_indices=True), [(2, 3, 7, 5)]),
]

ACTIVATIONS = [
    ("relu", lambda T: T.nn.ReLU()), ("relu6", lambda T: T.nn.ReLU6()),
    ("leaky", lambda T: T.nn.LeakyReLU(0.2)), ("gelu", lambda T: T.nn.GELU()),
    ("gelu_tanh", lambda T: T.nn.GELU("tanh")), ("silu", lambda T: T.nn.SiLU()),
    ("sigmoid", lambda T: T.nn.Sigmoid()), ("tanh", lambda T: T.nn.Tanh()),
    ("softmax", lambda T: T.nn.Softmax(dim=1)), ("softmax0", lambda T: T.nn.Softmax(dim=0)),
    ("logsoftmax", lambda T: T.nn.LogSoftmax(1)), ("softmin", lambda T: T.nn.Softmin(1)),
    ("elu", lambda T: T.nn.ELU()), ("elu_alpha", lambda T: T.nn.ELU(0.5)),
    ("softplus", lambda T: T.nn.Softplus()), ("softplus_args", lambda T: T.nn.Softplus(2, 1)),
    ("hardtanh", lambda T: T.nn.Hardtanh(-0.5, 0.7)), ("mish", lambda T: T.nn.Mish()),
    ("hardswish", lambda T: T.nn.Hardswish()), ("hardsigmoid", lambda T: T.nn.Hardsigmoid()),
    ("logsigmoid", lambda T: T.nn.LogSigmoid()), ("softsign", lambda T: T.nn.Softsign()),
    ("glu", lambda T: T.nn.GLU()), ("selu", lambda T: T.nn.SELU()),
    ("celu", lambda T: T.nn.CELU(0.7)), ("threshold", lambda T: T.nn.Threshold(0.5, -2.0)),
    ("softshrink", lambda T: T.nn.Softshrink(0.6)), ("hardshrink", lambda T: T.nn.Hardshrink()),
    ("tanhshrink", lambda T: T.nn.Tanhshrink()), ("prelu", lambda T: T.nn.PReLU(init=0.1)),
]


@pytest.mark.parametrize("name,make,shapes", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_forward_backward(name, make, shapes):
    check(make, *shapes, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name,make", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, make):
    # values cover the kinks (0, +-3, thresholds) as well as the smooth parts
    def f(T):
        x = T.tensor(np.array([[-4.0, -3.0, -1.0, -0.5, 0.0, 0.25], [0.5, 1.0, 2.0, 3.0, 4.0, 25.0]], np.float32),
                     requires_grad=True)
        y = make(T)(x)
        (y * T.tensor(data(*y.shape, seed=3))).sum().backward()
        return y, x.grad
    same(f)


@pytest.mark.parametrize("name,fn", [
    ("relu", lambda F, x: F.relu(x, inplace=True)), ("leaky", lambda F, x: F.leaky_relu(x, 0.1, inplace=True)),
    ("elu", lambda F, x: F.elu(x, inplace=True)), ("hardtanh", lambda F, x: F.hardtanh(x, inplace=True)),
    ("silu", lambda F, x: F.silu(x, inplace=True)), ("relu6", lambda F, x: F.relu6(x, inplace=True)),
    ("relu_module", lambda F, x: F.relu_(x)),
])
def test_inplace_activation(name, fn):
    def f(T):
        leaf = T.tensor(data(3, 4, seed=5), requires_grad=True)
        x = leaf * 1.5
        y = fn(T.nn.functional, x)
        y.sum().backward()
        return y is x, y, leaf.grad, x._version
    same(f)


def test_inplace_module_on_leaf_raises():
    same(lambda T: T.nn.ReLU(inplace=True)(T.tensor(data(3, seed=1), requires_grad=True)))


# ---- batch norm ------------------------------------------------------------------

@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.BatchNorm1d(4), (6, 4)),
    (lambda T: T.nn.BatchNorm1d(4), (6, 4, 5)),
    (lambda T: T.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (lambda T: T.nn.BatchNorm2d(3, momentum=None), (4, 3, 5, 5)),
    (lambda T: T.nn.BatchNorm2d(3, affine=False, eps=1e-3, momentum=0.3), (4, 3, 5, 5)),
    (lambda T: T.nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 5, 5)),
    (lambda T: T.nn.BatchNorm1d(4, bias=False), (6, 4)),
], ids=["bn1d", "bn1d_3d", "bn2d", "bn2d_cma", "bn2d_noaffine", "bn2d_nostats", "bn1d_nobias"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_batchnorm(make, shape, train):
    # three calls: the running statistics (and num_batches_tracked) advance in train mode only
    check(make, shape, train=train, calls=3, rtol=1e-5, atol=1e-5)


def test_batchnorm_functional_and_errors():
    def f(T):
        F = T.nn.functional
        x = T.tensor(data(5, 3, seed=1), requires_grad=True)
        rm, rv = T.zeros(3), T.ones(3)
        y = F.batch_norm(x, rm, rv, training=True, momentum=0.2)
        z = F.batch_norm(x, rm, rv, training=False)
        w = F.batch_norm(x, None, None, training=True)
        return y, z, w, rm, rv
    same(f)
    same(lambda T: T.nn.BatchNorm2d(3)(T.ones(2, 3, 4)))
    same(lambda T: T.nn.BatchNorm1d(3)(T.ones(1, 3)))
    same(lambda T: T.nn.BatchNorm1d(3).eval()(T.ones(1, 3)))


# ---- embedding / dropout ----------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda T: T.nn.Embedding(10, 3), lambda T: T.nn.Embedding(10, 3, padding_idx=2),
    lambda T: T.nn.Embedding(10, 3, padding_idx=-1), lambda T: T.nn.Embedding(10, 3, max_norm=0.4),
], ids=["plain", "padding", "padding_neg", "max_norm"])
def test_embedding(make):
    check(make, int_input=np.array([[1, 2, 9], [2, 2, 0]], np.int64))


def test_embedding_errors():
    same(lambda T: T.nn.Embedding(4, 2)(T.tensor([4])))
    same(lambda T: T.nn.Embedding(4, 2)(T.tensor([1.0])))
    same(lambda T: T.nn.Embedding(4, 2, padding_idx=4))
    same(lambda T: T.nn.Embedding(4, 2, padding_idx=1).weight[1])


def test_dropout_eval_and_p0_are_identity():
    def f(T):
        x = T.tensor(data(4, 5, seed=2), requires_grad=True)
        d = T.nn.Dropout(0.3).eval()
        return d(x) is x, T.nn.functional.dropout(x, 0.0) is x, T.nn.functional.dropout(x, 0.5, training=False) is x
    same(f)


@pytest.mark.parametrize("p", [0.2, 0.5, 1.0])
def test_dropout_train_statistics(p):
    """Values come from each library's own RNG: compare the structure (0 or x/(1-p)) and rates."""
    def f(T):
        T.manual_seed(0)
        x = T.tensor(data(200, 50, seed=3, low=0.5, high=1.5), requires_grad=True)
        y = T.nn.Dropout(p)(x)
        y.sum().backward()
        yn, xn, gn = y.detach().numpy(), x.detach().numpy(), x.grad.numpy()
        kept = yn != 0
        scale = 0.0 if p == 1 else 1 / (1 - p)
        ok_values = bool(np.allclose(yn[kept], xn[kept] * scale, rtol=1e-6))
        ok_grad = bool(np.allclose(gn, kept * scale))
        rate = round(float(1 - kept.mean()), 1)
        return type(y.grad_fn).__name__, ok_values, ok_grad, rate, y.shape
    same(f)


def test_dropout_seeded_and_2d():
    def f(T):
        T.manual_seed(5)
        a = T.nn.functional.dropout(T.ones(100))
        T.manual_seed(5)
        b = T.nn.functional.dropout(T.ones(100))
        y = T.nn.Dropout2d(0.5)(T.ones(8, 16, 3, 3)).numpy()
        per_channel = bool(np.all((y == 0).all(axis=(2, 3)) | (y == 2).all(axis=(2, 3))))
        return bool(T.equal(a, b)), per_channel
    same(f)
    same(lambda T: T.nn.Dropout(1.5))


# ---- losses -----------------------------------------------------------------------

def _loss_case(T, make, x_np, t_np, t_dtype=None, prob_input=False):
    x = T.tensor(x_np, requires_grad=True)
    inp = x.sigmoid() if prob_input else x
    t = T.tensor(t_np) if t_dtype is None else T.tensor(t_np, dtype=getattr(T, t_dtype))
    loss_fn = make(T)
    loss = loss_fn(inp, t)
    (loss * T.tensor(data(*loss.shape, seed=9))).sum().backward()
    return loss, x.grad


X = data(6, 4, seed=11)
X4 = data(2, 3, 4, 5, seed=12)
CLS = np.array([0, 3, 1, 1, 2, 3], np.int64)
CLS_IGN = np.array([0, -100, 1, 3, -100, 2], np.int64)
CLS4 = data(2, 4, 5, seed=13, dtype=np.int64, low=0, high=2)
PROBS = np.exp(data(6, 4, seed=14)) / np.exp(data(6, 4, seed=14)).sum(1, keepdims=True)
Y = data(6, 4, seed=15)
B01 = data(6, 4, seed=16, low=0, high=1)

LOSSES = [("kldiv_batchmean", lambda T: T.nn.KLDivLoss(reduction="batchmean"), X, PROBS, None, False)]
for red in ("mean", "sum", "none"):
    LOSSES += [
        (f"mse_{red}", lambda T, r=red: T.nn.MSELoss(reduction=r), X, Y, None, False),
        (f"l1_{red}", lambda T, r=red: T.nn.L1Loss(reduction=r), X, Y, None, False),
        (f"smoothl1_{red}", lambda T, r=red: T.nn.SmoothL1Loss(reduction=r, beta=0.7), X, Y, None, False),
        (f"huber_{red}", lambda T, r=red: T.nn.HuberLoss(reduction=r, delta=0.6), X, Y, None, False),
        (f"ce_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(reduction=r), X, CLS, None, False),
        (f"ce_weight_ignore_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(
            weight=T.tensor([0.2, 1.0, 2.0, 0.5]), reduction=r), X, CLS_IGN, None, False),
        (f"ce_smooth_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(label_smoothing=0.2, reduction=r), X, CLS_IGN,
         None, False),
        (f"ce_smooth_weight_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(
            weight=T.tensor([0.2, 1.0, 2.0, 0.5]), label_smoothing=0.1, reduction=r), X, CLS_IGN, None, False),
        (f"ce_probs_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(reduction=r), X, PROBS, None, False),
        (f"ce_probs_smooth_weight_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(
            weight=T.tensor([0.2, 1.0, 2.0, 0.5]), label_smoothing=0.3, reduction=r), X, PROBS, None, False),
        (f"ce_4d_{red}", lambda T, r=red: T.nn.CrossEntropyLoss(reduction=r, ignore_index=1), X4, CLS4, None, False),
        (f"nll_{red}", lambda T, r=red: T.nn.NLLLoss(reduction=r), X, CLS, None, False),
        (f"nll_weight_{red}", lambda T, r=red: T.nn.NLLLoss(weight=T.tensor([0.2, 1.0, 2.0, 0.5]), reduction=r),
         X, CLS_IGN, None, False),
        (f"bce_{red}", lambda T, r=red: T.nn.BCELoss(reduction=r), X, B01, None, True),
        (f"bce_weight_{red}", lambda T, r=red: T.nn.BCELoss(weight=T.tensor([0.2, 1.0, 2.0, 0.5]), reduction=r),
         X, B01, None, True),
        (f"bcelogits_{red}", lambda T, r=red: T.nn.BCEWithLogitsLoss(reduction=r), X, B01, None, False),
        (f"kldiv_{red}", lambda T, r=red: T.nn.KLDivLoss(reduction=r), X, PROBS, None, False),
        (f"kldiv_logtarget_{red}", lambda T, r=red: T.nn.KLDivLoss(reduction=r, log_target=True), X, Y, None,
         False),
        (f"softmargin_{red}", lambda T, r=red: T.nn.SoftMarginLoss(reduction=r), X, np.sign(Y), None, False),
        (f"bcelogits_pos_{red}", lambda T, r=red: T.nn.BCEWithLogitsLoss(
            weight=T.tensor([0.2, 1.0, 2.0, 0.5]), pos_weight=T.tensor([1.0, 2.0, 0.5, 3.0]), reduction=r),
         X, B01, None, False),
    ]


@pytest.mark.parametrize("name,make,x,t,tdt,prob", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss(name, make, x, t, tdt, prob):
    same(lambda T: _loss_case(T, make, x, t, tdt, prob), rtol=1e-5, atol=1e-6)


def test_cross_entropy_1d_and_legacy_args():
    def f(T):
        F = T.nn.functional
        x = T.tensor(data(5, seed=1), requires_grad=True)
        a = F.cross_entropy(x, T.tensor(3))
        b = F.cross_entropy(T.tensor(X), T.tensor(CLS), size_average=False)
        c = F.nll_loss(T.tensor(X), T.tensor(CLS), reduce=False)
        d = F.mse_loss(T.tensor(X), T.tensor(Y), size_average=True, reduce=True)
        a.backward()
        return a, b, c, d, x.grad
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS).float()),
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS).int()),
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS[:4])),
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS + 2)),
    lambda T: T.nn.functional.nll_loss(T.tensor(X), T.tensor(CLS).double()),
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS), reduction="avg"),
    lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS), weight=T.ones(3)),
    lambda T: T.nn.functional.binary_cross_entropy(T.tensor(B01), T.tensor(B01[:, :2])),
    lambda T: T.nn.functional.binary_cross_entropy(T.tensor(X), T.tensor(B01)),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.tensor(X), T.tensor(B01[:3])),
    lambda T: T.nn.functional.mse_loss(T.tensor(X), T.tensor(Y[:, :3])),
    lambda T: T.nn.functional.mse_loss(T.tensor(X), T.tensor(Y[:1])),
], ids=["ce_float_target", "ce_int_target", "ce_batch", "ce_out_of_bounds", "nll_double_target",
        "bad_reduction", "bad_weight", "bce_size", "bce_range", "bcel_size", "mse_broadcast_fail", "mse_broadcast"])
def test_loss_errors(case):
    same(case)


def test_loss_error_messages():
    def msg(T, fn):
        try:
            fn(T)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    for fn in [lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS).float()),
               lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS[:4])),
               lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(CLS + 2)),
               lambda T: T.nn.Linear(4, 5)(T.ones(3, 6))]:
        same(lambda T: msg(T, fn))


# ---- functional ---------------------------------------------------------------------

def _grad_case(T, fn, *arrays, seed=3):
    xs = [T.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = fn(T.nn.functional, T, *xs)
    ys = y if isinstance(y, tuple) else (y,)
    if ys[0].requires_grad:
        (ys[0] * T.tensor(data(*ys[0].shape, seed=seed))).sum().backward()
    return y, [x.grad for x in xs if x.requires_grad]


Q = data(2, 2, 4, 3, seed=20)
K = data(2, 2, 5, 3, seed=21)
V = data(2, 2, 5, 3, seed=22)
FUNCTIONAL = [
    ("softmax", lambda F, T, x: F.softmax(x, dim=-1), [X]),
    ("softmax_dtype", lambda F, T, x: F.softmax(x, 1, dtype=T.float64), [X]),
    ("softmax_implicit", lambda F, T, x: F.softmax(x), [X4]),
    ("log_softmax", lambda F, T, x: F.log_softmax(x, 0), [X]),
    ("tensor_softmax", lambda F, T, x: x.softmax(1) + T.log_softmax(x, dim=1), [X]),
    ("linear", lambda F, T, x, w, b: F.linear(x, w, b), [X, data(3, 4, seed=1), data(3, seed=2)]),
    ("linear_nobias", lambda F, T, x, w: F.linear(x, w), [X, data(3, 4, seed=1)]),
    ("conv2d", lambda F, T, x, w: F.conv2d(x, w, stride=2, padding=1), [data(1, 2, 7, 7, seed=4),
                                                                         data(3, 2, 3, 3, seed=5)]),
    ("conv2d_bias", lambda F, T, x, w, b: F.conv2d(x, w, b, padding="same"),
     [data(1, 2, 6, 6, seed=4), data(3, 2, 3, 3, seed=5), data(3, seed=6)]),
    ("conv1d", lambda F, T, x, w: F.conv1d(x, w, groups=2), [data(2, 4, 7, seed=4), data(4, 2, 3, seed=5)]),
    ("max_pool2d", lambda F, T, x: F.max_pool2d(x, 2, 1), [X4]),
    ("max_pool2d_indices", lambda F, T, x: F.max_pool2d(x, (2, 3), return_indices=True), [X4]),
    ("avg_pool2d", lambda F, T, x: F.avg_pool2d(x, 3, 1, 1), [X4]),
    ("adaptive_avg_pool2d", lambda F, T, x: F.adaptive_avg_pool2d(x, (3, 2)), [X4]),
    ("one_hot", lambda F, T, t: F.one_hot(t), [CLS]),
    ("one_hot_n", lambda F, T, t: F.one_hot(t, 6), [CLS4]),
    ("pad_constant", lambda F, T, x: F.pad(x, (1, 2), value=-1.5), [X]),
    ("pad_constant_nd", lambda F, T, x: F.pad(x, (1, 0, 2, 1, 0, 1)), [X4]),
    ("pad_crop", lambda F, T, x: F.pad(x, (-1, 2, 1, -2)), [X]),
    ("pad_reflect", lambda F, T, x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [X4]),
    ("pad_replicate", lambda F, T, x: F.pad(x, (2, 1, 1, 2), mode="replicate"), [X4]),
    ("pad_reflect1d", lambda F, T, x: F.pad(x, (2, 1), mode="reflect"), [X4[0]]),
    ("normalize", lambda F, T, x: F.normalize(x), [X]),
    ("normalize_p1_dim0", lambda F, T, x: F.normalize(x, p=1, dim=0), [X]),
    ("normalize_zero_row", lambda F, T, x: F.normalize(x * T.tensor([[1.0], [0.0], [1], [1], [1], [1]])), [X]),
    ("sdpa", lambda F, T, q, k, v: F.scaled_dot_product_attention(q, k, v), [Q, K, V]),
    ("sdpa_self", lambda F, T, q: F.scaled_dot_product_attention(q, q, q), [Q]),
    ("sdpa_causal", lambda F, T, q: F.scaled_dot_product_attention(q, q, q, is_causal=True, scale=0.4), [Q]),
    ("sdpa_float_mask", lambda F, T, q, m: F.scaled_dot_product_attention(q, q, q, attn_mask=m),
     [Q, data(4, 4, seed=30)]),
    ("sdpa_bool_mask", lambda F, T, q: F.scaled_dot_product_attention(
        q, q, q, attn_mask=T.tensor(np.tril(np.ones((4, 4), bool)))), [Q]),
    ("sdpa_3d", lambda F, T, q, k, v: F.scaled_dot_product_attention(q, k, v), [Q[0], K[0], V[0]]),
    ("sdpa_2d", lambda F, T, q, k, v: F.scaled_dot_product_attention(q, k, v), [Q[0, 0], K[0, 0], V[0, 0]]),
    ("gelu_tanh", lambda F, T, x: F.gelu(x, approximate="tanh"), [X]),
    ("leaky", lambda F, T, x: F.leaky_relu(x, 0.3), [X]),
    ("layer_norm", lambda F, T, x, w: F.layer_norm(x, (4,), w), [X, data(4, seed=2)]),
    ("group_norm", lambda F, T, x: F.group_norm(x, 3), [X4]),
    ("embedding", lambda F, T, t, w: F.embedding(t, w, padding_idx=1), [CLS, data(5, 3, seed=2)]),
    ("cosine_similarity", lambda F, T, a, b: F.cosine_similarity(a, b), [X, Y]),
]


@pytest.mark.parametrize("name,fn,arrays", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional(name, fn, arrays):
    same(lambda T: _grad_case(T, fn, *arrays), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("case", [
    lambda T: T.nn.functional.conv2d(T.ones(1, 2, 5, 5), T.ones(3, 3, 3, 3)),
    lambda T: T.nn.functional.conv2d(T.ones(1, 3, 2, 2), T.ones(3, 3, 3, 3)),
    lambda T: T.nn.functional.conv2d(T.ones(3, 5), T.ones(3, 3, 3, 3)),
    lambda T: T.nn.functional.conv2d(T.ones(1, 3, 5, 5, dtype=T.float64), T.ones(3, 3, 3, 3)),
    lambda T: T.nn.functional.conv2d(T.ones(1, 3, 5, 5), T.ones(3, 3, 3, 3), stride=2, padding="same"),
    lambda T: T.nn.Conv2d(3, 4, 3, stride=2, padding="same"),
    lambda T: T.nn.Conv2d(3, 4, 3, groups=2),
    lambda T: T.nn.Conv2d(3, 4, 3, padding="full"),
    lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), 3, padding=2),
    lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 2, 2), 3),
    lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 2, padding=2),
    lambda T: T.nn.functional.linear(T.ones(2, 3), T.ones(4, 3, dtype=T.float64)),
    lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (4,)),
    lambda T: T.nn.functional.one_hot(T.tensor([1, -1])),
    lambda T: T.nn.functional.one_hot(T.tensor([1, 3]), 3),
    lambda T: T.nn.functional.one_hot(T.tensor([1.0])),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1,)),
    lambda T: T.nn.functional.pad(T.ones(1, 2, 3), (3, 3), mode="reflect"),
    lambda T: T.nn.functional.softmax(T.ones(2, 3), 2),
    lambda T: T.nn.functional.glu(T.ones(2, 3)),
    lambda T: T.nn.Linear(4, 5)(T.ones(3, 6)),
    lambda T: T.nn.Linear(4, 5)(T.ones(4, dtype=T.float64)),
])
def test_functional_errors(case):
    same(case)


# ---- printing ------------------------------------------------------------------------

def _all_modules(T):
    nn = T.nn
    return [
        nn.Linear(3, 4), nn.Linear(3, 4, bias=False), nn.Identity(), nn.Flatten(), nn.Flatten(0, 2),
        nn.Unflatten(1, (2, 3)), nn.Conv1d(3, 4, 3), nn.Conv2d(3, 4, 3),
        nn.Conv2d(3, 4, (3, 5), stride=2, padding=1, dilation=2, bias=False), nn.Conv2d(4, 4, 3, padding="same", groups=2),
        nn.Conv2d(3, 4, 3, padding="valid"), nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode="reflect"),
        nn.Conv3d(1, 2, 3), nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.MaxPool1d(3), nn.AvgPool1d(3), nn.AvgPool2d(2), nn.AvgPool2d(3, 2, 1, ceil_mode=True),
        nn.AdaptiveAvgPool2d((1, 1)), nn.AdaptiveAvgPool2d(2), nn.AdaptiveAvgPool2d((None, 3)),
        nn.AdaptiveAvgPool1d(2), nn.AdaptiveMaxPool2d(2),
        nn.BatchNorm1d(3), nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
        nn.BatchNorm3d(2), nn.LayerNorm(4), nn.LayerNorm((3, 4), elementwise_affine=False), nn.LayerNorm(4, bias=False),
        nn.GroupNorm(2, 4), nn.Dropout(), nn.Dropout(0.2, inplace=True), nn.Dropout2d(),
        nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=0), nn.Embedding(10, 3, max_norm=1.0),
        nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(), nn.LeakyReLU(0.2, True), nn.GELU(), nn.GELU("tanh"),
        nn.SiLU(), nn.SiLU(inplace=True), nn.Sigmoid(), nn.Tanh(), nn.Softmax(), nn.Softmax(dim=1), nn.LogSoftmax(1),
        nn.Softmin(1), nn.ELU(), nn.ELU(0.5, inplace=True), nn.Softplus(), nn.Softplus(2, 10), nn.ReLU6(),
        nn.Hardtanh(), nn.Hardtanh(-2, 2, True), nn.Mish(), nn.Hardswish(), nn.Hardsigmoid(), nn.LogSigmoid(),
        nn.Softsign(), nn.GLU(), nn.SELU(), nn.Bilinear(2, 3, 4),
        nn.ZeroPad2d(1), nn.ConstantPad1d(2, 3.5), nn.ReflectionPad2d((1, 2, 1, 0)), nn.ReplicationPad1d(1),
        nn.MSELoss(), nn.L1Loss(reduction="sum"), nn.CrossEntropyLoss(), nn.NLLLoss(), nn.BCELoss(),
        nn.BCEWithLogitsLoss(), nn.SmoothL1Loss(), nn.HuberLoss(delta=2.0),
        nn.Sequential(), nn.ModuleList(), nn.ModuleDict(),
        nn.PReLU(), nn.PReLU(4), nn.RMSNorm(6), nn.RMSNorm((2, 3), eps=1e-4, elementwise_affine=False), nn.CELU(),
        nn.Threshold(0.1, 2.0), nn.Softshrink(), nn.Hardshrink(0.3), nn.Tanhshrink(), nn.PixelShuffle(2),
        nn.PixelUnshuffle(3), nn.KLDivLoss(), nn.SoftMarginLoss(), nn.InstanceNorm2d(3),
        nn.InstanceNorm1d(4, affine=True, track_running_stats=True), nn.AdaptiveAvgPool3d(2), nn.AdaptiveMaxPool1d(3),
    ]


def test_print_every_module():
    def f(T):
        for m in _all_modules(T):
            print(m)
    same_output(f)


def _cnn(T):
    nn = T.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(8, 16, 3), nn.GELU(), nn.AdaptiveAvgPool2d(1)),
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(16, 10))


class _Net:
    """Defined per library (a subclass of that library's Module)."""

    @staticmethod
    def make(T):
        nn = T.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = _cnn(T)
                self.heads = nn.ModuleList([nn.Linear(10, 2) for _ in range(3)] + [nn.Tanh(), nn.Tanh()])
                self.extra = nn.ModuleDict({"proj": nn.Linear(10, 10, bias=False), "act": nn.SiLU()})
                self.scale = nn.Parameter(T.ones(2))
                self.register_buffer("offset", T.zeros(2))
                self.register_buffer("tmp", T.zeros(1), persistent=False)

            def forward(self, x):
                h = self.extra["act"](self.extra["proj"](self.features(x)))
                out = sum(head(h) for head in self.heads[:3])
                return self.heads[3](out) * self.scale + self.offset

        return Net()


def test_print_nested_model():
    same_output(lambda T: print(_Net.make(T)))


def test_parameter_repr():
    def f(T):
        p = T.nn.Parameter(T.tensor(data(3, 4, seed=1)))
        print(p)
        print(T.nn.Parameter(T.tensor([1.0, 2.0]), requires_grad=False))
        print(T.nn.Parameter(T.tensor(data(2, 2, seed=3), dtype=T.float64)))
        print(repr(T.nn.Parameter(T.tensor(data(30, seed=1)))))
        print(p * 2)
    same_output(f)


# ---- Module API ------------------------------------------------------------------------

def test_state_dict_keys_shapes_and_metadata():
    def f(T):
        m = _Net.make(T)
        sd = m.state_dict()
        meta = {k: dict(v) for k, v in sd._metadata.items()}
        return ([(k, tuple(v.shape), str(v.dtype), v.requires_grad) for k, v in sd.items()], meta,
                [k for k, _ in m.state_dict(keep_vars=True).items()],
                [v.requires_grad for v in m.state_dict(keep_vars=True).values()],
                list(m.state_dict(prefix="model.").keys()))
    same(f)


def _net_without_dropout(T):
    m = _Net.make(T)
    m.features[6].p = 0.0        # dropout draws differ between the libraries
    return m


def test_full_model_forward_backward():
    check(_net_without_dropout, (3, 1, 8, 8), train=True, rtol=1e-4, atol=1e-5)
    check(lambda T: _Net.make(T), (3, 1, 8, 8), train=False, rtol=1e-4, atol=1e-5)


def test_named_members():
    def f(T):
        nn = T.nn
        shared = nn.Linear(2, 2)
        m = nn.Sequential(shared, nn.ReLU(), shared, nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)))
        return ([n for n, _ in m.named_parameters()],
                [n for n, _ in m.named_parameters(remove_duplicate=False)],
                [n for n, _ in m.named_parameters(prefix="net", recurse=False)],
                [n for n, _ in m[3].named_parameters(prefix="x")],
                [n for n, _ in m.named_buffers()],
                [n for n, _ in m.named_modules()],
                [n for n, _ in m.named_modules(remove_duplicate=False)],
                [n for n, _ in m.named_modules(prefix="root")],
                [n for n, _ in m.named_children()],
                [type(c).__name__ for c in m.children()],
                [type(c).__name__ for c in m.modules()],
                len(list(m.parameters())), len(list(m.parameters(recurse=False))), len(list(m.buffers())),
                sum(p.numel() for p in m.parameters()))
    same(f)


def test_registration_rules():
    def f(T):
        nn = T.nn
        m = nn.Module()
        m.w = nn.Parameter(T.ones(2))
        m.register_buffer("b", T.zeros(3))
        m.register_buffer("nb", T.zeros(1), persistent=False)
        m.sub = nn.Linear(1, 1)
        m.plain = T.ones(1)          # a plain tensor attribute is neither parameter nor buffer
        m.b = T.ones(3)              # replacing a buffer keeps it a buffer
        m.register_parameter("none_p", None)
        m.register_buffer("none_b", None)
        out = (list(m.state_dict().keys()), [n for n, _ in m.named_parameters()],
               [n for n, _ in m.named_buffers()], hasattr(m, "plain"), m.none_p, m.none_b)
        del m.w
        m.sub = None
        return out, [n for n, _ in m.named_parameters()], list(m._modules.keys()), "w" in dir(m), "b" in dir(m)
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: setattr(T.nn.Linear(2, 2), "weight", T.ones(2, 2)),
    lambda T: setattr(T.nn.Sequential(T.nn.ReLU()), "0", 3),
    lambda T: T.nn.Module().register_buffer("a.b", T.ones(1)),
    lambda T: T.nn.Module().register_buffer("", T.ones(1)),
    lambda T: T.nn.Module().register_buffer("x", 3),
    lambda T: T.nn.Linear(2, 2).register_buffer("weight", T.ones(1)),
    lambda T: T.nn.Module().register_parameter("x", T.ones(1)),
    lambda T: T.nn.Module().register_parameter("x", T.nn.Parameter(T.ones(1)) * 2),
    lambda T: T.nn.Module().add_module("x", 3),
    lambda T: T.nn.Linear(2, 2).nonexistent,
    lambda T: T.nn.Linear(2, 2).to(T.int64),
    lambda T: T.nn.Module()(T.ones(1)),
    lambda T: T.nn.Linear(2, 2).train("yes"),
    lambda T: T.nn.Parameter(T.tensor([1, 2])),
    lambda T: T.nn.Sequential(T.nn.ReLU())[3],
    lambda T: T.nn.ModuleList([T.nn.ReLU()])[-2],
    lambda T: T.nn.Module().get_submodule("a.b"),
])
def test_module_errors(case):
    same(case)


def test_load_state_dict_results_and_errors():
    def f(T):
        nn = T.nn
        m = set_weights(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)), T)
        ok = m.load_state_dict(m.state_dict())
        sd = {k: T.tensor(data(*v.shape, seed=7)) if v.is_floating_point() else v for k, v in m.state_dict().items()}
        del sd["1.bias"]
        sd["extra"] = T.zeros(1)
        sd["1.sub.x"] = T.zeros(1)
        loose = m.load_state_dict(sd, strict=False)
        after_loose = m[0].weight.detach().clone()
        errs = []
        try:
            m.load_state_dict(sd)
        except RuntimeError as e:
            errs.append(str(e))
        bad = dict(m.state_dict())
        bad["0.weight"] = T.zeros(5, 5)
        try:
            m.load_state_dict(bad)
        except RuntimeError as e:
            errs.append(str(e))
        return (repr(ok), ok.missing_keys, ok.unexpected_keys, repr(loose), list(loose), after_loose, errs,
                m[0].weight._version > 0)
    same(f)


def test_load_state_dict_copies_in_place():
    def f(T):
        m = T.nn.Linear(3, 2)
        w = m.weight
        v0 = w._version
        m.load_state_dict({"weight": T.tensor(data(2, 3, seed=1)), "bias": T.tensor(data(2, seed=2))})
        sd = m.state_dict()
        sd["weight"].add_(1)     # state_dict tensors alias the parameters
        return m.weight is w, w._version - v0, m.weight.requires_grad, m.weight, sd["weight"].requires_grad
    same(f)


def test_load_state_dict_assign_and_batchnorm_versions():
    def f(T):
        m = T.nn.Linear(3, 2)
        new = {"weight": T.tensor(data(2, 3, seed=1)), "bias": T.tensor(data(2, seed=2))}
        m.load_state_dict(new, assign=True)
        bn = T.nn.BatchNorm1d(2)
        old = {"weight": T.ones(2), "bias": T.zeros(2), "running_mean": T.ones(2), "running_var": T.ones(2)}
        missing = bn.load_state_dict(old, strict=False)
        return isinstance(m.weight, T.nn.Parameter), m.weight, m.weight.requires_grad, list(missing)
    same(f)


def test_train_eval_zero_grad_requires_grad_apply():
    def f(T):
        m = _Net.make(T)
        flags = [m.training]
        m.eval()
        flags.append([mod.training for mod in m.modules()])
        m.train()
        flags.append(all(mod.training for mod in m.modules()))
        out = m(T.tensor(data(2, 1, 8, 8, seed=1)))
        out.sum().backward()
        has = [p.grad is not None for p in m.parameters()]
        m.zero_grad(set_to_none=False)
        zeros = [float(p.grad.abs().sum()) for p in m.parameters()]
        m.zero_grad()
        nones = [p.grad is None for p in m.parameters()]
        m.requires_grad_(False)
        rg = [p.requires_grad for p in m.parameters()]
        names = []
        m.apply(lambda mod: names.append(type(mod).__name__))
        return flags, has, zeros, nones, rg, names
    same(f)


def test_dtype_conversions():
    def f(T):
        m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.BatchNorm1d(3))
        w = m[0].weight
        m.double()
        d1 = [(k, str(v.dtype)) for k, v in m.state_dict().items()]
        same_obj = m[0].weight is w
        m.to(T.float16)
        d2 = [(k, str(v.dtype)) for k, v in m.state_dict().items()]
        m.float()
        m.to("cpu")
        y = m(T.ones(4, 2))
        return d1, same_obj, d2, y.dtype, type(m[0].weight).__name__, m[0].weight.requires_grad
    same(f)


def test_forward_hooks():
    def f(T):
        m = T.nn.Linear(3, 2)
        set_weights(m, T)
        calls = []

        def pre(mod, args):
            calls.append(("pre", type(mod).__name__, len(args)))
            return (args[0] * 2,)

        def post(mod, args, out):
            calls.append(("post", tuple(out.shape)))
            return out + 1

        def kw_pre(mod, args, kwargs):
            calls.append(("kwpre", sorted(kwargs)))

        h1 = m.register_forward_pre_hook(pre)
        h2 = m.register_forward_hook(post)
        h3 = m.register_forward_pre_hook(kw_pre, with_kwargs=True, prepend=True)
        x = T.tensor(data(4, 3, seed=1))
        y1 = m(x)
        h1.remove()
        h2.remove()
        h3.remove()
        y2 = m(x)
        with m.register_forward_hook(lambda mod, a, o: o * 0):
            y3 = m(x)
        y4 = m(x)
        return calls, y1, y2, y3, y4
    same(f)


def test_containers():
    def f(T):
        nn = T.nn
        s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        info = [len(s), type(s[0]).__name__, type(s[-1]).__name__, type(s[1:]).__name__, len(s[1:]),
                list(s[1:]._modules.keys()), [type(m).__name__ for m in s]]
        s.append(nn.Sigmoid())
        s.insert(1, nn.Tanh())
        popped = s.pop(2)
        del s[0]
        info += [list(s._modules.keys()), [type(m).__name__ for m in s], type(popped).__name__]
        s2 = s + nn.Sequential(nn.ReLU())
        s[0] = nn.Linear(2, 3)
        info += [len(s2), str(s), len(s * 2)]
        from collections import OrderedDict
        od = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.ReLU())]))
        info += [list(od._modules.keys()), list(od[0:1]._modules.keys()), str(od)]
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.Sigmoid())
        ml.extend([nn.ReLU()])
        ml.insert(0, nn.Identity())
        ml += [nn.GELU()]
        info += [len(ml), [type(m).__name__ for m in ml], type(ml[1:3]).__name__, list(ml[1:3]._modules.keys())]
        del ml[1]
        info += [list(ml._modules.keys()), [type(m).__name__ for m in ml], str(ml)]
        md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 2)})
        md["c"] = nn.Tanh()
        md.update([("d", nn.ReLU())])
        info += [list(md.keys()), "a" in md, len(md), [type(v).__name__ for v in md.values()], list(md),
                 type(md.pop("a")).__name__, str(md)]
        pl = nn.ParameterList([nn.Parameter(T.ones(2, 3)), nn.Parameter(T.ones(2, dtype=T.float64))])
        info += [len(pl), [n for n, _ in pl.named_parameters()], str(pl)]
        return info
    same(f)


def test_sequential_forward_and_grads():
    check(lambda T: T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Linear(8, 8), T.nn.Tanh(),
                                    T.nn.Linear(8, 2), T.nn.LogSoftmax(dim=1)), (5, 4))


def test_deepcopy_and_parameter_sharing():
    def f(T):
        m = set_weights(T.nn.Sequential(T.nn.Linear(2, 2), T.nn.BatchNorm1d(2)), T)
        c = copy.deepcopy(m)
        with T.no_grad():
            c[0].weight.add_(1)
        p = T.nn.Parameter(T.zeros(2))
        base = T.zeros(2)
        q = T.nn.Parameter(base)
        with T.no_grad():
            base.add_(3)
        return (m[0].weight, c[0].weight, type(c[0].weight).__name__, c[0].weight.requires_grad,
                isinstance(p, T.Tensor), p.is_leaf, q, type(p.detach()).__name__, type(p * 1).__name__)
    same(f)


# ---- init --------------------------------------------------------------------------------

def test_calculate_gain_and_fans():
    def f(T):
        init = T.nn.init
        gains = [init.calculate_gain(n) for n in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu",
                                                  "leaky_relu"]]
        gains.append(init.calculate_gain("leaky_relu", 0.2))
        fans = [init._calculate_fan_in_and_fan_out(T.empty(*s)) for s in [(3, 4), (8, 3, 5, 5), (2, 3, 4)]]
        return gains, fans
    same(f)
    same(lambda T: T.nn.init._calculate_fan_in_and_fan_out(T.empty(3)))
    same(lambda T: T.nn.init.calculate_gain("softmax"))
    same(lambda T: T.nn.init.calculate_gain("leaky_relu", "x"))
    same(lambda T: T.nn.init.kaiming_uniform_(T.empty(3, 4), mode="fan_avg"))
    same(lambda T: T.nn.init.eye_(T.empty(3)))


def test_deterministic_inits():
    def f(T):
        init = T.nn.init
        return (init.constant_(T.empty(2, 3), 0.7), init.ones_(T.empty(2)), init.zeros_(T.empty(3, 1)),
                init.eye_(T.empty(3, 4)), init.dirac_(T.empty(4, 2, 3, 3)),
                init.ones_(T.nn.Parameter(T.empty(2))).requires_grad)
    same(f)


def dist_stats(t):
    """Scale-free summary of a sample: std, and mean and 1%/99% quantiles in units of std; min/max too."""
    a = t.detach().numpy().astype(np.float64).ravel()
    sd = a.std()
    q01, q99 = np.quantile(a, [0.01, 0.99])
    return {"std": sd, "mean": a.mean() / sd, "q01": (q01 - a.mean()) / sd, "q99": (q99 - a.mean()) / sd,
            "min": a.min() / sd, "max": a.max() / sd}


BOUNDED = {"uniform", "trunc_normal", "xavier_uniform", "kaiming_uniform"}


@pytest.mark.parametrize("name,fn", [
    ("uniform", lambda init, t: init.uniform_(t, -0.3, 0.8)),
    ("normal", lambda init, t: init.normal_(t, 0.5, 2.0)),
    ("trunc_normal", lambda init, t: init.trunc_normal_(t, 0.1, 1.0, -1.0, 1.5)),
    ("xavier_uniform", lambda init, t: init.xavier_uniform_(t, gain=2.0)),
    ("xavier_normal", lambda init, t: init.xavier_normal_(t)),
    ("kaiming_uniform", lambda init, t: init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaiming_normal", lambda init, t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
])
def test_random_inits_statistics(name, fn):
    """Streams differ; the distributions (scale, centre, tails, and bounds where bounded) must agree."""
    def f(T):
        T.manual_seed(0)
        t = T.empty(300, 200)
        r = fn(T.nn.init, t)
        st = dist_stats(t)
        if name not in BOUNDED:
            del st["min"], st["max"]
        return r is t, st
    same(f, rtol=0.02, atol=0.03)


def test_orthogonal_init():
    def f(T):
        out = []
        for shape in [(4, 6), (6, 4), (3, 2, 2)]:
            w = T.nn.init.orthogonal_(T.empty(*shape), gain=2.0).reshape(shape[0], -1).numpy()
            gram = w @ w.T if shape[0] <= w.shape[1] else w.T @ w
            out.append(bool(np.allclose(gram, 4 * np.eye(gram.shape[0]), atol=1e-4)))
        return out
    same(f)


def test_default_initialisation_ranges():
    def f(T):
        T.manual_seed(0)
        lin = T.nn.Linear(400, 300)
        conv = T.nn.Conv2d(16, 32, 3)
        emb = T.nn.Embedding(500, 40, padding_idx=3)
        bn = T.nn.BatchNorm2d(5)
        ln = T.nn.LayerNorm(3)
        # bounded uniform draws: the bounds and spread; biases are small samples, so only their bound
        bounded = [{k: v for k, v in dist_stats(t).items() if k in ("std", "min", "max")}
                   for t in (lin.weight, conv.weight)]
        bounded += [float(t.detach().abs().max()) / bound for t, bound in ((lin.bias, 0.05), (conv.bias, 1 / 12))]
        st = dist_stats(emb.weight)
        del st["min"], st["max"]
        return (bounded, st, emb.weight[3], bn.weight, bn.bias, bn.running_var, bn.num_batches_tracked,
                ln.weight, ln.bias)
    same(f, rtol=0.05, atol=0.06)


# ---- nn.utils ----------------------------------------------------------------------------

def _params_with_grads(T):
    ps = [T.nn.Parameter(T.tensor(data(3, 4, seed=1))), T.nn.Parameter(T.tensor(data(5, seed=2))),
          T.nn.Parameter(T.tensor(data(2, seed=3)))]
    for i, p in enumerate(ps[:2]):
        p.grad = T.tensor(data(*p.shape, seed=10 + i, low=-3, high=3))
    return ps


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1), (0.5, math.inf), (2.0, 3.0)])
def test_clip_grad_norm(max_norm, norm_type):
    def f(T):
        ps = _params_with_grads(T)
        total = T.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        return total, [p.grad for p in ps]
    same(f, rtol=1e-5)


def test_clip_grad_value_and_vectors():
    def f(T):
        ps = _params_with_grads(T)
        g0 = ps[0].grad
        T.nn.utils.clip_grad_value_(ps, 0.5)
        vec = T.nn.utils.parameters_to_vector(ps)
        new = T.tensor(data(vec.numel(), seed=5))
        T.nn.utils.vector_to_parameters(new, ps)
        single = T.nn.utils.clip_grad_norm_(ps[0], 0.1)
        return [p.grad for p in ps], g0 is ps[0].grad, vec, [p.detach() for p in ps], single, ps[0].grad
    same(f)
    same(lambda T: T.nn.utils.clip_grad_norm_([T.nn.Parameter(T.ones(2))], 1.0))
    same(lambda T: T.nn.utils.vector_to_parameters([1.0], [T.nn.Parameter(T.ones(1))]))
