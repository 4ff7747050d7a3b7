"""Training GPT stacks: the records against a training loop written out with torch's own Adam,
the warmup, runs in chunks and errors a learner can read. Notebook 05's training claims:
tests/test_claims_05.py."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from shortcut_lib.data import make_token_task
from shortcut_lib.families import BlockTrainingSettings
from shortcut_lib.models.gpt import GPTModel
from shortcut_lib.training import TrainingRun, train_transformer

SMALL = dict(emb_dim=16, n_heads=2, context_length=6, vocab_size=7)


# --- an independent oracle: the loop written out, torch.optim.Adam without fusing --------------


def oracle_training(model, task, *, lr, steps, batch_size, warmup, seed):
    """Records of each step by hand: loss, and per layer (embeddings, each block, head) the mean
    |dL/dW|, ||W_after - W_before|| / ||W_before|| and ||W_before||, from named parameters."""
    model = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(len(task), generator=gen) for _ in range(steps)])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (step + 1) / (warmup + 1) if step < warmup else 1.0
    )
    named = dict(model.named_parameters())
    layers = [["tok_emb.weight", "pos_emb.weight"]]
    for i in range(model.n_blocks):
        prefix = f"trf_blocks.{i}."
        names = (
            "att.W_query",
            "att.W_key",
            "att.W_value",
            "att.out_proj",
            "ff.layers.0",
            "ff.layers.2",
        )
        layers.append([f"{prefix}{n}.weight" for n in names])
    layers.append(["out_head.weight"])
    records = {"loss": [], "weight_grad_mean": [], "update_ratio": [], "weight_norm": []}
    for step in range(steps):
        index = order[step * batch_size : (step + 1) * batch_size]
        logits = model(task.x[index])
        loss = F.cross_entropy(logits.reshape(-1, model.vocab_size), task.y[index].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        before = {name: p.detach().clone() for name, p in named.items()}
        optimizer.step()
        schedule.step()
        records["loss"].append(loss.item())
        grads, ratios, norms = [], [], []
        for names in layers:
            total = sum(named[n].numel() for n in names)
            grads.append(sum(named[n].grad.abs().sum().item() for n in names) / total)
            norm = math.sqrt(sum(before[n].double().pow(2).sum().item() for n in names))
            moved = sum((named[n] - before[n]).double().pow(2).sum().item() for n in names)
            ratios.append(math.sqrt(moved) / norm)
            norms.append(norm)
        records["weight_grad_mean"].append(grads)
        records["update_ratio"].append(ratios)
        records["weight_norm"].append(norms)
    return records


def assert_records_close(history, expected, rel):
    assert history.loss == pytest.approx(expected["loss"], rel=rel)
    for key in ("weight_grad_mean", "update_ratio", "weight_norm"):
        for got, want in zip(getattr(history, key), expected[key], strict=True):
            assert got == pytest.approx(want, rel=rel), key


@pytest.mark.parametrize(
    ("norm", "use_shortcut", "warmup"), [("pre", True, 0), ("post", True, 3), ("pre", False, 0)]
)
def test_records_match_a_loop_written_out(norm, use_shortcut, warmup):
    model = GPTModel(3, **SMALL, norm=norm, use_shortcut=use_shortcut, seed=4)
    task = make_token_task(40, 6, 7, seed=5)
    options = dict(lr=0.01, steps=8, batch_size=8, warmup=warmup, seed=6)
    expected = oracle_training(model, task, **options)
    history = train_transformer(model, task, **options)
    assert history.layer_names == ["in", "1", "2", "3", "out"]
    assert history.model == ("shortcut" if use_shortcut else "plain")
    assert history.settings["norm"] == norm and history.settings["warmup"] == warmup
    # fused against unfused Adam: the same arithmetic in another order, float32 rounding apart
    assert_records_close(history, expected, rel=1e-3)
    assert all(p.grad is None for p in model.parameters())  # no .grad left behind


def test_warmup_makes_the_first_updates_small():
    # With a warmup of 10 steps the first step uses lr / 11: the first update is ~11x smaller.
    task = make_token_task(40, 6, 7, seed=5)
    ratio = {}
    for warmup in (0, 10):
        model = GPTModel(2, **SMALL, seed=1)
        history = train_transformer(model, task, lr=0.01, steps=2, batch_size=8, warmup=warmup)
        ratio[warmup] = history.update_ratio[0][1]  # block 1, first step
    assert ratio[10] == pytest.approx(ratio[0] / 11, rel=0.05)


def test_training_leaves_the_global_rng_and_is_repeatable():
    task = make_token_task(40, 6, 7, seed=5)
    state = torch.get_rng_state()
    first = train_transformer(GPTModel(2, **SMALL, seed=1), task, steps=5, batch_size=8)
    again = train_transformer(GPTModel(2, **SMALL, seed=1), task, steps=5, batch_size=8)
    assert torch.equal(torch.get_rng_state(), state)
    assert first == again


# --- TrainingRun of GPT stacks: the explorer's run --------------------------------------------

RUN = dict(depth=2, width=16, heads=2, context_length=6, vocab_size=7, steps=12, batch_size=8)


def test_run_in_chunks_equals_one_go_and_train_transformer():
    whole = TrainingRun("tokens", **RUN, seed=3)
    whole.advance(100)  # more than asked: stops at the end
    chunked = TrainingRun("tokens", **RUN, seed=3)
    for n in (5, 1, 4, 2):
        chunked.advance(n)
    assert whole.step == chunked.step == 12 and whole.done
    assert whole.advance(5) == 12  # a finished run stays finished
    assert whole.history() == chunked.history()
    # Each model is what train_transformer makes of a fresh GPTModel from the same seed.
    task = make_token_task(512, 6, 7, seed=3)
    for name, use_shortcut in (("plain", False), ("shortcut", True)):
        model = GPTModel(2, 16, 2, 6, 7, use_shortcut=use_shortcut, seed=3)
        alone = train_transformer(model, task, lr=0.03, steps=12, batch_size=8, seed=3)
        got = whole.history()[name]
        assert (got.loss, got.weight_grad_mean) == (alone.loss, alone.weight_grad_mean)


def test_both_models_start_from_the_same_weights_and_differ_only_by_the_shortcut():
    run = TrainingRun("tokens", **RUN, norm="post", final_norm=False, scaled_init=False)
    plain, shortcut = run.models["plain"], run.models["shortcut"]
    assert not plain.use_shortcut and shortcut.use_shortcut
    for model in (plain, shortcut):
        assert (model.norm, model.use_final_norm, model.scaled_init) == ("post", False, False)
    for (name, a), b in zip(
        plain.state_dict().items(), shortcut.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    only = TrainingRun("tokens", **RUN, models="shortcut")
    only.advance(3)
    assert list(only.history()) == ["shortcut"] and only.history()["shortcut"].steps == 3


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        (dict(width=36, heads=8), ValueError, ["width (36)", "heads (8)", "divisible"]),
        (dict(depth=0), ValueError, ["depth", "0"]),
        (dict(depth=48, width=256), ValueError, ["MB", "300 MB", "width=72 fits"]),
        (dict(lr=0), ValueError, ["lr"]),
        (dict(warmup=-1), ValueError, ["warmup"]),
        (dict(models="pre"), ValueError, ["models", "'both'"]),
        (dict(batch_size=513), ValueError, ["batch_size", "512"]),
        (dict(depth=2.0), TypeError, ["depth"]),
    ],
)
def test_bad_run_settings_are_named(changes, error, words):
    with pytest.raises(error) as info:
        TrainingRun("tokens", **changes)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_the_state_string_reads_back():
    settings = BlockTrainingSettings(depth=6, norm="post", lr=0.02, warmup=30)
    assert BlockTrainingSettings.parse(str(settings)) == settings
    assert "lr=0.02" in str(settings) and "warmup=30" in str(settings)
