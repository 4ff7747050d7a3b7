"""Train a plain and a shortcut model from the same initial weights, and record every step.

One loop for both families: notebook 04's MLP on a small task and notebook 05's GPT stack on the
token task (the run's settings class says which, :mod:`~shortcut_lib.families`). Every step
records the loss and, per layer, the mean |dL/dW| the update used and the update's size relative
to the weights, ||W_after - W_before|| / ||W_before|| (about 1e-3 is the usual healthy mark:
Karpathy, CS231n notes, "ratio of weights:updates"). A GPT block's six weight matrices are one
layer. Everything comes from the one backward pass that drives the update.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import nn

from ._checks import check_float, check_int, check_memory, check_seed
from .data import TokenTask
from .families import training_settings
from .families.gpt import BlockTrainingSettings
from .families.mlp import MODELS, TrainingSettings
from .history import History
from .learners import Entry, Learner
from .models.gpt import GPTModel, check_model
from .models.sizes import run_memory
from .stacked import StackedLearner

__all__ = ["History", "TrainingRun", "train", "train_seeds", "train_transformer"]


def _history(
    name: str, records: dict[str, list], layer_names: list[str], settings: dict[str, object]
) -> History:
    return History(
        model=name,
        layer_names=list(layer_names),
        settings=dict(settings),
        **{key: list(values) for key, values in records.items()},
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
        # Torch's threads per op when built: a run advanced on another thread (the training
        # explorer's) computes with them too, so its numbers are the ones this thread would get.
        self._threads = torch.get_num_threads()
        self.layer_names = s.layer_names()
        base = s.make_model(task)
        self._batches = _batch_order(len(task), s.batch_size, s.steps, s.seed)
        self.models: dict[str, nn.Module] = {}
        for name in MODELS if s.models == "both" else (s.models,):
            model = copy.deepcopy(base)  # the same initial weights for both
            model.use_shortcut = name == "shortcut"
            self.models[name] = model
        self._entries = {name: Entry(model, self._batches) for name, model in self.models.items()}
        if isinstance(s, TrainingSettings):  # the MLPs: trained together, as one batched network
            self._learners = [StackedLearner(list(self._entries.values()), s, task)]
        else:
            options = (s.optimizer, s.lr, s.warmup, s.seed)
            self._learners = [
                Learner(e.model, type(s), task, e.batches, *options, e.records)
                for e in self._entries.values()
            ]

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
        if torch.get_num_threads() != self._threads:
            torch.set_num_threads(self._threads)
        for learner in self._learners:
            learner.advance(n)
        self.step += n
        return self.step

    def history(self) -> dict[str, History]:
        """A snapshot of what each model recorded so far, ``{"plain": History, ...}``."""
        settings = self.settings.described()
        return {
            name: _history(name, entry.records, self.layer_names, settings)
            for name, entry in self._entries.items()
        }


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


def train_seeds(
    seeds: Iterable[int], task: object = "spirals", **settings: object
) -> dict[int, dict[str, History]]:
    """:func:`train` for several seeds at once: ``{seed: train(task, seed=seed, **settings)}``.

    Notebook 04's networks of every seed are trained together, as one batched network (see
    :mod:`~shortcut_lib.stacked`): about as fast as one run for a dozen seeds. Each seed's
    histories are those ``train`` gives, up to float32 rounding in the last bits. GPT stacks are
    trained one seed after the other.

    Args:
        seeds: distinct seeds, e.g. ``range(3)``.
        task: as for :func:`train`.
        **settings: the fields of the run's settings class but ``seed``.

    Returns:
        ``{seed: {"plain": History, "shortcut": History}}`` (only the model asked for, if one).

    Raises:
        ValueError: repeated seeds, or runs that would together need more memory than one run
            may take.

    Introduced in notebook 04.
    """
    seeds = _check_seeds(seeds, settings)
    stacked, _ = training_settings(task, {**settings, "seed": seeds[0]})
    if isinstance(stacked, TrainingSettings):  # refused before any model is built
        total = stacked.memory_estimate() * len(seeds)
        check_memory(f"{len(seeds)} seeds of {stacked.size()}", total, "the seeds' count")
    runs = {seed: TrainingRun(task, **settings, seed=seed) for seed in seeds}
    first = runs[seeds[0]]
    if isinstance(stacked, TrainingSettings):
        entries = [entry for run in runs.values() for entry in run._entries.values()]
        with torch.inference_mode(False):
            StackedLearner(entries, first.settings, first.task).advance(first.steps)
        for run in runs.values():
            run.step = run.steps
    else:
        for run in runs.values():
            run.advance(run.steps)
    return {seed: run.history() for seed, run in runs.items()}


def _check_seeds(seeds: object, settings: dict[str, object]) -> list[int]:
    if "seed" in settings:
        raise TypeError("train_seeds() takes the seeds as its first argument, not seed=")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a list of ints, e.g. range(3); got {type(seeds).__name__}")
    seeds = list(seeds)
    for seed in seeds:
        check_seed("seed", seed)
    if not seeds or len(set(seeds)) < len(seeds):
        raise ValueError(f"seeds must be distinct, and at least one; got {seeds!r:.60}")
    return seeds


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
        learner = Learner(model, BlockTrainingSettings, task, batches, "adam", lr, warmup, seed)
    learner.advance(steps)
    settings = dict(
        depth=model.n_blocks, width=model.tok_emb.embedding_dim,
        heads=model.trf_blocks[0].att.num_heads, norm=model.norm,
        final_norm=model.use_final_norm, scaled_init=model.scaled_init, lr=lr, warmup=warmup,
        steps=steps, context_length=task.context_length, vocab_size=task.vocab_size,
        batch_size=batch_size, seed=seed,
    )  # fmt: skip
    words = BlockTrainingSettings.words(warmup, model.scaled_init, model.init)
    layer_names = ["in", *map(str, range(1, model.n_blocks + 1)), "out"]
    name = "shortcut" if model.use_shortcut else "plain"
    return _history(name, learner.records, layer_names, {**words, **settings})


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


def _batch_order(n: int, batch_size: int, steps: int, seed: int) -> torch.Tensor:
    if batch_size == n:  # full batch: every step sees all the data, in order
        return torch.arange(n).expand(steps, n)
    gen = torch.Generator().manual_seed(seed)
    epochs = -(-steps * batch_size // n)  # ceil
    order = torch.cat([torch.randperm(n, generator=gen) for _ in range(epochs)])
    return order[: steps * batch_size].view(steps, batch_size)  # (steps, batch_size)
