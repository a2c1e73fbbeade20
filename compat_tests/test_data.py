"""torch.utils.data: datasets, samplers, collation and DataLoader, against PyTorch.

Without shuffling the batches must be identical; with shuffling (each library's
own random stream) every epoch must visit the same elements, in batches of the
same sizes, reproducibly for a given seed.
"""
from collections import namedtuple

import numpy as np
import pytest

from harness import data, same

Pair = namedtuple("Pair", ["a", "b"])


def _tensor_ds(T, n=10):
    return T.utils.data.TensorDataset(T.tensor(data(n, 3, seed=1)), T.tensor(np.arange(n) % 4))


class _Custom:
    """A map-style dataset returning several kinds of samples (built per library)."""

    @staticmethod
    def make(T, kind):
        class DS(T.utils.data.Dataset):
            def __len__(self):
                return 7

            def __getitem__(self, i):
                x = T.tensor(data(2, 2, seed=i))
                if kind == "dict":
                    return {"x": x, "y": i, "w": float(i) / 2, "name": f"s{i}"}
                if kind == "tuple":
                    return x, i, np.float32(i) * 0.5
                if kind == "list":
                    return [x, [i, i + 1]]
                if kind == "namedtuple":
                    return Pair(x, True if i % 2 else False)
                if kind == "numpy":
                    return data(3, seed=i), np.int64(i)
                return x
        return DS()


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, False), (10, False),
                                                  (12, True)])
def test_tensor_dataset_batches(batch_size, drop_last):
    def f(T):
        dl = T.utils.data.DataLoader(_tensor_ds(T), batch_size=batch_size, drop_last=drop_last)
        return len(dl), list(dl)
    same(f)


@pytest.mark.parametrize("kind", ["plain", "dict", "tuple", "list", "namedtuple", "numpy"])
def test_default_collate_structures(kind):
    def f(T):
        dl = T.utils.data.DataLoader(_Custom.make(T, kind), batch_size=3)
        out = list(dl)
        return out, [type(b).__name__ for b in out]
    same(f)


def test_default_collate_and_convert_directly():
    def f(T):
        c = T.utils.data.default_collate
        return (c([1, 2, 3]), c([1.5, 2.0]), c([True, False]), c(["a", "b"]), c([np.float64(1.0), np.float64(2)]),
                c([{"a": 1}, {"a": 2}]), c([(1, 2.0), (3, 4.0)]),
                T.utils.data.default_convert([np.arange(3), (np.ones(2), "x")]))
    same(f)
    same(lambda T: T.utils.data.default_collate([object(), object()]))
    same(lambda T: T.utils.data.default_collate([[1, 2], [3]]))


def test_batch_size_none_and_custom_collate():
    def f(T):
        ds = _tensor_ds(T, 4)
        unbatched = list(T.utils.data.DataLoader(ds, batch_size=None))
        summed = list(T.utils.data.DataLoader(ds, batch_size=2, collate_fn=lambda b: sum(int(y) for _, y in b)))
        return unbatched, summed
    same(f)


def _epoch_signature(T, dl):
    """(batch sizes, sorted visited labels) of one pass."""
    sizes, seen = [], []
    for x, y in dl:
        sizes.append(len(y))
        seen.extend(y.tolist())
    return sizes, sorted(seen)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffle_visits_same_elements(drop_last):
    def f(T):
        T.manual_seed(0)
        ds = T.utils.data.TensorDataset(T.tensor(data(23, 2, seed=1)), T.arange(23))
        dl = T.utils.data.DataLoader(ds, batch_size=5, shuffle=True, drop_last=drop_last)
        e1, e2 = _epoch_signature(T, dl), _epoch_signature(T, dl)
        order = [y.tolist() for _, y in dl]
        T.manual_seed(0)
        again = [y.tolist() for _, y in dl]
        g = T.Generator().manual_seed(3)
        dl_g = T.utils.data.DataLoader(ds, batch_size=5, shuffle=True, generator=g)
        a = [y.tolist() for _, y in dl_g]
        g.manual_seed(3)
        b = [y.tolist() for _, y in dl_g]
        pairs_ok = all(bool(T.equal(x, ds.tensors[0][y])) for x, y in dl_g)
        full = e1 == ([5] * 4 + [3], list(range(23))) if not drop_last else e1[0] == [5] * 4
        return (e1[0], e2[0], len(set(e1[1])), full, order[0] != again[0] or order == again, a == b, pairs_ok,
                len(dl), sorted(sum(a, [])) == list(range(23)))
    same(f)


