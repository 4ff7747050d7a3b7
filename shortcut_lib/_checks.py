"""Argument checks for the public boundary.

Each raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, not allowed) with a
message that names the argument, the value received and what is allowed, so a learner never meets a
shape error from deep inside torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def _kind(value: object) -> str:
    return type(value).__name__


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message never floods the screen."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"{name} must be True or False; got {short_repr(value)} of type {_kind(value)}"
        )
    return value


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    # bool is a subclass of int, but True layers or a seed of False is a slip, not a choice.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {short_repr(value)} of type {_kind(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_range_text(low, high)}; got {value}")
    return value


def check_float(
    name: str, value: object, *, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {short_repr(value)} of type {_kind(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_range_text(low, high)}; got {value:g}")
    return value


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    valid = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {valid}; got {short_repr(value)} of type {_kind(value)}"
        )
    if value not in choices:
        raise ValueError(f"{name} must be one of {valid}; got {short_repr(value)}")
    return value


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    if low is not None:
        return f">= {_number(low)}"
    return f"<= {_number(high)}"


def _number(value: float) -> str:
    # Ints in full (a seed's limit is 2147483647, not 2.14748e+09); floats short.
    return str(value) if isinstance(value, int) else f"{value:g}"


MAX_LAYERS = 10_000
MAX_PARAMETERS = 50_000_000  # 200 MB of float32 weights, as much again for their gradients


def check_layer_sizes(layer_sizes: object) -> list[int]:
    """A list or tuple of at least two ints >= 1 (input size, then each layer's output size), at
    most 10,000 layers and 50 million weights: a bigger network would exhaust a notebook's
    memory (a Binder session has 1-2 GB) before it could teach anything."""
    allowed = "a list or tuple of at least two ints >= 1, such as [3, 3, 3, 1]"
    if not isinstance(layer_sizes, (list, tuple)):
        raise TypeError(
            f"layer_sizes must be {allowed}; got {layer_sizes!r} of type {_kind(layer_sizes)}"
        )
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes must be {allowed} (the input size, then each layer's output size); "
            f"got {list(layer_sizes)!r} with {len(layer_sizes)} element(s)"
        )
    if len(layer_sizes) > MAX_LAYERS + 1:
        raise ValueError(
            f"layer_sizes must give at most {MAX_LAYERS} layers; got {len(layer_sizes) - 1}"
        )
    for i, size in enumerate(layer_sizes):
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(
                f"layer_sizes must be {allowed}; element {i} is {size!r} of type {_kind(size)}"
            )
        if size < 1:
            raise ValueError(f"layer_sizes must be {allowed}; element {i} is {size}")
    weights = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    if weights > MAX_PARAMETERS:
        raise ValueError(
            f"layer_sizes would give {weights:,} parameters (about {weights * 8 / 1e9:.1f} GB with "
            f"their gradients), more than the {MAX_PARAMETERS:,} allowed; make it smaller"
        )
    return list(layer_sizes)


def as_batch(name: str, value: object, *, features: int | None) -> torch.Tensor:
    """A float tensor of shape (..., features) with at least one row and only finite values."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
        if tensor.device.type == "meta":
            raise ValueError(f"{name} is on the meta device: it has a shape but no values")
        if not (tensor.is_floating_point() or tensor.dtype in _INT_DTYPES):
            raise TypeError(f"{name} must hold real numbers; got a tensor of dtype {tensor.dtype}")
        if not tensor.is_floating_point():
            tensor = tensor.to(torch.get_default_dtype())
    elif isinstance(value, (list, tuple)):
        try:
            tensor = torch.tensor(value, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(
                f"{name} must be a tensor or a nested list of numbers with rows of equal length; "
                f"could not read {short_repr(value)}: {exc}"
            ) from None
    else:
        raise TypeError(
            f"{name} must be a torch.Tensor or a nested list of numbers; got {_kind(value)}"
        )
    if tensor.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (batch, features); got a scalar")
    if tensor.numel() == 0:
        raise ValueError(
            f"{name} is empty (shape {tuple(tensor.shape)}); give at least one example"
        )
    if features is not None and tensor.shape[-1] != features:
        raise ValueError(
            f"{name} has {tensor.shape[-1]} features in its last dimension (shape "
            f"{tuple(tensor.shape)}), but the model's first layer takes {features}"
        )
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} holds NaN or inf; every value must be finite")
    return tensor


_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)
