"""Speed of torchlike against PyTorch eager and raw JAX, measured in one process.

Usage: python benchmarks/run.py [--quick] [--markdown]

Every case runs the same computation three ways - PyTorch eager, torchlike,
and hand-written JAX (jitted where noted) - taking turns round by round; the
time reported is the minimum over rounds of the mean per call (robust against
a busy machine).  Every implementation's result is read through the public API
(one element, ``.item()``; numpy for JAX), as a program reads it.  Ratios > 1
mean torchlike is slower.  ``benchmarks/programs.py`` measures whole programs.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import torchlike  # noqa: E402


def timeit_all(fns, number, repeat):
    """{label: microseconds per call}: the minimum over ``repeat`` rounds of the mean of ``number``
    calls, the implementations taking turns round by round, so that a noisy stretch of the machine
    hits all of them alike instead of whichever was being timed then."""
    for fn in fns.values():
        fn()
        fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[k] = min(best[k], (time.perf_counter() - t0) / number)
    return {k: v * 1e6 for k, v in best.items()}


def _read(x):
    """Read one value of a result through the public API, as a program would (``.item()`` for
    tensors of either library, numpy for JAX arrays): never through a private method.  A
    0-dim result (a loss) is read as a training loop reads it, ``loss.item()``; another, its first
    element (``.detach().reshape(-1)[0].item()``)."""
    if hasattr(x, "detach"):
        if x.dim() == 0:
            return x.item()
        return x.detach().reshape(-1)[0].item()
    return np.asarray(x).reshape(-1)[0].item()


def _reading(step):
    return lambda: _read(step())


# ---- cases: each returns {label: callable} ---------------------------------------
def case_op_dispatch():
    x_np = np.random.default_rng(0).random((16, 16), np.float32)
    xt, xl, xj = torch.tensor(x_np), torchlike.tensor(x_np), jnp.asarray(x_np)
    jsin = jax.jit(jnp.sin)
    return {"torch": lambda: _read(torch.sin(xt)), "torchlike": lambda: _read(torchlike.sin(xl)),
            "jax eager": lambda: _read(jnp.sin(xj)), "jax jit": lambda: _read(jsin(xj))}


def case_seed():
    def run(T):
        a = T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
        b = T.sin(a)
        c = 2 * b
        d = c + 1
        out = d.sum()
        out.backward()
        return a.grad

    a_j = jnp.linspace(0., 2. * math.pi, 25, dtype=jnp.float32)
    g = jax.grad(lambda a: jnp.sum(2 * jnp.sin(a) + 1))
    gj = jax.jit(g)
    return {"torch": lambda: _read(run(torch)), "torchlike": lambda: _read(run(torchlike)),
            "jax eager": lambda: _read(g(a_j)), "jax jit": lambda: _read(gj(a_j))}


def case_chain(n=40):
    x_np = np.random.default_rng(0).random((16, 16), np.float32)

    def run(T):
        a = T.tensor(x_np, requires_grad=True)
        y = a
        for _ in range(n):
            y = y.sin()
        y.sum().backward()
        return a.grad

    def f(a):
        for _ in range(n):
            a = jnp.sin(a)
        return jnp.sum(a)
    xj = jnp.asarray(x_np)
    g, gj = jax.grad(f), jax.jit(jax.grad(f))
    return {"torch": lambda: _read(run(torch)), "torchlike": lambda: _read(run(torchlike)),
            "jax eager": lambda: _read(g(xj)), "jax jit": lambda: _read(gj(xj))}


def case_mlp(d_in, hidden, d_out, batch=16, lr=1e-4, compiled=False):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, d_in), np.float32)
    y_np = rng.standard_normal((batch, d_out), np.float32)
    w1_np = rng.standard_normal((d_in, hidden), np.float32) * 0.1
    w2_np = rng.standard_normal((hidden, d_out), np.float32) * 0.1

    def setup(T):
        w1 = T.tensor(w1_np, requires_grad=True)
        w2 = T.tensor(w2_np, requires_grad=True)
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            nonlocal w1, w2
            pred = x.mm(w1).clamp(min=0).mm(w2)
            loss = (y - pred).pow(2).sum()
            loss.backward()
            with T.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                w1.grad = None
                w2.grad = None
            return loss
        return step

    def loss_j(params, x, y):
        w1, w2 = params
        pred = jnp.maximum(x @ w1, 0) @ w2
        return jnp.sum((y - pred) ** 2)

    def step_j(params, x, y):
        # the same computation as the torch-style step: the updated parameters and the loss, which is read
        loss, grads = jax.value_and_grad(loss_j)(params, x, y)
        return tuple(p - lr * g for p, g in zip(params, grads)), loss
    params = [(jnp.asarray(w1_np), jnp.asarray(w2_np))]
    xj, yj = jnp.asarray(x_np), jnp.asarray(y_np)
    step_jit = jax.jit(step_j)

    def eager():
        params[0], loss = step_j(params[0], xj, yj)
        return _read(loss)

    def jitted():
        params[0], loss = step_jit(params[0], xj, yj)
        return _read(loss)
    tl = setup(torchlike)
    out = {"torch": _reading(setup(torch)), "torchlike": lambda: _read(tl()), "jax eager": eager, "jax jit": jitted}
    if compiled:
        tc = torchlike.compile(setup(torchlike))
        out["torchlike"] = lambda: _read(tc())
    return out


def case_module_mlp():
    """The tutorial's training step: nn.Sequential(Linear, ReLU, Linear), MSELoss, optim.SGD."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((16, 1000), np.float32)
    y_np = rng.standard_normal((16, 10), np.float32)

    def setup(T):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(1000, 100), T.nn.ReLU(), T.nn.Linear(100, 10))
        opt = T.optim.SGD(model.parameters(), lr=1e-4)
        loss_fn = T.nn.MSELoss(reduction="sum")
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step

    w = [jnp.asarray(rng.standard_normal(s, np.float32) * 0.03) for s in ((100, 1000), (100,), (10, 100), (10,))]
    xj, yj = jnp.asarray(x_np), jnp.asarray(y_np)

    def loss_j(p):
        h = jnp.maximum(xj @ p[0].T + p[1], 0)
        return jnp.sum((h @ p[2].T + p[3] - yj) ** 2)

    def step_j(p):
        g = jax.grad(loss_j)(p)
        return [a - 1e-4 * b for a, b in zip(p, g)]
    step_jit = jax.jit(step_j)
    params = [w]

    def eager():
        params[0] = step_j(params[0])
        return _read(params[0][0])

    def jitted():
        params[0] = step_jit(params[0])
        return _read(params[0][0])
    tl = setup(torchlike)
    return {"torch": _reading(setup(torch)), "torchlike": lambda: _read(tl()), "jax eager": eager, "jax jit": jitted}


