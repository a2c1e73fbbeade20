"""DistributedDataParallel training on every rank's share of a batch; run by torchrun (PyTorch) and
torchlike.distributed.run alike.  Rank 0 also trains the unwrapped model on the whole batch.

Writes ``<out>/rank<r>.pkl`` (parameters, gradients, buffers as numpy) and prints rank 0's losses."""
import os
import pickle
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

out_dir = sys.argv[1]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
rs = np.random.RandomState(0)
init = [rs.randn(8, 4) * 0.5, rs.randn(8) * 0.1, rs.randn(3, 8) * 0.5, rs.randn(3) * 0.1]
X = torch.tensor(np.random.RandomState(1).randn(16, 4), dtype=torch.float32)
Y = torch.tensor(np.random.RandomState(2).randn(16, 3), dtype=torch.float32)


def make(shift=0.0):
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    with torch.no_grad():
        for p, v in zip(net.parameters(), init):
            p.copy_(torch.tensor(v, dtype=torch.float32) + shift)
    net.register_buffer("seen", torch.full((2,), float(rank)))
    return net


def numpy_of(params):
    return [p.detach().numpy().copy() for p in params]


res = {}
for name, make_bad in [("cpu_device_ids", lambda: DDP(nn.Linear(2, 2), device_ids=[rank])),
                       ("no_trainable", lambda: DDP(nn.Linear(2, 2).requires_grad_(False)))]:
    try:
        make_bad()
        res[name] = None
    except Exception as e:  # noqa: BLE001
        res[name] = (type(e).__name__, str(e))
net = make(shift=float(rank))          # rank 1 starts elsewhere: DDP must broadcast rank 0's state
ddp = DDP(net)
res["broadcast"] = numpy_of(net.parameters()) + [net.seen.numpy().copy()]
res["keys"] = sorted(ddp.state_dict())
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
data = TensorDataset(X, Y)
sampler = DistributedSampler(data, shuffle=True, seed=3)
loader = DataLoader(data, batch_size=16 // world, sampler=sampler)
for epoch in range(3):
    sampler.set_epoch(epoch)
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(ddp(xb), yb)
        loss.backward()
        opt.step()
        if rank == 0:
            print(f"epoch {epoch} loss {loss.item():.5f}")
res["trained"] = numpy_of(ddp.parameters())
res["grads"] = numpy_of(p.grad for p in ddp.parameters())
# gradient accumulation: the first backward stays local, the second averages the sum
opt.zero_grad()
half = X[rank * 8:(rank + 1) * 8]
with ddp.no_sync():
    nn.functional.mse_loss(ddp(half[:4]), Y[rank * 8:rank * 8 + 4]).backward()
res["local"] = numpy_of(p.grad for p in ddp.parameters())
nn.functional.mse_loss(ddp(half[4:]), Y[rank * 8 + 4:rank * 8 + 8]).backward()
res["accumulated"] = numpy_of(p.grad for p in ddp.parameters())


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)        # used on rank 1 only
        self.never = nn.Linear(4, 3)    # used nowhere

    def forward(self, x):
        return self.a(x) + (self.b(x) if rank == 1 else 0)


torch.manual_seed(0)
model = Branchy()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.tensor(np.random.RandomState(10 + i).randn(*p.shape), dtype=torch.float32))
branchy = DDP(model, find_unused_parameters=True)
branchy(X[rank::2]).pow(2).mean().backward()
res["unused"] = [None if p.grad is None else p.grad.numpy().copy() for p in branchy.parameters()]
if rank == 0:                           # the same steps on one process over the whole batch
    single = make()
    opt = torch.optim.SGD(single.parameters(), lr=0.1)
    for epoch in range(3):
        opt.zero_grad()
        nn.functional.mse_loss(single(X), Y).backward()
        opt.step()
    res["single"] = numpy_of(single.parameters())
dist.destroy_process_group()
with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
    pickle.dump(res, f)
