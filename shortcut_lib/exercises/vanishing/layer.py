"""Exercise 01.1: the book's layer, ``nn.Linear`` followed by GELU, fixed."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...activations import GELU
from .._core import Case, Exercise
from .._guard import learners
from .._values import Failure, as_tensor, describe, fmt


def _layer_cases() -> list[Case]:
    def case(n_in, n_out):
        def make():
            x = 2 * torch.randn(8, n_in, generator=torch.Generator().manual_seed(n_in))
            return n_in, n_out, x

        return Case(f"make_layer({n_in}, {n_out}), run on 8 random inputs", make)

    return [case(3, 3), case(3, 1), case(4, 2), case(2, 5)]


def _run_layer(function, args):
    """Build the learner's layer and run it; return its output and its Linear's output. The
    layer is the learner's code too: everything that reads or runs it is guarded."""
    n_in, n_out, x = args
    layer = function(n_in, n_out)
    if not isinstance(layer, nn.Module):
        raise Failure(
            f"it returned {describe(layer)}; expected the layer, an nn.Module "
            "such as nn.Sequential(...)"
        )
    linears = learners(lambda: [_linear(m) for m in layer.modules() if isinstance(m, nn.Linear)])
    if len(linears) != 1:
        raise Failure(f"the layer holds {len(linears)} nn.Linear modules; one layer has one")
    features, weight, bias = linears[0]
    if features != (n_in, n_out):
        raise Failure(
            f"its Linear maps {features[0]} -> {features[1]} features; "
            f"make_layer({n_in}, {n_out}) must map {n_in} -> {n_out}"
        )
    out = learners(layer, x)
    with torch.no_grad():
        return out, F.linear(x, weight, bias), F.linear(GELU()(x), weight, bias)


def _linear(linear: nn.Linear) -> tuple:
    return (linear.in_features, linear.out_features), linear.weight, linear.bias


def _compare_layer(got, expected, args) -> str | None:
    out, lin, lin_after_gelu = got
    lin, lin_after_gelu = lin.double(), lin_after_gelu.double()
    out = as_tensor(out, tuple(lin.shape), "the layer's output is")
    for activation in (GELU(), nn.GELU()):  # the book's tanh GELU, or the exact one
        if torch.allclose(out, activation(lin), rtol=1e-4, atol=1e-5):
            return None
    if torch.allclose(out, lin, atol=1e-6):
        return (
            "the layer's output equals its Linear's output: the layer is linear, with no "
            "GELU. nn.Linear's third argument is bias, so in nn.Linear(n_in, n_out, GELU()) "
            "the GELU is taken as bias=True and thrown away. Put GELU() next to the Linear: "
            "nn.Sequential(nn.Linear(n_in, n_out), GELU())."
        )
    if torch.allclose(out, lin_after_gelu, rtol=1e-4, atol=1e-5):
        return (
            "the GELU comes before the Linear; the book's layer applies it to the Linear's output."
        )
    gap = (out - GELU()(lin)).abs().max().item()
    return f"the output is not GELU(Linear(x)): it differs by up to {fmt(gap)}."


def _layer_starter(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, n_out, GELU()))


def _layer_solution(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, n_out), GELU())  # GELU as a layer of its own


MAKE_LAYER = Exercise(
    id="01.1",
    name="make_layer(n_in, n_out)",
    task="must return one layer of the book's network: nn.Linear(n_in, n_out), then GELU.",
    cases=_layer_cases,
    reference=_layer_solution,
    compare=_compare_layer,
    hint="nn.Sequential takes the modules to run in order, each as its own argument.",
    tested="(GELU of the layer's own Linear) for 3 -> 3, 3 -> 1, 4 -> 2 and 2 -> 5 layers",
    starter=_layer_starter,
    solution=_layer_solution,
    run=_run_layer,
    arguments=("n_in", "n_out", "x"),
)
