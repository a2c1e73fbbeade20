"""The model of the FSDP scripts (``fsdp.py``, ``fsdp_procs.py``): two blocks and a head of 5 rows
(a first dimension no mesh of 2 or 8 divides), with the same initial values on every run."""
import numpy as np
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(16, 32), nn.Linear(32, 16)])
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        for b in self.blocks:
            x = torch.tanh(b(x))
        return self.head(x)

    def score(self, x):         # a method beside forward that uses the root's own parameters (the head's)
        return self.head(x).sum(1)


def make():
    net = Net()
    with torch.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(torch.tensor(np.random.RandomState(i).randn(*p.shape) * 0.3, dtype=torch.float32))
    return net
