"""Exercises 01.2 and 01.3: a fair comparison of the book's two models, and a gradient probe
that can be called twice."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...models.mlp import DeepNetwork
from .. import _sl as sl  # the notebooks' name: starters and solutions read as they do there
from .._core import Case, Exercise, Mistake
from .._values import (
    Failure,
    as_number,
    as_numbers,
    compare_numbers,
    describe,
    fmt,
    sizes_text,
)

# The book's experiment, as notebook 01 names it.
layer_sizes = [3, 3, 3, 3, 3, 1]


sample_input = torch.tensor([[1.0, 0.0, -1.0]])


def _book_first_layer(seed: int, *, use_shortcut: bool, second_model: bool = False) -> float:
    """Mean |dL/dW| of the first layer of the book's GELU network, weights drawn right after
    ``torch.manual_seed(seed)`` (or, ``second_model``, those of a second network drawn next)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        pairs = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
        linears = [nn.Linear(a, b) for a, b in pairs]
        if second_model:
            linears = [nn.Linear(a, b) for a, b in pairs]
    h = sample_input
    for linear in linears:
        out = F.gelu(linear(h), approximate="tanh")
        h = h + out if use_shortcut and out.shape == h.shape else out
    (grad,) = torch.autograd.grad(h.pow(2).mean(), linears[0].weight)  # MSE against 0
    return grad.abs().mean().item()


def _fair(seed: int, **options: bool) -> dict[str, float]:
    return {
        "plain": _book_first_layer(seed, use_shortcut=False),
        "shortcut": _book_first_layer(seed, use_shortcut=True, **options),
    }


def _compare_fair(got, expected, args) -> str | None:
    if not isinstance(got, dict) or set(got) != {"plain", "shortcut"}:
        raise Failure(
            f"it returned {describe(got)}; expected a dict with the keys 'plain' and 'shortcut'"
        )
    values = {k: as_number(v, f"it returned for {k!r}") for k, v in got.items()}
    if all(math.isclose(values[k], expected[k], rel_tol=1e-4) for k in expected):
        return None
    words = ", ".join(f"{k} {fmt(values[k])}" for k in expected)
    wanted = ", ".join(f"{k} {fmt(v)}" for k, v in expected.items())
    problem = f"it returned {words}; expected {wanted}."
    if math.isclose(values["plain"], expected["plain"], rel_tol=1e-4):
        problem += " The plain number is right: is the shortcut model on the same weights?"
    return problem


def _fair_starter(seed):
    torch.manual_seed(seed)
    plain = sl.DeepNetwork(layer_sizes, activation="gelu", use_shortcut=False)
    shortcut = sl.DeepNetwork(layer_sizes, activation="gelu", use_shortcut=True)
    first = "layers.0.0.weight"
    return {
        "plain": sl.weight_gradient_means(plain, sample_input)[first],
        "shortcut": sl.weight_gradient_means(shortcut, sample_input)[first],
    }


def _fair_solution(seed):
    model = sl.DeepNetwork(layer_sizes, activation="gelu", seed=seed)  # one set of weights
    first = "layers.0.0.weight"
    result = {}
    for label, use_shortcut in [("plain", False), ("shortcut", True)]:
        model.use_shortcut = use_shortcut  # flip the shortcut, keep the weights
        result[label] = sl.weight_gradient_means(model, sample_input)[first]
    return result


FAIR_COMPARISON = Exercise(
    id="01.2",
    name="first_layer_gradients(seed)",
    task="must return the first layer's mean |dL/dW| of the book's GELU network, "
    '{"plain": ..., "shortcut": ...}, both on the weights drawn right after '
    "torch.manual_seed(seed), for the input [1, 0, -1].",
    cases=lambda: [Case(f"seed = {seed}", lambda seed=seed: (seed,)) for seed in (123, 0, 7, 2024)],
    reference=_fair,
    compare=_compare_fair,
    hint="build one model, sl.DeepNetwork(layer_sizes, activation='gelu', seed=seed), and measure "
    "it twice, with model.use_shortcut = False and then True.",
    tested="(the book's network built from nn.Linear, gradients by autograd) for seeds 123, 0, 7 "
    "and 2024",
    starter=_fair_starter,
    solution=_fair_solution,
    mistakes=(
        Mistake(
            lambda seed: _fair(seed, second_model=True),
            "your shortcut model has other weights than your plain model: the seed "
            "is set once, and the second model's weights are drawn from where the generator "
            "stopped. The comparison then changes two things at once. Build one model and "
            "flip use_shortcut, or give both models seed=seed.",
        ),
        Mistake(
            lambda seed: dict(zip(("shortcut", "plain"), _fair(seed).values(), strict=True)),
            "plain and shortcut are swapped.",
        ),
    ),
)


