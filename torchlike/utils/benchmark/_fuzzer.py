"""Seeded generation of benchmark inputs: ``FuzzedParameter`` (a named value drawn from a uniform,
log-uniform or custom distribution), ``ParameterAlias`` (a value that repeats another parameter's),
``FuzzedTensor`` (a tensor whose shape, steps and memory order come from the parameters) and
``Fuzzer``, whose ``take(n)`` yields ``(tensors, tensor_properties, parameters)`` dicts.

Everything a ``Fuzzer`` draws, tensor values included, comes from one ``numpy.random.RandomState``
seeded with its ``seed`` at the start of each ``take``, so one seed always gives one sequence (the
values differ from PyTorch's, which draws tensor values from its global generator).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import torchlike

_MAX_ATTEMPTS = 1000


class ParameterAlias:
    """A parameter value that stands for another parameter's value (``alias_to`` names it)."""

    def __init__(self, alias_to):
        self.alias_to = alias_to

    def __repr__(self):
        return f"ParameterAlias[alias_to: {self.alias_to}]"


class FuzzedParameter:
    """A named value: ``distribution`` is ``"uniform"`` (integers in ``[minval, maxval]`` when both
    bounds are ints, else reals), ``"loguniform"`` (the integer part of ``2**u`` for ``u`` uniform
    between the bounds' base-2 logarithms, clipped to the bounds), or a dict of value -> probability.
    ``strict`` is kept as an attribute: torchlike's ``Fuzzer`` redraws every parameter on rejection.  PyTorch 2.13 refuses a
    dict whose probabilities add up to exactly 1 ("Distribution is not normalized") and numpy then
    refuses any other when sampling; torchlike does the same."""

    def __init__(self, name, minval=None, maxval=None, distribution=None, strict=False):
        self._name = name
        self._minval = minval
        self._maxval = maxval
        self._distribution = self._check_distribution(distribution)
        self.strict = strict

    @property
    def name(self):
        return self._name

    def sample(self, state):
        if self._distribution == "loguniform":
            return self._loguniform(state)
        if self._distribution == "uniform":
            return self._uniform(state)
        return self._custom_distribution(state)

    def _check_distribution(self, distribution):
        if not isinstance(distribution, dict):
            assert distribution in ("loguniform", "uniform"), f"Unknown distribution: {distribution}"
            return distribution
        assert not any(p < 0 for p in distribution.values()), "Probabilities cannot be negative"
        if sum(distribution.values()) == 1:
            raise AssertionError("Distribution is not normalized")
        return distribution

    def _ints(self):
        return isinstance(self._minval, int) and isinstance(self._maxval, int)

    def _loguniform(self, state):
        value = int(2 ** state.uniform(low=math.log2(self._minval), high=math.log2(self._maxval)))
        if value < self._minval:
            return self._minval
        return self._maxval if value > self._maxval else value

    def _uniform(self, state):
        if self._ints():
            return int(state.randint(low=self._minval, high=self._maxval + 1))
        return state.uniform(low=self._minval, high=self._maxval)

    def _custom_distribution(self, state):
        values = list(self._distribution.keys())
        index = state.choice(len(values) if values else values, p=list(self._distribution.values()))
        return values[int(index)]


class FuzzedTensor:
    """A tensor named ``name`` whose ``size`` (and ``steps``) entries are ints or parameter names.

    With probability ``probability_contiguous`` its memory order is the natural one, else a random
    permutation of the dimensions; ``steps`` allocates a larger tensor and keeps every ``step``-th
    element.  ``min_elements``/``max_elements``/``max_allocation_bytes`` reject parameter sets;
    ``dim_parameter`` names a parameter that keeps only the leading dimensions of ``size``.
    ``tensor_constructor(size=..., dtype=..., **parameters)`` replaces the default values
    (uniform [0, 1) for floating types, integers in [1, 127) otherwise).  ``roll_parameter`` is
    accepted and has no effect."""

    def __init__(self, name, size, steps=None, probability_contiguous=0.5, min_elements=None,
                 max_elements=None, max_allocation_bytes=None, dim_parameter=None, roll_parameter=None,
                 dtype=None, cuda=False, tensor_constructor=None):
        self._name = name
        self._size = size
        self._steps = steps
        self._probability_contiguous = probability_contiguous
        self._min_elements = min_elements
        self._max_elements = max_elements
        self._max_allocation_bytes = max_allocation_bytes
        self._dim_parameter = dim_parameter
        self._roll_parameter = roll_parameter
        self._dtype = torchlike.float32 if dtype is None else dtype
        self._cuda = cuda
        self._tensor_constructor = tensor_constructor

    @property
    def name(self):
        return self._name

    @staticmethod
    def default_tensor_constructor(size, dtype, **kwargs):
        """Values from torchlike's global generator (``Fuzzer`` draws them from its own seed)."""
        if dtype.is_floating_point or dtype.is_complex:
            return torchlike.rand(size=size, dtype=dtype)
        return torchlike.randint(1, 127, size=size, dtype=dtype)

    @staticmethod
    def _seeded_values(size, dtype, state):
        if dtype == torchlike.bool:
            raise RuntimeError("to - 1 is out of bounds for bool")
        if dtype.is_floating_point or dtype.is_complex:
            return torchlike.tensor(state.random_sample(size)).to(dtype)
        return torchlike.tensor(state.randint(1, 127, size=size)).to(dtype)

    def _get_size_and_steps(self, params):
        dim = params[self._dim_parameter] if self._dim_parameter is not None else len(self._size)

        def resolve(values):
            return tuple(int(params.get(v, v) if isinstance(v, str) else v) for v in values[:dim])

        size = resolve(self._size)
        steps = resolve(self._steps if self._steps is not None else (1,) * len(self._size))
        return size, steps, len(size)

    def satisfies_constraints(self, params):
        size, steps, _ = self._get_size_and_steps(params)
        numel = math.prod(size)
        allocation = math.prod(s * st for s, st in zip(size, steps)) * self._dtype.itemsize
        return ((self._min_elements is None or numel >= self._min_elements)
                and (self._max_elements is None or numel <= self._max_elements)
                and (self._max_allocation_bytes is None or allocation <= self._max_allocation_bytes))

    def _make_tensor(self, params, state):
        size, steps, dim = self._get_size_and_steps(params)
        allocation = tuple(s * st for s, st in zip(size, steps))
        order = np.arange(dim) if state.rand() < self._probability_contiguous else state.permutation(dim)
        physical = tuple(allocation[i] for i in order)
        if self._tensor_constructor is not None:
            raw = self._tensor_constructor(size=physical, dtype=self._dtype, **params)
        else:
            raw = self._seeded_values(physical, self._dtype, state)
        if self._cuda:
            raw = raw.cuda()
        tensor = raw.permute(tuple(int(i) for i in np.argsort(order)))
        tensor = tensor[tuple(slice(None, None, st) for st in steps)]
        properties = {"numel": int(math.prod(size)), "order": order, "steps": steps,
                      "is_contiguous": tensor.is_contiguous(), "dtype": str(self._dtype)}
        return tensor, properties


