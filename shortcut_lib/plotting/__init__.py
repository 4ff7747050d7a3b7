"""Plotting: takes the data the computation modules return (never a model) and returns Figures."""

from .activations import plot_activations
from .gradients import GradientPlot, plot_gradients
from .runs import plot_final_losses, plot_loss_curves
from .spread import plot_spread
from .training import TrainingPlot, plot_training

__all__ = [
    "GradientPlot",
    "TrainingPlot",
    "plot_activations",
    "plot_final_losses",
    "plot_gradients",
    "plot_loss_curves",
    "plot_spread",
    "plot_training",
]
