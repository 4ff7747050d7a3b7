"""Expensive measurements that several test modules assert on, each computed once per session.

A claim of a notebook is asserted over ``SEEDS``: the notebooks print seeds 0-3 at most, so 4-11
are seeds no notebook shows. Notebook 04's runs are trained for all twelve seeds at once
(:func:`oracles.train_seeds`, checked against ``sl.train`` in test_claims_04.py); the claim tests
and the quiz's measured answers share them through this cache.
"""

from __future__ import annotations

import math
from functools import cache

from oracles import SeedRuns, train_seeds

SEEDS = range(12)
CHANCE = math.log(2)


def at_chance(loss: float) -> bool:
    """Within 0.01 of ln 2: what a binary classifier that learnt nothing scores."""
    return abs(loss - CHANCE) < 0.01


def seed_runs(model: str = "plain", **settings: object) -> SeedRuns:
    """``sl.train(seed=s, models=model, **settings)[model]`` for every seed of SEEDS, trained once
    per session for each distinct set of settings (``eps``: Adam's floor, 1e-8 by default)."""
    return _seed_runs(model, tuple(sorted(settings.items())))


@cache
def _seed_runs(model: str, settings: tuple) -> SeedRuns:
    return train_seeds(SEEDS, model, **dict(settings))
