"""Exercise 02.3: the slope each layer of a network actually uses."""

from __future__ import annotations

import torch

from ...models.mlp import DeepNetwork
from .. import _sl as sl  # the notebooks' name: starters and solutions read as they do there
from .._core import Case, Exercise, Mistake
from .._support import number_close, slope
from .._values import sizes_text


def _network_cases() -> list[Case]:
    def case(sizes, activation, seed, batch, use_shortcut=False):
        def make():
            net = DeepNetwork(sizes, activation, use_shortcut, seed=seed)
            x = torch.randn(batch, sizes[0], generator=torch.Generator().manual_seed(seed))
            return net, x

        wiring = ", use_shortcut=True" if use_shortcut else ""
        return Case(
            f"sl.DeepNetwork({sizes_text(sizes)}, {activation!r}{wiring}, seed={seed}) and x, "
            f"{batch} rows of noise",
            make,
        )

    return [
        case([16] * 9, "relu", 1, 8),
        case([16] * 11, "gelu", 2, 8),
        case([12] * 8, "sigmoid", 3, 6, use_shortcut=True),
        case([10, 10, 10], "tanh", 4, 1),
    ]


def _slopes_used(model, x, layers=slice(1, None), at_input=False):
    with torch.no_grad():
        inputs = [x, *model.hidden_states(x)[:-1]]  # what enters each layer, (batch, width)
    slopes = []
    for layer, h in list(zip(model.layers, inputs, strict=True))[layers]:
        z = h if at_input else layer[0](h).detach()  # the pre-activation W h + b
        slopes.append(slope(layer[1], z).flatten())
    return torch.cat(slopes)


def _slope_starter(model, x):
    # YOUR CODE: for layers 2 .. depth (model.layers[1:]) and what enters them
    # (model.hidden_states(x)[:-1]): each pre-activation z = layer[0](h), the slope of every unit,
    # sl.activation_derivative(model.activation, z), and the root mean square of them all
    return ...


def _slope_solution(model, x):
    with torch.no_grad():
        inputs = model.hidden_states(x)[:-1]  # h_1 .. h_(depth-1): what enters layers 2 .. depth
        z = [layer[0](h) for layer, h in zip(model.layers[1:], inputs, strict=True)]
    slopes = torch.cat([sl.activation_derivative(model.activation, zl) for zl in z])
    return slopes.pow(2).mean().sqrt().item()


def _rms(values: torch.Tensor) -> float:
    return values.pow(2).mean().sqrt().item()


SLOPE_IN_USE = Exercise(
    id="02.3",
    name="slope_in_use(model, x)",
    task="must return the root mean square of f'(z) over every unit and example of layers 2 to "
    "depth, z being each layer's pre-activation.",
    cases=_network_cases,
    reference=lambda model, x: _rms(_slopes_used(model, x)),
    compare=number_close(1e-4, 1e-9),
    hint="loop over zip(model.layers[1:], model.hidden_states(x)[:-1]); z = layer[0](h).",
    tested="(autograd's slopes at every layer's pre-activation) for ReLU, GELU, sigmoid with "
    "shortcuts and tanh with a batch of one",
    starter=_slope_starter,
    solution=_slope_solution,
    mistakes=(
        Mistake(
            lambda m, x: _rms(_slopes_used(m, x, slice(None))),
            "it includes layer 1. A gradient travelling from the last layer back to the first "
            "crosses layers 2 to depth; layer 1's slope only enters dL/dW_1.",
        ),
        Mistake(
            lambda m, x: _rms(_slopes_used(m, x, at_input=True)),
            "it takes the slope at the layer's input h. The activation acts on the "
            "pre-activation z = W h + b, so its slope counts at z: z = layer[0](h).",
        ),
        Mistake(
            lambda m, x: _slopes_used(m, x).mean().item(),
            "that is the mean slope. A gradient vector is scaled by the root mean square, "
            "sqrt(mean(f'(z)^2)): for ReLU, whose slope is 0 or 1, that is 0.71, not 0.5.",
        ),
    ),
)
