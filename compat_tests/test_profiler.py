"""The op profiler against PyTorch's: table layout and headers, op names (``aten::...``) and call counts,
``record_function`` (context manager and decorator), ``torch.profiler.profile`` with a schedule.
Times are never compared."""
import importlib
import re

import pytest
import torch

import torchlike
from harness import LIBS, data

X = data(4, 4, seed=1)


def profiler(T):
    return importlib.import_module(T.__name__ + ".profiler")


def program(T, x):
    with T.autograd.profiler.record_function("block"):
        y = x * 2
        y = y + x
        y.add_(1)
    return T.mm(x, x).sum() + y.sin().sum()


def counts(events):
    return {e.key: e.count for e in events}


def profile_both(fn, with_input=False):
    """Profile ``fn(T)`` (or ``fn(T, x)``: tensor creation is left out, torchlike does not profile it)."""
    out = []
    for T in LIBS:
        args = (T.tensor(X),) if with_input else ()
        with T.autograd.profiler.profile() as prof:
            fn(T, *args)
        out.append(prof)
    return out


def cells(line):
    return re.split(r"\s{2,}", line.strip())


def test_op_names_and_counts():
    p0, p1 = profile_both(program, True)
    c0, c1 = counts(p0.key_averages()), counts(p1.key_averages())
    for key in ("block", "aten::mul", "aten::add", "aten::add_", "aten::mm", "aten::sum", "aten::sin"):
        assert c1[key] == c0[key], key
    extra = set(c1) - set(c0)
    assert not extra, f"torchlike names events PyTorch does not: {extra}"


def test_table_layout():
    p0, p1 = profile_both(program, True)
    for kw in ({}, {"sort_by": "self_cpu_time_total", "row_limit": 4}, {"sort_by": "cpu_time_total"},
               {"sort_by": "count", "row_limit": 2}):
        t0 = p0.key_averages().table(**kw).split("\n")
        t1 = p1.key_averages().table(**kw).split("\n")
        # separator / header / separator, rows, separator, total, trailing newline
        assert cells(t1[1]) == cells(t0[1]) == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                                 "CPU time avg", "# of Calls"]
        for lines in (t0, t1):
            assert set(lines[0]) == set(lines[2]) == set(lines[-3]) == {"-", " "}
            assert lines[0].endswith("  ") and lines[1].endswith("  ")
            assert lines[-2].startswith("Self CPU time total: ") and lines[-1] == ""
            assert len(lines[1]) == len(lines[0])
            assert [len(c) for c in lines[0].split("  ")[1:-1]] == [12] * 6
        if "row_limit" in kw:
            assert len(t1) - 6 == len(t0) - 6 == kw["row_limit"]
        for row in t1[3:-3]:
            c = cells(row)
            assert len(c) == 7 and c[1].endswith("%") and re.fullmatch(r"[\d.]+(us|ms|s)", c[2]) and c[6].isdigit()


def test_table_sorted_by_count():
    def f(T, x):
        for _ in range(3):
            x = x.sin()
        x.cos()
    p0, p1 = profile_both(f, True)
    rows0 = [cells(r)[0] for r in p0.key_averages().table(sort_by="count").split("\n")[3:-3]]
    rows1 = [cells(r)[0] for r in p1.key_averages().table(sort_by="count").split("\n")[3:-3]]
    assert rows1 == rows0 == ["aten::sin", "aten::cos"]


def test_record_function_decorator_and_nesting():
    def f(T, x):
        @T.autograd.profiler.record_function("outer_fn")
        def g(x):
            with T.autograd.profiler.record_function("inner"):
                return x.exp()
        g(x)
        g(x)
    p0, p1 = profile_both(f, True)
    assert counts(p1.key_averages()) == counts(p0.key_averages())
    ev = {e.name: e for e in p1.events()}
    assert ev["aten::exp"].cpu_parent.name == "inner" and ev["inner"].cpu_parent.name == "outer_fn"
    assert all(e.self_cpu_time_total <= e.cpu_time_total for e in p1.key_averages())


def test_torch_profiler_profile_and_record_function():
    def f(T):
        P = profiler(T)
        x = T.tensor(X)
        with P.profile(activities=[P.ProfilerActivity.CPU]) as prof:
            with P.record_function("model_inference"):
                x.sin()
        return counts(prof.key_averages()), cells(prof.key_averages().table(row_limit=5).split("\n")[1])
    assert f(torchlike) == f(torch)


def test_schedule_and_on_trace_ready():
    def f(T):
        P = profiler(T)
        got = []
        sched = P.schedule(wait=1, warmup=1, active=2)
        with P.profile(activities=[P.ProfilerActivity.CPU], schedule=sched,
                       on_trace_ready=lambda p: got.append(sorted(counts(p.key_averages()).items()))) as prof:
            x = T.tensor(X)
            for i in range(6):
                (x.cos() if i == 2 else x.sin())
                prof.step()
        return got, [sched(i) .name for i in range(8)]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f(torchlike) == f(torch)


def test_profiler_off_costs_nothing():
    with torchlike.autograd.profiler.profile():
        assert torchlike._registry._extra is not None
    assert torchlike._registry._extra is None
    with torchlike.autograd.profiler.record_function("idle"):      # no profiler: a no-op
        torchlike.ones(2).sin()


def test_profiler_with_forward_ad_and_grad():
    def f(T):
        x = T.tensor(X, requires_grad=True)
        with T.autograd.profiler.profile() as prof:
            with T.autograd.forward_ad.dual_level():
                d = T.autograd.forward_ad.make_dual(x.detach(), T.ones(4, 4))
                t = T.autograd.forward_ad.unpack_dual(d.tanh()).tangent
        return counts(prof.key_averages()).get("aten::tanh"), t
    c0, t0 = f(torch)
    c1, t1 = f(torchlike)
    assert c0 == c1 == 1
    assert torch.allclose(torch.tensor(t1.numpy()), t0, atol=1e-6)


def test_record_shapes_group_by_input_shape():
    def f(T):
        x, y = T.ones(4, 4), T.ones(3)
        with T.autograd.profiler.profile(record_shapes=True) as prof:
            x * 2
            y * 2
            y * 3
            T.mm(x, x)
            y.add(y, alpha=2)
        table = prof.key_averages(group_by_input_shape=True).table()
        lines = table.split("\n")
        rows = sorted((c[0], c[6], c[7]) for c in map(cells, lines[3:-3]) if c[0] in ("aten::mul", "aten::mm", "aten::add"))
        return cells(lines[1]), rows
    assert f(torchlike) == f(torch)
