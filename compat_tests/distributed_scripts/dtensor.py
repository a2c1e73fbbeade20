"""DTensor on a 4-rank mesh and a 2x2 mesh: every rank's local pieces, full tensors, placements after
distribute_tensor / from_local / redistribute / the ops that keep DTensors, and the errors.

    python dtensor.py OUT_DIR                    # PyTorch: 4 forked gloo ranks
    python -m torchlike dtensor.py OUT_DIR       # torchlike: one process over 4 forced host devices,
                                                 # each rank's view through device_mesh.as_rank(r)

Writes OUT_DIR/rank{r}.pkl (a dict of facts) for r in 0..3."""
import os
import pickle
import socket
import sys

import numpy as np
import torch
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard, distribute_tensor

WORLD = 4
TORCHLIKE = torch.__name__ != "torch"


def arr(t):
    return np.asarray(t.detach().numpy())


def facts(d):
    """What one rank sees of DTensor ``d``."""
    return {"local": arr(d.to_local()), "placements": repr(d.placements), "str": [str(p) for p in d.placements],
            "shape": tuple(d.shape), "dtype": str(d.dtype), "type": type(d).__name__,
            "local_type": type(d.to_local()).__name__}


def err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception type and text are the facts
        return type(e).__name__, str(e).split("\n")[0]
    return "no error"


