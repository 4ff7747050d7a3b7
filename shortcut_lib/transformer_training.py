"""Train GPT models on the token task with Adam and record what each step does, per block.

Every step records the loss and, per group of weight matrices, the mean |dL/dW| the update used
and the update's size relative to the weights, ||W_after - W_before|| / ||W_before||. The groups
are the layers of the series' training plots: ``"in"`` (the token and position embeddings), one
per block (its four attention and two feed-forward matrices) and ``"out"`` (the output head).
Everything comes from the one backward pass that drives the update. The records are
:class:`~shortcut_lib.training.History` objects, so the plots of notebook 04 draw them as they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ._checks import check_float, check_int
from .settings import Settings, setting
from .training import MEMORY_LIMIT, MODELS, History
from .transformer import NORM_PLACEMENTS, GPTModel, block_weights, check_model
from .transformer_compare import HEADS
from .transformer_layers import check_heads
from .transformer_task import TokenTask, make_token_task

__all__ = ["BlockTrainingRun", "BlockTrainingSettings", "train_transformer"]

TASK_SIZE = 512  # sequences in the task a run makes
# The learning-rate control's stops: fine where post-norm turns from training to failing.
LEARNING_RATES = (1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1)


@dataclass(frozen=True)
class BlockTrainingSettings(Settings):
    """The settings of one :class:`BlockTrainingRun`: a :class:`GPTModel` of ``depth`` blocks
    (``width``, ``heads``, ``norm``, ``final_norm``, ``scaled_init`` as there) trained on the
    token task (``context_length``, ``vocab_size``) with Adam at ``lr``, after ``warmup`` steps
    of a linear warmup, for ``steps`` steps of ``batch_size`` sequences. ``models`` says which
    to train: ``"both"`` (plain and shortcut from the same weights), ``"plain"`` or
    ``"shortcut"``. A run whose estimated memory exceeds 500 MB is refused before anything is
    allocated. ``str(settings)`` is the state string.

    Introduced in notebook 05.
    """

    depth: int = setting(4, low=1, high=48)
    width: int = setting(32, low=8, high=256, step=8)
    heads: int = setting(2, choices=HEADS, labels=tuple(map(str, HEADS)))
    norm: str = setting("pre", choices=NORM_PLACEMENTS, control="toggle")
    models: str = setting("both", choices=("both", *MODELS), control="toggle")
    final_norm: bool = setting(True, choices=(False, True), control="toggle")
    scaled_init: bool = setting(True, choices=(False, True), control="toggle")
    lr: float = setting(0.03, low=1e-6, high=1.0, control="steps", marks=LEARNING_RATES)
    warmup: int = setting(0, low=0, high=5000, shown=(0, 200), step=10)
    steps: int = setting(60, low=1, high=5000, shown=(10, 500), step=10)
    context_length: int = setting(8, low=2, high=64)
    vocab_size: int = setting(16, low=2, high=64)
    batch_size: int = setting(32, low=1, high=TASK_SIZE, control="text")
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    def _check_together(self) -> None:
        check_heads(self.width, self.heads, "width", "heads", HEADS)
        estimate = self.memory_estimate()
        if estimate > MEMORY_LIMIT:
            raise ValueError(
                f"depth={self.depth} width={self.width} would need about {estimate / 1e6:.0f} MB, "
                f"more than the {MEMORY_LIMIT / 1e6:.0f} MB one run may take; lower depth or width"
            )

    def memory_estimate(self) -> float:
        """Bytes a run of these settings needs, roughly: per model the weights with their
        gradients, Adam's two moments and the update buffer, the activations of one batch
        (about 20 numbers per token and feature in each block) and the recorded history."""
        models = 2 if self.models == "both" else 1
        d, tokens = self.width, self.batch_size * self.context_length
        weights = self.depth * 12 * d * d + (self.vocab_size * 2 + self.context_length) * d
        activations = self.depth * tokens * (20 * d + 4 * self.heads * self.context_length)
        history = 32 * 3 * self.steps * (self.depth + 2)  # Python floats, ~32 bytes each
        return models * (5 * 4 * weights + 4 * activations + history)


class _Trainer:
    """One model, its Adam and its records: what :func:`train_transformer` runs to the end and
    :class:`BlockTrainingRun` advances in chunks."""

    def __init__(
        self, model: GPTModel, task: TokenTask, batches: torch.Tensor, lr: float, warmup: int
    ) -> None:
        self.model, self.task, self.batches, self.lr, self.warmup = model, task, batches, lr, warmup
        self.step = 0
        emb, head = [model.tok_emb.weight, model.pos_emb.weight], [model.out_head.weight]
        self.weights = emb + block_weights(model) + head
        # (matrices, groups) of 0/1: sums per matrix -> sums per group in one product
        group = torch.tensor([0, 0] + [1 + i // 6 for i in range(6 * model.n_blocks)] + [-1])
        self.groups = F.one_hot(group % (model.n_blocks + 2), model.n_blocks + 2).double()
        self.numel = self.groups.T @ torch.tensor([float(w.numel()) for w in self.weights]).double()
        self.optimizer = _adam(model, lr)
        self._change = [torch.empty_like(w) for w in self.weights]  # W_before, then W_b - W_a
        self.records: dict[str, list] = {key: [] for key in _SERIES}

    def advance(self, n: int) -> None:
        """Run the next ``n`` steps (fewer at the end of the batches) and record them."""
        self.model.train()  # dropout, if the model has any, is part of training
        stats = [self._step(index) for index in self.batches[self.step : self.step + n]]
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
        model, weights, change = self.model, self.weights, self._change
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * _warmup_factor(self.step, self.warmup)
        logits = model.head(model.hidden_states(self.task.x[index])[-1])  # (batch, tokens, vocab)
        loss = F.cross_entropy(logits.flatten(0, 1), self.task.y[index].flatten())
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

    def history(self, name: str, settings: dict[str, object]) -> History:
        n_blocks = self.model.n_blocks
        return History(
            model=name,
            layer_names=["in", *map(str, range(1, n_blocks + 1)), "out"],
            settings=dict(settings),
            **{key: list(values) for key, values in self.records.items()},
        )


_SERIES = ("loss", "weight_grad_mean", "update_ratio", "weight_norm")


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

    Args:
        model: a :class:`~shortcut_lib.transformer.GPTModel` whose vocabulary and context cover
            the task's.
        task: a :class:`~shortcut_lib.transformer_task.TokenTask` (see ``make_token_task``).
        lr: Adam's learning rate.
        steps: the number of updates.
        batch_size: sequences per step, in a shuffled order fixed by ``seed``.
        warmup: the learning rate rises linearly to ``lr`` over this many steps (0: from the
            first step; GPT-2 and nanoGPT warm up).
        seed: seeds the batch order; the global RNG is untouched.

    Returns:
        A :class:`~shortcut_lib.training.History`: the loss of each step's batch before that
        step's update, and per step and layer (``"in"``: the embeddings, ``"1"``.. the blocks,
        ``"out"``: the head) the mean |dL/dW|, the update ratio and the weights' norm.

    Introduced in notebook 05.
    """
    check_model(model)
    if not isinstance(task, TokenTask):
        raise TypeError(f"task must be a TokenTask (make_token_task); got {type(task).__name__}")
    model.check_tokens("task.x", task.x)  # the task fits the model's vocabulary and context
    model.check_tokens("task.y", task.y)
    lr = check_float("lr", lr, low=1e-8, high=1.0)
    check_int("steps", steps, low=1, high=100_000)
    check_int("batch_size", batch_size, low=1, high=len(task))
    check_int("warmup", warmup, low=0, high=100_000)
    check_int("seed", seed)
    trainer = _Trainer(model, task, _batch_order(len(task), batch_size, steps, seed), lr, warmup)
    trainer.advance(steps)
    settings = dict(
        depth=model.n_blocks, width=model.tok_emb.embedding_dim, norm=model.norm,
        final_norm=model.use_final_norm, scaled_init=model.scaled_init, lr=lr, warmup=warmup,
        steps=steps, batch_size=batch_size, seed=seed,
    )  # fmt: skip
    described = _described(settings, init=model.init)
    return trainer.history("shortcut" if model.use_shortcut else "plain", described)


