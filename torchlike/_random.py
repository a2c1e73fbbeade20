"""Random numbers: ``manual_seed``, ``Generator``, and the sampling functions.

A :class:`Generator` holds a JAX PRNG key and splits it for every draw, so the
same seed gives the same stream on every run.  (The streams differ from
PyTorch's Mersenne-Twister/Philox ones: see docs/differences.md.)
"""
from __future__ import annotations

import builtins
import random as _pyrandom

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._creation import _check_size, _dt, _finish
from ._registry import _size

_DEFAULT_SEED = 67280421310721


class Generator:
    """A stream of random numbers (``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if not -(2 ** 63) <= seed < 2 ** 64:
            raise RuntimeError(f"Overflow when unpacking long long")
        self._seed = seed % (2 ** 64)
        self._key = jax.random.key_data(jax.random.PRNGKey(self._seed % (2 ** 63)))
        self._count = 0
        return self

    def seed(self):
        s = _pyrandom.SystemRandom().getrandbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from ._tensor import Tensor
        state = np.concatenate([np.asarray(self._key, np.uint32).view(np.uint8),
                                np.array([self._count], np.uint64).view(np.uint8),
                                np.array([self._seed], np.uint64).view(np.uint8)])
        return Tensor._wrap(jnp.asarray(state, jnp.uint8))

    def set_state(self, new_state):
        a = np.asarray(new_state._arr(), np.uint8)
        if a.size != 24:
            raise RuntimeError("RNG state is wrong size")
        self._key = jnp.asarray(a[:8].view(np.uint32))
        self._count = int(a[8:16].view(np.uint64)[0])
        self._seed = int(a[16:24].view(np.uint64)[0])
        return self

    def next_key(self):
        """A fresh key for one draw (fold in a counter: cheap, reproducible)."""
        k = jax.random.fold_in(jax.random.wrap_key_data(self._key), self._count)
        self._count += 1
        return k


default_generator = Generator()


def manual_seed(seed):
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _key(generator):
    return (generator or default_generator).next_key()


def _float_dtype(dtype, name):
    d = _dt(dtype)
    if d.category < D.FLOAT:
        raise RuntimeError(f'"{name}" not implemented for \'{d.name}\'')
    return d


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    size = _check_size(_size(size))
    d = _float_dtype(dtype, "check_uniform_bounds")
    arr = jax.random.uniform(_key(generator), size, dtype=jnp.float32 if d.itemsize < 4 else d.np).astype(d.np)
    return _finish(arr, d, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    size = _check_size(_size(size))
    d = _float_dtype(dtype, "normal_kernel_cpu")
    if d.category == D.COMPLEX:
        re = jax.random.normal(_key(generator), size, d.to_real().np)
        im = jax.random.normal(_key(generator), size, d.to_real().np)
        arr = ((re + 1j * im) / np.sqrt(2)).astype(d.np)
    else:
        arr = jax.random.normal(_key(generator), size, dtype=jnp.float32 if d.itemsize < 4 else d.np).astype(d.np)
    return _finish(arr, d, device, requires_grad)


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dtype or D.int64
    arr = jax.random.randint(_key(generator), tuple(size), low, high, dtype=jnp.int64).astype(d.np)
    return _finish(arr, d, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    d = dtype or D.int64
    arr = jax.random.permutation(_key(generator), n).astype(d.np)
    return _finish(arr, d, device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    from ._tensor import Tensor
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        ref = mean if isinstance(mean, Tensor) else std
        z = randn(*shape, dtype=ref.dtype, generator=generator)
        return z * std + mean
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = randn(*size, generator=generator, dtype=dtype, device=device)
    from .autograd import grad_mode
    with grad_mode.no_grad():
        r = z * std + mean
    r._requires_grad = requires_grad
    return r


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._arr() if p is None else jnp.full(input.shape, p, input.dtype.np)
    if bool(jnp.any((probs < 0) | (probs > 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    u = jax.random.uniform(_key(generator), input.shape, dtype=jnp.float32)
    return _finish((u < probs).astype(input.dtype.np))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    p = np.asarray(input._arr(), np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    logits = jnp.log(jnp.asarray(rows))
    key = _key(generator)
    if replacement:
        out_ = jax.random.categorical(key, logits, axis=-1, shape=(num_samples, rows.shape[0])).T
    else:
        g = jax.random.gumbel(key, logits.shape)
        out_ = jnp.argsort(-(logits + g), axis=-1)[:, :num_samples]
    out_ = out_.astype(jnp.int64)
    if p.ndim == 1:
        out_ = out_[0]
    return _finish(out_)


def _inplace_sampler(draw):
    def method(self, *args, generator=None, **kwargs):
        from ._registry import check_inplace
        check_inplace(self)
        arr = draw(_key(generator), tuple(self.shape), self.dtype, *args, **kwargs)
        self._assign(arr.astype(self.dtype.np))
        return self
    return method


def _uniform(key, shape, dtype, a=0.0, b=1.0):
    return jax.random.uniform(key, shape, jnp.float32 if dtype.itemsize < 4 else dtype.np, a, b)


def _normal(key, shape, dtype, mean=0.0, std=1.0):
    return jax.random.normal(key, shape, jnp.float32 if dtype.itemsize < 4 else dtype.np) * std + mean


def _bern(key, shape, dtype, p=0.5):
    probs = p._arr() if hasattr(p, "_arr") else p
    return jax.random.uniform(key, shape) < probs


def _random(key, shape, dtype, low=None, high=None):
    if low is None:
        low, high = 0, 2 ** 24 if dtype.category >= D.FLOAT else 2 ** 31
    elif high is None:
        low, high = 0, low
    return jax.random.randint(key, shape, low, high, dtype=jnp.int64)


def _exponential(key, shape, dtype, lambd=1.0):
    return jax.random.exponential(key, shape) / lambd


INPLACE_SAMPLERS = {"uniform_": _inplace_sampler(_uniform), "normal_": _inplace_sampler(_normal),
                    "bernoulli_": _inplace_sampler(_bern), "random_": _inplace_sampler(_random),
                    "exponential_": _inplace_sampler(_exponential)}
