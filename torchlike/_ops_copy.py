"""Copies and fills: ``_to_copy`` (``Tensor.to``), ``clone``, ``contiguous``, ``copy_``, ``fill_``/``zero_``
and their torch-namespace forms, and the copies of views (``torch.t_copy``, ``narrow_copy``, ...)."""
from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _lazy
from . import _registry as R
from . import _views as V
from ._device import to_jax
from ._registry import FUNCTIONS, METHODS, _wrap_dim, call, call_inplace, defop
from ._names import publish
from ._creation import dense_strides
from ._tensor import Tensor
from ._ops_common import _fn, _private
from . import _ops_joins  # noqa: F401  (split: published before the view copies below wrap it)

# ---- copies --------------------------------------------------------------
_TO_COPY = defop("_to_copy(Tensor self, ScalarType? dtype=None)",
                 lambda x, d: D.cast_array(x, d) if d is not None else x, dtype="keep", saves=(), out=False,
                 method=False, function=False, grad="ToCopyBackward0")


def _keep_layout(r, input, memory_format=None):
    """``memory_format=torch.preserve_format``: a copy of a non-contiguous tensor keeps its
    memory order (the dense strides of ``input``'s dimension order), as in PyTorch."""
    if memory_format is not None and memory_format is not D.preserve_format:
        return r
    shape, strides, _ = input._layout()
    if V.is_contiguous(shape, strides):
        return r
    out = dense_strides(shape, strides)
    if V.is_contiguous(shape, out):
        return r
    order = sorted(range(len(shape)), key=lambda d: -out[d])
    value = r._arr()
    r._storage = V.Storage(jnp.transpose(value, order).reshape(-1))
    r._view = (tuple(shape), out, 0)
    r._cache, r._cache_gen = value, r._storage.gen
    return r


def to_copy(t, dtype, dev):
    r = _keep_layout(call(_TO_COPY, (t,), (dtype,)), t)
    if dev is not None and dev != t.device:
        r._storage.array = jax.device_put(r._storage.array, to_jax(dev))
        r._cache_gen = -1
    return r


_CLONE = defop("clone(Tensor self, *, any memory_format=None)", lambda x, m: jnp.array(x, copy=True), dtype="keep",
               saves=(), out=False, function=False, method=False)


def clone(input, *, memory_format=None):
    """A copy with its own storage; ``preserve_format`` (the default) keeps the memory order."""
    return _keep_layout(call(_CLONE, (input,), (None,)), input, memory_format)


def contiguous(self, memory_format=None):
    return self if self.is_contiguous() else call(_CLONE, (self,), (None,))


publish("clone", clone, method=True)
publish("contiguous", method=contiguous)


def _copy(dst, src):
    return jnp.broadcast_to(src.astype(dst.dtype), dst.shape)


_COPY = defop("copy(Tensor self, Tensor src)", _copy, dtype="keep", saves=(), out=False, function=False,
              method=False, grad="CopyBackwards")


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return call_inplace(_COPY, (self, src), ())


publish("copy_", method=copy_)
_FILL = defop("fill(Tensor self, Tensor? value)", lambda x, v: jnp.full_like(x, jnp.asarray(v).astype(x.dtype)),
              dtype="keep", saves=(), out=False, method=False, function=False,
              grad=lambda args, statics: "FillBackward3" if hasattr(args[1], "_arr") else "FillBackward2")
_ZERO = defop("zero(Tensor self)", jnp.zeros_like, dtype="keep", saves=(), out=False, method=False,
              function=False)
_FILL.overlap_ok = _ZERO.overlap_ok = True
_ZEROS = {}


def _zeros_of(t):
    """``t.zero_()``'s value as a shared device array (JAX arrays are immutable), one per shape and dtype,
    for tensors of up to 2**18 elements on a process whose one device is a CPU: a hand-written SGD
    step's ``p.grad.zero_()`` runs no op.  None: the op computes it."""
    a = t._storage._a
    if isinstance(a, jax.core.Tracer) or not _lazy.single_cpu() or math.prod(a.shape) > 1 << 18:
        return None         # (a traced value under a JAX transform keeps the op, as every fast path does)
    shape = a.shape
    k = (shape, t._dtype.np)
    z = _ZEROS.get(k)
    if z is None:
        z = R.put_cached(_ZEROS, k, np.zeros(shape, t._dtype.np), 16)
    return z


