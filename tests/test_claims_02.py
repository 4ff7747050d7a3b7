"""Claims of notebook 02 checked against computations written out here.

Section 6: large Xavier gains make up for sigmoid's 1/4 at depth 50, by saturating the network,
on a narrow edge between vanishing and exploding. The networks here are drawn by hand (Xavier
normal: std = gain / sqrt(width) for width -> width layers, zero biases), run in float64, and
differentiated with ``torch.autograd.grad``.

Sections 4 and 7: nothing is flushed any more, so a deep sigmoid network's first-layer gradient is
a float32 subnormal or exactly 0, and it becomes exactly 0 at the depth where the float64 value
drops below half of float32's smallest subnormal.
"""

from __future__ import annotations

import math

import pytest
import torch

import shortcut_lib as sl

SEEDS = range(12)  # the notebooks print seeds 0-3 at most: 4-11 are held out
WIDTH, BATCH, DEPTH = 64, 16, 50
SMALLEST_NORMAL = torch.finfo(torch.float32).tiny  # 1.2e-38
SMALLEST_SUBNORMAL = 2.0**-149  # 1.4e-45


def sigmoid_slope(z: torch.Tensor) -> torch.Tensor:
    # hand-derived: d/dz 1 / (1 + e^-z) = e^-z / (1 + e^-z)^2, written so that it never overflows
    e = torch.exp(-z.abs())
    return e / (1 + e) ** 2


def probe(weights: list[torch.Tensor], x: torch.Tensor) -> dict[str, float]:
    """First/last ||dL/dh|| (L = MSE(h_L, 0)) and the fraction of units with sigmoid'(z) < 0.01."""
    h, states, zs = x.clone().requires_grad_(), [], []
    for w in weights:
        z = h @ w.T
        h = torch.sigmoid(z)
        zs.append(z.detach())
        states.append(h)
    grads = torch.autograd.grad(h.pow(2).mean(), states)
    slope = sigmoid_slope(torch.stack(zs))
    return {
        "ratio": (grads[0].norm() / grads[-1].norm()).item(),
        "saturated": (slope < 0.01).double().mean().item(),
        "factor": slope[1:].pow(2).mean().sqrt().item(),  # slope in use, to be times the gain
    }


def own_network(gain: float, seed: int) -> tuple[list[torch.Tensor], torch.Tensor]:
    gen = torch.Generator().manual_seed(10_000 + seed)
    std = gain / math.sqrt(WIDTH)  # Xavier normal, fan_in = fan_out = WIDTH
    weights = [
        torch.randn(WIDTH, WIDTH, generator=gen, dtype=torch.float64) * std for _ in range(DEPTH)
    ]
    return weights, torch.randn(BATCH, WIDTH, generator=gen, dtype=torch.float64)


GAINS = (1, 4, 8, 12, 16)


@pytest.fixture(scope="module")
def measured() -> dict[int, list[dict[str, float]]]:
    return {g: [probe(*own_network(g, seed)) for seed in SEEDS] for g in GAINS}


