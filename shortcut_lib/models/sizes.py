"""What the GPT family's modules take in memory, estimated before anything is allocated: their
weights (with biases and LayerNorms), causal masks, and the numbers one pass keeps for backward.
"""

from __future__ import annotations

from torch import nn

from .._checks import check_memory


def attention_size(d_in: int, d_out: int, context_length: int) -> tuple[int, int]:
    """The weights of a MultiHeadAttention and the bytes of its causal mask."""
    return 3 * (d_in + 1) * d_out + (d_out + 1) * d_out, context_length**2


def feedforward_size(emb_dim: int) -> int:
    """The weights of a FeedForward."""
    return 8 * emb_dim * emb_dim + 5 * emb_dim


def block_size(emb_dim: int, context_length: int) -> tuple[int, int]:
    """The weights of a TransformerBlock and the bytes of its causal mask."""
    attention, mask_bytes = attention_size(emb_dim, emb_dim, context_length)
    return attention + feedforward_size(emb_dim) + 4 * emb_dim, mask_bytes


def check_gpt_size(n_blocks: int, emb_dim: int, context_length: int, vocab_size: int) -> None:
    """Refuse a GPTModel whose weights and masks would not fit (their gradients come with a
    probe or a run, which estimate them)."""
    weights, mask_bytes = block_size(emb_dim, context_length)
    weights = n_blocks * weights + (2 * vocab_size + context_length + 2) * emb_dim
    check_memory(
        f"GPTModel(n_blocks={n_blocks}, emb_dim={emb_dim}, context_length={context_length}, "
        f"vocab_size={vocab_size}) ({weights:,} weights, and "
        f"{n_blocks} causal masks of {context_length}x{context_length})",
        4 * weights + n_blocks * mask_bytes,
        "n_blocks, emb_dim, vocab_size or context_length, or build it on the meta device "
        "(with torch.device('meta'): ...) to see its shapes without memory",
    )


def pass_memory(model: nn.Module, batch: int, tokens: int, weights: bool = True) -> float:
    """Bytes one forward and backward pass of a GPTModel on ``batch`` sequences of ``tokens``
    needs beyond the model itself, roughly: per token and block about 22 numbers per feature and 4
    per head and earlier token (attention), the logits three times over, and (``weights``) a
    gradient for every weight."""
    d, heads = model.tok_emb.embedding_dim, model.trf_blocks[0].att.num_heads
    numbers = model.n_blocks * batch * tokens * (22 * d + 4 * heads * tokens)
    numbers += 3 * batch * tokens * model.vocab_size
    gradients = sum(p.numel() for p in model.parameters()) if weights else 0
    return 4 * (numbers + gradients)


def run_memory(model: nn.Module, steps: int, batch_size: int, tokens: int) -> float:
    """Bytes a training run of a GPTModel needs, roughly: the weights, their gradients, Adam's
    two moments and the update; one pass; the history (Python floats); the batches' order."""
    weights = sum(p.numel() for p in model.parameters())
    history = 96 * steps * (model.n_blocks + 2)
    run = 20 * weights + pass_memory(model, batch_size, tokens, weights=False)
    return run + history + 8 * steps * batch_size
