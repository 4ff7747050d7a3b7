"""Probes: one forward and one backward pass of a model, measured per layer and returned as data.

:mod:`.mlp` probes the MLP (and any model of linear layers, in the book's format), :mod:`.gpt` a GPT
stack per block; both reduce their pass with the one loop of :mod:`._pass`.
"""

from .gpt import TransformerProfile, check_batch, transformer_profile, transformer_profile_pair
from .mlp import (
    DIAGNOSTICS,
    GradientProfile,
    gradient_profile,
    print_gradients,
    weight_gradient_means,
    weight_matrices,
)

__all__ = [
    "DIAGNOSTICS",
    "GradientProfile",
    "TransformerProfile",
    "check_batch",
    "gradient_profile",
    "print_gradients",
    "transformer_profile",
    "transformer_profile_pair",
    "weight_gradient_means",
    "weight_matrices",
]
