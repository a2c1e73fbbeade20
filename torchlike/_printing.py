"""Tensor ``repr``/``str`` formatting, matching PyTorch 2.13 character for character.

Contract
--------
``format_tensor(values, dtype_name=...)`` returns exactly the string that
``repr(t)`` (equivalently ``str(t)``) returns for a PyTorch tensor ``t`` with the
same values, dtype, device and autograd state, under the print options set via
this module's :func:`set_printoptions` (the counterpart of
``torch.set_printoptions``).  It depends only on numpy, ml_dtypes and the
standard library; the caller converts its tensor to a numpy array first.

The behaviour reproduced here was established by observing PyTorch:

* **Element formatting.**  Booleans print as ``True``/``False`` and integers as
  decimal numbers.  Floating-point values (half precision widened to float64)
  are formatted from the statistics of their finite non-zero values: when all
  of them are integral they print as ``3.`` unless the largest is above 1e8 or
  the ratio of largest to smallest magnitude exceeds 1000, in which case
  scientific notation (``3.0000e+00``) is used.  Otherwise they print with
  ``precision`` decimals, switching to scientific notation for the same
  reasons or when the smallest magnitude is below 1e-4.  ``sci_mode`` forces
  the choice.  ``nan``/``inf``/``-inf`` print as such.
* **Alignment.**  Elements are right-aligned to the widest formatted *finite
  non-zero* value (at least 1 character); non-finite values and zeros never
  widen the column (``tensor([nan, 1.])``, ``tensor([-0., 1.])``).  Complex
  numbers format real and imaginary parts with separate formatters; the real
  part is padded, the imaginary part is not and carries an explicit sign.
* **Layout.**  Rows of a 1-D slice wrap so that ``(linewidth - indent) //
  (width + 2)`` elements fit on a line (at least one), where ``indent`` is the
  length of the prefix plus one per nesting level; a complex column is
  ``real width + imaginary width + 1`` wide.  Nested dimensions are separated
  by ``ndim - 1`` newlines.
* **Summarisation.**  Above ``threshold`` elements, every dimension longer than
  ``2 * edgeitems`` shows only its first and last ``edgeitems`` entries around
  ``...``; the column width is then computed from the shown entries only.  With
  ``edgeitems == 0`` a summarised tensor prints as ``[...]``.
* **Suffixes**, in order: ``device=``, ``size=`` (empty tensors whose shape is
  not ``(0,)``, and every non-empty tensor, 0-dim included, while
  ``edgeitems == 0``), ``dtype=`` (omitted for the default float dtype, its
  complex counterpart, int64 and bool, but for empty tensors omitted only for
  the default float dtype), then ``grad_fn=<...>`` or else
  ``requires_grad=True``.  A suffix stays on the current line only if that
  line, extended by ``", "``, the suffix and its closing ``,`` or ``)``, stays
  shorter than ``linewidth``; otherwise it starts a new line indented like the
  body.  Torch counts a line that starts with a wrapped suffix two characters
  short, so such lines may reach ``linewidth + 1``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator

import ml_dtypes
import numpy as np

__all__ = ["format_tensor", "get_printoptions", "printoptions", "set_printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set print options; same semantics as ``torch.set_printoptions``.

    ``profile`` ('default', 'short' or 'full'; anything else is ignored) is
    applied first and the explicit arguments override it.  ``sci_mode`` is
    always assigned, so omitting it restores automatic selection.
    """
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(_OPTS, name, value)
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """Return the current print options as a dict, like torch's ``get_printoptions``."""
    return dataclasses.asdict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Context manager that applies ``set_printoptions(**kwargs)`` and restores the old options."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------- #
# Element formatters
# --------------------------------------------------------------------------- #

class _Formatter:
    """Formats scalars of one tensor, right-aligned to ``width`` columns."""

    def __init__(self, fmt: Callable[[object], str], width: int):
        self._fmt = fmt
        self.width = width

    def format(self, value) -> str:
        return self._fmt(value).rjust(self.width)


def _plain_formatter(data: np.ndarray) -> _Formatter:
    """Booleans and integers: ``str`` of each value, aligned to the longest one."""
    width = max((len(str(v)) for v in data.tolist()), default=1)
    return _Formatter(str, width)


def _float_formatter(data: np.ndarray) -> _Formatter:
    """Real floating-point values (``data`` is float64)."""
    finite = data[np.isfinite(data)]
    nonzero = finite[finite != 0]
    precision = _OPTS.precision

    if nonzero.size == 0:
        # Nothing to scale by: plain "0." style even when sci_mode is forced.
        integral, sci = True, False
    else:
        magnitudes = np.abs(nonzero)
        largest, smallest = float(magnitudes.max()), float(magnitudes.min())
        integral = bool(np.all(nonzero == np.ceil(nonzero)))
        sci = largest / smallest > 1000.0 or largest > 1e8
        if not integral:
            sci = sci or smallest < 1e-4
        if _OPTS.sci_mode is not None:
            sci = _OPTS.sci_mode

    if sci:
        spec = f"{{:.{precision}e}}".format
    elif integral:
        spec = "{:.0f}.".format
    else:
        spec = f"{{:.{precision}f}}".format

    def fmt(value: float) -> str:
        return spec(value) if math.isfinite(value) else str(value)

    width = max((len(fmt(v)) for v in nonzero.tolist()), default=1)
    return _Formatter(fmt, width)


