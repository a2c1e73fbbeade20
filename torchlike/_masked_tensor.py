"""``torch.masked.MaskedTensor``: a tensor paired with a boolean mask of the elements that are specified.

A plain Python wrapper over two torchlike tensors (``_data``, ``_mask``); ops on
the data go through torchlike ops, so autograd flows into the data.  Elementwise
ops keep the mask (two MaskedTensors must have equal masks), reductions reduce
over the specified elements with ``torch.masked``'s functions and reduce the
mask with ``any``.  Unlike PyTorch it is not a ``Tensor`` subclass, so only the
method form of ops works (``mt.sin()``, ``mt + 1``), not ``torch.sin(mt)``.
"""
from __future__ import annotations

import warnings
import torchlike     # the public face, read when called (not an import cycle)

__all__ = ["MaskedTensor", "masked_tensor", "as_masked_tensor", "is_masked_tensor"]

_PROTOTYPE = ("The PyTorch API of MaskedTensors is in prototype stage and will change in the near future. "
              "Please open a Github issue for features requests and see our documentation on the torch.masked "
              "module for further information about the project.")


def _torch():
    return torchlike


def is_masked_tensor(obj):
    """Whether ``obj`` is a MaskedTensor."""
    return isinstance(obj, MaskedTensor)


def _check(data, mask):
    T = _torch().Tensor
    if not isinstance(data, T):
        raise TypeError("data must be a Tensor")
    if not isinstance(mask, T):
        raise TypeError("mask must be a Tensor")
    if data.dim() != mask.dim():
        raise ValueError("data.dim() must equal mask.dim()")
    if tuple(data.shape) != tuple(mask.shape):
        raise ValueError("data.size() must equal mask.size()")
    if mask.dtype != _torch().bool:
        raise TypeError("mask must have dtype bool.")


