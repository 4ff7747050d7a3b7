"""Probes of the MLP (any model of linear layers, in the book's format): per-layer gradient
magnitudes and the forward signal of one pass, as data (:mod:`._pass` says how they are taken)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import as_batch, check_memory, check_weights, short_repr
from ..models.mlp import DeepNetwork
from ._pass import check_fields, draws_random, measuring, reduce_pass

__all__ = ["GradientProfile", "gradient_profile", "print_gradients", "weight_gradient_means"]

# Each per-layer series of a GradientProfile, by attribute name (the plots' labels for them are
# plotting.style.DIAGNOSTIC_LABELS).
DIAGNOSTICS = (
    "weight_grad_mean",
    "weight_grad_norm",
    "output_grad_norm",
    "activation_rms",
    "activation_spread",
)


@dataclass(frozen=True)
class GradientProfile:
    """Per-layer measurements of a single forward and backward pass: backward and forward view.

    A weight gradient is a product, ``dL/dW_l = delta_l h_{l-1}^T``: the backward signal at the
    layer times the activations that enter it. So a profile holds both factors, not just the
    product: ``output_grad_norm`` is the backward signal, ``activation_rms`` and
    ``activation_spread`` the forward one.

    Attributes:
        names: each weight matrix's parameter name, in layer order (``layers.0.0.weight``, ...).
        weight_grad_mean: mean absolute gradient of each layer's weight matrix, mean |dL/dW|.
        weight_grad_norm: Frobenius norm of each layer's weight gradient, ||dL/dW||.
        output_grad_norm: norm of the gradient at each layer's output (after its shortcut),
            ||dL/dh||, taken over the whole batch: the backward signal.
        activation_rms: RMS over batch and units of each layer's output h_l (after its shortcut).
        activation_spread: how different the examples still are at each layer: the RMS over
            units of h_l's standard deviation across the batch, divided by ``activation_rms``.
            0 means every example maps to the same hidden state (always so for a batch of one).
        input_rms: RMS of the network's input x, which enters the first layer.
        loss: the MSE loss of that pass.

    Introduced in notebook 01 (the forward view in notebook 03).
    """

    names: list[str]
    weight_grad_mean: list[float]
    weight_grad_norm: list[float]
    output_grad_norm: list[float]
    activation_rms: list[float]
    activation_spread: list[float]
    input_rms: float
    loss: float

    def __post_init__(self) -> None:
        check_fields(self, ("names", *DIAGNOSTICS), ("input_rms", "loss"))

    @property
    def depth(self) -> int:
        """The number of layers profiled."""
        return len(self.names)

    @property
    def layer_input_rms(self) -> list[float]:
        """RMS of what enters each layer: x for the first, h_{l-1} for layer l."""
        return [self.input_rms, *self.activation_rms[:-1]]

    def diagnostic(self, name: str) -> list[float]:
        """One of the per-layer series by name, one of ``DIAGNOSTICS``: ``"weight_grad_mean"``,
        ``"weight_grad_norm"``, ``"output_grad_norm"``, ``"activation_rms"`` or
        ``"activation_spread"``."""
        if name not in DIAGNOSTICS:
            valid = ", ".join(repr(d) for d in DIAGNOSTICS)
            raise ValueError(f"diagnostic must be one of {valid}; got {short_repr(name)}")
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
    names, weights = weight_matrices(model)
    with measuring(weights, random=draws_random(model)):
        x = x.clone() if x.is_inference() else x  # made under inference_mode: not usable as is
        stats = reduce_pass(_mse(_run(model, x), target), weights, [])
    means = [s / w.numel() for s, w in zip(stats.weight_l1, weights, strict=True)]
    return dict(zip(names, means, strict=True))


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
    """Per-layer diagnostics of one forward and one backward pass, backward and forward view.

    Backward: mean |dL/dW|, ||dL/dW|| and ||dL/dh|| per layer. Forward, from the same pass:
    the RMS of each layer's output and how much the examples of the batch still differ there.
    It works under ``torch.no_grad()`` and ``inference_mode`` and for a model whose weights do
    not require grad: a probe is a measurement, so it turns gradients on for itself and leaves
    grad mode, ``requires_grad`` and ``.grad`` as they were. A model built under
    ``inference_mode`` (autograd cannot reach its weights) and a batch whose pass would take
    more than 500 MB are refused.

    Args:
        model: a :class:`~shortcut_lib.DeepNetwork` (anything with ``forward_states(x)``).
        x: a tensor of shape (batch, features), or a nested list of numbers.
        target: shaped like the output; ``None`` for zeros, as in the book.

    Returns:
        A :class:`GradientProfile`.

    Introduced in notebook 01.
    """
    x = _check_model_and_input(model, x)
    if not callable(getattr(model, "forward_states", None)):
        raise TypeError(
            "model must be a shortcut_lib.DeepNetwork (it needs forward_states(x) to reach each "
            f"layer's output); got {type(model).__name__}. weight_gradient_means takes any model."
        )
    names, weights = weight_matrices(model)
    random = not isinstance(model, DeepNetwork) and draws_random(model)  # a DeepNetwork never
    # A DeepNetwork hands over each Linear's input and output, of which its weight gradient is made.
    linears = [] if isinstance(model, DeepNetwork) else None
    with measuring(weights, random=random):
        x = x.clone() if x.is_inference() else x  # made under inference_mode: not usable as is
        if linears is None:
            states, output = model.forward_states(x)  # depth tensors of shape (batch, width_l)
        else:
            states, output = model.forward_states(x, linear_io=linears)
        # One backward pass yields the weight gradients and the gradients at every layer's output.
        loss = _mse(output, target)
        stats = reduce_pass(loss, weights, states, spread=True, extra=(x,), linears=linears)
    counts = [s.numel() for s in states]
    return GradientProfile(
        names=names,
        weight_grad_mean=[s / w.numel() for s, w in zip(stats.weight_l1, weights, strict=True)],
        weight_grad_norm=stats.weight_l2,
        output_grad_norm=stats.state_grad,
        activation_rms=[size / c**0.5 for size, c in zip(stats.state_norm, counts, strict=True)],
        # The ratio of the two norms: the element count cancels. 0/0 (all zeros) reads as 0.
        activation_spread=[
            d / size if size != 0 else 0.0
            for d, size in zip(stats.state_spread, stats.state_norm, strict=True)
        ],
        input_rms=stats.extra[0] / x.numel() ** 0.5,
        loss=stats.loss,
    )


def _check_model_and_input(model: object, x: object) -> torch.Tensor:
    if isinstance(model, DeepNetwork):  # known layout: skip the scan of every module
        check_weights("model", model)
        x = as_batch("x", x, features=model.in_features, dtype=model.layers[0][0].weight.dtype)
        _check_pass_memory(model, x)
        return x
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    embedding = next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)
    if embedding is not None:
        raise TypeError(
            "the probes feed x, real numbers, to a model that starts with nn.Linear; this model "
            f"holds an {type(embedding).__name__}, which takes token ids"
        )
    check_weights("model", model)
    param = next(model.parameters(), None)
    if param is not None and not param.is_floating_point():
        raise TypeError(f"model's weights must be real floats; got dtype {param.dtype}")
    first_linear = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    features = first_linear.in_features if first_linear is not None else None
    # Meet the model in its own precision: a float64 array from NumPy should just work.
    x = as_batch("x", x, features=features, dtype=param.dtype if param is not None else None)
    _check_pass_memory(model, x)
    return x


def _check_pass_memory(model: nn.Module, x: torch.Tensor) -> None:
    # Per example and unit of each layer's output, about 8 numbers live at once: the output,
    # the activation's input, the shortcut sum, their gradients, and the float64 statistics.
    rows = x.numel() // x.shape[-1]
    if isinstance(model, DeepNetwork):  # known layout: sizes, not a scan of every parameter
        sizes = model.layer_sizes
        units, weights = sum(sizes[1:]), sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    else:
        units = sum(w.shape[0] for w in weight_matrices(model)[1])
        weights = sum(p.numel() for p in model.parameters())
    check_memory(
        f"a probe of {rows:,} examples through {units:,} units",
        32 * rows * units + 16 * weights,
        "the number of examples in x",
    )


def _run(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``; an error inside the learner's own model is said as such."""
    if isinstance(model, DeepNetwork):
        return model(x)
    try:
        return model(x)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[0][:300]
        raise ValueError(
            f"model(x) failed inside the model: {first_line} (x has shape {tuple(x.shape)}; "
            "check that each layer takes the size the one before it gives)"
        ) from exc


def _mse(output: torch.Tensor, target: object) -> torch.Tensor:
    if target is None:
        target = torch.zeros_like(output)
    else:
        target = as_batch("target", target, features=None, dtype=output.dtype)
        if target.shape != output.shape:
            raise ValueError(
                f"target has shape {tuple(target.shape)}, but the model's output has shape "
                f"{tuple(output.shape)}; they must match"
            )
    return F.mse_loss(output, target)


def weight_matrices(model: nn.Module) -> tuple[list[str], list[torch.Tensor]]:
    """The names and tensors of a model's weight matrices, in order: what probes and training
    report. Biases and LayerNorm's 1-D weights train too, but are not part of the story."""
    if isinstance(model, DeepNetwork):  # known layout: skip a scan of every parameter
        weights = [layer[0].weight for layer in model.layers]
        return [f"layers.{i}.0.weight" for i in range(len(weights))], weights
    pairs = [(n, p) for n, p in model.named_parameters() if p.ndim == 2 and n.endswith("weight")]
    if not pairs:
        raise ValueError(f"model has no weight matrices to probe ({type(model).__name__})")
    return [n for n, _ in pairs], [p for _, p in pairs]
