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

from ._checks import check_bool, check_choice
from .probes import _measuring
from .transformer import NORM_PLACEMENTS, GPTModel, block_weights, check_model

__all__ = [
    "MODELS",
    "TransformerProfile",
    "compare_transformer",
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
            (both empty when the probe measured the stream only).
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


def transformer_profile(
    model: GPTModel, x: torch.Tensor, y: torch.Tensor, *, weights: bool = True
) -> TransformerProfile:
    """Per-block gradient norms and residual-stream sizes from one forward and backward pass.

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel`, probed in its current wiring.
        x: token ids, shape (batch, tokens), e.g. ``task.x[:8]``.
        y: the next-token targets, shaped like ``x``.
        weights: also the attention and feed-forward weight gradients. ``False`` measures the
            stream only (both weight lists empty), as the explorer does: then no weight needs
            to be in the graph, and a model whose blocks are frozen (``requires_grad_(False)``)
            builds a smaller one, about 7% less time for the pass.

    Returns:
        A :class:`TransformerProfile`; ``.grad`` is left untouched.

    Introduced in notebook 05.
    """
    x, y = _check_batch(model, x, y)
    check_bool("weights", weights)
    measured = block_weights(model) if weights else []  # 6 per block: 4 attention, 2 feed-forward
    # Works under no_grad, inference_mode and frozen weights, as the MLP probes do. The stream
    # needs the embeddings in the graph, or it would not be part of it.
    with _measuring([model.tok_emb.weight, model.pos_emb.weight, *measured]):
        states = model.hidden_states(x)  # n_blocks + 1 tensors (batch, tokens, emb_dim)
        logits = model.head(states[-1])  # (batch, tokens, vocab_size)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        grads = torch.autograd.grad(loss, [*measured, *states])
    with torch.no_grad():  # statistics, not part of any graph
        # One fused float64 reduction over every tensor: float32 squares of tiny gradients
        # underflow.
        norms = torch._foreach_norm([*grads, *states], 2, dtype=torch.float64)
        stream = torch.stack(norms[len(measured) :])  # ||dL/dx||, then ||x||, at each point
        stream[model.n_blocks + 1 :] /= math.sqrt(states[0].numel())  # ||x|| -> RMS
        parts = [stream]
        if weights:  # per block: the four attention matrices taken together, the two others
            squares = torch.stack(norms[: len(measured)]).view(-1, 6).square()  # (n_blocks, 6)
            parts += [squares[:, :4].sum(1).sqrt(), squares[:, 4:].sum(1).sqrt()]
        stats = torch.cat([*parts, loss.double().view(1)]).tolist()
    k, b = model.n_blocks + 1, model.n_blocks if weights else 0
    return TransformerProfile(
        stream_grad_norm=stats[:k],
        stream_rms=stats[k : 2 * k],
        attention_grad_norm=stats[2 * k : 2 * k + b],
        feedforward_grad_norm=stats[2 * k + b : 2 * k + 2 * b],
        loss=stats[-1],
    )


def compare_transformer(
    model: GPTModel,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    vary: str = "shortcut",
    weights: bool = True,
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
        weights: also the weight gradients, as in :func:`transformer_profile`; ``False``
            measures the stream only.

    Returns:
        ``{label: TransformerProfile}``.

    Introduced in notebook 05.
    """
    check_choice("vary", vary, VARIATIONS)
    check_bool("weights", weights)
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
            result[label] = transformer_profile(model, x, y, weights=weights)
    finally:
        model.use_shortcut, model.norm = saved
    return result


def _check_batch(model: object, x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    check_model(model)
    x, y = model.check_tokens("x", x), model.check_tokens("y", y)
    if x.shape != y.shape:
        raise ValueError(
            f"y must have the shape of x, one target per token; got x {tuple(x.shape)} and "
            f"y {tuple(y.shape)}"
        )
    return x, y
