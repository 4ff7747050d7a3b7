"""Per-layer gradient magnitudes on a log axis: a static figure, or one updated in place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from .._checks import check_bool, check_choice, check_int
from ..probes import DIAGNOSTICS, GradientProfile
from . import offscale
from .live import LiveFigure
from .scales import (
    check_band,
    check_figure,
    check_labels,
    check_series,
    check_text,
    check_view,
    decade_range,
    layer_ticks,
    roomy,
    series_values,
)
from .style import (
    BAND_EDGE_ALPHA,
    BAND_FILL_ALPHA,
    BOLD_LINE,
    DIAGNOSTIC_LABELS,
    MODEL_MARKERS,
    OKABE_ITO,
    series_color,
    series_legend,
    series_style,
)

__all__ = ["GradientPlot", "plot_gradients"]

Series = Mapping[str, "Sequence[float] | GradientProfile"]

_DEFAULT_LIMITS = (1e-8, 1e0)
_MARKER_LIMIT = 40  # beyond this many layers, markers would only blur the line


class GradientPlot:
    """A figure of per-layer gradient magnitudes whose artists are created once and then updated.

    The explorer calls :meth:`update` and :meth:`redraw` on every slider move;
    :func:`plot_gradients` calls :meth:`update` once. Exact zeros, NaN and inf cannot sit on a
    log axis: they are drawn as markers in a shaded band below (zero, ``v``) or above (inf
    ``^``, NaN ``x``) the data and counted in a note, never dropped.

    Args:
        labels: the series, in drawing order, e.g. ``("plain", "shortcut")``.
        ylabel: the y-axis label; the diagnostic's name.
        figure: draw into this figure (its canvas may be an explorer's); a new one if ``None``.
        title: an optional axes title.
        show_note: write the count of such values under the axes. A live plot may show
            ``notes`` elsewhere instead: text is the dearest thing to redraw.
        decade_step: the y limits snap to multiples of this many decades. 1 fits static data
            tightly; a live plot takes a coarser grid so its limits (and with them a full
            redraw) change less often.

    Introduced in notebook 01 (live in notebook 03).
    """

    def __init__(
        self,
        labels: Sequence[str] = ("plain", "shortcut"),
        *,
        ylabel: str = DIAGNOSTIC_LABELS["weight_grad_mean"],
        figure: Figure | None = None,
        title: str | None = None,
        show_note: bool = True,
        decade_step: int = 1,
    ) -> None:
        labels = check_labels("labels", labels)
        check_text("ylabel", ylabel, optional=False)
        check_text("title", title)
        self.decade_step = check_int("decade_step", decade_step, low=1, high=20)
        self.show_note = check_bool("show_note", show_note)
        self.notes: list[str] = []
        self.figure = check_figure(figure) or Figure(figsize=(7, 3.6), dpi=100)
        self.ax = self._build_axes(ylabel, title)
        green = to_rgb(OKABE_ITO["green"])
        self.band = self.ax.axhspan(
            1, 1, facecolor=(*green, BAND_FILL_ALPHA), edgecolor=(*green, BAND_EDGE_ALPHA),
            lw=0.8, visible=False,
        )  # fmt: skip
        self.lines: dict[str, Line2D] = {}
        self.edge_markers: dict[str, dict[str, Line2D]] = {}
        for i, label in enumerate(labels):
            self._build_series(label, i)
        self.legend = None
        self._legend_state: tuple = ()  # (emphasis, hidden) the legend shows
        self._build_legend(None, ())
        # Below the axes, right of the x label: the note never hides data.
        self.note = self.figure.text(
            0.99, 0.01, "", ha="right", va="bottom", fontsize=8, color="0.2"
        )
        self.limits: tuple[tuple[float, float], tuple[float, float]] | None = None
        markers = (m for per_label in self.edge_markers.values() for m in per_label.values())
        changing = [self.band, *self.lines.values(), *markers, self.note]
        self._live = LiveFigure(
            self.figure, [a for a in changing if a is not self.note or show_note]
        )
        # Fixed margins: a layout engine would re-measure every tick label on every draw.
        self.figure.subplots_adjust(left=0.12, right=0.97, bottom=0.19, top=0.88)

    def _build_axes(self, ylabel: str, title: str | None) -> Axes:
        ax = self.figure.add_subplot()
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = nearest the input)", loc="left")
        ax.set_ylabel(f"{ylabel} (log scale)")
        if title:
            ax.set_title(title, loc="right", fontsize=10)  # a short legend holds the left
        ax.grid(True, which="major", alpha=0.3)
        ax.yaxis.set_minor_locator(NullLocator())  # decade ticks say enough; minor ones cost
        offscale.draw_bands(ax)
        return ax

    def _build_series(self, label: str, index: int) -> None:
        color = series_color(label, index)
        (self.lines[label],) = self.ax.plot(
            [], [], color=color, label=label, marker=MODEL_MARKERS.get(label, "o"), **BOLD_LINE
        )
        self.edge_markers[label] = offscale.markers(self.ax, color)

    def _build_legend(self, emphasis: str | None, hidden: Sequence[str]) -> None:
        """A legend of the series drawn, each in the style it is drawn in (bold or faded)."""
        if self.legend is not None:
            self.legend.remove()
        colors = {k: line.get_color() for k, line in self.lines.items() if k not in hidden}
        self.legend = series_legend(self.ax, colors, emphasis)
        self._legend_state = (emphasis, tuple(hidden))

    def set_ylabel(self, ylabel: str) -> None:
        """Change the y label (a diagnostic's name); the next update sets the limits afresh."""
        text = f"{ylabel} (log scale)"
        if self.ax.get_ylabel() != text:
            self.ax.set_ylabel(text)
            self.limits = None

    def redraw(self, full: bool = False) -> None:
        """Render the last update to the canvas: only the changing artists are drawn over a
        kept background when the axes look as they did before (same limits and labels), a full
        draw otherwise. ``full=True`` forgets every kept background first."""
        if full:
            self._live.forget()
        self._live.draw((self.limits, self.ax.get_ylabel(), self._legend_state))

    def close(self) -> None:
        """Let go of the kept backgrounds and the figure's artists: the explorer was closed."""
        self._live.forget()
        self.figure.clear()

    @property
    def band_pixels(self) -> float:
        """How high the healthy band is drawn, in pixels (0 when none is shown)."""
        if not self.band.get_visible():
            return 0.0
        low, high = self.band.get_y(), self.band.get_y() + self.band.get_height()
        (_, y0), (_, y1) = self.ax.transData.transform([(1, low), (1, high)])
        return float(abs(y1 - y0))

    def update(
        self,
        series: Series,
        *,
        diagnostic: str = "weight_grad_mean",
        emphasis: str | None = None,
        hidden: Sequence[str] = (),
        band: tuple[float, float] | None = None,
    ) -> bool:
        """Show new values; returns True when the axis limits changed.

        Args:
            series: ``{label: per-layer values}`` (a sequence, or a GradientProfile read by
                ``diagnostic``); labels not given keep nothing drawn.
            diagnostic: which GradientProfile series to read.
            emphasis: the label drawn bold; the others thin and dashed. ``None`` draws all
                alike.
            hidden: labels not to draw at all (nor to name in the legend).
            band: ``(low, high)`` shaded as the healthy range, or ``None``.
        """
        check_view(series, diagnostic, emphasis, hidden)
        values = {label: series_values(v, diagnostic, label) for label, v in series.items()}
        unknown = set(values) - set(self.lines)
        if unknown:
            raise ValueError(
                f"series has labels {sorted(unknown)}; this plot draws {list(self.lines)}"
            )
        band = check_band(band)
        notes: list[str] = []
        if (emphasis, tuple(hidden)) != self._legend_state:
            self._build_legend(emphasis, hidden)
        for i, (label, line) in enumerate(self.lines.items()):
            line.set(**series_style(label, emphasis))
            y = values.get(label, np.empty(0))
            visible = label in values and label not in hidden
            notes += self._draw_series(label, y if visible else np.empty(0), i)
        self.notes = notes
        self.note.set_text("\n".join(notes))
        self.note.set_visible(bool(notes) and self.show_note)
        if band is not None:
            self.band.set_y(band[0])
            self.band.set_height(band[1] - band[0])
        self.band.set_visible(band is not None)
        shown = [values[k] for k in values if k not in hidden]
        return self._set_limits(shown, band)

    def _draw_series(self, label: str, y: np.ndarray, index: int) -> list[str]:
        x = np.arange(1, len(y) + 1)
        positive = np.isfinite(y) & (y > 0)
        line = self.lines[label]
        # Gaps (NaN) where a value cannot be drawn, so the line does not bridge a dead layer.
        line.set_data(x, np.where(positive, y, np.nan))
        line.set_marker(MODEL_MARKERS.get(label, "o") if len(y) <= _MARKER_LIMIT else "None")
        masks = {
            "zero": np.isfinite(y) & (y <= 0),
            "inf": np.isposinf(y),
            "nan": np.isnan(y) | np.isneginf(y),
        }
        counts = []
        for kind, mask in masks.items():
            edge_y = offscale.row(kind, index, len(self.lines))
            self.edge_markers[label][kind].set_data(x[mask], np.full(mask.sum(), edge_y))
            if mask.any():
                counts.append(f"{mask.sum()} {offscale.NAME[kind]} ({offscale.SYMBOL[kind]})")
        return [f"{label}, layers off the log scale: {', '.join(counts)}"] if counts else []

    def _set_limits(self, shown: list[np.ndarray], band: tuple[float, float] | None) -> bool:
        depth = max((len(y) for y in shown), default=1)
        finite = [y[np.isfinite(y) & (y > 0)] for y in shown]
        finite = np.concatenate(finite) if finite else np.empty(0)
        if band is not None and finite.size:
            finite = np.append(finite, band)
        ylim = (
            decade_range(finite.min(), finite.max(), self.decade_step)
            if finite.size
            else _DEFAULT_LIMITS
        )
        limits = ((0.5, roomy(depth) + 0.5), ylim)
        if limits == self.limits:
            return False
        self.ax.set_xlim(*limits[0])
        self.ax.xaxis.set_major_locator(FixedLocator(layer_ticks(roomy(depth))))
        offscale.set_ylim(self.ax, ylim)
        self.limits = limits
        return True


def plot_gradients(
    series: Series | Sequence[float],
    *,
    diagnostic: str = "weight_grad_mean",
    title: str | None = None,
    band: tuple[float, float] | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Per-layer gradient magnitudes of several models, overlaid on one log axis.

    Args:
        series: ``{label: values}``, e.g. ``{"plain": [...], "shortcut": [...]}``; values are a
            sequence of numbers (one per layer) or a :class:`GradientProfile`. One model's
            values alone also work: a list, or the ``{parameter name: value}`` dict that
            :func:`~shortcut_lib.weight_gradient_means` returns.
        diagnostic: which GradientProfile series to draw, and the y label: a key of
            ``shortcut_lib.probes.DIAGNOSTICS`` (``"weight_grad_mean"``, ``"output_grad_norm"``,
            ``"activation_rms"``, ...).
        title: an optional title.
        band: ``(low, high)`` shaded as a healthy range.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure``. Zeros, NaN and inf are drawn as markers in bands off the scale, with a note.

    Introduced in notebook 01.
    """
    series = check_series(series)
    check_choice("diagnostic", diagnostic, DIAGNOSTICS)
    plot = GradientPlot(
        tuple(series), ylabel=DIAGNOSTIC_LABELS[diagnostic], figure=figure, title=title
    )
    plot.update(series, diagnostic=diagnostic, band=band)
    return plot.figure
