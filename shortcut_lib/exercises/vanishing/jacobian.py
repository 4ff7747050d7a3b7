"""Exercise 01.4: one layer's Jacobian, with and without its shortcut."""

from __future__ import annotations

import torch
from torch import nn

from ...models.mlp import DeepNetwork
from .._core import Case, Exercise, Mistake
from .._support import slope
from .._values import compare_tensors


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
