"""Argument checks against PyTorch: where PyTorch raises, torchlike raises the same exception type
(and leaves its inputs unchanged); where PyTorch accepts, torchlike returns the same result.

Also the ops and spellings added with them: ``resize_``, keyword ``dims=`` for ``*int[]`` parameters,
``native_*_norm``, ``_chunk_cat``, ``_segment_reduce`` and ``torch.ops.aten``.
"""
from __future__ import annotations

import numpy as np
import pytest

from harness import data, same, same_message


def _x(T, *shape, seed=0):
    return T.tensor(data(*shape, seed=seed))


# ---- a Python number where PyTorch's signature has ``Tensor self`` ---------------------------
NUMBER_FIRST = ["clamp_min", "clamp_max", "rsub", "eq", "ne", "lt", "fmod", "copysign", "isclose", "atan2",
                "maximum", "hypot", "logaddexp", "heaviside", "ldexp", "nextafter", "igamma", "polar"]
NUMBER_OK = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "float_power",
             "xlogy", "isin"]


@pytest.mark.parametrize("name", NUMBER_FIRST + NUMBER_OK)
def test_number_as_first_argument(name):
    same(lambda T: getattr(T, name)(2, _x(T, 3)))


@pytest.mark.parametrize("name", ["add", "clamp_min", "isclose", "heaviside", "max", "min"])
def test_two_numbers(name):
    same(lambda T: getattr(T, name)(2, 3))


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "hermite_polynomial_h", "legendre_polynomial_p"])
def test_special_polynomial_number_first(name):
    same(lambda T: getattr(T.special, name)(2, _x(T, 3)))


def test_isclose_tolerances():
    same(lambda T: T.isclose(_x(T, 3), _x(T, 3), rtol=-0.5))
    same(lambda T: T.isclose(_x(T, 3), _x(T, 3), atol=-0.5))
    same(lambda T: T.isclose(_x(T, 3), 2))


# ---- shapes and dimensions -------------------------------------------------------------------
@pytest.mark.parametrize("args", [(0, 0, 1), (1, 11, 0), (1, -11, 1), (1, 2, -1), (1, -3, 2), (0, 2, 1)])
def test_narrow(args):
    same(lambda T: T.narrow(_x(T, 2, 10), *args))


def test_narrow_zero_dim():
    same(lambda T: T.narrow(T.tensor(1.0), 0, 0, 1))


@pytest.mark.parametrize("dim", [3, -4])
def test_narrow_copy_dim(dim):
    same(lambda T: T.narrow_copy(_x(T, 2, 3, 4), dim, 0, 1))


@pytest.mark.parametrize("src,dst", [((0, 1), (1, 0)), ((3, -3), (1, 0, -1)), ((0, 0), (1, 2)),
                                     ((1, 0, 2), (0, 3, -4)), (0, -1)])
def test_movedim(src, dst):
    same(lambda T: T.movedim(_x(T, 2, 3, 4, 5), src, dst))


@pytest.mark.parametrize("dims", [(1, 1), (0, -2), (0, 1)])
def test_diagonal_dims(dims):
    same(lambda T: T.diagonal(_x(T, 3, 4), 0, *dims))
    same(lambda T: T.diagonal_copy(_x(T, 3, 4), 0, *dims))


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack"])
def test_stack_empty(name):
    same(lambda T: getattr(T, name)([]))


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4)])
def test_atleast(n, shape):
    same(lambda T: getattr(T, f"atleast_{n}d")(T.tensor(data(*shape) if shape else np.float32(1.5))))


@pytest.mark.parametrize("index", [[0], 0, [0, 0], []])
def test_index_select_zero_dim(index):
    same(lambda T: T.index_select(T.tensor(2.5), 0, T.tensor(index, dtype=T.int64)))


@pytest.mark.parametrize("src_shape,n", [((2,), 2), ((3, 2), 2), ((2, 3), 2), ((2, 2), 2), ((2, 2, 1), 2)])
def test_index_add_shapes(src_shape, n):
    same(lambda T: T.index_add(T.zeros(3, 2), 0, T.arange(n), T.ones(*src_shape)))


def test_tensordot_size_one_contraction():
    same(lambda T: T.tensordot(_x(T, 1, 1, 1), _x(T, 2, 1, 2, seed=1), ([0, 1], [2, 0])))
    same(lambda T: T.tensordot(_x(T, 3, 1), _x(T, 1, 4, seed=1), ([1], [1])))


def test_flip_dims_keyword():
    same(lambda T: T.flip(_x(T, 2, 3), dims=(0, 1)))
    same(lambda T: _x(T, 2, 3).permute(dims=(1, 0)))
    same(lambda T: _x(T, 2, 3).view(size=(3, 2)))


# ---- fill values --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("value", [1j, 1.5, 1e300, 2, True, "t1j", "t1e300"])
def test_masked_fill_value_range(dtype, value):
    def f(T):
        x = T.zeros(3, dtype=getattr(T, dtype))
        v = value
        if isinstance(v, str):
            v = T.tensor(complex(v[1:]) if "j" in v else float(v[1:]), dtype=T.complex64 if "j" in v else T.float64)
        r = x.masked_fill(T.tensor([True, False, True]), v)
        return r, x
    same(f)


