"""Oracle tests for the activations: GELU against torch and the formula, derivatives by hand."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import shortcut_lib as sl

# The book's GELU, written out in float64 so it is the reference and not the thing tested.
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_formula(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x.pow(3))))


def gelu_formula_derivative(x: torch.Tensor) -> torch.Tensor:
    """d/dx of 0.5 x (1 + tanh(u)), u = c (x + a x^3), by the product and chain rules."""
    u = SQRT_2_OVER_PI * (x + 0.044715 * x.pow(3))
    du = SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x.pow(2))
    t = torch.tanh(u)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du


def wide_range() -> torch.Tensor:
    """A dense grid around zero plus huge magnitudes where x**3 overflows float32."""
    grid = torch.linspace(-60.0, 60.0, 200_001)
    extremes = torch.tensor([-1e30, -1e15, -1e4, -0.0, 0.0, 1e-30, 1e4, 1e15, 1e30])
    return torch.cat([grid, extremes])


def test_gelu_agrees_with_torch_tanh_gelu_to_float_precision():
    x = wide_range()
    ours = sl.GELU()(x)
    theirs = nn.GELU(approximate="tanh")(x)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-6)


def test_gelu_matches_the_hand_formula_in_float64():
    x = wide_range().double()
    torch.testing.assert_close(sl.GELU()(x), gelu_formula(x), rtol=1e-12, atol=1e-12)


def test_gelu_keeps_the_input_dtype_and_shape():
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(4, 5, 6, dtype=dtype, generator=torch.Generator().manual_seed(0))
        y = sl.GELU()(x)
        assert y.dtype == dtype
        assert y.shape == x.shape


def test_gelu_limits_identity_for_large_positive_and_zero_for_large_negative():
    x = torch.tensor([10.0, 100.0, 1e6])
    torch.testing.assert_close(sl.GELU()(x), x)
    assert (sl.GELU()(-x).abs() < 1e-6).all()


REFERENCE_FUNCTIONS = {
    "gelu": lambda x: F.gelu(x, approximate="tanh"),
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "identity": lambda x: x,
}


def test_the_registry_holds_exactly_the_documented_names():
    assert set(sl.ACTIVATIONS) == set(REFERENCE_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(REFERENCE_FUNCTIONS))
def test_each_name_computes_its_function(name):
    x = torch.linspace(-8, 8, 1001)
    torch.testing.assert_close(sl.make_activation(name)(x), REFERENCE_FUNCTIONS[name](x))


@pytest.mark.parametrize("name", sorted(REFERENCE_FUNCTIONS))
def test_each_name_gives_a_fresh_parameter_free_module(name):
    first, second = sl.make_activation(name), sl.make_activation(name)
    assert isinstance(first, nn.Module)
    assert first is not second
    assert list(first.parameters()) == []


def test_unknown_activation_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'swish'") as info:
        sl.make_activation("swish")
    for name in REFERENCE_FUNCTIONS:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("bad", [None, 3, nn.ReLU(), torch.relu, ["relu"]])
def test_non_string_activation_is_a_type_error(bad):
    with pytest.raises(TypeError, match="activation"):
        sl.make_activation(bad)


# --- derivatives -------------------------------------------------------------------------------

POINTS = torch.linspace(-6.0, 6.0, 1201)


def test_sigmoid_derivative_is_s_times_one_minus_s_and_peaks_at_a_quarter():
    s = torch.sigmoid(POINTS)
    d = sl.activation_derivative("sigmoid", POINTS)
    torch.testing.assert_close(d, s * (1 - s))
    assert d.max().item() <= 0.25
    at_zero = sl.activation_derivative("sigmoid", torch.tensor([0.0]))
    assert at_zero.item() == pytest.approx(0.25, abs=1e-7)


def test_tanh_derivative_is_one_minus_tanh_squared_and_peaks_at_one():
    t = torch.tanh(POINTS)
    d = sl.activation_derivative("tanh", POINTS)
    torch.testing.assert_close(d, 1 - t * t)
    assert d.max().item() <= 1.0
    assert sl.activation_derivative("tanh", torch.tensor([0.0])).item() == pytest.approx(1.0)


def test_relu_derivative_is_the_step_function_away_from_zero():
    x = POINTS[POINTS != 0]
    d = sl.activation_derivative("relu", x)
    assert torch.equal(d, (x > 0).to(d.dtype))
    # At 0 the derivative is undefined; any subgradient in [0, 1] is acceptable.
    at_zero = sl.activation_derivative("relu", torch.tensor([0.0])).item()
    assert 0.0 <= at_zero <= 1.0


def test_identity_derivative_is_one_everywhere():
    assert torch.equal(sl.activation_derivative("identity", POINTS), torch.ones_like(POINTS))


def test_gelu_derivative_matches_central_finite_differences():
    x = POINTS.double()
    h = 1e-6
    finite_difference = (gelu_formula(x + h) - gelu_formula(x - h)) / (2 * h)
    d = sl.activation_derivative("gelu", POINTS)
    torch.testing.assert_close(d.double(), finite_difference, rtol=1e-5, atol=1e-6)


def test_gelu_derivative_matches_the_hand_derived_formula():
    d = sl.activation_derivative("gelu", POINTS)
    torch.testing.assert_close(
        d.double(), gelu_formula_derivative(POINTS.double()), atol=1e-6, rtol=1e-5
    )


def test_derivative_keeps_shape_and_does_not_touch_the_input():
    x = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(1))
    before = x.clone()
    d = sl.activation_derivative("tanh", x)
    assert d.shape == x.shape
    assert torch.equal(x, before)
    assert not x.requires_grad and x.grad is None


def test_derivative_rejects_a_list_and_an_unknown_name():
    with pytest.raises(TypeError, match="x must be a torch.Tensor; got list"):
        sl.activation_derivative("tanh", [0.0, 1.0])
    with pytest.raises(ValueError, match="'softplus'"):
        sl.activation_derivative("softplus", POINTS)
