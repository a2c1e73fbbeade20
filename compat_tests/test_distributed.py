"""torch.distributed on JAX's multi-process runtime: 2-process runs on localhost, compared with
PyTorch's gloo runs of the same scripts (``distributed_scripts/``), plus the errors PyTorch gives.

Each multi-process run is a pair of launches (torchrun for PyTorch, ``torchlike.distributed.run``
for torchlike) with a free port and a timeout, so a hang fails the test instead of the suite.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness import data, same, same_message, same_results
from torchlike.distributed.run import free_port, main as run_main

SCRIPTS = Path(__file__).parent / "distributed_scripts"
ROOT = Path(__file__).parent.parent


def launch(launcher, script, out_dir, *args, nproc=2, timeout=300, extra=()):
    """Run ``script out_dir args`` on ``nproc`` local ranks with ``launcher`` ('torch': torchrun in a
    subprocess; 'torchlike': ``torchlike.distributed.run.main`` in this process, which has torchlike
    imported already).  Returns (exit status, output of the ranks)."""
    argv = ["--nproc-per-node", str(nproc), "--master-port", str(free_port()), *extra,
            str(SCRIPTS / script), str(out_dir), *map(str, args)]
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    if launcher == "torch":
        return _torchrun(argv, env, timeout)
    log, said = Path(out_dir) / "log.txt", io.StringIO()
    with open(log, "w") as f, _environ(env), contextlib.redirect_stderr(said):
        code = run_main(argv, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    return code, log.read_text() + said.getvalue()


def _torchrun(argv, env, timeout, tries=2):
    """torchrun in its own process group, killed whole (ranks included) on a timeout.  The reference
    run is tried twice: PyTorch's gloo rendezvous on a loaded 2-core machine now and then hangs, and a
    hang of the reference is not a torchlike failure."""
    limit = min(timeout, 150)
    for attempt in range(tries):
        proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=limit)
            return proc.returncode, out
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            if attempt == tries - 1:
                raise AssertionError(f"torchrun timed out {tries} times after {limit} s:\n{out[-4000:]}")


class _environ:
    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = dict(os.environ)
        os.environ.update(self.env)

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


def results(out_dir, nproc=2):
    return [pickle.loads((Path(out_dir) / f"rank{r}.pkl").read_bytes()) for r in range(nproc)]


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The collectives script and the DDP script on 2 ranks: on PyTorch, one torchrun launch each (its
    gloo run of both in the same processes, re-initialising after ``destroy_process_group``, now and
    then hangs in the second ``init_process_group``); on torchlike, ``both.py`` runs them in the same
    processes through torchlike.distributed.run, which also checks init after destroy.
    {launcher: (results by script, output)}."""
    runs = {}
    out = tmp_path_factory.mktemp("torch")
    logs = []
    for name in ("collectives", "ddp"):
        (out / name).mkdir()
        code, log = launch("torch", f"{name}.py", out / name)
        assert code == 0, f"torch run of {name} failed:\n{log[-4000:]}"
        logs.append(log)
    runs["torch"] = ({name: results(out / name) for name in ("collectives", "ddp")}, "".join(logs))
    out = tmp_path_factory.mktemp("torchlike")
    code, log = launch("torchlike", "both.py", out)
    assert code == 0, f"torchlike run failed:\n{log[-4000:]}"
    runs["torchlike"] = ({name: results(out / name) for name in ("collectives", "ddp")}, log)
    return runs


def test_collectives_match_gloo(both_runs):
    """Every collective, ReduceOp, dtype, async handle, p2p, object collective, subgroup and argument
    error on 2 ranks gives what PyTorch's gloo gives."""
    theirs, ours = both_runs["torch"][0]["collectives"], both_runs["torchlike"][0]["collectives"]
    assert ours[0]["world"] == 2 and ours[1]["rank"] == 1
    for r in range(2):
        same_results(theirs[r], ours[r], f"rank{r}")


# --------------------------------------------------------------------------- DistributedSampler

@pytest.mark.parametrize("n,replicas", [(0, 2), (1, 3), (10, 3), (11, 4), (12, 4), (2, 5)])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_indices(n, replicas, shuffle, drop_last):
    """Each rank's indices, over epochs and seeds (also past 32 bits), are PyTorch's exactly."""
    def indices(T):
        out = []
        for seed in (0, 7, 2**32 + 5):
            for rank in range(replicas):
                s = T.utils.data.distributed.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                                                 shuffle=shuffle, seed=seed, drop_last=drop_last)
                for epoch in (0, 1, 5):
                    s.set_epoch(epoch)
                    out.append((len(s), list(s), s.num_samples, s.total_size))
        return out
    same(indices)


