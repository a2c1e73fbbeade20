"""Mixed precision against PyTorch 2.13 on CPU: torch.autocast / torch.amp.autocast (which ops run in
bf16/fp16, which in float32, which follow their inputs), nesting, enabled=False, the decorator form,
the deprecated torch.cpu/torch.cuda spellings, custom_fwd/custom_bwd, and torch.amp.GradScaler
(a training step under autocast + GradScaler, the scale trajectory, state_dict, errors)."""
import threading
import warnings

import numpy as np
import pytest
import torch

import torchlike
from harness import LIBS, data, same, same_message

BF16_TOL = dict(rtol=2e-2, atol=2e-2)


def _inputs(T, dt):
    t = lambda a: T.tensor(a).to(getattr(T, dt))  # noqa: E731
    return dict(x=t(data(4, 8, seed=1)), w=t(data(6, 8, seed=2)), b=t(data(6, seed=3)),
                img=t(data(1, 3, 6, 6, seed=4)), cw=t(data(4, 3, 3, 3, seed=5)), seq=t(data(1, 3, 10, seed=6)),
                cw1=t(data(4, 3, 3, seed=7)), B=t(data(2, 4, 8, seed=8)), B2=t(data(2, 8, 5, seed=9)),
                C=t(data(2, 4, 5, seed=10)), tgt=T.tensor([0, 1, 2, 3]), y=t(data(4, 8, seed=11)),
                vol=t(data(1, 2, 4, 4, 4, seed=12)))


OPS = {
    "linear": lambda T, F, i: F.linear(i["x"], i["w"], i["b"]),
    "conv1d": lambda T, F, i: F.conv1d(i["seq"], i["cw1"]),
    "conv2d": lambda T, F, i: F.conv2d(i["img"], i["cw"], padding=1),
    "conv_transpose2d": lambda T, F, i: F.conv_transpose2d(i["img"], i["cw"].transpose(0, 1)),
    "matmul": lambda T, F, i: T.matmul(i["x"], i["w"].t()),
    "matmul_op": lambda T, F, i: i["x"] @ i["w"].t(),
    "matmul_vec": lambda T, F, i: i["x"] @ i["x"][0],
    "mm": lambda T, F, i: T.mm(i["x"], i["w"].t()),
    "mm_method": lambda T, F, i: i["x"].mm(i["w"].t()),
    "bmm": lambda T, F, i: T.bmm(i["B"], i["B2"]),
    "addmm": lambda T, F, i: T.addmm(i["b"], i["x"], i["w"].t()),
    "baddbmm": lambda T, F, i: T.baddbmm(i["C"], i["B"], i["B2"]),
    "addbmm": lambda T, F, i: T.addbmm(i["C"][0], i["B"], i["B2"]),
    "einsum": lambda T, F, i: T.einsum("ij,kj->ik", i["x"], i["w"]),
    "einsum_mul": lambda T, F, i: T.einsum("ij,ij->ij", i["x"], i["y"]),
    "einsum_rowdot": lambda T, F, i: T.einsum("ij,ij->i", i["x"], i["y"]),
    "einsum_one": lambda T, F, i: T.einsum("ij->i", i["x"]),
    "einsum_outer": lambda T, F, i: T.einsum("i,j", i["b"], i["b"]),
    "einsum_implicit": lambda T, F, i: T.einsum("ij,kj", i["x"], i["y"]),
    "einsum_list": lambda T, F, i: T.einsum("ij,jk,kl->il", [i["x"], i["y"].t(), i["x"]]),
    "tensordot": lambda T, F, i: T.tensordot(i["x"], i["y"], dims=([1], [1])),
    "tensordot_vec": lambda T, F, i: T.tensordot(i["b"], i["b"], dims=1),
    "inner": lambda T, F, i: T.inner(i["x"], i["y"]),
    "inner_vec": lambda T, F, i: T.inner(i["b"], i["b"]),
    "multi_dot": lambda T, F, i: T.linalg.multi_dot([i["x"], i["y"].t(), i["x"]]),
    "vecdot": lambda T, F, i: T.linalg.vecdot(i["x"], i["y"]),
    "sdpa": lambda T, F, i: F.scaled_dot_product_attention(i["B"], i["B"], i["B"]),
    "softmax": lambda T, F, i: F.softmax(i["x"], -1),
    "log_softmax": lambda T, F, i: F.log_softmax(i["x"], -1),
    "layer_norm": lambda T, F, i: F.layer_norm(i["x"], (8,)),
    "cross_entropy": lambda T, F, i: F.cross_entropy(i["x"], i["tgt"]),
    "nll_loss": lambda T, F, i: F.nll_loss(i["x"], i["tgt"]),
    "mse_loss": lambda T, F, i: F.mse_loss(i["x"], i["y"]),
    "l1_loss": lambda T, F, i: F.l1_loss(i["x"], i["y"]),
    "smooth_l1_loss": lambda T, F, i: F.smooth_l1_loss(i["x"], i["y"]),
    "bce_with_logits": lambda T, F, i: F.binary_cross_entropy_with_logits(i["x"], i["y"].sigmoid()),
    "kl_div": lambda T, F, i: F.kl_div(i["x"], i["y"].softmax(-1), reduction="batchmean"),
    "sum": lambda T, F, i: i["x"].sum(),
    "prod": lambda T, F, i: i["x"][0].prod(),
    "cdist": lambda T, F, i: T.cdist(i["x"], i["y"]),
    "relu": lambda T, F, i: F.relu(i["x"]),
    "gelu": lambda T, F, i: F.gelu(i["x"]),
    "add": lambda T, F, i: i["x"] + i["y"],
    "mv": lambda T, F, i: T.mv(i["w"], i["x"][0]),
    "max_pool2d": lambda T, F, i: F.max_pool2d(i["img"], 2),
    "avg_pool3d": lambda T, F, i: F.avg_pool3d(i["vol"], 2),
    "batch_norm": lambda T, F, i: F.batch_norm(i["img"], None, None, training=True),
    "mm_float64": lambda T, F, i: T.mm(i["x"].double(), i["w"].double().t()),
    "mm_int": lambda T, F, i: T.mm(i["tgt"][:, None], i["tgt"][None]),
    "softmax_dtype": lambda T, F, i: F.softmax(i["x"], -1, dtype=T.float64),
    "rfft": lambda T, F, i: T.fft.rfft(i["x"]).abs(),
    "linalg_inv": lambda T, F, i: T.linalg.inv(i["x"][:, :4] + 4 * T.eye(4, dtype=i["x"].dtype)),
}


