"""Memory of long loops: peak RSS after warm-up, torchlike against PyTorch (issue 11's target).

Usage: python benchmarks/memory_growth.py [--steps N] [--only TEXT] [--markdown]

Each workload of ``programs.py`` named below runs ``--steps`` steps (10,000 by default) in a fresh
process per implementation, written once for both as users write it (``programs.py``), with PyTorch
on one intra-op thread.  The process's peak RSS (``getrusage``) and its current RSS
(``/proc/self/statm``) are read at every tenth of the run.  The target: the peak flat after step
1,000 (what a long training or decoding loop holds does not grow with its steps).  Both
implementations are imported in each process (``programs.py`` builds the step for both), so only
growth is compared, never the absolute sizes.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# (short name, text naming the workload in ``programs.WORKLOADS``)
LOOPS = [
    ("tutorial step (Sequential, MSELoss, SGD)", "tutorial"),
    ("MLP 64-32-4 by hand, SGD by hand", "MLP 64-32-4"),
    ("LSTM classifier, Adam", "LSTM"),
    ("greedy decoding (20 tokens a step)", "greedy"),
    ("get_batch (32 windows, stack)", "get_batch"),
]


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(impl, text, steps):
    """Run one loop in this process and print its samples as JSON: [[step, peak MB, current MB], ...]."""
    sys.path.insert(0, HERE)
    import programs
    import torch
    torch.set_num_threads(1)
    make = [m for n, m, _ in programs.WORKLOADS if text in n][0]
    step = make()[impl]
    every = max(1, steps // 10)
    samples = []
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        step()
        if i % every == 0 or i == 1:
            samples.append([i, round(_peak_mb(), 1), round(_rss_mb(), 1)])
    print(json.dumps({"samples": samples, "secs": time.perf_counter() - t0}))


def run(impl, text, steps):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", impl, text, str(steps)],
                       capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if p.returncode != 0:
        raise RuntimeError(f"{impl} {text} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _at(samples, step):
    """The first sample at or after ``step``."""
    return next(s for s in samples if s[0] >= step)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--only", default="", help="run only the loops whose name contains this text")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        impl, text, steps = args.child
        child(impl, text, int(steps))
        return
    warm = min(1000, args.steps // 10)
    rows = []
    for name, text in LOOPS:
        if args.only not in name:
            continue
        for impl in ("torch", "torchlike"):
            r = run(impl, text, args.steps)
            s = r["samples"]
            w, last = _at(s, warm), s[-1]
            rows.append((name, impl, w[1], last[1], last[1] - w[1], last[2] - w[2], r["secs"]))
            print(f"{name} [{impl}]: peak RSS {w[1]:.1f} MB at step {w[0]}, {last[1]:.1f} MB at step {last[0]} "
                  f"(+{last[1] - w[1]:.1f}); current RSS {last[2] - w[2]:+.1f} MB; {r['secs']:.1f} s", flush=True)
    if args.markdown:
        print()
        print(f"| loop ({args.steps:,} steps) | implementation | peak RSS at step {warm:,} (MB) | at the end (MB) | "
              "peak growth (MB) | current RSS growth (MB) | seconds |")
        print("|---|---|---|---|---|---|---|")
        for name, impl, a, b, g, c, secs in rows:
            print(f"| {name} | {impl} | {a:.1f} | {b:.1f} | {g:+.1f} | {c:+.1f} | {secs:.1f} |")


if __name__ == "__main__":
    main()
