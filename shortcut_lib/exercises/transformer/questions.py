"""Notebook 05, the GPT block: its predict-then-check questions, each correct answer a
measurement (``measured`` says which; tests/test_quiz.py measures it again)."""

from __future__ import annotations

from ..questions import Choice, Question

QUESTIONS = (
    Question(
        id="05.a",
        prompt="Without shortcuts, 48 GPT blocks of width 64 with GPT-2's init, each with its own "
        "LayerNorms. What does block 1 receive in ‖dL/dh‖, against the last block?",
        choices=(
            Choice(
                "about the same: each LayerNorm rescales the signal",
                "LayerNorm divides by sqrt(var + eps), and at this width each plain block's "
                "output is so small (RMS about 0.001 after block 1, a variance of about 1e-6) "
                "that eps = 1e-5 dominates: it scales the stream up by far less than it would "
                "need. At width 128 it no longer dominates, and the collapse is gone (section 6).",
            ),
            Choice(
                "a fraction, 0.2 to 0.7, as at 12 blocks",
                "at 12 blocks the stream drops once, at block 1, and holds; at 48 the blocks' "
                "outputs are small enough for eps to matter, every block costs a factor, and "
                "the 48 factors multiply.",
            ),
            Choice(
                "less than a millionth",
                "2e-10 to 4e-9 over ten seeds: about nine orders of magnitude, a straight line "
                "on the log plot. It is LayerNorm's eps: with eps = 1e-12 and nothing else "
                "changed, block 1 gets 0.03 to 0.54 of the last block's.",
                correct=True,
            ),
            Choice(
                "more: LayerNorm amplifies a small stream",
                "it would have to scale by about 1/0.001; with eps = 1e-5 under the root it "
                "cannot. Where the blocks' outputs are larger it can: at the book's width of "
                "768, 12 plain blocks give block 1 6 to 10 times the last block's (section 6).",
            ),
        ),
        measured="compare_transformer of GPTModel(48, emb_dim=64, n_heads=4, context_length=16, "
        "vocab_size=16, seed=s) on make_token_task(8, 16, 16, seed=s): plain stream_grad_norm "
        "first / last 2e-10 to 4.4e-9 for seeds 0-9; with every LayerNorm's eps at 1e-12, 0.03 "
        "to 0.54",
    ),
    Question(
        id="05.b",
        prompt="At initialization (GPT-2's init, 12 blocks of width 64), post-norm puts a "
        "LayerNorm on the gradient's path after every sub-layer: 24 of them. How does its "
        "‖dL/dh‖ look across the blocks?",
        choices=(
            Choice(
                "it vanishes towards block 1",
                "at init each branch's output is tiny against a post-norm stream of RMS 1, so "
                "every LayerNorm is close to the identity, and 24 of them multiply to about 1.",
            ),
            Choice(
                "it explodes towards block 1",
                "a LayerNorm scales the gradient by about 1/sigma of its input, and at init "
                "sigma is about 1 at every sub-layer.",
            ),
            Choice(
                "flat across the blocks, like pre-norm",
                "within 0.3% across the blocks for each of ten seeds (only the embedding, "
                "before the first LayerNorm, gets more, about 35 times). Post-norm's trouble "
                "comes with training: section 5 watches it step by step.",
                correct=True,
            ),
        ),
        measured="compare_transformer(..., vary='norm')['post'].stream_grad_norm[1:] within "
        "0.3% of each other for seeds 0-9 (width 64, context 16, 8 sequences)",
    ),
    Question(
        id="05.c",
        prompt="48 pre-norm blocks of width 64 with shortcuts, every weight drawn with std 0.02 "
        "(no scaled init). How much does the stream's RMS grow, from block 1's input to the "
        "last block's output?",
        choices=(
            Choice(
                "about 1.3 times, as with the scaled init",
                "with the scaled init the 96 branches together add about as much as one; "
                "without it each adds its full share.",
            ),
            Choice(
                "about 8 times",
                "7.5 to 9.1 times over ten seeds, and about 4 times at 12 blocks: the stream's "
                "variance grows in proportion to the depth.",
                correct=True,
            ),
            Choice(
                "about 100 times",
                "the branches' outputs are small and mostly independent: their variances add, "
                "so the RMS grows like the square root of the depth.",
            ),
            Choice(
                "about 1e10, like notebook 03's deep GELU stack",
                "that stack had no normalization: its branches grew with their input. Here "
                "every branch reads a normalized input and adds a bounded amount.",
            ),
        ),
        measured="compare_transformer of GPTModel(48, emb_dim=64, ..., scaled_init=False, "
        "seed=s): shortcut stream_rms last / first 7.5 to 9.1 for seeds 0-9",
    ),
)
