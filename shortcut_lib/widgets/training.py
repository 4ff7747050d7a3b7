"""The training explorer: controls, a Train and a Stop button, and live plots of a training run.

Only wiring lives here: the training is :class:`~shortcut_lib.training.TrainingRun`, the drawing
:class:`~shortcut_lib.plotting.training.TrainingPlot`.

Training runs in a background thread, in chunks of a few steps, so the kernel stays free to
handle clicks: Stop sets a ``threading.Event`` that the thread checks between chunks. The thread
updates the plot's artists and renders a frame under a lock, which everything else that draws
(the replay slider, a changed setting) takes too, so no frame shows half an update. ipywidgets
send their messages from any thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import ipywidgets as W

from .._checks import check_int
from ..families import RUN_SETTINGS, BlockTrainingSettings, TrainingSettings
from ..families.mlp import MODELS
from ..history import check_whole_run
from ..plotting.training import TrainingPlot
from ..training import History, TrainingRun
from .canvas import FrameCanvas
from .controls import (
    Explorer,
    check_explorer,
    make_controls,
    read_controls,
    replace_in_cell,
    set_controls,
)
from .layout import control_grid, explorer_children, explorer_figure, frame_box, run_controls
from .messages import MessageArea

__all__ = ["TrainingExplorer"]

_STOP_CHECK_STEPS = 5  # Stop waits for at most this many steps (~0.1 s at depth 60)
# While a run goes on, frames are drawn at most this often. A frame (about 25 ms) holds the GIL
# the training needs: about ten a second look smooth and leave most of the time to the training
# (a frame at every plot update made the default run take 3.0-3.8 s instead of 2.5-2.8).
_FRAME_SECONDS = 0.07
FIGURE_HEIGHT = 410  # px: two rows of panels; with the controls above, 1280x800 holds it all
STALE = "The settings changed since this run: press Train to run them"
PICTURE = (
    "the last run's loss curves, update ratios and per-layer gradient heatmaps (the status "
    "line beside the buttons says how far it got)"
)


class TrainingExplorer(Explorer):
    """Train a plain and a shortcut model side by side and watch losses and gradients live.

    Build it with :func:`training_explorer` (notebook 04's MLP) or
    :func:`transformer_training_explorer` (notebook 05's GPT stacks, whose heatmap rows are
    ``in``, the embeddings, the blocks and ``out``, the head). ``controls`` maps each setting to
    its widget; ``train_button``/``stop_button`` (or :meth:`train`/:meth:`stop`) start and stop
    a run, and :meth:`show` opens it on a run a cell has trained; ``replay`` is the step slider
    of a finished run; ``plot`` the :class:`~shortcut_lib.plotting.TrainingPlot` being drawn;
    ``histories`` the last run's histories. A setting the settings class refuses is named in
    ``errors`` and the controls go back to the last good settings; once the settings differ
    from the last run's, the figure and the status line say that the figure shows that run.

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
        self.controls = make_controls(settings, shown, limits)
        for control in self.controls.values():
            control.continuous_update = False  # a run starts from the value let go
        (self.train_button, self.stop_button, self.progress, self.status,
         self.replay) = run_controls()  # fmt: skip
        self.errors = MessageArea()
        self.histories: dict[str, History] = {}
        self._chosen = settings  # the last good settings the controls showed
        self._stale, self._reverting, self._run_status = False, False, ""
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False  # set by train(), cleared by the run's thread before it lets go

        figure = explorer_figure(FIGURE_HEIGHT)
        self.canvas = FrameCanvas(figure, PICTURE)
        self.plot = TrainingPlot(MODELS, figure=figure)
        # Before the first run: the axes of the run the controls describe.
        self._show({}, total=settings.steps, layers=settings.depth + 2)
        super().__init__(self._lay_out(frame_box(self.canvas.image)))
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.replay.observe(self._on_replay, names="value")
        for control in self.controls.values():
            control.observe(self._on_setting, names="value")
        replace_in_cell(self)

    def _lay_out(self, frame: W.Widget) -> list[W.Widget]:
        """The shared explorer layout: the controls, Train and Stop with the progress, errors,
        the figure, and the replay slider under it."""
        # Depth, and the three-way models toggle, each get a whole row.
        wide = [self.controls[n] for n in ("depth", "models") if n in self.controls]
        grid = control_grid(list(self.controls.values()), wide=wide)
        buttons = W.HBox(
            [self.train_button, self.stop_button, self.progress, self.status],
            layout=W.Layout(align_items="center", flex_flow="row wrap"),
        )
        panel = [grid, buttons, self.errors]
        return explorer_children(panel, frame, under_figure=[self.replay])

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
        goes on, it says so in ``errors`` instead of starting a second one.
        """
        if self.running and self._stop.is_set():
            self._thread.join(timeout=10)  # Stop is honoured within a few steps
        if self.running:
            self.errors.show_notice("A run is going on: press Stop first, then Train.")
            return
        self.errors.clear()
        try:
            settings = self._read_settings()
            run = TrainingRun(settings)
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            # Refused only now (by the run, not the settings): back to the last run's settings.
            self._chosen = self.settings
            self._refuse(exc)
            return
        self.settings = self._chosen = settings
        self._stop.clear()
        self._running = True
        self._set_running(True)
        self.progress.max, self.progress.value = run.steps, 0
        self._set_stale(False)
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
            self.errors.show_error(exc)
        try:
            elapsed = time.perf_counter() - start
            word, rate = "done" if run.done else "stopped", run.step / max(elapsed, 1e-9)
            status = f"{word}: {run.step}/{run.steps} steps in {elapsed:.1f} s ({rate:.0f} steps/s)"
            self._finish(run.history(), run.step, run.steps, status)
        except Exception as exc:  # noqa: BLE001
            self.errors.show_error(exc)
        finally:
            self._running = False  # first, so a click on the Train button that comes back works
            self._set_running(False)  # whatever happened, the controls come back

    def show(self, histories: Mapping[str, History]) -> None:
        """Open on a run of the explorer's settings that a cell has trained already, e.g.
        ``sl.train(...)`` with the same arguments: the figure Train would draw, without
        training again. Histories of other settings, or of a run stopped early, are refused."""
        if self.running:
            raise RuntimeError("a run is going on: wait() for it, or stop() it, first")
        settings = self._read_settings()
        histories = check_whole_run(histories, settings)
        self.settings = self._chosen = settings
        self._set_stale(False)
        done = f"done: {settings.steps}/{settings.steps} steps, trained in the notebook"
        self._finish(histories, settings.steps, settings.steps, done)
        self._set_running(False)  # the step slider replays it

    def _finish(self, histories: dict[str, History], step: int, steps: int, status: str) -> None:
        self.histories = histories
        with self.replay.hold_trait_notifications():
            self.replay.max = max(1, step)
            self.replay.value = step
        self.progress.value = step  # a stopped run's last chunk, too
        self._run_status = self.status.value = status
        if self.errors.kind == "notice":  # "a run is going on" is over
            self.errors.clear()
        self._show(self.histories, total=steps)

    def _show(
        self,
        histories: Mapping[str, History],
        *,
        total: int,
        step: int | None = None,
        frame: bool = True,
        layers: int | None = None,
    ) -> None:
        # The artists always follow; a frame is drawn unless one was drawn just now.
        with self._lock:
            self.plot.update(histories, step=step, total_steps=total, layers=layers)
            if frame:
                self.plot.redraw()

    def _read_settings(self) -> TrainingSettings | BlockTrainingSettings:
        values = read_controls(self.controls, type(self.settings).specs())
        return self._chosen.replace(**values)

    def _on_setting(self, change: Mapping[str, object]) -> None:
        # A control moved: refuse a setting the settings class refuses, at once, and say
        # whether the figure still shows what the controls describe.
        if self._reverting or self.running:
            return
        try:
            self._chosen = self._read_settings()
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self._refuse(exc)
            return
        if self.errors.kind == "error":
            self.errors.clear()
        self._set_stale(bool(self.histories) and self._chosen != self.settings)

    def _refuse(self, exc: BaseException) -> None:
        """Name the refused setting and move the controls back to the last good settings."""
        self.errors.show_error(exc)
        self._reverting = True
        try:
            set_controls(self.controls, self._chosen)
        finally:
            self._reverting = False

    def _set_stale(self, stale: bool) -> None:
        """Say, in the figure and the status line, whether it shows the settings chosen."""
        if stale == self._stale:
            return
        self._stale = stale
        with self._lock:
            self.plot.set_notice(STALE if stale else None)
            self.plot.redraw()
        self.status.value = "settings changed: press Train" if stale else self._run_status

    def _on_replay(self, change: Mapping[str, object]) -> None:
        if self.running or not self.histories:
            return
        try:
            total = next(iter(self.histories.values())).settings["steps"]
            self._show(self.histories, total=total, step=change["new"])
        except Exception as exc:  # noqa: BLE001 - shown to the learner, controls stay live
            self.errors.show_error(exc)

    def _set_running(self, running: bool) -> None:
        for control in self.controls.values():
            control.disabled = running  # the settings of a run are fixed when it starts
        self.train_button.disabled = running
        self.stop_button.disabled = not running
        self.replay.disabled = running
