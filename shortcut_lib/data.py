"""Small synthetic tasks, generated in code from a seed: nothing is downloaded.

Two tasks are enough to watch a deep MLP learn or fail to: two interleaved spirals (2-D points, two
classes), which no straight line separates, and a wiggly 1-D curve to fit. A GPT stack gets a token
task that it can only solve by attending across positions, and that a few blocks learn on a CPU in
seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import (
    MAX_ELEMENTS,
    check_choice,
    check_float,
    check_int,
    check_seed,
    check_tensor,
)
from .models.block import MAX_WIDTH

__all__ = [
    "TASKS",
    "Task",
    "TokenTask",
    "make_regression",
    "make_spirals",
    "make_task",
    "make_token_task",
]

TASKS = ("spirals", "regression")
KINDS = ("classification", "regression")
MAX_EXAMPLES = 10**6  # 8 MB of inputs: far more than a notebook needs, far less than a kernel has
MAX_VOCABULARY = 100_000


@dataclass(frozen=True)
class Task:
    """A data set with what a training loop needs to know about it.

    Attributes:
        name: ``"spirals"`` or ``"regression"``.
        kind: ``"classification"`` (one logit per example, binary cross-entropy loss) or
            ``"regression"`` (one number per example, mean squared error).
        x: inputs, shape (n, in_features).
        y: targets, shape (n, 1): class labels 0.0 / 1.0, or the values to fit.

    Both are checked when the task is made (finite real numbers, on a real device, at most
    1,000,000 rows and 4,096 features) and kept in torch's default dtype, float32.

    Introduced in notebook 04.
    """

    name: str
    kind: str
    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        check_choice("Task.name", self.name, TASKS)
        check_choice("kind", self.kind, KINDS)
        for field in ("x", "y"):
            value = check_tensor(f"Task.{field}", getattr(self, field), "a 2-D float tensor")
            if value.ndim != 2 or not value.is_floating_point():
                raise TypeError(
                    f"Task.{field} must be a 2-D float tensor (examples, features); got "
                    f"{type(value).__name__}{tuple(value.shape)} of dtype {value.dtype}"
                )
            if not torch.isfinite(value).all():
                raise ValueError(f"Task.{field} holds NaN or inf; every value must be finite")
            # The models train in the default dtype (float32): meet them there.
            object.__setattr__(self, field, value.detach().to(torch.get_default_dtype()))
        x, y = self.x, self.y
        if len(x) != len(y) or len(x) == 0 or y.shape[1] != 1:
            raise ValueError(
                f"Task.x and Task.y must have the same number (>= 1) of rows and y one column; "
                f"got x {tuple(x.shape)} and y {tuple(y.shape)}"
            )
        check_int("Task.x's number of features", x.shape[1], low=1, high=MAX_WIDTH)
        check_int("Task.x's number of rows", x.shape[0], low=1, high=MAX_EXAMPLES)
        if self.kind == "classification" and not ((y == 0) | (y == 1)).all():
            raise ValueError(
                "Task.y of a classification holds class labels, 0.0 or 1.0; got other values "
                f"(from {y.min().item():g} to {y.max().item():g})"
            )

    @property
    def in_features(self) -> int:
        """The number of input features (2 for the spirals, 1 for the regression)."""
        return self.x.shape[1]

    @property
    def out_features(self) -> int:
        """The number of outputs a model must produce (always 1 here)."""
        return self.y.shape[1]

    def __len__(self) -> int:
        return self.x.shape[0]


def make_spirals(n: int = 256, *, turns: float = 1.25, noise: float = 0.05, seed: int = 0) -> Task:
    """Two interleaved spirals in the square [-1, 1]^2, one per class.

    Args:
        n: the number of points, half of them in each class (an even number >= 2).
        turns: how many times each spiral winds around the centre; more is harder.
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: seeds the noise and the positions along the spirals; the global RNG is untouched.

    Returns:
        A :class:`Task` with ``x`` of shape (n, 2) and labels ``y`` of shape (n, 1).

    Introduced in notebook 04.
    """
    check_int("n", n, low=2, high=MAX_EXAMPLES)
    if n % 2:
        raise ValueError(f"n must be even (half the points in each class); got {n}")
    turns = check_float("turns", turns, low=0.1, high=10.0)
    noise = check_float("noise", noise, low=0.0, high=10.0)
    check_seed("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    half = n // 2
    # sqrt spreads the points evenly along the arc instead of crowding the centre.
    r = torch.rand(half, generator=gen).sqrt()  # (half,) radius in [0, 1)
    angle = r * turns * 2 * math.pi
    arm = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)  # (half, 2)
    x = torch.cat([arm, -arm]) + noise * torch.randn(n, 2, generator=gen)  # second arm: rotated pi
    y = torch.cat([torch.zeros(half, 1), torch.ones(half, 1)])
    return Task(name="spirals", kind="classification", x=x, y=y)


def make_regression(n: int = 256, *, noise: float = 0.05, seed: int = 0) -> Task:
    """A wiggly curve to fit: ``y = sin(3 pi x / 2) + x / 2`` plus noise, for ``x`` in [-1, 1].

    Args:
        n: the number of points (>= 2).
        noise: standard deviation of the Gaussian noise added to each target.
        seed: seeds the inputs and the noise; the global RNG is untouched.

    Returns:
        A :class:`Task` with ``x`` and ``y`` both of shape (n, 1), sorted by ``x``.

    Introduced in notebook 04.
    """
    check_int("n", n, low=2, high=MAX_EXAMPLES)
    noise = check_float("noise", noise, low=0.0, high=10.0)
    check_seed("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, generator=gen) * 2 - 1).sort(dim=0).values  # (n, 1), sorted for plotting
    y = torch.sin(1.5 * math.pi * x) + 0.5 * x + noise * torch.randn(n, 1, generator=gen)
    return Task(name="regression", kind="regression", x=x, y=y)


def make_task(name: str, n: int = 256, *, seed: int = 0) -> Task:
    """A task by name, with its default difficulty.

    Args:
        name: ``"spirals"`` or ``"regression"``.
        n: the number of examples.
        seed: seeds the data; the global RNG is untouched.

    Returns:
        The :class:`Task`.

    Introduced in notebook 04.
    """
    check_choice("task", name, TASKS)
    return make_spirals(n, seed=seed) if name == "spirals" else make_regression(n, seed=seed)


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
        vocab_size: the number of token ids (x and y hold ids 0 to ``vocab_size - 1``).
        period: the length of the repeated pattern (2 to ``context_length``).

    Introduced in notebook 05.
    """

    x: torch.Tensor
    y: torch.Tensor
    vocab_size: int
    period: int

    def __post_init__(self) -> None:
        check_int("TokenTask.vocab_size", self.vocab_size, low=2, high=MAX_VOCABULARY)
        for field in ("x", "y"):
            ids = check_tensor(f"TokenTask.{field}", getattr(self, field), "a tensor of token ids")
            if (
                ids.dtype == torch.bool
                or ids.is_floating_point()
                or ids.ndim != 2
                or not all(ids.shape)
            ):
                raise TypeError(
                    f"TokenTask.{field} must be a 2-D tensor of integer token ids (sequences, "
                    f"tokens), both >= 1; got shape {tuple(ids.shape)} of dtype {ids.dtype}"
                )
            low, high = torch.stack(torch.aminmax(ids)).tolist()
            if low < 0 or high >= self.vocab_size:
                raise ValueError(
                    f"TokenTask.{field} holds token ids from {low} to {high}; the vocabulary has "
                    f"ids 0 to {self.vocab_size - 1} (vocab_size={self.vocab_size})"
                )
        if self.x.shape != self.y.shape:
            raise ValueError(
                "TokenTask.y must have the shape of x, one target per token; got x "
                f"{tuple(self.x.shape)} and y {tuple(self.y.shape)}"
            )
        check_int("TokenTask.period", self.period, low=2, high=self.context_length)

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
    check_int("vocab_size", vocab_size, low=2, high=MAX_VOCABULARY)
    check_seed("seed", seed)
    _check_task_size(n_sequences, context_length)
    gen = torch.Generator().manual_seed(seed)
    pattern = torch.randint(vocab_size, (n_sequences, period), generator=gen)
    repeats = -(-(context_length + 1) // period)  # ceil
    seq = pattern.repeat(1, repeats)[:, : context_length + 1]  # (n_sequences, context_length + 1)
    return TokenTask(
        x=seq[:, :-1].contiguous(), y=seq[:, 1:].contiguous(), vocab_size=vocab_size, period=period
    )


def _check_task_size(n_sequences: int, context_length: int) -> None:
    ids = n_sequences * (context_length + 1)
    if ids > MAX_ELEMENTS:
        raise ValueError(
            f"make_token_task would draw {ids:,} token ids ({n_sequences:,} sequences of "
            f"{context_length + 1}), about {24 * ids / 1e6:,.0f} MB to make, more than the "
            f"{MAX_ELEMENTS:,} ids a task may hold; lower n_sequences or context_length"
        )
