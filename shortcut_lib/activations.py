"""Activation functions by name, and GELU written out as in the book."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ._checks import check_choice, check_tensor

__all__ = ["ACTIVATIONS", "GELU", "activation_derivative", "make_activation"]


class GELU(nn.Module):
    """GELU, tanh approximation, written from scratch as in the book's chapter 4.

    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``
    (Hendrycks and Gimpel, 2016, https://arxiv.org/abs/1606.08415).
    It agrees with ``torch.nn.GELU(approximate="tanh")`` to float precision.

    Introduced in notebook 01; compared with torch's versions in notebook 02.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _fused_gelu() -> nn.Module:
    # The same function as GELU above (tests check they agree to float precision) in torch's
    # fused kernel: one op instead of eight, which makes a depth-100 probe about 1.7x faster.
    return nn.GELU(approximate="tanh")


# Each name maps to a factory, so every layer gets a module of its own.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "gelu": _fused_gelu,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "identity": nn.Identity,  # no activation: the network the source built by accident
}


def make_activation(activation: str) -> nn.Module:
    """Return a fresh activation module for a name.

    Args:
        activation: one of ``"gelu"``, ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"identity"``.

    Returns:
        A new ``nn.Module`` with no parameters.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).

    Introduced in notebook 01.
    """
    return ACTIVATIONS[check_choice("activation", activation, ACTIVATIONS)]()


def activation_derivative(activation: str, x: torch.Tensor) -> torch.Tensor:
    """The derivative of an activation at each point of ``x``, by autograd.

    Args:
        activation: an activation name, as for :func:`make_activation`.
        x: the points, any shape.

    Returns:
        A tensor shaped like ``x`` holding f'(x).

    Introduced in notebook 02.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    check_tensor("x", x)  # values, real, of a size a notebook can hold
    f = make_activation(activation)
    # Works under no_grad and inference_mode, and on a tensor made there: a fresh leaf each time.
    with torch.inference_mode(False), torch.enable_grad():
        x = x.detach().to(torch.get_default_dtype(), copy=True).requires_grad_(True)
        # f acts elementwise, so the gradient of the sum is f'(x) at every point.
        (grad,) = torch.autograd.grad(f(x).sum(), x)
    return grad
