"""Every quantitative claim of notebook 04, asserted over seeds 0-11 (the notebook prints 0-3).

Training runs 300 steps, and float32 results that long differ in their last bits between CPU kernel
sets, enough to move a chaotic seed from one band to another. So claims are counts of seeds and
bands with room, as the notebook states them, and they hold under ``ATEN_CPU_CAPABILITY=default``
as well as the native kernels (`.ci/run` runs this module under both).

The runs come from :mod:`measured`, once per session: all twelve seeds trained at once by
:func:`oracles.train_seeds`, a loop of its own checked here against ``sl.train``. Section 4.2's
networks are built by hand (:func:`oracles.hand_network`), with the layer order and init
``sl.train`` uses.
"""

from __future__ import annotations

from statistics import median

import pytest
import torch
import torch.nn.functional as F
from measured import at_chance, seed_runs
from oracles import hand_network, train_seeds

import shortcut_lib as sl

RELU = {"activation": "relu", "init": "kaiming"}
LAYERS = ["in", *map(str, range(1, 21)), "out"]  # the weight matrices at depth 20


def finals(model: str = "plain", **settings: object) -> list[float]:
    """Final losses over SEEDS of ``sl.train(seed=s, models=model, **settings)[model]``."""
    return seed_runs(model, **settings).final_loss


def count(condition, values) -> int:
    return sum(map(condition, values))


def test_hand_network_has_the_weights_sl_train_starts_from():
    for seed in (0, 3):
        mine = list(hand_network("sigmoid", seed).parameters())
        theirs = list(sl.TrainingRun(seed=seed, models="plain").models["plain"].parameters())
        assert len(mine) == len(theirs)
        assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))


@pytest.mark.parametrize(
    ("model", "settings"),
    [("plain", {}), ("shortcut", {"final_norm": True, **RELU}),
     ("shortcut", {"branch_scale": "1/sqrt(depth)", "activation": "tanh"})],
)  # fmt: skip
def test_train_seeds_trains_each_seed_as_sl_train_does(model, settings):
    ours = train_seeds([0, 3], model, steps=10, **settings)  # before rounding differences grow
    for column, seed in enumerate((0, 3)):
        theirs = sl.train(seed=seed, models=model, steps=10, **settings)[model]
        assert torch.allclose(ours.loss[:, column], torch.tensor(theirs.loss), rtol=1e-3)
        grads = torch.tensor(theirs.weight_grad_mean)  # (steps, layers)
        assert torch.allclose(ours.weight_grad_mean[:, column], grads, rtol=1e-2, atol=1e-30)
        ratios = torch.tensor(theirs.update_ratio, dtype=torch.float64)
        assert torch.allclose(ours.update_ratio[:, column], ratios, rtol=1e-2, atol=1e-12)
        assert torch.equal(ours.update_ratio[:, column] > 0, ratios > 0)


# --- sections 3 and 5: plain at chance, shortcut below it ---------------------------------------


def test_the_plain_network_ends_at_chance_and_the_shortcut_network_below_it():
    plain, shortcut = finals(), finals("shortcut")
    assert all(map(at_chance, plain)), plain  # "within 0.01 of chance for all 12"
    assert all(s < p for s, p in zip(shortcut, plain, strict=True))  # "below it for 12 of 12"
    assert min(shortcut) > 0.05 and max(shortcut) < 0.65  # "between 0.08 and 0.60"


def test_the_plain_first_layers_get_almost_nothing_and_never_move():
    first, last = LAYERS.index("1"), LAYERS.index("20")
    plain, shortcut = seed_runs("plain"), seed_runs("shortcut")
    grads = plain.weight_grad_mean  # (steps, seeds, layers)
    # "never more than about 1e-13 of layer 20's gradient", at any step, for any seed
    assert (grads[:, :, first] / grads[:, :, last]).max() < 1e-12
    for name in ("in", "1", "2"):  # "`in`, 1 and 2 never change"
        assert (plain.update_ratio[:, :, LAYERS.index(name)] == 0).all(), name
    assert (shortcut.update_ratio[:, :, first] > 1e-4).all()  # its layer 1 always moves
    ratios = shortcut.weight_grad_mean[:, :, first] / shortcut.weight_grad_mean[:, :, last]
    assert (ratios.median(dim=0).values > 1e-2).all()  # layer 1's gradient near layer 20's


# --- section 4.1: Adam's floor taken away -------------------------------------------------------


def test_without_adams_floor_every_layer_moves_and_no_seed_learns():
    runs = seed_runs(eps=1e-30)
    # "all 22 weight matrices, or all but one, move at a typical step"
    assert (runs.moved.median(dim=0).values >= 21).all()
    floorless = runs.final_loss
    assert min(floorless) > 0.5, floorless  # "none below 0.5"
    assert count(at_chance, floorless) >= 9, floorless  # "10 or 11 of the 12 end at chance"
    # with Adam's usual floor, several early layers never move, and every seed ends at chance
    assert (seed_runs().moved.median(dim=0).values <= 17).all()


# --- section 4.2: the forward signal at initialization ------------------------------------------

FORWARD_SEEDS = range(20)


@pytest.fixture(scope="module")
def distinct_logits():
    x = sl.make_spirals(256, seed=0).x

    def distinct(activation, seed, use_shortcut=False):
        with torch.no_grad():
            return hand_network(activation, seed, use_shortcut)(x).unique().numel()

    kinds = {"sigmoid": ("sigmoid", False), "relu": ("relu", False), "tanh": ("tanh", False),
             "shortcut": ("sigmoid", True)}  # fmt: skip
    return {k: [distinct(a, s, sc) for s in FORWARD_SEEDS] for k, (a, sc) in kinds.items()}


