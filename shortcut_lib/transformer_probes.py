"""Per-block probes of the GPT model of :mod:`shortcut_lib.transformer`, returning plain data.

A probe is one forward and one backward pass (``torch.autograd.grad``: ``.grad`` is never
touched, so probing a model that is being trained disturbs nothing). All statistics are reduced
in float64 and leave torch in a single ``.tolist()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._checks import check_choice
from .probes import _measuring
from .transformer import NORM_PLACEMENTS, GPTModel, block_weights, check_model

__all__ = [
    "MODELS",
    "TransformerProfile",
    "compare_transformer",
    "compare_wirings",
    "transformer_profile",
]

VARIATIONS = ("shortcut", "norm")
MODELS = ("plain", "shortcut")


@dataclass(frozen=True)
class TransformerProfile:
    """Per-block statistics of one forward and backward pass of a :class:`GPTModel`.

    Attributes:
        stream_grad_norm: ||dL/dx|| of the residual stream entering each block, then after the
            last block (``n_blocks + 1`` values), over the whole batch.
        stream_rms: the root mean square of the residual stream at the same points.
        attention_grad_norm: per block, the norm of the gradient of its four attention weight
            matrices (``W_query``, ``W_key``, ``W_value``, ``out_proj``) taken together.
        feedforward_grad_norm: per block, the same for its two feed-forward weight matrices
            (both empty from :func:`compare_wirings`, which measures the stream only).
        loss: the mean next-token cross-entropy of that pass.

    Introduced in notebook 05.
    """

    stream_grad_norm: list[float]
    stream_rms: list[float]
    attention_grad_norm: list[float]
    feedforward_grad_norm: list[float]
    loss: float

    @property
    def n_blocks(self) -> int:
        """The number of blocks profiled."""
        return len(self.stream_rms) - 1


def transformer_profile(model: GPTModel, x: torch.Tensor, y: torch.Tensor) -> TransformerProfile:
    """Per-block gradient norms and residual-stream sizes from one forward and backward pass.

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel`, probed in its current wiring.
        x: token ids, shape (batch, tokens), e.g. ``task.x[:8]``.
        y: the next-token targets, shaped like ``x``.

    Returns:
        A :class:`TransformerProfile`; ``.grad`` is left untouched.

    Introduced in notebook 05.
    """
    x, y = _check_batch(model, x, y)
    weights = block_weights(model)  # 6 per block: 4 attention, then 2 feed-forward
    # Works under no_grad, inference_mode and frozen weights, as the MLP probes do; all the
    # parameters, since frozen embeddings would cut the stream off from the graph.
    with _measuring(list(model.parameters())):
        states = model.hidden_states(x)  # n_blocks + 1 tensors (batch, tokens, emb_dim)
        logits = model.head(states[-1])  # (batch, tokens, vocab_size)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        grads = torch.autograd.grad(loss, [*weights, *states])
    with torch.no_grad():  # statistics, not part of any graph
        # One fused float64 reduction over every tensor: float32 squares of tiny gradients
        # underflow.
        norms = torch._foreach_norm([*grads, *states], 2, dtype=torch.float64)
    n_blocks, n_weights = model.n_blocks, len(weights)
    squares = torch.stack(norms[:n_weights]).view(n_blocks, 6).square()  # (n_blocks, 6)
    attention = squares[:, :4].sum(1).sqrt()  # ||.|| of the four matrices taken together
    feedforward = squares[:, 4:].sum(1).sqrt()
    stream_grad = torch.stack(norms[n_weights : n_weights + n_blocks + 1])
    rms = torch.stack(norms[n_weights + n_blocks + 1 :]) / math.sqrt(states[0].numel())
    stats = torch.cat([stream_grad, rms, attention, feedforward, loss.double().view(1)]).tolist()
    k = n_blocks + 1
    return TransformerProfile(
        stream_grad_norm=stats[:k],
        stream_rms=stats[k : 2 * k],
        attention_grad_norm=stats[2 * k : 2 * k + n_blocks],
        feedforward_grad_norm=stats[2 * k + n_blocks : -1],
        loss=stats[-1],
    )


def compare_transformer(
    model: GPTModel, x: torch.Tensor, y: torch.Tensor, *, vary: str = "shortcut"
) -> dict[str, TransformerProfile]:
    """Profile several wirings of the same weights: shortcuts off and on, or the norm placements.

    The model is rewired in place for each probe and left as it was found.

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel`.
        x: token ids, shape (batch, tokens).
        y: the next-token targets, shaped like ``x``.
        vary: ``"shortcut"`` for ``{"plain": ..., "shortcut": ...}`` at the model's norm
            placement, or ``"norm"`` for ``{"pre": ..., "post": ..., "none": ...}`` at its
            ``use_shortcut``.

    Returns:
        ``{label: TransformerProfile}``.

    Introduced in notebook 05.
    """
    check_choice("vary", vary, VARIATIONS)
    x, y = _check_batch(model, x, y)
    if vary == "shortcut":
        wirings = {"plain": ("use_shortcut", False), "shortcut": ("use_shortcut", True)}
    else:
        wirings = {name: ("norm", name) for name in NORM_PLACEMENTS}
    saved = model.use_shortcut, model.norm
    result = {}
    try:
        for label, (attribute, value) in wirings.items():
            setattr(model, attribute, value)
            result[label] = transformer_profile(model, x, y)
    finally:
        model.use_shortcut, model.norm = saved
    return result


def compare_wirings(
    model: GPTModel, x: torch.Tensor, y: torch.Tensor
) -> dict[str, TransformerProfile]:
    """The stream of the plain and the shortcut wiring of the same weights, in one pass.

    The two wirings run as the two halves of one batch (the shortcut multiplied by 0 in the
    first half, by 1 in the second): one forward and one backward pass instead of two, the
    explorer's probe. Each half's loss only depends on its own half, so the stream gradients
    are each wiring's own, as :func:`transformer_profile` gives them (to float32 rounding).

    The stream's gradients need only the stream in the graph: the probe turns gradients on for
    the two embeddings, and leaves every other weight's ``requires_grad`` as it is. A model whose
    blocks are frozen (``requires_grad_(False)``, as the explorer keeps its own) then records no
    weight in the graph, and the pass takes about 7% less time.

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel`, at its norm placement.
        x: token ids, shape (batch, tokens).
        y: the next-token targets, shaped like ``x``.

    Returns:
        ``{"plain": profile, "shortcut": profile}``; the weight-gradient lists are empty.

    Introduced in notebook 05.
    """
    x, y = _check_batch(model, x, y)
    b = x.shape[0]
    gate = torch.cat([torch.zeros(b), torch.ones(b)]).view(2 * b, 1, 1)  # plain half, shortcut
    saved = model.use_shortcut
    try:
        model.use_shortcut = True
        for blk in model.trf_blocks:
            blk._gate = gate
        with _measuring([model.tok_emb.weight, model.pos_emb.weight]):
            states = model.hidden_states(torch.cat([x, x]))  # n_blocks + 1 of (2b, tokens, emb)
            logits = model.head(states[-1]).flatten(0, 1)  # (2b * tokens, vocab_size)
            losses = F.cross_entropy(logits, torch.cat([y, y]).flatten(), reduction="none")
            losses = losses.view(2, -1).mean(1)  # (plain, shortcut)
            grads = torch.autograd.grad(losses.sum(), states)
    finally:
        model.use_shortcut = saved
        for blk in model.trf_blocks:
            blk._gate = None
    with torch.no_grad():
        halves = [t[i * b : (i + 1) * b] for i in (0, 1) for t in (*grads, *states)]
        norms = torch.stack(torch._foreach_norm(halves, 2, dtype=torch.float64))
        norms = norms.view(2, 2, -1)  # (wiring, gradient or state, stream point)
        norms[:, 1] /= math.sqrt(states[0][:b].numel())  # ||h|| -> RMS
        stats = torch.cat([norms.flatten(), losses.double()]).tolist()
    k = model.n_blocks + 1
    return {
        label: TransformerProfile(
            stream_grad_norm=stats[2 * i * k : (2 * i + 1) * k],
            stream_rms=stats[(2 * i + 1) * k : (2 * i + 2) * k],
            attention_grad_norm=[],
            feedforward_grad_norm=[],
            loss=stats[4 * k + i],
        )
        for i, label in enumerate(MODELS)
    }


def _check_batch(model: object, x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    check_model(model)
    x, y = model.check_tokens("x", x), model.check_tokens("y", y)
    if x.shape != y.shape:
        raise ValueError(
            f"y must have the shape of x, one target per token; got x {tuple(x.shape)} and "
            f"y {tuple(y.shape)}"
        )
    return x, y
