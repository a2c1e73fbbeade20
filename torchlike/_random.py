"""Random numbers: ``manual_seed``, ``Generator``, and the sampling functions.

A :class:`Generator` holds a JAX PRNG key (``_key``, raw key data) and a draw
counter (``_count``); draw ``n`` uses ``fold_in(key, n)``, so the same seed
gives the same stream on every run and ``get_rng_state``/``set_rng_state``
restore it exactly.  The streams differ from PyTorch's Mersenne-Twister ones
(docs/differences.md): the contract kept is PyTorch's API, shapes, dtypes,
value ranges, distributions and errors.

Each sampler is a jitted program per (distribution, shape, dtype) taking the
key data and the counter, so a draw costs one dispatch; ``torchlike.compile``
swaps ``_key`` for a traced key, so randomness is never frozen into a
compiled program.
"""
from __future__ import annotations

import builtins
import functools
import math
import random as _pyrandom

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._creation import _check_size, _dt, _finish, _parse_size
from ._device import _jax_devices, as_device
from ._registry import call, check_inplace, defop, check_no_overlap
from ._tensor import Tensor

_DEFAULT_SEED = 67280421310721
_STATE_SIZE = 5056            # bytes of PyTorch's CPU generator state; ours uses the first 32
_MAGIC = np.frombuffer(b"TLJAXRNG", np.uint8)


# ---- generators ----------------------------------------------------------------

class Generator:
    """A stream of random numbers (``torch.Generator``)."""

    _seeds = None

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seeds = None      # (key, first counter, host seeds of the counters from there): ``_draw_seed``
        if self.device.type == "cuda" and not _jax_devices("cuda"):
            raise RuntimeError("Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend into "
                               "two shared libraries: a CPU library and a CUDA library; this error has occurred "
                               "because you are trying to use some CUDA functionality, but the CUDA library has not "
                               "been loaded by the dynamic linker for some reason.")
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from ``seed`` (any integer in [-2**63, 2**64)); returns the generator."""
        seed = int(seed)
        if not -(2 ** 63) <= seed < 2 ** 64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % (2 ** 64)
        signed = self._seed - 2 ** 64 if self._seed >= 2 ** 63 else self._seed
        self._key = jax.random.key_data(jax.random.PRNGKey(signed))
        self._count = 0
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed."""
        s = _pyrandom.SystemRandom().getrandbits(64)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (PyTorch's size; restore it with ``set_state``)."""
        state = np.zeros(_STATE_SIZE, np.uint8)
        state[:8] = _MAGIC
        state[8:16] = np.asarray(self._key, np.uint32).view(np.uint8)
        state[16:24] = np.array([self._count], np.uint64).view(np.uint8)
        state[24:32] = np.array([self._seed], np.uint64).view(np.uint8)
        return Tensor._wrap(jnp.asarray(state))

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not D.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        a = np.asarray(new_state._arr(), np.uint8).reshape(-1)
        if a.size != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG state "
                               f"size to be {a.size}")
        self._key = jnp.asarray(a[8:16].view(np.uint32))
        self._count = int(a[16:24].view(np.uint64)[0])
        self._seed = int(a[24:32].view(np.uint64)[0])
        return self

    def next_key(self):
        """A fresh JAX key for one draw (the key folded with the draw counter)."""
        key, n = self._take()
        return jax.random.fold_in(jax.random.wrap_key_data(key), n)

    def _take(self):
        """(key data, counter) for one draw by a compiled sampler."""
        n = self._count
        self._count = n + 1
        if type(n) is TracedCount:
            return self._key, n.value()
        return self._key, np.uint32(n & 0xFFFFFFFF)

    def _draw_seed(self):
        """The 2-word seed of one draw (``_seed_program`` of the key and the counter).  Outside
        ``torchlike.compile`` the seeds of the next ``_SEED_BATCH`` counters are computed by one
        program and kept on the host with the key they belong to (the same bits: the counters are
        folded in one by one, vectorized), so a draw runs one program, its sampler."""
        n = self._count
        if type(n) is TracedCount:
            self._count = n + 1
            return _seed_program(self._key, n.value())
        c = self._seeds
        if c is None or c[0] is not self._key or not 0 <= n - c[1] < _SEED_BATCH:
            c = self._seeds = (self._key, n, np.asarray(_seed_batch(self._key, np.uint32(n & 0xFFFFFFFF))))
        self._count = n + 1
        return c[2][n - c[1]]