def test_samplers():
    def f(T):
        D = T.utils.data
        ds = list(range(10))
        seq = list(D.SequentialSampler(ds))
        bs = list(D.BatchSampler(D.SequentialSampler(ds), 4, False))
        bs_drop = list(D.BatchSampler(range(10), 4, True))
        g = T.Generator().manual_seed(1)
        rs = list(D.RandomSampler(ds, generator=g))
        rs_rep = list(D.RandomSampler(ds, replacement=True, num_samples=25, generator=g))
        rs_more = list(D.RandomSampler(ds, num_samples=15, generator=g))
        sub = list(D.SubsetRandomSampler([2, 4, 6], generator=g))
        w = list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], 20, generator=g))
        w_norep = sorted(D.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0, 1.0], 3, replacement=False, generator=g))
        dl = D.DataLoader(_tensor_ds(T), batch_sampler=D.BatchSampler(range(10), 3, False))
        return (seq, bs, bs_drop, len(D.BatchSampler(range(10), 4, False)), sorted(rs), len(rs_rep),
                all(0 <= i < 10 for i in rs_rep), sorted(set(rs_more)) == list(range(10)), len(rs_more), sorted(sub),
                set(w) <= {1, 3}, w_norep, [b[1] for b in dl], len(dl))
    same(f)


def test_random_split_and_subset():
    def f(T):
        D = T.utils.data
        ds = _tensor_ds(T, 10)
        g = T.Generator().manual_seed(0)
        a, b = D.random_split(ds, [7, 3], generator=g)
        idx = sorted(a.indices + b.indices)
        fr = D.random_split(range(10), [0.5, 0.3, 0.2], generator=g)
        fr_odd = D.random_split(range(11), [0.5, 0.5], generator=g)
        sub = D.Subset(ds, [4, 1, 1])
        nested = D.Subset(D.Subset(ds, [9, 8, 7, 6, 5]), [4, 0, 2, -1])
        return (len(a), len(b), idx, type(a).__name__, [len(s) for s in fr], [len(s) for s in fr_odd],
                len(sub), sub[0], sub[2], list(D.DataLoader(sub, batch_size=2)), list(D.DataLoader(nested, batch_size=3)),
                [[float(v) for v in y] for _, y in D.DataLoader(a, batch_size=4)] ==
                [[float(a[i][1]) for i in range(j, min(j + 4, len(a)))] for j in range(0, len(a), 4)],
                all(bool(T.equal(a[i][0], ds[a.indices[i]][0])) for i in range(len(a))))
    same(f)
    same(lambda T: T.utils.data.random_split(range(10), [3, 3]))


def test_concat_and_iterable_datasets():
    def f(T):
        D = T.utils.data
        c = D.ConcatDataset([_tensor_ds(T, 3), _tensor_ds(T, 4)])
        both = _tensor_ds(T, 2) + _tensor_ds(T, 2)

        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter(range(7))

            def __len__(self):
                return 7
        it = list(D.DataLoader(Stream(), batch_size=3))
        it_drop = list(D.DataLoader(Stream(), batch_size=3, drop_last=True))
        chained = list(Stream() + Stream())
        return len(c), c[3], c[-1], len(both), it, it_drop, len(D.DataLoader(Stream(), batch_size=3)), chained
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: T.utils.data.DataLoader(_tensor_ds(T), shuffle=True, sampler=range(10)),
    lambda T: T.utils.data.DataLoader(_tensor_ds(T), batch_size=2,
                                      batch_sampler=T.utils.data.BatchSampler(range(10), 2, False)),
    lambda T: T.utils.data.DataLoader(_tensor_ds(T), batch_size=None, drop_last=True),
    lambda T: T.utils.data.DataLoader(_tensor_ds(T), num_workers=-1),
    lambda T: T.utils.data.BatchSampler(range(3), 0, False),
    lambda T: T.utils.data.TensorDataset(T.ones(3), T.ones(4)),
    lambda T: T.utils.data.Dataset()[0],
    lambda T: T.utils.data.RandomSampler(range(3), num_samples=0),
])
def test_errors(case):
    same(lambda T: type(case(T)).__name__)


def test_tensor_dataset_indexing():
    def f(T):
        ds = _tensor_ds(T, 5)
        return len(ds), ds[2], ds[-1], type(ds[0]).__name__
    same(f)
