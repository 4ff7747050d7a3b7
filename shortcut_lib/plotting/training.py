"""Training histories as figures: loss curves, a layer x step gradient heatmap per model, and each
layer's update ratio. :class:`TrainingPlot` creates its artists once and updates them in place, so
the explorer can redraw while a run is going."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from .._checks import MAX_LAYERS, check_memory
from ..history import History
from .heatmaps import GradientHeatmaps
from .live import LiveFigure
from .notice import Notice
from .runs import check_histories, describe_progress, describe_settings, numbers
from .scales import GrowingDecades, check_count, check_figure, check_labels, in_out_ticks
from .style import MODEL_MARKERS, OKABE_ITO, readable, series_color

__all__ = ["TrainingPlot", "plot_training"]

Histories = Mapping[str, History]

HEALTHY_RATIO = 1e-3  # update / weight: the usual rule of thumb (CS231n)
RATIO_WINDOW = 10  # the update ratio panel averages this many steps, batch noise is large
MAX_STEPS = 100_000  # far beyond the longest run (5,000 steps), far below a heatmap's limit


class TrainingPlot:
    """Loss curves, gradient heatmaps and update ratios of a training run, updated in place.

    Top left: each model's loss per step (log scale). Top right: each layer's update ratio
    ||W_after - W_before|| / ||W_before||, averaged over the last 10 steps shown, with the
    healthy mark 1e-3. Bottom: one heatmap per model, layer (``in`` at the bottom, ``out`` on top)
    x step, coloured by mean |dL/dW| on a shared log scale; exact zeros take the darkest colour,
    steps not yet run stay blank.

    Args:
        models: the models to draw, e.g. ``("plain", "shortcut")``; one heatmap each.
        figure: draw into this figure (its canvas may be an explorer's); a new one if ``None``.

    Introduced in notebook 04.
    """

    def __init__(
        self, models: Sequence[str] = ("plain", "shortcut"), *, figure: Figure | None = None
    ) -> None:
        self.models = check_labels("models", models, most=2)
        self.figure = check_figure(figure) or Figure(figsize=(9, 6), dpi=80)
        self._build_axes()
        self._build_loss_panel()
        self._build_ratio_panel()
        self.heatmaps = GradientHeatmaps(self.figure, self.heat_axes)
        # as the tests and notebooks read them: the heatmaps' images, notes and colour scale
        self.images, self.empty_notes = self.heatmaps.images, self.heatmaps.empty_notes
        self.norm = self.heatmaps.norm
        for ax in (self.loss_ax, self.ratio_ax):
            ax.grid(True, which="major", alpha=0.3)
            ax.yaxis.set_minor_locator(NullLocator())  # decade ticks say enough; minor ones cost
            ax.set_autoscale_on(False)  # update() sets the limits, snapped to decades
        self._layers = 0
        self._axes_state: tuple = ((), (), (), 0, 0, "")  # the background of the last update
        self._ranges = GrowingDecades()  # the y ranges: loss, ratio, gradient colours
        changing = [
            *self.loss_lines.values(),
            *self.ratio_lines.values(),
            *self.ratio_zeros.values(),
            *self.heatmaps.artists,
            self.progress,
        ]
        self.notice = Notice(self.loss_ax)  # over everything else: drawn last
        self._live = LiveFigure(self.figure, [*changing, *self.notice.artists])

    def _build_axes(self) -> None:
        """The four panels at fixed places, the settings line and the progress line."""
        fig = self.figure
        grid = fig.add_gridspec(2, 2, hspace=0.55, wspace=0.3)
        # Fixed margins: a layout engine would re-measure every label on every live redraw.
        # In pixels, so a shorter figure keeps room for the title and the x labels.
        width, height = fig.get_figwidth() * fig.dpi, fig.get_figheight() * fig.dpi
        left = max(0.08, 60 / width)  # a narrow copy keeps room for the y labels
        fig.subplots_adjust(left=left, right=0.88, bottom=48 / height, top=1 - 64 / height)
        self.loss_ax = fig.add_subplot(grid[0, 0])
        self.ratio_ax = fig.add_subplot(grid[0, 1])
        cells = [grid[1, 0], grid[1, 1]] if len(self.models) == 2 else [grid[1, :]]
        self.heat_axes = {
            m: fig.add_subplot(cell) for m, cell in zip(self.models, cells, strict=True)
        }
        # Two lines on top: the run's settings, drawn with the background, and its progress,
        # redrawn every frame (text is costly to render: only the line that changes is). The
        # progress line belongs to a panel, though placed on the figure: savefig leaves out a
        # figure's animated artists, a panel's it draws.
        line = 1.2 * 11 * fig.dpi / 72  # px, one line of 11 pt text
        self.title = fig.suptitle("", y=1 - 8 / height, fontsize=11)
        self.progress = self.loss_ax.text(
            0.5, 1 - (8 + line) / height, "", transform=fig.transFigure, ha="center", va="top",
            fontsize=11, clip_on=False,
        )  # fmt: skip

    def _build_loss_panel(self) -> None:
        ax = self.loss_ax
        ax.set(yscale="log", xlabel="step", ylabel="training loss (log)")
        ax.set_title("loss", loc="left", fontsize=10)
        self.loss_lines = {
            m: ax.plot([], [], color=series_color(m, i), lw=1.5, label=m)[0]
            for i, m in enumerate(self.models)
        }
        ax.legend(loc="upper right", fontsize=9, frameon=False)

    def _build_ratio_panel(self) -> None:
        ax = self.ratio_ax
        ax.set(yscale="log", xlabel="layer", ylabel="||ΔW|| / ||W|| (log)")
        ax.set_title(
            f"update ratio, mean of last {RATIO_WINDOW} steps (▼ = 0)",  # fits at 64 dpi too
            loc="left",
            fontsize=10,
        )
        ax.axhline(HEALTHY_RATIO, color=OKABE_ITO["green"], ls="--", lw=1.2)
        # Named at its right end, outside the axes: a legend box would cover a line or the title.
        ax.annotate(
            "1e-3\nhealthy", xy=(1, HEALTHY_RATIO), xycoords=("axes fraction", "data"),
            xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
            color=OKABE_ITO["green"], annotation_clip=False,
        )  # fmt: skip
        edge = ax.get_xaxis_transform()  # x in data, y in axes coordinates
        self.ratio_lines, self.ratio_zeros = {}, {}
        for i, m in enumerate(self.models):
            color, marker = series_color(m, i), MODEL_MARKERS.get(m, "o")
            (self.ratio_lines[m],) = ax.plot([], [], color=color, lw=1.5, ms=3, marker=marker)
            # Exactly 0 (the weights did not move at all) cannot sit on a log axis: a marker at
            # the bottom edge says so instead of a silent gap (the title names the marker).
            (self.ratio_zeros[m],) = ax.plot(
                [], [], ls="none", marker="v", ms=6, color=color, transform=edge, clip_on=False
            )

    def update(
        self,
        histories: Histories,
        *,
        step: int | None = None,
        total_steps: int | None = None,
        layers: int | None = None,
    ) -> None:
        """Show the histories up to ``step`` (default: all recorded steps).

        Args:
            histories: ``{"plain": History, "shortcut": History}``; a model left out shows as
                "not trained".
            step: show only the first ``step`` steps (replaying a finished run).
            total_steps: the width of the step axes; the planned number of steps while a run is
                live, so the axes stay put. Default: the steps shown.
            layers: the layers (``in``, hidden, ``out``) to lay out while no history is shown.
        """
        shown, n, total, layers = self._read(histories, step, total_steps, layers)
        if (total, layers) != self._axes_state[3:5]:
            self._ranges.clear()  # another run: the ranges start afresh
        self.heatmaps.update(shown, n, total, layers, lambda v: self._ranges("grad", v, (1e-8, 1)))
        for m in self.models:
            h = shown.get(m)
            loss = np.asarray(h.loss[:n], dtype=float) if h is not None else np.empty(0)
            self.loss_lines[m].set_data(np.arange(1, loss.size + 1), loss)
            self._update_ratio(m, h, n)
        self._set_limits(total, layers)
        self.title.set_text(describe_settings(shown))
        self.progress.set_text(describe_progress(shown, n, total, RATIO_WINDOW))
        self._axes_state = (
            self.loss_ax.get_ylim(),
            self.ratio_ax.get_ylim(),
            (self.norm.vmin, self.norm.vmax),
            total,
            layers,
            self.title.get_text(),  # part of the background too
        )

    def _read(
        self,
        histories: Histories,
        step: int | None,
        total_steps: int | None,
        layers: int | None,
    ) -> tuple[Histories, int, int, int]:
        """The histories shown, the steps shown, the steps axis's width, the layers laid out."""
        shown = {
            m: h for m, h in check_histories(histories, empty=True).items() if m in self.models
        }
        highs = {"step": None, "total_steps": MAX_STEPS, "layers": MAX_LAYERS + 2}
        for name, value in (("step", step), ("total_steps", total_steps), ("layers", layers)):
            if value is not None:
                check_count(name, value, low=0 if name == "step" else 1, high=highs[name])
        recorded = max((h.steps for h in shown.values()), default=0)
        n = recorded if step is None else min(step, recorded)
        # A replay keeps the whole run's step axis: "step 100/300", not "step 100/100".
        total = max(1, total_steps or recorded)
        layers = max((len(h.layer_names) for h in shown.values()), default=layers or 1)
        check_memory(  # the heatmaps' (layers, steps) arrays, a few copies each
            f"heatmaps of {layers:,} layers x {total:,} steps",
            24 * layers * total * 2,
            "total_steps or the number of layers",
        )
        return shown, n, total, layers

    def _set_limits(self, total: int, layers: int) -> None:
        losses = [np.asarray(line.get_ydata(), float) for line in self.loss_lines.values()]
        self.loss_ax.set_xlim(0, total)
        self.loss_ax.set_ylim(*self._ranges("loss", np.concatenate(losses), (1e-2, 1e1)))
        ratios = [np.asarray(line.get_ydata(), float) for line in self.ratio_lines.values()]
        ratio_values = np.concatenate(ratios)
        if ratio_values.size:  # the healthy mark stays in view once there is a ratio to compare
            ratio_values = np.append(ratio_values, HEALTHY_RATIO)
        self.ratio_ax.set_ylim(*self._ranges("ratio", ratio_values, (1e-6, 1e0)))
        self.ratio_ax.set_xlim(-0.5, layers - 0.5)
        if layers != self._layers:
            self._set_layer_ticks(layers)

    def close(self) -> None:
        """Let go of the kept backgrounds and the figure's artists: the explorer was closed."""
        self._live.forget()
        self.figure.clear()

    def set_notice(self, text: str | None) -> None:
        """Pale the figure and write ``text`` over it (e.g. "the settings changed since this
        run"), or show it plainly again (``None``). Takes effect at the next :meth:`redraw`."""
        self.notice.set(text)

    def redraw(self, full: bool = False) -> None:
        """Render the last update to the figure's canvas, as cheaply as possible.

        While the axes stay as they were, only the changing artists (curves, heatmaps, progress)
        are drawn over a kept background (:class:`~shortcut_lib.plotting.live.LiveFigure`).
        ``full=True`` forgets the kept backgrounds and draws everything.
        """
        if full:
            self._live.forget()
        self._live.draw(self._axes_state)

    def _update_ratio(self, m: str, history: History | None, n: int) -> None:
        if history is None or n == 0:
            ratio = np.empty(0)
        else:
            window = history.update_ratio[max(0, n - RATIO_WINDOW) : n]
            ratio = numbers(f"{m}'s History.update_ratio", window).mean(0)
        x = np.arange(ratio.size)
        self.ratio_lines[m].set_data(x, np.where(ratio > 0, ratio, np.nan))
        zero = ratio == 0
        self.ratio_zeros[m].set_data(x[zero], np.full(zero.sum(), 0.03))

    def _set_layer_ticks(self, layers: int) -> None:
        ticks, formatter = in_out_ticks(layers)
        for ax in [self.ratio_ax, *self.heat_axes.values()]:
            axis = ax.xaxis if ax is self.ratio_ax else ax.yaxis
            axis.set_major_locator(FixedLocator(ticks))
            axis.set_major_formatter(formatter)
        self._layers = layers


def plot_training(
    histories: Histories, *, step: int | None = None, figure: Figure | None = None
) -> Figure:
    """Loss curves, a layer x step gradient heatmap per model and each layer's update ratio.

    Args:
        histories: what :func:`~shortcut_lib.train` returns, ``{"plain": History, ...}``.
        step: show only the first ``step`` steps.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure`` (see :class:`TrainingPlot` for what each panel shows).

    Introduced in notebook 04.
    """
    check_labels("histories' models", check_histories(histories), most=2)
    plot = TrainingPlot(tuple(histories), figure=figure)
    # The step axis of the run as planned: a replay at step 100 of 300 reads "step 100/300",
    # as in the explorer, even when the histories stop early (a plan no run makes: ignored).
    planned = [h.settings.get("steps") for h in histories.values()]
    planned = max((p for p in planned if isinstance(p, int) and 0 < p <= MAX_STEPS), default=None)
    recorded = max(h.steps for h in histories.values())
    plot.update(histories, step=step, total_steps=max(planned or 0, recorded) or None)
    return readable(plot.figure)
