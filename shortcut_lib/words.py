"""What a profile shows, in words: the verdicts an explorer's readout gives.

Pure functions of the numbers a probe returns; the words change only where a ratio crosses a factor
of 10, so they hold still while a slider moves.
"""

from __future__ import annotations

import math

import torch

from ._checks import short_repr
from .probes import GradientProfile, TransformerProfile

__all__ = ["COLLAPSED", "HEALTHY", "describe_backward", "describe_forward", "healthy_band"]

# First/last ratios within an order of magnitude count as healthy: one learning rate can suit
# every layer when their signals differ by less than 10x; beyond it, some layers crawl or blow up.
HEALTHY = (0.1, 10.0)
# The examples count as collapsed when what tells them apart at the last layer is below 1e-3 of
# the signal: float32 keeps about 7 digits, and 3 of them are then the same for every example
# (a plain deep network reaches 1e-7, float32's rounding level, where nothing is left at all).
COLLAPSED = 1e-3
# float32's smallest normal number, 1.2e-38. Below it a value is subnormal: it keeps only a few
# significant bits, and which bits differs between CPUs (and is 0 where denormals are flushed),
# so a verdict names the bound rather than the digits.
SUBNORMAL = torch.finfo(torch.float32).tiny


def healthy_band(reference: float) -> tuple[float, float] | None:
    """The gradients within a factor of 10 of ``reference`` (say, the last layer's), or ``None``
    when the reference is 0, NaN or inf and no band makes sense."""
    if not (math.isfinite(reference) and reference > 0):
        return None
    return reference * HEALTHY[0], reference * HEALTHY[1]


def describe_backward(profile: GradientProfile) -> str:
    """What the backward signal does, in words: ||dL/dh|| at the first layer against the last.

    This is the gradient that flows back, before any weight multiplies in: the quantity a
    verdict of "vanishing" or "exploding" is about. (A weight gradient mixes it with the size
    of the layer's input, ``dL/dW_l = delta_l h_{l-1}^T``.) The words change only where the
    ratio crosses a factor of 10, and it moves steadily with depth, so they hold still while a
    slider moves.

    Introduced in notebook 03.
    """
    backward = _read(profile, "output_grad_norm")
    first, last = backward[0], backward[-1]
    if not (math.isfinite(first) and math.isfinite(last)):
        return "overflow: NaN or inf in ||dL/dh||, the numbers no longer mean anything"
    if last == 0 or first == 0:
        where = "last" if last == 0 else "first"
        return f"dead: ||dL/dh|| is exactly 0 at the {where} layer, no gradient flows"
    if first < SUBNORMAL <= last:
        return (
            "vanishing: ||dL/dh|| at layer 1 is below 1e-38, under float32's normal range "
            "(a subnormal number with only a few bits left)"
        )
    ratio = first / last
    words = f"||dL/dh|| at layer 1 is {_ratio_text(ratio)} the last layer's"
    if ratio < HEALTHY[0]:
        return f"vanishing: {words}"
    if ratio > HEALTHY[1]:
        return f"exploding: {words}"
    return f"steady: {words}"


def describe_forward(profile: GradientProfile) -> str:
    """What the forward signal does, in words: whether the examples of the batch can still be
    told apart at the last layer (``activation_spread``), and how the size of h changed from the
    input (``activation_rms`` against ``input_rms``).

    Introduced in notebook 03.
    """
    rms, spread = _read(profile, "activation_rms")[-1], _read(profile, "activation_spread")[-1]
    input_rms = _read(profile, "input_rms")
    if not (math.isfinite(rms) and math.isfinite(spread) and math.isfinite(input_rms)):
        return "overflow: the hidden state holds NaN or inf"
    if input_rms == 0:  # an all-zero input: no ratio, only the size h reached
        size = f"the input is all zeros, and the RMS of h at the last layer is {rms:.2g}"
    else:
        size = _growth_text(rms / input_rms)
    if spread < COLLAPSED:
        return f"collapsed: every input gives nearly the same h (spread {_sci(spread)}); {size}"
    return f"apart: the inputs stay distinguishable (spread {spread:.2g}); {size}"


def _growth_text(growth: float) -> str:
    if growth > HEALTHY[1]:
        size = f"RMS of h grows {_ratio_text(growth)} from the input to the last layer"
    elif growth < HEALTHY[0]:
        size = f"RMS of h shrinks to {_ratio_text(growth)} the input's"
    else:
        size = f"RMS of h stays within 10x of the input's ({growth:.2g}x)"
    return size


def _read(profile: object, name: str) -> list[float] | float:
    """One of a GradientProfile's series (a non-empty list of numbers) or numbers, or a clear
    error naming what the profile is instead."""
    if isinstance(profile, TransformerProfile):
        raise TypeError(
            "profile is a TransformerProfile (a GPT stack's); the verdicts read a GradientProfile "
            "(gradient_profile, compare_shortcut). A TransformerProfile's backward signal is "
            "stream_grad_norm: compare its first value with its last"
        )
    if not isinstance(profile, GradientProfile):
        raise TypeError(
            "profile must be a GradientProfile (gradient_profile, compare_shortcut); got "
            f"{short_repr(profile)} of type {type(profile).__name__}"
        )
    value = getattr(profile, name)
    numbers = value if isinstance(value, (list, tuple)) else [value]
    if not numbers or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers
    ):
        kind = "a non-empty list of numbers" if numbers is value else "a number"
        raise TypeError(f"profile.{name} must be {kind}; got {short_repr(value)}")
    return value


def _ratio_text(ratio: float) -> str:
    # "3e-27 of", "40 times", "1.5 times": one or two digits, as much as the ratio deserves.
    if ratio < 1:
        return f"{_sci(ratio)} of" if ratio < 0.01 else f"{ratio:.2g} of"
    return f"{_sci(ratio)} times" if ratio >= 100 else f"{ratio:.2g} times"


def _sci(value: float) -> str:
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"
