"""The classes name themselves as PyTorch's: ``<class 'torchlike.Tensor'>`` when imported as torchlike,
``<class 'torch.Tensor'>`` (and ``torch.nn.parameter.Parameter``, ``torch.nn.modules.linear.Linear``, ...)
for a script run through ``python -m torchlike``; pickling, ``copy.deepcopy`` and ``save``/``load`` keep
working either way."""
from __future__ import annotations

import copy
import pickle

import torchlike
from test_runner import same_under_runner

SCRIPT = r'''
import copy
import io
import os
import pickle
import sys
import tempfile

import torch
import torch.nn as nn
from torch.nn.parameter import Parameter

x = torch.ones(2, requires_grad=True)
p = nn.Parameter(torch.ones(1))
lin = nn.Linear(2, 1)
print(type(torch.ones(1)))
print(type(p))
print(torch.Tensor.__module__, torch.Tensor.__qualname__, torch.nn.Parameter.__module__)
print(repr(type(x)), str(torch.Tensor))
print(type(torch.Size([2])), type(torch.float32), type(torch.device("cpu")), torch.Size.__module__)
print(type(lin), nn.Linear.__module__, type(nn.Sequential()), type(torch.optim.SGD(lin.parameters(), lr=0.1)))
print(torch.LongTensor, type(torch.FloatTensor(2)))
print(Parameter is nn.Parameter, isinstance(p, torch.Tensor), type(p).__mro__[1])
for obj in (x.detach(), p, torch.Size([2, 3]), torch.device("cpu"), torch.float64):
    print(type(pickle.loads(pickle.dumps(obj))), type(copy.deepcopy(obj)))
q = copy.deepcopy(p)
print(q, q is p)
print(type(pickle.loads(pickle.dumps(lin))), pickle.loads(pickle.dumps(x)))
buf = io.BytesIO()
torch.save({"w": lin.weight, "t": torch.arange(3), "p": p}, buf)
buf.seek(0)
state = torch.load(buf)
print({k: type(v) for k, v in state.items()}, state["t"])
path = os.path.join(tempfile.mkdtemp(), "m.pt")
torch.save(lin, path)
m = torch.load(path, weights_only=False)
print(type(m), type(m.weight), m.weight.shape)
'''


def test_runner_presents_torch_class_names(tmp_path):
    same_under_runner(tmp_path, SCRIPT, ())


def test_classes_name_torchlike_when_imported_as_torchlike():
    x = torchlike.ones(1)
    assert repr(type(x)) == "<class 'torchlike.Tensor'>"
    assert torchlike.Tensor.__module__ == "torchlike"
    assert repr(type(torchlike.nn.Parameter(x))) == "<class 'torchlike.nn.parameter.Parameter'>"
    assert repr(torchlike.Size) == "<class 'torchlike.Size'>"
    assert repr(type(torchlike.float32)) == "<class 'torchlike.dtype'>"
    assert repr(torchlike.device) == "<class 'torchlike.device'>"


def test_pickle_and_deepcopy_in_torchlike():
    x = torchlike.arange(4.0).requires_grad_()
    for obj in (x, torchlike.nn.Parameter(torchlike.ones(2)), torchlike.Size([2, 3]), torchlike.device("cpu")):
        for y in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
            assert type(y) is type(obj)
            assert repr(y) == repr(obj)


def test_save_load_in_torchlike(tmp_path):
    path = tmp_path / "t.pt"
    torchlike.save({"x": torchlike.arange(3), "p": torchlike.nn.Parameter(torchlike.ones(2))}, path)
    state = torchlike.load(path)
    assert type(state["x"]) is torchlike.Tensor and type(state["p"]) is torchlike.nn.Parameter
    assert state["x"].tolist() == [0, 1, 2]
