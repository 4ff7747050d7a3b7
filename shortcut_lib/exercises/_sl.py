"""The library's names as the notebooks spell them, ``sl.DeepNetwork``: the starters and worked
solutions here read exactly as the notebooks show them, without importing the package's own front
door from inside it."""

from ..activations import activation_derivative
from ..models import DeepNetwork, GPTModel
from ..probes import weight_gradient_means

__all__ = ["DeepNetwork", "GPTModel", "activation_derivative", "weight_gradient_means"]
