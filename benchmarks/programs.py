"""Whole programs and steps as users write them, torchlike against PyTorch eager and ``jax.jit``.

Usage: python benchmarks/programs.py [--quick] [--markdown] [--only TEXT] [--e2e]

Every workload is written once, as tutorials and third-party code write it,
against a module ``T`` that is ``torch`` or ``torchlike``; its result is read
through the public API only (``.item()``, ``float(x[i])``, ``.tolist()``,
printing): never through a private method.  Where the computation has a
natural hand-written JAX form, that runs too, under ``jax.jit``, with its
result read as a user would (``float``/``int`` of the output).  The
implementations take turns round by round in one process (a noisy stretch of
the machine hits all of them alike); the time reported is the minimum over
rounds of the mean per call.  PyTorch runs with one intra-op thread.

``--e2e`` also runs a whole training script (``benchmarks/scripts/char_lm.py``,
plain ``import torch``) in fresh processes, once on PyTorch and twice through
``python -m torchlike`` (with an empty compilation cache, then with the one the
first run filled: a script's first and later runs), and reports the ratios of
their CPU time (whole process, and the training loop alone as the script
measures it).
"""
from __future__ import annotations

import argparse
import io
import math
import os
import platform
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import torchlike  # noqa: E402
from run import timeit_all  # noqa: E402  (benchmarks/run.py: turn-taking timer)

HERE = os.path.dirname(os.path.abspath(__file__))


def both(make):
    """{'torch': make(torch), 'torchlike': make(torchlike)}."""
    return {"torch": make(torch), "torchlike": make(torchlike)}


# ---- value reads ----------------------------------------------------------------------------
def w_index_item():
    """``x[3]``, ``float(x[3])`` and ``x.sum().item()`` on a 25-element tensor."""
    v = np.linspace(0, 1, 25, dtype=np.float32)

    def make(T):
        x = T.tensor(v)

        def step():
            y = x[3]
            return float(x[3]) + x.sum().item() + y.ndim
        return step
    xj = jnp.asarray(v)
    s = jax.jit(jnp.sum)
    out = both(make)
    out["jax jit"] = lambda: float(xj[3]) + float(s(xj))
    return out


def w_value_reads():
    """``float(y[i])`` for 10 i, ``y.sum().item()``, ``y[:10].tolist()`` of a computed tensor."""
    v = np.random.default_rng(0).standard_normal(100).astype(np.float32)

    def make(T):
        x = T.tensor(v)

        def step():
            y = x * 2
            s = sum(float(y[i]) for i in range(10))
            return s + y.sum().item() + sum(y[:10].tolist())
        return step
    xj = jnp.asarray(v)
    f = jax.jit(lambda x: x * 2)
    s = jax.jit(jnp.sum)

    def jit():
        y = f(xj)
        h = np.asarray(y)
        return sum(float(h[i]) for i in range(10)) + float(s(y)) + sum(h[:10].tolist())
    out = both(make)
    out["jax jit"] = jit
    return out


def w_print():
    """``print`` of a small computed tensor and of a scalar loss (to a buffer)."""
    v = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)

    def make(T):
        x = T.tensor(v)

        def step():
            buf = io.StringIO()
            y = x.relu()
            print(y, file=buf)
            print(f"loss {y.mean():.4f}", file=buf)
            return len(buf.getvalue())
        return step
    return both(make)


def w_sin_nograd():
    """``torch.sin`` on 16x16 under ``no_grad`` (inference), result read by ``.item()`` of one element."""
    v = np.random.default_rng(0).random((16, 16), np.float32)

    def make(T):
        x = T.tensor(v, requires_grad=True)

        def step():
            with T.no_grad():
                y = T.sin(x)
            return y
        return step
    xj = jnp.asarray(v)
    f = jax.jit(jnp.sin)
    out = both(make)
    out["jax jit"] = lambda: f(xj).block_until_ready()
    return out


