"""Forward-mode AD: ``torch.autograd.forward_ad``.

Inside a dual level, ``make_dual(primal, tangent)`` gives a tensor that
carries a tangent.  Every op run on such a tensor (through the registry, so
every declared op) computes its output tangents with ``jax.jvp`` of the op's
implementation, compiled once per (op, static arguments, dtypes, which inputs
have tangents) like the forward; ``unpack_dual`` reads them back.  Custom
``autograd.Function`` s supply the tangents with their ``jvp`` staticmethod.
Leaving the level drops every tangent made in it.

Only one level can be open at a time (PyTorch: "Nested forward mode AD is not
supported at the moment").  A tangent is stored on the tensor as
``(generation, tangent)``; a tangent of an older generation is gone.
"""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp

from . import _intercept
from .. import _registry as R
from .._printing import _OPTS
from .._state import local as _local

# bound at package import by torchlike/__init__ (`_hand_down`): names of layers above this one, which import it
Tensor = Op = Function = None     # _tensor, _registry, autograd.function

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]


class UnpackedDualTensor(collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])):
    """``unpack_dual``'s result: ``(primal, tangent)``; tangent is None when there is none."""
    __slots__ = ()


UnpackedDualTensor.__module__ = "torch.autograd.forward_ad"

_level = [-1]         # the open level (PyTorch numbers it 0), -1: none
_gen = [0]            # generation of the open level: tangents of older generations are gone
# (the level is process-wide, as PyTorch's: one open in the whole process; ``ThreadState.fw_suspended``,
# > 0 while a custom Function's forward runs in a thread, hides tangents from that thread's ops only)


def enter_dual_level():
    """Open a dual level and return its number (PyTorch allows one at a time)."""
    if _level[0] >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _level[0] = 0
    _gen[0] += 1
    _intercept.fw_active[0] = True
    _intercept.refresh()
    return 0


def exit_dual_level(*, level=None):
    """Close the level: every tangent made in it is dropped."""
    if level is None:
        level = _level[0]
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _level[0]:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    _level[0] = -1
    _gen[0] += 1
    _intercept.fw_active[0] = False
    _intercept.refresh()


