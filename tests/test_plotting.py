"""plot_gradients and GradientPlot under Agg: the Figure shows exactly the data it was given.

Lines are read back from the Figure's artists; values a log axis cannot show must appear as edge
markers in display space; a blitted redraw is compared pixel for pixel with a full draw.
"""

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib import GradientPlot, plot_gradients  # noqa: E402

PLAIN, SHORTCUT = "#d55e00", "#0072b2"  # Okabe-Ito vermillion and blue
YLABELS = {
    "weight_grad_mean": "mean |dL/dW|",
    "weight_grad_norm": "||dL/dW||",
    "output_grad_norm": "||dL/dh||",
}
EDGE_SYMBOLS = {"zero": "v", "inf": "^", "nan": "x"}


# --- reading a Figure back ----------------------------------------------------------------------


def data_line(fig, label):
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == label]
    return line


def edge_points(fig, label, kind):
    """(x in data, y as a fraction of the axes height) of the ``kind`` markers of one series."""
    ax = fig.axes[0]
    color = to_hex(data_line(fig, label).get_color())
    found = [
        ln
        for ln in ax.lines
        if ln.get_label() != label
        and ln.get_linestyle() == "None"
        and ln.get_marker() == EDGE_SYMBOLS[kind]
        and to_hex(ln.get_color()) == color
    ]
    assert len(found) == 1, f"expected one {kind} marker artist for {label}, got {len(found)}"
    (line,) = found
    xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
    if not len(xy):
        return np.empty(0), np.empty(0)
    display = line.get_transform().transform(xy)
    x_data = ax.transData.inverted().transform(display)[:, 0]
    y_frac = ax.transAxes.inverted().transform(display)[:, 1]
    return x_data, y_frac


def note_text(fig):
    return "\n".join(t.get_text() for t in fig.texts)


def agg_figure():
    fig = Figure(figsize=(7, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def pixels(fig):
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def assert_same_pixels(a, b, what):
    differ = (a != b).any(axis=2)
    assert a.shape == b.shape and not differ.any(), (
        f"{what}: {differ.sum()} pixels differ, e.g. at (row, col) {np.argwhere(differ)[:3]}"
    )


# --- the data -----------------------------------------------------------------------------------


def test_returns_a_figure_whose_lines_hold_the_values():
    rng = np.random.default_rng(0)
    plain = 10.0 ** rng.uniform(-12, -1, 25)
    shortcut = 10.0 ** rng.uniform(-3, 0, 25)
    fig = plot_gradients({"plain": list(plain), "shortcut": tuple(shortcut)})
    assert isinstance(fig, Figure)
    for label, values in (("plain", plain), ("shortcut", shortcut)):
        line = data_line(fig, label)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 26))
        np.testing.assert_array_equal(line.get_ydata(), values)
        # Everything is inside the view.
        low, high = fig.axes[0].get_ylim()
        assert low <= values.min() and values.max() <= high
    assert fig.axes[0].get_yscale() == "log"
    assert note_text(fig) == ""  # nothing off the scale, nothing to note


def test_zero_nan_and_inf_become_edge_markers_and_are_counted():
    plain = [1e-3, 0.0, 2e-3, math.nan, math.inf, 1e-2, 0.0, math.nan, math.nan]
    shortcut = [1e-2, 2e-2, math.inf, 3e-2, 0.0, 4e-2, 5e-2, 6e-2, 7e-2]
    fig = plot_gradients({"plain": plain, "shortcut": shortcut})
    for label, values in (("plain", plain), ("shortcut", shortcut)):
        y = np.asarray(values)
        positive = np.isfinite(y) & (y > 0)
        # The line has gaps, never a fake value, where the log axis cannot go.
        np.testing.assert_array_equal(
            data_line(fig, label).get_ydata(), np.where(positive, y, np.nan)
        )
        layers = np.arange(1, len(y) + 1)
        expected = {
            "zero": layers[y == 0],
            "inf": layers[np.isposinf(y)],
            "nan": layers[np.isnan(y)],
        }
        shown = 0
        for kind, where in expected.items():
            x, frac = edge_points(fig, label, kind)
            np.testing.assert_allclose(np.sort(x), where, atol=1e-9, err_msg=f"{label} {kind}")
            shown += len(x)
            if len(x):
                # zeros at the bottom edge, inf and NaN at the top, inside the figure.
                assert np.all(frac < 0.15) if kind == "zero" else np.all(frac > 0.85), (kind, frac)
        # Every layer is drawn: on the line or as a marker, none silently dropped.
        assert positive.sum() + shown == len(y)
    note = note_text(fig)
    plain_note = next(line for line in note.splitlines() if line.startswith("plain"))
    shortcut_note = next(line for line in note.splitlines() if line.startswith("shortcut"))
    assert "2 exactly 0" in plain_note and "1 inf" in plain_note and "3 NaN" in plain_note
    assert "1 exactly 0" in shortcut_note and "1 inf" in shortcut_note
    assert "NaN" not in shortcut_note


