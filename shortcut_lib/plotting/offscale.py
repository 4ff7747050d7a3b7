"""Values a log axis cannot show (exact zeros, inf, NaN) get a band of their own: below the data
for zeros, above it for inf and NaN, each set off from the data by a rule and labelled in the tick
column, so a marker there never reads as a small or large value."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

BAND = 0.12  # each band's share of the axes height
SYMBOL = {"zero": "v", "inf": "^", "nan": "x"}
NAME = {"zero": "exactly 0", "inf": "inf", "nan": "NaN"}
_LABEL = {"zero": "0", "top": "NaN/inf"}
_ROW_STEP = 0.04  # axes fraction between the rows of two series, inside one band


def draw_bands(ax: Axes) -> None:
    """Shade the two bands of ``ax``, rule them off from the data and label them at the left."""
    for bottom, edge, label in ((0.0, BAND, _LABEL["zero"]), (1 - BAND, 1 - BAND, _LABEL["top"])):
        ax.add_patch(
            Rectangle((0, bottom), 1, BAND, transform=ax.transAxes, color="0.93", lw=0, zorder=0)
        )
        ax.plot([0, 1], [edge, edge], transform=ax.transAxes, color="0.45", lw=0.9, zorder=1.5)
        ax.text(
            -0.012, bottom + BAND / 2, label, transform=ax.transAxes, ha="right", va="center",
            fontsize=9, color="0.2",
        )  # fmt: skip


def row(kind: str, index: int, count: int) -> float:
    """The height (axes fraction) of series ``index`` of ``count`` in the band for ``kind``:
    the rows sit around the band's middle, so coinciding markers of two series stay apart."""
    middle = BAND / 2 if kind == "zero" else 1 - BAND / 2
    return middle + (index - (count - 1) / 2) * _ROW_STEP


def padded(low: float, high: float) -> tuple[float, float]:
    """Log10 limits of the whole axes for data in ``low``..``high`` (log10): the data take the
    middle, each band ``BAND`` of the height."""
    pad = (high - low) * BAND / (1 - 2 * BAND)
    return low - pad, high + pad
