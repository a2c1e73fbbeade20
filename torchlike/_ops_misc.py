"""Copies, joins, linear algebra basics, gather/scatter, and composite ops.

Composite ops (``chunk``, ``narrow``, ``movedim``, ...) are written in terms
of declared ops, so their grad_fn is that of the op they lower to, as in
PyTorch.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _registry as R
from . import _views as V
from ._device import to_jax
from ._registry import FUNCTIONS, METHODS, OPS, _wrap_dim, call, defop, rule_promote, call_inplace
from ._names import publish
from .autograd import grad_mode
from ._ops_pointwise import _C_TYPES, _no_derivative
from ._creation import dense_strides
from ._tensor import Tensor

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


def fill_(self, value):
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return call_inplace(_FILL, (self, value), ())


def zero_(self):
    return call_inplace(_ZERO, (self,), ())


publish("fill_", method=fill_)
publish("zero_", method=zero_)


# ---- matmul family -------------------------------------------------------
# Each op checks dtypes in its dtype rule (PyTorch requires equal dtypes and has no bool
# kernels) and shapes in its implementation (shapes are static while JAX traces).

def _mm_dtypes(kernel_of, mismatch):
    """A dtype rule: no promotion, equal dtypes, PyTorch's error for bool."""
    def rule(args, statics=None):
        ts = [a for a in args if a is not None]
        d0 = ts[0]._dtype
        for t in ts[1:]:
            if t._dtype is not d0:
                raise RuntimeError(mismatch(d0, t._dtype))
        if d0 is D.bool:
            raise NotImplementedError(f'"{kernel_of(args)}" not implemented for \'Bool\'')
        return None
    rule.by_dtype = True       # (the error's kernel name depends on ranks; no answer does)
    return rule


def _words(a, b):
    return R._type_word(a), R._type_word(b)


def _matmul_kernel(args):
    na, nb = args[0]._ndim(), args[1]._ndim()
    if na == 1 and nb == 1:
        return "dot"
    if nb == 1 and na >= 2:
        return "addmv_impl_cpu"
    return "addmm_impl_cpu_" if (na <= 2 and nb <= 2) or nb <= 2 else "bmm"


def _batch_error(b_batch, k, got):
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b_batch}, {k}] but got: "
                        f"[{got[0]}, {got[1]}].")


def _matmul(a, b):
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    ka = a.shape[-1]
    kb = b.shape[-2] if nb > 1 else b.shape[0]
    if ka != kb:
        if na == 1 and nb == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same "
                               f"number of elements, but got {ka} and {kb} elements respectively")
        if nb == 1:
            rows = math.prod(a.shape[:-1])
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})")
        if na <= 2 and nb == 2 or na >= 3 and nb == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({math.prod(a.shape[:-1])}x{ka} and "
                               f"{kb}x{b.shape[-1]})")
        batch = math.prod(jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        raise _batch_error(batch, ka, (batch, kb))
    if na > 2 and nb > 2:
        try:
            jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            for i in range(1, min(na, nb) - 1):
                x, y = a.shape[-2 - i], b.shape[-2 - i]
                if x != y and x != 1 and y != 1:
                    raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                       f"non-singleton dimension {max(na, nb) - 2 - i}") from None
    return jnp.matmul(a, b)


def _matmul_name(args, statics):
    """The grad_fn PyTorch's matmul ends with, which depends on how it lowers the product.

    1D@1D is a dot, 2D@1D an mv, 1D@2D an mm between unsqueeze/squeeze, 2D@2D an mm.
    A matrix times a batch (2D@nD, or 3D with batch 1 @ a 3D batch) is computed transposed
    when the matrix requires grad, and the transposed result is made contiguous (a clone,
    unless it already is: one row or one column).  Everything else folds or batches into
    mm/mv/bmm and ends in an ``_unsafe_view``.
    """
    a, b = args
    na, nb = a._ndim(), b._ndim()
    if na <= 2 and nb <= 2:
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4"}.get((na, nb), "MmBackward0")
    matrix_times_batch = (na == 2 and nb >= 3) or (na == 3 and nb == 3 and a.shape[0] == 1 and b.shape[0] != 1)
    if matrix_times_batch and a._requires_grad:
        n, p = a.shape[-2], b.shape[-1]
        return "TransposeBackward0" if n == 1 or p == 1 else "CloneBackward0"
    return "UnsafeViewBackward0"


