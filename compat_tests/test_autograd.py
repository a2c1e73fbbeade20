"""Autograd engine semantics, differentially against PyTorch.

backward() and autograd.grad (seeds, accumulation, retain_graph, inputs=,
create_graph), non-leaf ``.grad``, hooks, graph structure (``next_functions``,
node names, metadata), version-counter checks, custom ``Function`` and
``torch.autograd.functional``.
"""
import re
import warnings

import numpy as np
import pytest

from harness import LIBS, Raised, assert_same, data, run, same

X = data(3, seed=1)
M = data(2, 3, seed=2)
M2 = data(3, 3, seed=3)


def leaf(T, a=X, requires_grad=True):
    return T.tensor(a, requires_grad=requires_grad)


def same_error(fn, *, exact=True):
    """Both libraries raise the same exception type; the messages agree (exactly or by prefix)."""
    expected = run(fn, LIBS[0])
    actual = run(fn, LIBS[1])
    assert isinstance(expected, Raised), f"PyTorch did not raise: {expected!r}"
    assert isinstance(actual, Raised), f"torchlike did not raise: {actual!r}"
    assert type(actual.exc).__name__ == type(expected.exc).__name__, (expected, actual)
    e, a = str(expected.exc), str(actual.exc)
    if exact:
        assert a == e, f"message differs:\n torch:     {e}\n torchlike: {a}"
    else:
        assert e.startswith(a) or a.startswith(e[:40]), f"message differs:\n torch:     {e}\n torchlike: {a}"