def test_markers_of_two_series_at_the_same_layer_stay_apart():
    fig = plot_gradients({"plain": [0.0, 1e-2], "shortcut": [0.0, 1e-2]})
    (_, a), (_, b) = edge_points(fig, "plain", "zero"), edge_points(fig, "shortcut", "zero")
    assert len(a) == len(b) == 1 and a[0] != b[0]


@pytest.mark.parametrize(
    "values",
    [[math.nan] * 5, [0.0] * 5, [math.inf] * 5, []],
    ids=["nan-only", "all-zero", "all-inf", "empty"],
)
def test_series_without_a_drawable_value_do_not_crash(values):
    fig = plot_gradients({"plain": values, "shortcut": values})
    FigureCanvasAgg(fig).draw()  # renders without error
    low, high = fig.axes[0].get_ylim()
    assert 0 < low < high < math.inf
    n = len(values)
    markers = sum(len(edge_points(fig, "plain", k)[0]) for k in EDGE_SYMBOLS)
    assert markers == n
    if n:
        assert f"{n} " in note_text(fig)


def test_a_gradient_profile_is_read_by_each_diagnostic():
    torch.manual_seed(0)
    net = sl.DeepNetwork([8] * 7, "tanh", seed=1)
    x = torch.randn(4, 8, generator=torch.Generator().manual_seed(2))
    profiles = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        net.use_shortcut = use_shortcut
        profiles[label] = sl.gradient_profile(net, x)
    for diagnostic, ylabel in YLABELS.items():
        fig = plot_gradients(profiles, diagnostic=diagnostic)
        for label, profile in profiles.items():
            np.testing.assert_array_equal(
                data_line(fig, label).get_ydata(), getattr(profile, diagnostic)
            )
        assert ylabel in fig.axes[0].get_ylabel()
    # Profiles and plain lists mix.
    fig = plot_gradients({"plain": profiles["plain"], "shortcut": [1e-3] * 6})
    np.testing.assert_array_equal(
        data_line(fig, "plain").get_ydata(), profiles["plain"].weight_grad_mean
    )


def test_title_and_band():
    fig = plot_gradients({"plain": [1e-3, 1e-2]}, title="depth 2", band=(1e-4, 1e-2))
    assert "depth 2" in fig.axes[0].get_title(loc="right") + fig.axes[0].get_title()
    low, high = fig.axes[0].get_ylim()
    assert low <= 1e-4 and high >= 1e-2


@pytest.mark.parametrize(
    "series, exc, fragment",
    [
        ("plain", TypeError, "dict"),
        (None, TypeError, "dict"),
        ({}, (TypeError, ValueError), "non-empty"),
        ({"plain": [[1e-3, 1e-2], [1e-3, 1e-2]]}, ValueError, "1-D"),
        ({"plain": np.ones((2, 3))}, ValueError, "1-D"),
        ({"plain": "abc"}, TypeError, "sequence of numbers"),
        ({"plain": ["a", "b"]}, TypeError, "sequence of numbers"),
        ({"plain": 0.5}, ValueError, "1-D"),
    ],
)
def test_bad_series_raise_clear_errors(series, exc, fragment):
    with pytest.raises(exc) as info:
        plot_gradients(series)
    assert fragment in str(info.value), str(info.value)


def test_one_models_values_alone_are_one_series():
    # The natural first call: what weight_gradient_means returns, straight into the plot.
    net = sl.DeepNetwork([3, 3, 3, 1], seed=0)
    means = sl.weight_gradient_means(net, [[1.0, 0.0, -1.0]])
    for series in (means, list(means.values())):
        fig = plot_gradients(series)
        np.testing.assert_array_equal(data_line(fig, "model").get_ydata(), list(means.values()))


def test_unknown_diagnostic_is_named_with_the_valid_ones():
    with pytest.raises(ValueError) as info:
        plot_gradients({"plain": [1e-3]}, diagnostic="grad_mean")
    message = str(info.value)
    assert "'grad_mean'" in message and all(f"'{d}'" in message for d in YLABELS)


def test_models_keep_their_okabe_ito_colours():
    for series in (
        {"plain": [1e-3], "shortcut": [1e-2]},
        {"shortcut": [1e-2], "plain": [1e-3]},
        {"shortcut": [1e-2], "plain": [1e-3], "other": [1e-4]},
    ):
        fig = plot_gradients(series)
        assert to_hex(data_line(fig, "plain").get_color()) == PLAIN
        assert to_hex(data_line(fig, "shortcut").get_color()) == SHORTCUT
    # Edge markers take their series' colour (edge_points matches markers by colour).
    fig = plot_gradients({"plain": [0.0], "shortcut": [0.0]})
    assert len(edge_points(fig, "plain", "zero")[0]) == 1
    assert len(edge_points(fig, "shortcut", "zero")[0]) == 1