defop("matmul(Tensor self, Tensor other)", _matmul, grad=_matmul_name, dtype=_mm_dtypes(
    _matmul_kernel, lambda a, b: "expected m1 and m2 to have the same dtype, but got: %s != %s" % (
        _C_TYPES[a.name], _C_TYPES[b.name])))


def _mm(a, b):
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    return a @ b


def _bmm(a, b):
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise _batch_error(a.shape[0], a.shape[2], b.shape)
    return jnp.matmul(a, b)


def _mv(a, v):
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({v.shape[0]})")
    return a @ v


def _dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    return jnp.dot(a, b)


def _outer(a, b):
    for name, x in (("self", a), ("vec2", b)):
        if x.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {x.ndim}-D")
    return jnp.outer(a, b)


def _addmm(c, a, b, beta, alpha):
    for name, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    _mm(a, b)
    out_shape = (a.shape[0], b.shape[1])
    _check_expand(c.shape, out_shape, c.dtype)
    prod = a @ b
    if alpha != 1:
        prod = alpha * prod
    return (prod + (c if beta == 1 else beta * c)).astype(a.dtype) if beta != 0 else \
        jnp.broadcast_to(prod, out_shape).astype(a.dtype)


defop("mm(Tensor self, Tensor mat2)", _mm, dtype=_mm_dtypes(
    lambda args: "addmm_impl_cpu_", lambda a, b: "self and mat2 must have the same dtype, but got %s and %s" % _words(a, b)))
defop("bmm(Tensor self, Tensor mat2)", _bmm, dtype=_mm_dtypes(
    lambda args: "bmm", lambda a, b: "expected scalar type %s but found %s" % _words(a, b)))
defop("mv(Tensor self, Tensor vec)", _mv, dtype=_mm_dtypes(
    lambda args: "addmv_impl_cpu", lambda a, b: "addmv input tensors must have the same dtype, but got %s and %s"
    % _words(a, b)))
defop("dot(Tensor self, Tensor tensor)", _dot, dtype=_mm_dtypes(
    lambda args: "dot", lambda a, b: "dot : expected both vectors to have same dtype, but found %s and %s"
    % _words(a, b)))
defop("outer(Tensor self, Tensor vec2)", _outer, aliases=("ger",), grad="MulBackward0")
_ADDMM_MATS = _mm_dtypes(lambda args: "addmm_impl_cpu_",
                         lambda a, b: "mat1 and mat2 must have the same dtype, but got %s and %s" % _words(a, b))


def _addmm_dtypes(args, statics=None):
    """PyTorch checks ``self`` against ``mat2`` first, then ``mat1`` against ``mat2``."""
    c, a, b = args
    if isinstance(c, R._Tensor) and isinstance(b, R._Tensor) and c._dtype is not b._dtype:
        raise RuntimeError("self and mat2 must have the same dtype, but got %s and %s" % _words(c._dtype, b._dtype))
    return _ADDMM_MATS((a, b), statics)


_addmm_dtypes.by_dtype = True


def matmul_t(x, w):
    """``x @ w.T`` for a weight ``w`` of shape (out, in), as ``nn.Linear`` and the recurrent cells
    compute it.  One row of ``x`` (a decoding step, a batch of one) is computed as ``w @ x``: XLA's
    CPU code for a single row against a transposed matrix, with a bias added, runs about 3x slower
    (a (1, 64) x (64, 192)^T product plus bias: ~40 us against ~13 us)."""
    if w.ndim == 2 and x.ndim >= 1 and math.prod(x.shape[:-1]) == 1:
        return jnp.matmul(w, x.reshape(-1)).reshape(x.shape[:-1] + (w.shape[0],))
    return jnp.matmul(x, w.T)


