"""Many training runs at a glance: loss curves side by side, and each run's final loss."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from .._checks import check_float, short_repr
from ..history import History
from .scales import check_count, check_figure, check_labels, check_text
from .style import MODEL_MARKERS, readable, series_color

__all__ = ["plot_final_losses", "plot_loss_curves"]

Histories = Mapping[str, History]


def plot_loss_curves(
    runs: Mapping[str, Histories], *, ncols: int = 3, figure: Figure | None = None
) -> Figure:
    """Loss curves of several runs, one panel per run, both models in each, one shared log axis.

    Args:
        runs: ``{label: histories}``, e.g. ``{"depth 5": sl.train(depth=5), ...}``.
        ncols: panels per row.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure``.

    Introduced in notebook 04.
    """
    check_runs(runs)
    ncols = max(1, min(check_count("ncols", ncols), len(runs)))
    nrows = math.ceil(len(runs) / ncols)
    figure = check_figure(figure) or Figure(figsize=(3 * ncols, 2.4 * nrows), dpi=72)
    axes = figure.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for ax, (label, histories) in zip(axes, runs.items(), strict=False):
        for i, (model, h) in enumerate(histories.items()):
            ax.plot(
                np.arange(1, h.steps + 1), h.loss, color=series_color(model, i), lw=1.2, label=model
            )
        ax.set_title(label, fontsize=10)
        ax.set(yscale="log", xlabel="step")
        ax.grid(True, alpha=0.3)
    for ax in axes[len(runs) :]:
        ax.set_visible(False)
    axes[0].set_ylabel("training loss (log)")
    axes[0].legend(fontsize=8, frameon=False)
    figure.set_layout_engine("constrained")
    return readable(figure)


def plot_final_losses(
    runs: Mapping[str, Histories],
    *,
    reference: tuple[float, str] | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Each run's final loss (mean of its last tenth of steps), plain and shortcut, on one axis.

    Args:
        runs: ``{label: histories}``, e.g. one entry per seed.
        reference: ``(value, label)`` drawn as a dashed line, e.g. ``(math.log(2), "chance")``.
        figure: draw into this figure instead of a new one.

    Returns:
        The ``Figure``: final loss (a linear axis from 0) with one column per run.

    Introduced in notebook 04.
    """
    check_runs(runs)
    _check_reference(reference)
    figure = check_figure(figure) or Figure(figsize=(1.2 + 0.9 * len(runs), 3), dpi=80)
    ax = figure.add_subplot()
    x = np.arange(len(runs))
    models = list(dict.fromkeys(m for h in runs.values() for m in h))
    for i, model in enumerate(models):
        y = [h[model].final_loss if model in h else np.nan for h in runs.values()]
        marker = MODEL_MARKERS.get(model, "o")
        ax.plot(x, y, ls="none", marker=marker, ms=8, color=series_color(model, i), label=model)
    if reference is not None:
        ax.axhline(reference[0], color="0.4", ls="--", lw=1, label=reference[1])
    ax.set_xticks(x, list(runs))
    ax.set_xlim(-0.6, len(runs) - 0.4)
    ax.set_ylim(0, None)
    ax.set_ylabel("final loss")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="best")
    figure.set_layout_engine("constrained")
    return readable(figure)


def _check_reference(reference: object) -> None:
    if reference is not None and not (
        isinstance(reference, tuple)
        and len(reference) == 2
        and isinstance(reference[0], (int, float))
        and not isinstance(reference[0], bool)
        and isinstance(reference[1], str)
    ):
        raise TypeError(
            "reference must be None or (value, label), e.g. (0.693, 'chance'); got "
            f"{short_repr(reference)}"
        )
    if reference is not None:
        check_float("reference's value", reference[0])
        check_text("reference's label", reference[1], optional=False)


def check_runs(runs: object) -> Mapping[str, Mapping[str, History]]:
    """``runs`` if it is a non-empty dict of {label: histories}, at most 100 runs."""
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(
            f"runs must be a non-empty dict of {{label: histories}}; got {short_repr(runs)}"
        )
    for label in check_labels("runs' labels", runs, most=100):
        check_histories(runs[label], name=f"runs[{short_repr(label, 40)}]")
    return runs


def check_histories(
    histories: object, *, empty: bool = False, name: str = "histories"
) -> Mapping[str, History]:
    """``histories`` if it is a dict of {model: History} (non-empty unless ``empty``)."""
    if (
        not isinstance(histories, Mapping)
        or (not histories and not empty)
        or not all(isinstance(h, History) for h in histories.values())
    ):
        raise TypeError(
            f"{name} must be a non-empty dict of {{model: History}}, as sl.train returns; got "
            f"{short_repr(histories)}"
        )
    if histories:
        check_labels(f"{name}' models", histories)
    return histories


def numbers(name: str, rows: object) -> np.ndarray:
    """A history's recorded values as a float array, or a clear error."""
    try:
        return np.asarray(rows, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers; got {short_repr(rows)}") from None


def describe_settings(histories: Histories) -> str:
    """One line naming how the models were trained (``"pre/post"`` where they differ)."""
    if not histories:
        return "no run yet: press Train"
    s = _merged_settings(histories)
    lr = f"{s['lr']:g}" if isinstance(s.get("lr"), float) else s.get("lr")
    parts = [
        f"{s.get('task')}",
        f"depth {s.get('depth')}",
        f"width {s.get('width')}",
        f"{s.get('activation')}",
        f"init {s.get('init')}",
        f"norm {s.get('norm')}",
        f"{s.get('optimizer')} lr {lr}" if lr else "",
    ]
    return ", ".join(p for p in parts if p)


def describe_progress(histories: Histories, n: int, total: int, window: int = 10) -> str:
    """``"step n/total"`` and each model's mean loss over the last ``window`` steps shown."""
    if not histories:
        return ""
    last = {m: h.loss[max(0, n - window) : n] for m, h in histories.items()}
    losses = ", ".join(f"{m} {sum(v) / len(v):.3g}" for m, v in last.items() if v)
    losses = f"   loss, mean of the last {window} steps: {losses}" if losses else ""
    return f"step {n}/{total}{losses}"


def _merged_settings(histories: Histories) -> dict[str, object]:
    # One value per setting; where the models were trained differently (pre- against post-norm
    # in notebook 05), both, as "pre/post".
    merged: dict[str, list] = {}
    for h in histories.values():
        for key, value in h.settings.items():
            if value not in merged.setdefault(key, []):
                merged[key].append(value)
    return {
        key: values[0]
        if len(values) == 1
        else "/".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
        for key, values in merged.items()
    }
