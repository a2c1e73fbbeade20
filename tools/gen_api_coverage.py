"""Measure torchlike's public API against torch's own namespaces and write docs/api_coverage.md.

    python tools/gen_api_coverage.py            # write docs/api_coverage.md
    python tools/gen_api_coverage.py --check    # exit 1 if the committed file is stale

For each namespace below, every public callable and class of torch's module (its ``__all__`` where it
has one, else the public names of ``dir()`` defined in torch), and every public attribute of
``torch.Tensor``: whether torchlike has it at the same dotted path under ``torchlike``; where both
sides have an introspectable signature, whether torchlike's accepts every parameter name torch's has
(a ``**kwargs`` accepts any; builtins without a signature are "not checked"); for each missing name,
"out of scope" with the reason when ``OUT_OF_SCOPE`` names it, else "planned".  The output is sorted
and carries no timestamps or addresses, so it is byte-for-byte reproducible for a given tree.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DOC = os.path.join(ROOT, "docs", "api_coverage.md")

NAMESPACES = [
    "torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.nn.utils.parametrize", "torch.nn.utils.parametrizations", "torch.nn.utils.rnn", "torch.nn.attention",
    "torch.optim", "torch.optim.lr_scheduler", "torch.autograd", "torch.autograd.functional",
    "torch.autograd.forward_ad", "torch.autograd.graph", "torch.special", "torch.func", "torch.fft",
    "torch.linalg", "torch.utils.data", "torch.utils.checkpoint", "torch.utils.benchmark",
    "torch.distributions", "torch.distributions.constraints", "torch.distributions.transforms", "torch.amp",
    "torch.cuda", "torch.random", "torch.testing", "torch.jit", "torch.compiler", "torch.profiler",
    "torch.masked", "torch.signal.windows", "torch.hub", "torch.serialization", "torch.storage",
    "torch.distributed", "torch.distributed.device_mesh", "torch.distributed.tensor", "torch.distributed.fsdp",
    "torch.distributed.checkpoint.state_dict",
    "torch.multiprocessing", "torch.nn.parallel", "torch.utils.data.distributed",
]

_SPARSE = "sparse layouts (JAX's sparse arrays are experimental; dense only)"
_TORCHSCRIPT = "TorchScript IR and C++ binding types (torch._C): torchlike has no C++ core"

# (namespace or "*", name prefix, reason): the first match decides.  A prefix ending in "*" is a
# prefix; otherwise the whole name must match.
OUT_OF_SCOPE = [
    ("*", "quantize*", "quantization (quantized dtypes and kernels)"),
    ("*", "quantized_*", "quantization (quantized dtypes and kernels)"),
    ("*", "q_*", "quantization (quantized dtypes and kernels)"),
    ("*", "fake_quantize*", "quantization (quantized dtypes and kernels)"),
    ("*", "dequantize", "quantization (quantized dtypes and kernels)"),
    ("*", "int_repr", "quantization (quantized dtypes and kernels)"),
    ("*", "qscheme", "quantization (quantized dtypes and kernels)"),
    ("*", "per_channel_*", "quantization (quantized dtypes and kernels)"),
    ("*", "per_tensor_*", "quantization (quantized dtypes and kernels)"),
    ("*", "fused_moving_avg_obs_fake_quant", "quantization (quantized dtypes and kernels)"),
    ("*", "choose_qparams_optimized", "quantization (quantized dtypes and kernels)"),
    ("*", "sparse_*", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "to_sparse*", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "smm", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "hspmm", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "sspaddmm", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "saddmm", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "coalesce", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "is_coalesced", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "indices", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "values", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "crow_indices", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "col_indices", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "ccol_indices", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "row_indices", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "dense_dim", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "sparse_dim", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "to_dense", "sparse layouts (JAX's sparse arrays are experimental; dense only)"),
    ("*", "rename*", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "refine_names", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "align_to", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "align_as", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "align_tensors", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "names", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "has_names", "named tensors (a prototype PyTorch itself has frozen)"),
    ("*", "mkldnn_*", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("*", "to_mkldnn", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("*", "cudnn_*", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("*", "miopen_*", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("*", "fbgemm_*", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("*", "_nnpack*", "vendor backend kernels (MKL-DNN, cuDNN, MIOpen, FBGEMM, NNPACK): XLA picks kernels"),
    ("torch.cuda", "CUDAGraph", "CUDA-graph internals (XLA compiles whole programs: torchlike.compile)"),
    ("torch.cuda", "graph*", "CUDA-graph internals (XLA compiles whole programs: torchlike.compile)"),
    ("torch.cuda", "make_graphed_callables", "CUDA-graph internals (XLA compiles whole programs: "
                                             "torchlike.compile)"),
    ("torch.cuda", "*Stream*", "CUDA streams and events (XLA schedules its own streams)"),
    ("torch.cuda", "*Event*", "CUDA streams and events (XLA schedules its own streams)"),
    ("torch.cuda", "stream", "CUDA streams and events (XLA schedules its own streams)"),
    ("torch.cuda", "nvtx", "NVIDIA tooling (nvtx, jiterator, tunable ops, memory snapshots)"),
    ("torch.cuda", "jiterator", "NVIDIA tooling (nvtx, jiterator, tunable ops, memory snapshots)"),
    ("torch.cuda", "tunable", "NVIDIA tooling (nvtx, jiterator, tunable ops, memory snapshots)"),
    # nn / autograd / data / profiler / benchmark / cuda internals (issue 12, helper B)
    ("torch.nn.attention", "*flash_attention_impl*", "CUDA FlashAttention kernel plug-ins (FA3/FA4): XLA compiles "
                                                     "attention itself"),
    ("torch.nn.functional", "has_torch_function*", "the __torch_function__ override protocol (torchlike dispatches "
                                                   "through its own op registry)"),
    ("torch.nn.functional", "handle_torch_function", "the __torch_function__ override protocol (torchlike "
                                                     "dispatches through its own op registry)"),
    ("torch.autograd.graph", "region_activation_memory_budget", "torch.compile's min-cut partitioner (XLA plans "
                                                                "rematerialisation in torchlike.compile)"),
    ("torch.autograd.graph", "set_override_stale_capture_stream", "CUDA streams and events (XLA schedules its own "
                                                                  "streams)"),
    ("torch.autograd.graph", "set_warn_on_accumulate_grad_stream_mismatch", "CUDA streams and events (XLA "
                                                                            "schedules its own streams)"),
    ("torch.autograd", "enforce_grad_layout_policy", "gradient memory layouts (XLA chooses layouts)"),
    ("torch.autograd", "NestedIOFunction", "the legacy nested-input autograd.Function (deprecated in PyTorch; "
                                           "autograd.Function covers it)"),
    ("torch.utils.data", "argument_validation", "DataPipe typing and determinism decorators (DataPipes are "
                                                "deprecated in PyTorch, moved to torchdata)"),
    ("torch.utils.data", "runtime_validation*", "DataPipe typing and determinism decorators (DataPipes are "
                                                "deprecated in PyTorch, moved to torchdata)"),
    ("torch.utils.data", "non_deterministic", "DataPipe typing and determinism decorators (DataPipes are "
                                              "deprecated in PyTorch, moved to torchdata)"),
    ("torch.utils.data", "guaranteed_datapipes_determinism", "DataPipe typing and determinism decorators "
                                                             "(DataPipes are deprecated in PyTorch, moved to "
                                                             "torchdata)"),
    ("torch.profiler", "ExecutionTraceObserver", "execution-graph traces of PyTorch's C++ dispatcher (Chakra "
                                                 "format)"),
    ("torch.utils.benchmark", "*Callgrind*", "Valgrind/Callgrind instruction counts of PyTorch's C++ kernels"),
    ("torch.utils.benchmark", "FunctionCount*", "Valgrind/Callgrind instruction counts of PyTorch's C++ kernels"),
    ("torch.cuda", "caching_allocator_*", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "CUDAPluggableAllocator", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "change_current_allocator", "CUDA caching-allocator internals (XLA's allocator owns device "
                                               "memory)"),
    ("torch.cuda", "get_allocator_backend", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "MemPool", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "use_mem_pool", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "memory_snapshot", "CUDA caching-allocator internals (XLA's allocator owns device memory)"),
    ("torch.cuda", "reset_accumulated_host_memory_stats", "CUDA caching-allocator internals (XLA's allocator owns "
                                                          "device memory)"),
    ("torch.cuda", "reset_peak_host_memory_stats", "CUDA caching-allocator internals (XLA's allocator owns device "
                                                   "memory)"),
    ("torch.cuda", "cudart", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, green contexts, "
                             "error codes): JAX drives the GPU"),
    ("torch.cuda", "cudaStatus", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, green "
                                 "contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "CudaError", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, green "
                                 "contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "DeferredCudaCallError", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, "
                                            "green contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "check_error", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, green "
                                  "contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "current_blas_handle", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, "
                                          "green contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "current_solver_handle", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, "
                                            "green contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "GreenContext", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, green "
                                   "contexts, error codes): JAX drives the GPU"),
    ("torch.cuda", "get_stream_from_external", "CUDA streams and events (XLA schedules its own streams)"),
    # torch / Tensor / linalg / distributed leftovers (issue 12, helper E)
    *[("*", name, _SPARSE) for name in ("dsmm", "hsmm", "spmm", "resize_as_sparse_")],
    ("*", "empty_quantized", "quantization (quantized dtypes and kernels)"),
    ("torch.Tensor", "chalf", "complex32 (XLA and JAX have no complex dtype narrower than complex64)"),
    ("torch.Tensor", "to_padded_tensor", "nested (jagged) tensors: torchlike tensors are strided and dense"),
    ("torch.Tensor", "index", "functorch's first-class dimensions (Tensor.index binds positions to Dim "
                              "objects; torchlike has no torch._C._functorch dims)"),
    *[("torch", name, _TORCHSCRIPT) for name in ("parse_ir", "import_ir_module*", "parse_schema",
                                                 "parse_type_comment", "merge_type_from_type_comment",
                                                 "unify_type_list")],
    *[("torch", name, "the C++ dispatcher's keys and operator tags (torchlike dispatches through its own op "
                      "registry)") for name in ("DispatchKey*", "Tag")],
    ("torch.cuda", "can_device_access_peer", "CUDA runtime and library bindings (cudart, cuBLAS/cuSOLVER handles, "
                                             "green contexts, error codes): JAX drives the GPU"),
]


def out_of_scope(ns, name):
    for where, pattern, reason in OUT_OF_SCOPE:
        if where not in ("*", ns):
            continue
        if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
            if pattern[1:-1] in name:
                return reason
        elif pattern.endswith("*"):
            if name.startswith(pattern[:-1]):
                return reason
        elif name == pattern:
            return reason
    return None


# torch._C classes that are API a program uses (the rest are TorchScript IR and C++ binding types)
_C_CLASSES_USED = {"Generator", "Stream", "Event", "Size", "dtype", "device", "layout", "memory_format", "finfo",
                   "iinfo", "Tag", "DispatchKey", "DispatchKeySet"}


def _binding_type(obj):
    """The out-of-scope reason for a TorchScript IR / C++ binding class torch re-exports, else None."""
    mod = getattr(obj, "__module__", None) or ""
    binding = mod == "torch._C" or mod.startswith("torch._C.") or type(obj).__name__ == "pybind11_type"
    if isinstance(obj, type) and binding and obj.__name__ not in _C_CLASSES_USED:
        return "TorchScript IR and C++ binding types (torch._C): torchlike has no C++ core"
    return None


def _resolve(root, path):
    """The object at dotted ``path`` ("torch.nn.functional", "torch.Tensor") under ``root`` (torch or
    torchlike), importing submodules as needed; None when absent."""
    parts = path.split(".")[1:]
    obj = root
    name = root.__name__
    for p in parts:
        name = f"{name}.{p}"
        nxt = getattr(obj, p, None)
        if nxt is None:
            try:
                nxt = importlib.import_module(name)
            except Exception:       # noqa: BLE001 - absent is what we measure
                return None
        obj = nxt
    return obj


def public_names(obj, path):
    """torch's public callables and classes in namespace ``obj`` (for Tensor, every public attribute)."""
    if isinstance(obj, type):
        return sorted(n for n in dir(obj) if not n.startswith("_"))
    declared = getattr(obj, "__all__", None)
    names = list(declared) if declared is not None else dir(obj)
    out = []
    for n in names:
        if n.startswith("_"):
            continue
        try:
            v = getattr(obj, n)
        except Exception:           # noqa: BLE001
            continue
        if inspect.ismodule(v) or not callable(v):
            continue
        if declared is None:        # dir(): only names torch defines, not its imports (typing, math, ...)
            mod = getattr(v, "__module__", None) or ""
            if not mod.startswith("torch"):
                continue
        out.append(n)
    return sorted(set(out))


