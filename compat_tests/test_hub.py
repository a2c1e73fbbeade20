"""torch.hub on local directories and the hub cache (no network: a download from an unresolvable host
fails with URLError in both libraries), against PyTorch."""
import os

import pytest

from harness import same, same_message

HUBCONF = '''dependencies = ["numpy"]

def lin(T, n=2, bias=True):
    """A linear layer."""
    return T.nn.Linear(n, 3, bias=bias)


def answer():
    return 42


def _private():
    pass


not_callable = 3
'''


@pytest.fixture
def hub_dir(tmp_path):
    import torch
    import torchlike
    old = (torch.hub._hub_dir, torchlike.hub._hub_dir)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hubconf.py").write_text(HUBCONF)
    cached = tmp_path / "hub" / "pytorch_vision_main"
    cached.mkdir(parents=True)
    (cached / "hubconf.py").write_text(HUBCONF)
    (tmp_path / "hub" / "checkpoints").mkdir()
    torch.save({"w": torch.arange(3.0), "step": 7}, str(tmp_path / "hub" / "checkpoints" / "w-abc123.pth"))
    yield tmp_path
    torch.hub._hub_dir, torchlike.hub._hub_dir = old


def test_dirs(hub_dir, monkeypatch):
    def f(T):
        T.hub.set_dir(str(hub_dir / "x"))
        a = T.hub.get_dir()
        T.hub._hub_dir = None
        monkeypatch.setenv("TORCH_HOME", str(hub_dir / "home"))
        b = T.hub.get_dir()
        monkeypatch.delenv("TORCH_HOME")
        monkeypatch.setenv("XDG_CACHE_HOME", str(hub_dir / "xdg"))
        return a, b, T.hub.get_dir()
    same(f)


def test_load_local(hub_dir):
    def f(T):
        m = T.hub.load(str(hub_dir / "repo"), "lin", T, 4, source="local", bias=False)
        return repr(m), T.hub.load(str(hub_dir / "repo"), "answer", source="LOCAL")
    same(f)


def test_github_cache_offline(hub_dir):
    """A cached repository (owner 'pytorch' is trusted) is used without network."""
    def f(T):
        T.hub.set_dir(str(hub_dir / "hub"))
        return (T.hub.load("pytorch/vision:main", "answer", skip_validation=True),
                T.hub.list("pytorch/vision:main", skip_validation=True),
                T.hub.help("pytorch/vision:main", "lin", skip_validation=True),
                T.hub.load("pytorch/vision:main", "answer", trust_repo=True, verbose=False),
                sorted(os.listdir(hub_dir / "hub")))
    same(f)


def test_load_state_dict_from_url_cached(hub_dir):
    def f(T):
        T.hub.set_dir(str(hub_dir / "hub"))
        a = T.hub.load_state_dict_from_url("https://example.invalid/models/w-abc123.pth")
        b = T.hub.load_state_dict_from_url("https://example.invalid/models/zz.pth", file_name="w-abc123.pth",
                                           map_location="cpu", weights_only=True, check_hash=True)
        c = T.hub.load_state_dict_from_url("https://example.invalid/w-abc123.pth",
                                           model_dir=str(hub_dir / "hub" / "checkpoints"))
        return a, b, c
    same(f)


def test_errors(hub_dir):
    repo = str(hub_dir / "repo")
    same_message(lambda T: T.hub.load(repo, "answer", source="foo"))
    same_message(lambda T: T.hub.load(repo, "nope", source="local"))
    same_message(lambda T: T.hub.load(repo, "not_callable", source="local"))
    same_message(lambda T: T.hub.load(repo, 3, source="local"))
    same(lambda T: T.hub.load(str(hub_dir), "answer", source="local"))       # no hubconf.py: FileNotFoundError
    (hub_dir / "deps").mkdir()
    (hub_dir / "deps" / "hubconf.py").write_text('dependencies = ["no_such_pkg_xyz", "numpy", "no_such_2"]\n'
                                                 'def f():\n    return 1\n')
    same_message(lambda T: T.hub.load(str(hub_dir / "deps"), "f", source="local"))

    def offline(T):
        T.hub.set_dir(str(hub_dir / "hub"))
        T.hub.load_state_dict_from_url("https://example.invalid/models/missing-0123.pth")
    same(offline)       # URLError: the host does not resolve
    same(lambda T: T.hub.download_url_to_file("https://example.invalid/f", str(hub_dir / "f")))
    same(lambda T: T.hub.load("pytorchvision", "answer", skip_validation=True))
