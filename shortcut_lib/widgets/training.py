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
from collections.abc import Mapping

import ipywidgets as W

from .._checks import check_int
from ..families import RUN_SETTINGS, BlockTrainingSettings, TrainingSettings, training_settings
from ..families.mlp import MODELS
from ..plotting.training import TrainingPlot
from ..training import History, TrainingRun
from .canvas import LockedCanvas, make_canvas
from .controls import (
    Explorer,
    check_controls,
    check_explorer,
    check_limits,
    make_control,
    read_controls,
    replace_in_cell,
    show_error,
    show_message,
    start_settings,
)
from .layout import (
    DESCRIPTION_WIDTH,
    FIGURE_WIDTH,
    control_grid,
    explorer_children,
    explorer_figure,
)

__all__ = ["TrainingExplorer", "training_explorer", "transformer_training_explorer"]

_STOP_CHECK_STEPS = 5  # Stop waits for at most this many steps (~0.1 s at depth 60)
# While a run goes on, frames are asked for at most this often. A frame (about 25 ms) is drawn in
# the kernel's main thread and holds the GIL the training thread needs: about ten a second look
# smooth and leave most of the time to the training (a frame at every plot update made the
# default run take 3.0-3.8 s instead of 2.5-2.8).
_FRAME_SECONDS = 0.07
# Shown by default: every setting but those of the task itself (batch size; for GPT stacks also
# the context length and the vocabulary), which rarely need changing here; with them the GPT
# explorer would not fit a 1280x800 screen. All stay settable from code and state strings.
CONTROL_NAMES = {
    TrainingSettings: tuple(n for n in TrainingSettings.specs() if n != "batch_size"),
    BlockTrainingSettings: tuple(
        n for n in BlockTrainingSettings.specs()
        if n not in ("batch_size", "context_length", "vocab_size")
    ),
}  # fmt: skip
FIGURE_HEIGHT = 410  # px: two rows of panels; with the controls above, 1280x800 holds it all


