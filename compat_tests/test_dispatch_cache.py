"""The registry's fast path (``Op._fast``): a repeated call on plain tensors of one dtype skips the
dtype rule and cache key.  Every scenario repeats a call so that later calls take the fast path,
and compares with PyTorch, errors included."""
import numpy as np

import torchlike
from harness import data, outcomes, same


def twice(fn):
    return lambda T: [fn(T) for _ in range(3)]


def _general_calls(fn, monkeypatch):
    """How many times ``fn()`` runs the general path's dtype rule (``_registry.op_key``)."""
    calls = []
    real = torchlike._registry.op_key
    monkeypatch.setattr(torchlike._registry, "op_key", lambda *a: calls.append(1) or real(*a))
    fn()
    return len(calls)


def test_fast_path_is_taken(monkeypatch):
    """Repeated calls skip the general path: run eagerly (``Op._fast``) or deferred (``Op._dfast``), on
    roots and on views (``x @ w.t()``, a view of a tensor a deferred op computes), whichever ran before;
    a power keyed by its exponent, true division and softmax included."""
    x = torchlike.tensor(data(3))
    w = torchlike.tensor(data(4, 3, seed=1), requires_grad=True)
    a = torchlike.tensor(data(2, 3, seed=2))

    def step():
        y = torchlike.sin(x)
        z = a @ w.t()
        v = (w * 2)[1:]         # a view of a pending value, read in the segment
        return y, z, v.exp(), v + z.sum(), z ** 2, z / 2, z.softmax(-1)
    for _ in range(3):
        step()
    assert _general_calls(step, monkeypatch) == 2      # ``t()`` and ``[1:]``: view ops run the general path
    assert torchlike._registry.OPS["sin"]._fast or torchlike._registry.OPS["sin"]._dfast


def test_views_on_the_fast_path_compute_what_pytorch_computes():
    """Ops on views through the deferred fast path: cached view values, views of pending values read in
    the segment, a view of a view, a view needing no grad beside one that does; values and gradients."""
    def f(T):
        out = []
        w = T.tensor(data(4, 3, seed=1), requires_grad=True)
        b = T.tensor(data(4, seed=3), requires_grad=True)
        x = T.tensor(data(5, 3, seed=2))
        for _ in range(3):
            h = (x @ w.t() + b).relu()
            u = (h * 2)[:, 1:3]
            loss = (u.t() @ x[:, :2]).sum() + h[1:, 0].exp().mean()
            loss.backward()
            out += [h, u, loss.detach()]
            with T.no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
                w.grad.zero_()
                b.grad.zero_()
        return out, w, b
    same(f)


def test_unary_and_binary_repeated():
    a, b = data(4, 3), data(4, 3, seed=1)
    same(twice(lambda T: (T.sin(T.tensor(a)), T.tensor(a) * T.tensor(b), T.tensor(a).exp().sum(1),
                          T.maximum(T.tensor(a), T.tensor(b)))))


def test_same_statics_other_shape_raises_like_pytorch():
    def f(T):
        out = [T.tensor(data(2, 3, 4)).sum(dim=2) for _ in range(2)]
        out.append(T.tensor(data(2, 3)).sum(dim=2))       # dim out of range now
        return out
    same(f)


def test_broadcast_error_after_fast_calls():
    def f(T):
        out = [T.tensor(data(3)) + T.tensor(data(3)) for _ in range(2)]
        out.append(T.tensor(data(3)) + T.tensor(data(4)))
        return out
    same(f)


def test_integer_inputs_follow_default_dtype():
    def f(T):
        x = T.arange(4)
        r = [T.sin(x), T.sin(x)]
        old = T.get_default_dtype()
        T.set_default_dtype(T.float64)
        try:
            r.append(T.sin(x))
        finally:
            T.set_default_dtype(old)
        return r
    same(f)


def test_kernel_dtype_errors_repeat():
    def f(T):
        x = T.tensor([1, 2])
        return [T.bitwise_and(x, x), T.bitwise_and(x, x), T.bitwise_and(T.tensor([1.0]), T.tensor([2.0]))]
    same(f)


