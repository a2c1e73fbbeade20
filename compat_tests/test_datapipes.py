"""torch.utils.data DataPipes (IterDataPipe, MapDataPipe, functional_datapipe, DataChunk) against PyTorch."""
import pytest

from harness import same, same_message


def _iw(T, x):
    return T.utils.data.datapipes.iter.IterableWrapper(x)


def test_iter_pipes():
    def f(T):
        dp = _iw(T, range(10)).map(lambda x: x * 2).filter(lambda x: x % 3 == 0).batch(2)
        b = _iw(T, range(10)).batch(3)
        return (list(dp), repr(dp), str(dp), type(list(b)[0]).__name__, len(b), list(b),
                list(_iw(T, range(10)).batch(3, drop_last=True)), len(_iw(T, range(10)).batch(3, drop_last=True)),
                list(_iw(T, range(3)).zip(_iw(T, "abc"))), list(_iw(T, range(2)).concat(_iw(T, range(2)))),
                list(_iw(T, [[1, 2], [3]]).unbatch()), list(_iw(T, [[[1], [2]], [[3]]]).unbatch(unbatch_level=2)),
                list(_iw(T, [[[1], [2]], [[3]]]).unbatch(unbatch_level=-1)),
                list(_iw(T, [(1, 2), (3, 4)]).collate()), list(_iw(T, range(4)).sharding_filter()),
                list(_iw(T, [(1, 2), (3, 4)]).map(lambda v: v * 10, input_col=1)),
                list(_iw(T, [(1, 2), (3, 4)]).map(lambda a, b: a + b, input_col=[0, 1], output_col=-1)),
                list(_iw(T, [(1, 2), (3, 4)]).filter(lambda v: v > 2, input_col=1)),
                sorted(_iw(T, range(20)).shuffle(buffer_size=5)), list(_iw(T, range(5)).shuffle().set_shuffle(False)),
                len(_iw(T, range(5)).map(abs)), isinstance(dp, T.utils.data.IterableDataset),
                isinstance(dp, T.utils.data.IterDataPipe))
    same(f)


def test_map_pipes():
    def f(T):
        M = T.utils.data.datapipes.map
        m = M.SequenceWrapper([1, 2, 3]).map(lambda x: x + 1)
        b = M.SequenceWrapper(list(range(7))).batch(3)
        return (m[0], len(m), list(m), type(m).__name__, list(b), len(b), type(b[0]).__name__,
                list(M.SequenceWrapper([1, 2]).concat(M.SequenceWrapper([3]))),
                list(M.SequenceWrapper([1, 2]).zip(M.SequenceWrapper("ab"))),
                sorted(M.SequenceWrapper(list(range(6))).shuffle()), isinstance(m, T.utils.data.MapDataPipe),
                isinstance(m, T.utils.data.Dataset))
    same(f)


def test_functional_datapipe_and_datachunk():
    def f(T):
        D = T.utils.data

        @D.functional_datapipe("times_" + T.__name__)
        class Times(D.IterDataPipe):
            def __init__(self, dp, k):
                self.dp, self.k = dp, k

            def __iter__(self):
                for x in self.dp:
                    yield x * self.k
        c = D.DataChunk([1, 2])
        return (list(getattr(_iw(T, [1, 2]), "times_" + T.__name__)(3)), str(c), repr(c), c.as_str(),
                list(c.raw_iterator()), isinstance(c, list))
    same(f)


def test_dataloader_over_pipe():
    same(lambda T: list(T.utils.data.DataLoader(_iw(T, range(5)).map(lambda x: x * 1.0), batch_size=2)))


def test_datapipe_errors():
    same_message(lambda T: len(_iw(T, range(3)).filter(bool)))
    same_message(lambda T: _iw(T, range(3)).nope)
    same(lambda T: _iw(T, range(3)).batch(0))
    same(lambda T: _iw(T, range(3)).zip([1, 2]))
    same(lambda T: list(_iw(T, [1, [2]]).unbatch(unbatch_level=2)))
