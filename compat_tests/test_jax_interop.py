"""Stepping between torchlike and JAX: Tensors are pytrees; conversions don't copy.

Expected values come from PyTorch running the same computation.
"""
import jax
import jax.numpy as jnp
import numpy as np
import torch

import torchlike
from harness import data


def test_from_jax_and_jax_round_trip_without_copy():
    a = jnp.arange(6.0, dtype=jnp.float32).reshape(2, 3)
    t = torchlike.from_jax(a)
    assert t.jax() is a
    assert t.dtype is torchlike.float32 and tuple(t.shape) == (2, 3)
    assert torchlike.from_jax(a, requires_grad=True).requires_grad


def test_jit_of_a_function_of_tensors():
    x = data(3, 4, seed=3)

    def f(T, t):
        return (t * 2).sin().sum(1)
    got = jax.jit(lambda t: f(torchlike, t))(torchlike.tensor(x))
    assert isinstance(got, torchlike.Tensor)
    np.testing.assert_allclose(got.numpy(), f(torch, torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6)


def test_vmap_over_tensors():
    x = data(5, 3, seed=4)
    got = jax.vmap(lambda t: (t.exp() * t).sum())(torchlike.tensor(x))
    want = (torch.tensor(x).exp() * torch.tensor(x)).sum(1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_jax_grad_through_tensor_ops():
    x = data(4, seed=5)
    g = jax.grad(lambda a: torchlike.from_jax(a).sin().mul(3).sum().jax())(jnp.asarray(x))
    xt = torch.tensor(x, requires_grad=True)
    xt.sin().mul(3).sum().backward()
    np.testing.assert_allclose(np.asarray(g), xt.grad.numpy(), rtol=1e-6)


def test_tape_stays_out_of_jax_transforms():
    x = torchlike.tensor(data(3, seed=6), requires_grad=True)
    out = jax.jit(lambda t: t * 2)(x)
    assert out.grad_fn is None
