"""Expensive measurements that several test modules assert on, each computed once per session.

A claim of a notebook is asserted over ``SEEDS``: the notebooks print seeds 0-3 at most, so 4-11
are seeds no notebook shows. The training runs of notebook 04 cost about half a second each; the
claim tests, the quiz's measured answers and the training tests share them through this cache.
"""

from __future__ import annotations

import math
from functools import cache

from oracles import hand_network, train_with_adams_floor_at

import shortcut_lib as sl

SEEDS = range(12)
CHANCE = math.log(2)


def at_chance(loss: float) -> bool:
    """Within 0.01 of ln 2: what a binary classifier that learnt nothing scores."""
    return abs(loss - CHANCE) < 0.01


def trained(**settings: object) -> dict[str, sl.History]:
    """``sl.train(**settings)``, computed once per session for each distinct set of settings."""
    return _trained(tuple(sorted(settings.items())))


@cache
def _trained(settings: tuple) -> dict[str, sl.History]:
    return sl.train(**dict(settings))


@cache
def without_adams_floor(seed: int) -> tuple[float, list[int]]:
    """Notebook 04, section 4.1: ``sl.train``'s plain model (built by hand) and batches, trained
    by a loop of its own with Adam's floor at 1e-30. The final loss (mean of the last 30 steps)
    and, per step, how many of the 22 weight matrices moved."""
    run = sl.TrainingRun(seed=seed, models="plain")  # only for its batches (300 steps)
    losses, moved = train_with_adams_floor_at(hand_network("sigmoid", seed), run, eps=1e-30)
    return sum(losses[-30:]) / 30, moved
