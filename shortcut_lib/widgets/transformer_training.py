"""The transformer training explorer: notebook 04's training explorer, Train and Stop buttons and
live plots included, driving a :class:`~shortcut_lib.transformer_training.BlockTrainingRun`.

Only the settings and the run differ from :class:`~shortcut_lib.widgets.training.TrainingExplorer`;
the controls, the background thread, the plots and the error display are its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._checks import check_int
from ..transformer_training import BlockTrainingRun, BlockTrainingSettings
from .controls import check_controls, check_limits, start_settings
from .training import TrainingExplorer

__all__ = ["TransformerTrainingExplorer", "transformer_training_explorer"]

# Shown by default: every setting but those of the task itself (the batch size, the context
# length and the vocabulary), which rarely need changing here; with them the explorer would not
# fit a 1280x800 screen. All stay settable from code and state strings.
TASK_SETTINGS = ("batch_size", "context_length", "vocab_size")
CONTROL_NAMES = tuple(n for n in BlockTrainingSettings.specs() if n not in TASK_SETTINGS)


class TransformerTrainingExplorer(TrainingExplorer):
    """Train a plain and a shortcut GPT stack from the same weights and watch them live.

    Build it with :func:`transformer_training_explorer`. As
    :class:`~shortcut_lib.widgets.training.TrainingExplorer`: ``controls``, ``train_button``,
    ``stop_button`` (or :meth:`train`, :meth:`stop`, :meth:`wait`), ``replay``, ``plot``,
    ``histories``, ``output``, ``close()``; the heatmaps' layers are ``in`` (the embeddings),
    the blocks and ``out`` (the output head).

    Introduced in notebook 05.
    """

    run_class = BlockTrainingRun

    @property
    def state(self) -> str:
        """The settings of the last run, or of the start, as one line (``depth=4 ...``)."""
        return str(self.settings)


def transformer_training_explorer(
    state: str | None = None,
    *,
    controls: tuple[str, ...] | None = None,
    limits: Mapping[str, tuple[int, int]] | None = None,
    update_every: int | None = None,
    **settings: object,
) -> TransformerTrainingExplorer:
    """Controls, a Train and a Stop button, and live plots of a plain and a shortcut GPT stack.

    While a run goes on, the loss curves, a layer x step heatmap of each model's gradients (one
    row per block) and each layer's update ratio are redrawn every few steps; Stop ends the run
    early, and the step slider replays a finished run.

    Args:
        state: a state string to start from, e.g. ``"depth=4 norm=post lr=0.03"``.
        controls: the names of the controls to show (default: every field of
            :class:`~shortcut_lib.BlockTrainingSettings` but ``batch_size``, ``context_length`` and
            ``vocab_size``).
        limits: ``{name: (low, high)}`` ranges for the sliders, e.g. ``{"depth": (1, 12)}``.
        update_every: steps between plot updates; ``None`` picks about 50 updates per run, at
            least 5 steps apart.
        **settings: start values, fields of :class:`~shortcut_lib.BlockTrainingSettings`; they
            win over ``state``.

    Returns:
        A :class:`TransformerTrainingExplorer`; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string, an impossible setting or a bad control name.

    Introduced in notebook 05.
    """
    start = start_settings(BlockTrainingSettings, state, settings, "transformer_training_explorer")
    shown = check_controls(controls, tuple(BlockTrainingSettings.specs()), CONTROL_NAMES)
    if update_every is not None:
        check_int("update_every", update_every, low=1)
    ranges = check_limits(limits, start, shown)
    return TransformerTrainingExplorer(start, shown=shown, limits=ranges, update_every=update_every)
