"""Claims of notebook 01, section 6, checked against computations written out here.

The notebook measures the per-layer factor a gradient meets with ``sl.gradient_profile`` and
compares it with the singular values of each layer's Jacobian. Here the network is rebuilt by hand
(weights drawn here, PyTorch's default ``nn.Linear`` distribution), the gradients come from
``torch.autograd.grad`` on that hand-written forward pass, and the Jacobians from the
hand-derived derivative of the tanh GELU, not from autograd.
"""

from __future__ import annotations

import math

import pytest
import torch

import shortcut_lib as sl

SEEDS = range(12)  # the notebooks print seeds 0-3 at most: 4-11 are held out
WIDTH, BATCH = 64, 16
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(z: torch.Tensor) -> torch.Tensor:
    return 0.5 * z * (1 + torch.tanh(SQRT_2_OVER_PI * (z + 0.044715 * z**3)))


def gelu_slope(z: torch.Tensor) -> torch.Tensor:
    # d/dz of 0.5 z (1 + tanh(u)), u = c (z + 0.044715 z^3): 0.5 (1 + t) + 0.5 z (1 - t^2) u'
    t = torch.tanh(SQRT_2_OVER_PI * (z + 0.044715 * z**3))
    du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z**2)
    return 0.5 * (1 + t) + 0.5 * z * (1 - t**2) * du


def own_weights(seed: int, depth: int, width: int = WIDTH) -> list[tuple[torch.Tensor, ...]]:
    # nn.Linear's default init: weight and bias uniform in +-1/sqrt(fan_in)
    gen = torch.Generator().manual_seed(1000 + seed)
    bound = 1 / math.sqrt(width)
    return [
        (
            (torch.rand(width, width, generator=gen) * 2 - 1) * bound,
            (torch.rand(width, generator=gen) * 2 - 1) * bound,
        )
        for _ in range(depth)
    ]


def run(weights, x, shortcut: bool):
    """Forward with every layer's input kept; returns (inputs h_0..h_{L-1}, outputs h_1..h_L)."""
    h, inputs, outputs = x, [], []
    for w, b in weights:
        inputs.append(h)
        out = gelu(h @ w.T + b)
        h = h + out if shortcut else out
        outputs.append(h)
    return inputs, outputs


def backward_norms(weights, x, shortcut: bool) -> list[float]:
    """||dL/dh_l|| for l = 1..L, L = MSE(h_L, 0), by autograd on the hand-written pass."""
    _, outputs = run(weights, x.clone().requires_grad_(), shortcut)  # a leaf, so h_l get grads
    loss = outputs[-1].pow(2).mean()
    grads = torch.autograd.grad(loss, outputs)
    return [g.double().norm().item() for g in grads]


def jacobian_stats(weights, x, shortcut: bool) -> tuple[float, float]:
    """Geometric mean over layers 2..L of (RMS, geometric mean) of each layer's singular values,
    one Jacobian diag(gelu'(z)) W (+ I) per example, averaged as in the notebook."""
    inputs, _ = run(weights, x, shortcut)
    log_rms, log_geo = [], []
    for (w, b), h in list(zip(weights, inputs, strict=True))[1:]:
        z = h @ w.T + b  # (batch, width)
        jac = gelu_slope(z)[:, :, None] * w  # (batch, out, in)
        if shortcut:
            jac = jac + torch.eye(w.shape[0])
        s = torch.linalg.svdvals(jac.double())
        log_rms.append(s.pow(2).mean().sqrt().log().item())
        log_geo.append(s.log().mean().exp().log().item())
    n = len(log_rms)
    return math.exp(sum(log_rms) / n), math.exp(sum(log_geo) / n)


def own_input(seed: int, width: int = WIDTH) -> torch.Tensor:
    return torch.randn(BATCH, width, generator=torch.Generator().manual_seed(2000 + seed))


