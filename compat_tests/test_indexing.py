"""``x[index]`` and ``x[index] = value`` against PyTorch.

Values, shapes (including PyTorch's placement of advanced-indexed dimensions),
grad_fn names, aliasing (basic indexing gives views), errors, and gradients.
"""
import numpy as np
import pytest

import torchlike
from harness import data, same


def _x(T, *shape, seed=0, requires_grad=False):
    return T.tensor(data(*shape, seed=seed), requires_grad=requires_grad)


def _mask(T, *shape, seed=3):
    return T.tensor(data(*shape, seed=seed, dtype=np.bool_))


# index expressions evaluated against x of shape (4, 5, 6); T is the library
GET = {
    "int": lambda T: 1,
    "neg_int": lambda T: -1,
    "int_int": lambda T: (1, 2),
    "int_int_int": lambda T: (3, -2, 5),
    "np_int": lambda T: np.int64(2),
    "tuple_single": lambda T: (2,),
    "empty_tuple": lambda T: (),
    "slice": lambda T: slice(1, 3),
    "slice_full": lambda T: slice(None),
    "slice_from0": lambda T: slice(0, None),
    "slice_step": lambda T: slice(None, None, 2),
    "slice_step_start": lambda T: slice(1, None, 3),
    "slice_neg": lambda T: slice(-3, -1),
    "slice_big": lambda T: slice(-10, 10),
    "slice_empty": lambda T: slice(3, 1),
    "slice_past_end": lambda T: slice(7, 9),
    "slices": lambda T: (slice(1, None), slice(None, None, 2), slice(-2, None)),
    "full_slices": lambda T: (slice(None), slice(None)),
    "full_slices_0_big": lambda T: (slice(0, None), slice(None, 100)),
    "slice_neg_full": lambda T: (slice(-100, None), slice(None)),
    "int_slice": lambda T: (1, slice(None, None, 2)),
    "slice_int": lambda T: (slice(None), 2),
    "none": lambda T: None,
    "none_tuple": lambda T: (None,),
    "none_mid": lambda T: (slice(None), None),
    "none_int_none": lambda T: (None, 1, None, 2),
    "none_end": lambda T: (Ellipsis, None),
    "ellipsis": lambda T: Ellipsis,
    "ellipsis_tuple": lambda T: (Ellipsis,),
    "ellipsis_int": lambda T: (Ellipsis, 1),
    "int_ellipsis": lambda T: (0, Ellipsis),
    "ellipsis_mid": lambda T: (1, Ellipsis, slice(2, 4)),
    "ellipsis_none": lambda T: (None, Ellipsis, None),
    "list": lambda T: [0, 2],
    "list_neg": lambda T: [-1, 0, -4],
    "list_single": lambda T: [1],
    "list_repeat": lambda T: [1, 1, 3, 1],
    "list_empty": lambda T: [],
    "tensor_1d": lambda T: T.tensor([3, 0]),
    "tensor_2d": lambda T: T.tensor([[0, 1], [1, 0]]),
    "tensor_int32": lambda T: T.tensor([0, 1], dtype=T.int32),
    "numpy_1d": lambda T: np.array([0, 2]),
    "numpy_2d": lambda T: np.array([[0, 1], [2, 3]]),
    "two_lists": lambda T: ([0, 1], [1, 2]),
    "three_lists": lambda T: ([0, 1], [1, 2], [5, 0]),
    "lists_broadcast": lambda T: (T.tensor([[0], [2]]), T.tensor([1, 3, 4])),
    "list_of_lists_as_tuple": lambda T: [[0, 1], [1, 0]],
    "slice_list": lambda T: (slice(None), [0, 2]),
    "slice_slice_list": lambda T: (slice(None), slice(1, 3), [0, 2, 5]),
    "list_slice": lambda T: ([0, 2], slice(1, 3)),
    "separated": lambda T: ([0, 1], slice(None), [1, 2]),
    "separated_slice_step": lambda T: ([0, 1], slice(1, 4, 2), [1, 2]),
    "separated_by_int_is_adjacent": lambda T: ([0, 1], 1, [1, 2]),
    "int_then_list_separated": lambda T: (1, slice(None), [0, 2]),
    "separated_by_none": lambda T: ([0, 1], None, [1, 2]),
    "none_then_adjacent": lambda T: (None, [0, 1], [1, 2]),
    "adjacent_then_none": lambda T: ([0, 1], [1, 2], None),
    "adjacent_mid": lambda T: (slice(None), [0, 1], [1, 2]),
    "separated_2d": lambda T: (T.tensor([[0, 1], [2, 3]]), slice(None), T.tensor([[1], [2]])),
    "ellipsis_list": lambda T: (Ellipsis, [0, 1]),
    "list_ellipsis_list": lambda T: ([0, 1], Ellipsis, [1, 2]),
    "none_list": lambda T: (None, [0, 1]),
    "mask_1d": lambda T: _mask(T, 4),
    "mask_2d": lambda T: _mask(T, 4, 5),
    "mask_3d": lambda T: _mask(T, 4, 5, 6),
    "mask_mid": lambda T: (slice(None), _mask(T, 5)),
    "mask_trailing_2d": lambda T: (slice(None), _mask(T, 5, 6)),
    "mask_int": lambda T: (_mask(T, 4), 2),
    "int_mask": lambda T: (0, _mask(T, 5)),
    "mask_list_separated": lambda T: (T.tensor([True, False, True, False]), slice(None), [0, 1]),
    "mask_list_adjacent": lambda T: (T.tensor([True, False, True, False]), [0, 4]),
    "list_of_bools": lambda T: [True, False, True, True],
    "mask_all_false": lambda T: T.zeros(4, dtype=T.bool),
    "true": lambda T: True,
    "false": lambda T: False,
    "int_true": lambda T: (1, True),
    "none_true": lambda T: (None, True),
    "bool_tensor_0d": lambda T: T.tensor(True),
    "int_tensor_0d": lambda T: T.tensor(1),
    "int_tensor_0d_pair": lambda T: (T.tensor(1), T.tensor(-2)),
    "slice_int_tensor_0d": lambda T: (slice(None), T.tensor(1)),
    "int_tensor_0d_separated": lambda T: (T.tensor(1), slice(None), [0, 1]),
    "list_sep_int_tensor_0d": lambda T: ([0, 1], slice(None), T.tensor(1)),
    "int_tensor_0d_slice": lambda T: (T.tensor(-1), slice(1, None)),
    "list_of_tensors_as_tuple": lambda T: [T.tensor(0), T.tensor(1)],
    "list_with_none_as_tuple": lambda T: [None, 0],
    # errors
    "oob_int": lambda T: 4,
    "oob_neg_int": lambda T: -5,
    "oob_int_dim1": lambda T: (0, 5),
    "oob_list": lambda T: [0, 4],
    "oob_neg_list": lambda T: [0, -5],
    "oob_tensor_0d": lambda T: T.tensor(7),
    "oob_list_dim2": lambda T: (slice(None), slice(None), [6]),
    "too_many": lambda T: (0, 0, 0, 0),
    "too_many_with_mask": lambda T: (_mask(T, 4, 5), 0, 0),
    "two_ellipsis": lambda T: (Ellipsis, 0, Ellipsis),
    "two_ellipsis_none": lambda T: (None, Ellipsis, None, Ellipsis),
    "two_ellipsis_oob": lambda T: (Ellipsis, Ellipsis, 0),
    "int16_tensor_index": lambda T: T.tensor([0, 1], dtype=T.int16),
    "int8_tensor_index": lambda T: T.tensor([0, 1], dtype=T.int8),
    "neg_step": lambda T: slice(None, None, -1),
    "zero_step": lambda T: slice(None, None, 0),
    "mask_wrong_shape": lambda T: T.ones(3, dtype=T.bool),
    "mask_wrong_shape_2d": lambda T: T.ones(4, 4, dtype=T.bool),
    "list_of_bools_wrong": lambda T: [True, False],
    "float_index": lambda T: 1.0,
    "float_tensor_index": lambda T: T.tensor([0.0, 1.0]),
    "float_list_index": lambda T: [0.0, 1.0],
    "float_list_truncates": lambda T: [-0.5, 1.9, 3.2],
    "bool_int_list": lambda T: [True, 1],
    "nested_float_lists_as_tuple": lambda T: [[0.0], [1.0]],
    "numpy_float": lambda T: np.array([0.0, 2.0]),
    "numpy_int16": lambda T: np.array([0, 3], dtype=np.int16),
    "numpy_bool": lambda T: np.array([True, False, True, False]),
    "str_index": lambda T: "a",
    "unbroadcastable": lambda T: ([0, 1], [0, 1, 2]),
    "mask_and_false": lambda T: ([0, 1], T.tensor(False)),
}


