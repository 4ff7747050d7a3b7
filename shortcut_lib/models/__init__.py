"""The two model families: notebooks 01-04's deep MLP (:mod:`.mlp`) and chapter 4's GPT model
(:mod:`.gpt`; its block, with the book's attention and feed-forward layers, in :mod:`.block`),
each with a shortcut that can be switched without touching a weight."""

from .block import NORM_PLACEMENTS, FeedForward, MultiHeadAttention, TransformerBlock
from .gpt import GPTModel
from .mlp import BRANCH_SCALES, INITS, NORMS, DeepNetwork

__all__ = [
    "BRANCH_SCALES",
    "INITS",
    "NORMS",
    "NORM_PLACEMENTS",
    "DeepNetwork",
    "FeedForward",
    "GPTModel",
    "MultiHeadAttention",
    "TransformerBlock",
]
