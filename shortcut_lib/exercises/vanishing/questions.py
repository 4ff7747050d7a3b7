"""Notebook 01, vanishing gradients: its predict-then-check questions, each correct answer a
measurement (``measured`` says which; tests/test_quiz.py measures it again)."""

from __future__ import annotations

import math

from ..questions import Band, Choice, Question

INF = math.inf

QUESTIONS = (
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
