"""nn.MultiheadAttention, F.multi_head_attention_forward, F.scaled_dot_product_attention, the
Transformer family, EmbeddingBag and module full backward hooks, differentially against PyTorch."""
import numpy as np
import pytest

from harness import data, same, same_message
from test_nn import set_weights


def _grads(T, outs, xs, m):
    outs = [o for o in outs if o is not None and o.requires_grad]
    loss = sum((o * T.tensor(data(*o.shape, seed=90 + i))).sum() for i, o in enumerate(outs))
    loss.backward()
    return [x.grad for x in xs], {k: p.grad for k, p in m.named_parameters()}


def _mask(T, spec):
    if spec is None:
        return None
    kind, shape, seed = spec
    if kind == "bool":
        a = data(*shape, seed=seed, dtype=np.bool_)
        a[..., 0] = False              # every row keeps a key: no all -inf rows
        return T.tensor(a)
    return T.tensor(data(*shape, seed=seed))


# ---- MultiheadAttention --------------------------------------------------------------------------
MHA = [
    ("basic", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8), {}),
    ("self", dict(embed_dim=8, num_heads=2), (3, 2, 8), None, {}),
    ("no_weights", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8), dict(need_weights=False)),
    ("per_head", dict(embed_dim=8, num_heads=4), (3, 2, 8), (5, 2, 8), dict(average_attn_weights=False)),
    ("batch_first", dict(embed_dim=8, num_heads=2, batch_first=True), (2, 3, 8), (2, 4, 8), {}),
    ("kdim_vdim", dict(embed_dim=8, num_heads=2, kdim=4, vdim=6), (3, 2, 8), ((4, 2, 4), (4, 2, 6)), {}),
    ("nobias", dict(embed_dim=8, num_heads=2, bias=False), (3, 2, 8), (4, 2, 8), {}),
    ("bias_kv_zero_attn", dict(embed_dim=8, num_heads=2, add_bias_kv=True, add_zero_attn=True), (3, 2, 8),
     (4, 2, 8), dict(key_padding_mask=("bool", (2, 4), 5), attn_mask=("float", (3, 4), 6))),
    ("kpm_bool", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8), dict(key_padding_mask=("bool", (2, 4), 1))),
    ("kpm_float_noweights", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8),
     dict(key_padding_mask=("float", (2, 4), 1), need_weights=False)),
    ("mask_bool_2d", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8), dict(attn_mask=("bool", (3, 4), 2))),
    ("mask_float_3d", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8), dict(attn_mask=("float", (4, 3, 4), 2))),
    ("mask_bool_noweights", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8),
     dict(attn_mask=("bool", (3, 4), 2), need_weights=False)),
    ("both_masks", dict(embed_dim=8, num_heads=2), (3, 2, 8), (4, 2, 8),
     dict(attn_mask=("float", (3, 4), 3), key_padding_mask=("bool", (2, 4), 4))),
    ("unbatched", dict(embed_dim=8, num_heads=2), (3, 8), (4, 8), dict(key_padding_mask=("bool", (4,), 1))),
    ("unbatched_noweights", dict(embed_dim=8, num_heads=2), (3, 8), (4, 8), dict(need_weights=False)),
    ("dropout_eval", dict(embed_dim=8, num_heads=2, dropout=0.5), (3, 2, 8), (4, 2, 8), {}),
]


def run_mha(T, kw, qshape, kvshape, call_kw):
    m = set_weights(T.nn.MultiheadAttention(**kw), T)
    m.eval()
    q = T.tensor(data(*qshape, seed=1), requires_grad=True)
    if kvshape is None:
        k = v = q
        xs = [q]
    else:
        ks, vs = kvshape if isinstance(kvshape[0], tuple) else (kvshape, kvshape)
        k = T.tensor(data(*ks, seed=2), requires_grad=True)
        v = T.tensor(data(*vs, seed=3), requires_grad=True)
        xs = [q, k, v]
    ckw = {n: (_mask(T, a) if n.endswith("mask") else a) for n, a in call_kw.items()}
    out, w = m(q, k, v, **ckw)
    return (out, w) + tuple(_grads(T, [out, w], xs, m))