class FuzzedSparseTensor(FuzzedTensor):
    """PyTorch's sparse COO fuzzed tensor.  torchlike has dense layouts only: it takes the same
    arguments and takes part in constraints, and generating one raises ``NotImplementedError``."""

    def __init__(self, name, size, min_elements=None, max_elements=None, dim_parameter=None, sparse_dim=None,
                 nnz=None, density=None, coalesced=None, dtype=None, cuda=False):
        super().__init__(name=name, size=size, min_elements=min_elements, max_elements=max_elements,
                         dim_parameter=dim_parameter, dtype=dtype, cuda=cuda)
        self._sparse_dim = sparse_dim
        self._nnz = nnz
        self._density = density
        self._coalesced = coalesced

    @staticmethod
    def sparse_tensor_constructor(size, dtype, sparse_dim, nnz, is_coalesced):
        raise NotImplementedError("torchlike has no sparse layouts (dense tensors only)")

    def _make_tensor(self, params, state):
        raise NotImplementedError("torchlike has no sparse layouts (dense tensors only)")


class Fuzzer:
    """Draws parameter sets (rejecting those that fail ``constraints`` or a tensor's limits) and the
    tensors they describe."""

    def __init__(self, parameters, tensors, constraints=None, seed=None):
        if seed is None:
            seed = int(np.random.RandomState().randint(0, 2 ** 32 - 1, dtype=np.int64))
        self._seed = seed
        self._parameters = Fuzzer._unpack(parameters, FuzzedParameter)
        self._tensors = Fuzzer._unpack(tensors, FuzzedTensor)
        self._constraints = tuple(constraints or ())
        shared = {p.name for p in self._parameters} & {t.name for t in self._tensors}
        if shared:
            raise ValueError(f"Duplicate names in parameters and tensors: {shared}")
        self._rejections = 0
        self._total_generated = 0

    @staticmethod
    def _unpack(values, cls):
        return tuple(itertools.chain.from_iterable((v,) if isinstance(v, cls) else v for v in values))

    def take(self, n):
        """A generator of ``n`` ``(tensors, tensor_properties, parameters)`` triples."""
        state = np.random.RandomState(self._seed)
        for _ in range(n):
            params = self._generate(state)
            tensors, properties = {}, {}
            for t in self._tensors:
                tensors[t.name], properties[t.name] = t._make_tensor(params, state)
            yield tensors, properties, params

    @property
    def rejection_rate(self):
        return self._rejections / self._total_generated if self._total_generated else 0.0

    def _generate(self, state):
        for _ in range(_MAX_ATTEMPTS):
            params = self._resolve_aliases({p.name: p.sample(state) for p in self._parameters})
            self._total_generated += 1
            if (all(c(params) for c in self._constraints)
                    and all(t.satisfies_constraints(params) for t in self._tensors)):
                return params
            self._rejections += 1
        raise ValueError("Failed to generate a set of valid parameters.")

    @staticmethod
    def _resolve_aliases(params):
        params = dict(params)
        for _ in range(len(params)):
            pending = {k: v for k, v in params.items() if isinstance(v, ParameterAlias)}
            if not pending:
                break
            for k, v in pending.items():
                params[k] = params[v.alias_to]
        return params
