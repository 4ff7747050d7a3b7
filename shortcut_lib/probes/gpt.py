"""Per-block probes of the GPT model, returning plain data (:mod:`._pass` says how they are
taken)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_bool, check_memory
from ..models.gpt import GPTModel, block_weights, check_model
from ..models.sizes import pass_memory
from ._pass import check_fields, draws_random, measuring, reduce_pass

__all__ = ["TransformerProfile", "transformer_profile"]


@dataclass(frozen=True)
class TransformerProfile:
    """Per-block statistics of one forward and backward pass of a :class:`GPTModel`.

    Attributes:
        stream_grad_norm: ||dL/dh|| of the residual stream entering each block, then after the
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

    def __post_init__(self) -> None:
        lists = ("stream_grad_norm", "stream_rms", "attention_grad_norm", "feedforward_grad_norm")
        check_fields(self, lists, ("loss",))

    @property
    def n_blocks(self) -> int:
        """The number of blocks profiled."""
        return len(self.stream_rms) - 1


def transformer_profile(
    model: GPTModel, x: torch.Tensor, y: torch.Tensor, *, weights: bool = True
) -> TransformerProfile:
    """Per-block gradient norms and residual-stream sizes from one forward and backward pass.

    Args:
        model: a :class:`~shortcut_lib.GPTModel`, probed in its current wiring.
        x: token ids, shape (batch, tokens), e.g. ``task.x[:8]``.
        y: the next-token targets, shaped like ``x``.
        weights: also the attention and feed-forward weight gradients. ``False`` measures the
            stream only (both weight lists empty), as the explorer does: then no weight needs
            to be in the graph, and a model whose blocks are frozen (``requires_grad_(False)``)
            builds a smaller one, about 7% less time for the pass.

    Returns:
        A :class:`TransformerProfile`; ``.grad`` is left untouched. Like the MLP's probes it
        works under ``no_grad`` and ``inference_mode`` and on frozen weights; with dropout in
        train mode it draws from a forked RNG seeded with 0, so two probes agree and the global
        RNG is untouched. A batch whose pass would take more than 500 MB is refused.

    Introduced in notebook 05.
    """
    check_bool("weights", weights)
    x, y = check_batch(model, x, y, weights=weights)
    measured = block_weights(model) if weights else []  # 6 per block: 4 attention, 2 feed-forward
    # Works under no_grad, inference_mode and frozen weights, as the MLP probes do. The stream
    # needs the embeddings in the graph, or it would not be part of it.
    leaves = [model.tok_emb.weight, model.pos_emb.weight, *measured]
    with measuring(leaves, random=draws_random(model)):
        states = model.hidden_states(x)  # n_blocks + 1 tensors (batch, tokens, emb_dim)
        logits = model.head(states[-1])  # (batch, tokens, vocab_size)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        stats = reduce_pass(loss, measured, states)
    # per block: the four attention matrices taken together, the two feed-forward ones
    squares = [[g * g for g in stats.weight_l2[i : i + 6]] for i in range(0, len(measured), 6)]
    return TransformerProfile(
        stream_grad_norm=stats.state_grad,
        stream_rms=[n / math.sqrt(states[0].numel()) for n in stats.state_norm],
        attention_grad_norm=[math.sqrt(sum(block[:4])) for block in squares],
        feedforward_grad_norm=[math.sqrt(sum(block[4:])) for block in squares],
        loss=stats.loss,
    )


def transformer_profile_pair(
    model: GPTModel, x: torch.Tensor, y: torch.Tensor
) -> dict[str, TransformerProfile]:
    """The stream-only profiles of ``model`` wired plain and with shortcuts, from one pass.

    The pass takes the batch twice, the first copy wired plain and the second with shortcuts
    (``TransformerBlock.forward``'s ``shortcut_mask``; ``model.use_shortcut`` is not read, its
    norm placement and final norm are). Every op then works on twice the rows, in half as many
    calls: on two threads per op, the explorer's two wirings at 48 blocks take about two thirds
    of the time of two passes on two threads side by side (``benchmarks/transformer.py``).

    Returns:
        ``{"plain": profile, "shortcut": profile}``, each as
        ``transformer_profile(model, x, y, weights=False)`` gives it for that wiring, up to
        float32 rounding: a product over twice the rows may be summed in another order.

    Raises:
        ValueError: dropout in train mode (its draws would differ from two passes').
    """
    x, y = check_batch(model, x, y, weights=False)
    if draws_random(model):
        raise ValueError("a paired probe needs a model without dropout in train mode: model.eval()")
    n = x.shape[0]
    pair, _ = check_batch(model, torch.cat([x, x]), torch.cat([y, y]), weights=False)
    mask = torch.zeros(2 * n, 1, 1, dtype=model.tok_emb.weight.dtype)
    mask[n:] = 1.0  # the second copy with shortcuts
    with measuring([model.tok_emb.weight, model.pos_emb.weight]):
        states = model.hidden_states(pair, shortcut_mask=mask)
        logits = model.head(states[-1]).chunk(2)  # (batch, tokens, vocab_size) each
        losses = [F.cross_entropy(half.flatten(0, 1), y.flatten()) for half in logits]
        extra = tuple(loss.view(1) for loss in losses)  # one norm each: the loss itself
        stats = reduce_pass(losses[0] + losses[1], [], states, halves=True, extra=extra)
    numel = states[0].numel() // 2
    return {
        label: TransformerProfile(
            stream_grad_norm=stats.state_grad[i::2],
            stream_rms=[v / math.sqrt(numel) for v in stats.state_norm[i::2]],
            attention_grad_norm=[],
            feedforward_grad_norm=[],
            loss=stats.extra[i],
        )
        for i, label in enumerate(("plain", "shortcut"))
    }


def check_batch(
    model: object, x: object, y: object, *, weights: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``y`` as token ids for ``model``, of one shape, small enough for a probe (with
    the weights' gradients, or the stream only), or a clear error."""
    check_model(model)
    x, y = model.check_tokens("x", x), model.check_tokens("y", y)
    if x.shape != y.shape:
        raise ValueError(
            f"y must have the shape of x, one target per token; got x {tuple(x.shape)} and "
            f"y {tuple(y.shape)}"
        )
    check_memory(
        f"a probe of {x.shape[0]:,} sequences of {x.shape[1]} tokens",
        pass_memory(model, *x.shape, weights=weights),
        "the number of sequences in x",
    )
    return x, y
