"""The deep MLP of notebooks 01-04: what a comparison probes and what a run trains.

A comparison probes a bare :class:`~shortcut_lib.DeepNetwork` of ``depth`` layers ``width ->
width`` on noise drawn from the seed (target zeros). A run trains notebook 04's network on a small
task: an input layer, the DeepNetwork, a linear output layer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_int
from ..activations import ACTIVATIONS
from ..data import TASKS, Task, make_task
from ..models.mlp import BRANCH_SCALES, INITS, NORMS, DeepNetwork, initialize
from ..probes import GradientProfile, gradient_profile
from ..settings import Settings, setting
from . import costs
from .bounds import Cost, check_cost

__all__ = ["MODELS", "OPTIMIZERS", "ComparisonSettings", "TrainingSettings"]

MODELS = ("plain", "shortcut")
OPTIMIZERS = ("sgd", "adam")
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # a control's stops
BODY = ("activation", "init", "gain", "norm", "final_norm", "branch_scale")
REWIRED = ("activation", "norm", "final_norm", "branch_scale")  # DeepNetwork.rewire's options


def _check_layernorm_width(settings: Settings) -> None:
    for name, on in (("norm='layernorm'", settings.norm == "layernorm"),
                     ("final_norm=on", settings.final_norm)):  # fmt: skip
        if on and settings.width == 1:
            raise ValueError(
                f"{name} needs width >= 2: LayerNorm over a single feature outputs zeros, "
                "so no gradient could flow; raise the width or switch it off"
            )


def twin(model: nn.Module) -> nn.Module:
    """A copy of ``model``'s modules over the very same weights (``Parameter`` objects): its
    wiring switches are its own, its weights are ``model``'s."""
    return copy.deepcopy(model, memo={id(p): p for p in model.parameters()})


def network(settings: Settings, depth: int, *, seeded: bool = True) -> DeepNetwork:
    """The DeepNetwork of ``settings`` at ``depth`` layers of ``width -> width``: its weights
    drawn from its seed, or (``seeded=False``) from the global RNG as it stands."""
    sizes = [settings.width] * (depth + 1)
    seed = settings.seed if seeded else None
    return DeepNetwork(sizes, seed=seed, **{n: getattr(settings, n) for n in BODY})


@dataclass(frozen=True)
class ComparisonSettings(Settings):
    """One configuration of the plain-against-shortcut comparison.

    Each network is ``depth`` layers of ``width -> width`` so that every layer has a shortcut;
    the input is ``batch_size`` rows of standard normal noise drawn from ``seed``, the target
    zeros. ``str(settings)`` is the one-line state string that :meth:`parse` reads back; the
    other fields are as for :class:`~shortcut_lib.DeepNetwork`.

    Introduced in notebook 03.
    """

    depth: int = setting(30, low=1, high=200)
    width: int = setting(64, low=1, high=256)
    activation: str = setting("gelu", choices=ACTIVATIONS)
    init: str = setting("default", choices=INITS)
    gain: float = setting(1.0, low=0.05, high=4.0, step=0.05)
    norm: str = setting("none", choices=NORMS)
    final_norm: bool = setting(False, choices=(False, True), control="toggle")
    branch_scale: str = setting("1", choices=BRANCH_SCALES)
    batch_size: int = setting(16, low=1, high=256)
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    # Subnormal gradients are part of what notebooks 02 and 03 show: computed as they are.
    flush_subnormals = False

    def side_by_side(self) -> bool:
        """Whether the two wirings gain from being probed on two threads at once: when each
        operation's batch x width is large (``costs.SIDE_BY_SIDE_NUMBERS``)."""
        return self.batch_size * self.width >= costs.SIDE_BY_SIDE_NUMBERS

    def _check_together(self) -> None:
        _check_layernorm_width(self)
        check_cost(
            self, costs.mlp_update, ("batch_size", "width", "depth"), what="one update",
            why=" (a deep plain network's vanishing gradients can pass through float32's "
            "subnormal numbers, 60-200x slower to compute with)",
        )  # fmt: skip

    def cost(self) -> Cost:
        """The estimated time (on one core) and peak memory of one update of these settings,
        computed from the fields alone; more than 1 s or 300 MB is refused."""
        return costs.mlp_update(self.values())

    def wirings_key(self) -> tuple:
        """What needs new models: the layers' shapes. Not the depth (weights are drawn layer by
        layer, so a deeper network of one seed starts with the same layers), nor the seed, the
        init or the gain (the weights redrawn in place), nor the activation, the norms or the
        branch scale (rewired in place)."""
        return (self.width,)

    def make_wirings(self, depth: int) -> Wirings:
        """The plain and the shortcut network, over one set of weights, at ``depth`` layers."""
        return Wirings(network(self, depth), self)

    def batch_key(self) -> tuple:
        return (self.batch_size, self.width, self.seed)

    def make_batch(self) -> torch.Tensor:
        """The probe's input: ``batch_size`` rows of noise drawn from ``seed``, (batch, width)."""
        generator = torch.Generator().manual_seed(self.seed)
        return torch.randn(self.batch_size, self.width, generator=generator)

    @staticmethod
    def probe(model: DeepNetwork, batch: torch.Tensor) -> GradientProfile:
        return gradient_profile(model, batch)


