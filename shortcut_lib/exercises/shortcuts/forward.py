"""Exercise 03.1: the forward pass with shortcuts."""

from __future__ import annotations

import torch

from ...models.mlp import DeepNetwork
from .._core import Case, Exercise, Mistake
from .._support import compare_states
from .._values import sizes_text


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
