"""Exercise 03.3: a weight gradient as the backward signal times the layer's input."""

from __future__ import annotations

import torch

from .._core import Case, Exercise, Mistake
from .._values import (
    compare_tensors,
)


def _split_cases() -> list[Case]:
    def case(batch, n_in, n_out, seed):
        def make():
            gen = torch.Generator().manual_seed(seed)
            return torch.randn(batch, n_out, generator=gen), torch.randn(batch, n_in, generator=gen)

        return Case(
            f"delta of shape ({batch}, {n_out}) and u of shape ({batch}, {n_in}), random "
            f"(seed {seed})",
            make,
        )

    return [case(1, 4, 3, 1), case(16, 4, 3, 2), case(7, 5, 5, 3)]


def _weight_gradient(delta: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    # A layer z = u W^T whose loss has dL/dz = delta: L = sum(z * delta). Autograd gives dL/dW.
    weight = torch.zeros(delta.shape[1], u.shape[1], dtype=torch.float64, requires_grad=True)
    z = u.double() @ weight.T  # (batch, n_out)
    (grad,) = torch.autograd.grad((z * delta.double()).sum(), weight)
    return grad


def _split_starter(delta, u):
    return torch.outer(delta[0], u[0])  # one example's outer product: right for a batch of one


def _split_solution(delta, u):
    return delta.T @ u  # the sum over the batch of delta_b u_b^T, shape (n_out, n_in)


WEIGHT_GRADIENT = Exercise(
    id="03.3",
    name="weight_gradient(delta, u)",
    task="must return dL/dW of a layer z = W u + b from delta = dL/dz (batch, n_out) and its "
    "input u (batch, n_in): a matrix of shape (n_out, n_in).",
    cases=_split_cases,
    reference=_weight_gradient,
    compare=lambda got, expected, args: compare_tensors(
        got, expected, lambda i: f"at row {i[0]}, column {i[1]}"
    ),
    hint="each example contributes its outer product delta_b u_b^T; dL/dW is their sum, which "
    "one matrix product computes.",
    tested="(autograd on a layer whose dL/dz is delta) for a batch of one and batches of 16 and 7",
    starter=_split_starter,
    solution=_split_solution,
    mistakes=(
        Mistake(
            lambda d, u: u.T @ d,
            "it is the transpose: W maps n_in inputs to n_out outputs, so dL/dW has shape "
            "(n_out, n_in), rows for outputs: delta^T u.",
        ),
        Mistake(
            lambda d, u: d.T @ u / d.shape[0],
            "it divides by the batch size. The loss's average over the batch is already in "
            "delta = dL/dz; dL/dW is the plain sum of the examples' outer products.",
        ),
        Mistake(
            lambda d, u: torch.outer(d[0], u[0]),
            "it uses only the first example. For a batch, dL/dW sums delta_b u_b^T over all "
            "of them.",
        ),
    ),
)
