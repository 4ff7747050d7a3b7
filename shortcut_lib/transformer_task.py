"""A token task generated in code (nothing is downloaded) that a GPT stack can only solve by
attending across positions, and that a few blocks learn on a CPU in seconds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import check_int

__all__ = ["TokenTask", "make_token_task"]


@dataclass(frozen=True)
class TokenTask:
    """Sequences that repeat a random pattern of ``period`` tokens: ``a b a b a b ...`` for
    period 2.

    The token after position ``i`` is the one ``period - 1`` places before it, so predicting it
    needs attention to an earlier position: a token alone says nothing about the next one (the
    pattern's tokens are drawn independently). Only the first ``period - 1`` targets, the rest
    of the pattern, cannot be predicted.

    Attributes:
        x: inputs, int64 of shape (n_sequences, context_length).
        y: next-token targets, shaped like ``x``: ``y[:, i]`` is the token after ``x[:, i]``.
        vocab_size: the number of token ids.
        period: the length of the repeated pattern.

    Introduced in notebook 05.
    """

    x: torch.Tensor
    y: torch.Tensor
    vocab_size: int
    period: int

    @property
    def context_length(self) -> int:
        """The number of tokens per input sequence."""
        return self.x.shape[1]

    @property
    def chance_loss(self) -> float:
        """ln(vocab_size): the cross-entropy of a uniform guess, where a model that learnt
        nothing (and a model that sees one token at a time) stays."""
        return math.log(self.vocab_size)

    @property
    def best_loss(self) -> float:
        """The lowest mean cross-entropy possible: chance at the first ``period - 1`` targets,
        0 elsewhere."""
        return self.chance_loss * (self.period - 1) / self.context_length

    def __len__(self) -> int:
        return self.x.shape[0]


def make_token_task(
    n_sequences: int = 512,
    context_length: int = 8,
    vocab_size: int = 16,
    *,
    period: int = 2,
    seed: int = 0,
) -> TokenTask:
    """Generate the repeated-pattern token task (see :class:`TokenTask`) in code.

    Args:
        n_sequences: the number of sequences (there are only ``vocab_size**period`` distinct).
        context_length: tokens per input sequence (> ``period``, so some target is predictable).
        vocab_size: the number of token ids (>= 2).
        period: the length of the repeated pattern (>= 2).
        seed: seeds each sequence's pattern; the global RNG is untouched.

    Returns:
        A :class:`TokenTask`.

    Introduced in notebook 05.
    """
    check_int("n_sequences", n_sequences, low=1, high=1_000_000)
    check_int("period", period, low=2, high=4096)
    check_int("context_length", context_length, low=2, high=4096)
    if context_length < period:
        raise ValueError(
            f"context_length ({context_length}) must be at least period ({period}): a shorter "
            "sequence never repeats its pattern, so no token could be predicted"
        )
    check_int("vocab_size", vocab_size, low=2, high=100_000)
    check_int("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    pattern = torch.randint(vocab_size, (n_sequences, period), generator=gen)
    repeats = -(-(context_length + 1) // period)  # ceil
    seq = pattern.repeat(1, repeats)[:, : context_length + 1]  # (n_sequences, context_length + 1)
    return TokenTask(
        x=seq[:, :-1].contiguous(), y=seq[:, 1:].contiguous(), vocab_size=vocab_size, period=period
    )
