"""Exercise 04.2: the first layer at which a batch's inputs collapse."""

from __future__ import annotations

import math

import torch

from ...models.mlp import DeepNetwork
from .._core import Case, Exercise, Mistake
from .._support import seeded
from .._values import Failure, describe, fmt, sizes_text
from ..shortcuts.spread import COLLAPSED, spread


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
        return [spread(h) for h in model.hidden_states(x)]


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