@pytest.mark.parametrize("name", list(GET))
def test_getitem(name):
    def f(T):
        x = _x(T, 4, 5, 6, requires_grad=True)
        r = x[GET[name](T)]
        return r, r._base is x, r.is_contiguous() if r._base is x else None
    same(f)


@pytest.mark.parametrize("name", [n for n in GET if not n.startswith(("oob", "too", "two_", "neg_step", "zero_step",
                                                                         "mask_wrong", "float", "str", "unbro",
                                                                         "list_of_bools_wrong", "mask_and_false"))])
def test_getitem_grad(name):
    def f(T):
        x = _x(T, 4, 5, 6, requires_grad=True)
        r = x[GET[name](T)]
        (r * T.tensor(data(*r.shape, seed=9))).sum().backward()
        return x.grad
    same(f)


@pytest.mark.parametrize("name", ["int", "slice_step", "int_slice", "none_int_none", "ellipsis_mid", "slices",
                                  "full_slices", "int_tensor_0d_slice"])
def test_getitem_basic_is_view(name):
    def f(T):
        x = _x(T, 4, 5, 6)
        r = x[GET[name](T)]
        meta = (r.stride(), r.storage_offset(), r._base is x)
        r.mul_(-1)
        return x, r, meta
    same(f)


@pytest.mark.parametrize("name", ["list", "mask_2d", "separated", "tensor_2d"])
def test_getitem_advanced_is_copy(name):
    def f(T):
        x = _x(T, 4, 5, 6)
        r = x[GET[name](T)]
        r.mul_(-1)
        return x, r, r._base is None, r.is_contiguous()
    same(f)