def test_hand_gelu_slope_is_the_derivative():
    z = torch.linspace(-6, 6, 1201, dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(gelu(z).sum(), z)
    assert torch.allclose(gelu_slope(z.detach()), auto, atol=1e-12)
    # and the hand GELU is the library's
    assert torch.allclose(sl.make_activation("gelu")(z.detach()), gelu(z.detach()), atol=1e-12)


@pytest.mark.parametrize("shortcut", [False, True])
def test_library_backward_signal_matches_hand_autograd(shortcut):
    # The notebook reads the factor off sl.gradient_profile(...).output_grad_norm.
    for seed in SEEDS:
        net = sl.DeepNetwork([WIDTH] * 21, activation="gelu", seed=seed, use_shortcut=shortcut)
        weights = [(layer[0].weight.detach(), layer[0].bias.detach()) for layer in net.layers]
        x = own_input(seed)
        mine = backward_norms(weights, x, shortcut)
        theirs = sl.gradient_profile(net, x).output_grad_norm
        assert len(theirs) == 20
        for a, b in zip(mine, theirs, strict=True):
            assert a == pytest.approx(b, rel=1e-4)


def test_rms_singular_value_is_what_a_random_vector_sees():
    # E ||J^T v||^2 = ||J||_F^2 for standard normal v, and E ||v||^2 = n: the RMS singular value.
    gen = torch.Generator().manual_seed(7)
    for _ in range(5):
        jac = torch.randn(WIDTH, WIDTH, generator=gen, dtype=torch.float64) * 0.05
        jac[:5] *= 1e-4  # a few nearly flat directions pull the geometric mean down, not the RMS
        v = torch.randn(20000, WIDTH, generator=gen, dtype=torch.float64)
        seen = ((v @ jac).norm(dim=1).pow(2).mean() / v.norm(dim=1).pow(2).mean()).sqrt()
        s = torch.linalg.svdvals(jac)
        assert seen.item() == pytest.approx(s.pow(2).mean().sqrt().item(), rel=0.02)
        assert s.log().mean().exp() < 0.7 * seen


def test_plain_factor_per_layer_is_the_rms_singular_value():
    depth = 50
    for seed in SEEDS:
        weights, x = own_weights(seed, depth), own_input(seed)
        g = backward_norms(weights, x, shortcut=False)
        measured = (g[0] / g[-1]) ** (1 / (depth - 1))
        rms, geo = jacobian_stats(weights, x, shortcut=False)
        assert 0.25 < measured < 0.33  # "about 0.29 per layer"
        assert measured == pytest.approx(rms, rel=0.05)
        # the product: RMS^49 within 10x of the measured first/last, the geometric mean far off
        assert 0.1 < (g[0] / g[-1]) / rms ** (depth - 1) < 10
        assert geo ** (depth - 1) < 1e-8 * (g[0] / g[-1])
        assert 1e-29 < g[0] / g[-1] < 1e-24  # "about 1e-27, not 1e-42"


def test_shortcut_factors_grow_the_gradient():
    for seed in SEEDS:
        for depth, low, high in ((20, 30, 300), (50, 2e4, 5e5)):
            weights, x = own_weights(seed, depth), own_input(seed)
            g = backward_norms(weights, x, shortcut=True)
            ratio = g[0] / g[-1]
            assert low < ratio < high, (seed, depth, ratio)
            assert 1.18 < ratio ** (1 / (depth - 1)) < 1.35  # "about 1.25 per layer"
        rms, geo = jacobian_stats(weights, x, shortcut=True)
        assert abs(geo - 1) < 0.01  # the geometric mean says "stays near 1" ...
        assert rms < 1.1 < ratio ** (1 / (depth - 1))  # ... and even the RMS falls short
        # the stream grows nearly as fast as the gradient, and a little slower
        _, outputs = run(weights, x, shortcut=True)
        rms_h = [h.double().pow(2).mean().sqrt().item() for h in outputs]
        stream = (rms_h[-1] / rms_h[0]) ** (1 / (depth - 1))
        assert 1.18 < stream < ratio ** (1 / (depth - 1))


def test_book_reference_values_reproduce():
    # Published in the book: 0.00020173587836325169 and 0.22169792652130127 for layers.0.0.weight.
    model = sl.DeepNetwork([3, 3, 3, 3, 3, 1], activation="gelu", seed=123)
    x = torch.tensor([[1.0, 0.0, -1.0]])
    plain = sl.weight_gradient_means(model, x)["layers.0.0.weight"]
    model.use_shortcut = True
    shortcut = sl.weight_gradient_means(model, x)["layers.0.0.weight"]
    assert plain == pytest.approx(2.0174e-4, rel=1e-4)
    assert shortcut == pytest.approx(0.22170, rel=1e-4)
