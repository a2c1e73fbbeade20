"""torch.nn recurrent layers (RNN, LSTM, GRU and cells), differentially against PyTorch.

Weights come from numpy through ``load_state_dict``; forward values, grad_fn
names, gradients of the input, the initial state and every parameter, printed
reprs, state_dict layouts and error types are compared.
"""
import numpy as np
import pytest

from harness import data, same, same_message
from test_nn import set_weights


def _flat(r):
    """(output, h) or (output, (h, c)) or a cell's h / (h, c), as a flat tuple."""
    out = []
    for x in (r if isinstance(r, tuple) else (r,)):
        out.extend(x if isinstance(x, tuple) else (x,))
    return tuple(out)


def run(T, make, x_shape, hx_shapes=(), seed=1, train=False):
    m = set_weights(make(T), T)
    m.train(train)
    x = T.tensor(data(*x_shape, seed=seed), requires_grad=True)
    hx = [T.tensor(data(*s, seed=seed + 10 + i), requires_grad=True) for i, s in enumerate(hx_shapes)]
    args = (x,) if not hx else (x, hx[0] if len(hx) == 1 else tuple(hx))
    outs = _flat(m(*args))
    loss = sum((o * T.tensor(data(*o.shape, seed=90 + i))).sum() for i, o in enumerate(outs))
    loss.backward()
    return outs, x.grad, [h.grad for h in hx], {k: p.grad for k, p in m.named_parameters()}


RNNS = [
    ("rnn", lambda T: T.nn.RNN(3, 4), (5, 2, 3), ()),
    ("rnn_relu", lambda T: T.nn.RNN(3, 4, nonlinearity="relu"), (5, 2, 3), ()),
    ("rnn_relu_positional", lambda T: T.nn.RNN(3, 4, 2, "relu", False), (5, 2, 3), ()),
    ("rnn_h0", lambda T: T.nn.RNN(3, 4, num_layers=2), (5, 2, 3), ((2, 2, 4),)),
    ("rnn_bidir_batch_first", lambda T: T.nn.RNN(3, 4, bidirectional=True, batch_first=True), (2, 5, 3), ()),
    ("rnn_nobias", lambda T: T.nn.RNN(3, 4, bias=False), (5, 2, 3), ()),
    ("rnn_unbatched", lambda T: T.nn.RNN(3, 4, num_layers=2), (5, 3), ((2, 4),)),
    ("lstm", lambda T: T.nn.LSTM(3, 4), (6, 2, 3), ()),
    ("lstm_h0c0", lambda T: T.nn.LSTM(3, 4, num_layers=2), (6, 2, 3), ((2, 2, 4), (2, 2, 4))),
    ("lstm_bidir_2layers", lambda T: T.nn.LSTM(3, 5, num_layers=2, bidirectional=True), (4, 3, 3), ()),
    ("lstm_batch_first", lambda T: T.nn.LSTM(3, 4, batch_first=True), (2, 6, 3), ()),
    ("lstm_proj", lambda T: T.nn.LSTM(3, 5, proj_size=2), (4, 2, 3), ((1, 2, 2), (1, 2, 5))),
    ("lstm_proj_bidir", lambda T: T.nn.LSTM(3, 5, num_layers=2, proj_size=3, bidirectional=True), (4, 2, 3), ()),
    ("lstm_unbatched", lambda T: T.nn.LSTM(3, 4, bidirectional=True), (5, 3), ((2, 4), (2, 4))),
    ("lstm_nobias", lambda T: T.nn.LSTM(3, 4, bias=False), (5, 2, 3), ()),
    ("gru", lambda T: T.nn.GRU(3, 4), (5, 2, 3), ()),
    ("gru_h0_2layers", lambda T: T.nn.GRU(3, 4, 2), (5, 2, 3), ((2, 2, 4),)),
    ("gru_bidir_batch_first", lambda T: T.nn.GRU(3, 4, 2, batch_first=True, bidirectional=True), (2, 5, 3), ()),
    ("gru_unbatched", lambda T: T.nn.GRU(3, 4), (5, 3), ()),
    ("gru_eval_dropout", lambda T: T.nn.GRU(3, 4, 3, dropout=0.5), (5, 2, 3), ()),
]


@pytest.mark.parametrize("name,make,x,hx", RNNS, ids=[c[0] for c in RNNS])
def test_rnn_forward_backward(name, make, x, hx):
    same(lambda T: run(T, make, x, hx), rtol=1e-4, atol=2e-5)


