"""The predict-then-check questions of notebooks 04 (training) and 05 (the GPT block), as data.

As in :mod:`~shortcut_lib.exercises.bank_vanishing`, every correct answer is a measurement of the
library over several seeds, and ``measured`` says which.
"""

from __future__ import annotations

from .questions import Choice, Question

QUESTIONS_04 = (
    Question(
        id="04.a",
        prompt="Depth 20, sigmoid, Adam at learning rate 0.01, 300 steps of 64 points. Where "
        "does the plain model's loss end? (Chance is ln 2 = 0.693.)",
        choices=(
            Choice(
                "below 0.1: Adam rescales every gradient",
                "Adam divides by each gradient's running size, but its eps = 1e-8 sets a "
                "floor: gradients far below it give steps that round away (section 4).",
            ),
            Choice(
                "about 0.3, like the shortcut model",
                "the shortcut model gets there (0.17 to 0.30 over four seeds); the plain one "
                "does not move from chance.",
            ),
            Choice(
                "at chance, 0.693",
                "0.693 to 0.694 for every seed: at every step its first layer gets less "
                "than 1e-12 of the last layer's gradient, so its early layers never learn, "
                "and the rest cannot bend around the spirals alone.",
                correct=True,
            ),
            Choice(
                "NaN: training diverges",
                "nothing diverges: the plain model's gradients are tiny, not huge.",
            ),
        ),
        measured="train(seed=s)['plain'].final_loss within 0.01 of ln 2 for seeds 0-3",
    ),
    Question(
        id="04.b",
        prompt="Adam rescales each gradient by its running size. How much do the plain model's "
        "first hidden layer's weights change per step (its update ratio ‖ΔW‖ / ‖W‖)?",
        choices=(
            Choice(
                "exactly 0, at every step",
                "0 at all 300 steps for every seed tried: its weights never change, nor do "
                "those of the input layer. The plain network trains like a shallow one on "
                "frozen random features.",
                correct=True,
            ),
            Choice(
                "about 1e-3, like any layer under Adam",
                "Adam's rescaling has a floor, eps = 1e-8: a gradient of about 1e-20 gives a "
                "step of about 1e-14, far below what float32 can add to a weight of 0.1.",
            ),
            Choice(
                "more than 0.1: Adam's steps are large for every layer",
                "Adam's step, lr × g / (sqrt(v) + eps), is about lr only when |g| is well "
                "above eps = 1e-8.",
            ),
            Choice(
                "it cannot be measured: the weights become NaN",
                "nothing overflows; the weights just stay where they were.",
            ),
        ),
        measured="train(seed=s)['plain'].update_ratio of layer '1' is 0 at every step for "
        "seeds 0-3",
    ),
    Question(
        id="04.c",
        prompt="Ten times the learning rate, 0.1 instead of 0.01. Does the plain model learn now?",
        choices=(
            Choice(
                "yes: it gets below 0.5",
                "Adam's step for the early layers is about lr × g / eps = 0.1 × 7e-21 / 1e-8 "
                "= 7e-14: still nothing next to float32's steps of about 7e-9 at 0.1.",
            ),
            Choice(
                "it diverges to NaN",
                "its later layers move faster, but the loss stays at chance: the early "
                "layers still do not move.",
            ),
            Choice(
                "no: it stays at chance, 0.693",
                "0.693 to 0.694 again. A larger learning rate speeds up a network that can "
                "learn; it does not bring the gradient to layers it does not reach. The "
                "shortcut model, meanwhile, gets further than at 0.01.",
                correct=True,
            ),
        ),
        measured="train(seed=s, lr=0.1)['plain'].final_loss within 0.01 of ln 2 for seeds 0-3",
    ),
)

QUESTIONS_05 = (
    Question(
        id="05.a",
        prompt="Without shortcuts, 48 GPT blocks, each with its own LayerNorms. What does block "
        "1 receive in ‖dL/dx‖, against the last block?",
        choices=(
            Choice(
                "about the same: each LayerNorm rescales the signal",
                "LayerNorm divides by sqrt(var + eps), and the plain stream is so small (RMS "
                "about 0.003) that eps = 1e-5 dominates: it scales the stream up by far less "
                "than it would need.",
            ),
            Choice(
                "about a quarter, as at 12 blocks",
                "every block costs a factor, and the factors multiply: 48 blocks lose far "
                "more than 12.",
            ),
            Choice(
                "less than a millionth",
                "6e-11 to 1e-9 over five seeds: about nine orders of magnitude, a straight "
                "line on the log plot.",
                correct=True,
            ),
            Choice(
                "more: LayerNorm amplifies a small stream",
                "it would have to scale by about 1/0.003; with eps = 1e-5 under the root it "
                "cannot.",
            ),
        ),
        measured="compare_transformer of GPTModel(48, emb_dim=64, n_heads=4, context_length=32, "
        "vocab_size=16, seed=s) on make_token_task(8, 32, 16, seed=s): plain stream_grad_norm "
        "first / last 6e-11 to 1.2e-9 for seeds 0-4",
    ),
    Question(
        id="05.b",
        prompt="At initialization (GPT-2's init, 12 blocks), post-norm puts a LayerNorm on the "
        "gradient's path after every sub-layer: 24 of them. How does its ‖dL/dx‖ look across "
        "the blocks?",
        choices=(
            Choice(
                "it vanishes towards block 1",
                "at init each branch adds only about 2% to a stream of RMS 1, so every "
                "LayerNorm is close to the identity, and 24 of them multiply to about 1.",
            ),
            Choice(
                "it explodes towards block 1",
                "a LayerNorm scales the gradient by about 1/sigma of its input, and at init "
                "sigma is about 1 at every sub-layer.",
            ),
            Choice(
                "flat across the blocks, like pre-norm",
                "within 1% across the blocks for every seed (only the embedding, before the "
                "first LayerNorm, gets more). Post-norm's trouble comes with training: the "
                "next section takes ten Adam steps.",
                correct=True,
            ),
        ),
        measured="compare_transformer(..., vary='norm')['post'].stream_grad_norm[1:] within "
        "0.2% of each other for seeds 0-4",
    ),
    Question(
        id="05.c",
        prompt="48 pre-norm blocks with shortcuts, every weight drawn with std 0.02 (no scaled "
        "init). How much does the stream's RMS grow, from block 1's input to the last block's "
        "output?",
        choices=(
            Choice(
                "about 1.2 times, as with the scaled init",
                "with the scaled init the 96 branches together add about as much as one; "
                "without it each adds its full share.",
            ),
            Choice(
                "about 8 times",
                "7.8 to 8.7 times over five seeds, and about 4 times at 12 blocks: the "
                "stream's variance grows in proportion to the depth.",
                correct=True,
            ),
            Choice(
                "about 100 times",
                "the branches' outputs are small and mostly independent: their variances "
                "add, so the RMS grows like the square root of the depth.",
            ),
            Choice(
                "about 1e10, like notebook 03's deep GELU stack",
                "that stack had no normalization: its branches grew with their input. Here "
                "every branch reads a normalized input and adds a bounded amount.",
            ),
        ),
        measured="compare_transformer of GPTModel(48, ..., scaled_init=False, seed=s): "
        "shortcut stream_rms last / first 7.8 to 8.7 for seeds 0-4",
    ),
)
