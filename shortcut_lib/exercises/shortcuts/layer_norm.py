"""Exercise 03.4: LayerNorm written out."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._core import Exercise, Mistake
from .._support import make_cases, seeded
from .._values import compare_tensors


def _norm_variant(h, eps=1e-5, *, correction=0, dim=-1, centre=True, one_pass=False, inside=True):
    mean = h.mean(dim=dim, keepdim=True) if centre else torch.zeros_like(h)
    if one_pass:
        var = h.pow(2).mean(dim=dim, keepdim=True) - mean.pow(2)
    else:
        var = (h - mean).pow(2).sum(dim=dim, keepdim=True) / (h.shape[dim] - correction)
    scale = torch.sqrt(var + eps) if inside else torch.sqrt(var) + eps
    return (h - mean) / scale


def _norm_starter(h, eps=1e-5):
    mean = h.mean(dim=-1, keepdim=True)  # each row's mean over its features
    return h - mean  # YOUR CODE: divide by sqrt(variance + eps)


def _norm_solution(h, eps=1e-5):
    mean = h.mean(dim=-1, keepdim=True)  # over the features of each example (and token)
    var = (h - mean).pow(2).mean(dim=-1, keepdim=True)  # divided by n, not n - 1
    return (h - mean) / torch.sqrt(var + eps)  # eps inside the root: finite for a constant row


LAYER_NORM = Exercise(
    id="03.4",
    name="layer_norm(h, eps=1e-5)",
    task="must return h normalized over its last dimension, (h - mean) / sqrt(var + eps), with "
    "the variance divided by n: torch's LayerNorm without its scale and shift.",
    cases=lambda: make_cases(
        (
            "h of shape (8, 16), random rows",
            lambda: (2 * torch.randn(8, 16, generator=seeded(1)) + 1,),
        ),
        (
            "h of shape (2, 5, 12), (batch, tokens, features)",
            lambda: (torch.randn(2, 5, 12, generator=seeded(2)),),
        ),
        (
            "h of shape (4, 16), rows whose entries differ by about 0.001",
            lambda: (3 + 1e-3 * torch.randn(4, 16, generator=seeded(3)),),
        ),
        ("h of shape (3, 16) whose middle row is constant", lambda: (_with_constant_row(),)),
        (
            "h of shape (4, 16), rows around 1000",
            lambda: (1000 + torch.randn(4, 16, generator=seeded(5)),),
        ),
        (
            "h of shape (4, 8) with eps = 1e-3 passed",
            lambda: (0.01 * torch.randn(4, 8, generator=seeded(6)), 1e-3),
        ),
    ),
    reference=lambda h, eps=1e-5: F.layer_norm(h.double(), (h.shape[-1],), eps=eps),
    compare=lambda got, expected, args: compare_tensors(
        got, expected, lambda i: f"at index {list(i)}", rtol=1e-3, atol=1e-3
    ),
    hint="mean and variance over dim=-1 with keepdim=True, so that they broadcast against h.",
    tested="(torch.nn.functional.layer_norm in float64) on random rows, 3-D input, rows with "
    "a tiny spread, a constant row, rows around 1000 and a given eps",
    starter=_norm_starter,
    solution=_norm_solution,
    mistakes=(
        Mistake(
            lambda h, *e: _norm_variant(h, *e, correction=1),
            "the variance is divided by n - 1 (torch.var's default). LayerNorm divides by "
            "n: h.var(dim=-1, correction=0), or the mean of the squared deviations.",
        ),
        Mistake(
            lambda h, *e: _norm_variant(h, *e, inside=False),
            "eps is added outside the root, sqrt(var) + eps. LayerNorm uses sqrt(var + eps): "
            "for rows that barely vary (variance near eps) the two differ a lot.",
        ),
        Mistake(
            lambda h, *e: _norm_variant(h, *e, dim=0),
            "it normalizes each feature over the batch: that is BatchNorm. LayerNorm "
            "normalizes each example over its own features, the last dimension.",
        ),
        Mistake(
            lambda h, *e: _norm_variant(h, *e, centre=False),
            "it does not subtract the mean: that is RMSNorm (as in Llama), not LayerNorm.",
        ),
        Mistake(
            lambda h, *e: _norm_variant(h, *e, one_pass=True),
            "mean(h^2) - mean(h)^2 cancels: for rows around 1000 both terms are about 1e6, "
            "and float32 keeps 7 digits, so a variance of about 1 loses most of them. "
            "Subtract the mean first, then square.",
        ),
        Mistake(
            lambda h, *e: h - h.mean(dim=-1, keepdim=True),
            "it subtracts the mean but does not divide by sqrt(var + eps): each row's entries "
            "must end with variance 1.",
        ),
        Mistake(
            lambda h, *e: _norm_variant(h, 0.0),
            "a constant row has variance 0, and (h - mean) / sqrt(0) is 0/0 = NaN: that is "
            "what eps is for. Use the eps argument, inside the root.",
        ),
    ),
)


def _with_constant_row() -> torch.Tensor:
    h = torch.randn(3, 16, generator=seeded(4))
    h[1] = 2.0
    return h