class BlockTrainingRun:
    """A training run of GPT stacks that advances in chunks, so a widget can draw and stop
    between them.

    Builds the model once from ``seed``, deep-copies it and switches shortcuts off in one copy:
    with ``models="both"`` the plain and the shortcut model start from exactly the same weights
    and see exactly the same batches. Each model trains as :func:`train_transformer` trains it.

    Args:
        **settings: the fields of :class:`BlockTrainingSettings`.

    Attributes:
        settings: the :class:`BlockTrainingSettings`.
        task: the :class:`~shortcut_lib.transformer_task.TokenTask`, made from ``seed``.
        models: ``{"plain": GPTModel, "shortcut": GPTModel}`` (only the one asked for, if one).
        step: the number of steps done so far; ``steps`` the number planned.

    Introduced in notebook 05.
    """

    def __init__(self, **settings: object) -> None:
        self.settings = s = BlockTrainingSettings(**settings)
        self.steps, self.step = s.steps, 0
        self.task = make_token_task(TASK_SIZE, s.context_length, s.vocab_size, seed=s.seed)
        base = GPTModel(
            s.depth, s.width, s.heads, s.context_length, s.vocab_size, norm=s.norm,
            final_norm=s.final_norm, scaled_init=s.scaled_init, seed=s.seed,
        )  # fmt: skip
        batches = _batch_order(TASK_SIZE, s.batch_size, s.steps, s.seed)
        self.models: dict[str, GPTModel] = {}
        self._trainers: dict[str, _Trainer] = {}
        for name in MODELS if s.models == "both" else (s.models,):
            model = copy.deepcopy(base)  # the same initial weights for both
            model.use_shortcut = name == "shortcut"
            self.models[name] = model
            self._trainers[name] = _Trainer(model, self.task, batches, s.lr, s.warmup)

    @property
    def done(self) -> bool:
        """Whether every step has run."""
        return self.step >= self.steps

    def advance(self, n: int = 1) -> int:
        """Run up to ``n`` more steps (fewer if the run ends first); return the steps done."""
        check_int("n", n, low=1)
        n = min(n, self.steps - self.step)
        for trainer in self._trainers.values():
            trainer.advance(n)
        self.step += n
        return self.step

    def history(self) -> dict[str, History]:
        """A snapshot of what each model recorded so far, ``{"plain": History, ...}``."""
        settings = _described(self.settings.values())
        return {name: t.history(name, settings) for name, t in self._trainers.items()}


