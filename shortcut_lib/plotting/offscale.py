"""Values a log axis cannot show (exact zeros, inf, NaN) get a band of their own: below the data
for zeros, above it for inf and NaN, each set off from the data by a rule and labelled in the tick
column, so a marker there never reads as a small or large value."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator
from matplotlib.transforms import ScaledTranslation

from .scales import LOG10_RANGE, decade_ticks

BAND = 0.12  # each band's share of the axes height
SYMBOL = {"zero": "v", "inf": "^", "nan": "x"}
NAME = {"zero": "exactly 0", "inf": "inf", "nan": "NaN"}
_LABEL = {"zero": "0", "top": "NaN/inf"}
_ROW_STEP = 0.04  # axes fraction between the rows of two series, inside one band
LABEL_SIZE = 9  # pt, the bands' labels
# The y label's right edge, left of the axes: clear of the bands' labels ("NaN/inf", 9 pt) and
# of the tick labels (10^-40, 10 pt). In inches, so that it scales with the fonts at any dpi.
YLABEL_OFFSET = 0.64


def draw_bands(ax: Axes) -> None:
    """Shade the two bands of ``ax``, rule them off from the data and label them at the left."""
    for bottom, edge, label in ((0.0, BAND, _LABEL["zero"]), (1 - BAND, 1 - BAND, _LABEL["top"])):
        ax.add_patch(
            Rectangle((0, bottom), 1, BAND, transform=ax.transAxes, color="0.93", lw=0, zorder=0)
        )
        ax.plot([0, 1], [edge, edge], transform=ax.transAxes, color="0.45", lw=0.9, zorder=1.5)
        ax.text(
            -0.012, bottom + BAND / 2, label, transform=ax.transAxes, ha="right", va="center",
            fontsize=LABEL_SIZE, color="0.2",
        )  # fmt: skip
    # Where matplotlib would put the y label (left of the tick labels alone), "NaN/inf", wider
    # than any tick label, overlapped it.
    offset = ScaledTranslation(-YLABEL_OFFSET, 0, ax.figure.dpi_scale_trans)
    ax.yaxis.set_label_coords(0, 0.5, transform=ax.transAxes + offset)


def row(kind: str, index: int, count: int) -> float:
    """The height (axes fraction) of series ``index`` of ``count`` in the band for ``kind``:
    the rows sit around the band's middle, so coinciding markers of two series stay apart."""
    middle = BAND / 2 if kind == "zero" else 1 - BAND / 2
    return middle + (index - (count - 1) / 2) * _ROW_STEP


def markers(ax: Axes, color: object) -> dict[str, Line2D]:
    """One series' markers in the bands, one line of markers per kind, empty until set."""
    edge = ax.get_xaxis_transform()  # x in data, y in axes coordinates
    return {
        kind: ax.plot([], [], ls="none", marker=marker, color=color, markersize=7,
                      clip_on=False, transform=edge)[0]
        for kind, marker in SYMBOL.items()
    }  # fmt: skip


def set_ylim(ax: Axes, ylim: tuple[float, float]) -> None:
    """Limits for data within ``ylim`` on a log axis: the data take the middle of the axes and
    each band ``BAND`` of its height; ticks at the decades inside the data's range (a label on
    its edge would sit against a band's label)."""
    low, high = math.log10(ylim[0]), math.log10(ylim[1])
    pad = (high - low) * BAND / (1 - 2 * BAND)
    ax.set_ylim(10.0 ** max(low - pad, -LOG10_RANGE), 10.0 ** min(high + pad, LOG10_RANGE))
    ticks = decade_ticks(*ylim)
    inside = [t for t in ticks if ylim[0] < t < ylim[1]]
    ax.yaxis.set_major_locator(FixedLocator(inside if len(inside) >= 2 else ticks))
