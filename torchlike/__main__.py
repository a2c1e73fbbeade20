"""``python -m torchlike script.py [args]``: run an unmodified ``import torch`` script on torchlike.

Every ``torch`` / ``torch.X`` import resolves to ``torchlike`` / ``torchlike.X``
(and ``functorch`` to ``torchlike.func`` where it exists).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``torch[.sub]`` to the already-importable ``torchlike[.sub]`` module."""

    PREFIXES = {"torch": "torchlike", "functorch": "torchlike.func"}

    def find_spec(self, fullname, path=None, target=None):
        head = fullname.split(".")[0]
        if head not in self.PREFIXES:
            return None
        target_name = self.PREFIXES[head] + fullname[len(head):]
        if importlib.util.find_spec(target_name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=target_name)

    def create_module(self, spec):
        module = importlib.import_module(spec.origin)
        present_as_torch()
        return module

    def exec_module(self, module):
        pass


_PRESENTED = set()


def present_as_torch():
    """Name torchlike's loaded modules and classes as PyTorch's: ``torchlike.nn.modules.linear`` is also
    ``sys.modules["torch.nn.modules.linear"]`` and the classes defined there say ``__module__ ==
    "torch.nn.modules.linear"``, so ``type(x)`` prints ``<class 'torch.Tensor'>``, ``type(p)``
    ``<class 'torch.nn.parameter.Parameter'>``, and pickle names the classes as PyTorch does.
    Modules imported later are renamed as the alias loader imports them."""
    for name in [m for m in sys.modules if (m == "torchlike" or m.startswith("torchlike.")) and m not in _PRESENTED]:
        module = sys.modules[name]
        if module is None or name == "torchlike.__main__":
            continue
        _PRESENTED.add(name)
        alias = "torch" + name[len("torchlike"):]
        sys.modules.setdefault(alias, module)
        for obj in list(vars(module).values()):
            if isinstance(obj, type) and obj.__module__ == name:
                obj.__module__ = alias


def install():
    """Make ``import torch`` give torchlike in this process (and torchlike present itself as torch)."""
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAlias())
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        del sys.modules[name]
    import torchlike  # noqa: F401  (loads the package, whose classes are then renamed)
    present_as_torch()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m torchlike script.py [args...]\n       python -m torchlike -m module [args...]")
        return 0 if argv else 2
    install()
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