def _check_expand(shape, target, np_dtype):
    """``expand(shape -> target)``'s error, as PyTorch raises it where a bias broadcasts to a result."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target):
        word = R._type_word(D.from_numpy_dtype(np_dtype))
        raise RuntimeError(f"expand(torch.{word}Tensor{{{list(shape)}}}, size={list(target)}): the number of sizes "
                           f"provided ({len(target)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    for i in range(1, len(shape) + 1):
        if shape[-i] != 1 and shape[-i] != target[-i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                               f"({shape[-i]}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                               f"{list(target)}.  Tensor sizes: {list(shape)}")


defop("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)", _addmm, inplace=True,
      dtype=_addmm_dtypes)


def _inner(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    return jnp.tensordot(a, b, ((a.ndim - 1,), (b.ndim - 1,)))


defop("inner(Tensor self, Tensor other)", _inner, dtype=_mm_dtypes(
    lambda args: "dot", lambda a, b: "both inputs should have same dtype"),
    grad=lambda args, statics: "MulBackward0" if 0 in (args[0]._ndim(), args[1]._ndim()) else "ViewBackward0")


def _einsum_labels(equation, n):
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    inputs = [s.replace("...", ".") for s in lhs.split(",")]
    if len(inputs) != n:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if n > len(inputs) else "einsum(): fewer operands were provided than specified in the equation")
    if arrow:
        output = rhs.replace("...", ".")
    else:
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        output = ("." if "." in counts else "") + "".join(sorted(c for c, k in counts.items() if k == 1 and c != "."))
    return inputs, output


def _einsum_name(args, statics):
    """PyTorch's einsum ends with a sum (one operand, some label summed), a permute (one operand,
    nothing summed), a view (the last pair contracts a label) or a mul (it does not)."""
    inputs, output = _einsum_labels(statics[0], len(args))
    if len(inputs) == 1:
        return "SumBackward1" if set(inputs[0]) - set(output) else "PermuteBackward0"
    seen = set("".join(inputs[:-1]))
    contracted = (set(inputs[-1]) & seen) - set(output)
    return "ViewBackward0" if contracted else "MulBackward0"


def _einsum(ops, eq):
    _einsum_labels(eq, len(ops))
    try:
        return jnp.einsum(eq, *ops)
    except ValueError as e:
        raise RuntimeError(f"einsum(): {e}") from None


defop("einsum(str equation, Tensor[] operands)", _einsum, method=False, function=False, out=False, grad=_einsum_name,
      dtype=_mm_dtypes(lambda args: "bmm", lambda a, b: "expected scalar type %s but found %s" % _words(a, b)))


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return call(OPS["einsum"], tuple(operands), (equation,))


publish("einsum", einsum)


def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        axes = dims
    else:
        axes = (tuple(dims[0]) if isinstance(dims[0], (list, tuple)) else (dims[0],),
                tuple(dims[1]) if isinstance(dims[1], (list, tuple)) else (dims[1],))
    return call(_TENSORDOT, (a, b), (axes,), out)


def _tensordot(a, b, axes):
    if isinstance(axes, int):
        axes = (tuple(range(a.ndim - axes, a.ndim)), tuple(range(axes)))
    for i, j in zip(*axes):
        # PyTorch contracts a size-1 dimension against any size (as a broadcast): sum the other side
        if a.shape[i] == 1 and b.shape[j] != 1:
            b = jnp.sum(b, axis=j, keepdims=True)
        elif b.shape[j] == 1 and a.shape[i] != 1:
            a = jnp.sum(a, axis=i, keepdims=True)
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} and "
                               f"second has size {b.shape[j]} in dim {j}")
    return jnp.tensordot(a, b, axes)


_TENSORDOT = defop("_tensordot(Tensor self, Tensor other, any axes)", _tensordot, function=False, method=False,
                   grad="ViewBackward0", dtype=_mm_dtypes(lambda args: "bmm",
                                                          lambda a, b: "both inputs should have same dtype"))
publish("tensordot", tensordot)


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


defop("cat(Tensor[] tensors, int dim=0)", _cat, dtype=_join_rule("cat"), method=False, saves=(),
      aliases=("concat", "concatenate"), host=_cat_host)
defop("stack(Tensor[] tensors, int dim=0)", _stack, dtype=_join_rule("stack"), method=False, saves=(),
      host=_stack_host)


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


# ---- rearrangements -------------------------------------------------------
def _repeat(x, sizes):
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    x = x.reshape((1,) * (len(sizes) - x.ndim) + x.shape)
    return jnp.tile(x, sizes)


defop("repeat(Tensor self, *int[] repeats)", _repeat, dtype="keep", saves=(), function=False, out=False)
defop("tile(Tensor self, int[] dims)", lambda x, d: jnp.tile(x.reshape((1,) * max(0, len(d) - x.ndim) + x.shape),
                                                             (1,) * max(0, x.ndim - len(d)) + tuple(d)),
      dtype="keep", saves=(), out=False, grad="RepeatBackward0")
def _dims_rule(args, statics):
    """``dims`` in range and without repeats."""
    n = args[0]._ndim()
    seen = set()
    for k in statics[0]:
        d = _wrap_dim(k, n)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return None


defop("flip(Tensor self, *int[] dims)", lambda x, d: jnp.flip(x, tuple(k % max(x.ndim, 1) for k in d)) if x.ndim else x,
      dtype=_dims_rule, saves=(), out=False)
def _min_ndim(n):
    def rule(args, statics=None):
        if args[0]._ndim() < n:
            raise RuntimeError(f"Input must be >= {n}-d.")
        return None
    return rule


defop("fliplr(Tensor self)", lambda x: jnp.flip(x, 1), dtype=_min_ndim(2), saves=(), out=False, grad="FlipBackward0")
defop("flipud(Tensor self)", lambda x: jnp.flip(x, 0), dtype=_min_ndim(1), saves=(), out=False, grad="FlipBackward0")
def _roll_rule(args, statics):
    shifts, dims = statics
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return None
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for k in dims:
        _wrap_dim(k, args[0]._ndim())
    return None


defop("roll(Tensor self, int[] shifts, int[]? dims=None)",
      lambda x, s, d: jnp.roll(x, s, d) if d is not None else jnp.roll(x.reshape(-1), s).reshape(x.shape),
      dtype=_roll_rule, saves=(), out=False)


def _triangle_rule(name):
    def rule(args, statics=None):
        if args[0]._ndim() < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return None
    return rule


defop("tril(Tensor self, int diagonal=0)", lambda x, k: jnp.tril(x, k), dtype=_triangle_rule("tril"), saves=(),
      inplace=True)
defop("triu(Tensor self, int diagonal=0)", lambda x, k: jnp.triu(x, k), dtype=_triangle_rule("triu"), saves=(),
      inplace=True)
defop("broadcast_to(Tensor self, int[] size)", lambda x, s: jnp.broadcast_to(x, s), dtype="keep", saves=(),
      out=False, grad="ExpandBackward0")


# ---- gather / scatter / index ----------------------------------------------
# The dtype rules of these ops see the index too (``with_indices``): they check its dtype,
# shape and - when its values are concrete - its bounds, raising PyTorch's errors where
# XLA would silently clamp or fill (gathers) or drop (scatters) out-of-range indices.

def _index_rule(check):
    def rule(args, statics=None):
        check(args, statics)
        return None
    rule.with_indices = True
    return rule


def _host(t):
    """The values of a concrete tensor as numpy (None while JAX traces it)."""
    a = t._arr()
    return None if isinstance(a, jax.core.Tracer) else np.asarray(a)


def _check_bounds(index, size, error, allow_negative=False):
    h = _host(index)
    if h is None or h.size == 0:
        return
    bad = h[(h < (-size if allow_negative else 0)) | (h >= size)]
    if bad.size:
        raise error(int(bad.flat[0]))


def _long_index(index, error):
    if index._dtype is not D.int64:
        raise error(index._dtype)


def _integer_index(index, error):
    if index._dtype.category != D.INT:
        raise error(index._dtype)


def _same_dtype_as_self(x, src, message):
    if isinstance(src, R._Tensor) and src._dtype is not x._dtype:
        raise RuntimeError(message(x._dtype, src._dtype))


def _check_gather_like(name, x, dim, index):
    n = x._ndim()
    d = _wrap_dim(dim, n)
    _integer_index(index, lambda t: RuntimeError(f"{name}(): Expected dtype int64 for index"))
    if index._ndim() != max(n, 1) and not (n == 0 and index._ndim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(n):
        if k != d and index.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be no larger "
                               f"than self {list(x.shape)} apart from dimension {d}")
    size = x.shape[d] if n else 1
    _check_bounds(index, size, lambda i: RuntimeError(f"index {i} is out of bounds for dimension {d} with size {size}"))
    return d


def _gather(x, index, dim, sparse_grad):
    if x.ndim == 0:
        return jnp.broadcast_to(x, index.shape)
    d = dim % x.ndim
    x = x[tuple(slice(None) if k == d else slice(0, n) for k, n in enumerate(index.shape))]
    return jnp.take_along_axis(x, index, axis=d)


defop("gather(Tensor self, int dim, Index index, *, bool sparse_grad=False)", _gather,
      dtype=_index_rule(lambda args, st: _check_gather_like("gather", args[0], st[0], args[1])))


def _scatter_idx(dim, index):
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in index.shape], indexing="ij"))
    grids[dim] = index
    return tuple(grids)


def _scatter_src(x, index, src):
    if jnp.ndim(src) == 0:
        return jnp.broadcast_to(jnp.asarray(src, x.dtype), index.shape)
    return src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)


def _scatter_prod(x, d, index, src):
    """``x`` times, at each target, the product of the ``src`` values sent there (a dense
    product along ``d``: JAX's scatter-multiply has no gradient for repeated indices)."""
    n = x.shape[d]
    hits = index[..., None] == jnp.arange(n)
    factors = jnp.where(hits, src[..., None], jnp.ones((), x.dtype))
    p = jnp.moveaxis(jnp.prod(factors, axis=d), -1, d)
    p = jnp.pad(p, [(0, x.shape[k] - p.shape[k]) for k in range(x.ndim)], constant_values=1)
    return x * p


def _lowest(dtype, highest=False):
    if jnp.issubdtype(dtype, jnp.floating):
        return jnp.asarray(jnp.inf if highest else -jnp.inf, dtype)
    info = jnp.iinfo(dtype) if dtype != jnp.bool_ else None
    return jnp.asarray(True if highest else False) if info is None else jnp.asarray(info.max if highest else info.min,
                                                                                     dtype)


def _scatter_reduce(x, index, src, dim, reduce, include_self):
    if x.dtype == jnp.bool_:            # XLA has no bool arithmetic: reduce 0/1 bytes, then back to bool
        r = _scatter_reduce(x.astype(jnp.uint8), index, jnp.asarray(src).astype(jnp.uint8), dim, reduce,
                            include_self)
        return r != 0
    if x.ndim == 0:
        x, index, src = x.reshape(1), index.reshape(-1), jnp.reshape(src, (-1,))
        return _scatter_reduce(x, index, src, 0, reduce, include_self).reshape(())
    d = dim % x.ndim
    src = _scatter_src(x, index, src)
    idx = _scatter_idx(d, index)
    reduce = {"max": "amax", "min": "amin", "add": "sum", "multiply": "prod"}.get(reduce, reduce)
    if reduce == "sum":
        base = x if include_self else x.at[idx].set(jnp.zeros((), x.dtype))
        return base.at[idx].add(src)
    if reduce == "prod":
        base = x if include_self else x.at[idx].set(jnp.ones((), x.dtype))
        return _scatter_prod(base, d, index, src)
    if reduce in ("amax", "amin"):
        base = x if include_self else x.at[idx].set(_lowest(x.dtype, highest=reduce == "amin"))
        return base.at[idx].max(src) if reduce == "amax" else base.at[idx].min(src)
    # mean
    count = jnp.zeros(x.shape, x.dtype).at[idx].add(jnp.ones((), x.dtype))
    total = (x if include_self else x.at[idx].set(jnp.zeros((), x.dtype))).at[idx].add(src)
    n = count + 1 if include_self else jnp.maximum(count, 1)
    mean = total / n if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.floor_divide(total, n)
    return mean if include_self else jnp.where(count > 0, mean, x)


def _scatter_set(x, index, src, dim):
    if x.ndim == 0:
        return jnp.reshape(_scatter_src(x.reshape(1), index.reshape(-1), jnp.reshape(src, (-1,))), ())
    d = dim % x.ndim
    return x.at[_scatter_idx(d, index)].set(_scatter_src(x, index, src))


def _scatter(x, index, src, dim, reduce):
    if reduce is None:
        return _scatter_set(x, index, src, dim)
    return _no_derivative(lambda a, i, b: _scatter_reduce(a, i, b, dim, reduce, True), "scatter")(x, index, src)


def _check_scatter(name, reduces=None, message=None):
    def check(args, statics):
        x, index, src = args[0], args[1], args[2]
        _check_gather_like(name, x, statics[0], index)
        _same_dtype_as_self(x, src, lambda a, b: f"{name}(): Expected self.dtype to be equal to src.dtype")
        if isinstance(src, R._Tensor):
            for k in range(src._ndim()):
                if index.shape[k] > src.shape[k]:
                    raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                                       f"no larger than src {list(src.shape)}")
        if reduces is not None:
            reduce = statics[1]
            if reduce is not None and reduce not in reduces:
                raise RuntimeError(message.format(reduce))
    return check


