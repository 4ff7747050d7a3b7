"""The transformer explorer: a control per :class:`BlockSettings` field, wired to the paired
probe of a GPT block stack and to the gradient plot.

Only wiring lives here: the maths is in ``transformer_compare``, the drawing in ``plotting``, and
the event handling (coalescing, the state box, closing) is the gradient explorer's own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import ipywidgets as W
from matplotlib.figure import Figure

from ..compare import healthy_band
from ..plotting.gradients import GradientPlot
from ..settings import format_state
from ..transformer_compare import BlockComparison, BlockSettings
from ..transformer_probes import MODELS, TransformerProfile
from .controls import make_canvas, make_control, read_controls, replace_in_cell, show_error
from .gradient import GradientExplorer

__all__ = ["TransformerExplorer", "transformer_explorer"]

CONTROL_NAMES = tuple(BlockSettings.specs())
YLABEL = "||dL/dx||, residual stream"


class TransformerExplorer(GradientExplorer):
    """Per-block ||dL/dx|| of a GPT stack with and without shortcuts, on the same weights, live.

    Build it with :func:`transformer_explorer`. As :class:`GradientExplorer`: ``controls``,
    ``plot``, ``state``, ``state_line``, ``state_input``, ``readout``, ``errors``, ``close()``.

    Introduced in notebook 05.
    """

    def __init__(self, settings: BlockSettings) -> None:
        self.settings = settings
        specs = BlockSettings.specs()
        self.controls = {name: make_control(name, spec, getattr(settings, name))
                         for name, spec in specs.items()}  # fmt: skip
        for name in ("depth", "width", "context_length", "batch_size"):
            self.controls[name].continuous_update = True  # redraw while dragging
        self.compare = W.Checkbox(value=True, description="show the other wiring faded")
        self.state_line, self.readout, self.errors = W.HTML(), W.HTML(), W.Output()
        self.state_input = W.Text(
            description="load state", placeholder="paste a state string, press Enter",
            continuous_update=False, layout=W.Layout(width="100%"),
        )  # fmt: skip
        self.update_count, self._pending, self._muted = 0, None, False
        self._comparison = BlockComparison()
        self._refreshing = threading.Lock()
        figure = Figure(figsize=(7, 3.6), dpi=90)
        canvas = make_canvas(figure)
        self.plot = GradientPlot(MODELS, figure=figure, ylabel=YLABEL, show_note=False,
                                 decade_step=5)  # fmt: skip
        self.plot.ax.set_xlabel("stream entering block (last: after the last block)", loc="left")
        shown = list(self.controls.values())
        W.VBox.__init__(self, [W.HBox([W.VBox(shown[0::2]), W.VBox(shown[1::2])]), self.compare,
                               self.state_line, self.state_input, self.readout, canvas,
                               self.errors])  # fmt: skip
        for control in [*self.controls.values(), self.compare]:
            control.observe(self._on_change, names="value")
        self.state_input.observe(self._on_state_input, names="value")
        self.refresh()
        replace_in_cell(self)

    @property
    def state(self) -> str:
        """The controls' settings as one line, e.g. ``depth=12 width=64 heads=4 norm=pre ...``."""
        return format_state(read_controls(self.controls, BlockSettings.specs()))

    def set_state(self, text: str) -> None:
        """Move the controls to a state string's settings (fields left out stay).

        Raises:
            ValueError: the string cannot be read.
        """
        settings = BlockSettings.parse(text, base=self.settings)
        with self._paused():
            for name, control in self.controls.items():
                control.value = getattr(settings, name)
        self.refresh()

    def refresh(self) -> None:
        """Probe both wirings for the current controls and redraw; errors go to ``errors``.

        One update at a time: JupyterLab can deliver a control's messages on a kernel subshell's
        thread while the main thread is still drawing the previous value, and two probes must
        not redraw the weights under each other. A waiting update reads the latest values.
        """
        with self._refreshing:
            self._pending = None
            try:
                self.settings = BlockSettings(**read_controls(self.controls, BlockSettings.specs()))
                self._show(self._comparison.profiles(self.settings))
                self.errors.outputs = ()  # not clear_output(): outside a kernel that prints
            except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
                show_error(self.errors, exc)
            self.update_count += 1

    def _show(self, profiles: Mapping[str, TransformerProfile]) -> None:
        s = self.settings
        emphasis = MODELS[s.use_shortcut]
        values = {label: p.stream_grad_norm for label, p in profiles.items()}
        hidden = () if self.compare.value else tuple(k for k in values if k != emphasis)
        band = healthy_band(values[emphasis][-1])
        self.plot.update(values, emphasis=emphasis, hidden=hidden, band=band)
        self.plot.redraw()
        self.state_line.value = f"<span style='color:#555'>state:</span> <code>{s}</code>"
        lines = [
            f"<b>{label}</b>: ||dL/dx|| entering block 1 / after the last "
            f"{p.stream_grad_norm[0] / p.stream_grad_norm[-1]:.2g}; stream RMS after the last / "
            f"entering block 1 {p.stream_rms[-1] / p.stream_rms[0]:.2g}; loss {p.loss:.3f}"
            for label, p in profiles.items()
        ]
        lines += self.plot.notes
        self.readout.value = "<br>".join(lines)


def transformer_explorer(state: str | None = None, **settings: object) -> TransformerExplorer:
    """A live plot of per-block ||dL/dx|| in a GPT block stack, plain against shortcut.

    Args:
        state: a state string to start from, e.g. ``"depth=24 norm=post"``.
        **settings: start values (fields of :class:`BlockSettings`); they win over ``state``.

    Returns:
        A :class:`TransformerExplorer` widget; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string (naming every bad part) or an impossible setting.

    Introduced in notebook 05.
    """
    unknown = set(settings) - set(CONTROL_NAMES)
    if unknown:
        raise TypeError(
            f"transformer_explorer() got unknown setting(s) {sorted(unknown)}; "
            f"known: {', '.join(CONTROL_NAMES)}"
        )
    start = BlockSettings.parse(state) if state is not None else BlockSettings()
    return TransformerExplorer(start.replace(**settings))