class TrainingExplorer(Explorer):
    """Train a plain and a shortcut model side by side and watch losses and gradients live.

    Build it with :func:`training_explorer` (notebook 04's MLP) or
    :func:`transformer_training_explorer` (notebook 05's GPT stacks, whose heatmap rows are
    ``in``, the embeddings, the blocks and ``out``, the head). ``controls`` maps each setting to
    its widget; ``train_button``/``stop_button`` (or :meth:`train`/:meth:`stop`) start and stop
    a run; ``replay`` is the step slider of a finished run; ``plot`` the
    :class:`~shortcut_lib.plotting.TrainingPlot` being drawn; ``histories`` the last run's
    histories; errors show in ``output`` and leave the controls usable.

    Introduced in notebook 04.
    """

    def __init__(
        self,
        settings: TrainingSettings | BlockTrainingSettings,
        *,
        shown: tuple[str, ...],
        limits: Mapping[str, tuple[int, int]],
        update_every: int | None,
    ) -> None:
        shown, limits = check_explorer(settings, RUN_SETTINGS, shown, limits)
        if update_every is not None:
            check_int("update_every", update_every, low=1)
        self.settings, self.update_every = settings, update_every
        specs = type(settings).specs()
        self.controls = {
            name: make_control(name, specs[name], getattr(settings, name), limits.get(name))
            for name in shown
        }
        for control in self.controls.values():
            control.continuous_update = False  # a run starts from the value let go
        self._build_run_controls()
        self.output = W.Output()
        self.histories: dict[str, History] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False  # set by train(), cleared by the run's thread before it lets go

        self.plot = TrainingPlot(MODELS, figure=explorer_figure(FIGURE_HEIGHT))
        # Before the first run: the axes of the run the controls describe.
        self.plot.update({}, total_steps=settings.steps, layers=settings.depth + 2)
        canvas = make_canvas(self.plot.figure, lambda figure: LockedCanvas(self.plot, self._lock))
        super().__init__(self._lay_out(canvas))
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.replay.observe(self._on_replay, names="value")
        replace_in_cell(self)

    def _lay_out(self, canvas: W.Widget) -> list[W.Widget]:
        """The shared explorer layout: the controls, Train and Stop with the progress, errors,
        the figure, and the replay slider under it."""
        # Depth, and the three-way models toggle, each get a whole row.
        wide = [self.controls[n] for n in ("depth", "models") if n in self.controls]
        grid = control_grid(list(self.controls.values()), wide=wide)
        buttons = W.HBox(
            [self.train_button, self.stop_button, self.progress, self.status],
            layout=W.Layout(align_items="center", flex_flow="row wrap"),
        )
        panel = [grid, buttons, self.output]
        return explorer_children(panel, canvas, under_figure=[self.replay])

    def _build_run_controls(self) -> None:
        # Train and Stop, the progress bar with its status line, and the replay slider.
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
            style={"description_width": "64px"},
            layout=W.Layout(width="220px"),
        )
        self.status = W.Label(value="press Train")
        self.replay = W.IntSlider(
            value=0,
            min=0,
            max=1,
            description="step",
            disabled=True,
            continuous_update=True,
            layout=W.Layout(width=f"{FIGURE_WIDTH}px"),
            style={"description_width": DESCRIPTION_WIDTH},
        )

    def _release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.histories = {}

    @property
    def state(self) -> str:
        """The settings of the last run, or of the start, as one line (``depth=20 ...``)."""
        return str(self.settings)

    @property
    def running(self) -> bool:
        """Whether a run is going on (False again as soon as the Train button comes back)."""
        return self._running

    def train(self) -> None:
        """Start a run with the current settings in a background thread (what Train does).

        Right after :meth:`stop`, it waits the moment the stopping run needs to end. While a run
        goes on, it says so in the output instead of starting a second one.
        """
        if self.running and self._stop.is_set():
            self._thread.join(timeout=10)  # Stop is honoured within a few steps
        if self.running:
            show_message(self.output, "A run is going on: press Stop first, then Train.")
            return
        self.output.outputs = ()  # not clear_output(): outside a kernel that prints
        try:
            values = read_controls(self.controls, type(self.settings).specs())
            self.settings = self.settings.replace(**values)
            run = TrainingRun(self.settings)
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            show_error(self.output, exc)
            return
        self._stop.clear()
        self._running = True
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

    def _train(self, run: TrainingRun) -> None:
        # The background thread: train in chunks, check Stop between them, update the plots.
        every = self.update_every or max(5, run.steps // 50)
        start = last_frame = time.perf_counter()
        try:
            while not run.done and not self._stop.is_set():
                # Stop is checked every few steps, even when the plots update more rarely.
                run.advance(min(every - run.step % every, _STOP_CHECK_STEPS))
                if run.step % every and not run.done:
                    continue
                now = time.perf_counter()
                elapsed, frame = now - start, now - last_frame >= _FRAME_SECONDS
                last_frame = now if frame else last_frame
                # One count on screen: the figure's title and the progress bar show the step.
                self._show(run.history(), total=run.steps, frame=frame)
                self.progress.value = run.step
                self.status.value = f"training, {run.step / elapsed:.0f} steps/s"
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            show_error(self.output, exc)
        try:
            self._finish(run, time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001
            show_error(self.output, exc)
        finally:
            self._running = False  # first, so a click on the Train button that comes back works
            self._set_running(False)  # whatever happened, the controls come back

    def _finish(self, run: TrainingRun, elapsed: float) -> None:
        self.histories = run.history()
        with self.replay.hold_trait_notifications():
            self.replay.max = max(1, run.step)
            self.replay.value = run.step
        self.progress.value = run.step  # a stopped run's last chunk, too
        word = "done" if run.done else "stopped"
        self.status.value = (
            f"{word}: {run.step}/{run.steps} steps in {elapsed:.1f} s "
            f"({run.step / max(elapsed, 1e-9):.0f} steps/s)"
        )
        self._show(self.histories, total=run.steps)

    def _show(
        self,
        histories: Mapping[str, History],
        *,
        total: int,
        step: int | None = None,
        frame: bool = True,
    ) -> None:
        # The artists always follow; a frame is asked for unless one was asked for just now.
        with self._lock:
            self.plot.update(histories, step=step, total_steps=total)
        if frame:
            self.figure.canvas.draw_idle()

    def _on_replay(self, change: Mapping[str, object]) -> None:
        if self.running or not self.histories:
            return
        try:
            total = next(iter(self.histories.values())).settings["steps"]
            self._show(self.histories, total=total, step=change["new"])
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            show_error(self.output, exc)

    def _set_running(self, running: bool) -> None:
        for control in self.controls.values():
            control.disabled = running  # the settings of a run are fixed when it starts
        self.train_button.disabled = running
        self.stop_button.disabled = not running
        self.replay.disabled = running


def training_explorer(
    task: str = "spirals",
    *,
    controls: tuple[str, ...] | None = None,
    limits: Mapping[str, tuple[int, int]] | None = None,
    update_every: int | None = None,
    **settings: object,
) -> TrainingExplorer:
    """Controls, a Train and a Stop button, and live plots of a plain and a shortcut network.

    While a run goes on, the loss curves, a layer x step heatmap of each model's gradients and
    each layer's update ratio are redrawn every few steps, with a progress bar and the speed in
    steps per second; Stop ends the run early. A finished run can be replayed with the step slider.

    Args:
        task: ``"spirals"`` or ``"regression"`` (notebook 04's MLP), or ``"tokens"``
            (notebook 05's GPT stacks, as :func:`transformer_training_explorer`).
        controls: the names of the controls to show (default: every field of the settings
            class, :class:`~shortcut_lib.TrainingSettings` or
            :class:`~shortcut_lib.BlockTrainingSettings`, but those of the task's size).
        limits: ``{name: (low, high)}`` ranges for the sliders, e.g. ``{"depth": (1, 100)}``.
        update_every: steps between plot updates (and Stop checks); ``None`` picks about 50
            updates per run, at least 5 steps apart.
        **settings: start values, the fields of the settings class (for the MLP, ``lr`` one of
            1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1 for its slider).

    Returns:
        A :class:`TrainingExplorer` widget; display it, or make it the cell's last line.

    Introduced in notebook 04.
    """
    start, _ = training_settings(task, settings)
    names = tuple(type(start).specs())
    shown = check_controls(controls, names, CONTROL_NAMES[type(start)])
    if update_every is not None:
        check_int("update_every", update_every, low=1)
    ranges = check_limits(limits, start, shown)
    return TrainingExplorer(start, shown=shown, limits=ranges, update_every=update_every)


def transformer_training_explorer(
    state: str | None = None,
    *,
    controls: tuple[str, ...] | None = None,
    limits: Mapping[str, tuple[int, int]] | None = None,
    update_every: int | None = None,
    **settings: object,
) -> TrainingExplorer:
    """The training explorer for GPT stacks, from a state string such as ``"depth=4 norm=post"``
    and start values (fields of :class:`~shortcut_lib.BlockTrainingSettings`, which win over
    ``state``); the other arguments as for :func:`training_explorer`.

    Introduced in notebook 05.
    """
    start = start_settings(BlockTrainingSettings, state, settings, "transformer_training_explorer")
    return training_explorer(start, controls=controls, limits=limits, update_every=update_every)
