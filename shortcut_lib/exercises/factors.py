"""Exercises on the factors a gradient meets, layer by layer: one layer's Jacobian, J or I + J,
and the slope a real network's activations use.

The references take every derivative with autograd (``torch.autograd.functional.jacobian`` for a
whole layer), never with the formula the learner writes.
"""

from __future__ import annotations

import torch
from torch import nn

import shortcut_lib as sl  # the notebooks' name: starters and solutions read as they do there

from ..models.mlp import DeepNetwork
from ._core import Case, Exercise, Mistake
from ._support import number_close, slope
from ._values import compare_tensors, sizes_text

# --- 01.4 one layer's Jacobian: J or I + J --------------------------------------------------------


def _layer_cases() -> list[Case]:
    def case(n_in, n_out, activation, use_shortcut, seed):
        def make():
            layer = DeepNetwork([n_in, n_out], activation, seed=seed).layers[0]
            h = 1.5 * torch.randn(n_in, generator=torch.Generator().manual_seed(seed))
            return layer, h, use_shortcut

        return Case(
            f"a {activation} layer {n_in} -> {n_out} (seed {seed}), h of {n_in} "
            f"entries, use_shortcut={use_shortcut}",
            make,
        )

    return [
        case(6, 6, "gelu", False, 1),
        case(6, 6, "gelu", True, 2),
        case(4, 3, "tanh", False, 3),
        case(5, 5, "sigmoid", True, 4),
        case(4, 4, "relu", True, 5),
    ]


def _jacobian_reference(layer: nn.Module, h: torch.Tensor, use_shortcut: bool) -> torch.Tensor:
    def forward(v):
        return v + layer(v) if use_shortcut else layer(v)

    return torch.autograd.functional.jacobian(forward, h)  # (n_out, n_in)


def _jacobian_variant(layer, h, use_shortcut, *, at="z", use_slope=True, transpose=False):
    linear, activation = layer[0], layer[1]
    z = linear(h) if at == "z" else h
    factor = slope(activation, z) if use_slope else activation(z).double()
    weight = linear.weight.detach().double()
    jac = (weight.T * factor) if transpose else factor[:, None] * weight
    return torch.eye(len(h), dtype=jac.dtype) + jac if use_shortcut else jac


def _jacobian_starter(layer, h, use_shortcut):
    linear, activation = layer  # layer is nn.Sequential(Linear, activation)
    # YOUR CODE: z = linear(h) is the pre-activation; its slope f'(z) is torch.autograd.grad of
    # activation(z).sum() with respect to z; then J = diag(f'(z)) W, and I + J with a shortcut
    return ...


def _jacobian_solution(layer, h, use_shortcut):
    linear, activation = layer  # layer is nn.Sequential(Linear, activation)
    z = linear(h).detach().requires_grad_(True)  # the pre-activation, shape (n_out,)
    (slope,) = torch.autograd.grad(activation(z).sum(), z)  # f'(z), entry by entry
    jac = slope[:, None] * linear.weight.detach()  # diag(f'(z)) W, shape (n_out, n_in)
    return torch.eye(len(h)) + jac if use_shortcut else jac


def _matrix(got: object, expected: torch.Tensor, args: tuple) -> str | None:
    return compare_tensors(got, expected, lambda i: f"at row {i[0]}, column {i[1]}")


JACOBIAN = Exercise(
    id="01.4",
    name="layer_jacobian(layer, h, use_shortcut)",
    task="must return d(layer output)/dh at the point h, a matrix of shape (n_out, n_in): "
    "diag(f'(z)) W, plus the identity with a shortcut.",
    cases=_layer_cases,
    reference=_jacobian_reference,
    compare=_matrix,
    hint="J[i, j] = f'(z_i) W[i, j]: slope[:, None] * linear.weight, and torch.eye(n) + J "
    "when use_shortcut.",
    tested="(torch.autograd.functional.jacobian) for GELU, tanh, sigmoid and ReLU layers, square "
    "and not, with and without a shortcut",
    starter=_jacobian_starter,
    solution=_jacobian_solution,
    mistakes=(
        Mistake(
            lambda *a: _jacobian_variant(*a, transpose=True),
            "it is the transpose. Row i is output i: J[i, j] = d out_i / d h_j = "
            "f'(z_i) W[i, j], so the slope scales the rows of W.",
        ),
        Mistake(
            lambda layer, h, s: _jacobian_variant(layer, h, not s),
            "the identity is where it should not be: a shortcut layer computes h + f(W h + b), "
            "whose Jacobian is I + J; a plain layer's is J alone.",
        ),
        Mistake(
            lambda *a: _jacobian_variant(*a, at="h"),
            "the slope is taken at h; the activation acts on z = W h + b, so it is f'(z).",
        ),
        Mistake(
            lambda *a: _jacobian_variant(*a, use_slope=False),
            "it multiplies by the activation's value f(z); the chain rule needs its slope.",
        ),
    ),
)


# --- 02.3 the slope a network uses ----------------------------------------------------------------


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


EXERCISES = (JACOBIAN, SLOPE_IN_USE)