class dual_level:
    """Context manager: ``with dual_level(): ...`` opens a level for its body."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _check_level(level):
    if level is None:
        level = _level[0]
    return level


def _tangent(t):
    """The tangent Tensor of ``t`` at the open level, or None."""
    fw = t.__dict__.get("_fw")
    if fw is None or fw[0] != _gen[0] or _local.state.fw_suspended:
        return None
    return fw[1]


def _set_tangent(t, tangent):
    t.__dict__["_fw"] = (_gen[0], tangent)


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` that carries ``tangent`` at the open level."""
    level = _check_level(level)
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual(): expected Tensors for primal and tangent")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    state = _local.state
    state.fw_suspended += 1
    try:
        dual = tensor.view_as(tensor)
    finally:
        state.fw_suspended -= 1
    if tangent._dtype is not tensor._dtype:
        tangent = tangent.to(tensor._dtype)
    _set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``UnpackedDualTensor(primal, tangent)``: a view of ``tensor`` without tangent, and its tangent (or None)."""
    level = _check_level(level)
    if level < 0 or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    tangent = _tangent(tensor)
    state = _local.state
    state.fw_suspended += 1
    try:
        primal = tensor.view_as(tensor) if tangent is not None else tensor
    finally:
        state.fw_suspended -= 1
    return UnpackedDualTensor(primal, tangent)


def _repr_with_tangent(t, text):
    """``repr(t)`` followed by ``tangent=<repr of the tangent>`` as PyTorch prints a dual tensor."""
    tangent = _tangent(t)
    if tangent is None:
        return text
    # a 0-dim tangent prints as its Python number, as in PyTorch
    suffix = "tangent=" + (repr(tangent.item()) if tangent.dim() == 0 else repr(tangent))
    body = text[:-1]
    line_width = len(body) - body.rfind("\n") - 1
    if line_width + 2 + len(suffix) + 1 >= _OPTS.linewidth:
        return body + ",\n" + " " * len("tensor(") + suffix + ")"
    return body + ", " + suffix + ")"


# ---- ops on dual tensors (called by the registry's hook) ------------------------

def _dual_call(op, args, statics, out, inplace):
    """Run ``op`` and give its outputs the tangents JAX's jvp computes from the inputs' tangents."""
    if _local.state.fw_suspended or not op.differentiable:      # non-differentiable ops give no tangents
        return _intercept.plain(op, args, statics, out, inplace)
    tangents = [_tangent(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return _intercept.plain(op, args, statics, out, inplace)
    key = R.op_key(op, args, statics)
    arrays = []
    for a, cast in zip(args, key[1]):
        if isinstance(a, Tensor):
            arrays.append(a._arr())
        elif cast is not None and type(a) in R._SCALAR_TYPES:
            arrays.append(R._constant(a, cast, op.name in R.WRAPS_INT_SCALARS))
        else:
            arrays.append(a)
    result = _intercept.plain(op, args, statics, out, inplace)    # checks and errors as without tangents
    mask = tuple(t is not None for t in tangents)
    tans = [t for t in tangents if t is not None]
    if _local.state.grad_enabled and any(isinstance(a, Tensor) and a._requires_grad for a in list(args) + tans):
        return _differentiable_tangents(op, key, mask, args, arrays, tans, result, out, inplace)
    fn = _jvp(op, key, mask)
    touts = fn(tuple(arrays), tuple(t._arr() for t in tans))
    outs = _primal_outputs(result, out, inplace)
    for o, ta in zip(outs, touts if isinstance(touts, tuple) else (touts,)):
        if not isinstance(o, Tensor) or ta is None or ta.dtype == jax.dtypes.float0:
            continue
        if not (o.is_floating_point() or o.is_complex()):
            continue
        if ta.dtype != o._dtype.np:
            ta = ta.astype(o._dtype.np)
        ta = jnp.broadcast_to(ta, tuple(o.shape))
        if inplace:
            _write_tangent(o, ta)
        elif op.view is not None and o._view is not None and tangents[0] is not None:
            _set_tangent(o, _tangent_view(args[0], tangents[0], o._view, ta))
        else:
            _set_tangent(o, Tensor._wrap(ta))
    return result


def _primal_outputs(result, out, inplace):
    """The tensors that receive tangents: the written tensor, the ``out=`` tensors, or the results."""
    if inplace:
        return (result,)
    if out is not None:
        return out if isinstance(out, (tuple, list)) else (out,)
    return result if isinstance(result, tuple) else (result,)


def _differentiable_tangents(op, key, mask, args, arrays, tans, result, out, inplace):
    """Tangents that backward can differentiate (a primal or tangent requires grad, as in PyTorch, where
    tangents are computed by differentiable formulas): the jvp is dispatched as an op of its own."""
    jop = _jvp_op(op, key, mask)
    inputs = tuple(a if isinstance(a, Tensor) or arr is None else Tensor._wrap(arr) for a, arr in zip(args, arrays))
    touts = _intercept.plain(jop, inputs + tuple(tans), (), None, False)     # (not itself a dual call)
    touts = touts if isinstance(touts, tuple) else (touts,)
    outs = _primal_outputs(result, out, inplace)
    for o, t in zip(outs, touts):
        if isinstance(o, Tensor) and isinstance(t, Tensor) and (o.is_floating_point() or o.is_complex()) \
                and (t.is_floating_point() or t.is_complex()):
            _set_tangent(o, t if t._dtype is o._dtype else t.to(o._dtype))
    return result


def _jvp_op(op, key, mask):
    """``(*primals, *tangents) -> output tangents`` of ``op`` as an Op (recorded by the tape like any op)."""
    cache = op.__dict__.setdefault("_jvp_ops", {})
    jop = cache.get((key, mask))
    if jop is None:
        n = len(mask)
        jvp = _jvp_function(op.pure(key), mask)

        def impl(*arrays):
            t = jvp(arrays[:n], arrays[n:])
            return tuple(t) if isinstance(t, tuple) and len(t) > 1 else (t[0] if isinstance(t, tuple) else t)
        name = op.grad if isinstance(op.grad, str) else "".join(w.title() for w in op.name.split("_")) + "Backward0"
        jop = Op(op.name + "_jvp", impl, name.replace("Backward", "JvpBackward"), lambda a, s=None: None, (),
                 None, None, False, True)
        jop.edge_kinds = None
        cache[(key, mask)] = jop
    return jop


def _aligned(t, tangent):
    """Is ``tangent`` laid out over a storage shaped like ``t``'s, at ``t``'s place?  Then views of ``t``
    get their tangents as the same views of the tangent's storage (PyTorch: a view's tangent is a view)."""
    return tangent._storage.array.shape == t._storage.array.shape and tangent._layout() == t._layout()


def _tangent_view(base, base_tangent, layout, value):
    t = Tensor._wrap(value)
    if _aligned(base, base_tangent):
        t._become_view_of(base_tangent, layout)
    return t


def _write_tangent(t, value):
    """An in-place op on ``t``: its tangent is written in place (through to its base's tangent when
    ``t`` is a view); a view of a base without tangent gives the base a zero tangent first."""
    tangent = _tangent(t)
    if tangent is None and t._base is not None and t._view is not None:
        root = t._base
        rt = _tangent(root)
        if rt is None:
            rt = Tensor._wrap(jnp.zeros(root._storage.array.shape, root._dtype.np))
            _set_tangent(root, rt)
        if _aligned(root, rt):
            tangent = Tensor._wrap(value)
            tangent._become_view_of(rt, t._view)
            _set_tangent(t, tangent)
    if tangent is not None and tuple(tangent.shape) == tuple(t.shape):
        tangent._assign(value)
    else:
        _set_tangent(t, Tensor._wrap(value))


def _jvp(op, key, mask):
    """Compiled ``(arrays, tangents of the inputs in mask) -> output tangents``, cached per key and mask."""
    cache = op.__dict__.setdefault("_jvps", {})
    fn = cache.get((key, mask))
    if fn is None:
        fn = cache[(key, mask)] = jax.jit(_jvp_function(op.pure(key), mask))
    return fn


def _jvp_function(f, mask):
    def jvp(arrays, tangents):
        def g(*d):
            it = iter(d)
            out = f(*[next(it) if m else a for a, m in zip(arrays, mask)])
            return tuple(out) if type(out) in (tuple, list) else out
        _, t = jax.jvp(g, tuple(a for a, m in zip(arrays, mask) if m), tuple(tangents))
        return t
    return jvp


# ---- custom Functions ---------------------------------------------------------

def active():
    """Whether a dual level is open (and tangents are visible)."""
    return _level[0] >= 0 and not _local.state.fw_suspended


class suspended:
    """Tangents are invisible inside (a custom Function's forward sees plain tensors, as in PyTorch)."""

    def __enter__(self):
        _local.state.fw_suspended += 1

    def __exit__(self, *exc):
        _local.state.fw_suspended -= 1


def function_jvp(cls, ctx, args, outs):
    """Tangents of a custom Function's outputs from its ``jvp(ctx, *input_tangents)``."""
    tangents = [_tangent(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return
    if cls.jvp is Function.jvp:
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")
    saved = ctx._saved
    fwd = getattr(ctx, "saved_for_forward", None)
    if fwd is not None:
        ctx._saved = tuple((t, 0 if t is None else t._vc[0]) for t in fwd)
    try:
        with suspended():
            r = cls.jvp(ctx, *tangents)
    finally:
        ctx._saved = saved
    r = r if isinstance(r, tuple) else (r,)
    for o, t in zip(outs, r):
        if isinstance(o, Tensor) and isinstance(t, Tensor) and (o.is_floating_point() or o.is_complex()):
            if tuple(t.shape) != tuple(o.shape):
                raise RuntimeError("Trying to set a forward gradient that has a different size than that of the "
                                   f"original Tensor, this is not supported. Tensor is of size {list(o.shape)} "
                                   f"while the given forward gradient is of size {list(t.shape)}.")
            _set_tangent(o, t if t._dtype is o._dtype else t.to(o._dtype))
