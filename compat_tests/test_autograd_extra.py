"""Autograd depth, differentially against PyTorch: forward-mode AD (``autograd.forward_ad``),
saved-tensor hooks and ``grad_fn._saved_*``, anomaly detection, ``gradcheck``/``gradgradcheck``."""
import re
import warnings

import numpy as np
import pytest
import torch

import torchlike
from harness import LIBS, Raised, assert_same, data, run, same

X = data(3, seed=1)
Y = data(3, seed=2)
M = data(2, 3, seed=3)
N = data(3, 4, seed=4)
POS = data(3, seed=5, low=0.5, high=2.0)


def fw(T):
    return T.autograd.forward_ad


def same_error(fn, *, exact=True):
    expected, actual = run(fn, LIBS[0]), run(fn, LIBS[1])
    assert isinstance(expected, Raised), f"PyTorch did not raise: {expected!r}"
    assert isinstance(actual, Raised), f"torchlike did not raise: {actual!r}"
    assert type(actual.exc).__name__ == type(expected.exc).__name__, (expected, actual)
    if exact:
        assert str(actual.exc) == str(expected.exc), f"\n torch:     {expected.exc}\n torchlike: {actual.exc}"


def caught(fn, lib):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            result = fn(lib)
        except Exception as exc:  # noqa: BLE001 - compared by the caller
            result = Raised(exc)
    return result, [(x.category.__name__, re.sub(r" \(Triggered internally at .*\)$", "", str(x.message)))
                    for x in w]


# ---- forward-mode AD -------------------------------------------------------------------

FW_OPS = {
    "sin": lambda T, a, b: a.sin(),
    "mul": lambda T, a, b: a * b,
    "mul_scalar": lambda T, a, b: a * 3.0,
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=2),
    "div": lambda T, a, b: a / (b.abs() + 1),
    "pow": lambda T, a, b: (a.abs() + 1) ** 1.5,
    "exp_sum": lambda T, a, b: a.exp().sum(),
    "matmul": lambda T, a, b: a @ b,
    "outer": lambda T, a, b: T.outer(a, b),
    "cat": lambda T, a, b: T.cat([a, b * 2]),
    "stack": lambda T, a, b: T.stack([a, b]),
    "view": lambda T, a, b: a.view(3, 1).expand(3, 2),
    "slice": lambda T, a, b: a[1:],
    "max": lambda T, a, b: T.max(a, 0).values,
    "where": lambda T, a, b: T.where(a > 0, a, b),
    "softmax": lambda T, a, b: T.nn.functional.softmax(a, 0),
    "tanh_mean": lambda T, a, b: a.tanh().mean(),
    "clamp": lambda T, a, b: a.clamp(-0.5, 0.5),
    "norm": lambda T, a, b: a.norm(),
}


@pytest.mark.parametrize("name", sorted(FW_OPS))
def test_forward_ad_through_ops(name):
    op = FW_OPS[name]

    def f(T):
        with fw(T).dual_level():
            a = fw(T).make_dual(T.tensor(X), T.tensor(Y))
            b = fw(T).make_dual(T.tensor(POS), T.tensor(X))
            p, t = fw(T).unpack_dual(op(T, a, b))
            return p, t
    same(f, check_grad_fn=False)


def test_forward_ad_only_one_input_dual():
    def f(T):
        with fw(T).dual_level():
            a = fw(T).make_dual(T.tensor(X), T.tensor(Y))
            return fw(T).unpack_dual(a * T.tensor(POS) + T.tensor(POS).exp()).tangent
    same(f)


def test_forward_ad_matmul_2d():
    def f(T):
        with fw(T).dual_level():
            a = fw(T).make_dual(T.tensor(M), T.tensor(M) * 0.5)
            return fw(T).unpack_dual(a @ T.tensor(N)).tangent
    same(f)


def test_forward_ad_float64():
    def f(T):
        with fw(T).dual_level():
            a = fw(T).make_dual(T.tensor(X, dtype=T.float64), T.ones(3, dtype=T.float64))
            return fw(T).unpack_dual(a.sin() * 2)
    same(f, check_grad_fn=False)


def test_unpack_dual_fields_and_none():
    def f(T):
        with fw(T).dual_level():
            x = T.tensor(X)
            u = fw(T).unpack_dual(x)
            t = T.tensor(Y)
            d = fw(T).make_dual(x, t)
            u2 = fw(T).unpack_dual(d)
            return (type(u).__name__, u._fields, u.tangent is None, u2.tangent is t, u2.primal,
                    fw(T).unpack_dual(d * 2).primal)
    same(f)


