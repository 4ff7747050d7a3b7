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
from torch import nn

import shortcut_lib as sl

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


WIDTH_64 = dict(emb_dim=64, n_heads=4, context_length=16, vocab_size=16)


def with_eps(model: nn.Module, eps: float) -> nn.Module:
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            module.eps = eps
    return model


def probe(model: sl.GPTModel, task: sl.TokenTask, **wiring) -> sl.TransformerProfile:
    """The stream's profile of ``model`` rewired as asked (``use_shortcut``, ``norm``,
    ``use_final_norm``), then put back."""
    saved = {name: getattr(model, name) for name in wiring}
    for name, value in wiring.items():
        setattr(model, name, value)
    try:
        return sl.transformer_profile(model, task.x, task.y, weights=False)
    finally:
        for name, value in saved.items():
            setattr(model, name, value)


# --- sections 2-4: width 64 at init ---------------------------------------------------------------


@cache
def gpt_width_64() -> dict:
    """Notebook 05's probe at width 64 (GPT-2's init, 8 sequences of 16 tokens), seeds 0-9:
    ``{(n_blocks, seed): {label: TransformerProfile}}`` (~6 s)."""
    result = {}
    for seed in range(10):
        task = sl.make_token_task(8, 16, 16, seed=seed)
        for n_blocks in (12, 48):
            model = sl.GPTModel(n_blocks, **WIDTH_64, seed=seed)
            p = {"plain": probe(model, task, use_shortcut=False), "shortcut": probe(model, task)}
            if n_blocks == 12:
                p["post"] = probe(model, task, norm="post")
                p["no final norm"] = probe(model, task, use_final_norm=False)
            else:
                p["plain, eps 1e-12"] = probe(with_eps(model, 1e-12), task, use_shortcut=False)
                with_eps(model, 1e-5)
            model.init_weights(seed, scaled_init=False)
            p["unscaled"] = probe(model, task)
            result[n_blocks, seed] = p
    return result
