"""Exercise 04.1: the update-to-weight ratio."""

from __future__ import annotations

import torch

from .._core import Case, Exercise, Mistake
from .._support import number_close, seeded


def _update(kind: str, seed: int, shape: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    before = 0.1 * torch.randn(*shape, generator=seeded(seed))
    if kind == "step":  # a gradient step
        return before, before - 1e-3 * torch.randn(*shape, generator=seeded(seed + 1))
    if kind == "rotate":  # turns W without changing its norm
        angle = torch.tensor(0.01)
        rotation = torch.eye(shape[1])
        rotation[:2, :2] = torch.stack(
            [torch.stack([angle.cos(), -angle.sin()]), torch.stack([angle.sin(), angle.cos()])]
        )
        return before, before @ rotation
    if kind == "scale":
        return before, 1.01 * before
    return before, before.clone()  # no update at all


def _ratio(before: torch.Tensor, after: torch.Tensor) -> float:
    return ((after.double() - before.double()).norm() / before.double().norm()).item()


def _ratio_starter(before, after):
    # before, after: the weight matrix W before and after one update, same shape
    return ...  # YOUR CODE: ||W_after - W_before|| / ||W_before||


def _ratio_solution(before, after):
    return ((after - before).norm() / before.norm()).item()  # Frobenius norms


UPDATE_RATIO = Exercise(
    id="04.1",
    name="update_ratio(before, after)",
    task="must return ||W_after - W_before|| / ||W_before|| for a weight matrix before and after "
    "one update (Frobenius norms).",
    cases=lambda: [
        Case(f"W of shape {shape} and {words}", lambda k=kind, s=seed, sh=shape: _update(k, s, sh))
        for kind, seed, shape, words in (
            ("step", 1, (32, 32), "W - 0.001 g after a gradient step"),
            ("rotate", 2, (16, 16), "W turned by 0.01 rad, its norm unchanged"),
            ("scale", 3, (8, 3), "1.01 W"),
            ("none", 4, (4, 4), "no update at all"),
        )
    ],
    reference=_ratio,
    compare=number_close(1e-4, 1e-9),
    hint="W.norm() is the Frobenius norm, the square root of the sum of squared entries.",
    tested="(float64 norms) for a gradient step, a rotation, a rescaling and no update",
    starter=_ratio_starter,
    solution=_ratio_solution,
    mistakes=(
        Mistake(
            lambda b, a: ((a.norm() - b.norm()) / b.norm()).item(),
            "the change of the norm is not the norm of the change: an update that turns W "
            "leaves its norm as it was and still moves every weight. Subtract first.",
        ),
        Mistake(
            lambda b, a: ((a.norm() - b.norm()) / b.norm()).abs().item(),
            "the change of the norm is not the norm of the change: an update that turns W "
            "leaves its norm as it was and still moves every weight. Subtract first.",
        ),
        Mistake(
            lambda b, a: ((a - b).norm() / a.norm()).item(),
            "it divides by the weights after the update; the ratio compares the update "
            "with the weights it was applied to, ||W_before||.",
        ),
        Mistake(
            lambda b, a: ((a - b).abs() / b.abs()).mean().item(),
            "it averages entry-by-entry ratios, which blow up wherever an entry of W is near "
            "0. The ratio is one number for the whole matrix: a norm over a norm.",
        ),
        Mistake(
            lambda b, a: (a - b).norm().item(),
            "it is not divided by ||W_before||: the size of an update only means something "
            "next to the size of the weights.",
        ),
        Mistake(
            lambda b, a: ((a - b).abs().mean() / b.abs().mean()).item(),
            "it uses mean absolute values; the rule of thumb is about norms, ||.||.",
        ),
    ),
)
