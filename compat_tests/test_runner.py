"""``python -m torchlike script.py``: an unmodified torch script gives PyTorch's output."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = '''
import math
import sys
import torch
from torch.autograd import functional
import torch.autograd as autograd

a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
b = torch.sin(a)
c = 2 * b
d = c + 1
d.sum().backward()
print(a.grad)
print(d.grad_fn.name(), [type(n).__name__ for n, _ in d.grad_fn.next_functions])
print(functional.jacobian(lambda x: x.exp(), torch.tensor([0.0, 1.0])))
print(sys.argv[1:])
'''


def _run(cmd, tmp_path, text=SCRIPT, args=("--flag", "x")):
    """The stdout of ``text`` run as a script by ``cmd`` (which must succeed)."""
    script = tmp_path / "script.py"
    script.write_text(text)
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run(cmd + [str(script), *args], capture_output=True, text=True, env=env, timeout=600,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return r.stdout


def same_under_runner(tmp_path, text=SCRIPT, args=("--flag", "x")):
    """``text`` prints the same under PyTorch and under ``python -m torchlike``."""
    expected = _run([sys.executable], tmp_path, text, args)
    actual = _run([sys.executable, "-m", "torchlike"], tmp_path, text, args)
    assert actual == expected


def test_unmodified_torch_script_matches_pytorch(tmp_path):
    same_under_runner(tmp_path)


def test_runner_really_uses_torchlike(tmp_path):
    script = tmp_path / "who.py"
    script.write_text("import torch\nprint(torch.__name__, type(torch.ones(1)).__module__)\n")
    r = subprocess.run([sys.executable, "-m", "torchlike", str(script)], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["torchlike", "torch"]      # the module is torchlike; its classes say torch
