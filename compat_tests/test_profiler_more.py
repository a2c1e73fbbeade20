"""torch.profiler.tensorboard_trace_handler / kineto_available against PyTorch (file names and layout;
the trace contents are each library's own events)."""
import gzip
import json
import os
import re

from harness import same


def _run(T, handler, steps=3):
    sched = T.profiler.schedule(wait=0, warmup=1, active=1, repeat=1)
    with T.profiler.profile(schedule=sched, on_trace_ready=handler) as p:
        for _ in range(steps):
            T.ones(2).sin()
            p.step()


def test_tensorboard_trace_handler(tmp_path):
    def f(T):
        d = tmp_path / T.__name__
        h = T.profiler.tensorboard_trace_handler(str(d / "logs"))
        created_early = os.path.exists(d / "logs")
        _run(T, h)
        names = os.listdir(d / "logs")
        with open(d / "logs" / names[0]) as fh:
            trace = json.load(fh)
        h2 = T.profiler.tensorboard_trace_handler(str(d / "gz"), worker_name="w0", use_gzip=True)
        _run(T, h2)
        gz = os.listdir(d / "gz")
        with gzip.open(d / "gz" / gz[0]) as fh:
            gz_trace = json.load(fh)
        host_pid = re.fullmatch(r"(.+)_(\d+)\.\d+\.pt\.trace\.json", names[0])
        return (created_early, len(names), bool(host_pid), host_pid.group(2) == str(os.getpid()),
                "traceEvents" in trace, [re.sub(r"\.\d+\.", ".N.", n) for n in gz], "traceEvents" in gz_trace,
                T.profiler.kineto_available())
    same(f)