def _params(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return sig.parameters


def signature_check(t_obj, l_obj):
    """"ok", "not checked", or "missing parameters: a, b" (torch's names torchlike does not take)."""
    tp, lp = _params(t_obj), _params(l_obj)
    if tp is None or lp is None:
        return "not checked"
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in lp.values()):
        return "ok"
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    lacking = [n for n, p in tp.items() if p.kind in kinds and n not in lp and n != "self"]
    if not lacking:
        return "ok"
    return "missing parameters: " + ", ".join(lacking)


def measure(ns):
    import torch
    import torchlike
    t_ns = _resolve(torch, ns)
    if t_ns is None:
        return None
    l_ns = _resolve(torchlike, ns)
    rows = []
    for name in public_names(t_ns, ns):
        l_obj = getattr(l_ns, name, None) if l_ns is not None else None
        if l_obj is None:
            reason = out_of_scope(ns, name) or _binding_type(getattr(t_ns, name, None))
            rows.append((name, False, "out of scope" if reason else "planned", reason or ""))
            continue
        try:
            t_obj = getattr(t_ns, name)
        except Exception:           # noqa: BLE001
            t_obj = None
        check = signature_check(t_obj, l_obj) if callable(t_obj) and callable(l_obj) else "not checked"
        rows.append((name, True, check, ""))
    return rows, l_ns is not None


