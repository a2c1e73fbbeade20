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


# ---- schedulers ------------------------------------------------------------------------

SGD_M = ("sgd_momentum", lambda T, ps: T.optim.SGD(ps, lr=0.1, momentum=0.9))
ADAM = ("adam", lambda T, ps: T.optim.Adam(ps, lr=0.1))


class _Halving:
    """A picklable (callable-object) scale function: its __dict__ goes into CyclicLR's state_dict."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, x):
        return self.base ** x


SCHEDULERS = [
    ("cyclic", lambda T, o: T.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("cyclic_triangular2", lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=2, step_size_down=3, mode="triangular2",
        base_momentum=0.7, max_momentum=[0.9, 0.95])),
    ("cyclic_exp_range", lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.2, step_size_up=4, mode="exp_range", gamma=0.9, cycle_momentum=False)),
    ("cyclic_custom", lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.2, step_size_up=2, scale_fn=_Halving(), scale_mode="iterations")),
    ("warm_restarts", lambda T, o: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3)),
    ("warm_restarts_mult", lambda T, o: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2,
                                                                                           eta_min=0.001)),
    ("swalr", lambda T, o: T.optim.swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=5)),
    ("swalr_linear", lambda T, o: T.optim.swa_utils.SWALR(o, swa_lr=[0.05, 0.01], anneal_epochs=3,
                                                           anneal_strategy="linear")),
    ("swalr_no_anneal", lambda T, o: T.optim.swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=0)),
]


def _groups_view(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


@pytest.mark.parametrize("opt_name,make_opt", [SGD_M, ADAM], ids=["sgd", "adam"])
@pytest.mark.parametrize("name,make_sched", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_trajectory(name, make_sched, opt_name, make_opt):
    """Learning rates (and cycled momenta) over 30 steps, exactly; parameters follow them."""
    def f(T):
        ps = _params(T)
        opt = make_opt(T, [{"params": [ps[0]]}, {"params": [ps[1], ps[2]], "lr": 0.03}])
        sched = make_sched(T, opt)
        out = [(sched.get_last_lr(), _groups_view(opt))]
        for i in range(30):
            _set_grads(T, ps, i % 5)
            opt.step()
            sched.step()
            out.append((sched.get_last_lr(), _groups_view(opt)))
        return out, [p.detach() for p in ps]
    same(f, rtol=1e-5, atol=1e-6)


def test_scheduler_lrs_are_exact():
    """The learning rates are the same Python floats, not just close ones."""
    for _, make_sched in SCHEDULERS:
        lrs = []
        for T in (__import__("torch"), __import__("torchlike")):
            ps = _params(T)
            opt = T.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], lr=0.1, momentum=0.9)
            sched = make_sched(T, opt)
            seq = []
            for _ in range(40):
                opt.step()
                sched.step()
                seq.append(sched.get_last_lr())
            lrs.append(seq)
        assert lrs[0] == lrs[1]


def test_warm_restarts_fractional_epochs():
    def f(T):
        opt = T.optim.SGD(_params(T), lr=0.1)
        sched = T.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.01)
        out = []
        for epoch in (0.5, 1.0, 1.7, 2.0, 3.25, 7.9, 8.0, 9.5, 0.2, 26.0, 30.5):
            sched.step(epoch)
            out.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        return out, sched._step_count
    same(f)
    same(lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(T.optim.SGD(_params(T), lr=0.1), 2).step(-1))


def test_scheduler_state_dicts():
    def f(T):
        out = []
        for make in (lambda o: T.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3),
                     lambda o: T.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, scale_fn=_Halving()),
                     lambda o: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, 2),
                     lambda o: T.optim.swa_utils.SWALR(o, 0.05)):
            opt = T.optim.SGD(_params(T), lr=0.1, momentum=0.9)
            s = make(opt)
            for _ in range(4):
                opt.step()
                s.step()
            sd = s.state_dict()
            opt2 = T.optim.SGD(_params(T), lr=0.1, momentum=0.9)
            s2 = make(opt2)
            s2.load_state_dict(sd)
            s2.step()
            s.step()
            out.append((sorted(sd), {k: v for k, v in sd.items() if isinstance(v, (int, float, str, list))},
                        s.get_last_lr(), s2.get_last_lr()))
        return out
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: T.optim.lr_scheduler.CyclicLR(T.optim.Adagrad(_params(T), lr=0.1), 0.01, 0.1),
    lambda T: T.optim.lr_scheduler.CyclicLR(T.optim.SGD(_params(T), lr=0.1, momentum=0.9), 0.01, 0.1, mode="x"),
    lambda T: T.optim.lr_scheduler.CyclicLR(T.optim.SGD(_params(T), lr=0.1, momentum=0.9), [0.01, 0.1], 0.1),
    lambda T: T.optim.lr_scheduler.CyclicLR(object(), 0.01, 0.1),
    lambda T: T.optim.lr_scheduler.OneCycleLR(T.optim.SGD(_params(T), lr=0.1, momentum=0.9), [0.1, 0.2], 10),
    lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(T.optim.SGD(_params(T), lr=0.1), 0),
    lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(T.optim.SGD(_params(T), lr=0.1), 2.0),
    lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(T.optim.SGD(_params(T), lr=0.1), 2, T_mult=0),
    lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(T.optim.SGD(_params(T), lr=0.1), 2, eta_min="0"),
    lambda T: T.optim.swa_utils.SWALR(T.optim.SGD(_params(T), lr=0.1), 0.05, anneal_strategy="exp"),
    lambda T: T.optim.swa_utils.SWALR(T.optim.SGD(_params(T), lr=0.1), 0.05, anneal_epochs=-1),
    lambda T: T.optim.swa_utils.SWALR(T.optim.SGD(_params(T), lr=0.1), [0.05, 0.1]),
    lambda T: T.optim.swa_utils.get_ema_avg_fn(1.5),
    lambda T: T.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
    lambda T: T.optim.swa_utils.AveragedModel(T.nn.Linear(2, 2), avg_fn=lambda a, b, n: a,
                                              multi_avg_fn=lambda a, b, n: None),
])
def test_scheduler_errors(case):
    same_message(case)


# ---- swa_utils ---------------------------------------------------------------------------

def _bn_model(T):
    nn = T.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    m.load_state_dict({k: T.tensor(data(*v.shape, seed=i)) if v.is_floating_point() else v
                       for i, (k, v) in enumerate(m.state_dict().items())})
    return m


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema", "use_buffers"])
def test_averaged_model(kind):
    def f(T):
        su = T.optim.swa_utils
        m = _bn_model(T)
        kw = {"swa": {}, "ema_multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
              "ema": {"avg_fn": su.get_ema_avg_fn(0.8)}, "use_buffers": {"use_buffers": True}}[kind]
        avg = su.AveragedModel(m, **kw)
        opt = T.optim.SGD(m.parameters(), lr=0.02)
        x = T.tensor(data(6, 3, seed=9))
        out = []
        for i in range(4):
            opt.zero_grad()
            m(x).tanh().sum().backward()
            opt.step()
            avg.update_parameters(m)
            out.append((avg.n_averaged.clone(), [p.detach().clone() for p in avg.parameters()],
                        [b.clone() for b in avg.module.buffers()]))
        return out, list(avg.state_dict()), avg(x).detach(), [p.requires_grad for p in avg.parameters()]
    same(f, rtol=1e-5, atol=1e-6)


def test_averaged_model_repr_and_int_buffers():
    def f(T):
        print(T.optim.swa_utils.AveragedModel(_bn_model(T)))
        fn = T.optim.swa_utils.get_swa_multi_avg_fn()
        a, c = [T.tensor([0, 4, 9])], [T.tensor([6, 8, 3])]
        fn(a, c, 2)
        print(a)
        a2 = [T.tensor([0.0, 4.0, 9.0])]
        fn(a2, [T.tensor([6.0, 8.0, 3.0])], T.tensor(2))
        print(a2)
        e = [T.tensor([1.0, 2.0])]
        T.optim.swa_utils.get_ema_multi_avg_fn(0.5)(e, [T.tensor([3.0, -2.0])], 0)
        print(e, T.optim.swa_utils.get_swa_avg_fn()(T.tensor([1.0]), T.tensor([4.0]), 2))
    same_output(f)


@pytest.mark.parametrize("n", [2, "tensor"])
def test_swa_multi_avg_fn_integer_lists(n):
    def f(T):
        fn = T.optim.swa_utils.get_swa_multi_avg_fn()
        fn([T.tensor([0, 4, 9])], [T.tensor([6, 8, 3])], T.tensor(2) if n == "tensor" else n)
    same(f)
    if n != "tensor":   # (addcdiv's integer message differs from PyTorch's by a doubled space)
        same_message(f)


def test_update_bn():
    def f(T):
        m = _bn_model(T)
        m.eval()
        loader = [(T.tensor(data(5, 3, seed=20 + i)), T.tensor([0, 1, 0, 1, 1])) for i in range(3)]
        T.optim.swa_utils.update_bn(loader, m)
        bn = m[1]
        stats = (bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum, m.training)
        T.optim.swa_utils.update_bn([T.tensor(data(4, 3, seed=30))], m)
        T.optim.swa_utils.update_bn([T.tensor(data(4, 3, seed=30))], T.nn.Linear(3, 1))
        return stats, bn.running_mean, bn.running_var
    same(f, rtol=1e-5, atol=1e-6)