@pytest.mark.parametrize("name,kw,q,kv,call_kw", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention(name, kw, q, kv, call_kw):
    same(lambda T: run_mha(T, kw, q, kv, call_kw), rtol=1e-4, atol=1e-5)


def test_mha_causal_hint():
    def f(T):
        m = set_weights(T.nn.MultiheadAttention(8, 2), T)
        x = T.tensor(data(4, 2, 8, seed=1), requires_grad=True)
        mask = T.nn.Transformer.generate_square_subsequent_mask(4)
        a = m(x, x, x, attn_mask=mask, is_causal=True, need_weights=False)[0]
        b = m(x, x, x, attn_mask=mask, need_weights=True)[0]
        return a, b, mask
    same(f, rtol=1e-4, atol=1e-5)


def test_mha_repr_state_dict_init():
    def f(T):
        T.manual_seed(0)
        ms = [T.nn.MultiheadAttention(8, 2), T.nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True,
                                                                      batch_first=True, bias=False)]
        return [(repr(m), [(k, tuple(v.shape)) for k, v in m.state_dict().items()],
                 [n for n, _ in m.named_parameters()], bool((m.out_proj.weight.abs() < 1).all()),
                 None if m.in_proj_bias is None else float(m.in_proj_bias.abs().sum())) for m in ms]
    same(f)


MHA_ERRORS = [
    lambda T: T.nn.MultiheadAttention(8, 3),
    lambda T: T.nn.MultiheadAttention(0, 2),
    lambda T, m=None: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(4, 2, 8),
                                                    attn_mask=T.zeros(3, 5)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(4, 2, 8),
                                            attn_mask=T.zeros(2, 3, 4)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(4, 2, 8),
                                            attn_mask=T.zeros(3, 4, dtype=T.int64)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(4, 2, 8), is_causal=True),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 8), T.randn(4, 2, 8), T.randn(4, 2, 8)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(3, 2, 8)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 4), T.randn(4, 2, 8), T.randn(4, 2, 8)),
    lambda T: T.nn.MultiheadAttention(8, 2)(T.randn(3, 2, 8), T.randn(4, 2, 8), T.randn(4, 2, 8),
                                            key_padding_mask=T.zeros(2, 4, dtype=T.int32)),
]


@pytest.mark.parametrize("i", range(len(MHA_ERRORS)))
def test_mha_errors(i):
    same(MHA_ERRORS[i])


def test_multi_head_attention_forward_functional():
    def f(T):
        E, H = 8, 2
        q = T.tensor(data(3, 2, E, seed=1), requires_grad=True)
        k = T.tensor(data(5, 2, E, seed=2), requires_grad=True)
        w = T.tensor(data(3 * E, E, seed=3, low=-0.5, high=0.5), requires_grad=True)
        b = T.tensor(data(3 * E, seed=4, low=-0.5, high=0.5), requires_grad=True)
        ow = T.tensor(data(E, E, seed=5, low=-0.5, high=0.5), requires_grad=True)
        ob = T.tensor(data(E, seed=6, low=-0.5, high=0.5), requires_grad=True)
        out, attn = T.nn.functional.multi_head_attention_forward(q, k, k, E, H, w, b, None, None, False, 0.0, ow, ob,
                                                                 training=False)
        (out.sum() + attn.sum()).backward()
        return out, attn, q.grad, k.grad, w.grad, b.grad, ow.grad, ob.grad
    same(f, rtol=1e-4, atol=1e-5)


SDPA = [
    ("plain", (2, 2, 3, 4), (2, 2, 5, 4), {}),
    ("bool_mask", (2, 2, 3, 4), (2, 2, 5, 4), dict(attn_mask=("bool", (3, 5), 1))),
    ("float_mask", (2, 2, 3, 4), (2, 2, 5, 4), dict(attn_mask=("float", (2, 1, 3, 5), 1))),
    ("causal", (2, 2, 4, 4), (2, 2, 4, 4), dict(is_causal=True)),
    ("scale", (2, 3, 4), (2, 5, 4), dict(scale=0.3)),
    ("gqa", (1, 4, 3, 4), (1, 2, 5, 4), dict(enable_gqa=True)),
]