def case_conv():
    """Conv2d(3, 16, 3) forward + backward of sum(out ** 2) on a (32, 3, 32, 32) batch."""
    x_np = np.random.default_rng(0).standard_normal((32, 3, 32, 32), np.float32)

    def setup(T):
        T.manual_seed(0)
        conv = T.nn.Conv2d(3, 16, 3, padding=1)
        x = T.tensor(x_np)

        def step():
            conv.zero_grad()
            out = conv(x).pow(2).sum()
            out.backward()
            return conv.weight.grad
        return step
    wj = jnp.asarray(np.random.default_rng(1).standard_normal((16, 3, 3, 3), np.float32) * 0.1)
    xj = jnp.asarray(x_np)

    def f(w):
        return (jax.lax.conv_general_dilated(xj, w, (1, 1), ((1, 1), (1, 1))) ** 2).sum()
    g, gj = jax.grad(f), jax.jit(jax.grad(f))
    tl = setup(torchlike)
    return {"torch": _reading(setup(torch)), "torchlike": lambda: _read(tl()),
            "jax eager": lambda: _read(g(wj)), "jax jit": lambda: _read(gj(wj))}


def case_matmul(n=1024):
    a_np = np.random.default_rng(0).random((n, n), np.float32)
    at, al, aj = torch.tensor(a_np), torchlike.tensor(a_np), jnp.asarray(a_np)
    mm = jax.jit(jnp.matmul)
    return {"torch": lambda: _read(at @ at), "torchlike": lambda: _read((al @ al)),
            "jax eager": lambda: _read(aj @ aj), "jax jit": lambda: _read(mm(aj, aj))}


