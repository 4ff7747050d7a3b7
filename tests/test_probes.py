"""Gradient probes: oracle tests against plain autograd, the book's behaviour, teaching claims."""

import copy
import re

import pytest
import torch
from oracles import DIAGNOSTICS, architecture, oracle_profile, random_case
from torch import nn

import shortcut_lib as sl

BOOK_SIZES = [3, 3, 3, 3, 3, 1]
BOOK_INPUT = [[1.0, 0.0, -1.0]]
PRINT_LINE = re.compile(r"^(\S+) has gradient mean of (\S+)$")


def book_way_means(model, x, target=None):
    """The book's recipe on a copy of the model: zero_grad, backward, read .grad."""
    model = copy.deepcopy(model)
    model.zero_grad(set_to_none=True)
    output = model(x)
    target = torch.zeros_like(output) if target is None else target
    ((output - target) ** 2).mean().backward()
    return {
        n: p.grad.abs().mean().item()
        for n, p in model.named_parameters()
        if p.ndim == 2 and n.endswith("weight")
    }


def assert_series_close(got, want, rtol=1e-5):
    torch.testing.assert_close(
        torch.tensor(got, dtype=torch.float64),
        torch.tensor(want, dtype=torch.float64),
        rtol=rtol,
        atol=1e-12,
    )


CASES = range(60)


# --- oracle tests ------------------------------------------------------------------------------


def assert_profile_matches_oracle(kwargs, model, x, target, rtol):
    profile = sl.gradient_profile(model, x, target)
    want = oracle_profile(model, x, target, **architecture(kwargs))
    assert profile.names == want["names"]
    assert profile.depth == model.depth
    for series in DIAGNOSTICS:
        assert_series_close(getattr(profile, series), want[series], rtol=rtol)
    assert profile.input_rms == pytest.approx(want["input_rms"], rel=rtol)
    assert profile.loss == pytest.approx(want["loss"], rel=rtol)


@pytest.mark.parametrize("case", CASES)
def test_gradient_profile_matches_independent_autograd_in_float64(case):
    """Every architecture, LayerNorm included, in float64 where rounding cannot hide a bug."""
    kwargs, x, target = random_case(case)
    model = sl.DeepNetwork(**kwargs).double()
    target = None if target is None else target.double()
    assert_profile_matches_oracle(kwargs, model, x.double(), target, rtol=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_gradient_profile_matches_independent_autograd_in_float32(case):
    """In float32 without LayerNorm: LayerNorm over 1-2 features is too ill-conditioned for two
    float32 implementations to agree to 1e-5 (the float64 test covers it)."""
    kwargs, x, target = random_case(case, layernorm=False)
    assert_profile_matches_oracle(kwargs, sl.DeepNetwork(**kwargs), x, target, rtol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_weight_gradient_means_match_the_books_recipe(case):
    kwargs, x, target = random_case(case)
    model = sl.DeepNetwork(**kwargs)
    got = sl.weight_gradient_means(model, x, target)
    want = book_way_means(model, x, target)
    assert list(got) == list(want)
    assert_series_close(list(got.values()), list(want.values()))


def test_weight_gradient_means_works_on_any_module():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 2))
    x = torch.randn(3, 4)
    got = sl.weight_gradient_means(model, x)
    want = book_way_means(model, x)
    assert list(got) == ["0.weight", "2.weight", "4.weight"]
    assert_series_close(list(got.values()), list(want.values()))


def test_layernorm_weights_are_not_reported():
    model = sl.DeepNetwork([4, 4, 4, 1], seed=0, norm="layernorm")
    names = list(sl.weight_gradient_means(model, torch.ones(2, 4) + torch.arange(4.0)))
    assert names == ["layers.0.0.weight", "layers.1.0.weight", "layers.2.0.weight"]


