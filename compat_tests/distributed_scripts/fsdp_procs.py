"""FSDP2 across processes, run by torchrun (PyTorch) and torchlike.distributed.run alike: every block
and the root ``fully_shard``ed over the world's 1-D mesh, Adam steps on each rank's half of a batch,
``loss.item()`` per step, per-rank local shards, and a full state dict saved by rank 0.  Rank 0 also
trains the unwrapped model on the whole batch.

Writes ``<out>/rank<r>.pkl`` (numpy arrays and plain values) for the test to compare."""
import os
import pickle
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict, set_model_state_dict
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, fully_shard, register_fsdp_forward_method

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsdp_net import make  # noqa: E402

out_dir = sys.argv[1]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()


def numpy_of(t):
    return t.detach().numpy().copy()


X = torch.tensor(np.random.RandomState(9).randn(32, 16), dtype=torch.float32)
Y = torch.tensor(np.random.RandomState(10).randn(32, 5), dtype=torch.float32)
per = 32 // world
xb, yb = X[rank * per:(rank + 1) * per], Y[rank * per:(rank + 1) * per]

mesh = init_device_mesh("cpu", (world,))
named = init_device_mesh("cpu", (1, world), mesh_dim_names=("dp", "tp"))
model = make()
for block in model.blocks:
    fully_shard(block, mesh=mesh)
fully_shard(model, mesh=mesh)
res = {"rank": rank, "class": type(model).__name__, "is_fsdp": [isinstance(m, FSDPModule) for m in model.modules()],
       "mesh": [mesh.shape, mesh.get_rank(), mesh.get_local_rank(), mesh.size(), repr(mesh), repr(named),
                repr(named["tp"]), named.get_coordinate()]}
params = dict(model.named_parameters())
res["params"] = {k: [tuple(p.shape), str(p.dtype), p.requires_grad, tuple(p.to_local().shape), repr(p.placements),
                     numpy_of(p.to_local())] for k, p in params.items()}
res["repr"] = [repr(model.head.bias), str(model.blocks[1].bias), repr(model.state_dict()["head.weight"])]
opt = torch.optim.Adam(model.parameters(), lr=0.01)
res["losses"] = []
for step in range(4):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(xb), yb)
    loss.backward()
    if step == 0:
        res["grads"] = {k: [tuple(p.grad.shape), tuple(p.grad.to_local().shape), numpy_of(p.grad.to_local()),
                            numpy_of(p.grad.full_tensor())] for k, p in params.items()}
    opt.step()
    res["losses"].append(round(loss.item(), 5))
    if rank == 0:
        print(f"step {step} loss {loss.item():.5f}", flush=True)
res["local"] = {k: numpy_of(p.to_local()) for k, p in params.items()}
sharded_sd = model.state_dict()
res["state_dict"] = {k: [tuple(v.shape), str(v.dtype), tuple(v.to_local().shape)] for k, v in sharded_sd.items()}
full = {k: v.full_tensor() for k, v in sharded_sd.items()}
res["full"] = {k: numpy_of(v) for k, v in full.items()}
if rank == 0:
    torch.save(full, os.path.join(out_dir, "full.pt"))
dist.barrier()
loaded = torch.load(os.path.join(out_dir, "full.pt"))
res["loaded"] = {k: numpy_of(v) for k, v in loaded.items()}
if rank == 0:                           # the same steps on one process over the whole batch
    single = make()
    sopt = torch.optim.Adam(single.parameters(), lr=0.01)
    single_losses = []
    for step in range(4):
        sopt.zero_grad()
        loss = nn.functional.mse_loss(single(X), Y)
        loss.backward()
        sopt.step()
    res["single"] = {k: numpy_of(v) for k, v in single.state_dict().items()}
# torch.distributed.checkpoint.state_dict: sharded, whole on every rank, whole on rank 0; loading a
# whole state dict (rank 0's, broadcast) into a freshly sharded model
sharded = get_model_state_dict(model)
res["dsd_sharded"] = {k: [tuple(v.shape), tuple(v.to_local().shape)] for k, v in sharded.items()}
whole = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))
res["dsd_whole"] = {k: [type(v).__name__, numpy_of(v)] for k, v in whole.items()}
on_rank0 = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
res["dsd_rank0"] = {k: numpy_of(v) for k, v in on_rank0.items()}
fresh = make()
with torch.no_grad():
    for p in fresh.parameters():
        p.zero_()
for block in fresh.blocks:
    fully_shard(block, mesh=mesh)
fully_shard(fresh, mesh=mesh)
keys = set_model_state_dict(fresh, on_rank0, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True))
res["dsd_set"] = [sorted(keys.missing_keys), sorted(keys.unexpected_keys)]
res["dsd_loaded"] = {k: [numpy_of(v.to_local()), repr(v.placements)] for k, v in fresh.state_dict().items()}
res["dsd_loaded_out"] = numpy_of(fresh(X[:4]))
w = model.blocks[0].weight
if hasattr(torch, "from_jax"):          # torchlike: what this process stores of the JAX arrays
    def held(t):
        a = t.detach().jax()
        return sum(s.data.nbytes for s in a.addressable_shards) / a.nbytes
else:                                   # PyTorch: Adam's state is DTensors of the parameters' shards
    def held(t):
        return t.to_local().numel() / t.numel()
res["held"] = [held(w), held(w.grad), held(opt.state[w]["exp_avg"]), held(opt.state[w]["exp_avg_sq"])]
# gradients kept (zeroed in place), accumulated over two half-batches, clipped; evaluation without grad
opt.zero_grad(set_to_none=False)
res["zeroed"] = [float(p.grad.full_tensor().abs().sum()) for p in params.values()]
for half in (slice(0, per // 2), slice(per // 2, per)):
    nn.functional.mse_loss(model(xb[half]), yb[half]).backward()
norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05)
res["norm"] = round(float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm), 5)
res["clipped"] = {k: numpy_of(p.grad.full_tensor()) for k, p in params.items()}
with torch.no_grad():
    out = model(X)
res["eval"] = [numpy_of(out), out.requires_grad]
register_fsdp_forward_method(model, "score")
register_fsdp_forward_method(make(), "score")       # not an FSDPModule: nothing to do
res["score"] = numpy_of(model.score(X[:3, :16]))
try:
    register_fsdp_forward_method(model, "nope")
except ValueError as e:
    res["no_method"] = type(e).__name__
dist.destroy_process_group()
with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
    pickle.dump(res, f)
