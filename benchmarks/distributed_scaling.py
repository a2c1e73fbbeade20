"""Step time and memory per device of a small transformer under FSDP and DDP on 1/2/4/8 host devices.

Usage: python benchmarks/distributed_scaling.py [--quick] [--check] [--only fsdp,ddp,torch] [--sizes 1,2,4,8]

Results in docs/performance.md, "Distributed scaling (host devices)".  FSDP over N>1 devices needs
torchlike/_pace.py's pacing (an XLA:CPU deadlock).

The model is a decoder LM written with ``torch.nn`` modules the way a tutorial writes it (token and
position embeddings, pre-norm blocks with ``nn.MultiheadAttention`` and a causal mask, a GELU MLP,
a linear head), 2 layers, d_model 128, 4 heads, vocabulary 256, sequence 64, trained with AdamW.
Every configuration trains on the same global batch (16 sequences of 64 tokens) from the same
initial weights; each step is timed from the forward to ``loss.item()`` as a training loop reads
its loss, through the public API only.  The warm-up steps (compiles) are excluded and the median
of the rest is reported.

Configurations, each in fresh processes:

* **torchlike FSDP**: ``fully_shard`` of every block and of the whole model over a ``DeviceMesh``
  of N forced host devices in one process (``XLA_FLAGS=--xla_force_host_platform_device_count=N``,
  set before JAX starts), N = 1, 2, 4, 8.  Memory per device: the bytes of parameters, gradients
  and optimizer state resident on each device, summed from each JAX array's ``addressable_shards``.
* **torchlike DDP**: ``DistributedDataParallel`` over N processes on localhost (CPU collectives
  over gloo) started by ``python -m torchlike.distributed.run --nproc-per-node N``, N = 1, 2, 4;
  each rank trains on its 16/N rows of the global batch.  torchlike's DDP is one process per rank
  (one device each), as PyTorch's: DDP over several host devices of one process is not a
  configuration it has.
* **PyTorch**: the same model on one process (``torch.set_num_threads(1)``), and DDP over gloo
  with ``torchrun`` (``python -m torch.distributed.run``) on the same process counts.

Every process reports its peak RSS (``resource.getrusage``).  ``--check`` asserts the memory facts
(FSDP's per-device state at N is 1/N of N=1's, up to the replicated scalars) and that every
configuration's losses agree with the 1-process run's; it never asserts on time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

VOCAB, SEQ, D_MODEL, HEADS, LAYERS, BATCH = 256, 64, 128, 4, 2, 16


# --------------------------------------------------------------------------- the workload (any ``torch``)

def build_model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D_MODEL)
            self.attn = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
            self.ln2 = nn.LayerNorm(D_MODEL)
            self.mlp = nn.Sequential(nn.Linear(D_MODEL, 4 * D_MODEL), nn.GELU(), nn.Linear(4 * D_MODEL, D_MODEL))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D_MODEL)
            self.pos = nn.Embedding(SEQ, D_MODEL)
            self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
            self.ln = nn.LayerNorm(D_MODEL)
            self.head = nn.Linear(D_MODEL, VOCAB, bias=False)
            self.register_buffer("mask", torch.triu(torch.ones(SEQ, SEQ, dtype=torch.bool), diagonal=1))

        def forward(self, idx, targets):
            L = idx.size(1)
            x = self.tok(idx) + self.pos(torch.arange(L))
            for block in self.blocks:
                x = block(x, self.mask[:L, :L])
            logits = self.head(self.ln(x))
            return logits, nn.functional.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))

    torch.manual_seed(0)
    model = TinyLM()
    # identical initial weights on every library: a fixed numpy draw per parameter
    import numpy as np
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif p.dim() == 1:
                p.fill_(1.0)
            else:
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.05))
    return model


def batches(torch, count, rows=slice(None)):
    """``count`` (input, target) batches of the global batch's ``rows``: windows of a synthetic corpus."""
    import numpy as np
    rng = np.random.default_rng(1)
    corpus = (np.arange(20000) * 7 + rng.integers(0, 5, 20000)) % VOCAB
    out = []
    for _ in range(count):
        starts = rng.integers(0, len(corpus) - SEQ - 1, BATCH)
        x = np.stack([corpus[s:s + SEQ] for s in starts])[rows]
        y = np.stack([corpus[s + 1:s + SEQ + 1] for s in starts])[rows]
        out.append((torch.tensor(x, dtype=torch.long), torch.tensor(y, dtype=torch.long)))
    return out


