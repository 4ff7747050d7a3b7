"""What the gradient explorer shows of each family's profiles: the series, its labels, and the
readout in words. One explorer serves both families; this is all that differs between them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..families import BlockSettings, ComparisonSettings
from ..plotting.style import DIAGNOSTIC_LABELS
from ..probes import DIAGNOSTICS, GradientProfile, TransformerProfile
from ..settings import setting
from ..words import HEALTHY, describe_backward, describe_forward

__all__ = ["VIEWS", "ExplorerSettings", "View"]


@dataclass(frozen=True)
class ExplorerSettings(ComparisonSettings):
    """What the gradient explorer shows of the MLP: a comparison (see
    :class:`~shortcut_lib.ComparisonSettings`), which wiring is drawn bold (``use_shortcut``)
    and which per-layer series is plotted (``diagnostic``, a series of ``GradientProfile``).
    Both only change what is drawn. ``str(settings)`` is the explorer's state line.

    Introduced in notebook 03.
    """

    use_shortcut: bool = setting(True, choices=(False, True), control="toggle", view=True)
    diagnostic: str = setting(
        "output_grad_norm",
        choices=DIAGNOSTICS,
        labels=tuple(DIAGNOSTIC_LABELS[d] for d in DIAGNOSTICS),
        view=True,
    )


@dataclass(frozen=True)
class View:
    """How the explorer shows one family.

    Attributes:
        live: the sliders that redraw while dragged (the others when let go).
        other: the label of the box that shows the other wiring (thin and dashed) or hides it.
        noun: what the two are called, "model" or "wiring".
        xlabel: the x axis's label (``None``: the plot's own, "layer").
        picture: what the figure shows, in words (its accessible name).
        series: ``(settings, profiles) -> ({label: values}, y label)``: what is plotted.
        readout: ``(settings, profiles) -> (lines, notes)``: the verdicts in words and the notes
            that follow the plot's own (HTML), for the profiles shown.
    """

    live: tuple[str, ...]
    other: str
    noun: str
    xlabel: str | None
    picture: str
    series: Callable[[object, Mapping], tuple[dict[str, list[float]], str]]
    readout: Callable[[object, Mapping], tuple[list[str], list[str]]]

    def notes(
        self, bold: str, band: tuple[float, float] | None, hidden: tuple[str, ...], thin: bool
    ) -> list[str]:
        """The readout's last lines: the green band, named by its range (``thin``: it is drawn
        a few pixels high, as at a scale of 40 decades), and which wiring is hidden, if one is."""
        notes = []
        if band is not None:
            name = "green band (a thin line at this scale)" if thin else "green band"
            notes.append(
                f"{name}: {band[0]:.2g} to {band[1]:.2g}, within {HEALTHY[1]:g}x of where "
                f"the bold {bold} line ends: the healthy range"
            )
        if hidden:
            notes.append(
                f"the {' and '.join(hidden)} {self.noun} is hidden: tick \u201c{self.other}\u201d "
                "to compare"
            )
        return [f"<span style='opacity:0.8'>{note}</span>" for note in notes]


def _mlp_series(s: ExplorerSettings, profiles: Mapping[str, GradientProfile]) -> tuple:
    values = {label: p.diagnostic(s.diagnostic) for label, p in profiles.items()}
    return values, DIAGNOSTIC_LABELS[s.diagnostic]


def _mlp_readout(s: ExplorerSettings, profiles: Mapping[str, GradientProfile]) -> tuple:
    lines = [
        f"<b>{label}</b>: backward, {describe_backward(p)}<br>"
        f"<span style='padding-left:1em'>forward, {describe_forward(p)}</span>"
        for label, p in profiles.items()
    ]
    return lines, []


def _gpt_series(s: BlockSettings, profiles: Mapping[str, TransformerProfile]) -> tuple:
    return {label: p.stream_grad_norm for label, p in profiles.items()}, "||dL/dh||"


def _gpt_readout(s: BlockSettings, profiles: Mapping[str, TransformerProfile]) -> tuple:
    lines = [
        f"<b>{label}</b>: ||dL/dh|| entering block 1 / after the last "
        f"{p.stream_grad_norm[0] / p.stream_grad_norm[-1]:.2g}; stream RMS after the last / "
        f"entering block 1 {p.stream_rms[-1] / p.stream_rms[0]:.2g}; loss {p.loss:.3f}"
        for label, p in profiles.items()
    ]
    return lines, []


VIEWS = {
    ExplorerSettings: View(
        live=("depth", "width", "batch_size", "gain"),
        other="show the other model",
        noun="model",
        xlabel=None,
        picture="per-layer gradients of the plain and the shortcut model (the readout says "
        "what they do in words)",
        series=_mlp_series,
        readout=_mlp_readout,
    ),
    BlockSettings: View(
        live=("depth", "width", "context_length", "batch_size"),
        other="show the other wiring",
        noun="wiring",
        xlabel="stream entering block (last: after the last block)",
        picture="||dL/dh|| per block of the plain and the shortcut wiring (the readout says "
        "what they do in words)",
        series=_gpt_series,
        readout=_gpt_readout,
    ),
}
