"""Helpers the exercise modules share: derivatives by autograd, seeded generators, and the
comparison of numbers and of lists of hidden states."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ._core import Case
from ._values import Failure, as_number, compare_tensors, describe, fmt


def slope(f: Callable, x: torch.Tensor) -> torch.Tensor:
    """f'(x) at every entry of x, by autograd (f acts entry by entry), in float64."""
    x = x.detach().to(torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x).sum(), x)
    return grad


def make_cases(*specs: tuple[str, Callable[[], tuple]]) -> list[Case]:
    """Cases from (description, make) pairs."""
    return [Case(words, make) for words, make in specs]


def seeded(seed: int) -> torch.Generator:
    """A fresh generator: the same numbers for the reference and for the learner's function."""
    return torch.Generator().manual_seed(seed)


def number_close(rtol: float, atol: float) -> Callable:
    """A ``compare`` for exercises whose answer is one number."""

    def compare(got, expected, args) -> str | None:
        value = as_number(got)
        if math.isclose(value, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(value) and math.isnan(expected)  # a known mistake's NaN, matched
        ):
            return None
        return f"it returned {fmt(value)}; expected {fmt(expected)}."

    return compare


def compare_states(got: object, expected: list[torch.Tensor], what: str) -> str | None:
    """A ``compare`` for a list of hidden states, one tensor per layer (or per block)."""
    if not isinstance(got, (list, tuple)):
        raise Failure(
            f"it returned {describe(got)}; expected a list of {len(expected)} tensors, {what}"
        )
    if len(got) != len(expected):
        raise Failure(f"it returned {_count(len(got), 'tensor')}; expected {len(expected)}, {what}")
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        where = lambda index, i=i: f"in tensor {i} of the list, {_position(index)}"  # noqa: E731
        problem = compare_tensors(g, e, where, what=f"tensor {i} of the list held")
        if problem is not None:
            return problem
    return None


def _position(index: tuple[int, ...]) -> str:
    # (batch, width) or (batch, tokens, emb_dim)
    names = ("row", "unit") if len(index) == 2 else ("sequence", "token", "feature")
    return "at " + ", ".join(f"{name} {i}" for name, i in zip(names, index, strict=True))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
