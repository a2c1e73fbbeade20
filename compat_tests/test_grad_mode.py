"""Grad modes against PyTorch: no_grad, enable_grad, set_grad_enabled, inference_mode.

As context managers, as decorators of functions and generators, nested,
thread-local, and what tensors made under each mode look like.
"""
import threading

import numpy as np
import pytest

from harness import data, same

X = data(3, seed=1)


def leaf(T):
    return T.tensor(X, requires_grad=True)


def state(T):
    return T.is_grad_enabled(), T.is_inference_mode_enabled()


# ---- context managers -----------------------------------------------------------

def test_no_grad_context():
    def f(T):
        x = leaf(T)
        with T.no_grad():
            inside = state(T)
            y = x * 2
            z = x.sin().sum()
        return inside, state(T), y, z, y.requires_grad, y.grad_fn, y.is_leaf, (x * 2).grad_fn.name()
    same(f)


def test_no_grad_enter_returns_none():
    def f(T):
        with T.no_grad() as a, T.enable_grad() as b, T.set_grad_enabled(False) as c:
            return a, b, c
    same(f)


def test_enable_grad_inside_no_grad():
    def f(T):
        x = leaf(T)
        with T.no_grad():
            with T.enable_grad():
                inner = state(T)
                y = x * 2
            after = state(T)
            z = x * 3
        return inner, after, state(T), y, z
    same(f)


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_function_call(mode):
    def f(T):
        x = leaf(T)
        prev = T.is_grad_enabled()
        try:
            T.set_grad_enabled(mode)
            inside = T.is_grad_enabled()
            y = x * 2
        finally:
            T.set_grad_enabled(prev)
        return inside, T.is_grad_enabled(), y
    same(f)


def test_set_grad_enabled_call_then_context():
    def f(T):
        x = leaf(T)
        with T.set_grad_enabled(False):
            a = (state(T), x * 2)
            with T.set_grad_enabled(True):
                b = (state(T), x * 2)
            c = state(T)
        return a, b, c, state(T)
    same(f)


def test_set_grad_enabled_object_applies_immediately():
    def f(T):
        mgr = T.set_grad_enabled(False)
        during = T.is_grad_enabled()
        with mgr:
            inside = T.is_grad_enabled()
        return during, inside, T.is_grad_enabled()
    same(f)


def test_set_grad_enabled_rejects_non_bool():
    same(lambda T: T.set_grad_enabled("yes"))
    same(lambda T: T.set_grad_enabled(None))


def test_no_grad_exception_restores():
    def f(T):
        try:
            with T.no_grad():
                raise KeyError("boom")
        except KeyError:
            pass
        return state(T)
    same(f)


def test_nesting_deep():
    def f(T):
        log = []
        with T.no_grad():
            log.append(state(T))
            with T.enable_grad():
                log.append(state(T))
                with T.inference_mode():
                    log.append(state(T))
                    with T.inference_mode(False):
                        log.append(state(T))
                        with T.enable_grad():
                            log.append(state(T))
                    log.append(state(T))
                log.append(state(T))
            log.append(state(T))
        log.append(state(T))
        return log
    same(f)


def test_inference_mode_context():
    def f(T):
        x = leaf(T)
        with T.inference_mode():
            y = x * 2
            inside = state(T)
            inf = y.is_inference()
        return inside, state(T), y, inf, x.is_inference(), y.requires_grad
    same(f)


def test_inference_mode_false():
    def f(T):
        x = leaf(T)
        with T.inference_mode(False):
            a = (state(T), x * 2)
        with T.inference_mode(mode=False):
            b = state(T)
        with T.no_grad():
            with T.inference_mode(False):
                c = (state(T), x * 2)
        return a, b, c
    same(f)


def test_inference_tensor_cannot_join_autograd():
    def f(T):
        with T.inference_mode():
            y = T.ones(3)
        w = leaf(T)
        return (w * y).sum()
    same(f)


# ---- decorators -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["no_grad()", "no_grad", "enable_grad()", "enable_grad", "set_grad_enabled(False)",
                                  "set_grad_enabled(True)", "inference_mode()", "inference_mode",
                                  "inference_mode(False)"])
def test_decorator_on_function(kind):
    def f(T):
        deco = eval("T." + kind, {"T": T})

        @deco
        def g(x, k=1):
            """doc"""
            return state(T), x * k

        x = leaf(T)
        outer = []
        with T.no_grad():
            outer.append(g(x, k=2))
        outer.append(g(x))
        return outer, state(T), g.__name__, g.__doc__
    same(f)


def test_set_grad_enabled_decorator_does_not_leak():
    def f(T):
        before = T.is_grad_enabled()

        @T.set_grad_enabled(False)
        def g():
            return T.is_grad_enabled()
        after_decoration = T.is_grad_enabled()
        return before, after_decoration, g(), T.is_grad_enabled()
    same(f)


@pytest.mark.parametrize("kind", ["no_grad()", "enable_grad()", "set_grad_enabled(False)", "inference_mode()",
                                  "no_grad"])
def test_decorator_on_generator(kind):
    def f(T):
        deco = eval("T." + kind, {"T": T})

        @deco
        def gen(x):
            for i in range(3):
                got = yield state(T), x * i
                yield ("sent", got, state(T))

        x = leaf(T)
        log = []
        with T.no_grad():
            g = gen(x)
            log.append(next(g))
            log.append(state(T))
        log.append(g.send("hi"))
        log.append(state(T))
        log.append(next(g))
        log.append(state(T))
        rest = list(g)
        log.append(state(T))
        return log, rest
    same(f)


def test_generator_close_and_throw():
    def f(T):
        log = []

        @T.no_grad()
        def gen():
            try:
                yield 1
                yield 2
            except ValueError:
                log.append(("caught", state(T)))
                yield 3
            finally:
                log.append(("finally", state(T)))

        g = gen()
        next(g)
        log.append(g.throw(ValueError("x")))
        log.append(state(T))
        g.close()
        log.append(state(T))
        return log
    same(f)


def test_generator_return_value():
    def f(T):
        @T.no_grad()
        def gen():
            yield 1
            return "done"

        g = gen()
        next(g)
        try:
            next(g)
        except StopIteration as e:
            return e.value, state(T)
    same(f)


def test_decorator_on_class_constructs_under_mode():
    def f(T):
        @T.no_grad()
        class A:
            def __init__(self, v):
                self.v = v
                self.mode = state(T)
        a = A(3)
        return callable(A), isinstance(A, type), a.v, a.mode, state(T)
    same(f)


def test_decorated_method_and_recursion():
    def f(T):
        class M:
            @T.no_grad()
            def step(self, x, n):
                if n == 0:
                    return state(T)
                with T.enable_grad():
                    inner = state(T)
                return inner, self.step(x, n - 1), state(T)
        return M().step(leaf(T), 2), state(T)
    same(f)


def test_context_manager_reuse():
    def f(T):
        ctx = T.no_grad()
        log = []
        with ctx:
            log.append(state(T))
        with ctx:
            with T.enable_grad():
                log.append(state(T))
            log.append(state(T))
        log.append(state(T))
        return log
    same(f)


# ---- thread locality ----------------------------------------------------------------

def test_new_thread_starts_with_grad_enabled():
    def f(T):
        seen = []

        def worker():
            x = leaf(T)
            seen.append((state(T), (x * 2).requires_grad))
            with T.no_grad():
                seen.append(state(T))

        with T.no_grad():
            th = threading.Thread(target=worker)
            th.start()
            th.join()
            main = state(T)
        return seen, main, state(T)
    same(f)


def test_thread_mode_does_not_leak_to_main():
    def f(T):
        ready = threading.Event()
        done = threading.Event()
        seen = []

        def worker():
            T.set_grad_enabled(False)
            seen.append(T.is_grad_enabled())
            ready.set()
            done.wait(5)

        th = threading.Thread(target=worker)
        th.start()
        ready.wait(5)
        main = T.is_grad_enabled()
        done.set()
        th.join()
        return seen, main
    same(f)


# ---- results under no_grad ------------------------------------------------------------

def test_results_under_no_grad():
    def f(T):
        x = leaf(T)
        w = T.tensor(data(3, 3, seed=2), requires_grad=True)
        with T.no_grad():
            outs = [x + 1, x * w[0], x.exp(), x[1:], x.view(3, 1), x.sum(), x @ w, T.cat([x, x]), x.clone(),
                    x.detach(), x.max(0), x.unbind(0)]
        return outs
    same(f)


def test_inplace_under_no_grad_on_leaf_allowed():
    def f(T):
        x = leaf(T)
        with T.no_grad():
            x.mul_(2)
            x[0] = 1.0
        y = (x * x).sum()
        y.backward()
        return x, x.grad, x.is_leaf, x._version
    same(f)


def test_view_made_under_no_grad_then_used():
    def f(T):
        x = leaf(T)
        with T.no_grad():
            v = x[1:]
        return v.requires_grad, v.grad_fn, v.is_leaf, (v * 2).requires_grad
    same(f)


def test_backward_inside_no_grad():
    def f(T):
        x = leaf(T)
        y = (x * x).sum()
        with T.no_grad():
            y.backward()
        return x.grad
    same(f)


def test_grad_with_create_graph_inside_no_grad():
    def f(T):
        x = leaf(T)
        y = (x ** 3).sum()
        with T.no_grad():
            g, = T.autograd.grad(y, x, create_graph=True)
        return g.requires_grad, state(T), g.detach()
    same(f, check_grad_fn=False)


def test_autograd_namespace_aliases():
    def f(T):
        with T.autograd.no_grad():
            a = T.is_grad_enabled()
        with T.autograd.enable_grad():
            b = T.is_grad_enabled()
        with T.autograd.set_grad_enabled(False):
            c = T.is_grad_enabled()
        with T.autograd.inference_mode():
            d = T.is_inference_mode_enabled()
        return a, b, c, d
    same(f)


def test_grad_mode_objects_are_distinct_classes():
    def f(T):
        return (isinstance(T.no_grad(), T.no_grad), isinstance(T.enable_grad(), T.enable_grad),
                type(T.set_grad_enabled(True)).__name__, type(T.inference_mode()).__name__,
                type(T.no_grad()).__name__)
    same(f)


def test_nograd_view_is_leaf_requiring_grad():
    def f(T):
        x = leaf(T)
        with T.no_grad():
            v = x[1:]
            u = x.unbind(0)
        y = (v * 2).sum()
        y.backward()
        return v.requires_grad, v.is_leaf, v.grad, x.grad, u[0].requires_grad, v._is_view()
    same(f)


def test_nograd_view_modified_inplace_with_grad_errors():
    def f(T):
        x = leaf(T)
        h = x * 2
        with T.no_grad():
            v = h[1:]
        v.mul_(2)
    same(f)

    def g(T):
        x = leaf(T)
        h = x * 2
        with T.no_grad():
            v = h[1:]
        h.mul_(2)
        return v.grad_fn
    same(g)

    def ok(T):
        x = leaf(T)
        h = x * 2
        with T.no_grad():
            v = h[1:]
            v.mul_(2)
        return h, v.requires_grad
    same(ok)


def test_inference_tensor_used_where_nothing_is_saved():
    def f(T):
        with T.inference_mode():
            y = T.ones(3)
        w = leaf(T)
        return (w + y).sum(), y.is_inference(), (w * 2).is_inference()
    same(f)
