"""The training explorer: controls, a Train and a Stop button, and live plots of a training run.

Only wiring lives here: the training is :class:`~shortcut_lib.training.TrainingRun`, the drawing
:class:`~shortcut_lib.plotting.training.TrainingPlot`.

Training runs in a background thread, in chunks of a few steps, so the kernel stays free to
handle clicks: Stop sets a ``threading.Event`` that the thread checks between chunks. The thread
updates the plot's artists under a lock and asks the front end to redraw (``draw_idle``); the
redraw itself runs in the kernel's main thread and takes the same lock, so it never sees half an
update. ipywidgets send their messages from any thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Mapping

import ipywidgets as W
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.figure import Figure

from .._checks import check_bool, check_choice, check_int
from ..activations import ACTIVATIONS
from ..data import TASKS
from ..networks import INITS, NORMS
from ..plotting.training import TrainingPlot
from ..training import MODELS, OPTIMIZERS, History, TrainingRun

__all__ = ["TrainingExplorer", "training_explorer"]

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
SHORTCUT = {"both": None, "off": False, "on": True}
LIMITS = {"depth": (1, 60), "width": (4, 128), "steps": (50, 2000), "seed": (0, 10**6)}
_STOP_CHECK_STEPS = 5  # Stop waits for at most this many steps (~0.1 s at depth 60)
_STYLE = {"style": {"description_width": "70px"}, "layout": W.Layout(width="300px")}


def _make_control(name: str, value: object) -> W.ValueWidget:
    if name in ("depth", "width", "steps"):
        low, high = LIMITS[name]
        step = {"depth": 1, "width": 4, "steps": 50}[name]
        return W.IntSlider(
            value=value,
            min=low,
            max=high,
            step=step,
            description=name,
            continuous_update=False,
            **_STYLE,
        )
    if name == "lr":
        return W.SelectionSlider(
            value=value,
            options=[(f"{v:g}", v) for v in LEARNING_RATES],
            description=name,
            continuous_update=False,
            **_STYLE,
        )
    if name == "seed":
        return W.BoundedIntText(
            value=value, min=0, max=LIMITS["seed"][1], description=name, **_STYLE
        )
    if name == "shortcut":
        return W.ToggleButtons(
            value=value,
            options=list(SHORTCUT),
            description=name,
            tooltips=["train both from the same weights", "plain only", "shortcut only"],
            style={"description_width": "70px", "button_width": "54px"},
        )
    options = {
        "task": TASKS,
        "activation": tuple(ACTIVATIONS),
        "init": INITS,
        "norm": NORMS,
        "optimizer": OPTIMIZERS,
    }[name]
    return W.Dropdown(value=value, options=list(options), description=name, **_STYLE)


class _LockedCanvas(Canvas):
    """An ipympl canvas for a TrainingPlot: its draws wait while the training thread is changing
    the artists, and go through the plot's own redraw, which blits when the axes did not change."""

    def __init__(self, plot: TrainingPlot, lock: threading.RLock) -> None:
        self._plot, self._artist_lock = plot, lock
        super().__init__(plot.figure)

    def draw(self) -> None:
        # Called in the kernel's main thread when the front end asks for a frame.
        with self._artist_lock:
            self._plot.redraw()


