"""torch.utils.benchmark's Compare (tables of fixed Measurements: exact text, with trimming, colours
and warnings), select_unit/trim_sigfig/significant_figures, and the fuzzing helpers (Fuzzer,
FuzzedParameter, FuzzedTensor, FuzzedSparseTensor, ParameterAlias): structure, dtypes, shapes and
errors against PyTorch (random values differ by design; torchlike's are reproducible per seed)."""
import random

import numpy as np
import pytest

from harness import Raised, same, same_message, same_output


def _bm(T):
    from importlib import import_module
    return import_module(T.__name__ + ".utils.benchmark")


def _m(T, times, label="L", sub_label=None, description="d", env=None, num_threads=1, stmt="f()", number=1):
    bm = _bm(T)
    spec = bm.TaskSpec(stmt=stmt, setup="pass", label=label, sub_label=sub_label, description=description, env=env,
                       num_threads=num_threads)
    return bm.Measurement(number, times if isinstance(times, list) else [times], spec)


def _spread(base, n):
    return [base * (1 + 0.5 * i / max(n - 1, 1)) for i in range(n)]


TABLES = {
    "basic": lambda T: [_m(T, 1.2345e-6, sub_label="a", description="x"), _m(T, 2.5e-6, sub_label="a", description="y"),
                        _m(T, 12.5e-6, sub_label="b", description="x"),
                        _m(T, [1.5e-6, 3e-6, 1e-6, 2e-6], sub_label="b", description="y")],
    "ratios": lambda T: [_m(T, 1e-3 * r, sub_label="a", description=str(r))
                         for r in (1.0, 1.005, 1.02, 1.1, 1.2, 2.0, 4.1, 5.0, 6.0)],
    "nanoseconds": lambda T: [_m(T, 1e-7 * r, sub_label="a", description=str(r)) for r in (1.0, 1.9, 2.1, 6.0)],
    "wide_values": lambda T: [_m(T, 10e-6, sub_label="a"), _m(T, 10e-3, sub_label="b"), _m(T, 99.99e-6, sub_label="c")],
    "warnings": lambda T: [_m(T, [1e-3, 1e-3, 1.05e-3, 1.2e-3], sub_label="a", description="x"),
                           _m(T, 1e-3, sub_label="b", description="x"),
                           _m(T, [1e-3, 1e-3, 3e-3, 9e-3], sub_label="a", description="yy"),
                           _m(T, 2e-3, sub_label="b", description="yy"),
                           _m(T, [1e-3, 1.01e-3, 1.5e-3, 1.6e-3], sub_label="c", description="x"),
                           _m(T, 20e-3, sub_label="c", description="yy")],
    "labels_threads": lambda T: [_m(T, 1e-6, label="B", sub_label="long_row_name", description="d1", num_threads=4),
                                 _m(T, 2e-6, label="A", sub_label="r", description="d1"),
                                 _m(T, 3e-6, label="B", sub_label="r2", description="d2"),
                                 _m(T, 4e-6, label="B", sub_label="r2", description="d1"),
                                 _m(T, 5e-6, label=None, stmt="g(x)", description="d1"),
                                 _m(T, 7e-3, label="B", sub_label="r", description="d1", num_threads=2)],
    "envs": lambda T: [_m(T, 1e-6, sub_label="r", description="d1", env="envA"),
                       _m(T, 2e-6, sub_label="r", description="d1", env="eB"),
                       _m(T, 3e-6, sub_label="r", description="d2", env="envA"),
                       _m(T, 4e-6, sub_label="s", env="envA", description="d1"),
                       _m(T, 8e-6, sub_label="r", description="d1", env="eB", num_threads=2)],
    "merged_and_hidden": lambda T: [_m(T, 1e-6, sub_label="r"), _m(T, 2e-6, sub_label="r"),
                                    _m(T, _spread(3e-7, 3), sub_label="q", stmt="a()"),
                                    _m(T, 5e-6, sub_label="q", stmt="b()")],
    "first_seen_order": lambda T: [_m(T, 1e-6, sub_label="z", description="d2", num_threads=2),
                                   _m(T, 1e-6, sub_label="a", description="d1"), _m(T, 1e-6, sub_label="m", description="d1"),
                                   _m(T, 2e-6, sub_label="a", description="d3", num_threads=2)],
    "seconds": lambda T: [_m(T, 5e-10, sub_label="a"), _m(T, 3.0, sub_label="b"), _m(T, 8e-6, sub_label="c")],
    "big_trimmed": lambda T: [_m(T, 2.2010003, sub_label="a"), _m(T, 1e-9, sub_label="b")],
    "empty": lambda T: [],
    "env_none_and_str": lambda T: [_m(T, 1e-6, sub_label="z", env="E1"), _m(T, 1e-6, sub_label="a")],
    "description_none": lambda T: [_m(T, 1e-6, description=None)],
}
STYLES = ["plain", "trim", "colorize", "rowwise", "warnings", "all"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("table", sorted(TABLES))
def test_compare_text(table, style):
    def f(T):
        c = _bm(T).Compare(TABLES[table](T))
        returned = []
        if style in ("trim", "all"):
            returned.append(c.trim_significant_figures())
        if style in ("colorize", "all"):
            returned.append(c.colorize())
        if style == "rowwise":
            returned.append(c.colorize(rowwise=True))
        if style in ("warnings", "all"):
            returned.append(c.highlight_warnings())
        print(returned)
        print(str(c))
        c.print()
    same_output(f)


def _random_measurements(T, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(rng.randint(1, 8)):
        base = 10 ** rng.uniform(-9.5, 0.5)
        n = rng.choice([1, 2, 3, 4, 8])
        spread = rng.choice([0, 0.01, 0.1, 0.5, 2])
        times = [base * (1 + spread * rng.random()) for _ in range(n)]
        out.append(_m(T, times, label=rng.choice(["L", "Lab", None]), sub_label=rng.choice([None, "a", "row"]),
                      description=rng.choice(["d1", "desc", "x"]), env=rng.choice([None, "E1"]) if seed % 3 == 0 else None,
                      num_threads=rng.choice([1, 2, 4]), stmt=rng.choice(["f()", "g(x)"])))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_compare_random_tables(seed):
    def f(T):
        c = _bm(T).Compare(_random_measurements(T, seed))
        print(c)
        c.trim_significant_figures()
        c.colorize(rowwise=seed % 2 == 0)
        c.highlight_warnings()
        print(c)
    same_output(f)


def test_compare_extend_results():
    def f(T):
        c = _bm(T).Compare([_m(T, 1e-6, description="q")])
        c.extend_results([_m(T, 2e-6, description="z")])
        print(c)
    same_output(f)


@pytest.mark.parametrize("case", ["not_measurement", "none", "single", "extend_bad", "extend_single"])
def test_compare_errors(case):
    def f(T):
        bm = _bm(T)
        return {"not_measurement": lambda: bm.Compare([1]), "none": lambda: bm.Compare(None),
                "single": lambda: bm.Compare(_m(T, 1e-6)),
                "extend_bad": lambda: bm.Compare([]).extend_results([_m(T, 1e-6), 2]),
                "extend_single": lambda: bm.Compare([]).extend_results(_m(T, 1e-6))}[case]()
    same(f)
    same_message(f)


def test_compare_with_timer_measurements():
    """Real timings differ run to run: compare the table's structure (labels, rows, columns, unit line)."""
    def f(T):
        bm = _bm(T)
        results = [bm.Timer(stmt=stmt, globals={"x": T.ones(4)}, label="ops", sub_label=sub, description=desc,
                            num_threads=n).timeit(20)
                   for stmt, sub, desc in (("x + 1", "add", "small"), ("x * 2", "mul", "small"), ("x + 1", "add", "big"))
                   for n in (1, 2)]
        lines = str(bm.Compare(results)).splitlines()
        return [lines[0].strip("[-] "), [h.strip() for h in lines[1].split("|")[1:]], [ln.split("|")[0].strip().rstrip("-") for ln in lines[2:-2]],
                lines[-2], lines[-1].startswith("Times are in ")]
    same(f)


UNITS = [5e-10, 1e-9, 9.99e-10, 3e-6, 999.9e-9, 1e-6, 1e-3, 1.0, 100.0, 0.99999999e-6, 0.0, -1.0, float("nan")]


def test_select_unit():
    same(lambda T: [_bm(T).select_unit(t) for t in UNITS[:-3]])
    for t in UNITS[-3:]:
        same_message(lambda T, t=t: _bm(T).select_unit(t))


def test_trim_sigfig_and_significant_figures():
    rng = random.Random(0)
    cases = [(10 ** rng.uniform(-10, 10) * rng.choice([1, -1]), rng.randint(1, 4)) for _ in range(300)]
    cases += [(2201000000.3, 4), (12.5, 2), (2.5, 1), (99.99, 2), (1e-12, 3)]
    same(lambda T: [_bm(T).trim_sigfig(x, n) for x, n in cases])
    same_message(lambda T: _bm(T).trim_sigfig(0, 2))
    times = [[5e-6], [1e-6], [2.5e-7], [1e-3], _spread(1e-6, 4), [1e-6] * 10, [1e-9], _spread(3e-3, 9)]
    same(lambda T: [_m(T, t).significant_figures for t in times])


# ---- fuzzing ----------------------------------------------------------------------------------------

def _describe(item):
    tensors, props, params = item
    return ({k: (tuple(v.shape), str(v.dtype), tuple(v.stride()), v.is_contiguous()) for k, v in tensors.items()},
            {k: {**p, "order": sorted(p["order"].tolist())} for k, p in props.items()}, sorted(params))


def test_fuzzer_take_structure():
    def f(T):
        bm = _bm(T)
        fz = bm.Fuzzer(parameters=[bm.FuzzedParameter("k0", 16, 1024, "loguniform"),
                                   [bm.FuzzedParameter("k1", 16, 1024, "loguniform")],
                                   bm.FuzzedParameter("n", 1, 4, "uniform")],
                       tensors=[bm.FuzzedTensor("x", size=("k0", "k1"), probability_contiguous=1.0, min_elements=1024,
                                                max_elements=64 * 1024),
                                [bm.FuzzedTensor("y", ("n", 3), dtype=T.int32, probability_contiguous=1.0)],
                                bm.FuzzedTensor("z", (2, "n"), dtype=T.float64, probability_contiguous=1.0)], seed=0)
        gen = fz.take(4)
        items = list(gen)
        out = [type(gen).__name__, len(items), fz.rejection_rate >= 0]
        for tensors, props, params in items:
            x, y, z = tensors["x"], tensors["y"], tensors["z"]
            out.append([type(tensors).__name__, sorted(tensors), sorted(props), sorted(params),
                        tuple(x.shape) == (params["k0"], params["k1"]), 1024 <= x.numel() <= 64 * 1024,
                        16 <= params["k0"] <= 1024, 1 <= params["n"] <= 4, type(params["n"]).__name__,
                        tuple(y.shape) == (params["n"], 3), tuple(z.shape) == (2, params["n"]),
                        str(x.dtype), str(y.dtype), str(z.dtype), x.is_contiguous(), z.is_contiguous(),
                        sorted(props["x"]), props["x"]["numel"] == x.numel(), props["x"]["order"].tolist(),
                        props["y"]["steps"], props["z"]["dtype"], props["x"]["is_contiguous"],
                        type(props["x"]["order"]).__name__, bool(((x >= 0) & (x < 1)).all()),
                        bool(((y >= 1) & (y < 128)).all())])
        return out
    same(f)


def test_fuzzer_steps_and_order():
    def f(T):
        bm = _bm(T)
        fz = bm.Fuzzer([bm.FuzzedParameter("a", 2, 10, "uniform")],
                       [bm.FuzzedTensor("t", ("a", 3), steps=(1, 2), probability_contiguous=0.0)], seed=0)
        out = []
        for tensors, props, params in fz.take(5):
            t, p = tensors["t"], props["t"]
            order = p["order"].tolist()
            physical = [(params["a"], 6)[i] for i in order]
            expected = [0, 0]
            for i, d in enumerate(order):        # contiguous strides of the physical layout
                expected[d] = int(np.prod(physical[i + 1:]))
            out.append([tuple(t.shape) == (params["a"], 3), sorted(order), p["steps"], p["is_contiguous"],
                        tuple(t.stride()) == (expected[0], expected[1] * 2)])
        return out
    same(f)


def test_fuzzer_dim_parameter_and_constructor():
    def f(T):
        bm = _bm(T)
        fz = bm.Fuzzer([bm.FuzzedParameter("a", 2, 4, "uniform"), bm.FuzzedParameter("d", 1, 3, "uniform")],
                       [bm.FuzzedTensor("t", ("a", "a", 5), dim_parameter="d", probability_contiguous=1.0),
                        bm.FuzzedTensor("c", ("a",), tensor_constructor=lambda size, dtype, **kw: T.full(
                            size, float(kw["a"]), dtype=dtype), probability_contiguous=1.0)], seed=3)
        out = []
        for tensors, _, params in fz.take(6):
            out.append([tensors["t"].dim() == params["d"], tuple(tensors["t"].shape) == (params["a"], params["a"], 5)[
                :params["d"]], tensors["c"].tolist() == [float(params["a"])] * params["a"]])
        return out
    same(f)


def test_fuzzer_constraints_and_rejection():
    def f(T):
        bm = _bm(T)
        fz = bm.Fuzzer([bm.FuzzedParameter("a", 1, 10, "uniform")], [], constraints=[lambda p: p["a"] > 8], seed=0)
        items = list(fz.take(5))
        fresh = bm.Fuzzer([bm.FuzzedParameter("a", 1, 10, "uniform")], [], seed=0)
        return [[(t, p, sorted(q)) for t, p, q in items], all(q["a"] in (9, 10) for _, _, q in items),
                0 < fz.rejection_rate < 1, fresh.rejection_rate, list(fresh.take(0)), list(fresh.take(-1)),
                list(bm.Fuzzer([], [], seed=0).take(2))]
    same(f)


def test_fuzzer_same_seed_same_sequence():
    import torchlike
    bm = torchlike.utils.benchmark

    def draw(seed):
        fz = bm.Fuzzer([bm.FuzzedParameter("a", 1, 50, "loguniform"), bm.FuzzedParameter("b", 0.0, 1.0, "uniform")],
                       [bm.FuzzedTensor("t", ("a", 2))], seed=seed)
        return [(p, props["t"]["order"].tolist(), tensors["t"].tolist()) for tensors, props, p in fz.take(5)]
    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_fuzzed_parameter_samples():
    def f(T):
        bm = _bm(T)
        out = []
        for args in [(1, 3, "uniform"), (1.0, 3, "uniform"), (1, 1000, "loguniform"), (1.0, 1000.0, "loguniform"),
                     (1, 1000, "loguniform", True)]:
            p = bm.FuzzedParameter("p", *args)
            values = [p.sample(np.random.RandomState(s)) for s in range(20)]
            out.append([p.name, sorted({type(v).__name__ for v in values}), all(args[0] <= v <= args[1] for v in values)])
        out.append([repr(bm.ParameterAlias("k0")), bm.ParameterAlias("k0").alias_to])
        return out
    same(f)


FUZZ_ERRORS = {
    "unknown_distribution": lambda bm, T: bm.FuzzedParameter("a", 1, 10, "normal"),
    "no_distribution": lambda bm, T: bm.FuzzedParameter("a", 1, 10),
    "list_distribution": lambda bm, T: bm.FuzzedParameter("a", distribution=[0.5]),
    "negative_probability": lambda bm, T: bm.FuzzedParameter("a", distribution={1: 1.5, 2: -0.5}),
    "normalized_distribution": lambda bm, T: bm.FuzzedParameter("a", distribution={1: 1.0}),
    "unnormalized_sample": lambda bm, T: bm.FuzzedParameter("a", distribution={1: 0.3, 2: 0.3}).sample(
        np.random.RandomState(0)),
    "empty_distribution": lambda bm, T: bm.FuzzedParameter("a", distribution={}).sample(np.random.RandomState(0)),
    "low_above_high": lambda bm, T: bm.FuzzedParameter("a", 10, 1, "uniform").sample(np.random.RandomState(0)),
    "alias_as_bound": lambda bm, T: list(bm.Fuzzer([bm.FuzzedParameter("n", 1, 4, "uniform"),
                                                    bm.FuzzedParameter("m", bm.ParameterAlias("n"), 8, "uniform")],
                                                   [], seed=1).take(1)),
    "duplicate_names": lambda bm, T: bm.Fuzzer([bm.FuzzedParameter("a", 1, 3, "uniform")],
                                               [bm.FuzzedTensor("a", (2,))], seed=0),
    "bad_parameter": lambda bm, T: bm.Fuzzer([3], [], seed=0),
    "bad_tensor": lambda bm, T: bm.Fuzzer([], [3], seed=0),
    "parameters_not_list": lambda bm, T: bm.Fuzzer(bm.FuzzedParameter("a", 1, 3, "uniform"), [], seed=0),
    "unknown_size_name": lambda bm, T: list(bm.Fuzzer([bm.FuzzedParameter("a", 1, 10, "uniform")],
                                                      [bm.FuzzedTensor("t", ("zz",))], seed=0).take(1)),
    "impossible_constraint": lambda bm, T: list(bm.Fuzzer([bm.FuzzedParameter("a", 2, 4, "uniform")],
                                                          [bm.FuzzedTensor("t", ("a",), max_allocation_bytes=1)],
                                                          seed=0).take(1)),
    "bool_tensor": lambda bm, T: list(bm.Fuzzer([], [bm.FuzzedTensor("b", (4,), dtype=T.bool)], seed=0).take(1)),
    "cuda_tensor": lambda bm, T: list(bm.Fuzzer([bm.FuzzedParameter("a", 1, 10, "uniform")],
                                                [bm.FuzzedTensor("t", ("a",), cuda=True)], seed=0).take(1)),
}


@pytest.mark.parametrize("case", sorted(FUZZ_ERRORS))
def test_fuzzer_errors(case):
    def f(T):
        return FUZZ_ERRORS[case](_bm(T), T)
    expected, _ = same(f)
    assert isinstance(expected, Raised)
    same_message(f)


def test_fuzzed_sparse_tensor_constructs():
    def f(T):
        bm = _bm(T)
        s = bm.FuzzedSparseTensor("s", ("a", 4), nnz="a", density="dens", coalesced="co", sparse_dim="sd")
        fz = bm.Fuzzer([bm.FuzzedParameter("a", 1, 10, "uniform")], [s], seed=0)
        return [s.name, isinstance(s, bm.FuzzedTensor), type(fz).__name__, type(fz.take(1)).__name__]
    same(f)