class MaskedTensor:
    """``data`` with ``mask`` (True = specified element)."""

    def __init__(self, data, mask, requires_grad=False):
        warnings.warn(_PROTOTYPE, UserWarning, stacklevel=2)
        _check(data, mask)
        if data.requires_grad:
            warnings.warn("It is not recommended to create a MaskedTensor with a tensor that requires_grad. "
                          "To avoid this, you can use data.detach().clone()", UserWarning, stacklevel=2)
        if requires_grad and not data.requires_grad:
            data = data.detach().requires_grad_(True)
        self._data = data
        self._mask = mask

    # -- accessors -------------------------------------------------------
    def get_data(self):
        return self._data

    def get_mask(self):
        return self._mask

    def to_tensor(self, value):
        return self._data.masked_fill(~self._mask, value)

    def is_sparse_coo(self):
        return False

    def is_sparse_csr(self):
        return False

    @property
    def shape(self):
        return self._data.shape

    def size(self, dim=None):
        return self._data.size() if dim is None else self._data.size(dim)

    def dim(self):
        return self._data.dim()

    @property
    def ndim(self):
        return self._data.dim()

    def numel(self):
        return self._data.numel()

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return self._data.device

    @property
    def requires_grad(self):
        return self._data.requires_grad

    @property
    def is_leaf(self):
        return self._data.is_leaf

    @property
    def grad(self):
        g = self._data.grad
        return None if g is None else MaskedTensor(g, self._mask)

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        if isinstance(gradient, MaskedTensor):
            gradient = gradient.to_tensor(0)
        self._data.backward(gradient, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self):
        return MaskedTensor(self._data.detach(), self._mask)

    def clone(self):
        return MaskedTensor(self._data.clone(), self._mask.clone())

    def to(self, *args, **kwargs):
        return MaskedTensor(self._data.to(*args, **kwargs), self._mask.to(device=self._data.to(*args, **kwargs).device))

    def __len__(self):
        return len(self._data)

    # -- elementwise -----------------------------------------------------
    def _unary(self, name, *args, **kwargs):
        return MaskedTensor(getattr(self._data, name)(*args, **kwargs), self._mask)

    def _binary(self, other, fn):
        if isinstance(other, MaskedTensor):
            if not _torch().equal(self._mask, other._mask):
                raise ValueError("Input masks must match. If you need support for this, please open an issue on Github.")
            other = other._data
        return MaskedTensor(fn(self._data, other), self._mask)

    def __add__(self, o): return self._binary(o, lambda a, b: a + b)
    def __radd__(self, o): return self._binary(o, lambda a, b: b + a)
    def __sub__(self, o): return self._binary(o, lambda a, b: a - b)

    def __rsub__(self, o):
        if not isinstance(o, _torch().Tensor):  # PyTorch's MaskedTensor has no scalar rsub
            raise TypeError(f"unsupported operand type(s) for -: '{type(o).__name__}' and 'MaskedTensor'")
        return self._binary(o, lambda a, b: b - a)

    def __mul__(self, o): return self._binary(o, lambda a, b: a * b)
    def __rmul__(self, o): return self._binary(o, lambda a, b: b * a)
    def __truediv__(self, o): return self._binary(o, lambda a, b: a / b)
    def __rtruediv__(self, o): return self._binary(o, lambda a, b: b / a)
    def __pow__(self, o): return self._binary(o, lambda a, b: a ** b)
    def __lt__(self, o): return self._binary(o, lambda a, b: a < b)
    def __le__(self, o): return self._binary(o, lambda a, b: a <= b)
    def __gt__(self, o): return self._binary(o, lambda a, b: a > b)
    def __ge__(self, o): return self._binary(o, lambda a, b: a >= b)
    def __eq__(self, o): return self._binary(o, lambda a, b: a == b)
    def __ne__(self, o): return self._binary(o, lambda a, b: a != b)
    __hash__ = object.__hash__
    def __neg__(self): return self._unary("neg")
    def __abs__(self): return self._unary("abs")

    def add(self, o): return self + o
    def sub(self, o): return self - o
    def mul(self, o): return self * o
    def div(self, o): return self / o
    def pow(self, o): return self ** o

    # -- reductions over the specified elements ----------------------------
    def _reduce(self, fn, dim, keepdim, dtype):
        t = _torch()
        data = getattr(t.masked, fn)(self._data, dim, keepdim=keepdim, dtype=dtype, mask=self._mask)
        mask = self._mask.any() if dim is None else self._mask.any(dim=dim, keepdim=keepdim)
        if keepdim and dim is None:
            mask = mask.reshape(data.shape)
        return MaskedTensor(data, mask)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce("sum", dim, keepdim, dtype)

    def amax(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce("amax", dim, keepdim, dtype)

    def amin(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce("amin", dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce("prod", dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        t = _torch()
        if dtype is None and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise ValueError("mean(): Could not infer output dtype. Input dtype must be either a floating point or "
                             f"complex dtype. Got: {str(self.dtype).replace('torchlike.', 'torch.')}")
        del t
        return self._reduce("mean", dim, keepdim, dtype)

    # -- printing ----------------------------------------------------------
    def __repr__(self):
        data = self._data.detach().tolist()
        mask = self._mask.tolist()
        is_float = self.dtype.is_floating_point

        def fmt(v):
            return f"{v:8.4f}" if is_float else str(v)

        if self.dim() == 0:
            return f"MaskedTensor({fmt(data) if mask else '--'}, {mask})"

        def block(d, m, indent):
            pad = " " * indent
            if not isinstance(d[0] if d else None, list):
                # each innermost row pads its "--" to its own widest element (at least 8), as PyTorch does
                width = max(len(fmt(v)) if k else 8 for v, k in zip(d, m))
                return pad + "[" + ", ".join(fmt(v) if k else "--".rjust(width) for v, k in zip(d, m)) + "]"
            inner = ",\n".join(block(a, b, indent + 2) for a, b in zip(d, m))
            return f"{pad}[\n{inner}\n{pad}]"

        return "MaskedTensor(\n" + block(data, mask, 2) + "\n)"

    __str__ = __repr__


for _name in ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "neg", "tanh", "sigmoid", "floor", "ceil",
              "round", "square", "reciprocal", "log1p", "expm1", "sign", "exp2", "log2", "asin", "acos", "atan",
              "sinh", "cosh", "rsqrt", "trunc", "frac", "erf", "isnan"]:
    setattr(MaskedTensor, _name, (lambda n: lambda self, *a, **k: self._unary(n, *a, **k))(_name))


def masked_tensor(data, mask, requires_grad=False):
    """A MaskedTensor over ``data`` (kept as given) and ``mask``."""
    return MaskedTensor(data, mask, requires_grad)


def as_masked_tensor(data, mask):
    """A MaskedTensor sharing ``data`` and ``mask`` (autograd flows back into ``data``)."""
    return MaskedTensor(data, mask)
