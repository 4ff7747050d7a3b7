"""Plotting: takes the data the computation modules return (never a model) and returns Figures."""

from .activations import plot_activations
from .gradients import GradientPlot, plot_gradients
from .spread import plot_spread
from .training import TrainingPlot, plot_final_losses, plot_loss_curves, plot_training

__all__ = [
    "GradientPlot",
    "plot_activations",
    "plot_gradients",
    "plot_spread",
    "TrainingPlot",
    "plot_final_losses",
    "plot_loss_curves",
    "plot_training",
]