@pytest.mark.parametrize("autocast_dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("input_dtype", ["float32", "bfloat16"])
def test_op_dtypes_under_autocast(autocast_dtype, input_dtype):
    """Each op's result dtype (exact) and values (within bf16/fp16 tolerance) under CPU autocast."""
    for name, op in OPS.items():
        def fn(T, op=op):
            i = _inputs(T, input_dtype)
            with T.autocast("cpu", dtype=getattr(T, autocast_dtype)):
                return op(T, T.nn.functional, i)
        same(fn, check_grad_fn=False, rtol=3e-2, atol=6e-2)


def test_outside_autocast_nothing_is_cast():
    def fn(T):
        i = _inputs(T, "float32")
        with T.autocast("cpu"):
            pass
        return T.nn.functional.linear(i["x"], i["w"], i["b"]), i["x"] @ i["w"].t(), T.mm(i["x"], i["w"].t())
    same(fn)
    # the wrappers are gone: the functions are the originals again
    assert not hasattr(torchlike.mm, "__wrapped_by_autocast__")
    assert not hasattr(torchlike.nn.functional.linear, "__wrapped_by_autocast__")
    assert not hasattr(torchlike.Tensor.__matmul__, "__wrapped_by_autocast__")


def test_modules_and_gradients_under_autocast():
    """A model's forward under autocast: layer outputs in bf16, the loss in float32, float32 gradients
    reaching the float32 parameters."""
    def fn(T):
        T.manual_seed(0)
        conv = T.nn.Conv2d(3, 4, 3)
        lin = T.nn.Linear(4 * 4 * 4, 5)
        with T.no_grad():
            for p, s in zip([*conv.parameters(), *lin.parameters()], range(10, 20)):
                p.copy_(T.tensor(data(*p.shape, seed=s, low=-0.3, high=0.3)))
        img = T.tensor(data(2, 3, 6, 6, seed=1))
        with T.autocast("cpu", dtype=T.bfloat16):
            h = conv(img)
            a = T.relu(h)
            out = lin(a.flatten(1))
            loss = T.nn.functional.cross_entropy(out, T.tensor([1, 3]))
        loss.backward()
        return h, a, out, loss, conv.weight.grad, lin.weight.grad, lin.bias.grad
    same(fn, check_grad_fn=False, **BF16_TOL)
    same(lambda T: [t.dtype for t in fn(T)])


def _train(T, steps, *, inject=(), dtype="bfloat16", scaler_kw=None):
    """A small MLP trained under autocast + GradScaler; inf injected into the loss at ``inject`` steps."""
    model = T.nn.Sequential(T.nn.Linear(8, 16), T.nn.ReLU(), T.nn.Linear(16, 4))
    with T.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(T.tensor(data(*p.shape, seed=30 + k, low=-0.4, high=0.4)))
    opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = T.amp.GradScaler("cpu", **(scaler_kw or dict(init_scale=2.0 ** 10, growth_interval=2)))
    x, y = T.tensor(data(16, 8, seed=3)), T.tensor(data(16, seed=4, low=0, high=3, dtype=np.int64))
    trace = []
    for step in range(steps):
        opt.zero_grad()
        with T.autocast("cpu", dtype=getattr(T, dtype)):
            out = model(x)
            loss = T.nn.functional.cross_entropy(out, y)
        if step in inject:
            loss = loss * float("inf")
        scaled = scaler.scale(loss)
        scaled.backward()
        ret = scaler.step(opt)
        scaler.update()
        trace.append((out.dtype, loss.dtype, scaled.dtype, ret, scaler.get_scale(), scaler.state_dict()))
    return trace, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_training_step_with_grad_scaler(dtype):
    def run(T):
        return _train(T, 7, inject=(2, 5), dtype=dtype)
    expected, actual = run(torch), run(torchlike)
    (e_trace, e_params), (a_trace, a_params) = expected, actual
    # dtypes, skipped steps and the scale trajectory: exact
    assert [(str(a), str(b), str(c), r, s, d) for a, b, c, r, s, d in a_trace] == \
           [(str(a), str(b), str(c), r, s, d) for a, b, c, r, s, d in e_trace]
    for e, a in zip(e_params, a_params):
        np.testing.assert_allclose(a.numpy(), e.numpy(), **BF16_TOL)


def test_nesting_enabled_false_and_state():
    def fn(T):
        x, w = T.tensor(data(3, 4, seed=1)), T.tensor(data(4, 2, seed=2))
        out = [T.is_autocast_enabled("cpu"), T.get_autocast_dtype("cpu"), T.is_autocast_enabled()]
        with T.autocast("cpu"):
            out += [T.is_autocast_enabled("cpu"), T.get_autocast_dtype("cpu"), T.mm(x, w).dtype]
            with T.autocast("cpu", enabled=False):
                out += [T.is_autocast_enabled("cpu"), T.mm(x, w).dtype]
                with T.autocast("cpu", dtype=T.float16):
                    out += [T.get_autocast_dtype("cpu"), T.mm(x, w).dtype]
                out += [T.get_autocast_dtype("cpu"), T.mm(x, w).dtype]
            out += [T.is_autocast_enabled("cpu"), (x @ w).dtype]
            with T.amp.autocast(device_type="cpu", dtype=T.float16):
                out += [T.mm(x, w).dtype]
            out += [T.mm(x, w).dtype]
        out += [T.is_autocast_enabled("cpu"), T.get_autocast_dtype("cpu"), T.mm(x, w).dtype]
        out += [T.autocast is T.amp.autocast, T.amp.is_autocast_available("cpu"),
                T.amp.is_autocast_available("cuda")]
        return out
    same(fn)


def test_decorator_and_exceptions_restore_state():
    def fn(T):
        x, w = T.tensor(data(3, 4, seed=1)), T.tensor(data(4, 2, seed=2))

        @T.autocast("cpu", dtype=T.bfloat16)
        def f(a, b):
            return T.mm(a, b), T.is_autocast_enabled("cpu")

        @T.autocast("cpu")
        def boom():
            raise KeyError("x")
        try:
            boom()
        except KeyError:
            pass
        return [*f(x, w), *f(x, w), T.is_autocast_enabled("cpu"), T.mm(x, w).dtype, f.__name__]
    same(fn)


def test_autocast_state_is_thread_local():
    seen = {}

    def worker(T):
        seen[T.__name__] = (T.is_autocast_enabled("cpu"), T.mm(T.ones(2, 2), T.ones(2, 2)).dtype)

    for T in LIBS:
        with T.autocast("cpu"):
            t = threading.Thread(target=worker, args=(T,))
            t.start()
            t.join()
    assert str(seen["torch"]) == str(seen["torchlike"]).replace("torchlike", "torch")


def _warnings_of(fn):
    out = []
    for T in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = fn(T)
            except Exception as e:  # noqa: BLE001 - compared
                r = (type(e).__name__, str(e))
        out.append((r, [(x.category.__name__, str(x.message)) for x in w]))
    return out


@pytest.mark.parametrize("args", [
    ("cpu", "float32"), ("cpu", "float64"), ("cpu", "int32"), ("cuda", None), ("cuda", "bfloat16"),
])
def test_unsupported_dtypes_and_devices_warn_and_disable(args):
    if args[0] == "cuda" and torchlike.cuda.is_available():
        pytest.skip("a GPU is present")

    def fn(T):
        dev, dt = args
        with T.autocast(dev, dtype=None if dt is None else getattr(T, dt)):
            return T.is_autocast_enabled("cpu"), str(T.mm(T.ones(2, 2), T.ones(2, 2)).dtype)
    e, a = _warnings_of(fn)
    assert e == a


@pytest.mark.parametrize("call", [
    lambda T: T.autocast("foo"), lambda T: T.autocast(3), lambda T: T.autocast("cpu", enabled="yes").__enter__(),
    lambda T: T.autocast("cpu", dtype="bf16").__enter__(), lambda T: T.amp.is_autocast_available("foo"),
    lambda T: T.get_autocast_dtype("foo"),
])
@pytest.mark.filterwarnings("ignore:In CPU autocast")
def test_autocast_errors(call):
    def fn(T):
        try:
            return call(T)
        finally:
            T.set_autocast_enabled("cpu", False)
            T.set_autocast_dtype("cpu", T.bfloat16)
    same(fn)
    same_message(fn)


def test_deprecated_spellings_warn():
    def fn(T):
        with T.cpu.amp.autocast():
            a = T.mm(T.ones(2, 2), T.ones(2, 2)).dtype
        with T.cpu.amp.autocast(dtype=T.float16):
            b = T.mm(T.ones(2, 2), T.ones(2, 2)).dtype
        s = T.cpu.amp.GradScaler(init_scale=8.0)
        return str(a), str(b), s.get_scale(), s.is_enabled(), T.cpu.is_available(), T.cpu.device_count(), \
            T.cpu.current_device()
    e, a = _warnings_of(fn)
    assert e == a
    if not torchlike.cuda.is_available():
        def cuda_fn(T):
            with T.cuda.amp.autocast():
                pass
            return T.cuda.amp.GradScaler().is_enabled(), T.amp.GradScaler().is_enabled()
        e, a = _warnings_of(cuda_fn)
        assert e == a


def test_custom_fwd_bwd():
    def fn(T):
        class MyMM(T.autograd.Function):
            @staticmethod
            @T.amp.custom_fwd(device_type="cpu")
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a.mm(b)

            @staticmethod
            @T.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g.mm(b.t()), a.t().mm(g)

        class Fp32MM(MyMM):
            @staticmethod
            @T.amp.custom_fwd(device_type="cpu", cast_inputs=T.float32)
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a.mm(b), T.is_autocast_enabled("cpu")

            @staticmethod
            @T.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g, _):
                a, b = ctx.saved_tensors
                return g.mm(b.t()), a.t().mm(g)

        a = T.tensor(data(3, 4, seed=1), requires_grad=True)
        b = T.tensor(data(4, 2, seed=2), requires_grad=True)
        with T.autocast("cpu"):
            y = MyMM.apply(a, b)
            z, inner = Fp32MM.apply(a.bfloat16(), b)
        (y.float().sum() + z.sum()).backward()
        return y, z, inner, a.grad, b.grad
    same(fn, check_grad_fn=False, **BF16_TOL)