class Wirings:
    """A comparison's two networks over one set of weights, built deep enough for the depths
    asked so far; a request runs the first ``depth`` layers of each. A new seed, init or gain
    draws the weights again in place, exactly as a fresh network of those settings would (a
    rebuild of 200 layers took 100 ms, the draw takes a few)."""

    def __init__(self, shortcut: DeepNetwork, settings: ComparisonSettings) -> None:
        shortcut.use_shortcut = True
        plain = twin(shortcut)
        plain.use_shortcut = False
        self.depth, self._models = shortcut.depth, {"plain": plain, "shortcut": shortcut}
        self._drawn = weights_key(settings)
        self._wiring = {n: getattr(settings, n) for n in REWIRED}

    def models(self, settings: ComparisonSettings) -> dict[str, DeepNetwork]:
        if weights_key(settings) != self._drawn:
            redraw(self._models["shortcut"], settings)  # its Parameters are the plain one's too
            self._models["plain"].init, self._models["plain"].gain = settings.init, settings.gain
            self._drawn = weights_key(settings)
        wiring = {n: getattr(settings, n) for n in REWIRED}
        if wiring != self._wiring:
            for model in self._models.values():
                model.rewire(**wiring)
            self._wiring = wiring
        return {label: m.first_layers(settings.depth) for label, m in self._models.items()}


def weights_key(settings: Settings) -> tuple:
    """What a network's weights are drawn from, given its shapes: the seed, the init, the gain."""
    return (settings.seed, settings.init, settings.gain)


