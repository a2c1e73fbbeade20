"""The Tensor stub (torchlike/_tensor.pyi) and the one place names are published (issue 13).

Most Tensor methods are set on the class at import (``_names.publish`` then ``_names.install``), so static
tools read them from the generated stub.  When a test here fails because the stub is out of date, run

    python tools/gen_pyi.py

and commit the new torchlike/_tensor.pyi.
"""
import ast
import importlib.util
import json
import os
import subprocess
import sys

import pytest

import torchlike
from torchlike import _names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import gen_pyi  # noqa: E402


@pytest.fixture(scope="module")
def stub_text():
    with open(gen_pyi.STUB, encoding="utf-8") as f:
        return f.read()


# a fresh interpreter: what an import of torchlike gives, whatever earlier tests did to Tensor in this one
_RUNTIME = """
import json, sys
sys.path.insert(0, {tools!r})
import gen_pyi, torchlike
from torchlike import _names
plain = set(vars(type("Plain", (), {{}})))
print(json.dumps({{"stub": gen_pyi.render(), "return_types": gen_pyi.render_return_types(),
                  "Tensor": sorted(set(vars(torchlike.Tensor)) - plain - {{"__slots__"}}),
                  "Size": sorted(set(vars(torchlike.Size)) - plain - {{"__slots__"}}),
                  "methods": sorted(_names.METHODS)}}))
"""


@pytest.fixture(scope="module")
def runtime():
    r = subprocess.run([sys.executable, "-c", _RUNTIME.format(tools=os.path.join(ROOT, "tools"))], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.splitlines()[-1])


def test_stub_is_current(stub_text, runtime):
    assert stub_text == runtime["stub"], "torchlike/_tensor.pyi is out of date: run python tools/gen_pyi.py"
    with open(gen_pyi.RETURN_TYPES_STUB, encoding="utf-8") as f:
        assert f.read() == runtime["return_types"], \
            "torchlike/return_types.pyi is out of date: run python tools/gen_pyi.py"


def test_check_fails_on_a_stale_stub(tmp_path, monkeypatch, capsys):
    """``gen_pyi.py --check`` (what the test above does in a fresh interpreter) exits 1 when a stub differs from
    what the runtime gives, a return annotation included, and 0 when both are current."""
    stub, rt = tmp_path / "_tensor.pyi", tmp_path / "return_types.pyi"
    monkeypatch.setattr(gen_pyi, "STUB", str(stub))
    monkeypatch.setattr(gen_pyi, "RETURN_TYPES_STUB", str(rt))
    fresh = gen_pyi.render()
    stub.write_text(fresh, encoding="utf-8")
    rt.write_text(gen_pyi.render_return_types(), encoding="utf-8")
    assert gen_pyi.main(["--check"]) == 0
    line = "    def sin(self) -> Tensor: ..."
    assert line in fresh
    stub.write_text(fresh.replace(line, "    def sin(self): ..."), encoding="utf-8")
    assert gen_pyi.main(["--check"]) == 1
    assert "_tensor.pyi is out of date" in capsys.readouterr().out


