"""torch.autograd.graph: GradientEdge / get_gradient_edge (also as autograd.grad inputs), increment_version,
register_multi_grad_hook, against PyTorch."""
import pytest

from harness import data, same, same_message


def test_gradient_edge():
    def f(T):
        G = T.autograd.graph
        x = T.tensor(data(3, seed=1), requires_grad=True)
        y = x.sin()
        z = (y * 2).sum()
        ey, ex = G.get_gradient_edge(y), G.get_gradient_edge(x)
        return (type(ey).__name__, ey._fields, type(ey.node).__name__, ey.output_nr, ey.ownership_token,
                type(ex.node).__name__, ex.node is x.grad_fn, isinstance(ey, tuple),
                T.autograd.grad(z, ey, retain_graph=True), T.autograd.grad(z, [ex, ey]))
    same(f)
    same_message(lambda T: T.autograd.graph.get_gradient_edge(T.ones(2)))


def test_increment_version():
    def f(T):
        z = T.ones(2)
        v = [z._version]
        T.autograd.graph.increment_version(z)
        v.append(z._version)
        T.autograd.graph.increment_version([z, z[:1]])
        v.append(z._version)
        return v

    def saved_then_bumped(T):
        x = T.ones(2, requires_grad=True)
        y = x.clone()
        w = y.sin()
        T.autograd.graph.increment_version(y)
        w.sum().backward()
    same(f)
    same(saved_then_bumped)


@pytest.mark.parametrize("mode", ["all", "any"])
def test_register_multi_grad_hook(mode):
    def f(T):
        a, b, c = (T.tensor(data(2, seed=i), requires_grad=True) for i in range(3))
        calls = []

        def hook(g):
            if mode == "all":
                calls.append([None if t is None else t.tolist() for t in g])
            else:
                calls.append(g.tolist())
        h = T.autograd.graph.register_multi_grad_hook((a, b, c), hook, mode=mode)
        (a * 2 + b * 3).sum().backward()
        (c * 5).sum().backward()
        (a * b * c).sum().backward()
        h.remove()
        (a * 2).sum().backward()
        return calls, type(h).__name__
    same(f)
    same_message(lambda T: T.autograd.graph.register_multi_grad_hook((T.ones(1, requires_grad=True),), print,
                                                                     mode="foo"))


def test_autograd_small_names():
    same_message(lambda T: T.autograd.variable(1))

    def f(T):
        with T.autograd.set_multithreading_enabled(False) as r:
            x = T.ones(2, requires_grad=True)
            (x * 3).sum().backward()
        return r, x.grad, type(T.autograd.set_multithreading_enabled(True)).__name__
    same(f)


def test_allow_mutation_on_saved_tensors():
    def f(T):
        with T.autograd.graph.allow_mutation_on_saved_tensors() as ctx:
            p = T.tensor(data(3, seed=1), requires_grad=True)
            q = p.clone()
            r = q.sin() * q
            q.mul_(2)
            r.sum().backward()
            g1 = p.grad.clone()

            class Sq(T.autograd.Function):
                @staticmethod
                def forward(c, x):
                    c.save_for_backward(x)
                    return x * x

                @staticmethod
                def backward(c, g):
                    (x,) = c.saved_tensors
                    return 2 * x * g
            a = T.tensor(data(3, seed=2), requires_grad=True)
            b = a.clone()
            y = Sq.apply(b)
            b.add_(1)
            (ga,) = T.autograd.grad(y.sum(), a)
        return type(ctx).__name__, g1, ga, q

    def outside(T):
        p = T.ones(3, requires_grad=True)
        q = p.clone()
        r = q.sin()
        q.mul_(2)
        r.sum().backward()

    def nested(T):
        with T.autograd.graph.allow_mutation_on_saved_tensors():
            with T.autograd.graph.allow_mutation_on_saved_tensors():
                pass
    same(f)
    same(outside)
    same_message(nested)


def test_a_node_that_saved_its_output_is_freed_with_the_output():
    """``relu``, ``exp``, ``tanh`` and in-place ``exp_`` save their output for backward; the output refers
    to the node as its ``grad_fn``, and PyTorch frees both when the last tensor goes, without the cyclic
    collector: a training step's graph, and the deferred work its nodes keep, goes with its loss.  The
    version check on the saved output still holds (a view written in place fails backward)."""
    import gc
    import weakref

    def f(T):
        out = []
        enabled = gc.isenabled()
        gc.disable()
        try:
            x = T.ones(3, requires_grad=True)
            for make in (lambda: x.relu(), lambda: x.exp(), lambda: x.tanh(), lambda: (x * 1).exp_(),
                         lambda: ((x * 2).sigmoid() * x).sum()):
                y = make()
                r = weakref.ref(y)
                del y
                out.append(r() is None)
            w = T.tensor(data(4, 3, seed=2), requires_grad=True)
            loss = (T.tensor(data(2, 4, seed=3)) @ w).relu().pow(2).mean()
            loss.backward()
            r = weakref.ref(loss)
            del loss
            out.append(r() is None)
        finally:
            if enabled:
                gc.enable()
        return out, w.grad

    def modified_through_a_view(T):
        x = T.ones(3, requires_grad=True)
        y = x.exp()
        v = y[1:]
        z = y.sum()
        del y
        v.mul_(2)
        z.backward()
    same(f)
    same_message(modified_through_a_view)
