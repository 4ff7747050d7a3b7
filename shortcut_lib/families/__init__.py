"""The two model families of the series, each as the settings that describe it.

A family's settings class says, for the one pipeline (:mod:`~shortcut_lib.compare`,
:mod:`~shortcut_lib.training`, the explorers), what to build and how to measure it: notebooks
01-04's deep MLP (:mod:`.mlp`) and notebook 05's GPT stack (:mod:`.gpt`).
"""

from __future__ import annotations

from ..data import Task, TokenTask
from .gpt import BlockSettings, BlockTrainingSettings
from .mlp import ComparisonSettings, TrainingSettings

__all__ = [
    "BlockSettings",
    "BlockTrainingSettings",
    "ComparisonSettings",
    "TrainingSettings",
    "training_settings",
]

RUN_SETTINGS = (TrainingSettings, BlockTrainingSettings)


def training_settings(
    task: object, changes: dict[str, object]
) -> tuple[TrainingSettings | BlockTrainingSettings, Task | TokenTask]:
    """The settings of a run and its task: ``task`` is a run's settings, ``"tokens"`` or a
    :class:`TokenTask` (a GPT stack), or ``"spirals"``, ``"regression"`` or a :class:`Task` (the
    MLP); ``changes`` are fields to set."""
    if isinstance(task, RUN_SETTINGS):
        settings = task.replace(**changes)
        return settings, settings.make_task()
    if task == "tokens" or isinstance(task, TokenTask):
        return BlockTrainingSettings.for_task(task, changes)
    return TrainingSettings.for_task(task, changes)