def test_other_series_never_borrow_a_model_colour():
    # BUG (plotting/style.series_color): a series that is neither "plain" nor "shortcut" takes
    # CYCLE[index], and CYCLE starts with the plain and shortcut colours. So in
    # {"baseline": ..., "plain": ...} both lines are vermillion with the same "o" marker and
    # cannot be told apart. Fix: cycle other series through the colours the models do not use,
    # e.g. OTHERS = [c for c in CYCLE if c not in MODEL_COLORS.values()];
    # MODEL_COLORS.get(label, OTHERS[index % len(OTHERS)]).
    for series in (
        {"baseline": [1e-4], "plain": [1e-3]},
        {"a": [1e-4], "b": [1e-3], "shortcut": [1e-2], "plain": [1e-3]},
        {f"s{i}": [1e-3] for i in range(8)} | {"plain": [1e-3]},
    ):
        fig = plot_gradients(series)
        colours = {label: to_hex(data_line(fig, label).get_color()) for label in series}
        for label, colour in colours.items():
            if label not in ("plain", "shortcut"):
                assert colour not in (PLAIN, SHORTCUT), (label, colour)


def test_the_legend_names_both_models():
    fig = plot_gradients({"plain": [1e-3], "shortcut": [1e-2]})
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["plain", "shortcut"]


# --- GradientPlot: updates in place -------------------------------------------------------------


def test_update_reports_when_the_limits_must_change():
    plot = GradientPlot(figure=agg_figure())
    base = np.logspace(-3.5, -1.3, 10)  # not at a grid line's margin: small changes keep limits
    assert plot.update({"plain": base, "shortcut": base * 2}) is True  # first: set limits
    limits = (plot.ax.get_xlim(), plot.ax.get_ylim())
    assert plot.update({"plain": base * 1.2, "shortcut": base * 2.1}) is False  # small change
    assert (plot.ax.get_xlim(), plot.ax.get_ylim()) == limits
    assert plot.update({"plain": base * 1e-5, "shortcut": base}) is True  # off the old range
    low, high = plot.ax.get_ylim()
    assert low <= base.min() * 1e-5 and high >= base.max()
    # The x range grows in steps: 10 -> 11 layers needs more room, 11 -> 12 does not.
    assert plot.update({"plain": np.logspace(-3, -1, 11)}) is True
    assert plot.ax.get_xlim()[1] >= 11.5
    assert plot.update({"plain": np.logspace(-3, -1, 12)}) is False
    # A new y label invalidates the limits: the next update calls for a full redraw.
    plot.set_ylabel("||dL/dh||")
    assert "||dL/dh||" in plot.ax.get_ylabel()
    assert plot.update({"plain": np.logspace(-3, -1, 12)}) is True


def test_a_live_plot_keeps_its_limits_while_a_drag_stays_in_one_grid_cell():
    # Claim behind update()'s return value: data that change by a layer or two, back and forth
    # (a slider nudged between depths), keep the axes of a live plot, so every step is blitted.
    plot = GradientPlot(figure=agg_figure(), decade_step=5)
    plot.update({"plain": np.logspace(-7.2, -0.6, 10)})
    steps = [np.logspace(-7.2 + d, -0.6 - d, 10) for d in [0.3, 0.6, 0.0] * 4]
    changes = [plot.update({"plain": y}) for y in steps]
    assert not any(changes)
    assert plot.limits[1] == (1e-10, 1e0)


def test_limits_depend_on_the_data_alone_so_going_back_gives_the_first_picture():
    # The y limits sit on a fixed grid of decades, with no memory of earlier data: returning to
    # the first data after any detour gives the first axes (the browser test relies on it).
    first = np.logspace(-5.6, -0.2, 9)
    for step in (1, 5):
        plot = GradientPlot(figure=agg_figure(), decade_step=step)
        plot.update({"plain": first})
        limits = plot.limits
        for detour in (np.logspace(-40, 3, 20), np.logspace(-2, -1, 3), np.append(first, 3.0)):
            plot.update({"plain": detour})
        plot.update({"plain": first})
        assert plot.limits == limits
        low, high = limits[1]
        assert low <= first.min() and first.max() <= high
        assert round(math.log10(low)) % step == 0 and round(math.log10(high)) % step == 0