def _described(settings: dict[str, object], init: str = "gpt2") -> dict[str, object]:
    # The words the training plot's title reads (task, activation, init, optimizer), added to
    # the settings themselves.
    warmup = settings.get("warmup", 0)
    if init == "default":
        init = "pytorch default"  # the book's GPTModel
    else:
        init = "gpt2, scaled" if settings.get("scaled_init", True) else "gpt2"
    return {
        "task": "tokens",
        "activation": "gelu",
        "init": init,
        "optimizer": f"adam, warmup {warmup}," if warmup else "adam",
        **settings,
    }


def _warmup_factor(step: int, warmup: int) -> float:
    # nanoGPT's linear warmup: lr * (step + 1) / (warmup + 1) for the first warmup steps
    return (step + 1) / (warmup + 1) if step < warmup else 1.0


def _adam(model: GPTModel, lr: float) -> torch.optim.Optimizer:
    try:
        # fused: one kernel per step instead of a loop over the parameters (CPU: torch >= 2.4).
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except RuntimeError:
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)


def _batch_order(n: int, batch_size: int, steps: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    epochs = -(-steps * batch_size // n)  # ceil
    order = torch.cat([torch.randperm(n, generator=gen) for _ in range(epochs)])
    return order[: steps * batch_size].view(steps, batch_size)  # (steps, batch_size)
