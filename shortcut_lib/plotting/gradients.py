"""Per-layer gradient magnitudes on a log axis: a static figure, or one updated in place."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from ..probes import DIAGNOSTICS, GradientProfile
from .style import MODEL_MARKERS, OKABE_ITO, series_color

__all__ = ["GradientPlot", "plot_gradients"]

Series = Mapping[str, "Sequence[float] | GradientProfile"]

# Where values a log axis cannot show are drawn, in axes coordinates (0 = bottom, 1 = top);
# each further series sits a little further in, so coinciding markers stay distinguishable.
_EDGE_Y = {"zero": 0.03, "inf": 0.97, "nan": 0.90}
_EDGE_STEP = {"zero": 0.04, "inf": -0.04, "nan": -0.04}
_EDGE_SYMBOL = {"zero": "v", "inf": "^", "nan": "x"}
_EDGE_NAME = {"zero": "exactly 0", "inf": "inf", "nan": "NaN"}
_DEFAULT_LIMITS = (1e-8, 1e0)
_BACKGROUNDS_KEPT = 16  # about 0.8 MB each at the explorer's size
_MARKER_LIMIT = 40  # beyond this many layers, markers would only blur the line


class GradientPlot:
    """A figure of per-layer gradient magnitudes whose artists are created once and then updated.

    The explorer calls :meth:`update` on every slider move; :func:`plot_gradients` calls it once.
    Exact zeros, NaN and inf cannot sit on a log axis: they are drawn as markers at the bottom
    (zero, ``v``) or top (inf ``^``, NaN ``x``) edge and counted in a note, never dropped.

    Args:
        labels: the series, in drawing order, e.g. ``("plain", "shortcut")``.
        ylabel: the y-axis label; the diagnostic's name.
        figure: draw into this figure (its canvas may be an ipympl widget); a new one if ``None``.
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
        ylabel: str = DIAGNOSTICS["weight_grad_mean"],
        figure: Figure | None = None,
        title: str | None = None,
        show_note: bool = True,
        decade_step: int = 1,
    ) -> None:
        self.show_note = show_note
        self.decade_step = decade_step
        self.notes: list[str] = []
        self.figure = figure if figure is not None else Figure(figsize=(7, 3.6), dpi=100)
        self.ax = self.figure.add_subplot()
        ax = self.ax
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = nearest the input)", loc="left")
        ax.set_ylabel(f"{ylabel} (log scale)")
        if title:
            ax.set_title(title, loc="right", fontsize=10)  # a short legend holds the left
        ax.grid(True, which="major", alpha=0.3)
        ax.yaxis.set_minor_locator(NullLocator())  # decade ticks say enough; minor ones cost
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
        self.band = ax.axhspan(1, 1, color=OKABE_ITO["green"], alpha=0.12, lw=0, visible=False)
        edge = ax.get_xaxis_transform()  # x in data, y in axes coordinates
        self.lines: dict[str, Line2D] = {}
        self.edge_markers: dict[str, dict[str, Line2D]] = {}
        for i, label in enumerate(labels):
            color = series_color(label, i)
            (self.lines[label],) = ax.plot(
                [],
                [],
                color=color,
                lw=2,
                label=label,
                marker=MODEL_MARKERS.get(label, "o"),
                markersize=5,
            )
            self.edge_markers[label] = {
                kind: ax.plot(
                    [],
                    [],
                    ls="none",
                    marker=marker,
                    color=color,
                    markersize=8,
                    clip_on=False,
                    transform=edge,
                )[0]
                for kind, marker in _EDGE_SYMBOL.items()
            }
        if sum(len(label) for label in labels) <= 40:  # short labels: one row above the axes
            self.legend = ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1),
                ncols=len(labels),
                frameon=False,
                borderaxespad=0.2,
            )
        else:  # long labels: a box inside, wherever it hides the least (fine for static plots)
            self.legend = ax.legend(loc="best", fontsize=8, framealpha=0.85)
        # Below the axes, right of the x label: the note never hides data.
        self.note = self.figure.text(
            0.99, 0.01, "", ha="right", va="bottom", fontsize=8, color="0.2"
        )
        self.limits: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._background = None
        self._backgrounds: dict[tuple, object] = {}  # by _background_key(), newest last
        self._draw_cid: int | None = None
        # Fixed margins: a layout engine would re-measure every tick label on every draw.
        self.figure.subplots_adjust(left=0.12, right=0.97, bottom=0.19, top=0.88)

    def set_ylabel(self, ylabel: str) -> None:
        """Change the y label (a diagnostic's name); the next redraw is a full one."""
        text = f"{ylabel} (log scale)"
        if self.ax.get_ylabel() != text:
            self.ax.set_ylabel(text)
            self.limits = None

    def redraw(self, full: bool = True) -> None:
        """Render the changes to the canvas, repainting only the changing artists when possible.

        A full draw (ticks, labels) costs several times more than the lines. While the axis limits
        stay put, the static parts come from a cached background and only the data artists are
        drawn and blitted (matplotlib's blitting recipe). The data artists are drawn on top of
        every full draw, including the ones the canvas makes by itself (when it is first shown,
        or resized), so the picture is never left without its lines.
        """
        canvas = self.figure.canvas
        if not hasattr(canvas, "copy_from_bbox"):  # a bare Figure(): give it a raster canvas
            canvas = FigureCanvasAgg(self.figure)
        if self._draw_cid is None:
            for artist in self._changing:
                artist.set_animated(True)  # left out of the cached background
            self._draw_cid = canvas.mpl_connect("draw_event", self._on_full_draw)
        if full or self._background is None:
            # Limits seen before (a slider dragged back and forth) have their background kept.
            self._background = self._backgrounds.get(self._background_key())
        if self._background is None:
            # Render without sending (an ipympl canvas's own draw() would send a frame too);
            # the draw_event handler caches the background and draws the data on top.
            FigureCanvasAgg.draw(canvas)
        else:
            canvas.restore_region(self._background)
            self._draw_changing()
        # ipympl sends a frame as a diff against the last one unless told otherwise; a frame
        # the browser drops would then leave ghosts of old lines, so send whole frames.
        canvas._force_full = True
        canvas.blit(self.figure.bbox)

    @property
    def _changing(self) -> list[Artist]:
        markers = (m for per_label in self.edge_markers.values() for m in per_label.values())
        return [self.band, *self.lines.values(), *markers, *([self.note] if self.show_note else [])]

    def _draw_changing(self) -> None:
        for artist in self._changing:
            self.figure.draw_artist(artist)

    def _background_key(self) -> tuple:
        # Everything the static parts depend on: limits, y label and the canvas size.
        return self.limits, self.ax.get_ylabel(), tuple(self.figure.bbox.bounds)

    def _on_full_draw(self, event: object) -> None:
        canvas = self.figure.canvas
        if canvas.is_saving():  # savefig draws animated artists itself
            return
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._backgrounds[self._background_key()] = self._background
        while len(self._backgrounds) > _BACKGROUNDS_KEPT:  # oldest first: dicts keep order
            del self._backgrounds[next(iter(self._backgrounds))]
        self._draw_changing()

    def update(
        self,
        series: Series,
        *,
        diagnostic: str = "weight_grad_mean",
        emphasis: str | None = None,
        hidden: Sequence[str] = (),
        band: tuple[float, float] | None = None,
    ) -> bool:
        """Show new values; returns True when the axis limits changed (a full redraw is due).

        Args:
            series: ``{label: per-layer values}`` (a sequence, or a GradientProfile read by
                ``diagnostic``); labels not given keep nothing drawn.
            diagnostic: which GradientProfile series to read.
            emphasis: the label drawn bold; the others fade. ``None`` draws all alike.
            hidden: labels not to draw at all.
            band: ``(low, high)`` shaded as the healthy range, or ``None``.
        """
        values = {label: _as_array(v, diagnostic) for label, v in series.items()}
        unknown = set(values) - set(self.lines)
        if unknown:
            raise ValueError(
                f"series has labels {sorted(unknown)}; this plot draws {list(self.lines)}"
            )
        notes: list[str] = []
        for i, (label, line) in enumerate(self.lines.items()):
            y = values.get(label, np.empty(0))
            visible = label in values and label not in hidden
            notes += self._draw_series(label, y if visible else np.empty(0), i)
            faded = emphasis is not None and label != emphasis
            line.set_alpha(0.35 if faded else 1.0)
            line.set_linewidth(1.5 if faded else 2.5)
            for marker in self.edge_markers[label].values():
                marker.set_alpha(0.35 if faded else 1.0)
        self.notes = notes
        self.note.set_text("\n".join(notes))
        self.note.set_visible(bool(notes) and self.show_note)
        if band is not None:
            low, high = band
            self.band.set_y(low)
            self.band.set_height(high - low)
        self.band.set_visible(band is not None)
        shown = [values[k] for k in values if k not in hidden]
        return self._set_limits(shown)

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
            edge_y = _EDGE_Y[kind] + index * _EDGE_STEP[kind]
            self.edge_markers[label][kind].set_data(x[mask], np.full(mask.sum(), edge_y))
            if mask.any():
                counts.append(f"{mask.sum()} {_EDGE_NAME[kind]} ({_EDGE_SYMBOL[kind]})")
        return [f"{label}, layers off the log scale: {', '.join(counts)}"] if counts else []

    def _set_limits(self, shown: list[np.ndarray]) -> bool:
        depth = max((len(y) for y in shown), default=1)
        finite = [y[np.isfinite(y) & (y > 0)] for y in shown]
        finite = np.concatenate(finite) if finite else np.empty(0)
        ylim = (
            _decade_range(finite.min(), finite.max(), self.decade_step)
            if finite.size
            else _DEFAULT_LIMITS
        )
        limits = ((0.5, _roomy(depth) + 0.5), ylim)
        if limits == self.limits:
            return False
        self.ax.set_xlim(*limits[0])
        self.ax.set_ylim(*limits[1])
        self.limits = limits
        return True


