"""Notebook 02, activation functions: its coding exercises, in notebook order, and its questions."""

from .questions import QUESTIONS
from .slope_in_use import SLOPE_IN_USE
from .slopes import GELU_SLOPE, SIGMOID

__all__ = ["EXERCISES", "QUESTIONS"]

EXERCISES = (SIGMOID, GELU_SLOPE, SLOPE_IN_USE)
