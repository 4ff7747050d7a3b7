"""Exercise 03.2: how far apart a batch's hidden states are."""

from __future__ import annotations

import torch

from .._core import Exercise, Mistake
from .._support import make_cases, number_close, seeded

COLLAPSED = 1e-3  # the spread below which the examples count as one (notebook 03)


def spread(h: torch.Tensor) -> float:
    # RMS over units of the std across the batch, over the RMS of h: ||h - mean|| / ||h||.
    h = h.detach().double()
    size = h.norm()
    return ((h - h.mean(dim=0)).norm() / size).item() if size > 0 else 0.0


def _spread_variant(h, *, correction=0, dim=0, relative=True, rms=True):
    per_unit = h.double().std(dim=dim, correction=correction)
    value = per_unit.pow(2).mean().sqrt() if rms else per_unit.mean()
    return (value / h.double().pow(2).mean().sqrt()).item() if relative else value.item()


def _spread_starter(h):
    # YOUR CODE: h is (batch, width), one row per example. Each unit's standard deviation across
    # the batch, its root mean square over the units, divided by the RMS of h (0 if h is all 0)
    return ...


def _spread_solution(h):
    per_unit = h.std(dim=0, correction=0)  # across the batch, dividing by batch: (width,)
    rms = h.pow(2).mean().sqrt()
    if rms == 0:
        return 0.0  # every entry 0: every example gives the same h
    return (per_unit.pow(2).mean().sqrt() / rms).item()


SPREAD = Exercise(
    id="03.2",
    name="activation_spread(h)",
    task="must return how different the examples of a batch h (batch, width) still are: the RMS "
    "over units of the std across the batch, divided by the RMS of h (0 when h is all 0).",
    cases=lambda: make_cases(
        (
            "h of shape (16, 8), random with an offset",
            lambda: (torch.randn(16, 8, generator=seeded(1)) + 0.5,),
        ),
        (
            "h of shape (4, 32), four nearly equal rows (one row times 10, plus noise of 0.01)",
            lambda: (
                10 * torch.randn(1, 32, generator=seeded(2))
                + 0.01 * torch.randn(4, 32, generator=seeded(3)),
            ),
        ),
        ("h of shape (1, 8), a batch of one", lambda: (torch.randn(1, 8, generator=seeded(4)),)),
        (
            "h of shape (5, 6), five equal rows",
            lambda: (torch.randn(1, 6, generator=seeded(5)).expand(5, 6).clone(),),
        ),
        ("h of shape (5, 4), all zeros (a dead ReLU layer)", lambda: (torch.zeros(5, 4),)),
    ),
    reference=spread,
    compare=number_close(1e-4, 1e-6),
    hint="h.std(dim=0, correction=0) is each unit's std across the batch; the RMS of a tensor t "
    "is t.pow(2).mean().sqrt().",
    tested="(||h - batch mean|| / ||h|| in float64) on random rows, nearly equal rows, a batch "
    "of one, equal rows and all zeros",
    starter=_spread_starter,
    solution=_spread_solution,
    mistakes=(
        Mistake(
            lambda h: _spread_variant(h, correction=1),
            "torch.std divides by batch - 1 unless told otherwise: a batch of one gives 0/0 "
            "= NaN. The spread describes the batch itself: std(dim=0, correction=0).",
        ),
        Mistake(
            lambda h: _spread_variant(h, dim=1),
            "it measures how different the units of one example are (dim=1); the spread is "
            "across the batch, dim=0: how different the examples are.",
        ),
        Mistake(
            lambda h: _spread_variant(h, relative=False),
            "it is not divided by the RMS of h. Divided, the spread says what fraction of the "
            "signal tells the examples apart, whatever the size of h.",
        ),
        Mistake(
            lambda h: _spread_variant(h, rms=False),
            "it takes the mean of the units' stds; the spread uses their root mean square.",
        ),
    ),
)