def test_the_books_published_figures():
    """sl.weight_gradient_means reproduces the book's printed numbers (3 significant digits)."""
    plain = sl.weight_gradient_means(sl.DeepNetwork(BOOK_SIZES, seed=123), BOOK_INPUT)
    shortcut = sl.weight_gradient_means(
        sl.DeepNetwork(BOOK_SIZES, use_shortcut=True, seed=123), BOOK_INPUT
    )
    assert list(plain.values()) == pytest.approx(
        [2.02e-4, 1.20e-4, 7.15e-4, 1.40e-3, 5.05e-3], rel=0.01
    )
    assert list(shortcut.values()) == pytest.approx([0.222, 0.207, 0.329, 0.267, 1.33], rel=0.01)


# --- repeatability and .grad -------------------------------------------------------------------


def book_print_gradients(model, x):
    """The book's print_gradients, verbatim apart from comments."""
    output = model(x)
    target = torch.tensor([[0.0]])
    loss = nn.MSELoss()
    loss = loss(output, target)
    loss.backward()
    for name, param in model.named_parameters():
        if "weight" in name:
            print(f"{name} has gradient mean of {param.grad.abs().mean().item()}")


def printed_values(text):
    return [float(PRINT_LINE.match(line).group(2)) for line in text.strip().splitlines()]


def test_books_print_gradients_doubles_on_a_second_call_but_ours_does_not(capsys):
    x = torch.tensor(BOOK_INPUT)
    book = sl.DeepNetwork(BOOK_SIZES, seed=123)
    book_print_gradients(book, x)
    first = printed_values(capsys.readouterr().out)
    book_print_gradients(book, x)
    second = printed_values(capsys.readouterr().out)
    assert second == pytest.approx([2 * v for v in first], rel=1e-6)

    ours = sl.DeepNetwork(BOOK_SIZES, seed=123)
    sl.print_gradients(ours, x)
    once = printed_values(capsys.readouterr().out)
    sl.print_gradients(ours, x)
    twice = printed_values(capsys.readouterr().out)
    assert once == twice
    assert once == pytest.approx(first, rel=1e-6)
    assert all(p.grad is None for p in ours.parameters())


@pytest.mark.parametrize("probe", [sl.weight_gradient_means, sl.gradient_profile])
def test_probing_twice_gives_the_same_numbers_and_leaves_grad_none(probe):
    kwargs, x, target = random_case(3)
    model = sl.DeepNetwork(**kwargs)
    assert probe(model, x, target) == probe(model, x, target)
    assert all(p.grad is None for p in model.parameters())


def test_probing_leaves_existing_grads_untouched():
    """A probe in the middle of training must not add into the optimizer's gradients."""
    model = sl.DeepNetwork([4, 4, 4, 2], activation="tanh", use_shortcut=True, seed=1)
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    model(x).pow(2).mean().backward()
    before = {n: p.grad.clone() for n, p in model.named_parameters()}
    sl.gradient_profile(model, x)
    sl.weight_gradient_means(model, x)
    for n, p in model.named_parameters():
        assert torch.equal(p.grad, before[n]), n


def test_probing_does_not_change_the_weights():
    model = sl.DeepNetwork([3, 3, 3, 1], seed=4)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    sl.gradient_profile(model, BOOK_INPUT)
    for n, p in model.named_parameters():
        assert torch.equal(p, before[n])


# --- inputs and targets ------------------------------------------------------------------------


def test_a_nested_list_gives_the_same_numbers_as_a_tensor():
    model = sl.DeepNetwork([3, 3, 3, 2], activation="sigmoid", seed=2)
    rows = [[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]]
    assert sl.gradient_profile(model, rows) == sl.gradient_profile(model, torch.tensor(rows))
    assert sl.weight_gradient_means(model, rows) == sl.weight_gradient_means(
        model, torch.tensor(rows)
    )


