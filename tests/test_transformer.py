"""The GPT model, its probe and its training: oracles (plain torch, autograd by hand), the init's
statistics and errors a learner can read. Notebook 05's claims: tests/test_claims_05.py."""

import copy
import math
import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from shortcut_lib import compare as compare_module
from shortcut_lib.compare import Comparison, compare_transformer
from shortcut_lib.data import make_token_task
from shortcut_lib.families import BlockSettings
from shortcut_lib.families import gpt as gpt_family
from shortcut_lib.models.block import NORM_PLACEMENTS, TransformerBlock
from shortcut_lib.models.gpt import GPTModel
from shortcut_lib.probes import transformer_profile, transformer_profile_pair
from shortcut_lib.training import train_transformer

WIRINGS = [(norm, shortcut) for norm in NORM_PLACEMENTS for shortcut in (True, False)]


def small_model(norm="pre", use_shortcut=True, *, final_norm=True, seed=0, **kw):
    options = dict(n_blocks=3, emb_dim=16, n_heads=4, context_length=8, vocab_size=11)
    return GPTModel(
        **{**options, **kw}, norm=norm, use_shortcut=use_shortcut, final_norm=final_norm, seed=seed
    )


def perturbed(module, seed=0, std=0.3):
    """Large random weights (LayerNorms included) in float64: attention is far from uniform and
    every parameter matters, so an oracle that agrees has checked something."""
    module = copy.deepcopy(module).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * std)
    return module


# --- an independent oracle: the block written as the formulas, from plain torch functions --------


def oracle_block(p, x, *, norm, use_shortcut, n_heads):
    """One block from its state dict ``p``; attention by F.scaled_dot_product_attention."""

    def ln(z, name):
        return F.layer_norm(z, z.shape[-1:], p[f"{name}.weight"], p[f"{name}.bias"], 1e-5)

    def att(z):
        b, t, d = z.shape

        def heads(w):  # (batch, heads, tokens, head_dim)
            return (z @ p[w].T).view(b, t, n_heads, d // n_heads).transpose(1, 2)

        q, k, v = (
            heads("att.W_query.weight"),
            heads("att.W_key.weight"),
            heads("att.W_value.weight"),
        )
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2)
        return out.reshape(b, t, d) @ p["att.out_proj.weight"].T + p["att.out_proj.bias"]

    def ff(z):
        h = F.gelu(z @ p["ff.layers.0.weight"].T + p["ff.layers.0.bias"], approximate="tanh")
        return h @ p["ff.layers.2.weight"].T + p["ff.layers.2.bias"]

    def n1(z):
        return ln(z, "norm1")

    def n2(z):
        return ln(z, "norm2")

    if norm == "pre" and use_shortcut:  # GPT-2, the book
        h = x + att(n1(x))
        return h + ff(n2(h))
    if norm == "pre":
        return ff(n2(att(n1(x))))
    if norm == "post" and use_shortcut:  # Vaswani et al. 2017
        h = n1(x + att(x))
        return n2(h + ff(h))
    if norm == "post":
        return n2(ff(n1(att(x))))
    if use_shortcut:
        h = x + att(x)
        return h + ff(h)
    return ff(att(x))


def oracle_logits(model, ids):
    p = model.state_dict()
    n_heads = model.trf_blocks[0].att.num_heads
    x = p["tok_emb.weight"][ids] + p["pos_emb.weight"][: ids.shape[1]]
    for i in range(model.n_blocks):
        block = {k.split(".", 2)[2]: v for k, v in p.items() if k.startswith(f"trf_blocks.{i}.")}
        x = oracle_block(
            block, x, norm=model.norm, use_shortcut=model.use_shortcut, n_heads=n_heads
        )
    if model.use_final_norm:
        x = F.layer_norm(x, x.shape[-1:], p["final_norm.weight"], p["final_norm.bias"], 1e-5)
    return x @ p["out_head.weight"].T