def test_getitem_zero_dim_tensor():
    def f(T):
        x = T.tensor(2.5, requires_grad=True)
        out = [x[...], x[None], x[()], x[True], x[False], x[None, None], x[..., None]]
        return out
    same(f)


@pytest.mark.parametrize("idx", ["zero", "slice", "list", "mask"])
def test_getitem_zero_dim_tensor_errors(idx):
    def f(T):
        x = T.tensor(2.5)
        i = {"zero": 0, "slice": slice(None), "list": [0], "mask": T.tensor([True])}[idx]
        return x[i]
    same(f)


def test_getitem_repeated_indices_accumulate_grad():
    def f(T):
        x = _x(T, 5, 3, requires_grad=True)
        y = x[[0, 0, 2, 0]]
        z = x[T.tensor([[1, 1], [4, 1]]), 2]
        w = x[:, [2, 2]]
        (y.sum() * 2 + (z * z).sum() + w.sum()).backward()
        return y, z, w, x.grad
    same(f)


def test_getitem_chain_grad_fns():
    def f(T):
        x = _x(T, 4, 5, 6, requires_grad=True)
        r = x[1:, None][..., 2][[0, 2]][:, 0, ::2]
        names = []
        fn = r.grad_fn
        while fn is not None and fn.next_functions:
            names.append(fn.name())
            fn = fn.next_functions[0][0]
        r.sum().backward()
        return names, x.grad
    same(f)


def test_getitem_int_dtypes_and_uint8():
    def f(T):
        x = _x(T, 4, 5)
        return [x[T.tensor([1, 3], dtype=d)] for d in (T.int64, T.int32)] + [
            x[T.tensor([1, 0, 1, 1], dtype=T.uint8)]]
    same(f)


