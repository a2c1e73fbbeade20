"""Tensor metadata, Python conversions, ``.to()``, devices, ``new_*``, legacy constructors, numpy interop.

Expected values come from PyTorch at test time.  The one documented difference
tested on its own (``test_from_numpy_copies_documented_difference``): numpy
memory is not shared with tensors.
"""
import numpy as np
import pytest
import torch

import torchlike
from harness import data, same

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
          "complex64", "complex128"]


def _meta(t):
    return (t, t.dtype, tuple(t.shape), t.stride(), t.is_contiguous(), t.requires_grad, t.is_leaf, repr(t.device))


# ---- torch.Size ------------------------------------------------------------------

def test_size_behaves_as_tuple():
    def f(T):
        s = T.ones(2, 3, 4).shape
        return (repr(s), str(s), s, tuple(s), list(s), len(s), s[0], s[-1], s[1:], repr(s[1:]), type(s[1:]).__name__,
                s.numel(), T.Size([]).numel(), T.Size([2, 0]).numel(), s == (2, 3, 4), s == [2, 3, 4],
                s == T.Size([2, 3, 4]), isinstance(s, tuple), hash(s) == hash((2, 3, 4)), 3 in s, s.index(3),
                s.count(2), repr(s + (5,)), type(s + (5,)).__name__, repr((1,) + s), type((1,) + s).__name__,
                repr(s * 2), type(s * 2).__name__, [d for d in s], max(s), repr(T.Size((1, 2))), T.Size(),
                repr(T.Size([np.int64(2), 3])), s == T.Size([2, 3]))
    same(f)


def test_size_constructor_errors():
    same(lambda T: T.Size([1.5]))
    same(lambda T: T.Size(["a"]))
    same(lambda T: T.Size(3))
    same(lambda T: repr(T.Size([T.tensor(2), 3])))


# ---- shape / size / dim / numel ---------------------------------------------------------

def test_shape_size_dim_numel():
    def f(T):
        out = []
        for t in (T.ones(2, 3, 4), T.ones(()), T.ones(0, 3), T.ones(5)):
            out.append((t.shape, t.size(), [t.size(d) for d in range(-t.dim(), t.dim())], t.dim(), t.ndim,
                        t.ndimension(), t.numel(), t.nelement(), T.numel(t), len(t.shape)))
        out.append(T.ones(2, 3).size(dim=1))
        return out
    same(f)


@pytest.mark.parametrize("dim", [3, -4, 100])
def test_size_out_of_range(dim):
    same(lambda T: T.ones(2, 3, 4).size(dim))
    same(lambda T: T.ones(2, 3, 4).stride(dim))


