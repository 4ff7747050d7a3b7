"""Activation functions and their slopes, side by side: the curves a notebook computed, drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._checks import short_repr
from .scales import as_values, check_figure, check_labels
from .style import OKABE_ITO, series_color

__all__ = ["plot_activations"]

Curves = Mapping[str, "Sequence[float] | np.ndarray"]


def plot_activations(
    x: Sequence[float] | np.ndarray,
    values: Curves,
    derivatives: Curves | None = None,
    *,
    figure: Figure | None = None,
) -> Figure:
    """Each activation f(x) on the left and its derivative f'(x) on the right, one colour per name.

    The derivative panel has a dashed line at f' = 1: a layer whose slope sits below it shrinks
    the gradient passing back through it, above it grows it. The function only draws; compute the
    curves first, e.g. with :func:`~shortcut_lib.make_activation` and
    :func:`~shortcut_lib.activation_derivative`.

    Args:
        x: the points, one-dimensional (a list, NumPy array or CPU tensor).
        values: ``{name: f(x)}``, each the length of ``x``, e.g. ``{"sigmoid": ..., "tanh": ...}``.
        derivatives: ``{name: f'(x)}`` with the same names as ``values``; ``None`` draws the
            left panel only.
        figure: draw into this (empty) figure instead of a new one.

    Returns:
        The ``Figure``, with axes 0 for f and axes 1 (if derivatives were given) for f'. Each
        axes' first lines are the curves, in the order of ``values``; grey lines mark x = 0 and
        y = 0, and a dashed one f' = 1.

    Raises:
        TypeError: ``values`` or ``derivatives`` is not a non-empty dict, or a curve is not numbers.
        ValueError: a curve is not 1-D or not the length of ``x``, or the names differ.

    Introduced in notebook 02.
    """
    xs = as_values("x", x)
    curves = _check_curves("values", values, len(xs))
    slopes = None
    if derivatives is not None:
        slopes = _check_curves("derivatives", derivatives, len(xs))
        if list(slopes) != list(curves):
            raise ValueError(
                f"derivatives must have the same names, in the same order, as values: "
                f"values has {list(curves)}, derivatives has {list(slopes)}"
            )

    fig = check_figure(figure) or Figure(figsize=(7, 3.2), dpi=100, layout="constrained")
    panels = [(curves, "f(x)", "activation")]
    if slopes is not None:
        panels.append((slopes, "f'(x)", "derivative (slope)"))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (series, ylabel, title) in zip(axes, panels, strict=True):
        _draw_panel(ax, xs, series, ylabel, title)
    if slopes is not None:
        axes[1].axhline(1, color=OKABE_ITO["black"], lw=0.8, ls="--", label="_f' = 1", zorder=1)
        axes[1].annotate(
            "f' = 1", xy=(0.02, 1), xycoords=("axes fraction", "data"), xytext=(0, 3),
            textcoords="offset points", fontsize=8,
        )  # fmt: skip
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=len(curves), frameon=False)
    return fig


def _draw_panel(
    ax: Axes, xs: np.ndarray, series: dict[str, np.ndarray], ylabel: str, title: str
) -> None:
    for i, (name, y) in enumerate(series.items()):
        ax.plot(xs, y, color=series_color(name, i), lw=_width(i, len(series)), label=name)
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)


def _width(index: int, count: int) -> float:
    # Earlier curves are drawn wider, so one that coincides with a later one (relu and identity
    # for x > 0) still shows along both edges of it.
    return 1.8 + 1.6 * (count - 1 - index) / max(count - 1, 1)


def _check_curves(name: str, curves: object, length: int) -> dict[str, np.ndarray]:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"{name} must be a non-empty dict of {{activation name: values at x}}, e.g. "
            f"{{'sigmoid': [...]}}; got {type(curves).__name__}"
        )
    check_labels(f"{name}' names", curves)
    result = {}
    for label, y in curves.items():
        key = f"{name}[{short_repr(label, 40)}]"
        array = as_values(key, y)
        if len(array) != length:
            raise ValueError(
                f"{key} has {len(array)} values but x has {length}; give one value per point of x"
            )
        result[str(label)] = array
    return result
