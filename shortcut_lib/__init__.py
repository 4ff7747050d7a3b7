"""shortcut_lib: helpers for a notebook series on vanishing gradients and shortcut connections.

Notebooks write ``import shortcut_lib as sl`` so a reader always sees which code is library code.
Three layers, imports flowing one way: computation (activations, networks, probes, compare, data,
training) returns plain data <- plotting draws it <- widgets wire controls to both.
"""

from .activations import ACTIVATIONS, GELU, activation_derivative, make_activation
from .compare import (
    ComparisonSettings,
    ShortcutComparison,
    compare_shortcut,
    describe_backward,
    describe_forward,
    describe_gradients,
    describe_ratio,
)
from .data import TASKS, Task, make_regression, make_spirals, make_task
from .networks import BRANCH_SCALES, INITS, NORMS, DeepNetwork
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
from .training import OPTIMIZERS, History, TrainingRun, TrainingSettings, train
from .widgets import (
    ExplorerSettings,
    GradientExplorer,
    TrainingExplorer,
    gradient_explorer,
    training_explorer,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "BRANCH_SCALES",
    "GELU",
    "INITS",
    "NORMS",
    "OPTIMIZERS",
    "TASKS",
    "ComparisonSettings",
    "DeepNetwork",
    "ExplorerSettings",
    "GradientExplorer",
    "GradientPlot",
    "GradientProfile",
    "History",
    "ShortcutComparison",
    "Task",
    "TrainingExplorer",
    "TrainingPlot",
    "TrainingRun",
    "TrainingSettings",
    "activation_derivative",
    "compare_shortcut",
    "describe_backward",
    "describe_forward",
    "describe_gradients",
    "describe_ratio",
    "gradient_explorer",
    "gradient_profile",
    "make_activation",
    "make_regression",
    "make_spirals",
    "make_task",
    "plot_activations",
    "plot_final_losses",
    "plot_gradients",
    "plot_loss_curves",
    "plot_spread",
    "plot_training",
    "print_gradients",
    "train",
    "training_explorer",
    "weight_gradient_means",
]
