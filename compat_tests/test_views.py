"""Views alias their base: a write through any alias is seen through every other.

Each case builds a root tensor, takes a view, then writes through the view, through
a sibling view and through the base, snapshotting every alias after each write.
Values, versions and layout metadata (stride, storage_offset, is_contiguous,
``_base is``) are compared with PyTorch.
"""
import numpy as np
import pytest

from harness import data, same


def _x(T, *shape, seed=0):
    return T.tensor(data(*shape, seed=seed))


def _as_list(v):
    return list(v) if isinstance(v, (tuple, list)) else [v]


def _meta(x, views):
    return [(tuple(w.shape), tuple(w.stride()), w.storage_offset(), w.is_contiguous(), w._base is x,
             w._is_view()) for w in views]


def _snap(x, sib, views):
    return [x.clone(), sib.clone()] + [w.clone() for w in views] + [
        [x._version, sib._version] + [w._version for w in views]]


# name -> (shape of the root, view maker)
VIEWS = {
    "view": ((4, 6), lambda x: x.view(6, 4)),
    "view_-1": ((4, 6), lambda x: x.view(-1)),
    "view_of_view": ((4, 6), lambda x: x.view(2, 12).view(3, 8)),
    "reshape_view": ((4, 6), lambda x: x.reshape(2, 2, 6)),
    "reshape_copy": ((4, 6), lambda x: x.t().reshape(24)),
    "reshape_of_slice_view": ((4, 6), lambda x: x[1:3].reshape(12)),
    "flatten": ((2, 3, 4), lambda x: x.flatten()),
    "flatten_mid": ((2, 3, 4), lambda x: x.flatten(1)),
    "flatten_noncontig": ((2, 3, 4), lambda x: x.transpose(0, 2).flatten()),
    "unflatten": ((4, 6), lambda x: x.unflatten(1, (2, 3))),
    "slice_step": ((4, 6), lambda x: x[::2]),
    "slice_step_cols": ((4, 6), lambda x: x[1:, 1::2]),
    "slice_neg_start": ((4, 6), lambda x: x[-3:-1, :-2]),
    "t": ((4, 6), lambda x: x.t()),
    "T": ((4, 6), lambda x: x.T),
    "mT": ((2, 3, 4), lambda x: x.mT),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "swapaxes": ((2, 3, 4), lambda x: x.swapaxes(1, 2)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "select": ((4, 6), lambda x: x.select(1, 2)),
    "select_neg": ((4, 6), lambda x: x.select(0, -1)),
    "int_index": ((4, 6), lambda x: x[2]),
    "narrow": ((4, 6), lambda x: x.narrow(1, 1, 3)),
    "narrow_neg": ((4, 6), lambda x: x.narrow(0, -2, 2)),
    "diagonal": ((4, 6), lambda x: x.diagonal()),
    "diagonal_off": ((4, 6), lambda x: x.diagonal(2)),
    "diagonal_neg": ((4, 6), lambda x: x.diagonal(-1)),
    "diagonal_3d": ((2, 3, 4), lambda x: x.diagonal(0, 1, 2)),
    "squeeze": ((4, 1, 6), lambda x: x.squeeze()),
    "squeeze_dim": ((4, 1, 6), lambda x: x.squeeze(1)),
    "unsqueeze": ((4, 6), lambda x: x.unsqueeze(1)),
    "unsqueeze_last": ((4, 6), lambda x: x.unsqueeze(-1)),
    "none_index": ((4, 6), lambda x: x[None, :, None]),
    "ellipsis": ((2, 3, 4), lambda x: x[..., 1]),
    "movedim": ((2, 3, 4), lambda x: x.movedim(0, 2)),
    "moveaxis": ((2, 3, 4), lambda x: x.moveaxis((0, 1), (2, 0))),
    "split": ((4, 6), lambda x: x.split(2)),
    "split_uneven": ((5, 6), lambda x: x.split(2)),
    "split_sizes": ((4, 6), lambda x: x.split([1, 3], 0)),
    "split_dim1": ((4, 6), lambda x: x.split(4, 1)),
    "chunk": ((4, 6), lambda x: x.chunk(3, 1)),
    "unbind": ((4, 6), lambda x: x.unbind(0)),
    "unbind_dim1": ((4, 6), lambda x: x.unbind(1)),
    "unfold": ((4, 6), lambda x: x.unfold(1, 2, 2)),
    "unfold_dim0": ((4, 6), lambda x: x.unfold(0, 2, 2)),
    "view_as": ((4, 6), lambda x: x.view_as(x.new_zeros(24))),
    "expand_source": ((4, 1), lambda x: x.expand(4, 3)),
    "as_strided": ((4, 6), lambda x: x.as_strided((3, 2), (1, 6), 2)),
    "as_strided_of_view": ((4, 6), lambda x: x[1:].as_strided((2, 2), (2, 1), 1)),
    "detach": ((4, 6), lambda x: x.detach()),
    "data": ((4, 6), lambda x: x.data),
    "unsqueeze_of_transpose": ((4, 6), lambda x: x.t().unsqueeze(0)),
    "view_of_transpose": ((4, 6), lambda x: x.t().view(2, 3, 4)),
    "chain": ((2, 3, 4), lambda x: x.permute(1, 0, 2)[1:, :, ::2].select(2, 1)),
}

# writes that would overlap (expanded views) are checked separately
_WRITE_THROUGH = [k for k in VIEWS if k not in ("expand_source",)]


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_metadata(name):
    shape, mk = VIEWS[name]

    def f(T):
        x = _x(T, *shape)
        vs = _as_list(mk(x))
        return vs, _meta(x, vs)
    same(f)


@pytest.mark.parametrize("name", _WRITE_THROUGH)
def test_writes_alias(name):
    shape, mk = VIEWS[name]

    def f(T):
        x = _x(T, *shape)
        sib = x.view(-1)
        vs = _as_list(mk(x))
        out = []
        # write through the view
        vs[0].add_(1)
        out.append(_snap(x, sib, vs))
        # setitem through the view
        if vs[0].ndim:
            vs[0][0] = 5
        else:
            vs[0].fill_(5)
        out.append(_snap(x, sib, vs))
        # write through a sibling: the view sees it
        sib.mul_(2)
        out.append(_snap(x, sib, vs))
        # write to the base
        x[0] = -1
        x.sub_(0.5)
        out.append(_snap(x, sib, vs))
        # copy_ into the last view, zero_ the first
        vs[-1].copy_(T.ones(vs[-1].shape) * 7)
        out.append(_snap(x, sib, vs))
        vs[0].zero_()
        out.append(_snap(x, sib, vs))
        return out
    same(f)


def test_expand_write_to_base_visible():
    def f(T):
        x = _x(T, 4, 1)
        e = x.expand(4, 3)
        x.mul_(3)
        return e.clone(), e.stride(), e._base is x
    same(f)


@pytest.mark.parametrize("write", ["add_", "zero_", "fill_", "copy_", "setitem"])
def test_expand_write_raises(write):
    def f(T):
        x = _x(T, 3)
        e = x.expand(2, 3)
        if write == "add_":
            e.add_(1)
        elif write == "zero_":
            e.zero_()
        elif write == "fill_":
            e.fill_(2)
        elif write == "copy_":
            e.copy_(T.ones(2, 3))
        else:
            e[0] = 1
        return x
    same(f)


def test_expand_write_raises_unchanged():
    def f(T):
        x = _x(T, 3)
        e = x.expand(2, 3)
        try:
            e.add_(1)
        except RuntimeError:
            pass
        return x, x._version
    same(f)


def test_expand_size1_stride0_write_ok():
    # a broadcast dimension of size 1 is not an overlap
    def f(T):
        x = _x(T, 3)
        e = x.expand(1, 3)
        e.add_(1)
        return x, e, e.stride()
    same(f)


def test_reshape_copy_not_aliased():
    def f(T):
        x = _x(T, 4, 6)
        r = x.t().reshape(-1)
        r.add_(100)
        return x, r, r._base is x, r.is_contiguous()
    same(f)


def test_contiguous_of_view():
    def f(T):
        x = _x(T, 4, 6)
        c = x.contiguous()
        t = x.t()
        tc = t.contiguous()
        tc.add_(1)
        c.mul_(2)
        return c is x, tc is t, tc._base is x, x, tc, tc.is_contiguous(), t.is_contiguous()
    same(f)


@pytest.mark.parametrize("case", ["transpose", "slice_step", "permute", "expand"])
def test_view_non_viewable_raises(case):
    def f(T):
        x = _x(T, 4, 6)
        if case == "transpose":
            return x.t().view(24)
        if case == "slice_step":
            return x[:, ::2].view(12)
        if case == "permute":
            return x.view(2, 2, 6).permute(1, 0, 2).view(4, 6)
        return x[:, :1].expand(4, 6).view(24)
    same(f)


@pytest.mark.parametrize("case", ["transpose_split", "slice_merge", "size1_dims", "expand_ok", "empty"])
def test_view_viewable_noncontiguous(case):
    def f(T):
        x = _x(T, 4, 6)
        if case == "transpose_split":
            v = x.t().view(2, 3, 4)
        elif case == "slice_merge":
            v = x[1:3].view(2, 2, 3)
        elif case == "size1_dims":
            v = x[:, 1:2].view(1, 4, 1)
        elif case == "expand_ok":
            v = x[:, :1].expand(4, 6).view(4, 2, 3)
        else:
            v = x[:0].view(0, 3, 2)
        return v, v.stride(), v.storage_offset(), v.is_contiguous(), v._base is x
    same(f)


@pytest.mark.parametrize("case", ["bad_numel", "two_minus_one", "view_bad"])
def test_view_shape_errors(case):
    def f(T):
        x = _x(T, 4, 6)
        if case == "bad_numel":
            return x.view(5, 5)
        if case == "two_minus_one":
            return x.reshape(-1, -1)
        return x.view(7, -1)
    same(f)


def test_views_of_views_base_is_root():
    def f(T):
        x = _x(T, 4, 6)
        a = x[1:]
        b = a.t()
        c = b[0]
        d = c.view(3)
        return [v._base is x for v in (a, b, c, d)], d.storage_offset(), d.stride()
    same(f)


def test_detach_shares_version_data_does_not():
    def f(T):
        x = _x(T, 4)
        x.add_(1)
        x.add_(1)
        d = x.detach()
        dd = x.data
        out = [x._version, d._version, dd._version, d._base is None, dd._base is None, d._is_view(), dd._is_view()]
        d.add_(1)
        out.append((x._version, d._version, dd._version))
        dd.add_(1)
        out.append((x._version, d._version, dd._version))
        return out, x
    same(f)


def test_detach_of_requires_grad_writes_reach_base():
    def f(T):
        x = T.tensor(data(2, 3), requires_grad=True)
        d = x.detach()
        d[0, 0] = 10
        x.data[1].zero_()
        return x, d, d.requires_grad
    same(f)


def test_data_setter_replaces_storage():
    def f(T):
        x = T.tensor(data(2, 3), requires_grad=True)
        v = x.detach()
        x.data = T.zeros(3, 2)
        x.data.add_(1)
        return x, v, x.shape, x.requires_grad
    same(f)


def test_views_are_independent_objects():
    def f(T):
        x = _x(T, 4, 6)
        a, b = x[0], x[0]
        a.add_(1)
        return a is b, b, x
    same(f)


def test_write_base_then_read_old_views():
    def f(T):
        x = _x(T, 3, 4)
        views = [x[1], x[:, 2], x.t(), x.diagonal(), x.view(12)[::5], x.unsqueeze(0), x.split(1, 1)[3]]
        x.copy_(T.arange(12.).view(3, 4))
        x[1:, 1:] *= -1
        return views
    same(f)


def test_inplace_on_int_views():
    def f(T):
        x = T.tensor(data(3, 4, dtype=np.int64, low=-5, high=5))
        v = x.t()[1:]
        v.mul_(3)
        v[0] = 7
        x.diagonal().fill_(-1)
        return x, v
    same(f)


def test_view_ops_on_zero_dim():
    def f(T):
        x = T.tensor(3.0)
        vs = [x.view(1), x.reshape(1, 1), x.unsqueeze(0), x.expand(3), x.squeeze(), x.flatten(), x.t(), x[None],
              x[...]]
        x.add_(1)
        return vs, _meta(x, vs)
    same(f)


def test_unbind_setitem_sees_base():
    def f(T):
        x = _x(T, 3, 2)
        rows = x.unbind()
        for i, r in enumerate(rows):
            r[1] = i * 10
        return x, rows
    same(f)


def test_storage_offset_and_strides_through_chain():
    def f(T):
        x = _x(T, 3, 4, 5)
        v = x[1:, ::2, 1:4:2].transpose(0, 2).unsqueeze(1)
        return v.shape, v.stride(), v.storage_offset(), v.is_contiguous(), v
    same(f)


# ---- in-place view ops ------------------------------------------------------------
INPLACE_VIEWS = {
    "t_": lambda x: x.t_(),
    "transpose_": lambda x: x.transpose_(0, 1),
    "swapaxes_": lambda x: x.swapaxes_(1, 0),
    "swapdims_": lambda x: x.swapdims_(0, -1),
    "unsqueeze_": lambda x: x.unsqueeze_(1),
    "squeeze_": lambda x: x.unsqueeze_(0).squeeze_(),
    "squeeze_dim": lambda x: x.unsqueeze_(2).squeeze_(2),
    "squeeze_dims": lambda x: x.unsqueeze_(0).unsqueeze_(0).squeeze_((0, 1)),
    "as_strided_": lambda x: x.as_strided_((3, 2), (1, 4), 1),
}


@pytest.mark.parametrize("name", list(INPLACE_VIEWS))
def test_inplace_view_ops(name):
    def f(T):
        x = _x(T, 3, 4)
        sib = x.view(12)
        v0 = x._version
        r = INPLACE_VIEWS[name](x)
        meta = (r is x, x.shape, x.stride(), x.storage_offset(), x.is_contiguous(), x._base is None,
                x._version - v0)
        x.mul_(10)
        after_mul = sib.clone()
        sib.add_(1)
        y = x.reshape(-1)
        y2 = x[0]
        y2.zero_()
        return meta, after_mul, x, sib, y, y._base is x, y2._base is x
    same(f)


@pytest.mark.parametrize("name", list(INPLACE_VIEWS))
def test_inplace_view_ops_autograd(name):
    def f(T):
        a = _x(T, 3, 4, requires_grad=True)
        b = a * 2
        v = b.view(12)
        INPLACE_VIEWS[name](b)
        names = (b.grad_fn.name(), [n.name() if n else None for n, _ in b.grad_fn.next_functions])
        b.mul_(T.tensor(data(*b.shape, seed=2)))
        w = b.flatten()[:3]
        w.sin_()
        (b.sum() + (v * T.arange(12.0)).sum()).backward()
        return names, b, v, v.grad_fn.name(), b.grad_fn.name(), a.grad
    same(f)


def test_inplace_view_ops_on_leaf_and_views():
    def f(T):
        out = []
        a = _x(T, 3, 4, requires_grad=True)
        for fn in (lambda: a.t_(), lambda: a.unsqueeze_(0), lambda: a[0].unsqueeze_(0)):
            try:
                fn()
                out.append("ok")
            except RuntimeError as e:
                out.append("view" if "view" in str(e) else "leaf")
        x = _x(T, 3, 4)
        v = x[1]
        v.unsqueeze_(0)
        v.fill_(7)
        out.append((v.shape, v._base is x, x))
        try:
            T.zeros(2, 3, 4).t_()
        except RuntimeError:
            out.append("t_ 3d raised")
        return out
    same(f)


# ---- random view chains (property-based) ------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402


def _draw_view(draw, shape):
    """One view op valid for ``shape``: (name, args)."""
    nd = len(shape)
    choices = ["unsqueeze", "view_flat", "expand_new"]
    if nd:
        choices += ["slice", "select", "transpose", "permute", "narrow", "unbind", "split"]
        if any(n == 1 for n in shape):
            choices.append("squeeze")
    if nd >= 2:
        choices += ["diagonal", "movedim"]
    if nd == 2:
        choices.append("t")
    name = draw(st.sampled_from(choices))
    d = draw(st.integers(0, max(nd - 1, 0)))
    if name == "slice":
        n = shape[d]
        start = draw(st.integers(0, max(n - 1, 0)))
        return name, (d, start, draw(st.integers(start, n)), draw(st.integers(1, 3)))
    if name in ("select", "unbind"):
        if shape[d] == 0:
            return "unsqueeze", (0,)
        return name, (d, draw(st.integers(-shape[d], shape[d] - 1)))
    if name == "narrow":
        start = draw(st.integers(0, shape[d]))
        return name, (d, start, draw(st.integers(0, shape[d] - start)))
    if name == "split":
        return name, (d, draw(st.integers(1, max(shape[d], 1))))
    if name == "transpose":
        return name, (d, draw(st.integers(0, nd - 1)))
    if name == "permute":
        return name, tuple(draw(st.permutations(range(nd))))
    if name == "unsqueeze":
        return name, (draw(st.integers(0, nd)),)
    if name == "squeeze":
        return name, ([k for k, n in enumerate(shape) if n == 1][0],)
    if name == "diagonal":
        d2 = draw(st.integers(0, nd - 1).filter(lambda k: k != d))
        return name, (draw(st.integers(-2, 2)), d, d2)
    if name == "movedim":
        return name, (d, draw(st.integers(0, nd - 1)))
    if name == "expand_new":
        return name, (draw(st.integers(1, 1)),)
    return name, ()


def _apply_view(x, name, args):
    if name == "slice":
        d, a, b, s = args
        return x[(slice(None),) * d + (slice(a, b, s),)]
    if name == "select":
        return x.select(*args)
    if name == "unbind":
        return x.unbind(args[0])[args[1]]
    if name == "narrow":
        return x.narrow(*args)
    if name == "split":
        return x.split(args[1], args[0])[-1]
    if name == "view_flat":
        return x.reshape(-1) if not x.is_contiguous() else x.view(-1)
    if name == "expand_new":
        return x.expand(args[0], *x.shape)
    return getattr(x, name)(*args)


@st.composite
def _programs(draw):
    import torch
    x = torch.zeros(3, 4, 5)
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        name, args = _draw_view(draw, tuple(x.shape))
        ops.append((name, args))
        x = _apply_view(x, name, args)
    write = draw(st.sampled_from(["add_", "mul_", "zero_", "fill_", "setitem", "copy_", "base_write"]))
    return ops, write


@settings(max_examples=40, deadline=None)
@given(_programs())
def test_random_view_chains_alias(program):
    ops, write = program

    def f(T):
        x = T.tensor(data(3, 4, 5, seed=7))
        views = [x]
        for name, args in ops:
            views.append(_apply_view(views[-1], name, args))
        v = views[-1]
        meta = [(tuple(w.shape), w.stride(), w.storage_offset(), w.is_contiguous()) for w in views]
        if write == "base_write":
            x.mul_(-2)
        elif write == "setitem" and v.ndim:
            v[0] = 9.0
        elif write == "copy_":
            v.copy_(T.arange(float(v.numel())).reshape(v.shape))
        elif write in ("add_", "mul_"):
            getattr(v, write)(3.0)
        elif write == "fill_":
            v.fill_(-4)
        else:
            v.zero_()
        return meta, [w.clone() for w in views], x._version, v._version
    same(f)


def test_view_ops_that_record_nothing_alias_and_read_like_pytorch():
    """View ops on tensors that need no grad (or under no_grad) are made from their layouts; every
    alias still sees every write, and values, shapes, strides and flags are PyTorch's."""
    base = data(3, 4)

    def f(T):
        x = T.tensor(base)
        vs = [x.view(12), x.t(), x.transpose(0, 1)[1], x.unsqueeze(0), *x.split(2, 1), *x.chunk(2),
              *x.unbind(0), x.diagonal(), x.expand(2, 3, 4), x.narrow(1, 1, 2), x.permute(1, 0), x[None, 1:, ::2],
              x.view(2, 6)[1], x.unflatten(1, (2, 2))]
        x[1, 1:3] = -5.0
        vs[0][0] = 9.0
        out = [(v, v.stride(), v.storage_offset(), v.is_contiguous(), v._base is x) for v in vs]
        w = T.tensor(base, requires_grad=True)
        with T.no_grad():
            nv = w.view(12)
        out.append((nv, nv.requires_grad, nv.is_leaf, nv.grad_fn))
        out.append([float(v) for v in x.t()[2]])
        return out
    same(f)


# views PyTorch records (not .detach()/.data, which leave the graph)
_RECORDED = [k for k in VIEWS if k not in ("detach", "data")]


@pytest.mark.parametrize("pending", [False, True], ids=["leaf", "pending"])
@pytest.mark.parametrize("name", _RECORDED)
def test_recorded_views(name, pending):
    """View ops that autograd records (the input requires grad) are made from their layouts: no
    program runs to make them, and a pending input (``x = leaf * 2``, deferred) stays pending. Their
    grad_fn names, layouts, values, the products read through them, gradients (through ``x @ v``-style
    consumers), and the version checks after a write to the base are PyTorch's."""
    shape, mk = VIEWS[name]

    def f(T):
        leaf = _x(T, *shape, seed=1).requires_grad_()
        x = leaf * 2 if pending else leaf
        vs = _as_list(mk(x))
        out = [(v.grad_fn.name() if v.grad_fn is not None else None, v.requires_grad, v.is_leaf, tuple(v.shape),
                tuple(v.stride()), v.storage_offset(), v._base is x) for v in vs]
        ys = [(v * v.new_tensor(data(*v.shape, seed=3)) + 1).sin().sum() for v in vs]
        total = ys[0]
        for y in ys[1:]:
            total = total + y
        out.append(total)
        total.backward()
        out.append(leaf.grad)
        out.append([v.detach().clone() for v in vs])
        return out
    same(f)


@pytest.mark.parametrize("name", ["t", "select", "split", "slice_step_cols", "view_of_transpose"])
def test_recorded_view_then_base_written(name):
    """A recorded view of a tensor written in place afterwards: reading the view sees the write, and
    backward through a node that saved the base raises PyTorch's version error (or, where nothing
    was saved, gives PyTorch's gradient)."""
    shape, mk = VIEWS[name]

    def f(T):
        leaf = _x(T, *shape, seed=2).requires_grad_()
        x = leaf * 1
        v = _as_list(mk(x))[0]
        y = (v * v).sum()
        x.mul_(3)
        out = [v.detach().clone(), v.grad_fn.name(), x._version, v._version]
        try:
            y.backward()
            out.append(leaf.grad)
        except RuntimeError as e:
            out.append(type(e).__name__)
        return out
    same(f)


MULTI_WRITES = {
    "split_add_": lambda y: y.split(2)[0].add_(1),
    "split_one_output": lambda y: y.split(4)[0].mul_(2),
    "chunk_zero_": lambda y: y.chunk(2, 1)[1].zero_(),
    "split_sizes": lambda y: y.split([1, 3])[1].add_(1),
    "unbind_setitem": lambda y: y.unbind()[2].__setitem__(0, 5.0),
    "unbind_copy_": lambda y: y.unbind(1)[0].copy_(y.new_ones(4)),
    "view_of_split": lambda y: y.split(2)[1].t().add_(1),
    "setitem_on_split": lambda y: y.split(2)[0].__setitem__(0, 5.0),
    "tensor_split_ok": lambda y: y.tensor_split(2)[0].add_(1),
    "unsafe_split_ok": lambda y: y.unsafe_split(2)[0].add_(1),
    "unsafe_chunk_ok": lambda y: y.unsafe_chunk(3, 1)[2].add_(1),
    "unsafe_split_with_sizes_ok": lambda y: y.unsafe_split_with_sizes([3, 1])[1].add_(1),
    "no_grad_input_ok": lambda y: y.detach().split(2)[0].add_(1),
}


@pytest.mark.parametrize("name", list(MULTI_WRITES))
def test_write_into_multi_output_view(name):
    """Outputs of a function that returns several views (split, chunk, unbind), and views of them,
    may not be written in place while autograd records: PyTorch's RuntimeError and text; the
    unsafe forms (copies, with their own grad_fn) and tensor_split may, with PyTorch's gradients."""
    def f(T):
        leaf = _x(T, 4, 6, seed=3).requires_grad_()
        y = leaf * 1
        out = MULTI_WRITES[name](y)
        r = out[0] if isinstance(out, (tuple, list)) else out
        if r is None:
            return y
        (r * r).sum().backward()
        return r, r.grad_fn.name(), r._is_view(), leaf.grad
    same(f)


def test_multi_output_view_after_base_written():
    """A recorded split's output whose base is then written in place: using it raises PyTorch's error."""
    def f(T):
        leaf = _x(T, 4, 6, seed=3).requires_grad_()
        y = leaf * 1
        v = y.split(2)[0]
        y.mul_(2)
        return (v * 2).sum()
    same(f)


def test_matmul_with_recorded_transpose_in_a_step():
    """``x @ w.t() + b`` by hand, as tutorials write it, over several steps with SGD by hand: the
    transposed weight is read inside the step's program; losses and weights are PyTorch's."""
    def f(T):
        x, y = T.tensor(data(8, 5, seed=4)), T.tensor(data(8, 3, seed=5))
        w1, b1 = T.tensor(data(6, 5, seed=6), requires_grad=True), T.tensor(data(6, seed=7), requires_grad=True)
        w2, b2 = T.tensor(data(3, 6, seed=8), requires_grad=True), T.tensor(data(3, seed=9), requires_grad=True)
        losses = []
        for _ in range(5):
            h = (x @ w1.t() + b1).relu()
            loss = ((h @ w2.t() + b2 - y) ** 2).mean()
            loss.backward()
            with T.no_grad():
                for p in (w1, b1, w2, b2):
                    p -= 0.01 * p.grad
                    p.grad.zero_()
            losses.append(loss.item())
        return losses, w1, b1, w2, b2, h.grad_fn.name()
    same(f, rtol=1e-5, atol=1e-6)


def test_expand_is_a_view_at_any_size():
    def f(T):
        e = T.ones(1).expand(10 ** 13)
        return e.shape, e.stride(), e[5:8], e[10 ** 12], str(e[:4])
    same(f)
