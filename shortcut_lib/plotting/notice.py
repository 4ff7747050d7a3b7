"""A sentence over a whole figure, on a veil that pales what is under it: "this picture is of
another setting than the one chosen". Drawn with the changing artists of a live figure, so
showing or hiding it needs no full redraw."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

_VEIL = (1.0, 1.0, 1.0, 0.55)  # white at 55%: the picture stays readable, and looks old


class Notice:
    """A veil and a sentence over ``host``'s figure, hidden until :meth:`set` gives a text.

    The two artists belong to ``host`` (an axes of the figure, placed in figure coordinates):
    ``savefig`` leaves out a figure's own animated artists, an axes' it draws.
    """

    def __init__(self, host: Axes) -> None:
        figure = host.figure
        self.veil = Rectangle(
            (0, 0), 1, 1, transform=figure.transFigure, facecolor=_VEIL, lw=0, clip_on=False,
            visible=False,
        )  # fmt: skip
        host.add_artist(self.veil)
        self.text = host.text(
            0.5, 0.5, "", transform=figure.transFigure, ha="center", va="center", fontsize=12,
            color="0.1", clip_on=False, visible=False, wrap=True,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "0.35"},
        )  # fmt: skip

    @property
    def artists(self) -> list:
        """The veil, then the sentence: what a live figure draws last, in this order."""
        return [self.veil, self.text]

    def set(self, text: str | None) -> None:
        """Show ``text`` over the figure, or nothing (``None``)."""
        self.text.set_text(text or "")
        for artist in self.artists:
            artist.set_visible(text is not None)
