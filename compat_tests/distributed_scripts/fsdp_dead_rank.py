"""FSDP across 2 processes where rank 1 dies after the first step: rank 0's next all-gather must raise
DistBackendError (not hang).  torchlike only (what a dead peer raises is torchlike's error)."""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.fsdp import fully_shard

dist.init_process_group("gloo")
rank = dist.get_rank()
model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 2))
fully_shard(model[0])
fully_shard(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    if step == 1 and rank == 1:
        os._exit(3)
    try:
        model(torch.ones(4, 8)).sum().backward()
    except Exception as e:  # noqa: BLE001 - the type is the fact
        print(f"rank {rank} raised {type(e).__name__} at step {step}", flush=True)
        raise SystemExit(1)
    opt.step()
    opt.zero_grad()