# ---- data pipelines ---------------------------------------------------------------------------
def w_batch():
    """nanoGPT's ``get_batch``: 32 random windows of 8 from a 100k-token int64 tensor, ``torch.stack``."""
    tokens = np.random.default_rng(0).integers(0, 65, 100_000).astype(np.int64)

    def make(T):
        data = T.tensor(tokens)
        T.manual_seed(0)

        def step():
            ix = T.randint(len(data) - 8, (32,))
            x = T.stack([data[i:i + 8] for i in ix])
            y = T.stack([data[i + 1:i + 9] for i in ix])
            return int(x[0, 0]) + int(y[-1, -1])
        return step
    dj = jnp.asarray(tokens)

    @jax.jit
    def get(key):
        ix = jax.random.randint(key, (32,), 0, len(tokens) - 8)
        win = jax.vmap(lambda i: jax.lax.dynamic_slice(dj, (i,), (9,)))(ix)
        return win[:, :8], win[:, 1:]
    key = [jax.random.key(0)]

    def jit():
        key[0], k = jax.random.split(key[0])
        x, y = get(k)
        return int(x[0, 0]) + int(y[-1, -1])
    out = both(make)
    out["jax jit"] = jit
    return out


def w_dataloader():
    """A ``DataLoader`` epoch over a ``TensorDataset`` of 512 samples, batch 32, shuffled; a sum per batch."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((512, 8)).astype(np.float32)
    ys = rng.integers(0, 4, 512).astype(np.int64)

    def make(T):
        ds = T.utils.data.TensorDataset(T.tensor(xs), T.tensor(ys))
        T.manual_seed(0)
        dl = T.utils.data.DataLoader(ds, batch_size=32, shuffle=True)

        def step():
            total = 0.0
            for xb, yb in dl:
                total += xb.sum().item() + yb.float().mean().item()
            return total
        return step
    return both(make)


# ---- inference loops --------------------------------------------------------------------------
def w_greedy_decode():
    """Greedy decoding, 20 steps of ``Embedding -> GRUCell -> Linear -> argmax().item()`` under no_grad."""
    def make(T):
        T.manual_seed(0)
        emb, cell, head = T.nn.Embedding(65, 32), T.nn.GRUCell(32, 64), T.nn.Linear(64, 65)

        def step():
            out = []
            with T.no_grad():
                tok = T.tensor([1])
                h = T.zeros(1, 64)
                for _ in range(20):
                    h = cell(emb(tok), h)
                    tok = head(h).argmax(-1)
                    out.append(tok.item())
            return out
        return step
    return both(make)


# ---- training steps ---------------------------------------------------------------------------
def w_seed():
    """The seed walkthrough's loop body, gradient read with ``float(a.grad[3])``."""
    def make(T):
        def step():
            a = T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
            b = T.sin(a)
            c = 2 * b
            d = c + 1
            out = d.sum()
            out.backward()
            return float(a.grad[3])
        return step
    aj = jnp.linspace(0., 2. * math.pi, 25, dtype=jnp.float32)
    g = jax.jit(jax.grad(lambda a: jnp.sum(2 * jnp.sin(a) + 1)))
    out = both(make)
    out["jax jit"] = lambda: float(g(aj)[3])
    return out


def w_chain(n=40):
    """40 ``sin`` in a chain on 16x16, backward, read one gradient element."""
    v = np.random.default_rng(0).random((16, 16), np.float32)

    def make(T):
        def step():
            a = T.tensor(v, requires_grad=True)
            y = a
            for _ in range(n):
                y = y.sin()
            y.sum().backward()
            return a.grad[0, 0].item()
        return step

    def f(a):
        for _ in range(n):
            a = jnp.sin(a)
        return jnp.sum(a)
    g = jax.jit(jax.grad(f))
    aj = jnp.asarray(v)
    out = both(make)
    out["jax jit"] = lambda: float(g(aj)[0, 0])
    return out