def test_grad_scaler_api():
    def fn(T):
        s = T.amp.GradScaler("cpu", init_scale=4.0, growth_factor=3.0, backoff_factor=0.25, growth_interval=3)
        out = [s.get_scale(), s.is_enabled(), s.state_dict(), s.get_growth_factor(), s.get_backoff_factor(),
               s.get_growth_interval()]
        out += [s.scale(T.tensor(2.0)), s.scale([T.tensor(1.0), (T.tensor(2.0),)]),
                s.scale(T.tensor([1.0], dtype=T.float16))]
        p = T.nn.Parameter(T.ones(3))
        opt = T.optim.SGD([p], lr=0.1)
        for g in [1.0, float("inf"), 1.0, 1.0, 1.0, float("nan"), 2.0]:
            opt.zero_grad()
            s.scale((p * g).sum()).backward()
            s.unscale_(opt)
            out += [p.grad.clone(), s.step(opt), p.detach().clone()]
            s.update()
            out += [s.get_scale(), s.state_dict()]
        s.update(16.0)
        out.append(s.get_scale())
        s.update(T.tensor(2.0))
        out.append(s.get_scale())
        s2 = T.amp.GradScaler("cpu")
        s2.load_state_dict({"scale": 8.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 5,
                            "_growth_tracker": 2})
        out += [s2.state_dict(), s2.get_scale()]
        off = T.amp.GradScaler("cpu", enabled=False)
        out += [off.scale(T.tensor(3.0)), off.get_scale(), off.state_dict(), off.step(opt), off.update(),
                off.is_enabled(), off.load_state_dict({})]
        return out
    same(fn)