def test_size_of_zero_dim():
    same(lambda T: T.tensor(1.).size(0))
    same(lambda T: T.tensor(1.).size(-1))
    same(lambda T: T.tensor(1.).size(1))
    same(lambda T: T.ones(2).size("a"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_metadata(dtype):
    def f(T):
        t = T.ones(2, 3, dtype=getattr(T, dtype))
        return (t.dtype, t.element_size(), t.itemsize, t.nbytes, t.is_floating_point(), t.is_complex(), t.is_signed(),
                T.is_floating_point(t), T.is_complex(t), t.type(), t.is_contiguous(), t.stride(), t.storage_offset(),
                T.is_tensor(t), t.is_cuda, t.is_cpu, t.get_device(), t.is_sparse, t.is_quantized, t.is_meta,
                str(t.layout))
    same(f)


def test_type_conversions_by_name():
    def f(T):
        t = T.tensor([1.5, -2.5])
        return [t.type("torch.DoubleTensor"), t.type(T.int32), t.type(T.float32) is t, t.type("torch.LongTensor"),
                t.type("torch.BoolTensor"), t.type("torch.HalfTensor").dtype, t.type_as(T.ones(1, dtype=T.int16))]
    same(f)
    same(lambda T: T.ones(2).type("torch.FooTensor"))


def test_contiguity_and_strides_of_views():
    def f(T):
        t = T.ones(2, 3, 4)
        out = []
        for v in (t, t.transpose(0, 2), t[:, 1], t[..., ::2], t.permute(1, 0, 2), t[0], t.t() if t.ndim == 2 else t):
            out.append((v.stride(), v.is_contiguous(), v.storage_offset(), v.contiguous().stride()))
        return out
    same(f)


# ---- autograd metadata ------------------------------------------------------------------

def test_autograd_metadata():
    def f(T):
        a = T.tensor([1., 2.], requires_grad=True)
        b = a * 2
        c = T.ones(2)
        out = [(x.is_leaf, x.requires_grad, type(x.grad_fn).__name__ if x.grad_fn is not None else None, x._version)
               for x in (a, b, c)]
        b.sum().backward()
        out.append((a.grad, c.grad, a.grad_fn))
        with T.no_grad():
            a.add_(1)
        c.add_(1)
        c[0] = 5
        out.append((a._version, c._version, b._version))
        d = a.detach()
        out.append((d.requires_grad, d.is_leaf, d._version))
        return out
    same(f)


def test_requires_grad_setter():
    same(lambda T: T.ones(2).requires_grad_().requires_grad)
    same(lambda T: T.ones(2, dtype=T.int64).requires_grad_())
    same(lambda T: setattr(T.ones(2), "requires_grad", 1))

    def nonleaf(T):
        b = T.ones(2, requires_grad=True) * 2
        b.requires_grad = False
    same(nonleaf)


# ---- Python scalars ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_item_and_tolist_types(dtype):
    def f(T):
        t = T.tensor([[1, 0], [3, 1]], dtype=getattr(T, dtype))
        one = t[0, 0]
        lst = t.tolist()
        return (one.item(), type(one.item()).__name__, lst, [[type(v).__name__ for v in row] for row in lst],
                one.tolist(), type(one.tolist()).__name__, T.ones(1, dtype=getattr(T, dtype)).item(),
                t[:0].tolist(), T.ones(2, 0, dtype=getattr(T, dtype)).tolist())
    same(f)


def test_item_errors():
    same(lambda T: T.ones(2).item())
    same(lambda T: T.ones(0).item())
    same(lambda T: T.ones(1, 1, 1).item())


def test_python_number_conversions():
    def f(T):
        out = []
        for t in (T.tensor(2.7), T.tensor([-2.7]), T.tensor(3), T.tensor(True), T.tensor(0.0), T.tensor([[5]]),
                  T.tensor(1 + 2j), T.tensor(2.5, dtype=T.float16)):
            row = []
            for conv in (bool, float, int, complex):
                try:
                    v = conv(t)
                    row.append((v, type(v).__name__))
                except Exception as e:  # noqa: BLE001
                    row.append(type(e).__name__)
            out.append(row)
        return out
    same(f)


@pytest.mark.parametrize("conv", [bool, float, int, complex])
def test_python_number_conversion_errors(conv):
    same(lambda T: conv(T.ones(2)))
    same(lambda T: conv(T.ones(0)))


def test_index_protocol():
    def f(T):
        lst = [10, 20, 30]
        return (lst[T.tensor(1)], lst[T.tensor([2])], lst[T.tensor(1, dtype=T.int8)], range(5)[T.tensor(3)],
                "abc"[T.tensor(2)], T.tensor(3).__index__(), hex(T.tensor(255)), [1, 2, 3, 4][T.tensor(1):T.tensor(3)],
                np.arange(5)[T.tensor(2)], bin(T.tensor(5, dtype=T.uint8)))
    same(f)


@pytest.mark.parametrize("bad", ["float", "bool", "two", "empty", "complex"])
def test_index_protocol_errors(bad):
    def f(T):
        t = {"float": T.tensor(1.0), "bool": T.tensor(True), "two": T.tensor([1, 2]), "empty": T.tensor([], dtype=T.int64),
             "complex": T.tensor(1j)}[bad]
        return [1, 2, 3][t]
    same(f)


def test_format():
    same(lambda T: ["{:.2f}".format(T.tensor(2.345)), f"{T.tensor(3)}", f"{T.tensor(2.5):>8}", f"{T.tensor(True)}"])
    same(lambda T: "{:.2f}".format(T.ones(2)))


# ---- len / iteration / hashing -------------------------------------------------------------

def test_len_and_iteration():
    def f(T):
        t = T.arange(6.).reshape(3, 2)
        rows = list(t)
        return (len(t), len(T.ones(0, 2)), rows, [type(r).__name__ for r in rows], list(T.tensor([1, 2])),
                [x.shape for x in T.ones(2, 3, 4)], list(T.ones(0)), [r.is_leaf for r in rows])
    same(f)


def test_iteration_keeps_autograd():
    def f(T):
        a = T.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        rows = list(a)
        (rows[0] * rows[1]).sum().backward()
        return a.grad, [type(r.grad_fn).__name__ for r in rows]
    same(f)


def test_len_and_iteration_of_zero_dim():
    same(lambda T: len(T.tensor(1.)))
    same(lambda T: list(T.tensor(1.)))
    same(lambda T: iter(T.tensor(1.)))


def test_hashing_by_identity():
    def f(T):
        a, b = T.ones(2), T.ones(2)
        d = {a: "a", b: "b"}
        s = {a, b, a}
        return (d[a], d[b], len(s), a in s, hash(a) == id(a), hash(a) == hash(a), a in {b: 1}, len({T.ones(1), T.ones(1)}))
    same(f)


def test_contains_and_truthiness():
    same(lambda T: (2 in T.tensor([1, 2, 3]), 5 in T.tensor([1, 2, 3]), T.tensor([1., 2.]) in T.ones(3, 2)))
    same(lambda T: bool(T.tensor([])))
    same(lambda T: bool(T.tensor([1, 2])))
    same(lambda T: [bool(T.tensor([0])), bool(T.tensor([[3]])), not T.tensor(0.)])


# ---- .to(...) -------------------------------------------------------------------------------

def test_to_argument_forms():
    def f(T):
        t = T.tensor([1.5, 2.5])
        other = T.ones(1, dtype=T.int32)
        return [t.to(T.float64), t.to(T.float32) is t, t.to("cpu") is t, t.to(T.device("cpu")) is t, t.to(other),
                t.to("cpu", T.int64), t.to(device="cpu", dtype=T.float16), t.to(dtype=T.float16),
                t.to(T.float32, copy=True) is t, t.to("cpu", copy=True) is t, t.to(copy=True) is t,
                _meta(t.to(copy=True)), t.to(T.float64, non_blocking=True), t.to(other, copy=True),
                t.to(T.float64, True), t.to(T.float64, False, True), t.to("cpu", T.float64, False, True),
                t.to() is t, t.to("cpu:0") is t, t.to(None) is t, t.to(T.device("cpu", 0)) is t,
                t.to(memory_format=T.contiguous_format) is t if hasattr(T, "contiguous_format") else True,
                t.to(other, True, False), t.to(float), t.to(int), t.to(bool)]
    same(f)


@pytest.mark.parametrize("case", ["dtype_dtype", "str_dtype", "foo", "float", "cuda", "int", "bad_kw",
                                  "np_dtype", "other_and_dtype", "too_many"])
def test_to_errors(case):
    def f(T):
        t = T.ones(2)
        return {
            "dtype_dtype": lambda: t.to(T.float64, T.int32), "str_dtype": lambda: t.to("float64"),
            "foo": lambda: t.to("foo"), "float": lambda: t.to(np.float32), "cuda": lambda: t.to("cuda"),
            "int": lambda: t.to(1), "bad_kw": lambda: t.to(dtyp=T.float64), "np_dtype": lambda: t.to(dtype=np.float32),
            "other_and_dtype": lambda: t.to(T.ones(1), dtype=T.int32),
            "too_many": lambda: t.to("cpu", T.float64, False, False, False),
        }[case]()
    same(f)


def test_to_autograd():
    def f(T):
        a = T.tensor([1.5, -2.5], requires_grad=True)
        b, c, d, e = a.to(T.float64), a.to("cpu"), a.to(T.float32, copy=True), a.to(T.int64)
        (b * 2).sum().backward()
        return b, c, d, e, a.grad, c is a
    same(f)


def test_dtype_shortcut_methods():
    def f(T):
        t = T.tensor([1.7, -2.2, 0.0])
        return [t.float(), t.double(), t.half(), t.bfloat16(), t.long(), t.int(), t.short(), t.char(), t.byte(),
                t.bool(), t.cfloat(), t.cdouble(), t.cpu() is t, t.float() is t]
    same(f)
    same(lambda T: T.ones(2).cuda())


# ---- torch.device ---------------------------------------------------------------------------

DEVICE_STRINGS = ["cpu", "cuda", "cuda:1", "cpu:0", "CPU", "cuda:", "cuda:-1", "cuda:a", "foo", "", " cpu", "cuda:01",
                  "mps", "meta", "xla:0", "cuda:1:2", "cpu:1", "float64"]


@pytest.mark.parametrize("spec", DEVICE_STRINGS, ids=repr)
def test_device_parsing(spec):
    same(lambda T: (lambda d: (repr(d), str(d), d.type, d.index))(T.device(spec)))


@pytest.mark.parametrize("args", [("cuda", 1), ("cpu", 0), ("cuda", -1), ("cuda:0", 1), (0,), (1,), (-1,), ("cpu", None),
                                  (None,), (1.5,), ("cuda", "a"), ()], ids=repr)
def test_device_constructor_forms(args):
    same(lambda T: (lambda d: (repr(d), str(d), d.type, d.index))(T.device(*args)))


def test_device_object_protocol():
    import pickle

    def f(T):
        d = T.device("cpu")
        return (d == T.device("cpu"), d == "cpu", d != T.device("cpu"), hash(d) == hash(T.device("cpu")),
                T.device("cpu", 0) == d, repr({d: 1}), type(d).__name__, repr(pickle.loads(pickle.dumps(d))),
                repr(T.device(d)), repr(T.device(type="cuda", index=2)), repr(T.ones(1).device),
                T.ones(1).device == d, str(T.ones(1).device))
    same(f)


def test_device_context_and_cuda_availability():
    def f(T):
        with T.device("cpu"):
            a = T.ones(1)
        return (repr(a.device), T.cuda.is_available(), T.cuda.device_count(), repr(T.get_default_device()))
    same(f)


# ---- new_* and the legacy constructor ----------------------------------------------------------

def test_new_methods():
    def f(T):
        t = T.ones(2, dtype=T.float64)
        i = T.ones(2, dtype=T.int32)
        return [_meta(x) for x in (
            t.new_tensor([1, 2]), t.new_tensor([1, 2], dtype=T.int32), t.new_tensor(T.tensor([1, 2])), t.new_zeros(2, 3),
            t.new_zeros((2, 3)), t.new_zeros([2]), t.new_ones(2, dtype=T.int64), t.new_full((2,), 3),
            t.new_full((2,), True), t.new_zeros(2, requires_grad=True), t.new_zeros(()), t.new_tensor(3.5),
            t.new_tensor([1, 2], requires_grad=True), i.new_full((2,), 2.7), i.new_tensor([1.5]), t.new_ones(size=(1, 2)),
            t.new_zeros(T.Size([2, 2])), t.new_full([1, 2], 2.5, dtype=T.float16), t.new_tensor(np.array([1, 2])))] + [
            (t.new_empty(3).shape, t.new_empty(3).dtype, t.new_empty((2, 2), dtype=T.int8).dtype)]
    same(f)


@pytest.mark.parametrize("case", ["new_full_int_size", "new_zeros_none", "new_zeros_neg", "new_ones_neg", "new_full_neg",
                                  "new_empty_neg", "new_full_tensor", "new_zeros_int_grad"])
def test_new_method_errors(case):
    def f(T):
        t = T.ones(2)
        return {"new_full_int_size": lambda: t.new_full(2, 3), "new_zeros_none": lambda: t.new_zeros(),
                "new_zeros_neg": lambda: t.new_zeros(-1), "new_ones_neg": lambda: t.new_ones((2, -1)),
                "new_full_neg": lambda: t.new_full((-1,), 2.), "new_empty_neg": lambda: t.new_empty(-1),
                "new_full_tensor": lambda: t.new_full((2,), T.ones(2)),
                "new_zeros_int_grad": lambda: t.new_zeros(2, dtype=T.int64, requires_grad=True)}[case]()
    same(f)


def test_legacy_constructor():
    def f(T):
        out = [(x.dtype, tuple(x.shape), type(x).__name__) for x in (
            T.Tensor(2, 3), T.Tensor(T.Size([2, 3])), T.Tensor(), T.Tensor(3), T.Tensor(0))]
        out += [T.Tensor([1, 2]), T.Tensor((2, 3)), T.Tensor(np.array([1, 2])), T.Tensor([[1, 2], [3, 4]]),
                T.Tensor([True]), isinstance(T.Tensor([1]), T.Tensor)]
        t = T.ones(2, dtype=T.float64)
        out.append(T.Tensor(t) is t)
        return out
    same(f)


@pytest.mark.parametrize("args", [(3.5,), (-1,), ([1 + 2j],), ("a",), (2, "a")], ids=repr)
def test_legacy_constructor_errors(args):
    same(lambda T: T.Tensor(*args))
    same(lambda T: T.Tensor(2, dtype=T.float64))


def test_legacy_constructor_default_dtype():
    def f(T):
        T.set_default_dtype(T.float64)
        try:
            return T.Tensor([1, 2]), T.Tensor(2).dtype
        finally:
            T.set_default_dtype(T.float32)
    same(f)


# ---- numpy interop ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bfloat16"])
def test_numpy_conversion_dtypes(dtype):
    def f(T):
        t = T.tensor([[1, 0], [2, 1]], dtype=getattr(T, dtype))
        a, b, c = t.numpy(), np.asarray(t), np.array(t)
        return [(type(x).__name__, str(x.dtype), x.shape, x.tolist()) for x in (a, b, c, t[0, 0].numpy(),
                                                                           np.asarray(t, dtype=np.float64))]
    same(f)


def test_numpy_of_bfloat16_raises_like_torch():
    same(lambda T: T.ones(2, dtype=T.bfloat16).numpy())


def test_numpy_requires_grad():
    same(lambda T: T.ones(2, requires_grad=True).numpy())
    same(lambda T: np.asarray(T.ones(2, requires_grad=True)))
    same(lambda T: T.ones(2, requires_grad=True).numpy(force=True).tolist())
    same(lambda T: (T.ones(2, requires_grad=True) * 2).detach().numpy().tolist())


def test_numpy_array_functions_accept_tensors():
    """What matplotlib and friends do with a detached tensor."""
    x = data(3, 4, seed=1)

    def f(T):
        t = T.tensor(x)
        return (np.sum(t).item() if hasattr(np.sum(t), "item") else np.sum(t), float(np.mean(np.asarray(t))),
                np.asarray(t[1]).tolist(), np.array(t.t()).shape, np.stack([np.asarray(t), np.asarray(t)]).shape,
                np.asarray(t).flags["C_CONTIGUOUS"], np.array(t, copy=True).tolist() == x.tolist())
    same(f)


def test_numpy_round_trip_values():
    x = data(2, 5, seed=3, dtype=np.float64)
    same(lambda T: T.from_numpy(T.from_numpy(x).numpy()))
    same(lambda T: T.tensor(T.tensor(x).numpy()))


def test_numpy_copy_semantics_of_numpy_method_after_write():
    """A numpy array obtained *before* an in-place write keeps the old values in torchlike (torch shares
    memory); after the write a fresh ``.numpy()`` sees the new values in both."""
    def f(T):
        t = T.zeros(3)
        t.add_(1)
        return t.numpy().tolist()
    same(f)


def test_from_numpy_copies_documented_difference():
    """Documented difference (docs/differences.md): torchlike cannot share memory with numpy, so
    ``from_numpy`` copies.  Writing to the numpy array afterwards does not change the tensor (in
    PyTorch it would), and writing to the tensor does not change the array."""
    a = np.zeros(3, np.float32)
    t = torchlike.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [0.0, 0.0, 0.0]
    t[1] = 7.0
    assert a.tolist() == [5.0, 0.0, 0.0]
    n = t.numpy()
    t[2] = 9.0
    assert n.tolist() == [0.0, 7.0, 0.0]
    assert torchlike.as_tensor(a).tolist() == [5.0, 0.0, 0.0]
