"""torch.nn.parallel's single-process primitives (scatter, scatter_kwargs, gather, replicate,
parallel_apply) against PyTorch's CPU build: container handling, structure and types of the results,
and the exceptions (type and text) for CPU tensors, CPU/unresolvable target devices and bad
arguments."""
import collections

import pytest

from harness import Raised, same

P = collections.namedtuple("P", "a b")


class L(list):
    pass


class D(dict):
    pass


def same_outcome(fn):
    """``same(fn)``, and where PyTorch raises, the same exception text too."""
    expected, actual = same(fn)
    if isinstance(expected, Raised):
        assert str(actual.exc) == str(expected.exc), (actual, expected)
    return expected, actual


def _x(T):
    return T.arange(12.).reshape(4, 3)


def _types(obj):
    """The nested container types of ``obj`` (names), to compare subclasses and named tuples."""
    if isinstance(obj, dict):
        return [type(obj).__name__, {k: _types(v) for k, v in obj.items()}]
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, [_types(v) for v in obj]]
    return type(obj).__name__


SCATTER = {
    "tensor_cpu_target": lambda T: T.nn.parallel.scatter(_x(T), [T.device("cpu")]),
    "tensor_cpu_str": lambda T: T.nn.parallel.scatter(_x(T), ["cpu"]),
    "tensor_cpu0_str": lambda T: T.nn.parallel.scatter(_x(T), ("cpu:0",)),
    "tensor_int": lambda T: T.nn.parallel.scatter(_x(T), [0]),
    "tensor_ints_dim": lambda T: T.nn.parallel.scatter(_x(T), [0, 1], dim=1),
    "tensor_empty_targets": lambda T: T.nn.parallel.scatter(_x(T), []),
    "tensor_none_targets": lambda T: T.nn.parallel.scatter(_x(T), None),
    "tensor_int_targets": lambda T: T.nn.parallel.scatter(_x(T), 0),
    "tensor_cuda_no_index": lambda T: T.nn.parallel.scatter(_x(T), ["cuda"]),
    "tensor_meta_no_index": lambda T: T.nn.parallel.scatter(_x(T), [T.device("meta")]),
    "tensor_float_target": lambda T: T.nn.parallel.scatter(_x(T), [0, 1.5]),
    "tensor_none_target": lambda T: T.nn.parallel.scatter(_x(T), [None]),
    "tensor_cuda1": lambda T: T.nn.parallel.scatter(_x(T), ["cuda:1"]),
    "tensor_meta1": lambda T: T.nn.parallel.scatter(_x(T), [T.device("meta", 1)]),
    "tensor_bool": lambda T: T.nn.parallel.scatter(_x(T), [True]),
    "tensor_negative": lambda T: T.nn.parallel.scatter(_x(T), [-1]),
    "tensor_bad_str": lambda T: T.nn.parallel.scatter(_x(T), ["xyz"]),
    "tensor_cpu_second": lambda T: T.nn.parallel.scatter(_x(T), [0, "cpu"]),
    "scalar_tensor": lambda T: T.nn.parallel.scatter(T.tensor(1.0), [0]),
    "dict_with_tensor_cpu": lambda T: T.nn.parallel.scatter({"a": [_x(T)]}, ["cpu"]),
    "list_with_tensor": lambda T: T.nn.parallel.scatter([1, _x(T)], [0]),
    "list": lambda T: T.nn.parallel.scatter([1, 2], [0]),
    "list_no_targets": lambda T: T.nn.parallel.scatter([1, 2], []),
    "int_two": lambda T: T.nn.parallel.scatter(3, [0, 1]),
    "int_none": lambda T: T.nn.parallel.scatter(3, None),
    "int_cpu_target": lambda T: T.nn.parallel.scatter(1, ["cpu"]),
    "int_bad_target": lambda T: T.nn.parallel.scatter(1, ["xyz"]),
    "dict": lambda T: T.nn.parallel.scatter({"a": 1, "b": (2, [3])}, [0, 1]),
    "tuple": lambda T: T.nn.parallel.scatter((1, "s"), [0, 1]),
    "str": lambda T: T.nn.parallel.scatter("abc", [0, 1]),
    "set": lambda T: T.nn.parallel.scatter({1, 2}, [0, 1]),
    "nested": lambda T: _types(T.nn.parallel.scatter([(1, 2), {"k": [3]}, None], [0, 1])),
    "namedtuple": lambda T: _types(T.nn.parallel.scatter(P(1, (2,)), [0, 1])),
    "empty_containers": lambda T: [T.nn.parallel.scatter(c, [0, 1]) for c in ((), [], {})],
    "ordered_dict": lambda T: _types(T.nn.parallel.scatter(collections.OrderedDict(a=1, b=(2,)), [0, 1])),
    "subclasses": lambda T: [_types(T.nn.parallel.scatter(L([1, 2]), [0, 1])),
                             _types(T.nn.parallel.scatter(D(a=1), [0, 1]))],
    "tuple_targets": lambda T: T.nn.parallel.scatter((1,), (0, 1)),
    "generator_targets": lambda T: [T.nn.parallel.scatter((1,), iter([0, 1])),
                                    T.nn.parallel.scatter((1, 2), iter([0, 1]))],
    "str_targets": lambda T: T.nn.parallel.scatter((1,), "ab"),
    "kwargs": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs((1,), {"a": 2}, [0, 1]),
    "kwargs_none": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs((), None, [0, 1]),
    "kwargs_no_targets": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs((1, 2), {"a": 2}, []),
    "kwargs_pad_inputs": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs((), {"a": 2}, [0, 1, 2]),
    "kwargs_pad_kwargs": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs([1], None, [0], dim=1),
    "kwargs_tensor_cpu": lambda T: T.nn.parallel.scatter_gather.scatter_kwargs((), {"a": _x(T)}, ["cpu"]),
    "is_namedtuple": lambda T: [T.nn.parallel.scatter_gather.is_namedtuple(v) for v in (P(1, 2), (1, 2), [1])],
}