def _md(text):
    return text.replace("|", "\\|")


def render():
    import torch
    lines = [
        "# Public API coverage against torch's own namespaces",
        "",
        f"Generated by `tools/gen_api_coverage.py` from torch {torch.__version__.split('+')[0]}. Do not edit "
        "by hand: run `python tools/gen_api_coverage.py` (a test fails when this file is stale).",
        "",
        "Per namespace: the public callables and classes torch has there (its `__all__`, else the public "
        "names of `dir()` that torch defines; for `torch.Tensor`, every public attribute), how many torchlike "
        "has at the same dotted path under `torchlike`, how many of those accept every parameter name of "
        "torch's signature (where both signatures can be introspected), and each missing name: *planned*, or "
        "*out of scope* with the reason.",
        "",
        "## Summary",
        "",
        "| namespace | present | of | percent | present or out of scope | signature differs | not checked |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    sections = []
    for ns in NAMESPACES:
        got = measure(ns)
        if got is None:
            continue
        rows, exists = got
        total = len(rows)
        present = sum(r[1] for r in rows)
        oos = sum(1 for r in rows if r[2] == "out of scope")
        differ = [r for r in rows if r[1] and r[2].startswith("missing")]
        unchecked = sum(1 for r in rows if r[1] and r[2] == "not checked")
        pct = 100.0 * present / max(total, 1)
        covered = 100.0 * (present + oos) / max(total, 1)
        lines.append(f"| `{ns}` | {present} | {total} | {pct:.1f}% | {covered:.1f}% | {len(differ)} | "
                     f"{unchecked} |")
        sec = [f"## `{ns}`", "",
               f"{present} / {total} present ({pct:.1f}%); {oos} out of scope; present or out of scope "
               f"{covered:.1f}%; {len(differ)} with a signature that lacks torch's parameters; {unchecked} "
               "not checked." + ("" if exists else f" torchlike has no `{ns}`."), ""]
        missing = [r for r in rows if not r[1]]
        if missing:
            sec += ["| missing | status | reason |", "| --- | --- | --- |"]
            sec += [f"| `{r[0]}` | {r[2]} | {_md(r[3])} |" for r in missing]
            sec.append("")
        if differ:
            sec += ["| present, signature differs | torch's parameters torchlike lacks |", "| --- | --- |"]
            sec += [f"| `{r[0]}` | {_md(r[2][len('missing parameters: '):])} |" for r in differ]
            sec.append("")
        sections.append(sec)
    lines.append("")
    for sec in sections:
        lines += sec
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/api_coverage.md is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        with open(DOC) as f:
            stale = f.read() != text
        print("docs/api_coverage.md is " + ("stale" if stale else "up to date"))
        return 1 if stale else 0
    with open(DOC, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