CELLS = [
    ("rnncell", lambda T: T.nn.RNNCell(3, 4), (2, 3), ()),
    ("rnncell_relu_h", lambda T: T.nn.RNNCell(3, 4, nonlinearity="relu"), (2, 3), ((2, 4),)),
    ("rnncell_unbatched", lambda T: T.nn.RNNCell(3, 4, bias=False), (3,), ((4,),)),
    ("lstmcell", lambda T: T.nn.LSTMCell(3, 4), (2, 3), ()),
    ("lstmcell_hc", lambda T: T.nn.LSTMCell(3, 4), (2, 3), ((2, 4), (2, 4))),
    ("lstmcell_unbatched", lambda T: T.nn.LSTMCell(3, 4), (3,), ((4,), (4,))),
    ("grucell", lambda T: T.nn.GRUCell(3, 4), (2, 3), ()),
    ("grucell_h_nobias", lambda T: T.nn.GRUCell(3, 4, bias=False), (2, 3), ((2, 4),)),
    ("grucell_unbatched", lambda T: T.nn.GRUCell(3, 4), (3,), ()),
]


@pytest.mark.parametrize("name,make,x,hx", CELLS, ids=[c[0] for c in CELLS])
def test_cell_forward_backward(name, make, x, hx):
    same(lambda T: run(T, make, x, hx), rtol=1e-5, atol=1e-5)


def run_no_grad(T, make, x_shape, hx_shapes=(), seed=1, dtype="float32"):
    """The cell as an inference loop runs it: no autograd record (one op per step in torchlike)."""
    m = set_weights(make(T), T).to(getattr(T, dtype))
    x = T.tensor(data(*x_shape, seed=seed)).to(getattr(T, dtype))
    hx = [T.tensor(data(*s, seed=seed + 10 + i)).to(getattr(T, dtype)) for i, s in enumerate(hx_shapes)]
    outs = []
    with T.no_grad():
        state = None if not hx else (hx[0] if len(hx) == 1 else tuple(hx))
        for _ in range(3):
            state = m(x) if state is None else m(x, state)
            outs.extend(_flat(state))
    return outs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,make,x,hx", CELLS, ids=[c[0] for c in CELLS])
def test_cell_under_no_grad(name, make, x, hx, dtype):
    same(lambda T: run_no_grad(T, make, x, hx, dtype=dtype), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["GRUCell", "LSTMCell", "RNNCell"])
def test_cell_errors_under_no_grad(cell):
    def mixed(T, x_dtype, h_dtype):
        m = getattr(T.nn, cell)(3, 4)
        h = T.zeros(2, 4, dtype=h_dtype)
        with T.no_grad():
            return m(T.ones(2, 3, dtype=x_dtype), (h, h) if cell == "LSTMCell" else h)
    for x_dtype, h_dtype in [("float64", "float32"), ("float32", "float64"), ("int64", "float32")]:
        same(lambda T: mixed(T, getattr(T, x_dtype), getattr(T, h_dtype)))
        same_message(lambda T: mixed(T, getattr(T, x_dtype), getattr(T, h_dtype)))


def test_long_sequence_is_one_node_per_layer():
    """The time loop is a scan inside one op: the graph does not grow with the sequence length."""
    import torchlike
    m = torchlike.nn.LSTM(3, 4, num_layers=2)
    x = torchlike.randn(200, 2, 3, requires_grad=True)
    out, (h, c) = m(x)
    node = out.grad_fn
    assert node.name() == "MkldnnRnnLayerBackward0"
    # layer 1's node feeds directly from layer 0's node
    names = {type(f).__name__ for f, _ in node.next_functions if f is not None}
    assert "MkldnnRnnLayerBackward0" in names
    out.sum().backward()
    assert x.grad.shape == (200, 2, 3)


def test_dropout_between_layers_train():
    def f(T):
        T.manual_seed(0)
        m = T.nn.LSTM(3, 4, num_layers=2, dropout=1.0)
        x = T.ones(5, 2, 3)
        out_train = m(x)[0]
        m.eval()
        out_eval = m(x)[0]
        # dropout p=1 zeroes layer 1's input: its output only depends on the biases, equal across batch
        return bool((out_train[:, 0] - out_train[:, 1]).abs().max() < 1e-6), out_train.shape, out_eval.shape
    same(f)


