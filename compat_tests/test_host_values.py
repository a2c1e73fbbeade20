"""Integer values computed on the host (``_registry._host_call``): arithmetic and comparisons on a few
integers whose values are on the host (``i + 8`` for ``i`` in an index tensor) are computed by numpy
and kept as host values until a device op needs them.  Every test runs the same code in PyTorch and
torchlike; the host values must behave as any tensor does."""
import numpy as np
import pytest

import torchlike
from harness import outcomes, same, same_output

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
EDGES = [0, 1, -1, 7, 100, 127, -128, 255, 2 ** 31 - 1, -2 ** 31, 2 ** 62, 2 ** 63 - 1, -2 ** 63]


def _values(dtype):
    info = np.iinfo(dtype)
    return [v for v in EDGES if info.min <= v <= info.max]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "rsub_scalar", "neg", "eq", "ne", "lt", "le", "gt", "ge",
                                "add_alpha", "radd", "rmul"])
def test_integer_ops_on_elements_wrap_as_pytorch(dtype, op):
    vals = _values(dtype)

    def f(T):
        x = T.tensor(vals, dtype=getattr(T, dtype))
        out = []
        for i in x:                     # 0-dim views, their values on the host
            for j in x[:4]:
                if op == "add":
                    out.append(i + j)
                elif op == "sub":
                    out.append(i - j)
                elif op == "mul":
                    out.append(i * j)
                elif op == "rsub_scalar":
                    out.append(3 - i)
                elif op == "neg":
                    out.append(-i)
                elif op == "add_alpha":
                    out.append(T.add(i, j, alpha=3))
                elif op == "radd":
                    out.append(5 + i)
                elif op == "rmul":
                    out.append(i * 3)
                else:
                    out.append(getattr(T, op)(i, j))
                    out.append(getattr(T, op)(i, 1))
        return out
    same(f)


def test_scalar_out_of_range_and_mixed_dtypes_take_the_general_path():
    same(lambda T: T.tensor([200], dtype=T.uint8)[0] + 1000)
    same(lambda T: T.tensor([3], dtype=T.int8)[0] + T.tensor(5, dtype=T.int64))
    same(lambda T: T.tensor([3], dtype=T.int32)[0] * 2.5)
    same(lambda T: T.tensor([3])[0] + T.tensor([True])[0])
    same(lambda T: T.tensor([True])[0] - T.tensor([True])[0])
    same(lambda T: T.add(T.tensor([3])[0], 2, alpha=1.5))
    same(lambda T: T.tensor([2 ** 62])[0] + 2 ** 64)


def test_windows_from_index_tensor_elements():
    tokens = np.arange(1000, dtype=np.int64) * 7 % 65
    starts = [3, 500, 991, 0]

    def f(T):
        data = T.tensor(tokens)
        ix = T.tensor(starts)
        x = T.stack([data[i:i + 8] for i in ix[:3]])
        y = T.stack([data[i + 1:i + 9] for i in ix[:3]])
        z = T.stack([data[i:i + 2] for i in ix])       # 991: shorter windows at the end
        return x, y, data[ix[1] - 1], z[:2], x + y
    same(lambda T: f(T)[:4])
    same(lambda T: f(T)[4])


def test_host_values_behave_as_tensors():
    def f(T):
        ix = T.tensor([4, 9, 2])
        j = ix[0] + 1                           # a host value
        w = T.ones(3, requires_grad=True)
        loss = (w * j).sum()
        loss.backward()
        k = ix[1] * 2
        k += 1                                  # in place on a host value
        m = ix[2] - 1
        v = m.view(1)                           # a view of a host value, then written through
        v.add_(10)
        arange = T.arange(20)
        return (j, w.grad, k, k._version, m, v, arange[j], arange[j:j + 3], j.float() / 2, T.cat([j.view(1), ix]),
                j.clone(), j.to(T.float64), T.where(ix > j, ix, j), j.unsqueeze(0).expand(3))
    same(f)
    same_output(lambda T: print(T.tensor([4, 9])[1] - 3, (T.tensor([4, 9])[0] + 1).tolist(),
                                int(T.tensor([4, 9])[0] + 1), repr(T.tensor([4, 9])[0] == 4),
                                float(T.tensor([4, 9])[0] * 2), T.tensor([4, 9])[0].__index__() + 1,
                                (T.tensor([4, 9])[0] + 1).numpy()))