def test_getitem_on_views_and_int_tensors():
    def f(T):
        x = T.tensor(data(4, 5, 6, dtype=np.int64, low=-9, high=9))
        v = x.transpose(0, 2)[1:]
        return v[[0, 2], :, [1, 3]], v[v > 0], v[..., [0]], v[2, None, :, -1]
    same(f)


# ---- setitem ------------------------------------------------------------------------
SET = {
    "int_scalar": lambda T: (1, 5.0),
    "int_int_scalar": lambda T: ((1, 2), -3),
    "int_tensor": lambda T: (1, _x(T, 5, 6, seed=1)),
    "int_tensor_bcast": lambda T: (1, _x(T, 6, seed=1)),
    "int_tensor_0d": lambda T: (1, T.tensor(2.5)),
    "int_tensor_lead1": lambda T: (1, _x(T, 1, 5, 6, seed=1)),
    "int_tensor_lead11_bcast": lambda T: (1, _x(T, 1, 1, 6, seed=1)),
    "slice_scalar": lambda T: (slice(1, 3), 7.0),
    "slice_step": lambda T: (slice(None, None, 2), _x(T, 5, 6, seed=1)),
    "slice_full": lambda T: (slice(None), _x(T, 6, seed=1)),
    "slices": lambda T: ((slice(1, None), slice(None, None, 2), slice(-2, None)), _x(T, 3, 1, 2, seed=1)),
    "none": lambda T: (None, _x(T, 5, 6, seed=1)),
    "ellipsis": lambda T: (Ellipsis, 1.5),
    "ellipsis_tensor": lambda T: (Ellipsis, _x(T, 6, seed=1)),
    "ellipsis_int": lambda T: ((Ellipsis, 0), _x(T, 5, seed=1)),
    "none_int_none": lambda T: ((None, 1, None, 2), -1.0),
    "true": lambda T: (True, _x(T, 6, seed=1)),
    "false": lambda T: (False, 9.0),
    "int_false": lambda T: ((0, False), 9.0),
    "int_tensor_0d_index": lambda T: (T.tensor(2), 4.0),
    "list": lambda T: ([0, 2], _x(T, 2, 5, 6, seed=1)),
    "list_scalar": lambda T: ([0, 2], 3.0),
    "list_bcast": lambda T: ([0, 2], _x(T, 6, seed=1)),
    "list_neg": lambda T: ([-1, 0], 3.0),
    "list_empty": lambda T: ([], 3.0),
    "two_lists": lambda T: (([0, 1], [1, 2]), _x(T, 2, 6, seed=1)),
    "two_lists_bcast": lambda T: (([0, 1], [1, 2]), _x(T, 6, seed=1)),
    "three_lists": lambda T: (([0, 1], [1, 2], [5, 0]), T.tensor([10.0, 20.0])),
    "slice_list": lambda T: ((slice(None), [0, 2]), _x(T, 4, 2, 6, seed=1)),
    "slice_list_col": lambda T: ((slice(None), [0, 2]), _x(T, 4, 1, 1, seed=1)),
    "separated": lambda T: (([0, 1], slice(None), [1, 2]), _x(T, 2, 5, seed=1)),
    "separated_bcast": lambda T: (([0, 1], slice(None), [1, 2]), _x(T, 2, 1, seed=1)),
    "separated_by_none": lambda T: (([0, 1], None, [1, 2]), _x(T, 2, 1, 6, seed=1)),
    "view_then_list": lambda T: ((slice(1, None), [0, 2]), _x(T, 3, 2, 6, seed=1)),
    "int_then_list": lambda T: ((1, slice(None), [0, 5]), _x(T, 5, 2, seed=1)),
    "tensor_2d_index": lambda T: (T.tensor([[0, 1], [3, 2]]), 0.0),
    "mask_scalar": lambda T: (_mask(T, 4, 5, 6), 0.0),
    "mask_gt": lambda T: ("gt", -1.0),
    "mask_0d_tensor": lambda T: (_mask(T, 4, 5), T.tensor(2.0)),
    "mask_0d_double": lambda T: (_mask(T, 4), T.tensor(2.0, dtype=T.float64)),
    "mask_values": lambda T: (T.tensor([True, False, True, True]), _x(T, 3, 5, 6, seed=1)),
    "mask_values_bcast": lambda T: (T.tensor([True, False, True, True]), _x(T, 6, seed=1)),
    "mask_2d_values": lambda T: (T.tensor([[True, False, True, False, False]] * 4), _x(T, 8, 6, seed=1)),
    "mask_mid": lambda T: ((slice(None), _mask(T, 5)), 1.0),
    "int_value_into_float": lambda T: ([0, 2], 3),
    # errors
    "oob_int": lambda T: (4, 1.0),
    "oob_list": lambda T: ([0, 4], 1.0),
    "oob_neg_list": lambda T: ([-5], 1.0),
    "too_many": lambda T: ((0, 0, 0, 0), 1.0),
    "neg_step": lambda T: (slice(None, None, -1), 1.0),
    "bad_value_shape": lambda T: (1, _x(T, 4, seed=1)),
    "bad_value_shape_bigger": lambda T: (1, _x(T, 2, 5, 6, seed=1)),
    "bad_value_shape_adv": lambda T: ([0, 1], _x(T, 3, seed=1)),
    "bad_value_shape_mask": lambda T: (T.tensor([True, False, True, True]), _x(T, 2, 5, 6, seed=1)),
    "adv_double_value": lambda T: ([0, 1], _x(T, 6, seed=1).double()),
    "adv_int_value": lambda T: ([0, 1], T.tensor(1)),
    "list_value": lambda T: (0, [1.0, 2.0]),
    "numpy_value": lambda T: (0, np.ones(6, np.float32)),
    "str_value": lambda T: (0, "a"),
    "complex_value": lambda T: (0, 1j),
    "mask_wrong_shape": lambda T: (T.ones(3, dtype=T.bool), 1.0),
}


