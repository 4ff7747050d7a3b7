"""Widgets: the only place that imports ipywidgets. They wire controls to compute and plot
functions and hold no maths."""

from .gradient import ExplorerSettings, GradientExplorer, gradient_explorer
from .quiz import Quiz, quiz
from .training import TrainingExplorer, training_explorer
from .transformer import TransformerExplorer, transformer_explorer
from .transformer_training import TransformerTrainingExplorer, transformer_training_explorer

__all__ = [
    "ExplorerSettings",
    "GradientExplorer",
    "gradient_explorer",
    "TrainingExplorer",
    "training_explorer",
    "TransformerExplorer",
    "transformer_explorer",
    "Quiz",
    "quiz",
    "TransformerTrainingExplorer",
    "transformer_training_explorer",
]