@pytest.mark.parametrize(("norm", "use_shortcut"), WIRINGS)
def test_block_matches_the_formulas(norm, use_shortcut):
    block = perturbed(TransformerBlock(16, 4, 8, norm=norm, use_shortcut=use_shortcut))
    x = torch.randn(3, 8, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    expected = oracle_block(block.state_dict(), x, norm=norm, use_shortcut=use_shortcut, n_heads=4)
    torch.testing.assert_close(block(x), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("norm", "use_shortcut"), WIRINGS)
@pytest.mark.parametrize("final_norm", [True, False])
def test_model_matches_the_formulas(norm, use_shortcut, final_norm):
    model = perturbed(small_model(norm, use_shortcut, final_norm=final_norm))
    ids = torch.randint(11, (2, 7), generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(model(ids), oracle_logits(model, ids), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("norm", "use_shortcut"), WIRINGS)
def test_a_later_token_never_changes_an_earlier_output(norm, use_shortcut):
    model = perturbed(small_model(norm, use_shortcut))
    ids = torch.randint(11, (2, 8), generator=torch.Generator().manual_seed(3))
    before = model(ids)
    for j in range(1, 8):
        changed = ids.clone()
        changed[:, j] = (changed[:, j] + 1) % 11
        after = model(changed)
        torch.testing.assert_close(after[:, :j], before[:, :j], rtol=0, atol=0)
        # The changed position does see it (barely, without shortcuts: the stream collapses).
        assert (after[:, j] - before[:, j]).abs().max() > 1e-8


# --- the probe against autograd by hand ---------------------------------------------------------


def oracle_profile(model, x, y):
    """loss.backward() on a copy, the stream kept by hooks with retain_grad, norms in float64."""
    model = copy.deepcopy(model)
    states = []

    def keep(tensor):
        tensor.retain_grad()
        states.append(tensor)

    hooks = [b.register_forward_pre_hook(lambda m, args: keep(args[0])) for b in model.trf_blocks]
    hooks.append(model.trf_blocks[-1].register_forward_hook(lambda m, args, out: keep(out)))
    loss = F.cross_entropy(model(x).reshape(-1, model.vocab_size), y.reshape(-1))
    loss.backward()
    for hook in hooks:
        hook.remove()

    def joint_norm(params):
        return math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in params))

    attention, feedforward = [], []
    for b in model.trf_blocks:
        att = [b.att.W_query, b.att.W_key, b.att.W_value, b.att.out_proj]
        attention.append(joint_norm([m.weight for m in att]))
        feedforward.append(joint_norm([b.ff.layers[0].weight, b.ff.layers[2].weight]))
    return dict(
        stream_grad_norm=[s.grad.double().norm().item() for s in states],
        stream_rms=[s.double().pow(2).mean().sqrt().item() for s in states],
        attention_grad_norm=attention,
        feedforward_grad_norm=feedforward,
        loss=loss.item(),
    )


@pytest.mark.parametrize(("norm", "use_shortcut"), WIRINGS)
def test_profile_matches_autograd_by_hand(norm, use_shortcut):
    model = small_model(norm, use_shortcut, n_blocks=4)
    task = make_token_task(6, 8, 11, seed=4)
    profile = transformer_profile(model, task.x, task.y)
    expected = oracle_profile(model, task.x, task.y)
    assert profile.n_blocks == 4
    for name, values in expected.items():
        assert getattr(profile, name) == pytest.approx(values, rel=1e-4, abs=1e-12), name
    assert all(p.grad is None for p in model.parameters())  # .grad never touched


def test_profile_works_with_gradients_switched_off_and_leaves_them_off():
    model, task = small_model(), make_token_task(4, 8, 11)
    expected = transformer_profile(model, task.x, task.y)
    with torch.no_grad():
        assert transformer_profile(model, task.x, task.y) == expected
    with torch.inference_mode():
        assert transformer_profile(model, task.x, task.y) == expected
    model.requires_grad_(False)
    assert transformer_profile(model, task.x, task.y) == expected
    assert not any(p.requires_grad for p in model.parameters())


def test_profile_is_repeatable_and_leaves_the_global_rng_alone():
    model, task = small_model(), make_token_task(4, 8, 11)
    state = torch.get_rng_state()
    first = transformer_profile(model, task.x, task.y)
    assert transformer_profile(model, task.x, task.y) == first
    assert torch.equal(torch.get_rng_state(), state)