def test_distributed_sampler_in_a_dataloader():
    def batches(T):
        data = T.utils.data.TensorDataset(T.arange(23.))
        sampler = T.utils.data.DistributedSampler(data, num_replicas=3, rank=1, seed=4)
        loader = T.utils.data.DataLoader(data, batch_size=3, sampler=sampler)
        sampler.set_epoch(2)
        return [b[0] for b in loader]
    same(batches)


def test_distributed_sampler_errors():
    same(lambda T: T.utils.data.DistributedSampler(range(4), num_replicas=2, rank=2))
    same(lambda T: T.utils.data.DistributedSampler(range(4), num_replicas=2, rank=-1))
    same_message(lambda T: T.utils.data.DistributedSampler(range(4), num_replicas=2, rank=5))
    # no process group: the world size cannot be known
    same_message(lambda T: T.utils.data.DistributedSampler(range(4)))


# --------------------------------------------------------------------------- DataParallel

def _mlp(T, seed=0):
    net = T.nn.Sequential(T.nn.Linear(4, 5), T.nn.Tanh(), T.nn.Linear(5, 2), T.nn.BatchNorm1d(2))
    with T.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(T.tensor(data(*p.shape, seed=seed + i)))
    return net


def test_data_parallel_is_the_module_on_the_whole_batch():
    def step(T):
        net = _mlp(T)
        dp = T.nn.DataParallel(net)
        x = T.tensor(data(6, 4, seed=9))
        out = dp(x)
        (out * T.arange(12.).reshape(6, 2)).sum().backward()
        return (out, [p.grad for p in dp.parameters()], sorted(dp.state_dict()), dp.module is net,
                list(dp.state_dict()["module.3.running_mean"]), isinstance(dp, T.nn.Module))
    same(step)
    same(lambda T: T.nn.parallel.data_parallel(T.nn.Linear(2, 2), T.ones(3, 2)))


def test_ddp_needs_a_process_group():
    same_message(lambda T: T.nn.parallel.DistributedDataParallel(T.nn.Linear(2, 2)))


# --------------------------------------------------------------------------- DistributedDataParallel