def test_tangents_dropped_when_level_exits():
    def f(T):
        with fw(T).dual_level():
            d = fw(T).make_dual(T.tensor(X), T.tensor(Y))
            y = d.sin()
        return fw(T).unpack_dual(y).tangent is None, fw(T).unpack_dual(d).tangent is None, y
    same(f)


def test_enter_exit_dual_level():
    def f(T):
        lvl = fw(T).enter_dual_level()
        d = fw(T).make_dual(T.tensor(X), T.tensor(Y))
        t = fw(T).unpack_dual(d.exp()).tangent
        fw(T).exit_dual_level(level=lvl)
        lvl2 = fw(T).enter_dual_level()
        fw(T).exit_dual_level()
        return lvl, lvl2, t
    same(f)


def test_make_dual_is_a_view_and_differentiable():
    def f(T):
        x = T.tensor(X, requires_grad=True)
        with fw(T).dual_level():
            d = fw(T).make_dual(x, T.tensor(Y))
            y = (d.sin() * 2).sum()
            tan = fw(T).unpack_dual(y).tangent
        y.backward()
        return d._base is x, d.grad_fn.name(), y, tan.detach(), x.grad
    same(f)


def test_forward_ad_errors():
    same_error(lambda T: fw(T).make_dual(T.tensor(X), T.tensor(Y)))

    def shape(T):
        with fw(T).dual_level():
            fw(T).make_dual(T.tensor(X), T.ones(4))
    same_error(shape)

    def integer(T):
        with fw(T).dual_level():
            fw(T).make_dual(T.arange(3), T.arange(3))
    same_error(integer)

    def nested(T):
        with fw(T).dual_level():
            with fw(T).dual_level():
                pass
    same_error(nested)


def test_forward_ad_in_place():
    def f(T):
        with fw(T).dual_level():
            d = fw(T).make_dual(T.tensor(X), T.tensor(Y))
            z = T.zeros(3)
            z.add_(d)
            z.mul_(2)
            w = fw(T).make_dual(T.tensor(POS), T.ones(3))
            w.sin_()
            return fw(T).unpack_dual(z), fw(T).unpack_dual(w)
    same(f, check_grad_fn=False)


def test_forward_ad_views_share_tangent():
    def f(T):
        with fw(T).dual_level():
            x, t = T.zeros(4), T.ones(4)
            d = fw(T).make_dual(x, t)
            v = d[1:3]
            aliased = fw(T).unpack_dual(v).tangent._base is t
            v.mul_(3)
            r1 = fw(T).unpack_dual(d).tangent.clone()
            w = d.view(2, 2)[0]
            w.add_(fw(T).make_dual(T.ones(2), T.ones(2) * 10))
            r2 = fw(T).unpack_dual(d).tangent.clone()
            z = T.zeros(3)
            zz = z[:2]
            zz.add_(fw(T).make_dual(T.ones(2), T.ones(2)))
            return aliased, r1, t, r2, x, fw(T).unpack_dual(z).tangent, fw(T).unpack_dual(zz).tangent
    same(f)


def test_dual_tensor_printing():
    def f(T):
        with fw(T).dual_level():
            return [repr(fw(T).make_dual(T.ones(2), T.ones(2) * 3)),
                    repr(fw(T).make_dual(T.ones(2, dtype=T.float64), T.ones(2, dtype=T.float64))),
                    repr(fw(T).make_dual(T.ones(30), T.ones(30)) * 2),
                    str(fw(T).make_dual(T.tensor(X), T.tensor(Y)).exp()),
                    repr(fw(T).make_dual(T.tensor(3.0), T.tensor(2.0)))]
    a, b = f(torch), f(torchlike)
    assert a == b


def test_forward_ad_nn_linear():
    def f(T):
        import importlib
        importlib.import_module(T.__name__ + ".nn")
        lin = T.nn.Linear(3, 4)
        with T.no_grad():
            lin.weight.copy_(T.tensor(N.T))
            lin.bias.copy_(T.tensor(data(4, seed=9)))
        with fw(T).dual_level():
            d = fw(T).make_dual(T.tensor(M), T.ones(2, 3))
            out = T.nn.functional.relu(lin(d))
            p, t = fw(T).unpack_dual(out)
        return p.detach(), t
    same(f, check_grad_fn=False)      # the tangent's grad_fn is named after our jvp node (see below)


