"""Axis limits and ticks that read at a glance and hold still while a slider moves, and the
checks every plotting function makes of its arguments."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch
from matplotlib import cbook
from matplotlib.figure import Figure
from matplotlib.mathtext import MathTextParser
from matplotlib.ticker import FuncFormatter

from .._checks import check_choice, check_int, check_tensor, short_repr
from ..probes import DIAGNOSTICS, GradientProfile, TransformerProfile

MAX_SERIES = 20  # lines on one axes, each in a colour of its own: more would only blur
MAX_VALUES = 10**6  # points in one series (a layer each, or a seed each)
LOG10_RANGE = 307  # float64's normal numbers reach from about 1e-308 to 1e308
_TICK_STRIDES = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
# The x range grows in steps, so dragging the depth slider rarely changes the limits.
_ROOMY = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200)


def decade_range(low: float, high: float, step: int, margin: float = 0.08) -> tuple[float, float]:
    """Limits on a fixed grid of ``step`` decades around ``low``..``high``, with room on both
    sides: at least 0.15 of a decade above the largest value and 0.05 below the smallest, and at
    least ``margin`` of the data's own span at each end, so a line never runs along the edge. The
    same data always get the same axes, and with a coarse grid a slider step rarely moves them."""
    a, b = math.log10(low), math.log10(high)
    # The room grows with the data's own span, not the axes': a pure function of the data with
    # one threshold per edge, so a drag moves the axes only when an edge crosses a grid line.
    room = margin * (b - a)
    bottom = step * math.floor((a - max(0.05, room)) / step)
    top = step * math.ceil((b + max(0.15, room)) / step)
    # Within float64's normal range, whatever the data: 1e-320 or 1e300 still get axes.
    bottom = min(max(bottom, -LOG10_RANGE), LOG10_RANGE - step)
    top = max(min(top, LOG10_RANGE), bottom + step)
    return 10.0**bottom, 10.0**top


def decade_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """Ticks at whole decades between ``low`` and ``high``, every 1, 2, 5, 10, ... decades and
    at multiples of that stride (1e-10, 1e-5, 1e0; never 1e-9, 1e-4), at most ``most``."""
    a, b = round(math.log10(low)), round(math.log10(high))
    stride = next((s for s in _TICK_STRIDES if (b - a) // s + 1 <= most), _TICK_STRIDES[-1])
    first = stride * math.ceil(a / stride)
    return [10.0**e for e in range(first, b + 1, stride)]


def layer_ticks(last: int, most: int = 10) -> list[int]:
    """Whole-number ticks for layers 1..``last``: 1, then multiples of a round stride."""
    stride = next((s for s in _TICK_STRIDES if last // s <= most), _TICK_STRIDES[-1])
    return sorted({1, *range(stride, last + 1, stride)})


def in_out_ticks(layers: int) -> tuple[list[int], FuncFormatter]:
    """Ticks for ``layers`` positions named ``in``, 1, 2, ..., ``out`` (the input layer, the
    hidden ones, the output layer): both ends and round hidden ones, and their labels."""
    depth = layers - 2
    every = next((s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500) if depth / s <= 5), 1000)
    # Hidden-layer ticks, minus any that would crowd the "out" label.
    hidden = [t for t in range(every, depth + 1, every) if layers - 1 - t >= layers / 15]
    names = {0: "in", layers - 1: "out"}
    return [0, *hidden, layers - 1], FuncFormatter(lambda v, _: names.get(int(v), str(int(v))))


def roomy(depth: int) -> int:
    """The x range for ``depth`` layers: the next of a few round numbers."""
    return next((s for s in _ROOMY if s >= depth), depth)


def check_figure(figure: object) -> Figure | None:
    """``figure`` if it is a matplotlib Figure or None; a clear TypeError otherwise."""
    if figure is not None and not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure or None; got {type(figure).__name__}")
    return figure


def check_band(band: object) -> tuple[float, float] | None:
    """``None``, or ``(low, high)`` with 0 < low < high, both finite."""
    if band is None:
        return None
    if (
        not isinstance(band, Sequence)
        or isinstance(band, str)
        or len(band) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in band)
    ):
        raise TypeError(f"band must be None or a pair (low, high) of numbers; got {band!r:.60}")
    low, high = float(band[0]), float(band[1])
    if not (0 < low < high < math.inf):
        raise ValueError(f"band must satisfy 0 < low < high, both finite; got {tuple(band)}")
    return low, high


def as_values(name: str, values: object) -> np.ndarray:
    """A 1-D float array of ``values`` (a sequence of real numbers, a NumPy array or a tensor, even
    one that requires grad), or a clear error naming ``name``."""
    if isinstance(values, torch.Tensor):
        values = check_tensor(name, values).detach().cpu().numpy()
    if values is None or isinstance(values, (str, bytes, Mapping)):
        raise TypeError(f"{name} must be a sequence of numbers; got {short_repr(values)}")
    if hasattr(values, "__len__") and len(values) > MAX_VALUES:
        raise ValueError(
            f"{name} has {len(values):,} values, more than the {MAX_VALUES:,} a plot shows"
        )
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers; got {short_repr(values)}") from None
    if array.dtype.kind not in "iuf":  # not strings, None, bools or complex numbers
        hint = " (complex values: plot their abs() or .real)" if array.dtype.kind == "c" else ""
        raise TypeError(
            f"{name} must be a sequence of numbers, real ones{hint}; got {short_repr(values)}"
        )
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (1-D), one value per layer or point; "
            f"got shape {array.shape}"
        )
    return array.astype(float)


def check_labels(name: str, labels: object, most: int = MAX_SERIES) -> tuple[str, ...]:
    """``labels`` (the keys of a dict of series, or a sequence) as a tuple of 1 to ``most``
    distinct strings, or a clear error naming ``name``."""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (Sequence, Mapping)):
        raise TypeError(f"{name} must be a list of names, such as ('plain', 'shortcut'); got "
                        f"{short_repr(labels)}")  # fmt: skip
    labels = tuple(labels)
    if not all(isinstance(label, str) for label in labels):
        raise TypeError(f"{name} must be names (str); got {short_repr(labels)}")
    if not 1 <= len(labels) <= most or len(set(labels)) < len(labels):
        count = "one or two" if most == 2 else f"1 to {most}"
        raise ValueError(
            f"{name} must be {count} distinct names; got {len(labels)}: {short_repr(labels)}"
        )
    return labels


def check_text(name: str, text: object, *, optional: bool = True) -> str | None:
    """A label or title: a str (or ``None`` if ``optional``) whose mathtext, if any (between $
    signs), matplotlib can read; else a clear error now, not when the figure is drawn."""
    if text is None and optional:
        return None
    if not isinstance(text, str):
        kind = "a str or None" if optional else "a str"
        raise TypeError(f"{name} must be {kind}; got {short_repr(text)} of type "
                        f"{type(text).__name__}")  # fmt: skip
    if cbook.is_math_text(text):
        try:
            _MATHTEXT.parse(text)
        except ValueError as exc:
            problem = str(exc).strip().splitlines()[-1][:120]
            raise ValueError(
                f"{name} {short_repr(text)} has mathtext (between $ signs) that matplotlib "
                rf"cannot read: {problem}; write a literal dollar sign as \$"
            ) from None
    return text


_MATHTEXT = MathTextParser("path")


def check_count(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """An int argument of a plot (columns, steps), checked."""
    return check_int(name, value, low=low, high=high)


def check_series(series: object) -> Mapping[str, object]:
    """``{label: per-layer values}`` from what a gradient plot takes: that dict, or one model's
    values (a list of numbers, or what ``weight_gradient_means`` returns)."""
    if (
        isinstance(series, Mapping)
        and series
        and all(
            isinstance(k, str) and "weight" in k and isinstance(v, (int, float))
            for k, v in series.items()
        )
    ):  # one model's {parameter name: value}, as weight_gradient_means returns
        return {"model": list(series.values())}
    if (
        isinstance(series, (list, tuple))
        and series
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in series)
    ):  # one model's values, one per layer
        return {"model": list(series)}
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            "series must be a non-empty dict of {label: per-layer values}, e.g. "
            "{'plain': [...], 'shortcut': [...]}, or one model's values (a list of numbers, or "
            f"what weight_gradient_means returns); got {short_repr(series)}"
        )
    check_labels("series' labels", series)
    return series


def check_view(series: object, diagnostic: object, emphasis: object, hidden: object) -> None:
    """The arguments of a gradient plot's update: a dict of series, a diagnostic's name, the
    label drawn bold (or ``None``) and the labels hidden."""
    if not isinstance(series, Mapping):
        raise TypeError(f"series must be a dict of {{label: values}}; got {short_repr(series)}")
    check_choice("diagnostic", diagnostic, DIAGNOSTICS)
    if emphasis is not None and not isinstance(emphasis, str):
        raise TypeError(f"emphasis must be a series' label or None; got {short_repr(emphasis)}")
    if isinstance(hidden, (str, bytes)) or not (
        isinstance(hidden, Iterable) and all(isinstance(h, str) for h in hidden)
    ):
        raise TypeError(f"hidden must be a list of series' labels; got {short_repr(hidden)}")


def series_values(values: object, diagnostic: str, label: str = "series") -> np.ndarray:
    """One series of a gradient plot as an array: a sequence of numbers, or a GradientProfile
    read by ``diagnostic``."""
    if isinstance(values, GradientProfile):
        values = values.diagnostic(diagnostic)
    elif isinstance(values, TransformerProfile):
        raise TypeError(
            f"series[{short_repr(label, 40)}] is a TransformerProfile: plot one of its lists, "
            "such as profile.stream_grad_norm"
        )
    try:
        return as_values(f"series[{short_repr(label, 40)}]", values)
    except TypeError as exc:
        raise TypeError(
            f"{exc} (each series must be a sequence of numbers or a GradientProfile)"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{exc}; each series is one value per layer") from None


class GrowingDecades:
    """Axis ranges, by name, in whole decades that only grow while a run goes on (unless four
    decades or more are left unused): limits that moved with every update would force a full
    redraw each time. :meth:`clear` starts afresh, for another run."""

    def __init__(self) -> None:
        self._ranges: dict[str, tuple[float, float]] = {}

    def __call__(
        self, key: str, values: object, default: tuple[float, float]
    ) -> tuple[float, float]:
        """The range ``key`` shows after ``values`` (``default`` while nothing positive is)."""
        values = np.asarray(values, float)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size == 0:
            return self._ranges.get(key, default)  # nothing to show yet
        low = 10.0 ** math.floor(math.log10(values.min()))
        high = 10.0 ** math.ceil(math.log10(values.max()))
        need = (low, high) if high > low else (low, low * 10)
        grown = self._ranges.get(key, need)
        grown = (min(grown[0], need[0]), max(grown[1], need[1]))
        if math.log10(need[0] / grown[0]) + math.log10(grown[1] / need[1]) >= 4:
            grown = need
        self._ranges[key] = grown
        return grown

    def clear(self) -> None:
        """Forget every range."""
        self._ranges.clear()