def _decade_range(low: float, high: float, step: int) -> tuple[float, float]:
    # Limits on a fixed grid of `step` decades: the same data always gets the same axes, and
    # with a coarse grid a slider step rarely moves them (the cached background stays valid).
    return (
        10.0 ** (step * math.floor((math.log10(low) - 0.05) / step)),
        10.0 ** (step * math.ceil((math.log10(high) + 0.05) / step)),
    )


def _roomy(depth: int) -> int:
    # The x range grows in steps, so dragging the depth slider rarely changes the limits.
    steps = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200)
    return next((s for s in steps if s >= depth), depth)


def plot_gradients(
    series: Series,
    *,
    diagnostic: str = "weight_grad_mean",
    title: str | None = None,
    band: tuple[float, float] | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Per-layer gradient magnitudes of several models, overlaid on one log axis.

    Args:
        series: ``{label: values}``, e.g. ``{"plain": [...], "shortcut": [...]}``; values are a
            sequence of numbers (one per layer) or a :class:`GradientProfile`.
        diagnostic: which GradientProfile series to draw, and the y label:
            ``"weight_grad_mean"``, ``"weight_grad_norm"`` or ``"output_grad_norm"``.
        title: an optional title.
        band: ``(low, high)`` shaded as a healthy range.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure``. Zeros, NaN and inf are drawn as edge markers with a note.

    Introduced in notebook 01.
    """
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            "series must be a non-empty dict of {label: per-layer values}, e.g. "
            f"{{'plain': [...], 'shortcut': [...]}}; got {type(series).__name__}"
        )
    if diagnostic not in DIAGNOSTICS:
        valid = ", ".join(repr(d) for d in DIAGNOSTICS)
        raise ValueError(f"diagnostic must be one of {valid}; got {diagnostic!r}")
    plot = GradientPlot(tuple(series), ylabel=DIAGNOSTICS[diagnostic], figure=figure, title=title)
    plot.update(series, diagnostic=diagnostic, band=band)
    return plot.figure


def _as_array(values: object, diagnostic: str) -> np.ndarray:
    if isinstance(values, GradientProfile):
        values = values.diagnostic(diagnostic)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"each series must be a sequence of numbers or a GradientProfile; got {values!r}"
        ) from None
    if array.ndim != 1:
        raise ValueError(f"each series must be one value per layer (1-D); got shape {array.shape}")
    return array
