"""Notebook 05, the GPT block: its coding exercises, in notebook order, and its questions."""

from .gpt2_init import GPT2_INIT
from .questions import QUESTIONS
from .wiring import RESIDUAL_STREAM, SUBLAYER

__all__ = ["EXERCISES", "QUESTIONS"]

EXERCISES = (SUBLAYER, RESIDUAL_STREAM, GPT2_INIT)
