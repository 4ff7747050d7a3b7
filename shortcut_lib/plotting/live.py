"""A figure redrawn many times a second: matplotlib's blitting recipe, once, for every live plot.

A full draw (ticks, labels, text) costs several times more than the data. So the artists that
change are marked *animated*: a full draw leaves them out, its picture is kept as the background,
and each later frame restores that background and draws only the changing artists on top
(https://matplotlib.org/stable/users/explain/animations/blitting.html). Backgrounds are kept by a
key that names what they show (axis limits, labels, the canvas size), so dragging a slider back
to limits seen before needs no full draw either.

Each frame ends in ``canvas.blit``; how it reaches the browser is the canvas's business (the
explorers' canvas sends whole frames: :mod:`shortcut_lib.widgets.canvas`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_BACKGROUNDS_KEPT = 16  # about 0.8 MB each at the explorers' size


class LiveFigure:
    """Draws ``figure`` with ``changing`` artists blitted over a cached background.

    Args:
        figure: the figure; its canvas may be an explorer's, or none (an Agg one is made).
        changing: the artists a frame updates; everything else is background.
    """

    def __init__(self, figure: Figure, changing: Sequence[Artist]) -> None:
        self.figure = figure
        self.changing = list(changing)
        self._backgrounds: dict[Hashable, object] = {}  # by key, oldest first
        self._key: Hashable = None
        self._connected = False
        self.full_draws = 0  # how many frames needed a full draw (for benchmarks)

    def draw(self, key: Hashable) -> None:
        """Render a frame: restore the background kept for ``key`` (everything the background
        depends on) and blit the changing artists, or draw in full when there is none."""
        canvas = self.figure.canvas
        if not hasattr(canvas, "copy_from_bbox"):  # a bare Figure(): give it a raster canvas
            canvas = FigureCanvasAgg(self.figure)
        if not self._connected:
            for artist in self.changing:
                artist.set_animated(True)  # left out of the cached background
            # Full draws the canvas makes by itself (first shown, resized) get the data too.
            canvas.mpl_connect("draw_event", self._on_full_draw)
            self._connected = True
        self._key = (key, tuple(self.figure.bbox.bounds))
        background = self._backgrounds.get(self._key)
        if background is None:
            # Render without sending (an explorer canvas's own draw() would send a frame too);
            # the draw_event handler keeps the background and draws the data on top.
            FigureCanvasAgg.draw(canvas)
            self.full_draws += 1
        else:
            canvas.restore_region(background)
            self._draw_changing()
        canvas.blit(self.figure.bbox)

    def forget(self) -> None:
        """Drop every kept background (the figure's static parts changed in place)."""
        self._backgrounds.clear()

    def _draw_changing(self) -> None:
        for artist in self.changing:
            self.figure.draw_artist(artist)

    def _on_full_draw(self, event: object) -> None:
        canvas = self.figure.canvas
        if canvas.is_saving():  # savefig draws animated artists itself
            return
        key = self._key if self._key is not None else tuple(self.figure.bbox.bounds)
        self._backgrounds[key] = canvas.copy_from_bbox(self.figure.bbox)
        while len(self._backgrounds) > _BACKGROUNDS_KEPT:
            del self._backgrounds[next(iter(self._backgrounds))]
        self._draw_changing()
