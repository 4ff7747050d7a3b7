"""Claims of notebook 03, checked over five seeds on networks written out here.

Each network is a stack of ``Linear`` layers drawn with PyTorch's own init functions, run
layer by layer and differentiated with ``torch.autograd.grad``; the loss is the mean square of the
last hidden state (the MSE against a zero target of the library's probes). The claims:

- 4.1/4.2: sigmoid at depth 50. Plain, ||dL/dh|| at layer 1 is below 1e-30 of the last layer's;
  with shortcuts it is flat (within 2x), while mean |dL/dW| first/last is below 0.3: the weight
  gradient shrinks because the last layers' input is large, not because the signal died.
- 4.2/4.4: GELU at depth 100 with shortcuts grows ||dL/dh|| and the forward signal more than
  1e8-fold, yet mean |dL/dW| first/last stays within 0.3..3. Pre-norm fixes the shape
  (first/last < 20) and the size (every mean |dL/dW| < 10).
- 4.5: Kaiming init keeps a plain ReLU network's ||dL/dh|| first/last within 0.1..10 at depth 50,
  and with shortcuts the mean square of h grows 2.4-3.3x per layer, not 2x.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

SEEDS = range(12)  # the notebooks print seeds 0-3 at most: 4-11 are held out
WIDTH, BATCH = 64, 16


def measure(
    depth: int,
    activation,
    seed: int,
    *,
    shortcut: bool,
    init: str = "default",
    prenorm: bool = False,
    batch: int = BATCH,
) -> dict[str, list[float]]:
    """Per layer: ||dL/dh||, mean |dL/dW|, RMS of the layer's input and of its output."""
    torch.manual_seed(seed)
    layers = [nn.Linear(WIDTH, WIDTH) for _ in range(depth)]
    if init == "kaiming":
        for layer in layers:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    h = torch.randn(batch, WIDTH, generator=torch.Generator().manual_seed(seed))
    inputs, states = [], []
    for layer in layers:
        inputs.append(h)
        u = F.layer_norm(h, (WIDTH,)) if prenorm else h
        branch = activation(layer(u))
        h = h + branch if shortcut else branch
        states.append(h)
    weights = [layer.weight for layer in layers]
    grads = torch.autograd.grad(h.pow(2).mean(), states + weights)
    return {
        "dh": [g.norm().item() for g in grads[:depth]],
        "dw": [g.abs().mean().item() for g in grads[depth:]],
        "input_rms": [u.pow(2).mean().sqrt().item() for u in inputs],
        "rms": [s.pow(2).mean().sqrt().item() for s in states],
    }


def first_over_last(values: list[float]) -> float:
    return values[0] / values[-1]


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_depth_50_backward_signal_and_weight_gradients(seed):
    plain = measure(50, torch.sigmoid, seed, shortcut=False)
    shortcut = measure(50, torch.sigmoid, seed, shortcut=True)
    assert first_over_last(plain["dh"]) < 1e-30
    assert 0.5 < first_over_last(shortcut["dh"]) < 2  # the backward signal keeps its size ...
    assert first_over_last(shortcut["dw"]) < 0.3  # ... while the weight gradient shrinks,
    assert first_over_last(shortcut["input_rms"]) < 0.1  # because the last layers' input is large


@pytest.mark.parametrize("seed", SEEDS)
def test_gelu_depth_100_explodes_both_ways_and_pre_norm_fixes_shape_and_size(seed):
    gelu = nn.GELU(approximate="tanh")
    bare = measure(100, gelu, seed, shortcut=True)
    assert first_over_last(bare["dh"]) > 1e8
    assert 1 / first_over_last(bare["input_rms"]) > 1e8
    assert 0.3 < first_over_last(bare["dw"]) < 3  # the two growths cancel in dL/dW
    normed = measure(100, gelu, seed, shortcut=True, prenorm=True)
    assert first_over_last(normed["dh"]) < 20
    assert max(normed["dw"]) < 10 < max(bare["dw"])


@pytest.mark.parametrize("seed", SEEDS)
def test_kaiming_keeps_a_plain_relu_network_level_and_shortcuts_grow_it_about_3x(seed):
    plain = measure(50, torch.relu, seed, shortcut=False, init="kaiming")
    assert 0.1 < first_over_last(plain["dh"]) < 20  # "to within about 10x" (1.2 to 10.5, 20 seeds)
    default = measure(50, torch.relu, seed, shortcut=False)
    assert first_over_last(default["dh"]) < 1e-10
    stream = measure(50, torch.relu, seed, shortcut=True, init="kaiming", batch=256)["rms"]
    per_layer = (stream[49] / stream[9]) ** (2 / 40)  # mean square, geometric mean, layers 11-50
    assert 2.4 < per_layer < 3.3