def test_hand_sigmoid_slope():
    # (for large z autograd's s (1 - s) loses digits to the cancellation in 1 - s; this does not)
    z = torch.linspace(-15, 15, 301, dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    assert torch.allclose(sigmoid_slope(z.detach()), auto, rtol=1e-8, atol=0)
    assert sigmoid_slope(torch.tensor(0.0)).item() == 0.25
    # sigmoid'(z) < 0.01 exactly when |z| > 4.59 (the notebook's "saturated")
    assert sigmoid_slope(torch.tensor(4.58)).item() > 0.01 > sigmoid_slope(torch.tensor(4.59))


def test_small_gains_vanish_and_collapse(measured):
    for run in measured[1]:
        assert run["ratio"] < 1e-25
        assert run["saturated"] < 0.01
    assert all(run["ratio"] < 1e-5 for run in measured[4])  # the explorers' largest gain
    assert all(run["ratio"] < 0.1 for run in measured[8])  # still vanishing


def test_gain_12_makes_up_for_the_quarter_by_saturating(measured):
    for run in measured[12]:
        assert 0.1 < run["ratio"] < 1e3  # "0.7 to 30" in the notebook's seeds: no vanishing
        assert run["saturated"] > 0.5  # "more than half of the units"
        assert 1.0 < 12 * run["factor"] < 1.2  # gain x slope in use is about 1


def test_gain_16_explodes_and_the_edge_is_narrow(measured):
    assert all(run["ratio"] > 300 for run in measured[16])
    for seed in SEEDS:
        per_gain = [measured[g][seed]["ratio"] for g in GAINS]
        assert per_gain == sorted(per_gain)  # more gain, more gradient
        saturation = [measured[g][seed]["saturated"] for g in GAINS]
        assert saturation == sorted(saturation)  # and more saturation


def test_library_xavier_network_matches_the_hand_probe():
    # The notebook's probe runs sl.DeepNetwork(..., init="xavier", gain=g): the same quantity.
    for seed in SEEDS:
        net = sl.DeepNetwork([WIDTH] * (DEPTH + 1), "sigmoid", seed=seed, init="xavier", gain=12)
        net = net.double()
        for layer in net.layers:
            assert torch.count_nonzero(layer[0].bias) == 0
        weights = [layer[0].weight.detach() for layer in net.layers]
        x = torch.randn(BATCH, WIDTH, generator=torch.Generator().manual_seed(seed)).double()
        g = sl.gradient_profile(net, x).output_grad_norm
        assert g[0] / g[-1] == pytest.approx(probe(weights, x)["ratio"], rel=1e-6)
        assert 0.1 < g[0] / g[-1] < 1e3


def first_layer_grad(depth: int, seed: int, dtype: torch.dtype) -> torch.Tensor:
    """dL/dh_1 of compare_shortcut's plain sigmoid network, by hand, in the given dtype."""
    net = sl.DeepNetwork([WIDTH] * (depth + 1), "sigmoid", seed=seed)
    x = torch.randn(BATCH, WIDTH, generator=torch.Generator().manual_seed(seed)).to(dtype)
    h, states = x.requires_grad_(), []
    for layer in net.layers:
        w, b = layer[0].weight.detach().to(dtype), layer[0].bias.detach().to(dtype)
        h = torch.sigmoid(h @ w.T + b)
        states.append(h)
    return torch.autograd.grad(h.pow(2).mean(), states[0])[0]


def test_deep_sigmoid_gradients_are_subnormal_not_flushed():
    for seed in SEEDS:
        profile = sl.compare_shortcut(depth=50, activation="sigmoid", seed=seed)["plain"]
        first = profile.weight_grad_mean[0]
        assert first < SMALLEST_NORMAL  # section 4: "below 1e-38 in every seed"
        assert first / profile.weight_grad_mean[-1] < 1e-40
        # the layers just above it are subnormal but not 0: nothing was flushed
        assert any(0 < v < SMALLEST_NORMAL for v in profile.weight_grad_mean[1:10])
        mine = first_layer_grad(50, seed, torch.float32).double().norm().item()
        assert mine < SMALLEST_NORMAL and profile.output_grad_norm[0] < SMALLEST_NORMAL


def first_dead(dead, low: int = 35, high: int = 70) -> int:
    """The first depth in low..high at which ``dead(depth)`` holds, by bisection: deeper plain
    sigmoid stacks only shrink the gradient further. Asserts the boundary it found."""
    assert not dead(low) and dead(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if dead(middle) else (middle, high)
    return high


def test_first_dead_depth_is_where_float64_drops_below_half_the_smallest_subnormal():
    # compare_shortcut (float32) against a float64 hand computation: the first depth at which
    # layer 1's ||dL/dh|| is exactly 0, and the first at which every float64 entry would round to 0.
    for seed in SEEDS:
        comparison = sl.Comparison()  # one network per seed, its first layers probed

        def dead32(depth, seed=seed, comparison=comparison):
            settings = sl.ComparisonSettings(depth=depth, activation="sigmoid", seed=seed)
            return comparison.profiles(settings)["plain"].output_grad_norm[0] == 0

        def dead64(depth, seed=seed):
            grad = first_layer_grad(depth, seed, torch.float64)
            return grad.abs().max().item() < SMALLEST_SUBNORMAL / 2

        dead32, dead64 = first_dead(dead32), first_dead(dead64)
        assert abs(dead32 - dead64) <= 2, (seed, dead32, dead64)
        assert 45 <= dead32 <= 56  # "51 for sigmoid" at seed 0; the other seeds nearby