# --- the same weights: flipping the switches changes no weight ----------------------------------


def test_switches_rewire_without_touching_the_weights():
    model = small_model()
    weights = copy.deepcopy(model.state_dict())
    rebuilt = {
        (norm, shortcut, final): small_model(norm, shortcut, final_norm=final).state_dict()
        for norm in NORM_PLACEMENTS
        for shortcut in (True, False)
        for final in (True, False)
    }
    for other in rebuilt.values():  # the switches do not change what a seed draws
        assert other.keys() == weights.keys()
        assert all(torch.equal(other[k], weights[k]) for k in weights)
    task = make_token_task(4, 8, 11)
    for vary in ("shortcut", "norm"):
        profiles = compare_transformer(model, task.x, task.y, vary=vary)
        assert all(torch.equal(model.state_dict()[k], weights[k]) for k in weights)
        assert (model.norm, model.use_shortcut) == ("pre", True)  # restored
        assert len({p.loss for p in profiles.values()}) == len(profiles)  # wirings differ


def test_setting_n_heads_splits_the_same_weights_as_a_model_built_with_them():
    # GPTModel(..., n_heads=h, seed=s) draws the same weights for every h; setting n_heads
    # must give exactly the model built with that many heads, and setting it back the first.
    task = make_token_task(3, 8, 11, seed=1)
    model = GPTModel(3, 16, 2, 8, 11, seed=4)
    two = model(task.x)
    for heads in (4, 8, 1, 2):
        model.n_heads = heads
        built = GPTModel(3, 16, heads, 8, 11, seed=4)
        assert model.n_heads == heads
        assert torch.equal(model(task.x), built(task.x))
    assert torch.equal(model(task.x), two)
    with pytest.raises(ValueError, match=r"emb_dim \(16\) must be divisible by n_heads \(3\)"):
        model.n_heads = 3
    assert model.n_heads == 2  # refused before any block changed


def test_comparison_equals_separate_probes():
    model, task = small_model(), make_token_task(4, 8, 11)
    by_shortcut = compare_transformer(model, task.x, task.y)
    by_norm = compare_transformer(model, task.x, task.y, vary="norm")
    for label, norm, shortcut in [("plain", "pre", False), ("shortcut", "pre", True)]:
        expected = transformer_profile(small_model(norm, shortcut), task.x, task.y)
        assert by_shortcut[label].loss == pytest.approx(expected.loss, rel=1e-6)
        assert by_shortcut[label].stream_grad_norm == pytest.approx(expected.stream_grad_norm)
    for norm in NORM_PLACEMENTS:
        expected = transformer_profile(small_model(norm), task.x, task.y)
        assert by_norm[norm].attention_grad_norm == pytest.approx(expected.attention_grad_norm)
    stream_only = compare_transformer(model, task.x, task.y, weights=False)
    for label, profile in stream_only.items():
        assert profile.attention_grad_norm == profile.feedforward_grad_norm == []
        assert profile.stream_grad_norm == pytest.approx(by_shortcut[label].stream_grad_norm)
        assert profile.stream_rms == pytest.approx(by_shortcut[label].stream_rms)


@pytest.mark.parametrize("frozen", [False, True], ids=["trainable", "frozen"])
@pytest.mark.parametrize("norm", NORM_PLACEMENTS)
def test_stream_only_probe_gives_the_full_probes_stream(norm, frozen):
    # The explorer's probe leaves the weights out of the graph; the stream and the loss must be
    # those of the full probe, whether the model's weights are trainable or frozen, and under
    # no_grad; every requires_grad is left as it was.
    task = make_token_task(3, 8, 11, seed=2)
    for use_shortcut in (False, True):
        model = small_model(norm, use_shortcut, n_blocks=5)
        full = transformer_profile(model, task.x, task.y)
        model.requires_grad_(not frozen)
        with torch.no_grad():
            stream = transformer_profile(model, task.x, task.y, weights=False)
        assert all(p.requires_grad is not frozen for p in model.parameters())
        assert stream.stream_grad_norm == pytest.approx(full.stream_grad_norm, rel=1e-6)
        assert stream.stream_rms == pytest.approx(full.stream_rms, rel=1e-6)
        assert stream.loss == pytest.approx(full.loss, rel=1e-6)
        assert stream.attention_grad_norm == stream.feedforward_grad_norm == []
        assert len(full.attention_grad_norm) == len(full.feedforward_grad_norm) == 5