class TrainingExplorer(W.VBox):
    """Train a plain and a shortcut network side by side and watch losses and gradients live.

    Build it with :func:`training_explorer`. ``controls`` maps each setting to its widget;
    ``train_button``/``stop_button`` (or :meth:`train`/:meth:`stop`) start and stop a run;
    ``replay`` is the step slider of a finished run; ``plot`` the
    :class:`~shortcut_lib.plotting.TrainingPlot` being drawn; ``histories`` the last run's
    histories; errors show in ``output`` and leave the controls usable.

    Introduced in notebook 04.
    """

    def __init__(
        self, settings: Mapping[str, object], *, batch_size: int, update_every: int | None
    ) -> None:
        self.controls = {name: _make_control(name, value) for name, value in settings.items()}
        self.batch_size, self.update_every = batch_size, update_every
        self.train_button = W.Button(
            description="Train",
            icon="play",
            button_style="success",
            tooltip="train with these settings",
            layout=W.Layout(width="100px"),
        )
        self.stop_button = W.Button(
            description="Stop",
            icon="stop",
            button_style="danger",
            disabled=True,
            tooltip="stop after the current few steps",
            layout=W.Layout(width="100px"),
        )
        self.progress = W.IntProgress(
            value=0,
            min=0,
            max=1,
            description="progress",
            style={"description_width": "70px"},
            layout=W.Layout(width="300px"),
        )
        self.status = W.Label(value="press Train")
        self.replay = W.IntSlider(
            value=0,
            min=0,
            max=1,
            description="step",
            disabled=True,
            continuous_update=True,
            layout=W.Layout(width="620px"),
            style={"description_width": "70px"},
        )
        self.output = W.Output()
        self.histories: dict[str, History] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        self.plot = TrainingPlot(MODELS, figure=Figure(figsize=(9, 6), dpi=80))
        self.plot.update({})
        canvas = _LockedCanvas(self.plot, self._lock)  # an ipympl widget, whatever the backend
        FigureManager(canvas, 0)
        canvas.header_visible = canvas.footer_visible = canvas.toolbar_visible = False
        canvas.resizable = False
        canvas.syncing_data_url = False  # no PNG copy per frame for a widget state never saved

        shown = list(self.controls.values())
        half = (len(shown) + 1) // 2
        columns = W.HBox([W.VBox(shown[:half]), W.VBox(shown[half:])])
        buttons = W.HBox([self.train_button, self.stop_button, self.progress, self.status])
        super().__init__([columns, buttons, canvas, self.replay, self.output])
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.replay.observe(self._on_replay, names="value")

    @property
    def figure(self) -> Figure:
        """The one figure this explorer draws into."""
        return self.plot.figure

    @property
    def running(self) -> bool:
        """Whether a run is going on."""
        return self._thread is not None and self._thread.is_alive()

    def train(self) -> None:
        """Start a run with the current settings in a background thread (what Train does)."""
        if self.running:
            return
        self.output.outputs = ()  # not clear_output(): outside a kernel that prints
        try:
            run = TrainingRun(**self._run_arguments())
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self._show_error(exc)
            return
        self._stop.clear()
        self._set_running(True)
        self.progress.max, self.progress.value = run.steps, 0
        self._thread = threading.Thread(
            target=self._train, args=(run,), daemon=True, name="shortcut_lib training"
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the run to stop after its current chunk of steps (what Stop does)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (or ``timeout`` seconds pass); True if no run is going on."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run_arguments(self) -> dict[str, object]:
        values = {name: control.value for name, control in self.controls.items()}
        values["use_shortcut"] = SHORTCUT[values.pop("shortcut")]
        return {**values, "batch_size": self.batch_size}

    def _train(self, run: TrainingRun) -> None:
        # The background thread: train in chunks, check Stop between them, update the plots.
        every = self.update_every or max(5, run.steps // 50)
        start = time.perf_counter()
        try:
            while not run.done and not self._stop.is_set():
                # Stop is checked every few steps, even when the plots update more rarely.
                run.advance(min(every - run.step % every, _STOP_CHECK_STEPS))
                if run.step % every and not run.done:
                    continue
                elapsed = time.perf_counter() - start
                self._show(run.history(), total=run.steps)
                self.status.value = (
                    f"{run.step}/{run.steps} steps, {run.step / elapsed:.0f} steps/s"
                )
                self.progress.value = run.step
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self._show_error(exc)
        try:
            self._finish(run, time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001
            self._show_error(exc)
        finally:
            self._set_running(False)  # whatever happened, the controls come back

    def _finish(self, run: TrainingRun, elapsed: float) -> None:
        self.histories = run.history()
        with self.replay.hold_trait_notifications():
            self.replay.max = max(1, run.step)
            self.replay.value = run.step
        word = "done" if run.done else "stopped"
        self.status.value = (
            f"{word}: {run.step}/{run.steps} steps in {elapsed:.1f} s "
            f"({run.step / max(elapsed, 1e-9):.0f} steps/s)"
        )
        self._show(self.histories, total=run.steps)

    def _show(
        self, histories: Mapping[str, History], *, total: int, step: int | None = None
    ) -> None:
        with self._lock:
            self.plot.update(histories, step=step, total_steps=total)
        self.figure.canvas.draw_idle()

    def _on_replay(self, change: Mapping[str, object]) -> None:
        if self.running or not self.histories:
            return
        try:
            total = next(iter(self.histories.values())).settings["steps"]
            self._show(self.histories, total=total, step=change["new"])
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self._show_error(exc)

    def _set_running(self, running: bool) -> None:
        for control in self.controls.values():
            control.disabled = running  # the settings of a run are fixed when it starts
        self.train_button.disabled = running
        self.stop_button.disabled = not running
        self.replay.disabled = running

    def _show_error(self, exc: Exception) -> None:
        if isinstance(exc, (ValueError, TypeError)):
            text = f"{type(exc).__name__}: {exc}\n"
        else:  # a bug rather than a bad setting: the full story helps whoever reports it
            text = "".join(traceback.format_exception(exc))
        self.output.append_stderr(text)


def training_explorer(
    *,
    task: str = "spirals",
    depth: int = 20,
    width: int = 32,
    activation: str = "sigmoid",
    use_shortcut: bool | None = None,
    init: str = "default",
    norm: str = "none",
    optimizer: str = "adam",
    lr: float = 0.01,
    steps: int = 300,
    seed: int = 0,
    batch_size: int = 64,
    update_every: int | None = None,
) -> TrainingExplorer:
    """Controls, a Train and a Stop button, and live plots of a plain and a shortcut network.

    While a run goes on, the loss curves, a layer x step heatmap of each model's gradients and
    each layer's update ratio are redrawn every few steps, with a progress bar and the speed in
    steps per second; Stop ends the run early. A finished run can be replayed with the step slider.

    Args:
        task, depth, width, activation, init, norm, optimizer, steps, seed: start values of
            the controls, as for :func:`~shortcut_lib.train`.
        use_shortcut: start value of the ``shortcut`` control: ``None`` trains both models
            ("both"), ``False`` the plain one ("off"), ``True`` the shortcut one ("on").
        lr: the learning rate, one of 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.
        batch_size: examples per step (fixed; there is no control for it).
        update_every: steps between plot updates (and Stop checks); ``None`` picks about 50
            updates per run, at least 5 steps apart.

    Returns:
        A :class:`TrainingExplorer` widget; display it, or make it the cell's last line.

    Introduced in notebook 04.
    """
    for name, value in (("depth", depth), ("width", width), ("steps", steps), ("seed", seed)):
        check_int(name, value, low=LIMITS[name][0], high=LIMITS[name][1])
    if use_shortcut is not None:
        check_bool("use_shortcut", use_shortcut)
    if lr not in LEARNING_RATES:
        allowed = ", ".join(f"{v:g}" for v in LEARNING_RATES)
        raise ValueError(f"lr must be one of {allowed}; got {lr!r}")
    check_choice("task", task, TASKS)
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_choice("init", init, INITS)
    check_choice("norm", norm, NORMS)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_int("batch_size", batch_size, low=1)
    if update_every is not None:
        check_int("update_every", update_every, low=1)
    shortcut = next(k for k, v in SHORTCUT.items() if v is use_shortcut)
    settings = dict(
        task=task,
        depth=depth,
        width=width,
        activation=activation,
        shortcut=shortcut,
        init=init,
        norm=norm,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        seed=seed,
    )
    return TrainingExplorer(settings, batch_size=batch_size, update_every=update_every)
