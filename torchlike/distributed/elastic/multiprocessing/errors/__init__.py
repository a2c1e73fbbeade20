"""``torch.distributed.elastic.multiprocessing.errors``: ``@record`` on a script's entry point.

PyTorch's ``record`` writes a failing rank's traceback to the file torchelastic names; the
torchlike launcher reports the failing rank from its exit code and the rank prints its own
traceback, so ``record`` calls the function unchanged."""
import functools


class ChildFailedError(Exception):
    def __init__(self, name, failures):
        super().__init__(f"{name} failed: {failures}")
        self.name, self.failures = name, failures


def record(fn=None, error_handler=None):
    if fn is None:
        return lambda f: record(f, error_handler)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper
