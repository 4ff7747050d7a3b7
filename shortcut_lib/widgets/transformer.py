"""The transformer explorer: a control per :class:`BlockSettings` field, wired to the paired
probe of a GPT block stack and to the gradient plot.

Only wiring lives here: the maths is in ``transformer_compare``, the drawing in ``plotting``, and
the event handling (coalescing, the state box, closing) is the gradient explorer's own.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..compare import healthy_band
from ..transformer_compare import BlockComparison, BlockSettings
from ..transformer_probes import MODELS, TransformerProfile
from .controls import start_settings
from .gradient import GradientExplorer
from .layout import readout_html, state_html

__all__ = ["TransformerExplorer", "transformer_explorer"]

CONTROL_NAMES = tuple(BlockSettings.specs())
YLABEL = "||dL/dx||"


class TransformerExplorer(GradientExplorer):
    """Per-block ||dL/dx|| of a GPT stack with and without shortcuts, on the same weights, live.

    Build it with :func:`transformer_explorer`. As :class:`GradientExplorer`: ``controls``,
    ``plot``, ``state``, ``state_line``, ``state_input``, ``readout``, ``errors``, ``close()``;
    only the settings, the comparison and the readout differ.

    Introduced in notebook 05.
    """

    settings_class = BlockSettings
    comparison_class = BlockComparison
    live_controls = ("depth", "width", "context_length", "batch_size")
    compare_label = "show the other wiring faded"
    ylabel = YLABEL
    xlabel = "stream entering block (last: after the last block)"

    def _show(self, profiles: Mapping[str, TransformerProfile]) -> None:
        s = self.settings
        emphasis = MODELS[s.use_shortcut]
        values = {label: p.stream_grad_norm for label, p in profiles.items()}
        hidden = () if self.compare.value else tuple(k for k in values if k != emphasis)
        band = healthy_band(values[emphasis][-1])
        self.plot.update(values, emphasis=emphasis, hidden=hidden, band=band)
        self.plot.redraw()
        self.state_line.value = state_html(str(s))
        lines = [
            f"<b>{label}</b>: ||dL/dx|| entering block 1 / after the last "
            f"{p.stream_grad_norm[0] / p.stream_grad_norm[-1]:.2g}; stream RMS after the last / "
            f"entering block 1 {p.stream_rms[-1] / p.stream_rms[0]:.2g}; loss {p.loss:.3f}"
            for label, p in profiles.items()
        ]
        lines += self.plot.notes
        self.readout.value = readout_html(lines)


def transformer_explorer(state: str | None = None, **settings: object) -> TransformerExplorer:
    """A live plot of per-block ||dL/dx|| in a GPT block stack, plain against shortcut.

    Args:
        state: a state string to start from, e.g. ``"depth=24 norm=post"``.
        **settings: start values (fields of :class:`BlockSettings`); they win over ``state``.

    Returns:
        A :class:`TransformerExplorer` widget; display it, or make it the cell's last line.

    Raises:
        ValueError: a malformed state string (naming every bad part) or an impossible setting.

    Introduced in notebook 05.
    """
    start = start_settings(BlockSettings, state, settings, "transformer_explorer")
    return TransformerExplorer(start, CONTROL_NAMES, {})
