"""One forward and one backward pass, reduced to per-tensor norms: what every probe measures.

The gradients are taken with ``torch.autograd.grad``, which returns them and leaves ``.grad``
untouched, so a probe can be repeated and never disturbs a model that is being trained (the book's
``print_gradients`` calls ``loss.backward()``, which *adds* into ``.grad``: call it twice and it
prints doubled numbers). Every statistic is reduced in float64 (float32 sums of large entries
overflow, squares of tiny ones underflow) and leaves torch in a single ``.tolist()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from .._checks import short_repr

_EMPTY = torch.zeros(0, dtype=torch.float64)


@contextlib.contextmanager
def measuring(weights: list[torch.Tensor], *, random: bool = False) -> Iterator[None]:
    """Gradients on for a probe, where the caller switched them off (``no_grad``,
    ``inference_mode``, frozen weights), and every switch left as it was found. ``random``: the
    model draws random numbers (dropout in train mode); they come from a forked RNG seeded with
    0, so two probes agree and the global RNG is untouched."""
    frozen = [w for w in weights if not w.requires_grad]
    try:
        with (
            torch.inference_mode(False),
            torch.enable_grad(),
            torch.random.fork_rng(devices=[], enabled=random),
        ):
            if random:
                torch.manual_seed(0)
            for w in frozen:
                w.requires_grad_(True)
            yield
    finally:
        for w in frozen:
            w.requires_grad_(False)


def draws_random(model: nn.Module) -> bool:
    """Whether a forward pass of ``model`` draws random numbers: a dropout in train mode."""
    return any(isinstance(m, nn.Dropout) and m.p > 0 and m.training for m in model.modules())


@dataclass(frozen=True)
class Pass:
    """Per-tensor norms of one pass, as plain floats.

    Attributes:
        weight_l1, weight_l2: ||dL/dW||_1 and ||dL/dW||_2 of each weight matrix.
        state_grad: ||dL/dh|| of each state (a layer's output, the stream at a block).
        state_norm: ||h|| of each state.
        state_spread: ||h - its mean over the batch|| of each state (empty unless asked for).
        extra: ||t|| of each extra tensor.
        loss: the loss.
    """

    weight_l1: list[float]
    weight_l2: list[float]
    state_grad: list[float]
    state_norm: list[float]
    state_spread: list[float]
    extra: list[float]
    loss: float


def reduce_pass(
    loss: torch.Tensor,
    weights: list[torch.Tensor],
    states: list[torch.Tensor],
    *,
    spread: bool = False,
    extra: tuple[torch.Tensor, ...] = (),
) -> Pass:
    """Backpropagate ``loss`` to ``weights`` and ``states`` and reduce everything to norms."""
    # materialize_grads: a weight the loss does not reach gets zeros, not None.
    grads = torch.autograd.grad(loss, [*weights, *states], materialize_grads=True)
    with torch.no_grad():  # statistics, not part of any graph
        weight_grads, state_grads = grads[: len(weights)], grads[len(weights) :]
        parts = [_norms(weight_grads, 1), _norms(weight_grads, 2), _norms(state_grads, 2)]
        parts += [_norms(states, 2), _spreads(states) if spread else _EMPTY, _norms(extra, 2)]
        values = torch.cat([*parts, loss.double().view(1)]).tolist()
    lists = []
    for part in parts:
        lists.append(values[: len(part)])
        values = values[len(part) :]
    return Pass(*lists, loss=values[0])


def _norms(tensors: list[torch.Tensor] | tuple[torch.Tensor, ...], ord: int) -> torch.Tensor:
    # One float64 norm per tensor, as a 1-D tensor. Tensors of one shape (every layer of a
    # DeepNetwork of one width) are stacked and reduced in one call, about twice as fast as a
    # list reduction.
    if not tensors:
        return _EMPTY
    if len({t.shape for t in tensors}) == 1:
        stacked = torch.stack(tensors)  # (tensors, *shape)
        dims = tuple(range(1, stacked.ndim))
        return torch.linalg.vector_norm(stacked, ord, dim=dims, dtype=torch.float64)
    return torch.stack(torch._foreach_norm(tensors, ord, dtype=torch.float64))


def _spreads(states: list[torch.Tensor]) -> torch.Tensor:
    # ||h - mean over the batch|| in float64 (a grown stream squares to inf in float32); states
    # of one shape stacked, three ops for the whole network instead of three each.
    if len({s.shape for s in states}) == 1:
        stacked = torch.stack(states).double()  # (states, batch, *features)
        centred = stacked - stacked.mean(dim=1, keepdim=True)
        return torch.linalg.vector_norm(centred, dim=tuple(range(1, centred.ndim)))
    return _norms([s.double() - s.double().mean(dim=0, keepdim=True) for s in states], 2)


def check_fields(record: object, lists: tuple[str, ...], numbers: tuple[str, ...]) -> None:
    """A profile's fields, checked when it is made: ``lists`` are lists (or tuples), ``numbers``
    numbers. The values in the lists are read, and checked, where they are used."""
    kind = type(record).__name__
    for name in lists:
        value = getattr(record, name)
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{kind}.{name} must be a list of numbers; got {short_repr(value)}")
    for name in numbers:
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{kind}.{name} must be a number; got {short_repr(value)}")
