"""The last torch names: sym_* helpers, exception classes, GradScaler, per-device autocast switches,
fork/wait, SyncBatchNorm's kernels, torch.fft.Tensor, torch.func.rearrange."""
import warnings

import numpy as np
import pytest

from harness import data, same, same_message


def typed(r):
    return (r, type(r).__name__)


SYM_CASES = [
    lambda T: typed(T.sym_int(3.7)), lambda T: typed(T.sym_int(-3.7)), lambda T: typed(T.sym_int(True)),
    lambda T: typed(T.sym_int("3")), lambda T: T.sym_int(None), lambda T: T.sym_int(float("inf")),
    lambda T: typed(T.sym_int(T.tensor(3.5))), lambda T: T.sym_int(T.tensor([1.0, 2.0])),
    lambda T: typed(T.sym_float(3)), lambda T: typed(T.sym_float(True)), lambda T: T.sym_float("x"),
    lambda T: typed(T.sym_float(T.tensor(2))), lambda T: T.sym_float(None),
    lambda T: typed(T.sym_max(2, 3)), lambda T: typed(T.sym_max(3.0, 2)), lambda T: typed(T.sym_max(True, 2)),
    lambda T: typed(T.sym_min(2, 2.0)), lambda T: typed(T.sym_min(5, 1)),
    lambda T: typed(T.sym_max(np.int64(2), 3)),
    lambda T: T.sym_max(T.tensor(2), 3), lambda T: T.sym_min(1, "a"),
    lambda T: typed(T.sym_not(True)), lambda T: typed(T.sym_not(0)), lambda T: typed(T.sym_not(T.tensor(0.0))),
    lambda T: T.sym_not(T.tensor([True, False])),
    lambda T: typed(T.sym_sqrt(4)), lambda T: typed(T.sym_sqrt(2.0)), lambda T: T.sym_sqrt(-1),
    lambda T: T.sym_sqrt("a"), lambda T: typed(T.sym_sqrt(T.tensor(4.0))),
    lambda T: typed(T.sym_sum([1, 2, 3])), lambda T: typed(T.sym_sum([1.0, 2])), lambda T: typed(T.sym_sum(1, 2)),
    lambda T: typed(T.sym_sum([])), lambda T: typed(T.sym_sum((1, 2.5))), lambda T: T.sym_sum([1, 2], [3]),
    lambda T: T.sym_sum(iter([1, 2])), lambda T: T.sym_sum([T.tensor(1), T.tensor(2)]),
    lambda T: typed(T.sym_ite(True, 1, 2)), lambda T: T.sym_ite(False, 1, 2.0), lambda T: typed(T.sym_ite(False, "a", "b")),
    lambda T: T.sym_ite(1, 1, 2), lambda T: T.sym_ite(T.tensor(True), 1, 2),
    lambda T: typed(T.sym_fresh_size(5)), lambda T: typed(T.sym_fresh_size(T.tensor(3))),
    lambda T: typed(T.sym_constrain_range(3, min=0, max=5)), lambda T: typed(T.sym_constrain_range(3)),
    lambda T: T.sym_constrain_range(3, min=4, max=5), lambda T: T.sym_constrain_range(3, max=2),
    lambda T: T.sym_constrain_range("a"), lambda T: typed(T.sym_constrain_range(3.5, min=0)),
    lambda T: typed(T.sym_constrain_range_for_size(3)), lambda T: T.sym_constrain_range_for_size(-1),
    lambda T: T.sym_constrain_range_for_size(3, min=5), lambda T: typed(T.sym_constrain_range_for_size(3, max=3)),
    lambda T: (isinstance(3, T.SymInt), isinstance(3.0, T.SymFloat), isinstance(True, T.SymBool)),
    lambda T: [c.__mro__[1:] == (object,) for c in (T.SymInt, T.SymFloat, T.SymBool)],
]


@pytest.mark.parametrize("case", range(len(SYM_CASES)))
def test_sym(case):
    same(SYM_CASES[case])


@pytest.mark.parametrize("fn", [
    lambda T: T.sym_max(1, "a"), lambda T: T.sym_ite(False, 1, 2.0), lambda T: T.sym_sqrt(-1),
    lambda T: T.sym_constrain_range(3, min=4, max=5), lambda T: T.sym_constrain_range(3, max=2),
    lambda T: T.sym_constrain_range_for_size(-1), lambda T: T.sym_constrain_range("a"),
])
def test_sym_messages(fn):
    same_message(fn)


