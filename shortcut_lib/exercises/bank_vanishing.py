"""The predict-then-check questions of notebooks 01 (vanishing gradients) and 02 (activations).

Every correct answer is a measurement of the library, made over several seeds; ``measured`` says
which, and ``tests/test_quiz.py`` repeats it. A wrong option's ``why`` says what is wrong with the
thought that leads to it, not only that it is wrong.
"""

from __future__ import annotations

import math

from .questions import Band, Choice, Question

INF = math.inf

QUESTIONS_01 = (
    Question(
        id="01.a",
        prompt="The reader's layers are `nn.Sequential(nn.Linear(3, 3, GELU()))`. What does each "
        "of them compute?",
        choices=(
            Choice(
                "a Linear layer, then GELU",
                "that is what the line seems to say. But nn.Linear takes no activation: its "
                "third parameter is bias, so the GELU is passed as bias.",
            ),
            Choice(
                "a Linear layer with a bias, and no GELU at all",
                "the GELU object lands in the bias parameter. Python reads any object as true, "
                "so the layer gets a bias, and the GELU is never called. The next cells show "
                "the signature and count the activations: 0.",
                correct=True,
            ),
            Choice(
                "a Linear layer without a bias, then GELU",
                "the layer does keep its bias (an object counts as True), and no GELU runs.",
            ),
            Choice(
                "nothing: PyTorch raises an error",
                "no error: bias takes anything Python can read as true or false, and an "
                "object is true. That is why the bug went unnoticed.",
            ),
        ),
        measured="nn.Linear(3, 3, GELU()) has a bias and holds no GELU module",
    ),
    Question(
        id="01.b",
        prompt="Seed 123, one set of weights, the input [1, 0, -1]. With the shortcut switched "
        "on, how much more gradient (mean |dL/dW|) does the first layer get than without?",
        choices=(
            Choice(
                "about 2 times",
                "far too little: without shortcuts the first layer gets 25 times less than "
                "the last, and with them every layer's output reaches the loss directly.",
            ),
            Choice(
                "about 160 times, as in section 1",
                "section 1's 160 compared two different sets of weights. On one set, the "
                "number is another.",
            ),
            Choice(
                "about 1100 times",
                "0.222 against 0.000202: about 1100 times, the book's published figures. "
                "Section 5 shows how much this depends on the seed.",
                correct=True,
            ),
            Choice(
                "less: the shortcut takes gradient away",
                "not for seed 123, where it gives far more. Section 5 finds 3 seeds out of "
                "200 where it does give less.",
            ),
        ),
        measured="weight_gradient_means of DeepNetwork([3, 3, 3, 3, 3, 1], seed=123), shortcut "
        "off and on: 1099 times",
    ),
    Question(
        id="01.c",
        prompt="A plain GELU network of depth 50 and width 64. By how many orders of magnitude "
        "is ‖dL/dh‖ at layer 1 smaller than at layer 50? (3 would mean 1000 times smaller.)",
        answer=Band(
            24,
            29,
            "26 to 27 over five seeds (1e-27 to 9e-27). Each of the 49 layers shrinks "
            "the gradient by about 0.29, the RMS of its Jacobian's singular values, and "
            "0.29^49 is about 1e-26.",
        ),
        bands=(
            Band(
                -INF,
                0,
                "give the number of orders of magnitude as a positive number: 3 for "
                "1000 times smaller.",
            ),
            Band(
                0,
                5,
                "far too few: the gradient loses a factor at each of the 49 layers it "
                "crosses, and the factors multiply.",
            ),
            Band(
                5,
                18,
                "too few: each layer shrinks the gradient by about 0.29, and 0.29^49 is "
                "about 1e-26.",
            ),
            Band(
                18,
                24,
                "close, but too few. 0.39^50 = 3e-21 was one layer at a random point "
                "of RMS 1; inside the network the layers see pre-activations of RMS "
                "0.08, where GELU's slope is near 1/2: 0.29 per layer.",
            ),
            Band(
                29,
                36,
                "too many: the RMS of the singular values, about 0.29 per layer, "
                "predicts 5e-27 to 7e-27, and that is what is measured.",
            ),
            Band(
                36,
                INF,
                "that is what the geometric mean of the singular values predicts "
                "(0.17^49, about 2e-38): how the factors change a volume. A gradient is a "
                "vector, scaled by their RMS, 0.29 per layer.",
            ),
        ),
        unit="orders of magnitude",
        measured="gradient_profile of DeepNetwork([64] * 51, 'gelu', seed=s): -log10 of "
        "output_grad_norm[0] / output_grad_norm[-1] is 26.0 to 27.0 for seeds 0-9",
    ),
    Question(
        id="01.d",
        prompt="The same 50 layers with shortcuts, on the same weights. Each factor is now "
        "I + J, whose singular values have a geometric mean of 1.00. What does ‖dL/dh‖ at "
        "layer 1 do, against layer 50?",
        choices=(
            Choice(
                "it still vanishes, to about 1e-27",
                "the identity passes the gradient past every layer unchanged, whatever J "
                "does: it cannot vanish like the plain network's.",
            ),
            Choice(
                "it stays about the same: I + J keeps it at 1",
                "the geometric mean is about volumes again. A typical vector is stretched a "
                "little by each I + J, and 49 such factors multiply.",
            ),
            Choice(
                "it grows about 40 times, as 1.08^49 predicts",
                "that is what the RMS singular value, 1.08, predicts for independent random "
                "factors. These are not independent: the stream grows along its own direction, "
                "each I + J stretches that direction most, and the gradient follows it: 1.26 "
                "per layer, 6e4 to 1e5 in all.",
            ),
            Choice(
                "it grows, about 1e5 times",
                "6e4 to 1e5 times over five seeds, about 1.26 per layer. The identity keeps "
                "the gradient from vanishing, but a product of I + J factors grows.",
                correct=True,
            ),
        ),
        measured="the same networks with use_shortcut=True: output_grad_norm first / last is "
        "6e4 to 1.3e5 for seeds 0-9",
    ),
)

QUESTIONS_02 = (
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