PAIR_RTOL = 1e-4  # a paired pass against two alone: rounding, at most 4e-6 in 60 random settings


def fresh_profiles(s: BlockSettings) -> dict[str, object]:
    """Both wirings of a model built afresh for ``s``, each probed alone (the stream only)."""
    model = GPTModel(
        s.depth, s.width, s.heads, s.context_length, 16, norm=s.norm,
        final_norm=s.final_norm, scaled_init=s.scaled_init, seed=s.seed,
    )  # fmt: skip
    batch = s.make_batch()
    profiles = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        model.use_shortcut = use_shortcut
        profiles[label] = transformer_profile(model, batch.x, batch.y, weights=False)
    return profiles


def assert_close(got, expected) -> None:
    for name in ("stream_grad_norm", "stream_rms"):
        assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=PAIR_RTOL), name
    assert got.loss == pytest.approx(expected.loss, rel=PAIR_RTOL)


def on_two_threads(fn):
    """``fn()`` on a new thread computing with two threads per op and subnormals kept, as the
    explorer's paired pass computes (but for the flushing)."""
    result = {}

    def run():
        torch.set_num_threads(2)
        try:
            result["value"] = fn()
        finally:
            torch.set_num_threads(1)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result["value"]


@pytest.mark.parametrize(
    ("cpus", "side_by_side"),
    [(1, True), (4, False), (4, True)],
    ids=["one core", "side by side off", "paired"],
)
def test_block_comparison_equals_a_fresh_model_whatever_came_before(
    cpus, side_by_side, monkeypatch
):
    # The explorer's cache keeps two models over one set of weights and redraws them: after any
    # sequence of settings, the profiles must be those of a model built afresh for the last one:
    # exactly when the wirings are probed one after the other, up to rounding when they go
    # through one paired pass (two cores).
    monkeypatch.setattr(compare_module, "_cores", lambda: cpus)
    calls = []
    for name in ("transformer_profile", "transformer_profile_pair"):
        probe = getattr(gpt_family, name)

        def spy(*args, _probe=probe, _name=name, **kwargs):
            calls.append((_name, threading.current_thread().name, torch.get_num_threads()))
            return _probe(*args, **kwargs)

        monkeypatch.setattr(gpt_family, name, spy)
    comparison = Comparison(side_by_side=side_by_side)
    small = BlockSettings(depth=3, width=64, heads=2, context_length=8, batch_size=8, seed=1)
    for s in [
        small,
        small.replace(depth=6),  # deeper: bigger models
        small.replace(depth=2, scaled_init=False),  # shallower: blocks dropped, init redrawn
        small.replace(depth=2, scaled_init=False, heads=4),  # the same weights in 4 heads
        small.replace(depth=5, norm="post", final_norm=False, use_shortcut=False),
        small.replace(seed=7, batch_size=3),
    ]:
        got, expected = comparison.profiles(s), fresh_profiles(s)
        for label in ("plain", "shortcut"):
            if cpus > 1 and side_by_side:
                assert_close(got[label], expected[label])
            else:
                assert got[label] == expected[label], (label, s)
        for label, model in comparison._wirings.models(s).items():  # and each says what it is
            fresh = GPTModel(s.depth, s.width, s.heads, s.context_length, 16, norm=s.norm,
                             final_norm=s.final_norm, scaled_init=s.scaled_init,
                             use_shortcut=label == "shortcut")  # fmt: skip
            assert repr(model) == repr(fresh), (label, s)
    # Every probe on the module's flushing thread (one at norm="none" without shortcuts would
    # be taken again on this one, subnormals and all: none here): with two cores one paired
    # pass on two threads per op, else the two wirings one after the other on this thread's
    # count; this thread's count is left as it was.
    assert all(thread.startswith("shortcut_lib-probe-flushing") for _, thread, _ in calls)
    if cpus > 1 and side_by_side:
        assert calls == [("transformer_profile_pair", calls[0][1], 2)] * 6
    else:
        assert [(name, threads) for name, _, threads in calls] == [("transformer_profile", 1)] * 12
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("norm", NORM_PLACEMENTS)
def test_flushing_subnormals_changes_no_number_of_the_explorers_probe(norm):
    # The explorer probes on a thread that flushes float32's subnormal numbers to zero, and
    # takes a wiring again, alone, without flushing when a stream norm falls below 1e-20: every
    # number must be the one the same pass with subnormals gives, bit for bit, including where
    # the plain stack's gradient falls through them (48 blocks) and where the stream collapses
    # (norm none, plain).
    comparison = Comparison()
    for changes in [dict(depth=48), dict(depth=48, scaled_init=False, final_norm=False),
                    dict(depth=12, seed=1), dict(depth=30, width=32, heads=2, seed=2)]:  # fmt: skip
        s = BlockSettings(norm=norm, **changes)
        got, alone = comparison.profiles(s), fresh_profiles(s)
        model = GPTModel(
            s.depth, s.width, s.heads, s.context_length, 16, norm=norm,
            final_norm=s.final_norm, scaled_init=s.scaled_init, seed=s.seed,
        )  # fmt: skip
        batch = s.make_batch()
        pair = on_two_threads(lambda m=model, b=batch: transformer_profile_pair(m, b.x, b.y))
        for label in ("plain", "shortcut"):
            exact = BlockSettings.exact_when_flushed(pair[label])
            assert got[label] == (pair[label] if exact else alone[label]), (label, s)
            assert_close(got[label], alone[label])
    assert (torch.tensor([1e-39]) * 1.0).item() != 0  # this thread still has subnormals


