"""shortcut_lib: helpers for a notebook series on vanishing gradients and shortcut connections.

Notebooks write ``import shortcut_lib as sl`` so a reader always sees which code is library code.
Layers, imports flowing one way: computation (activations, networks, probes) <- plotting <- widgets.
"""

from .activations import ACTIVATIONS, GELU, activation_derivative, make_activation
from .compare import (
    ExplorerSettings,
    ShortcutComparison,
    compare_shortcut,
    describe_gradients,
    describe_ratio,
    parse_settings,
)
from .data import TASKS, Task, make_regression, make_spirals, make_task
from .networks import INITS, NORMS, DeepNetwork
from .plotting import (
    GradientPlot,
    TrainingPlot,
    plot_activations,
    plot_final_losses,
    plot_gradients,
    plot_loss_curves,
    plot_spread,
    plot_training,
)
from .probes import GradientProfile, gradient_profile, print_gradients, weight_gradient_means
from .training import OPTIMIZERS, History, TrainingRun, train
from .widgets import GradientExplorer, TrainingExplorer, gradient_explorer, training_explorer

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "INITS",
    "NORMS",
    "DeepNetwork",
    "ExplorerSettings",
    "GradientExplorer",
    "GradientPlot",
    "GradientProfile",
    "ShortcutComparison",
    "activation_derivative",
    "compare_shortcut",
    "describe_gradients",
    "describe_ratio",
    "gradient_explorer",
    "gradient_profile",
    "make_activation",
    "parse_settings",
    "plot_activations",
    "plot_gradients",
    "plot_spread",
    "print_gradients",
    "weight_gradient_means",
    # notebook 04: training
    "TASKS",
    "Task",
    "make_regression",
    "make_spirals",
    "make_task",
    "OPTIMIZERS",
    "History",
    "TrainingRun",
    "train",
    "TrainingPlot",
    "plot_final_losses",
    "plot_loss_curves",
    "plot_training",
    "TrainingExplorer",
    "training_explorer",
]
