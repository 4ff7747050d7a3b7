"""What both explorers share: a control for each setting made from its Spec, moving controls
back to good settings, and the coalescing of rapid changes (the canvas is in :mod:`.canvas`, the
error area in :mod:`.messages`)."""

from __future__ import annotations

import asyncio
import base64
import ctypes
import gc
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import ipywidgets as W
from matplotlib.figure import Figure

from .._checks import short_repr
from ..settings import Settings, Spec, format_value
from .layout import DESCRIPTION_WIDTH, STATIC_HINT, still_picture

S = TypeVar("S", bound=Settings)

__all__ = ["STATIC_HINT"]  # re-exported: what a reader without a kernel reads


def _wide() -> dict:
    # A Layout per control: a shared one would be closed with the first explorer closed.
    return {"style": {"description_width": DESCRIPTION_WIDTH}, "layout": W.Layout(width="320px")}


def _toggle(name: str, spec: Spec, value: object) -> W.ToggleButtons:
    # The label beside the buttons, as every other control has it (a ToggleButtons is a block by
    # default, its label on a line of its own), and buttons wide enough for their words.
    options = [(format_value(c), c) for c in spec.choices]
    widest = max(len(text) for text, _ in options)
    toggle = W.ToggleButtons(
        value=value,
        options=options,
        description=name,
        style={"description_width": DESCRIPTION_WIDTH, "button_width": f"{26 + 7 * widest}px"},
    )
    toggle.add_class("widget-inline-hbox")  # ipywidgets' own class of a one-line control
    return toggle


COALESCE_SECONDS = 0.005  # let queued slider messages land before one update uses the latest


def make_control(name: str, spec: Spec, value: object, shown: tuple | None = None) -> W.Widget:
    """The widget that sets one field, built from its :class:`~shortcut_lib.settings.Spec`.

    ``shown`` narrows a slider's range (inside the spec's bounds).
    """
    if spec.control == "toggle":
        return _toggle(name, spec, value)
    if spec.control == "dropdown":
        options = list(spec.choices)  # names that are their own labels
        if spec.labels is not None:
            options = list(zip(spec.labels, spec.choices, strict=True))
        return W.Dropdown(value=value, options=options, description=name, **_wide())
    if spec.control == "steps":
        if value not in spec.marks:
            allowed = ", ".join(format_value(m) for m in spec.marks)
            raise ValueError(
                f"{name} must be one of {allowed} for this control; got {short_repr(value)}"
            )
        options = [(format_value(m), m) for m in spec.marks]
        return W.SelectionSlider(
            value=value, options=options, description=name, continuous_update=False, **_wide()
        )
    if spec.control == "text":
        return W.IntText(value=value, description=name, **_wide())
    low, high = shown or spec.shown or (spec.low, spec.high)
    step = spec.step or 1
    nearest = low + round((value - low) / step) * step  # a slider would snap 1.01 to 1
    if not low <= value <= high or abs(value - nearest) > 1e-9 * step:
        raise ValueError(
            f"{name}={value} is not a position of its slider ({low} to {high}, step {step:g}, "
            f"such as {nearest:g}); choose one, or widen the slider with "
            f"limits={{{name!r}: (low, high)}}"
        )
    if isinstance(spec.low, int):
        return W.IntSlider(
            value=value, min=low, max=high, step=int(spec.step or 1), description=name, **_wide()
        )
    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=spec.step,
        description=name,
        readout_format=".2f",
        **_wide(),
    )


def read_controls(controls: Mapping[str, W.Widget], specs: Mapping[str, Spec]) -> dict:
    """The controls' values, floats snapped to their slider's step: a slider moved to 1 may
    report 0.9999999999999999, and the state string must say 1."""
    values = {}
    for name, control in controls.items():
        value, step = control.value, specs[name].step
        if isinstance(value, float) and step:
            digits = max(0, -math.floor(math.log10(step))) + 2
            value = round(round(value / step) * step, digits)
        values[name] = value
    return values


def start_settings(cls: type[S], state: object, settings: Mapping[str, object], front: str) -> S:
    """The settings an explorer starts from: the state string's (or the defaults), then the
    keyword ``settings``, which win; ``front`` names the function for an unknown setting."""
    unknown = sorted(set(settings) - set(cls.specs()))
    if unknown:
        raise TypeError(
            f"{front}() got unknown setting(s) {unknown}; known: {', '.join(cls.specs())}"
        )
    start = cls.parse(state) if state is not None else cls()
    return start.replace(**settings)


def check_controls(
    controls: object, names: Sequence[str], default: Sequence[str]
) -> tuple[str, ...]:
    """``controls`` checked: distinct names among ``names`` (``None`` gives ``default``)."""
    if controls is None:
        return tuple(default)
    if isinstance(controls, str) or not isinstance(controls, Iterable):
        raise ValueError(f"controls must be a list of names, not {controls!r:.40}")
    shown = tuple(controls)
    if any(n not in names for n in shown) or len(set(shown)) < len(shown):
        raise ValueError(
            f"controls must be distinct names among {', '.join(names)}; got {controls!r:.60}"
        )
    return shown


