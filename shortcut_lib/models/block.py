"""One GPT block as the book writes it: causal multi-head attention (chapter 3), the GELU
feed-forward network and the block that wraps each in a shortcut and a LayerNorm (chapter 4).

``TransformerBlock`` has two switches the book hard-codes, ``use_shortcut`` and ``norm`` (where its
LayerNorms sit); both only rewire the forward pass, so flipping one compares two wirings of the very
same weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_memory,
    check_tensor,
)
from .sizes import attention_size, block_size, feedforward_size

__all__ = ["NORM_PLACEMENTS", "FeedForward", "MultiHeadAttention", "TransformerBlock"]

NORM_PLACEMENTS = ("pre", "post", "none")

MAX_WIDTH = 4096  # token vectors wider than GPT-3's largest models are not what a notebook is for


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention, as in the book (without the assertion).

    The book's ``attn_scores``, causal mask, scaled softmax and dropout are computed by PyTorch's
    fused ``scaled_dot_product_attention`` (the efficient variant the book's bonus material on
    attention compares): the same function, about a fifth less time for a probe of 12 blocks.

    Args:
        d_in: the size of each input token vector.
        d_out: the size of each output token vector; split evenly across the heads.
        context_length: the longest sequence the causal mask covers.
        dropout: dropout on the attention weights (0 turns it off).
        num_heads: the number of heads; must divide ``d_out``.
        qkv_bias: give the query, key and value projections a bias.

    Introduced in notebook 05.
    """

    def __init__(
        self,
        d_in: int,
        d_out: int,
        context_length: int,
        dropout: float,
        num_heads: int,
        qkv_bias: bool = False,
    ) -> None:
        super().__init__()
        check_int("d_in", d_in, low=1, high=MAX_WIDTH)
        check_heads(d_out, num_heads, "d_out", "num_heads")
        check_int("context_length", context_length, low=1, high=MAX_WIDTH)
        check_float("dropout", dropout, low=0.0, high=0.99)
        check_bool("qkv_bias", qkv_bias)
        weights, mask_bytes = attention_size(d_in, d_out, context_length)
        check_memory(
            f"MultiHeadAttention({d_in}, {d_out}, context_length={context_length}) with its "
            "gradients",
            8 * weights + mask_bytes,
            "d_in, d_out or context_length",
        )
        self.d_in, self.context_length = d_in, context_length
        self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        # The book's mask, True above the diagonal: token t may not look at tokens after t. The
        # fused kernel applies the same mask itself (is_causal); the buffer keeps the book's
        # state_dict keys, so weights load across.
        mask = torch.triu(torch.ones(context_length, context_length, dtype=torch.bool), 1)
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = check_stream(x, self.d_in, self.W_query.weight, self.context_length)
        b, num_tokens, _ = x.shape  # (batch, tokens, d_in)
        split = (b, num_tokens, self.num_heads, self.head_dim)
        # (batch, heads, tokens, head_dim)
        queries = self.W_query(x).view(split).transpose(1, 2)
        keys = self.W_key(x).view(split).transpose(1, 2)
        values = self.W_value(x).view(split).transpose(1, 2)
        # softmax(queries @ keys^T / sqrt(head_dim), masked causally), dropout, then @ values
        dropout = self.dropout.p if self.training else 0.0
        context_vec = F.scaled_dot_product_attention(
            queries, keys, values, dropout_p=dropout, is_causal=True
        ).transpose(1, 2)  # (batch, tokens, heads, head_dim)
        return self.out_proj(context_vec.reshape(b, num_tokens, self.d_out))