def test_forward_ad_tangent_is_differentiable():
    def f(T):
        x = T.tensor(POS, requires_grad=True)
        with fw(T).dual_level():
            d = fw(T).make_dual(x, T.tensor(Y))
            y = (d.sin() * d).sum()
            t = fw(T).unpack_dual(y).tangent
        t.backward()
        return t.requires_grad, t.detach(), x.grad
    same(f)


def _function_classes(T):
    class Sin2(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.save_for_forward(a)
            ctx.k = k
            ctx.saw_tangent = fw(T).unpack_dual(a).tangent is not None
            return a.sin() * k

        @staticmethod
        def backward(ctx, g):
            return g, None

        @staticmethod
        def jvp(ctx, ta, tk):
            a, = ctx.saved_tensors
            return ta * a.cos() * ctx.k

    class NoJvp(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Sin2, NoJvp


def test_forward_ad_custom_function_jvp():
    def f(T):
        Sin2, _ = _function_classes(T)
        with fw(T).dual_level():
            out = Sin2.apply(fw(T).make_dual(T.tensor(X), T.tensor(Y)), 2.0)
            return fw(T).unpack_dual(out), out.grad_fn is None
    same(f, check_grad_fn=False)


def test_forward_ad_custom_function_without_jvp():
    def f(T):
        _, NoJvp = _function_classes(T)
        with fw(T).dual_level():
            NoJvp.apply(fw(T).make_dual(T.tensor(X), T.tensor(Y)))
    same_error(f)


def test_forward_ad_off_leaves_registry_hook_unset():
    with torchlike.autograd.forward_ad.dual_level():
        assert torchlike._registry._extra is not None
    assert torchlike._registry._extra is None


# ---- saved tensor hooks ---------------------------------------------------------------

SAVED_OPS = {
    "mul": lambda T, a, b, c: a * b,
    "mul_const": lambda T, a, b, c: a * c,
    "mul_scalar": lambda T, a, b, c: a * 2,
    "add": lambda T, a, b, c: a + b,
    "sub_const": lambda T, a, b, c: a - c,
    "sin": lambda T, a, b, c: a.sin(),
    "exp": lambda T, a, b, c: a.exp(),
    "dot": lambda T, a, b, c: a @ b,
    "relu": lambda T, a, b, c: a.relu(),
    "div": lambda T, a, b, c: a / b,
    "pow": lambda T, a, b, c: a ** 2,
    "tanh": lambda T, a, b, c: a.tanh(),
    "sum": lambda T, a, b, c: a.sum(0),
    "chain": lambda T, a, b, c: (a * b).sin().exp() + c,
    "outer_mm": lambda T, a, b, c: T.outer(a, b).mm(T.outer(b, c)),
    "sigmoid": lambda T, a, b, c: a.sigmoid(),
    "log": lambda T, a, b, c: (a * a + 1).log(),
}


@pytest.mark.parametrize("name", sorted(SAVED_OPS))
def test_saved_tensors_hooks_pack_counts(name):
    op = SAVED_OPS[name]

    def f(T):
        packed, unpacked = [], []

        def pack(t):
            packed.append(tuple(t.shape))
            return t

        def unpack(t):
            unpacked.append(tuple(t.shape))
            return t
        a = T.tensor(X, requires_grad=True)
        b = T.tensor(POS, requires_grad=True)
        c = T.tensor(Y)
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = op(T, a, b, c)
        y.sum().backward()
        return len(packed), len(unpacked), a.grad   # (composite ops in torch may pack views: counts only)
    same(f)


def test_saved_tensors_hooks_unpack_value_is_used():
    def f(T):
        a = T.tensor(X, requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach() * 0 + 1, lambda t: t):
            y = a.sin()
        y.sum().backward()
        return a.grad
    same(f)


def test_saved_tensors_hooks_leaf_is_passed_itself_and_retain_graph():
    def f(T):
        seen = []
        a = T.tensor(X, requires_grad=True)
        b = T.tensor(POS)
        with T.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t is b) or t, lambda t: t):
            y = (a * b).sum()
        y.backward(retain_graph=True)
        y.backward()
        return seen, a.grad
    same(f)


