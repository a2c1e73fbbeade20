"""The rest of the torch namespace and of the Tensor methods (issue 12): factories (``range``, ``tril_indices``,
windows, ``frombuffer``, ``from_file``), ``gcd``/``lcm``, the torch-namespace spellings of nn ops, the low-level
RNN ops, predicates and legacy Tensor methods; each compared with PyTorch."""
from __future__ import annotations

import array
import warnings

import numpy as np
import pytest
import torch

import torchlike
from harness import data, same, same_message


# ---- gcd / lcm ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(name):
    a, b = data(4, 3, dtype=np.int64, low=-30, high=30), data(3, dtype=np.int64, low=-12, high=12, seed=1)

    def f(T):
        x, y = T.tensor(a), T.tensor(b)
        fn = getattr(T, name)
        z = x.clone()
        r = getattr(z, name + "_")(y)
        w = x.clone()
        getattr(T, name + "_")(w, y)
        return [fn(x, y), getattr(x, name)(y), r is z, z, w, fn(x.int(), y.short()), fn(x.to(T.uint8), y.abs()),
                fn(T.tensor([0, 0, 7]), T.tensor([0, 5, 0])), fn(x, y, out=T.empty(0, dtype=T.int64))]
    same(f)


@pytest.mark.parametrize("case", ["float", "bool", "scalar", "inplace_widen", "complex"])
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_errors(name, case):
    def f(T):
        x = T.tensor([4, 6])
        fn = getattr(T, name)
        return {"float": lambda: fn(x.float(), x), "bool": lambda: fn(x.bool(), x.bool()),
                "scalar": lambda: fn(x, 3), "inplace_widen": lambda: getattr(x.int(), name + "_")(x),
                "complex": lambda: fn(x.cfloat(), x)}[case]()
    same(f)
    if case != "inplace_widen":
        same_message(f)


# ---- factories --------------------------------------------------------------------------------------

def test_range():
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = [T.range(1, 4), T.range(0, 1, 0.3), T.range(1, 4, dtype=T.int32), T.range(-1.5, 2),
                 T.range(5, 1, -2), T.range(0, 2, dtype=T.float64, requires_grad=True),
                 T.range(1, 4, out=T.empty(2))]
        return r + [len(w), str(w[0].message), w[0].category.__name__]
    same(f)