@pytest.mark.parametrize("seed", range(10))
def test_a_paired_pass_gives_each_wiring_s_numbers(seed):
    # One pass of the batch twice, the first copy plain and the second with shortcuts, against
    # each wiring probed alone: the same numbers up to float32 rounding, on one thread or two,
    # from a single short sequence (where a product of twice the rows is summed differently)
    # to the explorer's 48 blocks, in every norm placement.
    norm = NORM_PLACEMENTS[seed % 3]
    for changes in [
        dict(depth=12),
        dict(depth=48, norm=norm),
        dict(depth=7, width=32, heads=8, context_length=2, batch_size=1),
        dict(depth=19, context_length=7, batch_size=1, norm=norm, final_norm=False),
    ]:
        s = BlockSettings(seed=seed, **changes)
        model = GPTModel(
            s.depth, s.width, s.heads, s.context_length, 16, norm=s.norm,
            final_norm=s.final_norm, scaled_init=s.scaled_init, seed=s.seed,
        )  # fmt: skip
        batch, alone = s.make_batch(), fresh_profiles(s)
        for pair in (
            transformer_profile_pair(model, batch.x, batch.y),
            on_two_threads(lambda m=model, b=batch: transformer_profile_pair(m, b.x, b.y)),
        ):
            for label in ("plain", "shortcut"):
                exact = all(v >= 1e-20 for v in alone[label].stream_rms)  # else subnormal noise
                if exact:
                    assert_close(pair[label], alone[label])
                assert pair[label].attention_grad_norm == pair[label].feedforward_grad_norm == []


def test_a_paired_pass_leaves_thread_counts_and_the_model_as_they_were():
    # The explorer's paired pass runs on two threads per op; the caller's count, the count a
    # thread started afterwards begins with, and the model's wiring are left as they were.
    comparison = Comparison()
    comparison.profiles(BlockSettings(depth=4, seed=3))
    assert torch.get_num_threads() == 1
    started = []
    thread = threading.Thread(target=lambda: started.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert started == [1]
    model = GPTModel(3, 32, 2, 8, 16, use_shortcut=False, norm="post", seed=0)
    task = make_token_task(2, 8, 16, seed=0)
    transformer_profile_pair(model, task.x, task.y)
    assert (model.use_shortcut, model.norm) == (False, "post")
    assert all(p.grad is None for p in model.parameters())
    model.train()
    model.trf_blocks[0].drop_shortcut.p = 0.1
    with pytest.raises(ValueError, match="dropout"):
        transformer_profile_pair(model, task.x, task.y)


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        (dict(width=36, heads=8), ValueError, ["width (36)", "heads (8)", "divisible"]),
        (dict(depth=0), ValueError, ["depth", "0"]),
        (dict(depth=49), ValueError, ["depth", "49"]),
        (dict(heads=3), ValueError, ["heads", "3"]),
        (dict(norm="postnorm"), ValueError, ["norm", "'post'"]),
        (dict(context_length=1), ValueError, ["context_length"]),
    ],
)
def test_bad_explorer_settings_are_named(changes, error, words):
    with pytest.raises(error) as info:
        BlockSettings(**changes)
    assert all(w in str(info.value) for w in words), str(info.value)
    with pytest.raises(TypeError, match="BlockSettings"):
        Comparison().profiles(dict(depth=3))
    with pytest.raises(TypeError, match="side_by_side"):
        Comparison(side_by_side="yes")