def test_save_on_cpu():
    def f(T):
        a = T.tensor(X, requires_grad=True)
        b = T.tensor(POS, requires_grad=True)
        with T.autograd.graph.save_on_cpu(pin_memory=False):
            y = ((a * b).sin() / b).sum()
        y.backward()
        return y, a.grad, b.grad, isinstance(T.autograd.graph.save_on_cpu(), T.autograd.graph.saved_tensors_hooks)
    same(f)


def test_saved_tensors_hooks_custom_function():
    def f(T):
        counts = []

        class Sq(T.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                a, = ctx.saved_tensors
                return 2 * a * g
        a = T.tensor(X, requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: counts.append("p") or t,
                                                  lambda t: counts.append("u") or t):
            y = Sq.apply(a)
        y.sum().backward()
        return counts, a.grad
    same(f)


def test_disable_saved_tensors_hooks():
    def f(T):
        with T.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    same_error(f)


# ---- grad_fn._saved_* -----------------------------------------------------------------

def test_saved_attributes():
    def f(T):
        a = T.tensor(X, requires_grad=True)
        b = T.tensor(POS, requires_grad=True)
        c = T.tensor(Y)
        m = a * b
        m1 = a * c
        s = a.sum(0, keepdim=True)
        e = a.exp()
        z = a.add(b, alpha=2)
        k = a * 2
        tr = T.tensor(M, requires_grad=True).transpose(0, 1)
        return (m.grad_fn._saved_self is a, m.grad_fn._saved_other is b, m1.grad_fn._saved_self is None,
                m1.grad_fn._saved_other is c, s.grad_fn._saved_dim, s.grad_fn._saved_keepdim,
                s.grad_fn._saved_self_sym_sizes, e.grad_fn._saved_result, e.grad_fn._saved_result is e,
                z.grad_fn._saved_alpha, k.grad_fn._saved_other, k.grad_fn._saved_self is None,
                tr.grad_fn._saved_dim0, tr.grad_fn._saved_dim1)
    same(f)


def test_saved_attribute_errors():
    def freed(T):
        a = T.tensor(X, requires_grad=True)
        y = a.sin()
        y.sum().backward()
        return y.grad_fn._saved_self
    same_error(freed)

    def missing(T):
        a = T.tensor(X, requires_grad=True)
        return (a + 1).grad_fn._saved_nothing
    same_error(missing, exact=False)

    def modified(T):
        a = T.tensor(X, requires_grad=True)
        b = T.tensor(POS)
        y = a * b
        b.add_(1)
        return y.grad_fn._saved_other
    same_error(modified, exact=False)


def test_saved_tensors_hooks_saved_attribute_unpacks():
    def f(T):
        calls = []
        a = T.tensor(X, requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: calls.append(1) or t):
            y = a.sin()
        v = y.grad_fn._saved_self
        return len(calls), v
    same(f)


# ---- anomaly mode ---------------------------------------------------------------------

def _nan_backward(T):
    x = T.tensor([0.0, 1.0], requires_grad=True)
    (x.sqrt() * T.tensor([0., 1.])).sqrt().sum().backward()
    return x.grad


def test_detect_anomaly_nan():
    def f(T):
        with T.autograd.detect_anomaly():
            return _nan_backward(T)
    (r0, w0), (r1, w1) = caught(f, torch), caught(f, torchlike)
    assert isinstance(r0, Raised) and isinstance(r1, Raised)
    assert type(r1.exc) is RuntimeError and str(r1.exc) == str(r0.exc)
    assert [c for c, _ in w1] == [c for c, _ in w0]
    assert w1[0] == w0[0]
    head = "Error detected in MulBackward0. Traceback of forward call that caused the error:\n"
    assert w0[1][1].startswith(head) and w1[1][1].startswith(head)
    assert "_nan_backward" in w1[1][1] and "x.sqrt()" in w1[1][1]


def test_anomaly_flags_and_no_check_nan():
    def f(T):
        flags = [T.is_anomaly_enabled()]
        with T.autograd.set_detect_anomaly(True, check_nan=False):
            flags += [T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()]
            g = _nan_backward(T)
        flags.append(T.is_anomaly_enabled())
        T.autograd.set_detect_anomaly(True)
        flags += [T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()]
        T.autograd.set_detect_anomaly(False)
        flags.append(T.is_anomaly_enabled())
        return flags, g
    same(f)


def test_no_anomaly_mode_nan_passes():
    same(_nan_backward)


def test_detect_anomaly_error_in_custom_backward():
    def f(T):
        class Boom(T.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")
        with T.autograd.detect_anomaly():
            Boom.apply(T.tensor(X, requires_grad=True)).sum().backward()
    (r0, w0), (r1, w1) = caught(f, torch), caught(f, torchlike)
    assert type(r0.exc) is type(r1.exc) is ValueError
    assert [m.split(".")[0] for _, m in w1] == [m.split(".")[0] for _, m in w0]


def test_anomaly_metadata_traceback():
    def f(T):
        with T.autograd.detect_anomaly():
            x = T.tensor(X, requires_grad=True)
            y = x.sin() * x
        tb = y.grad_fn.metadata["traceback_"]
        return type(tb).__name__, len(tb), "y = x.sin() * x" in tb[-1], tb[-1].startswith('  File "')
    same(f)


def test_detect_anomaly_gradients_unchanged():
    def f(T):
        a = T.tensor(X, requires_grad=True)
        with T.autograd.detect_anomaly():
            (a.sin() * a).sum().backward()
        return a.grad
    same(f)


# ---- gradcheck ------------------------------------------------------------------------

def _d(T, arr, rg=True):
    return T.tensor(arr, dtype=T.float64, requires_grad=rg)


def test_gradcheck_passes():
    def f(T):
        gc = T.autograd.gradcheck
        return (gc(T.sin, (_d(T, X),)), gc(lambda a, b: (a * b).sum(0), (_d(T, X), _d(T, M))),
                gc(T.sin, _d(T, X), check_forward_ad=True),
                gc(lambda a, b: a @ b, (_d(T, M), _d(T, N, False))),
                T.autograd.gradgradcheck(T.sin, (_d(T, X),)),
                T.autograd.gradgradcheck(lambda a, b: (a * b).exp().sum(0), (_d(T, X), _d(T, M))))
    same(f)


def _bad(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * a
    return Bad


def test_gradcheck_failure():
    def f(T):
        return T.autograd.gradcheck(_bad(T).apply, (_d(T, X),))
    r0, r1 = run(f, torch), run(f, torchlike)
    assert type(r1.exc).__name__ == type(r0.exc).__name__ == "GradcheckError"
    assert isinstance(r1.exc, RuntimeError)
    assert str(r1.exc).split("\n")[0] == str(r0.exc).split("\n")[0]
    num0 = str(r0.exc).split("analytical:")[0]
    assert str(r1.exc).split("analytical:")[0] == num0
    import importlib
    assert importlib.import_module("torchlike.autograd.gradcheck").GradcheckError is type(r1.exc)
    same(lambda T: T.autograd.gradcheck(_bad(T).apply, (_d(T, X),), raise_exception=False))


def test_gradcheck_errors_and_warnings():
    same_error(lambda T: T.autograd.gradcheck(T.sin, (_d(T, X, False),)))

    def f(T):
        return T.autograd.gradcheck(T.sin, (T.tensor(X, requires_grad=True),), raise_exception=False, atol=1e-2)
    (r0, w0), (r1, w1) = caught(f, torch), caught(f, torchlike)
    assert w1 == w0


def test_saved_tensors_hooks_are_thread_local():
    def f(T):
        import threading
        packed = []
        a = T.tensor(X, requires_grad=True)
        out = []
        with T.autograd.graph.saved_tensors_hooks(lambda t: packed.append("main") or t, lambda t: t):
            th = threading.Thread(target=lambda: out.append(a.sin()))
            th.start()
            th.join()
            b = a.exp()
        out[0].sum().backward()
        b.sum().backward()
        return packed, a.grad
    same(f)


def test_accumulator_lives_as_long_as_a_graph_uses_it():
    """A leaf holds its AccumulateGrad weakly, as PyTorch does: two live graphs share one, its hooks
    run while a graph holds it, and once every graph using it is gone the next one gets a new
    accumulator without them."""
    def f(T):
        out = []
        a = T.ones(2, requires_grad=True)
        b = a * 2
        acc = b.grad_fn.next_functions[0][0]
        acc.register_prehook(lambda g: out.append("pre") or None)
        c = a * 3
        out.append(c.grad_fn.next_functions[0][0] is acc)
        c.sum().backward()
        del acc, b, c
        d = a * 4
        d.sum().backward()
        out.append(a.grad)
        return out
    same(f)