def test_views_grad_and_subclasses_take_the_general_path():
    def f(T):
        x = T.tensor(data(3, 4))
        v = x.t()
        p = T.nn.Parameter(T.tensor(data(3)))
        g = T.tensor(data(3), requires_grad=True)
        r = [(T.sin(v), T.sin(p), T.sin(g)) for _ in range(2)]
        x.mul_(2)
        r.append(T.sin(v))
        return r
    same(f)


def test_mixed_dtypes_promote_as_pytorch():
    def f(T):
        a, b = T.tensor(data(3)), T.tensor(data(3), dtype=T.float64)
        i = T.tensor([1, 2, 3])
        return [(a + b, a + i, i + i, T.tensor(2.5) * i) for _ in range(2)]
    same(f)


def test_tensor_and_python_number_repeated():
    """The number's type (not its value) is part of the key: int and float scalars, on float and
    integer tensors, reflected forms, and an int8 overflow that must still raise."""
    def f(T):
        x, i, s = T.tensor(data(3)), T.tensor([1, 2, 3]), T.tensor([1, 2], dtype=T.int8)
        out = []
        for k in range(3):
            out.append((x * 2, x * 2.5, 1e-4 * x, x - k, i * 2, i * 0.5, i + k, i / 2, x ** 3, s + 1))
        out.append(s + 1000)
        return out
    same(f)


def test_grad_disabled_takes_the_fast_path_with_results_that_need_no_grad():
    def f(T):
        w = T.tensor(data(4, 3), requires_grad=True)
        g = T.tensor(data(4, 3, seed=1))
        out = []
        for _ in range(3):
            with T.no_grad():
                w -= 1e-2 * g
                out.append((w * 2, T.sin(w), w + g))
        out.append(T.sin(w))        # grad mode back on: recorded again
        return out, w
    same(f)
    assert any(len(k) == 4 and k[3] is float for k in torchlike._registry.OPS["mul"]._fast)


def test_deferred_fast_path_records_like_the_general_path():
    """Repeated recorded calls (``Op._dfast``): one and two inputs, one of two needing grad,
    statics, integer inputs promoted to the default dtype, other shapes."""
    def f(T):
        out = []
        for n in (3, 3, 3, 5):
            a = T.tensor(data(n), requires_grad=True)
            b = T.tensor(data(n, seed=1))
            y = (a.sin() * b + a).clamp(min=0.1).sum(0)
            y.backward()
            out.append((y, a.grad, a.sin().grad_fn.name(), (a * b).grad_fn.next_functions[1][0]))
        return out
    same(f)
    assert torchlike._registry.OPS["mul"]._dfast


def test_root_nobody_holds_is_not_computed_but_gradients_are_right():
    """``f(x).sum().backward()``: the temporary root's value can never be read, so the fused
    backward leaves it uncomputed; a root held by a name is computed as before."""
    from torchlike.autograd import _fused

    def f(T):
        out = []
        for _ in range(6):      # the programs are compiled once a recipe has come back twice
            a = T.tensor(data(4, 4), requires_grad=True)
            a.sin().exp().sum().backward()
            s = (a * 3).cos().sum()
            s.backward()
            out.append((a.grad, s))
        return out
    same(f)
    needs = {k[5] for k in _fused._programs if len(k) == 7}
    assert () in needs and any(len(n) == 1 for n in needs)


def test_out_of_range_int_operands_wrap_where_pytorch_wraps():
    """``int8 + 1000`` wraps the number to int8 (arithmetic, bitwise, comparison); ``clamp``,
    ``where`` and ``masked_fill`` refuse it; beyond 64 bits it is an OverflowError."""
    def f(T):
        x = T.tensor([1, 2], dtype=T.int8)
        u = T.tensor([1, 255], dtype=T.uint8)
        out = [x + 1000, 1000 - x, x * 1000, x // 1000, x % 1000, T.fmod(x, 1000), x ^ 1000, x == 1000,
               x < 1000, u + (-1), u == -1, T.tensor([1]) + 2 ** 63, x + 2 ** 63]
        for g in (lambda: x.clamp(max=1000), lambda: T.where(x > 1, x, 1000), lambda: x.masked_fill(x > 1, 1000),
                  lambda: x + 2 ** 64, lambda: x + (-2 ** 63 - 1)):
            try:
                out.append(g())
            except (RuntimeError, OverflowError) as e:
                out.append(type(e).__name__)
        return out
    same(f)


