"""``torch.func.rearrange``: einops-style ``rearrange(tensor, "a (b c) -> c (a b)", b=2)``.

The pattern's left side names each dimension of the input (a parenthesised group splits one
dimension into several axes, ``...`` stands for any number of dimensions, ``1``/``()`` for a size-1
dimension); the right side lists the same axes in the wanted order, parenthesised groups merged into
one dimension.  Composed of ``reshape`` and ``permute``, so gradients flow through it.
"""
from __future__ import annotations

import math
import re
import torchlike as torch     # the public face, read when called (not an import cycle)

__all__ = ["rearrange", "DimensionBindError"]

_TOKEN = re.compile(r"\.\.\.|…|\(|\)|[^\s()]+")
_ELLIPSIS = "…"


class DimensionBindError(Exception):
    """Axis sizes that cannot be bound to the tensor's shape (PyTorch's ``functorch.dim.DimensionBindError``)."""


def _parse(side):
    """One side of the pattern -> a list of groups, each a list of axis names (``[]`` for a size-1 dim,
    the tuple ``("…",)`` for a bare ``...``, which stands for several dims)."""
    groups, current = [], None
    for tok in _TOKEN.findall(side):
        if tok == "(":
            if current is not None:
                raise ValueError("Axis composition is one-level (brackets inside brackets not allowed)")
            current = []
            continue
        if tok == ")":
            if current is None:
                raise ValueError(f"Imbalanced parentheses in expression: '{side}'")
            groups.append(current)
            current = None
            continue
        if tok in ("...", _ELLIPSIS):
            name = _ELLIPSIS
        elif tok.isdecimal():
            if tok != "1":
                raise ValueError("rearrange only supports unnamed axes of size 1")
            name = None
        else:
            if not tok.isidentifier():
                raise ValueError(f"Invalid axis identifier: {tok}")
            if tok.startswith("_") or tok.endswith("_"):
                raise ValueError(f"Invalid axis identifier: {tok}\n"
                                 "axis name should should not start or end with underscore")
            name = tok
        if current is not None:
            if name is not None:
                current.append(name)
        else:
            groups.append([] if name is None else (name,) if name == _ELLIPSIS else [name])
    if current is not None:
        raise ValueError(f"Imbalanced parentheses in expression: '{side}'")
    return groups


def _names(groups):
    seen = []
    for g in groups:
        for n in g:
            if n in seen and n != _ELLIPSIS:
                raise ValueError(f"Indexing expression contains duplicate dimension '{n}'")
            seen.append(n)
    return seen


def _bind(group, size, lengths):
    """Sizes of the axes of one input dimension of ``size``."""
    unknown = [n for n in group if n not in lengths]
    known = math.prod(lengths[n] for n in group if n in lengths)
    if len(unknown) > 1:
        raise DimensionBindError(f"cannot infer the sizes of two dimensions at once {unknown[0]} and {unknown[1]}")
    if unknown:
        if known == 0 or size % known:
            raise DimensionBindError(f"inferred dimension does not evenly fit into larger dimension: {size} vs "
                                     f"{tuple(lengths[n] if n in lengths else '?' for n in group)}")
        lengths[unknown[0]] = size // known
    elif known != size:
        raise DimensionBindError(f"Dimension sizes to do not match ({size} != {known}) when matching dimension "
                                 f"pack ({', '.join(group)})")


def rearrange(tensor, pattern, **axes_lengths):
    if isinstance(tensor, (list, tuple)):
        tensor = torch.stack(tensor)
    elif not hasattr(tensor, "dim"):
        raise TypeError(f"rearrange(): expected a Tensor or a list of Tensors, not {type(tensor).__name__}")
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError("Pattern must contain a single '->' separator")
    left, right = _parse(sides[0]), _parse(sides[1])
    lnames, rnames = _names(left), _names(right)
    if _ELLIPSIS in rnames and _ELLIPSIS not in lnames:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if set(lnames) != set(rnames):
        raise ValueError("Identifiers only on one side of rearrange expression (should be on both): "
                         f"{set(lnames) ^ set(rnames)}")
    missing = set(axes_lengths) - set(lnames)
    if missing:
        raise ValueError(f"Identifiers not found in rearrange expression: {missing}")
    shape = tuple(tensor.shape)
    if _ELLIPSIS in lnames:
        n_ell = len(shape) - (len(left) - 1)
        if n_ell < 0:
            raise ValueError(f"Number of dimensions in pattern ({len(left) - 1}) must be at most the number of "
                             f"dimensions in the tensor ({len(shape)})")
        ell = [f"{_ELLIPSIS}{i}" for i in range(n_ell)]

        def expand(groups):
            out = []
            for g in groups:
                if isinstance(g, tuple):
                    out.extend([e] for e in ell)
                else:
                    out.append([e for n in g for e in (ell if n == _ELLIPSIS else [n])])
            return out
        left = expand(left)
        right = expand(right)
    if len(left) != len(shape):
        raise ValueError(f"Number of dimensions in pattern ({len(left)}) must be equal to the number of "
                         f"dimensions in the tensor ({len(shape)})")
    lengths = dict(axes_lengths)
    for group, size in zip(left, shape):
        _bind(group, size, lengths)
    axes = [n for g in left for n in g]
    order = [axes.index(n) for g in right for n in g]
    out = tensor.reshape([lengths[n] for n in axes])
    if order != list(range(len(order))):
        out = out.permute(order)
    return out.reshape([math.prod(lengths[n] for n in g) for g in right])