@pytest.mark.parametrize("name,qs,ks,kw", SDPA, ids=[c[0] for c in SDPA])
def test_scaled_dot_product_attention(name, qs, ks, kw):
    def f(T):
        q = T.tensor(data(*qs, seed=1), requires_grad=True)
        k = T.tensor(data(*ks, seed=2), requires_grad=True)
        v = T.tensor(data(*ks, seed=3), requires_grad=True)
        ckw = {n: (_mask(T, a) if n == "attn_mask" else a) for n, a in kw.items()}
        out = T.nn.functional.scaled_dot_product_attention(q, k, v, **ckw)
        (out * T.tensor(data(*out.shape, seed=9))).sum().backward()
        return out.detach(), q.grad, k.grad, v.grad
    same(f, rtol=1e-4, atol=1e-5)


# ---- Transformer -----------------------------------------------------------------------------------
def run_layer(T, make, shapes, call, train=False):
    m = set_weights(make(T), T)
    m.train(train)
    xs = [T.tensor(data(*s, seed=1 + i), requires_grad=True) for i, s in enumerate(shapes)]
    out = call(T, m, *xs)
    return (out,) + tuple(_grads(T, [out], xs, m))


def _causal(T, n):
    return T.nn.Transformer.generate_square_subsequent_mask(n)


def _kpm(T, n, s, seed=7):
    a = data(n, s, seed=seed, dtype=np.bool_)
    a[:, 0] = False
    return T.tensor(a)


LAYERS = [
    ("enc", lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [(5, 2, 8)],
     lambda T, m, x: m(x)),
    ("enc_gelu_normfirst_bf", lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                                                      norm_first=True, batch_first=True),
     [(2, 5, 8)], lambda T, m, x: m(x, src_key_padding_mask=_kpm(T, 2, 5))),
    ("enc_callable_mask", lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=T.nn.GELU()),
     [(5, 2, 8)], lambda T, m, x: m(x, src_mask=_causal(T, 5), is_causal=True)),
    ("enc_nobias_train", lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, bias=False), [(5, 2, 8)],
     lambda T, m, x: m(x, src_key_padding_mask=_kpm(T, 2, 5))),
    ("encoder_stack", lambda T: T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                                                        norm=T.nn.LayerNorm(8), enable_nested_tensor=False),
     [(5, 2, 8)], lambda T, m, x: m(x, mask=_causal(T, 5))),
    ("encoder_unbatched", lambda T: T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2),
     [(5, 8)], lambda T, m, x: m(x)),
    ("dec", lambda T: T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), [(4, 2, 8), (5, 2, 8)],
     lambda T, m, t, mem: m(t, mem, tgt_mask=_causal(T, 4))),
    ("dec_normfirst_bf", lambda T: T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True,
                                                                batch_first=True, activation="gelu"),
     [(2, 4, 8), (2, 5, 8)], lambda T, m, t, mem: m(t, mem, memory_key_padding_mask=_kpm(T, 2, 5))),
    ("decoder_stack", lambda T: T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2,
                                                        norm=T.nn.LayerNorm(8)),
     [(4, 2, 8), (5, 2, 8)], lambda T, m, t, mem: m(t, mem, tgt_mask=_causal(T, 4),
                                                    tgt_key_padding_mask=_kpm(T, 2, 4))),
    ("transformer", lambda T: T.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0), [(5, 2, 8), (4, 2, 8)],
     lambda T, m, s, t: m(s, t, tgt_mask=_causal(T, 4), src_key_padding_mask=_kpm(T, 2, 5))),
    ("transformer_bf", lambda T: T.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True, norm_first=True),
     [(2, 5, 8), (2, 4, 8)], lambda T, m, s, t: m(s, t)),
]