def _apply_set(T, x, name):
    idx, value = SET[name](T)
    if isinstance(idx, str):
        idx = x > 0.5
    x[idx] = value


@pytest.mark.parametrize("name", list(SET))
def test_setitem(name):
    def f(T):
        x = _x(T, 4, 5, 6)
        v = x[1]                      # an existing view sees the write
        v0 = x._version
        _apply_set(T, x, name)
        return x, v, x._version - v0
    same(f)


@pytest.mark.parametrize("dtype", ["int64", "bool", "float64", "int32"])
@pytest.mark.parametrize("case", ["int_float_scalar", "mask_float_0d", "adv_float_tensor", "basic_float_tensor",
                                  "adv_scalar", "basic_bool"])
def test_setitem_dtypes(dtype, case):
    def f(T):
        x = T.tensor(data(3, 4, dtype=np.int64, low=-3, high=3)).to(getattr(T, dtype))
        if case == "int_float_scalar":
            x[0] = 1.7
        elif case == "mask_float_0d":
            x[T.tensor([True, False, True])] = T.tensor(-2.7)
        elif case == "adv_float_tensor":
            x[[0, 2]] = T.tensor([[1.5] * 4, [2.5] * 4])
        elif case == "basic_float_tensor":
            x[1:] = T.tensor([-1.5, 0.5, 2.5, 3.0])
        elif case == "adv_scalar":
            x[[2, 0], [1, 1]] = 2
        else:
            x[:, 0] = T.tensor([True, False, True])
        return x
    same(f)


def test_setitem_duplicate_indices_last_wins():
    def f(T):
        x = T.zeros(4, 3)
        x[[0, 2, 0]] = T.tensor([[1.0] * 3, [2.0] * 3, [3.0] * 3])
        return x
    same(f)


def test_setitem_int_tensor():
    def f(T):
        x = T.tensor(data(4, 5, dtype=np.int64, low=-9, high=9))
        x[x < 0] = 0
        x[:, [1, 3]] = T.tensor([7, 8])
        x[1, 1:3] = -5
        return x
    same(f)


