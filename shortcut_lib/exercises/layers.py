"""Exercises on a network's layers: the book's layer with GELU where it belongs, and a stack with
shortcuts.

The references are the formulas written out once more, step by step, or torch's own layer; they
run none of the library's forward passes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..activations import GELU
from ..models.mlp import DeepNetwork
from ._core import Case, Exercise, Mistake
from ._guard import learners
from ._support import compare_states
from ._values import Failure, as_tensor, describe, fmt, sizes_text

# --- 01.1 the book's layer, with GELU where it belongs --------------------------------------------


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


# --- 03.1 the shortcut forward pass ---------------------------------------------------------------


def _stack_cases() -> list[Case]:
    def case(sizes, activation, seed, batch):
        def make():
            net = DeepNetwork(sizes, activation, seed=seed)
            x = torch.randn(batch, sizes[0], generator=torch.Generator().manual_seed(seed))
            return net.layers, x

        return Case(
            f"the layers of sl.DeepNetwork({sizes_text(sizes)}, {activation!r}, seed={seed}) and "
            f"x, {batch} rows of noise",
            make,
        )

    return [
        case([6, 6, 6, 6], "gelu", 1, 5),
        case([4, 4, 4, 1], "tanh", 2, 3),
        case([3, 5, 5, 5], "relu", 3, 4),
        case([8] * 7, "sigmoid", 4, 1),
    ]


def _stack(layers, x, *, skip="layer", branch=False, from_input=False):
    # skip: what the shortcut goes around, "layer" (right), "none", "linear" (it joins before
    # the activation, f(W h + b + h)) or "activation" (from z to f(z): z + f(z)).
    states, h = [], x
    for linear, activation in layers:
        z = linear(h)
        fits = skip != "none" and z.shape == h.shape
        if fits and skip == "linear":
            new = activation(z + h)
        elif fits and skip == "activation":
            new = z + activation(z)
        else:
            new = (x if from_input else h) + activation(z) if fits else activation(z)
        states.append(activation(z) if branch else new)
        h = new
    return states


def _stack_starter(layers, x):
    states, h = [], x
    for layer in layers:
        h = layer(h)  # YOUR CODE: a shortcut around the layer, where the shapes allow it
        states.append(h)
    return states


def _stack_solution(layers, x):
    states, h = [], x
    for layer in layers:
        out = layer(h)
        h = h + out if out.shape == h.shape else out  # the shortcut skips the whole layer
        states.append(h)
    return states


SHORTCUT_FORWARD = Exercise(
    id="03.1",
    name="shortcut_forward(layers, x)",
    task="must return every layer's output h_1 .. h_n, with h = h + layer(h) wherever the "
    "layer's output has its input's shape, and h = layer(h) elsewhere.",
    cases=_stack_cases,
    reference=lambda layers, x: _stack(layers, x),
    compare=lambda got, expected, args: compare_states(got, expected, "one per layer"),
    hint="compute out = layer(h), then compare out.shape with h.shape.",
    tested="(the stack written out) for GELU, tanh, ReLU and sigmoid stacks, with layers that "
    "change the width",
    starter=_stack_starter,
    solution=_stack_solution,
    mistakes=(
        Mistake(
            lambda layers, x: _stack(layers, x, skip="linear"),
            "the shortcut joins before the activation, f(W h + b + h), as ResNet v1's "
            "relu(x + F(x)) does. Then h goes through the activation, whose slope scales it: "
            "the backward factor is diag(f') (I + W), no longer I + J. Add h after the whole "
            "layer: h + f(W h + b).",
        ),
        Mistake(
            lambda layers, x: _stack(layers, x, skip="activation"),
            "the shortcut goes around the activation only, z + f(z) with z = W h + b: every "
            "path still crosses W. It must go around the whole layer, from its input h: "
            "h + f(W h + b).",
        ),
        Mistake(
            lambda layers, x: _stack(layers, x, skip="none"),
            "there is no shortcut: these are the plain network's states.",
        ),
        Mistake(
            lambda layers, x: _stack(layers, x, branch=True),
            "it lists each layer's own output f(h); the state is h + f(h), the sum.",
        ),
        Mistake(
            lambda layers, x: _stack(layers, x, from_input=True),
            "it adds the network's input x at every layer; a shortcut adds the layer's own "
            "input, the h that entered it.",
        ),
    ),
)

EXERCISES = (MAKE_LAYER, SHORTCUT_FORWARD)
