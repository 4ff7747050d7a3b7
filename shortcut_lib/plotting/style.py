"""One look for every figure: colour-blind-safe colours and labels shared by the plot modules."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

# Okabe and Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness, and in greyscale print.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

# Plain always vermillion, shortcut always blue, in every notebook.
MODEL_COLORS = {"plain": OKABE_ITO["vermillion"], "shortcut": OKABE_ITO["blue"]}
MODEL_MARKERS = {"plain": "o", "shortcut": "s"}

# Any other series takes the next colour of this cycle, which leaves out the two models'
# colours: a "baseline" next to "plain" must never be drawn in plain's vermillion.
CYCLE = [OKABE_ITO[k] for k in ("green", "orange", "purple", "sky_blue", "black", "yellow")]


def series_color(label: str, index: int) -> str:
    """The colour for a series: fixed for "plain" and "shortcut", else the index-th of the cycle."""
    return MODEL_COLORS.get(label, CYCLE[index % len(CYCLE)])


# The axis label of each GradientProfile series (shortcut_lib.probes.DIAGNOSTICS).
DIAGNOSTIC_LABELS = {
    "weight_grad_mean": "mean |dL/dW|",
    "weight_grad_norm": "||dL/dW||",
    "output_grad_norm": "||dL/dh||",
    "activation_rms": "RMS of h",
    "activation_spread": "spread of h across inputs",
}


# The emphasised series and the others. "Faded" keeps the full colour (a translucent line fell
# below 3:1 contrast on the healthy band, vermillion even on white) and reads as secondary by
# being thin and dashed, in greyscale too.
BOLD_LINE = {"alpha": 1.0, "linewidth": 2.5, "linestyle": "-", "markersize": 5}
FADED_LINE = {"alpha": 1.0, "linewidth": 1.3, "linestyle": (0, (5, 2)), "markersize": 3}


def series_style(label: str, emphasis: str | None) -> dict:
    """How series ``label`` is drawn when ``emphasis`` is bold (``None``: every series bold)."""
    return FADED_LINE if emphasis not in (None, label) else BOLD_LINE


def series_legend(ax: Axes, colors: Mapping[str, str], emphasis: str | None) -> Legend:
    """A legend naming each series in ``colors`` ({label: colour}) in the style it is drawn in:
    one row above the axes for short labels, else a box inside where it hides the least."""
    handles = [
        Line2D([], [], color=color, marker=MODEL_MARKERS.get(label, "o"),
               **series_style(label, emphasis))
        for label, color in colors.items()
    ]  # fmt: skip
    labels = list(colors)
    if sum(len(label) for label in labels) <= 40:
        return ax.legend(
            handles, labels, loc="lower left", bbox_to_anchor=(0, 1),
            ncols=max(1, len(labels)), frameon=False, borderaxespad=0.2,
        )  # fmt: skip
    return ax.legend(handles, labels, loc="best", fontsize=8, framealpha=0.85)


# The healthy band: a pale fill, and edges that show it even when it is a few pixels high.
BAND_FILL_ALPHA = 0.14
BAND_EDGE_ALPHA = 0.7

# The smallest text a figure shows, in pixels of its picture: a notebook shows a PNG at its own
# size, so a 8 pt label at 64 dpi is 7 px high on screen (its capitals 5), too small to read.
MIN_TEXT_PX = 11


def readable(figure: Figure, min_px: float = MIN_TEXT_PX) -> Figure:
    """Raise every text of ``figure`` (titles, labels, tick labels, legends) to at least
    ``min_px`` pixels at the figure's dpi; larger texts keep their size. Returns ``figure``."""
    smallest = min_px * 72 / figure.dpi  # points
    for ax in figure.axes:
        ax.tick_params(which="both", labelsize=max(smallest, _tick_size(ax)))
    for text in figure.findobj(Text):
        if text.get_fontsize() < smallest:
            text.set_fontsize(smallest)
    return figure


def _tick_size(ax: object) -> float:
    labels = ax.get_xticklabels() + ax.get_yticklabels()
    return min((t.get_fontsize() for t in labels), default=0.0)
