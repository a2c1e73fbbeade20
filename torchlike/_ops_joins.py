"""Joins and splits: ``cat``, ``stack``, ``hstack``/``vstack``/``dstack``/``column_stack``, ``block_diag``,
``cartesian_prod``, ``combinations``; ``split``, ``chunk``, ``tensor_split``, ``hsplit``/``vsplit``/``dsplit``
and their ``unsafe_`` forms (views: see ``_ops_views``'s ``split_with_sizes``)."""
from __future__ import annotations

import builtins
import itertools

import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _dtype as D
from . import _registry as R
from ._registry import FUNCTIONS, OPS, _wrap_dim, call, defop, rule_promote
from ._names import publish
from ._tensor import Tensor
from ._creation import empty, tensor
from ._ops_common import _fn, _private
from ._ops_shape import meshgrid

# ---- joining -------------------------------------------------------------
def _cat(arrs, dim):
    arrs = [a for a in arrs if not (a.ndim == 1 and a.shape[0] == 0)] or list(arrs[:1])
    nd = arrs[0].ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = dim % nd
    for i, a in enumerate(arrs):
        if a.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {a.ndim}")
        for k in range(nd):
            if k != d and a.shape[k] != arrs[0].shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{arrs[0].shape[k]} but got size {a.shape[k]} for tensor number {i} in the list.")
    return jnp.concatenate(arrs, axis=d)


