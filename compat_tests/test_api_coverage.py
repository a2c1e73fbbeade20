"""docs/api_coverage.md is what tools/gen_api_coverage.py generates from this tree and torch."""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import gen_api_coverage  # noqa: E402


def test_api_coverage_doc_is_current():
    with open(gen_api_coverage.DOC) as f:
        committed = f.read()
    assert committed == gen_api_coverage.render(), (
        "docs/api_coverage.md is stale: run `python tools/gen_api_coverage.py` to refresh it")


def test_out_of_scope_table():
    oos = gen_api_coverage.out_of_scope
    assert oos("torch", "quantize_per_tensor").startswith("quantization")
    assert oos("torch.Tensor", "to_sparse_csr").startswith("sparse layouts")
    assert oos("torch.Tensor", "refine_names").startswith("named tensors")
    assert oos("torch.cuda", "CUDAGraph").startswith("CUDA-graph")
    assert oos("torch", "CUDAGraph") is None and oos("torch", "sin") is None


def test_signature_check():
    check = gen_api_coverage.signature_check

    def torch_fn(input, dim, *, keepdim=False):
        pass

    def ours(input, dim, keepdim=False):
        pass

    def lacking(input):
        pass

    def kwargs(input, **kw):
        pass

    assert check(torch_fn, ours) == "ok"
    assert check(torch_fn, lacking) == "missing parameters: dim, keepdim"
    assert check(torch_fn, kwargs) == "ok"
    assert check(len, ours) in ("ok", "not checked")