# ---- out= checks --------------------------------------------------------------------------
def test_out_expanded_refused():
    same(lambda T: T.cat([_x(T, 2, 3), _x(T, 2, 3)], out=T.zeros(1, 3).expand(4, 3)))
    same(lambda T: T.take(_x(T, 6), T.tensor([2, 1, 0]), out=T.zeros(1).expand(3)))
    same(lambda T: T.index_select(_x(T, 3, 6), 1, T.tensor([0, 1]), out=T.zeros(1, 6).expand(2, 6)))
    same(lambda T: T.bernoulli(T.full((6,), 0.5), out=T.zeros(1).expand(6)))


def test_out_aliasing_an_input_refused():
    def f(op):
        def g(T):       # the error type, and the input afterwards (unchanged when refused)
            x = _x(T, 6)
            try:
                op(T, x)
                err = None
            except RuntimeError:
                err = "RuntimeError"
            return err, x
        return g
    same(f(lambda T, x: T.take(x, T.tensor([2, 1, 0, 3, 4, 5]), out=x)))
    same(f(lambda T, x: T.masked_select(x, x > 0, out=x)))
    same(f(lambda T, x: T.cat([x[:3], x[3:]], out=x)))
    same(f(lambda T, x: T.kthvalue(x, 2, out=(x[0], T.zeros((), dtype=T.int64)))))
    same(f(lambda T, x: T.add(x, x, out=x)))        # elementwise: allowed


def test_masked_select_out_aliasing_mask():
    same(lambda T: T.masked_select(T.tensor([True, False]), T.tensor([True, False]).clone(), out=T.tensor([True, False])))

    def f(T):
        m = T.tensor([True, False, True])
        return T.masked_select(m.clone(), m, out=m)
    same(f)


def test_out_dtype_exact():
    same(lambda T: T.gather(_x(T, 2, 2), 1, T.tensor([[0, 0], [1, 0]]), out=T.zeros(2, 2, dtype=T.float64)))
    same(lambda T: T.aminmax(_x(T, 3, 3), dim=0, out=(T.zeros(3, dtype=T.float64), T.zeros(3, dtype=T.float64))))
    same(lambda T: T.complex(_x(T, 3), _x(T, 3, seed=1), out=T.zeros(3, dtype=T.complex128)))
    same(lambda T: T.multinomial(T.tensor([[0.5, 0.5]]), 2, out=T.zeros(1, 2, dtype=T.float64)))
    same(lambda T: T.gather(_x(T, 2, 2), 1, T.tensor([[0, 0], [1, 0]]), out=T.zeros(2, 2)))


def test_as_strided_scatter_bounds():
    same(lambda T: T.as_strided_scatter(_x(T, 4, 4), _x(T, 2, 2), (2, 2), (200, 200), 0))
    same(lambda T: T.as_strided_scatter(_x(T, 4, 4), _x(T, 2, 2), (2, 2), (1, 2), 1))


# ---- ops added -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(25, 5), (2, 2), (), (200,)])
def test_resize_(shape):
    def f(T):
        x = T.arange(125.0).reshape(5, 5, 5).clone()
        r = x.resize_(shape)
        return r if shape != (200,) else r[:125]
    same(f)


def test_resize_as_():
    same(lambda T: T.resize_as_(T.arange(6.0), T.zeros(2, 3)))
    same(lambda T: T.arange(6.0, requires_grad=True).resize_(2, 3))


def test_set_takes_the_source_storage():
    """``set_``: a tensor's storage and layout (writes seen both ways, version bumped), a window on a
    storage (typed or untyped), ``set_()`` empty; old views keep the old storage."""
    def f(T):
        a, b = T.zeros(3), T.arange(6.0).reshape(2, 3)
        r = a.set_(b)
        facts = [r is a, a.data_ptr() == b.data_ptr(), a._version, b._version, a.shape, a.stride()]
        b.add_(1)
        seen_by_a = a.clone()
        a.mul_(2)
        c = T.zeros(2)
        c.set_(b.untyped_storage(), 1, (2,), (2,))
        win = (c.clone(), c.stride(), c.storage_offset())
        c.set_(b.untyped_storage())
        whole = (c.clone(), c.shape)
        t = T.zeros(3)
        t.set_((T.ones(5) * 2).storage(), 1, (2,))
        e = T.zeros(3)
        v = e[1:]
        e.set_(T.ones(4))
        d = T.ones(3, dtype=T.int64).set_()
        tr = T.zeros(3).set_(T.ones(2, 3).t())
        return facts, seen_by_a, b, win, whole, t, t.stride(), v, e, d, d.shape, tr.stride()
    same(f)


def test_set_errors():
    same(lambda T: T.zeros(3).set_(T.zeros(2, dtype=T.float64)))
    same_message(lambda T: T.zeros(3).set_(T.zeros(2, dtype=T.float64)))
    same_message(lambda T: T.zeros(3, dtype=T.int64).set_(T.zeros(2)))
    same_message(lambda T: T.zeros(3, requires_grad=True).set_(T.zeros(2)))
    same(lambda T: T.zeros(3).set_(5))

    def no_grad_leaf(T):
        x = T.zeros(3, requires_grad=True)
        with T.no_grad():
            x.set_(T.ones(2))
        return x
    same(no_grad_leaf)