def case_jacobian(kind, n=256):
    rng = np.random.default_rng(0)
    w_np = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    x_np = rng.standard_normal(n).astype(np.float32)

    def f_for(T, w):
        def f(x):
            return (T.tanh(w @ x) * x.sin()).exp()
        return f
    wt, wl = torch.tensor(w_np), torchlike.tensor(w_np)
    xt, xl = torch.tensor(x_np), torchlike.tensor(x_np)
    F = getattr(torch.autograd.functional, kind)
    FL = getattr(torchlike.autograd.functional, kind)
    if kind == "hessian":
        ft = lambda x: f_for(torch, wt)(x).sum()  # noqa: E731
        fl = lambda x: f_for(torchlike, wl)(x).sum()  # noqa: E731
    else:
        ft, fl = f_for(torch, wt), f_for(torchlike, wl)
    wj, xj = jnp.asarray(w_np), jnp.asarray(x_np)

    def fj(x):
        y = jnp.exp(jnp.tanh(wj @ x) * jnp.sin(x))
        return y.sum() if kind == "hessian" else y
    jt = jax.jit(jax.hessian(fj) if kind == "hessian" else jax.jacrev(fj))
    return {"torch": lambda: _read(F(ft, xt)), "torch vectorize=True": lambda: _read(F(ft, xt, vectorize=True)),
            "torchlike": lambda: _read(FL(fl, xl)),
            "jax eager": lambda: _read((jax.hessian(fj) if kind == "hessian" else jax.jacrev(fj))(xj)),
            "jax jit": lambda: _read(jt(xj))}


CASES = [
    ("one op (sin) on 16x16", case_op_dispatch, 2000),
    ("seed loop: linspace, sin, *2, +1, sum, backward", case_seed, 300),
    ("40-op sin chain fwd+bwd on 16x16", lambda: case_chain(40), 50),
    ("MLP step 64-32-4, batch 16, SGD by hand", lambda: case_mlp(64, 32, 4), 100),
    ("MLP step 1000-100-10, batch 16, SGD by hand", lambda: case_mlp(1000, 100, 10), 100),
    ("MLP step 1000-100-10, torchlike.compile (whole step one program)", lambda: case_mlp(1000, 100, 10, compiled=True), 100),
    ("tutorial MLP step: Sequential 1000-100-10, MSELoss, optim.SGD", case_module_mlp, 100),
    ("Conv2d(3, 16, 3) fwd+bwd on (32, 3, 32, 32)", case_conv, 20),
    ("matmul 1024x1024 (facade overhead)", case_matmul, 5),
    ("jacobian of a 256->256 function", lambda: case_jacobian("jacobian"), 3),
    ("hessian of a 256->scalar function", lambda: case_jacobian("hessian"), 3),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = p.parse_args()
    torch.set_num_threads(1)
    repeat = 3 if args.quick else 11
    rows = []
    for name, make, number in CASES:
        if args.only not in name:
            continue
        fns = make()
        times = timeit_all(fns, max(1, number // (4 if args.quick else 1)), repeat)
        rows.append((name, times))
        print(f"{name}: " + ", ".join(f"{k} {v:.1f} us" for k, v in times.items())
              + f" | torchlike/torch {times['torchlike'] / times['torch']:.2f}x"
              + f", torchlike/jax-eager {times['torchlike'] / times['jax eager']:.2f}x", flush=True)
    if args.markdown:
        print()
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
              f"Python {platform.python_version()}, torch {torch.__version__} (1 thread), jax {jax.__version__}, "
              f"backend {jax.default_backend()}; {time.strftime('%Y-%m-%d')}")
        print()
        print("| case | torch (us) | torchlike (us) | jax eager (us) | jax jit (us) | torchlike / torch | "
              "torchlike / jax eager | other |")
        print("|---|---|---|---|---|---|---|---|")
        for name, t in rows:
            extra = ", ".join(f"{k} {v:.1f} us" for k, v in t.items()
                              if k not in ("torch", "torchlike", "jax eager", "jax jit"))
            print(f"| {name} | {t['torch']:.1f} | {t['torchlike']:.1f} | {t['jax eager']:.1f} | {t['jax jit']:.1f} | "
                  f"{t['torchlike'] / t['torch']:.2f} | {t['torchlike'] / t['jax eager']:.2f} | {extra} |")


if __name__ == "__main__":
    main()
