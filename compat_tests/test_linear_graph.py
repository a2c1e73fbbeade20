"""``nn.Linear`` / ``F.linear`` / ``torch.addmm``: the autograd graph PyTorch records, node by node.

PyTorch lowers ``linear`` to ``addmm(bias, input, weight.t())`` for a 2-D input, so its
``AddmmBackward0`` lists the bias's edge first, then the input's, then ``TBackward0`` of the weight;
other input ranks are folded to 2-D around the ``addmm`` (or go through ``matmul`` and an ``add_``).
Each test compares the recursive ``next_functions`` structure (names and output numbers, to depth 3 or
more) with PyTorch's, and the values and gradients.
"""
from __future__ import annotations

import pytest

from harness import data, same, same_message


def tree(fn, depth=3):
    """``next_functions`` below ``fn`` as nested (name, ((child, output_nr), ...)), ``depth`` levels."""
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (fn.name(), tuple((tree(n, depth - 1), nr) for n, nr in fn.next_functions))


def params(T, n_out=2, n_in=3, grad=True, seed=0):
    w = T.tensor(data(n_out, n_in, seed=seed), requires_grad=grad)
    b = T.tensor(data(n_out, seed=seed + 1), requires_grad=grad)
    return w, b


def graph_and_grads(T, y, leaves, depth=3):
    """The graph below ``y``, ``y``, and the gradients of ``sum(y * y)`` w.r.t. ``leaves``."""
    g = tree(y.grad_fn, depth)
    (y * y).sum().backward()
    return g, y, [t.grad for t in leaves]


SHAPES = [(4, 3), (3,), (2, 4, 3), (1, 3), (2, 1, 3), (2, 2, 4, 3), (0, 4, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_graph(shape, x_grad, bias):
    def f(T):
        w, b = params(T)
        x = T.tensor(data(*shape, seed=5), requires_grad=x_grad)
        y = T.nn.functional.linear(x, w, b if bias else None)
        return graph_and_grads(T, y, [w, b, x] if x_grad else [w, b])
    same(f)


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 4, 3)])
def test_module_linear_graph(shape):
    def f(T):
        T.manual_seed(0)
        lin = T.nn.Linear(3, 2)
        with T.no_grad():
            lin.weight.copy_(T.tensor(data(2, 3)))
            lin.bias.copy_(T.tensor(data(2, seed=1)))
        x = T.tensor(data(*shape, seed=2), requires_grad=True)
        return graph_and_grads(T, lin(x), [lin.weight, lin.bias, x])
    same(f)


def test_module_linear_no_bias_graph():
    def f(T):
        lin = T.nn.Linear(3, 2, bias=False)
        return [tree(lin(T.ones(*s, requires_grad=True)).grad_fn) for s in ((4, 3), (3,), (2, 4, 3))]
    same(f)


@pytest.mark.parametrize("shape", [(5, 3), (2, 5, 3)])
def test_two_layer_mlp_graph(shape):
    def f(T):
        l1, l2 = T.nn.Linear(3, 4), T.nn.Linear(4, 2)
        with T.no_grad():
            for m, s in ((l1, 0), (l2, 2)):
                m.weight.copy_(T.tensor(data(*m.weight.shape, seed=s)))
                m.bias.copy_(T.tensor(data(*m.bias.shape, seed=s + 1)))
        mlp = T.nn.Sequential(l1, T.nn.ReLU(), l2)
        y = mlp(T.tensor(data(*shape, seed=9)))
        return graph_and_grads(T, y, [l1.weight, l1.bias, l2.weight, l2.bias], depth=6)
    same(f)


@pytest.mark.parametrize("case", ["1d_bias", "2d_bias", "2d_self", "beta_alpha", "no_mat_grad", "self_no_grad"])
def test_addmm_graph(case):
    def f(T):
        w, b = params(T)
        x = T.tensor(data(4, 3, seed=3), requires_grad=True)
        m = T.tensor(data(4, 2, seed=4), requires_grad=True)
        if case == "1d_bias":
            y = T.addmm(b, x, w.t())
        elif case == "2d_bias":
            y = T.addmm(b.unsqueeze(0), x, w.t())
        elif case == "2d_self":
            y = T.addmm(m, x, w.t())
        elif case == "beta_alpha":
            y = T.addmm(m, x, w.t(), beta=2, alpha=3)
        elif case == "no_mat_grad":
            y = T.addmm(m, x.detach(), T.tensor(data(3, 2)))
        else:
            y = T.addmm(T.tensor(data(2)), x, w.t())
        return graph_and_grads(T, y, [w, b, x, m])
    same(f)


@pytest.mark.parametrize("which", ["weight", "bias", "input"])
def test_linear_some_inputs_without_grad(which):
    def f(T):
        w, b = params(T)
        x = T.tensor(data(4, 3, seed=3), requires_grad=True)
        w = w.detach() if which == "weight" else w
        b = b.detach() if which == "bias" else b
        x = x.detach() if which == "input" else x
        return [tree(T.nn.functional.linear(x3, w, b).grad_fn)
                for x3 in (x, x.reshape(2, 2, 3), x[0])]
    same(f)


def test_linear_non_contiguous_input_graph():
    def f(T):
        w, b = params(T)
        base = T.tensor(data(4, 2, 3, seed=3), requires_grad=True)
        x = base.transpose(0, 1)                    # (2, 4, 3), not contiguous: matmul, then add_
        return [graph_and_grads(T, T.nn.functional.linear(x, w, b), [w, b, base], depth=4),
                tree(T.nn.functional.linear(x, w).grad_fn, 4),
                tree(T.nn.functional.linear(base[:, 0, :], w, b).grad_fn, 4)]
    same(f)


