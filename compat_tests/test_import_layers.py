"""Import layers (issue 13): no new import cycle among torchlike's modules, no new import inside a function.

The analysis is tools/import_graph.py (`ast` only, nothing imported; ~2 s). Print what it sees with

    python tools/import_graph.py --edges            # module-level cycles, each import with file:line
    python tools/import_graph.py --deferred --edges # the cycles that imports inside functions hide

The numbers below are a ratchet: they record the package as it is and may only go DOWN. When a change
lowers one, lower the constant in the same change. When a change raises one, break the new cycle (see
docs/architecture.md, "Import layers: how they are checked") rather than raising the constant.
Issue 13's targets (met): no cycle larger than 3 modules, at most 40 imports inside functions.
"""
import os
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import import_graph as G  # noqa: E402

# ---- today's numbers: may only go down -----------------------------------------------------------------
# module-level imports (edges to the public root `torchlike` left out, as the issue says)
LARGEST_SCC = 3              # nn.functional <-> nn._functional_more, nn._functional_seq
MODULES_IN_CYCLES = 3
# import statements inside functions, anywhere in the package (of any package / of torchlike modules)
FUNCTION_IMPORTS = 14
INTERNAL_FUNCTION_IMPORTS = 5
# the graph with the imports inside functions added: the cycles those imports hide
DEFERRED_LARGEST_SCC = 3     # the module-level one (nn.functional and its two helpers): none hidden
DEFERRED_MODULES_IN_CYCLES = 3

# ---- issue 13's targets: both met (and held by the test below) -----------------------------------------
TARGET_LARGEST_SCC = 3
TARGET_FUNCTION_IMPORTS = 40

LIMITS = {"largest_scc": LARGEST_SCC, "modules_in_cycles": MODULES_IN_CYCLES,
          "function_imports": FUNCTION_IMPORTS, "internal_function_imports": INTERNAL_FUNCTION_IMPORTS}
DEFERRED_LIMITS = {"largest_scc": DEFERRED_LARGEST_SCC, "modules_in_cycles": DEFERRED_MODULES_IN_CYCLES}


def _explain(analysis, problems):
    lines = ["import layers got worse: " + "; ".join(problems),
             "cycles now (strongly connected components):"]
    for comp in analysis.summary["sccs"]:
        lines.append(f"  [{len(comp)}] " + ", ".join(comp))
    lines.append("see `python tools/import_graph.py --edges` (add --deferred for cycles through imports in "
                 "functions) and docs/architecture.md, 'Import layers: how they are checked'")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def analysis():
    return G.Analysis(ROOT)


@pytest.fixture(scope="module")
def deferred(analysis):
    return G.Analysis(ROOT, deferred=True, parsed=analysis.parsed)


def test_no_new_module_level_cycle_or_function_import(analysis):
    assert len(analysis.modules) > 100, "the tool found too few modules: is the package layout what it expects?"
    problems = G.check_ratchet(analysis.summary, LIMITS)
    assert not problems, _explain(analysis, problems)


def test_no_new_cycle_hidden_by_function_imports(deferred):
    problems = G.check_ratchet(deferred.summary, DEFERRED_LIMITS)
    assert not problems, _explain(deferred, problems)


def test_met_targets_stay_met():
    # a target once reached is part of the ratchet: raising its constant past the target fails here
    assert LARGEST_SCC <= TARGET_LARGEST_SCC and DEFERRED_LARGEST_SCC <= TARGET_LARGEST_SCC
    assert INTERNAL_FUNCTION_IMPORTS <= FUNCTION_IMPORTS <= TARGET_FUNCTION_IMPORTS


# ---- the check itself can fail ------------------------------------------------------------------------

