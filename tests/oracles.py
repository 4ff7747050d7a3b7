"""Independent computations that several test modules compare the library against."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

import shortcut_lib as sl

# Written out here, not read from the library: a renamed diagnostic must fail a test.
DIAGNOSTICS = (
    "weight_grad_mean",
    "weight_grad_norm",
    "output_grad_norm",
    "activation_rms",
    "activation_spread",
)


def fresh_input(s: sl.ComparisonSettings) -> torch.Tensor:
    """The documented input of a comparison: ``batch_size`` rows of noise drawn from ``seed``."""
    return torch.randn(s.batch_size, s.width, generator=torch.Generator().manual_seed(s.seed))


def fresh_profiles(s: sl.ComparisonSettings) -> dict[str, sl.GradientProfile]:
    """The documented meaning of a comparison: two fresh networks of exactly ``s.depth`` layers,
    probed with gradient_profile."""
    x = fresh_input(s)
    result = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        network = sl.DeepNetwork(
            [s.width] * (s.depth + 1),
            s.activation,
            use_shortcut,
            seed=s.seed,
            init=s.init,
            gain=s.gain,
            norm=s.norm,
            final_norm=s.final_norm,
            branch_scale=s.branch_scale,
        )
        result[label] = sl.gradient_profile(network, x)
    return result


# --- a hand-written network: the weights read by name, every layer applied by hand ------------

HAND_ACTIVATIONS = {
    "gelu": lambda z: F.gelu(z, approximate="tanh"),
    "relu": lambda z: z * (z > 0),  # derivative 0 at 0, the convention torch.relu uses
    "sigmoid": lambda z: 1 / (1 + torch.exp(-z)),
    "tanh": torch.tanh,
    "identity": lambda z: z,
}


def hand_layernorm(h, weight, bias, eps=1e-5):
    mean = h.mean(dim=-1, keepdim=True)
    var = ((h - mean) ** 2).mean(dim=-1, keepdim=True)  # biased, as LayerNorm uses
    return (h - mean) / torch.sqrt(var + eps) * weight + bias


def hand_forward(params, sizes, x, *, activation, use_shortcut, norm, final_norm, branch_scale):
    """Every layer's output (after its shortcut) and the network's output, from ``params``
    (parameter name -> tensor) and the documented architecture, not from the library's code."""
    act = HAND_ACTIVATIONS[activation]
    depth = len(sizes) - 1
    scale = depth**-0.5 if branch_scale == "1/sqrt(depth)" else 1.0
    h, states = x, []
    for i in range(depth):
        z = h
        if norm == "layernorm":
            z = hand_layernorm(h, params[f"norms.{i}.weight"], params[f"norms.{i}.bias"])
        out = act(z @ params[f"layers.{i}.0.weight"].T + params[f"layers.{i}.0.bias"])
        h = h + scale * out if use_shortcut and out.shape == h.shape else out
        states.append(h)
    if final_norm:
        h = hand_layernorm(h, params["final.weight"], params["final.bias"])
    return states, h


def architecture(kwargs):
    """The hand_forward keywords of a DeepNetwork's keyword arguments (defaults filled in)."""
    keys = ("activation", "use_shortcut", "norm", "final_norm", "branch_scale")
    defaults = dict(activation="gelu", use_shortcut=False, norm="none", final_norm=False)
    return {k: kwargs.get(k, defaults.get(k, "1")) for k in keys}


def oracle_profile(model, x, target, **arch):
    """Per-layer gradients by loss.backward() on leaf copies of the model's parameters, and the
    forward statistics computed from their definitions, in float64."""
    params = {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}
    states, output = hand_forward(params, model.layer_sizes, x, **arch)
    for h in states:
        h.retain_grad()  # dL/dh at this layer's output, after its shortcut
    target = torch.zeros_like(output) if target is None else target
    loss = ((output - target) ** 2).mean()
    loss.backward()
    names = [f"layers.{i}.0.weight" for i in range(len(states))]
    grads = [params[n].grad.double() for n in names]
    wide = [h.detach().double() for h in states]
    rms = [h.pow(2).mean().sqrt().item() for h in wide]
    # the across-batch standard deviation (population) of each unit, RMS over units, over the RMS
    std = [h.var(dim=0, unbiased=False).mean().sqrt().item() for h in wide]
    return dict(
        names=names,
        weight_grad_mean=[g.abs().mean().item() for g in grads],
        weight_grad_norm=[g.pow(2).sum().sqrt().item() for g in grads],
        output_grad_norm=[h.grad.double().pow(2).sum().sqrt().item() for h in states],
        activation_rms=rms,
        activation_spread=[s / r if r else 0.0 for s, r in zip(std, rms, strict=True)],
        input_rms=x.double().pow(2).mean().sqrt().item(),
        loss=loss.item(),
    )


