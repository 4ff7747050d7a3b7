"""Oracle tests for DeepNetwork: the book's model, a hand-written forward loop, init statistics."""

import math

import pytest
import torch
from oracles import architecture, hand_forward, random_case
from torch import nn

import shortcut_lib as sl

BOOK_SIZES = [3, 3, 3, 3, 3, 1]
BOOK_INPUT = [[1.0, 0.0, -1.0]]


# --- the book's model, as an independent oracle ------------------------------------------------


class BookGELU(nn.Module):
    def forward(self, x):
        return (
            0.5
            * x
            * (
                1
                + torch.tanh(
                    torch.sqrt(torch.tensor(2.0 / torch.pi, dtype=x.dtype, device=x.device))
                    * (x + 0.044715 * torch.pow(x, 3))
                )
            )
        )


class ExampleDeepNeuralNetwork(nn.Module):
    """The book's chapter 4 model, with GELU as a layer of each Sequential (as intended)."""

    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            [
                nn.Sequential(nn.Linear(layer_sizes[0], layer_sizes[1]), BookGELU()),
                nn.Sequential(nn.Linear(layer_sizes[1], layer_sizes[2]), BookGELU()),
                nn.Sequential(nn.Linear(layer_sizes[2], layer_sizes[3]), BookGELU()),
                nn.Sequential(nn.Linear(layer_sizes[3], layer_sizes[4]), BookGELU()),
                nn.Sequential(nn.Linear(layer_sizes[4], layer_sizes[5]), BookGELU()),
            ]
        )

    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output
            else:
                x = layer_output
        return x


def book_model(use_shortcut):
    torch.manual_seed(123)
    return ExampleDeepNeuralNetwork(BOOK_SIZES, use_shortcut=use_shortcut)


def book_gradient_means(model, x):
    """The book's print_gradients, returning instead of printing."""
    output = model(x)
    loss = nn.MSELoss()(output, torch.zeros_like(output))
    loss.backward()
    return [p.grad.abs().mean().item() for n, p in model.named_parameters() if "weight" in n]