class TracedCount:
    """A generator's draw counter inside ``torchlike.compile``: a traced base plus the
    number of draws made so far in the trace, so a compiled step draws exactly the
    numbers the same step would draw eagerly, and the host advances the counter by
    ``draws`` after each call without reading anything back."""
    __slots__ = ("base", "draws")

    def __init__(self, base, draws=0):
        self.base, self.draws = base, draws

    def __add__(self, k):
        return TracedCount(self.base, self.draws + k)

    def value(self):
        return self.base + np.uint32(self.draws)


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _key(generator):
    """A fresh JAX key from ``generator`` (or the default one), for samplers written elsewhere."""
    return (generator or default_generator).next_key()


def _gen(generator):
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, got {type(generator).__name__}")
    return generator


# ---- compiled samplers ----------------------------------------------------------------
#
# A draw is two compiled programs.  The first (one program for every draw) folds the draw
# counter into the generator's key with JAX's threefry, giving a 64-bit seed.  The second,
# one per (distribution, shape, dtype), expands the seed into a SplitMix64 sequence (the
# Weyl sequence seed + k*golden through the SplitMix64 finaliser) and turns those words
# into the distribution.  SplitMix64 is statistically strong (it passes BigCrush) and,
# unlike threefry bits, compiles in a fraction of a second, which matters because every
# new shape compiles a program.  Uniforms use the top mantissa bits, so every value is
# exactly representable and below 1.

_MANTISSA = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@jax.jit
def _seed_program(key_data, count):
    return jax.random.key_data(jax.random.fold_in(jax.random.wrap_key_data(key_data), count))


_SEED_BATCH = 64


@jax.jit
def _seed_batch(key_data, first):
    """``_seed_program(key_data, first + k)`` for k < ``_SEED_BATCH`` (the counter wraps at 2**32)."""
    counts = first + jnp.arange(_SEED_BATCH, dtype=jnp.uint32)
    return jax.vmap(lambda c: _seed_program(key_data, c))(counts)


def _words(seed, n, wide):
    """``n`` random uint64 (``wide``) or uint32 words from a 2-word seed."""
    s = (seed[0].astype(jnp.uint64) << np.uint64(32)) | seed[1].astype(jnp.uint64)
    x = s + (jax.lax.iota(jnp.uint64, n) + np.uint64(1)) * _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return x if wide else (x >> np.uint64(32)).astype(jnp.uint32)


def _unit(bits, dtype):
    """Uniform [0, 1) in ``dtype`` (a real floating dtype) from uint32/uint64 bits."""
    m = _MANTISSA.get(dtype.name, 24)
    width = 64 if bits.dtype == jnp.uint64 else 32
    work = jnp.float64 if m > 24 else jnp.float32
    return ((bits >> (width - m)).astype(work) * work(2.0 ** -m)).astype(dtype.np)


def _open_unit(bits, work):
    """Uniform in the open interval (0, 1), in float32 or float64."""
    m = 53 if work == jnp.float64 else 24
    width = 64 if bits.dtype == jnp.uint64 else 32
    return ((bits >> (width - m)).astype(work) + work(0.5)) * work(2.0 ** -m)


def _work(dtype):
    return jnp.float64 if dtype.to_real() is D.float64 else jnp.float32


def _std_normal(bits, work):
    return work(math.sqrt(2.0)) * jax.lax.erf_inv(work(2.0) * _open_unit(bits, work) - work(1.0))


def _t_uniform(bits, shape, dtype, low, high):
    if dtype.category == D.COMPLEX:
        real = dtype.to_real()
        n = math.prod(shape)
        re, im = _unit(bits[:n], real), _unit(bits[n:2 * n], real)
        return jax.lax.complex(re * (high - low) + low, im * (high - low) + low).reshape(shape).astype(dtype.np)
    u = _unit(bits[:math.prod(shape)], dtype).reshape(shape)
    return (u * (high - low) + low).astype(dtype.np)


def _t_normal(bits, shape, dtype, mean, std):
    work = _work(dtype)
    n = math.prod(shape)
    if dtype.category == D.COMPLEX:
        z = jax.lax.complex(_std_normal(bits[:n], work), _std_normal(bits[n:2 * n], work)) * work(math.sqrt(0.5))
    else:
        z = _std_normal(bits[:n], work)
    return (z.reshape(shape) * std + mean).astype(dtype.np)