def caught_warnings(fn, lib):
    """``fn(lib)`` and the warnings it raised as (category, message); PyTorch's C++ warnings end with
    " (Triggered internally at <its build path>)", which is left out."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        result = fn(lib)
    return result, [(x.category.__name__, re.sub(r" \(Triggered internally at .*\)$", "", str(x.message)))
                    for x in w]


def graph_names(fn):
    """The nested structure of ``next_functions`` names below ``fn``."""
    if fn is None:
        return None
    return (fn.name(), tuple((graph_names(n), nr) for n, nr in fn.next_functions))


# ---- backward(): seeds ---------------------------------------------------------

def test_backward_scalar_implicit_grad():
    def f(T):
        x = leaf(T)
        (x * x).sum().backward()
        return x.grad
    same(f)


def test_backward_nonscalar_needs_gradient():
    same_error(lambda T: (leaf(T) * 2).backward())


def test_backward_one_element_nonscalar_implicit():
    def f(T):
        x = leaf(T, data(1, 1, seed=4))
        (x * 3).backward()
        return x.grad
    same(f)


def test_backward_with_gradient():
    def f(T):
        x = leaf(T)
        y = x.sin()
        y.backward(T.tensor(data(3, seed=5)))
        return x.grad
    same(f)


def test_backward_gradient_shape_mismatch():
    same_error(lambda T: (leaf(T) * 2).backward(T.ones(2)))
    same_error(lambda T: (leaf(T) * 2).backward(T.ones(1, 3)))


def test_backward_gradient_other_dtype():
    def f(T):
        x = leaf(T)
        (x * 2).backward(T.ones(3, dtype=T.float64))
        return x.grad
    same(f)


def test_backward_gradient_not_tensor():
    same(lambda T: (leaf(T) * 2).backward([1.0, 1.0, 1.0]))


def test_backward_on_leaf_with_gradient():
    def f(T):
        x = leaf(T)
        x.backward(T.full((3,), 2.0))
        return x.grad
    same(f)


def test_backward_no_grad_fn_raises():
    same_error(lambda T: T.tensor(X).sum().backward())
    same_error(lambda T: T.tensor(X).backward(T.ones(3)))


def test_backward_int_output_raises():
    same(lambda T: T.tensor([1, 2]).sum().backward())


# ---- accumulation, retain_graph ----------------------------------------------

def test_grad_accumulates_over_backward_calls():
    def f(T):
        x = leaf(T)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x.exp()).sum().backward()
        (3 * x).sum().backward()
        return first, x.grad
    same(f)


def test_grad_accumulation_keeps_grad_object_identity_semantics():
    def f(T):
        x = leaf(T)
        x.sum().backward()
        g = x.grad
        (2 * x).sum().backward()
        # PyTorch accumulates in place into the existing grad tensor
        return g, x.grad, g is x.grad
    same(f)


def test_grad_zero_then_accumulate():
    def f(T):
        x = leaf(T)
        (x * x).sum().backward()
        x.grad.zero_()
        (x * x).sum().backward()
        x.grad = None
        (x * 5).sum().backward()
        return x.grad
    same(f)


def test_retain_graph_allows_second_backward():
    def f(T):
        x = leaf(T)
        y = (x.sin() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    same(f)


def test_second_backward_raises():
    def f(T):
        x = leaf(T)
        y = (x.sin() * x).sum()
        y.backward()
        y.backward()
    same_error(f)


def test_second_backward_after_retain_then_free():
    def f(T):
        x = leaf(T)
        y = (x.exp() * 2).sum()
        y.backward(retain_graph=True)
        y.backward()
        y.backward()
    same_error(f)


def test_second_backward_through_nodes_that_save_nothing_is_allowed():
    # add/sum/neg save no tensors: PyTorch lets a freed graph of those run again
    def f(T):
        x = leaf(T)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        return x.grad
    same(f)


def test_second_backward_shared_part_freed():
    def f(T):
        x = leaf(T)
        h = x * x
        h.sum().backward()
        (h * 2).sum().backward()
    same_error(f)


# ---- inputs= ----------------------------------------------------------------

def test_backward_inputs_only_those_accumulate():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=6))
        b = leaf(T, data(3, seed=7))
        y = (x * w + b).sum()
        y.backward(inputs=[w])
        return x.grad, w.grad, b.grad
    same(f)


def test_backward_inputs_single_tensor_and_nonleaf():
    def f(T):
        x = leaf(T)
        h = x.sin()
        y = (h * h).sum()
        y.backward(inputs=h, retain_graph=True)
        hg = h.grad
        y.backward(inputs=(x,))
        return x.grad, hg, h.retains_grad
    same(f)


def test_backward_inputs_empty_raises():
    same_error(lambda T: (leaf(T) * 2).sum().backward(inputs=[]))


def test_autograd_backward_lists():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=8))
        a = x * w
        b = (x.exp()).sum()
        T.autograd.backward([a, b], [T.tensor(data(3, seed=9)), None])
        return x.grad, w.grad
    same(f)


def test_autograd_backward_grad_tensors_length_mismatch():
    def f(T):
        x = leaf(T)
        T.autograd.backward([x.sum(), (x * 2).sum()], [T.tensor(1.0)])
    same(f)


def test_autograd_backward_single_tensor_and_tuple():
    def f(T):
        x = leaf(T)
        T.autograd.backward((x * x).sum())
        T.autograd.backward((x.sin(),), (T.ones(3),))
        return x.grad
    same(f)


# ---- graph shapes -----------------------------------------------------------

def test_tensor_used_twice():
    def f(T):
        x = leaf(T)
        y = x * x + x
        y.sum().backward()
        return y, x.grad
    same(f)


def test_diamond():
    def f(T):
        x = leaf(T)
        a = x.sin()
        b = a * 2
        c = a.exp()
        d = (b * c).sum()
        d.backward()
        return d, x.grad
    same(f)


def test_deep_diamonds():
    def f(T):
        x = leaf(T)
        h = x
        for _ in range(4):
            h = h.tanh() + h * 0.5
        h.sum().backward()
        return h, x.grad
    same(f)


def test_two_leaves_meet_late():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=10))
        u = x.exp().sin()
        v = w.cos() * 3
        (u * v).sum().backward()
        return x.grad, w.grad
    same(f)


@pytest.mark.parametrize("which", [0, 1, "both"])
def test_max_dim_partial_outputs(which):
    def f(T):
        x = leaf(T, M)
        r = x.max(dim=1)
        if which == 0:
            r.values.sum().backward()
        elif which == 1:
            return r.indices.requires_grad, r.indices.grad_fn
        else:
            (r.values * 2 + r[0]).sum().backward()
        return x.grad, r.values.grad_fn.name()
    same(f)


def test_sort_values_used():
    def f(T):
        x = leaf(T, M)
        v, i = x.sort(dim=1)
        (v[:, 0] * 3).sum().backward()
        return x.grad, i.requires_grad, v.grad_fn.name()
    same(f)


def test_split_some_outputs_used():
    def f(T):
        x = leaf(T, data(6, seed=11))
        a, b, c = x.split(2)
        (a.sin() + c * 2).sum().backward()
        return x.grad, a.grad_fn.name(), b.grad_fn.name()
    same(f)


def test_unbind_some_outputs_used():
    def f(T):
        x = leaf(T, M)
        r0, r1 = x.unbind(0)
        (r1 * r1).sum().backward()
        return x.grad, r0.grad_fn.name()
    same(f)


def test_chunk_and_topk_partial():
    def f(T):
        x = leaf(T, data(6, seed=12))
        a, b = x.chunk(2)
        v, i = x.topk(2)
        (b.exp().sum() + v.sum()).backward()
        return x.grad
    same(f)


def test_multiple_outputs_both_used_in_one_graph():
    def f(T):
        x = leaf(T, M)
        a, b = x.unbind(0)
        v, _ = x.max(0)
        (a * b + v).sum().backward()
        return x.grad
    same(f)


# ---- non-leaf .grad, retain_grad, requires_grad rules -------------------------

def test_nonleaf_grad_warns():
    def f(T):
        x = leaf(T)
        y = x * 2
        y.sum().backward()
        return y.grad
    (re, we), (ra, wa) = (caught_warnings(f, lib) for lib in LIBS)
    assert re is None and ra is None
    assert [c for c, _ in wa] == [c for c, _ in we] == ["UserWarning"]
    assert wa == we


def test_leaf_grad_no_warning():
    def f(T):
        x = leaf(T)
        g = x.grad
        y = T.tensor(X)
        return g, y.grad
    (re, we), (ra, wa) = (caught_warnings(f, lib) for lib in LIBS)
    assert we == wa == []


def test_retain_grad_populates():
    def f(T):
        x = leaf(T)
        y = x * 2
        y.retain_grad()
        z = y.sin()
        z.retain_grad()
        (z * z).sum().backward()
        return y.grad, z.grad, y.retains_grad, z.retains_grad, x.retains_grad, x.grad
    same(f)
    (_, we), (_, wa) = (caught_warnings(f, lib) for lib in LIBS)
    assert we == wa == []


def test_retain_grad_accumulates_and_is_idempotent():
    def f(T):
        x = leaf(T)
        y = x.exp()
        y.retain_grad()
        y.retain_grad()
        y.sum().backward(retain_graph=True)
        (y * 3).sum().backward()
        return y.grad
    same(f)


def test_retain_grad_on_leaf_is_noop():
    def f(T):
        x = leaf(T)
        x.retain_grad()
        x.sum().backward()
        return x.retains_grad, x.grad
    same(f)


def test_retain_grad_without_requires_grad_raises():
    same_error(lambda T: T.tensor(X).retain_grad())


def test_retain_grad_after_inplace():
    def f(T):
        x = leaf(T)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        y.sum().backward()
        return y.grad, x.grad
    same(f)


def test_retain_grad_multi_output():
    def f(T):
        x = leaf(T, M)
        a, b = x.unbind(0)
        b.retain_grad()
        (a * b).sum().backward()
        return b.grad, x.grad
    same(f)


def test_is_leaf_and_requires_grad_propagation():
    def f(T):
        x = leaf(T)
        c = T.tensor(X)
        y = x + c
        z = c * 2
        d = y.detach()
        i = T.tensor([1, 2, 3])
        return [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (x, c, y, z, d, i, x[0], c[0], y.sum())]
    same(f)


def test_requires_grad_false_leaf_ops():
    same(lambda T: (T.tensor(X) * T.tensor(X)).requires_grad)


def test_requires_grad_int_error():
    same_error(lambda T: T.tensor([1, 2]).requires_grad_())
    same_error(lambda T: T.tensor([1, 2], requires_grad=True))
    same_error(lambda T: T.zeros(2, dtype=T.int64, requires_grad=True))


def test_requires_grad_int_false_ok():
    same(lambda T: T.tensor([1, 2]).requires_grad_(False).requires_grad)


def test_requires_grad_false_on_nonleaf_error():
    def f(T):
        y = leaf(T) * 2
        y.requires_grad = False
    same_error(f)
    same_error(lambda T: (leaf(T) * 2).requires_grad_(False))


def test_requires_grad_true_on_nonleaf_ok():
    def f(T):
        y = leaf(T) * 2
        y.requires_grad_(True)
        y.requires_grad = True
        return y
    same(f)


def test_grad_setter_checks():
    def wrong_shape(T):
        x = leaf(T)
        x.grad = T.zeros(4)

    def wrong_dtype(T):
        x = leaf(T)
        x.grad = T.zeros(3, dtype=T.float64)

    def not_tensor(T):
        x = leaf(T)
        x.grad = [1.0, 2.0, 3.0]

    same_error(wrong_shape)
    same_error(wrong_dtype)
    same(not_tensor)

    def ok(T):
        x = leaf(T)
        x.grad = T.ones(3)
        (x * 2).sum().backward()
        g = x.grad
        x.grad = None
        return g, x.grad
    same(ok)


def test_detach_shares_and_breaks_graph():
    def f(T):
        x = leaf(T)
        y = x * 2
        d = y.detach()
        return d.requires_grad, d.is_leaf, d.grad_fn, d._version == y._version
    same(f)


# ---- hooks --------------------------------------------------------------------

def test_tensor_hook_on_leaf_observe_and_replace():
    def f(T):
        x = leaf(T)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: seen.append(g.clone()))
        (x * x).sum().backward()
        return seen, x.grad
    same(f)


def test_tensor_hook_on_nonleaf_replace_changes_upstream():
    def f(T):
        x = leaf(T)
        y = x.sin()
        y.register_hook(lambda g: g * 0 + 1)
        (y * y).sum().backward()
        return x.grad
    same(f)


def test_tensor_hook_order_and_remove():
    def f(T):
        x = leaf(T)
        y = x * 2
        order = []
        h1 = y.register_hook(lambda g: order.append("a"))
        y.register_hook(lambda g: order.append("b"))
        h3 = x.register_hook(lambda g: order.append("x"))
        y.sum().backward(retain_graph=True)
        h1.remove()
        h3.remove()
        y.sum().backward()
        return order, x.grad
    same(f)


def test_tensor_hook_chaining_replacement():
    def f(T):
        x = leaf(T)
        y = x * 1
        y.register_hook(lambda g: g + 1)
        y.register_hook(lambda g: g * 3)
        y.sum().backward()
        return x.grad
    same(f)


def test_hook_without_requires_grad_raises():
    same_error(lambda T: T.tensor(X).register_hook(lambda g: g))


def test_hook_order_leaves_vs_nonleaves():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=13))
        order = []
        x.register_hook(lambda g: order.append("x"))
        w.register_hook(lambda g: order.append("w"))
        a = x * w
        a.register_hook(lambda g: order.append("a"))
        b = a.exp()
        b.register_hook(lambda g: order.append("b"))
        c = (b + x).sum()
        c.backward()
        return order
    same(f)


def test_hook_sees_accumulated_gradient_once():
    def f(T):
        x = leaf(T)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        (x * x + x.sin() + x).sum().backward()
        return seen
    same(f)


def test_node_hook_and_prehook():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=14))
        y = x * w
        log = []

        def hook(gi, go):
            log.append(("hook", [None if g is None else g.clone() for g in gi], [g.clone() for g in go]))

        def pre(go):
            log.append(("pre", [g.clone() for g in go]))

        y.grad_fn.register_hook(hook)
        y.grad_fn.register_prehook(pre)
        (y * 2).sum().backward()
        return log
    same(f)


def test_node_hook_replaces_grad_inputs():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=15))
        y = x * w
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, gi[1]))
        y.sum().backward()
        return x.grad, w.grad
    same(f)


def test_node_prehook_replaces_grad_outputs():
    def f(T):
        x = leaf(T)
        y = x.exp()
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y.sum().backward()
        return x.grad
    same(f)


def test_node_hook_with_none_input():
    def f(T):
        x = leaf(T)
        c = T.tensor(data(3, seed=16))
        y = x * c
        got = []
        y.grad_fn.register_hook(lambda gi, go: got.append([g is None for g in gi]))
        y.sum().backward()
        return got
    same(f)


def test_node_hook_remove():
    def f(T):
        x = leaf(T)
        y = x * 3
        calls = []
        h = y.grad_fn.register_hook(lambda gi, go: calls.append(1))
        p = y.grad_fn.register_prehook(lambda go: calls.append(2))
        y.sum().backward(retain_graph=True)
        h.remove()
        p.remove()
        y.sum().backward()
        return calls
    same(f)


def test_accumulate_grad_node_hooks():
    def f(T):
        x = leaf(T)
        y = x * 2
        acc = y.grad_fn.next_functions[0][0]
        log = []
        acc.register_prehook(lambda go: log.append(("pre", go[0].clone())))
        acc.register_hook(lambda gi, go: log.append(("post", gi, go[0].clone(), x.grad)))
        y.sum().backward()
        return acc.name(), log, acc.variable is x
    same(f)


def test_hook_order_tensor_hook_vs_prehook():
    def f(T):
        x = leaf(T)
        y = x.sin()
        log = []
        y.grad_fn.register_prehook(lambda go: log.append("node_pre"))
        y.register_hook(lambda g: log.append("tensor"))
        y.grad_fn.register_hook(lambda gi, go: log.append("node_post"))
        y.sum().backward()
        return log
    same(f)


def test_node_name_and_metadata():
    def f(T):
        x = leaf(T)
        y = x.exp()
        y.grad_fn.metadata["tag"] = 3
        return y.grad_fn.name(), y.grad_fn.metadata, type(y.grad_fn.metadata).__name__, y.grad_fn.metadata is y.grad_fn.metadata
    same(f)


# ---- next_functions -----------------------------------------------------------

_GRAPHS = {
    "add_scalar": lambda T, x, w: x + 2,
    "radd_scalar": lambda T, x, w: 2 + x,
    "mul_scalar": lambda T, x, w: x * 2.5,
    "rmul_scalar": lambda T, x, w: 3 * x,
    "sub_scalar": lambda T, x, w: x - 1,
    "rsub_scalar": lambda T, x, w: 1 - x,
    "div_scalar": lambda T, x, w: x / 2,
    "rdiv_scalar": lambda T, x, w: 2 / x,
    "pow_scalar": lambda T, x, w: x ** 2,
    "rpow_scalar": lambda T, x, w: 2 ** x,
    "mul_const": lambda T, x, w: x * T.tensor(X),
    "const_mul": lambda T, x, w: T.tensor(X) * x,
    "binary": lambda T, x, w: x * w + x / w - w,
    "chain": lambda T, x, w: (x.sin() * 2 + 1).exp().sum(),
    "matmul": lambda T, x, w: (x.reshape(3, 1) @ w.reshape(1, 3)).sum(dim=0),
    "where": lambda T, x, w: T.where(x > 0, x, w),
    "cat": lambda T, x, w: T.cat([x, T.tensor(X), w]),
    "stack": lambda T, x, w: T.stack([x, w]),
    "index": lambda T, x, w: x[1:] + w[:2],
    "clamp": lambda T, x, w: x.clamp(min=0.1),
    "neg_abs": lambda T, x, w: -x.abs(),
    "view_t": lambda T, x, w: x.view(3, 1).t().squeeze(0).unsqueeze(1),
    "mean_max": lambda T, x, w: x.mean() + w.max(),
    "relu_sigmoid": lambda T, x, w: x.relu().sigmoid().tanh(),
}


@pytest.mark.parametrize("name", sorted(_GRAPHS))
def test_next_functions_structure(name):
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=17))
        y = _GRAPHS[name](T, x, w)
        return graph_names(y.grad_fn)
    same(f)


def test_next_functions_identity():
    def f(T):
        x = leaf(T)
        y = x * 2
        z = y + x
        acc1 = y.grad_fn.next_functions[0][0]
        acc2 = z.grad_fn.next_functions[1][0]
        return acc1 is acc2, z.grad_fn.next_functions[0][0] is y.grad_fn, type(y.grad_fn.next_functions).__name__
    same(f)


def test_next_functions_multi_output_output_nr():
    def f(T):
        x = leaf(T, M)
        a, b = x.unbind(0)
        y = b * a
        return [(n.name(), nr) for n, nr in y.grad_fn.next_functions], a.output_nr, b.output_nr
    same(f)


def test_calling_grad_fn_directly():
    def f(T):
        x = leaf(T)
        y = x * T.tensor(data(3, seed=18))
        return y.grad_fn(T.ones(3))
    same(f)


def test_hook_order_leaves_ready_together():
    def f(T):
        logs = []
        for build in (lambda x, w, v: x * w * v, lambda x, w, v: w * x + v,
                      lambda x, w, v: w.sin() + x.cos() + w * x * v):
            log = []
            ts = [leaf(T, data(3, seed=s)) for s in (20, 21, 22)]
            for n, t in zip("xwv", ts):
                t.register_hook(lambda g, n=n: log.append(n))
            build(*ts).sum().backward()
            logs.append(log)
        return logs
    same(f)


# ---- second backward through freed nodes, per op --------------------------------

_FREED_OPS = {
    "add": lambda T, x, c: x + 1, "mul_scalar": lambda T, x, c: x * 2, "mul_tensor": lambda T, x, c: x * c,
    "div_scalar": lambda T, x, c: x / 2, "sub": lambda T, x, c: x - c, "neg": lambda T, x, c: -x,
    "pow2": lambda T, x, c: x ** 2, "view": lambda T, x, c: x.view(3, 1), "slice": lambda T, x, c: x[1:],
    "exp": lambda T, x, c: x.exp(), "sin": lambda T, x, c: x.sin(), "mean": lambda T, x, c: x.mean(),
    "relu": lambda T, x, c: x.relu(), "clone": lambda T, x, c: x.clone(), "cat": lambda T, x, c: T.cat([x, c]),
    "max": lambda T, x, c: x.max(), "t": lambda T, x, c: x.reshape(3, 1).t(),
    "expand": lambda T, x, c: x.expand(2, 3), "where": lambda T, x, c: T.where(c > 0, x, c),
    "sum_dim": lambda T, x, c: x.sum(0), "stack": lambda T, x, c: T.stack([x, c]), "abs": lambda T, x, c: x.abs(),
    "to64": lambda T, x, c: x.double(), "rsub": lambda T, x, c: 1 - x, "select": lambda T, x, c: x[0],
    "unbind": lambda T, x, c: x.unbind()[1], "split": lambda T, x, c: x.split(2)[1],
    "matmul": lambda T, x, c: x @ c, "tanh": lambda T, x, c: x.tanh(), "sigmoid": lambda T, x, c: x.sigmoid(),
    "c_div": lambda T, x, c: c / x, "clamp": lambda T, x, c: x.clamp(0, 2), "cumsum": lambda T, x, c: x.cumsum(0),
    "flip": lambda T, x, c: x.flip(0), "repeat": lambda T, x, c: x.repeat(2),
    "permute": lambda T, x, c: x.view(3, 1).permute(1, 0), "squeeze": lambda T, x, c: x.view(3, 1).squeeze(),
    "masked_fill": lambda T, x, c: x.masked_fill(c > 0, 0.), "sqrt": lambda T, x, c: x.abs().sqrt(),
    "gather": lambda T, x, c: x.gather(0, T.tensor([0, 2])), "square": lambda T, x, c: x.square(),
    "index_select": lambda T, x, c: x.index_select(0, T.tensor([0, 2])),
}


@pytest.mark.parametrize("name", sorted(_FREED_OPS))
def test_second_backward_per_op(name):
    """A node that saved tensors raises on a second backward; one that saved none (add, views, sum) runs again."""
    def f(T):
        x = leaf(T)
        c = T.tensor(data(3, seed=23))
        y = _FREED_OPS[name](T, x, c).sum()
        y.backward()
        first = x.grad.clone()
        y.backward()
        return first, x.grad
    same(f)


def test_grad_fn_call_after_free():
    def f(T):
        x = leaf(T)
        y = x.exp()
        y.sum().backward()
        return y.grad_fn(T.ones(3))
    same(f)


# ---- torch.autograd.grad ------------------------------------------------------

def test_grad_basic_and_not_accumulated():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=24))
        y = (x * w).sin().sum()
        gx, gw = T.autograd.grad(y, [x, w])
        return gx, gw, x.grad, w.grad, type(T.autograd.grad((x * 2).sum(), x)).__name__
    same(f)


def test_grad_grad_outputs():
    def f(T):
        x = leaf(T)
        y = x.exp() * 2
        return T.autograd.grad(y, x, grad_outputs=T.tensor(data(3, seed=25)))
    same(f)
    same(lambda T: T.autograd.grad(leaf(T) * 2, leaf(T)))
    same(lambda T: T.autograd.grad(leaf(T) * 2, leaf(T), T.ones(2)))


def test_grad_outputs_lists():
    def f(T):
        x = leaf(T)
        a, b = x * 2, x.sin().sum()
        r1 = T.autograd.grad([a, b], x, [T.ones(3), None], retain_graph=True)
        r2 = T.autograd.grad([a, b], [x], [T.ones(3), None, None], retain_graph=True)
        return r1, r2
    same(f)
    same(lambda T: T.autograd.grad([leaf(T) * 2, leaf(T).sum()], leaf(T), [T.ones(3)]))


def test_grad_retain_graph():
    def f(T):
        x = leaf(T)
        y = (x.sin() * x).sum()
        g1 = T.autograd.grad(y, x, retain_graph=True)
        g2 = T.autograd.grad(y, x)
        return g1, g2
    same(f)

    def g(T):
        x = leaf(T)
        y = (x.sin() * x).sum()
        T.autograd.grad(y, x)
        T.autograd.grad(y, x)
    same_error(g)


def test_grad_nonleaf_inputs():
    def f(T):
        x = leaf(T)
        h = x.sin()
        y = (h * h).exp().sum()
        gh, gx = T.autograd.grad(y, [h, x])
        return gh, gx, x.grad
    same(f)


def test_grad_wrt_output_itself():
    def f(T):
        x = leaf(T)
        y = x * 2
        return T.autograd.grad(y, y, T.full((3,), 3.0))
    same(f)


def test_grad_same_input_twice():
    def f(T):
        x = leaf(T)
        return T.autograd.grad((x * x).sum(), [x, x])
    same(f)


def test_grad_allow_unused():
    def unused(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=26))
        return T.autograd.grad((x * 2).sum(), [x, w])
    same_error(unused)

    def allowed(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=26))
        return T.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    same(allowed)

    def materialized(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=26))
        return T.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)
    same(materialized)
    same_error(lambda T: T.autograd.grad((leaf(T) * 2).sum(), leaf(T), allow_unused=False, materialize_grads=True))


def test_grad_errors():
    same_error(lambda T: T.autograd.grad((leaf(T) * 2).sum(), []))
    same_error(lambda T: T.autograd.grad((leaf(T) * 2).sum(), T.tensor(X)))
    same_error(lambda T: T.autograd.grad((T.tensor(X) * 2).sum(), leaf(T)))
    same_error(lambda T: T.autograd.grad(leaf(T) * 2, leaf(T), T.ones(2)))
    same_error(lambda T: T.autograd.grad([leaf(T) * 2, leaf(T).sum()], leaf(T), [T.ones(3)]))


def test_grad_hooks_fire_on_path_only():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=27))
        log = []
        x.register_hook(lambda g: log.append(("x", g.clone())))
        w.register_hook(lambda g: log.append(("w", g.clone())))
        a = x.sin()
        a.register_hook(lambda g: log.append(("a", g.clone())))
        b = w.cos()
        b.register_hook(lambda g: log.append(("b", g.clone())))
        y = (a * b).sum()
        gx, = T.autograd.grad(y, x)
        return gx, log
    same(f)


def test_grad_leaf_hook_modifies_captured():
    def f(T):
        x = leaf(T)
        x.register_hook(lambda g: g * 100)
        return T.autograd.grad((x * 2).sum(), x), x.grad
    same(f)


def test_grad_nonleaf_hook_vs_capture():
    def f(T):
        x = leaf(T)
        h = x * 3
        h.register_hook(lambda g: g * 100)
        y = h.exp().sum()
        return T.autograd.grad(y, [h, x]), T.autograd.grad(h.exp().sum(), h)
    same(f)


def test_grad_is_grads_batched():
    same(lambda T: T.autograd.grad(leaf(T) * 2, leaf(T), T.eye(3), is_grads_batched=True))
    same(lambda T: T.autograd.grad(leaf(T).sum(), leaf(T), is_grads_batched=True))


# ---- create_graph: higher order -------------------------------------------------

def _hi(fn, **kw):
    """Higher-order gradients: grad_fn names of the gradients differ (docs/differences.md), values do not."""
    same(fn, check_grad_fn=False, **kw)


@pytest.mark.parametrize("fn", ["cube", "sin", "exp", "tanh", "mix"])
def test_second_derivative(fn):
    funcs = {"cube": lambda x: x ** 3, "sin": lambda x: x.sin(), "exp": lambda x: x.exp(),
             "tanh": lambda x: x.tanh(), "mix": lambda x: x.sin() * x.exp() + x ** 2}

    def f(T):
        x = leaf(T)
        y = funcs[fn](x).sum()
        g, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad(g.sum(), x, create_graph=True)
        g3, = T.autograd.grad(g2.sum(), x)
        return g, g2, g3, g.requires_grad, g2.requires_grad, g3.requires_grad
    _hi(f)


def test_create_graph_backward_accumulates_differentiable_grad():
    def f(T):
        x = leaf(T)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        first_fn = g.grad_fn.name()
        x.grad = None
        g.sum().backward()
        return g, first_fn, x.grad
    _hi(f)


def test_create_graph_second_accumulation_adds():
    def f(T):
        x = leaf(T)
        (x ** 3).sum().backward(create_graph=True)
        (x ** 2).sum().backward(create_graph=True)
        return x.grad, x.grad.grad_fn.name()
    _hi(f)


def test_gradient_penalty():
    def f(T):
        x = leaf(T, M)
        w = leaf(T, data(3, 2, seed=28))
        out = (x @ w).tanh().sum()
        gx, = T.autograd.grad(out, x, create_graph=True)
        penalty = (gx.norm() ** 2)
        loss = out + penalty
        loss.backward()
        return penalty, x.grad, w.grad
    _hi(f, rtol=1e-5)


def test_create_graph_mixed_partials():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=29))
        y = (x * x * w.sin()).sum()
        gx, gw = T.autograd.grad(y, [x, w], create_graph=True)
        gxw, = T.autograd.grad(gx.sum(), w, retain_graph=True)
        gwx, = T.autograd.grad(gw.sum(), x)
        return gxw, gwx
    _hi(f)


def test_create_graph_multi_output_op():
    def f(T):
        x = leaf(T, M)
        v, i = x.max(dim=1)
        a, b = x.unbind(1)[:2]
        y = (v ** 2).sum() + (a * b).sum()
        g, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad((g ** 2).sum(), x)
        return g, g2
    _hi(f)


def test_create_graph_false_grad_has_no_graph():
    def f(T):
        x = leaf(T)
        g, = T.autograd.grad((x ** 3).sum(), x)
        return g.requires_grad, g.grad_fn
    same(f)


def test_double_backward_through_retained_nonleaf_grad():
    def f(T):
        x = leaf(T)
        y = x * 2
        y.retain_grad()
        (y ** 3).sum().backward(create_graph=True)
        return y.grad, y.grad.requires_grad, y.grad.grad_fn.name()
    same(f)


def test_create_graph_backward_warns():
    code = ("import warnings, {lib} as T\n"
            "x = T.tensor([1., 2.], requires_grad=True)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    (x ** 2).sum().backward(create_graph=True)\n"
            "    (x ** 2).sum().backward(create_graph=True)\n"
            "    T.autograd.grad((x ** 2).sum(), x, create_graph=True)\n"
            "print([(c.category.__name__, str(c.message).split(' (Triggered')[0]) for c in w])\n")
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = [subprocess.run([sys.executable, "-c", code.format(lib=lib)], capture_output=True, text=True,
                           cwd=root, check=True).stdout for lib in ("torch", "torchlike")]
    assert outs[0] == outs[1]
    assert "create_graph=True" in outs[0]


# ---- version counters ---------------------------------------------------------

def test_version_counter_increments():
    def f(T):
        x = T.tensor(X)
        v = [x._version]
        x.add_(1)
        v.append(x._version)
        x[0] = 5
        v.append(x._version)
        x.mul_(2).sub_(1)
        v.append(x._version)
        y = x.view(3, 1)
        y.zero_()
        v.append((x._version, y._version))
        d = x.detach()
        d.add_(1)
        v.append((x._version, d._version))
        data_ = x.data
        v0 = data_._version
        data_.add_(1)
        v.append((x._version, data_._version - v0))
        x.add(1)
        v.append(x._version)
        return v
    same(f)


# ``c`` requires grad: a product saves each factor for the other's gradient
_SAVED_SELF = {"mul": lambda h, c: h * c, "sin": lambda h, c: h.sin(), "pow": lambda h, c: h ** 2,
               "div": lambda h, c: c / h, "log": lambda h, c: h.log(), "matmul": lambda h, c: h @ c,
               "abs": lambda h, c: h.abs(), "cos": lambda h, c: h.cos()}
_SAVED_RESULT = {"exp": lambda h, c: h.exp(), "tanh": lambda h, c: h.tanh(), "sigmoid": lambda h, c: h.sigmoid(),
                 "sqrt": lambda h, c: h.sqrt(), "relu": lambda h, c: h.relu()}
_SAVED_NOTHING = {"add": lambda h, c: h + c, "sub": lambda h, c: h - 2, "neg": lambda h, c: -h,
                  "sum": lambda h, c: h.sum(), "view": lambda h, c: h.view(3, 1), "clone": lambda h, c: h.clone(),
                  "mul_other_needs_no_grad": lambda h, c: h * c.detach(), "mul_scalar": lambda h, c: h * 3}


@pytest.mark.parametrize("name", sorted(_SAVED_SELF) + sorted(_SAVED_NOTHING))
def test_inplace_on_saved_input(name):
    fn = {**_SAVED_SELF, **_SAVED_NOTHING}[name]

    def f(T):
        x = leaf(T, np.abs(X) + 0.5)
        c = leaf(T, data(3, seed=30))
        h = x * 1.5
        y = fn(h, c)
        h.add_(1)
        y.sum().backward()
        return x.grad
    same_error(f) if name in _SAVED_SELF else same(f)


@pytest.mark.parametrize("name", sorted(_SAVED_RESULT))
def test_inplace_on_saved_result(name):
    fn = _SAVED_RESULT[name]

    def modify_result(T):
        x = leaf(T, np.abs(X) + 0.5)
        y = fn(x * 1.0)
        y.add_(1)
        y.sum().backward()
        return x.grad

    def modify_input(T):
        x = leaf(T, np.abs(X) + 0.5)
        h = x * 1.0
        y = fn(h)
        h.mul_(2)
        y.sum().backward()
        return x.grad
    same_error(modify_result)
    same(modify_input)


def test_inplace_on_unsaved_operand():
    # a * b with only a requiring grad saves b, not a: modifying a is fine
    def f(T):
        x = leaf(T)
        h = x * 2
        c = T.tensor(data(3, seed=31))
        y = h * c
        h.add_(1)
        y.sum().backward()
        return x.grad
    same(f)

    def g(T):
        x = leaf(T)
        c = T.tensor(data(3, seed=31))
        y = x * c
        c.add_(1)
        y.sum().backward()
        return x.grad
    same_error(g)


def test_inplace_through_view_of_saved():
    def f(T):
        x = leaf(T)
        h = x * 2
        y = h.sin()
        h[0] = 0.0
        y.sum().backward()
    same_error(f)

    def g(T):
        x = leaf(T)
        h = x * 2
        y = h.sin()
        h.detach().zero_()
        y.sum().backward()
    same_error(g)

    # (a write through ``h.data`` is not seen by backward here, unlike PyTorch: docs/differences.md)


def test_version_error_message():
    def f(T):
        x = leaf(T)
        h = x * 2
        y = h.sin()
        h.add_(1)
        y.sum().backward()
    same_error(f)

    def g(T):
        x = leaf(T)
        y = (x * 1).exp()
        y.mul_(2)
        y.sum().backward()
    same_error(g)


# ---- custom autograd.Function ---------------------------------------------------

def _functions(T):
    """Custom Functions defined against library ``T`` (so each library gets its own classes)."""
    F = T.autograd.Function

    class Exp(F):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            r, = ctx.saved_tensors
            return g * r

    class Scale(F):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            ctx.save_for_backward(x, y)
            ctx.flags = ctx.needs_input_grad
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, g

    class Cube(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    class CubeOnce(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    class SortIdx(F):
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            i, = ctx.saved_tensors
            out = T.zeros_like(gv)
            out[i] = gv
            return out

    class Mul2(F):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y = inputs
            ctx.save_for_backward(x, y)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    class TwoOut(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    class TwoOutNoMat(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            ctx.seen = (ga is None, gb is None)
            return ga * 2 if gb is None else ga * 2 + gb * 3

    class TooFew(F):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    class TooMany(F):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class ExtraNone(F):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, None

    class AddOneInplace(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return {k: v for k, v in locals().items() if isinstance(v, type)}


def test_function_basic():
    def f(T):
        Exp = _functions(T)["Exp"]
        x = leaf(T)
        y = Exp.apply(x)
        name = y.grad_fn.name()
        tname = type(y.grad_fn).__name__
        nf = [(n.name(), i) for n, i in y.grad_fn.next_functions]
        y.sum().backward()
        return y, x.grad, name, tname, nf, y.is_leaf
    same(f)


def test_function_non_tensor_args_and_needs_input_grad():
    def f(T):
        Scale = _functions(T)["Scale"]
        x = leaf(T)
        c = T.tensor(data(3, seed=40))
        y = Scale.apply(x, 2.5, c)
        flags = y.grad_fn._ctx.flags if hasattr(y.grad_fn, "_ctx") else None
        nf = [(None if n is None else n.name(), i) for n, i in y.grad_fn.next_functions]
        y.sum().backward()
        return y, x.grad, nf
    same(f)

    def g(T):
        Scale = _functions(T)["Scale"]
        x = leaf(T)
        w = leaf(T, data(3, seed=41))
        y = Scale.apply(x, 3.0, w)
        (y * y).sum().backward()
        return x.grad, w.grad
    same(g)


def test_function_needs_input_grad_values():
    def f(T):
        seen = []

        class P(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, k, b):
                seen.append(ctx.needs_input_grad)
                return a * k + b

            @staticmethod
            def backward(ctx, g):
                seen.append(ctx.needs_input_grad)
                return g, None, None

        x = leaf(T)
        P.apply(x, 2, T.tensor(X)).sum().backward()
        return seen
    same(f)


def test_function_under_no_grad():
    def f(T):
        Exp = _functions(T)["Exp"]
        with T.no_grad():
            y = Exp.apply(leaf(T))
        return y, y.grad_fn
    same(f)


def test_function_no_input_requires_grad():
    same(lambda T: _functions(T)["Exp"].apply(T.tensor(X)))


def test_function_double_backward():
    def f(T):
        Cube = _functions(T)["Cube"]
        x = leaf(T)
        y = Cube.apply(x).sum()
        g, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad(g.sum(), x)
        return g, g2
    _hi(f)


def test_function_once_differentiable():
    def first(T):
        C = _functions(T)["CubeOnce"]
        x = leaf(T)
        y = C.apply(x).sum()
        g, = T.autograd.grad(y, x)
        return g
    same(first)

    def twice(T):
        C = _functions(T)["CubeOnce"]
        x = leaf(T)
        y = C.apply(x).sum()
        g, = T.autograd.grad(y, x, create_graph=True)
        T.autograd.grad(g.sum(), x)
    same_error(twice)

    def flags(T):
        C = _functions(T)["CubeOnce"]
        x = leaf(T)
        g, = T.autograd.grad(C.apply(x).sum(), x, create_graph=True)
        return g.requires_grad, g.detach()
    same(flags)


def test_function_mark_non_differentiable():
    def f(T):
        S = _functions(T)["SortIdx"]
        x = leaf(T)
        v, i = S.apply(x)
        (v * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return v, i, v.requires_grad, i.requires_grad, x.grad, v.grad_fn.name()
    same(f)


def test_function_setup_context_style():
    def f(T):
        Mul2 = _functions(T)["Mul2"]
        x = leaf(T)
        w = leaf(T, data(3, seed=42))
        y = Mul2.apply(x, w)
        y.sum().backward()
        return y, x.grad, w.grad, y.grad_fn.name()
    same(f)


def test_function_multiple_outputs_materialize():
    def f(T):
        fns = _functions(T)
        x = leaf(T)
        a, b = fns["TwoOut"].apply(x)
        a.sum().backward()
        g1 = x.grad.clone()
        x.grad = None
        a, b = fns["TwoOutNoMat"].apply(x)
        a.sum().backward()
        return g1, x.grad, a.grad_fn.name(), b.output_nr, a.grad_fn._ctx.seen if hasattr(a.grad_fn, "_ctx") else (False, True)
    same(f)


def test_function_wrong_number_of_grads():
    def few(T):
        TooFew = _functions(T)["TooFew"]
        TooFew.apply(leaf(T), leaf(T)).sum().backward()
    same_error(few)

    def many(T):
        TooMany = _functions(T)["TooMany"]
        TooMany.apply(leaf(T)).sum().backward()
    same_error(many)

    def extra_none(T):
        E = _functions(T)["ExtraNone"]
        x = leaf(T)
        E.apply(x).sum().backward()
        return x.grad
    same(extra_none)


def test_function_saved_tensors_freed_and_version():
    def freed(T):
        Exp = _functions(T)["Exp"]
        x = leaf(T)
        y = Exp.apply(x)
        y.sum().backward()
        return y.grad_fn.saved_tensors if hasattr(y.grad_fn, "saved_tensors") else y.grad_fn._ctx.saved_tensors
    same_error(freed)

    def modified(T):
        Exp = _functions(T)["Exp"]
        x = leaf(T)
        y = Exp.apply(x * 1)
        y.add_(1)
        y.sum().backward()
    same_error(modified)


def test_function_mark_dirty():
    def f(T):
        A = _functions(T)["AddOneInplace"]
        x = leaf(T)
        h = x * 2
        y = A.apply(h)
        y.sum().backward()
        return y is h, h, y.grad_fn.name(), x.grad
    same(f)


def test_function_hooks_and_metadata():
    def f(T):
        Exp = _functions(T)["Exp"]
        x = leaf(T)
        y = Exp.apply(x)
        log = []
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go[0].clone())))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi[0].clone())))
        y.grad_fn.metadata["k"] = 1
        y.sum().backward()
        return log, y.grad_fn.metadata
    same(f)


def test_function_instance_apply_and_vjp_alias():
    def f(T):
        Exp = _functions(T)["Exp"]
        return Exp.vjp is Exp.backward, callable(Exp.apply)
    same(f)


def test_create_graph_requires_grad_only_where_differentiable():
    def f(T):
        x = leaf(T)
        w = leaf(T, data(3, seed=43))
        c = T.tensor(data(3, seed=44))
        out = []
        for y in ((x * 2).sum(), (x * c).sum(), (x * w).sum(), (x + w).sum(), x.sum() * 3, (x ** 2).sum(),
                  x.exp().sum(), x.view(3, 1).sum(), x.mean()):
            g, = T.autograd.grad(y, x, create_graph=True)
            out.append((g.requires_grad, g.detach()))
        return out
    same(f)


# ---- torch.autograd.functional ------------------------------------------------------

def _f1(T):
    return lambda x: (x.sin() * x).reshape(3, 1) * 2


def _f2(T):
    return lambda x, y: (x * y.exp(), (x ** 2).sum())


def _scalar1(T):
    return lambda x: (x.sin() * x ** 2).sum()


def _scalar2(T):
    return lambda x, y: (x.exp() * y).sum() + (y ** 3).sum()


def _in1(T):
    return T.tensor(X)


def _in2(T):
    return T.tensor(X), T.tensor(data(3, seed=50))


@pytest.mark.parametrize("case", ["single", "tuple_in", "tuple_out", "both", "list_in"])
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_functional_jacobian(case, strategy):
    def f(T):
        J = T.autograd.functional.jacobian
        kw = dict(strategy=strategy, vectorize=True)
        if case == "single":
            return J(_f1(T), _in1(T), **kw)
        if case == "tuple_in":
            return J(lambda x, y: x * y, _in2(T), **kw)
        if case == "tuple_out":
            return J(lambda x: (x * 2, x.sum()), _in1(T), **kw)
        if case == "list_in":
            return J(lambda x, y: x * y, list(_in2(T)), **kw)
        return J(_f2(T), _in2(T), **kw)
    same(f)


def test_functional_jacobian_forward_needs_vectorize():
    same_error(lambda T: T.autograd.functional.jacobian(_f1(T), _in1(T), strategy="forward-mode"))
    same_error(lambda T: T.autograd.functional.jacobian(_f1(T), _in1(T), strategy="sideways"))


def test_functional_jacobian_flags():
    def f(T):
        J = T.autograd.functional.jacobian
        x = _in1(T)
        a = J(_f1(T), x, create_graph=True)
        b = J(_f1(T), x, vectorize=False)
        c = J(_f1(T), T.tensor(X, requires_grad=True))
        return a, b, c
    same(f, check_grad_fn=False)


def test_functional_jacobian_bad_input():
    same(lambda T: T.autograd.functional.jacobian(lambda x: x, [1.0, 2.0]))
    same(lambda T: T.autograd.functional.jacobian(lambda x: 3.0, T.tensor(X)))


@pytest.mark.parametrize("case", ["single", "tuple"])
def test_functional_hessian(case):
    def f(T):
        H = T.autograd.functional.hessian
        if case == "single":
            return H(_scalar1(T), _in1(T))
        return H(_scalar2(T), _in2(T))
    same(f)


def test_functional_hessian_flags_and_errors():
    def f(T):
        H = T.autograd.functional.hessian
        # (PyTorch's forward-mode result says requires_grad=True, an artifact of its dual tensors: not compared)
        return (H(_scalar1(T), _in1(T), create_graph=True), H(_scalar1(T), _in1(T), vectorize=True),
                H(_scalar1(T), _in1(T), outer_jacobian_strategy="forward-mode", vectorize=True).detach())
    same(f, check_grad_fn=False)
    same_error(lambda T: T.autograd.functional.hessian(lambda x: x * 2, _in1(T)))
    same_error(lambda T: T.autograd.functional.hessian(lambda x: (x * 2, x), _in1(T)))
    same_error(lambda T: T.autograd.functional.hessian(_scalar1(T), _in1(T), outer_jacobian_strategy="forward-mode"))
    same_error(lambda T: T.autograd.functional.hessian(_scalar1(T), [_in1(T)]))


@pytest.mark.parametrize("case", ["single", "tuple"])
def test_functional_vjp_jvp(case):
    def f(T):
        F = T.autograd.functional
        if case == "single":
            x = _in1(T)
            v_out = T.tensor(data(3, 1, seed=51))
            v_in = T.tensor(data(3, seed=52))
            return F.vjp(_f1(T), x, v_out), F.jvp(_f1(T), x, v_in)
        xs = _in2(T)
        v_outs = (T.tensor(data(3, seed=53)), T.tensor(2.0))
        v_ins = (T.tensor(data(3, seed=54)), T.tensor(data(3, seed=55)))
        return F.vjp(_f2(T), xs, v_outs), F.jvp(_f2(T), xs, v_ins)
    same(f)


def test_functional_vjp_jvp_default_v():
    def f(T):
        F = T.autograd.functional
        return (F.vjp(_scalar1(T), _in1(T)), F.jvp(lambda x: x * 3, T.tensor([2.0])),
                F.vjp(_scalar1(T), _in1(T), create_graph=True))
    same(f, check_grad_fn=False)
    same_error(lambda T: T.autograd.functional.vjp(_f1(T), _in1(T)))
    same_error(lambda T: T.autograd.functional.jvp(_f1(T), _in1(T)))
    same_error(lambda T: T.autograd.functional.vjp(_f1(T), _in1(T), T.ones(2)))
    same_error(lambda T: T.autograd.functional.vjp(_f1(T), _in1(T), [T.ones(3, 1)]))
    same_error(lambda T: T.autograd.functional.vjp(_f2(T), _in2(T), (T.ones(3),)))
    same_error(lambda T: T.autograd.functional.vjp(_f2(T), _in2(T), (T.ones(3), T.ones(2))))
    same_error(lambda T: T.autograd.functional.jvp(_f1(T), _in1(T), T.ones(2)))
    same_error(lambda T: T.autograd.functional.jvp(_f1(T), _in2(T), (T.ones(3), T.ones(2))))
    same_error(lambda T: T.autograd.functional.vjp(lambda x: [x], _in1(T), T.ones(3)))
    same_error(lambda T: T.autograd.functional.jacobian(lambda x: [x], _in1(T)))
    same_error(lambda T: T.autograd.functional.jacobian(_f1(T), _in1(T), strategy="forward-mode",
                                                        vectorize=True, create_graph=True))


@pytest.mark.parametrize("which", ["hvp", "vhp"])
@pytest.mark.parametrize("case", ["single", "tuple"])
def test_functional_hvp_vhp(which, case):
    def f(T):
        fn = getattr(T.autograd.functional, which)
        if case == "single":
            return fn(_scalar1(T), _in1(T), T.tensor(data(3, seed=56)))
        return fn(_scalar2(T), _in2(T), (T.tensor(data(3, seed=57)), T.tensor(data(3, seed=58))))
    same(f)


def test_functional_hvp_errors():
    same_error(lambda T: T.autograd.functional.hvp(lambda x: x * 2, _in1(T), T.ones(3)))
    same_error(lambda T: T.autograd.functional.vhp(_scalar1(T), _in1(T)))
    same(lambda T: T.autograd.functional.hvp(_scalar1(T), _in1(T), T.ones(3), create_graph=True),
         check_grad_fn=False)


@pytest.mark.parametrize("fn", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_functional_create_graph_is_differentiable(fn):
    """With create_graph=True the results have a graph back to inputs that require grad."""
    def f(T):
        F = T.autograd.functional
        x = T.tensor(X, requires_grad=True)
        v = T.tensor(data(3, seed=59))
        if fn == "jacobian":
            r = F.jacobian(lambda a: a.exp() * a, x, create_graph=True)
        elif fn == "hessian":
            r = F.hessian(_scalar1(T), x, create_graph=True)
        elif fn == "vjp":
            r = F.vjp(lambda a: a.exp() * a, x, v, create_graph=True)[1]
        elif fn == "jvp":
            r = F.jvp(lambda a: a.exp() * a, x, v, create_graph=True)[1]
        else:
            r = getattr(F, fn)(_scalar1(T), x, v, create_graph=True)[1]
        (r ** 2).sum().backward()
        return r, r.requires_grad, x.grad
    same(f, check_grad_fn=False, rtol=1e-5)


def test_functional_leaves_tape_alone():
    def f(T):
        x = T.tensor(X, requires_grad=True)
        J = T.autograd.functional.jacobian(lambda a: a.exp(), x)
        return J, x.grad, T.is_grad_enabled()
    same(f)


# ---- assorted engine semantics ------------------------------------------------------

def test_hook_registered_before_inplace_sees_old_value_grad():
    def f(T):
        x = leaf(T)
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y.mul_(3)
        y.sum().backward()
        return seen, x.grad, y.grad_fn.name()
    same(f)


def test_backward_from_element_and_view():
    def f(T):
        x = leaf(T)
        y = x * 2
        y[0].backward()
        g0 = x.grad.clone()
        z = x.exp()
        v = z[1:]
        v.retain_grad()
        (v * 2).sum().backward()
        return g0, v.grad, x.grad
    same(f)


def test_backward_in_thread_while_main_in_no_grad():
    import threading

    def f(T):
        x = leaf(T)
        out = {}

        def worker():
            y = (x * x).sum()
            y.backward()
            out["g"] = x.grad
            out["mode"] = T.is_grad_enabled()

        with T.no_grad():
            th = threading.Thread(target=worker)
            th.start()
            th.join()
        return out["g"], out["mode"]
    same(f)


def test_grad_fn_is_graph_node():
    def f(T):
        x = leaf(T)
        y = x.exp()
        acc = (x * 2).grad_fn.next_functions[0][0]
        Node = T.autograd.graph.Node
        return isinstance(y.grad_fn, Node), isinstance(acc, Node), acc.name(), y.grad_fn.name()
    same(f)


def test_backward_create_graph_then_zero_and_reuse():
    def f(T):
        x = leaf(T)
        y = (x ** 2).sum()
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        (g * g).sum().backward()
        return x.grad
    same(f)


def test_many_roots_with_shared_graph():
    def f(T):
        x = leaf(T)
        h = x.sin()
        a = (h * 2).sum()
        b = (h.exp()).sum()
        c = h[0] * 3
        T.autograd.backward([a, b, c])
        return x.grad
    same(f)


def test_backward_root_depends_on_other_root():
    def f(T):
        x = leaf(T)
        h = x * x
        s = h.sum()
        T.autograd.backward([h, s], [T.tensor(data(3, seed=60)), None])
        return x.grad
    same(f)


def test_function_marks_returned_input_non_differentiable():
    def f(T):
        class Pass(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.mark_non_differentiable(x)
                return x, y * 2

            @staticmethod
            def backward(ctx, gx, gy):
                return None, gy * 2
        x = leaf(T) * 1
        y = leaf(T)
        a, b = Pass.apply(x, y)
        b.sum().backward()
        return a.requires_grad, a.grad_fn, a is x, b.grad_fn.name(), y.grad
    same(f)


@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_double_backward_node_names_for_backward_ops(op):
    def f(T):
        x = leaf(T)
        g, = T.autograd.grad(getattr(T, op)(x).sum(), x, create_graph=True)
        g2, = T.autograd.grad(g.sum(), x)
        return g, g2, type(g.grad_fn).__name__
    same(f)
