"""Train a plain and a shortcut network from the same initial weights and record what happens.

Every step records, per weight matrix, the mean absolute gradient the update used and the update's
size relative to the weights, ||W_after - W_before|| / ||W_before|| (about 1e-3 is the usual
healthy mark: Karpathy, CS231n notes, "ratio of weights:updates"). Both come from the one
backward pass that drives the update: nothing is measured with an extra pass.

The network: an input layer ``Linear(in_features, width)``, then a
:class:`~shortcut_lib.DeepNetwork` of ``depth`` hidden layers ``width -> width`` (the only layers a
shortcut can skip, since input and output shapes match there), then a linear output layer
``Linear(width, 1)``. The output layer has no activation, so the network can output any logit or
value; the input and output layers keep PyTorch's default initialization.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_int
from .activations import ACTIVATIONS
from .data import TASKS, Task, make_task
from .networks import BRANCH_SCALES, INITS, NORMS, DeepNetwork, body_options
from .probes import weight_matrices
from .settings import Settings, setting

__all__ = ["OPTIMIZERS", "History", "TrainingRun", "TrainingSettings", "train"]

OPTIMIZERS = ("sgd", "adam")
MODELS = ("plain", "shortcut")
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)  # a control's stops
# A run's memory, estimated before anything is allocated: a Binder session has 1-2 GB for the
# kernel, the browser's share and the other notebooks, so one run may take at most this much.
MEMORY_LIMIT = 500e6  # bytes
_TASK_SIZE = 256  # examples in a task made by name


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """The settings of one training run (see :class:`TrainingRun` for what each does).

    ``models`` says which to train: ``"both"`` (plain and shortcut from the same weights),
    ``"plain"`` or ``"shortcut"``. Sizes are bounded by what this series is for, and a run
    whose estimated memory exceeds 500 MB is refused before anything is allocated.
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

    def _check_together(self) -> None:
        for name, on in (("norm='layernorm'", self.norm == "layernorm"),
                         ("final_norm=on", self.final_norm)):  # fmt: skip
            if on and self.width == 1:
                raise ValueError(f"{name} needs width >= 2: LayerNorm over one unit outputs 0")
        estimate = self.memory_estimate()
        if estimate > MEMORY_LIMIT:
            raise ValueError(
                f"depth={self.depth} width={self.width} steps={self.steps} would need about "
                f"{estimate / 1e6:.0f} MB, more than the {MEMORY_LIMIT / 1e6:.0f} MB one run may "
                "take; lower depth, width or steps"
            )

    def memory_estimate(self) -> float:
        """Bytes a run of these settings needs, roughly: per model the weights with their
        gradients, Adam's two moments and the update buffer, and the recorded history (Python
        floats in lists, ~32 bytes each)."""
        models = 2 if self.models == "both" else 1
        weights = self.depth * self.width * (self.width + 1) + 8 * self.width
        history = self.steps * (self.depth + 2) * 3 + self.steps
        return models * (5 * 4 * weights + 32 * history)


