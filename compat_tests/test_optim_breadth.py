"""ASGD, Rprop, Adafactor, SparseAdam; the remaining schedulers and torch.optim.swa_utils, against PyTorch."""
import numpy as np
import pytest

from harness import data, same, same_message, same_output
import test_optim
from test_optim import _params, _set_grads, trajectory

OPTIMIZERS = [
    ("asgd", lambda T, ps: T.optim.ASGD(ps)),
    ("asgd_full", lambda T, ps: T.optim.ASGD(ps, lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("asgd_maximize", lambda T, ps: T.optim.ASGD(ps, lr=0.05, t0=0, maximize=True)),
    ("rprop", lambda T, ps: T.optim.Rprop(ps)),
    ("rprop_full", lambda T, ps: T.optim.Rprop(ps, lr=0.05, etas=(0.3, 1.5), step_sizes=(0.01, 0.08))),
    ("rprop_maximize", lambda T, ps: T.optim.Rprop(ps, lr=0.02, maximize=True)),
    ("adafactor", lambda T, ps: T.optim.Adafactor(ps)),
    ("adafactor_full", lambda T, ps: T.optim.Adafactor(ps, lr=0.3, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.5,
                                                        weight_decay=0.1)),
    ("adafactor_maximize", lambda T, ps: T.optim.Adafactor(ps, lr=0.05, maximize=True)),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_trajectory(name, make):
    same(lambda T: trajectory(T, make, steps=8), rtol=2e-6, atol=5e-7)


@pytest.mark.parametrize("name,make", OPTIMIZERS[1::3], ids=[o[0] for o in OPTIMIZERS[1::3]])
def test_groups_and_state_dict_resume(name, make):
    """Two parameter groups; a state_dict loaded into a fresh optimizer continues identically."""
    test_optim.test_more_optimizer_groups_and_state_dict(name, make)


def test_adafactor_higher_rank_and_scalar():
    def f(T):
        ps = [T.nn.Parameter(T.tensor(data(2, 3, 4, seed=1))), T.nn.Parameter(T.tensor(data(seed=2)))]
        opt = T.optim.Adafactor(ps, lr=0.1)
        out = []
        for i in range(4):
            for j, p in enumerate(ps):
                p.grad = T.tensor(data(*p.shape, seed=10 * i + j)) + 0.3 * p.detach()
            opt.step()
            out.append([p.detach().clone() for p in ps])
        return out, opt.state_dict()
    same(f, rtol=2e-6, atol=5e-7)


def test_repr_and_defaults():
    def f(T):
        ps = _params(T)
        for cls in (T.optim.ASGD, T.optim.Rprop, T.optim.Adafactor, T.optim.SparseAdam):
            opt = cls(ps)
            print(opt)
            print(sorted(opt.defaults.items()))
    same_output(f)


def test_sparse_adam_refuses_dense_gradients():
    def f(T):
        ps = _params(T)
        opt = T.optim.SparseAdam(ps)
        _set_grads(T, ps, 0)
        opt.step()
    same_message(f)


@pytest.mark.parametrize("case", [
    lambda T: T.optim.ASGD(_params(T), lr=-1),
    lambda T: T.optim.ASGD(_params(T), weight_decay=-1),
    lambda T: T.optim.Rprop(_params(T), lr=-1),
    lambda T: T.optim.Rprop(_params(T), etas=(1.5, 1.2)),
    lambda T: T.optim.Rprop(_params(T), etas=(0.5, 0.9)),
    lambda T: T.optim.Adafactor(_params(T), lr=-1),
    lambda T: T.optim.Adafactor(_params(T), beta2_decay=0.5),
    lambda T: T.optim.Adafactor(_params(T), eps=(-1, 1e-3)),
    lambda T: T.optim.Adafactor(_params(T), eps=(None, -1)),
    lambda T: T.optim.Adafactor(_params(T), d=0.5),
    lambda T: T.optim.Adafactor(_params(T), weight_decay=-1),
    lambda T: T.optim.SparseAdam(_params(T), lr=-1),
    lambda T: T.optim.SparseAdam(_params(T), betas=(0.9, 1.0)),
])
def test_errors(case):
    same_message(case)