def test_ddp_training_matches_pytorch_and_one_process(both_runs):
    """2-rank DDP with a DistributedSampler: rank 0 prints PyTorch's losses; parameters after
    training, no_sync accumulation, find_unused_parameters and the construction broadcast are
    PyTorch's; and DDP equals one process training on the whole batch.  (On torchlike it runs after
    the collectives script in the same processes: init_process_group works again after destroy.)"""
    (theirs, their_log), (ours, our_log) = both_runs["torch"], both_runs["torchlike"]
    theirs, ours = theirs["ddp"], ours["ddp"]

    def losses(log):
        return [line for line in log.splitlines() if line.startswith("epoch")]
    assert losses(our_log) == losses(their_log) and len(losses(our_log)) == 3
    for r in range(2):
        same_results(theirs[r], ours[r], f"rank{r}")
    for a, b in zip(ours[0]["trained"], ours[0]["single"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours[0]["trained"], ours[1]["trained"]):
        np.testing.assert_array_equal(a, b)
    assert ours[0]["keys"][0].startswith("module.")
    assert ours[0]["unused"][4] is None and ours[0]["unused"][2] is not None   # never used / used on rank 1


# --------------------------------------------------------------------------- errors and failures

@pytest.mark.parametrize("call", [
    "all_reduce(T.ones(3))", "broadcast(T.ones(3), 0)", "all_gather([T.ones(3)], T.ones(3))", "get_rank()",
    "get_world_size()", "barrier()", "get_backend()", "new_group([0])", "send(T.ones(3), 1)",
    "recv(T.ones(3), 0)", "broadcast_object_list([1])", "all_gather_object([None], 1)",
    "destroy_process_group()"])
def test_before_init_process_group(call):
    same_message(lambda T: eval("T.distributed." + call, {"T": T}))


def test_state_before_init():
    same(lambda T: (T.distributed.is_initialized(), T.distributed.is_available(),
                    T.distributed.is_gloo_available(), T.distributed.Backend("GLOO"), T.distributed.group.WORLD))


def test_reduce_op():
    same(lambda T: [repr(T.distributed.ReduceOp.SUM), str(T.distributed.ReduceOp.MAX),
                    int(T.distributed.ReduceOp.BXOR), T.distributed.ReduceOp.AVG == T.distributed.ReduceOp.RedOpType.AVG,
                    sorted(T.distributed.ReduceOp.RedOpType.__members__)])


def test_init_errors():
    import socket
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        same_message(lambda T: T.distributed.init_process_group(
            "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1))
    same_message(lambda T: T.distributed.init_process_group("foo", init_method="tcp://127.0.0.1:1", rank=0,
                                                            world_size=1))
    same_message(lambda T: T.distributed.init_process_group("gloo", init_method="bogus://x", rank=0, world_size=1))
    with _environ({}):
        for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
            os.environ.pop(name, None)
        same_message(lambda T: T.distributed.init_process_group("gloo"))
        os.environ["RANK"] = "0"
        same_message(lambda T: T.distributed.init_process_group("gloo"))


def test_dead_rank_fails_the_others(tmp_path):
    """Ranks passing different shapes get an error naming them; a rank that dies makes the survivor's
    collective raise (not hang) and the launcher report it."""
    code, log = launch("torchlike", "dead_rank.py", tmp_path, timeout=60)
    assert code == 1, log[-3000:]
    assert "rank 0 failed: DistBackendError" in log, log[-3000:]
    assert "mismatch: all_reduce: the tensors differ across ranks (rank 0: (2,) torch.float32, rank 1: (3,) " \
           "torch.float32)" in log, log[-3000:]
    assert "rank 1 (local_rank 1) failed with exit code 3" in log, log[-3000:]


def test_multiprocessing_spawn(tmp_path):
    """mp.spawn under ``python -m torchlike``: ``import torch`` in the children is torchlike, rank 0
    prints PyTorch's line, and rank 1's exception reaches the parent as ProcessRaisedException."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "torchlike", str(SCRIPTS / "spawn_allreduce.py"), str(free_port()),
                           "1"], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    lines = sorted(line for line in proc.stdout.splitlines() if line.startswith(("rank", "raised")))
    # rank 0 prints its all_reduce of 1 + 2; rank 1 raises ValueError after it (what PyTorch's run prints)
    assert lines == ["raised 1 ValueError: rank 1 saw 3.0", "rank 0: [3.0] torch"], proc.stdout + proc.stderr[-3000:]


# --------------------------------------------------------------------------- DeviceMesh and FSDP2

def test_fully_shard_on_8_host_devices():
    """fully_shard over a DeviceMesh of 8 forced host devices trains exactly as the unwrapped model,
    with 1/8 of each sharded parameter, gradient and Adam state per device and a full state dict."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "torchlike", str(SCRIPTS / "fsdp.py")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert facts["max_param_diff"] < 1e-5 and facts["losses_equal"]
    assert facts["param_fraction"] == facts["grad_fraction"] == facts["exp_avg_fraction"] == 1 / 8
    assert facts["head_replicated"]
    assert facts["class"] == "FSDPNet" and facts["is_fsdp"] and facts["keys"] and facts["loaded_equal"]
    # PyTorch 2.13's DeviceMesh repr (its __repr__: names=sizes or the shape, device type, stride)
    assert facts["mesh"] == ["DeviceMesh((dp=8), 'cpu', stride=(1,))", [8], 1, 8, 8, 0, "torch.int32"]
    assert facts["mesh2"] == ["DeviceMesh((dp=2, tp=4), 'cpu', stride=(4, 1))", "DeviceMesh((tp=4), 'cpu', stride=(1,))",
                              [0, 1, 2, 3], [0, 0]]


def test_fully_shard_across_processes_matches_pytorch(tmp_path):
    """FSDP2 on 2 processes (each block and the root fully_shard'ed, Adam, one device per process):
    PyTorch's gloo run's losses, parameters and gradients (global shapes, placements, each rank's
    local shard, uneven ones included), state-dict keys and shapes, full state dict saved by rank 0,
    torch.distributed.checkpoint.state_dict's sharded/whole/rank-0 state dicts and loading one back;
    each process stores half of a parameter, its gradient and its Adam state; and the result is
    one process training the unwrapped model on the whole batch."""
    runs = {}
    for launcher in ("torch", "torchlike"):
        (tmp_path / launcher).mkdir()
        code, log = launch(launcher, "fsdp_procs.py", tmp_path / launcher)
        assert code == 0, f"{launcher} run failed:\n{log[-4000:]}"
        runs[launcher] = (results(tmp_path / launcher), log)
    (theirs, their_log), (ours, our_log) = runs["torch"], runs["torchlike"]
    steps = [[ln for ln in log.splitlines() if ln.startswith("step")] for log in (their_log, our_log)]
    assert steps[0] == steps[1] and len(steps[0]) == 4
    assert "[Gloo]" not in our_log, our_log[-2000:]       # gloo's connection notice, which PyTorch never prints
    for r in range(2):
        same_results(theirs[r], ours[r], f"rank{r}")
        assert ours[r]["held"] == [0.5] * 4
    for k, v in ours[0]["single"].items():
        np.testing.assert_allclose(ours[0]["full"][k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_fully_shard_dead_rank_fails_the_other(tmp_path):
    """A rank that dies mid-training makes the other's next FSDP all-gather raise DistBackendError."""
    code, log = launch("torchlike", "fsdp_dead_rank.py", tmp_path, timeout=90)
    assert code == 1, log[-3000:]
    assert "rank 0 raised DistBackendError at step 1" in log, log[-3000:]
    assert "rank 1 (local_rank 1) failed with exit code 3" in log, log[-3000:]


def _state_dict_module(T):
    import importlib
    return importlib.import_module(T.__name__ + ".distributed.checkpoint.state_dict")


def test_checkpoint_state_dict_of_a_plain_module():
    """get/set_model_state_dict without a process group (the sharded case is in the 2-process FSDP
    test): keys, whole values, frozen parameters left out, loading strict and not, the options' repr."""
    def use(T):
        S = _state_dict_module(T)
        m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.Linear(3, 1))
        m[1].weight.requires_grad_(False)
        with T.no_grad():
            for i, p in enumerate(m.parameters()):
                p.copy_(T.tensor(data(*p.shape, seed=i)))
        got = S.get_model_state_dict(m)
        whole = S.get_model_state_dict(m, options=S.StateDictOptions(full_state_dict=True, cpu_offload=True))
        unfrozen = S.get_model_state_dict(m, options=S.StateDictOptions(ignore_frozen_params=True))
        loaded = S.set_model_state_dict(m, {k: v * 2 for k, v in got.items()})
        partly = S.set_model_state_dict(m, {"0.weight": T.ones(3, 2)}, options=S.StateDictOptions(strict=False))
        return (sorted(got), [whole[k] for k in sorted(whole)], sorted(unfrozen), tuple(loaded), tuple(partly),
                list(m.parameters()), repr(S.StateDictOptions()))
    same(use)
    same_message(lambda T: _state_dict_module(T).set_model_state_dict(
        T.nn.Linear(2, 3), {"weight": T.ones(3, 2), "extra": T.ones(1)}))


def test_distributed_scaling_benchmark_memory():
    """``benchmarks/distributed_scaling.py --quick --check`` on FSDP over 1 and 2 forced host devices
    (each in its own process): the small transformer trains with the one-device run's losses and each
    device holds half of the parameters, gradients and AdamW state.  Memory and losses only, never time.
    (Also the regression test of XLA:CPU's deadlock with many multi-device programs in flight, which
    ``torchlike/_pace.py`` works around: unpaced, the second step's forward hangs and aborts.)"""
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "distributed_scaling.py"), "--quick", "--check",
                           "--only", "fsdp", "--sizes", "1,2"], capture_output=True, text=True, timeout=240,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0 and "check: ok" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "| torchlike FSDP (fully_shard) | 2 |" in proc.stdout and "| 0.500 |" in proc.stdout


def test_device_mesh_errors():
    from torchlike.distributed.device_mesh import init_device_mesh
    with pytest.raises(RuntimeError, match="needs 8 devices"):
        init_device_mesh("cpu", (8,))
    with pytest.raises(RuntimeError, match="repeated mesh_dim_name"):
        init_device_mesh("cpu", (1, 1), mesh_dim_names=("a", "a"))
    with pytest.raises(RuntimeError, match="same length"):
        init_device_mesh("cpu", (1,), mesh_dim_names=("a", "b"))


# --------------------------------------------------------------------------- the launcher

def test_launcher_environment(tmp_path, capfd):
    """Each rank gets torchrun's variables: node 1 of 2 with 2 processes per node runs ranks 2 and 3."""
    code = run_main(["--nnodes", "2", "--node_rank=1", "--nproc_per_node=2", "--master-addr", "10.0.0.5",
                     "--master-port", "1234", "--no-python", "/bin/sh", "-c",
                     "echo rank=$RANK local=$LOCAL_RANK world=$WORLD_SIZE local_world=$LOCAL_WORLD_SIZE "
                     "group=$GROUP_RANK master=$MASTER_ADDR:$MASTER_PORT"], timeout=30)
    lines = sorted(line for line in capfd.readouterr().out.splitlines() if line.startswith("rank="))
    assert code == 0
    assert lines == ["rank=2 local=0 world=4 local_world=2 group=1 master=10.0.0.5:1234",
                     "rank=3 local=1 world=4 local_world=2 group=1 master=10.0.0.5:1234"]
    code = run_main(["--standalone", "--nproc-per-node", "1", "--no-python", "/bin/sh", "-c",
                     "echo standalone=$MASTER_ADDR:$WORLD_SIZE; exit 4"], timeout=30)
    captured = capfd.readouterr()
    assert code == 1 and "standalone=127.0.0.1:1" in captured.out
    assert "rank 0 (local_rank 0) failed with exit code 4" in captured.err
    with pytest.raises(SystemExit):
        run_main(["--nnodes", "2", "--node-rank", "2", "x.py"])
    with pytest.raises(SystemExit):
        run_main(["--nproc-per-node", "0", "x.py"])
