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
    """``repr(value)``, cut to ``limit`` characters: a message never floods the screen, nor fails
    on a value whose ``repr`` raises."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - words about a bad value must not fail on it
        return f"<an object of type {type(value).__name__}>"
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
            f"layer_sizes must be {allowed}; got {short_repr(layer_sizes)} of type "
            f"{_kind(layer_sizes)}"
        )
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes must be {allowed} (the input size, then each layer's output size); "
            f"got {short_repr(list(layer_sizes))} with {len(layer_sizes)} element(s)"
        )
    if len(layer_sizes) > MAX_LAYERS + 1:
        raise ValueError(
            f"layer_sizes must give at most {MAX_LAYERS} layers; got {len(layer_sizes) - 1}"
        )
    for i, size in enumerate(layer_sizes):
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(
                f"layer_sizes must be {allowed}; element {i} is {short_repr(size)} of type "
                f"{_kind(size)}"
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


def check_seed(name: str, value: object) -> int:
    """A seed torch can take: an int from -2**63 to 2**64 - 1 (``torch.manual_seed``'s range)."""
    return check_int(name, value, low=SEED_RANGE[0], high=SEED_RANGE[1])


SEED_RANGE = (-(2**63), 2**64 - 1)
# What one model, run, probe or figure may take, estimated before anything is allocated: a Binder
# session has 1-2 GB for the kernel, the browser's share and the other notebooks.
MEMORY_LIMIT = 500e6  # bytes
MAX_ELEMENTS = 10**7  # numbers in one input tensor (40 MB of float32); the series' largest is 2e6


def check_memory(what: str, estimate: float, lower: str) -> None:
    """Refuse what would need more than ``MEMORY_LIMIT`` bytes, saying the estimate and what to
    lower. On the meta device (``with torch.device("meta")``) nothing is allocated: no limit."""
    if estimate > MEMORY_LIMIT and torch.get_default_device().type != "meta":
        raise ValueError(
            f"{what} would need about {estimate / 1e6:,.0f} MB, more than the "
            f"{MEMORY_LIMIT / 1e6:.0f} MB one call may take; lower {lower}"
        )


def check_tensor(name: str, value: object, what: str = "a torch.Tensor") -> torch.Tensor:
    """``value`` if it is a tensor with values (not on the meta device) of real numbers, at most
    ``MAX_ELEMENTS`` of them: the checks before any operation that reads or copies it."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be {what}; got {short_repr(value)} of type {_kind(value)}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is on the meta device: it has a shape but no values")
    if value.is_complex():
        raise TypeError(f"{name} must hold real numbers; got a tensor of dtype {value.dtype}")
    if value.numel() > MAX_ELEMENTS:
        raise ValueError(
            f"{name} holds {value.numel():,} numbers (shape {tuple(value.shape)}, about "
            f"{value.numel() * value.element_size() / 1e6:,.0f} MB), more than the "
            f"{MAX_ELEMENTS:,} one call takes; use fewer rows"
        )
    return value


def check_weights(name: str, module: torch.nn.Module) -> None:
    """A clear error for a model whose weights cannot take part in a backward pass: on the meta
    device, or made under ``torch.inference_mode()``."""
    weight = next(module.parameters(), None)  # one says it: a model is built in one place
    if weight is not None and weight.device.type == "meta":
        raise ValueError(f"{name} is on the meta device: its weights have shapes but no values")
    if weight is not None and weight.is_inference():
        raise ValueError(
            f"{name} was built under torch.inference_mode(): its weights are inference "
            "tensors, which autograd cannot differentiate, so no gradient can be taken; "
            "build the model outside inference_mode (torch.no_grad() is fine)"
        )


def as_batch(
    name: str, value: object, *, features: int | None, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """A float tensor of shape (..., features) with at least one row and only finite values, in
    ``dtype`` (the default dtype if ``None``)."""
    dtype = dtype or torch.get_default_dtype()
    if isinstance(value, torch.Tensor):
        tensor = check_tensor(name, value).detach()
        if not (tensor.is_floating_point() or tensor.dtype in _INT_DTYPES):
            raise TypeError(f"{name} must hold real numbers; got a tensor of dtype {tensor.dtype}")
    elif isinstance(value, (list, tuple)):
        try:
            tensor = torch.tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
            raise TypeError(
                f"{name} must be a tensor or a nested list of numbers with rows of equal length; "
                f"could not read {short_repr(value)}: {exc}"
            ) from None
        check_tensor(name, tensor)
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
    return check_finite(name, tensor, dtype)


def check_finite(name: str, tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``tensor`` in ``dtype``, or a clear error if it holds NaN or inf, or values that become
    inf in ``dtype`` (1e39 in float32)."""
    if tensor.is_floating_point() and not torch.isfinite(tensor).all():
        raise ValueError(f"{name} holds NaN or inf; every value must be finite")
    converted = tensor.to(dtype)
    if converted.is_floating_point() and not torch.isfinite(converted).all():
        raise ValueError(
            f"{name} holds values beyond the range of {dtype} (up to "
            f"{torch.finfo(dtype).max:.3g}), which would be inf there"
        )
    return converted


_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)
