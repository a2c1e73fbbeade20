"""Print the import graph of the torchlike package: its cycles and its imports inside functions.

    python tools/import_graph.py           # cycles (strongly connected components) and counts
    python tools/import_graph.py --edges   # also each import inside the cycles, with file:line
    python tools/import_graph.py --json    # the same numbers as JSON

Every module under torchlike/ is parsed with `ast`; nothing is imported. An edge
A -> B means that importing A runs an import of B at module level (class bodies,
`if` and `try` blocks included; `if TYPE_CHECKING:` blocks and function bodies
excluded):

* `import torchlike.x.y` is an edge to `x.y`;
* `from torchlike.x import y` / `from .x import y` is an edge to the submodule
  `x.y` when there is one, else to `x` (`y` is then a name `x` defines); so
  `from . import y` is an edge to the submodule `y`, or to the package whose
  `__init__` defines `y`;
* `importlib.import_module(".y", __name__)` with a literal name, at module
  level, is an edge to `y`.

Edges to the root package `torchlike` (its `__init__.py`) are the public face:
a module that imports `torchlike` uses the finished public namespace, so those
edges are left out of the graph (the issue counts them as the public face, not
as cycles). Importing `torchlike.x.y` also runs the `__init__` of package
`torchlike.x`; such implicit parent edges are not added either (they would put
every package in a cycle with its own submodules, which is Python's normal
package layout).

Imports inside functions (any `import`/`from` statement within a `def`, nested
or not, anywhere in the package) are counted separately: they are how a cycle is
usually hidden, so the ratchet test in compat_tests/test_import_layers.py keeps
their number from growing. Both the total and those of torchlike modules are
reported.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "torchlike"

__all__ = ["PACKAGE", "ROOT", "Analysis", "analyse", "check_ratchet", "find_modules", "parse_imports",
           "strongly_connected_components", "summarise"]


def find_modules(root=ROOT, package=PACKAGE):
    """{module name: (path, is_package)} for every .py file of the package."""
    modules = {}
    base = os.path.join(root, package)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        parts = rel.split(os.sep)
        if "__init__.py" not in filenames:
            continue  # not a regular package: its files cannot be imported as torchlike.*
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            if fn == "__init__.py":
                modules[".".join(parts)] = (os.path.join(dirpath, fn), True)
            else:
                modules[".".join(parts + [fn[:-3]])] = (os.path.join(dirpath, fn), False)
    return modules


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    """Collects (kind, lineno, node) for every import statement: kind is 'module', 'function' or 'type_checking'."""

    def __init__(self):
        self.found = []
        self._depth = 0          # function nesting
        self._type_checking = 0

    def _kind(self):
        if self._depth:
            return "function"
        return "type_checking" if self._type_checking else "module"

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:   # decorators and defaults run at definition time
            self.visit(d)
        for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(d)
        self._depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def visit_If(self, node):
        if _is_type_checking(node.test):
            self._type_checking += 1
            for stmt in node.body:
                self.visit(stmt)
            self._type_checking -= 1
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node):
        self.found.append((self._kind(), node.lineno, node))

    visit_ImportFrom = visit_Import

    def visit_Call(self, node):
        # importlib.import_module("literal"[, __name__ / __package__]) with a literal module name
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            self.found.append((self._kind(), node.lineno, node))
        self.generic_visit(node)


def _resolve_relative(module, is_package, level, name):
    """Absolute name of `from <level dots><name> import ...` written in `module`."""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[:len(parts) - (level - 1)]
    if not parts:
        return None
    return ".".join(parts + ([name] if name else []))


def _targets(node, module, is_package, modules, package):
    """The torchlike modules one import statement (or import_module call) imports; [] for other packages."""
    out = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == package or alias.name.startswith(package + "."):
                out.append(alias.name)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = _resolve_relative(module, is_package, node.level, node.module)
        else:
            base = node.module
        if base is None or not (base == package or base.startswith(package + ".")):
            return []
        for alias in node.names:
            sub = base + "." + alias.name
            # a submodule is an edge to it; any other name (`from .mod import name`, or a name the
            # package's __init__ defines) is an edge to the module it is taken from
            out.append(sub if sub in modules else base)
    elif isinstance(node, ast.Call):
        name = node.args[0].value
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            target = _resolve_relative(module, is_package, level, name.lstrip(".") or None)
        else:
            target = name
        if target and (target == package or target.startswith(package + ".")):
            out.append(target)
    # an import of a name the package does not have as a file (a typo, an attribute): keep the nearest module
    resolved = []
    for t in out:
        while t not in modules and "." in t:
            t = t.rsplit(".", 1)[0]
        if t in modules and t not in resolved:
            resolved.append(t)
    return resolved


def parse_imports(root=ROOT, package=PACKAGE):
    """Parse every module. Returns (modules, edges, function_imports, type_checking_imports).

    edges: {module: {target: [line, ...]}} for module-level imports of torchlike modules, the root included.
    function_imports: [(module, line, targets)] for each import statement inside a function; targets are the
    torchlike modules it imports ([] for other packages).
    """
    modules = find_modules(root, package)
    edges = {m: {} for m in modules}
    function_imports = []
    type_checking = []
    for module, (path, is_package) in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        collector = _Collector()
        collector.visit(tree)
        for kind, line, node in collector.found:
            targets = _targets(node, module, is_package, modules, package)
            if kind == "function":
                if not isinstance(node, ast.Call):  # count statements, as the issue does
                    function_imports.append((module, line, [t for t in targets if t != module]))
            elif kind == "type_checking":
                type_checking.append((module, line, targets))
            else:
                for t in targets:
                    if t != module:
                        edges[module].setdefault(t, []).append(line)
    return modules, edges, function_imports, type_checking


def strongly_connected_components(graph):
    """Tarjan's algorithm, iterative. graph: {node: iterable of nodes}. Returns a list of sets."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = 0
    nodes = set(graph)
    for targets in graph.values():
        nodes.update(targets)
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == node:
                        break
                result.append(comp)
    return result


