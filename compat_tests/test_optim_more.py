"""torch.optim.Muon against PyTorch: updates (bfloat16 Newton-Schulz), state, options, errors."""
import pytest

from harness import data, same, same_message


@pytest.mark.parametrize("kw", [{}, dict(nesterov=False), dict(adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
                                dict(adjust_lr_fn="original", momentum=0.5, ns_steps=3),
                                dict(ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3)],
                         ids=["default", "no_nesterov", "match_rms_adamw", "original", "coefficients"])
def test_muon_steps(kw):
    def f(T):
        p = T.nn.Parameter(T.tensor(data(4, 6, seed=1)))
        q = T.nn.Parameter(T.tensor(data(5, 3, seed=2)))
        o = T.optim.Muon([p, q], lr=0.02, **kw)
        out = []
        for i in range(3):
            p.grad = T.tensor(data(4, 6, seed=10 + i))
            q.grad = T.tensor(data(5, 3, seed=20 + i))
            o.step()
            out.append((p.detach().clone(), q.detach().clone()))
        return out, o.state[p]["momentum_buffer"], list(o.state[q]), o.defaults, repr(o)
    same(f, rtol=1e-5, atol=1e-6)


def test_muon_training_and_state_dict():
    def f(T):
        m = T.nn.Linear(6, 4, bias=False)
        m.weight.data = T.tensor(data(4, 6, seed=3))
        o = T.optim.Muon(m.parameters(), lr=0.05)
        x, y = T.tensor(data(8, 6, seed=4)), T.tensor(data(8, 4, seed=5))
        losses = []
        for _ in range(3):
            o.zero_grad()
            loss = T.nn.functional.mse_loss(m(x), y)
            loss.backward()
            o.step()
            losses.append(loss.item())
        sd = o.state_dict()
        o2 = T.optim.Muon(m.parameters(), lr=0.05)
        o2.load_state_dict(sd)
        return losses, m.weight, sd["param_groups"], o2.state_dict()["state"]
    same(f, rtol=1e-5, atol=1e-6)


def test_muon_errors():
    P = lambda T, *s: [T.nn.Parameter(T.ones(*s))]  # noqa: E731
    same_message(lambda T: T.optim.Muon(P(T, 3, 5), lr=-1))
    same_message(lambda T: T.optim.Muon(P(T, 3, 5), weight_decay=-1))
    same_message(lambda T: T.optim.Muon(P(T, 3, 5), momentum=-1))
    same_message(lambda T: T.optim.Muon(P(T, 3, 5), adjust_lr_fn="foo"))
    same_message(lambda T: T.optim.Muon(P(T, 3)))
    same_message(lambda T: T.optim.Muon(P(T, 3, 2, 2)))


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_swap_in_optimizer_params_and_state(opt):
    def f(T):
        m = T.nn.Linear(2, 2)
        m.weight.data, m.bias.data = T.tensor(data(2, 2, seed=1)), T.tensor(data(2, seed=2))
        o = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) if opt == "SGD" else T.optim.Adam(m.parameters(),
                                                                                                lr=0.1)
        m(T.tensor(data(1, 2, seed=3))).sum().backward()
        o.step()
        params = {n: p.detach().clone() for n, p in m.named_parameters()}
        for i, p in enumerate(params.values()):
            p.grad = T.tensor(data(*p.shape, seed=10 + i))
        sd = o.state_dict()
        osd = {"state": {k: {kk: vv.clone() for kk, vv in v.items()} for k, v in sd["state"].items()},
               "param_groups": [dict(g, lr=0.5) for g in sd["param_groups"]]}
        live = (m.weight.detach().clone(), o.param_groups[0]["lr"])
        with T.optim.swap_in_optimizer_params_and_state(o, params, osd):
            inside = (o.param_groups[0]["params"][0] is params["weight"], o.param_groups[0]["lr"], len(o.state))
            o.step()
        after = (T.equal(m.weight, live[0]), o.param_groups[0]["lr"], o.param_groups[0]["params"][0] is m.weight)
        return inside, after, params, osd["state"], o.state_dict()["state"]
    same(f, rtol=1e-5, atol=1e-6)


def test_swap_in_errors():
    def setup(T):
        m = T.nn.Linear(2, 2)
        o = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.5)
        m(T.ones(1, 2)).sum().backward()
        o.step()
        return m, o, {n: p.detach().clone() for n, p in m.named_parameters()}, o.state_dict()

    def uninitialized(T):
        m = T.nn.Linear(2, 2)
        o = T.optim.SGD(m.parameters(), lr=0.1)
        with T.optim.swap_in_optimizer_params_and_state(o, dict(m.named_parameters()), o.state_dict()):
            pass

    def fewer(T):
        m, o, params, sd = setup(T)
        with T.optim.swap_in_optimizer_params_and_state(o, {"weight": params["weight"]}, sd):
            pass

    def groups(T):
        m, o, params, sd = setup(T)
        with T.optim.swap_in_optimizer_params_and_state(o, params, {"state": {}, "param_groups": []}):
            pass
    same_message(uninitialized)
    same_message(fewer)
    same_message(groups)