def w_mlp_by_hand(d_in, hidden, d_out, batch=16, lr=1e-3):
    """An MLP written by hand (``x @ w.t() + b``, relu), SGD by hand under no_grad, ``loss.item()``."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, d_in), np.float32)
    y_np = rng.standard_normal((batch, d_out), np.float32)
    ws = [rng.standard_normal(s, np.float32) * 0.1 for s in ((hidden, d_in), (hidden,), (d_out, hidden), (d_out,))]

    def make(T):
        x, y = T.tensor(x_np), T.tensor(y_np)
        params = [T.tensor(w, requires_grad=True) for w in ws]

        def step():
            w1, b1, w2, b2 = params
            h = (x @ w1.t() + b1).relu()
            loss = ((h @ w2.t() + b2 - y) ** 2).mean()
            loss.backward()
            with T.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            return loss.item()
        return step

    def loss_j(p, x, y):
        h = jnp.maximum(x @ p[0].T + p[1], 0)
        return jnp.mean((h @ p[2].T + p[3] - y) ** 2)

    @jax.jit
    def step_j(p, x, y):
        loss, g = jax.value_and_grad(loss_j)(p, x, y)
        return [a - lr * b for a, b in zip(p, g)], loss
    state = [[jnp.asarray(w) for w in ws]]
    xj, yj = jnp.asarray(x_np), jnp.asarray(y_np)

    def jit():
        state[0], loss = step_j(state[0], xj, yj)
        return float(loss)
    out = both(make)
    out["jax jit"] = jit
    return out


def w_tutorial():
    """The tutorial step: ``nn.Sequential``, ``MSELoss``, ``optim.SGD``, ``loss.item()``."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((64, 1000), np.float32)
    y_np = rng.standard_normal((64, 10), np.float32)

    def make(T):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(1000, 100), T.nn.ReLU(), T.nn.Linear(100, 10))
        opt = T.optim.SGD(model.parameters(), lr=1e-4)
        loss_fn = T.nn.MSELoss()
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()
        return step
    ws = [jnp.asarray(rng.standard_normal(s, np.float32) * 0.03) for s in ((100, 1000), (100,), (10, 100), (10,))]
    xj, yj = jnp.asarray(x_np), jnp.asarray(y_np)

    def loss_j(p):
        h = jnp.maximum(xj @ p[0].T + p[1], 0)
        return jnp.mean((h @ p[2].T + p[3] - yj) ** 2)

    @jax.jit
    def step_j(p):
        loss, g = jax.value_and_grad(loss_j)(p)
        return [a - 1e-4 * b for a, b in zip(p, g)], loss
    state = [ws]

    def jit():
        state[0], loss = step_j(state[0])
        return float(loss)
    out = both(make)
    out["jax jit"] = jit
    return out


