"""Accelerator check: device placement, float32 matmul precision, a compiled step, and a few
speed ratios against PyTorch on the same GPU.  Usage: python benchmarks/gpu_check.py"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import torchlike as tl  # noqa: E402


def bench(fn, sync, n=50):
    fn(), fn()
    sync()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t) / n)
    return best * 1e6


def main():
    print("jax", jax.__version__, jax.devices(), "| torch", torch.__version__, torch.cuda.is_available())
    print("torchlike cuda available:", tl.cuda.is_available(), "| default device:", tl.get_default_device())
    x = tl.ones(2, 3, device="cuda")
    print(repr(x))
    print("placed on:", x.device, "| jax device:", list(x.jax().devices()))
    y = x.cpu()
    print("to cpu:", y.device, "| back:", y.to("cuda").device, "| mixed-device error:", end=" ")
    try:
        tl.ones(2, device="cpu") + tl.ones(2, device="cuda")
        print("none raised")
    except RuntimeError as e:
        print("RuntimeError:", str(e)[:90])

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((512, 512), np.float32), rng.standard_normal((512, 512), np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    for prec in ("highest", "high"):
        tl.set_float32_matmul_precision(prec)
        got = (tl.tensor(a, device="cuda") @ tl.tensor(b, device="cuda")).cpu().numpy()
        print(f"matmul 512 precision={prec}: max rel err {np.abs(got - ref).max() / np.abs(ref).max():.2e}")
    tl.set_float32_matmul_precision("highest")

    # compiled training step on the GPU against torch eager on the GPU
    def setup(T, dev):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(1000, 100), T.nn.ReLU(), T.nn.Linear(100, 10)).to(dev)
        opt = T.optim.SGD(model.parameters(), lr=1e-4)
        xb = T.tensor(rng.standard_normal((16, 1000), np.float32), device=dev)
        yb = T.tensor(rng.standard_normal((16, 10), np.float32), device=dev)

        def step():
            opt.zero_grad()
            loss = ((model(xb) - yb) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return step
    ts, ls = setup(torch, "cuda"), setup(tl, "cuda")
    lc = tl.compile(setup(tl, "cuda"))
    tsync = torch.cuda.synchronize
    lsync = lambda: jax.block_until_ready(jax.numpy.zeros(()))  # noqa: E731
    t_t = bench(ts, tsync)
    t_l = bench(lambda: ls().detach().reshape(-1)[0].item(), lsync)
    t_c = bench(lambda: lc().detach().reshape(-1)[0].item(), lsync)
    print(f"MLP step 1000-100-10 (us): torch cuda eager {t_t:.1f}, torchlike eager {t_l:.1f} "
          f"({t_l / t_t:.2f}x), torchlike.compile {t_c:.1f} ({t_c / t_t:.2f}x)")

    def conv_setup(T):
        T.manual_seed(0)
        conv = T.nn.Conv2d(3, 16, 3, padding=1).to("cuda")
        xc = T.tensor(rng.standard_normal((32, 3, 32, 32), np.float32), device="cuda")

        def step():
            conv.zero_grad()
            conv(xc).pow(2).sum().backward()
            return conv.weight.grad
        return step
    ct, cl = conv_setup(torch), conv_setup(tl)
    c_t = bench(ct, tsync)
    c_l = bench(lambda: cl().detach().reshape(-1)[0].item(), lsync)
    print(f"Conv2d(3,16,3) fwd+bwd (32,3,32,32) (us): torch cuda {c_t:.1f}, torchlike {c_l:.1f} ({c_l / c_t:.2f}x)")

    n = 4096
    mt = torch.randn(n, n, device="cuda")
    ml = tl.randn(n, n, device="cuda")
    m_t = bench(lambda: mt @ mt, tsync, 10)
    m_l = bench(lambda: (ml @ ml).reshape(-1)[0].item(), lsync, 10)
    print(f"matmul {n} fp32 highest (us): torch cuda {m_t:.1f}, torchlike {m_l:.1f} ({m_l / m_t:.2f}x)")


if __name__ == "__main__":
    main()
