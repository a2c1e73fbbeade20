"""torch.optim and lr_scheduler: parameter trajectories against PyTorch.

Each case builds the same parameters in both libraries, computes gradients of
the same loss (so each step's gradient depends on the current parameters), and
compares the parameters after every step, the optimizer state and the
learning rates.
"""
import numpy as np
import pytest

from harness import data, same, same_output

STEPS = 5


def _params(T, requires_grad=True):
    return [T.nn.Parameter(T.tensor(data(3, 4, seed=1))), T.nn.Parameter(T.tensor(data(4, seed=2))),
            T.nn.Parameter(T.tensor(data(2, seed=3)))]


def _loss(T, ps):
    w, b, unused = ps
    x = T.tensor(data(5, 3, seed=4))
    y = T.tanh(x @ w + b)
    return (y * y).sum() + 0.05 * (w * w).sum() + 0.1 * b.abs().sum()


def _set_grads(T, ps, step):
    """The same gradient in both libraries: fixed data plus a term in the current parameter values
    (elementwise float32 arithmetic, bit-identical in both), so the state sees parameter-dependent input."""
    for i, p in enumerate(ps[:2]):
        p.grad = T.tensor(data(*p.shape, seed=50 + 10 * step + i)) + 0.2 * p.detach()


def trajectory(T, make_opt, steps=STEPS, make_sched=None, sched_metric=None, groups=False):
    ps = _params(T)
    if groups:
        opt = make_opt(T, [{"params": [ps[0]]}, {"params": [ps[1], ps[2]], "lr": 0.03}])
    else:
        opt = make_opt(T, ps)
    sched = make_sched(T, opt) if make_sched else None
    history, lrs = [], []
    for i in range(steps):
        opt.zero_grad()
        _set_grads(T, ps, i)
        opt.step()
        if sched is not None:
            if sched_metric is not None:
                sched.step(sched_metric[i])
            else:
                sched.step()
            lrs.append(sched.get_last_lr())
        history.append([p.detach().clone() for p in ps])
    sd = opt.state_dict()
    state = {k: {n: v for n, v in s.items()} for k, s in sd["state"].items()}
    groups_ = [{k: v for k, v in g.items()} for g in sd["param_groups"]]
    return history, state, groups_, lrs, [p._version > 0 for p in ps]