@pytest.mark.parametrize("call", [
    lambda T, s, opt: s.update(),
    lambda T, s, opt: s.step(opt),
    lambda T, s, opt: s.unscale_(opt),
    lambda T, s, opt: s.load_state_dict({}),
    lambda T, s, opt: s.scale(3.0),
    lambda T, s, opt: T.amp.GradScaler("cpu", growth_factor=0.5),
    lambda T, s, opt: T.amp.GradScaler("cpu", backoff_factor=1.5),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.unscale_(opt), s.unscale_(opt)),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.step(opt), s.step(opt)),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.step(opt), s.unscale_(opt)),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.step(opt, closure=lambda: 0)),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.update()),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.update(T.tensor([2.0]))),
    lambda T, s, opt: (s.scale(T.tensor(1.0)), s.update(T.tensor([2.0, 3.0]))),
])
def test_grad_scaler_errors(call):
    def fn(T):
        p = T.nn.Parameter(T.ones(2))
        p.grad = T.ones(2)
        return call(T, T.amp.GradScaler("cpu"), T.optim.SGD([p], lr=0.1))
    same(fn)
    same_message(fn)


def test_graph_under_autocast():
    """The recorded graph: ToCopyBackward0 between each float32 parameter and the op that casts it."""
    def fn(T):
        lin, conv = T.nn.Linear(4, 3), T.nn.Conv1d(2, 2, 3)
        x = T.tensor(data(2, 4, seed=1), requires_grad=True)
        with T.autocast("cpu"):
            y = lin(x)
            z = conv(T.ones(1, 2, 5))
            loss = T.nn.functional.mse_loss(y, T.zeros(2, 3))

        def names(g, depth=4):
            if g is None or depth == 0:
                return None
            return type(g).__name__, [names(n, depth - 1) for n, _ in g.next_functions]
        return names(y.grad_fn), names(z.grad_fn), names(loss.grad_fn)
    same(fn)