@pytest.mark.parametrize("case", sorted(SCATTER))
def test_scatter(case):
    same_outcome(SCATTER[case])


GATHER = {
    "tensors_cpu": lambda T: T.nn.parallel.gather([_x(T), _x(T)], "cpu"),
    "tensors_minus1": lambda T: T.nn.parallel.gather([_x(T), _x(T)], -1),
    "tensors_dim1": lambda T: T.nn.parallel.gather((_x(T), _x(T)), 0, dim=1),
    "tensors_device": lambda T: T.nn.parallel.gather([_x(T)], T.device("cpu")),
    "scalars": lambda T: T.nn.parallel.gather([T.tensor(1.0), T.tensor(2.0)], None),
    "dict_of_tensors": lambda T: T.nn.parallel.gather([{"a": (_x(T),)}, {"a": (_x(T),)}], 0),
    "tensor_then_int": lambda T: T.nn.parallel.gather([_x(T), 1], "cpu"),
    "none": lambda T: T.nn.parallel.gather([None, None], "cpu"),
    "none_then_tensor": lambda T: T.nn.parallel.gather([None, _x(T)], "cpu"),
    "ints": lambda T: T.nn.parallel.gather([1, 2], "cpu"),
    "objects": lambda T: T.nn.parallel.gather([object(), object()], "cpu"),
    "empty": lambda T: T.nn.parallel.gather([], "cpu"),
    "list_none": lambda T: T.nn.parallel.gather([[None], [None]], 0),
    "dict_none": lambda T: T.nn.parallel.gather([{"a": None}, {"a": None}], 0),
    "dict_key_mismatch": lambda T: T.nn.parallel.gather([{"a": None}, {"b": None}], 0),
    "dict_len_mismatch": lambda T: T.nn.parallel.gather([{"a": None}, {"a": None, "b": None}], 0),
    "dict_order": lambda T: _types(T.nn.parallel.gather(
        [collections.OrderedDict(b=None, a=None), {"a": None, "b": None}], 0)),
    "namedtuple": lambda T: _types(T.nn.parallel.gather([P(None, None), P(None, None)], 0)),
    "subclasses": lambda T: [_types(T.nn.parallel.gather([L([None]), L([None])], 0)),
                             _types(T.nn.parallel.gather([D(a=None), D(a=None)], 0))],
    "tuple_with_int": lambda T: T.nn.parallel.gather([(None, 1), (None, 2)], "cpu"),
    "empty_tuples": lambda T: T.nn.parallel.gather([(), ()], 0),
    "empty_dicts": lambda T: T.nn.parallel.gather([{}, {}], 0),
    "length_mismatch": lambda T: T.nn.parallel.gather([[], [1]], 0),
    "sets": lambda T: T.nn.parallel.gather([{None}, {None}], 0),
    "bytes": lambda T: T.nn.parallel.gather([b"ab", b"cd"], 0),
    "ranges": lambda T: T.nn.parallel.gather([range(2), range(2)], 0),
    "strings": lambda T: T.nn.parallel.gather(["ab", "cd"], 0).startswith("<map object at 0x"),
    "iterator": lambda T: T.nn.parallel.gather(iter([None]), 0),
    "dict_outputs": lambda T: T.nn.parallel.gather({0: None}, 0),
}


@pytest.mark.parametrize("case", sorted(GATHER))
def test_gather(case):
    same_outcome(GATHER[case])


def _sequential(T):
    s = T.nn.Sequential(T.nn.ReLU(), T.nn.Sequential(T.nn.Tanh()))
    s.eval()
    s.foo = 5
    return s