OPTIMIZERS = [
    ("sgd", lambda T, ps: T.optim.SGD(ps, lr=0.1)),
    ("sgd_momentum", lambda T, ps: T.optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("sgd_dampening_wd", lambda T, ps: T.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("sgd_nesterov_maximize", lambda T, ps: T.optim.SGD(ps, lr=0.05, momentum=0.5, nesterov=True, maximize=True)),
    ("adam", lambda T, ps: T.optim.Adam(ps, lr=0.1)),
    ("adam_wd_amsgrad", lambda T, ps: T.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                                                   amsgrad=True)),
    ("adam_maximize", lambda T, ps: T.optim.Adam(ps, lr=0.01, maximize=True)),
    ("adamw", lambda T, ps: T.optim.AdamW(ps, lr=0.1)),
    ("adamw_amsgrad", lambda T, ps: T.optim.AdamW(ps, lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("rmsprop", lambda T, ps: T.optim.RMSprop(ps, lr=0.01)),
    ("rmsprop_full", lambda T, ps: T.optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                                    weight_decay=0.1)),
    ("rmsprop_maximize", lambda T, ps: T.optim.RMSprop(ps, lr=0.01, momentum=0.2, maximize=True)),
    ("adagrad", lambda T, ps: T.optim.Adagrad(ps, lr=0.1)),
    ("adagrad_full", lambda T, ps: T.optim.Adagrad(ps, lr=0.1, lr_decay=0.1, weight_decay=0.05,
                                                    initial_accumulator_value=0.2, eps=1e-6)),
    ("adagrad_maximize", lambda T, ps: T.optim.Adagrad(ps, lr=0.1, maximize=True)),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_trajectory(name, make):
    same(lambda T: trajectory(T, make), rtol=2e-6, atol=5e-7)


@pytest.mark.parametrize("name,make", [OPTIMIZERS[1], OPTIMIZERS[5], OPTIMIZERS[10]],
                         ids=["sgd", "adam", "rmsprop"])
def test_param_groups_trajectory(name, make):
    same(lambda T: trajectory(T, make, groups=True), rtol=2e-6, atol=5e-7)


SCHEDULERS = [
    ("step", lambda T, o: T.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), None),
    ("multistep", lambda T, o: T.optim.lr_scheduler.MultiStepLR(o, milestones=[1, 3, 3, 6], gamma=0.3), None),
    ("exponential", lambda T, o: T.optim.lr_scheduler.ExponentialLR(o, gamma=0.8), None),
    ("cosine", lambda T, o: T.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01), None),
    ("lambda", lambda T, o: T.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (e + 1)), None),
    ("linear", lambda T, o: T.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4), None),
    ("constant", lambda T, o: T.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3), None),
    ("polynomial", lambda T, o: T.optim.lr_scheduler.PolynomialLR(o, total_iters=6, power=2.0), None),
    ("onecycle", lambda T, o: T.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=12), None),
    ("onecycle_3phase_linear", lambda T, o: T.optim.lr_scheduler.OneCycleLR(
        o, max_lr=[0.5, 0.2], total_steps=12, three_phase=True, anneal_strategy="linear"), None),
    ("plateau", lambda T, o: T.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5),
     [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]),
    ("plateau_max_abs_cooldown", lambda T, o: T.optim.lr_scheduler.ReduceLROnPlateau(
        o, mode="max", patience=0, threshold=0.05, threshold_mode="abs", cooldown=2, min_lr=0.02),
     [1.0, 1.01, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]),
    ("sequential", lambda T, o: T.optim.lr_scheduler.SequentialLR(o, [
        T.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=3),
        T.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[3]), None),
]


@pytest.mark.parametrize("opt_name,make_opt", [
    ("sgd_momentum", lambda T, ps: T.optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("adam", lambda T, ps: T.optim.Adam(ps, lr=0.1)),
], ids=["sgd", "adam"])
@pytest.mark.parametrize("name,make_sched,metric", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler(name, make_sched, metric, opt_name, make_opt):
    def f(T):
        return trajectory(T, make_opt, steps=12, make_sched=make_sched, sched_metric=metric,
                          groups=name.startswith("onecycle"))
    same(f, rtol=2e-6, atol=5e-7)


def test_scheduler_initial_state_and_state_dict():
    def f(T):
        ps = _params(T)
        opt = T.optim.SGD(ps, lr=0.2, momentum=0.9)
        s = T.optim.lr_scheduler.StepLR(opt, 3, gamma=0.1)
        first = (s.get_last_lr(), s.last_epoch, opt.param_groups[0]["initial_lr"], s.base_lrs)
        for _ in range(4):
            opt.step()
            s.step()
        sd = s.state_dict()
        s2 = T.optim.lr_scheduler.StepLR(T.optim.SGD(_params(T), lr=0.2), 3, gamma=0.1)
        s2.load_state_dict(sd)
        return first, sorted(sd.keys()), sd["last_epoch"], sd["_last_lr"], s2.last_epoch, s2.get_last_lr()
    same(f)
    same(lambda T: T.optim.lr_scheduler.StepLR(T.optim.SGD(_params(T), lr=0.1), 2, last_epoch=3))
    same(lambda T: T.optim.lr_scheduler.OneCycleLR(T.optim.Adagrad(_params(T)), max_lr=0.1, total_steps=3))
    same(lambda T: T.optim.lr_scheduler.OneCycleLR(T.optim.SGD(_params(T), lr=0.1), max_lr=0.1))


def test_onecycle_past_the_end_raises():
    def f(T):
        opt = T.optim.SGD(_params(T), lr=0.1, momentum=0.9)
        s = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=3)
        for _ in range(4):
            s.step()
    same(f)


# ---- optimizer API -----------------------------------------------------------------

def test_state_dict_roundtrip_continues_identically():
    def f(T):
        ps = _params(T)
        opt = T.optim.Adam(ps, lr=0.05, amsgrad=True)
        for _ in range(3):
            opt.zero_grad()
            _loss(T, ps).backward()
            opt.step()
        sd = opt.state_dict()
        qs = [T.nn.Parameter(p.detach().clone()) for p in ps]
        opt2 = T.optim.Adam(qs, lr=0.9)
        opt2.load_state_dict(sd)
        for _ in range(2):
            opt2.zero_grad()
            _loss(T, qs).backward()
            opt2.step()
        return [q.detach() for q in qs], opt2.param_groups[0]["lr"], sorted(opt2.state_dict()["state"].keys())
    same(f, rtol=1e-5, atol=1e-6)


def test_state_dict_layout():
    def f(T):
        ps = _params(T)
        opt = T.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
        _loss(T, ps).backward()
        opt.step()
        sd = opt.state_dict()
        return list(sd.keys()), sd["param_groups"], {k: sorted(v) for k, v in sd["state"].items()}
    same(f)


def test_repr():
    def f(T):
        ps = _params(T)
        print(T.optim.SGD(ps, lr=0.1))
        print(T.optim.Adam([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}]))
        print(T.optim.AdamW(ps, amsgrad=True))
        print(T.optim.RMSprop(ps, centered=True))
        print(T.optim.Adagrad(ps))
    same_output(f)


