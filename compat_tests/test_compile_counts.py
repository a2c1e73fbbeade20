"""Loops over indices must not compile one XLA program per index.

`x[i]`, `x[i:i + b]` and `x[i] = v` are the inner statements of hand-written data
loops; a compilation per distinct i (tens of ms each) made such loops unusable.
These tests count compiled programs, never time."""
import torchlike as tl
from torchlike import _ops_views, _views
from harness import same


def test_select_over_many_indices_compiles_once():
    x = tl.arange(200.).reshape(50, 4)
    before = _ops_views._select_at(0)._cache_size()
    rows = [x[i] for i in range(50)]
    assert _ops_views._select_at(0)._cache_size() - before <= 1
    assert [r.tolist() for r in rows] == x.tolist()


def test_slices_with_moving_start_compile_once_per_length():
    x = tl.arange(300.).reshape(100, 3)
    before = _ops_views._slice_at(0, 8, 1)._cache_size()
    batches = [x[i:i + 8] for i in range(0, 96, 8)]
    assert _ops_views._slice_at(0, 8, 1)._cache_size() - before <= 1
    assert [b.tolist() for b in batches] == [x.tolist()[i:i + 8] for i in range(0, 96, 8)]


def test_setitem_over_many_indices_compiles_once():
    x = tl.zeros(40, 5)
    writer = _views._writer((40, 5), (5,), (1,))
    before = writer._cache_size()
    for i in range(40):
        x[i] = float(i)
    assert writer._cache_size() - before <= 1
    assert x[:, 0].tolist() == [float(i) for i in range(40)]


def test_strided_slices_and_views_values():
    def f(T):
        x = T.arange(60.).reshape(12, 5)
        out = [x[i:i + 5:2] for i in range(0, 7)]
        out += [x[i, 1:4] for i in range(-12, 12, 5)]
        y = x.clone()
        for i in range(0, 12, 3):
            y[i, 1:3] = -i
        v = y[2:9]
        v[1] = 7.0
        return out, y, v
    same(f)
