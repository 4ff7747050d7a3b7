"""Exercises 02.1 and 02.2: sigmoid and GELU, and their slopes."""

from __future__ import annotations

import math

import torch

from .._core import Case, Exercise, Mistake
from .._support import seeded, slope
from .._values import compare_tensors, fmt

C, A = math.sqrt(2.0 / math.pi), 0.044715  # the tanh GELU's constants


def _points(seed: int) -> list[Case]:
    """Random points, an even grid and the edge cases where a formula can overflow."""
    return [
        Case(
            "x = 1,000 random points (4 times standard normal), shape (10, 100)",
            lambda: (4 * torch.randn(10, 100, generator=seeded(seed)),),
        ),
        Case("x = 241 points from -6 to 6", lambda: (torch.linspace(-6, 6, 241),)),
        Case(
            "x = [-100, -50, -10, -1.418, 0, 1.418, 10, 50, 100], far out where exp overflows",
            lambda: (torch.tensor([-100, -50, -10, -1.418, 0, 1.418, 10, 50, 100]),),
        ),
    ]


def _pointwise(got: object, expected: torch.Tensor, args: tuple) -> str | None:
    x = args[0]
    return compare_tensors(got, expected, lambda i: f"at x = {fmt(x[i].item())}")


def _sigmoid_starter(x):
    s = torch.sigmoid(x)  # sigma(x), shaped like x
    return s  # YOUR CODE: this is sigma itself; return its slope, written with s


def _sigmoid_solution(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


SIGMOID = Exercise(
    id="02.1",
    name="sigmoid_derivative(x)",
    task="must return sigmoid's slope at every entry of x, a tensor shaped like x.",
    cases=lambda: _points(21),
    reference=lambda x: slope(torch.sigmoid, x),
    compare=_pointwise,
    hint="with s = torch.sigmoid(x), the slope is s * (1 - s).",
    tested="(autograd's derivative of torch.sigmoid) on 1,000 random points, a grid from -6 to 6 "
    "and at |x| up to 100",
    starter=_sigmoid_starter,
    solution=_sigmoid_solution,
    mistakes=(
        Mistake(torch.sigmoid, "that is sigma(x) itself, not its slope sigma(x) (1 - sigma(x))."),
        Mistake(
            lambda x: torch.exp(-x) / (1 + torch.exp(-x)) ** 2,
            "exp(-x) overflows float32 to inf for x below -88, and inf / inf is NaN. Write "
            "the slope with s = torch.sigmoid(x), which never overflows: s * (1 - s).",
        ),
        Mistake(
            lambda x: torch.sigmoid(x) * (1 + torch.sigmoid(x)),
            "s * (1 + s) grows with x; the slope is s * (1 - s), largest (1/4) at x = 0.",
        ),
    ),
)


def _gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1 + torch.tanh(C * (x + A * x**3)))


def _gelu_starter(x):
    c = math.sqrt(2 / math.pi)
    t = torch.tanh(c * (x + 0.044715 * x**3))  # GELU(x) = 0.5 * x * (1 + t)
    return 0.5 * (1 + t)  # YOUR CODE: the product rule's first term; add the second


def _gelu_solution(x):
    c = math.sqrt(2 / math.pi)
    t = torch.tanh(c * (x + 0.044715 * x**3))
    dt_dx = (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)  # tanh'(u) = 1 - tanh(u)^2, times du/dx
    return 0.5 * (1 + t) + 0.5 * x * dt_dx


def _gelu_variant(x: torch.Tensor, half: float = 0.5, inner: bool = True, square: bool = True):
    t = torch.tanh(C * (x + A * x**3))
    du = C * (1 + 3 * A * x**2) if inner else C
    return 0.5 * (1 + t) + half * x * (1 - (t**2 if square else t)) * du


def _exact_gelu_slope(x: torch.Tensor) -> torch.Tensor:
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))  # Phi(x)
    return cdf + x * torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)  # Phi(x) + x phi(x)


GELU_SLOPE = Exercise(
    id="02.2",
    name="gelu_derivative(x)",
    task="must return the slope of the book's (tanh) GELU at every entry of x.",
    cases=lambda: _points(22),
    reference=lambda x: slope(_gelu, x),
    compare=_pointwise,
    hint="write u = sqrt(2/pi) (x + 0.044715 x^3) and t = tanh(u); then GELU'(x) = "
    "0.5 (1 + t) + 0.5 x (1 - t^2) du/dx.",
    tested="(autograd's derivative of the tanh GELU, in float64) on 1,000 random points, a grid "
    "from -6 to 6, at GELU's steepest points x = +-1.418 and far out",
    starter=_gelu_starter,
    solution=_gelu_solution,
    mistakes=(
        Mistake(
            lambda x: _gelu_variant(x, half=1.0),
            "the second term is off by a factor of 2. The product rule on 0.5 * x * (1 + t) "
            "gives 0.5 (1 + t) + 0.5 x dt/dx: the 1/2 multiplies both terms.",
        ),
        Mistake(
            lambda x: _gelu_variant(x, inner=False),
            "the chain rule's inner factor is incomplete: dt/dx = (1 - t^2) du/dx with "
            "du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2), not just sqrt(2/pi).",
        ),
        Mistake(
            lambda x: _gelu_variant(x, square=False), "tanh'(u) is 1 - tanh(u)^2, not 1 - tanh(u)."
        ),
        Mistake(
            lambda x: 0.5 * (1 + torch.tanh(C * (x + A * x**3))),
            "that is only the first term of the product rule; x times the derivative of "
            "0.5 (1 + t) is missing.",
        ),
        Mistake(
            _exact_gelu_slope,
            "that is the exact GELU's slope, Phi(x) + x phi(x). The book's GELU is the tanh "
            "formula, and the two slopes differ by up to 9e-4.",
        ),
    ),
)
