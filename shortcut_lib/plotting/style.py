"""One look for every figure: colour-blind-safe colours and labels shared by the plot modules."""

from __future__ import annotations

# Okabe and Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness, and in greyscale print.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

# Plain always vermillion, shortcut always blue, in every notebook.
MODEL_COLORS = {"plain": OKABE_ITO["vermillion"], "shortcut": OKABE_ITO["blue"]}
MODEL_MARKERS = {"plain": "o", "shortcut": "s"}

# Any other series takes the next colour of this cycle, which leaves out the two models'
# colours: a "baseline" next to "plain" must never be drawn in plain's vermillion.
CYCLE = [OKABE_ITO[k] for k in ("green", "orange", "purple", "sky_blue", "black", "yellow")]


def series_color(label: str, index: int) -> str:
    """The colour for a series: fixed for "plain" and "shortcut", else the index-th of the cycle."""
    return MODEL_COLORS.get(label, CYCLE[index % len(CYCLE)])


# The axis label of each GradientProfile series (shortcut_lib.probes.DIAGNOSTICS).
DIAGNOSTIC_LABELS = {
    "weight_grad_mean": "mean |dL/dW|",
    "weight_grad_norm": "||dL/dW||",
    "output_grad_norm": "||dL/dh||",
    "activation_rms": "RMS of h",
    "activation_spread": "spread of h across inputs",
}
