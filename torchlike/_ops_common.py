"""Shorthands the op-declaring modules share: declare an op and get its function (``_op``), declare a
helper op that only a composite calls (``_private``), publish a composite (``_fn``), and two dtype rules
(``_tensors_only``: PyTorch's TypeError for a Python number where only a Tensor is accepted;
``_float_only``: its "not implemented" error for integer inputs)."""
from __future__ import annotations

from . import _dtype as D
from . import _registry as R
from ._registry import DTYPE_RULES, _promoted, _type_word, defop
from ._names import publish


def _op(sig, impl, **kw):
    """``defop``; returns the public function (or None).  A name declared elsewhere too raises at import."""
    return defop(sig, impl, **kw).function


def _private(sig, impl, **kw):
    """A helper op used by a composite (not a public name)."""
    return defop(sig, impl, function=False, method=False, **kw).function


def _fn(name, fn, *, method=False, function=True):
    """Publish a composite as ``torch.<name>`` (and ``Tensor.<name>``); a name published twice raises."""
    if function:
        fn.__name__ = fn.__qualname__ = name
    publish(name, fn if function else None, method=method and fn or None)
    return fn


def _tensors_only(rule, name, params):
    """PyTorch's ``name(Tensor, Tensor)`` ops with no Python-number overload reject numbers with TypeError."""
    def strict(args, statics=None):
        for i, (a, p) in enumerate(zip(args, params)):
            if a is not None and not isinstance(a, R._Tensor):
                raise TypeError(f"argument '{p}' (position {i + 1}) must be Tensor, not "
                                f"{type(a).__name__}")
        return (DTYPE_RULES[rule] if isinstance(rule, str) else rule)(args, statics)
    return strict


def _float_only(name):
    def rule(args, statics=None):
        d = _promoted(args)
        if d.category < D.FLOAT:
            raise RuntimeError(f'"{name}" not implemented for \'{_type_word(d)}\'')
        return d
    return rule


def dim_list(dim, ndim):
    """A ``dim=`` argument as a list: every dimension for None, ``[dim]`` for an int, else ``list(dim)``."""
    if dim is None:
        return list(range(ndim))
    if isinstance(dim, int):
        return [dim]
    return list(dim)