def work(rank, mesh, mesh2):
    x = torch.arange(30.).reshape(5, 6)
    sq = torch.arange(16.).reshape(4, 4) - 5
    out = {"rank": rank, "coord": mesh.get_coordinate(), "coord2": mesh2.get_coordinate()}
    # distribute_tensor on a 1-D mesh (5 rows over 4 ranks: torch.chunk gives 2, 2, 1, 0)
    for name, pl in [("s0", [Shard(0)]), ("s1", [Shard(1)]), ("sneg", [Shard(-1)]), ("r", [Replicate()]),
                     ("psum", [Partial()]), ("pavg", [Partial("avg")]), ("pmax", [Partial("max")])]:
        d = distribute_tensor(x, mesh, pl)
        out[name] = dict(facts(d), full=arr(d.full_tensor()))
    ints = distribute_tensor(torch.arange(10).reshape(5, 2), mesh, [Shard(0)])
    out["ints"] = dict(facts(ints), full=arr(ints.full_tensor()))
    # a 2x2 mesh
    for name, pl in [("s0s1", [Shard(0), Shard(1)]), ("s0s0", [Shard(0), Shard(0)]), ("rs1", [Replicate(), Shard(1)]),
                     ("s1p", [Shard(1), Partial()]), ("s1s0", [Shard(1), Shard(0)])]:
        d = distribute_tensor(x, mesh2, pl)
        out[name] = dict(facts(d), full=arr(d.full_tensor()))
    # redistribute
    s0 = distribute_tensor(x, mesh, [Shard(0)])
    out["s0_s1"] = facts(s0.redistribute(mesh, [Shard(1)]))
    out["s0_r"] = facts(s0.redistribute(mesh, [Replicate()]))
    out["r_s0"] = facts(distribute_tensor(x, mesh, [Replicate()]).redistribute(mesh, [Shard(0)]))
    sq2 = distribute_tensor(sq, mesh2, [Shard(0), Shard(1)])
    out["s0s1_s1s0"] = facts(sq2.redistribute(mesh2, [Shard(1), Shard(0)]))
    out["s0s1_rr"] = facts(sq2.redistribute(mesh2, [Replicate(), Replicate()]))
    s0s0 = distribute_tensor(sq, mesh2, [Shard(0), Shard(0)])
    out["s0s0_rs1"] = facts(s0s0.redistribute(mesh2, [Replicate(), Shard(1)]))
    out["p_r"] = facts(distribute_tensor(x, mesh, [Partial()]).redistribute(mesh, [Replicate()]))
    out["p_s0"] = facts(distribute_tensor(x, mesh, [Partial()]).redistribute(mesh, [Shard(0)]))
    kept = distribute_tensor(sq, mesh2, [Shard(0), Partial()]).redistribute(mesh2, [Shard(1), Partial()])
    out["s0p_s1p"] = dict(facts(kept), full=arr(kept.full_tensor()))
    # from_local: the same local tensor on every rank
    local = torch.arange(6.).reshape(2, 3)
    for name, pl in [("fl_s0", [Shard(0)]), ("fl_s1", [Shard(1)]), ("fl_r", [Replicate()]), ("fl_p", [Partial()]),
                     ("fl_pmax", [Partial("max")])]:
        d = DTensor.from_local(local, mesh, pl)
        out[name] = dict(facts(d), full=arr(d.full_tensor()))
    fl2 = DTensor.from_local(local, mesh2, [Shard(0), Shard(1)])
    out["fl_s0s1"] = dict(facts(fl2), full=arr(fl2.full_tensor()))
    # ops that keep DTensors
    r = distribute_tensor(x, mesh, [Replicate()])
    p = DTensor.from_local(local, mesh, [Partial()])
    out["ops"] = {
        "s+r": facts(s0 + r), "s*s": facts(s0 * s0), "2-s": facts(2 - s0), "s/4": facts(s0 / 4), "-s": facts(-s0),
        "12/(s+1)": facts(12 / (s0 + 1)),
        "p*2": facts(p * 2), "p+1": facts(p + 1), "-p": facts(-p), "3*p": facts(3 * p),
        "s.sum": dict(facts(s0.sum()), full=arr(s0.sum().full_tensor())), "r.sum": facts(r.sum()),
        "p.sum": facts(p.sum()), "s2.sum": dict(facts(sq2.sum()), full=arr(sq2.sum().full_tensor())),
    }
    # ops with sharding rules beyond the arithmetic ones: pointwise, mean(), matmul
    sqr = distribute_tensor(sq, mesh, [Replicate()])
    sqs0, sqs1 = distribute_tensor(sq, mesh, [Shard(0)]), distribute_tensor(sq, mesh, [Shard(1)])
    w = torch.arange(18.).reshape(6, 3) / 10
    s1 = distribute_tensor(x, mesh, [Shard(1)])
    out["ops2"] = {
        "relu": facts(torch.relu(s0)), "tanh": facts(s0.tanh()), "abs": facts(torch.abs(distribute_tensor(
            sq, mesh, [Shard(1)]))), "sigmoid": facts(torch.sigmoid(r)), "exp_p": facts(p.exp()),
        "neg_p": facts(torch.neg(p)), "pow": facts(s0 ** 2), "clamp": facts(torch.clamp(s0, min=3.0, max=20.0)),
        "sin2": facts(torch.sin(sq2)),
        "mean_s0": dict(facts(s0.mean()), full=arr(s0.mean().full_tensor())), "mean_r": facts(r.mean()),
        "mean_even": dict(facts(sqs0.mean()), full=arr(sqs0.mean().full_tensor())),
        "mean_2d": dict(facts(sq2.mean()), full=arr(sq2.mean().full_tensor())),
        "s0@r": facts(sqs0 @ sqr), "r@s1": facts(torch.mm(sqr, sqs1)), "s1@s0": facts(torch.matmul(sqs1, sqs0)),
        "r@r": facts(sqr @ sqr), "s0@s0": facts(sqs0 @ sqs0),
        "p@r": facts(DTensor.from_local(torch.eye(4), mesh, [Partial()]) @ sqr),
        "uneven_s0@r": facts(s0 @ distribute_tensor(w, mesh, [Replicate()])),
        "uneven_s1@s0": dict(facts(s1 @ distribute_tensor(w, mesh, [Shard(0)])),
                             full=arr((s1 @ distribute_tensor(w, mesh, [Shard(0)])).full_tensor())),
        "mixed_mm": err(lambda: sqs0 @ sq),
        "sum0": facts(s0.sum(0)), "sum1": facts(s0.sum(1)), "sum_keep": facts(s1.sum(1, keepdim=True)),
        "torch_sum": facts(torch.sum(sqs0)), "sum_p": facts(p.sum(0)), "sum_2d": facts(sq2.sum(dim=(0,))),
        "mean0_uneven": facts(s0.mean(0)), "mean0_even": facts(sqs0.mean(0)), "mean1": facts(sqs0.mean(-1)),
        "mean_2d_dims": facts(sq2.mean(dim=[0, 1])),
        "t": facts(s0.t()), "transpose": facts(sq2.transpose(0, 1)), "t_r": facts(sqr.t()),
    }
    # what a DTensor is
    out["meta"] = [isinstance(s0, torch.Tensor), s0.device_mesh == mesh, s0.requires_grad, s0.is_leaf,
                   tuple(s0.stride()), s0.numel(), s0.dim(), s0.size(1),
                   distribute_tensor(torch.ones(4, requires_grad=True), mesh, [Shard(0)]).requires_grad,
                   distribute_tensor(s0, mesh, [Shard(0)]) is s0]
    out["placement_api"] = [Shard(0) == Shard(0), Shard(0) == Shard(1), Replicate() == Replicate(),
                            Partial() == Partial("sum"), Partial() == Partial("avg"), Shard(0) == Replicate(),
                            hash(Shard(1)) == hash(Shard(1)), Shard(0).is_shard(), Shard(0).is_shard(1),
                            Replicate().is_replicate(), Partial().is_partial(), Shard(2).is_replicate(),
                            Partial("max").reduce_op, Shard(3).dim, repr(Partial("avg")), str(Partial("avg")),
                            len({Shard(0), Shard(0), Replicate(), Partial()})]
    # errors: PyTorch's exception types (and texts, where they do not print the mesh)
    out["errors"] = {
        "placements_len": err(lambda: distribute_tensor(x, mesh, [Shard(0), Shard(1)])),
        "shard_dim": err(lambda: distribute_tensor(x, mesh, [Shard(2)])),
        "to_partial": err(lambda: s0.redistribute(mesh, [Partial()])),
        "r_to_partial": err(lambda: r.redistribute(mesh, [Partial()])),
        "p_to_pavg": err(lambda: p.redistribute(mesh, [Partial("avg")])),
        "other_mesh": err(lambda: s0.redistribute(mesh2, [Shard(0), Shard(1)])),
        "not_a_placement": err(lambda: distribute_tensor(x, mesh, ["x"])),
        "shard_str": err(lambda: Shard("a")),
        "mixed_add": err(lambda: s0 + x),
        "mixed_mul": err(lambda: s0 * x),
        "mixed_radd": err(lambda: x + s0),
        "non_leaf": err(lambda: distribute_tensor(torch.ones(4, requires_grad=True) * 2, mesh, [Shard(0)])),
        "no_placements": err(lambda: s0.redistribute(mesh)),
        "partial_foo": err(lambda: DTensor.from_local(local, mesh, [Partial("foo")]).full_tensor()),
        "partial_prod": err(lambda: distribute_tensor(x, mesh, [Partial("prod")])),
        "redistribute_again": err(lambda: distribute_tensor(s0, mesh, [Replicate()])),
        "no_mesh": err(lambda: distribute_tensor(x)),
    }
    return out


def save(out_dir, rank, out):
    with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
        pickle.dump(out, f)


def torch_rank(rank, port, out_dir):
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    mesh = init_device_mesh("cpu", (WORLD,), mesh_dim_names=("dp",))
    mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("a", "b"))
    save(out_dir, rank, work(rank, mesh, mesh2))
    dist.destroy_process_group()


def main(out_dir):
    if TORCHLIKE:
        from torch.distributed.device_mesh import as_rank
        mesh = init_device_mesh("cpu", (WORLD,), mesh_dim_names=("dp",))
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("a", "b"))
        for rank in range(WORLD):
            with as_rank(rank):
                save(out_dir, rank, work(rank, mesh, mesh2))
        return
    import torch.multiprocessing as mp
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    mp.start_processes(torch_rank, args=(port, out_dir), nprocs=WORLD, start_method="fork")


if __name__ == "__main__":
    main(sys.argv[1])
