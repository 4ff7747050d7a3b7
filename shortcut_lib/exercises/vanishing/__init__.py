"""Notebook 01, vanishing gradients: its coding exercises, in notebook order, and its questions."""

from .jacobian import JACOBIAN
from .layer import MAKE_LAYER
from .probes import FAIR_COMPARISON, GRADIENT_PROBE
from .questions import QUESTIONS

__all__ = ["EXERCISES", "QUESTIONS"]

EXERCISES = (MAKE_LAYER, FAIR_COMPARISON, GRADIENT_PROBE, JACOBIAN)