def redraw(model: DeepNetwork, settings: Settings) -> None:
    """Draw ``model``'s weights afresh in place, as ``network(settings, model.depth)`` draws
    them: from ``settings.seed``, layer by layer, nn.Linear's own init, then the chosen one.
    LayerNorms draw nothing and keep their weight 1 and bias 0."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        for layer in model.layers:
            layer[0].reset_parameters()  # what nn.Linear's constructor draws
            initialize(layer[0], settings.init, settings.gain)
    model.init, model.gain = settings.init, settings.gain


class TaskNetwork(nn.Module):
    """Input layer -> ``depth`` hidden layers (a DeepNetwork, shortcuts or not) -> output."""

    def __init__(self, task: Task, settings: TrainingSettings) -> None:
        super().__init__()
        self.input = nn.Linear(task.in_features, settings.width)
        self.body = network(settings, settings.depth, seeded=False)  # after the input layer
        self.output = nn.Linear(settings.width, task.out_features)

    @property
    def use_shortcut(self) -> bool:
        """Whether the hidden layers add their input back (set it to rewire them)."""
        return self.body.use_shortcut

    @use_shortcut.setter
    def use_shortcut(self, value: bool) -> None:
        self.body.use_shortcut = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.body(self.input(x)))


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """The settings of one training run of notebook 04's network (see
    :class:`~shortcut_lib.TrainingRun`).

    ``models`` says which to train: ``"both"`` (plain and shortcut from the same weights),
    ``"plain"`` or ``"shortcut"``. Sizes are bounded by what this series is for, and a run
    whose estimated memory exceeds 300 MB is refused before anything is allocated.
    ``str(settings)`` is the state string.

    Introduced in notebook 04.
    """

    task: str = setting("spirals", choices=TASKS)
    depth: int = setting(20, low=1, high=200, shown=(1, 60))
    width: int = setting(32, low=1, high=512, shown=(2, 128))
    activation: str = setting("sigmoid", choices=ACTIVATIONS)
    models: str = setting("both", choices=("both", *MODELS), control="toggle")
    init: str = setting("default", choices=INITS)
    gain: float = setting(1.0, low=0.05, high=4.0, step=0.05)
    norm: str = setting("none", choices=NORMS)
    final_norm: bool = setting(False, choices=(False, True), control="toggle")
    branch_scale: str = setting("1", choices=BRANCH_SCALES)
    optimizer: str = setting("adam", choices=OPTIMIZERS)
    lr: float = setting(0.01, low=1e-6, high=10.0, control="steps", marks=LEARNING_RATES)
    steps: int = setting(300, low=1, high=5000, shown=(10, 2000), step=10)
    batch_size: int = setting(64, low=1, high=4096, control="text")
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    warmup = 0  # not a setting here: the MLP trains at its learning rate from the first step

    def _check_together(self) -> None:
        _check_layernorm_width(self)
        check_cost(
            self, lambda v: Cost(None, costs.mlp_run_bytes(v)),
            ("width", "depth", "steps", "batch_size"), what="one run", seconds=None,
        )  # fmt: skip

    def size(self) -> str:
        """The settings that set a run's size, as a state string's words."""
        return f"depth={self.depth} width={self.width} steps={self.steps}"

    def memory_estimate(self) -> float:
        """Bytes a run of these settings needs, roughly: per model the weights with their
        gradients, Adam's two moments and the update buffer, one step's activations and the
        recorded history (Python floats in lists, ~32 bytes each). More than 300 MB is refused.
        """
        return costs.mlp_run_bytes(self.values())

    @classmethod
    def for_task(cls, task: object, changes: dict[str, object]) -> tuple[TrainingSettings, Task]:
        """The settings and the task of a run on ``task``: a name or a :class:`Task`."""
        if isinstance(task, Task):
            settings = cls(**{**changes, "task": task.name})
        elif isinstance(task, str):
            settings, task = cls(**{**changes, "task": task}), None
        else:
            valid = ", ".join(repr(t) for t in (*TASKS, "tokens"))
            raise TypeError(
                f"task must be one of {valid}, a shortcut_lib.Task or a TokenTask; got "
                f"{type(task).__name__}"
            )
        task = task or settings.make_task()
        check_int("batch_size", settings.batch_size, low=1, high=len(task))
        return settings, task

    def make_task(self) -> Task:
        """The task by name (256 examples, data seed 0)."""
        return make_task(self.task)

    def make_model(self, task: Task) -> TaskNetwork:
        """The network to train, its weights drawn from ``seed`` (the global RNG untouched)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return TaskNetwork(task, self)

    def layer_names(self) -> list[str]:
        """One name per recorded layer: ``in``, the hidden layers ``1``.. ``depth``, ``out``."""
        return ["in", *map(str, range(1, self.depth + 1)), "out"]

    def described(self) -> dict[str, object]:
        """The settings, as a history keeps them."""
        return self.values()

    @staticmethod
    def weights(model: TaskNetwork) -> tuple[list[torch.Tensor], list[int]]:
        """A run's weight matrices, in, hidden layers, out, and the layer each is recorded under."""
        matrices = [model.input.weight, *(layer[0].weight for layer in model.body.layers)]
        matrices.append(model.output.weight)
        return matrices, list(range(len(matrices)))

    @staticmethod
    def output(model: TaskNetwork, x: torch.Tensor) -> torch.Tensor:
        """The network's output, (batch, 1)."""
        return model(x)

    @staticmethod
    def loss(task: Task, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy on one logit for a classification task, else the MSE."""
        if task.kind == "classification":
            return F.binary_cross_entropy_with_logits(output, target)
        return F.mse_loss(output, target)