def _probe_cases() -> list[Case]:
    def case(sizes, activation, seed, batch, use_shortcut=False, stale=False):
        def make():
            net = DeepNetwork(sizes, activation, use_shortcut, seed=seed)
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn(batch, sizes[0], generator=gen)
            for p in net.parameters() if stale else ():  # as if an optimizer's step were next
                p.grad = 1e-3 * torch.randn(p.shape, generator=gen)
            return net, (sample_input if sizes == layer_sizes else x)

        wiring = ", use_shortcut=True" if use_shortcut else ""
        data = "the input [1, 0, -1]" if sizes == layer_sizes else f"x, {batch} rows of noise"
        grads = ", its .grad holding an earlier step's gradients" if stale else ""
        return Case(
            f"sl.DeepNetwork({sizes_text(sizes)}, {activation!r}{wiring}, seed={seed}){grads} "
            f"and {data}",
            make,
        )

    return [
        case(layer_sizes, "gelu", 123, 1),
        case([8] * 6, "tanh", 1, 4, use_shortcut=True),
        case([5, 4, 3, 2], "sigmoid", 2, 3),
        case([6] * 5, "gelu", 3, 4, stale=True),
    ]


def _gradient_means(model: nn.Module, x: torch.Tensor) -> list[float]:
    weights = [layer[0].weight for layer in model.layers]
    output = model(x)
    grads = torch.autograd.grad(output.pow(2).mean(), weights)  # MSE against a zero target
    return [g.abs().mean().item() for g in grads]


def _call_twice(function, args):
    model, x = args
    parameters = list(model.named_parameters())  # the model's own tensors, read after the calls
    before = [p.grad if p.grad is None else p.grad.clone() for _, p in parameters]
    first, second = function(model, x), function(model, x)
    touched = [name for (name, p), g in zip(parameters, before, strict=True) if _moved(p.grad, g)]
    return first, second, touched


def _moved(grad: torch.Tensor | None, before: torch.Tensor | None) -> bool:
    return (grad is not before) if grad is None or before is None else not grad.equal(before)


def _compare_twice(got, expected, args) -> str | None:
    first, second, touched = got
    labels = [f"layer {i + 1}" for i in range(len(expected[0]))]
    first = as_numbers(_values(first), len(labels), "the first call returned")
    problem = compare_numbers(first, expected[0], labels)
    if problem is not None:
        return f"on the first call, {problem}"
    second = as_numbers(_values(second), len(labels), "the second call returned")
    if compare_numbers(second, expected[1], labels) is not None:
        ratio = second[0] / first[0] if first[0] else math.nan
        words = f"the first call was right, but the second returned {fmt(ratio)} times as much "
        if math.isclose(ratio, 2.0, rel_tol=1e-3):
            return words + (
                "(layer 1). loss.backward() adds into .grad, so the second call counted the "
                "first call's gradients again."
            )
        return words + "(layer 1): the first call changed the model the second one measured."
    if touched:
        return (
            f"the numbers are right, but the function left gradients in .grad ({touched[0]}): "
            "a probe must leave the model it measures as it was, .grad included, or an "
            "optimizer would later use what it left. torch.autograd.grad(loss, weights) "
            "returns the gradients and touches nothing."
        )
    return None


def _values(result: object) -> object:
    # sl.weight_gradient_means returns {name: value}: its values, in layer order, are the list.
    return list(result.values()) if isinstance(result, dict) else result


def _probe_starter(model, x):
    output = model(x)
    loss = nn.MSELoss()(output, torch.zeros_like(output))
    loss.backward()
    return [p.grad.abs().mean().item() for name, p in model.named_parameters() if "weight" in name]


def _probe_solution(model, x):
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    output = model(x)
    loss = nn.MSELoss()(output, torch.zeros_like(output))
    grads = torch.autograd.grad(loss, weights)  # returned to us, not added into .grad
    return [g.abs().mean().item() for g in grads]


GRADIENT_PROBE = Exercise(
    id="01.3",
    name="gradient_means(model, x)",
    task="must return each layer's mean |dL/dW| (MSE against a zero target), the same numbers "
    "every time it is called, leaving .grad untouched.",
    cases=_probe_cases,
    reference=lambda model, x: _gradient_means(model, x),
    compare=_compare_twice,
    hint="grads = torch.autograd.grad(loss, weights) gives the gradients without storing them.",
    tested="(autograd on the model's weight matrices), called twice on the same model, for "
    "GELU, tanh with shortcuts and sigmoid networks, and one whose .grad holds earlier gradients",
    starter=_probe_starter,
    solution=_probe_solution,
    run=_call_twice,
)
