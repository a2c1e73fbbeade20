"""Run PyTorch's OpInfo database against torchlike (mechanism only; policy is in test_opinfo.py).

For each OpInfo entry that supports float32 on CPU (``entries()``), ``check_entry``
takes the first few of its sample inputs, runs each sample in PyTorch and in
torchlike and compares:

* forward: output structure, shapes, dtypes (exactly), ``requires_grad`` and
  values (float32 tolerances, widened per entry by the caller);
* gradients: ``autograd.grad(outputs, inputs, grad_outputs=cotangents)`` (the
  gradient of ``sum(output * cotangent)``) for a random cotangent, w.r.t. every
  input that requires grad, in both libraries;
* the grad_fn class name of each output (reported, not part of pass/fail);
* forward only, the int64 and bool samples of entries that accept those dtypes.

Random-sampling entries compare structure, shapes and dtypes only.

The torchlike callable is found from the entry itself: an OpInfo whose ``op`` is
a lambda from PyTorch's test suite is re-run with its global ``torch`` bound to
``torchlike`` (so ``lambda x: x.view(...)`` and ``lambda a: torch.einsum(...)``
exercise our ops); otherwise the entry's dotted name is looked up in torchlike
(``torchlike.X``, ``torchlike.linalg.X``, ``torchlike.nn.functional.X``, ...) or
as a ``Tensor`` method.  Inputs are converted through numpy, keeping
``requires_grad``.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import re
import time
import types
import warnings
import zlib

import numpy as np
import torch
from torch.testing._internal.common_methods_invocations import op_db

import torchlike
from harness import Raised, assert_same, grad_fn_name, is_tensor

# ---- bounds: keep the full run to a few minutes -----------------------------
N_SAMPLES = 3          # float32 samples per entry
N_GRAD_SAMPLES = 2     # of which the first ones also check gradients
N_SAMPLES_OTHER = 1    # int64 / bool samples per entry
N_ERRORS = 4           # error inputs per entry (PyTorch raises: torchlike must raise the same exception type)
MAX_NUMEL = 4096       # skip samples whose tensors hold more elements than this in total
MAX_SCANNED = 24       # sample inputs looked at to find N_SAMPLES small enough ones

# float32 tolerances (PyTorch's own assertEqual defaults for float32)
RTOL, ATOL = 1.3e-6, 1e-5
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-5

# entries whose outputs are random (or uninitialised memory): structure, shape and dtype only
RANDOM = {
    "bernoulli", "cauchy", "exponential", "geometric", "log_normal", "normal", "normal.in_place",
    "normal.number_mean", "uniform", "multinomial", "rand_like", "randn", "randn_like", "randint",
    "randint_like", "empty", "empty_like", "empty_strided", "empty_permuted", "new_empty",
    "new_empty_strided", "svd_lowrank", "pca_lowrank", "nn.functional.dropout", "nn.functional.dropout2d",
    "nn.functional.dropout3d", "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
    "nn.functional.feature_alpha_dropout.with_train", "nn.functional.feature_alpha_dropout.without_train",
    "nn.functional.rrelu", "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
    "native_dropout_backward", "nn.functional.scaled_dot_product_attention",
    "nn.functional.multi_head_attention_forward",
}


def entry_id(op):
    return op.name + ("." + op.variant_test_name if op.variant_test_name else "")


def entries():
    """The OpInfo entries that support float32 on CPU, in op_db order."""
    return [op for op in op_db if torch.float32 in op.supported_dtypes("cpu")]


def _seed(text):
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


# ---- finding the torchlike callable ----------------------------------------
class Missing(Exception):
    """torchlike has no counterpart for something the sample needs."""


def _walk(root, path):
    obj = root
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except Exception:  # noqa: BLE001 - a failing lazy attribute is a missing one
            return None
    return obj


def _tl_wrapper_set_seed(op, *args, **kwargs):
    torchlike.manual_seed(42)
    return op(*args, **kwargs)


def _rebind(fn):
    """``fn`` (a function from PyTorch's test suite) with ``torch`` meaning torchlike."""
    g = dict(fn.__globals__)
    g["torch"] = torchlike
    g["wrapper_set_seed"] = _tl_wrapper_set_seed
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _is_test_suite_function(fn):
    return isinstance(fn, types.FunctionType) and (fn.__module__ or "").startswith("torch.testing")


def resolve(op):
    """The torchlike callable for ``op`` (called like ``op.op``); raises Missing."""
    f = op.op
    if _is_test_suite_function(f):
        return _rebind(f)
    if isinstance(f, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        packet = f._overloadpacket if isinstance(f, torch._ops.OpOverload) else f
        name = packet._qualified_op_name.split("::")[-1]
        tl = _walk(torchlike, "ops.aten." + name)
        if tl is not None and isinstance(f, torch._ops.OpOverload):
            tl = getattr(tl, f._overloadname, None)
        if tl is None:
            raise Missing(f"torchlike.ops.aten.{name}")
        return tl
    if type(f).__name__ == "_JittedFunction":
        raise Missing(f"torch.cuda.jiterator ({op.name})")
    if _walk(torch, op.name) is f:
        tl = _walk(torchlike, op.name)
        if tl is None:
            raise Missing(f"torchlike.{op.name}")
        return tl
    name = op.name.split(".")[-1]
    if getattr(torch.Tensor, name, None) is not None:
        tl = getattr(torchlike.Tensor, name, None)
        if tl is None:
            raise Missing(f"Tensor.{name}")
        return tl
    tl = _walk(torchlike, op.name)
    if tl is None:
        raise Missing(f"torchlike.{op.name}")
    return tl


def _missing_from(exc):
    """The name torchlike lacks, when ``exc`` says an attribute is missing."""
    if not isinstance(exc, AttributeError):
        return None
    msg = str(exc)
    m = re.search(r"module '(torchlike[\w.]*)' has no attribute '(\w+)'", msg)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    m = re.search(r"'(Tensor|Size|dtype)' object has no attribute '(\w+)'", msg)
    if m and "torch." not in msg:
        return f"{m.group(1)}.{m.group(2)}"
    m = re.search(r"type object '(Tensor)' has no attribute '(\w+)'", msg)
    if m:
        return f"Tensor.{m.group(2)}"
    return None


# ---- converting sample inputs ------------------------------------------------
def _tl_dtype(d):
    tl = getattr(torchlike, str(d).split(".")[-1], None)
    if tl is None:
        raise Missing(f"dtype {d}")
    return tl


def convert(x, memo):
    """A torchlike copy of a sample argument (tensors through numpy, keeping requires_grad)."""
    if isinstance(x, torch.Tensor):
        hit = memo.get(id(x))
        if hit is not None:
            return hit
        if x.layout != torch.strided:
            raise Missing(f"layout {x.layout}")
        t = x.detach().resolve_conj().resolve_neg()
        if t.dtype == torch.bfloat16:
            r = torchlike.tensor(t.float().numpy()).to(torchlike.bfloat16)
        else:
            r = torchlike.tensor(t.numpy().copy())
        if x.requires_grad:
            r.requires_grad_(True)
        memo[id(x)] = r
        return r
    if isinstance(x, torch.dtype):
        return _tl_dtype(x)
    if isinstance(x, torch.Size):
        return torchlike.Size(tuple(x))
    if isinstance(x, torch.device):
        return str(x)
    if isinstance(x, (torch.memory_format, torch.layout)):
        name = str(x).split(".")[-1]
        tl = getattr(torchlike, name, None)
        if tl is None:
            raise Missing(f"torchlike.{name}")
        return tl
    if isinstance(x, torch.Generator):
        raise Missing("torch.Generator argument")
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(convert(v, memo) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(convert(v, memo) for v in x)
    if isinstance(x, dict):
        return {k: convert(v, memo) for k, v in x.items()}
    if _is_test_suite_function(x):
        return _rebind(x)
    if isinstance(x, torch.nn.Module) and not list(x.parameters()) and not list(x.buffers()):
        # a parameter-free module argument (e.g. distance_function=nn.PairwiseDistance()): the
        # torchlike class of the same name with the same public attributes
        cls = getattr(torchlike.nn, type(x).__name__, None)
        if cls is None:
            raise Missing(f"torchlike.nn.{type(x).__name__}")
        obj = cls.__new__(cls)
        torchlike.nn.Module.__init__(obj)
        for k, v in vars(x).items():
            if not k.startswith("_"):
                setattr(obj, k, convert(v, memo))
        return obj
    if callable(x) and not isinstance(x, type) and getattr(x, "__module__", "") and \
            str(getattr(x, "__module__", "")).startswith("torch"):
        path = _torch_path(x)
        tl = _walk(torchlike, path) if path else None
        if tl is None:
            raise Missing(f"callable argument {x!r}")
        return tl
    return x


def _torch_path(fn):
    name = getattr(fn, "__name__", None)
    for prefix in ("", "nn.functional.", "linalg.", "special.", "fft."):
        if name and _walk(torch, prefix + name) is fn:
            return prefix + name
    return None


def _tensors(x, out):
    """Tensors in ``x`` (nested), in a fixed order."""
    if is_tensor(x):
        out.append(x)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _tensors(v, out)
    elif isinstance(x, dict):
        for k in x:
            _tensors(x[k], out)
    return out


def _sample_numel(s):
    return sum(t.numel() for t in _tensors([s.input, s.args, s.kwargs], []))


def _has_empty(s):
    return any(t.numel() == 0 for t in _tensors([s.input, s.args, s.kwargs], []))


def samples(op, dtype, n, requires_grad):
    """``n`` samples of ``op`` for ``dtype`` whose tensors are small enough.

    Of the first MAX_SCANNED samples, non-empty ones come first and at most one sample with an empty
    tensor is kept (many generators start with several 0x0 edge cases).
    """
    torch.manual_seed(_seed(entry_id(op) + str(dtype)))
    cands = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = op.sample_inputs("cpu", dtype, requires_grad=requires_grad)
        smallest, least = None, None
        for s in itertools.islice(it, MAX_SCANNED):
            numel = _sample_numel(s)
            if numel <= MAX_NUMEL:
                cands.append(s)
            elif least is None or numel < least:
                smallest, least = s, numel
    full = [i for i, s in enumerate(cands) if not _has_empty(s)]
    empty = [i for i, s in enumerate(cands) if _has_empty(s)]
    pick = full[:n - 1] + empty[:1] if empty else full[:n]
    pick += [i for i in full + empty if i not in pick][:n - len(pick)]
    if not pick and smallest is not None:     # every sample is large: run the smallest one
        return [smallest]
    return [cands[i] for i in pick]     # non-empty ones first: they are the ones whose gradients are checked


# ---- running and comparing ---------------------------------------------------
def _call(fn, s, args, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if lib is torch:
                torch.manual_seed(0)
            return fn(args[0], *args[1], **args[2])
        except Exception as exc:  # noqa: BLE001 - compared by the caller
            return Raised(exc)


def _flat_outputs(x, out):
    """Output tensors (nested tuples/lists flattened), in order."""
    return _tensors(x, out)


def _short(exc, limit=200):
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = [ln for ln in lines if ln.startswith(("Mismatched elements", "Max absolute", "Max relative"))]
    head = lines[0] if lines else ""
    msg = " ".join([head] + keep[:2]) if keep and head not in keep else head
    return msg[:limit]


def _raised(r):
    missing = _missing_from(r.exc)
    if missing:
        return f"missing {missing}"
    return f"torchlike raised {type(r.exc).__name__}: {_short(r.exc)}"


def _process(fn_t, s, out, lib):
    """``sample.output_process_fn_grad`` applied to ``out`` (rebound for torchlike)."""
    fn = s.output_process_fn_grad
    if lib is torchlike and _is_test_suite_function(fn):
        fn = _rebind(fn)
    return fn(out)


@dataclasses.dataclass
class SampleResult:
    forward: str | None = None      # None: passed; else the reason it failed
    grad: str | None = None         # None: passed or not checked
    grad_checked: bool = False
    grad_fn: str | None = None      # grad_fn name mismatch, if any


@dataclasses.dataclass
class EntryResult:
    id: str
    forward: bool = True
    grad: bool | None = None        # None: no gradient to check
    grad_fn: bool | None = None     # None: no output with a grad_fn
    forward_reason: str = ""
    grad_reason: str = ""
    grad_fn_reason: str = ""
    errors: bool | None = None      # None: no error input to check
    errors_reason: str = ""
    samples: int = 0
    seconds: float = 0.0

    @property
    def passed(self):
        return self.forward and self.grad is not False and self.errors is not False


def _cotangent(t, rng):
    """A random cotangent for output ``t`` (numpy, float64 or complex128)."""
    a = rng.standard_normal(tuple(t.shape))
    if t.is_complex():
        a = a + 1j * rng.standard_normal(tuple(t.shape))
    return np.asarray(a)


def _grads(lib, outs, ins, cts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return lib.autograd.grad(outs, ins, grad_outputs=cts, allow_unused=True)
        except Exception as exc:  # noqa: BLE001
            return Raised(exc)


def _scale(x, scaled):
    """With ``scaled``, absolute tolerances are relative to the largest magnitude in the expected value."""
    if not scaled:
        return 1.0
    m = 0.0
    for t in _tensors(x, []):
        if (t.is_floating_point() or t.is_complex()) and t.numel():
            v = t.detach().abs().max()
            if torch.isfinite(v):
                m = max(m, float(v))
    return max(1.0, m)


def run_sample(op, fn_tl, s, *, check_grad, random, rtol, atol, grad_rtol, grad_atol,  # noqa: C901
               scaled=False):
    """Compare one sample; returns a SampleResult."""
    r = SampleResult()
    memo = {}
    try:
        tl_args = (convert(s.input, memo), convert(tuple(s.args), memo), convert(dict(s.kwargs), memo))
    except Missing as m:
        r.forward = f"missing {m}"
        return r
    except Exception as exc:  # noqa: BLE001
        r.forward = f"input conversion failed: {_short(exc)}"
        return r
    t_args = (s.input, tuple(s.args), dict(s.kwargs))
    expected = _call(op.op, s, t_args, torch)
    if isinstance(expected, Raised):
        r.forward = "torch raised"   # the sample is not valid on this build: not counted
        return r
    actual = _call(fn_tl, s, tl_args, torchlike)
    if isinstance(actual, Raised):
        r.forward = _raised(actual)
        return r
    try:
        assert_same(expected, actual, check_grad_fn=False, check_values=False, path="output")
        if not random:
            pe, pa = _process(op, s, expected, torch), _process(op, s, actual, torchlike)
            assert_same(pe, pa, rtol=rtol, atol=atol * _scale(pe, scaled), check_grad_fn=False, path="output")
    except Exception as exc:  # noqa: BLE001
        r.forward = _short(exc)
        return r
    # grad_fn names, informational
    for i, (e, a) in enumerate(zip(_flat_outputs(expected, []), _flat_outputs(actual, []))):
        if grad_fn_name(e) != grad_fn_name(a):
            r.grad_fn = f"output[{i}]: {grad_fn_name(a)} != {grad_fn_name(e)}"
            break
    if not check_grad:
        return r
    # gradients of sum(output * cotangent)
    try:
        pe, pa = _process(op, s, expected, torch), _process(op, s, actual, torchlike)
    except Exception as exc:  # noqa: BLE001
        r.grad_checked = True
        r.grad = f"output_process_fn_grad failed on torchlike: {_short(exc)}"
        return r
    outs_e, outs_a = _flat_outputs(pe, []), _flat_outputs(pa, [])
    ins_e = _tensors(list(t_args), [])
    ins_a = _tensors(list(tl_args), [])
    pick_in = [i for i, t in enumerate(ins_e) if t.requires_grad]
    pick_out = [i for i, t in enumerate(outs_e) if t.requires_grad and (t.is_floating_point() or t.is_complex())]
    if not pick_in or not pick_out or len(outs_a) != len(outs_e) or len(ins_a) != len(ins_e):
        return r
    rng = np.random.default_rng(_seed(entry_id(op) + "ct"))
    cts = [_cotangent(outs_e[i], rng) for i in pick_out]
    # duplicate tensors (the same tensor passed twice) are one input
    seen, uniq = set(), []
    for i in pick_in:
        if id(ins_e[i]) not in seen:
            seen.add(id(ins_e[i]))
            uniq.append(i)
    ge = _grads(torch, [outs_e[i] for i in pick_out], [ins_e[i] for i in uniq],
                [torch.from_numpy(c).to(outs_e[i].dtype) for c, i in zip(cts, pick_out)])
    if isinstance(ge, Raised):
        return r    # not differentiable for this sample in PyTorch
    r.grad_checked = True
    for i in pick_out:
        if not outs_a[i].requires_grad:
            r.grad = f"output[{i}] does not require grad"
            return r
    ga = _grads(torchlike, [outs_a[i] for i in pick_out], [ins_a[i] for i in uniq],
                [torchlike.tensor(c).to(_tl_dtype(outs_e[i].dtype)) for c, i in zip(cts, pick_out)])
    if isinstance(ga, Raised):
        r.grad = "backward: " + _raised(ga)
        return r
    try:
        for k, (e, a, i) in enumerate(zip(ge, ga, uniq)):
            if e is None and a is None:
                continue
            if e is not None and e._is_zerotensor():     # PyTorch's symbolic zero gradient
                e = torch.zeros(e.shape, dtype=e.dtype)
            if e is None:
                e = torch.zeros_like(ins_e[i])
            if a is None:
                a = torchlike.zeros_like(ins_a[i])
            assert_same(e.detach(), a.detach(), rtol=grad_rtol, atol=grad_atol * _scale(e, scaled), check_grad_fn=False,
                        check_values=not random, path=f"grad[input {i}]")
    except Exception as exc:  # noqa: BLE001
        r.grad = _short(exc)
    return r


def _supports(op, dtype):
    try:
        return dtype in op.supported_dtypes("cpu")
    except Exception:  # noqa: BLE001
        return False


def check_entry(op, tol=None):
    """Run every bounded sample of ``op``; returns an EntryResult.

    ``tol``: optional dict with ``rtol``, ``atol``, ``grad_rtol``, ``grad_atol`` for this entry, and
    ``scaled=True`` to make the absolute tolerances relative to the largest expected magnitude.
    """
    eid = entry_id(op)
    tol = tol or {}
    res = EntryResult(eid)
    start = time.perf_counter()
    try:
        fn_tl = resolve(op)
    except Missing as m:
        res.forward, res.forward_reason = False, f"missing {m}"
        res.grad = False if _grad_supported(op) else None
        if res.grad is False:
            res.grad_reason = "forward fails"
        res.seconds = time.perf_counter() - start
        return res
    random = eid in RANDOM or op.name in RANDOM
    kw = dict(random=random, rtol=tol.get("rtol", RTOL), atol=tol.get("atol", ATOL),
              grad_rtol=tol.get("grad_rtol", GRAD_RTOL), grad_atol=tol.get("grad_atol", GRAD_ATOL),
              scaled=tol.get("scaled", False))
    runs = [(torch.float32, N_SAMPLES, True)]
    for d in (torch.int64, torch.bool):
        if _supports(op, d):
            runs.append((d, N_SAMPLES_OTHER, False))
    grad_ok = None
    fn_ok = None
    for dtype, n, rg in runs:
        check_grad = rg and _grad_supported(op)
        try:
            ss = samples(op, dtype, n, requires_grad=check_grad)
        except Exception as exc:  # noqa: BLE001 - PyTorch's sample generator failed
            if dtype is torch.float32:
                res.forward, res.forward_reason = False, f"sample_inputs failed in torch: {_short(exc)}"
            continue
        for k, s in enumerate(ss):
            sr = run_sample(op, fn_tl, s, check_grad=check_grad and k < N_GRAD_SAMPLES, **kw)
            if sr.forward == "torch raised":
                continue
            res.samples += 1
            where = f"[{str(dtype).split('.')[-1]} sample {k}]"
            if sr.forward is not None:
                if res.forward:
                    res.forward, res.forward_reason = False, f"{where} {sr.forward}"
                continue
            if sr.grad_fn is not None and fn_ok is not False:
                fn_ok, res.grad_fn_reason = False, f"{where} {sr.grad_fn}"
            elif fn_ok is None and rg:
                fn_ok = True
            if sr.grad_checked:
                if sr.grad is not None:
                    if grad_ok is not False:
                        grad_ok, res.grad_reason = False, f"{where} {sr.grad}"
                elif grad_ok is None:
                    grad_ok = True
    if _grad_supported(op):
        if grad_ok is None and not res.forward:
            grad_ok, res.grad_reason = False, "forward fails"
        res.grad = grad_ok
    res.errors, res.errors_reason = check_errors(op, fn_tl)
    if res.samples == 0 and res.forward:
        res.forward_reason = "no sample ran (PyTorch raised on every sample, or all were too large)"
    res.grad_fn = fn_ok
    res.seconds = time.perf_counter() - start
    return res


def _is_method_entry(op):
    name = op.name.split(".")[-1]
    return _walk(torch, op.name) is not op.op and getattr(torch.Tensor, name, None) is not None


def check_errors(op, fn_tl):
    """PyTorch's error inputs for ``op``: where PyTorch raises, torchlike must raise the same exception type.
    Returns ``(ok, reason)``; ``ok`` is None when no error input applies."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eis = list(itertools.islice(op.error_inputs("cpu"), N_ERRORS))
    except Exception:  # noqa: BLE001 - no error inputs for this entry
        return None, ""
    checked = 0
    method = _is_method_entry(op)
    for k, ei in enumerate(eis):
        s = ei.sample_input
        if method and not isinstance(s.input, torch.Tensor):
            continue    # an unbound Tensor method called on a number: a descriptor check, not an op error
        expected = _call(op.op, s, (s.input, tuple(s.args), dict(s.kwargs)), torch)
        if not isinstance(expected, Raised):
            continue
        try:
            memo = _aliased_memo([s.input, s.args, s.kwargs])
            tl_args = (convert(s.input, memo), convert(tuple(s.args), memo), convert(dict(s.kwargs), memo))
        except Missing as m:
            return False, f"[error input {k}] missing {m}"
        except Exception:  # noqa: BLE001 - not representable through numpy (e.g. 65 dimensions): skip it
            continue
        actual = _call(fn_tl, s, tl_args, torchlike)
        checked += 1
        want = type(expected.exc)
        if not isinstance(actual, Raised):
            return False, f"[error input {k}] PyTorch raises {want.__name__} ({_short(expected.exc, 80)}); torchlike returns"
        if not (isinstance(actual.exc, want) or type(actual.exc).__name__ == want.__name__):
            return False, (f"[error input {k}] PyTorch raises {want.__name__} ({_short(expected.exc, 80)}); "
                           f"torchlike raises {type(actual.exc).__name__} ({_short(actual.exc, 80)})")
    return (True if checked else None), ""


def _aliased_memo(args):
    """A ``convert`` memo in which the error input's tensors that share memory (an expanded ``out=``,
    an ``out=`` that is a view of an input) are torchlike views of one base with the same strides,
    so that PyTorch's overlap errors can be checked; other tensors are converted as usual."""
    by_storage = {}
    for t in _tensors(args, []):
        if t.layout == torch.strided and t.numel():
            by_storage.setdefault(t.untyped_storage().data_ptr(), {})[id(t)] = t
    memo = {}
    for group in by_storage.values():
        ts = list(group.values())
        expanded = any(s == 0 and n > 1 for t in ts for n, s in zip(t.shape, t.stride()))
        if len(ts) < 2 and not expanded:
            continue
        if len({t.dtype for t in ts}) != 1 or ts[0].dtype == torch.bfloat16:
            continue
        n = ts[0].untyped_storage().nbytes() // ts[0].element_size()
        base = convert(torch.as_strided(ts[0].detach(), (n,), (1,), 0), {})
        for t in ts:
            memo[id(t)] = base.as_strided(tuple(t.shape), tuple(t.stride()), t.storage_offset())
    return memo


def _grad_supported(op):
    try:
        return bool(op.supports_autograd) and torch.float32 in op.supported_backward_dtypes("cpu")
    except Exception:  # noqa: BLE001
        return False


def summarize(results):
    """Totals over a list of EntryResult."""
    n = len(results)
    fwd = sum(r.forward for r in results)
    with_grad = [r for r in results if r.grad is not None]
    grad = sum(bool(r.grad) for r in with_grad)
    full = sum(r.passed for r in results)
    return dict(entries=n, forward=fwd, grad_entries=len(with_grad), grad=grad, passed=full,
                forward_pct=100.0 * fwd / max(n, 1), grad_pct=100.0 * grad / max(len(with_grad), 1),
                passed_pct=100.0 * full / max(n, 1))


__all__ = ["entries", "entry_id", "check_entry", "summarize", "EntryResult", "RANDOM", "math"]
