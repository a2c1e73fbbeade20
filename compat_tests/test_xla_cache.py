"""Compiled programs kept on disk between runs (``torchlike/_xla_cache.py``, JAX's persistent cache).

Each run is a fresh process (the cache is set up at import).  A second run loads the programs the
first compiled, and computes the same bits, which agree with PyTorch's values; the directory is
private, can be turned off or moved, leaves a user's own JAX setting alone, and is pruned.
"""
import json
import os
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# a forward, a backward and a value read: deferred segments, the fused backward and op programs
PROGRAM = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from jax import monitoring
hits = []
monitoring.register_event_listener(lambda e, **k: hits.append(e) if e.endswith("cache_hits") else None)
import jax
import numpy as np
import torchlike as torch
x = torch.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
w = torch.tensor(np.linspace(0.5, 1.5, 20, dtype=np.float32).reshape(4, 5))
y = (x.sin() @ w).tanh()
loss = (y * y).mean()
loss.backward()
print(json.dumps({"loss": loss.item(), "y": y.detach().numpy().view(np.uint32).ravel().tolist(),
                  "grad": x.grad.numpy().view(np.uint32).ravel().tolist(), "hits": len(hits),
                  "dir": jax.config.jax_compilation_cache_dir}))
"""


def _run(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHLIKE_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")       # never the user's own cache
    env.update(env_extra)
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    out = subprocess.run([sys.executable, str(script), ROOT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _torch_result():
    x = torch.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    w = torch.tensor(np.linspace(0.5, 1.5, 20, dtype=np.float32).reshape(4, 5))
    y = (x.sin() @ w).tanh()
    loss = (y * y).mean()
    loss.backward()
    return loss.item(), y.detach().numpy(), x.grad.numpy()


def _check_against_torch(r):
    loss, y, g = _torch_result()
    assert r["loss"] == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(np.array(r["y"], np.uint32).view(np.float32), y.ravel(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(r["grad"], np.uint32).view(np.float32), g.ravel(), rtol=1e-4, atol=1e-6)


def test_second_run_loads_the_programs_and_computes_the_same_bits(tmp_path):
    where = tmp_path / "cache"
    first = _run({"TORCHLIKE_CACHE_DIR": str(where)}, tmp_path)
    assert first["dir"] == str(where) and first["hits"] == 0
    entries = [p for p in os.listdir(where) if not p.startswith(".")]
    assert entries                                          # the programs it compiled are kept
    assert stat.S_IMODE(os.stat(where).st_mode) == 0o700    # a directory no one else can write
    second = _run({"TORCHLIKE_CACHE_DIR": str(where)}, tmp_path)
    assert second["hits"] > 0
    for k in ("loss", "y", "grad"):
        assert second[k] == first[k]                        # bit for bit
    _check_against_torch(second)


def test_default_directory_is_under_the_user_cache(tmp_path):
    r = _run({}, tmp_path)
    assert r["dir"] == str(tmp_path / "xdg" / "torchlike" / "xla")
    assert os.listdir(r["dir"])
    _check_against_torch(r)


@pytest.mark.parametrize("value", ["0", ""])
def test_turned_off(tmp_path, value):
    r = _run({"TORCHLIKE_CACHE_DIR": value}, tmp_path)
    assert r["dir"] is None and r["hits"] == 0
    assert not (tmp_path / "xdg").exists()
    _check_against_torch(r)


def test_the_users_own_jax_setting_is_kept(tmp_path):
    mine = tmp_path / "mine"
    r = _run({"JAX_COMPILATION_CACHE_DIR": str(mine)}, tmp_path)
    assert r["dir"] == str(mine)
    assert not (tmp_path / "xdg").exists()


def test_a_directory_others_can_write_is_not_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    r = _run({"TORCHLIKE_CACHE_DIR": str(shared)}, tmp_path)
    assert r["dir"] is None
    assert os.listdir(shared) == []
    _check_against_torch(r)


def test_prune_keeps_the_most_recently_used(tmp_path):
    from torchlike import _xla_cache
    now = time.time()
    for i in range(6):
        p = tmp_path / f"entry{i}-cache"
        p.write_bytes(b"x" * 100)
        os.utime(p, (now - 1000 + i, now - 1000 + i))     # entry0 oldest
    assert _xla_cache.prune(str(tmp_path), max_bytes=250) == 200
    assert sorted(os.listdir(tmp_path)) == [".torchlike-pruned", "entry4-cache", "entry5-cache"]
    # pruned a moment ago: not looked at again until ``every`` has passed
    (tmp_path / "entry6-cache").write_bytes(b"x" * 100)
    assert _xla_cache.prune(str(tmp_path), max_bytes=50) is None
    assert len(os.listdir(tmp_path)) == 4
    assert _xla_cache.prune(str(tmp_path), max_bytes=50, every=0) == 0
    assert os.listdir(tmp_path) == [".torchlike-pruned"]
