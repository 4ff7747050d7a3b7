"""Widgets: the only place that imports ipywidgets. They wire controls to compute and plot
functions and hold no maths."""

from .gradient import GradientExplorer, gradient_explorer, transformer_explorer
from .quiz import Quiz, quiz
from .training import TrainingExplorer, training_explorer, transformer_training_explorer
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