def _t_randint(bits, shape, dtype, low, high):
    span = (jnp.asarray(high, jnp.int64) - jnp.asarray(low, jnp.int64)).astype(jnp.uint64)
    v = (bits[:math.prod(shape)] % span).astype(jnp.int64) + low
    return D.cast_array(v.reshape(shape), dtype)


def _t_randperm(bits, shape, dtype):
    return D.cast_array(jnp.argsort(bits[:shape[0]]).astype(jnp.int64), dtype)


def _t_bernoulli(bits, shape, dtype, p):
    work = jnp.float64 if jnp.asarray(p).dtype == jnp.float64 else jnp.float32
    u = _unit(bits[:math.prod(shape)], D.float64 if work == jnp.float64 else D.float32).reshape(shape)
    return (u < p).astype(dtype.np)


def _t_exponential(bits, shape, dtype, lambd):
    work = _work(dtype)
    u = _open_unit(bits[:math.prod(shape)], work).reshape(shape)
    return (-jnp.log(u) / lambd).astype(dtype.np)


def _t_cauchy(bits, shape, dtype, median, sigma):
    work = _work(dtype)
    u = _open_unit(bits[:math.prod(shape)], work).reshape(shape)
    return (median + sigma * jnp.tan(work(math.pi) * (u - work(0.5)))).astype(dtype.np)


def _t_log_normal(bits, shape, dtype, mean, std):
    z = _std_normal(bits[:math.prod(shape)], _work(dtype)).reshape(shape)
    return jnp.exp(z * std + mean).astype(dtype.np)


def _t_geometric(bits, shape, dtype, p):
    u = _open_unit(bits[:math.prod(shape)], jnp.float64).reshape(shape)
    return jnp.maximum(jnp.ceil(jnp.log(u) / jnp.log1p(-p)), 1.0).astype(dtype.np)


def _t_multinomial(bits, shape, dtype, probs, replacement):
    rows, n = shape
    cats = probs.shape[-1]
    if replacement:
        # inverse CDF: the first category whose cumulative weight exceeds u * total
        cdf = jnp.cumsum(probs, axis=-1)
        u = _unit(bits[:rows * n], D.float64).reshape(rows, n, 1) * cdf[:, -1:, None].reshape(rows, 1, 1)
        idx = jnp.sum(cdf[:, None, :] <= u, axis=-1)
        return jnp.minimum(idx, cats - 1).astype(jnp.int64)
    # without replacement: the top n of log(p) + Gumbel noise (zero weights are never chosen)
    u = _open_unit(bits[:rows * cats], jnp.float64).reshape(rows, cats)
    keys = jnp.where(probs > 0, jnp.log(probs) - jnp.log(-jnp.log(u)), -jnp.inf)
    return jax.lax.top_k(keys, n)[1].astype(jnp.int64)


# (transform, how many bits per element, wide bits?)
_TRANSFORMS = {"uniform": _t_uniform, "normal": _t_normal, "randint": _t_randint, "randperm": _t_randperm,
               "bernoulli": _t_bernoulli, "exponential": _t_exponential, "cauchy": _t_cauchy,
               "log_normal": _t_log_normal, "geometric": _t_geometric, "multinomial": _t_multinomial}


@functools.lru_cache(maxsize=4096)
def _transform_program(kind, shape, dtype, statics, n, wide):
    fn = _TRANSFORMS[kind]
    return jax.jit(lambda seed, *params: fn(_words(seed, max(n, 1), wide), shape, dtype, *params, *statics))


def _needs(kind, shape, dtype, params, statics):
    """(number of random words, 64-bit words?) for one draw."""
    n = math.prod(shape)
    if kind == "multinomial":
        probs = params[0]
        return (n if statics[0] else shape[0] * probs.shape[-1]), True
    if kind in ("randint", "randperm", "geometric"):
        return n, True
    real = dtype.to_real() if dtype.category == D.COMPLEX else dtype
    count = 2 * n if dtype.category == D.COMPLEX else n
    return count, real is D.float64


def _sample(generator, kind, shape, dtype, *params, statics=()):
    """One draw: a JAX array of ``shape``/``dtype`` from distribution ``kind`` with (traced) ``params``."""
    shape = tuple(shape)
    n, wide = _needs(kind, shape, dtype, params, statics)
    seed = _gen(generator)._draw_seed()
    return _transform_program(kind, shape, dtype, statics, n, wide)(seed, *params)


def _poisson(generator, rates):
    return jax.random.poisson(_gen(generator).next_key(), rates, rates.shape).astype(rates.dtype)


# ---- argument checks ------------------------------------------------------------------

