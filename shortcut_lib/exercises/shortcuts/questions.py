"""Notebook 03, shortcut connections: its predict-then-check questions, each correct answer a
measurement (``measured`` says which; tests/test_quiz.py measures it again)."""

from __future__ import annotations

import math

from ..questions import Band, Choice, Question

INF = math.inf

QUESTIONS = (
    Question(
        id="03.a",
        prompt="Without shortcuts, a sigmoid network of depth 50 loses more than 40 orders of "
        "magnitude. With shortcuts, on the same weights: what does layer 1 receive in ‖dL/dh‖, "
        "against layer 50?",
        choices=(
            Choice(
                "less than 1e-40 too",
                "the identity in I + J passes the gradient past every layer, however small J is.",
            ),
            Choice(
                "about 1e-3: shortcuts soften the loss",
                "softening would need factors below 1 at every layer; I + J with sigmoid's "
                "small J is close to I.",
            ),
            Choice(
                "about the same, 1 to 1.2 times",
                "1.1 to 1.2 times for every seed: level. Sigmoid's slope is at most 1/4, so "
                "J is small and I + J is close to I.",
                correct=True,
            ),
            Choice(
                "about 1e5 times more, as GELU's in notebook 01",
                "that was GELU, whose stream grows; with sigmoid's small J the product of "
                "I + J stays close to I.",
            ),
        ),
        measured="compare_shortcut('depth=50 width=64 activation=sigmoid', seed=s)['shortcut']: "
        "output_grad_norm first / last 1.07 to 1.17 for seeds 0-7",
    ),
    Question(
        id="03.b",
        prompt="GELU at depth 100, with shortcuts and no normalization. What does ‖dL/dh‖ do, "
        "from the last layer back to the first?",
        choices=(
            Choice("vanishes, like the plain network", "the identity path cannot vanish."),
            Choice(
                "stays level: shortcuts fixed it",
                "notebook 01 measured about 1.26 per layer at depth 50; 99 such factors multiply.",
            ),
            Choice(
                "grows about 1e10-fold",
                "5e9 to 1e10 times for every seed, and the stream's RMS grows about as much. "
                "Shortcuts turned the profile upside down, not flat.",
                correct=True,
            ),
            Choice(
                "overflows to NaN",
                "not yet at depth 100, where weight gradients reach about 1e17; at depth "
                "200 they do.",
            ),
        ),
        measured="compare_shortcut('depth=100 width=64 activation=gelu', seed=s)['shortcut']: "
        "output_grad_norm first / last 4.6e9 to 9.7e9 for seeds 0-7",
    ),
    Question(
        id="03.c",
        prompt="Now put a LayerNorm before each layer's transform (`norm=layernorm`, pre-norm), "
        "same depth 100. Which of the two signals still grows with depth?",
        choices=(
            Choice(
                "‖dL/dh‖, still 1e10-fold",
                "each branch now works on a unit-scale input, so its J stays small next to "
                "I: ‖dL/dh‖ first / last is 4 to 5.",
            ),
            Choice(
                "neither: both are level",
                "the stream still grows: nothing normalizes the sum of the branches.",
            ),
            Choice(
                "the RMS of h (about 12-fold); ‖dL/dh‖ is steady",
                "pre-norm normalizes what enters each branch, never the stream itself: "
                "every branch adds a unit-scale output, and 100 of them add up to an RMS of "
                "about 12. A final LayerNorm or a 1/sqrt(depth) branch scale deal with it.",
                correct=True,
            ),
            Choice(
                "both still grow 1e10-fold",
                "LayerNorm tames both: the backward signal is within 5x, the stream's RMS "
                "about 12.",
            ),
        ),
        measured="the same with norm=layernorm: output_grad_norm first / last 3.8 to 5.9, "
        "activation_rms[-1] / input_rms 11 to 13 for seeds 0-7",
    ),
    Question(
        id="03.d",
        prompt="A plain ReLU network of depth 50 with Kaiming init keeps ‖dL/dh‖ level. Multiply "
        "every weight by 1.5 (`gain=1.5`): by how many orders of magnitude will layer 1's "
        "‖dL/dh‖ exceed layer 50's?",
        answer=Band(
            7.5,
            10.5,
            "about 9 (5e8 to 2e9 over five seeds). Each layer multiplies the backward "
            "signal by about 1.5 more than before: 1.5^49 = 4e8.",
        ),
        bands=(
            Band(
                -INF,
                0.5,
                "at gain 1 it is level, but a gain multiplies every layer's factor: "
                "by 1.5, 49 times over.",
            ),
            Band(0.5, 4, "too few: 1.5 per layer over 49 layers is 1.5^49 = 4e8."),
            Band(4, 7.5, "close: work it out as 49 × log10(1.5) = 8.6."),
            Band(10.5, 14, "a few too many: 49 × log10(1.5) = 8.6; measured 8.7 to 9.5."),
            Band(
                14,
                INF,
                "too many: the gain multiplies the backward factor by 1.5 per layer, "
                "not by 1.5² (forward and backward growth meet only in a weight "
                "gradient).",
            ),
        ),
        unit="orders of magnitude",
        measured="compare_shortcut('depth=50 width=64 activation=relu init=kaiming gain=1.5', "
        "seed=s)['plain']: log10 output_grad_norm first / last 8.7 to 9.5 for seeds 0-7",
    ),
)
