"""torch.autograd.functional over JAX transforms.

The user's function runs on Tensors wrapping JAX tracers, with the tape off,
and JAX's own ``jacrev``/``jacfwd``/``vjp``/``jvp`` differentiate it: exact,
vectorised, no row-by-row loop.  Results keep PyTorch's nesting: a Tensor for
a single input and output, tuples where the caller passed tuples.
"""
from __future__ import annotations

import weakref

import jax

from . import grad_mode
from . import _functional_tape as tape
import torchlike as torch     # the public face (torch.autograd.grad, torch.zeros_like, ...), not an import cycle


def _tup(x, what=None, fn=None):
    """``(items, was_tuple)``; with ``what``/``fn`` every item must be a Tensor (PyTorch's TypeError otherwise).
    Only a tuple counts as several items, as in PyTorch (a list is rejected)."""
    items, is_tuple = (tuple(x), True) if isinstance(x, tuple) else ((x,), False)
    if what is not None:
        for i, t in enumerate(items):
            if not isinstance(t, torch.Tensor):
                where = f"the value at index {i}" if is_tuple else f"the given {what}"
                raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                                f"{where} has type {type(t)}.")
    return items, is_tuple


def _validate_v(vs, others, others_tuple):
    """``v`` matches what it multiplies: same count, same shapes."""
    if len(vs) != len(others):
        if others_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got {len(vs)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (v, o) in enumerate(zip(vs, others)):
        if tuple(v.shape) != tuple(o.shape):
            entry = f"Entry {i} in " if others_tuple else ""
            raise RuntimeError(f"{entry}v has invalid size: should be {o.shape!r} but got {v.shape!r}.")


def _nest_jacobian(rows, in_tuple, out_tuple):
    """PyTorch's nesting of Jacobian blocks ``rows[out][in]``."""
    if not out_tuple:
        return rows[0] if in_tuple else rows[0][0]
    return rows if in_tuple else tuple(r[0] for r in rows)


def _check_inputs(inputs, name):
    _tup(inputs, "inputs", name)


def _array_fn(func, n_in, name="jacobian"):
    """func over Tensors -> function over arrays returning a tuple of arrays, plus whether it returned a tuple."""
    info = {}

    def f(*arrays):
        ins = [torch.Tensor._wrap_any(a) for a in arrays]
        with grad_mode.no_grad():
            out = func(*ins)
        outs, is_tuple = _tup(out, "outputs of the user-provided function", name)
        info["tuple"] = is_tuple
        return tuple(o._arr() for o in outs)
    return f, info


def _wrap(a):
    return torch.Tensor._wrap(a)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func(inputs) / d inputs; shape ``out.shape + in.shape`` per (output, input) pair."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    ins, in_tuple = _tup(inputs, "inputs", "jacobian")
    if create_graph:
        out_probe = []
        rows = tape.jacobian(lambda *a: _record_tuple(func(*a), out_probe), ins)
        return _nest_jacobian(rows, in_tuple, out_probe[0])
    transform = jax.jacfwd if strategy == "forward-mode" else jax.jacrev

    def blocks(*tensors):
        f, info = _array_fn(func, len(tensors))
        jac = transform(f, argnums=tuple(range(len(tensors))))(*[t._arr() for t in tensors])
        return tuple(tuple(_wrap(j) for j in row) for row in jac), info["tuple"]   # jac[out][in]
    rows, out_tuple = _compiled(func, ("jacobian", strategy), blocks)(*ins)
    return _nest_jacobian(rows, in_tuple, out_tuple)


_COMPILED = weakref.WeakKeyDictionary()


def _closure_values(func):
    """Python scalars the function reads from its closure and globals: part of the cache key, so
    changing one retraces (tensors it reads are lifted to program inputs by torchlike.compile)."""
    cells = getattr(func, "__closure__", None) or ()
    vals = []
    for c in cells:
        try:
            v = c.cell_contents
        except ValueError:
            continue
        if isinstance(v, (int, float, complex, str, bool, type(None))):
            vals.append(v)
    code, glob = getattr(func, "__code__", None), getattr(func, "__globals__", {})
    for name in (code.co_names if code is not None else ()):
        v = glob.get(name)
        if isinstance(v, (int, float, complex, str, bool)):
            vals.append((name, v))
    return tuple(vals)


def _compiled(func, tag, transformed):
    """``transformed`` (a function of the input Tensors) compiled once per user function.

    torchlike.compile lifts every tensor the user's function reads besides its inputs (weights it
    closes over, say) to a program input, so a cached program never sees stale values; calls then
    run one XLA program instead of re-tracing the transform each time."""
    from .._compile import CompiledFunction     # _compile needs the registry, which loads this module
    try:
        per_func = _COMPILED.setdefault(func, {})
    except TypeError:          # not weak-referenceable: no cache
        return transformed
    tag = (tag, _closure_values(func))
    c = per_func.get(tag)
    if c is None:
        c = per_func[tag] = CompiledFunction(transformed)
    c.fn = transformed         # the closure for this call (same computation, fresh local state)
    return c


def _record_tuple(out, probe):
    """Check the user function's output (as PyTorch does) and note whether it was a tuple."""
    _, is_tuple = _tup(out, "outputs of the user-provided function", "jacobian")
    probe.append(is_tuple)
    return out


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function; nested per input pair when inputs is a tuple."""
    if outer_jacobian_strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    ins, in_tuple = _tup(inputs, "inputs", "hessian")
    if create_graph:
        rows = tape.hessian(lambda *a: _scalar_output(func(*a), "hessian"), ins)
        return rows if in_tuple else rows[0][0]
    f, info = _array_fn(func, len(ins), "hessian")

    def scalar(*arrays):
        out = f(*arrays)
        if len(out) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out[0].size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single "
                               "element")
        return out[0].reshape(())
    def blocks(*tensors):
        h = jax.hessian(scalar, argnums=tuple(range(len(tensors))))(*[t._arr() for t in tensors])
        return tuple(tuple(_wrap(x) for x in row) for row in h)
    rows = _compiled(func, ("hessian",), blocks)(*ins)
    return rows if in_tuple else rows[0][0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    ins, in_tuple = _tup(inputs, "inputs", "vjp")
    vs = None if v is None else _tup(v, "v", "vjp")[0]
    if create_graph:
        probe = []
        out, gs = tape.vjp(lambda *a: _checked_output(func(*a), "vjp", v is None, vs, probe), ins, vs)
        return out, (gs if in_tuple else gs[0])
    f, info = _array_fn(func, len(ins), "vjp")
    out, pull = jax.vjp(f, *[t._arr() for t in ins])
    if v is None:
        if len(out) != 1 or out[0].size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
        cts = tuple(jax.numpy.ones_like(o) for o in out)
    else:
        _validate_v(vs, [_Shape(o.shape) for o in out], info["tuple"])
        cts = tuple(x._arr().astype(o.dtype) for x, o in zip(vs, out))
    grads = pull(cts)
    outs = tuple(_wrap(o) for o in out)
    gs = tuple(_wrap(g) for g in grads)
    return (outs if info["tuple"] else outs[0]), (gs if in_tuple else gs[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v)."""
    ins, in_tuple = _tup(inputs, "inputs", "jvp")
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        vs = (torch.ones_like(ins[0]),)
    else:
        vs = _tup(v, "v", "jvp")[0]
        _validate_v(vs, ins, in_tuple)
    if create_graph:
        out, ts = tape.jvp(lambda *a: _checked_output(func(*a), "jvp"), ins, vs)
        return out, (ts if isinstance(out, tuple) else ts[0])
    f, info = _array_fn(func, len(ins), "jvp")
    primals = [t._arr() for t in ins]
    tangents = [x._arr().astype(p.dtype) for x, p in zip(vs, primals)]
    out, tan = jax.jvp(f, tuple(primals), tuple(tangents))
    outs = tuple(_wrap(o) for o in out)
    ts = tuple(_wrap(t) for t in tan)
    return (outs if info["tuple"] else outs[0]), (ts if info["tuple"] else ts[0])


def _hess_vec(func, inputs, v, transpose, create_graph=False):
    name = "vhp" if transpose else "hvp"
    ins, in_tuple = _tup(inputs, "inputs", name)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        vs = (torch.ones_like(ins[0]),)
    else:
        vs = _tup(v, "v", name)[0]
        _validate_v(vs, ins, in_tuple)
    if create_graph:
        out, hv = tape.hessian_vector(lambda *a: _scalar_output(func(*a), name), ins, vs)
        return out, (hv if in_tuple else hv[0])
    f, info = _array_fn(func, len(ins), name)

    def scalar(*arrays):
        out = f(*arrays)
        if len(out) != 1:
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if out[0].size != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single "
                               "element")
        return out[0].reshape(())
    primals = tuple(t._arr() for t in ins)
    tangents = tuple(x._arr().astype(p.dtype) for x, p in zip(vs, primals))
    grad_fn = jax.grad(scalar, argnums=tuple(range(len(ins))))
    _, hv = jax.jvp(grad_fn, primals, tangents)
    val = scalar(*primals)
    hv = tuple(_wrap(x) for x in hv)
    return _wrap(val), (hv if in_tuple else hv[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v)."""
    return _hess_vec(func, inputs, v, False, create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) (equal to H v: the Hessian is symmetric)."""
    return _hess_vec(func, inputs, v, True, create_graph)


class _Shape:
    """Something with a torch.Size ``shape`` (for ``_validate_v`` on arrays)."""

    def __init__(self, shape):
        self.shape = torch.Size(shape)


def _scalar_output(out, name):
    _tup(out, "outputs of the user-provided function", name)
    if isinstance(out, tuple):
        if len(out) != 1:
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        out = out[0]
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element")
    return out.reshape(()) if out.dim() else out


def _checked_output(out, name, v_is_none=False, vs=None, probe=None):
    outs, is_tuple = _tup(out, "outputs of the user-provided function", name)
    if v_is_none and (len(outs) != 1 or outs[0].numel() != 1):
        raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                           "with a single element.")
    if vs is not None:
        _validate_v(vs, outs, is_tuple)
    return out
