"""The last planned names of docs/api_coverage.md (issue 12): torch.lobpcg, torch.linalg.matmul,
torch.thread_safe_generator and torch.distributed's smaller names, each against PyTorch."""
from __future__ import annotations


import numpy as np
import pytest
import torch

import torchlike
from harness import data, same, same_message
from harness import same_results
from test_distributed import launch, results


# --------------------------------------------------------------------------- lobpcg

def _spd(m, seed=0, batch=()):
    a = data(*batch, m, m, seed=seed, dtype=np.float64)
    return a @ np.swapaxes(a, -1, -2) + np.eye(m)


def _eigvals(T, A, dtype=None, **kw):
    At = T.tensor(A) if dtype is None else T.tensor(A).to(getattr(T, dtype))
    B = kw.pop("B", None)
    E, X = T.lobpcg(At, B=None if B is None else T.tensor(B).to(At.dtype), **kw)
    return E, tuple(X.shape), X.dtype


@pytest.mark.parametrize("k,largest", [(1, True), (2, True), (3, False), (4, None)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lobpcg_eigenvalues(k, largest, dtype):
    """The k largest (or smallest) eigenvalues in PyTorch's order, with its shapes and dtypes."""
    A = _spd(14, seed=k)
    E_t, E_l = same(lambda T: _eigvals(T, A, dtype, k=k, largest=largest), rtol=1e-3 if dtype == "float32" else 1e-6)
    ref = np.linalg.eigvalsh(A)
    ref = ref[::-1][:k] if largest in (True, None) else ref[:k]
    np.testing.assert_allclose(E_l[0].numpy(), ref, rtol=1e-3 if dtype == "float32" else 1e-7)


def test_lobpcg_vectors_are_eigenvectors():
    A = _spd(12, seed=3)
    E, X = torchlike.lobpcg(torchlike.tensor(A), k=3)
    Xn = X.numpy()
    np.testing.assert_allclose(A @ Xn, Xn * E.numpy(), atol=1e-5)
    np.testing.assert_allclose(Xn.T @ Xn, np.eye(3), atol=1e-8)


def test_lobpcg_generalized_batched_and_start():
    A, B = _spd(12, seed=1), np.diag(np.arange(1., 13.))
    same(lambda T: _eigvals(T, A, k=2, B=B), rtol=1e-6)
    same(lambda T: _eigvals(T, A, k=2, B=B, largest=False), rtol=1e-6)
    Ab = _spd(12, seed=2, batch=(2,))
    same(lambda T: _eigvals(T, Ab, k=2), rtol=1e-6)
    X0 = data(12, 3, seed=5, dtype=np.float64)
    same(lambda T: T.lobpcg(T.tensor(A), X=T.tensor(X0))[0], rtol=1e-6)          # n and k from X
    same(lambda T: T.lobpcg(T.tensor(A), k=2, X=T.tensor(X0))[0], rtol=1e-6)
    same(lambda T: T.lobpcg(T.tensor(A), k=2, n=3, niter=-1, tol=1e-10)[0], rtol=1e-6)
    same(lambda T: T.lobpcg(T.tensor(A), k=2, iK=T.eye(12, dtype=T.float64))[0], rtol=1e-6)
    same(lambda T: T.lobpcg(T.tensor(A), k=2, n=1)[0].shape)


def test_lobpcg_tracker_and_grad():
    A = _spd(12, seed=4)

    def tracked(T):
        seen = []
        T.lobpcg(T.tensor(A), k=2, tracker=lambda w: seen.append((tuple(w.E.shape), tuple(w.X.shape))))
        return len(seen) > 0, seen[-1]
    same(tracked)

    def grad(T):
        Ar = T.tensor(A, requires_grad=True)
        E, _ = T.lobpcg(Ar, k=2)
        E.sum().backward()
        return Ar.grad
    same(grad, rtol=1e-5, atol=1e-7)


def test_lobpcg_errors():
    A = _spd(10)
    same(lambda T: T.lobpcg(T.tensor(A), k=4))                                # 10 rows < 3 * 4
    same(lambda T: T.lobpcg(T.tensor(A)[:, :5], k=1))                         # not square
    same(lambda T: T.lobpcg(T.tensor(A)[0], k=1))                             # not a matrix
    same(lambda T: T.lobpcg(T.tensor(A).long(), k=2))
    same(lambda T: T.lobpcg(T.tensor(A).half(), k=2))
    same(lambda T: T.lobpcg(T.tensor(A), k=2, B=T.eye(9, dtype=T.float64)))
    same(lambda T: T.lobpcg(T.tensor(A), X=T.zeros(9, 3, dtype=T.float64)))
    same_message(lambda T: T.lobpcg(T.tensor(A), k=5))


# --------------------------------------------------------------------------- small torch names

def test_linalg_matmul():
    a, b = data(2, 3, 4), data(4, 5, seed=1)
    same(lambda T: T.linalg.matmul(T.tensor(a), T.tensor(b)))
    same(lambda T: T.linalg.matmul(T.tensor(a), T.tensor(b[:, 0])))
    same(lambda T: T.linalg.matmul(T.tensor(a), T.tensor(a)))                 # shapes do not match

    def out(T):
        o = T.empty(2, 3, 5)
        r = T.linalg.matmul(T.tensor(a), T.tensor(b), out=o)
        return r is o, o
    same(out)


class _Probe:
    def __init__(self, T):
        self.T = T

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return self.T.tensor(float(self.T.thread_safe_generator() is None))


@pytest.mark.parametrize("workers", [0, 1])
def test_thread_safe_generator_outside_thread_workers(workers):
    """None in the main process and in process workers (torchlike's DataLoader has no thread workers)."""
    same(lambda T: T.thread_safe_generator())
    same(lambda T: [b for b in T.utils.data.DataLoader(_Probe(T), batch_size=2, num_workers=workers)])


# --------------------------------------------------------------------------- distributed, one process

def test_distributed_names_before_init():
    d = lambda T: T.distributed  # noqa: E731
    same(lambda T: d(T).is_xccl_available())
    same_message(lambda T: d(T).get_backend_config())
    same_message(lambda T: d(T).split_group(None, [[0]]))
    same_message(lambda T: d(T).shrink_group([0]))
    same_message(lambda T: d(T).breakpoint())
    same_message(lambda T: d(T).all_gather_single(T.zeros(2), T.ones(2)))
    same_message(lambda T: d(T).reduce_scatter_single(T.zeros(2), T.ones(2)))


def test_supports_complex():
    same(lambda T: [T.distributed.supports_complex(op) for op in T.distributed.ReduceOp.RedOpType.__members__.values()])
    same(lambda T: [T.distributed.supports_complex(x) for x in (0, 3, None, "sum")])


@pytest.mark.parametrize("spec", ["gloo", "nccl", "ucc", "mpi", "xccl", "undefined", "GLOO", "cpu:gloo,cuda:nccl",
                                  "cpu:GLOO", "tpu:gloo", "cpu:", "bogus", None, 3])
def test_backend_config(spec):
    def config(T):
        c = T.distributed.BackendConfig(spec)
        return str(c), repr(c), c.get_device_backend_map()
    same(config)


@pytest.mark.parametrize("spec,says", [("cpu:gloo,", "Invalid device:backend pairing"),
                                       ("cpu:gloo,cuda", "Invalid device:backend pairing"),
                                       ("cpu:gloo,cpu:nccl", "Duplicate device type cpu")])
def test_backend_config_errors(spec, says):
    same(lambda T: T.distributed.BackendConfig(spec))
    with pytest.raises(ValueError, match=says):
        torchlike.distributed.BackendConfig(spec)


def test_backend_config_warns_for_unknown_backends():
    for lib in (torch, torchlike):
        with pytest.warns(UserWarning, match="Device capability of bogus unknown"):
            lib.distributed.BackendConfig("bogus")


def test_group_name_and_queue_empty_error():
    same(lambda T: (T.distributed.GroupName("g0"), type(T.distributed.GroupName("g0")).__name__,
                    T.distributed.GroupName.__name__, T.distributed.GroupName.__supertype__ is str))
    same(lambda T: [c.__name__ for c in T.distributed.QueueEmptyError.__mro__[:5]])
    same(lambda T: issubclass(T.distributed.QueueEmptyError, T.distributed.DistStoreError))
    same(lambda T: str(T.distributed.QueueEmptyError("queue q is empty")))


def test_debug_levels(monkeypatch):
    def levels(T):
        D = T.distributed
        out = []
        D.set_debug_level(D.DebugLevel.DETAIL)
        out.append(D.get_debug_level().name)
        monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "info")
        out.append(D.get_debug_level().name)                      # the environment is read by set_*_from_env
        D.set_debug_level_from_env()
        out.append(D.get_debug_level().name)
        monkeypatch.delenv("TORCH_DISTRIBUTED_DEBUG")
        D.set_debug_level_from_env()
        out.append(D.get_debug_level().name)
        return out
    same(levels)
    same(lambda T: T.distributed.set_debug_level(1))
    same(lambda T: T.distributed.set_debug_level("INFO"))
    monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "loud")
    same_message(lambda T: T.distributed.set_debug_level_from_env())
    monkeypatch.delenv("TORCH_DISTRIBUTED_DEBUG")
    for lib in (torch, torchlike):
        lib.distributed.set_debug_level_from_env()


def test_record_comm():
    def use(T):
        with T.distributed.record_comm("FSDP::all_gather") as v:
            with T.distributed.record_comm("inner"):
                pass
        return v
    same(use)
    same(lambda T: T.distributed.record_comm(3).__enter__())


# --------------------------------------------------------------------------- distributed, two processes

def test_distributed_breadth_matches_gloo(tmp_path):
    """all_gather_single / reduce_scatter_single values and errors, get_backend_config, split_group and
    shrink_group on gloo, breakpoint when no rank stops, record_comm around a collective: 2 ranks."""
    runs = {}
    for launcher in ("torch", "torchlike"):
        out = tmp_path / launcher
        out.mkdir()
        code, log = launch(launcher, "breadth.py", out)
        assert code == 0, f"{launcher} run failed:\n{log[-4000:]}"
        runs[launcher] = results(out)
    for r in range(2):
        same_results(runs["torch"][r], runs["torchlike"][r], f"rank{r}")
