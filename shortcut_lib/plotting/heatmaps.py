"""The training plot's bottom row: one heatmap per model, layer x step, coloured by mean |dL/dW|
on one log scale shared by every model, so that one colour means one gradient."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from ..history import History
from .runs import numbers
from .style import series_color

_CMAP = "viridis"


class GradientHeatmaps:
    """Heatmaps of mean |dL/dW| in ``axes`` (``{model: Axes}``) with one colour bar, updated in
    place: exact zeros take the darkest colour, steps not yet run stay blank, a model without a
    history reads "not trained", and a cursor marks the last step of a run in progress."""

    def __init__(self, figure: Figure, axes: Mapping[str, Axes]) -> None:
        self.axes = dict(axes)
        self.norm = LogNorm(1e-8, 1.0)  # one scale for every heatmap: one colour, one gradient
        cmap = colormaps[_CMAP].with_extremes(bad=(1, 1, 1, 0))  # NaN, not run yet: blank
        self.images, self.empty_notes, self.cursors = {}, {}, {}
        for i, (m, ax) in enumerate(self.axes.items()):
            self.images[m] = ax.imshow(
                np.full((1, 1), np.nan), cmap=cmap, norm=self.norm, aspect="auto",
                origin="lower", interpolation="nearest", extent=(0, 1, -0.5, 0.5),
            )  # fmt: skip
            ax.set_title(f"{m}: mean |dL/dW| per layer", loc="left", fontsize=10,
                         color=series_color(m, i))  # fmt: skip
            ax.set(xlabel="step", ylabel="layer")
            self.empty_notes[m] = ax.text(
                0.5, 0.5, "not trained", transform=ax.transAxes, ha="center", va="center",
                color="0.4", visible=False,
            )  # fmt: skip
            self.cursors[m] = ax.axvline(0, color="white", lw=1, alpha=0.8, visible=False)
        last, first = list(self.axes.values())[-1], next(iter(self.images.values()))
        self.colorbar = figure.colorbar(first, cax=last.inset_axes((1.04, 0, 0.04, 1)))
        self.colorbar.set_label("mean |dL/dW| (log)")
        self.colorbar.ax.yaxis.set_minor_locator(NullLocator())

    @property
    def artists(self) -> list:
        """What changes from one update to the next."""
        return [*self.images.values(), *self.cursors.values(), *self.empty_notes.values()]

    def update(
        self,
        shown: Mapping[str, History],
        n: int,
        total: int,
        layers: int,
        limits: Callable[[np.ndarray], tuple[float, float]],
    ) -> None:
        """Show the first ``n`` steps of each history on a (``layers`` x ``total``) grid, the
        colour scale's limits from ``limits(every value shown)``."""
        grads = {m: _rows(m, h.weight_grad_mean, n, layers) for m, h in shown.items()}
        values = [g.ravel() for g in grads.values()]
        low, high = limits(np.concatenate(values) if values else np.empty(0))
        if (self.norm.vmin, self.norm.vmax) != (low, high):
            self.norm.vmin, self.norm.vmax = low, high
        for m, ax in self.axes.items():
            self._update_one(m, ax, grads.get(m), total, layers)

    def _update_one(
        self, m: str, ax: Axes, grads: np.ndarray | None, total: int, layers: int
    ) -> None:
        self.empty_notes[m].set_visible(grads is None)
        data = np.full((layers, total), np.nan)  # (layers, steps); NaN: not run yet, blank
        if grads is not None:
            n = grads.shape[0]
            # Exact zeros would vanish on a log scale: clip them to the darkest colour.
            data[:, :n] = np.where(grads == 0, self.norm.vmin, grads).T
            self.cursors[m].set_xdata([n, n])
            self.cursors[m].set_visible(0 < n < total)
        self.images[m].set_data(data)
        self.images[m].set_extent((0, total, -0.5, layers - 0.5))
        ax.set_xlim(0, total)
        ax.set_ylim(-0.5, layers - 0.5)


def _rows(model: str, values: list[list[float]], n: int, layers: int) -> np.ndarray:
    if n == 0:
        return np.empty((0, layers))
    array = numbers(f"{model}'s History.weight_grad_mean", values[:n])  # (steps, layers)
    if array.shape[1] < layers:  # a model with fewer layers than another: pad with blanks
        array = np.pad(array, ((0, 0), (0, layers - array.shape[1])), constant_values=np.nan)
    return array