def train(model, opt, data, warmup, steps):
    """The training loop; returns (seconds of each step after the warm-up, every step's loss)."""
    times, losses = [], []
    for i in range(warmup + steps):
        x, y = data[i % len(data)]
        t0 = time.perf_counter()
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times, losses


def is_torchlike(torch):
    return hasattr(torch, "from_jax")


def state_tensors(model, opt):
    """Parameters, their gradients and every tensor of the optimizer's state."""
    out = []
    for p in model.parameters():
        out.append(p)
        if p.grad is not None:
            out.append(p.grad)
    for st in opt.state.values():
        out.extend(v for v in st.values() if hasattr(v, "element_size"))
    return out


def bytes_per_device(torch, tensors):
    """{device: bytes of ``tensors`` resident there}: JAX arrays' shards on torchlike, nbytes on PyTorch."""
    per = {}
    for t in tensors:
        if is_torchlike(torch):
            for shard in t.detach().jax().addressable_shards:
                per[str(shard.device)] = per.get(str(shard.device), 0) + shard.data.nbytes
        else:
            per["cpu"] = per.get("cpu", 0) + t.nelement() * t.element_size()
    return per


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(path, **facts):
    with open(path, "w") as f:
        json.dump(facts, f)


# --------------------------------------------------------------------------- workers (run as subprocesses)

def worker_single(args):
    import torch
    torch.set_num_threads(1)
    model = build_model(torch)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times, losses = train(model, opt, batches(torch, 4), args.warmup, args.steps)
    report(args.out, times=times, losses=losses, state=bytes_per_device(torch, state_tensors(model, opt)),
           params=sum(p.numel() for p in model.parameters()), rss=[peak_rss_mb()])


def worker_fsdp(args):
    import torch
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    import jax
    assert len(jax.devices()) == args.n, f"JAX has {len(jax.devices())} devices, wanted {args.n}"
    mesh = init_device_mesh("cpu", (args.n,), mesh_dim_names=("dp",))
    model = build_model(torch)
    for block in model.blocks:
        fully_shard(block, mesh=mesh)
    fully_shard(model, mesh=mesh)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times, losses = train(model, opt, batches(torch, 4), args.warmup, args.steps)
    live = {}
    for a in jax.live_arrays():
        for shard in a.addressable_shards:
            live[str(shard.device)] = live.get(str(shard.device), 0) + shard.data.nbytes
    report(args.out, times=times, losses=losses, state=bytes_per_device(torch, state_tensors(model, opt)),
           params=sum(p.numel() for p in model.parameters()), live=live, rss=[peak_rss_mb()])


def worker_ddp(args):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    if not is_torchlike(torch):
        torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    per = BATCH // world
    model = DDP(build_model(torch))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = batches(torch, 4, slice(rank * per, (rank + 1) * per))
    times, losses = train(model, opt, data, args.warmup, args.steps)
    # the global loss of each step (the mean of the ranks' means over equal shares), for the check
    mean = torch.tensor(losses, dtype=torch.float64)
    dist.all_reduce(mean)
    state = bytes_per_device(torch, state_tensors(model, opt))
    rss = [None] * world
    dist.all_gather_object(rss, peak_rss_mb())
    all_times = [None] * world
    dist.all_gather_object(all_times, times)
    if rank == 0:
        # a step is as slow as its slowest rank
        report(args.out, times=[max(ts) for ts in zip(*all_times)], losses=(mean / world).tolist(), state=state,
               params=sum(p.numel() for p in model.parameters()), rss=rss)
    dist.destroy_process_group()