def test_setitem_through_view_visible_in_base():
    def f(T):
        x = _x(T, 4, 5, 6)
        v = x.transpose(0, 2)[1:]
        v[[0, 2], :, [1, 3]] = 100.0
        v[v < -1] = -1
        v[..., 0] = T.arange(5.0)
        return x, v
    same(f)


@pytest.mark.parametrize("case", ["shift", "self_copy", "full_alias", "transpose_add", "self_element"])
def test_partial_overlap_errors(case):
    def f(T):
        x = _x(T, 4, 4)
        if case == "shift":
            x[1:] = x[:-1]
        elif case == "self_copy":
            x.copy_(x.flip(0))
        elif case == "full_alias":
            x[:].copy_(x)
        elif case == "transpose_add":
            x.add_(x.t())
        else:
            x.add_(x[0, 0])
        return x
    same(f)


# ---- setitem and autograd -----------------------------------------------------------
def _names(node, depth=3):
    if node is None or depth == 0:
        return None
    return (node.name(), [(_names(n, depth - 1), i) for n, i in node.next_functions])


SET_GRAD = {
    "int_w": lambda T, w: (0, w[0]),
    "int_scalar": lambda T, w: (0, 2.0),
    "int_w_lead1": lambda T, w: (0, w[:1]),
    "int_w_bcast": lambda T, w: (0, w[:1, :1]),
    "int_w_0d": lambda T, w: (0, w[0, 0]),
    "slice_w": lambda T, w: (slice(None, 2), w),
    "slice_w_bcast": lambda T, w: (slice(None, 2), w[0]),
    "full_slice_w": lambda T, w: (slice(None), w[0]),
    "ellipsis_w": lambda T, w: (Ellipsis, w[0]),
    "ellipsis_scalar": lambda T, w: (Ellipsis, 2.0),
    "ellipsis_w0d": lambda T, w: (Ellipsis, w[0, 0]),
    "none_w": lambda T, w: (None, w[0]),
    "true_w": lambda T, w: (True, w[0]),
    "int_int_w0d": lambda T, w: ((0, 0), w[0, 0]),
    "list_w": lambda T, w: ([0, 2], w),
    "list_w_bcast": lambda T, w: ([0, 2], w[0]),
    "list_w_lead1": lambda T, w: ([0], w[:1, None]),
    "list_scalar": lambda T, w: ([0, 2], 1.0),
    "slice_list_w": lambda T, w: ((slice(None), [0, 2]), w[:, :3].t()),
    "view_list_w": lambda T, w: ((slice(1, None), [0, 2]), w[:, :2]),
    "mask_scalar": lambda T, w: (T.tensor([True, False, True]), 0.0),
    "mask_w0d": lambda T, w: (T.tensor([True, False, True]), w[0, 0]),
    "mask_w": lambda T, w: (T.tensor([True, False, True]), w),
    "mask_2d_scalar": lambda T, w: ("gt", 0.0),
}


@pytest.mark.parametrize("name", list(SET_GRAD))
def test_setitem_autograd(name):
    def f(T):
        a = _x(T, 3, 4, requires_grad=True)
        w = _x(T, 2, 4, seed=1, requires_grad=True)
        b = a.clone()
        idx, value = SET_GRAD[name](T, w)
        if isinstance(idx, str):
            idx = a.detach() > 0
        b[idx] = value
        names = _names(b.grad_fn)
        (b * T.tensor(data(3, 4, seed=4))).sum().backward()
        return b, names, a.grad, w.grad
    same(f)


def test_setitem_into_plain_tensor_with_grad_value():
    def f(T):
        w = _x(T, 2, 4, seed=1, requires_grad=True)
        b = T.zeros(3, 4)
        b[[0, 1]] = w
        n1 = _names(b.grad_fn)
        c = T.zeros(3, 4)
        c[1] = w[0]
        n2 = _names(c.grad_fn)
        (b.sum() + (c * c).sum()).backward()
        return b, c, n1, n2, w.grad
    same(f)