def test_native_norms():
    def f(T):
        x = _x(T, 3, 2, 4)
        w, b = _x(T, 2, seed=1), _x(T, 2, seed=2)
        rm, rv = T.zeros(2), T.ones(2)
        out = T.native_batch_norm(x, w, b, rm, rv, True, 0.3, 1e-5)
        ev = T.native_batch_norm(x, w, b, rm, rv, False, 0.3, 1e-5)
        ln = T.native_layer_norm(x, (2, 4), None, None, 1e-5)
        gn = T.native_group_norm(T.tensor(data(2, 6, 3)), None, None, 2, 6, 3, 3, 1e-5)
        return out, ev, rm, rv, ln, gn
    same(f, atol=2e-5)


def test_chunk_cat_and_segment_reduce():
    same(lambda T: T._chunk_cat([_x(T, 2, 5), _x(T, 2, 3, seed=1)], 1, 2))
    for reduce in ("sum", "mean", "max", "min", "prod"):
        same(lambda T: T._segment_reduce(_x(T, 5), reduce, lengths=T.tensor([0, 1, 2, 2])))
        same(lambda T: T._segment_reduce(_x(T, 5), reduce, lengths=T.tensor([1, 2, 2]), initial=1.0))


def test_aten_namespace():
    same(lambda T: T.ops.aten.slice.Tensor(_x(T, 4, 5), 1, 1, -1))
    same(lambda T: T.ops.aten._softmax_backward_data(_x(T, 3, 4), T.softmax(_x(T, 3, 4, seed=1), 1), 1, T.float32))
    same(lambda T: T.ops.aten._safe_softmax.default(T.tensor([[float("-inf")] * 3, [1.0, 2.0, 3.0]]), 1))


@pytest.mark.parametrize("n,zero_diag,dtype", [(1, False, "float64"), (4, False, "float32"), (6, True, "float64"),
                                               (7, True, "float32"), (5, False, "float64")])
def test_ldl_factor_and_solve(n, zero_diag, dtype):
    a = data(n, n, seed=n).astype(dtype)
    a = a + a.T
    if zero_diag:           # forces Bunch-Kaufman 2x2 pivots
        np.fill_diagonal(a, 0)
    b = data(n, 2, seed=n + 1).astype(dtype)

    def f(T):
        ld, piv, info = T.linalg.ldl_factor_ex(T.tensor(a))
        return ld, piv, info, T.linalg.ldl_solve(ld, piv, T.tensor(b))
    same(f, rtol=1e-4, atol=1e-4)


def test_histogramdd_and_hash_tensor():
    same(lambda T: T.histogramdd(_x(T, 20, 2), [3, 4]))
    same(lambda T: T.histogramdd(_x(T, 20, 2), 3, range=[-1.0, 1.0, -2.0, 0.0], density=True))
    same(lambda T: T.hash_tensor(_x(T, 3, 4)))
    same(lambda T: T.hash_tensor(T.tensor([[1, 2], [3, 4]]), 0, keepdim=True))


@pytest.mark.parametrize("expr", ["T.ones(2, 3) + T.ones(4)", "T.ones(5, 2, 3) * T.ones(4, 1, 3)",
                                  "T.ones(3) - T.ones(2, 4)", "T.ones(5, 3) * T.ones(4, 2)",
                                  "T.where(T.ones(3) > 0, T.ones(3), T.ones(2))",
                                  "T.ones(2, 3).masked_fill_(T.ones(4) > 0, 1.)", "T.ones(2, 3).copy_(T.ones(4))",
                                  "T.maximum(T.ones(2, 3, dtype=T.int64), T.ones(2, 2, dtype=T.int64))"])
def test_broadcast_errors_in_pytorchs_words(expr):
    for _ in range(2):                  # the second call goes through the fast path first
        same_message(lambda T: eval(expr))


@pytest.mark.parametrize("case", ["out_of_bounds", "negative_out_of_bounds", "float_index", "matrix_index",
                                  "count", "dim", "source_dtype"])
def test_index_add_errors(case):
    """``index_add`` on bad input: PyTorch's exception type and message."""
    def f(T):
        x = T.zeros(3, 4)
        index, source, dim = {
            "out_of_bounds": (T.tensor([5]), T.ones(1, 4), 0),
            "negative_out_of_bounds": (T.tensor([-4]), T.ones(1, 4), 0),
            "float_index": (T.tensor([0.]), T.ones(1, 4), 0),
            "matrix_index": (T.tensor([[0]]), T.ones(1, 4), 0),
            "count": (T.tensor([0, 1]), T.ones(3, 4), 0),
            "dim": (T.tensor([0]), T.ones(1, 4), 2),
            "source_dtype": (T.tensor([0]), T.ones(1, 4, dtype=T.float64), 0),
        }[case]
        return x.index_add(dim, index, source)
    same_message(f)