class _ComplexFormatter:
    """Complex values as ``<real><sign><imag>j``; only the real part is padded."""

    def __init__(self, data: np.ndarray):
        self._real = _float_formatter(data.real)
        self._imag = _float_formatter(data.imag)
        self.width = self._real.width + self._imag.width + 1

    def format(self, value: complex) -> str:
        imag = self._imag.format(value.imag).lstrip()
        if not imag.startswith("-"):
            imag = "+" + imag
        return f"{self._real.format(value.real)}{imag}j"


def _make_formatter(data: np.ndarray) -> _Formatter | _ComplexFormatter:
    """Pick the formatter for the 1-D ``data``, already widened by :func:`_widen`."""
    if data.dtype.kind == "c":
        return _ComplexFormatter(data)
    if data.dtype.kind == "f":
        return _float_formatter(data)
    return _plain_formatter(data)


def _widen(values: np.ndarray) -> np.ndarray:
    """Convert to bool/int64/float64/complex128 for the formatters' statistics."""
    if values.dtype == ml_dtypes.bfloat16 or values.dtype.kind == "f":
        return values.astype(np.float64)
    if values.dtype.kind == "c":
        return values.astype(np.complex128)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    return values.astype(np.bool_)


# --------------------------------------------------------------------------- #
# Layout
# --------------------------------------------------------------------------- #

def _shown(length: int, summarize: bool) -> list[int | None]:
    """Indices shown along a dimension of ``length``; ``None`` marks the ellipsis."""
    edge = _OPTS.edgeitems
    if summarize and length > 2 * edge:
        return [*range(edge), None, *range(length - edge, length)]
    return list(range(length))


def _shown_values(data: np.ndarray, summarize: bool) -> np.ndarray:
    """The values that will be printed, flattened; they alone decide the formatting."""
    if not summarize:
        return data.ravel()
    keep = [[i for i in _shown(n, summarize) if i is not None] for n in data.shape]
    return data[np.ix_(*keep)].ravel()


def _tensor_str(data: np.ndarray, indent: int, summarize: bool,
                formatter: _Formatter | _ComplexFormatter) -> str:
    if data.ndim == 0:
        return formatter.format(data.item())
    shown = _shown(data.shape[0], summarize)
    if data.ndim == 1:
        items = [" ..." if i is None else formatter.format(data[i].item()) for i in shown]
        per_line = max(1, (_OPTS.linewidth - indent) // (formatter.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        separator = ",\n" + " " * (indent + 1)
    else:
        lines = ["..." if i is None else _tensor_str(data[i], indent + 1, summarize, formatter)
                 for i in shown]
        separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(lines) + "]"


def _body_str(data: np.ndarray, indent: int) -> str:
    """The bracketed values, without prefix or suffixes (``data`` is non-empty)."""
    summarize = data.size > _OPTS.threshold
    if summarize and _OPTS.edgeitems == 0 and data.ndim > 0:
        return "[...]"
    formatter = _make_formatter(_widen(_shown_values(data, summarize)))
    return _tensor_str(data, indent, summarize, formatter)


def _suffixes(shape: tuple, dtype_name: str, default_float_name: str, device,
              requires_grad: bool, grad_fn_name) -> list[str]:
    empty = math.prod(shape) == 0
    default_complex = {"float32": "complex64", "float64": "complex128"}.get(default_float_name)
    implicit_dtypes = ({default_float_name} if empty
                       else {default_float_name, default_complex, "int64", "bool"})
    out = []
    if device is not None:
        out.append(f"device='{device}'")
    if (empty and shape != (0,)) or (not empty and _OPTS.edgeitems == 0):
        out.append(f"size={shape}")
    if dtype_name not in implicit_dtypes:
        out.append(f"dtype=torch.{dtype_name}")
    if grad_fn_name is not None:
        out.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        out.append("requires_grad=True")
    return out


def format_tensor(values, *, dtype_name, default_float_name="float32", device=None,
                  requires_grad=False, grad_fn_name=None, prefix="tensor(", indent=None) -> str:
    """Return ``repr(t)`` as PyTorch 2.13 prints it for a tensor holding ``values``.

    Args:
        values: numpy array (any shape, including 0-dim and empty) of dtype bool,
            uint8, int8, int16, int32, int64, float16, ml_dtypes.bfloat16,
            float32, float64, complex64 or complex128.
        dtype_name: torch's name for the dtype, e.g. ``'float32'`` or ``'bfloat16'``.
        default_float_name: the current default float dtype (``'float32'`` or
            ``'float64'``); it decides which dtypes get a ``dtype=`` suffix.
        device: ``None`` for CPU, else the device string, e.g. ``'cuda:0'``.
        requires_grad: print ``requires_grad=True`` (only when there is no grad_fn).
        grad_fn_name: class name of the autograd node, e.g. ``'SinBackward0'``.
        prefix: text before the values, normally ``'tensor('``.
        indent: column at which continuation lines align; defaults to the
            length of the prefix's last line.
    """
    values = np.asarray(values)
    shape = tuple(int(n) for n in values.shape)
    if indent is None:
        indent = len(prefix.rsplit("\n", 1)[-1])

    body = "[]" if values.size == 0 else _body_str(values, indent)
    text = prefix + body
    # Width of the current last line as torch accounts for it: exact for lines of
    # the body, but two short on a line that starts with a wrapped suffix.
    line_width = len(text) - text.rfind("\n") - 1
    for suffix in _suffixes(shape, dtype_name, default_float_name, device,
                            requires_grad, grad_fn_name):
        # ", " + suffix + its closing "," or ")" must keep the line below linewidth.
        if line_width + 2 + len(suffix) + 1 >= _OPTS.linewidth:
            text += ",\n" + " " * indent + suffix
            line_width = indent + len(suffix) - 2
        else:
            text += ", " + suffix
            line_width += 2 + len(suffix)
    return text + ")"