@pytest.mark.parametrize("name,make,shapes,call", LAYERS, ids=[c[0] for c in LAYERS])
@pytest.mark.parametrize("train", [False, True])
def test_transformer_layers(name, make, shapes, call, train):
    same(lambda T: run_layer(T, make, shapes, call, train), rtol=2e-4, atol=2e-5)


def test_transformer_reprs_and_state_dicts():
    def f(T):
        T.manual_seed(0)
        ms = [T.nn.TransformerEncoderLayer(8, 2, 16),
              T.nn.TransformerEncoderLayer(8, 2, 16, activation=T.nn.GELU(), norm_first=True, batch_first=True),
              T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 2, norm=T.nn.LayerNorm(8),
                                      enable_nested_tensor=False),
              T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(8, 2, 16), 2),
              T.nn.Transformer(8, 2, 2, 1, 16)]
        return [(repr(m), [(k, tuple(v.shape)) for k, v in m.state_dict().items()]) for m in ms]
    same(f)


TRANSFORMER_ERRORS = [
    lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, activation="tanh"),
    lambda T: T.nn.Transformer(8, 2, 1, 1, 16)(T.randn(5, 2, 8), T.randn(4, 3, 8)),
    lambda T: T.nn.Transformer(8, 2, 1, 1, 16)(T.randn(5, 2, 8), T.randn(4, 2, 6)),
    lambda T: T.nn.TransformerEncoderLayer(8, 2, 16)(T.randn(5, 2, 8), is_causal=True),
]


@pytest.mark.parametrize("i", range(len(TRANSFORMER_ERRORS)))
def test_transformer_errors(i):
    same(TRANSFORMER_ERRORS[i])


def test_generate_square_subsequent_mask():
    same(lambda T: T.nn.Transformer.generate_square_subsequent_mask(4))


# ---- EmbeddingBag ------------------------------------------------------------------------------------
BAGS = [
    ("mean_offsets", dict(mode="mean"), [1, 2, 4, 5, 4, 3, 2, 9], [0, 4], None),
    ("sum_offsets_empty_bag", dict(mode="sum"), [1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 3, 6], None),
    ("max_offsets", dict(mode="max"), [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5], None),
    ("max_empty_bag", dict(mode="max"), [1, 2, 4, 5], [0, 2, 2], None),
    ("mean_2d", dict(mode="mean"), [[1, 2, 4], [5, 4, 3]], None, None),
    ("max_2d", dict(mode="max"), [[1, 2, 4], [5, 4, 3]], None, None),
    ("sum_psw", dict(mode="sum"), [1, 2, 4, 5, 4, 3], [0, 2], "psw"),
    ("sum_psw_2d", dict(mode="sum"), [[1, 2, 4], [5, 4, 3]], None, "psw"),
    ("mean_padding", dict(mode="mean", padding_idx=2), [1, 2, 4, 2, 2, 3], [0, 3, 4], None),
    ("sum_padding", dict(mode="sum", padding_idx=2), [[2, 2, 4], [5, 4, 3]], None, None),
    ("max_padding", dict(mode="max", padding_idx=4), [1, 2, 4, 5, 4, 3], [0, 2, 3], None),
    ("include_last", dict(mode="sum", include_last_offset=True), [1, 2, 4, 5, 4, 3], [0, 2, 5, 6], None),
    ("include_last_mean", dict(mode="mean", include_last_offset=True), [1, 2, 4, 5, 4, 3], [0, 1, 6], None),
]


@pytest.mark.parametrize("name,kw,idx,offsets,psw", BAGS, ids=[c[0] for c in BAGS])
def test_embedding_bag(name, kw, idx, offsets, psw):
    def f(T):
        m = set_weights(T.nn.EmbeddingBag(10, 3, **kw), T)
        i = T.tensor(idx)
        off = None if offsets is None else T.tensor(offsets)
        w = T.tensor(data(*i.shape, seed=5), requires_grad=True) if psw else None
        out = m(i, off, per_sample_weights=w)
        (out * T.tensor(data(*out.shape, seed=9))).sum().backward()
        return out, m.weight.grad, None if w is None else w.grad, repr(m)
    same(f, rtol=1e-5, atol=1e-6)


