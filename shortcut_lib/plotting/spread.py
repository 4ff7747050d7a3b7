"""How a measurement spreads over many seeds: one row of points per series on a log axis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .._checks import short_repr
from .scales import as_values, check_figure, check_labels, check_text
from .style import series_color

__all__ = ["plot_spread"]


def plot_spread(
    samples: Mapping[str, Sequence[float]],
    *,
    xlabel: str,
    title: str | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Each series' values over many seeds as a row of points on a log axis, median marked.

    Args:
        samples: ``{label: values}``, one value per seed, e.g. first-layer gradients of the
            plain and the shortcut model.
        xlabel: what the values are.
        title: an optional title.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure``. Values that are not finite and positive cannot sit on a log axis; their
        count is written beside the row instead of being dropped silently.

    Introduced in notebook 01.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise TypeError(
            f"samples must be a non-empty dict of {{label: values}}; got {type(samples).__name__}"
        )
    check_labels("samples' labels", samples)
    check_text("xlabel", xlabel, optional=False)
    check_text("title", title)
    figure = check_figure(figure) or Figure(figsize=(7, 0.9 + 0.7 * len(samples)), dpi=100)
    ax = figure.add_subplot()
    jitter = np.random.default_rng(0)  # fixed: the same data always gives the same picture
    for row, (label, values) in enumerate(samples.items()):
        _draw_row(ax, row, label, as_values(f"samples[{short_repr(label, 40)}]", values), jitter)
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(range(len(samples)), list(samples))
    ax.set_ylim(-0.6, len(samples) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel(f"{xlabel} (log scale; black bar = median)")
    ax.grid(True, axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    figure.set_layout_engine("constrained")
    return figure


def _draw_row(
    ax: Axes, row: int, label: str, values: np.ndarray, jitter: np.random.Generator
) -> None:
    shown = values[np.isfinite(values) & (values > 0)]
    y = row + jitter.uniform(-0.18, 0.18, shown.size)
    ax.scatter(shown, y, s=12, alpha=0.5, color=series_color(label, row), lw=0)
    if shown.size:
        ax.plot([np.median(shown)] * 2, [row - 0.3, row + 0.3], color="black", lw=2)
    if shown.size < values.size:
        ax.annotate(
            f"{values.size - shown.size} not shown (0, NaN or inf)",
            (1, row),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize=8,
        )
