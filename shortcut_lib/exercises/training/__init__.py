"""Notebook 04, training dynamics: its coding exercises, in notebook order, and its questions."""

from .collapse import FIRST_COLLAPSED
from .questions import QUESTIONS
from .train_step import TRAIN_STEP
from .update_ratio import UPDATE_RATIO

__all__ = ["EXERCISES", "QUESTIONS"]

EXERCISES = (UPDATE_RATIO, FIRST_COLLAPSED, TRAIN_STEP)
