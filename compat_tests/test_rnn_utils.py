"""torch.nn.utils.rnn: pad_sequence, pack_padded_sequence, pad_packed_sequence, PackedSequence."""
import numpy as np
import pytest

from harness import data, same, same_output


def _seqs(T, lengths=(3, 1, 4, 2), feat=(2,), requires_grad=False, dtype=np.float32):
    return [T.tensor(data(n, *feat, seed=i, dtype=dtype), requires_grad=requires_grad)
            for i, n in enumerate(lengths)]


def _grads(T, seqs, out):
    """Backward of a weighted sum of ``out`` (weights depend on position): each input's gradient."""
    w = T.tensor(data(*out.shape, seed=99))
    (out * w).sum().backward()
    return [s.grad for s in seqs]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    def f(T):
        seqs = _seqs(T, requires_grad=True)
        out = T.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5,
                                          padding_side=padding_side)
        return out, _grads(T, seqs, out)
    same(f)


def test_pad_sequence_variants():
    same(lambda T: T.nn.utils.rnn.pad_sequence(_seqs(T, feat=(), dtype=np.int64)))
    same(lambda T: T.nn.utils.rnn.pad_sequence(_seqs(T, feat=(2, 3)), batch_first=True))
    same(lambda T: T.nn.utils.rnn.pad_sequence((T.ones(2, 2), T.zeros(3, 2)), padding_value=7))
    same(lambda T: T.nn.utils.rnn.pad_sequence(T.tensor(data(3, 2, 2))))
    same(lambda T: T.nn.utils.rnn.pad_sequence([T.ones(0, 2), T.ones(2, 2)]))


@pytest.mark.parametrize("case", [
    lambda T: T.nn.utils.rnn.pad_sequence([]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.ones(3, 2), T.ones(2, 3)]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.ones(3)], padding_side="up"),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(3, 3, 2), [1, 2, 3]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(3, 3, 2), [3, 2, 0]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(3, 3, 2), [3, 2]),
    lambda T: T.nn.utils.rnn.pad_packed_sequence(T.nn.utils.rnn.pack_sequence([T.ones(3), T.ones(2)]),
                                                 total_length=2),
])
def test_errors(case):
    same(lambda T: type(case(T)).__name__)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_and_back(batch_first, enforce_sorted):
    lengths = [4, 3, 3, 1] if enforce_sorted else [2, 4, 1, 3]

    def f(T):
        x = T.tensor(data(4, 4, 3, seed=5), requires_grad=True)
        inp = x * 1.0
        packed = T.nn.utils.rnn.pack_padded_sequence(inp, T.tensor(lengths), batch_first=batch_first,
                                                     enforce_sorted=enforce_sorted)
        padded, lens = T.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=0.5)
        padded2, _ = T.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first, total_length=6)
        (padded * T.tensor(data(*padded.shape, seed=6))).sum().backward()
        return (tuple(packed), type(packed).__name__, packed._fields, padded, lens, padded2, x.grad,
                packed.data.grad_fn.next_functions[0][0].name() if packed.data.grad_fn else None)
    same(f)


def test_pack_sequence_and_unpack():
    def f(T):
        rnn = T.nn.utils.rnn
        seqs = _seqs(T, lengths=(2, 4, 4, 1), requires_grad=True)
        packed = rnn.pack_sequence(seqs, enforce_sorted=False)
        back = rnn.unpack_sequence(packed)
        loss = sum((b * (i + 1)).sum() for i, b in enumerate(back))
        loss.backward()
        padded, lens = rnn.pad_packed_sequence(packed)
        return tuple(packed), back, [s.grad for s in seqs], rnn.unpad_sequence(padded, lens)
    same(f)
    same(lambda T: tuple(T.nn.utils.rnn.pack_sequence(_seqs(T, lengths=(4, 3, 1)))))


@pytest.mark.skipif(__import__("torchlike").cuda.is_available(),
                    reason="printed devices differ where torchlike's default device is the GPU")
def test_packed_sequence_type_and_methods():
    def f(T):
        rnn = T.nn.utils.rnn
        p = rnn.pack_sequence([T.tensor([1, 2, 3]), T.tensor([4])])
        q = rnn.pack_sequence([T.tensor([1.0]), T.tensor([4.0, 5.0])], enforce_sorted=False)
        print(p)
        print(q.double())
        print(q.to(T.float16), p.long() is p, q.to("cpu") is q, p.is_cuda, isinstance(p, tuple))
        data, batch_sizes, sorted_indices, unsorted_indices = q
        print(data, batch_sizes, sorted_indices, unsorted_indices, len(q), q[1])
        print(rnn.PackedSequence(q.data, q.batch_sizes, q.sorted_indices))
        print(rnn.invert_permutation(T.tensor([2, 0, 1])))
    same_output(f)
