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
        return importlib.import_module(spec.origin)

    def exec_module(self, module):
        pass


def install():
    """Make ``import torch`` give torchlike in this process."""
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAlias())
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        del sys.modules[name]


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
