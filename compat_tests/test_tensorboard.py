"""torch.utils.tensorboard: without the tensorboard package, importing it fails as PyTorch's does."""
import importlib
import importlib.util

import pytest

from harness import same, same_message

if importlib.util.find_spec("tensorboard") is not None:
    pytest.fail("tensorboard is installed: these tests cover its absence; add SummaryWriter tests", pytrace=False)


def _import(T):
    return importlib.import_module(T.__name__ + ".utils.tensorboard")


def test_import_without_tensorboard_raises():
    same(_import)


def test_import_without_tensorboard_message():
    same_message(_import)


def test_from_import_summarywriter_raises():
    def f(T):
        mod = T.__name__ + ".utils.tensorboard"
        exec(f"from {mod} import SummaryWriter", {})
    same(f)
    same_message(f)