def test_embedding_bag_functional_and_from_pretrained():
    def f(T):
        w = T.tensor(data(6, 4, seed=1), requires_grad=True)
        i = T.tensor([0, 2, 5, 1, 1])
        a = T.nn.functional.embedding_bag(i, w, T.tensor([0, 2]), mode="sum")
        b = T.nn.functional.embedding_bag(i.view(1, 5), w, mode="max")
        m = T.nn.EmbeddingBag.from_pretrained(T.tensor(data(6, 4, seed=2)), mode="sum")
        c = m(i, T.tensor([0, 3]))
        (a.sum() + b.sum()).backward()
        return a, b, c, w.grad, m.weight.requires_grad
    same(f)


BAG_ERRORS = [
    lambda T: T.nn.EmbeddingBag(10, 3)(T.tensor([[1, 2], [3, 4]]), T.tensor([0, 1])),
    lambda T: T.nn.EmbeddingBag(10, 3)(T.tensor([1, 2, 3])),
    lambda T: T.nn.EmbeddingBag(10, 3, mode="mean")(T.tensor([1, 2]), T.tensor([0]), per_sample_weights=T.ones(2)),
    lambda T: T.nn.EmbeddingBag(10, 3, mode="sum")(T.tensor([1, 2]), T.tensor([0]), per_sample_weights=T.ones(3)),
    lambda T: T.nn.EmbeddingBag(10, 3)(T.tensor([1, 12]), T.tensor([0])),
    lambda T: T.nn.EmbeddingBag(10, 3)(T.tensor([1.0, 2.0]), T.tensor([0])),
    lambda T: T.nn.EmbeddingBag(10, 3)(T.tensor([[[1]]])),
]


def test_embedding_bag_error_messages():
    for make in (BAG_ERRORS[4], BAG_ERRORS[5]):
        same_message(make)


@pytest.mark.parametrize("i", range(len(BAG_ERRORS)))
def test_embedding_bag_errors(i):
    same(BAG_ERRORS[i])


# ---- full backward hooks -----------------------------------------------------------------------------
def test_full_backward_hooks_args_and_outputs():
    def f(T):
        log = []

        class M(T.nn.Module):
            def forward(self, a, k, b=None, c=None):
                return a * 2, (a.sum() + b).sum()
        m = M()
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", go)))
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append(("hook", mod is m, gi, go)))
        a = T.ones(2, requires_grad=True)
        o1, o2 = m(a, 3, T.ones(2), c=T.ones(1, requires_grad=True))
        log.append((o1.grad_fn.name(), o2.grad_fn.name()))
        o2.backward()
        h.remove()
        m(a, 3, T.ones(2))[1].backward()
        return log, a.grad
    same(f)


def test_full_backward_hook_no_input_grad_and_replacement():
    def f(T):
        log = []
        lin = set_weights(T.nn.Linear(3, 2), T)
        lin.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        lin(T.ones(1, 3)).sum().backward()
        l2 = set_weights(T.nn.Linear(3, 2), T)
        l2.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
        l2.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 100,))
        x = T.ones(1, 3, requires_grad=True)
        y = l2(x)
        y.sum().backward()
        return log, y, x.grad, l2.weight.grad, lin.weight.grad
    same(f)


def test_full_backward_hooks_in_sequential_order():
    def f(T):
        order = []
        net = set_weights(T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2)), T)
        def hook(i):
            return lambda m, gi, go: order.append((i, [None if g is None else g.shape for g in gi],
                                                   [g.shape for g in go]))
        for i, mod in enumerate(net):
            mod.register_full_backward_hook(hook(i))
        net.register_full_backward_pre_hook(lambda m, go: order.append(("pre", go)))
        x = T.tensor(data(5, 3), requires_grad=True)
        net(x).sum().backward()
        return order, x.grad
    same(f)