def test_setitem_on_leaf_errors():
    def f(T):
        out = []
        for idx in (0, [0, 1], slice(None), Ellipsis, None):
            x = _x(T, 3, 4, requires_grad=True)
            try:
                x[idx] = 1.0
                out.append("ok")
            except RuntimeError as e:
                out.append("view" if "view" in str(e) else "leaf")
        return out
    same(f)


def test_setitem_no_grad_on_leaf_ok():
    def f(T):
        x = _x(T, 3, 4, requires_grad=True)
        with T.no_grad():
            x[0] = 1.0
            x[[1, 2], [0, 3]] = -1.0
            x[x > 1] = 0.0
        return x, x.is_leaf, x._version
    same(f)


def test_index_put_method():
    def f(T):
        x = _x(T, 4, 5)
        r = x.index_put_((T.tensor([0, 2]), T.tensor([1, 1])), T.tensor(3.0), accumulate=True)
        y = x.index_put((T.tensor([1, 3]),), T.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
        z = x.index_put((T.tensor([True, False, True, False]),), T.tensor(-1.0))
        return r is x, x, y, z
    same(f)


def test_getitem_error_messages():
    x = torchlike.zeros(4, 5)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


# ---- random index expressions (property-based) -----------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

_item = st.one_of(
    st.integers(-5, 5).map(lambda k: ("int", k)),
    st.tuples(st.one_of(st.none(), st.integers(-6, 6)), st.one_of(st.none(), st.integers(-6, 6)),
              st.one_of(st.none(), st.integers(1, 3))).map(lambda s: ("slice", s)),
    st.just(("none", None)),
    st.just(("ellipsis", None)),
    st.lists(st.integers(-4, 3), min_size=0, max_size=3).map(lambda v: ("list", v)),
    st.lists(st.lists(st.integers(-4, 3), min_size=2, max_size=2), min_size=1, max_size=2).map(
        lambda v: ("tensor2d", v)),
    st.integers(4, 6).flatmap(lambda n: st.lists(st.booleans(), min_size=n, max_size=n)).map(
        lambda v: ("mask", v)),
    st.booleans().map(lambda b: ("bool", b)),
)


def _make_index(T, items):
    out = []
    for kind, v in items:
        if kind == "int":
            out.append(v)
        elif kind == "slice":
            out.append(slice(*v))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "list":
            out.append(list(v))
        elif kind == "tensor2d":
            out.append(T.tensor(v))
        elif kind == "mask":
            out.append(T.tensor(v))
        else:
            out.append(v)
    return tuple(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(_item, min_size=1, max_size=4))
def test_random_getitem_setitem(items):
    def f(T):
        x = _x(T, 4, 5, 6, requires_grad=True)
        idx = _make_index(T, items)
        r = x[idx]
        (r * 2).sum().backward()
        y = x.detach().clone()
        y[idx] = -1.0
        return r, r._base is x, x.grad, y
    same(f)


def test_setitem_duplicate_indices_grads():
    def f(T):
        a = _x(T, 3, 2, requires_grad=True)
        w = _x(T, 3, 2, seed=1, requires_grad=True)
        u = _x(T, 2, seed=2, requires_grad=True)
        b = a * 1
        b[[0, 0, 1]] = w
        b[[2, 2]] = u            # broadcast value, repeated index
        (b * T.tensor(data(3, 2, seed=3))).sum().backward()
        return b, a.grad, w.grad, u.grad
    same(f)


def test_setitem_double_backward():
    def f(T):
        a = _x(T, 3, 2, requires_grad=True)
        w = _x(T, 2, 2, seed=1, requires_grad=True)
        b = a * a
        b[[0, 2]] = w * w
        b[1] = a[1] * w[0]
        g_a, g_w = T.autograd.grad((b * b).sum(), (a, w), create_graph=True)
        (g_a.sum() + (g_w * g_w).sum()).backward()
        return g_a, g_w, a.grad, w.grad
    same(f)
