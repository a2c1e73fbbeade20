"""FSDP2 on 8 forced host devices in one process (run with
XLA_FLAGS=--xla_force_host_platform_device_count=8): a fully_shard'ed model trains exactly as the
unwrapped one, its parameters, gradients and Adam state hold 1/8 per device, its state dict is
full and saves.  Prints one JSON line of facts for the test."""
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, fully_shard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsdp_net import make  # noqa: E402


mesh = init_device_mesh("cpu", (8,), mesh_dim_names=("dp",))
mesh2 = init_device_mesh("cpu", (2, 4), mesh_dim_names=("dp", "tp"))
plain, sharded = make(), make()
for block in sharded.blocks:
    fully_shard(block, mesh=mesh)
fully_shard(sharded, mesh=mesh)
head_placed = sharded.head.weight.detach().jax().sharding.is_fully_replicated
x = torch.tensor(np.random.RandomState(9).randn(64, 16), dtype=torch.float32)
y = torch.tensor(np.random.RandomState(10).randn(64, 5), dtype=torch.float32)
opts = [torch.optim.Adam(m.parameters(), lr=0.01) for m in (plain, sharded)]
losses = []
for step in range(4):
    for m, opt in zip((plain, sharded), opts):
        opt.zero_grad()
        loss = nn.functional.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())


def per_device_fraction(t):
    a = t.detach().jax()
    return a.addressable_shards[0].data.nbytes / a.nbytes


w = sharded.blocks[0].weight
state = opts[1].state[w]
buf = io.BytesIO()
torch.save(sharded.state_dict(), buf)
buf.seek(0)
loaded = torch.load(buf)
print(json.dumps({
    "max_param_diff": max((a - b).abs().max().item() for a, b in zip(plain.parameters(), sharded.parameters())),
    "losses_equal": all(abs(a - b) < 1e-5 for a, b in zip(losses[::2], losses[1::2])),
    "param_fraction": per_device_fraction(w), "grad_fraction": per_device_fraction(w.grad),
    "exp_avg_fraction": per_device_fraction(state["exp_avg"]),
    "head_replicated": head_placed,
    "class": type(sharded).__name__, "is_fsdp": isinstance(sharded.blocks[0], FSDPModule),
    "keys": sorted(loaded) == sorted(plain.state_dict()),
    "loaded_equal": all(np.array_equal(loaded[k].numpy(), v.numpy()) for k, v in sharded.state_dict().items()),
    "mesh": [repr(mesh), mesh.shape, mesh.ndim, mesh.size(), mesh["dp"].size(), mesh.get_local_rank(),
             str(mesh.mesh.dtype)],
    "mesh2": [repr(mesh2), repr(mesh2["tp"]), mesh2["tp"].mesh.tolist(), mesh2.get_coordinate()],
}))
sys.stdout.flush()
