"""Claims of notebook 04 about *why* the plain network fails, checked over five seeds.

Section 4.1: taking Adam's floor away (eps 1e-8 -> 1e-30) lets every weight matrix move, and the
plain depth-20 sigmoid network still ends at chance. Section 4.2: at initialization its forward
pass maps all 256 inputs to one logit (ReLU to a handful, tanh to more than 100, the shortcut
network to 256). Section 6.4: a plain ReLU network with Kaiming init trains at the same depth.
Section 6.5: the shortcut network's first loss and its two cures.

The networks of sections 4.1 and 4.2 are written out here with plain torch layers (the layer order
and default init ``sl.train`` uses), trained or run with a loop of their own.
"""

from __future__ import annotations

import math
from statistics import median_low

import pytest
import torch
from oracles import train_with_adams_floor_at
from torch import nn

import shortcut_lib as sl

SEEDS = range(5)
CHANCE = math.log(2)
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


@pytest.fixture(scope="module")
def spirals():
    return sl.make_spirals(256, seed=0)


class HandNetwork(nn.Module):
    """Linear(2, 32), then 20 x (Linear(32, 32), activation) with or without a shortcut, then
    Linear(32, 1): drawn in the order sl.train draws them, so one seed gives the same weights."""

    def __init__(self, activation: str, use_shortcut: bool = False) -> None:
        super().__init__()
        self.input = nn.Linear(2, 32)
        self.hidden = nn.ModuleList(nn.Linear(32, 32) for _ in range(20))
        self.output = nn.Linear(32, 1)
        self.f, self.use_shortcut = ACTIVATIONS[activation](), use_shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input(x)
        for layer in self.hidden:
            h = h + self.f(layer(h)) if self.use_shortcut else self.f(layer(h))
        return self.output(h)


def hand_network(activation: str, seed: int, use_shortcut: bool = False) -> HandNetwork:
    torch.manual_seed(seed)
    return HandNetwork(activation, use_shortcut)


def test_hand_network_has_the_weights_sl_train_starts_from():
    for seed in (0, 3):
        mine = [p for p in hand_network("sigmoid", seed).parameters()]
        theirs = list(sl.TrainingRun(seed=seed, models="plain").models["plain"].parameters())
        assert len(mine) == len(theirs)
        assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_without_adams_floor_every_layer_moves_and_the_loss_stays_at_chance(spirals, seed):
    run = sl.TrainingRun(seed=seed, models="plain")  # only for its batches (300 steps)
    assert run.steps == 300
    losses, moved = train_with_adams_floor_at(hand_network("sigmoid", seed), run, eps=1e-30)
    assert median_low(moved) == 22 and min(moved[10:]) >= 20
    assert abs(sum(losses[-30:]) / 30 - CHANCE) < 0.01
    # with Adam's usual floor, several early layers do not move (section 4's frozen layers)
    usual = sl.train(seed=seed, models="plain")["plain"]
    assert median_low([sum(r > 0 for r in step) for step in usual.update_ratio]) <= 17


@pytest.mark.parametrize("seed", SEEDS)
def test_the_plain_forward_signal_collapses_at_initialization(spirals, seed):
    def distinct(activation, use_shortcut=False):
        with torch.no_grad():
            return hand_network(activation, seed, use_shortcut)(spirals.x).unique().numel()

    assert distinct("sigmoid") == 1  # one logit for all 256 inputs
    assert distinct("relu") < 10
    assert distinct("tanh") > 100
    assert distinct("sigmoid", use_shortcut=True) == 256


@pytest.mark.parametrize("seed", SEEDS)
def test_kaiming_relu_plain_network_trains_at_depth_20(seed):
    options = {"lr": 1e-3, "models": "plain", "seed": seed}
    history = sl.train(activation="relu", init="kaiming", **options)["plain"]
    assert history.final_loss < 0.2
    default = sl.train(**options)["plain"]  # sigmoid, default init, the same learning rate
    assert abs(default.final_loss - CHANCE) < 0.01


@pytest.mark.parametrize("seed", SEEDS)
def test_both_cures_start_the_shortcut_network_near_chance(seed):
    def first_loss(**options):
        return sl.train(models="shortcut", steps=1, seed=seed, **options)["shortcut"].loss[0]

    relu = {"activation": "relu", "init": "kaiming"}
    assert first_loss() > 2 and first_loss(**relu) > 100  # the stream grows with depth
    for base in ({}, relu):
        assert first_loss(final_norm=True, **base) < 1.1
        assert first_loss(branch_scale="1/sqrt(depth)", **base) < 2.5


@pytest.mark.parametrize("seed", SEEDS)
def test_cures_after_training(seed):
    def final(**options):
        return sl.train(models="shortcut", seed=seed, **options)["shortcut"].final_loss

    none = final()
    assert final(final_norm=True) < none and final(branch_scale="1/sqrt(depth)") < none
    # multiplicative growth: at lr 0.01 a final LayerNorm alone leaves the ReLU network far above
    # what the uncured network and scaled branches reach; at lr 0.001 it learns
    relu = {"activation": "relu", "init": "kaiming"}
    assert final(final_norm=True, **relu) > 0.4
    assert final(**relu) < 0.35 and final(branch_scale="1/sqrt(depth)", **relu) < 0.35
    assert final(final_norm=True, lr=1e-3, **relu) < 0.1
