"""torch.distributed.tensor (DTensor) against PyTorch 2.13.

``distributed_scripts/dtensor.py`` runs the same checks on PyTorch (4 forked gloo ranks) and on
torchlike (one process over 4 forced host devices, each rank's view through
``device_mesh.as_rank``); every rank's local pieces, full tensors, placements and exceptions must
agree (float32 tolerance).
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from harness import same_results

SCRIPT = Path(__file__).parent / "distributed_scripts" / "dtensor.py"
ROOT = Path(__file__).parent.parent
WORLD = 4


def _run(argv, out_dir, env, timeout):
    proc = subprocess.run(argv + [str(SCRIPT), str(out_dir)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [pickle.loads((out_dir / f"rank{r}.pkl").read_bytes()) for r in range(WORLD)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("XLA_FLAGS", None)
    theirs = None
    for attempt in range(2):        # PyTorch's gloo rendezvous on a loaded 2-core machine now and then hangs
        try:
            theirs = _run([sys.executable], tmp_path_factory.mktemp("torch"), env, 90)
            break
        except subprocess.TimeoutExpired:
            if attempt:
                raise
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={WORLD}"
    ours = _run([sys.executable, "-m", "torchlike"], tmp_path_factory.mktemp("torchlike"), env, 180)
    return theirs, ours


def _compare(runs, *keys):
    theirs, ours = runs
    for r in range(WORLD):
        for k in keys:
            same_results(theirs[r][k], ours[r][k], f"rank{r}.{k}")


def test_distribute_tensor_pieces_match_pytorch(runs):
    """Shard (uneven, as torch.chunk), Replicate, Partial on a 4-rank and a 2x2 mesh: each rank's local."""
    _compare(runs, "rank", "coord", "coord2", "s0", "s1", "sneg", "r", "psum", "pavg", "pmax", "ints",
             "s0s1", "s0s0", "rs1", "s1p", "s1s0")
    ours = runs[1]
    assert [o["s0"]["local"].shape[0] for o in ours] == [2, 2, 1, 0]


def test_redistribute_matches_pytorch(runs):
    _compare(runs, "s0_s1", "s0_r", "r_s0", "s0s1_s1s0", "s0s1_rr", "s0s0_rs1", "p_r", "p_s0", "s0p_s1p")


def test_from_local_matches_pytorch(runs):
    _compare(runs, "fl_s0", "fl_s1", "fl_r", "fl_p", "fl_pmax", "fl_s0s1")


def test_ops_keep_pytorchs_placements(runs):
    """Pointwise ops keep the placements, a Partial is reduced first unless the op is linear, a full
    sum of a Shard is Partial(sum)."""
    _compare(runs, "ops")


def test_more_ops_keep_pytorchs_placements(runs):
    """Pointwise ops (Partial reduced first unless linear), mean() (an even Shard becomes Partial(avg),
    an uneven one is gathered first), matmul of Shard/Replicate/Partial operands, and the mixed
    DTensor/Tensor error: every rank's local piece and placements are PyTorch's."""
    _compare(runs, "ops2")


def test_dtensor_and_placement_api(runs):
    _compare(runs, "meta", "placement_api")


def test_errors_are_pytorchs(runs):
    _compare(runs, "errors")


def test_value_is_a_named_sharding():
    """Evenly divided shards are JAX's own NamedSharding: each device holds 1/N of the global value."""
    code = """
import torchlike as torch
from torchlike.distributed.device_mesh import init_device_mesh
from torchlike.distributed.tensor import Replicate, Shard, distribute_tensor
mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("a", "b"))
d = distribute_tensor(torch.arange(32.).reshape(8, 4), mesh, [Shard(0), Shard(1)])
a = d.jax()
print(tuple(a.sharding.spec), a.addressable_shards[0].data.shape,
      d.redistribute(mesh, [Replicate(), Replicate()]).jax().sharding.is_fully_replicated)
"""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split("\n")[0] == "('a', 'b') (4, 2) True"


def test_placements_in_this_process():
    import numpy
    from torchlike.distributed.tensor import Partial, Replicate, Shard
    with pytest.raises(TypeError):
        Shard("a")
    assert [repr(Shard(1)), str(Shard(1)), repr(Replicate()), str(Partial("max"))] == \
        ["Shard(dim=1)", "S(1)", "Replicate()", "P(max)"]
    assert Shard(numpy.int64(2)).dim == 2


def test_in_place_ops_refused_deepcopy_kept():
    code = """
import copy
import torchlike as torch
from torchlike.distributed.device_mesh import init_device_mesh
from torchlike.distributed.tensor import DTensor, Shard, distribute_tensor
mesh = init_device_mesh("cpu", (2,))
d = distribute_tensor(torch.arange(6.).reshape(3, 2), mesh, [Shard(0)])
for f in (lambda: d.add_(1), lambda: d.copy_(torch.zeros(3, 2)), lambda: d.__setitem__(0, 5.)):
    try:
        f()
        print("no error")
    except NotImplementedError:
        print("refused")
e = copy.deepcopy(d)
print(type(e).__name__, e.placements, e.full_tensor().tolist() == d.full_tensor().tolist())
"""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split("\n")[:4] == ["refused"] * 3 + ["DTensor (Shard(dim=0),) True"]
