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
    outs = out if isinstance(out, tuple) else (out,)
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
        outs = out if isinstance(out, tuple) else (out,)
        sum(o.sum() for o in outs).backward()
        return out, x.grad, w_ih.grad, w_hh.grad, [t.grad for t in b]
    same(f, atol=1e-5)


def test_recurrent_cell_errors():
    def f(T):
        return T.gru_cell(T.ones(2, 3), T.ones(3, 4), T.ones(12, 3), T.ones(12, 4))
    same(f)
    same_message(f)
