"""The Fundamentals of Autograd walkthrough, run on torchlike.

Usage: python examples/autograd_fundamentals.py [--out-dir plots]

Prints what PyTorch prints for each step and writes the plots of sin(a) and
of its gradient as PNG files in --out-dir.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import torchlike as torch  # noqa: E402


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)

    a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    print(a)

    b = torch.sin(a)
    plt.plot(a.detach(), b.detach())
    plt.title("b = sin(a)")
    sin_png = os.path.join(out_dir, "sin.png")
    plt.savefig(sin_png)
    plt.close()
    print(b)

    c = 2 * b
    print(c)
    d = c + 1
    print(d)
    out = d.sum()
    print(out)

    print('d:')
    print(d.grad_fn)
    print(d.grad_fn.next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions)
    print('\nc:')
    print(c.grad_fn)
    print('\nb:')
    print(b.grad_fn)
    print('\na:')
    print(a.grad_fn)

    out.backward()
    print(a.grad)
    plt.plot(a.detach(), a.grad.detach())
    plt.title("d(out)/da = 2 cos(a)")
    grad_png = os.path.join(out_dir, "sin_grad.png")
    plt.savefig(grad_png)
    plt.close()

    with torch.no_grad():
        x_t = torch.rand(3, 4)
        y_np = np.ones((4, 2), dtype=np.float32)
        print(x_t @ torch.from_numpy(y_np))   # dot product in torch
        print(np.dot(x_t.numpy(), y_np))      # the same dot product in numpy

    x = torch.rand(5, requires_grad=True)
    y = x.detach()
    print(x)
    print(y)

    inputs = (torch.rand(3), torch.rand(3))
    print(inputs)

    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    print(torch.autograd.functional.jacobian(exp_adder, inputs))
    print(f"plots written: {sin_png}, {grad_png}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="plots")
    main(parser.parse_args().out_dir)