# --------------------------------------------------------------------------- the driver

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def run(label, cmd, env_extra, out, timeout, tries=1):
    """Run one configuration; its result (None if it failed).  A run whose report was written counts
    even if a process failed afterwards (PyTorch's gloo now and then aborts at exit on this machine:
    "terminate called without an active exception")."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3", **env_extra)
    for attempt in range(tries):
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
            code, said = proc.returncode, proc.stdout[-2000:] + "\n" + proc.stderr[-4000:]
        except subprocess.TimeoutExpired:
            code, said = "timeout", ""
        wall = time.perf_counter() - t0
        if os.path.exists(out):
            break
        sys.stderr.write(f"{label} failed (exit {code}, try {attempt + 1} of {tries}):\n{said}\n")
    else:
        return None
    with open(out) as f:
        res = json.load(f)
    res["wall"] = wall
    sys.stderr.write(f"  {label}: median step {1000 * statistics.median(res['times']):.1f} ms, "
                     f"process(es) {wall:.1f} s\n")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a short run: fewer steps")
    ap.add_argument("--check", action="store_true", help="assert the memory and loss facts (never time)")
    ap.add_argument("--only", default="fsdp,ddp,torch", help="comma-separated subset of fsdp,ddp,torch")
    ap.add_argument("--sizes", default="1,2,4,8", help="device/process counts (DDP uses those <= 4)")
    ap.add_argument("--worker", choices=["single", "fsdp", "ddp"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=int, default=6, help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=10, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return {"single": worker_single, "fsdp": worker_fsdp, "ddp": worker_ddp}[args.worker](args)

    only = set(args.only.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    warmup, steps = (4, 3) if args.quick else (6, 10)
    common = ["--warmup", str(warmup), "--steps", str(steps)]
    me = os.path.abspath(__file__)
    tmp = tempfile.mkdtemp(prefix="dist_scaling_")
    rows = {}       # (library, mode, n) -> result

    def go(key, cmd, env=None, timeout=300):
        out = os.path.join(tmp, "-".join(map(str, key)) + ".json")
        # the PyTorch reference gets a second try: its gloo rendezvous on a loaded 2-core machine is flaky
        rows[key] = run(" ".join(map(str, key)), [*cmd, "--out", out, *common], env or {}, out, timeout,
                        tries=2 if key[0] == "torch" else 1)

    py = sys.executable
    if "torch" in only:
        go(("torch", "single", 1), [py, me, "--worker", "single"])
    if "fsdp" in only:
        for n in sizes:
            go(("torchlike", "fsdp", n), [py, "-m", "torchlike", me, "--worker", "fsdp", "--n", str(n)],
               {"XLA_FLAGS": f"--xla_force_host_platform_device_count={n}"})
    if "ddp" in only:
        for n in [n for n in sizes if n <= 4]:
            go(("torchlike", "ddp", n), [py, "-m", "torchlike.distributed.run", "--nproc-per-node", str(n),
                                          "--master-port", str(free_port()), me, "--worker", "ddp"])
            if "torch" in only:
                go(("torch", "ddp", n), [py, "-m", "torch.distributed.run", "--nproc-per-node", str(n),
                                         "--master-port", str(free_port()), me, "--worker", "ddp"],
                   {"OMP_NUM_THREADS": "1"})
    print_table(rows, warmup, steps)
    if args.check:
        check(rows)


def _ms(res):
    return 1000 * statistics.median(res["times"])


def print_table(rows, warmup, steps):
    base = rows.get(("torch", "single", 1))
    tl_fsdp1 = rows.get(("torchlike", "fsdp", 1))
    print(f"\nSmall transformer LM ({LAYERS} layers, d_model {D_MODEL}, {HEADS} heads, vocab {VOCAB}, sequence "
          f"{SEQ}), AdamW, global batch {BATCH}x{SEQ} tokens; median of {steps} steps after {warmup} warm-up; "
          f"{os.cpu_count()} CPU cores.\n")
    print("| run | N | step ms | tokens/s | / PyTorch 1 process | / PyTorch same N | params+grads+AdamW per "
          "device, MB | fraction of N=1 | peak RSS per process, MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = {("torch", "single"): "PyTorch, 1 process (1 thread)", ("torchlike", "fsdp"): "torchlike FSDP (fully_shard)",
             ("torchlike", "ddp"): "torchlike DDP (processes)", ("torch", "ddp"): "PyTorch DDP (gloo, torchrun)"}
    firsts = {}
    for key in sorted(rows, key=lambda k: (list(names).index(k[:2]), k[2])):
        res = rows[key]
        if res is None:
            print(f"| {names[key[:2]]} | {key[2]} | failed | | | | | | |")
            continue
        ms = _ms(res)
        per_dev = max(res["state"].values())
        firsts.setdefault(key[:2], per_dev)
        ratio = f"{ms / _ms(base):.2f}x" if base else ""
        # the PyTorch run doing the same work: DDP on as many processes; one process for FSDP on 1 device
        twin = rows.get(("torch", "ddp", key[2])) if key[1] == "ddp" else base if key[:2] == ("torchlike", "fsdp") \
            and key[2] == 1 else None
        same = f"{ms / _ms(twin):.2f}x" if key[0] == "torchlike" and twin else ""
        rss = "/".join(f"{r:.0f}" for r in res["rss"])
        print(f"| {names[key[:2]]} | {key[2]} | {ms:.1f} | {BATCH * SEQ / ms * 1000:,.0f} | {ratio} | {same} | "
              f"{per_dev / 1e6:.3f} | {per_dev / firsts[key[:2]]:.3f} | {rss} |")
    if base:
        print(f"\nParameters: {base['params']:,} ({base['params'] * 4 / 1e6:.3f} MB float32); parameters + "
              f"gradients + AdamW state on one device: {max(base['state'].values()) / 1e6:.3f} MB.")
    if tl_fsdp1:
        live = [(k[2], max(r["live"].values())) for k, r in rows.items() if k[:2] == ("torchlike", "fsdp") and r]
        print("torchlike FSDP, all live JAX arrays per device (largest device), MB: " +
              ", ".join(f"N={n}: {b / 1e6:.2f}" for n, b in sorted(live)))


def check(rows):
    """The facts the benchmark stands for (never a time): every run finished, trained like the one-process
    run, and FSDP holds 1/N of the parameters, gradients and AdamW state per device while DDP holds all."""
    failed = [k for k, r in rows.items() if r is None]
    assert not failed, f"runs failed: {failed}"
    fsdp = {k[2]: r for k, r in rows.items() if k[:2] == ("torchlike", "fsdp")}
    ref = rows.get(("torch", "single", 1)) or fsdp.get(1)
    for key, res in rows.items():
        # same data, same initial weights: every configuration's losses are the one-process run's
        for a, b in zip(res["losses"], ref["losses"]):
            assert math.isclose(a, b, rel_tol=2e-3, abs_tol=2e-3), (key, res["losses"], ref["losses"])
    whole = max(ref["state"].values())
    for n, res in fsdp.items():
        assert len(res["state"]) == n, (n, res["state"])
        for dev, b in res["state"].items():
            # 1/N of everything, plus a few replicated scalars (AdamW's step counts)
            assert whole / n <= b <= whole / n * 1.01, (n, dev, b, whole)
    for key, res in rows.items():
        if key[1] == "ddp":
            assert max(res["state"].values()) == whole, (key, res["state"], whole)
    print("\ncheck: ok")


if __name__ == "__main__":
    main()