def _stack(arrs, dim):
    for i, a in enumerate(arrs):
        if a.shape != arrs[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(arrs[0].shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {i}")
    return jnp.stack(arrs, axis=dim % (arrs[0].ndim + 1))


def _join_rule(name):
    """Promote over the list (PyTorch's cat/stack do), after PyTorch's argument checks."""
    def rule(args, statics=None):
        if len(args) == 0:
            if name == "cat":
                raise ValueError("torch.cat(): expected a non-empty list of Tensors")
            raise RuntimeError("stack expects a non-empty TensorList")
        for i, a in enumerate(args):
            if not isinstance(a, R._Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(a).__name__}")
        if name == "cat":
            shaped = [a for a in args if a.shape != (0,)] or list(args[:1])
            _wrap_dim(statics[0], shaped[0]._ndim())
        else:
            _wrap_dim(statics[0], args[0]._ndim() + 1)
        return rule_promote(args)
    # the checks read the arguments' types, ranks and shapes and the dim: an answer keyed by the dtypes and
    # shapes (``_registry.fast_key``) holds
    rule.by_shape = True
    return rule


def _cat_host(*args):
    """``_cat`` in numpy, for integer host values (``_registry._host_call``): ``cat((idx, nxt), 1)`` as a
    sequence grows by a token per step copies a few integers instead of compiling a program per length."""
    arrs, dim = args[:-1], args[-1]
    arrs = [a for a in arrs if not (a.ndim == 1 and a.shape[0] == 0)] or list(arrs[:1])
    return np.concatenate(arrs, axis=dim % arrs[0].ndim)


def _stack_host(*args):
    arrs, dim = args[:-1], args[-1]
    return np.stack(arrs, axis=dim % (arrs[0].ndim + 1))


def _cat_join(stacked, dim):
    """``cat`` of the host values stacked along a new first axis (``_registry._host_gather``)."""
    dim %= stacked.ndim - 1
    moved = np.moveaxis(stacked, 0, dim)
    s = moved.shape
    return np.ascontiguousarray(moved).reshape(s[:dim] + (s[dim] * s[dim + 1],) + s[dim + 2:])


def _stack_join(stacked, dim):
    """``stack`` of the host values stacked along a new first axis (``_registry._host_gather``)."""
    dim %= stacked.ndim
    return stacked if dim == 0 else np.ascontiguousarray(np.moveaxis(stacked, 0, dim))


defop("cat(Tensor[] tensors, int dim=0)", _cat, dtype=_join_rule("cat"), method=False, saves=(),
      aliases=("concat", "concatenate"), host=_cat_host).host_join = _cat_join
defop("stack(Tensor[] tensors, int dim=0)", _stack, dtype=_join_rule("stack"), method=False, saves=(),
      host=_stack_host).host_join = _stack_join


def _hv(name, min_dim):
    def f(tensors, *, out=None):
        if not isinstance(tensors, (list, tuple)):
            raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                            f"{type(tensors).__name__}")
        if len(tensors) == 0:
            raise RuntimeError(f"{name} expects a non-empty TensorList")
        ts = [t.reshape(1, -1) if min_dim == 2 and t.ndim < 2 else t.reshape(-1) if t.ndim == 0 else t for t in tensors]
        if min_dim == 1:
            return FUNCTIONS["cat"](ts, 0 if ts[0].ndim == 1 else 1, out=out)
        return FUNCTIONS["cat"](ts, 0, out=out)
    return f


publish("hstack", _hv("hstack", 1))
publish("vstack", _hv("vstack", 2))
publish("row_stack", FUNCTIONS["vstack"])


def _block_diag(arrs):
    mats = [a.reshape(1, 1) if a.ndim == 0 else a.reshape(1, -1) if a.ndim == 1 else a for a in arrs]
    for i, m in enumerate(mats):
        if m.ndim != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{m.ndim} dimensions")
    dtype = jnp.result_type(*mats) if mats else jnp.float32
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    out = jnp.zeros((rows, cols), dtype)
    r = c = 0
    for m in mats:
        out = lax.dynamic_update_slice(out, m.astype(dtype), (r, c))
        r, c = r + m.shape[0], c + m.shape[1]
    return out


_BLOCK_DIAG = _private("block_diag(Tensor[] tensors)", _block_diag, grad="BlockDiagBackward0")


def block_diag(*tensors):
    if not tensors:
        return empty(1, 0)
    return _BLOCK_DIAG(list(tensors))


_fn("block_diag", block_diag)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors (rows of the result)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return FUNCTIONS["stack"]([g.flatten() for g in grids], 1)


_fn("cartesian_prod", cartesian_prod)


def combinations(input, r=2, with_replacement=False):
    """Length-``r`` combinations of the elements of a 1-D tensor (rows of the result)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return empty(0, dtype=input.dtype)
    n = input.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    cols = [FUNCTIONS["index_select"](input, 0, tensor(idx[:, j])) for j in range(r)]
    return FUNCTIONS["stack"](cols, 1)


_fn("combinations", combinations)


def _tensor_list(name, tensors):
    """PyTorch's argument check for a ``Tensor[]`` parameter taken by a Python-level function."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")


def column_stack(tensors, *, out=None):
    _tensor_list("column_stack", tensors)
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return FUNCTIONS["hstack"](ts, out=out)


def _as_3d(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    if t.ndim == 2:
        return t.unsqueeze(-1)
    return t


def dstack(tensors, *, out=None):
    _tensor_list("dstack", tensors)
    if len(tensors) == 0:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return FUNCTIONS["cat"]([_as_3d(t) for t in tensors], 2, out=out)


_fn("column_stack", column_stack)
_fn("dstack", dstack)


# ---- splits ---------------------------------------------------------------------------------
def _splitter(even, sizes_op):
    """``split``'s front for the ops ``even`` (one size) and ``sizes_op`` (a list of sizes)."""
    def split(self, split_size_or_sections, dim=0):
        d = _wrap_dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            s = split_size_or_sections
            sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
            if n == 0:
                sizes = [0]
            return call(OPS[even], (self,), (tuple(sizes), d))
        return call(OPS[sizes_op], (self,), (tuple(int(v) for v in split_size_or_sections), d))
    return split


def _chunker(split):
    def chunk(self, chunks, dim=0):
        d = _wrap_dim(dim, self.ndim)
        n = self.shape[d]
        size = -(-n // chunks) if chunks else 0
        return split(self, max(size, 1) if n else 1, d)
    return chunk


split = _splitter("_split_even", "split_with_sizes")
chunk = _chunker(split)
# the unsafe forms give copies, not views (PyTorch: no view tracking, so their outputs may be written in place)
unsafe_split = _splitter("_unsafe_split", "_unsafe_split_with_sizes")
unsafe_chunk = _chunker(unsafe_split)


def unsafe_split_with_sizes(self, split_sizes, dim=0):
    return call(OPS["_unsafe_split_with_sizes"], (self,), (tuple(int(v) for v in split_sizes), _wrap_dim(dim, self.ndim)))


for _name, _f in {"split": split, "chunk": chunk, "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
                  "unsafe_split_with_sizes": unsafe_split_with_sizes}.items():
    publish(_name, _f, method=True)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into views: ``sections`` nearly equal parts, or at the given indices."""
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.category != D.INT:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have an integral dtype")
        ios = ios.item() if ios.ndim == 0 else [int(v) for v in ios.tolist()]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, rem = divmod(n, ios)
        bounds, start = [], 0
        for i in range(ios):
            size = q + (1 if i < rem else 0)
            bounds.append((start, start + size))
            start += size
    else:
        cuts = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n) for i in ios] + [n]
        bounds = [(cuts[i], builtins.max(cuts[i], cuts[i + 1])) for i in range(len(cuts) - 1)]
    sl = OPS["slice"].function if hasattr(OPS["slice"], "function") else None
    out = []
    for a, b in bounds:
        out.append(sl(input, d, a, b, 1) if sl is not None else FUNCTIONS["narrow"](input, d, a, b - a))
    return tuple(out)


def _split_dim(name, dim_of):
    def f(input, indices_or_sections):
        d = dim_of(input)
        if d is None:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {3 if name == 'dsplit' else 2} "
                               f"dimension, but got a tensor with {input.ndim} dimensions!")
        if isinstance(indices_or_sections, int) and (indices_or_sections == 0 or
                                                     input.shape[d] % indices_or_sections):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                               f"{input.shape[d]} is not divisible by the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)
    return f


_fn("tensor_split", tensor_split, method=True)
_fn("hsplit", _split_dim("hsplit", lambda t: (1 if t.ndim > 1 else 0) if t.ndim >= 1 else None), method=True)
_fn("vsplit", _split_dim("vsplit", lambda t: 0 if t.ndim >= 2 else None), method=True)
_fn("dsplit", _split_dim("dsplit", lambda t: 2 if t.ndim >= 3 else None), method=True)


# out= rules stricter than the registry's default: PyTorch refuses an out= tensor sharing any memory
# with an input (not only partly) for ops whose output is not elementwise in their inputs, and an
# out= tensor of another dtype for some ops
for _name in ("cat", "stack"):
    OPS[_name].out_no_alias = True