@pytest.mark.parametrize("case", ["one_arg", "zero_step", "sign", "bool"])
def test_range_errors(case):
    def f(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {"one_arg": lambda: T.range(5), "zero_step": lambda: T.range(1, 4, 0),
                    "sign": lambda: T.range(4, 1), "bool": lambda: T.range(0, 1, dtype=T.bool)}[case]()
    same(f)
    if case != "bool":
        same_message(f)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices(name):
    def f(T):
        fn = getattr(T, name)
        return [fn(r, c, o) for r, c, o in ((3, 4, 1), (4, 3, -1), (3, 3, 0), (0, 3, 0), (5, 2, -7), (2, 5, 9),
                                            (1, 1, 0))] + [fn(3, 3, dtype=T.int32), fn(row=2, col=3, offset=1)]
    same(f)


@pytest.mark.parametrize("case", ["neg_row", "neg_col", "float"])
def test_tri_indices_errors(case):
    def f(T):
        return {"neg_row": lambda: T.tril_indices(-1, 3), "neg_col": lambda: T.triu_indices(3, -2),
                "float": lambda: T.tril_indices(3, 3, dtype=T.float32)}[case]()
    same(f)
    same_message(f)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    def f(T):
        fn = getattr(T, name)
        return [fn(n, periodic) for n in (0, 1, 2, 5, 8) for periodic in (True, False)] + [
            fn(6), fn(7, dtype=T.float64), fn(4, requires_grad=True)]
    same(f, atol=1e-6)
    # PyTorch computes a float16 window in float16 (0.4998 for 0.5); ours is float64 rounded once
    same(lambda T: getattr(T, name)(5, periodic=False, dtype=T.float16), atol=1e-3)


def test_window_parameters():
    same(lambda T: [T.hamming_window(6, True, 0.5, 0.4), T.hamming_window(6, False, alpha=0.6, beta=0.3),
                    T.kaiser_window(7, True, 5.0), T.kaiser_window(7, False, beta=0.5),
                    T.kaiser_window(9, dtype=T.float64)], atol=1e-6)


@pytest.mark.parametrize("case", ["negative", "int_dtype", "bool_dtype"])
@pytest.mark.parametrize("name", ["hann_window", "kaiser_window"])
def test_window_errors(name, case):
    def f(T):
        fn = getattr(T, name)
        return {"negative": lambda: fn(-1), "int_dtype": lambda: fn(4, dtype=T.int64),
                "bool_dtype": lambda: fn(4, dtype=T.bool)}[case]()
    same(f)
    same_message(f)


def test_frombuffer():
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ro = T.frombuffer(b"abc", dtype=T.uint8)
        return [T.frombuffer(bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00"), dtype=T.int32),
                T.frombuffer(array.array("f", [1, 2, 3]), dtype=T.float32, count=2, offset=4),
                T.frombuffer(memoryview(np.arange(6, dtype=np.float64)), dtype=T.float64, offset=8),
                T.frombuffer(bytearray(8), dtype=T.float32, requires_grad=True),
                ro, len(w), w[0].category.__name__]
    same(f)


@pytest.mark.parametrize("case", ["multiple", "empty", "offset", "count", "not_buffer", "count_zero"])
def test_frombuffer_errors(case):
    def f(T):
        return {"multiple": lambda: T.frombuffer(bytearray(b"abc"), dtype=T.int32),
                "empty": lambda: T.frombuffer(bytearray(b""), dtype=T.int32),
                "offset": lambda: T.frombuffer(bytearray(8), dtype=T.float32, offset=9),
                "count": lambda: T.frombuffer(bytearray(8), dtype=T.float32, count=5),
                "not_buffer": lambda: T.frombuffer([1, 2], dtype=T.float32),
                "count_zero": lambda: T.frombuffer(bytearray(8), dtype=T.float32, count=0)}[case]()
    same(f)
    same_message(f)


def test_from_file(tmp_path):
    fn = tmp_path / "raw.bin"
    fn.write_bytes(np.arange(8, dtype=np.float32).tobytes())

    def f(T):
        return [T.from_file(str(fn), size=4), T.from_file(str(fn), False, 8, dtype=T.float32),
                T.from_file(str(fn), size=32, dtype=T.uint8), T.from_file(str(fn)), T.from_file(str(fn), size=3,
                                                                                                 dtype=T.float64)]
    same(f)


@pytest.mark.parametrize("case", ["too_small", "missing"])
def test_from_file_errors(tmp_path, case):
    fn = tmp_path / "raw.bin"
    fn.write_bytes(bytes(16))

    def f(T):
        return {"too_small": lambda: T.from_file(str(fn), size=5, dtype=T.int32),
                "missing": lambda: T.from_file(str(tmp_path / "nope.bin"), size=2)}[case]()
    same(f)
    same_message(f)


# ---- torch-namespace spellings of nn ops -------------------------------------------------------------

def _with_grads(T, fn, *arrays):
    """``fn(*tensors)`` on leaf tensors made from ``arrays`` (float ones require grad), and the gradients of
    the sum of its floating outputs."""
    ts = [T.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(*ts)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    loss = sum(o.sum() for o in outs if o.is_floating_point() and o.requires_grad)
    if not isinstance(loss, int):
        loss.backward()
    return out, [t.grad for t in ts if t.requires_grad]


X, Y = data(3, 4), data(3, 4, seed=1)
SIGN = np.sign(data(3, seed=2)).astype(np.float32)

NN_CASES = {
    "celu": (lambda T, x: T.celu(x, 1.5), X),
    "celu_default": (lambda T, x: T.celu(x), X),
    "prelu": (lambda T, x, w: T.prelu(x, w), data(2, 3, 4), np.array([0.2, -0.1, 0.5], np.float32)),
    "prelu_method": (lambda T, x, w: x.prelu(w), data(2, 3), np.array([0.25], np.float32)),
    "hardshrink": (lambda T, x: T.hardshrink(x, 0.7), X),
    "hardshrink_method": (lambda T, x: x.hardshrink(), X),
    "threshold": (lambda T, x: T.threshold(x, 0.1, 20.0), X),
    "pixel_shuffle": (lambda T, x: T.pixel_shuffle(x, 2), data(1, 8, 2, 3)),
    "pixel_unshuffle": (lambda T, x: T.pixel_unshuffle(x, 2), data(1, 2, 4, 6)),
    "kl_div": (lambda T, x, y: [T.kl_div(x, y.abs()), T.kl_div(x, y.abs(), 1), T.kl_div(x, y, 2, log_target=True)],
               X, Y),
    "margin_ranking": (lambda T, a, b, s: [T.margin_ranking_loss(a, b, s), T.margin_ranking_loss(a, b, s, 0.2, 1),
                                           T.margin_ranking_loss(a, b, s, 0.1, 2)],
                       data(3), data(3, seed=1), SIGN),
    "hinge": (lambda T, x, s: [T.hinge_embedding_loss(x, s), T.hinge_embedding_loss(x, s, 0.5, 1),
                               T.hinge_embedding_loss(x, s, 2.0, 2)], X, np.sign(Y)),
    "cosine": (lambda T, a, b, s: [T.cosine_embedding_loss(a, b, s), T.cosine_embedding_loss(a, b, s, 0.1, 1)],
               X, Y, SIGN),
    "triplet": (lambda T, a, p, n: [T.triplet_margin_loss(a, p, n), T.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6,
                                                                                         True, 1)],
                X, Y, data(3, 4, seed=3)),
    "poisson_nll": (lambda T, x, y: [T.poisson_nll_loss(x, y.abs(), True, False, 1e-8, 1),
                                     T.poisson_nll_loss(x.abs(), y.abs(), False, True, 1e-8, 0)], X, Y),
    "instance_norm": (lambda T, x, w, b: T.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                      data(2, 3, 5), data(3, seed=1), data(3, seed=2)),
    "rms_norm": (lambda T, x, w: [T.rms_norm(x, [4]), T.rms_norm(x, (4,), w, 1e-3)], X, data(4, seed=5)),
    "bilinear": (lambda T, a, b, w, c: T.bilinear(a, b, w, c), data(2, 3), data(2, 4, seed=1), data(5, 3, 4, seed=2),
                 data(5, seed=3)),
    "adaptive_max_pool1d": (lambda T, x: T.adaptive_max_pool1d(x, 3), data(2, 3, 7)),
    "max_pool1d_with_indices": (lambda T, x: [T.max_pool1d_with_indices(x, 2), T.max_pool1d_with_indices(x, 3, 2, 1),
                                              T.max_pool1d_with_indices(x, 2, 1, 0, 2, True)], data(2, 3, 7)),
    "feature_dropout_eval": (lambda T, x: [T.feature_dropout(x, 0.5, False), T.feature_dropout(x, 1.0, True)],
                             data(2, 3, 4)),
    "native_dropout_eval": (lambda T, x: [T.native_dropout(x, 0.5, False), T.native_dropout(x, 0.0, True),
                                          T.native_dropout(x, 1.0, True)], X),
}


@pytest.mark.parametrize("case", sorted(NN_CASES))
def test_nn_namespace(case):
    fn, *arrays = NN_CASES[case]
    same(lambda T: _with_grads(T, lambda *ts: fn(T, *ts), *arrays), atol=1e-5)


def test_channel_shuffle():
    same(lambda T: [T.native_channel_shuffle(T.tensor(data(1, 4, 2, 2)), 2),
                    T.native_channel_shuffle(T.tensor(data(2, 6, 3)), 3)])


def test_conv_tbc():
    # values and gradients; torchlike.nn.functional.conv_tbc records PermuteBackward0 where PyTorch has one
    # ConvTbcBackward0 node (nn's implementation, reported to its owner)
    same(lambda T: _with_grads(T, lambda x, w, b: T.conv_tbc(x, w, b, 1), data(5, 2, 3), data(3, 3, 4, seed=1),
                               data(4, seed=2)), atol=1e-5, check_grad_fn=False)


def test_ctc_loss():
    lp = np.log(np.random.default_rng(0).dirichlet(np.ones(5), size=(8, 2))).astype(np.float32)

    def f(T):
        x = T.tensor(lp, requires_grad=True)
        tg = T.tensor([[1, 2, 2], [3, 1, 4]])
        r = [T.ctc_loss(x, tg, [8, 6], [3, 2]), T.ctc_loss(x, tg, T.tensor([8, 7]), T.tensor([3, 1]), 0, 1),
             T.ctc_loss(x, tg, [8, 6], [3, 2], 0, 2, True)]
        sum(t.sum() for t in r).backward()
        return r, x.grad
    same(f, atol=1e-4)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_embedding_bag(mode):
    w = data(10, 3)

    def f(T):
        e = T.tensor(w, requires_grad=True)
        i, o = T.tensor([1, 2, 4, 5, 4, 3, 9]), T.tensor([0, 2, 2, 5])
        r = [T.embedding_bag(e, i, o, False, mode),
             T.embedding_bag(e, i, T.tensor([0, 2, 2, 7]), False, mode, False, None, True),
             T.embedding_bag(e, i, o, False, mode, False, None, False, 4)]
        if mode == 0:
            r.append(T.embedding_bag(e, i, o, False, 0, False, T.tensor(data(7, seed=3))))
        sum(b[0].sum() for b in r).backward()
        return r, e.grad
    same(f)


def test_dropout_statistics():
    """Random masks cannot be compared draw for draw: the shapes, dtypes, scaling and the kept share."""
    def f(T):
        T.manual_seed(0)
        x = T.ones(200, 100)
        out, mask = T.native_dropout(x, 0.25, True)
        kept = mask.float().mean().item()
        feat = T.feature_dropout(T.ones(50, 40, 3), 0.5, True)
        per_channel = (feat == feat[:, :, :1]).all().item()
        return [mask.dtype, out.dtype, abs(kept - 0.75) < 0.02, T.equal(out[mask], T.full_like(out[mask], 4 / 3)),
                (out[~mask] == 0).all().item(), per_channel, sorted(set(feat.unique().tolist())),
                T.native_dropout(x, 0.5, None)[1].dtype]
    same(f)


@pytest.mark.parametrize("case", ["celu_number", "celu_inplace", "threshold_missing", "poisson_defaults",
                                  "feature_p", "native_p", "bag_offsets_none"])
def test_nn_namespace_errors(case):
    def f(T):
        x = T.ones(2, 3)
        return {"celu_number": lambda: T.celu(1.0), "celu_inplace": lambda: T.celu(x, 1.0, inplace=True),
                "threshold_missing": lambda: T.threshold(x, 0.1),
                "poisson_defaults": lambda: T.poisson_nll_loss(x, x),
                "feature_p": lambda: T.feature_dropout(x, 1.5, True),
                "native_p": lambda: T.native_dropout(x, 1.5, True),
                "bag_offsets_none": lambda: T.embedding_bag(x, T.tensor([[0, 1]]), None)}[case]()
    same(f)
    if case in ("celu_number", "feature_p", "native_p", "bag_offsets_none"):
        same_message(f)


# ---- low-level recurrent ops ---------------------------------------------------------------------------

RNN_MODES = [("lstm", "LSTM", {}), ("gru", "GRU", {}), ("rnn_tanh", "RNN", {}),
             ("rnn_relu", "RNN", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("layers,bidirectional,batch_first,bias", [
    (1, False, False, True), (2, True, False, True), (2, False, True, False), (1, True, True, True)])
@pytest.mark.parametrize("name,cls,kw", RNN_MODES)
def test_recurrent_ops(name, cls, kw, layers, bidirectional, batch_first, bias):
    dirs = 2 if bidirectional else 1

    def f(T):
        T.manual_seed(0)
        m = getattr(T.nn, cls)(3, 4, layers, bias=bias, bidirectional=bidirectional, **kw)
        with T.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(T.tensor(data(*p.shape, seed=i, low=-0.5, high=0.5)))
        x = T.tensor(data(2, 5, 3) if batch_first else data(5, 2, 3), requires_grad=True)
        h = T.tensor(data(layers * dirs, 2, 4, seed=9))
        hx = [h, T.tensor(data(layers * dirs, 2, 4, seed=10))] if name == "lstm" else h
        params = [p for p in m._flat_weights]
        out = getattr(T, name)(x, hx, params, bias, layers, 0.0, False, bidirectional, batch_first)
        sum(o.sum() for o in out).backward()
        return out, x.grad, [p.grad for p in params]
    same(f, atol=1e-5)


@pytest.mark.parametrize("name,cls,kw", RNN_MODES)
@pytest.mark.parametrize("bias", [True, False])
def test_recurrent_cells(name, cls, kw, bias):
    def f(T):
        gates = {"lstm": 4, "gru": 3}.get(name, 1)
        w_ih = T.tensor(data(gates * 4, 3, seed=1, low=-0.5, high=0.5), requires_grad=True)
        w_hh = T.tensor(data(gates * 4, 4, seed=2, low=-0.5, high=0.5), requires_grad=True)
        b = [T.tensor(data(gates * 4, seed=s), requires_grad=True) for s in (3, 4)] if bias else []
        x = T.tensor(data(2, 3), requires_grad=True)
        h = T.tensor(data(2, 4, seed=5))
        hx = (h, T.tensor(data(2, 4, seed=6))) if name == "lstm" else h
        out = getattr(T, name + "_cell")(x, hx, w_ih, w_hh, *b)
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        sum(o.sum() for o in outs).backward()
        return out, x.grad, w_ih.grad, w_hh.grad, [t.grad for t in b]
    same(f, atol=1e-5)


def test_recurrent_cell_errors():
    def f(T):
        return T.gru_cell(T.ones(2, 3), T.ones(3, 4), T.ones(12, 3), T.ones(12, 4))
    same(f)
    same_message(f)


# ---- counting, sampling, norms, views and their copies -----------------------------------------------

def test_bincount():
    def f(T):
        x = T.tensor([1, 3, 3, 0, 5])
        return [T.bincount(x), x.bincount(minlength=8), T.bincount(x, T.tensor(data(5))),
                T.bincount(x, T.tensor(data(5), dtype=T.float64)), T.bincount(x, T.tensor([1, 2, 3, 4, 5])),
                T.bincount(x.int()), T.bincount(x.byte()), T.bincount(T.tensor([], dtype=T.int64)),
                T.bincount(x, T.tensor(data(5)).half())]
    same(f, atol=1e-3)


@pytest.mark.parametrize("case", ["negative", "float", "two_d", "minlength", "weights_len", "bool"])
def test_bincount_errors(case):
    def f(T):
        x = T.tensor([1, 3, 3, 0, 5])
        return {"negative": lambda: T.bincount(T.tensor([-1, 2])), "float": lambda: T.bincount(x.float()),
                "two_d": lambda: T.bincount(T.ones(2, 2, dtype=T.long)), "minlength": lambda: T.bincount(x, minlength=-1),
                "weights_len": lambda: T.bincount(x, T.ones(3)), "bool": lambda: T.bincount(x.bool())}[case]()
    same(f)
    same_message(f)


def test_binomial_and_sampling_methods():
    def f(T):
        g = T.Generator().manual_seed(3)
        c = T.full((2000,), 10.0)
        draws = T.binomial(c, T.full((2000,), 0.3), generator=g)
        probs = T.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
        picks = probs.multinomial(1)
        ber = T.tensor([0.0, 1.0, 1.0]).bernoulli()
        return [draws.dtype, draws.shape, abs(draws.mean().item() - 3.0) < 0.15, bool((draws >= 0).all()),
                bool((draws <= 10).all()), T.binomial(T.tensor([4.0, 7.0]), T.tensor([0.0, 1.0])),
                picks.dtype, picks[0].item(), picks[1].item() in (0, 2), ber,
                T.ones(3).bernoulli(0.0), T.binomial(T.tensor([1.0], dtype=T.float64),
                                                      T.tensor([1.0], dtype=T.float64))]
    same(f)


@pytest.mark.parametrize("case", ["int_count", "dtype_mismatch", "number"])
def test_binomial_errors(case):
    def f(T):
        c = T.tensor([10.0, 5.0])
        return {"int_count": lambda: T.binomial(c.long(), c), "dtype_mismatch": lambda: T.binomial(c, c.double()),
                "number": lambda: T.binomial(c, 0.5)}[case]()
    same(f)
    if case != "number":
        same_message(f)


def test_legacy_norms():
    def f(T):
        x = T.tensor(data(2, 3, 4), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = [T.frobenius_norm(x, [1, 2]), T.frobenius_norm(x, (0,), True), T.frobenius_norm(x, 1),
                 T.nuclear_norm(x[0]),
                 T.norm_except_dim(x, 2, 0), T.norm_except_dim(x, 2, 2), T.norm_except_dim(x, 2, -1),
                 T.norm_except_dim(x, 3, 0), T.norm_except_dim(x)]
        sum(t.sum() for t in r).backward()
        return r, x.grad
    same(f, atol=1e-4)
    # over chosen dims PyTorch permutes them last first (PermuteBackward0); the values and gradients agree
    same(lambda T: _with_grads(T, lambda x: [T.nuclear_norm(x, [1, 2], True), T.nuclear_norm(x[1], True)],
                               data(2, 3, 4)), atol=1e-4, check_grad_fn=False)


@pytest.mark.parametrize("case", ["native_norm", "native_norm_dim", "frobenius_no_dim"])
def test_legacy_norm_errors(case):
    same(lambda T: {"native_norm": lambda: T.native_norm(T.ones(2)),
                    "native_norm_dim": lambda: T.native_norm(T.ones(2), 2, [0], False, None),
                    "frobenius_no_dim": lambda: T.frobenius_norm(T.ones(2))}[case]())


def test_vander():
    # forward only: PyTorch 2.13's own backward of vander raises (its cumprod saved a tensor it then overwrites)
    same(lambda T: [T.vander(T.tensor(data(3), requires_grad=True)), T.vander(T.tensor(data(3), requires_grad=True), 4)])
    same(lambda T: [T.vander(T.tensor([1, 2, 3])), T.vander(T.tensor([True, False])),
                    T.vander(T.tensor([1, 2], dtype=T.int32)), T.vander(T.tensor(data(3)), 0)])
    # increasing=True: PyTorch builds it with in-place writes (CopySlices); the values and gradients agree
    same(lambda T: T.vander(T.tensor(data(4), requires_grad=True), 3, True), check_grad_fn=False)
    for bad in (lambda T: T.vander(T.ones(2, 2)), lambda T: T.vander(T.ones(2), -1)):
        same(bad)
        same_message(bad)


def test_adjoint_and_view_as_real():
    def f(T):
        x = T.tensor(data(2, 3, 4), requires_grad=True)
        z = T.tensor(data(2, 3) + 1j * data(2, 3, seed=1), requires_grad=True)
        r = [T.adjoint(x), x.adjoint(), x[0].adjoint()]
        v = T.view_as_real(z)
        (sum(t.sum() for t in r) + v.sum()).backward()
        return r + [v, x.grad, z.grad, z.detach().adjoint(), T.view_as_real_copy(z.detach())]
    same(f)
    for bad in (lambda T: T.adjoint(T.ones(3)), lambda T: T.view_as_real(T.ones(2))):
        same(bad)
        same_message(bad)


def test_view_copies():
    def f(T):
        x = T.arange(12.0).reshape(3, 4)
        c = T.slice_copy(x, 1, 1, 4, 2)
        c[0, 0] = 100
        return [c, x, T.slice_copy(T.arange(10), 0, 2, 8, 2), T.slice_copy(x), T.split_copy(T.arange(5), 2),
                T.split_copy(x, 2, 1), T.detach_copy(x), T.view_as_complex_copy(T.tensor([[1.0, 2.0]])),
                T.unsafe_split_with_sizes(x, [1, 2]), x.unsafe_split_with_sizes([1, 3], 1),
                x.slice_inverse(x[1:], 0, 1)]
    same(f)


@pytest.mark.parametrize("name", ["values_copy", "indices_copy", "crow_indices_copy", "col_indices_copy",
                                  "ccol_indices_copy", "row_indices_copy"])
def test_sparse_component_copies_of_dense(name):
    f = lambda T: getattr(T, name)(T.ones(2, 2))  # noqa: E731
    same(f)
    same_message(f)


# ---- predicates, legacy methods, switches -------------------------------------------------------------

def test_predicates():
    def f(T):
        x = T.arange(6.0).reshape(2, 3)
        return [T.is_nonzero(T.tensor([1.5])), T.is_nonzero(T.tensor(0)), T.tensor([[True]]).is_nonzero(),
                T.is_same_size(x, x.t()), x.is_same_size(T.ones(2, 3)), T.is_signed(x), T.is_signed(x.byte()),
                x.bool().is_signed(), T.is_signed(x.long()), T.is_conj(x), T.is_neg(x), x.is_conj(), x.is_neg(),
                T.is_inference(x), T.typename(x), T.typename(1), T.typename(x.long()), T.typename(T.nn.Linear(1, 1)),
                T.typename(T.float32), T.typename(T.nn.Linear), T.is_storage(x), T.is_storage(x.untyped_storage()),
                T.get_device(x), x.get_device(), T.is_distributed(x), x.is_distributed(), x.is_pinned(),
                x.is_shared(), x.share_memory_() is x, x.is_shared(), x.is_xla, x.is_xpu, x.is_mps, x.is_ipu,
                x.is_maia, x.is_mtia, x.is_vulkan, x.is_mkldnn, x.is_nested, x.is_sparse_csr, x.name,
                x.dim_order(), x.t().dim_order(), T.ones(2, 3, 4).permute(2, 0, 1).dim_order(),
                x.const_data_ptr() == x.data_ptr(), x.grad_dtype, x.is_set_to(x), x.is_set_to(x.view(6)),
                x.is_set_to(x.clone()), x[0:2].is_set_to(x)]
    same(f)


def test_volatile_warns():
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v = T.ones(1).volatile
        return v, [str(m.message) for m in w]
    same(f)


@pytest.mark.parametrize("case", ["many", "none", "number", "xpu", "ipu", "mtia", "reinforce", "solve", "symeig",
                                  "eig", "lstsq", "subclass", "resize", "resize_as"])
def test_tensor_api_errors(case):
    def f(T):
        x = T.ones(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {"many": lambda: T.is_nonzero(T.tensor([1, 2])), "none": lambda: T.is_nonzero(T.tensor([])),
                    "number": lambda: T.is_nonzero(1), "xpu": lambda: x.xpu(), "ipu": lambda: x.ipu(),
                    "mtia": lambda: x.mtia(), "reinforce": lambda: x.reinforce(1),
                    "solve": lambda: x.solve(x), "symeig": lambda: x.symeig(), "eig": lambda: x.eig(),
                    "lstsq": lambda: x.lstsq(x), "subclass": lambda: x.as_subclass(int),
                    "resize": lambda: x.resize(2, 2), "resize_as": lambda: x.resize_as(T.ones(5))}[case]()
    same(f)
    if case != "mtia":
        same_message(f)


def test_new():
    def f(T):
        x = T.tensor(data(2, 3), dtype=T.float64)
        return [x.new([1, 2]), x.long().new((1, 2)), x.new(), x.new(T.tensor([1.0, 2.0], dtype=T.float64)),
                x.new(2, 3).shape, x.new(2, 3).dtype, x.new(T.Size([4])).shape, x.int().new(size=(2,)).dtype]
    same(f)


def test_apply_map():
    def f(T):
        x = T.arange(12.0).reshape(3, 4)
        a = x.clone().apply_(lambda v: v * 2 + 1)
        b = x.clone().map_(T.ones(4), lambda u, v: u - v)
        c = x.clone().map2_(x, T.full((3, 1), 2.0), lambda u, v, w: u + v * w)
        d = x.long().apply_(lambda v: v / 2)
        e = T.tensor([True, False]).apply_(lambda v: not v)
        return [a, b, c, d, e]
    same(f)
    for bad in (lambda T: T.zeros(2, requires_grad=True).apply_(abs),
                lambda T: T.zeros(3, 4).map_(T.ones(5), lambda a, b: a)):
        same(bad)
        same_message(bad)


def test_fill_diagonal():
    def f(T):
        x = T.tensor(data(3, 4), requires_grad=True)
        y = x.clone().fill_diagonal_(-1.0)
        y.sum().backward()
        return [y, x.grad, T.zeros(7, 3).fill_diagonal_(5, wrap=True), T.zeros(7, 3).fill_diagonal_(5),
                T.zeros(2, 2, 2).fill_diagonal_(5), T.zeros(3, 5).fill_diagonal_(2, True),
                T.zeros(4, 6).t().fill_diagonal_(1), T.zeros(3, 3, dtype=T.int64).fill_diagonal_(7),
                T.zeros(7, 3).t().contiguous().t().fill_diagonal_(5, wrap=True)]
    same(f)
    for bad in (lambda T: T.zeros(2, 3, 2).fill_diagonal_(5), lambda T: T.zeros(3).fill_diagonal_(5),
                lambda T: T.zeros(2, 2, requires_grad=True).fill_diagonal_(5)):
        same(bad)


def test_as_subclass_and_resize():
    def f(T):
        class Sub(T.Tensor):
            pass
        x = T.tensor(data(2, 3), requires_grad=True)
        s = x.as_subclass(Sub)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = [x.resize(3, 2), x.resize(6), x.resize_as(T.ones(1, 6))]
        (s.sum() + sum(t.sum() for t in r)).backward()
        return [type(s).__name__, isinstance(s, T.Tensor), s.requires_grad, x.grad, [t.shape for t in r],
                [str(m.message) for m in w]]
    same(f)


@pytest.mark.parametrize("name", ["mvlgamma_", "polygamma_"])
def test_inplace_special(name):
    def f(T):
        x = T.tensor(data(3, 4, low=1.5, high=4.0), requires_grad=True)
        y = x.clone()
        r = getattr(y, name)(2)
        r.sum().backward()
        return [r is y, y, x.grad, getattr(T.tensor([2.5, 3.0]), name)(1)]
    same(f, atol=1e-4)
    bad = lambda T: T.ones(2).polygamma_(-1)  # noqa: E731
    same(bad)
    same_message(bad)


def test_istft_method():
    def f(T):
        x = T.tensor(data(64))
        w = T.hann_window(16)
        s = x.stft(16, 4, window=w, return_complex=True)
        return [s.istft(16, 4, window=w), s.istft(16, 4, window=w, length=64)]
    same(f, atol=1e-5)


def test_module_load():
    def f(T):
        p = T.zeros(2, 3)
        q = T.tensor(data(2, 3), requires_grad=True)
        return [p.module_load(q), p, p.module_load(q, assign=True).requires_grad]
    same(f)


def test_post_accumulate_grad_hook():
    def f(T):
        seen = []
        w = T.tensor(data(3), requires_grad=True)
        h = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
        (w * 2).sum().backward()
        (w * w).sum().backward()
        h.remove()
        (w * 3).sum().backward()
        return seen, w.grad, len(seen)
    same(f)
    for bad in (lambda T: T.ones(2).register_post_accumulate_grad_hook(print),
                lambda T: (T.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)):
        same(bad)
        same_message(bad)


def test_switches():
    def f(T):
        before = T.is_warn_always_enabled()
        T.set_warn_always(True)
        during = T.is_warn_always_enabled()
        T.set_warn_always(False)
        T.set_anomaly_enabled(True)
        anomaly = T.is_anomaly_enabled()
        T.set_anomaly_enabled(False)
        return [before, during, T.is_warn_always_enabled(), anomaly, T.is_anomaly_enabled(), T.init_num_threads(),
                T.is_vulkan_available(), T.get_device_module("cpu").__name__.split(".")[-1],
                T.get_device_module(T.device("cpu")).__name__.split(".")[-1]]
    same(f)
    bad = lambda T: T.get_device_module("xyz")  # noqa: E731
    same(bad)


def test_cond():
    def f(T):
        x = T.tensor(data(3), requires_grad=True)
        a = T.cond(T.tensor(True), lambda v: v + 1, lambda v: v - 1, (x,))
        b = T.cond(False, lambda v: v + 1, lambda v: v * 2, [x])
        (a.sum() + b.sum()).backward()
        return a, b, x.grad
    same(f, check_grad_fn=False)


def test_vmap_alias():
    same(lambda T: T.vmap(lambda v: v.sum())(T.tensor(data(3, 4))))