@dataclass(frozen=True)
class History:
    """What one model did during training, step by step, as plain lists.

    Attributes:
        model: ``"plain"`` or ``"shortcut"``.
        layer_names: one name per weight matrix, in order: ``"in"`` (input layer), ``"1"`` ..
            ``str(depth)`` (hidden layers), ``"out"`` (output layer).
        loss: the training loss of each step's batch, before that step's update (steps,).
        weight_grad_mean: mean |dL/dW| of each weight matrix at each step (steps, layers).
        update_ratio: ||W_after - W_before|| / ||W_before|| per step and layer (steps, layers).
        weight_norm: ||W_before|| per step and layer (steps, layers).
        settings: the arguments the run was made with (depth, width, lr, ...).

    Introduced in notebook 04.
    """

    model: str
    layer_names: list[str]
    loss: list[float]
    weight_grad_mean: list[list[float]]
    update_ratio: list[list[float]]
    weight_norm: list[list[float]]
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """The number of steps recorded."""
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The mean loss over the last tenth of the steps (at least one step): one number that
        batch-to-batch noise barely moves. NaN before the first step."""
        if not self.loss:
            return float("nan")
        tail = self.loss[-max(1, len(self.loss) // 10) :]
        return sum(tail) / len(tail)


class _TaskNetwork(nn.Module):
    """Input layer -> ``depth`` hidden layers (a DeepNetwork, shortcuts or not) -> output."""

    def __init__(self, in_features: int, out_features: int, s: TrainingSettings) -> None:
        super().__init__()
        self.input = nn.Linear(in_features, s.width)
        self.body = DeepNetwork([s.width] * (s.depth + 1), **body_options(s))
        self.output = nn.Linear(s.width, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.body(self.input(x)))


class TrainingRun:
    """A training run that advances in chunks, so a widget can draw and stop between them.

    Builds the network once from ``seed``, deep-copies it, and switches shortcuts on in the copy:
    both models start from exactly the same weights and see exactly the same batches.
    :func:`train` is this class run to the end.

    Args:
        task: ``"spirals"``, ``"regression"`` (made with data seed 0) or a :class:`Task`.
        **settings: the fields of :class:`TrainingSettings`:
            ``depth`` hidden ``width -> width`` layers (``activation``, ``init``, ``gain``,
            ``norm``, ``final_norm``, ``branch_scale`` as for
            :class:`~shortcut_lib.DeepNetwork`); ``models`` to train; ``optimizer``
            (``"sgd"`` without momentum, or ``"adam"``) with learning rate ``lr``; ``steps``
            updates of ``batch_size`` examples each, drawn in a seeded shuffled order (the whole
            data set, in order, when it equals the task's size); ``seed`` for the weights and
            the batch order.

    Attributes:
        settings: the :class:`TrainingSettings`.
        models: ``{"plain": module, "shortcut": module}`` (only the one asked for, if one).
        step: the number of steps done so far.

    Introduced in notebook 04.
    """

    def __init__(self, task: str | Task = "spirals", **settings: object) -> None:
        self.task = _check_task(task)
        self.settings = TrainingSettings(task=self.task.name, **settings)
        s = self.settings
        if s.lr == 0:
            raise ValueError("lr must be > 0 (with lr = 0 nothing would train); got 0")
        check_int("batch_size", s.batch_size, low=1, high=len(self.task))
        self.steps, self.step = s.steps, 0
        with torch.random.fork_rng(devices=[]):  # leaves the global RNG as it was
            torch.manual_seed(s.seed)
            base = _TaskNetwork(self.task.in_features, self.task.out_features, s)
        names = MODELS if s.models == "both" else (s.models,)
        self.models: dict[str, nn.Module] = {}
        for name in names:
            model = copy.deepcopy(base)  # the same initial weights for both
            model.body.use_shortcut = name == "shortcut"
            self.models[name] = model
        self._optimizers = {
            n: _make_optimizer(s.optimizer, m, s.lr) for n, m in self.models.items()
        }
        self._weights = {n: weight_matrices(m)[1] for n, m in self.models.items()}
        self.layer_names = ["in"] + [str(i + 1) for i in range(s.depth)] + ["out"]
        self._batches = _batch_order(len(self.task), s.batch_size, s.steps, s.seed)
        self._records = {n: {k: [] for k in _SERIES} for n in self.models}

    @property
    def done(self) -> bool:
        """Whether every step has run."""
        return self.step >= self.steps

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs (batch, in_features) and targets (batch, 1) both models use at ``step``."""
        check_int("step", step, low=0, high=self.steps - 1)
        index = self._batches[step]
        return self.task.x[index], self.task.y[index]

    def advance(self, n: int = 1) -> int:
        """Run up to ``n`` more steps (fewer if the run ends first); return the steps done."""
        check_int("n", n, low=1)
        n = min(n, self.steps - self.step)
        if n == 0:
            return self.step
        for name in self.models:
            self._advance_model(name, n)
        self.step += n
        return self.step

    def history(self) -> dict[str, History]:
        """A snapshot of what each model recorded so far, ``{"plain": History, ...}``."""
        return {
            name: History(
                model=name,
                layer_names=list(self.layer_names),
                settings=self.settings.values(),
                **{key: list(values) for key, values in records.items()},
            )
            for name, records in self._records.items()
        }

    def _advance_model(self, name: str, n: int) -> None:
        model, optimizer, weights = self.models[name], self._optimizers[name], self._weights[name]
        change = [torch.empty_like(w) for w in weights]  # reused: W_before, then W_before - W_after
        # 0-d tensors are collected and stacked when the chunk ends: one .tolist() per series
        # instead of one sync per value.
        losses, grad_l1, weight_norms, change_norms = [], [], [], []
        for i in range(n):
            x, y = self.batch(self.step + i)
            loss = self._loss(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():
                grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
                losses.append(loss.detach())
                grad_l1 += torch._foreach_norm(grads, 1)  # the gradients this very step uses
                weight_norms += torch._foreach_norm(weights)
                torch._foreach_copy_(change, weights)
                optimizer.step()
                torch._foreach_sub_(change, weights)
                change_norms += torch._foreach_norm(change)
        layers = len(weights)
        numel = torch.tensor([w.numel() for w in weights], dtype=torch.get_default_dtype())
        weight_norm = torch.stack(weight_norms).view(n, layers)
        records = self._records[name]
        records["loss"] += torch.stack(losses).tolist()
        records["weight_grad_mean"] += (torch.stack(grad_l1).view(n, layers) / numel).tolist()
        records["update_ratio"] += (
            torch.stack(change_norms).view(n, layers) / weight_norm
        ).tolist()
        records["weight_norm"] += weight_norm.tolist()

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.task.kind == "classification":
            return F.binary_cross_entropy_with_logits(output, target)
        return F.mse_loss(output, target)


_SERIES = ("loss", "weight_grad_mean", "update_ratio", "weight_norm")


def train(task: str | Task = "spirals", **settings: object) -> dict[str, History]:
    """Train a plain and a shortcut version of the same network from the same initial weights.

    Args:
        task: ``"spirals"``, ``"regression"`` or a :class:`~shortcut_lib.Task`.
        **settings: the fields of :class:`TrainingSettings` (``depth``, ``width``,
            ``activation``, ``models``, ``init``, ``gain``, ``norm``, ``final_norm``,
            ``branch_scale``, ``optimizer``, ``lr``, ``steps``, ``batch_size``, ``seed``); the
            same settings give the same histories.

    Returns:
        ``{"plain": History, "shortcut": History}`` (only the model asked for, if one).

    Introduced in notebook 04.
    """
    run = TrainingRun(task, **settings)
    run.advance(run.steps)
    return run.history()


def _check_task(task: object) -> Task:
    if isinstance(task, Task):
        return task
    if isinstance(task, str):
        return make_task(task)
    valid = ", ".join(repr(t) for t in TASKS)
    raise TypeError(
        f"task must be one of {valid} or a shortcut_lib.Task; got {type(task).__name__}"
    )


def _make_optimizer(name: str, model: nn.Module, lr: float) -> torch.optim.Optimizer:
    cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    try:
        # fused: one kernel per step instead of a Python loop over the parameters (CPU's
        # default); about 3x faster for Adam on these small models. CPU support: torch >= 2.4.
        return cls(model.parameters(), lr=lr, fused=True)
    except RuntimeError:
        return cls(model.parameters(), lr=lr, foreach=True)


def _batch_order(n: int, batch_size: int, steps: int, seed: int) -> torch.Tensor:
    if batch_size == n:  # full batch: every step sees all the data, in order
        return torch.arange(n).expand(steps, n)
    gen = torch.Generator().manual_seed(seed)
    epochs = -(-steps * batch_size // n)  # ceil
    order = torch.cat([torch.randperm(n, generator=gen) for _ in range(epochs)])
    return order[: steps * batch_size].view(steps, batch_size)  # (steps, batch_size)
