"""Plain against shortcut on the same weights: the settings of one comparison, both models'
per-layer profiles, and what they show in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .activations import ACTIVATIONS
from .networks import BRANCH_SCALES, INITS, NORMS, DeepNetwork, body_options
from .probes import GradientProfile, gradient_profile
from .settings import Settings, setting

__all__ = [
    "ComparisonSettings",
    "ShortcutComparison",
    "compare_shortcut",
    "describe_backward",
    "describe_forward",
    "describe_gradients",
    "describe_ratio",
]

# First/last ratios within an order of magnitude count as healthy: one learning rate can suit
# every layer when their signals differ by less than 10x; beyond it, some layers crawl or blow up.
HEALTHY = (0.1, 10.0)
# The examples count as collapsed when what tells them apart at the last layer is below 1e-3 of
# the signal: float32 keeps about 7 digits, and 3 of them are then the same for every example
# (a plain deep network reaches 1e-7, float32's rounding level, where nothing is left at all).
COLLAPSED = 1e-3
# Rules of thumb for the size of the gradients themselves, with unit-scale inputs and a zero
# target: beyond these the ratio alone would call a useless network healthy.
HUGE, TINY = 1e4, 1e-8
# float32's smallest normal number, 1.2e-38. Below it a value is subnormal: it keeps only a few
# significant bits, and which bits differs between CPUs (and is 0 where denormals are flushed),
# so a verdict names the bound rather than the digits.
SUBNORMAL = torch.finfo(torch.float32).tiny
MODELS = ("plain", "shortcut")


@dataclass(frozen=True)
class ComparisonSettings(Settings):
    """One configuration of the plain-against-shortcut comparison.

    Each network is ``depth`` layers of ``width -> width`` so that every layer has a shortcut;
    the input is ``batch_size`` rows of standard normal noise drawn from ``seed``, the target
    zeros. ``str(settings)`` is the one-line state string that :meth:`parse` reads back; the
    other fields are as for :class:`~shortcut_lib.DeepNetwork`.

    Introduced in notebook 03.
    """

    depth: int = setting(30, low=1, high=200)
    width: int = setting(64, low=1, high=256)
    activation: str = setting("gelu", choices=ACTIVATIONS)
    init: str = setting("default", choices=INITS)
    gain: float = setting(1.0, low=0.05, high=4.0, step=0.05)
    norm: str = setting("none", choices=NORMS)
    final_norm: bool = setting(False, choices=(False, True), control="toggle")
    branch_scale: str = setting("1", choices=BRANCH_SCALES)
    batch_size: int = setting(16, low=1, high=256)
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    def _check_together(self) -> None:
        for name, on in (("norm='layernorm'", self.norm == "layernorm"),
                         ("final_norm=on", self.final_norm)):  # fmt: skip
            if on and self.width == 1:
                raise ValueError(
                    f"{name} needs width >= 2: LayerNorm over a single feature outputs zeros, "
                    "so no gradient could flow; raise the width or switch it off"
                )


def describe_ratio(first: float, last: float) -> str:
    """The first-layer / last-layer gradient ratio in words: vanishing, healthy or exploding.

    Introduced in notebook 03.
    """
    for name, value in (("first", first), ("last", last)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"{name} must be a number; got {value!r:.40} of type {type(value).__name__}"
            )
        if value < 0:
            raise ValueError(f"{name} must be a magnitude (>= 0); got {value}")
    if not (math.isfinite(first) and math.isfinite(last)):
        return "overflow: NaN or inf gradients, the numbers no longer mean anything"
    if last == 0:
        return "dead: the last layer gets no gradient at all (0 in float32)"
    if first == 0:
        return "dead: the first layer gets no gradient at all (0 in float32)"
    ratio = first / last
    if ratio == 0:  # the quotient underflowed: both finite, first far below last
        return "vanishing: the first layer gets less than 1e-300 of the last layer's gradient"
    if math.isinf(ratio):
        return "exploding: the first layer gets more than 1e300 times the last layer's gradient"
    if ratio < HEALTHY[0]:
        return f"vanishing: the first layer gets {_sci(ratio)} of the last layer's gradient"
    if ratio > HEALTHY[1]:
        return f"exploding: the first layer gets {_sci(ratio)} times the last layer's gradient"
    return f"healthy: the first layer gets {ratio:.2g} times the last layer's gradient"


def healthy_band(reference: float) -> tuple[float, float] | None:
    """The gradients within a factor of 10 of ``reference`` (say, the last layer's), or ``None``
    when the reference is 0, NaN or inf and no band makes sense."""
    if not (math.isfinite(reference) and reference > 0):
        return None
    return reference * HEALTHY[0], reference * HEALTHY[1]


def describe_gradients(values: Sequence[float]) -> str:
    """Per-layer gradients in words: the first/last ratio (:func:`describe_ratio`) and, when the
    gradients themselves are huge or tiny everywhere, their size too.

    A ratio near 1 is no comfort when every layer's gradient is 1e17 (the signal grew through a
    deep stack of shortcuts) or 1e-30 (it shrank away): this says so.

    Introduced in notebook 03.
    """
    if len(values) == 0:
        raise ValueError("values must hold at least one layer's gradient")
    words = describe_ratio(values[0], values[-1])
    sizes = [abs(v) for v in values if math.isfinite(v)]
    largest = max(sizes, default=0.0)
    but = "and" if words.startswith(("exploding", "vanishing", "dead")) else "but"
    if largest > HUGE:
        words += f", {but} the gradients are huge (up to {_sci(largest)}): the signal grew"
    elif 0 < largest < TINY:
        words += f", {but} the gradients are tiny everywhere (at most {_sci(largest)})"
    return words


def describe_backward(profile: GradientProfile) -> str:
    """What the backward signal does, in words: ||dL/dh|| at the first layer against the last.

    This is the gradient that flows back, before any weight multiplies in: the quantity a
    verdict of "vanishing" or "exploding" is about. (A weight gradient mixes it with the size
    of the layer's input, ``dL/dW_l = delta_l h_{l-1}^T``.) The words change only where the
    ratio crosses a factor of 10, and it moves steadily with depth, so they hold still while a
    slider moves.

    Introduced in notebook 03.
    """
    first, last = profile.output_grad_norm[0], profile.output_grad_norm[-1]
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
    rms, spread = profile.activation_rms[-1], profile.activation_spread[-1]
    if not (math.isfinite(rms) and math.isfinite(spread)):
        return "overflow: the hidden state holds NaN or inf"
    growth = rms / profile.input_rms if profile.input_rms > 0 else math.inf
    if growth > HEALTHY[1]:
        size = f"RMS of h grows {_ratio_text(growth)} from the input to the last layer"
    elif growth < HEALTHY[0]:
        size = f"RMS of h shrinks to {_ratio_text(growth)} the input's"
    else:
        size = f"RMS of h stays within 10x of the input's ({growth:.2g}x)"
    if spread < COLLAPSED:
        return f"collapsed: every input gives nearly the same h (spread {_sci(spread)}); {size}"
    return f"apart: the inputs stay distinguishable (spread {spread:.2g}); {size}"


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


class ShortcutComparison:
    """Computes both models' profiles for a stream of settings, reusing work between calls.

    Weights are drawn layer by layer, so a deeper network built from the same seed starts with the
    same layers: one network is built per (width, activation, init, gain, norm, seed) at a roomy
    depth and each request runs its first ``depth`` layers. A slider move costs a probe, not a
    rebuild.

    It returns exactly what :func:`~shortcut_lib.gradient_profile` returns for the same network
    and input, and changes no process-wide torch setting. Introduced in notebook 03.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._network: DeepNetwork | None = None
        self._inputs: dict[tuple[int, int, int], torch.Tensor] = {}

    def profiles(self, settings: ComparisonSettings) -> dict[str, GradientProfile]:
        """``{"plain": profile, "shortcut": profile}`` of the same weights and input."""
        if not isinstance(settings, ComparisonSettings):
            raise TypeError(
                "settings must be a ComparisonSettings (for a state string, use "
                f"ComparisonSettings.parse or compare_shortcut); got {type(settings).__name__}"
            )
        network = self._network_for(settings).first_layers(settings.depth)
        x = self._input_for(settings)
        result = {}
        for label, use_shortcut in (("plain", False), ("shortcut", True)):
            network.use_shortcut = use_shortcut
            result[label] = gradient_profile(network, x)
        return result

    def _network_for(self, s: ComparisonSettings) -> DeepNetwork:
        key = (s.width, s.activation, s.init, s.gain, s.norm, s.final_norm, s.branch_scale, s.seed)
        if key != self._key or self._network.depth < s.depth:
            # A new network is built at the depth asked for. Once the depth slider goes past it,
            # the next one gets room (a power of two) so that dragging on does not rebuild at
            # every step.
            depth = s.depth
            if key == self._key:
                most = ComparisonSettings.specs()["depth"].high
                depth = min(2 ** math.ceil(math.log2(s.depth)), max(s.depth, most))
            self._network = DeepNetwork([s.width] * (depth + 1), seed=s.seed, **body_options(s))
            self._key = key
        return self._network

    def _input_for(self, s: ComparisonSettings) -> torch.Tensor:
        key = (s.batch_size, s.width, s.seed)
        if key not in self._inputs:
            generator = torch.Generator().manual_seed(s.seed)
            self._inputs = {key: torch.randn(s.batch_size, s.width, generator=generator)}
        return self._inputs[key]


def compare_shortcut(
    settings: ComparisonSettings | str | None = None, **changes: object
) -> dict[str, GradientProfile]:
    """Profile the plain and the shortcut model of one configuration, on the same weights.

    Args:
        settings: a :class:`ComparisonSettings`, a state string, or ``None`` for the defaults.
        **changes: fields to override, e.g. ``depth=50, activation="sigmoid"``.

    Returns:
        ``{"plain": GradientProfile, "shortcut": GradientProfile}``, ready for
        :func:`~shortcut_lib.plot_gradients`.

    Introduced in notebook 03.
    """
    if settings is None:
        settings = ComparisonSettings()
    elif isinstance(settings, str):
        settings = ComparisonSettings.parse(settings)
    elif not isinstance(settings, ComparisonSettings):
        raise TypeError(
            "settings must be a ComparisonSettings, a state string or None; got "
            f"{type(settings).__name__}"
        )
    return ShortcutComparison().profiles(settings.replace(**changes))
