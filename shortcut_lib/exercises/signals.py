"""Exercises on the forward signal: how different the examples of a batch still are at a layer,
and the first layer at which they collapse into one.

The references compute the spread in float64 from its definition, ||h - batch mean|| / ||h||.
"""

from __future__ import annotations

import math

import torch

from ..models.mlp import DeepNetwork
from ._core import Case, Exercise, Mistake
from ._support import make_cases, number_close, seeded
from ._values import Failure, describe, fmt, sizes_text

COLLAPSED = 1e-3  # the spread below which the examples count as one (notebook 03)

# --- 03.2 the spread of a batch -------------------------------------------------------------------


def _spread(h: torch.Tensor) -> float:
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
    reference=_spread,
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


# --- 04.2 where the inputs collapse ---------------------------------------------------------------


def _collapse_cases() -> list[Case]:
    def case(sizes, activation, seed, use_shortcut=False):
        def make():
            net = DeepNetwork(sizes, activation, use_shortcut, seed=seed)
            return net, torch.randn(8, sizes[0], generator=seeded(seed))

        wiring = ", use_shortcut=True" if use_shortcut else ""
        return Case(
            f"sl.DeepNetwork({sizes_text(sizes)}, {activation!r}{wiring}, seed={seed}) and x, "
            "8 rows of noise",
            make,
        )

    # Chosen so that no layer's spread lies within 25% of 1e-3: the answer is never a close call.
    # The last case is a close call on purpose, built so that its spreads are known exactly.
    return [
        case([16] * 31, "sigmoid", 1),
        case([3] * 21, "relu", 0),  # its layer 3 is dead: every output exactly 0
        case([16] * 31, "sigmoid", 1, use_shortcut=True),
        case([16] * 25, "gelu", 4),
        Case(
            "sl.DeepNetwork([4] * 5, 'relu') with weights I and biases set so that the spreads of "
            "x's 4 rows at layers 1 to 4 are 0.02, 0.00105, 0.00096 and 0.0003",
            lambda: _designed(CLOSE_CALL),
        ),
    ]


# A batch of 4 whose units differ in scale: the neighbours of the spread's definition land on
# the other side of 1e-3 (an unbiased std is sqrt(4/3) = 1.155 times larger; a mean absolute
# deviation and a mean of the units' stds are 0.866 times the RMS of the stds here), while the
# spread itself is at least 4% from 1e-3, far beyond float32's error.
CLOSE_CALL = (0.02, 1.05e-3, 0.96e-3, 0.3e-3)
_ROWS = torch.tensor([3.0, -1.0, -1.0, -1.0])  # mean 0 over the batch
_UNITS = torch.tensor([1.0, 1.0, 1.0, 3.0])


def _designed(spreads: tuple[float, ...]) -> tuple[DeepNetwork, torch.Tensor]:
    """A ReLU network whose layer k adds a constant c_k - c_(k-1) to every unit (weights I, all
    values positive, so ReLU passes them): the examples' differences d stay, the offset grows,
    and the spread at layer k is ||d|| / sqrt(N c_k^2 + ||d||^2), N entries. Solved for c_k."""
    d = _ROWS[:, None] * _UNITS  # (batch, width)
    offsets = [10.0] + [
        d.norm().item() * math.sqrt(1 / s**2 - 1) / math.sqrt(d.numel()) for s in spreads
    ]
    model = DeepNetwork([d.shape[1]] * (len(spreads) + 1), "relu", seed=0)  # weights replaced
    with torch.no_grad():
        for layer, before, after in zip(model.layers, offsets, offsets[1:], strict=False):
            layer[0].weight.copy_(torch.eye(d.shape[1]))
            layer[0].bias.fill_(after - before)
    return model, offsets[0] + d


def _spreads(model, x) -> list[float]:
    with torch.no_grad():
        return [_spread(h) for h in model.hidden_states(x)]


def _first_collapsed(model, x, offset=0) -> int | None:
    spreads = _spreads(model, x)
    return next((i + 1 + offset for i, s in enumerate(spreads) if s < COLLAPSED), None)


def _compare_layer(got, expected, args) -> str | None:
    if got is not None and (isinstance(got, bool) or not isinstance(got, int)):
        raise Failure(f"it returned {describe(got)}; expected a layer number (an int) or None")
    if got == expected:
        return None
    spreads = _spreads(*args)
    said = "None" if got is None else f"layer {got}"
    if expected is None:
        smallest = fmt(min(spreads))
        return f"it returned {said}; no layer has collapsed (the smallest spread is {smallest})."
    at = (
        f"; the spread at layer {got} is {fmt(spreads[got - 1])}"
        if got and got <= len(spreads)
        else ""
    )
    return (
        f"it returned {said}; the first layer whose spread is below 1e-3 is layer {expected} "
        f"(spread {fmt(spreads[expected - 1])}){at}."
    )


def _collapse_starter(model, x):
    # YOUR CODE: go through model.hidden_states(x), h_1 .. h_depth, each (batch, width), and
    # return the first layer (counting from 1) whose spread is below 1e-3, or None
    return ...


def _collapse_solution(model, x):
    with torch.no_grad():
        states = model.hidden_states(x)  # h_1 .. h_depth, each (batch, width)
    for layer, h in enumerate(states, start=1):
        size = h.norm()
        spread = (h - h.mean(dim=0)).norm() / size if size > 0 else 0.0  # all 0: collapsed too
        if spread < 1e-3:
            return layer
    return None


FIRST_COLLAPSED = Exercise(
    id="04.2",
    name="first_collapsed_layer(model, x)",
    task="must return the first layer, counting from 1, at which the examples of x can no longer "
    "be told apart (spread below 1e-3), or None if there is none.",
    cases=_collapse_cases,
    reference=_first_collapsed,
    compare=_compare_layer,
    hint="the spread of notebook 03 is ||h - h.mean(dim=0)|| / ||h||; a layer whose outputs are "
    "all 0 counts as collapsed (every example gives the same h).",
    tested="(spreads in float64) for plain sigmoid, ReLU of width 3 with a dead layer, sigmoid "
    "with shortcuts (no collapse), GELU, and spreads just above and below 1e-3",
    starter=_collapse_starter,
    solution=_collapse_solution,
    mistakes=(
        Mistake(
            lambda m, x: _first_collapsed(m, x, offset=-1),
            "it is the 0-based index. Layers count from 1 here, as in the plots: layer 1 is "
            "model.layers[0], and enumerate(states, start=1) counts that way.",
        ),
        Mistake(
            lambda m, x: next(
                (
                    i + 1
                    for i, h in enumerate(m.hidden_states(x))
                    if (h - h.mean(0)).norm() / h.norm() < COLLAPSED
                ),
                None,
            ),
            "a dead layer outputs all 0, and 0 / 0 is NaN, which is never below 1e-3. Every "
            "example gives the same h there: count it as collapsed (spread 0).",
        ),
    ),
)


EXERCISES = (SPREAD, FIRST_COLLAPSED)
