"""Ranks pass different shapes (an error, not a hang); then rank 1 dies after a barrier; rank 0's next collective must fail with a clear error, not hang."""
import os
import sys

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
t = torch.ones(3)
dist.all_reduce(t)                      # compiles the program both ranks use below
try:                                    # mismatched shapes: a clear error on every rank
    dist.all_reduce(torch.ones(2 + rank))
except RuntimeError as e:
    if rank == 0:
        print(f"mismatch: {e}", flush=True)
dist.barrier()
if rank == 1:
    os._exit(3)
try:
    for _ in range(50):
        dist.all_reduce(t)
    print("rank 0 finished: the dead peer went unnoticed", flush=True)
except RuntimeError as e:
    print(f"rank 0 failed: {type(e).__name__}: {e}", flush=True)
    sys.exit(2)