def test_linear_bias_not_1d_graph():
    def f(T):
        w, b = params(T)
        x = T.tensor(data(2, 4, 3, seed=3), requires_grad=True)
        outs = [T.nn.functional.linear(x, w, T.tensor(data(4, 2), requires_grad=True)),
                T.nn.functional.linear(x, w, T.tensor(data(1), requires_grad=True)),
                T.nn.functional.linear(x[0, 0], w, T.tensor(1.5, requires_grad=True)),
                T.nn.functional.linear(x[0], w, T.tensor(data(4, 2), requires_grad=True))]
        return [(tree(y.grad_fn), y) for y in outs]
    same(f)


def test_linear_vector_weight_graph():
    def f(T):
        v = T.tensor(data(3), requires_grad=True)
        return [(tree(y.grad_fn), y) for y in (
            T.nn.functional.linear(T.tensor(data(4, 3), requires_grad=True), v),
            T.nn.functional.linear(T.tensor(data(3), requires_grad=True), v),
            T.nn.functional.linear(T.tensor(data(2, 4, 3), requires_grad=True), v))]
    same(f)


def test_linear_double_backward():
    def f(T):
        w, b = params(T)
        x = T.tensor(data(2, 4, 3, seed=3), requires_grad=True)
        y = T.nn.functional.linear(x, w, b)
        gx, = T.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        gx.sum().backward()
        return gx, w.grad, b.grad
    same(f, check_grad_fn=False)


def test_linear_no_grad_values_and_dtypes():
    def f(T):
        w, b = params(T, grad=False)
        outs = [T.nn.functional.linear(T.tensor(data(*s, seed=4)), w, b) for s in SHAPES]
        outs.append(T.nn.functional.linear(T.tensor(data(4, 3)).double(), w.double(), b.double()))
        outs.append(T.nn.functional.linear(T.ones(4, 3, dtype=T.long), T.ones(2, 3, dtype=T.long),
                                           T.ones(2, dtype=T.long)))
        return outs
    same(f)


@pytest.mark.parametrize("case", [
    "x_0d", "mismatch_2d", "mismatch_3d", "mismatch_1d", "mismatch_1d_nobias", "mismatch_3d_nobias",
    "dtype_input", "dtype_bias", "dtype_3d", "dtype_nobias", "dtype_nobias_weight", "bias_size",
    "bias_size_3d", "bias_size_1d", "weight_3d", "vector_weight_bias", "vector_weight_mismatch", "bool",
])
def test_linear_errors(case):
    def f(T):
        F = T.nn.functional
        w, b = T.ones(2, 3), T.ones(2)
        d, i = T.float64, T.long
        return {
            "x_0d": lambda: F.linear(T.ones(()), w, b),
            "mismatch_2d": lambda: F.linear(T.ones(4, 4), w, b),
            "mismatch_3d": lambda: F.linear(T.ones(2, 4, 4), w, b),
            "mismatch_1d": lambda: F.linear(T.ones(4), w, b),
            "mismatch_1d_nobias": lambda: F.linear(T.ones(4), w),
            "mismatch_3d_nobias": lambda: F.linear(T.ones(2, 4, 4), w),
            "dtype_input": lambda: F.linear(T.ones(4, 3, dtype=d), w, b),
            "dtype_bias": lambda: F.linear(T.ones(4, 3), w, T.ones(2, dtype=d)),
            "dtype_3d": lambda: F.linear(T.ones(2, 4, 3, dtype=d), w, b),
            "dtype_nobias": lambda: F.linear(T.ones(4, 3, dtype=d), w),
            "dtype_nobias_weight": lambda: F.linear(T.ones(4, 3), T.ones(2, 3, dtype=i)),
            "bias_size": lambda: F.linear(T.ones(4, 3), w, T.ones(3)),
            "bias_size_3d": lambda: F.linear(T.ones(2, 4, 3), w, T.ones(3)),
            "bias_size_1d": lambda: F.linear(T.ones(3), w, T.ones(3)),
            "weight_3d": lambda: F.linear(T.ones(4, 3), T.ones(5, 2, 3), b),
            "vector_weight_bias": lambda: F.linear(T.ones(4, 3), T.ones(3), T.ones(())),
            "vector_weight_mismatch": lambda: F.linear(T.ones(4, 3), T.ones(4)),
            "bool": lambda: F.linear(T.ones(4, 3, dtype=T.bool), T.ones(2, 3, dtype=T.bool)),
        }[case]()
    same(f)
    same_message(f)


@pytest.mark.parametrize("case", ["mat1_1d", "mat2_1d", "mat1_3d", "shapes", "self_size", "self_2d_size",
                                  "self_rows", "self_3d", "dtype_self", "dtype_mat1", "dtype_mat2"])
def test_addmm_errors(case):
    def f(T):
        d = T.float64
        a, b, c = {
            "mat1_1d": ((2,), (4,), (3, 2)), "mat2_1d": ((2,), (4, 3), (3,)), "mat1_3d": ((2,), (4, 3, 1), (3, 2)),
            "shapes": ((2,), (4, 3), (2, 2)), "self_size": ((3,), (4, 3), (3, 2)),
            "self_2d_size": ((4, 3), (4, 3), (3, 2)), "self_rows": ((2, 2), (4, 3), (3, 2)),
            "self_3d": ((5, 4, 2), (4, 3), (3, 2)),
        }.get(case, ((2,), (4, 3), (3, 2)))
        dts = {"dtype_self": (d, None, None), "dtype_mat1": (None, d, None), "dtype_mat2": (None, None, d)}.get(
            case, (None, None, None))
        return T.addmm(*(T.ones(*s, dtype=dt) for s, dt in zip((a, b, c), dts)))
    same(f)
    same_message(f)