defop("scatter(Tensor self, int dim, Index index, Tensor? src, *, str? reduce=None)", _scatter, inplace=True,
      dtype=_index_rule(_check_scatter("scatter", ("add", "multiply"),
                                       "reduce argument must be either add or multiply. Got {}")),
      grad=lambda args, statics: "NotImplemented" if statics[1] is not None else
      "ScatterBackward0" if isinstance(args[2], R._Tensor) else "ScatterBackward1")
defop("scatter_add(Tensor self, int dim, Index index, Tensor src)",
      lambda x, i, s, d: _scatter_reduce(x, i, s, d, "sum", True), inplace=True,
      dtype=_index_rule(_check_scatter("scatter_add")))


def _scatter_reduce_op(x, index, src, dim, reduce, include_self):
    if reduce in ("max", "min"):
        return _no_derivative_reduce(x, index, src, dim, reduce, include_self)
    return _scatter_reduce(x, index, src, dim, reduce, include_self)


def _no_derivative_reduce(x, index, src, dim, reduce, include_self):
    """``reduce='max'/'min'``: accepted by PyTorch's forward, rejected by its backward."""
    @jax.custom_vjp
    def f(x, src):
        return _scatter_reduce(x, index, src, dim, reduce, include_self)

    def bwd(_, g):
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.")
    f.defvjp(lambda x, src: (f(x, src), None), bwd)
    return f(x, src)


defop("scatter_reduce(Tensor self, int dim, Index index, Tensor src, str reduce, *, bool include_self=True)",
      _scatter_reduce_op, inplace=True, grad="ScatterReduceBackward0", dtype=_index_rule(_check_scatter(
          "scatter_reduce", ("sum", "prod", "mean", "amax", "amin", "max", "min"),
          "reduce argument must be either sum, prod, mean, amax or amin, got {}")))


def _check_index_select(args, statics):
    x, index = args
    d = _wrap_dim(statics[0], x._ndim())
    _integer_index(index, lambda t: RuntimeError("index_select(): Expected dtype int32 or int64 for index"))
    if index._ndim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not x._ndim() and index.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
    size = x.shape[d] if x._ndim() else 1
    # PyTorch's message (and type) differ between the first and the other dimensions
    _check_bounds(index, size, lambda i: IndexError("index out of range in self") if d == 0 else
                  RuntimeError(f"INDICES element is out of DATA bounds, id={i} axis_dim={size}"))


def _index_select(x, index, dim):
    if x.ndim == 0:
        return x        # a 0-dim self gives a 0-dim result (its one index was checked to be 0)
    return jnp.take(x, index.reshape(-1), axis=dim % x.ndim)


defop("index_select(Tensor self, int dim, Index index)", _index_select, dtype=_index_rule(_check_index_select))