def test_exception_classes():
    def fn(T):
        out = []
        for name, base in [("AcceleratorError", RuntimeError), ("FatalError", Exception),
                           ("JITException", Exception)]:
            c = getattr(T, name)
            out.append((issubclass(c, base), issubclass(c, RuntimeError), c.__name__, str(c("boom"))))
        out.append(T.JITException is T.jit.Error)
        return out
    same(fn)
    same(lambda T: (_ for _ in ()).throw(T.AcceleratorError("x")))


def test_grad_scaler_and_fft_tensor():
    same(lambda T: (T.GradScaler is T.amp.GradScaler, T.fft.Tensor is T.Tensor))


def test_autocast_switches():
    def fn(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = [str(T.get_autocast_ipu_dtype()), str(T.get_autocast_xla_dtype()),
                   T.is_autocast_ipu_enabled(), T.is_autocast_xla_enabled()]
            T.set_autocast_ipu_dtype(T.bfloat16)
            T.set_autocast_xla_dtype(T.float16)
            T.set_autocast_gpu_dtype(T.bfloat16)
            T.set_autocast_ipu_enabled(True)
            T.set_autocast_xla_enabled(True)
            out += [str(T.get_autocast_dtype("ipu")), str(T.get_autocast_dtype("xla")),
                    str(T.get_autocast_dtype("cuda")), T.is_autocast_enabled("ipu"), T.is_autocast_enabled("xla"),
                    str(T.get_autocast_ipu_dtype()), T.is_autocast_xla_enabled()]
            T.set_autocast_ipu_enabled(False)
            T.set_autocast_xla_enabled(False)
            T.set_autocast_dtype("ipu", T.float16)
            T.set_autocast_dtype("xla", T.bfloat16)
            T.set_autocast_dtype("cuda", T.float16)
            out.append([c.category.__name__ for c in w])
            out.append([str(c.message).split(" (Triggered")[0] for c in w])
        return out
    same(fn)


def test_autocast_default_dtypes():
    same(lambda T: [str(T.get_autocast_dtype(d)) for d in
                    ["cpu", "cuda", "xpu", "ipu", "hpu", "xla", "mps", "mtia", "maia", "privateuseone"]])


def test_fork_wait():
    def fn(T):
        fut = T.fork(lambda a, b=1: a * 2 + b, T.tensor([1.0, 2.0]), b=3)
        return type(fut).__name__, T.wait(fut), fut.wait(), T.wait(T.fork(lambda: 7))
    same(fn)


def test_batch_norm_update_stats():
    x = data(4, 3, 5)

    def fn(T):
        rm, rv = T.zeros(3), T.ones(3)
        m, v = T.batch_norm_update_stats(T.tensor(x), rm, rv, 0.1)
        return m, v, rm, rv
    same(fn)
    same(lambda T: T.batch_norm_update_stats(T.tensor(data(6, 2, seed=1), dtype=T.float64), None, None, 0.3))
    same(lambda T: T.batch_norm_update_stats(T.tensor(data(4, 3, 2, 2, seed=2)), None, None, 0.1))
    same(lambda T: T.batch_norm_update_stats(T.tensor(data(3)), None, None, 0.1))


@pytest.mark.parametrize("name,args", [
    ("batch_norm_stats", lambda T, x, c: (x, 1e-5)),
    ("batch_norm_elemt", lambda T, x, c: (x, c, c, c, c, 1e-5)),
    ("batch_norm_gather_stats", lambda T, x, c: (x, T.ones(2, 3), T.ones(2, 3), None, None, 0.1, 1e-5, 5)),
    ("batch_norm_gather_stats_with_counts",
     lambda T, x, c: (x, T.ones(2, 3), T.ones(2, 3), None, None, 0.1, 1e-5, T.ones(2))),
    ("batch_norm_backward_reduce", lambda T, x, c: (x, x, c, c, c, True, True, True)),
    ("batch_norm_backward_elemt", lambda T, x, c: (x, x, c, c, c, c, c, T.ones(1, dtype=T.int32))),
])
def test_batch_norm_cuda_only_kernels(name, args):
    x = data(4, 3, 5)
    same(lambda T: getattr(T, name)(*args(T, T.tensor(x), T.ones(3))))


X = data(2, 3, 4, seed=3)
REARRANGE = [
    ("a b c -> c (a b)", {}), ("a b c -> (c a) b", {}), ("... c -> c ...", {}), ("a ... -> ... a", {}),
    ("a (b1 b2) c -> a b1 b2 c", {"b1": 3}), ("a (b1 b2) c -> a b1 b2 c", {"b1": 2}),
    ("a (b1 b2) c -> a b1 b2 c", {}), ("a (b1 b2) c -> a b1 b2 c", {"b1": 2, "b2": 2}),
    ("a b c -> a b c 1", {}), ("a b c 1 -> a b c", {}), ("a b c -> a b () c", {}), ("a b -> a b", {}),
    ("a b c -> a b", {}), ("a a c -> a c", {}), ("a b c", {}), ("a b c -> a b c", {"d": 3}),
    ("(a) b c -> a b c", {}), ("a b c -> (a b c)", {}), ("a b c -> a (b c", {}), ("a b c -> a (b (c))", {}),
    ("a b c -> a b c ...", {}), ("a b c ... -> a b c ...", {}), ("a b c ... -> ... a b c", {}),
    ("a b _c -> a b _c", {}), ("a b 4 -> a b", {}), ("a ... -> (...) a", {}), ("... -> ...", {}),
    ("a b c -> (a 1) b c", {}), ("a b c -> b a c", {}), ("a b c -> a b c -> a", {}),
    ("a (b c) d -> (a b) c d", {"c": 3}),
]


@pytest.mark.parametrize("pattern,lengths", REARRANGE)
def test_rearrange(pattern, lengths):
    same(lambda T: T.func.rearrange(T.tensor(X), pattern, **lengths))


@pytest.mark.parametrize("pattern,lengths", [
    ("a b c -> a b", {}), ("a a c -> a c", {}), ("a b c", {}), ("a b c -> a b c", {"d": 3}),
    ("a b c -> a (b c", {}), ("a b c -> a (b (c))", {}), ("a b c -> a b c ...", {}), ("a b _c -> a b _c", {}),
    ("a b 4 -> a b", {}), ("a b -> a b", {}), ("a b c 1 -> a b c", {}),
])
def test_rearrange_messages(pattern, lengths):
    same_message(lambda T: T.func.rearrange(T.tensor(X), pattern, **lengths))


def test_rearrange_list_and_grad():
    same(lambda T: T.func.rearrange([T.tensor(X), T.tensor(X) * 2], "n a b c -> a n b c"))
    same(lambda T: T.func.rearrange((T.tensor(X),), "n a b c -> (a n) c b"))
    same(lambda T: T.func.rearrange(3, "a -> a"))

    def grad(T):
        x = T.tensor(X, requires_grad=True)
        y = T.func.rearrange(x, "a (b1 b2) c -> c b2 (a b1)", b1=3)
        (y * T.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y.detach(), x.grad
    same(grad)


STREAM_EVENT = [
    lambda T: (T.Stream().device_type, T.Stream().device_index, T.Stream().stream_id, str(T.Stream().device)),
    lambda T: (T.Stream().query(), T.Stream().synchronize(), T.Stream().is_capturing(), T.Stream() == T.Stream(),
               hash(T.Stream()) == hash(T.Stream()), T.Stream() == 3, T.Stream() != T.Stream()),
    lambda T: [repr(T.Stream(d)) for d in ("cpu", "cpu:1", T.device("cpu"), "meta")],
    lambda T: repr(T.Stream(device="cpu", priority=-1)), lambda T: repr(T.Stream(stream_id=0, device_index=0,
                                                                             device_type=0)),
    lambda T: T.Stream(device_type=0), lambda T: T.Stream("cuda"), lambda T: T.Stream(3), lambda T: T.Stream("xyz"),
    lambda T: T.Stream().native_handle, lambda T: T.Stream().record_event(), lambda T: T.Stream().wait_event(T.Event()),
    lambda T: T.Stream().wait_stream(T.Stream()),
    lambda T: (str(T.Event().device), T.Event().event_id, T.Event().query(), T.Event().synchronize(),
               T.Event().wait(), T.Event() == T.Event()),
    lambda T: [repr(T.Event(enable_timing=True)), repr(T.Event()), repr(T.Event(device="meta"))],
    lambda T: T.Event().record(), lambda T: T.Event().elapsed_time(T.Event()),
    lambda T: T.Event(enable_timing=True).elapsed_time(T.Event(enable_timing=True)),
    lambda T: T.Event("cuda"), lambda T: T.Event(3), lambda T: T.Event().ipc_handle(),
    lambda T: T.Event.from_ipc_handle("cpu", b""),
    lambda T: [type(x).__module__ + "." + type(x).__name__ for x in (T.Stream(), T.Event())],
]


@pytest.mark.parametrize("case", range(len(STREAM_EVENT)))
def test_stream_event(case):
    same(STREAM_EVENT[case])
    try:
        STREAM_EVENT[case](__import__("torch"))
    except Exception:  # noqa: BLE001 - then the messages must agree too
        same_message(STREAM_EVENT[case])
