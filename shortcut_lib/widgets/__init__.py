"""Widgets: the only place that imports ipywidgets. They wire controls to compute and plot
functions and hold no maths."""

from .explorers import (
    gradient_explorer,
    training_explorer,
    transformer_explorer,
    transformer_training_explorer,
)
from .gradient import GradientExplorer
from .quiz import Quiz, quiz
from .training import TrainingExplorer
from .views import ExplorerSettings

__all__ = [
    "ExplorerSettings",
    "GradientExplorer",
    "Quiz",
    "TrainingExplorer",
    "gradient_explorer",
    "quiz",
    "training_explorer",
    "transformer_explorer",
    "transformer_training_explorer",
]