def test_seed_fixes_the_weights_and_spares_the_global_rng():
    state = torch.get_rng_state()
    a, b, c = small_model(seed=5), small_model(seed=5), small_model(seed=6)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a.tok_emb.weight, c.tok_emb.weight)


# --- GPT-2's init ------------------------------------------------------------------------------


@pytest.mark.parametrize("scaled_init", [True, False])
def test_init_has_gpt2_statistics(scaled_init):
    n_blocks = 3
    model = GPTModel(n_blocks, 256, 4, 16, 512, scaled_init=scaled_init, seed=0)
    residual = 0.02 / math.sqrt(2 * n_blocks) if scaled_init else 0.02
    b = model.trf_blocks[1]
    expected = {
        "tok_emb": (model.tok_emb.weight, 0.02),  # 131k values: sample std within ~0.2%
        "out_head": (model.out_head.weight, 0.02),
        "W_query": (b.att.W_query.weight, 0.02),
        "ff.0": (b.ff.layers[0].weight, 0.02),
        "out_proj": (b.att.out_proj.weight, residual),
        "ff.2": (b.ff.layers[2].weight, residual),
    }
    for name, (weight, std) in expected.items():
        assert weight.double().std().item() == pytest.approx(std, rel=0.02), name
        assert abs(weight.double().mean().item()) < 0.05 * std, name
    assert b.att.out_proj.bias.abs().max() == 0 and b.ff.layers[0].bias.abs().max() == 0
    assert torch.equal(b.norm1.weight, torch.ones(256)) and b.norm1.bias.abs().max() == 0


def book_order_weights(seed, n_blocks, d, context_length, vocab_size):
    """The weights the book's GPTModel(cfg) draws after torch.manual_seed(seed), built here from
    plain torch layers in the order its __init__ builds them (LayerNorms and dropout draw
    nothing): tok_emb, pos_emb, per block the attention's four Linears and the feed-forward's two,
    then out_head."""
    torch.manual_seed(seed)
    weights = [nn.Embedding(vocab_size, d).weight, nn.Embedding(context_length, d).weight]
    for _ in range(n_blocks):
        qkv = [nn.Linear(d, d, bias=False).weight for _ in range(3)]
        out_proj, up, down = nn.Linear(d, d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        weights += [*qkv, out_proj.weight, out_proj.bias, up.weight, up.bias, down.weight]
        weights.append(down.bias)
    return [*weights, nn.Linear(d, vocab_size, bias=False).weight]


def test_default_init_draws_the_books_weights():
    state = torch.get_rng_state()
    model = GPTModel(3, 16, 4, 8, 11, init="default", seed=7)
    expected = book_order_weights(7, 3, 16, 8, 11)
    torch.set_rng_state(state)
    mine = [model.tok_emb.weight, model.pos_emb.weight]
    for b in model.trf_blocks:
        att, ff = b.att, b.ff.layers
        mine += [att.W_query.weight, att.W_key.weight, att.W_value.weight]
        mine += [att.out_proj.weight, att.out_proj.bias, ff[0].weight, ff[0].bias]
        mine += [ff[2].weight, ff[2].bias]
    mine.append(model.out_head.weight)
    assert len(mine) == len(expected) == len(list(model.parameters())) - 2 * 3 * 2 - 2
    assert all(torch.equal(a, b) for a, b in zip(mine, expected, strict=True))
    assert "init='default'" in repr(model) and "scaled_init" not in repr(model)
    # init_weights switches between the two inits on the same modules
    model.init_weights(7)
    pairs = zip(model.parameters(), GPTModel(3, 16, 4, 8, 11, seed=7).parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    model.init_weights(7, init="default")  # drawn afresh: the weights the constructor built
    fresh = GPTModel(3, 16, 4, 8, 11, init="default", seed=7).parameters()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), fresh, strict=True))


