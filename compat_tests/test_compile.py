"""torchlike.compile: a training step as one program; results equal PyTorch's eager run."""
import warnings

import numpy as np
import pytest
import torch

import torchlike
from harness import assert_same, data


def _mlp_setup(T, lr=1e-3):
    w1 = T.tensor(data(8, 6, seed=1) * 0.3, requires_grad=True)
    w2 = T.tensor(data(6, 2, seed=2) * 0.3, requires_grad=True)

    def step(x, y):
        nonlocal w1, w2
        pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y - pred).pow(2).sum()
        loss.backward()
        with T.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
            w1.grad = None
            w2.grad = None
        return loss
    return step, (w1, w2)


def test_compiled_training_step_matches_pytorch_eager():
    x, y = data(4, 8, seed=3), data(4, 2, seed=4)
    step_t, params_t = _mlp_setup(torch)
    step_l, params_l = _mlp_setup(torchlike)
    step_l = torchlike.compile(step_l)
    for _ in range(4):
        lt = step_t(torch.tensor(x), torch.tensor(y))
        ll = step_l(torchlike.tensor(x), torchlike.tensor(y))
        assert_same(lt.detach(), ll.detach(), rtol=1e-5)
    assert_same(params_t, params_l, rtol=1e-5)
    assert params_l[0].grad is None and params_l[0].is_leaf


def test_grads_accumulate_across_compiled_calls():
    def run(T, compile_):
        w = T.tensor(data(3, seed=5), requires_grad=True)

        def f(x):
            (w * x).sin().sum().backward()
        g = compile_(f)
        for _ in range(3):
            g(T.tensor(data(3, seed=6)))
        return w.grad
    assert_same(run(torch, lambda f: f), run(torchlike, torchlike.compile))


def test_shape_change_retraces():
    f = torchlike.compile(lambda a: (a * 2).sum(0))
    for n in (3, 5, 3):
        got = f(torchlike.tensor(data(n, 2, seed=n)))
        assert_same((torch.tensor(data(n, 2, seed=n)) * 2).sum(0), got)


def test_in_place_buffer_update_is_written_back():
    def run(T, compile_):
        running = T.zeros(3)

        def f(x):
            running.mul_(0.9).add_(x.mean(0) * 0.1)
            return running * 1
        g = compile_(f)
        outs = [g(T.tensor(data(4, 3, seed=s))) for s in range(3)]
        return outs, running, running._version
    assert_same(run(torch, lambda f: f), run(torchlike, torchlike.compile))


def test_randomness_is_not_frozen_and_follows_the_seed():
    f = torchlike.compile(lambda x: x + torchlike.rand(3))
    x = torchlike.zeros(3)
    torchlike.manual_seed(0)
    a, b = f(x), f(x)
    assert not torchlike.equal(a, b)
    torchlike.manual_seed(0)
    a2, b2 = f(x), f(x)
    assert torchlike.equal(a, a2) and torchlike.equal(b, b2)


def test_untraceable_function_falls_back_to_eager_with_warning():
    def f(x):
        return x * 2 if x.sum().item() > 0 else x * 3
    g = torchlike.compile(f)
    g(torchlike.tensor([5.0, 6.0]))                 # the first call of a signature runs eagerly
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = g(torchlike.tensor([1.0, 2.0]))
    assert any("eagerly" in str(m.message) for m in w)
    assert_same(torch.tensor([2.0, 4.0]), out)
    assert_same(torch.tensor([-3.0]), g(torchlike.tensor([-1.0])))


def test_compile_as_decorator_and_disable():
    @torchlike.compile
    def f(a, b):
        return a @ b
    a, b = data(2, 3, seed=7), data(3, 2, seed=8)
    assert_same(torch.tensor(a) @ torch.tensor(b), f(torchlike.tensor(a), torchlike.tensor(b)))
    g = torchlike.compile(disable=True)(lambda a: a)
    assert g(1) == 1


@pytest.mark.parametrize("zero_grad", ["optimizer", "module"])
def test_module_optimizer_step_traces_at_most_twice(zero_grad):
    """zero_grad() inside the step clears grads the trace must restore; the program is
    then reused (one trace for grads-None at entry, one for grads set), not retraced per call."""
    def setup(T):
        T.manual_seed(0)
        model = T.nn.Linear(5, 2)
        with T.no_grad():
            model.weight.copy_(T.tensor(data(2, 5, seed=5)))
            model.bias.copy_(T.tensor(data(2, seed=6)))
        opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            (opt if zero_grad == "optimizer" else model).zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return step, model

    x, y = data(8, 5, seed=7), data(8, 2, seed=8)
    step_t, model_t = setup(torch)
    step_l, model_l = setup(torchlike)
    step_l = torchlike.compile(step_l)
    for _ in range(5):
        lt = step_t(torch.tensor(x), torch.tensor(y))
        ll = step_l(torchlike.tensor(x), torchlike.tensor(y))
        assert_same(lt.detach(), ll.detach(), rtol=1e-5)
    assert_same([p.detach() for p in model_t.parameters()], [p.detach() for p in model_l.parameters()], rtol=1e-5)
    assert_same([p.grad for p in model_t.parameters()], [p.grad for p in model_l.parameters()], rtol=1e-5)
    assert sum(len(v) for v in step_l._entries.values()) <= 2


