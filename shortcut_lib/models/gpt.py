"""A GPT model written from scratch as in chapter 4 of the book, with switchable wiring.

The model reads like the book's ``GPTModel`` (``tok_emb``, ``pos_emb``, ``trf_blocks``,
``final_norm``, ``out_head``; blocks with ``att``, ``ff``, ``norm1``, ``norm2``), with three
switches the book hard-codes: ``use_shortcut``, ``norm`` (where each block's LayerNorms sit) and
``final_norm``. The switches only rewire the forward pass: every module exists whatever they say,
so flipping one compares two wirings of the very same weights.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import (
    check_bool,
    check_choice,
    check_int,
    check_seed,
    check_tensor,
    check_weights,
)
from .block import MAX_WIDTH, NORM_PLACEMENTS, TransformerBlock, check_heads
from .sizes import check_gpt_size

__all__ = ["GPT_INITS", "NORM_PLACEMENTS", "GPTModel"]

# "gpt2": GPT-2's init (Radford et al. 2019; nanoGPT's _init_weights). "default": PyTorch's own
# init of each layer, which the book's GPTModel keeps (it draws no weight itself).
GPT_INITS = ("gpt2", "default")
INIT_STD = 0.02  # GPT-2's weight std


class GPTModel(nn.Module):
    """The book's GPT model with switchable shortcuts and LayerNorm placement.

    Args:
        n_blocks: the number of transformer blocks (1 to 96).
        emb_dim: the size of each token vector (the width of the residual stream).
        n_heads: attention heads per block; must divide ``emb_dim``.
        context_length: the longest sequence the model takes.
        vocab_size: the number of token ids.
        use_shortcut: shortcuts around every attention and feed-forward sub-layer.
        norm: ``"pre"`` (GPT-2, the book), ``"post"`` (the original Transformer) or ``"none"``.
        final_norm: apply ``final_norm`` (a LayerNorm) before ``out_head``.
        init: ``"gpt2"``: GPT-2's init, every weight N(0, 0.02), biases 0 (see
            ``scaled_init``). ``"default"``: PyTorch's default init of each layer, as the book's
            ``GPTModel`` keeps it: embeddings N(0, 1), each ``Linear`` weight and bias
            U(-1/sqrt(fan_in), 1/sqrt(fan_in)); drawn in the book's order, so
            ``torch.manual_seed(seed)`` before the book's ``GPTModel(cfg)`` gives the same weights.
        scaled_init: with ``init="gpt2"``, the residual projections (``att.out_proj``, the
            second feed-forward layer) start with N(0, 0.02 / sqrt(2 * n_blocks)), as in GPT-2.
            ``False`` draws N(0, 0.02) there too, so the scaling is the only difference.
            ``init="default"`` has no such scaling and ignores it.
        drop_rate: dropout probability (0: off, the default here).
        seed: weights are drawn from a forked RNG seeded with it; the global RNG is untouched.
            ``None`` draws from the global RNG.

    A model whose weights, their gradients and its causal masks would take more than 500 MB is
    refused before anything is allocated, except on the meta device, which allocates nothing.

    The attributes ``use_shortcut``, ``norm``, ``use_final_norm`` and ``n_heads`` can be set
    later: they rewire the forward pass and change no weight.

    Introduced in notebook 05.
    """

    def __init__(
        self,
        n_blocks: int = 12,
        emb_dim: int = 64,
        n_heads: int = 4,
        context_length: int = 32,
        vocab_size: int = 16,
        *,
        use_shortcut: bool = True,
        norm: str = "pre",
        final_norm: bool = True,
        init: str = "gpt2",
        scaled_init: bool = True,
        drop_rate: float = 0.0,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        check_int("n_blocks", n_blocks, low=1, high=96)
        check_int("vocab_size", vocab_size, low=2, high=100_000)
        check_bool("scaled_init", scaled_init)
        check_choice("init", init, GPT_INITS)
        if seed is not None:
            check_seed("seed", seed)
        check_heads(emb_dim, n_heads, "emb_dim", "n_heads")
        check_int("context_length", context_length, low=1, high=MAX_WIDTH)
        check_gpt_size(n_blocks, emb_dim, context_length, vocab_size)
        block = dict(norm=norm, use_shortcut=use_shortcut, drop_rate=drop_rate)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            # Built in the book's order, so each layer's own init is the book's weights: with
            # init="default" there is nothing left to draw (at width 768, a fifth of a second).
            self.tok_emb = nn.Embedding(vocab_size, emb_dim)
            self.pos_emb = nn.Embedding(context_length, emb_dim)
            self.drop_emb = nn.Dropout(drop_rate)
            self.trf_blocks = nn.Sequential(
                *[
                    TransformerBlock(emb_dim, n_heads, context_length, **block)
                    for _ in range(n_blocks)
                ]
            )
            self.final_norm = nn.LayerNorm(emb_dim)
            self.out_head = nn.Linear(emb_dim, vocab_size, bias=False)
        self.context_length, self.vocab_size = context_length, vocab_size
        if init == "default":
            self.init, self.scaled_init = init, scaled_init
        else:
            self.init_weights(seed, init=init, scaled_init=scaled_init)
        self.use_final_norm = check_bool("final_norm", final_norm)

    def init_weights(
        self, seed: int | None, *, init: str = "gpt2", scaled_init: bool = True
    ) -> None:
        """Draw every weight afresh, exactly as ``GPTModel(..., seed=seed)`` does.

        ``init="gpt2"``: embeddings and head first, then block by block, so block i's weights do
        not depend on ``n_blocks`` (up to the scaled init's factor). ``init="default"``: every
        layer's own ``reset_parameters()``, in the order the book's ``GPTModel`` builds them.
        ``None`` draws from the global RNG.
        """
        if seed is not None:
            check_seed("seed", seed)
        self.init = check_choice("init", init, GPT_INITS)
        self.scaled_init = check_bool("scaled_init", scaled_init)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            if init == "gpt2":
                self._draw_weights(residual_init_std(self.n_blocks, scaled_init))
            else:
                self._reset_as_the_book()

    def _reset_as_the_book(self) -> None:
        # The book's GPTModel.__init__ builds tok_emb, pos_emb, the blocks (att's four Linears,
        # ff's two, two LayerNorms), final_norm, out_head: the same draws in the same order.
        blocks = [
            [blk.att.W_query, blk.att.W_key, blk.att.W_value, blk.att.out_proj, blk.ff.layers[0],
             blk.ff.layers[2], blk.norm1, blk.norm2]
            for blk in self.trf_blocks
        ]  # fmt: skip
        layers = [self.tok_emb, self.pos_emb, *sum(blocks, []), self.final_norm, self.out_head]
        for layer in layers:
            layer.reset_parameters()

    def _draw_weights(self, residual_std: float) -> None:
        """Draw every weight from the global RNG in ``init_weights``' order: N(0, 0.02), the
        residual projections N(0, ``residual_std``), biases 0. (The explorer's cache draws them
        at ``residual_std=1`` and scales them for each depth: ``normal_(0, s)`` computes
        ``z * s`` from the same ``z``.)"""
        with torch.no_grad():
            for weight in (self.tok_emb.weight, self.pos_emb.weight, self.out_head.weight):
                weight.normal_(0.0, INIT_STD)
            for blk in self.trf_blocks:
                att, ff = blk.att, blk.ff.layers
                for linear in (att.W_query, att.W_key, att.W_value, ff[0]):
                    linear.weight.normal_(0.0, INIT_STD)
                # apply special scaled init to the residual projections, per GPT-2 paper
                for linear in (att.out_proj, ff[2]):
                    linear.weight.normal_(0.0, residual_std)
                for linear in (att.W_query, att.W_key, att.W_value, att.out_proj, ff[0], ff[2]):
                    if linear.bias is not None:
                        linear.bias.zero_()

    @property
    def n_blocks(self) -> int:
        """The number of transformer blocks."""
        return len(self.trf_blocks)

    @property
    def use_shortcut(self) -> bool:
        """Whether the blocks add their input back (set it to rewire every block)."""
        return self.trf_blocks[0].use_shortcut

    @use_shortcut.setter
    def use_shortcut(self, value: bool) -> None:
        check_bool("use_shortcut", value)
        for blk in self.trf_blocks:
            blk.use_shortcut = value

    @property
    def norm(self) -> str:
        """The blocks' LayerNorm placement, ``"pre"``, ``"post"`` or ``"none"`` (settable)."""
        return self.trf_blocks[0].norm

    @norm.setter
    def norm(self, value: str) -> None:
        check_choice("norm", value, NORM_PLACEMENTS)
        for blk in self.trf_blocks:
            blk.norm = value

    @property
    def n_heads(self) -> int:
        """Attention heads per block (settable: the same weights, split into another number of
        heads; a model built with that many from the same seed has exactly these weights)."""
        return self.trf_blocks[0].att.num_heads

    @n_heads.setter
    def n_heads(self, value: int) -> None:
        check_heads(self.tok_emb.embedding_dim, value, "emb_dim", "n_heads")
        for blk in self.trf_blocks:
            blk.att.num_heads, blk.att.head_dim = value, blk.att.d_out // value

    def check_tokens(self, name: str, ids: object) -> torch.Tensor:
        """``ids`` as a (batch, tokens) int64 tensor, or a clear error naming ``name``."""
        if self.tok_emb.weight.device.type == "meta":
            raise ValueError("the model is on the meta device: its weights have no values")
        check_tensor(name, ids, "a torch.Tensor of token ids, shape (batch, tokens)")
        if ids.dtype == torch.bool or ids.is_floating_point():
            raise TypeError(f"{name} must hold integer token ids; got dtype {ids.dtype}")
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise ValueError(
                f"{name} must have shape (batch, tokens) with tokens >= 1; got shape "
                f"{tuple(ids.shape)} (a single sequence: ids.unsqueeze(0))"
            )
        if ids.shape[0] == 0:
            raise ValueError(
                f"{name} is empty (shape {tuple(ids.shape)}): give one sequence or more"
            )
        if ids.shape[1] > self.context_length:
            raise ValueError(
                f"{name} has {ids.shape[1]} tokens, longer than the model's context_length of "
                f"{self.context_length}"
            )
        low, high = torch.stack(torch.aminmax(ids)).tolist() if ids.numel() else (0, 0)
        if low < 0 or high >= self.vocab_size:
            raise ValueError(
                f"{name} holds token ids from {low} to {high}; the vocabulary has ids 0 "
                f"to {self.vocab_size - 1} (vocab_size={self.vocab_size})"
            )
        if ids.is_inference():  # made under inference_mode: a copy autograd may save
            with torch.inference_mode(False):
                ids = ids.clone()
        return ids.long()

    def hidden_states(
        self, in_idx: torch.Tensor, *, shortcut_mask: torch.Tensor | None = None
    ) -> list[torch.Tensor]:
        """The residual stream entering each block and after the last: ``n_blocks + 1`` tensors
        of shape (batch, tokens, emb_dim), for checked ids (see :meth:`check_tokens`).
        ``shortcut_mask`` wires each sequence on its own (:meth:`TransformerBlock.forward`)."""
        positions = torch.arange(in_idx.shape[1], device=in_idx.device)
        x = self.drop_emb(self.tok_emb(in_idx) + self.pos_emb(positions))  # (batch, tokens, emb)
        states = [x]
        for blk in self.trf_blocks:
            states.append(blk(states[-1], shortcut_mask=shortcut_mask))
        return states

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, tokens, vocab_size) from the last block's output."""
        return self.out_head(self.final_norm(x) if self.use_final_norm else x)

    def forward(self, in_idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden_states(self.check_tokens("in_idx", in_idx))[-1])

    def extra_repr(self) -> str:
        init = f"scaled_init={self.scaled_init}" if self.init == "gpt2" else "init='default'"
        return (
            f"norm={self.norm!r}, use_shortcut={self.use_shortcut}, "
            f"final_norm={self.use_final_norm}, {init}"
        )


def check_model(model: object) -> GPTModel:
    """``model`` if it is a :class:`GPTModel` with real weights, or a clear error."""
    if not isinstance(model, GPTModel):
        raise TypeError(f"model must be a shortcut_lib GPTModel; got {type(model).__name__}")
    check_weights("model", model)
    return model


def residual_init_std(n_blocks: int, scaled_init: bool) -> float:
    """The std of the residual projections' weights: GPT-2's 0.02 / sqrt(2 * n_blocks), or 0.02."""
    return INIT_STD / math.sqrt(2 * n_blocks) if scaled_init else INIT_STD


def block_weights(model: GPTModel) -> list[torch.Tensor]:
    """The weight matrices of every block, six per block in order: ``W_query``, ``W_key``,
    ``W_value``, ``out_proj``, then the feed-forward network's two layers. Biases and the
    LayerNorms' 1-D weights are not part of the story."""
    weights = []
    for blk in model.trf_blocks:
        att, ff = blk.att, blk.ff.layers
        weights += [att.W_query.weight, att.W_key.weight, att.W_value.weight, att.out_proj.weight]
        weights += [ff[0].weight, ff[2].weight]
    return weights
