"""Probe and train the GPT model of :mod:`shortcut_lib.transformer` on a token task generated in
code (nothing is downloaded), returning plain data.

A probe is one forward and one backward pass (``torch.autograd.grad``: ``.grad`` is never
touched, so probing a model that is being trained disturbs nothing). All statistics are reduced
in float64 and leave torch in a single ``.tolist()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_choice, check_float, check_int
from .probes import _measuring
from .settings import Settings, setting
from .transformer import NORM_PLACEMENTS, GPTModel

__all__ = [
    "BlockComparison",
    "BlockSettings",
    "TokenTask",
    "TransformerProfile",
    "compare_transformer",
    "compare_wirings",
    "make_token_task",
    "train_transformer",
    "transformer_profile",
]

VARIATIONS = ("shortcut", "norm")
MODELS = ("plain", "shortcut")
VOCAB_SIZE = 16  # the explorer's token task


@dataclass(frozen=True)
class TokenTask:
    """Sequences whose next token is the sum of the previous two, mod ``vocab_size``.

    Each sequence starts with two random tokens; from then on ``t[i] = (t[i-1] + t[i-2]) % V``,
    so predicting a token needs the two before it: attention across positions. Only the first
    target (the second token) cannot be predicted.

    Attributes:
        x: inputs, int64 of shape (n_sequences, context_length).
        y: next-token targets, shaped like ``x``: ``y[:, i]`` is the token after ``x[:, i]``.
        vocab_size: the number of token ids.

    Introduced in notebook 05.
    """

    x: torch.Tensor
    y: torch.Tensor
    vocab_size: int

    @property
    def context_length(self) -> int:
        """The number of tokens per input sequence."""
        return self.x.shape[1]

    @property
    def chance_loss(self) -> float:
        """ln(vocab_size): the cross-entropy of a uniform guess, where a model that learnt
        nothing stays."""
        return math.log(self.vocab_size)

    @property
    def best_loss(self) -> float:
        """The lowest mean cross-entropy possible: chance at the first target, 0 elsewhere."""
        return self.chance_loss / self.context_length

    def __len__(self) -> int:
        return self.x.shape[0]


def make_token_task(
    n_sequences: int = 512, context_length: int = 16, vocab_size: int = 5, *, seed: int = 0
) -> TokenTask:
    """Generate the sum-of-previous-two token task (see :class:`TokenTask`) in code.

    Args:
        n_sequences: the number of sequences (there are only ``vocab_size**2`` distinct ones).
        context_length: tokens per input sequence (>= 2).
        vocab_size: the number of token ids (>= 2).
        seed: seeds the first two tokens of each sequence; the global RNG is untouched.

    Returns:
        A :class:`TokenTask`.

    Introduced in notebook 05.
    """
    check_int("n_sequences", n_sequences, low=1, high=1_000_000)
    check_int("context_length", context_length, low=2, high=4096)
    check_int("vocab_size", vocab_size, low=2, high=100_000)
    check_int("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    tokens = [*torch.randint(vocab_size, (2, n_sequences), generator=gen)]  # 2 x (n_sequences,)
    while len(tokens) < context_length + 1:
        tokens.append((tokens[-1] + tokens[-2]) % vocab_size)
    seq = torch.stack(tokens, dim=1)  # (n_sequences, context_length + 1)
    return TokenTask(x=seq[:, :-1].contiguous(), y=seq[:, 1:].contiguous(), vocab_size=vocab_size)


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
    weights = _block_weights(model)  # 6 per block: 4 attention, then 2 feed-forward
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
        with _measuring(list(model.parameters())):
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


@dataclass(frozen=True)
class BlockSettings(Settings):
    """One configuration of the transformer explorer: a :class:`GPTModel` of ``depth`` blocks of
    ``width`` features and ``heads`` heads, probed on ``batch_size`` sequences of the token task
    (vocabulary 16) of ``context_length`` tokens, weights and sequences drawn from ``seed``.
    ``use_shortcut`` picks the wiring drawn bold; the other is the same weights with the
    shortcut flipped. ``str(settings)`` is the state string; :meth:`parse` reads it back.

    Introduced in notebook 05.
    """

    depth: int = setting(12, low=1, high=48)
    width: int = setting(64, low=8, high=256, step=8)
    heads: int = setting(4, choices=(1, 2, 4, 8, 16), labels=("1", "2", "4", "8", "16"))
    norm: str = setting("pre", choices=NORM_PLACEMENTS, control="toggle")
    use_shortcut: bool = setting(True, choices=(False, True), control="toggle")
    final_norm: bool = setting(True, choices=(False, True), control="toggle")
    scaled_init: bool = setting(True, choices=(False, True), control="toggle")
    context_length: int = setting(16, low=2, high=64)
    batch_size: int = setting(8, low=1, high=64)
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    def _check_together(self) -> None:
        if self.width % self.heads:
            raise ValueError(
                f"width ({self.width}) must be divisible by heads ({self.heads}): each head "
                "takes width / heads features"
            )


class BlockComparison:
    """Both wirings' profiles for a stream of :class:`BlockSettings`, reusing work between calls.

    One model is kept per (width, heads, context_length), with blocks for the deepest ``depth``
    asked so far; a new depth, seed or init redraws the weights of the blocks used
    (:meth:`GPTModel.init_weights`), giving exactly the weights of a fresh
    ``GPTModel(depth, ..., seed=seed)``, and a switch only rewires. Changes no torch setting.

    Introduced in notebook 05.
    """

    def __init__(self) -> None:
        self._shape: tuple | None = None
        self._blocks: list[nn.Module] = []
        self._model: GPTModel | None = None
        self._weights: tuple | None = None
        self._task: tuple | None = None

    def profiles(self, settings: BlockSettings) -> dict[str, TransformerProfile]:
        """``{"plain": profile, "shortcut": profile}`` of the same weights and sequences."""
        if not isinstance(settings, BlockSettings):
            raise TypeError(f"settings must be a BlockSettings; got {type(settings).__name__}")
        s, model = settings, self._model_for(settings)
        model.norm, model.use_final_norm = s.norm, s.final_norm
        key = (s.batch_size, s.context_length, s.seed)
        if key != self._task:
            self._task, self._tokens = key, make_token_task(*key[:2], VOCAB_SIZE, seed=s.seed)
        return compare_wirings(model, self._tokens.x, self._tokens.y)

    def _model_for(self, s: BlockSettings) -> GPTModel:
        shape = (s.width, s.heads, s.context_length)
        if shape != self._shape or s.depth > len(self._blocks):
            # Room to drag on: the next power of two, as ShortcutComparison does.
            depth = s.depth if shape != self._shape else min(2 ** math.ceil(math.log2(s.depth)), 48)
            self._model = GPTModel(depth, s.width, s.heads, s.context_length, VOCAB_SIZE)
            self._shape, self._blocks, self._weights = shape, list(self._model.trf_blocks), None
        weights = (s.depth, s.scaled_init, s.seed)
        if weights != self._weights:
            self._model.trf_blocks = nn.Sequential(*self._blocks[: s.depth])
            self._model.init_weights(s.seed, scaled_init=s.scaled_init)
            self._weights = weights
        return self._model


def train_transformer(
    model: GPTModel,
    task: TokenTask,
    *,
    lr: float = 3e-3,
    steps: int = 150,
    batch_size: int = 32,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place on ``task`` with Adam (no warmup, no schedule).

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel` whose vocabulary and context cover
            the task's.
        task: a :class:`TokenTask` (see :func:`make_token_task`).
        lr: Adam's learning rate.
        steps: the number of updates.
        batch_size: sequences per step, in a shuffled order fixed by ``seed``.
        seed: seeds the batch order; the global RNG is untouched.

    Returns:
        The training loss of each step's batch, before that step's update (``steps`` floats).

    Introduced in notebook 05.
    """
    lr = _check_training(model, task, lr, steps, batch_size, seed)
    batches = _batch_order(len(task), batch_size, steps, seed)  # (steps, batch_size)
    optimizer = _adam(model, lr)
    losses = []
    model.train()
    for index in batches:
        logits = model.head(model.hidden_states(task.x[index])[-1])  # ids checked above
        loss = F.cross_entropy(logits.flatten(0, 1), task.y[index].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())  # 0-d tensors: one sync at the end, not one a step
    optimizer.zero_grad(set_to_none=True)  # leave no .grad behind for a probe to trip over
    return torch.stack(losses).tolist()


def _check_training(
    model: object, task: object, lr: object, steps: object, batch_size: object, seed: object
) -> float:
    _check_model(model)
    if not isinstance(task, TokenTask):
        raise TypeError(f"task must be a TokenTask (make_token_task); got {type(task).__name__}")
    model.check_tokens("task.x", task.x)  # the task fits the model's vocabulary and context
    model.check_tokens("task.y", task.y)
    lr = check_float("lr", lr, low=1e-8, high=1.0)
    check_int("steps", steps, low=1, high=100_000)
    check_int("batch_size", batch_size, low=1, high=len(task))
    check_int("seed", seed)
    return lr


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
