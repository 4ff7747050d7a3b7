"""Gradient probes: one forward and one backward pass, per-layer gradient magnitudes as data.

The book's ``print_gradients`` calls ``loss.backward()``, which *adds* into every ``.grad``: call it
twice on one model and it prints doubled numbers. The probes here take the gradients with
``torch.autograd.grad``, which returns them and leaves ``.grad`` untouched, so a probe can be
repeated and never disturbs a model that is being trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import as_batch
from .networks import DeepNetwork

__all__ = ["GradientProfile", "gradient_profile", "print_gradients", "weight_gradient_means"]

DIAGNOSTICS = {
    "weight_grad_mean": "mean |dL/dW|",
    "weight_grad_norm": "||dL/dW||",
    "output_grad_norm": "||dL/dh||",
}


@dataclass(frozen=True)
class GradientProfile:
    """Per-layer gradient magnitudes from a single forward and backward pass.

    Attributes:
        names: each weight matrix's parameter name, in layer order (``layers.0.0.weight``, ...).
        weight_grad_mean: mean absolute gradient of each layer's weight matrix, mean |dL/dW|.
        weight_grad_norm: Frobenius norm of each layer's weight gradient, ||dL/dW||.
        output_grad_norm: norm of the gradient at each layer's output (after its shortcut),
            ||dL/dh||, taken over the whole batch.
        loss: the MSE loss of that pass.

    Introduced in notebook 01.
    """

    names: list[str]
    weight_grad_mean: list[float]
    weight_grad_norm: list[float]
    output_grad_norm: list[float]
    loss: float

    @property
    def depth(self) -> int:
        """The number of layers profiled."""
        return len(self.names)

    def diagnostic(self, name: str) -> list[float]:
        """One of the three series by name: ``"weight_grad_mean"``, ``"weight_grad_norm"``
        or ``"output_grad_norm"``."""
        if name not in DIAGNOSTICS:
            valid = ", ".join(repr(d) for d in DIAGNOSTICS)
            raise ValueError(f"diagnostic must be one of {valid}; got {name!r}")
        return getattr(self, name)


def weight_gradient_means(
    model: nn.Module, x: torch.Tensor | list, target: torch.Tensor | list | None = None
) -> dict[str, float]:
    """Mean absolute gradient of every weight matrix after one forward and backward pass.

    The loss is the MSE between ``model(x)`` and ``target`` (zeros shaped like the output when
    omitted, as in the book). ``.grad`` is left untouched, so two calls give the same numbers.

    Args:
        model: any ``nn.Module`` that maps ``x`` to one output tensor.
        x: a tensor of shape (batch, features), or a nested list of numbers.
        target: a tensor or nested list shaped like the output; ``None`` for zeros.

    Returns:
        ``{parameter name: mean |dL/dW|}`` for every weight matrix, in layer order.

    Introduced in notebook 01.
    """
    x = _check_model_and_input(model, x)
    output = model(x)
    names, weights = _weight_matrices(model)
    grads = _gradients(_mse(output, target), weights)
    return dict(zip(names, _mean_abs(grads), strict=True))


def print_gradients(
    model: nn.Module, x: torch.Tensor | list, target: torch.Tensor | list | None = None
) -> None:
    """Print each weight matrix's mean absolute gradient in the book's format.

    A thin formatter over :func:`weight_gradient_means`, so it can be called again and again.

    Introduced in notebook 01.
    """
    for name, value in weight_gradient_means(model, x, target).items():
        print(f"{name} has gradient mean of {value}")


def gradient_profile(
    model: nn.Module, x: torch.Tensor | list, target: torch.Tensor | list | None = None
) -> GradientProfile:
    """Per-layer diagnostics of one forward and backward pass: mean |dW|, ||dW|| and ||dL/dh||.

    Args:
        model: a :class:`~shortcut_lib.DeepNetwork` (anything with ``hidden_states(x)``).
        x: a tensor of shape (batch, features), or a nested list of numbers.
        target: shaped like the output; ``None`` for zeros, as in the book.

    Returns:
        A :class:`GradientProfile`; ``.grad`` is left untouched.

    Introduced in notebook 01.
    """
    x = _check_model_and_input(model, x)
    if not callable(getattr(model, "hidden_states", None)):
        raise TypeError(
            "model must be a shortcut_lib.DeepNetwork (it needs hidden_states(x) to reach each "
            f"layer's output); got {type(model).__name__}. weight_gradient_means takes any model."
        )
    states = model.hidden_states(x)  # depth tensors of shape (batch, width_i)
    loss = _mse(states[-1], target)
    names, weights = _weight_matrices(model)
    # One backward pass yields the weight gradients and the gradients at every layer's output.
    grads = _gradients(loss, weights + states)
    n = len(weights)
    # All statistics in one tensor and one .tolist(): a single sync for the whole profile.
    # Reduced in float64: float32 sums of large entries overflow, squares of tiny ones underflow.
    sums = torch._foreach_norm(grads[:n], 1, dtype=torch.float64)  # sum |dW| per layer
    norms = torch._foreach_norm(grads, 2, dtype=torch.float64)  # ||dW||, then ||dL/dh||
    stats = torch.stack([*sums, *norms, loss.double()]).tolist()
    return GradientProfile(
        names=names,
        weight_grad_mean=[s / w.numel() for s, w in zip(stats[:n], weights, strict=True)],
        weight_grad_norm=stats[n : 2 * n],
        output_grad_norm=stats[2 * n : -1],
        loss=stats[-1],
    )


def _check_model_and_input(model: object, x: object) -> torch.Tensor:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    first_linear = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    features = first_linear.in_features if first_linear is not None else None
    x = as_batch("x", x, features=features)
    param = next(model.parameters(), None)
    # Meet the model in its own precision: a float64 array from NumPy should just work.
    return x.to(param.dtype) if param is not None and param.is_floating_point() else x


def _mse(output: torch.Tensor, target: object) -> torch.Tensor:
    if target is None:
        target = torch.zeros_like(output)
    else:
        target = as_batch("target", target, features=None).to(output.dtype)
        if target.shape != output.shape:
            raise ValueError(
                f"target has shape {tuple(target.shape)}, but the model's output has shape "
                f"{tuple(output.shape)}; they must match"
            )
    return F.mse_loss(output, target)


def _weight_matrices(model: nn.Module) -> tuple[list[str], list[torch.Tensor]]:
    # Weight matrices only: biases and LayerNorm's 1-D weights are not part of the story.
    if isinstance(model, DeepNetwork):  # known layout: skip a scan of every parameter
        weights = [layer[0].weight for layer in model.layers]
        return [f"layers.{i}.0.weight" for i in range(len(weights))], weights
    pairs = [(n, p) for n, p in model.named_parameters() if p.ndim == 2 and n.endswith("weight")]
    if not pairs:
        raise ValueError(f"model has no weight matrices to probe ({type(model).__name__})")
    return [n for n, _ in pairs], [p for _, p in pairs]


def _gradients(loss: torch.Tensor, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    # materialize_grads: a weight the loss does not reach gets zeros, not None.
    return list(torch.autograd.grad(loss, inputs, allow_unused=True, materialize_grads=True))


def _mean_abs(grads: list[torch.Tensor]) -> list[float]:
    # torch._foreach_norm reduces a whole list in one call (torch's own clip_grad_norm_ uses it),
    # in float64 so that sums of large entries do not overflow.
    sums = torch.stack(torch._foreach_norm(grads, 1, dtype=torch.float64)).tolist()
    return [s / g.numel() for s, g in zip(sums, grads, strict=True)]
