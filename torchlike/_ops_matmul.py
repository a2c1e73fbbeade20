"""Products: ``matmul`` and its family (``mm``, ``bmm``, ``mv``, ``dot``, ``outer``, ``inner``), ``einsum``,
``tensordot``, the BLAS-like ops (``addmm``, ``addmv``, ``addbmm``, ``baddbmm``, ``addr``), ``vdot`` and ``kron``.

Each op checks dtypes in its dtype rule (PyTorch requires equal dtypes and has no bool kernels) and shapes
in its implementation (shapes are static while JAX traces).  ``matmul_t`` is the ``x @ w.T`` that
``nn.Linear`` and the recurrent cells compute.
"""
from __future__ import annotations

import builtins
import math

import jax.numpy as jnp

from . import _dtype as D
from . import _registry as R
from ._registry import OPS, _type_word, call, defop
from ._names import publish
from ._ops_pointwise import _C_TYPES
from ._ops_common import _op

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


def _check_vectors(a, b):
    """``dot``'s and ``vdot``'s checks: two 1-D tensors of one length."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")


def _dot(a, b):
    _check_vectors(a, b)
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


# ---- BLAS-like -----------------------------------------------------------------------------
def _axpby(c, prod, beta, alpha, dtype):
    """``beta * c + alpha * prod`` with PyTorch's rules: ``beta == 0`` ignores ``c`` (nan/inf too), and
    for integer tensors the scalars are truncated to integers."""
    if not jnp.issubdtype(dtype, jnp.inexact) and dtype != jnp.bool_:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = alpha * prod
    if beta == 0:
        out = jnp.broadcast_to(prod, jnp.broadcast_shapes(c.shape, prod.shape))
    elif beta == 1:
        out = c + prod
    else:
        out = beta * c + prod
    return out.astype(dtype)


def _check_int_scalars(c, beta, alpha):
    if not jnp.issubdtype(c.dtype, jnp.inexact):
        for nm, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {nm} must not be a floating point number.")


def _addmv(c, m, v, beta, alpha):
    if m.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({c.shape[0] if c.ndim else 1}), mat ({m.shape[0]}x{m.shape[1]}), "
                           f"vec ({v.shape[0]})")
    return _axpby(c, m @ v, beta, alpha, c.dtype)


def _addbmm(c, b1, b2, beta, alpha):
    if b1.ndim != 3 or b2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if b1.ndim != 3 else "batch2 must be a 3D tensor")
    return _axpby(c, jnp.sum(jnp.matmul(b1, b2), axis=0), beta, alpha, c.dtype)


def _baddbmm(c, b1, b2, beta, alpha):
    if b1.ndim != 3 or b2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if b1.ndim != 3 else "batch2 must be a 3D tensor")
    return _axpby(c, jnp.matmul(b1, b2), beta, alpha, c.dtype)


def _addr(c, v1, v2, beta, alpha):
    if v1.ndim != 1 or v2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {v1.ndim}-D" if v1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {v2.ndim}-D")
    if c.dtype == jnp.bool_:
        outer = jnp.logical_and(v1[:, None], v2[None, :])
        if not beta:
            return jnp.broadcast_to(outer & bool(alpha), (v1.shape[0], v2.shape[0]))
        return (c & bool(beta)) | (outer & bool(alpha))
    _check_int_scalars(c, beta, alpha)
    return _axpby(c, jnp.outer(v1, v2), beta, alpha, c.dtype)


_BLAS = "*, Scalar beta=1, Scalar alpha=1"
_op(f"addmv(Tensor self, Tensor mat, Tensor vec, {_BLAS})", _addmv, inplace=True)
_op(f"addbmm(Tensor self, Tensor batch1, Tensor batch2, {_BLAS})", _addbmm, inplace=True)
_op(f"baddbmm(Tensor self, Tensor batch1, Tensor batch2, {_BLAS})", _baddbmm, inplace=True)
_op(f"addr(Tensor self, Tensor vec1, Tensor vec2, {_BLAS})", _addr, inplace=True)


def _vdot(a, b):
    _check_vectors(a, b)
    return jnp.sum(jnp.conj(a) * b if jnp.iscomplexobj(a) else a * b)


def _same_dtype(name):
    def rule(args, statics=None):
        a, b = args[0], args[1]
        if a._dtype is not b._dtype:
            raise RuntimeError(f"{name} expected both vectors to have same dtype, but found {_type_word(a._dtype)} "
                               f"and {_type_word(b._dtype)}")
        return None
    return rule


_op("vdot(Tensor self, Tensor other)", _vdot, dtype=_same_dtype("vdot"))


def _kron(a, b):
    if a.dtype == jnp.bool_:
        nd = builtins.max(a.ndim, b.ndim)
        a = a.reshape((1,) * (nd - a.ndim) + a.shape)
        b = b.reshape((1,) * (nd - b.ndim) + b.shape)
        outer = a.reshape(sum(((n, 1) for n in a.shape), ())) & b.reshape(sum(((1, n) for n in b.shape), ()))
        return outer.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))
    return jnp.kron(a, b)


_op("kron(Tensor self, Tensor other)", _kron, grad="UnsafeViewBackward0")
