"""Probe and train the GPT model of :mod:`shortcut_lib.transformer`, returning plain data.

A probe is one forward and one backward pass (``torch.autograd.grad``: ``.grad`` is never
touched, so probing a model that is being trained disturbs nothing). All statistics are reduced
in float64 and leave torch in a single ``.tolist()``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._checks import check_choice, check_float, check_int
from .transformer import NORM_PLACEMENTS, GPTModel, TokenTask

__all__ = ["TransformerProfile", "compare_transformer", "train_transformer", "transformer_profile"]

VARIATIONS = ("shortcut", "norm")


@dataclass(frozen=True)
class TransformerProfile:
    """Per-block statistics of one forward and backward pass of a :class:`GPTModel`.

    Attributes:
        stream_grad_norm: ||dL/dx|| of the residual stream entering each block, then after the
            last block (``n_blocks + 1`` values), over the whole batch.
        stream_rms: the root mean square of the residual stream at the same points.
        attention_grad_norm: per block, the norm of the gradient of its four attention weight
            matrices (``W_query``, ``W_key``, ``W_value``, ``out_proj``) taken together.
        feedforward_grad_norm: per block, the same for its two feed-forward weight matrices.
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
        return len(self.attention_grad_norm)


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
    states = model.hidden_states(x)  # n_blocks + 1 tensors (batch, tokens, emb_dim)
    logits = model.head(states[-1])  # (batch, tokens, vocab_size)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    weights = _block_weights(model)  # 6 per block: 4 attention, then 2 feed-forward
    grads = torch.autograd.grad(loss, [*weights, *states])
    # One fused float64 reduction over every tensor: float32 squares of tiny gradients underflow.
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

    The model is rewired in place for each probe and left as it was found. Probes run on one
    thread with float32 subnormals flushed to zero (a vanishing gradient would otherwise crawl
    through the slow subnormal range), PyTorch's defaults again afterwards.

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
        with _fast_cpu():
            for label, (attribute, value) in wirings.items():
                setattr(model, attribute, value)
                result[label] = transformer_profile(model, x, y)
    finally:
        model.use_shortcut, model.norm = saved
    return result


def train_transformer(
    model: GPTModel,
    task: TokenTask,
    *,
    lr: float = 1e-3,
    steps: int = 300,
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place on ``task`` with Adam (no warmup, no schedule).

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel` whose vocabulary and context cover
            the task's.
        task: a :class:`~shortcut_lib.transformer.TokenTask`.
        lr: Adam's learning rate.
        steps: the number of updates.
        batch_size: sequences per step, in a shuffled order fixed by ``seed``.
        seed: seeds the batch order; the global RNG is untouched.

    Returns:
        The training loss of each step's batch, before that step's update (``steps`` floats).

    Introduced in notebook 05.
    """
    _check_model(model)
    if not isinstance(task, TokenTask):
        raise TypeError(f"task must be a TokenTask (make_token_task); got {type(task).__name__}")
    model.check_tokens("task.x", task.x)
    model.check_tokens("task.y", task.y)
    lr = check_float("lr", lr, low=1e-8, high=1.0)
    check_int("steps", steps, low=1, high=100_000)
    check_int("batch_size", batch_size, low=1, high=len(task))
    check_int("seed", seed)
    batches = _batch_order(len(task), batch_size, steps, seed)  # (steps, batch_size)
    optimizer = _adam(model, lr)
    losses = []
    model.train()
    with _fast_cpu(flush_denormals=False):  # training keeps PyTorch's arithmetic as it is
        for index in batches:
            logits = model.head(model.hidden_states(task.x[index])[-1])  # ids checked above
            loss = F.cross_entropy(logits.flatten(0, 1), task.y[index].flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())  # 0-d tensors: one sync at the end, not one a step
    return torch.stack(losses).tolist()


def _check_model(model: object) -> None:
    if not isinstance(model, GPTModel):
        raise TypeError(f"model must be a shortcut_lib GPTModel; got {type(model).__name__}")


def _check_batch(model: object, x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    _check_model(model)
    x, y = model.check_tokens("x", x), model.check_tokens("y", y)
    if x.shape != y.shape:
        raise ValueError(
            f"y must have the shape of x, one target per token; got x {tuple(x.shape)} and "
            f"y {tuple(y.shape)}"
        )
    return x, y


def _block_weights(model: GPTModel) -> list[torch.Tensor]:
    # Weight matrices only: biases and LayerNorm's 1-D weights are not part of the story.
    weights = []
    for blk in model.trf_blocks:
        att, ff = blk.att, blk.ff.layers
        weights += [att.W_query.weight, att.W_key.weight, att.W_value.weight, att.out_proj.weight]
        weights += [ff[0].weight, ff[2].weight]
    return weights


def _adam(model: GPTModel, lr: float) -> torch.optim.Optimizer:
    try:
        # fused: one kernel per step instead of a loop over the parameters (CPU: torch >= 2.4).
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except RuntimeError:
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


def _batch_order(n: int, batch_size: int, steps: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    epochs = -(-steps * batch_size // n)  # ceil
    order = torch.cat([torch.randperm(n, generator=gen) for _ in range(epochs)])
    return order[: steps * batch_size].view(steps, batch_size)  # (steps, batch_size)


@contextlib.contextmanager
def _fast_cpu(flush_denormals: bool = True) -> Iterator[None]:
    # Small models: one thread beats two (and is not slowed by a busy second core).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(flush_denormals)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)