_ZERO.constant = _zeros_of


def fill_(self, value):
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return call_inplace(_FILL, (self, value), ())


def zero_(self):
    return call_inplace(_ZERO, (self,), ())


publish("fill_", method=fill_)
publish("zero_", method=zero_)


# ---- torch.fill, torch.fill_, torch.zero_ ---------------------------------------------------------------
_FILL_FUNCTIONAL = _private("_fill_functional(Tensor self, Tensor value)", lambda x, v: jnp.full_like(x, v.astype(x.dtype))
                 if v.ndim == 0 else _raise_fill(v), dtype="first", grad="FillBackward0")
_fn("fill", lambda input, value: _FILL_FUNCTIONAL(input, value))


def _raise_fill(v):
    raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {v.ndim} dimensions.")


_fn("zero_", lambda input: METHODS["zero_"](input))
_fn("fill_", lambda input, value: METHODS["fill_"](input, value))


# ---- copies of views (torch.*_copy) ------------------------------------------------------------
def _copy_of(view):
    def f(*args, out=None, **kwargs):
        r = view(*args, **kwargs)
        if isinstance(r, (tuple, list)):
            return tuple(t.clone() for t in r)
        r = r.clone()
        if out is not None:
            if tuple(out.shape) != tuple(r.shape):
                raise RuntimeError(f"out= expects a tensor of shape {list(r.shape)}, got {list(out.shape)}")
            return out.copy_(r)
        return r
    return f


def _method(name):
    return lambda self, *a, **k: getattr(self, name)(*a, **k)


def _slice(input, dim=0, start=None, end=None, step=1):
    """ATen's ``slice``: ``input[..., start:end:step]`` along ``dim``."""
    return input[(builtins.slice(None),) * _wrap_dim(dim, input.ndim) + (builtins.slice(start, end, step),)]


for _name in ("t", "transpose", "permute", "squeeze", "unsqueeze", "diagonal", "alias", "unbind", "unfold",
              "as_strided", "split_with_sizes", "view", "expand", "select", "detach", "slice", "split",
              "view_as_real"):
    _view = _slice if _name == "slice" else FUNCTIONS.get(_name) or METHODS.get(_name)
    if _view is None and _name in ("view", "expand", "unfold", "detach"):
        _view = _method(_name)
    if _view is not None:
        _fn(f"{_name}_copy", _copy_of(_view))      # narrow_copy: below


def narrow_copy(input, dim, start, length, *, out=None):
    """``narrow(...).clone()``; PyTorch's kernel reports a dimension out of range as a RuntimeError."""
    if isinstance(input, R._Tensor) and input.ndim and int(dim) >= input.ndim:
        raise RuntimeError(f"narrow_copy(): dimension {dim} out of range for a tensor with {input.ndim} dimensions")
    return _copy_of(FUNCTIONS["narrow"])(input, dim, start, length, out=out)


publish("narrow_copy", narrow_copy, method=True)


_fn("view_as_complex_copy", _copy_of(FUNCTIONS["view_as_complex"]))


def _sparse_only(name, part, layout):
    def f(input, *, out=None):
        raise RuntimeError(f"{part} expected sparse {layout + ' ' if layout else ''}tensor layout but got Strided")
    return _fn(name, f)


# the components of sparse layouts: a dense tensor has none, as in PyTorch
for _name, _part, _layout in (("values_copy", "values", ""), ("indices_copy", "indices", "coordinate"),
                              ("crow_indices_copy", "crow_indices", "row compressed"),
                              ("col_indices_copy", "col_indices", "row compressed"),
                              ("ccol_indices_copy", "ccol_indices", "column compressed"),
                              ("row_indices_copy", "row_indices", "column compressed")):
    _sparse_only(_name, _part, _layout)