class FeedForward(nn.Module):
    """``Linear(emb_dim, 4 * emb_dim) -> GELU (tanh) -> Linear(4 * emb_dim, emb_dim)``, as in the
    book.

    Args:
        emb_dim: the size of each token vector.

    Introduced in notebook 05.
    """

    def __init__(self, emb_dim: int) -> None:
        super().__init__()
        check_int("emb_dim", emb_dim, low=1, high=MAX_WIDTH)
        check_memory(
            f"FeedForward({emb_dim}) with its gradients",
            8 * feedforward_size(emb_dim),
            "emb_dim",
        )
        self.emb_dim = emb_dim
        # torch's fused GELU: the same function as sl.GELU (notebook 01), in one kernel.
        self.layers = nn.Sequential(
            nn.Linear(emb_dim, 4 * emb_dim),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * emb_dim, emb_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(check_stream(x, self.emb_dim, self.layers[0].weight))


class TransformerBlock(nn.Module):
    """Attention then feed-forward, each with an optional shortcut and a LayerNorm placement.

    With shortcuts, ``norm="pre"`` is GPT-2 and the book, ``x = x + att(norm1(x))``;
    ``norm="post"`` is the original Transformer (Vaswani et al. 2017), ``x = norm1(x + att(x))``;
    ``norm="none"`` is ``x = x + att(x)``. Without shortcuts the ``x +`` goes. The same for
    ``ff`` with ``norm2``. ``use_shortcut`` and ``norm`` are plain attributes: flip them to compare
    wirings of the same weights (``norm1`` and ``norm2`` exist even when ``norm="none"``).

    Args:
        emb_dim: the size of each token vector.
        n_heads: the number of attention heads; must divide ``emb_dim``.
        context_length: the longest sequence the block takes.
        norm: ``"pre"``, ``"post"`` or ``"none"``.
        use_shortcut: add each sub-layer's input back to its output.
        drop_rate: dropout after attention weights and each sub-layer (0: off).

    Introduced in notebook 05.
    """

    def __init__(
        self,
        emb_dim: int,
        n_heads: int,
        context_length: int,
        *,
        norm: str = "pre",
        use_shortcut: bool = True,
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__()
        check_heads(emb_dim, n_heads, "emb_dim", "n_heads")
        drop_rate = check_float("drop_rate", drop_rate, low=0.0, high=0.99)
        self.norm = check_choice("norm", norm, NORM_PLACEMENTS)
        self.use_shortcut = check_bool("use_shortcut", use_shortcut)
        check_int("context_length", context_length, low=1, high=MAX_WIDTH)
        weights, mask_bytes = block_size(emb_dim, context_length)
        check_memory(
            f"TransformerBlock({emb_dim}, context_length={context_length}) with its gradients",
            8 * weights + mask_bytes,
            "emb_dim or context_length",
        )
        self.att = MultiHeadAttention(emb_dim, emb_dim, context_length, drop_rate, n_heads)
        self.ff = FeedForward(emb_dim)
        self.norm1 = nn.LayerNorm(emb_dim)
        self.norm2 = nn.LayerNorm(emb_dim)
        self.drop_shortcut = nn.Dropout(drop_rate)

    def forward(
        self, x: torch.Tensor, *, shortcut_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``shortcut_mask``, (batch, 1, 1) of 0s and 1s, wires each sequence on its own
        instead of by ``use_shortcut``: 1 adds the shortcut, 0 leaves it out. One pass then
        computes both wirings (the explorer's paired probe)."""
        x = check_stream(x, self.att.d_in, self.norm1.weight, self.att.context_length)
        x = self._sublayer(x, self.att, self.norm1, shortcut_mask)  # (batch, tokens, emb_dim)
        return self._sublayer(x, self.ff, self.norm2, shortcut_mask)

    def _sublayer(
        self, x: torch.Tensor, layer: nn.Module, norm: nn.Module, mask: torch.Tensor | None
    ) -> torch.Tensor:
        shortcut = x
        x = self.drop_shortcut(layer(norm(x) if self.norm == "pre" else x))
        if mask is not None:  # x + shortcut where the mask is 1, x (exactly) where it is 0
            x = torch.addcmul(x, shortcut, mask)
        elif self.use_shortcut:
            x = x + shortcut
        return norm(x) if self.norm == "post" else x

    def extra_repr(self) -> str:
        return f"norm={self.norm!r}, use_shortcut={self.use_shortcut}"


def check_heads(
    emb_dim: object, n_heads: object, emb_name: str, heads_name: str, choices: tuple = ()
) -> None:
    """A clear error unless ``n_heads`` divides ``emb_dim``, suggesting the head counts that do
    (among ``choices``, if given)."""
    # LayerNorm over a single feature outputs zeros, so the width starts at 2.
    check_int(emb_name, emb_dim, low=2, high=4096)
    check_int(heads_name, n_heads, low=1)
    if emb_dim % n_heads:
        divisors = [d for d in choices or range(1, min(emb_dim, 64) + 1) if emb_dim % d == 0]
        raise ValueError(
            f"{emb_name} ({emb_dim}) must be divisible by {heads_name} ({n_heads}): each head "
            f"takes {emb_name} / {heads_name} features; {heads_name} could be one of {divisors}"
        )


def check_stream(
    x: object, width: int, weight: torch.Tensor, context_length: int | None = None
) -> torch.Tensor:
    """``x`` as token vectors for a layer: (batch, tokens, width) with at most ``context_length``
    tokens (any leading dimensions when ``None``), in the dtype of the layer's ``weight``; else
    a clear error."""
    if (
        isinstance(x, torch.Tensor)
        and x.shape[-1:] == (width,)
        and (context_length is None or (x.ndim == 3 and x.shape[1] <= context_length))
        and x.dtype == weight.dtype
        and x.device == weight.device
    ):
        return x  # the common case, checked in a few attribute reads
    check_tensor("x", x, "a torch.Tensor of token vectors")
    if weight.device.type == "meta":
        raise ValueError("the layer is on the meta device: its weights have no values")
    if not x.is_floating_point():
        raise TypeError(
            f"x must hold token vectors, floats; got dtype {x.dtype} (token ids go to a GPTModel, "
            "whose embeddings turn them into vectors)"
        )
    shape = f"(batch, tokens, {width})" if context_length else f"(..., {width})"
    if x.ndim == 0 or (context_length is not None and x.ndim != 3) or x.shape[-1] != width:
        raise ValueError(f"x must have shape {shape}; got {tuple(x.shape)}")
    if context_length is not None and x.shape[1] > context_length:
        raise ValueError(
            f"x has {x.shape[1]} tokens, more than the layer's context_length of {context_length}"
        )
    return x.to(weight.dtype)