def test_integer_tensors_are_read_as_floats():
    model = sl.DeepNetwork(BOOK_SIZES, seed=123)
    as_int = sl.weight_gradient_means(model, torch.tensor([[1, 0, -1]]))
    assert as_int == sl.weight_gradient_means(model, torch.tensor(BOOK_INPUT))


def test_target_defaults_to_zeros():
    model = sl.DeepNetwork([3, 4, 4, 2], seed=6)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(6))
    zeros = torch.zeros(5, 2)
    assert sl.gradient_profile(model, x) == sl.gradient_profile(model, x, zeros)
    assert sl.weight_gradient_means(model, x) == sl.weight_gradient_means(model, x, zeros)


def test_a_given_target_changes_the_loss_as_expected():
    model = sl.DeepNetwork([3, 4, 1], seed=6)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(6))
    output = model(x).detach()
    # Aiming at the current output gives zero loss and zero gradient everywhere.
    exact = sl.gradient_profile(model, x, output.tolist())
    assert exact.loss == 0.0
    assert exact.weight_grad_mean == [0.0, 0.0] and exact.output_grad_norm == [0.0, 0.0]
    shifted = sl.gradient_profile(model, x, output + 1.0)
    assert shifted.loss == pytest.approx(1.0, rel=1e-6)


# --- print_gradients and GradientProfile -------------------------------------------------------


def test_print_gradients_prints_the_books_format_with_the_computed_values(capsys):
    model = sl.DeepNetwork([3, 5, 5, 5, 2], activation="tanh", use_shortcut=True, seed=8)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(8))
    returned = sl.print_gradients(model, x)
    lines = capsys.readouterr().out.strip().splitlines()
    assert returned is None
    expected = sl.weight_gradient_means(model, x)
    assert len(lines) == len(expected) == 4
    for line, (name, value) in zip(lines, expected.items(), strict=True):
        match = PRINT_LINE.match(line)
        assert match, line
        assert match.group(1) == name
        assert float(match.group(2)) == value


def test_print_gradients_matches_the_books_output_on_the_books_example(capsys):
    x = torch.tensor(BOOK_INPUT)
    book_print_gradients(sl.DeepNetwork(BOOK_SIZES, seed=123), x)
    book_lines = capsys.readouterr().out.strip().splitlines()
    sl.print_gradients(sl.DeepNetwork(BOOK_SIZES, seed=123), x)
    our_lines = capsys.readouterr().out.strip().splitlines()
    assert [PRINT_LINE.match(line).group(1) for line in our_lines] == [
        PRINT_LINE.match(line).group(1) for line in book_lines
    ]
    assert printed_values("\n".join(our_lines)) == pytest.approx(
        printed_values("\n".join(book_lines)), rel=1e-6
    )


def test_diagnostic_returns_each_series_by_name():
    profile = sl.gradient_profile(sl.DeepNetwork([3, 3, 1], seed=0), BOOK_INPUT)
    for name in ("weight_grad_mean", "weight_grad_norm", "output_grad_norm"):
        assert profile.diagnostic(name) == getattr(profile, name)
        assert len(profile.diagnostic(name)) == 2


def test_diagnostic_rejects_an_unknown_name_listing_the_valid_ones():
    profile = sl.gradient_profile(sl.DeepNetwork([3, 3, 1], seed=0), BOOK_INPUT)
    with pytest.raises(ValueError, match="'loss'") as info:
        profile.diagnostic("loss")
    assert "'weight_grad_mean'" in str(info.value) and "'output_grad_norm'" in str(info.value)


def test_gradient_profile_needs_a_deep_network():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(TypeError, match="DeepNetwork.*Sequential"):
        sl.gradient_profile(model, BOOK_INPUT)


# --- teaching claims, over several seeds -------------------------------------------------------

SEEDS = range(10)


def profiles(width, depth, activation, use_shortcut):
    for seed in SEEDS:
        model = sl.DeepNetwork(
            [width] * depth + [1], activation=activation, use_shortcut=use_shortcut, seed=seed
        )
        x = torch.randn(8, width, generator=torch.Generator().manual_seed(1000 + seed))
        yield sl.gradient_profile(model, x)


