"""``torch.cuda`` queries answered by NVIDIA's management library (the ``nvidia-ml-py`` package, module
``pynvml``), as in PyTorch: without the package they raise its ModuleNotFoundError (``list_gpu_processes``
says so in its result)."""
from __future__ import annotations

from ._state import _index

_MISSING = "nvidia-ml-py does not seem to be installed or it can't be imported."


def _handle(device):
    try:
        import pynvml
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(_MISSING) from e
    pynvml.nvmlInit()
    return pynvml, pynvml.nvmlDeviceGetHandleByIndex(_index(device))


def memory_usage(device=None):
    """Percent of the time device memory was read or written over the last sample period."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetUtilizationRates(h).memory


def utilization(device=None):
    """Percent of the time a kernel ran on the GPU over the last sample period."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetUtilizationRates(h).gpu


def temperature(device=None):
    """GPU temperature in degrees Celsius."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetTemperature(h, 0)


def power_draw(device=None):
    """Power drawn by the GPU, in milliwatts."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetPowerUsage(h)


def clock_rate(device=None):
    """The streaming-multiprocessor clock, in MHz."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetClockInfo(h, 1)


def device_memory_used(device=None):
    """Device memory in use, in bytes, as the driver reports it (all processes)."""
    nvml, h = _handle(device)
    return nvml.nvmlDeviceGetMemoryInfo(h).used


def list_gpu_processes(device=None):
    """The processes using the GPU and their memory, one line each."""
    try:
        import pynvml
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError_DriverNotLoaded:
        return "cuda driver can't be loaded, is cuda enabled?"
    idx = _index(device)
    handle = pynvml.nvmlDeviceGetHandleByIndex(idx)
    procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
    lines = [f"GPU:{idx}"]
    if len(procs) == 0:
        lines.append("no processes are running")
    for p in procs:
        mem = p.usedGpuMemory / (1024 * 1024)
        lines.append(f"process {p.pid:>10d} uses {mem:>12.3f} MB GPU memory")
    return "\n".join(lines)