def _along(x, dim, index):
    """The index expression selecting ``index`` along ``dim`` (0-dim ``x``: the whole thing)."""
    d = dim % max(x.ndim, 1)
    idx = [slice(None)] * x.ndim
    if x.ndim:
        idx[d] = index.reshape(-1)
    return tuple(idx)


def _check_index_op(name, index_error, source_message=None, vector_error=None):
    def check(args, statics):
        x, index = args[0], args[1]
        n = x._ndim()
        d = _wrap_dim(statics[0], n)
        index_error(index)
        if index._ndim() > 1:
            if name == "index_add":
                raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._ndim()} with "
                                 f"type: {R._type_word(index._dtype)} and size: {list(index.shape)}")
            raise (vector_error or (lambda: IndexError(f"{name}(): Index is supposed to be a vector")))()
        if source_message is not None and len(args) > 2:
            _same_dtype_as_self(x, args[2], source_message)
        if name == "index_add" and isinstance(args[2], R._Tensor):
            src = args[2]
            if src._ndim() != n or any(a != b for k, (a, b) in enumerate(zip(x.shape, src.shape)) if k != d):
                raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                                   f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(src.shape)}")
            count = src.shape[d] if n else 1
            if index.numel() != count:
                raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                                   f"source.size(dim): ({count}), for dim: {d}")
        size = x.shape[d] if n else 1
        # index_add's kernel checks bounds itself and raises RuntimeError; the indexing ops IndexError
        kind = RuntimeError if name == "index_add" else IndexError
        _check_bounds(index, size, lambda i: kind(f"index {i} is out of bounds for dimension {d} with size {size}"))
    return check