MODULES = [
    lambda T: T.nn.RNN(3, 4),
    lambda T: T.nn.RNN(3, 4, 2, nonlinearity="relu", bias=False, batch_first=True, dropout=0.5,
                       bidirectional=True),
    lambda T: T.nn.LSTM(3, 4, proj_size=2, num_layers=2),
    lambda T: T.nn.LSTM(3, 5, bidirectional=True, num_layers=2, proj_size=3),
    lambda T: T.nn.GRU(3, 4, 3, bias=False),
    lambda T: T.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda T: T.nn.LSTMCell(3, 4),
    lambda T: T.nn.GRUCell(3, 4, bias=False),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_repr_state_dict_and_init(i):
    def f(T):
        T.manual_seed(0)
        m = MODULES[i](T)
        bound = 1 / np.sqrt(m.hidden_size)
        in_range = all(bool((p.abs() <= bound).all()) for p in m.parameters())
        flat = getattr(m, "_flat_weights_names", None)
        return (repr(m), [(k, tuple(v.shape)) for k, v in m.state_dict().items()],
                [n for n, _ in m.named_parameters()], in_range, flat)
    same(f)


ERRORS = [
    lambda T: T.nn.LSTM(3, 4)(T.randn(5, 2, 3), (T.randn(2, 4), T.randn(2, 4))),
    lambda T: T.nn.GRU(3, 4)(T.randn(5, 2, 3), T.randn(2, 2, 4)),
    lambda T: T.nn.GRU(3, 4)(T.randn(5, 2, 3), T.randn(2, 4)),
    lambda T: T.nn.GRU(3, 4)(T.randn(5, 3), T.randn(1, 2, 4)),
    lambda T: T.nn.GRU(3, 4)(T.randn(5, 2, 3, 1)),
    lambda T: T.nn.RNN(3, 4)(T.randn(5, 2, 5)),
    lambda T: T.nn.LSTM(3, 4)(T.randn(5, 2, 3), (T.randn(1, 2, 4), T.randn(1, 3, 4))),
    lambda T: T.nn.RNN(3, 4, 2, "foo"),
    lambda T: T.nn.GRU(3, 4, proj_size=2),
    lambda T: T.nn.LSTM(3, 4, proj_size=4),
    lambda T: T.nn.LSTM(3, 4, dropout=1.5),
    lambda T: T.nn.LSTM(3, 0),
    lambda T: T.nn.LSTM(3, 4, num_layers=0),
    lambda T: T.nn.LSTMCell(3, 4)(T.randn(2, 3), (T.randn(3, 4), T.randn(3, 4))),
    lambda T: T.nn.GRUCell(3, 4)(T.randn(2, 5)),
    lambda T: T.nn.RNNCell(3, 4)(T.randn(2, 3, 3)),
    lambda T: T.nn.RNNCell(3, 4, nonlinearity="gelu")(T.randn(2, 3)),
    lambda T: T.nn.LSTM(3, 4)(T.randn(5, 2, 3, dtype=T.float64)),
    lambda T: T.nn.RNN(3, 4)(T.randint(0, 3, (5, 2, 3))),
    lambda T: T.nn.GRUCell(3, 4)(T.randn(2, 3, dtype=T.float64)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    same(ERRORS[i])


def test_error_messages():
    for make in (ERRORS[1], ERRORS[2], ERRORS[4], ERRORS[5], ERRORS[6], ERRORS[13], ERRORS[14], ERRORS[17]):
        same_message(make)


def test_training_step_matches():
    """A few SGD steps on a GRU + Linear model track PyTorch's."""
    def f(T):
        m = set_weights(T.nn.GRU(3, 4, batch_first=True), T)
        head = set_weights(T.nn.Linear(4, 1), T, seed=7)
        opt = T.optim.SGD(list(m.parameters()) + list(head.parameters()), lr=0.1)
        x = T.tensor(data(2, 6, 3, seed=3))
        y = T.tensor(data(2, 1, seed=4))
        losses = []
        for _ in range(3):
            opt.zero_grad()
            out, h = m(x)
            loss = ((head(out[:, -1]) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, dict(m.state_dict())
    same(f, rtol=1e-4, atol=1e-5)


# ---- PackedSequence input ------------------------------------------------------------------------
def run_packed(T, cls, kw, enforce_sorted, with_hx):
    m = set_weights(getattr(T.nn, cls)(3, 4, **kw), T)
    x = T.tensor(data(5, 3, 3, seed=1), requires_grad=True)
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    packed = T.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hx = None
    if with_hx:
        hx = T.tensor(data(n, 3, 4, seed=5), requires_grad=True)
        if cls == "LSTM":
            hx = (hx, T.tensor(data(n, 3, 4, seed=6)))
    out, state = m(packed, hx)
    padded, lens = T.nn.utils.rnn.pad_packed_sequence(out)
    states = state if isinstance(state, tuple) else (state,)
    loss = (padded * T.tensor(data(*padded.shape, seed=9))).sum() + sum((s * s).sum() for s in states)
    loss.backward()
    return (type(out).__name__, out.data, out.batch_sizes, padded, lens, states, x.grad,
            {k: p.grad for k, p in m.named_parameters()}, [s.grad_fn.name() for s in states])


PACKED = [(cls, kw, es, hx) for cls in ("RNN", "LSTM", "GRU")
          for kw, es, hx in (({}, True, False), ({"bidirectional": True, "num_layers": 2}, False, True))]


@pytest.mark.parametrize("cls,kw,enforce_sorted,with_hx", PACKED)
def test_packed_sequence(cls, kw, enforce_sorted, with_hx):
    # packed.data's grad_fn is CatBackward0 in PyTorch, IndexSelectBackward0 here (see differences.md);
    # the states' grad_fn names are compared in the returned list
    same(lambda T: run_packed(T, cls, kw, enforce_sorted, with_hx), rtol=1e-4, atol=1e-5, check_grad_fn=False)
