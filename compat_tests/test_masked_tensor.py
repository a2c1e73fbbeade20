"""torch.masked.MaskedTensor: construction, accessors, printing, elementwise ops and masked reductions."""
import warnings

import numpy as np
import pytest

from harness import data, same, same_message, same_output

D = data(2, 3, seed=1)
M = np.array([[True, False, True], [False, False, True]])


def mt(T, d=D, m=M, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.masked.masked_tensor(T.tensor(d), T.tensor(m), **kw)


def parts(x):
    return x.get_data(), x.get_mask(), x.to_tensor(0)


def test_construction_and_accessors():
    same(lambda T: (*parts(mt(T)), mt(T).shape, mt(T).dtype, mt(T).requires_grad, mt(T).dim()))
    same(lambda T: mt(T).to_tensor(float("nan")))
    same(lambda T: (T.masked.is_masked_tensor(mt(T)), T.masked.is_masked_tensor(T.tensor(D))))
    same(lambda T: parts(T.masked.as_masked_tensor(T.tensor(D), T.tensor(M))))
    same(lambda T: parts(T.masked.MaskedTensor(T.tensor(D), T.tensor(M))))


@pytest.mark.parametrize("make", ["masked_tensor", "as_masked_tensor", "MaskedTensor"])
def test_prototype_warning(make):
    def f(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(T.masked, make)(T.tensor(D), T.tensor(M))
        return [(x.category.__name__, str(x.message)) for x in w]
    same(f)


@pytest.mark.parametrize("d,m", [
    (D, M),
    (data(4, seed=2), np.array([True, False, False, True])),
    (data(2, 2, 3, seed=3) * 1000, data(2, 2, 3, seed=4) > 0),
    (np.array([100000., 2., 3.], np.float32), np.array([True, True, False])),
    (np.array([1, -200000, 3]), np.array([True, False, True])),
    (np.array([True, False]), np.array([True, True])),
    (np.array(3.5, np.float32), np.array(True)),
    (np.array(3.5, np.float32), np.array(False)),
])
def test_printing(d, m):
    same_output(lambda T: print(mt(T, d, m)))
    same_output(lambda T: print(repr(mt(T, d, m))))


@pytest.mark.parametrize("op", [
    lambda x: x + 1, lambda x: 2 - x, lambda x: x * x, lambda x: x / 3, lambda x: -x, lambda x: abs(x),
    lambda x: x.sin(), lambda x: x.exp(), lambda x: x.abs().sqrt(), lambda x: x ** 2, lambda x: x.tanh(),
])
def test_elementwise_keeps_mask(op):
    same(lambda T: parts(op(mt(T))))


def test_binary_with_plain_tensor():
    same(lambda T: parts(mt(T) + T.tensor(D)))
    same(lambda T: parts(mt(T) * mt(T)))


@pytest.mark.parametrize("red", ["sum", "amax", "mean"])
@pytest.mark.parametrize("args", [(), (0,), (1,), (1, True), ((0, 1),)])
def test_reductions(red, args):
    same(lambda T: parts(getattr(mt(T), red)(*args)))


@pytest.mark.parametrize("red", ["sum", "amax", "mean"])
def test_reductions_fully_masked(red):
    m = np.zeros((2, 3), bool)
    m[1, 0] = True
    same(lambda T: (getattr(mt(T, m=m), red)(1).get_mask(), getattr(mt(T, m=m), red)(1).get_data()))
    same(lambda T: getattr(mt(T, m=np.zeros(3, bool), d=D[0]), red)().get_data())


def test_reduction_printing():
    same_output(lambda T: (print(mt(T).sum()), print(mt(T).amax(1)), print(mt(T).mean(0, keepdim=True))))


def test_grad():
    def f(T):
        x = mt(T, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        return x.requires_grad, x.grad.get_mask(), x.grad.to_tensor(0), y.get_data().detach()
    same(f)


@pytest.mark.parametrize("bad", [
    lambda T: mt(T) + mt(T, m=~M),
    lambda T: mt(T, m=M[0]),
    lambda T: mt(T, m=M.astype(np.float32)),
    lambda T: mt(T, m=np.ones((3, 2), bool)),
    lambda T: T.masked.masked_tensor([1.0, 2.0], T.tensor([True, False])),
    lambda T: T.masked.masked_tensor(T.tensor([1.0, 2.0]), [True, False]),
    lambda T: mt(T, d=np.array([1, 2]), m=np.array([True, False])).mean(),
])
def test_errors(bad):
    def f(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bad(T)
    same(f)
    same_message(f)


@pytest.mark.parametrize("op", [
    lambda x: x < 0, lambda x: x <= 0, lambda x: x > 0, lambda x: x >= 0, lambda x: x == x, lambda x: x != 0,
    lambda x: x.amin(1), lambda x: x.prod(1), lambda x: x.sum(1),
    lambda x: x.detach(), lambda x: x.clone(), lambda x: x.sum(dim=1, keepdim=True), lambda x: x.amin(),
])
def test_more_ops(op):
    same(lambda T: parts(op(mt(T))))


def test_dtype_conversion_and_sizes():
    same(lambda T: parts(mt(T).to(T.float64)))
    same(lambda T: parts(mt(T).sum(1, dtype=T.float64)))
    same(lambda T: (len(mt(T)), mt(T).size(1), mt(T).size(), mt(T).numel(), mt(T).ndim))


def test_to_tensor_keeps_data_dtype():
    same(lambda T: mt(T, d=np.array([1, 2, 3]), m=np.array([True, False, True])).to_tensor(7))
    same(lambda T: mt(T, d=np.array([True, True]), m=np.array([True, False])).to_tensor(0))