def random_case(seed, layernorm=True):
    """A random architecture (DeepNetwork keyword arguments), an input and (sometimes) a target.

    ``layernorm=False`` leaves LayerNorm out: over a few units it is too ill-conditioned for two
    float32 implementations to agree to 1e-5, so float32 comparisons use it (float64 covers it)."""
    rng = random.Random(seed)
    depth = rng.randint(1, 8)
    sizes = [rng.randint(1, 7)]
    for _ in range(depth):
        # Half the layers keep the width, so shortcuts apply to some layers and not others.
        sizes.append(sizes[-1] if rng.random() < 0.5 else rng.randint(1, 7))
    kwargs = dict(
        layer_sizes=sizes,
        activation=rng.choice(sorted(sl.ACTIVATIONS)),
        use_shortcut=rng.random() < 0.5,
        seed=rng.randrange(10_000),
        init=rng.choice(sl.INITS),
        gain=rng.choice([0.5, 1.0, 2.0]),
        # LayerNorm over one unit outputs zeros: DeepNetwork refuses it (tested elsewhere).
        norm=rng.choice(sl.NORMS) if layernorm and min(sizes[:-1]) >= 2 else "none",
        final_norm=layernorm and sizes[-1] >= 2 and rng.random() < 0.3,
        branch_scale=rng.choice(sl.BRANCH_SCALES),
    )
    gen = torch.Generator().manual_seed(seed)
    batch = rng.randint(1, 6)
    x = torch.randn(batch, sizes[0], generator=gen)
    target = torch.randn(batch, sizes[-1], generator=gen) if rng.random() < 0.5 else None
    return kwargs, x, target


def spy_on_refresh(explorer: object) -> list[threading.Thread]:
    """Count an explorer's updates from outside: the returned list gets the thread of every
    ``refresh`` that runs from now on."""
    ran_on: list[threading.Thread] = []
    refresh = explorer.refresh

    def spy() -> None:
        ran_on.append(threading.current_thread())
        refresh()

    explorer.refresh = spy
    return ran_on


def train_with_adams_floor_at(
    model: torch.nn.Module, run: sl.TrainingRun, eps: float
) -> tuple[list[float], list[int]]:
    """Train ``model`` on ``run``'s batches for its steps with Adam (lr 0.01) and floor ``eps``,
    a loop of its own: each step's loss, and how many weight matrices the step moved."""
    weights = [p for p in model.parameters() if p.ndim == 2]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, eps=eps)
    losses, moved = [], []
    for step in range(run.steps):
        x, y = run.batch(step)
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        before = [w.detach().clone() for w in weights]
        optimizer.step()
        moved.append(sum(not torch.equal(b, w) for b, w in zip(before, weights, strict=True)))
        losses.append(loss.item())
    return losses, moved


# --- notebook 04's network, written out with plain torch layers -------------------------------

TRAIN_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


class HandNetwork(nn.Module):
    """Linear(2, 32), then 20 x (Linear(32, 32), activation) with or without a shortcut, then
    Linear(32, 1): drawn in the order sl.train draws them, so one seed gives the same weights."""

    def __init__(self, activation: str, use_shortcut: bool = False) -> None:
        super().__init__()
        self.input = nn.Linear(2, 32)
        self.hidden = nn.ModuleList(nn.Linear(32, 32) for _ in range(20))
        self.output = nn.Linear(32, 1)
        self.f, self.use_shortcut = TRAIN_ACTIVATIONS[activation](), use_shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.input(x)
        for layer in self.hidden:
            h = h + self.f(layer(h)) if self.use_shortcut else self.f(layer(h))
        return self.output(h)


def hand_network(activation: str, seed: int, use_shortcut: bool = False) -> HandNetwork:
    """The network ``sl.train(activation=activation, seed=seed)`` starts from, built by hand."""
    torch.manual_seed(seed)
    return HandNetwork(activation, use_shortcut)


# --- notebook 04's training, many seeds at once ----------------------------------------------