def test_closed_over_tensors_read_and_written_keep_their_values_and_views():
    """A step that closes over its batch (read only) and its weights (written): after compiled
    calls, views taken before them show what PyTorch's eager views show, the weights' views the
    updates and the batch's its unchanged values; the batch keeps its version counter."""
    def run(T, compile_):
        x = T.tensor(data(4, 8, seed=7))
        w = T.tensor(data(8, 3, seed=8), requires_grad=True)
        x_row, w_row = x[1], w.detach()[2]

        def step():
            nonlocal w
            loss = x.mm(w).tanh().sum()
            loss.backward()
            with T.no_grad():
                w -= 0.1 * w.grad
                w.grad = None
            return loss
        f = compile_(step)
        losses = [f().detach() for _ in range(4)]
        return losses, x_row.clone(), w_row.clone(), x, w.detach(), x._version
    got_t, got_l = run(torch, lambda f: f), run(torchlike, torchlike.compile)
    assert got_t[5] == got_l[5]
    for a, b in zip(got_t[:5], got_l[:5]):
        assert_same(a, b, rtol=1e-5)


def test_python_numbers_of_a_compiled_step_are_program_constants():
    """Numbers the step uses (float, int, negative, a divisor, a clamp bound, an integer tensor's
    offset) become constants of the program (``_compile._inline_scalars``); a constant tensor made in
    the step is returned as it is.  Values, dtypes and shapes against PyTorch eager, every call."""
    def make(T):
        w = T.tensor(data(5, seed=11), requires_grad=True)

        def step(x, i):
            y = ((x * w).clamp(min=-0.25, max=2) / 3 - 1.5) ** 2
            loss = y.sum() * 0.5
            loss.backward()
            with T.no_grad():
                w.sub_(w.grad, alpha=0.01)
                w.grad = None
            return loss, i * 3 + 7, (i % 4) == 1, T.tensor(2.5), T.ones(2, dtype=T.int64) - 5
        return step, w
    step_t, w_t = make(torch)
    step_l, w_l = make(torchlike)
    step_l = torchlike.compile(step_l)
    for k in range(4):
        x = data(5, seed=20 + k)
        i = np.arange(4, dtype=np.int64) + k
        got = step_l(torchlike.tensor(x), torchlike.tensor(i))
        want = step_t(torch.tensor(x), torch.tensor(i))
        assert_same([t.detach() for t in want], [t.detach() for t in got], rtol=1e-6)
    assert_same(w_t.detach(), w_l.detach(), rtol=1e-6)


def test_a_compiled_step_leaks_no_tracer():
    """Constants first made while a step is traced (``i * 3`` runs on the host when eager, so its
    device constant is made under the trace) are staged into the program and not cached for later
    eager calls: JAX's leak checker passes, and eager code using the same numbers afterwards
    computes what PyTorch computes."""
    import jax

    def make(T):
        model = T.nn.Sequential(T.nn.Linear(8, 6), T.nn.ReLU(), T.nn.Linear(6, 2))
        with T.no_grad():
            for n, p in enumerate(model.parameters()):
                p.copy_(T.tensor(data(*p.shape, seed=30 + n) * 0.3))
        opt = T.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y, i):
            opt.zero_grad()
            loss = T.nn.functional.mse_loss(model(x), y) * 0.5 + 1
            loss.backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss, i * 3 + 7
        return step
    step_l = torchlike.compile(make(torchlike))
    step_t = make(torch)
    with jax.checking_leaks():
        for k in range(4):
            args = (data(4, 8, seed=k), data(4, 2, seed=k + 9), np.arange(4, dtype=np.int64) + k)
            got = step_l(*[torchlike.tensor(a) for a in args])
            want = step_t(*[torch.tensor(a) for a in args])
            assert_same([t.detach() for t in want], [t.detach() for t in got], rtol=1e-5)
    assert_same(torch.arange(100) * 3 + 7, torchlike.arange(100) * 3 + 7)
