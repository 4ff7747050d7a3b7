"""The gradient explorer: sliders and toggles wired to the comparison and its plot.

Only wiring lives here. The maths is in ``compare`` and ``probes``, the drawing in ``plotting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping

import ipywidgets as W
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.figure import Figure

from ..activations import ACTIVATIONS
from ..compare import (
    DIAGNOSTIC_CODES,
    HEALTHY,
    LIMITS,
    ExplorerSettings,
    ShortcutComparison,
    describe_backward,
    describe_forward,
    format_settings,
    healthy_band,
    parse_settings,
)
from ..networks import BRANCH_SCALES, INITS, NORMS
from ..plotting.gradients import GradientPlot
from ..probes import DIAGNOSTICS

__all__ = ["GradientExplorer", "gradient_explorer"]

CONTROL_NAMES = tuple(f.name for f in ExplorerSettings.__dataclass_fields__.values())
_SLIDER = {
    "continuous_update": True,
    "style": {"description_width": "70px"},
    "layout": W.Layout(width="300px"),
}
_CHOICE = {"style": {"description_width": "70px"}, "layout": W.Layout(width="300px")}
_COALESCE_SECONDS = 0.005  # let queued slider messages land before one update uses the latest


def _make_control(name: str, value: object, limits: tuple[float, float]) -> W.ValueWidget:
    low, high = limits
    if name in ("depth", "width", "batch"):
        return W.IntSlider(value=value, min=low, max=high, description=name, **_SLIDER)
    if name == "gain":
        return W.FloatSlider(
            value=value,
            min=low,
            max=high,
            step=0.05,
            description=name,
            readout_format=".2f",
            **_SLIDER,
        )
    if name == "seed":
        return W.BoundedIntText(value=value, min=low, max=high, description=name, **_CHOICE)
    if name in ("shortcut", "final_norm"):
        tips = {
            "shortcut": ["emphasise the plain model", "emphasise the shortcut"],
            "final_norm": ["no LayerNorm after the last layer", "a LayerNorm after the last layer"],
        }[name]
        return W.ToggleButtons(
            value=value,
            options=["off", "on"] if name == "shortcut" else [("off", False), ("on", True)],
            description=name,
            tooltips=tips,
            style={"description_width": "70px", "button_width": "60px"},
        )
    options = {
        "activation": list(ACTIVATIONS),
        "init": list(INITS),
        "norm": list(NORMS),
        "branch_scale": list(BRANCH_SCALES),
        "diagnostic": [(DIAGNOSTICS[long], code) for code, long in DIAGNOSTIC_CODES.items()],
    }[name]
    return W.Dropdown(value=value, options=options, description=name, **_CHOICE)


class GradientExplorer(W.VBox):
    """Per-layer gradients of a plain and a shortcut network on the same weights, live.

    Build it with :func:`gradient_explorer`. ``controls`` maps each setting's name to its widget,
    ``plot`` is the :class:`~shortcut_lib.plotting.GradientPlot` being updated, ``state`` the
    one-line settings string (shown in ``state_line``; typing one into ``state_input`` loads it).
    Errors show in ``errors`` and leave the controls usable.
    """

    def __init__(
        self,
        settings: ExplorerSettings,
        shown: Iterable[str],
        limits: Mapping[str, tuple[float, float]],
    ) -> None:
        self.settings = settings
        self.controls = {
            name: _make_control(name, getattr(settings, name), limits[name])
            for name in CONTROL_NAMES
        }
        self.compare = W.Checkbox(
            value=True, description="show the other model faded", indent=False
        )
        # The state is shown read-only and typed into a separate box: a single two-way text
        # field would race with the slider updates and could echo a stale state back.
        self.state_line = W.HTML()
        self.state_input = W.Text(
            value="",
            description="load state",
            placeholder="paste a state string, press Enter",
            continuous_update=False,
            layout=W.Layout(width="100%"),
            style={"description_width": "70px"},
        )
        self.readout = W.HTML()
        self.errors = W.Output()
        self.update_count = 0
        self._comparison = ShortcutComparison()
        self._pending: asyncio.TimerHandle | None = None
        self._muted = False

        figure = Figure(figsize=(7, 3.6), dpi=90)
        canvas = Canvas(figure)  # an ipympl widget, whatever the notebook's backend
        FigureManager(canvas, 0)
        canvas.header_visible = canvas.footer_visible = canvas.resizable = False
        canvas.toolbar_visible = False
        canvas.syncing_data_url = False  # no PNG copy per frame for a widget state never saved
        # The note on values off the log scale goes into the readout, not the figure.
        self.plot = GradientPlot(
            ("plain", "shortcut"), figure=figure, show_note=False, decade_step=5
        )

        shown = [self.controls[name] for name in shown]
        columns = [W.VBox(shown[i::2]) for i in range(2)] if len(shown) > 3 else [W.VBox(shown)]
        super().__init__(
            [
                W.HBox(columns),
                self.compare,
                self.state_line,
                self.state_input,
                self.readout,
                canvas,
                self.errors,
            ]
        )
        for control in [*self.controls.values(), self.compare]:
            control.observe(self._on_change, names="value")
        self.state_input.observe(self._on_state_input, names="value")
        self.refresh()

    @property
    def figure(self) -> Figure:
        """The one figure this explorer draws into."""
        return self.plot.figure

    @property
    def state(self) -> str:
        """The controls' settings as one line, e.g. ``depth=50 width=64 activation=sigmoid ...``.

        Read from the controls themselves, so it is current even before a coalesced redraw ran.
        """
        return format_settings({name: c.value for name, c in self.controls.items()})

    def set_state(self, text: str) -> None:
        """Move the controls to the settings a state string gives (fields left out stay).

        Raises:
            ValueError: the string cannot be read, or asks for a value outside a slider's range.
        """
        settings = parse_settings(text, base=self.settings)
        for name, control in self.controls.items():
            value, low, high = getattr(settings, name), getattr(control, "min", None), None
            high = getattr(control, "max", None)
            if low is not None and not low <= value <= high:
                raise ValueError(
                    f"{name}={value} is outside this explorer's {name} range, {low} to {high}"
                )
        with self.hold_trait_notifications(), self._paused():
            for name, control in self.controls.items():
                control.value = getattr(settings, name)
        self.refresh()

    def refresh(self) -> None:
        """Recompute both models for the current controls and redraw; errors go to ``errors``."""
        self._pending = None
        try:
            self.settings = ExplorerSettings(**{name: c.value for name, c in self.controls.items()})
            self._show(self._comparison.profiles(self.settings))
            self.errors.outputs = ()  # not clear_output(): outside a kernel that prints
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self._show_error(exc)
        self.update_count += 1

    def _show(self, profiles: Mapping[str, object]) -> None:
        s = self.settings
        emphasis = "shortcut" if s.shortcut == "on" else "plain"
        values = {label: p.diagnostic(s.diagnostic_name) for label, p in profiles.items()}
        hidden = () if self.compare.value else tuple(k for k in values if k != emphasis)
        self.plot.set_ylabel(DIAGNOSTICS[s.diagnostic_name])
        full = self.plot.update(
            values, emphasis=emphasis, hidden=hidden, band=healthy_band(values[emphasis][-1])
        )
        self.plot.redraw(full=full)
        self.state_line.value = f"<span style='color:#555'>state:</span> <code>{s}</code>"
        lines = [
            f"<b>{label}</b>: backward, {describe_backward(p)}<br>"
            f"<span style='padding-left:1em'>forward, {describe_forward(p)}</span>"
            for label, p in profiles.items()
        ]
        lines += self.plot.notes
        lines.append(
            f"<span style='color:#555'>shaded: within {HEALTHY[1]:g}x of the "
            f"{emphasis} model's last layer, the healthy range</span>"
        )
        self.readout.value = "<br>".join(lines)

    def _show_error(self, exc: Exception) -> None:
        self.errors.outputs = ()
        if isinstance(exc, (ValueError, TypeError)):
            text = f"{exc}\n"
        else:  # a bug rather than a bad setting: the full story helps whoever reports it
            text = "".join(traceback.format_exception(exc))
        self.errors.append_stderr(text)

    def _on_change(self, change: Mapping[str, object]) -> None:
        if self._muted:
            return
        loop = _kernel_loop()
        if loop is None:  # a plain script or a test: update at once
            self.refresh()
        elif self._pending is None:
            # In a kernel, coalesce: each queued slider message only lands here, and one update
            # a moment later draws the latest values instead of every stale one in turn.
            self._pending = loop.call_later(_COALESCE_SECONDS, self.refresh)

    def _on_state_input(self, change: Mapping[str, object]) -> None:
        text = str(change["new"]).strip()
        if not text:
            return
        try:
            self.set_state(text)
        except (TypeError, ValueError) as exc:
            self._show_error(exc)  # the text stays in the box, to be corrected
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


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the Jupyter kernel running this code, or None outside a kernel."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if getattr(shell, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def gradient_explorer(
    state: str | None = None,
    *,
    controls: Iterable[str] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    **settings: object,
) -> GradientExplorer:
    """A live plot of per-layer gradients, plain against shortcut, with a control per setting.

    Args:
        state: a state string to start from, e.g. ``"depth=50 activation=sigmoid shortcut=on"``.
        controls: the names of the controls to show (default: all of depth, width, activation,
            shortcut, init, gain, norm, batch, seed, diagnostic); the others stay fixed.
        limits: ``{name: (low, high)}`` ranges for the sliders, e.g. ``{"depth": (1, 100)}``.
        **settings: start values, e.g. ``depth=50, activation="sigmoid"``; they win over
            ``state``.

    Returns:
        A :class:`GradientExplorer` widget; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string (naming the bad part), an unknown control or an
            impossible setting.

    Introduced in notebook 02 (in full in notebook 03).
    """
    unknown = set(settings) - set(CONTROL_NAMES)
    if unknown:
        raise TypeError(
            f"gradient_explorer() got unknown setting(s) {sorted(unknown)}; "
            f"known: {', '.join(CONTROL_NAMES)}"
        )
    start = parse_settings(state) if state is not None else ExplorerSettings()
    start = start.replace(**settings)
    shown = list(CONTROL_NAMES) if controls is None else list(controls)
    bad = [name for name in shown if name not in CONTROL_NAMES]
    if bad or isinstance(controls, str):
        raise ValueError(f"controls must be names among {', '.join(CONTROL_NAMES)}; got {bad}")
    return GradientExplorer(start, shown, _check_limits(limits or {}, start))


def _check_limits(
    limits: Mapping[str, tuple[float, float]], start: ExplorerSettings
) -> dict[str, tuple[float, float]]:
    result = dict(LIMITS)
    for name, pair in limits.items():
        if name not in LIMITS:
            raise ValueError(f"limits can be set for {', '.join(LIMITS)}; got {name!r}")
        low, high = pair
        hard_low, hard_high = LIMITS[name]
        if not hard_low <= low < high <= hard_high:
            raise ValueError(
                f"limits[{name!r}] must satisfy {hard_low} <= low < high <= {hard_high}; got {pair}"
            )
        value = getattr(start, name)
        if not low <= value <= high:
            raise ValueError(f"{name}={value} lies outside limits[{name!r}] = {pair}")
        result[name] = (low, high)
    for name in (
        "shortcut",
        "activation",
        "init",
        "norm",
        "final_norm",
        "branch_scale",
        "diagnostic",
    ):
        result[name] = (None, None)
    return result