def w_cnn():
    """A small CNN (2 conv, 2 max-pool, linear), ``cross_entropy``, ``Adam``, ``loss.item()``; batch 32 of 1x16x16."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 1, 16, 16), np.float32)
    y_np = rng.integers(0, 4, 32).astype(np.int64)

    def make(T):
        nn, F = T.nn, T.nn.functional
        T.manual_seed(0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1 = nn.Conv2d(1, 8, 3, padding=1)
                self.c2 = nn.Conv2d(8, 16, 3, padding=1)
                self.fc = nn.Linear(16 * 4 * 4, 4)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.c1(x)), 2)
                x = F.max_pool2d(F.relu(self.c2(x)), 2)
                return self.fc(x.flatten(1))
        model = Net()
        opt = T.optim.Adam(model.parameters(), lr=1e-3)
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()
        return step
    return both(make)


def w_lstm():
    """An LSTM classifier (Embedding 100x32, LSTM 32->64, Linear 64->5) on 16 sequences of 20, Adam."""
    rng = np.random.default_rng(0)
    x_np = rng.integers(0, 100, (16, 20)).astype(np.int64)
    y_np = rng.integers(0, 5, 16).astype(np.int64)

    def make(T):
        nn = T.nn
        T.manual_seed(0)

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(100, 32)
                self.lstm = nn.LSTM(32, 64, batch_first=True)
                self.out = nn.Linear(64, 5)

            def forward(self, x):
                h, _ = self.lstm(self.emb(x))
                return self.out(h[:, -1])
        model = Tagger()
        opt = T.optim.Adam(model.parameters(), lr=1e-3)
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()
        return step
    return both(make)


def gpt_model(T, vocab=65, block=32, d=64, heads=4, layers=2):
    """A small GPT as minGPT/nanoGPT write it (pre-norm blocks, causal self-attention by hand)."""
    nn, F = T.nn, T.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.register_buffer("mask", T.tril(T.ones(block, block)).view(1, 1, block, block))

        def forward(self, x):
            B, L, C = x.size()
            q, k, v = self.qkv(x).split(d, dim=2)
            q = q.view(B, L, heads, C // heads).transpose(1, 2)
            k = k.view(B, L, heads, C // heads).transpose(1, 2)
            v = v.view(B, L, heads, C // heads).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :L, :L] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, L, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.attn = Attention()
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(block, d)
            self.blocks = nn.Sequential(*[Block() for _ in range(layers)])
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx, targets=None):
            B, L = idx.size()
            x = self.tok(idx) + self.pos(T.arange(L))
            logits = self.head(self.ln(self.blocks(x)))
            if targets is None:
                return logits, None
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
    return GPT()


def w_gpt():
    """A small GPT step (2 layers, d=64, 4 heads, block 32, batch 8), AdamW, ``clip_grad_norm_``, ``loss.item()``."""
    rng = np.random.default_rng(0)
    x_np = rng.integers(0, 65, (8, 32)).astype(np.int64)
    y_np = rng.integers(0, 65, (8, 32)).astype(np.int64)

    def make(T):
        T.manual_seed(0)
        model = gpt_model(T)
        opt = T.optim.AdamW(model.parameters(), lr=3e-4)
        x, y = T.tensor(x_np), T.tensor(y_np)

        def step():
            _, loss = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss.item()
        return step
    return both(make)


WORKLOADS = [
    ("reads: x[3], float(x[3]), x.sum().item() (25 elements)", w_index_item, 500),
    ("reads: float(y[i]) x10, y.sum().item(), y[:10].tolist()", w_value_reads, 200),
    ("print a 4x5 tensor and an f-string loss", w_print, 100),
    ("sin on 16x16 under no_grad", w_sin_nograd, 1000),
    ("get_batch: 32 windows of 8 from 100k int64, stack", w_batch, 20),
    ("DataLoader epoch: 512 samples, batch 32, shuffle", w_dataloader, 5),
    ("greedy decode: 20 x (Embedding, GRUCell, Linear, argmax().item())", w_greedy_decode, 10),
    ("seed loop, read float(a.grad[3])", w_seed, 200),
    ("40 sin chain fwd+bwd on 16x16, read a grad element", w_chain, 50),
    ("MLP 64-32-4 by hand, SGD by hand, loss.item()", lambda: w_mlp_by_hand(64, 32, 4), 100),
    ("MLP 1000-100-10 by hand, SGD by hand, loss.item()", lambda: w_mlp_by_hand(1000, 100, 10), 50),
    ("tutorial: Sequential 1000-100-10, MSELoss, optim.SGD, loss.item()", w_tutorial, 50),
    ("small CNN, cross_entropy, Adam, loss.item()", w_cnn, 10),
    ("LSTM classifier, Adam, loss.item()", w_lstm, 10),
    ("small GPT (2 layers, d=64), AdamW, clip_grad_norm_, loss.item()", w_gpt, 5),
]
# the whole-program workloads (the targets' geometric mean is over these)
PROGRAMS = ("get_batch", "DataLoader", "greedy", "seed", "chain", "MLP", "tutorial", "CNN", "LSTM", "GPT")


def e2e(steps=300):
    """CPU seconds of the whole char-LM script on PyTorch and through ``python -m torchlike``: torchlike
    twice, with an empty compilation cache (``torchlike/_xla_cache.py``: every program compiled, a
    script's first run) and then with the cache that run filled (its later runs)."""
    import tempfile
    script = os.path.join(HERE, "scripts", "char_lm.py")
    cache = tempfile.mkdtemp(prefix="torchlike-e2e-cache-")
    env = dict(os.environ, OMP_NUM_THREADS="1", TORCHLIKE_CACHE_DIR=cache)
    res = {}
    for label, cmd in (("torch", [sys.executable, script]),
                       ("torchlike, cold cache", [sys.executable, "-m", "torchlike", script]),
                       ("torchlike, warm cache", [sys.executable, "-m", "torchlike", script])):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd + ["--steps", str(steps)], env=env, capture_output=True, text=True,
                           cwd=os.path.join(HERE, ".."))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            raise RuntimeError(f"{label} run failed:\n{p.stderr[-3000:]}")
        loop = float([ln for ln in p.stdout.splitlines() if ln.startswith("loop cpu s")][0].split()[-1])
        last = [ln for ln in p.stdout.splitlines() if ln.startswith("step")][-1]
        res[label] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, loop, last)
    import shutil
    shutil.rmtree(cache, ignore_errors=True)
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--only", default="", help="run only the workloads whose name contains this text")
    p.add_argument("--e2e", action="store_true", help="also run the end-to-end script comparison")
    args = p.parse_args()
    torch.set_num_threads(1)
    repeat = 3 if args.quick else 9
    rows = []
    for name, make, number in WORKLOADS:
        if args.only not in name:
            continue
        times = timeit_all(make(), max(1, number // (4 if args.quick else 1)), repeat)
        rows.append((name, times))
        jit = times.get("jax jit")
        print(f"{name}: torch {times['torch']:.1f} us, torchlike {times['torchlike']:.1f} us"
              + (f", jax.jit {jit:.1f} us" if jit else "")
              + f" | torchlike/torch {times['torchlike'] / times['torch']:.2f}x"
              + (f", torchlike/jax.jit {times['torchlike'] / jit:.2f}x" if jit else ""), flush=True)
    progs = [t["torchlike"] / t["torch"] for n, t in rows if any(k in n for k in PROGRAMS)]
    if progs:
        gm = math.exp(sum(map(math.log, progs)) / len(progs))
        print(f"geometric mean over {len(progs)} whole-program workloads: {gm:.2f}x PyTorch")
    if args.e2e:
        r = e2e()
        t = r["torch"]
        print(f"end to end (char LM script): torch {t[0]:.2f} CPU s (loop {t[1]:.2f})")
        for label in ("torchlike, cold cache", "torchlike, warm cache"):
            v = r[label]
            print(f"  {label}: {v[0]:.2f} CPU s (loop {v[1]:.2f}); ratio {v[0] / t[0]:.2f}x whole, "
                  f"{v[1] / t[1]:.2f}x loop")
        print(f"  last lines: torch '{t[2]}', torchlike '{r['torchlike, warm cache'][2]}'")
    if args.markdown:
        print()
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
              f"Python {platform.python_version()}, torch {torch.__version__} (1 thread), jax {jax.__version__}, "
              f"backend {jax.default_backend()}; {time.strftime('%Y-%m-%d')}")
        print()
        print("| workload | torch (us) | torchlike (us) | jax.jit (us) | torchlike / torch | torchlike / jax.jit |")
        print("|---|---|---|---|---|---|")
        for name, t in rows:
            jit = t.get("jax jit")
            jit_us = "" if jit is None else f"{jit:.1f}"
            jit_ratio = "" if jit is None else f"{t['torchlike'] / jit:.2f}"
            print(f"| {name} | {t['torch']:.1f} | {t['torchlike']:.1f} | {jit_us} | "
                  f"{t['torchlike'] / t['torch']:.2f} | {jit_ratio} |")
        if progs:
            print(f"\nGeometric mean over the whole-program workloads: {gm:.2f}x PyTorch.")


if __name__ == "__main__":
    main()