def _index_add(x, index, src, dim, alpha):
    src = jnp.asarray(src, x.dtype)
    if alpha != 1:
        src = (alpha * src).astype(x.dtype)
    if x.ndim == 0:
        return x + src.reshape(()) if index.size else x
    return x.at[_along(x, dim, index)].add(src)


def _long_or_int(name):
    return lambda i: _integer_index(i, lambda t: RuntimeError(f"{name}(): Expected dtype int32/int64 for index"))


defop("index_add(Tensor self, int dim, Index index, Tensor source, *, Scalar alpha=1)", _index_add, inplace=True,
      dtype=_index_rule(_check_index_op(
          "index_add",
          lambda i: _integer_index(i, lambda t: RuntimeError(
              f"index_add_(): Expected dtype int32/int64 for index but got: {R._type_word(t)}")),
          lambda a, b: f"index_add_(): self ({R._type_word(a)}) and source ({R._type_word(b)}) must have the same "
                       f"scalar type")))


def _index_fill(x, index, value, dim):
    v = jnp.asarray(value, x.dtype)
    if x.ndim == 0:
        return jnp.where(index.size > 0, v, x)
    return x.at[_along(x, dim, index)].set(v)


def _check_index_fill(args, statics):
    value = args[2]
    if isinstance(value, R._Tensor) and value._ndim():
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._ndim()} dimension(s).")
    _check_index_op("index_fill", lambda i: _long_index(
        i, lambda t: IndexError("index_fill_(): Expected dtype int64 for index.")),
        vector_error=lambda: RuntimeError("Index has to be a vector/scalar"))(args, statics)


defop("index_fill(Tensor self, int dim, Index index, Tensor? value)", _index_fill, inplace=True,
      dtype=_index_rule(_check_index_fill),
      grad=lambda args, statics: "IndexFillBackward1" if isinstance(args[2], R._Tensor) else "IndexFillBackward0")


def _index_copy(x, index, src, dim):
    if x.ndim == 0:
        return jnp.where(index.size > 0, src.reshape(()), x).astype(x.dtype)
    return x.at[_along(x, dim, index)].set(src.astype(x.dtype))


defop("index_copy(Tensor self, int dim, Index index, Tensor source)", _index_copy, inplace=True,
      dtype=_index_rule(_check_index_op(
          "index_copy", lambda i: _long_index(i, lambda t: RuntimeError(
              f"index_copy_(): Expected a long tensor for index, but got {R._type_word(t)}")),
          lambda a, b: f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                       f"{R._type_word(a)} and (source) {R._type_word(b)}")))


def _check_take(args, statics):
    x, index = args
    _long_index(index, lambda t: RuntimeError(f"take(): Expected a long tensor for index, but got {R._type_word(t)}"))
    n = x.numel()
    _check_bounds(index, n, lambda i: IndexError(f"out of range: tried to access index {i} on a tensor of {n} elements."),
                  allow_negative=True)


def _check_take_along_dim(args, statics):
    x, index = args
    if index._dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {R._type_word(index._dtype)}")
    dim = statics[0]
    if dim is None:
        _check_bounds(index, x.numel(), lambda i: RuntimeError(f"index {i} is out of bounds for dimension 0 with size "
                                                               f"{x.numel()}"))
        return
    n = x._ndim()
    d = _wrap_dim(dim, n)
    if index._ndim() != n:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but "
                           f"got {n} dimensions for input, and {index._ndim()} dimensions for indices")


