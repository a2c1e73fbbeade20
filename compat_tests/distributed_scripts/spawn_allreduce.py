"""torch.multiprocessing.spawn of 2 ranks that all_reduce over tcp://; rank 1 raises when asked to."""
import os, sys
import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def work(rank, world, port, fail):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    t = torch.tensor([rank + 1.0])
    dist.all_reduce(t)
    if fail and rank == 1:
        raise ValueError(f"rank {rank} saw {t.item()}")
    print(f"rank {rank}: {t.tolist()} {type(t).__module__}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    port, fail = int(sys.argv[1]), sys.argv[2] == "1"
    try:
        mp.spawn(work, args=(2, port, fail), nprocs=2)
        print("joined")
    except mp.ProcessRaisedException as e:
        print("raised", e.error_index, str(e).strip().splitlines()[-1])