def test_host_value_in_a_deferred_program_and_a_checkpoint(tmp_path):
    def f(T):
        ix = T.tensor([4, 9, 2])
        h = T.zeros(1, 4)
        with T.no_grad():
            for i in ix:
                h = (h + (i + 1)).tanh() * 2     # host values as inputs of deferred ops
        return h
    same(f)
    j = torchlike.tensor([4, 9])[0] + 1
    torchlike.save({"j": j}, tmp_path / "j.pt")
    back = torchlike.load(tmp_path / "j.pt")["j"]
    assert back.item() == 5 and back.dtype == torchlike.int64


def test_element_arithmetic_runs_on_the_host():
    # the mechanism itself: no device array is made for ``i + 8`` until a device op asks for one
    ix = torchlike.tensor([4, 9, 2])
    j = ix[0] + 8
    assert type(j._storage._a) is np.ndarray and j.item() == 12
    assert type(j._storage._a) is np.ndarray        # reading it made no device array either
    torchlike.arange(20)[j:j + 2].sum().item()
    f = torchlike.ones(2) * j                       # a device op takes it as an input
    assert f.tolist() == [12.0, 12.0]


def test_promotion_of_zero_dim_and_dimensioned_host_values():
    # the cached key must tell a 0-dim tensor (which does not promote within a category) from others
    def f(T):
        out = []
        for da, db in [("uint8", "int8"), ("int8", "int16"), ("int32", "int64"), ("uint8", "int64")]:
            a = T.tensor([3, 4], dtype=getattr(T, da))
            b = T.tensor([5, 6], dtype=getattr(T, db))
            out += [a + b, a[0] + b, a + b[0], a[0] + b[0], a[:1] + b[0], b[0] * a, a[0] < b]
        return out
    same(f)


@pytest.mark.parametrize("name", ["add", "sub", "rsub", "mul", "eq", "lt", "ge"])
def test_a_number_first_takes_the_general_path(name):
    # PyTorch's Scalar overload or its TypeError, whatever the second argument's values are
    same(lambda T: getattr(T, name)(3, T.tensor([4, 5])[0]))
    same(lambda T: getattr(T, name)(3, T.tensor([4, 5])))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool", "float16", "bfloat16",
                                   "complex64"])
def test_element_and_slice_reads_of_every_dtype(dtype):
    """``float``/``int``/``bool``/``complex`` of ``x[i]`` (a 0-dim view read from the host copy), with
    negative indices, rows of a matrix and of its transpose, ``tolist`` of contiguous and strided
    slices, on stored and computed tensors; conversions PyTorch refuses (a complex element to
    float, several elements) raise its exception types."""
    v = np.arange(12).reshape(3, 4) - 5

    def f(T):
        dt = getattr(T, dtype)
        m = T.tensor(v).to(dt)
        y = (m * 1).to(dt) if dtype != "bool" else m.logical_not()
        out = []
        for t in (m, y, m.t()):
            row = t[1]
            out.append((row.tolist(), t[-1].tolist(), t[1:3].tolist(), t[:, 1].tolist(), t[0][-2].item()))
            out += outcomes([lambda conv=conv, e=e: conv(e) for conv in (float, int, bool, complex)
                             for e in (row[0], row[-1], t[-1][2])])
            out += outcomes((lambda: float(row), lambda: t[5], lambda: t[1][-9], lambda: int(T.tensor(float("nan")).to(dt)),
                             lambda: int(T.tensor(float("inf")).to(dt)), lambda: float(T.tensor(-2.5).to(dt))))
        return out
    same(f)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_cat_and_stack_of_integer_host_values(dtype):
    """``cat``/``stack`` of a few integers (a sequence growing by a token per step) run on the host:
    every dim (negative ones too), mixed integer dtypes (promotion), empty 1-D tensors that ``cat``
    skips, a Python list or tuple, and the errors of mismatched sizes, out-of-range dims and
    zero-dimensional inputs, each call repeated so that cached keys are used."""
    vals = _values(dtype)

    def f(T):
        dt = getattr(T, dtype)
        a = T.tensor([vals[:3]], dtype=dt)
        b = T.tensor([[vals[-1]]], dtype=dt)
        out = []
        for _ in range(3):
            out += [T.cat((a, b), 1), T.cat([a, b, a], dim=-1), T.cat((a, a)), T.stack((a, a)), T.stack([a, a], -1),
                    T.stack((a[0], a[0]), 1), T.cat([T.tensor([], dtype=dt), a]), T.cat((a, b.long()), 1),
                    T.cat((a[0], a[0][1:])), T.stack((b, b), 2)]
        # (twice: an error is never answered from a cache)
        out += outcomes((lambda: T.cat((a, b)), lambda: T.cat((a, b), 2), lambda: T.stack((a, b)),
                         lambda: T.cat((a[0][0], a[0][1])), lambda: T.stack((a, a), 4), lambda: T.cat([]),
                         lambda: T.stack(())) * 2)
        return out
    same(f)