def test_grad_scaler_refuses_fp16_gradients():
    def fn(T):
        p = T.nn.Parameter(T.ones(2, dtype=T.float16))
        s = T.amp.GradScaler("cpu")
        s.scale(p.sum()).backward()
        s.step(T.optim.SGD([p], lr=0.1))
    same(fn)
    same_message(fn)


@pytest.mark.filterwarnings("ignore:torchlike.compile")
def test_compiled_step_with_autocast_and_grad_scaler():
    """torchlike.compile of a step under autocast + GradScaler (the scaler reads the inf check on the host,
    so the step runs eagerly) trains as PyTorch's eager step."""
    def run(T, compiled):
        model = T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Linear(8, 2))
        with T.no_grad():
            for k, p in enumerate(model.parameters()):
                p.copy_(T.tensor(data(*p.shape, seed=50 + k, low=-0.5, high=0.5)))
        opt = T.optim.SGD(model.parameters(), lr=0.1)
        x, y = T.tensor(data(5, 4, seed=1)), T.tensor([0, 1, 0, 1, 1])
        scaler = T.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)

        def step():
            opt.zero_grad()
            with T.autocast("cpu"):
                loss = T.nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            return loss
        f = T.compile(step) if compiled and T is torchlike else step
        return [(f().item(), scaler.get_scale()) for _ in range(4)]
    expected, actual = run(torch, False), run(torchlike, True)
    assert [s for _, s in actual] == [s for _, s in expected]
    np.testing.assert_allclose([v for v, _ in actual], [v for v, _ in expected], **BF16_TOL)


