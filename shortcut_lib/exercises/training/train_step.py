"""Exercise 04.3: a training step with two silent bugs, fixed."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...models.mlp import DeepNetwork
from .._core import Case, Exercise
from .._values import Failure, as_number, as_numbers, describe, fmt, fmt_pair

RTOL = 1e-5  # float32 ratios of float32 weights: about 1e-6 apart from the float64 reference


def _training_cases() -> list[Case]:
    def case(activation, optimizer, lr, seed, use_shortcut, scale=1, last=1.0):
        def make():
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = nn.Sequential(
                    nn.Linear(2, 8), DeepNetwork([8] * 4, activation, use_shortcut), nn.Linear(8, 1)
                )
            with torch.no_grad():  # with large inputs: logits kept within +-5, not saturated
                model[2].weight.mul_(last)
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn(3, 16, 2, generator=gen)  # three batches of 16 points
            y = (x[..., :1] * x[..., 1:] > 0).float()  # (3, 16, 1): same sign or not
            x = scale * x
            opt = (torch.optim.SGD if optimizer == "SGD" else torch.optim.Adam)(
                model.parameters(), lr=lr
            )
            return model, opt, list(zip(x, y, strict=True))

        points = "16 points"
        if scale != 1:
            points += f" {scale} times larger, the last Linear's weights times {last}"
            points += " (gradient norms 11 to 12)"
        return Case(
            f"Linear(2, 8), sl.DeepNetwork([8] * 4, {activation!r}, "
            f"use_shortcut={use_shortcut}), Linear(8, 1) (seed {seed}), "
            f"torch.optim.{optimizer}(lr={lr}), three steps of {points}",
            make,
        )

    return [
        case("tanh", "SGD", 0.5, 1, False),
        case("sigmoid", "Adam", 0.01, 2, True),
        case("relu", "SGD", 0.001, 6, True, scale=50, last=0.1),
    ]


def _three_steps(function, args):
    model, optimizer, batches = args
    parameters = list(model.parameters())  # the tensors the optimizer updates
    records = [function(model, optimizer, x, y) for x, y in batches]
    return records, [p.detach().clone() for p in parameters]


def _step(model, optimizer, x, y):
    weights = [p for p in model.parameters() if p.ndim == 2]
    optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    before = [w.detach().clone() for w in weights]
    optimizer.step()
    changes = [
        (w.detach().double() - b.double()).norm() / b.double().norm()
        for w, b in zip(weights, before, strict=True)
    ]
    return loss.item(), [c.item() for c in changes]


def _compare_steps(got, expected, args) -> str | None:
    records, weights = got
    for step, (record, (loss, ratios)) in enumerate(zip(records, expected[0], strict=True), 1):
        if not isinstance(record, tuple) or len(record) != 2:
            raise Failure(
                f"step {step} returned {describe(record)}; expected a pair (loss, ratios)"
            )
        got_loss = as_number(record[0], f"step {step} returned as its loss")
        got_ratios = as_numbers(record[1], len(ratios), f"step {step} returned as its ratios")
        if not math.isclose(got_loss, loss, rel_tol=1e-4):
            return (
                f"at step {step} the loss is {fmt(got_loss)}; expected {fmt(loss)}, the "
                "loss of this step's batch before the update."
            )
        if not all(
            math.isclose(g, e, rel_tol=RTOL, abs_tol=1e-12)
            for g, e in zip(got_ratios, ratios, strict=True)
        ):
            return _ratio_problem(step, got_ratios, ratios)
    for p, e in zip(weights, expected[1], strict=True):
        if not torch.allclose(p, e, rtol=1e-4, atol=1e-6):
            return (
                "the ratios are right, but the weights after three steps are not: one update each."
            )
    return None


def _ratio_problem(step: int, got: list[float], expected: list[float]) -> str:
    layer, g, e = next(
        (i, g, e)
        for i, (g, e) in enumerate(zip(got, expected, strict=True), 1)
        if not math.isclose(g, e, rel_tol=RTOL, abs_tol=1e-12)
    )
    shown, wanted = fmt_pair(g, e)
    words = f"at step {step}, weight matrix {layer} has update ratio {shown}; expected {wanted}."
    factors = [a / b for a, b in zip(got, expected, strict=True) if b > 0]
    if all(a == 0 for a in got):
        return (
            words + " Every ratio is 0: W_before is most likely the same tensor as W, which "
            "the update changes in place. Keep a copy: w.detach().clone()."
        )
    if factors and max(factors) - min(factors) < 1e-3 * max(factors):
        return (
            words + f" Every matrix's update is {fmt(factors[0])} times the reference's: the "
            "whole update is scaled, as clipping or rescaling the gradient does. The step is "
            "the optimizer's own, on the gradient as loss.backward() left it."
        )
    if step > 1:
        return (
            words + " Step 1 was right: most likely step 1's gradient was still in .grad, "
            "and loss.backward() added step 2's to it. Call optimizer.zero_grad() first."
        )
    return words


def _train_starter(model, optimizer, x, y):
    weights = [p for p in model.parameters() if p.ndim == 2]  # the weight matrices
    loss = F.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    before = list(weights)  # the weights before the update
    optimizer.step()
    ratios = [((w - b).norm() / b.norm()).item() for w, b in zip(weights, before, strict=True)]
    return loss.item(), ratios


def _train_solution(model, optimizer, x, y):
    weights = [p for p in model.parameters() if p.ndim == 2]  # the weight matrices
    optimizer.zero_grad()  # forget the last step's gradients
    loss = F.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    before = [w.detach().clone() for w in weights]  # copies: step() changes the weights in place
    optimizer.step()
    ratios = [
        ((w.detach() - b).norm() / b.norm()).item() for w, b in zip(weights, before, strict=True)
    ]
    return loss.item(), ratios


TRAIN_STEP = Exercise(
    id="04.3",
    name="train_step(model, optimizer, x, y)",
    task="must make one update (binary cross-entropy on the logits) and return (loss before the "
    "update, [update ratio of each weight matrix]).",
    cases=_training_cases,
    reference=_step,
    compare=_compare_steps,
    hint="zero_grad, forward, backward, copy the weights, step, then compare with the copies.",
    tested="(a step written out, ratios in float64) over three steps with SGD, with Adam, and with "
    "SGD on gradients of norm 11 to 12",
    starter=_train_starter,
    solution=_train_solution,
    run=_three_steps,  # the known mistakes show in which step fails; _ratio_problem names them
    arguments=("model", "optimizer", "the batches"),
    changes=(0, 1),  # a step updates the model, and the optimizer's state
)
