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

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_choice, check_float, check_int
from .activations import make_activation
from .data import TASKS, Task, make_task
from .networks import INITS, NORMS, DeepNetwork
from .probes import weight_matrices

__all__ = ["OPTIMIZERS", "History", "TrainingRun", "train"]

OPTIMIZERS = ("sgd", "adam")
MODELS = ("plain", "shortcut")


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

    def __init__(self, in_features: int, out_features: int, depth: int, width: int, **body) -> None:
        super().__init__()
        self.input = nn.Linear(in_features, width)
        self.body = DeepNetwork([width] * (depth + 1), **body)
        self.output = nn.Linear(width, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.body(self.input(x)))


class TrainingRun:
    """A training run that advances in chunks, so a widget can draw and stop between them.

    Builds the network once from ``seed``, deep-copies it, and switches shortcuts on in the copy:
    both models start from exactly the same weights and see exactly the same batches.
    :func:`train` is this class run to the end.

    Args:
        task: ``"spirals"``, ``"regression"`` (made with data seed 0) or a :class:`Task`.
        depth: the number of hidden ``width -> width`` layers.
        width: the size of every hidden layer.
        activation: as for :class:`~shortcut_lib.DeepNetwork`.
        use_shortcut: ``None`` trains both models; ``False`` only the plain, ``True`` only the
            shortcut one.
        init, gain, norm: as for :class:`~shortcut_lib.DeepNetwork` (hidden layers only).
        optimizer: ``"sgd"`` (no momentum) or ``"adam"``.
        lr: the learning rate.
        steps: the number of updates.
        batch_size: examples per step, drawn in a seeded shuffled order; the whole data set
            (in order) when it equals the task's size.
        seed: seeds the weights and the batch order.

    Attributes:
        models: ``{"plain": module, "shortcut": module}`` (only the one asked for, if any).
        step: the number of steps done so far.

    Introduced in notebook 04.
    """

    def __init__(
        self,
        task: str | Task = "spirals",
        *,
        depth: int = 20,
        width: int = 32,
        activation: str = "sigmoid",
        use_shortcut: bool | None = None,
        init: str = "default",
        gain: float = 1.0,
        norm: str = "none",
        optimizer: str = "adam",
        lr: float = 0.01,
        steps: int = 300,
        batch_size: int = 64,
        seed: int = 0,
    ) -> None:
        self.task = _check_task(task)
        check_int("depth", depth, low=1, high=1000)
        check_int("width", width, low=1, high=4096)
        make_activation(activation)  # validates the name
        if use_shortcut is not None:
            check_bool("use_shortcut", use_shortcut)
        check_choice("init", init, INITS)
        gain = check_float("gain", gain, low=0.0)
        check_choice("norm", norm, NORMS)
        check_choice("optimizer", optimizer, OPTIMIZERS)
        lr = check_float("lr", lr, low=0.0)
        if lr == 0:
            raise ValueError("lr must be > 0 (with lr = 0 nothing would train); got 0")
        check_int("steps", steps, low=1)
        check_int("batch_size", batch_size, low=1, high=len(self.task))
        check_int("seed", seed)
        self.settings: dict[str, object] = dict(
            task=self.task.name,
            depth=depth,
            width=width,
            activation=activation,
            init=init,
            gain=gain,
            norm=norm,
            optimizer=optimizer,
            lr=lr,
            steps=steps,
            batch_size=batch_size,
            seed=seed,
        )
        self.steps, self.step = steps, 0

        with torch.random.fork_rng(devices=[]):  # leaves the global RNG as it was
            torch.manual_seed(seed)
            base = _TaskNetwork(
                self.task.in_features,
                self.task.out_features,
                depth,
                width,
                activation=activation,
                init=init,
                gain=gain,
                norm=norm,
            )
        names = MODELS if use_shortcut is None else (MODELS[int(use_shortcut)],)
        self.models: dict[str, nn.Module] = {}
        for name in names:
            model = copy.deepcopy(base)  # the same initial weights for both
            model.body.use_shortcut = name == "shortcut"
            self.models[name] = model
        self._optimizers = {n: _make_optimizer(optimizer, m, lr) for n, m in self.models.items()}
        self._weights = {n: weight_matrices(m)[1] for n, m in self.models.items()}
        self.layer_names = ["in"] + [str(i + 1) for i in range(depth)] + ["out"]
        self._batches = _batch_order(len(self.task), batch_size, steps, seed)  # (steps, batch)
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
        with _one_thread():
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
                settings=dict(self.settings),
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


def train(
    task: str | Task = "spirals",
    *,
    depth: int = 20,
    width: int = 32,
    activation: str = "sigmoid",
    use_shortcut: bool | None = None,
    init: str = "default",
    gain: float = 1.0,
    norm: str = "none",
    optimizer: str = "adam",
    lr: float = 0.01,
    steps: int = 300,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, History]:
    """Train a plain and a shortcut version of the same network from the same initial weights.

    Args:
        task: ``"spirals"``, ``"regression"`` or a :class:`~shortcut_lib.Task`.
        depth, width, activation: the hidden layers (see :class:`TrainingRun`).
        use_shortcut: ``None`` (default) trains both models; ``False`` or ``True`` only one.
        init, gain, norm: as for :class:`~shortcut_lib.DeepNetwork`.
        optimizer: ``"sgd"`` or ``"adam"``.
        lr: the learning rate.
        steps: the number of updates.
        batch_size: examples per step.
        seed: seeds the weights and the batch order; the same seed gives the same histories.

    Returns:
        ``{"plain": History, "shortcut": History}`` (only the model asked for, if one).

    Introduced in notebook 04.
    """
    run = TrainingRun(
        task,
        depth=depth,
        width=width,
        activation=activation,
        use_shortcut=use_shortcut,
        init=init,
        gain=gain,
        norm=norm,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        seed=seed,
    )
    run.advance(steps)
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


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    # These models are small: one thread is as fast as two and leaves a core for the plots.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
