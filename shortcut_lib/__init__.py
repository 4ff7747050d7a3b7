"""shortcut_lib: helpers for a notebook series on vanishing gradients and shortcut connections.

Notebooks write ``import shortcut_lib as sl`` so a reader always sees which code is library code.
Three layers, imports flowing one way: computation (activations, networks, probes, compare, data,
training, transformer) returns plain data <- plotting draws it <- widgets wire controls to both.
"""

from .activations import ACTIVATIONS, GELU, activation_derivative, make_activation
from .compare import Comparison, compare_shortcut, compare_transformer
from .data import TASKS, Task, TokenTask, make_regression, make_spirals, make_task, make_token_task
from .exercises import EXERCISES, QUESTIONS, CheckResult, check_exercise
from .families import BlockSettings, BlockTrainingSettings, ComparisonSettings, TrainingSettings
from .families.mlp import OPTIMIZERS
from .models import (
    BRANCH_SCALES,
    INITS,
    NORM_PLACEMENTS,
    NORMS,
    DeepNetwork,
    FeedForward,
    GPTModel,
    MultiHeadAttention,
    TransformerBlock,
)
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
from .probes import (
    GradientProfile,
    TransformerProfile,
    gradient_profile,
    print_gradients,
    transformer_profile,
    weight_gradient_means,
)
from .training import History, TrainingRun, train, train_seeds, train_transformer
from .widgets import (
    ExplorerSettings,
    GradientExplorer,
    Quiz,
    TrainingExplorer,
    gradient_explorer,
    quiz,
    training_explorer,
    transformer_explorer,
    transformer_training_explorer,
)
from .words import describe_backward, describe_forward

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "BRANCH_SCALES",
    "EXERCISES",
    "GELU",
    "INITS",
    "NORMS",
    "NORM_PLACEMENTS",
    "OPTIMIZERS",
    "QUESTIONS",
    "TASKS",
    "BlockSettings",
    "CheckResult",
    "Comparison",
    "BlockTrainingSettings",
    "ComparisonSettings",
    "DeepNetwork",
    "ExplorerSettings",
    "FeedForward",
    "GPTModel",
    "GradientExplorer",
    "GradientPlot",
    "GradientProfile",
    "History",
    "MultiHeadAttention",
    "Quiz",
    "Task",
    "TokenTask",
    "TrainingExplorer",
    "TrainingPlot",
    "TrainingRun",
    "TrainingSettings",
    "TransformerBlock",
    "TransformerProfile",
    "activation_derivative",
    "check_exercise",
    "compare_shortcut",
    "compare_transformer",
    "describe_backward",
    "describe_forward",
    "gradient_explorer",
    "gradient_profile",
    "make_activation",
    "make_regression",
    "make_spirals",
    "make_task",
    "make_token_task",
    "plot_activations",
    "plot_final_losses",
    "plot_gradients",
    "plot_loss_curves",
    "plot_spread",
    "plot_training",
    "print_gradients",
    "quiz",
    "train",
    "train_seeds",
    "train_transformer",
    "training_explorer",
    "transformer_explorer",
    "transformer_training_explorer",
    "transformer_profile",
    "weight_gradient_means",
]
