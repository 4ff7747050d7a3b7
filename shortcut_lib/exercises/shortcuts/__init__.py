"""Notebook 03, shortcut connections: its coding exercises, in notebook order, and its questions."""

from .forward import SHORTCUT_FORWARD
from .layer_norm import LAYER_NORM
from .questions import QUESTIONS
from .spread import SPREAD
from .weight_gradient import WEIGHT_GRADIENT

__all__ = ["EXERCISES", "QUESTIONS"]

EXERCISES = (SHORTCUT_FORWARD, SPREAD, WEIGHT_GRADIENT, LAYER_NORM)