def summarise(graph, function_imports=0, internal_function_imports=0):
    """The numbers the ratchet checks, from a graph {module: iterable of modules} (public root already left out)."""
    cycles = sorted((c for c in strongly_connected_components(graph) if len(c) > 1),
                    key=lambda c: (-len(c), sorted(c)))
    return {
        "largest_scc": max((len(c) for c in cycles), default=1),
        "modules_in_cycles": sum(len(c) for c in cycles),
        "function_imports": function_imports,
        "internal_function_imports": internal_function_imports,
        "sccs": [sorted(c) for c in cycles],
    }


class Analysis:
    """The package's import graph with the public root left out, and the summary numbers.

    deferred=True adds the imports inside functions to the graph: the cycles that those imports hide.
    """

    def __init__(self, root=ROOT, package=PACKAGE, deferred=False, parsed=None):
        self.package = package
        self.deferred = deferred
        self.parsed = parsed or parse_imports(root, package)   # parsed: another Analysis's, to parse once
        self.modules, self.edges, self.function_imports, self.type_checking = self.parsed
        self.lines = {m: {t: [(line, "module") for line in lines] for t, lines in targets.items()}
                      for m, targets in self.edges.items()}
        if deferred:
            for m, line, targets in self.function_imports:
                for t in targets:
                    self.lines[m].setdefault(t, []).append((line, "function"))
        self.graph = {m: {t for t in targets if t != package} for m, targets in self.lines.items()
                      if m != package}
        self.root_imports = sorted(m for m, targets in self.edges.items() if package in targets and m != package)
        self.summary = summarise(self.graph, len(self.function_imports),
                                 sum(1 for _, _, targets in self.function_imports if targets))

    def scc_edges(self, comp):
        """[(source, target, [(line, 'module' or 'function'), ...])] for the edges inside one component."""
        comp = set(comp)
        return [(m, t, self.lines[m][t]) for m in sorted(comp) for t in sorted(self.graph.get(m, ()))
                if t in comp]

    def suggest_cuts(self, comp, limit=5):
        """Greedy: up to `limit` edges of a component, each the one whose removal leaves the smallest largest
        cycle (ties: fewest modules in cycles). Returns [(source, target, largest_scc_after, in_cycles_after)]."""
        sub = {m: {t for t in self.graph.get(m, ()) if t in comp} for m in comp}
        cuts = []
        for _ in range(limit):
            before = summarise(sub)
            if before["largest_scc"] <= 1:
                break
            best = None
            for m in sorted(sub):
                for t in sorted(sub[m]):
                    sub[m].discard(t)
                    after = summarise(sub)
                    sub[m].add(t)
                    score = (after["largest_scc"], after["modules_in_cycles"])
                    if best is None or score < best[0]:
                        best = (score, m, t)
            (largest, in_cycles), m, t = best
            sub[m].discard(t)
            cuts.append((m, t, largest, in_cycles))
        return cuts

    def to_json(self):
        data = dict(self.summary)
        data["deferred"] = self.deferred
        data["modules"] = len(self.modules)
        data["edges"] = sum(len(t) for t in self.graph.values())
        data["modules_importing_root"] = self.root_imports
        data["scc_edges"] = [[{"from": a, "to": b, "lines": [line for line, _ in lines],
                               "in_function": [kind == "function" for _, kind in lines]}
                              for a, b, lines in self.scc_edges(c)] for c in self.summary["sccs"]]
        per_module = {}
        for m, _, targets in self.function_imports:
            per_module.setdefault(m, [0, 0])
            per_module[m][0] += 1
            per_module[m][1] += bool(targets)
        data["function_imports_by_module"] = {m: {"all": a, "internal": i}
                                              for m, (a, i) in sorted(per_module.items(), key=lambda kv: -kv[1][0])}
        data["type_checking_imports"] = len(self.type_checking)
        return data