def check_limits(
    limits: object, settings: Settings, names: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """``limits`` checked: ``{name: (low, high)}`` for sliders among ``names``, inside the
    setting's own bounds and around its start value."""
    if limits is None:
        return {}
    if not isinstance(limits, Mapping):
        raise TypeError(f"limits must be a dict of {{name: (low, high)}}; got {limits!r:.60}")
    specs = settings.specs()
    sliders = [n for n in names if specs[n].control == "slider"]
    result = {}
    for name, pair in limits.items():
        if name not in sliders:
            raise ValueError(f"limits can be set for {', '.join(sliders)}; got {name!r:.40}")
        spec = specs[name]
        kind = int if isinstance(spec.low, int) else (int, float)
        if (
            not isinstance(pair, (tuple, list))
            or len(pair) != 2
            or not all(isinstance(v, kind) and not isinstance(v, bool) for v in pair)
        ):
            what = "ints" if kind is int else "numbers"
            raise TypeError(
                f"limits[{name!r}] must be a pair (low, high) of {what}; got {short_repr(pair)}"
            )
        low, high = pair
        if not spec.low <= low < high <= spec.high:
            raise ValueError(
                f"limits[{name!r}] must satisfy {spec.low} <= low < high <= {spec.high}; "
                f"got {tuple(pair)}"
            )
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ValueError(f"{name}={value} lies outside limits[{name!r}] = {tuple(pair)}")
        result[name] = (low, high)
    return result


def make_controls(settings: object, names: Iterable[str], limits: Mapping) -> dict[str, W.Widget]:
    """A control for each of ``names``, at its value in ``settings``, within its ``limits``."""
    specs = type(settings).specs()
    return {n: make_control(n, specs[n], getattr(settings, n), limits.get(n)) for n in names}


def check_explorer(
    settings: object, classes: tuple[type, ...], shown: object, limits: object
) -> tuple[tuple[str, ...], dict[str, tuple[float, float]]]:
    """An explorer's arguments, for code that builds one directly: settings of one of
    ``classes``, the names of the controls shown and their limits, checked."""
    if not isinstance(settings, classes):
        names = " or ".join(c.__name__ for c in classes)
        raise TypeError(f"settings must be a {names}; got {type(settings).__name__}")
    names = tuple(type(settings).specs())
    return check_controls(shown, names, names), check_limits(limits, settings, names)


class Explorer(W.VBox):
    """What every explorer shares: one figure (``plot.figure``), a display bundle that also
    carries a still picture for readers without a kernel, and a ``close`` that frees it all.
    Subclasses set ``plot`` and may add what else to let go of in ``_release``."""

    @property
    def figure(self) -> Figure:
        """The one figure this explorer draws into."""
        return self.plot.figure

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        # Where no widget can be drawn (GitHub, nbviewer, nbconvert, an untrusted notebook),
        # the reader sees the explorer's last picture under a hint to run it and its state
        # line, not its Python repr.
        picture = still_picture(self.figure, f"state: {self.settings}")
        image = base64.b64encode(picture).decode("ascii")
        return {
            **super()._repr_mimebundle_(**kwargs),
            "image/png": image,
            "text/plain": STATIC_HINT,
        }

    def close(self) -> None:
        """Free the explorer: its widgets, its figure, and what it computed."""
        if not hasattr(self, "plot"):  # closed while it was being built (ipywidgets' __del__)
            super().close()
            return
        self._release()
        close_tree(self)
        self.plot.close()
        _return_freed_memory()

    def _release(self) -> None:
        """Stop and drop what only this explorer holds (a run, a cache)."""


def _return_freed_memory() -> None:
    # glibc keeps the memory of freed tensors in its heap for reuse, so a kernel's resident size
    # only grows as cells are re-run; on a 1-2 GB Binder that is what counts. malloc_trim hands
    # the free pages back to the system (glibc only; elsewhere nothing to do).
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    gc.collect()  # what the closed explorer held in reference cycles, first
    libc.malloc_trim(0)


def set_controls(controls: Mapping[str, W.Widget], settings: Settings) -> None:
    """Move each control to its setting's value in ``settings`` (say, the last good ones)."""
    for name, control in controls.items():
        control.value = getattr(settings, name)


def close_tree(widget: W.Widget) -> None:
    """Close ``widget``, everything it holds (children, layouts, styles) and so free them:
    ipywidgets keeps every widget alive until it is closed."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("layout", "style"):
        held = getattr(widget, part, None)
        if isinstance(held, W.Widget):
            close_tree(held)
    W.Widget.close(widget)  # the base close: explorers override close() to call this


_LATEST: dict[tuple[str, str], W.Widget] = {}  # (kind, notebook cell) -> its last explorer


def replace_in_cell(explorer: W.Widget) -> None:
    """Close the explorer that the same notebook cell made before this one: re-running a cell
    must not keep the old explorer, its figure and its network alive."""
    cell = _cell_id()
    if cell is None:
        return
    key = (type(explorer).__name__, cell)
    previous = _LATEST.get(key)
    if previous is not None and previous is not explorer:
        previous.close()
    _LATEST[key] = explorer


def _cell_id() -> str | None:
    # JupyterLab and nbclient send the id of the cell being run with each execute request.
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    get_parent = getattr(shell, "get_parent", None)
    parent = get_parent() if callable(get_parent) else None
    metadata = parent.get("metadata", {}) if isinstance(parent, dict) else {}
    cell = metadata.get("cellId") if isinstance(metadata, dict) else None
    return cell if isinstance(cell, str) else None


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the Jupyter kernel running this code, or None outside a kernel."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if getattr(shell, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