@pytest.mark.parametrize("width", [3, 16])
def test_deep_sigmoid_plain_first_layer_gradient_is_orders_below_the_last(width):
    for p in profiles(width, 30, "sigmoid", use_shortcut=False):
        first, last = p.weight_grad_mean[0], p.weight_grad_mean[-1]
        assert last > 0
        assert first < 1e-15 * last


@pytest.mark.parametrize("width", [3, 16])
def test_deep_sigmoid_with_shortcuts_keeps_first_layer_gradient_near_the_last(width):
    plain = list(profiles(width, 30, "sigmoid", use_shortcut=False))
    shortcut = list(profiles(width, 30, "sigmoid", use_shortcut=True))
    for p, s in zip(plain, shortcut, strict=True):  # the same weights, plain and shortcut
        plain_ratio = p.weight_grad_mean[0] / p.weight_grad_mean[-1]
        shortcut_ratio = s.weight_grad_mean[0] / s.weight_grad_mean[-1]
        assert shortcut_ratio > 1e-5
        assert shortcut_ratio > 1e10 * plain_ratio


@pytest.mark.parametrize("width", [3, 16])
def test_shortcuts_carry_the_gradient_at_the_layer_outputs_back_to_the_first(width):
    """||dL/dh_1|| stays within 10x of ||dL/dh|| at the last hidden layer with shortcuts."""
    for p in profiles(width, 30, "sigmoid", use_shortcut=True):
        assert p.output_grad_norm[0] > 0.1 * p.output_grad_norm[-2]
    for p in profiles(width, 30, "sigmoid", use_shortcut=False):
        assert p.output_grad_norm[0] < 1e-10 * p.output_grad_norm[-2]


def test_narrow_deep_relu_networks_have_dead_layers_for_most_seeds():
    """Width 3, depth 30: some layer's weight gradient is exactly 0 for at least 7 of 10 seeds."""
    dead = [0.0 in p.weight_grad_mean for p in profiles(3, 30, "relu", use_shortcut=False)]
    assert sum(dead) >= 7


# --- a probe is a measurement: it works wherever the caller switched gradients off -------------


@pytest.mark.parametrize("probe", [sl.weight_gradient_means, sl.gradient_profile])
@pytest.mark.parametrize("context", ["no_grad", "inference_mode", "frozen weights"])
def test_probes_work_with_gradients_switched_off_and_leave_the_switches(probe, context):
    model = sl.DeepNetwork([4, 5, 5, 2], activation="tanh", use_shortcut=True, seed=6)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
    expected = probe(model, x)
    if context == "frozen weights":
        model.requires_grad_(False)
        got = probe(model, x)
        assert not any(p.requires_grad for p in model.parameters())
    else:
        manager = torch.no_grad if context == "no_grad" else torch.inference_mode
        with manager():
            inside = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
            got = probe(model, inside)
            assert not torch.is_grad_enabled()
            assert torch.is_inference_mode_enabled() == (context == "inference_mode")
        assert torch.is_grad_enabled()
    assert got == expected
    assert all(p.grad is None for p in model.parameters())


def test_a_probe_of_a_hooked_network_gives_the_numbers_of_an_unhooked_one():
    # A hook on a layer makes the network call its modules (the hooks see them); the probe then
    # reads each Linear's input and output as they pass and gives the very same numbers.
    model = sl.DeepNetwork([6] * 9, "gelu", use_shortcut=True, seed=2)
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(3))
    plain = sl.gradient_profile(model, x)
    calls = []
    handle = model.layers[4].register_forward_hook(lambda m, args, out: calls.append(out))
    try:
        hooked = sl.gradient_profile(model, x)
    finally:
        handle.remove()
    assert len(calls) == 1 and hooked == plain
