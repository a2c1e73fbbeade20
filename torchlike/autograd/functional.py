"""torch.autograd.functional over JAX transforms.

The user's function runs on Tensors wrapping JAX tracers, with the tape off,
and JAX's own ``jacrev``/``jacfwd``/``vjp``/``jvp`` differentiate it: exact,
vectorised, no row-by-row loop.  Results keep PyTorch's nesting: a Tensor for
a single input and output, tuples where the caller passed tuples.
"""
from __future__ import annotations

import jax

from . import grad_mode


def _tup(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _check_inputs(inputs, name):
    from .._tensor import Tensor
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"The inputs given to {name} must be either a Tensor or a tuple of Tensors but the "
                            f"value at index {i} has type {type(t)}.")


def _array_fn(func, n_in):
    """func over Tensors -> function over arrays returning a tuple of arrays, plus whether it returned a tuple."""
    from .._tensor import Tensor
    info = {}

    def f(*arrays):
        ins = [Tensor._wrap_any(a) for a in arrays]
        with grad_mode.no_grad():
            out = func(*ins)
        outs, is_tuple = _tup(out)
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"The outputs of the user-provided function given to jacobian must be either a "
                                f"Tensor or a tuple of Tensors but the value at index {i} has type {type(o)}.")
        info["tuple"] = is_tuple
        return tuple(o._arr() for o in outs)
    return f, info


def _wrap(a):
    from .._tensor import Tensor
    return Tensor._wrap(a)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func(inputs) / d inputs; shape ``out.shape + in.shape`` per (output, input) pair."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    ins, in_tuple = _tup(inputs)
    _check_inputs(ins, "jacobian")
    f, info = _array_fn(func, len(ins))
    transform = jax.jacfwd if strategy == "forward-mode" else jax.jacrev
    jac = transform(f, argnums=tuple(range(len(ins))))(*[t._arr() for t in ins])
    # jac[out][in]
    rows = tuple(tuple(_wrap(j) for j in row) for row in jac)
    if not info["tuple"]:
        row = rows[0]
        return row if in_tuple else row[0]
    return rows if in_tuple else tuple(r[0] for r in rows)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function; nested per input pair when inputs is a tuple."""
    ins, in_tuple = _tup(inputs)
    _check_inputs(ins, "hessian")
    f, info = _array_fn(func, len(ins))

    def scalar(*arrays):
        out = f(*arrays)
        if len(out) != 1 or out[0].size != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        return out[0].reshape(())
    h = jax.hessian(scalar, argnums=tuple(range(len(ins))))(*[t._arr() for t in ins])
    rows = tuple(tuple(_wrap(x) for x in row) for row in h)
    return rows if in_tuple else rows[0][0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    ins, in_tuple = _tup(inputs)
    _check_inputs(ins, "vjp")
    f, info = _array_fn(func, len(ins))
    out, pull = jax.vjp(f, *[t._arr() for t in ins])
    if v is None:
        if any(o.size != 1 for o in out):
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
        cts = tuple(jax.numpy.ones_like(o) for o in out)
    else:
        vs, _ = _tup(v)
        cts = tuple(x._arr().astype(o.dtype) for x, o in zip(vs, out))
    grads = pull(cts)
    outs = tuple(_wrap(o) for o in out)
    gs = tuple(_wrap(g) for g in grads)
    return (outs if info["tuple"] else outs[0]), (gs if in_tuple else gs[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v)."""
    ins, in_tuple = _tup(inputs)
    _check_inputs(ins, "jvp")
    f, info = _array_fn(func, len(ins))
    primals = [t._arr() for t in ins]
    if v is None:
        if any(p.size != 1 for p in primals):
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        tangents = [jax.numpy.ones_like(p) for p in primals]
    else:
        vs, _ = _tup(v)
        tangents = [x._arr().astype(p.dtype) for x, p in zip(vs, primals)]
    out, tan = jax.jvp(f, tuple(primals), tuple(tangents))
    outs = tuple(_wrap(o) for o in out)
    ts = tuple(_wrap(t) for t in tan)
    return (outs if info["tuple"] else outs[0]), (ts if info["tuple"] else ts[0])


def _hess_vec(func, inputs, v, transpose):
    ins, in_tuple = _tup(inputs)
    f, info = _array_fn(func, len(ins))

    def scalar(*arrays):
        return f(*arrays)[0].reshape(())
    primals = tuple(t._arr() for t in ins)
    vs, _ = _tup(v)
    tangents = tuple(x._arr().astype(p.dtype) for x, p in zip(vs, primals))
    grad_fn = jax.grad(scalar, argnums=tuple(range(len(ins))))
    _, hv = jax.jvp(grad_fn, primals, tangents)
    val = scalar(*primals)
    hv = tuple(_wrap(x) for x in hv)
    return _wrap(val), (hv if in_tuple else hv[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v)."""
    return _hess_vec(func, inputs, v, False)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) (equal to H v: the Hessian is symmetric)."""
    return _hess_vec(func, inputs, v, True)
