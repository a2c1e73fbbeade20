"""Every collective on 2+ ranks; run by torchrun (PyTorch) and torchlike.distributed.run alike.

Writes ``<out>/rank<r>.pkl``: a dict of numpy results (and error texts) that the test compares."""
import os
import pickle
import sys

import numpy as np
import torch
import torch.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
res = {"rank": rank, "world": world, "backend": str(dist.get_backend()), "init": dist.is_initialized()}


def base(dtype=torch.float32, shape=(2, 3)):
    return (torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape) * (rank + 1) - rank).to(dtype)


for op in ["SUM", "PRODUCT", "MIN", "MAX", "AVG"]:
    for dtype in [torch.float32, torch.int64]:
        if op == "AVG" and dtype == torch.int64:
            continue
        t = base(dtype)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        res[f"all_reduce_{op}_{dtype}"] = t.numpy()
for op in ["BAND", "BOR", "BXOR"]:
    t = base(torch.int32) + 5
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
    res[f"all_reduce_{op}"] = t.numpy()
t = torch.tensor([rank == 0, True, False])
dist.all_reduce(t)
res["all_reduce_bool"] = t.numpy()
t = base()
work = dist.all_reduce(t, async_op=True)
res["async"] = (work.wait(), work.is_completed(), t.numpy())
t = base()
fut = dist.all_reduce(t, async_op=True).get_future()
res["future"] = (fut.wait()[0].numpy(), fut.done(), fut.then(lambda f: f.value()[0].sum().item()).wait())
lst = [torch.zeros(2, 3) for _ in range(world)]
dist.all_gather(lst, base())
res["all_gather"] = [x.numpy() for x in lst]
o = torch.zeros(world * 2, 3)
dist.all_gather_into_tensor(o, base())
res["all_gather_into_tensor_cat"] = o.numpy()
o = torch.zeros(2, 3)
dist.reduce_scatter(o, [base() + i for i in range(world)])
res["reduce_scatter"] = o.numpy()
o = torch.zeros(3)
dist.reduce_scatter_tensor(o, base(shape=(world * 3,)), op=dist.ReduceOp.MAX)
res["reduce_scatter_tensor_max"] = o.numpy()
for src in range(world):
    t = base()
    dist.broadcast(t, src=src)
    res[f"broadcast_{src}"] = t.numpy()
t = base()
dist.reduce(t, dst=1)
if rank == 1:
    res["reduce"] = t.numpy()
g = [torch.zeros(2, 3) for _ in range(world)] if rank == 0 else None
dist.gather(base(), g, dst=0)
if rank == 0:
    res["gather"] = [x.numpy() for x in g]
t = torch.zeros(2, 3)
dist.scatter(t, [base() * 10 + i for i in range(world)] if rank == 1 else None, src=1)
res["scatter"] = t.numpy()
outs = [torch.zeros(3) for _ in range(world)]
dist.all_to_all(outs, [torch.full((3,), 10. * rank + i) for i in range(world)])
res["all_to_all"] = [x.numpy() for x in outs]
o = torch.zeros(world * 2)
dist.all_to_all_single(o, torch.arange(world * 2.) + 100 * rank)
res["all_to_all_single"] = o.numpy()
# point to point: a ring, blocking and non-blocking
t = torch.full((4,), float(rank))
if rank == 0:
    dist.send(t * 7, dst=1)
elif rank == 1:
    res["recv_src"] = dist.recv(t, src=0)
    res["recv"] = t.numpy()
t = torch.zeros(2, dtype=torch.int64)
if rank == 1:
    dist.isend(torch.tensor([5, 6]), dst=0).wait()
elif rank == 0:
    w = dist.irecv(t, src=1)
    w.wait()
    res["irecv"] = t.numpy()
# objects
objs = [{"rank": rank}, "x" * rank, None]
dist.broadcast_object_list(objs, src=1)
res["broadcast_object_list"] = objs
gathered = [None] * world
dist.all_gather_object(gathered, ("r", rank, [rank] * rank))
res["all_gather_object"] = gathered
# a subgroup
sub = dist.new_group([0, 1])
t = base()
dist.all_reduce(t, group=sub)
res["subgroup"] = (dist.get_rank(sub), dist.get_world_size(sub), t.numpy())
dist.barrier()
mine, subgroups = dist.new_subgroups(1)
t = base()
dist.all_reduce(t, group=mine)
res["new_subgroups"] = (len(subgroups), dist.get_world_size(mine), dist.get_process_group_ranks(mine), t.numpy())
if rank == 0:
    dist.send_object_list([{"a": [1, 2]}, "text"], dst=1)
elif rank == 1:
    got = [None, None]
    res["recv_object_list"] = (dist.recv_object_list(got, src=0), got)
ts = [base(), base(shape=(4,))]
dist.all_reduce_coalesced(ts, op=dist.ReduceOp.MAX)
res["all_reduce_coalesced"] = [t.numpy() for t in ts]
try:
    dist.all_reduce_coalesced([base(), base(torch.int64)])
except ValueError as e:
    res["all_reduce_coalesced_dtypes"] = str(e)
res["node_local_rank"] = dist.get_node_local_rank()
# gradients through a leaf: all_reduce is in place and records nothing
w = torch.ones(3, requires_grad=True)
with torch.no_grad():
    dist.all_reduce(w)
res["leaf"] = (w.detach().numpy(), w.requires_grad, w.grad_fn is None)
# errors
for name, fn in [("bad_op_dtype", lambda: dist.all_reduce(torch.ones(3), op=dist.ReduceOp.BAND)),
                 ("bad_list_len", lambda: dist.all_gather([torch.zeros(3)] * (world + 1), torch.ones(3))),
                 ("bad_list_shape", lambda: dist.all_gather([torch.zeros(2)] * world, torch.ones(3))),
                 ("gather_into_stacked", lambda: dist.all_gather_into_tensor(torch.zeros(world, 2, 3), base())),
                 ("bad_root", lambda: dist.broadcast(torch.ones(3), world + 3)),
                 ("send_self", lambda: dist.send(torch.ones(3), rank)),
                 ("not_tensor", lambda: dist.all_reduce([1.0])),
                 ("scatter_no_list", lambda: dist.scatter(torch.zeros(3), None, src=rank)),
                 ("twice", lambda: dist.init_process_group("gloo"))]:
    try:
        fn()
        res[name] = None
    except Exception as e:  # noqa: BLE001
        res[name] = (type(e).__name__, str(e).split("\n")[0])
dist.destroy_process_group()
res["after"] = dist.is_initialized()
with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
    pickle.dump(res, f)