def test_zero_grad_closure_and_skipped_params():
    def f(T):
        ps = _params(T)
        opt = T.optim.SGD(ps, lr=0.1, momentum=0.9)

        def closure():
            opt.zero_grad()
            loss = _loss(T, ps)
            loss.backward()
            return loss
        loss = opt.step(closure)
        unused_grad = ps[2].grad
        states = {k: sorted(v) for k, v in opt.state_dict()["state"].items()}
        opt.zero_grad(set_to_none=False)
        zeroed = [p.grad for p in ps]
        opt.zero_grad()
        return loss, unused_grad, states, zeroed, [p.grad for p in ps], ps[2]
    same(f)


def test_add_param_group_and_defaults():
    def f(T):
        ps = _params(T)
        opt = T.optim.Adam(ps[:2], lr=0.01)
        opt.add_param_group({"params": ps[2], "betas": (0.5, 0.6)})
        return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups], opt.defaults
    same(f)


@pytest.mark.parametrize("case", [
    lambda T: T.optim.SGD([], lr=0.1),
    lambda T: T.optim.SGD(_params(T)[0], lr=0.1),
    lambda T: T.optim.SGD(_params(T), lr=-1),
    lambda T: T.optim.SGD(_params(T), lr=0.1, momentum=-0.5),
    lambda T: T.optim.SGD(_params(T), lr=0.1, nesterov=True),
    lambda T: T.optim.Adam(_params(T), betas=(1.0, 0.9)),
    lambda T: T.optim.Adam(_params(T), eps=-1),
    lambda T: T.optim.AdamW(_params(T), weight_decay=-0.1),
    lambda T: T.optim.RMSprop(_params(T), alpha=-1),
    lambda T: T.optim.Adagrad(_params(T), lr_decay=-1),
    lambda T: T.optim.SGD([_params(T)[0] * 2], lr=0.1),
    lambda T: T.optim.SGD([1.0], lr=0.1),
    lambda T: T.optim.SGD([{"params": set(_params(T))}], lr=0.1),
    lambda T: (lambda ps: T.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1))(_params(T)),
    lambda T: (lambda ps: T.optim.SGD([{"params": ps}, {"params": ps[:1]}], lr=0.1))(_params(T)),
    lambda T: T.optim.SGD(_params(T), lr=0.1).load_state_dict({"state": {}, "param_groups": []}),
    lambda T: T.optim.lr_scheduler.StepLR(object(), 2),
    lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(T.optim.SGD(_params(T), lr=0.1), factor=2.0),
])
def test_optimizer_errors(case):
    same(lambda T: type(case(T)).__name__)


