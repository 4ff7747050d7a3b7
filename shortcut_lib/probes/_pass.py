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
    linears: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
    halves: bool = False,
) -> Pass:
    """Backpropagate ``loss`` to ``weights`` and ``states`` and reduce everything to norms.

    ``halves`` measures each state, and its gradient, as its two halves along the batch (a
    paired pass's two wirings): the state lists then hold each state's first half, then its
    second.

    ``linears``, if given, holds for each weight the input ``u`` (batch, in) and output ``z``
    (batch, out) of the ``nn.Linear`` it is used in, once: then its gradient is taken as that
    layer's backward takes it, ``dL/dz^T u``, a few layers at a time, bit for bit the same
    without ever holding every layer's (a network 256 wide and 200 deep has 52 MB of them).
    """
    # materialize_grads: a weight the loss does not reach gets zeros, not None.
    targets = weights if linears is None else [z for _, z in linears]
    grads = torch.autograd.grad(loss, [*targets, *states], materialize_grads=True)
    with torch.no_grad():  # statistics, not part of any graph
        weight_grads, state_grads = grads[: len(weights)], grads[len(weights) :]
        if halves:
            states = [half for state in states for half in state.chunk(2)]
            state_grads = [half for grad in state_grads for half in grad.chunk(2)]
        if linears is None:
            l1, l2 = _norms(weight_grads, (1, 2))
        else:
            l1, l2 = _linear_grad_norms([u for u, _ in linears], weight_grads)
        parts = [l1, l2, *_norms(state_grads, (2,))]
        parts += [*_norms(states, (2,), spread=spread), *_norms(extra, (2,))]
        if not spread:
            parts.insert(4, _EMPTY)
        values = torch.cat([*parts, loss.double().view(1)]).tolist()
    lists = []
    for part in parts:
        lists.append(values[: len(part)])
        values = values[len(part) :]
    return Pass(*lists, loss=values[0])


CHUNK = 2**16  # numbers reduced at once: their float64 copy takes 0.5 MB (a heap-sized block)


def _norms(
    tensors: list[torch.Tensor] | tuple[torch.Tensor, ...],
    ords: tuple[int, ...],
    *,
    spread: bool = False,
) -> list[torch.Tensor]:
    """Per tensor, its float64 norm of each order in ``ords`` (and, with ``spread``, the norm of
    its deviation from its mean over the first dimension, the batch): one 1-D tensor each."""
    if not tensors:
        return [_EMPTY] * (len(ords) + spread)
    shapes = list(dict.fromkeys(t.shape for t in tensors))
    if len(shapes) > 1:  # several shapes (a GPT block's matrices): each shape's group at once
        order = [i for shape in shapes for i, t in enumerate(tensors) if t.shape == shape]
        groups = [_norms([t for t in tensors if t.shape == shape], ords, spread=spread)
                  for shape in shapes]  # fmt: skip
        back = torch.empty(len(order), dtype=torch.long)
        back[order] = torch.arange(len(order))  # the grouped order back to the given one
        return [torch.cat(parts)[back] for parts in zip(*groups, strict=True)]
    # Tensors of one shape (every layer of a DeepNetwork of one width) are stacked and reduced
    # a chunk of layers at a time: about twice as fast as one call per tensor, and never a
    # float64 copy of them all (a probe at depth 200, width 256, batch 256 would need 100 MB).
    results = torch.empty(len(ords) + spread, len(tensors), dtype=torch.float64)
    for start in range(0, len(tensors), max(1, CHUNK // tensors[0].numel())):
        chunk = tensors[start : start + max(1, CHUNK // tensors[0].numel())]
        _reduce_chunk(chunk, ords, spread, results[:, start : start + len(chunk)])
    return list(results)


def _reduce_chunk(
    chunk: list[torch.Tensor], ords: tuple[int, ...], spread: bool, out: torch.Tensor
) -> None:
    # The norms of a chunk of tensors of one shape, written into ``out`` (norms, tensors): no
    # small result is left allocated between the chunks' large blocks, which would keep the C
    # heap from reusing them (a probe at width 256 grew by 100 MB that way).
    wide = torch.stack(chunk).double()  # (tensors, *shape) in float64, once for every norm
    dims = tuple(range(1, wide.ndim))
    for row, ord in zip(out, ords, strict=False):
        row.copy_(torch.linalg.vector_norm(wide, ord, dim=dims))
    if spread:  # ||h - mean over the batch||, (states, batch, *features)
        wide -= wide.mean(dim=1, keepdim=True)
        out[-1].copy_(torch.linalg.vector_norm(wide, dim=dims))


def _linear_grad_norms(
    inputs: list[torch.Tensor], out_grads: list[torch.Tensor]
) -> list[torch.Tensor]:
    # ||dL/dW||_1 and _2 of each linear layer, dL/dW = (dL/dz)^T u computed as torch's backward
    # of nn.Linear computes it (mm_mat2_backward), a chunk of layers of one shape at a time.
    results = torch.empty(2, len(inputs), dtype=torch.float64)
    start = 0
    while start < len(inputs):
        shape = (out_grads[start].shape[1], inputs[start].shape[1])
        end = start + 1
        while (end < len(inputs) and (end - start + 1) * shape[0] * shape[1] <= CHUNK
               and (out_grads[end].shape[1], inputs[end].shape[1]) == shape):  # fmt: skip
            end += 1
        pairs = zip(out_grads[start:end], inputs[start:end], strict=True)
        grads = [torch.mm(g.t(), u) for g, u in pairs]  # (out, in) each
        _reduce_chunk(grads, (1, 2), False, results[:, start:end])
        start = end
    return list(results)


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
