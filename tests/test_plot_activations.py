"""Plot tests for plot_activations: the drawn line data against independently computed curves."""

import io

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import shortcut_lib as sl
from shortcut_lib.plotting.style import OKABE_ITO, series_color

matplotlib.use("Agg")  # no display needed: the tests read the Figure's artists

NAMES = ["identity", "relu", "tanh", "sigmoid", "gelu"]
X = np.linspace(-5.0, 5.0, 401)


def numpy_reference(name: str) -> tuple[np.ndarray, np.ndarray]:
    """f and f' by the textbook formulas in float64, independent of torch and of the library."""
    x = X
    if name == "identity":
        return x, np.ones_like(x)
    if name == "relu":
        return np.maximum(x, 0), (x > 0).astype(float)
    if name == "tanh":
        t = np.tanh(x)
        return t, 1 - t**2
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s, s * (1 - s)
    c, a = np.sqrt(2 / np.pi), 0.044715  # GELU, tanh approximation (Hendrycks and Gimpel, 2016)
    t = np.tanh(c * (x + a * x**3))
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * a * x**2)


def library_curves() -> tuple[dict, dict]:
    x = torch.tensor(X, dtype=torch.float32)
    values = {a: sl.make_activation(a)(x) for a in NAMES}
    slopes = {a: sl.activation_derivative(a, x) for a in NAMES}
    return values, slopes


def curve_lines(ax) -> list:
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_both_panels_draw_each_activation_and_its_derivative():
    values, slopes = library_curves()
    fig = sl.plot_activations(torch.tensor(X), values, slopes)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    for ax, which in ((left, 0), (right, 1)):
        lines = curve_lines(ax)
        assert [line.get_label() for line in lines] == NAMES
        for line, name in zip(lines, NAMES, strict=True):
            x, y = line.get_data()
            np.testing.assert_allclose(x, X)
            np.testing.assert_allclose(y, numpy_reference(name)[which], atol=2e-6, rtol=1e-5)
    fig.savefig(io.BytesIO(), format="png")  # the layout (legend outside the axes) renders


def test_the_drawn_peaks_are_the_documented_ceilings():
    # What a reader sees on the right panel: sigmoid tops out at 1/4, GELU near 1.13.
    values, slopes = library_curves()
    pick = ("sigmoid", "gelu")
    right = sl.plot_activations(X, {a: values[a] for a in pick}, {a: slopes[a] for a in pick}).axes[
        1
    ]
    peaks = {line.get_label(): line.get_ydata().max() for line in curve_lines(right)}
    assert peaks["sigmoid"] == pytest.approx(0.25, abs=1e-6)
    assert peaks["gelu"] == pytest.approx(1.129, abs=1e-3)


def test_derivative_panel_has_a_dashed_reference_line_at_one():
    values, slopes = library_curves()
    right = sl.plot_activations(X, values, slopes).axes[1]
    dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    assert set(dashed[0].get_ydata()) == {1}


def test_colours_follow_the_house_cycle_and_the_legend_names_every_curve():
    values, slopes = library_curves()
    fig = sl.plot_activations(X, values, slopes)
    for ax in fig.axes:
        colours = [to_hex(line.get_color()).upper() for line in curve_lines(ax)]
        assert colours == [series_color(name, i).upper() for i, name in enumerate(NAMES)]
    assert len(set(colours)) == len(NAMES)
    assert set(colours) <= {c.upper() for c in OKABE_ITO.values()}
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == NAMES


def test_without_derivatives_only_the_left_panel_is_drawn():
    values, _ = library_curves()
    fig = sl.plot_activations(list(X), {"tanh": values["tanh"]})
    (ax,) = fig.axes
    (line,) = curve_lines(ax)
    np.testing.assert_allclose(line.get_ydata(), np.tanh(X), atol=1e-6)


def test_draws_into_a_given_figure_and_accepts_tensors_that_require_grad():
    x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
    target = Figure()
    fig = sl.plot_activations(x, {"identity": x * 1}, figure=target)
    assert fig is target
    np.testing.assert_allclose(curve_lines(fig.axes[0])[0].get_ydata(), X, rtol=1e-6)


@pytest.mark.parametrize(
    ("values", "derivatives", "error", "match"),
    [
        ([1.0, 2.0], None, TypeError, "values must be a non-empty dict"),
        ({}, None, TypeError, "values must be a non-empty dict"),
        (
            {"tanh": np.tanh(X)[:-1]},
            None,
            ValueError,
            r"values\['tanh'\] has 400 values but x has 401",
        ),
        ({"tanh": np.tanh(X)}, {"relu": X}, ValueError, "same names"),
        ({"tanh": np.tanh(X)}, {"tanh": np.ones((401, 1))}, ValueError, "one-dimensional"),
        ({"tanh": ["a"] * 401}, None, TypeError, "sequence of numbers"),
    ],
)
def test_bad_input_is_named_in_the_error(values, derivatives, error, match):
    with pytest.raises(error, match=match):
        sl.plot_activations(X, values, derivatives)


def test_two_dimensional_x_is_rejected():
    with pytest.raises(ValueError, match="x must be one-dimensional"):
        sl.plot_activations(np.ones((2, 3)), {"tanh": [0.0, 0.0]})