def test_inplace_update_semantics():
    def f(T):
        p = T.nn.Parameter(T.tensor(data(4, seed=1)))
        view_before = p.detach()
        v0 = p._version
        opt = T.optim.Adam([p], lr=0.1)
        p.grad = T.tensor(data(4, seed=2))
        opt.step()
        return p.is_leaf, p.requires_grad, p._version - v0 > 0, view_before, p.detach()
    same(f)


def test_training_loop_model():
    """A small model trained end to end: losses and final weights agree."""
    def f(T):
        nn = T.nn
        m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        sd = {k: T.tensor(data(*v.shape, seed=i, low=-0.5, high=0.5)) for i, (k, v) in enumerate(m.state_dict().items())}
        m.load_state_dict(sd)
        opt = T.optim.AdamW(m.parameters(), lr=0.05)
        sched = T.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)
        x = T.tensor(data(16, 4, seed=20))
        y = T.tensor(np.arange(16) % 3)
        losses = []
        for _ in range(8):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(x), y)
            loss.backward()
            T.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        return losses, [p.detach() for p in m.parameters()]
    same(f, rtol=1e-4, atol=1e-5)


def test_example_train_classifier(tmp_path):
    """examples/train_classifier.py trains on both libraries: the same code, comparable losses."""
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                        "train_classifier.py")
    spec = importlib.util.spec_from_file_location("train_classifier", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    args = ["--epochs", "2", "--train-size", "384", "--batch-size", "64", "--lr", "0.02"]
    ours, our_acc = mod.main(args + ["--out-dir", str(tmp_path / "a")])
    theirs, their_acc = mod.main(args + ["--out-dir", str(tmp_path / "b"), "--backend", "torch"])
    assert (tmp_path / "a" / "train_classifier_loss.png").stat().st_size > 1000
    # the checkpoint torchlike wrote opens in PyTorch with the same weights
    import torch
    import torchlike
    theirs_state = torch.load(tmp_path / "a" / "train_classifier.pt")
    ours_state = torchlike.load(tmp_path / "a" / "train_classifier.pt")
    assert list(theirs_state["model"]) == list(ours_state["model"])
    for k, v in theirs_state["model"].items():
        np.testing.assert_array_equal(v.numpy(), ours_state["model"][k].numpy())
    assert theirs_state["optimizer"]["param_groups"][0]["lr"] == ours_state["optimizer"]["param_groups"][0]["lr"]
    # shuffling and dropout draw from different generators, so the curves agree only roughly
    np.testing.assert_allclose(ours, theirs, rtol=0.3)
    assert ours[-1] < ours[0] and theirs[-1] < theirs[0]


# ---- Adadelta, Adamax, NAdam, RAdam ---------------------------------------------------

MORE_OPTIMIZERS = [
    ("adadelta", lambda T, ps: T.optim.Adadelta(ps)),
    ("adadelta_full", lambda T, ps: T.optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("adadelta_maximize", lambda T, ps: T.optim.Adadelta(ps, lr=0.3, maximize=True)),
    ("adamax", lambda T, ps: T.optim.Adamax(ps, lr=0.05)),
    ("adamax_full", lambda T, ps: T.optim.Adamax(ps, lr=0.05, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.2)),
    ("adamax_maximize", lambda T, ps: T.optim.Adamax(ps, lr=0.05, maximize=True)),
    ("nadam", lambda T, ps: T.optim.NAdam(ps, lr=0.05)),
    ("nadam_full", lambda T, ps: T.optim.NAdam(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1,
                                                momentum_decay=0.01)),
    ("nadam_decoupled_maximize", lambda T, ps: T.optim.NAdam(ps, lr=0.05, weight_decay=0.1,
                                                              decoupled_weight_decay=True, maximize=True)),
    ("radam", lambda T, ps: T.optim.RAdam(ps, lr=0.05)),
    # rho_t exceeds 5 from step 6 or 7 on (for these betas[1]): both branches of the rectification run
    ("radam_rectified", lambda T, ps: T.optim.RAdam(ps, lr=0.05, betas=(0.9, 0.9), weight_decay=0.1)),
    ("radam_decoupled_maximize", lambda T, ps: T.optim.RAdam(ps, lr=0.05, betas=(0.8, 0.8), weight_decay=0.1,
                                                              decoupled_weight_decay=True, maximize=True)),
]


@pytest.mark.parametrize("name,make", MORE_OPTIMIZERS, ids=[o[0] for o in MORE_OPTIMIZERS])
def test_more_optimizer_trajectory(name, make):
    same(lambda T: trajectory(T, make, steps=8), rtol=2e-6, atol=5e-7)


@pytest.mark.parametrize("name,make", MORE_OPTIMIZERS[1::3], ids=[o[0] for o in MORE_OPTIMIZERS[1::3]])
def test_more_optimizer_groups_and_state_dict(name, make):
    same(lambda T: trajectory(T, make, groups=True), rtol=2e-6, atol=5e-7)

    def resume(T):
        ps = _params(T)
        opt = make(T, ps)
        for i in range(3):
            _set_grads(T, ps, i)
            opt.step()
        qs = [T.nn.Parameter(p.detach().clone()) for p in ps]
        opt2 = make(T, qs)
        opt2.load_state_dict(opt.state_dict())
        for i in range(3, 6):
            _set_grads(T, qs, i)
            opt2.step()
        return [q.detach() for q in qs], opt2.state_dict()
    same(resume, rtol=2e-6, atol=5e-7)


def test_add_param_group_trajectory():
    """A group added after some steps starts its own state; both groups keep stepping as in PyTorch."""
    def f(T):
        ps = _params(T)
        opt = T.optim.NAdam(ps[:1], lr=0.05)
        out = []
        for i in range(4):
            if i == 2:
                opt.add_param_group({"params": ps[1:], "lr": 0.1, "betas": (0.5, 0.7)})
            _set_grads(T, ps, i)
            opt.step()
            out.append([p.detach().clone() for p in ps])
        return out, opt.state_dict()
    same(f, rtol=2e-6, atol=5e-7)


def test_more_optimizers_repr_and_defaults():
    def f(T):
        ps = _params(T)
        for cls in (T.optim.Adadelta, T.optim.Adamax, T.optim.NAdam, T.optim.RAdam):
            opt = cls(ps)
            print(opt)
            print(sorted(opt.defaults.items()))
    same_output(f)


@pytest.mark.parametrize("case", [
    lambda T: T.optim.Adadelta(_params(T), rho=1.5),
    lambda T: T.optim.Adadelta(_params(T), lr=-1),
    lambda T: T.optim.Adadelta(_params(T), eps=-1),
    lambda T: T.optim.Adamax(_params(T), betas=(0.9, 1.0)),
    lambda T: T.optim.Adamax(_params(T), weight_decay=-1),
    lambda T: T.optim.NAdam(_params(T), momentum_decay=-1),
    lambda T: T.optim.NAdam(_params(T), betas=(-0.1, 0.9)),
    lambda T: T.optim.RAdam(_params(T), eps=-1),
    lambda T: T.optim.RAdam(_params(T), lr=-0.1),
])
def test_more_optimizer_errors(case):
    same(lambda T: type(case(T)).__name__)


# ---- LBFGS ----------------------------------------------------------------------------

def _lbfgs_problem(T):
    """A small, well-conditioned least-squares problem with a quartic penalty (not quadratic, so the
    curvature pairs change).  L-BFGS amplifies one-ulp differences in the gradients (XLA's and
    PyTorch's reductions round differently) on ill-conditioned problems; here they stay tiny."""
    w = T.nn.Parameter(T.tensor(data(3, 2, seed=11)))
    b = T.nn.Parameter(T.tensor(data(2, seed=12)))
    x = T.tensor(data(6, 3, seed=13))
    y = T.tensor(data(6, 2, seed=14))

    def loss_fn():
        r = x @ w + b - y
        return (r * r).mean() + 0.05 * (w * w).sum() + 0.01 * (w ** 4).sum()
    return [w, b], loss_fn


# few iterations: near the minimum the stopping tests compare float32 noise, which differs
LBFGS_CASES = [
    ("default", dict(max_iter=4)),
    ("strong_wolfe", dict(line_search_fn="strong_wolfe", max_iter=4)),
    ("short_history_lr", dict(lr=0.5, history_size=2, max_iter=5)),
    ("wolfe_short_history", dict(line_search_fn="strong_wolfe", history_size=2, max_iter=5, max_eval=6)),
    ("tolerance_stop", dict(tolerance_change=1e-2, tolerance_grad=1e-3)),
    ("wolfe_zoom", dict(line_search_fn="strong_wolfe", lr=10, max_iter=4)),          # steps too long: zoom
    # steps too short: the search extrapolates.  One step only: in the next one a cubic's discriminant
    # cancels to a few ulps of the loss, so the two libraries' last-bit rounding picks different branches
    ("wolfe_extrapolate", dict(line_search_fn="strong_wolfe", lr=0.01, max_iter=4, steps=1)),
]


@pytest.fixture
def ops_at_call():
    """Every op runs at its call (no deferral, torchlike/_lazy.py).  The strong-Wolfe line search
    picks branches on differences of a few ulps; deferred ops run fused in one XLA program, where a
    multiply feeding an add may become one fused multiply-add (docs/differences.md), which moves a
    loss by one ulp.  PyTorch rounds op by op, and so does torchlike without deferral."""
    from torchlike import _lazy
    old = _lazy.ENABLED[0]
    _lazy.ENABLED[0] = False
    yield
    _lazy.ENABLED[0] = old


@pytest.mark.parametrize("name,kw", LBFGS_CASES, ids=[c[0] for c in LBFGS_CASES])
def test_lbfgs_trajectory(name, kw, ops_at_call):
    kw = dict(kw)
    steps = kw.pop("steps", 2)

    def f(T):
        ps, loss_fn = _lbfgs_problem(T)
        opt = T.optim.LBFGS(ps, **kw)
        calls = [0]

        def closure():
            calls[0] += 1
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        out = []
        for _ in range(steps):
            loss = opt.step(closure)
            out.append((loss.detach(), [p.detach().clone() for p in ps], calls[0]))
        st = opt.state[ps[0]]
        return out, st["func_evals"], st["n_iter"], len(st["old_dirs"]), st["d"], sorted(st)
    same(f, rtol=2e-5, atol=1e-5)


def test_lbfgs_state_dict_and_errors():
    def f(T):
        ps, loss_fn = _lbfgs_problem(T)
        opt = T.optim.LBFGS(ps, history_size=5)

        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        opt.step(closure)
        sd = opt.state_dict()
        return sd["param_groups"], sorted(sd["state"][0]), opt.defaults
    same(f, rtol=2e-5, atol=1e-6)
    same(lambda T: T.optim.LBFGS([{"params": _params(T)[:1]}, {"params": _params(T)[1:]}]))
    same(lambda T: T.optim.LBFGS(_params(T), lr=-1))
    same_output(lambda T: print(T.optim.LBFGS(_params(T))))


def test_lbfgs_converged_returns_immediately():
    def f(T):
        p = T.nn.Parameter(T.zeros(3))

        def closure():
            p.grad = T.zeros(3)
            return (p * p).sum()
        opt = T.optim.LBFGS([p])
        loss = opt.step(closure)
        return loss, p.detach(), dict(opt.state[p])
    same(f)