def test_default_init_has_pytorchs_statistics():
    # nn.Embedding: N(0, 1); nn.Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    # a std of 1/sqrt(3 fan_in) for the weights, whatever the width.
    model = GPTModel(2, 256, 4, 16, 512, init="default", seed=0)
    b = model.trf_blocks[1]
    assert model.tok_emb.weight.double().std().item() == pytest.approx(1.0, rel=0.02)
    for linear in (b.att.W_query, b.att.out_proj, b.ff.layers[0], b.ff.layers[2]):
        bound = 1 / math.sqrt(linear.in_features)
        assert linear.weight.abs().max() <= bound
        assert linear.weight.double().std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert 0 < b.ff.layers[2].bias.abs().max() <= 1 / math.sqrt(1024)
    history = train_transformer(model, make_token_task(8, 16, 512, seed=0), steps=1, batch_size=4)
    assert history.settings["init"] == "pytorch default"


# --- the token task -----------------------------------------------------------------------------


def test_token_task_repeats_its_pattern():
    state = torch.get_rng_state()
    task = make_token_task(50, 12, 7, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert task.x.shape == task.y.shape == (50, 12) and task.x.dtype == torch.int64
    assert torch.equal(task.y[:, :-1], task.x[:, 1:])  # y is x shifted by one
    assert torch.equal(task.y[:, 1:], task.x[:, :-1])  # period 2: the token before the current
    assert torch.equal(task.x[:, 0::2], task.x[:, :1].expand(50, 6))  # a b a b ...
    assert task.x.min() >= 0 and task.x.max() < 7 and len(task) == 50
    assert torch.equal(make_token_task(50, 12, 7, seed=3).x, task.x)
    assert not torch.equal(make_token_task(50, 12, 7, seed=4).x, task.x)
    assert task.chance_loss == pytest.approx(math.log(7))
    assert task.best_loss == pytest.approx(math.log(7) / 12)
    # The pair's two tokens are drawn independently: the current token alone says nothing.
    big = make_token_task(20_000, 2, 4, seed=0)
    joint = torch.zeros(4, 4).index_put_((big.x[:, 0], big.y[:, 0]), torch.ones(20_000), True)
    assert (joint / 20_000 - 1 / 16).abs().max() < 0.01


@pytest.mark.parametrize("period", [3, 5])
def test_token_task_with_a_longer_period(period):
    task = make_token_task(20, 11, 9, period=period, seed=1)
    seq = torch.cat([task.x, task.y[:, -1:]], dim=1)  # (20, 12): the whole sequence
    for i in range(period, 12):
        assert torch.equal(seq[:, i], seq[:, i - period])
    assert task.best_loss == pytest.approx(math.log(9) * (period - 1) / 11)


# --- errors a learner can read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(n_blocks=0), ValueError, ["n_blocks", "0"]),
        (dict(n_blocks=97), ValueError, ["n_blocks", "97"]),
        (dict(n_blocks=2.0), TypeError, ["n_blocks"]),
        (dict(emb_dim=30, n_heads=4), ValueError, ["emb_dim", "30", "n_heads", "4", "divisible"]),
        (dict(emb_dim=1, n_heads=1), ValueError, ["emb_dim"]),
        (dict(n_heads=0), ValueError, ["n_heads"]),
        (dict(context_length=0), ValueError, ["context_length"]),
        (dict(vocab_size=1), ValueError, ["vocab_size"]),
        (dict(norm="layernorm"), ValueError, ["norm", "'pre'", "'post'", "'none'"]),
        (dict(use_shortcut=1), TypeError, ["use_shortcut"]),
        (dict(final_norm="yes"), TypeError, ["final_norm"]),
        (dict(scaled_init=None), TypeError, ["scaled_init"]),
        (dict(init="kaiming"), ValueError, ["init", "'gpt2'", "'default'", "kaiming"]),
        (dict(drop_rate=1.0), ValueError, ["drop_rate"]),
        (dict(seed="0"), TypeError, ["seed"]),
    ],
)
def test_bad_model_options_are_named(kwargs, error, words):
    with pytest.raises(error) as info:
        GPTModel(**kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize(
    ("ids", "error", "words"),
    [
        (torch.zeros(2, 9, dtype=torch.long), ValueError, ["in_idx", "9", "context_length", "8"]),
        (torch.full((2, 4), 11), ValueError, ["in_idx", "11", "vocab_size"]),
        (torch.full((2, 4), -1), ValueError, ["in_idx", "-1", "vocab_size"]),
        (torch.zeros(2, 4), TypeError, ["in_idx", "integer", "float32"]),
        (torch.zeros(2, 4, dtype=torch.bool), TypeError, ["in_idx", "integer"]),
        ([[1, 2, 3]], TypeError, ["in_idx", "torch.Tensor", "list"]),
        (torch.zeros(4, dtype=torch.long), ValueError, ["in_idx", "(batch, tokens)", "(4,)"]),
        (torch.zeros(2, 0, dtype=torch.long), ValueError, ["in_idx", "tokens >= 1"]),
    ],
)
def test_bad_token_ids_are_named(ids, error, words):
    with pytest.raises(error) as info:
        small_model()(ids)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_int32_ids_are_fine():
    model, ids = small_model(), torch.tensor([[1, 2, 3]])
    torch.testing.assert_close(model(ids.int()), model(ids))


def meta_model():
    with torch.device("meta"):
        return GPTModel(2, 16, 4, 8, 11, seed=None)


def test_bad_probe_and_training_arguments_are_named():
    model, task = small_model(), make_token_task(40, 8, 11)
    longer, wider = make_token_task(40, 9, 11), make_token_task(40, 8, 12)
    cases = [
        (lambda: transformer_profile(model, task.x, task.y[:, :5]), ValueError, "y"),
        (lambda: transformer_profile(model, longer.x, longer.y), ValueError, "context_length"),
        (lambda: transformer_profile(model, wider.x, wider.y), ValueError, "vocab_size"),
        (lambda: transformer_profile("model", task.x, task.y), TypeError, "model"),
        (lambda: compare_transformer(model, task.x, task.y, vary="depth"), ValueError, "vary"),
        (lambda: transformer_profile(meta_model(), task.x, task.y), ValueError, "meta"),
        (lambda: transformer_profile(model, task.x[:, :0], task.y), ValueError, "x"),
        (lambda: transformer_profile(model, task.x, task.y, weights=1), TypeError, "weights"),
        (lambda: train_transformer(model, task.x), TypeError, "task"),
        (lambda: train_transformer(model, task, lr=0), ValueError, "lr"),
        (lambda: train_transformer(model, task, steps=0), ValueError, "steps"),
        (lambda: train_transformer(model, task, batch_size=41), ValueError, "batch_size"),
        (lambda: train_transformer(model, task, warmup=-1), ValueError, "warmup"),
        (lambda: train_transformer(model, longer), ValueError, "context_length"),
        (lambda: train_transformer(model, wider), ValueError, "vocab_size"),
        (lambda: make_token_task(0), ValueError, "n_sequences"),
        (lambda: make_token_task(8, 1), ValueError, "context_length"),
        (lambda: make_token_task(8, 8, 1), ValueError, "vocab_size"),
        (lambda: make_token_task(8, seed=1.5), TypeError, "seed"),
        (lambda: make_token_task(8, 4, period=5), ValueError, "context_length"),
        (lambda: make_token_task(8, 8, period=1), ValueError, "period"),
        (lambda: setattr(model, "norm", "pre-norm"), ValueError, "norm"),
        (lambda: setattr(model, "use_shortcut", "yes"), TypeError, "use_shortcut"),
    ]
    for call, error, word in cases:
        with pytest.raises(error) as info:
            call()
        assert word in str(info.value), str(info.value)
