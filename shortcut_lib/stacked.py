"""Notebook 04's networks trained together, as one batched network (:class:`StackedLearner`).

The models of a run (plain and shortcut) and, with :func:`~shortcut_lib.train_seeds`, the runs of
several seeds have one shape; only their weights, their wiring and their batches differ. So their
weights are stacked along a new first dimension and every step is one batched pass (batched matrix
products) and one optimizer step over the stacks: as many operations as one model needs, which at
these sizes is what a step costs. Adam and SGD work element by element and each model's loss
reaches only its own weights, so each model trains as it would alone, up to float32 rounding (a
batched product may round a last bit differently, as another CPU's kernels would).

Each model's own module keeps working: its parameters are views of the stacks, so it always holds
the weights trained so far.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .activations import make_activation
from .data import Task
from .learners import Entry, chunk_stats, make_optimizer

__all__ = ["StackedLearner"]


class StackedLearner:
    """The entries' models trained together: ``settings`` (a TrainingSettings) say their shape,
    activation, optimizer and learning rate; each entry says its model's wiring and batches."""

    def __init__(self, entries: list[Entry], settings: object, task: Task) -> None:
        self.entries, self.settings, self.task, self.step = entries, settings, task, 0
        models = [e.model for e in entries]
        self.params = _stack(models)  # each (models, ...) or (layers, models, ...)
        self.optimizer = make_optimizer(settings.optimizer, self.params.values(), settings.lr)
        self.activation = make_activation(settings.activation)
        wirings = [m.use_shortcut for m in models]
        # (models, 1, 1): 1 where a model has shortcuts, 0 where not; None when all are alike
        mixed = len(set(wirings)) > 1
        self.shortcut = torch.tensor(wirings, dtype=torch.float32).view(-1, 1, 1) if mixed else None
        self.all_shortcut = all(wirings)
        self.scale = 1 / math.sqrt(settings.depth) if settings.branch_scale != "1" else 1.0
        if mixed and self.scale != 1.0:  # (models, 1, 1): what multiplies each model's branch
            scales = [self.scale if w else 1.0 for w in wirings]
            self.branch_scale = torch.tensor(scales).view(-1, 1, 1)
        self.index = torch.stack([e.batches for e in entries], 1)  # (steps, models, batch)
        first, hidden, last = self._weights()
        sizes = [first[0].numel(), *[hidden[0, 0].numel()] * len(hidden), last[0].numel()]
        self.numel = torch.tensor(sizes, dtype=torch.float64)  # per layer: in, 1 .. depth, out

    def _weights(self) -> list[torch.Tensor]:
        p = self.params
        return [p["input.weight"], p["hidden.weight"], p["output.weight"]]

    def advance(self, n: int) -> None:
        """Run the next ``n`` steps (fewer at the end of the batches) and record them (also
        under ``no_grad`` or ``inference_mode``)."""
        steps = max(0, min(n, len(self.index) - self.step))
        models = len(self.entries)
        with torch.inference_mode(False), torch.enable_grad():
            stats = chunk_stats(steps, (models,), (models, len(self.numel)))
            for i in range(steps):
                self._step([s[i] for s in stats])
        self.optimizer.zero_grad(set_to_none=True)
        if not steps:
            return
        # one .tolist() per series a chunk, not one sync a step
        losses, grad_l1, weight_l2, change_l2 = (s.double() for s in stats)
        series = {  # each (steps, models, layers), the loss (steps, models)
            "loss": losses,
            "weight_grad_mean": grad_l1 / self.numel,
            "update_ratio": change_l2 / weight_l2,
            "weight_norm": weight_l2,
        }
        for key, values in series.items():
            for entry, column in zip(self.entries, values.unbind(1), strict=True):
                entry.records[key] += column.tolist()

    def _step(self, out: list[torch.Tensor]) -> None:
        # One update of every model; writes into ``out`` the losses (models,) and, per model
        # and layer (models, layers), ||dL/dW||_1, ||W|| before and ||W_before - W_after||.
        index = self.index[self.step]  # (models, batch)
        losses = self._losses(self.task.x[index], self.task.y[index])
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # each model's loss reaches only its own weights
        weights = self._weights()
        with torch.no_grad():
            grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
            out[0].copy_(losses)
            _layer_norms(grads, 1, out=out[1])
            _layer_norms(weights, 2, out=out[2])
            before = [w.clone() for w in weights]
            self.optimizer.step()
            torch._foreach_sub_(before, weights)  # W_before - W_after
            _layer_norms(before, 2, out=out[3])
        self.step += 1

    def _losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # Each model's mean loss (models,) on its batch: x (models, batch, in), y (models,
        # batch, out). The layers are those of TaskNetwork, written for stacked weights.
        p, s = self.params, self.settings
        h = _linear(x, p["input.weight"], p["input.bias"])  # (models, batch, width)
        layers = zip(p["hidden.weight"].unbind(), p["hidden.bias"].unbind(), strict=True)
        if s.norm != "none":
            norms = zip(p["norms.weight"].unbind(), p["norms.bias"].unbind(), strict=True)
        for w, b in layers:
            u = h if s.norm == "none" else _layer_norm(h, *next(norms))
            h = self._wire(h, self.activation(_linear(u, w, b)))
        if s.final_norm:
            h = _layer_norm(h, p["final.weight"], p["final.bias"])
        out = _linear(h, p["output.weight"], p["output.bias"])  # (models, batch, out)
        if self.task.kind == "classification":
            loss = F.binary_cross_entropy_with_logits(out, y, reduction="none")
        else:
            loss = F.mse_loss(out, y, reduction="none")
        return loss.mean(dim=(1, 2))

    def _wire(self, h: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        # DeepNetwork's shortcut, per model: h + scale * out where it has one, else out.
        scale = self.scale
        if self.shortcut is None:
            if not self.all_shortcut:
                return out
            return h + out if scale == 1.0 else h + scale * out
        # out + h * 1 or out + h * 0 in one op (faster than a where); h + out is out + h
        branch = out if scale == 1.0 else out * self.branch_scale
        return torch.addcmul(branch, h, self.shortcut)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    # nn.Linear for each model: x (models, batch, in), weight (models, in, out) as laid out,
    # bias (models, 1, out)
    return torch.baddbmm(bias, x, weight)


def _layer_norm(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    # nn.LayerNorm for each model: its own weight and bias (models, width)
    return F.layer_norm(h, h.shape[-1:]) * weight + bias  # weight, bias (models, 1, width)


def _layer_norms(tensors: list[torch.Tensor], ord: int, *, out: torch.Tensor) -> None:
    # Into out (models, layers): the norm of each model's matrix of the input layer, each hidden
    # layer (a stack (layers, models, out, in)) and the output layer.
    first, hidden, last = tensors
    parts = [
        torch.linalg.vector_norm(first, ord, dim=(1, 2)).unsqueeze(1),
        torch.linalg.vector_norm(hidden, ord, dim=(2, 3)).T,
        torch.linalg.vector_norm(last, ord, dim=(1, 2)).unsqueeze(1),
    ]
    torch.cat(parts, 1, out=out)


def _stack(models: list[nn.Module]) -> dict[str, nn.Parameter]:
    """The models' parameters stacked (a copy), and each model's parameters made views of the
    stacks: ``input.*``, ``output.*`` and ``final.*`` (models, ...), the hidden layers' and
    norms' (layers, models, ...). Laid out for the batched products: a weight matrix transposed
    (in, out), a vector as a row (1, out); a model's view of it is its usual shape."""
    named = [dict(m.named_parameters()) for m in models]
    groups: dict[str, list[str]] = {}
    for name in named[0]:
        parts = name.split(".")
        if parts[0] == "body" and parts[1] in ("layers", "norms"):  # body.layers.3.0.weight
            key = ("hidden" if parts[1] == "layers" else "norms") + "." + parts[-1]
        else:  # input.weight, body.final.weight, output.bias
            key = ".".join(parts[-2:])
        groups.setdefault(key, []).append(name)
    stacks = {}
    for key, names in groups.items():
        # (models, in, out) for a weight matrix, (models, 1, out) for a vector, per name
        rows = [torch.stack([_row(n[name].detach()) for n in named]) for name in names]
        layered = key.startswith(("hidden.", "norms."))
        stacks[key] = nn.Parameter((torch.stack(rows) if layered else rows[0]).clone())
        for layer, name in enumerate(names):
            for m, n in enumerate(named):
                view = (stacks[key][layer, m] if layered else stacks[key][m]).detach()
                # the model now reads the stack: its weight (out, in), its vector (out,)
                n[name].data = view.T if n[name].ndim == 2 else view[0]
    return stacks


def _row(t: torch.Tensor) -> torch.Tensor:
    # A weight matrix (out, in) as (in, out), a vector (out,) as a row (1, out).
    return t.T if t.ndim == 2 else t.unsqueeze(0)
