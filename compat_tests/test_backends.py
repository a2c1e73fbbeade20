"""torch.backends switches and the float32 matmul precision."""
import warnings

import pytest
import torch

import torchlike


@pytest.fixture(autouse=True)
def _restore_precision():
    yield
    torch.set_float32_matmul_precision("highest")
    torchlike.set_float32_matmul_precision("highest")


def _state(T):
    return (T.get_float32_matmul_precision(), T.backends.cuda.matmul.allow_tf32, T.backends.mps.is_available())


@pytest.mark.parametrize("action", ["none", "high", "medium", "highest", "tf32_on", "tf32_off"])
def test_precision_and_flags_match(action):
    for T in (torch, torchlike):
        if action in ("high", "medium", "highest"):
            T.set_float32_matmul_precision(action)
        elif action == "tf32_on":
            T.backends.cuda.matmul.allow_tf32 = True
        elif action == "tf32_off":
            T.backends.cuda.matmul.allow_tf32 = False
    assert _state(torch) == _state(torchlike)


def test_unknown_precision_warns_and_changes_nothing():
    for T in (torch, torchlike):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.set_float32_matmul_precision("bad")
        assert any(issubclass(m.category, UserWarning) and "bad is not one of" in str(m.message) for m in w)
        assert T.get_float32_matmul_precision() == "highest"


@pytest.mark.parametrize("flags", [dict(enabled=False, benchmark=True, deterministic=True), dict(), dict(
    enabled=True, allow_tf32=False)])
def test_cudnn_flags_context(flags):
    """Scripts set cudnn flags; torch.testing freezes the global setters once imported, so both
    libraries are compared through the flags() context manager (which restores on exit)."""
    def state(T):
        c = T.backends.cudnn
        return c.enabled, c.benchmark, c.deterministic, c.allow_tf32
    before = state(torchlike)
    with torch.backends.cudnn.flags(**flags):
        expected = state(torch)
    with torchlike.backends.cudnn.flags(**flags):
        assert state(torchlike) == expected
    assert state(torchlike) == before


def test_torchlike_cudnn_flags_are_plain_settable_attributes():
    c = torchlike.backends.cudnn
    c.benchmark, c.deterministic = True, True
    assert c.benchmark and c.deterministic
    c.benchmark, c.deterministic = False, False


def test_matmul_is_full_float32_by_default():
    import jax
    assert jax.config.jax_default_matmul_precision == "highest"
    a = torchlike.randn(64, 64)
    b = torchlike.randn(64, 64)
    ref = a.double() @ b.double()
    assert ((a @ b).double() - ref).abs().max().item() < 1e-4
