"""Train a plain and a shortcut model from the same initial weights, and record every step.

One loop for both families: notebook 04's MLP on a small task and notebook 05's GPT stack on the
token task (the run's settings class says which, :mod:`~shortcut_lib.families`). Every step
records the loss and, per layer, the mean |dL/dW| the update used and the update's size relative
to the weights, ||W_after - W_before|| / ||W_before|| (about 1e-3 is the usual healthy mark:
Karpathy, CS231n notes, "ratio of weights:updates"). A GPT block's six weight matrices are one
layer. Everything comes from the one backward pass that drives the update.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_float, check_int, check_memory, check_seed
from .data import TokenTask
from .families import training_settings
from .families.gpt import BlockTrainingSettings
from .families.mlp import MODELS, TrainingSettings
from .history import History
from .models.gpt import GPTModel, check_model
from .models.sizes import run_memory
from .probes._pass import draws_random

__all__ = ["History", "TrainingRun", "train", "train_transformer"]

_SERIES = ("loss", "weight_grad_mean", "update_ratio", "weight_norm")


Family = type[TrainingSettings] | type[BlockTrainingSettings]


class _Learner:
    """One model, its optimizer and its records: the loop every run and ``train_transformer``
    advance. ``family`` knows the model's weight matrices, output and loss."""

    def __init__(self, model: nn.Module, family: Family, task: object, batches: torch.Tensor,
                 optimizer: str, lr: float, warmup: int, seed: int) -> None:  # fmt: skip
        self.model, self.family, self.task, self.batches = model, family, task, batches
        self.lr, self.warmup, self.step = lr, warmup, 0
        # Dropout, if the model has any, draws from the run's own RNG, seeded: the global RNG
        # is untouched and the same settings give the same run.
        self._rng = torch.Generator().manual_seed(seed).get_state()
        self.weights, groups = family.weights(model)
        # (matrices, layers) of 0/1: sums per matrix -> sums per layer in one product
        self.groups = F.one_hot(torch.tensor(groups)).double()
        self.numel = self.groups.T @ torch.tensor([float(w.numel()) for w in self.weights]).double()
        self.optimizer = _make_optimizer(optimizer, model, lr)
        self._change = [torch.empty_like(w) for w in self.weights]  # W_before, then W_b - W_a
        self.records: dict[str, list] = {key: [] for key in _SERIES}

    def advance(self, n: int) -> None:
        """Run the next ``n`` steps (fewer at the end of the batches) and record them. Works
        under ``no_grad`` and ``inference_mode`` (training turns gradients on for itself), and
        leaves the model in ``train()`` or ``eval()`` mode as it found it."""
        with _training(self.model):
            # Forked only when dropout draws: a run on the explorer's thread never touches the
            # global RNG the notebook's own cells use meanwhile.
            random = draws_random(self.model)
            with torch.random.fork_rng(devices=[], enabled=random):
                if random:
                    torch.set_rng_state(self._rng)
                stats = [self._step(index) for index in self.batches[self.step : self.step + n]]
                if random:
                    self._rng = torch.get_rng_state()
        self.optimizer.zero_grad(set_to_none=True)  # leave no .grad for a probe to trip over
        if not stats:
            return
        # stacked once a chunk: one .tolist() per series, not one sync a step
        series = (torch.stack(s).double() for s in zip(*stats, strict=True))
        losses, grad_l1, weight_l2, change_l2 = series  # (steps,), then (steps, matrices)
        weight_norm = (weight_l2.square() @ self.groups).sqrt()  # (steps, layers)
        records = self.records
        records["loss"] += losses.tolist()
        records["weight_grad_mean"] += (grad_l1 @ self.groups / self.numel).tolist()
        records["update_ratio"] += (
            (change_l2.square() @ self.groups).sqrt() / weight_norm
        ).tolist()
        records["weight_norm"] += weight_norm.tolist()

    def _step(self, index: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # One update; returns the loss and, per weight matrix, ||dL/dW||_1, ||W|| and ||dW||.
        weights, change = self.weights, self._change
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * _warmup_factor(self.step, self.warmup)
        output = self.family.output(self.model, self.task.x[index])
        loss = self.family.loss(self.task, output, self.task.y[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
            grad_l1 = torch.stack(torch._foreach_norm(grads, 1))  # the gradients this step uses
            weight_l2 = torch.stack(torch._foreach_norm(weights))
            torch._foreach_copy_(change, weights)
            self.optimizer.step()
            torch._foreach_sub_(change, weights)  # W_before - W_after
            change_l2 = torch.stack(torch._foreach_norm(change))
        self.step += 1
        return loss.detach(), grad_l1, weight_l2, change_l2

    def history(self, name: str, layer_names: list[str], settings: dict[str, object]) -> History:
        return History(
            model=name,
            layer_names=list(layer_names),
            settings=dict(settings),
            **{key: list(values) for key, values in self.records.items()},
        )


class TrainingRun:
    """A training run that advances in chunks, so a widget can draw and stop between them.

    Builds the model once from ``seed``, deep-copies it, and switches shortcuts on in one copy
    and off in the other: both models start from exactly the same weights and see exactly the
    same batches. :func:`train` is this class run to the end.

    Args:
        task: notebook 04's MLP on ``"spirals"``, ``"regression"`` (made with data seed 0) or a
            :class:`~shortcut_lib.Task`; notebook 05's GPT stack on ``"tokens"`` (the token
            task made from ``seed``) or a :class:`~shortcut_lib.TokenTask`; or the settings of
            a run (:class:`~shortcut_lib.TrainingSettings`,
            :class:`~shortcut_lib.BlockTrainingSettings`).
        **settings: the fields of that settings class. For the MLP: ``depth`` hidden
            ``width -> width`` layers (``activation``, ``init``, ``gain``, ``norm``,
            ``final_norm``, ``branch_scale`` as for :class:`~shortcut_lib.DeepNetwork`),
            ``models`` to train, ``optimizer`` (``"sgd"`` without momentum, or ``"adam"``) with
            learning rate ``lr``, ``steps`` updates of ``batch_size`` examples each, drawn in a
            seeded shuffled order (the whole data set, in order, when it equals the task's
            size), ``seed`` for the weights and the batch order.

    Attributes:
        settings: the run's settings.
        task: what it trains on.
        models: ``{"plain": module, "shortcut": module}`` (only the one asked for, if one).
        step: the number of steps done so far; ``steps`` the number planned.

    Introduced in notebook 04 (the GPT stack in notebook 05).
    """

    def __init__(self, task: object = "spirals", **settings: object) -> None:
        with torch.inference_mode(False):  # models and data autograd can train, wherever built
            self._build(task, settings)

    def _build(self, task: object, settings: dict[str, object]) -> None:
        self.settings, self.task = s, task = training_settings(task, settings)
        self.steps, self.step = s.steps, 0
        self.layer_names = s.layer_names()
        base = s.make_model(task)
        self._batches = _batch_order(len(task), s.batch_size, s.steps, s.seed)
        self.models: dict[str, nn.Module] = {}
        self._learners: dict[str, _Learner] = {}
        for name in MODELS if s.models == "both" else (s.models,):
            model = copy.deepcopy(base)  # the same initial weights for both
            model.use_shortcut = name == "shortcut"
            self.models[name] = model
            self._learners[name] = _Learner(
                model, type(s), task, self._batches, s.optimizer, s.lr, s.warmup, s.seed
            )

    @property
    def done(self) -> bool:
        """Whether every step has run."""
        return self.step >= self.steps

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs and targets both models use at ``step``."""
        check_int("step", step, low=0, high=self.steps - 1)
        index = self._batches[step]
        return self.task.x[index], self.task.y[index]

    def advance(self, n: int = 1) -> int:
        """Run up to ``n`` more steps (fewer if the run ends first); return the steps done."""
        check_int("n", n, low=1)
        n = min(n, self.steps - self.step)
        for learner in self._learners.values():
            learner.advance(n)
        self.step += n
        return self.step

    def history(self) -> dict[str, History]:
        """A snapshot of what each model recorded so far, ``{"plain": History, ...}``."""
        settings = self.settings.described()
        return {n: t.history(n, self.layer_names, settings) for n, t in self._learners.items()}


def train(task: object = "spirals", **settings: object) -> dict[str, History]:
    """Train a plain and a shortcut version of the same model from the same initial weights.

    Args:
        task: what :class:`TrainingRun` takes: ``"spirals"``, ``"regression"`` or a
            :class:`~shortcut_lib.Task` for the MLP, ``"tokens"`` or a
            :class:`~shortcut_lib.TokenTask` for the GPT stack, or a run's settings.
        **settings: the fields of the run's settings class (``depth``, ``width``, ``lr``,
            ``steps``, ``seed``, ...); the same settings give the same histories.

    Returns:
        ``{"plain": History, "shortcut": History}`` (only the model asked for, if one).

    Introduced in notebook 04.
    """
    run = TrainingRun(task, **settings)
    run.advance(run.steps)
    return run.history()


def train_transformer(
    model: GPTModel,
    task: TokenTask,
    *,
    lr: float = 0.03,
    steps: int = 60,
    batch_size: int = 32,
    warmup: int = 0,
    seed: int = 0,
) -> History:
    """Train ``model`` in place on ``task`` with Adam (a linear warmup if asked, no decay).

    Works under ``no_grad`` and ``inference_mode``, leaves the model in ``train()`` or ``eval()``
    as it came, and draws dropout (if any) from a generator seeded with ``seed``. A frozen model,
    one built under ``inference_mode`` and a run too large for a notebook are refused.

    Args:
        model: a :class:`~shortcut_lib.GPTModel` whose vocabulary and context cover the task's.
        task: a :class:`~shortcut_lib.TokenTask` (see ``make_token_task``).
        lr: Adam's learning rate.
        steps: the number of updates.
        batch_size: sequences per step, in a shuffled order fixed by ``seed``.
        warmup: the learning rate rises linearly to ``lr`` over this many steps (0: from the
            first step; GPT-2 and nanoGPT warm up).
        seed: seeds the batch order; the global RNG is untouched.

    Returns:
        A :class:`History`: the loss of each step's batch before that step's update, and per
        step and layer (``"in"``: the embeddings, ``"1"``.. the blocks, ``"out"``: the head) the
        mean |dL/dW|, the update ratio and the weights' norm.

    Introduced in notebook 05.
    """
    _check_run(model, task, lr=lr, steps=steps, batch_size=batch_size, warmup=warmup, seed=seed)
    lr = float(lr)
    with torch.inference_mode(False):
        batches = _batch_order(len(task), batch_size, steps, seed)
        learner = _Learner(model, BlockTrainingSettings, task, batches, "adam", lr, warmup, seed)
    learner.advance(steps)
    settings = dict(
        depth=model.n_blocks, width=model.tok_emb.embedding_dim, norm=model.norm,
        final_norm=model.use_final_norm, scaled_init=model.scaled_init, lr=lr, warmup=warmup,
        steps=steps, batch_size=batch_size, seed=seed,
    )  # fmt: skip
    words = BlockTrainingSettings.words(warmup, model.scaled_init, model.init)
    layer_names = ["in", *map(str, range(1, model.n_blocks + 1)), "out"]
    name = "shortcut" if model.use_shortcut else "plain"
    return learner.history(name, layer_names, {**words, **settings})


def _check_run(model: object, task: object, **options: object) -> None:
    # train_transformer's arguments, before anything is allocated.
    check_model(model)  # a GPTModel with real weights that autograd can reach
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(
            "model has no weight that requires grad: it was frozen with requires_grad_(False), "
            "so there is nothing to train; unfreeze it with model.requires_grad_(True)"
        )
    if not isinstance(task, TokenTask):
        raise TypeError(f"task must be a TokenTask (make_token_task); got {type(task).__name__}")
    model.check_tokens("task.x", task.x)  # the task fits the model's vocabulary and context
    model.check_tokens("task.y", task.y)
    limits = BlockTrainingSettings.specs()  # the bounds a run of GPT stacks has everywhere
    check_float("lr", options["lr"], low=1e-8, high=1.0)
    steps = check_int("steps", options["steps"], low=1, high=limits["steps"].high)
    batch_size = check_int("batch_size", options["batch_size"], low=1, high=len(task))
    check_int("warmup", options["warmup"], low=0, high=limits["warmup"].high)
    check_seed("seed", options["seed"])
    check_memory(
        f"training for {steps:,} steps of {batch_size:,} sequences",
        run_memory(model, steps, batch_size, task.context_length),
        "steps or batch_size",
    )


@contextlib.contextmanager
def _training(model: nn.Module) -> Iterator[None]:
    # Gradients on, also under no_grad or inference_mode, and the model in train() mode (dropout,
    # if it has any, is part of training); then each module's train() or eval() as it was.
    modes = [m.training for m in model.modules()]
    model.train()
    try:
        with torch.inference_mode(False), torch.enable_grad():
            yield
    finally:
        for module, mode in zip(model.modules(), modes, strict=True):
            module.training = mode


def _warmup_factor(step: int, warmup: int) -> float:
    # nanoGPT's linear warmup: lr * (step + 1) / (warmup + 1) for the first warmup steps
    return (step + 1) / (warmup + 1) if step < warmup else 1.0


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
