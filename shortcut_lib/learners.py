"""The training loop of one model (:class:`Learner`): notebook 05's GPT stacks, one at a time.
Notebook 04's networks train together as one batched network (:mod:`~shortcut_lib.stacked`).

Every step records the loss and, per layer, the mean |dL/dW| the update used, the weights' norm
and the update's size relative to it, all from the one backward pass that drives the update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .families import BlockTrainingSettings, TrainingSettings
from .probes._pass import draws_random

__all__ = ["Entry", "Learner", "chunk_stats", "make_optimizer", "training", "warmup_factor"]

SERIES = ("loss", "weight_grad_mean", "update_ratio", "weight_norm")


@dataclass
class Entry:
    """One model of a stack: its module (a TaskNetwork), its batch order (steps, batch) and what
    it recorded, step by step (the lists of a History)."""

    model: nn.Module
    batches: torch.Tensor
    records: dict[str, list] = field(default_factory=lambda: {key: [] for key in SERIES})


def make_optimizer(name: str, params: Iterable[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    """``"sgd"`` (no momentum) or ``"adam"`` over ``params``, fused where torch can."""
    cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    params = list(params)
    try:
        # fused: one kernel per step instead of a Python loop over the parameters (CPU's
        # default); about 3x faster for Adam on these small models. CPU support: torch >= 2.4.
        return cls(params, lr=lr, fused=True)
    except RuntimeError:
        return cls(params, lr=lr, foreach=True)


Family = type[TrainingSettings] | type[BlockTrainingSettings]


@contextlib.contextmanager
def training(model: nn.Module) -> Iterator[None]:
    """Gradients on, also under ``no_grad`` or ``inference_mode``, and the model in ``train()``
    mode (dropout, if it has any, is part of training); then each module's ``train()`` or
    ``eval()`` as it was."""
    modes = [m.training for m in model.modules()]
    model.train()
    try:
        with torch.inference_mode(False), torch.enable_grad():
            yield
    finally:
        for module, mode in zip(model.modules(), modes, strict=True):
            module.training = mode


class Learner:
    """One model, its optimizer and its records: the loop every run and ``train_transformer``
    advance. ``family`` knows the model's weight matrices, output and loss."""

    def __init__(self, model: nn.Module, family: Family, task: object, batches: torch.Tensor,
                 optimizer: str, lr: float, warmup: int, seed: int,
                 records: dict | None = None) -> None:  # fmt: skip
        self.model, self.family, self.task, self.batches = model, family, task, batches
        self.lr, self.warmup, self.step = lr, warmup, 0
        # Dropout, if the model has any, draws from the run's own RNG, seeded: the global RNG
        # is untouched and the same settings give the same run.
        self._rng = torch.Generator().manual_seed(seed).get_state()
        self.weights, groups = family.weights(model)
        # (matrices, layers) of 0/1: sums per matrix -> sums per layer in one product
        self.groups = F.one_hot(torch.tensor(groups)).double()
        self.numel = self.groups.T @ torch.tensor([float(w.numel()) for w in self.weights]).double()
        self.optimizer = make_optimizer(optimizer, model.parameters(), lr)
        self._change = [torch.empty_like(w) for w in self.weights]  # W_before, then W_b - W_a
        self.records = records if records is not None else {key: [] for key in SERIES}

    def advance(self, n: int) -> None:
        """Run the next ``n`` steps (fewer at the end of the batches) and record them. Works
        under ``no_grad`` and ``inference_mode`` (training turns gradients on for itself), and
        leaves the model in ``train()`` or ``eval()`` mode as it found it."""
        with training(self.model):
            # Forked only when dropout draws: a run on the explorer's thread never touches the
            # global RNG the notebook's own cells use meanwhile.
            random = draws_random(self.model)
            with torch.random.fork_rng(devices=[], enabled=random):
                if random:
                    torch.set_rng_state(self._rng)
                batches = self.batches[self.step : self.step + n]
                stats = chunk_stats(len(batches), (), (len(self.weights),))
                for i, index in enumerate(batches):
                    self._step(index, [s[i] for s in stats])
                if random:
                    self._rng = torch.get_rng_state()
        self.optimizer.zero_grad(set_to_none=True)  # leave no .grad for a probe to trip over
        if not len(batches):
            return
        # one .tolist() per series a chunk, not one sync a step
        losses, grad_l1, weight_l2, change_l2 = (s.double() for s in stats)
        weight_norm = (weight_l2.square() @ self.groups).sqrt()  # (steps, layers)
        records = self.records
        records["loss"] += losses.tolist()
        records["weight_grad_mean"] += (grad_l1 @ self.groups / self.numel).tolist()
        records["update_ratio"] += (
            (change_l2.square() @ self.groups).sqrt() / weight_norm
        ).tolist()
        records["weight_norm"] += weight_norm.tolist()

    def _step(self, index: torch.Tensor, out: list[torch.Tensor]) -> None:
        # One update; writes into ``out`` the loss and, per weight matrix, ||dL/dW||_1, ||W||
        # and ||dW||.
        weights, change = self.weights, self._change
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * warmup_factor(self.step, self.warmup)
        output = self.family.output(self.model, self.task.x[index])
        loss = self.family.loss(self.task, output, self.task.y[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
            out[0].copy_(loss)
            torch.stack(torch._foreach_norm(grads, 1), out=out[1])  # the gradients it uses
            torch.stack(torch._foreach_norm(weights), out=out[2])
            torch._foreach_copy_(change, weights)
            self.optimizer.step()
            torch._foreach_sub_(change, weights)  # W_before - W_after
            torch.stack(torch._foreach_norm(change), out=out[3])
        self.step += 1


def warmup_factor(step: int, warmup: int) -> float:
    # nanoGPT's linear warmup: lr * (step + 1) / (warmup + 1) for the first warmup steps
    return (step + 1) / (warmup + 1) if step < warmup else 1.0


def chunk_stats(steps: int, loss: tuple[int, ...], per_layer: tuple[int, ...]) -> list:
    """Where a chunk's steps write their statistics: the loss (steps, *loss) and three series
    (steps, *per_layer), made before the chunk. Small results kept from step to step would sit
    between the steps' large blocks and keep the C heap from reusing them: a run of 5000 steps
    at depth 200 grew to 2.3 GB that way."""
    return [torch.empty(steps, *loss), *(torch.empty(steps, *per_layer) for _ in range(3))]