REPLICATE = {
    "no_devices": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), []),
    "none_devices": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), None),
    "int_devices": lambda T: T.nn.parallel.replicate(T.nn.ReLU(), 2),
    "params_int": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), [0]),
    "params_cuda": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), ["cuda", 1.5, None]),
    "params_cpu": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), [T.device("cpu")]),
    "params_cpu0": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), [0, "cpu:0"]),
    "params_bad_str": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), ["xyz"]),
    "str_devices": lambda T: T.nn.parallel.replicate(T.nn.ReLU(), "ab"),
    "params_detach": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2), [0], detach=True),
    "frozen_params": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2).requires_grad_(False), [0]),
    "frozen_params_detach": lambda T: T.nn.parallel.replicate(T.nn.Linear(3, 2).requires_grad_(False), [0], True),
    "buffers_only": lambda T: T.nn.parallel.replicate(T.nn.BatchNorm1d(3, affine=False), [0]),
    "not_a_module": lambda T: T.nn.parallel.replicate(3, [0]),
    "not_a_module_no_devices": lambda T: T.nn.parallel.replicate(3, []),
    "no_tensors_cpu": lambda T: T.nn.parallel.replicate(T.nn.ReLU(), ["cpu"]),
    "no_tensors": lambda T: [repr(r) for r in T.nn.parallel.replicate(T.nn.ReLU(), [0, 1.5, "meta", None])],
    "no_tensors_detach": lambda T: len(T.nn.parallel.replicate(T.nn.ReLU(), (0, 1), detach=True)),
}


@pytest.mark.parametrize("case", sorted(REPLICATE))
def test_replicate(case):
    same_outcome(REPLICATE[case])


def test_replicas_are_copies():
    def f(T):
        s = _sequential(T)
        reps = T.nn.parallel.replicate(s, [0, 1])
        r = reps[0]
        return [len(reps), reps[0] is reps[1], r is s, type(r).__name__, r.training, r[1].training, r.foo,
                r[0] is s[0], r[1][0] is s[1][0], r._modules is s._modules, r._parameters is s._parameters,
                r._is_replica, getattr(s, "_is_replica", "absent"), repr(r), str(r(T.tensor([-1.0, 2.0])))]
    same_outcome(f)


def test_replicate_shared_submodule():
    def f(T):
        relu = T.nn.ReLU()
        s = T.nn.Sequential(relu, relu)
        r = T.nn.parallel.replicate(s, [0])[0]
        return [r[0] is r[1], r[0] is relu, len(list(r.modules()))]
    same_outcome(f)


def _linear(T):
    return T.nn.Linear(3, 2)


PARALLEL_APPLY = {
    "one": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)]),
    "two": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2),
    "tuple_input": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [(_x(T),)]),
    "kwargs": lambda T: T.nn.parallel.parallel_apply([lambda a, b=1: a * b], [_x(T)], [{"b": 3}]),
    "kwargs_none": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], None, None),
    "devices_cpu": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, devices=["cpu", "cpu"]),
    "devices_cpu_device": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=[T.device("cpu")]),
    "devices_cpu0": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["cpu:0"]),
    "devices_second_cpu": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, devices=[0, "cpu"]),
    "devices_meta": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["meta"]),
    "devices_mps0": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["mps:0"]),
    "devices_meta1": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=[T.device("meta", 1)]),
    "devices_ints": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, devices=[0, 0]),
    "devices_none": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, devices=[None, None]),
    "devices_cuda": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["cuda"]),
    "devices_cuda0": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["cuda:0"]),
    "devices_float": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=[1.5]),
    "devices_bad_str": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=["xyz"]),
    "devices_short": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, devices=[0]),
    "devices_long": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [_x(T)], devices=[0, 1]),
    "inputs_short": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)]),
    "kwargs_short": lambda T: T.nn.parallel.parallel_apply([_linear(T)] * 2, [_x(T)] * 2, [{}]),
    "empty": lambda T: T.nn.parallel.parallel_apply([], []),
    "empty_lists": lambda T: T.nn.parallel.parallel_apply([], [], [], []),
    "not_a_sequence": lambda T: T.nn.parallel.parallel_apply(_linear(T), [_x(T)]),
    "bad_input": lambda T: T.nn.parallel.parallel_apply([_linear(T)], [T.ones(2, 5)]),
}


@pytest.mark.parametrize("case", sorted(PARALLEL_APPLY))
def test_parallel_apply(case):
    same_outcome(PARALLEL_APPLY[case])


def test_submodules_and_names():
    def f(T):
        p = T.nn.parallel
        return [sorted(p.__all__), callable(p.replicate), callable(p.parallel_apply),
                p.scatter is p.scatter_gather.scatter, p.gather is p.scatter_gather.gather,
                p.parallel_apply.__name__, p.replicate.__name__]
    same_outcome(f)


def test_get_a_var():
    def f(T):
        import importlib
        m = importlib.import_module(T.__name__ + ".nn.parallel.parallel_apply")
        x = _x(T)
        return [m.get_a_var(x) is x, m.get_a_var([1, (2, x)]) is x, m.get_a_var({"k": x}), m.get_a_var([1, "a"]),
                m.get_a_var(3)]
    same_outcome(f)
