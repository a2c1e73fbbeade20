"""Deep graphs built once: the first forward and backward, torchlike against PyTorch (issue 15's target).

Usage: python benchmarks/deep_graph.py [--runs N] [--markdown]

Two graphs that a program builds once and differentiates once, each in fresh processes (the time
of a graph's first forward and backward includes compiling its programs):

* ``chain``: 5,000 ``y = y * w`` on 16 elements from a leaf that requires grad, ``y.sum().backward()``,
  the gradient read with ``float(x.grad[0])``;
* ``loss sum``: ``total = total + (w @ v).sin().sum()`` over 4,000 steps, then ``total.backward()``
  (``w`` and ``v`` made from the same numpy values for both).

Each is timed from after the inputs are made to the gradient read, and its process's peak RSS is
read at the end, for PyTorch (one intra-op thread) and for torchlike twice: on an empty
compilation cache (a script's first run) and on the cache that run filled (its later runs).  The
processes take turns, ``--runs`` rounds; the table gives the minimum and the median.  Issue 15's
target: the 5,000-op chain within 5x PyTorch's time and 2x its memory.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = {
    "chain": """
x = T.ones(16, requires_grad=True)
w = T.full((16,), 1.0001)
t0 = time.perf_counter()
y = x
for _ in range(5000):
    y = y * w
y.sum().backward()
g = float(x.grad[0])
""",
    "loss sum": """
rng = np.random.default_rng(0)
w = T.tensor(rng.standard_normal((16, 16), np.float32), requires_grad=True)
v = T.tensor(rng.standard_normal(16, np.float32))
t0 = time.perf_counter()
total = T.zeros(())
for _ in range(4000):
    total = total + (w @ v).sin().sum()
total.backward()
g = float(w.grad[0, 0])
""",
}
LABELS = {"chain": "5,000 `y = y * w`, then `backward()`",
          "loss sum": "`total = total + (w @ v).sin().sum()` x 4,000, then `backward()`"}


def _program(impl, case):
    head = ("import torch as T\nT.set_num_threads(1)\n" if impl == "torch" else
            f"import sys\nsys.path.insert(0, {os.path.join(HERE, '..')!r})\nimport torchlike as T\n")
    return (f"import resource, time\nimport numpy as np\n{head}{CASES[case]}"
            "secs = time.perf_counter() - t0\n"
            "print(secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, g)\n")


def once(impl, case, cache):
    env = dict(os.environ, OMP_NUM_THREADS="1", TORCHLIKE_CACHE_DIR=cache)
    p = subprocess.run([sys.executable, "-c", _program(impl, case)], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{impl} {case} failed:\n{p.stderr[-3000:]}")
    secs, rss, g = p.stdout.split()[-3:]
    return float(secs), float(rss), float(g)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = p.parse_args()
    rows = []
    for case in CASES:
        res = {"torch": [], "empty cache": [], "warm cache": []}
        for _ in range(args.runs):
            cache = tempfile.mkdtemp(prefix="torchlike-deep-cache-")
            try:
                res["torch"].append(once("torch", case, cache))
                res["empty cache"].append(once("torchlike", case, cache))
                res["warm cache"].append(once("torchlike", case, cache))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        grads = {k: v[0][2] for k, v in res.items()}
        base_t = statistics.median(r[0] for r in res["torch"])
        base_m = statistics.median(r[1] for r in res["torch"])
        row = [LABELS[case]]
        for k, v in res.items():
            ts, ms = [r[0] for r in v], [r[1] for r in v]
            t, m = statistics.median(ts), statistics.median(ms)
            ratio = "" if k == "torch" else f" ({t / base_t:.2f}x time, {m / base_m:.2f}x memory)"
            row.append(f"{min(ts):.3f} / {t:.3f} s, {m:.0f} MB{ratio}")
            print(f"{case} [{k}]: min {min(ts):.3f} s, median {t:.3f} s, peak RSS {m:.0f} MB{ratio}", flush=True)
        print(f"{case}: gradients read {grads}")
        rows.append(row)
    if args.markdown:
        print()
        print(f"| graph (fresh processes, {args.runs} rounds; min / median) | PyTorch | torchlike, empty cache | "
              "torchlike, warm cache |")
        print("|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