def test_check_fails_on_a_synthetic_cycle(analysis):
    acyclic = {"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}
    s = G.summarise(acyclic, function_imports=5)
    assert s["largest_scc"] == 1 and s["modules_in_cycles"] == 0 and s["sccs"] == []
    limits = {"largest_scc": 1, "modules_in_cycles": 0, "function_imports": 5}
    assert G.check_ratchet(s, limits) == []

    cyclic = {k: set(v) for k, v in acyclic.items()}
    cyclic["c"].add("d")                       # c -> d -> a -> b -> c: a cycle of 4
    s = G.summarise(cyclic, function_imports=5)
    assert s["largest_scc"] == 4 and s["sccs"] == [["a", "b", "c", "d"]]
    problems = G.check_ratchet(s, limits)
    assert any("largest_scc" in p for p in problems) and any("modules_in_cycles" in p for p in problems)

    # the repository's own graph with a fake cycle added fails today's ratchet
    real = analysis
    graph = {m: set(t) for m, t in real.graph.items()}
    graph["torchlike._dtype"].add("torchlike.nn.modules.linear")   # linear imports _dtype via nn.functional etc.
    faked = G.summarise(graph, len(real.function_imports), real.summary["internal_function_imports"])
    assert faked["largest_scc"] > LARGEST_SCC
    assert G.check_ratchet(faked, LIMITS)

    more_function_imports = dict(real.summary, function_imports=FUNCTION_IMPORTS + 1)
    assert G.check_ratchet(more_function_imports, LIMITS) == [f"function_imports = {FUNCTION_IMPORTS + 1} > "
                                                              f"{FUNCTION_IMPORTS}"]


def test_parser_on_a_synthetic_package(tmp_path):
    pkg = tmp_path / "torchlike"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from . import a, b, c\nfrom .sub import d\n",
        "a.py": "from . import b\n",                             # a -> b (a submodule)
        "b.py": "from .c import thing\n",                        # b -> c (`from .mod import name`)
        "c.py": """
            import torchlike                                     # the public face: not an edge
            from . import sub                                    # c -> sub (a subpackage)
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from . import a                                  # not at run time: not an edge
            def f():
                from . import a                                  # inside a function: counted, not an edge
                import os
            class K:
                def g(self):
                    from .sub import d                           # nested in a class: still a function
            thing = 1
        """,
        "sub/__init__.py": "from .d import VALUE\n",             # sub -> sub.d
        "sub/d.py": "from torchlike import b as _b\nfrom .. import a\nVALUE = 1\n",  # sub.d -> b, a
    }
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
    a = G.Analysis(str(tmp_path))
    short = {m[len("torchlike."):]: {t[len("torchlike."):] for t in ts} for m, ts in a.graph.items()}
    assert short["a"] == {"b"} and short["b"] == {"c"} and short["c"] == {"sub"}
    assert short["sub"] == {"sub.d"} and short["sub.d"] == {"a", "b"}
    assert a.root_imports == ["torchlike.c"]
    assert a.summary["sccs"] == [["torchlike.a", "torchlike.b", "torchlike.c", "torchlike.sub", "torchlike.sub.d"]]
    assert a.summary["function_imports"] == 3 and a.summary["internal_function_imports"] == 2
    assert len(a.type_checking) == 1
    # with the imports inside functions added, c -> a and c -> sub.d join the graph
    d = G.Analysis(str(tmp_path), deferred=True)
    assert {t[len("torchlike."):] for t in d.graph["torchlike.c"]} == {"sub", "a", "sub.d"}


def test_handed_down_slots_are_bound(analysis):
    # a lower module's slot for a name of a layer above it (`x = y = None` on or under a line that names
    # `_hand_down`) must be filled once the package is imported: torchlike/__init__ binds each with _hand_down
    import ast
    import importlib
    slots = {}
    for module, (path, _) in analysis.modules.items():
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for node in ast.parse("\n".join(lines)).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is None):
                continue
            here = lines[node.lineno - 1] + (lines[node.lineno - 2] if node.lineno > 1 else "")
            if "_hand_down" in here:
                slots.setdefault(module, []).extend(t.id for t in node.targets if isinstance(t, ast.Name))
    assert len(slots) >= 9, slots
    import torchlike  # noqa: F401
    unbound = [f"{m}.{n}" for m, names in slots.items() for n in names
               if getattr(importlib.import_module(m), n) is None]
    assert not unbound, f"slots left unbound after import (add them to _hand_down in torchlike/__init__): {unbound}"
