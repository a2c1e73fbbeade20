"""The registry's fast path (``Op._fast``): a repeated call on plain tensors of one dtype skips the
dtype rule and cache key.  Every scenario repeats a call so that later calls take the fast path,
and compares with PyTorch, errors included."""
import numpy as np

import torchlike
from harness import data, same


def twice(fn):
    return lambda T: [fn(T) for _ in range(3)]


def test_fast_path_is_taken():
    x = torchlike.tensor(data(3))
    for _ in range(2):
        torchlike.sin(x)
    assert torchlike._registry.OPS["sin"]._fast


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