def test_update_emphasis_and_hidden():
    plot = GradientPlot(figure=agg_figure())
    plot.update({"plain": [1e-3, 0.0], "shortcut": [1e-2, 1e-2]}, emphasis="shortcut")
    assert plot.lines["shortcut"].get_linewidth() > plot.lines["plain"].get_linewidth()
    assert plot.lines["plain"].get_linestyle() == "--"  # faded: thin and dashed
    plot.update(
        {"plain": [1e-3, 0.0], "shortcut": [1e-2, 1e-2]}, emphasis="plain", hidden=("shortcut",)
    )
    assert plot.lines["plain"].get_linewidth() > plot.lines["shortcut"].get_linewidth()
    assert [t.get_text() for t in plot.legend.get_texts()] == ["plain"]  # names what is drawn
    assert len(plot.lines["shortcut"].get_ydata()) == 0
    assert len(plot.lines["plain"].get_ydata()) == 2
    assert len(edge_points(plot.figure, "plain", "zero")[0]) == 1
    with pytest.raises(ValueError, match="unknown|labels"):
        plot.update({"third": [1e-3]})


def test_blitted_redraw_has_the_pixels_of_a_full_draw():
    y = np.logspace(-3.8, -1.3, 20)
    y[[3, 7, 12]] = [math.nan, math.inf, math.nan]  # edge markers at the top as well
    first = {"plain": y, "shortcut": np.logspace(-2, -1.5, 20)}
    second = {"plain": y * 1.2, "shortcut": np.logspace(-2, -1.5, 20) * 0.9}
    plot = GradientPlot(figure=agg_figure())
    plot.update(first)
    plot.redraw(full=True)
    assert plot.update(second) is False  # precondition: the cached background stays valid
    plot.redraw(full=False)
    blitted = pixels(plot.figure)
    # A different picture from the first state: the blit really repainted something.
    plot_first = GradientPlot(figure=agg_figure())
    plot_first.update(first)
    plot_first.redraw(full=True)
    assert (pixels(plot_first.figure) != blitted).any()
    # Same pixels as a fresh static figure of the same data at the same size and dpi ...
    fresh = plot_gradients(second, figure=agg_figure())
    assert (fresh.axes[0].get_xlim(), fresh.axes[0].get_ylim()) == (
        plot.ax.get_xlim(),
        plot.ax.get_ylim(),
    )  # precondition: same limits
    fresh.canvas.draw()
    assert_same_pixels(blitted, pixels(fresh), "blit against a fresh plot_gradients")
    # ... and as a full redraw of the same plot.
    plot.redraw(full=True)
    assert_same_pixels(blitted, pixels(plot.figure), "blit against redraw(full=True)")


def test_blitted_redraw_with_bottom_markers_and_band_matches_a_full_redraw():
    y = np.logspace(-3.8, -1.3, 20)
    y[[2, 9]] = 0.0
    plot = GradientPlot(figure=agg_figure())
    plot.update({"plain": y, "shortcut": y[::-1]}, band=(1e-3, 1e-1), emphasis="plain")
    plot.redraw(full=True)
    assert (
        plot.update(
            {"plain": y * 0.8, "shortcut": y[::-1] * 1.1}, band=(2e-3, 1e-1), emphasis="shortcut"
        )
        is False
    )
    plot.redraw(full=False)
    blitted = pixels(plot.figure)
    plot.redraw(full=True)
    assert_same_pixels(blitted, pixels(plot.figure), "blit against redraw(full=True)")


def test_a_full_canvas_draw_after_redraw_still_shows_the_data():
    # A normal canvas draw can come at any time (a full frame asked for by code); the data
    # artists are animated (left out of the cached background), so without care that draw
    # shows empty axes until the next slider move. Found failing; GradientPlot now draws its
    # data on every draw_event.
    plot = GradientPlot(figure=agg_figure())
    plot.update({"plain": np.logspace(-4, -1, 12), "shortcut": np.full(12, 1e-2)})
    plot.redraw(full=True)
    expected = pixels(plot.figure)
    plot.figure.canvas.draw()
    assert_same_pixels(pixels(plot.figure), expected, "canvas.draw() after redraw()")


def test_redraw_works_on_the_default_figure():
    # GradientPlot() makes a bare Figure whose canvas (FigureCanvasBase) cannot blit; redraw()
    # used to raise AttributeError on copy_from_bbox. Found failing; now it attaches an Agg
    # canvas. The result must be the picture of a full draw.
    plot = GradientPlot()
    plot.update({"plain": [1e-3, 1e-2], "shortcut": [1e-2, 1e-2]})
    plot.redraw(full=True)
    plot.update({"plain": [1.1e-3, 1e-2], "shortcut": [1e-2, 1.1e-2]})
    plot.redraw(full=False)
    blitted = pixels(plot.figure)
    plot.redraw(full=True)
    assert_same_pixels(blitted, pixels(plot.figure), "default figure, blit against full")
    assert len(np.unique(blitted.reshape(-1, 4), axis=0)) > 10  # something was drawn