def _fmt(x):
    return f"{x:g}" if isinstance(x, builtins.float) else str(x)


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{D.WORDS[dtype.name]}'")


def _floating(dtype, kernel):
    if dtype.category < D.FLOAT:
        raise _not_implemented(kernel, dtype)
    return dtype


_BOUND_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long",
                "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
                "float64": "double", "uint16": "unsigned short", "uint32": "unsigned int",
                "uint64": "unsigned long"}
_FLOAT_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _int_range(dtype):
    """The integers ``random_``/``randint`` may produce in ``dtype``."""
    if dtype is D.bool:
        return 0, 1
    if dtype.category == D.INT:
        info = np.iinfo(dtype.np)
        return int(info.min), int(info.max)
    d = 2 ** _FLOAT_DIGITS.get(dtype.name, 24)
    return -d, d


def _check_bounds(dtype, low, high):
    lo, hi = _int_range(dtype)
    name = _BOUND_NAMES.get(dtype.name, dtype.name)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _check_from_to(low, high):
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")


def _integer_arg(x, fn, name, pos):
    if isinstance(x, builtins.bool) or not hasattr(x, "__index__"):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got {name} of type "
                        f"{type(x).__name__} (position {pos})")
    return int(x.__index__())


# ---- functions ----------------------------------------------------------------------------