@pytest.mark.parametrize("cache_enabled", [True, False, None])
def test_cast_cache(cache_enabled):
    """A parameter is cast once per outermost region (its uses share one ToCopyBackward0) when the cache
    is on; a new region casts afresh."""
    def fn(T):
        w = T.tensor(data(4, 4, seed=1), requires_grad=True)
        x = T.tensor(data(2, 4, seed=2))
        with T.autocast("cpu", cache_enabled=cache_enabled):
            a, b = T.mm(x, w), x @ w
            with T.autocast("cpu", dtype=T.bfloat16):
                c = T.nn.functional.linear(x, w.t())
            with T.no_grad():
                d = T.mm(x, w)
        with T.autocast("cpu", cache_enabled=cache_enabled):
            e = T.mm(x, w)
        node = lambda t: t.grad_fn.next_functions[1][0]  # noqa: E731
        (a.sum() + b.sum() + c.sum() + e.sum()).backward()
        return [node(a) is node(b), node(e) is node(a), d.dtype, w.grad,
                [type(n).__name__ for n, _ in c.grad_fn.next_functions]]
    same(fn, check_grad_fn=False, **BF16_TOL)


def test_state_functions():
    def fn(T):
        out = [T.autocast_increment_nesting(), T.autocast_decrement_nesting(), T.is_autocast_cache_enabled()]
        T.set_autocast_cache_enabled(False)
        out.append(T.is_autocast_cache_enabled())
        T.set_autocast_cache_enabled(True)
        T.set_autocast_dtype("cpu", T.float16)
        out.append(T.get_autocast_dtype("cpu"))
        T.set_autocast_dtype("cpu", T.bfloat16)
        out += [T.get_autocast_dtype("cuda"), T.is_autocast_enabled("cuda")]
        return out
    same(fn)


def test_deprecated_state_functions_warn():
    def fn(T):
        out = [T.is_autocast_cpu_enabled(), T.get_autocast_cpu_dtype(), T.get_autocast_gpu_dtype()]
        T.set_autocast_cpu_dtype(T.float16)
        out.append(T.get_autocast_dtype("cpu"))
        T.set_autocast_cpu_enabled(True)
        out.append(T.is_autocast_enabled("cpu"))
        T.set_autocast_cpu_enabled(False)
        T.set_autocast_dtype("cpu", T.bfloat16)
        return [str(o) for o in out]
    (e, ew), (a, aw) = _warnings_of(fn)
    assert e == a
    # PyTorch's messages end with "(Triggered internally at <its C++ source>)"
    assert [c for c, _ in aw] == [c for c, _ in ew]
    assert all(em.startswith(am) for (_, em), (_, am) in zip(ew, aw)), (ew, aw)


@pytest.mark.parametrize("call", [
    lambda T: T.get_autocast_dtype(), lambda T: T.set_autocast_cache_enabled(1), lambda T: T.is_autocast_enabled(3),
    lambda T: T.get_autocast_dtype(3),
])
def test_state_function_errors(call):
    same(call)
    same_message(call)