def test_list_ops_with_varying_arity_dtypes_and_grad():
    """A fast-path key holds everything its answer depends on: list ops (``block_diag``, ``cat``,
    ``stack``, ``broadcast_tensors``, ...) called in turn with one, two and three tensors, of float
    and int64 dtypes, with and without ``requires_grad``, under grad and no_grad."""
    f2, f3 = data(1, 2), data(1, 3, seed=1)
    i2, i3 = data(1, 2, dtype=np.int64, low=0, high=9), data(1, 3, dtype=np.int64, low=0, high=9, seed=1)

    def f(T):
        out = []
        listed = (T.hstack, T.vstack, T.column_stack, T.dstack)
        for op in (T.block_diag, T.cartesian_prod, T.atleast_2d) + listed:
            for grad in (False, True):
                for arrays in ((f2,), (f2, f3), (f2, f3, f2), (i2,), (i2, i3), (f2,), (f2, f2)):
                    ts = [T.tensor(a, requires_grad=grad and a.dtype == np.float32) for a in arrays]
                    if op is T.cartesian_prod:
                        ts = [t.reshape(-1) for t in ts]
                    for no_grad in (False, True):
                        with T.set_grad_enabled(not no_grad):
                            try:
                                out.append(op(ts) if op in listed else op(*ts))
                                if op in listed:
                                    out.append(op(ts[0]))       # a bare tensor is a TypeError
                            except Exception as e:      # noqa: BLE001 - compared by type below
                                out.append(type(e).__name__)
        for arrays in ((f2,), (f2, f2), (f2, f2, f2), (i2,), (i2, i2)):
            for op in (T.cat, T.stack):
                out.append(op([T.tensor(a) for a in arrays]))
        return out
    same(f)


def test_ops_on_views_read_inside_one_program():
    """Ops on views that record nothing read the views inside their own program; the values are
    those of the general path, also after the base is written."""
    base = data(6, 8)

    def f(T):
        x = T.tensor(base)
        out = []
        for i in range(3):
            out.append(T.stack([x[i], x[i + 1, 2:6].repeat(2), x[:, i]]))
            out.append(x[i, 1:5] + x[i + 2, ::2])
            out.append(x[i] * 2)
        x[1, 2:4] = 7.0
        out.append(T.cat([x[1], x[2, 1:3]]))
        out.append([float(v) for v in x[1]])
        out.append(x[1:3].tolist())
        with T.no_grad():
            w = T.tensor(base, requires_grad=True)
            out.append(w[2, 3:5] * 3)
        return out
    same(f)


