"""torch.cuda names on a machine without CUDA (this CPU test machine), against PyTorch's CPU build:
deprecated aliases, memory statistics, NVML queries without nvidia-ml-py, sync debug mode."""
import pytest

from harness import same, same_message

pytestmark = pytest.mark.skipif(__import__("torchlike").cuda.is_available(), reason="compares a CPU-only machine")


def test_memory_names():
    def f(T):
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = (T.cuda.memory_cached(), T.cuda.max_memory_cached())
        return (r, [(x.category.__name__, str(x.message)) for x in w], T.cuda.memory_stats_as_nested_dict(),
                dict(T.cuda.host_memory_stats()), type(T.cuda.host_memory_stats()).__name__,
                T.cuda.host_memory_stats_as_nested_dict(), T.cuda.list_gpu_processes())
    same(f)


@pytest.mark.parametrize("name", ["temperature", "utilization", "power_draw", "clock_rate", "memory_usage",
                                  "device_memory_used"])
def test_nvml_without_package(name):
    pytest.importorskip("torch")
    try:
        import pynvml  # noqa: F401
        pytest.skip("nvidia-ml-py is installed")
    except ModuleNotFoundError:
        pass
    same_message(lambda T: getattr(T.cuda, name)())


@pytest.mark.parametrize("call", ["get_per_process_memory_fraction()", "get_sync_debug_mode()",
                                  "set_sync_debug_mode(1)", "set_sync_debug_mode('warn')"])
def test_not_compiled(call):
    same_message(lambda T: eval("T.cuda." + call))
