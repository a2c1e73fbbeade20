"""torch.func transforms, compared with PyTorch's torch.func."""
import numpy as np
import pytest

from harness import data, same

X = data(3, seed=11)
M = data(4, 3, seed=12)


def _f(T):
    return lambda t: (t.sin() * 2).sum()


def test_grad():
    same(lambda T: T.func.grad(lambda t: (t.sin() * 2).sum())(T.tensor(X)))


def test_grad_argnums_and_aux():
    def f(T):
        def loss(a, b):
            return (a * b).sum(), a.exp()
        return T.func.grad(loss, argnums=(0, 1), has_aux=True)(T.tensor(X), T.tensor(X[::-1].copy()))
    same(f)


def test_grad_and_value():
    same(lambda T: T.func.grad_and_value(lambda t: (t ** 3).sum())(T.tensor(X)))


def test_grad_non_scalar_raises():
    same(lambda T: T.func.grad(lambda t: t.sin())(T.tensor(X)))


def test_vjp():
    def f(T):
        out, fn = T.func.vjp(lambda t: t.exp() * 3, T.tensor(X))
        return out, fn(T.ones(3))
    same(f)


def test_jvp():
    same(lambda T: T.func.jvp(lambda t: t.exp(), (T.tensor(X),), (T.ones(3),)))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians(name):
    same(lambda T: getattr(T.func, name)(lambda t: t.sin() * t)(T.tensor(X)))


def test_jacrev_two_args():
    same(lambda T: T.func.jacrev(lambda a, b: a * b.exp(), argnums=(0, 1))(T.tensor(X), T.tensor(X)))


def test_hessian():
    same(lambda T: T.func.hessian(lambda t: (t ** 3).sum() + t.prod())(T.tensor(X)))


def test_vmap_in_dims_out_dims():
    same(lambda T: T.func.vmap(lambda a, b: a * b, in_dims=(0, None), out_dims=1)(T.tensor(M), T.tensor(X)))


def test_per_sample_grads_vmap_of_grad():
    w = data(3, seed=13)

    def f(T):
        def loss(w, x):
            return (w * x).sin().sum()
        return T.func.vmap(T.func.grad(loss), in_dims=(None, 0))(T.tensor(w), T.tensor(M))
    same(f)


def test_nested_vmap():
    same(lambda T: T.func.vmap(T.func.vmap(lambda t: t.exp().sum()))(T.tensor(data(2, 4, 3, seed=14))))


def test_functional_jacobian_sees_changed_state_between_calls():
    """jacobian/hessian programs are cached per function: tensors and Python scalars the function
    reads must still be current at every call, as in PyTorch's eager evaluation."""
    def run(T):
        state = {"k": 2.0}
        w = T.tensor(data(3, seed=21))
        scale = [1.5]

        def f(t):
            return (t * w).sin() * scale[0]
        out = [T.autograd.functional.jacobian(f, T.tensor(X))]
        with T.no_grad():
            w.mul_(3)
        out.append(T.autograd.functional.jacobian(f, T.tensor(X)))
        out.append(T.autograd.functional.hessian(lambda t: (t * w).sin().sum(), T.tensor(X)))
        with T.no_grad():
            w.add_(1)
        out.append(T.autograd.functional.hessian(lambda t: (t * w).sin().sum(), T.tensor(X)))
        return out
    same(run, rtol=1e-5)


K = 2.0


def _uses_global(t):
    return t * K


def test_functional_jacobian_sees_changed_global():
    global K

    def run(T):
        global K
        K = 2.0
        a = T.autograd.functional.jacobian(_uses_global, T.tensor(X))
        K = 3.0
        b = T.autograd.functional.jacobian(_uses_global, T.tensor(X))
        return a, b
    same(run)


def _ensemble(T, n=3):
    T.manual_seed(0)
    models = [T.nn.Linear(4, 2) for _ in range(n)]
    with T.no_grad():
        for i, m in enumerate(models):
            m.weight.copy_(T.tensor(data(2, 4, seed=10 + i)))
            m.bias.copy_(T.tensor(data(2, seed=20 + i)))
    return models


def test_stack_module_state_and_ensemble_vmap():
    """The model-ensembling tutorial: stack_module_state + vmap over functional_call."""
    def f(T):
        models = _ensemble(T)
        params, buffers = T.func.stack_module_state(models)
        base = models[0]
        x = T.tensor(data(5, 4, seed=30))

        def call(p, b, x):
            return T.func.functional_call(base, (p, b), (x,))
        out = T.func.vmap(call, in_dims=(0, 0, None))(params, buffers, x)
        # outputs of torch.func transforms are not connected to the autograd tape in torchlike
        # (docs/differences.md): compare values
        return (sorted(params), params["weight"], params["weight"].requires_grad, params["weight"].is_leaf,
                buffers, out.detach())
    same(f)


@pytest.mark.parametrize("case", ["empty", "mixed_mode", "mismatched_shapes"])
def test_stack_module_state_errors(case):
    def f(T):
        if case == "empty":
            return T.func.stack_module_state([])
        if case == "mixed_mode":
            models = _ensemble(T)
            models[0].eval()
            return T.func.stack_module_state(models)
        return T.func.stack_module_state([T.nn.Linear(3, 2), T.nn.Linear(3, 4)])
    same(f)


def _straight_through(T):
    class RoundST(T.autograd.Function):
        """Straight-through estimator: forward rounds, backward passes the gradient through (x 3)."""
        @staticmethod
        def forward(x, scale):
            return (x * scale).round()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.scale + 0 * x, None
    return RoundST


@pytest.mark.parametrize("transform", ["grad", "vmap_grad", "vmap_grad_rule", "jacrev", "functional_jacobian",
                                       "functional_vjp"])
def test_custom_function_backward_is_used_by_transforms(transform):
    """JAX transforms differentiate a custom Function with its backward, not through its forward;
    vmap needs the Function's opt-in (generate_vmap_rule), as in PyTorch."""
    def f(T):
        fn = _straight_through(T)
        if transform == "vmap_grad_rule":
            fn.generate_vmap_rule = True
            transform_ = "vmap_grad"
        else:
            transform_ = transform
        x = T.tensor(data(4, seed=40))
        loss = lambda t: (fn.apply(t, 3.0) * t).sum()  # noqa: E731
        if transform_ == "grad":
            return T.func.grad(loss)(x)
        if transform_ == "vmap_grad":
            return T.func.vmap(T.func.grad(loss))(T.tensor(data(2, 4, seed=41)))
        if transform_ == "jacrev":
            return T.func.jacrev(lambda t: fn.apply(t, 3.0))(x)
        if transform_ == "functional_jacobian":
            return T.autograd.functional.jacobian(lambda t: fn.apply(t, 3.0), x)
        return T.autograd.functional.vjp(lambda t: fn.apply(t, 3.0), x, T.ones(4))
    same(f)