def weights(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def assert_same_parameters(a, b):
    pa, pb = weights(a), weights(b)
    assert list(pa) == list(pb)
    for name in pa:
        assert torch.equal(pa[name], pb[name]), name


# --- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", sorted(sl.ACTIVATIONS))
def test_layer_i_is_sequential_of_linear_then_activation(activation):
    sizes = [3, 5, 5, 2]
    model = sl.DeepNetwork(sizes, activation=activation, seed=0)
    assert model.depth == 3 and model.in_features == 3
    act_type = type(sl.make_activation(activation))
    seen = set()
    for i, layer in enumerate(model.layers):
        assert isinstance(layer, nn.Sequential) and len(layer) == 2
        linear, act = layer
        assert isinstance(linear, nn.Linear)
        assert (linear.in_features, linear.out_features) == (sizes[i], sizes[i + 1])
        assert type(act) is act_type
        seen.add(id(act))
    assert len(seen) == 3, "every layer owns its activation module"


def test_parameter_names_follow_the_book():
    names = [n for n, _ in sl.DeepNetwork([3, 3, 1], seed=0).named_parameters()]
    assert names == ["layers.0.0.weight", "layers.0.0.bias", "layers.1.0.weight", "layers.1.0.bias"]


# --- seeding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_seed_123_gives_exactly_the_books_weights(use_shortcut):
    ours = sl.DeepNetwork(BOOK_SIZES, use_shortcut=use_shortcut, seed=123)
    assert_same_parameters(ours, book_model(use_shortcut))


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_seed_123_gives_the_books_outputs(use_shortcut):
    x = torch.randn(7, 3, generator=torch.Generator().manual_seed(5))
    ours = sl.DeepNetwork(BOOK_SIZES, use_shortcut=use_shortcut, seed=123)
    torch.testing.assert_close(ours(x), book_model(use_shortcut)(x))


def test_books_published_gradient_figures():
    """Figures printed in the book (ch. 4), to three significant digits."""
    published = {
        False: [2.02e-4, 1.20e-4, 7.15e-4, 1.40e-3, 5.05e-3],
        True: [0.222, 0.207, 0.329, 0.267, 1.33],
    }
    x = torch.tensor(BOOK_INPUT)
    for use_shortcut, figures in published.items():
        model = sl.DeepNetwork(BOOK_SIZES, use_shortcut=use_shortcut, seed=123)
        assert book_gradient_means(model, x) == pytest.approx(figures, rel=0.01)
    # The headline: the first layer's gradient is about 1000x larger with shortcuts.
    plain = book_gradient_means(sl.DeepNetwork(BOOK_SIZES, seed=123), x)[0]
    shortcut = book_gradient_means(sl.DeepNetwork(BOOK_SIZES, use_shortcut=True, seed=123), x)[0]
    assert plain == pytest.approx(2.0e-4, rel=0.02)
    assert shortcut == pytest.approx(0.22, rel=0.02)


@pytest.mark.parametrize("init", sl.INITS)
def test_seed_leaves_the_global_rng_exactly_unchanged(init):
    torch.manual_seed(2024)
    torch.rand(3)  # move away from a freshly seeded state
    before = torch.get_rng_state()
    sl.DeepNetwork([4, 8, 8, 1], seed=7, init=init)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("init", sl.INITS)
def test_seed_gives_the_same_weights_whatever_the_global_state(init):
    torch.manual_seed(1)
    a = sl.DeepNetwork([4, 8, 8, 1], seed=7, init=init)
    torch.manual_seed(999)
    torch.rand(100)
    b = sl.DeepNetwork([4, 8, 8, 1], seed=7, init=init)
    assert_same_parameters(a, b)
    c = sl.DeepNetwork([4, 8, 8, 1], seed=8, init=init)
    assert not torch.equal(a.layers[0][0].weight, c.layers[0][0].weight)


def test_seed_none_draws_from_the_global_rng_like_any_module():
    sizes = [4, 6, 6, 2]
    torch.manual_seed(31)
    start = torch.get_rng_state()
    model = sl.DeepNetwork(sizes)
    after_ours = torch.get_rng_state()
    torch.manual_seed(31)
    linears = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    after_reference = torch.get_rng_state()
    assert not torch.equal(after_ours, start), "seed=None must consume the global RNG"
    assert torch.equal(after_ours, after_reference)
    for i, linear in enumerate(linears):
        assert torch.equal(model.layers[i][0].weight, linear.weight)
        assert torch.equal(model.layers[i][0].bias, linear.bias)


# --- forward -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", range(30))
def test_forward_equals_a_hand_written_loop(case):
    kwargs, x, _ = random_case(case)
    # float64: a LayerNorm over a few units amplifies float32 rounding past any fair tolerance
    model, x = sl.DeepNetwork(**kwargs).double(), x.double()
    params = dict(model.named_parameters())
    states, expected = hand_forward(params, model.layer_sizes, x, **architecture(kwargs))
    torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-6)
    got_states, got_output = model.forward_states(x)
    torch.testing.assert_close(got_output, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(got_states, states, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_hidden_states_are_each_layers_output_after_its_shortcut():
    model = sl.DeepNetwork([3, 3, 4, 4, 2], activation="tanh", use_shortcut=True, seed=3)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    states = model.hidden_states(x)
    assert [tuple(s.shape) for s in states] == [(5, 3), (5, 4), (5, 4), (5, 2)]
    w = [model.layers[i][0] for i in range(4)]
    h1 = x + torch.tanh(w[0](x))
    h2 = torch.tanh(w[1](h1))
    h3 = h2 + torch.tanh(w[2](h2))
    h4 = torch.tanh(w[3](h3))
    for got, want in zip(states, [h1, h2, h3, h4], strict=True):
        torch.testing.assert_close(got, want)
    torch.testing.assert_close(model(x), h4)


def test_flipping_use_shortcut_changes_nothing_when_no_shapes_match():
    model = sl.DeepNetwork([3, 4, 5, 2], seed=0)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    plain = model(x)
    model.use_shortcut = True
    assert torch.equal(model(x), plain)


def test_flipping_use_shortcut_changes_only_layers_whose_shapes_match():
    model = sl.DeepNetwork([3, 4, 4, 2], seed=0)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    plain = model.hidden_states(x)
    model.use_shortcut = True
    shortcut = model.hidden_states(x)
    assert torch.equal(shortcut[0], plain[0]), "3 -> 4: no shortcut, same output"
    # 4 -> 4: the shortcut adds the layer's input to the very same layer output.
    torch.testing.assert_close(shortcut[1], plain[0] + plain[1])
    assert not torch.allclose(shortcut[1], plain[1])
    assert not torch.allclose(shortcut[2], plain[2])


# --- init, gain, norm --------------------------------------------------------------------------


@pytest.mark.parametrize("init", sl.INITS)
@pytest.mark.parametrize("gain", [1.0, 0.3])
def test_first_layers_do_not_depend_on_depth(init, gain):
    """The first k layers of a deeper network equal those of a shallower one (same seed)."""
    shallow = sl.DeepNetwork([5] * 4, seed=11, init=init, gain=gain)
    deep = sl.DeepNetwork([5] * 12 + [1], seed=11, init=init, gain=gain)
    for i in range(shallow.depth):
        assert torch.equal(shallow.layers[i][0].weight, deep.layers[i][0].weight)
        assert torch.equal(shallow.layers[i][0].bias, deep.layers[i][0].bias)


@pytest.mark.parametrize(
    ("init", "expected_std"),
    [
        ("default", lambda fan_in, fan_out: 1 / math.sqrt(3 * fan_in)),  # U(-1/sqrt(n), 1/sqrt(n))
        ("xavier", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
        ("kaiming", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ],
)
@pytest.mark.parametrize(("fan_in", "fan_out"), [(512, 512), (512, 256), (256, 768)])
def test_weight_std_is_close_to_the_theoretical_value(init, expected_std, fan_in, fan_out):
    model = sl.DeepNetwork([fan_in, fan_out], seed=0, init=init)
    weight = model.layers[0][0].weight
    assert weight.shape == (fan_out, fan_in)
    std = expected_std(fan_in, fan_out)
    assert weight.std().item() == pytest.approx(std, rel=0.02)
    assert abs(weight.mean().item()) < 0.02 * std


@pytest.mark.parametrize("init", ["xavier", "kaiming"])
def test_xavier_and_kaiming_start_with_zero_biases(init):
    model = sl.DeepNetwork([64, 32, 32, 1], seed=0, init=init)
    for layer in model.layers:
        assert torch.equal(layer[0].bias, torch.zeros_like(layer[0].bias))


def test_default_init_biases_are_uniform_within_one_over_sqrt_fan_in():
    bias = sl.DeepNetwork([400, 2000], seed=0).layers[0][0].bias
    bound = 1 / math.sqrt(400)
    assert bias.abs().max().item() <= bound
    assert bias.abs().max().item() > 0.9 * bound  # actually spread over the interval


@pytest.mark.parametrize("init", sl.INITS)
@pytest.mark.parametrize("gain", [0.0, 0.25, 3.0])
def test_gain_scales_every_weight_matrix_exactly_and_leaves_biases(init, gain):
    sizes = [4, 6, 6, 2]
    base = sl.DeepNetwork(sizes, seed=5, init=init)
    scaled = sl.DeepNetwork(sizes, seed=5, init=init, gain=gain)
    for b, s in zip(base.layers, scaled.layers, strict=True):
        assert torch.equal(s[0].weight, b[0].weight * gain)
        assert torch.equal(s[0].bias, b[0].bias)


def test_layernorm_draws_no_weights_and_sits_before_each_layer():
    sizes = [4, 4, 6, 6, 1]
    plain = sl.DeepNetwork(sizes, activation="tanh", use_shortcut=True, seed=9)
    normed = sl.DeepNetwork(sizes, activation="tanh", use_shortcut=True, seed=9, norm="layernorm")
    for a, b in zip(plain.layers, normed.layers, strict=True):
        assert torch.equal(a[0].weight, b[0].weight)
    assert [type(m) for m in normed.norms] == [nn.LayerNorm] * 4
    assert [m.normalized_shape for m in normed.norms] == [(4,), (4,), (6,), (6,)]

    x = 5 + 3 * torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    h = x
    for layer in normed.layers:
        z = (h - h.mean(-1, keepdim=True)) / torch.sqrt(
            h.var(-1, unbiased=False, keepdim=True) + 1e-5
        )
        out = torch.tanh(layer[0](z))
        h = h + out if out.shape == h.shape else out
    torch.testing.assert_close(normed(x), h, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(plain(x), normed(x))


def test_layernorm_makes_the_input_scale_irrelevant_to_the_first_layer():
    model = sl.DeepNetwork([5, 3], activation="tanh", seed=2, norm="layernorm")
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(model(x), model(100 * x + 7), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("where", ["linear", "sequential", "activation", "global"])
def test_a_forward_hook_sees_every_layer_and_changes_nothing_else(where):
    # Without hooks a layer's Linear is called as a function (faster); a hook must still see
    # the call it watches, and the output is the same either way.
    model = sl.DeepNetwork([4] * 6, "tanh", use_shortcut=True, seed=0)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    expected = model(x)  # no hook: each Linear called as a function
    _, hand = hand_forward(
        dict(model.named_parameters()), [4] * 6, x, activation="tanh", use_shortcut=True,
        norm="none", final_norm=False, branch_scale="1",
    )  # fmt: skip
    torch.testing.assert_close(expected, hand)
    seen = []

    def hook(module, args, output):
        seen.append(module)

    if where == "global":
        handles = [nn.modules.module.register_module_forward_hook(hook)]
    else:
        index = {"sequential": None, "linear": 0, "activation": 1}[where]
        watched = [layer if index is None else layer[index] for layer in model.layers]
        handles = [m.register_forward_hook(hook) for m in watched]
    try:
        torch.testing.assert_close(model(x), expected, rtol=0, atol=0)
    finally:
        for handle in handles:
            handle.remove()
    linears = sum(isinstance(m, nn.Linear) for m in seen)
    assert linears == (5 if where in ("linear", "global") else 0) and len(seen) >= 5
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)