def _take_along_dim(x, idx, dim):
    if dim is None:
        return jnp.take(x.reshape(-1), idx.reshape(-1))
    d = dim % max(x.ndim, 1)
    shape = list(jnp.broadcast_shapes(tuple(n for k, n in enumerate(x.shape) if k != d),
                                      tuple(n for k, n in enumerate(idx.shape) if k != d)))
    xs, ix = list(shape), list(shape)
    xs.insert(d, x.shape[d])
    ix.insert(d, idx.shape[d])
    return jnp.take_along_axis(jnp.broadcast_to(x, xs), jnp.broadcast_to(idx, ix), axis=d)


defop("take(Tensor self, Index index)", lambda x, i: jnp.take(x.reshape(-1), i), dtype=_index_rule(_check_take))
defop("take_along_dim(Tensor self, Index indices, int? dim=None)", _take_along_dim, grad="GatherBackward0",
      dtype=_index_rule(_check_take_along_dim))


# ---- comparisons of whole tensors -------------------------------------------
def _isclose(a, b, rtol, atol, equal_nan):
    return jnp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _isclose_rule(args, statics=None):
    a, b = args
    if not isinstance(b, R._Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    for name, v in (("rtol", statics[0]), ("atol", statics[1])):
        if v < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {v}")
    if isinstance(b, R._Tensor) and a._dtype is not b._dtype:
        raise RuntimeError(f"{R._type_word(a._dtype)} did not match {R._type_word(b._dtype)}")
    return None


defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False)",
      _isclose, differentiable=False, out=False, dtype=_isclose_rule)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(FUNCTIONS["isclose"](input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(FUNCTIONS["eq"](input, other).all())


publish("allclose", allclose, method=True)
publish("equal", equal, method=True)


# ---- composites (lower to declared ops) -------------------------------------
def narrow(self, dim, start, length):
    if self.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return call(OPS["slice"], (self,), (d, start, start + length, 1))


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


def movedim(self, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = self.ndim
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    given = {"source": src, "destination": dst}
    src = [_wrap_dim(s, n) for s in src]
    dst = [_wrap_dim(s, n) for s in dst]
    for which, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{which}` ({given[which]})")
    order = [None] * n
    for s, t in zip(src, dst):
        order[t] = s
    rest = iter(k for k in range(n) if k not in src)
    order = [o if o is not None else next(rest) for o in order]
    return FUNCTIONS["permute"](self, order)


def expand_as(self, other):
    return METHODS["expand"](self, other.shape)


def view_as(self, other):
    return METHODS["view"](self, other.shape)


def reshape_as(self, other):
    return FUNCTIONS["reshape"](self, other.shape)


def ravel(self):
    return FUNCTIONS["reshape"](self, -1)


def atleast(n):
    def f(*tensors):
        ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
        out = []
        for t in ts:
            if t.ndim < n:
                # PyTorch: 0-d -> (1,)*n; (N,) -> (1, N) or (1, N, 1); (M, N) -> (M, N, 1)
                shape = tuple(t.shape)
                if len(shape) == 0:
                    shape = (1,)
                if len(shape) == 1 and n >= 2:
                    shape = (1,) + shape
                if len(shape) == 2 and n == 3:
                    shape = shape + (1,)
                t = t.reshape(shape)
            out.append(t)
        return out[0] if len(out) == 1 else tuple(out)
    return f


def unsafe_split_with_sizes(self, split_sizes, dim=0):
    return call(OPS["_unsafe_split_with_sizes"], (self,), (tuple(int(v) for v in split_sizes), _wrap_dim(dim, self.ndim)))


for _name, _fn in {"narrow": narrow, "split": split, "chunk": chunk, "movedim": movedim,
                   "moveaxis": movedim, "ravel": ravel, "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
                   "unsafe_split_with_sizes": unsafe_split_with_sizes}.items():
    publish(_name, _fn, method=True)
for _name, _fn in {"expand_as": expand_as, "view_as": view_as, "reshape_as": reshape_as}.items():
    publish(_name, method=_fn)
for _n in (1, 2, 3):
    publish(f"atleast_{_n}d", atleast(_n))
