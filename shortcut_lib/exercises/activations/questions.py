"""Notebook 02, activation functions: its predict-then-check questions, each correct answer a
measurement (``measured`` says which; tests/test_quiz.py measures it again)."""

from __future__ import annotations

from ..questions import Choice, Question

QUESTIONS = (
    Question(
        id="02.a",
        prompt="Which activation's slope f'(x) reaches the largest value, anywhere?",
        choices=(
            Choice("sigmoid", "sigmoid's slope peaks at 1/4, at x = 0: the lowest ceiling of all."),
            Choice("tanh", "tanh's slope peaks at exactly 1, at x = 0, and falls fast."),
            Choice("relu", "ReLU's slope is 0 or 1, never more."),
            Choice(
                "gelu",
                "GELU's slope rises above 1: 1.129 at x = 1.418, where x Phi(x) "
                "grows faster than x.",
                correct=True,
            ),
        ),
        measured="activation_derivative on a grid from -6 to 6: gelu 1.129, tanh 1, relu 1, "
        "sigmoid 0.25",
    ),
    Question(
        id="02.b",
        prompt="A plain sigmoid network of 50 layers (width 64, PyTorch's default init). By "
        "how many orders of magnitude is the first layer's gradient (mean |dL/dW|) smaller "
        "than the last layer's?",
        choices=(
            Choice(
                "about 1",
                "every sigmoid layer multiplies the gradient by its slope, at most "
                "1/4, and there are 49 of them between the last layer and the first.",
            ),
            Choice("about 5", "0.25^49 alone is 3e-30, and that is sigmoid's best case."),
            Choice(
                "about 20",
                "0.25^49 alone is 3e-30, and the weights take another factor of "
                "about 0.58 per layer.",
            ),
            Choice(
                "40 or more",
                "below 1e-40 for every seed: out of float32's normal range, "
                "where some entries round to exactly 0. The estimate "
                "(0.245 / sqrt(3))^49 is 2e-42.",
                correct=True,
            ),
        ),
        measured="compare_shortcut(depth=50, activation='sigmoid', seed=s)['plain']: "
        "weight_grad_mean first / last below 1e-40 (often exactly 0) for seeds 0-7",
    ),
    Question(
        id="02.c",
        prompt="GELU has the largest slope of all. At depth 50, where does the plain GELU "
        "network rank among identity, relu, tanh, sigmoid and gelu, by how much gradient its "
        "first layer keeps?",
        choices=(
            Choice(
                "best of the five",
                "1.13 is a ceiling, reached only at x = 1.42; these "
                "networks' pre-activations sit near 0.",
            ),
            Choice(
                "in the middle", "it keeps less than ReLU (about 3e-19) and tanh (about 2e-12)."
            ),
            Choice(
                "second worst, after sigmoid",
                "about 3e-26, between sigmoid (below 1e-40) and ReLU (about 3e-19). The "
                "pre-activations sit near 0, where GELU's slope is 1/2: section 5 measures "
                "it.",
                correct=True,
            ),
            Choice("worst", "sigmoid is worse: its slope near 0 is 1/4, GELU's 1/2."),
        ),
        measured="weight_grad_mean first / last at depth 50: sigmoid < gelu < relu < tanh for "
        "seeds 0-7",
    ),
    Question(
        id="02.d",
        prompt="Xavier init with every weight multiplied by 12 (gain 12), sigmoid, depth 50. "
        "What does the first layer's ‖dL/dh‖ do, against the last layer's?",
        choices=(
            Choice(
                "still vanishing, below 1e-10: the 1/4 caps every layer",
                "the 1/4 caps the slope, but nothing caps the weights: the factor per layer "
                "is about gain × slope in use, and it passes 1 near gain 10.",
            ),
            Choice(
                "roughly level, within a factor of about 100",
                "0.7 to 30 times over five seeds: no vanishing. The price: more than half of "
                "all units sit in sigmoid's flat tails, where they pass almost nothing back.",
                correct=True,
            ),
            Choice(
                "exploding, beyond 1e10",
                "not at gain 12; from about 16 on the ratio passes 1e3 and keeps growing.",
            ),
            Choice(
                "NaN: the weights overflow",
                "weights 12 times larger are large for a sigmoid, but far from float32's limits.",
            ),
        ),
        measured="gradient_profile of DeepNetwork([64] * 51, 'sigmoid', seed=s, init='xavier', "
        "gain=12): output_grad_norm first / last 0.7 to 32 for seeds 0-4",
    ),
)
