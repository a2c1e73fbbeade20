"""torch.distributed's smaller names on 2 ranks (all_gather_single, reduce_scatter_single, split_group,
shrink_group, get_backend_config, breakpoint, record_comm); run by torchrun and torchlike.distributed.run.

Writes ``<out>/rank<r>.pkl``: results and (exception type, message-or-None) pairs."""
import pickle
import sys

import torch
import torch.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
res = {}


def attempt(key, fn, message=True):
    try:
        res[key] = ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - compared
        res[key] = (type(exc).__name__, str(exc) if message else None)


o = torch.zeros(world * 2)
dist.all_gather_single(o, torch.arange(2.) + 10 * rank)
res["all_gather_single"] = o.numpy()
o = torch.zeros(world * 2, 3, dtype=torch.int64)
work = dist.all_gather_single(o, torch.full((2, 3), rank), async_op=True)
res["all_gather_single_async"] = (work.wait(), o.numpy())
attempt("all_gather_single_stacked", lambda: dist.all_gather_single(torch.zeros(world, 2), torch.ones(2)), False)
attempt("all_gather_single_dtype", lambda: dist.all_gather_single(torch.zeros(world * 2), torch.ones(2).long()),
        False)
o = torch.zeros(2)
dist.reduce_scatter_single(o, torch.arange(world * 2.) + rank)
res["reduce_scatter_single"] = o.numpy()
o = torch.zeros(2, dtype=torch.int32)
dist.reduce_scatter_single(o, (torch.arange(world * 2) * (rank + 1)).int(), op=dist.ReduceOp.MAX)
res["reduce_scatter_single_max"] = o.numpy()
attempt("reduce_scatter_single_bad", lambda: dist.reduce_scatter_single(torch.zeros(2), torch.ones(3)), False)
res["backend_config"] = dist.get_backend_config()
g = dist.new_group([0, 1])
res["backend_config_group"] = dist.get_backend_config(g)
attempt("split_group", lambda: dist.split_group(None, [[0], [1]]))
attempt("shrink_group_empty", lambda: dist.shrink_group([]))
attempt("shrink_group", lambda: dist.shrink_group([1]))
res["breakpoint_nobody"] = dist.breakpoint(rank=world)
res["breakpoint_skipped"] = dist.breakpoint(rank=0, skip=1)
with dist.record_comm("layer1 gather"):
    t = torch.ones(2) * (rank + 1)
    dist.all_reduce(t)
res["record_comm"] = t.numpy()
dist.barrier()
with open(f"{out_dir}/rank{rank}.pkl", "wb") as f:
    pickle.dump(res, f)
dist.destroy_process_group()
