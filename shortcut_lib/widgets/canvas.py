"""The explorers' canvas: an ipympl widget that sends every frame whole, encoded fast.

ipympl sends a frame as a PNG of the pixels that changed since the frame before (a *diff*), which
the browser composites over what it shows. A browser that skips a frame (a busy tab) would then
lay the next diff over the wrong picture and leave ghosts of old lines; a whole frame is always
right. The PNG is written at zlib's fastest level: for these flat-colour plots it comes out no
larger than at the default level (99 kB against 100 kB for the training explorer's frame), in
under half the time (10 ms instead of 21).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["FrameCanvas", "LockedCanvas", "make_canvas"]


class LivePlot(Protocol):
    """What :class:`LockedCanvas` draws: a plot with a figure and a ``redraw()``."""

    figure: Figure

    def redraw(self) -> None: ...


class FrameCanvas(Canvas):
    """An ipympl canvas whose frames are whole pictures, PNG-encoded at zlib level 1."""

    def get_diff_image(self) -> bytes | None:
        # What the canvas's manager sends after draw() or blit(); None: nothing new to send.
        if not self._png_is_old:
            return None
        self._png_is_old = False
        self.set_image_mode("full")  # the browser clears its picture before drawing this one
        pixels = np.asarray(self.get_renderer().buffer_rgba())  # (height, width, 4) uint8
        with io.BytesIO() as png:
            Image.fromarray(pixels).save(png, format="png", compress_level=1)
            return png.getvalue()


class LockedCanvas(FrameCanvas):
    """A canvas for a live plot that another thread updates (a training run): its draws wait
    while that thread holds ``lock`` to change the artists, and go through the plot's own
    ``redraw``, which blits when the axes did not change."""

    def __init__(self, plot: LivePlot, lock: threading.RLock) -> None:
        self._plot, self._artist_lock = plot, lock
        super().__init__(plot.figure)

    def draw(self) -> None:
        # Called in the kernel's main thread when the front end asks for a frame.
        with self._artist_lock:
            self._plot.redraw()


def make_canvas(
    figure: Figure, canvas_class: Callable[..., FrameCanvas] = FrameCanvas
) -> FrameCanvas:
    """A :class:`FrameCanvas` for ``figure`` (whatever the notebook's backend), bare: no toolbar,
    header, footer or resize handle, and no PNG copy of every frame kept in the notebook."""
    canvas = canvas_class(figure)
    FigureManager(canvas, 0)
    canvas.header_visible = canvas.footer_visible = canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.syncing_data_url = False
    return canvas