def test_cat_and_stack_of_many_views_of_one_storage(monkeypatch):
    """``torch.stack([data[i:i + 8] for i in ix])``: a join of views of one storage with one shape is one
    gather of their elements on the host (``_views.gather_views``), for every dim of ``cat`` and ``stack``,
    strided and transposed 2-D views, single elements, empty windows, and views of another dtype's
    storage; joins it does not cover (a root among the views, views of two storages, of two shapes,
    windows too large for the host) give the same results by the general path."""
    from torchlike import _views
    used = []
    gather = _views.gather_views
    monkeypatch.setattr(_views, "gather_views", lambda *a: used.append(1) or gather(*a))
    tokens = (np.arange(1000, dtype=np.int64) * 37 % 201) - 100

    def f(T):
        d = T.tensor(tokens)
        m = d[:600].reshape(20, 30)
        s = d.to(T.int16)
        ix = [3, 7, 100, 5, 0, 991]
        out = []
        for _ in range(3):      # (the first call learns the key, later ones use it)
            w = [d[i:i + 8] for i in ix[:5]]
            out += [T.stack(w), T.stack(w, 1), T.stack(w, -1), T.cat(w), T.cat(w, -1),
                    T.cat([m[i:i + 2, 3:9:2] for i in range(5)], 1), T.cat([m[i:i + 2, 3:9:2] for i in range(5)]),
                    T.stack([m[i:i + 2, 3:9:2].t() for i in range(5)], 2), T.stack([d[i] for i in ix]),
                    T.stack([d[i:i] for i in ix]), T.cat([d[i:i] for i in ix]), T.stack([s[i:i + 3] for i in ix]),
                    T.cat([d[i:i + 8] for i in (3, 995, 7)]),               # 995: a shorter window
                    T.stack([d[:8]] + w), T.cat([m[0], d[:3], d[5:9]]), T.stack([d[i:i + 100] for i in ix[:3]])]
        return out
    same(f)
    assert used


def test_growing_sequence_generation_loop():
    """A generation loop as tutorials write it: the context grows by one token per step, the model
    sees its last ``block`` tokens (views of new shapes each step, read without a program until a
    shape comes back), the next token is ``cat``-ed on; under no_grad, then with grad for a loss."""
    w = np.random.default_rng(0).standard_normal((11, 6)).astype(np.float32)
    head = np.random.default_rng(1).standard_normal((6, 11)).astype(np.float32)

    def f(T):
        emb, proj = T.tensor(w), T.tensor(head, requires_grad=True)
        out = []
        for grad in (False, True):
            idx = T.zeros((1, 1), dtype=T.long)
            with T.set_grad_enabled(grad):
                for _ in range(12):
                    ctx = idx[:, -5:]
                    logits = (emb[ctx].sin() @ proj)[:, -1, :]
                    nxt = logits.argmax(dim=-1, keepdim=True)
                    idx = T.cat((idx, nxt), dim=1)
                    out.append((ctx.tolist(), logits, idx[0, -3:]))
                if grad:
                    logits.sum().backward()
                    out.append(proj.grad)
        return out
    same(f)


def test_views_of_new_shapes_read_for_recorded_ops():
    """A recorded op on views reads them first (``_views.read``); a view of a shape met for the first
    time is read from the host copy without a program: 0-dim elements, rows, columns, strided and
    whole views of roots of several ranks, each read once, then again (compiled)."""
    def f(T):
        out = []
        for _ in range(3):
            m = T.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
            v = T.tensor([7.], requires_grad=True)
            views = (m[1][0], m[0], m[:, 1], m[:, ::2], m.t(), v[0], v.view(1, 1), m.view(6)[1:5:3])
            ys = [(w * 2).sum() for w in views]
            T.autograd.backward(ys)
            out += [ys, m.grad, v.grad, T.nn.functional.cross_entropy(T.ones(4), T.zeros(1, dtype=T.int64))]
        return out
    same(f)