def test_many_argument_ops_mixed_dtypes_and_parameters_repeated():
    """The deferred fast path for any arity (``_fast_many``): ``linear`` with and without a bias on
    one row, several rows and a 1-D input, embeddings with int64 and int32 indices, recurrent cells,
    ``addcmul``/``lerp``/``where`` with numbers, mixed dtypes and 0-dim operands, Parameters as
    arguments; each called in turn often enough to be cached, under grad and no_grad, with a dtype
    error last that must still raise."""
    w, b = data(5, 4), data(5, seed=1)
    rows = (data(1, 4, seed=2), data(3, 4, seed=3), data(4, seed=4), data(2, 1, 4, seed=5))

    def f(T):
        T.manual_seed(0)
        lin = T.nn.Linear(4, 5)
        emb = T.nn.Embedding(7, 4)
        gru, lstm = T.nn.GRUCell(4, 3), T.nn.LSTMCell(4, 3)
        with T.no_grad():
            for k, prm in enumerate(p for m in (lin, emb, gru, lstm) for p in m.parameters()):
                prm.copy_(T.tensor(data(*prm.shape, seed=10 + k)))
        W, B = T.nn.Parameter(T.tensor(w)), T.tensor(b)
        out = []
        for grad in (False, True, False):
            with T.set_grad_enabled(grad):
                for _ in range(3):
                    for r in rows:
                        x = T.tensor(r)
                        out.append((T.nn.functional.linear(x, W, B), T.nn.functional.linear(x, W), lin(x)))
                    for idx in (T.tensor([1, 6]), T.tensor([[0, 3]], dtype=T.int32)):
                        out.append(emb(idx))
                    x = T.tensor(rows[0])
                    h = gru(x)
                    h2, c2 = lstm(x, (h, h))
                    out.append((h, gru(x, h), h2, c2))
                    i, f32, f64 = T.tensor([1, 2, 3]), T.tensor(data(3)), T.tensor(data(3, seed=1), dtype=T.float64)
                    out.append((T.addcmul(f32, f32, i, value=2), T.lerp(f32, f32 * 2, 0.25), T.where(i > 1, f32, 2),
                                T.where(i > 1, 2.5, i), i * T.tensor(2.5), i * T.tensor([2.5]), f32 + f64 + i,
                                T.clamp(f32, T.tensor(-0.5), T.tensor([0.5]))))
        for g in (lambda: T.nn.functional.linear(T.tensor(rows[0], dtype=T.float64), W, B),
                  lambda: T.nn.functional.linear(T.tensor(rows[0]), W, B.double()),
                  lambda: T.addcmul(T.tensor([1, 2]), T.tensor([1, 2]), T.tensor([True, False]), value=0.5)):
            try:
                out.append(g())
            except RuntimeError as e:
                out.append(type(e).__name__)
        out.append([p.grad for p in lin.parameters()])
        return out
    same(f)
    assert torchlike._registry.OPS["_linear_mm"]._dfast


def test_division_and_softmax_keys_after_fast_calls():
    """True division and softmax are cached by dtype and statics; a rounding mode's integer division still
    checks its values (division by zero), softmax its dim and (PyTorch's NotImplementedError, named for the
    last-dim kernel or not) an integer or complex kernel dtype, and a new dtype or mode takes its own key."""
    def f(T):
        out = []
        a, b = T.tensor(data(3, 4)), T.tensor(data(3, 4, seed=1) + 3)
        i, z = T.tensor([7, -7, 5]), T.tensor([2, 0, 1])
        for _ in range(3):
            out += [a / b, a / 2, b / 3.5, T.div(a, b, rounding_mode="floor"), T.div(i, 2, rounding_mode="trunc"),
                    i / 2, a.softmax(-1), T.log_softmax(a, 0), i.softmax(0, dtype=T.float32),
                    a.softmax(1, dtype=T.float64)]
        return out + outcomes((lambda: T.div(i, z, rounding_mode="floor"), lambda: T.div(a, b, rounding_mode="round"),
                               lambda: a.softmax(2), lambda: T.log_softmax(a, -3), lambda: i.softmax(0),
                               lambda: T.log_softmax(i.view(1, 3), 0), lambda: a.softmax(1, dtype=T.int32)) * 2)
    same(f)


def test_powers_keyed_by_their_exponent():
    """``pow`` with a Python exponent on the fast paths: the key holds the exponent's value (2, 3, -1, 0.5
    are compiled in as PyTorch special-cases them; an integer base's negative exponent raises), so each
    value keeps its own answer and error; recorded and not, repeated."""
    def f(T):
        out = []
        a = T.tensor(data(3, 4), requires_grad=True)
        p = T.tensor(data(3, 4, seed=1) + 3)
        i = T.tensor([[3, -2, 5]])
        for _ in range(3):
            for e in (2, 3, -1, -2, 0.5, -0.5, 2.5, 4, 1, 0, 2.0):
                out += [a ** e, p ** e, (a * 1) ** e]
            out += [i ** 2, i ** 3, i ** 0, i ** 2.5, i.pow(1)]
            (a ** 2).sum().backward()
        out.append(a.grad)
        return out + outcomes((lambda: i ** -1, lambda: i ** -2, lambda: T.tensor([True]) ** 2) * 2)
    same(f)
