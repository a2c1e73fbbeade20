"""``python -m torchlike.distributed.run`` (torchrun): start one process per rank of this node.

Each process runs the script as ``python -m torchlike script.py`` does (``import torch`` is
torchlike) with torchrun's environment: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
GROUP_RANK, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RUN_ID.  When one process fails the others are
stopped and the launcher exits with an error naming the rank; Ctrl-C stops them all.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def _parser():
    p = argparse.ArgumentParser(prog="torchlike.distributed.run",
                                description="torchrun on torchlike: one process per rank of this node")
    p.add_argument("--nnodes", type=str, default="1", help="number of nodes, or MIN:MAX (MAX is used)")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=str, default="1",
                   help="processes on this node: a number, 'cpu' or 'auto' (the CPU count)")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", type=str, default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", type=int, default=29500)
    p.add_argument("--standalone", action="store_true",
                   help="one node; a free local port instead of --master-port")
    p.add_argument("--rdzv-backend", "--rdzv_backend", type=str, default="static")
    p.add_argument("--rdzv-endpoint", "--rdzv_endpoint", type=str, default="")
    p.add_argument("--rdzv-id", "--rdzv_id", type=str, default="none")
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    p.add_argument("--monitor-interval", "--monitor_interval", type=float, default=0.1)
    p.add_argument("-m", "--module", action="store_true", help="run the script argument as a module")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the script argument as an executable, not through Python")
    p.add_argument("training_script", type=str)
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _count(text, what):
    if text in ("cpu", "auto"):
        return os.cpu_count() or 1
    try:
        n = int(text.split(":")[-1])
    except ValueError:
        raise SystemExit(f"torchlike.distributed.run: invalid {what}: {text!r}") from None
    if n < 1:
        raise SystemExit(f"torchlike.distributed.run: {what} must be at least 1, got {n}")
    return n


def main(argv=None, stdout=None, stderr=None, timeout=None):
    """Launch and wait; the exit status (0 when every rank succeeded).  ``stdout``/``stderr`` are
    where the ranks write (inherited when None); after ``timeout`` seconds the ranks are stopped."""
    args = _parser().parse_args(argv)
    nnodes = 1 if args.standalone else _count(args.nnodes, "--nnodes")
    nproc = _count(args.nproc_per_node, "--nproc-per-node")
    addr, port = args.master_addr, args.master_port
    if args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = host or addr, int(p) if p else port
    if args.standalone:
        addr, port = "127.0.0.1", free_port()
    if not 0 <= args.node_rank < nnodes:
        raise SystemExit(f"torchlike.distributed.run: --node-rank {args.node_rank} outside [0, {nnodes})")
    world = nnodes * nproc
    if nproc > 1 and "OMP_NUM_THREADS" not in os.environ:
        sys.stderr.write("*****************************************\nSetting OMP_NUM_THREADS environment variable "
                         "for each process to be 1 in default, to avoid your system being overloaded, please "
                         "further tune the variable for optimal performance in your application as needed. "
                         "\n*****************************************\n")
    if args.no_python:
        command = [args.training_script]
    elif args.module:
        command = [sys.executable, "-u", "-m", "torchlike", "-m", args.training_script]
    else:
        command = [sys.executable, "-u", "-m", "torchlike", args.training_script]
    command += args.training_script_args
    procs = []
    for local in range(nproc):
        rank = args.node_rank * nproc + local
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(local), WORLD_SIZE=str(world),
                   LOCAL_WORLD_SIZE=str(nproc), GROUP_RANK=str(args.node_rank), ROLE_RANK=str(rank),
                   ROLE_WORLD_SIZE=str(world), ROLE_NAME="default", MASTER_ADDR=addr, MASTER_PORT=str(port),
                   TORCHELASTIC_RUN_ID=args.rdzv_id, TORCHELASTIC_RESTART_COUNT="0",
                   TORCHELASTIC_MAX_RESTARTS=str(args.max_restarts))
        if nproc > 1:
            env.setdefault("OMP_NUM_THREADS", "1")
        procs.append((rank, local, subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)))
    return _watch(procs, args.monitor_interval, timeout)


def _stop(procs):
    for _, _, p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 10
    for _, _, p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _watch(procs, interval, timeout=None):
    """Wait for every process; the first failure (or the timeout) stops the rest and is reported."""
    deadline = None if timeout is None else time.monotonic() + timeout
    def forward(signum, frame):
        _stop(procs)
        raise SystemExit(128 + signum)
    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            codes = [(rank, local, p.poll()) for rank, local, p in procs]
            failed = [(rank, local, c) for rank, local, c in codes if c not in (None, 0)]
            if failed:
                rank, local, code = failed[0]
                time.sleep(min(1.0, 10 * interval))   # let the others report their own errors first
                _stop(procs)
                why = f"signal {-code}" if code < 0 else f"exit code {code}"
                sys.stderr.write(f"torchlike.distributed.run: rank {rank} (local_rank {local}) failed with "
                                 f"{why}; the other processes were stopped\n")
                return 1
            if all(c == 0 for _, _, c in codes):
                return 0
            if deadline is not None and time.monotonic() > deadline:
                _stop(procs)
                sys.stderr.write(f"torchlike.distributed.run: the ranks did not finish within {timeout} s; "
                                 f"they were stopped\n")
                return 124
            time.sleep(interval)
    finally:
        for s, h in old.items():
            signal.signal(s, h)


if __name__ == "__main__":
    sys.exit(main())