def test_the_plain_forward_signal_collapses_at_initialization(distinct_logits):
    counts = distinct_logits  # of 256 inputs, seeds 0-19
    assert set(counts["sigmoid"]) == {1}  # "one logit, for 20 of 20 seeds"
    assert max(counts["relu"]) <= 20  # "1 to 18 distinct logits"
    assert min(counts["tanh"]) >= 25  # "31 to 250 ..."
    assert count(lambda n: n > 100, counts["tanh"]) >= 14  # "... more than 100 for 16 of 20"
    assert min(counts["shortcut"]) >= 254  # "all 256 for 19 of 20 seeds, 255 for one"
    assert count(lambda n: n == 256, counts["shortcut"]) >= 17


def test_tanh_keeps_its_inputs_apart_but_only_barely():
    task = sl.make_spirals(256, seed=0)
    for seed in FORWARD_SEEDS:
        model = hand_network("tanh", seed)
        loss = F.binary_cross_entropy_with_logits(model(task.x), task.y)
        loss.backward()
        first, last = model.hidden[0].weight.grad, model.hidden[-1].weight.grad
        # "its first hidden layer gets between 2e-5 and 2e-3 of the last one's gradient"
        assert 1e-5 < first.abs().mean() / last.abs().mean() < 5e-3
        with torch.no_grad():
            h = model.input(task.x)
            for layer in model.hidden:
                h = model.f(layer(h))  # (256, 32): layer 20
            spread = (h - h.mean(0)).norm() / h.norm()
        assert 3e-6 < spread < 3e-4  # "by layer 20 the inputs differ by only about 1e-5 to 1e-4"


# --- section 6: depth, activation, learning rate, initialization --------------------------------


def test_depth_3_learns_and_depth_10_does_not():
    depth3, depth10 = finals(depth=3), finals(depth=10)
    assert count(lambda f: f < 0.5, depth3) >= 10, depth3  # "below 0.5 for 11 of 12"
    assert max(depth3) < 0.6  # "between 0.09 and 0.54"
    assert all(map(at_chance, depth10)), depth10  # "at chance for 12 of 12"
    shortcut = finals("shortcut", depth=10)
    assert min(shortcut) > 0.05 and max(shortcut) < 0.4  # "between 0.11 and 0.31"


def test_tanh_and_relu_plain_networks_mostly_stay_at_chance():
    tanh, relu = finals(activation="tanh"), finals(activation="relu")
    assert min(tanh) > 0.5 and count(at_chance, tanh) >= 8, tanh  # "10 of 12 at chance"
    assert all(map(at_chance, relu)), relu  # "ReLU's plain network at chance for 12 of 12"
    for activation in ("tanh", "relu"):  # "the shortcut model ends below the plain one"
        pairs = zip(
            finals("shortcut", activation=activation), finals(activation=activation), strict=False
        )
        assert all(s < p for s, p in pairs), activation


def test_a_larger_learning_rate_does_not_rescue_the_plain_network():
    assert all(map(at_chance, finals(lr=0.1)))
    shortcut = finals("shortcut", lr=0.1)
    assert min(shortcut) > 0.01 and max(shortcut) < 0.25  # "0.03 to 0.16 over seeds 0-11"


def test_a_kaiming_relu_plain_network_trains_at_depth_20():
    gentle = finals(lr=1e-3, **RELU)
    assert max(gentle) < 0.3 and median(gentle) < 0.05, gentle  # "below 0.3, most below 0.05"
    assert all(map(at_chance, finals(lr=1e-3)))  # sigmoid, same learning rate
    fast = finals(**RELU)  # lr 0.01: "less reliable, median 0.2 to 0.3"
    assert median(fast) > 0.1 and max(fast) > 0.3, fast


# --- section 6.5: the shortcut network's first loss and two cures -------------------------------


def test_both_cures_start_the_shortcut_network_near_chance():
    def first_losses(**options):
        return seed_runs("shortcut", steps=1, **options).loss[0].tolist()

    sigmoid = first_losses()  # the stream grows with depth: "0.7 to 7.6, above 2 for 9 of 12"
    assert min(sigmoid) > 0.7 and count(lambda f: f > 2, sigmoid) >= 8, sigmoid
    assert min(first_losses(**RELU)) > 100  # "in the hundreds or thousands"
    for base in ({}, RELU):
        assert max(first_losses(final_norm=True, **base)) < 1.0
        assert max(first_losses(branch_scale="1/sqrt(depth)", **base)) < 2.5


def test_both_cures_end_the_sigmoid_shortcut_network_lower():
    none = finals("shortcut")
    for cure in ({"final_norm": True}, {"branch_scale": "1/sqrt(depth)"}):
        cured = finals("shortcut", **cure)  # "lower than without them, for 12 of 12 seeds"
        assert all(c < n for c, n in zip(cured, none, strict=True)), (cure, cured, none)


def test_a_final_norm_alone_needs_smaller_steps_with_multiplicative_growth():
    assert max(finals("shortcut", **RELU)) < 0.35  # uncured, it learns
    assert max(finals("shortcut", branch_scale="1/sqrt(depth)", **RELU)) < 0.35
    final_norm = finals("shortcut", final_norm=True, **RELU)
    assert min(final_norm) > 0.4, final_norm  # "between 0.47 and 0.70"
    assert count(at_chance, final_norm) >= 6  # "for 8 of the 12 within 0.01 of chance"
    gentle = finals("shortcut", final_norm=True, lr=1e-3, **RELU)
    assert max(gentle) < 0.1, gentle  # "at lr 0.001 ... below 0.1 for 12 of 12 seeds"
