"""What a learner's function must leave alone: the tensors and models it is given.

Before the call, :func:`keep` copies every tensor of the arguments (a model's parameters and
buffers included); after it, :func:`changed` says in words what is no longer as it was. A value
computed right while the caller's tensors were overwritten is a bug the caller pays for later.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._values import fmt_pair

ADVICE = (
    "Why: a function that computes something must leave what it is given as it was: the "
    "caller still uses it. Write a - b, not a -= b or a.sub_(b); x = x + y, not x += y; and "
    ".clone() a tensor before changing its entries."
)


@dataclass(frozen=True)
class Kept:
    """One argument as it was before the call: a tensor and its copy, or a model and copies
    of its parameters and buffers, by name."""

    label: str
    value: object
    before: object


def keep(args: tuple, names: tuple[str, ...], changes: tuple[int, ...]) -> list[Kept]:
    """Copies of every argument the function is not asked to change (``changes``: indices)."""
    kept = []
    for i, arg in enumerate(args):
        if i not in changes:
            kept += _keep(names[i] if i < len(names) else f"argument {i + 1}", arg)
    return kept


def _keep(label: str, value: object) -> list[Kept]:
    if isinstance(value, torch.Tensor):
        return [Kept(label, value, value.detach().clone())]
    if isinstance(value, nn.Module):
        copies = {name: (t, t.detach().clone()) for name, t in _tensors(value).items()}
        return [Kept(label, value, copies)]
    if isinstance(value, (list, tuple)):
        return [k for i, item in enumerate(value) for k in _keep(f"{label}[{i}]", item)]
    return []


def _tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    return {**dict(module.named_parameters()), **dict(module.named_buffers())}


def changed(kept: list[Kept]) -> str | None:
    """What the call changed of what it was given, in words, or None. Run it guarded: a model
    the learner's code changed may hold the learner's modules."""
    for item in kept:
        if isinstance(item.value, nn.Module):
            problem = _module_changed(item)
        else:
            problem = _tensor_changed(item.value, item.before, f"its input {item.label}")
        if problem is not None:
            return problem
    return None


def _module_changed(item: Kept) -> str | None:
    now = _tensors(item.value)
    for name, (tensor, before) in item.before.items():
        if now.get(name) is not tensor:
            return f"it replaced {item.label}.{name} with another tensor"
        problem = _tensor_changed(tensor, before, f"{item.label}.{name}", in_module=True)
        if problem is not None:
            return problem
    added = [name for name in now if name not in item.before]
    return f"it added {item.label}.{added[0]}" if added else None


def _tensor_changed(
    tensor: torch.Tensor, before: torch.Tensor, label: str, in_module: bool = False
) -> str | None:
    if tensor.shape != before.shape or tensor.dtype != before.dtype:
        why = " (a module's .double(), .float() or .to() converts it in place)" if in_module else ""
        return (
            f"it changed {label} in place: it was a {before.dtype} tensor of shape "
            f"{tuple(before.shape)}, and is now {tensor.dtype} of shape {tuple(tensor.shape)}{why}"
        )
    now = tensor.detach()
    same = (now == before) | (now.isnan() & before.isnan())
    if bool(same.all()):
        return None
    index = tuple(int(i) for i in (~same).nonzero()[0])
    was, is_now = fmt_pair(float(before[index]), float(now[index]))
    at = f" at {list(index)}" if index else ""
    return f"it changed {label} in place:{at} it was {was} and is now {is_now}"