def _annotations(tree, cls_name):
    """``{method or property: its return annotation as source, or None}`` of a class of the stub (property
    setters and deleters left out)."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            out = {}
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and not any(isinstance(d, ast.Attribute) for d in f.decorator_list):
                    out[f.name] = ast.unparse(f.returns) if f.returns else None
            return out
    raise AssertionError(f"no class {cls_name} in the stub")


def test_stub_return_types(stub_text):
    returns = _annotations(ast.parse(stub_text), "Tensor")
    # from the op declarations: one tensor, its in-place form, a named tuple, a tuple of tensors
    assert returns["sin"] == returns["add"] == returns["add_"] == returns["__iadd__"] == "Tensor"
    assert returns["topk"] == "return_types.topk" and returns["cummax"] == "return_types.cummax"
    assert returns["unbind"] == returns["split_with_sizes"] == "tuple[Tensor, ...]"
    # the methods written by hand
    assert returns["max"] == "Tensor | return_types.max"
    assert returns["split"] == returns["chunk"] == "tuple[Tensor, ...]"
    assert returns["item"] == "int | float | bool | complex"
    assert returns["backward"] == "None"
    assert returns["dim"] == returns["numel"] == "int"
    assert returns["is_contiguous"] == returns["is_floating_point"] == "bool"
    assert returns["size"] == "Size | int" and returns["shape"] == "Size"
    assert returns["clone"] == returns["to"] == returns["contiguous"] == "Tensor"
    # every public method says what it returns
    assert [n for n, r in returns.items() if r is None and not n.startswith("_")] == []


def test_named_tuples_stub_matches_the_registry(runtime):
    """torchlike/return_types.pyi: one NamedTuple of tensors per torch.return_types class, its fields in order;
    every return_types.<name> the Tensor stub names is one of them."""
    from torchlike._registry import RETURN_TYPES
    tree = ast.parse(runtime["return_types"])
    classes = {node.name: [item.target.id for item in node.body if isinstance(item, ast.AnnAssign)]
               for node in tree.body if isinstance(node, ast.ClassDef)}
    for name in ("max", "min", "sort", "topk", "svd", "histogram", "median"):
        assert classes[name] == list(RETURN_TYPES[name]._fields)
    named = set()
    for annotation in _annotations(ast.parse(runtime["stub"]), "Tensor").values():
        for part in (annotation or "").split(" | "):
            if part.startswith("return_types."):
                named.add(part[len("return_types."):])
    assert named and named <= set(classes)


def _stub_members(tree, cls_name):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            names = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            return names
    raise AssertionError(f"no class {cls_name} in the stub")


def test_stub_parses_and_lists_every_runtime_attribute(stub_text, runtime):
    tree = ast.parse(stub_text, filename="_tensor.pyi")
    compile(tree, "_tensor.pyi", "exec")
    for cls in ("Tensor", "Size"):
        listed = _stub_members(tree, cls)
        # independent of the generator: every attribute the class holds that a plain class would not
        runtime_names = set(runtime[cls])
        assert runtime_names - listed == set(), f"{cls} attributes missing from the stub"
        assert listed - runtime_names == set(), f"{cls} stub lists attributes the class lacks"
    # the published methods (most of Tensor's API) are in it
    assert set(runtime["methods"]) <= _stub_members(tree, "Tensor")


def test_stub_does_not_change_runtime():
    """Python never imports a .pyi: the module and its class come from _tensor.py."""
    spec = importlib.util.find_spec("torchlike._tensor")
    assert spec.origin.endswith(os.path.join("torchlike", "_tensor.py"))
    assert sys.modules["torchlike._tensor"].__file__.endswith("_tensor.py")
    assert torchlike.Tensor is sys.modules["torchlike._tensor"].Tensor
    assert callable(torchlike.Tensor.add) and torchlike.ones(2).add(1).tolist() == [2.0, 2.0]


# ---- one place publishes a name: a second declaration raises ---------------------------------------------

def test_publishing_a_name_twice_raises():
    name = "__test_stub_name__"
    fn = lambda x: x  # noqa: E731
    try:
        _names.publish(name, fn, method=True)
        with pytest.raises(_names.DuplicateName, match="published twice"):
            _names.publish(name, lambda x: x)
        with pytest.raises(_names.DuplicateName, match="published twice"):
            _names.publish(name, method=lambda x: x)
        with pytest.raises(_names.DuplicateName):
            _names.FUNCTIONS[name] = fn            # a stray direct write is caught too
        with pytest.raises(TypeError):
            _names.METHODS.setdefault(name, fn)    # the silent form is gone
        other = lambda x: x  # noqa: E731
        _names.publish(name, other, replace=True)  # a deliberate override
        assert _names.FUNCTIONS[name] is other
    finally:
        dict.pop(_names.FUNCTIONS, name, None)
        dict.pop(_names.METHODS, name, None)


def test_a_second_op_declaration_raises():
    from torchlike._registry import defop
    with pytest.raises(_names.DuplicateName, match="declared twice"):
        defop("sin(Tensor self)", lambda x: x)


def test_install_refuses_a_name_the_class_defines():
    class Cls:
        def taken(self):
            return 1
    table = _names._Table("Tensor.")
    table["free"] = lambda self: 3
    table["taken"] = lambda self: 2
    with pytest.raises(_names.DuplicateName, match="defined in the Tensor class"):
        _names.install_methods(table, Cls, {})
    assert Cls().free() == 3 and Cls().taken() == 1


def test_every_published_name_is_in_place():
    ns = vars(torchlike)
    for name, fn in _names.FUNCTIONS.items():
        assert ns[name] is fn, f"torch.{name} is not the published one"
    for name, fn in _names.METHODS.items():
        assert vars(torchlike.Tensor)[name] is fn, f"Tensor.{name} is not the published one"


def test_package_is_marked_typed():
    # PEP 561: the py.typed marker ships with the package (package-data), so type checkers read its stub and code
    assert os.path.isfile(os.path.join(ROOT, "torchlike", "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    data = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"py.typed"' in data and '"*.pyi"' in data
