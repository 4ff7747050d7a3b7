"""What a training run records: one :class:`History` per model, step by step, as plain lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ._checks import short_repr

__all__ = ["History"]


@dataclass(frozen=True)
class History:
    """What one model did during training, step by step, as plain lists.

    Attributes:
        model: ``"plain"`` or ``"shortcut"``.
        layer_names: one name per layer, in order: ``"in"`` (input layer, or a GPT's
            embeddings), ``"1"`` .. ``str(depth)`` (hidden layers or blocks), ``"out"``.
        loss: the training loss of each step's batch, before that step's update (steps,).
        weight_grad_mean: mean |dL/dW| of each layer at each step (steps, layers).
        update_ratio: ||W_after - W_before|| / ||W_before|| per step and layer (steps, layers).
        weight_norm: ||W_before|| per step and layer (steps, layers).
        settings: the arguments the run was made with (depth, width, lr, ...).

    Introduced in notebook 04.
    """

    model: str
    layer_names: list[str]
    loss: list[float]
    weight_grad_mean: list[list[float]]
    update_ratio: list[list[float]]
    weight_norm: list[list[float]]
    settings: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_history(self)

    @property
    def steps(self) -> int:
        """The number of steps recorded."""
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The mean loss over the last tenth of the steps (at least one step): one number that
        batch-to-batch noise barely moves. NaN before the first step."""
        if not self.loss:
            return float("nan")
        tail = self.loss[-max(1, len(self.loss) // 10) :]
        return sum(tail) / len(tail)


def _check_history(h: History) -> None:
    # The structure only (lengths and kinds, O(steps)); the plots read the numbers.
    if not isinstance(h.model, str):
        raise TypeError(f"History.model must be a str, such as 'plain'; got {short_repr(h.model)}")
    names = h.layer_names
    if (
        not isinstance(names, (list, tuple))
        or not names
        or not all(isinstance(n, str) for n in names)
    ):
        raise TypeError(
            f"History.layer_names must be a non-empty list of str; got {short_repr(names)}"
        )
    if not isinstance(h.loss, (list, tuple)) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in h.loss
    ):
        raise TypeError(f"History.loss must be a list of numbers; got {short_repr(h.loss)}")
    for name in ("weight_grad_mean", "update_ratio", "weight_norm"):
        rows = getattr(h, name)
        if (
            not isinstance(rows, (list, tuple))
            or len(rows) != len(h.loss)
            or not all(isinstance(r, (list, tuple)) and len(r) == len(names) for r in rows)
        ):
            raise ValueError(
                f"History.{name} must hold one row per step ({len(h.loss)}, as loss has) of one "
                f"number per layer ({len(names)}, as layer_names has); got {short_repr(rows)}"
            )
    if not isinstance(h.settings, Mapping):
        raise TypeError(f"History.settings must be a dict; got {short_repr(h.settings)}")


def check_whole_run(histories: object, settings: object) -> dict[str, History]:
    """``histories`` (``{model: History}``) if they are a whole run of ``settings`` (a
    TrainingSettings or a BlockTrainingSettings), as ``sl.train(**settings.values())`` gives
    it; else a clear error that says what differs."""
    if not isinstance(histories, Mapping) or not all(
        isinstance(h, History) for h in histories.values()
    ):
        raise TypeError(
            f"histories must be a dict of {{model: History}}, as sl.train returns; got "
            f"{short_repr(histories)}"
        )
    models = ("plain", "shortcut") if settings.models == "both" else (settings.models,)
    expected = settings.described()
    differ = []
    if set(histories) != set(models):
        differ.append(f"models {sorted(histories)} instead of {list(models)}")
    for h in histories.values():
        differ += [
            f"{k}={short_repr(h.settings.get(k), 30)} instead of {short_repr(v, 30)}"
            for k, v in expected.items()
            # sl.train_transformer trains one GPT stack and records no "models": the dict's keys
            # say which (each its own Learner on the same batches, as a run of both trains them)
            if h.settings.get(k) != v and not (k == "models" and k not in h.settings)
        ]
        if h.steps != settings.steps:
            differ.append(f"{h.steps} steps recorded of {settings.steps}")
    if differ:
        said = "; ".join(dict.fromkeys(differ))
        raise ValueError(f"histories must be a whole run of the settings {settings}: {said}")
    return dict(histories)