@dataclass(frozen=True)
class SeedRuns:
    """What :func:`train_seeds` records, one row per step and one column per seed.

    Attributes:
        loss: (steps, seeds), each step's loss before its update.
        weight_grad_mean: (steps, seeds, layers), mean |dL/dW| per weight matrix (in, 1.., out).
        update_ratio: (steps, seeds, layers), ||W_after - W_before|| / ||W_before|| (float64).
    """

    loss: torch.Tensor
    weight_grad_mean: torch.Tensor
    update_ratio: torch.Tensor

    @property
    def final_loss(self) -> list[float]:
        """Per seed, the mean loss of the last tenth of the steps, as History.final_loss."""
        return self.loss[-max(1, len(self.loss) // 10) :].mean(0).tolist()

    @property
    def moved(self) -> torch.Tensor:
        """(steps, seeds): how many weight matrices each step changed at all."""
        return (self.update_ratio > 0).sum(2)


def train_seeds(seeds, model: str = "plain", *, eps: float = 1e-8, **settings) -> SeedRuns:
    """``sl.train(seed=s, models=model, **settings)[model]`` for every seed at once, written
    out: the same initial weights and batches (taken from ``sl.TrainingRun``), one stacked
    forward pass with batched matrix products, one Adam over the stacked weights. Adam works
    element by element and each seed's loss reaches only its own weights, so each seed trains as
    it would alone; the float32 rounding differs from ``sl.train``'s in the last bits, as another
    CPU's would. Spirals and Adam only; ``eps`` is Adam's floor."""
    runs = [sl.TrainingRun(seed=s, models=model, **settings) for s in seeds]
    s = runs[0].settings
    assert s.task == "spirals" and s.optimizer == "adam" and s.norm == "none"
    nets = [run.models[model] for run in runs]
    names = [n for n, _ in nets[0].named_parameters()]
    params = {
        n: torch.stack([dict(net.named_parameters())[n].detach() for net in nets]).requires_grad_()
        for n in names
    }  # each (seeds, *shape)
    weights = [p for n, p in params.items() if p.ndim == 3]  # in, 1 .. depth, out
    optimizer = torch.optim.Adam(params.values(), lr=s.lr, eps=eps)
    x = torch.stack([run.task.x[run._batches] for run in runs])  # (seeds, steps, batch, 2)
    y = torch.stack([run.task.y[run._batches] for run in runs])
    losses, grads, ratios = [], [], []
    for step in range(s.steps):
        loss = _seed_losses(params, x[:, step], y[:, step], s, model == "shortcut")
        optimizer.zero_grad()
        loss.sum().backward()  # each seed's loss reaches only its own weights
        with torch.no_grad():
            grads.append(torch.stack([w.grad.abs().mean(dim=(1, 2)) for w in weights], 1))
            before = torch.cat([w.double().flatten(1) for w in weights], 1)  # (seeds, numbers)
            optimizer.step()
            after = torch.cat([w.double().flatten(1) for w in weights], 1)
            ratios.append(_layer_norms(after - before, weights) / _layer_norms(before, weights))
        losses.append(loss.detach())
    return SeedRuns(torch.stack(losses), torch.stack(grads), torch.stack(ratios))


def _layer_norms(flat: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
    # (seeds, layers): the norm of each weight matrix's part of ``flat`` (seeds, numbers).
    parts = flat.split([w[0].numel() for w in weights], dim=1)
    return torch.stack([p.norm(dim=1) for p in parts], 1)


def _seed_losses(params, x, y, s, use_shortcut: bool) -> torch.Tensor:
    # (seeds,) losses of notebook 04's network: Linear, depth x (Linear, activation) with the
    # shortcut and branch scale, an optional final LayerNorm, Linear; x (seeds, batch, 2).
    def linear(h, prefix):
        return torch.baddbmm(
            params[f"{prefix}.bias"].unsqueeze(1), h, params[f"{prefix}.weight"].mT
        )

    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[s.activation]
    scale = 1 / math.sqrt(s.depth) if s.branch_scale == "1/sqrt(depth)" else 1.0
    h = linear(x, "input")
    for i in range(s.depth):
        branch = f(linear(h, f"body.layers.{i}.0"))
        h = h + scale * branch if use_shortcut else branch
    if s.final_norm:
        h = hand_layernorm(
            h, params["body.final.weight"].unsqueeze(1), params["body.final.bias"].unsqueeze(1)
        )
    logits = linear(h, "output")  # (seeds, batch, 1)
    return F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=(1, 2))
