"""``torch.autograd.gradcheck`` / ``gradgradcheck``: analytical gradients against finite differences.

``gradcheck(func, inputs)`` compares, for every differentiable output and
every input that requires grad, the Jacobian our autograd computes (one
backward per output element, reverse mode; with ``check_forward_ad`` also one
forward-mode pass per input element) with central finite differences
``(f(x + eps) - f(x - eps)) / (2 eps)`` computed in the inputs' dtype.  A
mismatch raises :class:`GradcheckError` (a ``RuntimeError``) with PyTorch's
message, or returns False with ``raise_exception=False``.
``gradgradcheck`` runs ``gradcheck`` on the function ``(inputs, grad_outputs)
-> grad(func(inputs), inputs, grad_outputs, create_graph=True)``.
"""
from __future__ import annotations

import warnings

import numpy as np

import torchlike as torch     # the public face (torch.autograd.grad, torch.zeros_like, ...), not an import cycle

from . import forward_ad as fwAD

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


GradcheckError.__module__ = "torch.autograd.gradcheck"


def _T():
    return torch.Tensor


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs):
    out = func(*inputs)
    return _as_tuple(out)


def _differentiable(t):
    return isinstance(t, _T()) and (t.is_floating_point() or t.is_complex())


def _numerical(func, inputs, in_idx, outs, eps):
    """Per differentiable input: per output, the (numel_in, numel_out) numerical Jacobian (numpy)."""
    result = []
    for i in in_idx:
        x = inputs[i]
        base = np.asarray(x.detach()._arr())
        n_in = base.size
        cols = [np.zeros((n_in, o.numel()), dtype=np.asarray(o.detach()._arr()).dtype) for o in outs]
        for j in range(n_in):
            vals = []
            for sign in (1, -1):
                pert = base.copy().reshape(-1)
                pert[j] = pert[j] + sign * eps
                xi = torch.tensor(pert.reshape(base.shape), dtype=x.dtype, requires_grad=x.requires_grad)
                args = list(inputs)
                args[i] = xi
                # grad mode stays on: gradgradcheck's function differentiates inside
                vals.append([np.asarray(o.detach()._arr()) for o in _outputs(func, args) if _differentiable(o)])
            for k, (hi, lo) in enumerate(zip(*vals)):
                if k < len(cols):
                    cols[k][j] = ((hi - lo) / (2 * eps)).reshape(-1)
        result.append(cols)
    return result


def _analytical(outs, inputs, in_idx):
    """Per differentiable input: per output, the (numel_in, numel_out) Jacobian from backward."""
    diff_in = [inputs[i] for i in in_idx]
    result = [[np.zeros((x.numel(), o.numel()), dtype=np.asarray(o.detach()._arr()).dtype) for o in outs]
              for x in diff_in]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for m in range(o.numel()):
            seed = torch.zeros_like(o)
            seed.view(-1)[m] = 1
            gs = torch.autograd.grad(o, diff_in, seed, retain_graph=True, allow_unused=True)
            for i, g in enumerate(gs):
                if g is not None:
                    result[i][k][:, m] = np.asarray(g.detach()._arr()).reshape(-1)
    return result


def _forward(func, inputs, in_idx, outs):
    """Per differentiable input: per output, the Jacobian from forward-mode AD."""
    result = []
    for i in in_idx:
        x = inputs[i]
        cols = [np.zeros((x.numel(), o.numel()), dtype=np.asarray(o.detach()._arr()).dtype) for o in outs]
        for j in range(x.numel()):
            with fwAD.dual_level():
                t = torch.zeros_like(x)
                t.view(-1)[j] = 1
                args = list(inputs)
                args[i] = fwAD.make_dual(x.detach(), t)
                for k, o in enumerate([o for o in _outputs(func, args) if _differentiable(o)]):
                    tan = fwAD.unpack_dual(o).tangent
                    if tan is not None:
                        cols[k][j] = np.asarray(tan._arr()).reshape(-1)
        result.append(cols)
    return result


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when ``func``'s analytical Jacobians match finite differences (see the module docstring)."""
    inputs = _as_tuple(inputs)
    T = _T()
    in_idx = [i for i, x in enumerate(inputs) if isinstance(x, T) and x.requires_grad]
    if not in_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i in in_idx:
        if inputs[i].dtype.__str__() not in ("torch.float64", "torch.complex128"):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=2)
    outs = [o for o in _outputs(func, inputs) if _differentiable(o)]
    numerical = _numerical(func, inputs, in_idx, outs, eps)

    def compare(analytical, what):
        for pos, i in enumerate(in_idx):
            for k in range(len(outs)):
                a, n = analytical[pos][k], numerical[pos][k]
                if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                    return (f"Jacobian {what}mismatch for output {k} with respect to input {i},\n"
                            f"numerical:{torch.tensor(n)!r}\nanalytical:{torch.tensor(a)!r}\n")
        return None

    if check_backward_ad:
        msg = compare(_analytical(outs, inputs, in_idx), "")
        if msg is not None:
            return _fail(msg, raise_exception)
    if check_forward_ad:
        msg = compare(_forward(func, inputs, in_idx, outs), "computed with forward mode ")
        if msg is not None:
            return _fail(msg, raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """``gradcheck`` of the gradient of ``func`` (second derivatives through ``create_graph``)."""
    inputs = _as_tuple(inputs)
    T = _T()
    if grad_outputs is None:
        outs = [o for o in _outputs(func, inputs) if _differentiable(o) and o.requires_grad]
        rng = np.random.default_rng(0)
        grad_outputs = tuple(torch.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, requires_grad=True)
                             for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, T) and x.requires_grad]

    def new_func(*args):
        ins, gos = args[:n], args[n:]
        outs = [o for o in _outputs(func, ins) if _differentiable(o) and o.requires_grad]
        gs = torch.autograd.grad(outs, [ins[i] for i in diff], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)
    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