def check_ratchet(summary, limits):
    """Messages for each number of `summary` above its limit in `limits` (same keys); [] when all hold."""
    problems = []
    for key, limit in limits.items():
        if summary[key] > limit:
            problems.append(f"{key} = {summary[key]} > {limit}")
    return problems


def _short(name, package=PACKAGE):
    return name[len(package) + 1:] if name.startswith(package + ".") else name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the analysis as JSON")
    parser.add_argument("--edges", action="store_true", help="list the imports inside each cycle, with file:line")
    parser.add_argument("--deferred", action="store_true",
                        help="add the imports inside functions to the graph (the cycles they hide)")
    parser.add_argument("--suggest", action="store_true",
                        help="for the largest cycle, the few imports whose removal shrinks it most (greedy)")
    parser.add_argument("--root", default=ROOT, help="directory holding the package (default: this checkout)")
    args = parser.parse_args(argv)
    a = Analysis(args.root, deferred=args.deferred)
    if args.json:
        json.dump(a.to_json(), sys.stdout, indent=1)
        print()
        return 0
    s = a.summary
    what = "imports (module level and inside functions)" if args.deferred else "module-level imports"
    print(f"{len(a.modules)} modules, {sum(len(t) for t in a.graph.values())} {what} of torchlike modules "
          f"({len(a.root_imports)} modules also import the public root `torchlike`, left out)")
    print(f"cycles: {len(s['sccs'])} strongly connected components, largest {s['largest_scc']}, "
          f"{s['modules_in_cycles']} modules in cycles")
    for comp in s["sccs"]:
        print(f"\n  [{len(comp)}] " + ", ".join(_short(m) for m in comp))
        if args.edges:
            for src, dst, lines in a.scc_edges(comp):
                path = os.path.relpath(a.modules[src][0], args.root)
                where = ",".join(f"{line}{'(in function)' if kind == 'function' else ''}" for line, kind in lines)
                print(f"      {_short(src)} -> {_short(dst)}   ({path}:{where})")
    if args.suggest and s["sccs"]:
        print(f"\nimports to move or invert to break the largest cycle (greedy):")
        for src, dst, largest, in_cycles in a.suggest_cuts(set(s["sccs"][0])):
            lines = ",".join(str(line) for line, _ in a.lines[src][dst])
            print(f"  {_short(src)} -> {_short(dst)} (line {lines}): largest cycle left {largest}, "
                  f"{in_cycles} modules in cycles")
    print(f"\nimports inside functions: {s['function_imports']} "
          f"({s['internal_function_imports']} of torchlike modules)")
    by_module = a.to_json()["function_imports_by_module"]
    top = list(by_module.items())[:10]
    if top:
        print("  most in: " + ", ".join(f"{_short(m)} {c['all']}" for m, c in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