def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    """Uniform samples in [0, 1)."""
    size = _check_size(_parse_size(size, "rand", kw.pop("size", None)))
    d = _floating(_dt(dtype), "check_uniform_bounds")
    return _out(_finish(_sample(generator, "uniform", size, d, 0.0, 1.0), d, device, requires_grad), out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    """Standard normal samples (complex dtypes: real and imaginary parts each of variance 1/2)."""
    size = _check_size(_parse_size(size, "randn", kw.pop("size", None)))
    d = _floating(_dt(dtype), "normal_kernel_cpu")
    return _out(_finish(_sample(generator, "normal", size, d, 0.0, 1.0), d, device, requires_grad), out)


def _out(t, out):
    if out is None:
        return t
    check_no_overlap(out)
    if tuple(out.shape) != tuple(t.shape):
        out._resize_to(t.shape)
    out._assign(t._arr().astype(out._dtype.np))
    return out


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
            pin_memory=False, low=None, high=None):
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if low is not None:
        args.insert(0, low)
    if high is not None:
        args.append(high)
    if size is None or len(args) not in (1, 2):
        raise TypeError(f"randint() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)}), but expected one of:\n"
                        " * (int high, tuple of ints size, *, torch.Generator generator, Tensor out, torch.dtype dtype, "
                        "torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)\n"
                        " * (int low, int high, tuple of ints size, *, torch.Generator generator, Tensor out, "
                        "torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, "
                        "bool requires_grad)")
    lo, hi = (0, args[0]) if len(args) == 1 else args
    lo = _integer_arg(lo, "randint", "low", 1)
    hi = _integer_arg(hi, "randint", "high", len(args))
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    size = _check_size(_parse_size((size,), "randint"))
    d = _dt(dtype, D.int64) if dtype is not None else D.int64
    _check_from_to(lo, hi)
    _check_bounds(d, lo, hi)
    return _out(_finish(_sample(generator, "randint", size, d, lo, hi), d, device, requires_grad), out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0 .. n-1."""
    n = _integer_arg(n, "randperm", "n", 1)
    _check_size((n,))
    d = _dt(dtype, D.int64) if dtype is not None else D.int64
    return _out(_finish(_sample(generator, "randperm", (n,), d), d, device, requires_grad), out)


def _like_dtype(input, dtype, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.dtype if dtype is None else D.as_dtype(dtype, name)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    dtype = _like_dtype(input, dtype, "rand_like")
    return rand(tuple(input.shape), dtype=dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    dtype = _like_dtype(input, dtype, "randn_like")
    return randn(tuple(input.shape), dtype=dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    dtype = _like_dtype(input, dtype, "randint_like")
    return randint(low, high, tuple(input.shape), dtype=dtype,
                   device=device or input.device, requires_grad=requires_grad, generator=generator)


# normal() with tensor parameters records PyTorch's NormalBackward1/2/3 nodes, whose gradient is
# zero (sampling is not reparameterised in torch.normal; torch.distributions does that).
_NORMAL_TF = defop("_normal_tf(Tensor mean, Index z, Index std)",
                   lambda m, z, s: jax.lax.stop_gradient(m + z * s), grad="NormalBackward1", saves=(),
                   function=False, method=False, out=False)
_NORMAL_FT = defop("_normal_ft(Index mean, Tensor std, Index z)",
                   lambda m, s, z: jax.lax.stop_gradient(m + z * s), grad="NormalBackward2", saves=(),
                   function=False, method=False, out=False)
_NORMAL_TT = defop("_normal_tt(Tensor mean, Tensor std, Index z)",
                   lambda m, s, z: jax.lax.stop_gradient(m + z * s), grad="NormalBackward3", saves=(),
                   function=False, method=False, out=False)
_BERNOULLI = defop("_bernoulli(Tensor self, Index u)",
                   lambda p, u: jax.lax.stop_gradient((u < p).astype(p.dtype)), grad="BernoulliBackward0",
                   saves=(), function=False, method=False, out=False)


def _check_std_tensor(std):
    if builtins.bool(jnp.any(std._arr() < 0)):
        raise RuntimeError("normal expects all elements of std >= 0.0")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Normal samples: ``normal(mean, std, size)`` with numbers, or elementwise with tensor ``mean``/``std``."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if tm or ts:
        if size is not None:
            raise TypeError("normal() received an invalid combination of arguments - got a size with tensor "
                            "mean/std")
        ref = D.promote_types(mean.dtype, std.dtype) if tm and ts else (mean if tm else std).dtype
        _floating(ref, "normal_kernel_cpu")
        shape = np.broadcast_shapes(tuple(mean.shape) if tm else (), tuple(std.shape) if ts else ())
        if ts:
            _check_std_tensor(std)
        elif std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        z = _sample(generator, "normal", shape, ref, 0.0, 1.0)
        if tm and ts:
            r = call(_NORMAL_TT, (mean, std, z), ())
        elif tm:
            r = call(_NORMAL_TF, (mean, z, std), ())
        else:
            r = call(_NORMAL_FT, (mean, std, z), ())
        return _out(r, out)
    if size is None:
        raise TypeError(f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                        f"{type(std).__name__}), but expected one of:\n"
                        " * (Tensor mean, Tensor std, *, torch.Generator generator, Tensor out)\n"
                        " * (Tensor mean, float std = 1, *, torch.Generator generator, Tensor out)\n"
                        " * (float mean, Tensor std, *, torch.Generator generator, Tensor out)\n"
                        " * (float mean, float std, tuple of ints size, *, torch.Generator generator, Tensor out, "
                        "torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, "
                        "bool requires_grad)")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    size = _check_size(_parse_size((size,) if isinstance(size, (tuple, list)) else (size,), "normal"))
    d = _floating(_dt(dtype), "normal_kernel_cpu")
    return _out(_finish(_sample(generator, "normal", size, d, mean, std), d, device, requires_grad), out)


def _check_p(p, name):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={_fmt(p)}")


_BERNOULLI_BAD_P = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                    "improved?  If so, please report an enhancement request to PyTorch.)")


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probabilities ``input`` (or the number ``p``), in ``input``'s dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(out, Tensor):
        check_no_overlap(out)
    if p is not None:
        _check_p(p, "bernoulli_")
        d = input.dtype
        probs = jnp.float64(p) if d is D.float64 else jnp.float32(p)
        return _out(_finish(_sample(generator, "bernoulli", tuple(input.shape), d, probs)), out)
    _floating(input.dtype, "bernoulli_tensor_cpu_p_")
    arr = input._arr()
    if not builtins.bool(jnp.all((arr >= 0) & (arr <= 1))):
        raise RuntimeError(_BERNOULLI_BAD_P)
    u = _sample(generator, "uniform", tuple(input.shape), D.float64 if input.dtype is D.float64 else D.float32,
                0.0, 1.0)
    return _out(call(_BERNOULLI, (input, u), ()), out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices sampled from the rows of ``input`` (non-negative weights); without replacement no
    index repeats within a row."""
    if input.dtype.category != D.FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{D.WORDS[input.dtype.name]}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = _integer_arg(num_samples, "multinomial", "num_samples", 2)
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {D.WORDS[out.dtype.name]}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    p = np.asarray(input._arr(), np.float64)
    rows = p.reshape(-1, p.shape[-1])
    if not replacement and n > rows.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    r = _sample(generator, "multinomial", (rows.shape[0], n), D.int64, jnp.asarray(rows),
                statics=(builtins.bool(replacement),))
    if input.ndim == 1:
        r = r[0]
    return _out(_finish(r), out)


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (same dtype)."""
    _floating(input.dtype, "poisson_cpu")
    return _finish(_poisson(generator, input._arr()))


def binomial(count, prob, generator=None, *, out=None):
    """Binomial samples: ``count`` trials of success probability ``prob`` (floating tensors of one dtype,
    broadcast), in ``count``'s dtype."""
    for name, t, pos in (("count", count, 1), ("prob", prob, 2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' (position {pos}) must be Tensor, not {type(t).__name__}")
    if count.dtype.category != D.FLOAT:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {D.WORDS[count.dtype.name]}")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {D.WORDS[prob.dtype.name]} but expected {D.WORDS[count.dtype.name]}")
    n, p = jnp.broadcast_arrays(count._arr(), prob._arr())
    draws = jax.random.binomial(_gen(generator).next_key(), n.astype(jnp.float64), p.astype(jnp.float64), n.shape)
    return _out(_finish(draws.astype(n.dtype)), out)


# ---- in-place samplers (Tensor methods) ----------------------------------------------------

def _fill(self, arr):
    check_inplace(self)
    self._assign(arr)
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    """Fill with samples uniform in [from, to)."""
    from_ = kw.pop("from", from_)
    d = _floating(self.dtype, "check_uniform_bounds")
    if d.category == D.FLOAT:
        limit = float(np.finfo(np.float32 if d.itemsize <= 4 and d is not D.bfloat16 else np.float64).max) \
            if d is not D.float64 else math.inf
        name = _BOUND_NAMES[d.name] if d.itemsize > 2 else "float"
        if not (math.isfinite(from_) and abs(from_) <= limit):
            raise RuntimeError(f"from is out of bounds for {name}")
        if not (math.isfinite(to) and abs(to) <= limit):
            raise RuntimeError(f"to is out of bounds for {name}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(from_)} > "
                           f"to={_fmt(to)}")
    return _fill(self, _sample(generator, "uniform", tuple(self.shape), d, from_, to))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples."""
    d = _floating(self.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _fill(self, _sample(generator, "normal", tuple(self.shape), d, mean, std))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 samples of probability ``p`` (a number or a tensor)."""
    if isinstance(p, Tensor):
        arr = p._arr()
        if not builtins.bool(jnp.all((arr >= 0) & (arr <= 1))):
            raise RuntimeError(_BERNOULLI_BAD_P)
        probs = jnp.broadcast_to(arr.astype(jnp.float64 if arr.dtype == jnp.float64 else jnp.float32),
                                 tuple(self.shape))
    else:
        _check_p(p, "bernoulli_")
        probs = jnp.float32(p) if self.dtype is not D.float64 else jnp.float64(p)
    return _fill(self, _sample(generator, "bernoulli", tuple(self.shape), self.dtype, probs))


def random_(self, from_=None, to=None, *, generator=None, **kw):
    """Fill with integers uniform in [from, to): ``random_()`` (the dtype's whole integer range),
    ``random_(to)`` or ``random_(from, to)``."""
    from_ = kw.pop("from", from_)
    d = self.dtype
    if d.category == D.COMPLEX:
        raise _not_implemented("random_", d)
    if from_ is None and to is None:
        lo, hi = _int_range(d)
        lo, hi = (0, hi + 1) if d.category != D.FLOAT else (0, hi + 1)
        hi = min(hi, 2 ** 63 - 1)
    else:
        if to is None:
            from_, to = 0, from_
        lo, hi = int(from_), int(to)
        _check_from_to(lo, hi)
        _check_bounds(d, lo, hi)
    return _fill(self, _sample(generator, "randint", tuple(self.shape), d, lo, hi))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate ``lambd``."""
    if self.dtype.category != D.FLOAT:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {D.WORDS[self.dtype.name]}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    return _fill(self, _sample(generator, "exponential", tuple(self.shape), self.dtype, lambd))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    d = _floating(self.dtype, "cauchy_cpu")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    return _fill(self, _sample(generator, "cauchy", tuple(self.shape), d, median, sigma))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    d = _floating(self.dtype, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    return _fill(self, _sample(generator, "log_normal", tuple(self.shape), d, mean, std))


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    return _fill(self, _sample(generator, "geometric", tuple(self.shape), self.dtype, p))


INPLACE_SAMPLERS = {"uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_, "random_": random_,
                    "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
                    "geometric_": geometric_,
                    # and the out-of-place sampling methods: x.bernoulli(), probs.multinomial(n)
                    "bernoulli": bernoulli, "multinomial": multinomial}
