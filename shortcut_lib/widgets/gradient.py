"""The gradient explorer: a control per setting, wired to the comparison and its plot.

Only wiring lives here. The maths is in ``compare`` and ``probes``, the drawing in ``plotting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping

import ipywidgets as W

from ..compare import Comparison
from ..families import BlockSettings
from ..families.mlp import MODELS
from ..plotting.gradients import GradientPlot
from ..settings import format_state
from ..words import healthy_band
from .canvas import FrameCanvas
from .controls import (
    COALESCE_SECONDS,
    Explorer,
    check_explorer,
    kernel_loop,
    make_controls,
    read_controls,
    replace_in_cell,
    set_controls,
)
from .layout import (
    DESCRIPTION_WIDTH,
    control_grid,
    explorer_children,
    explorer_figure,
    frame_box,
    readout_html,
    state_html,
)
from .messages import BusyBadge, MessageArea
from .views import VIEWS, ExplorerSettings

__all__ = ["GradientExplorer"]

FIGURE_HEIGHT = 300  # px: with the controls above it, the explorer fits 1280x800
THIN_BAND_PX = 8  # a band drawn less high than this is mostly hidden under a bold line


class GradientExplorer(Explorer):
    """Per-layer gradients of a plain and a shortcut model on the same weights, live.

    Build it with :func:`gradient_explorer` (the MLP, :class:`ExplorerSettings`) or
    :func:`transformer_explorer` (the GPT stack, :class:`~shortcut_lib.BlockSettings`): one
    explorer, which the settings' class configures. ``controls`` maps each setting's name to its
    widget, ``plot`` is the :class:`~shortcut_lib.plotting.GradientPlot` being updated, ``state``
    the one-line settings string (shown in ``state_line``; typing one into ``state_input`` loads
    it). A setting the settings class refuses is named in ``errors`` and the controls go back
    to the last good settings; ``compare`` shows or hides the other wiring (in the figure, its
    legend and the readout alike).

    Introduced in notebook 02 (the GPT stack in notebook 05).
    """

    def __init__(
        self,
        settings: ExplorerSettings | BlockSettings,
        shown: Iterable[str],
        limits: Mapping[str, tuple[float, float]],
    ) -> None:
        shown, limits = check_explorer(settings, tuple(VIEWS), shown, limits)
        self.settings_class, self.view = type(settings), VIEWS[type(settings)]
        self.settings = settings
        self._build_controls(settings, limits)
        super().__init__()
        self._comparison = Comparison()
        self._pending: asyncio.TimerHandle | None = None
        self._muted = False
        # The loop of the thread that runs the notebook's cells. JupyterLab may deliver control
        # messages on a kernel subshell's thread instead; every update is run here, so that the
        # probe, the figure and its frames are only ever touched from one thread.
        self._loop = kernel_loop()
        # And one update at a time even when code calls refresh() from another thread: two
        # probes must not run one network under each other.
        self._refreshing = threading.Lock()

        figure = explorer_figure(FIGURE_HEIGHT)
        self.canvas = FrameCanvas(figure, self.view.picture)
        # The note on values off the log scale goes into the readout, not the figure.
        self.plot = GradientPlot(MODELS, figure=figure, show_note=False, decade_step=5)
        if self.view.xlabel is not None:
            self.plot.ax.set_xlabel(self.view.xlabel, loc="left")
        frame = frame_box(self.canvas.image, [self.busy])
        self.children = self._lay_out(frame, [self.controls[name] for name in shown])
        for control in [*self.controls.values(), self.compare]:
            control.observe(self._on_change, names="value")
        self.state_input.observe(self._on_state_input, names="value")
        self.refresh()
        replace_in_cell(self)

    def _build_controls(
        self, settings: ExplorerSettings | BlockSettings, limits: Mapping[str, tuple[float, float]]
    ) -> None:
        """A control per setting, the compare box, the state line and box, readout and errors."""
        self.controls = make_controls(settings, self.settings_class.specs(), limits)
        for name in self.view.live:
            self.controls[name].continuous_update = True
        self.compare = W.Checkbox(value=True, description=self.view.other, indent=False)
        # The state is shown read-only and typed into a separate box: a single two-way text
        # field would race with the slider updates and could echo a stale state back.
        self.state_line = W.HTML()
        self.state_input = W.Text(
            value="",
            description="load state",
            placeholder="paste a state string, press Enter",
            continuous_update=False,
            layout=W.Layout(width="100%"),
            style={"description_width": DESCRIPTION_WIDTH},
        )
        self.readout = W.HTML()
        self.errors = MessageArea()
        self.busy = BusyBadge()  # over the figure while a slow update is computed

    def _lay_out(self, frame: W.Widget, shown: list[W.Widget]) -> list[W.Widget]:
        """The shared explorer layout: the controls (depth across a whole row), the state line,
        the load box, errors and the readout beside or above the figure."""
        wide = [c for c in shown if c is self.controls.get("depth")]
        grid = control_grid([*shown, self.compare], wide=wide)
        panel = [grid, self.state_line, self.state_input, self.errors, self.readout]
        return explorer_children(panel, frame)

    def _release(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self._comparison = Comparison()

    @property
    def state(self) -> str:
        """The controls' settings as one line, e.g. ``depth=50 width=64 activation=sigmoid ...``.

        Read from the controls themselves, so it is current even before a coalesced redraw ran.
        """
        return format_state(read_controls(self.controls, self.settings_class.specs()))

    def set_state(self, text: str) -> None:
        """Move the controls to the settings a state string gives (fields left out stay).

        Raises:
            ValueError: the string cannot be read, or asks for a value outside a slider's range.
        """
        settings = self.settings_class.parse(text, base=self.settings)
        for name, control in self.controls.items():
            value, low, high = getattr(settings, name), getattr(control, "min", None), None
            high = getattr(control, "max", None)
            if low is not None and not low <= value <= high:
                raise ValueError(
                    f"{name}={value} is outside this explorer's {name} range, {low} to {high}"
                )
        with self._paused():
            for name, control in self.controls.items():
                control.value = getattr(settings, name)
        self.refresh()

    def refresh(self) -> None:
        """Recompute both models for the current controls and redraw. A setting the settings
        class refuses is named in ``errors``, and the controls go back to the last good ones."""
        with self._refreshing, self.busy.computing():
            self._pending = None
            try:
                values = read_controls(self.controls, self.settings_class.specs())
                settings = self.settings_class(**values)
                profiles = self._comparison.profiles(settings)
            except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
                self.errors.show_error(exc)
                with self._paused():  # the figure still shows these: the controls say so too
                    set_controls(self.controls, self.settings)
            else:
                self.settings = settings
                self._show(profiles)
                self.errors.clear()

    def _show(self, profiles: Mapping[str, object]) -> None:
        s = self.settings
        bold = MODELS[s.use_shortcut]
        values, ylabel = self.view.series(s, profiles)
        hidden = () if self.compare.value else tuple(k for k in values if k != bold)
        band = healthy_band(values[bold][-1])
        self.plot.set_ylabel(ylabel)
        self.plot.update(values, emphasis=bold, hidden=hidden, band=band)
        self.plot.redraw()
        self.state_line.value = state_html(str(s))
        shown = {k: p for k, p in profiles.items() if k not in hidden}
        lines, notes = self.view.readout(s, shown)
        thin = self.plot.band_pixels < THIN_BAND_PX
        notes = [*self.plot.notes, *notes, *self.view.notes(bold, band, hidden, thin)]
        self.readout.value = readout_html(lines + notes)

    def _on_change(self, change: Mapping[str, object]) -> None:
        if self._muted:
            return
        if self._loop is None:  # a plain script or a test: update at once
            self.refresh()
        else:  # from whichever thread the message came on, to the cells' thread
            self._loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        # In a kernel, coalesce: each queued slider message only lands here, and one update a
        # moment later draws the latest values instead of every stale one in turn.
        if self._pending is None:
            self._pending = self._loop.call_later(COALESCE_SECONDS, self.refresh)

    def _on_state_input(self, change: Mapping[str, object]) -> None:
        text = str(change["new"]).strip()
        if not text:
            return
        try:
            self.set_state(text)
        except (TypeError, ValueError) as exc:
            self.errors.show_error(exc)  # the text stays in the box, to be corrected
        else:
            self.state_input.value = ""

    @contextlib.contextmanager
    def _paused(self) -> Iterator[None]:
        # Moving several controls at once should cause one update, not one per control.
        self._muted = True
        try:
            yield
        finally:
            self._muted = False
