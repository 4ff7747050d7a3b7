"""The functions that build each explorer from what a notebook passes: start values, a state
string, the controls to show and their ranges, all checked before anything is built.

The explorers themselves are :class:`~.gradient.GradientExplorer` (per-layer gradients, both
families) and :class:`~.training.TrainingExplorer` (training runs, both families).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._checks import check_int
from ..families import BlockSettings, BlockTrainingSettings, TrainingSettings, training_settings
from .controls import check_controls, check_limits, start_settings
from .gradient import GradientExplorer
from .training import TrainingExplorer
from .views import ExplorerSettings

__all__ = [
    "gradient_explorer",
    "training_explorer",
    "transformer_explorer",
    "transformer_training_explorer",
]

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


def gradient_explorer(
    state: str | None = None,
    *,
    controls: Iterable[str] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    **settings: object,
) -> GradientExplorer:
    """A live plot of per-layer gradients, plain against shortcut, with a control per setting.

    Args:
        state: a state string to start from, e.g. ``"depth=50 activation=sigmoid"``.
        controls: the names of the controls to show (default: one for every field of
            :class:`ExplorerSettings`); the others stay fixed.
        limits: ``{name: (low, high)}`` ranges for the sliders, e.g. ``{"depth": (1, 100)}``.
        **settings: start values, e.g. ``depth=50, activation="sigmoid"``; they win over
            ``state``.

    Returns:
        A :class:`GradientExplorer` widget; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string (naming every bad part), an unknown control or an
            impossible setting.

    Introduced in notebook 02 (in full in notebook 03).
    """
    start = start_settings(ExplorerSettings, state, settings, "gradient_explorer")
    names = tuple(ExplorerSettings.specs())
    shown = check_controls(controls, names, names)
    return GradientExplorer(start, shown, check_limits(limits, start, names))


def transformer_explorer(state: str | None = None, **settings: object) -> GradientExplorer:
    """A live plot of per-block ||dL/dh|| in a GPT block stack, plain against shortcut.

    Args:
        state: a state string to start from, e.g. ``"depth=24 norm=post"``.
        **settings: start values (fields of :class:`~shortcut_lib.BlockSettings`); they win
            over ``state``.

    Returns:
        A :class:`GradientExplorer` widget; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string (naming every bad part) or an impossible setting.

    Introduced in notebook 05.
    """
    start = start_settings(BlockSettings, state, settings, "transformer_explorer")
    return GradientExplorer(start, tuple(BlockSettings.specs()), {})


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
