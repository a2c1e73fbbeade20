"""The seed walkthrough (shared/seed/fundamentals_of_autograd.txt), statement by statement."""
import math
import os
import subprocess
import sys

import numpy as np

from harness import same, same_output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _chain(T):
    a = T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    b = T.sin(a)
    c = 2 * b
    d = c + 1
    out = d.sum()
    return a, b, c, d, out


def test_linspace_prints_as_pytorch():
    same_output(lambda T: print(T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)))


def test_forward_chain_values_and_grad_fns():
    same(_chain)


def test_forward_chain_prints():
    # ``out`` is left out: PyTorch's float32 sum rounds differently in the last ulp
    # (docs/differences.md); its value is compared with a tolerance above.
    def f(T):
        for t in _chain(T)[:4]:
            print(t)
    same_output(f)


def test_next_functions_walk():
    def f(T):
        a, b, c, d, out = _chain(T)
        fn = d.grad_fn
        names = []
        while fn is not None:
            names.append((type(fn).__name__, [(None if n is None else type(n).__name__, i)
                                              for n, i in fn.next_functions]))
            fn = fn.next_functions[0][0] if fn.next_functions else None
        return names, a.grad_fn, c.grad_fn.name(), b.grad_fn.name()
    same(f)


def test_next_functions_print_shape():
    """The printed lines match up to object addresses."""
    import re

    def f(T):
        a, b, c, d, out = _chain(T)
        print(d.grad_fn)
        print(d.grad_fn.next_functions)
        print(d.grad_fn.next_functions[0][0].next_functions)
        print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
        print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions)
        print(a.grad_fn)
    import io, contextlib, torch, torchlike
    outs = []
    for lib in (torch, torchlike):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            f(lib)
        outs.append(re.sub(r"0x[0-9a-f]+", "ADDR", buf.getvalue()))
    assert outs[0] == outs[1]


def test_backward_gradient_is_2cos():
    def f(T):
        a, b, c, d, out = _chain(T)
        out.backward()
        return a.grad, c.grad, a.grad_fn
    same(f)


def test_backward_prints():
    def f(T):
        a, b, c, d, out = _chain(T)
        out.backward()
        print(a.grad)
    same_output(f)


def test_no_grad_numpy_matmul():
    x = np.random.default_rng(0).random((3, 4)).astype(np.float32)

    def f(T):
        with T.no_grad():
            x_t = T.tensor(x)
            y_np = np.ones((4, 2), dtype=np.float32)
            r1 = x_t @ T.from_numpy(y_np)
            r2 = np.dot(x_t.numpy(), y_np)
            return r1, T.from_numpy(r2), r1.requires_grad
    same(f)


def test_detach():
    x = np.random.default_rng(1).random(5).astype(np.float32)

    def f(T):
        x_t = T.tensor(x, requires_grad=True)
        y = x_t.detach()
        print(x_t)
        print(y)
        return x_t, y
    same(f)
    same_output(f)


def test_numpy_of_requires_grad_raises():
    same(lambda T: T.ones(3, requires_grad=True).numpy())


def test_jacobian_exp_adder():
    xs = np.random.default_rng(2).random((2, 3)).astype(np.float32)

    def f(T):
        inputs = (T.tensor(xs[0]), T.tensor(xs[1]))

        def exp_adder(x, y):
            return 2 * x.exp() + 3 * y
        r = T.autograd.functional.jacobian(exp_adder, inputs)
        print(r)
        return r
    same(f)
    same_output(f)


def test_example_script_runs_and_writes_plots(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "autograd_fundamentals.py"),
                        "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    for name in ("sin.png", "sin_grad.png"):
        p = tmp_path / name
        assert p.exists() and p.stat().st_size > 1000
    assert "grad_fn=<SinBackward0>" in r.stdout
    assert "<AccumulateGrad object at" in r.stdout
