"""Plots that read at a glance (issue: "plots that need a second look"), checked on the plotted
data under Agg: headroom above the data, ticks on round decades and whole layers, values off the
log scale in bands apart from every value on it, legends off the data."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib import GradientPlot  # noqa: E402

# The settings the issue names, as a learner sets them in the explorer.
CASES = {
    "sigmoid depth 50": "depth=50 activation=sigmoid",
    "gelu depth 100": "depth=100 activation=gelu",
    "relu kaiming depth 50": "depth=50 activation=relu init=kaiming",
    "gelu depth 200": "depth=200 activation=gelu",
}


def profiles(state):
    settings = sl.ComparisonSettings.parse(state)
    return {
        label: np.asarray(p.output_grad_norm, float)
        for label, p in sl.Comparison().profiles(settings).items()
    }


def fraction(ax, y):
    """Height of data value ``y`` as a fraction of the axes (0 bottom, 1 top)."""
    return ax.transAxes.inverted().transform(ax.transData.transform((1, y)))[1]


def drawn(values, decade_step):
    plot = GradientPlot(("plain", "shortcut"), figure=Figure(figsize=(8, 3), dpi=100),
                        decade_step=decade_step)  # fmt: skip
    plot.update(values)
    FigureCanvasAgg(plot.figure).draw()
    return plot


def marker_fractions(plot, kind):
    ax, found = plot.ax, []
    for markers in plot.edge_markers.values():
        line = markers[kind]
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        if len(xy):
            display = line.get_transform().transform(xy)
            found += list(ax.transAxes.inverted().transform(display)[:, 1])
    return np.array(found)


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return request.param, profiles(CASES[request.param])


@pytest.mark.parametrize("decade_step", [1, 5], ids=["static", "live"])
def test_data_have_headroom_and_ticks_sit_on_round_decades(case, decade_step):
    name, values = case
    plot = drawn(values, decade_step)
    ax = plot.ax
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values.values()])
    top, bottom = fraction(ax, finite.max()), fraction(ax, finite.min())
    # Not along the frame, nor in a band: room above the largest and below the smallest value.
    assert top < 0.86 and bottom > 0.14, (name, top, bottom)
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    exponents = np.log10(ticks)
    assert np.allclose(exponents, np.round(exponents)), (name, ticks)  # whole decades
    exponents = np.round(exponents).astype(int)
    stride = int(np.diff(exponents).min()) if len(exponents) > 1 else 1
    assert stride in (1, 2, 5, 10, 20, 25, 50), (name, exponents)
    assert all(e % stride == 0 for e in exponents), f"{name}: odd decades {exponents}"
    assert len(exponents) >= 2, f"{name}: fewer than two labelled decades"
    # A label near the largest value: within two strides below it, or above it.
    assert exponents.max() >= math.log10(finite.max()) - 2 * stride, (name, exponents)


def test_values_off_the_scale_sit_apart_from_every_value_and_label_on_it(case):
    name, values = case
    plot = drawn(values, 5)
    ax = plot.ax
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values.values()])
    ticks = [fraction(ax, t) for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    highest = max(fraction(ax, finite.max()), *ticks)
    lowest = min(fraction(ax, finite.min()), *ticks)
    counts = {"zero": 0, "nan": 0}
    for v in values.values():
        counts["zero"] += int((v == 0).sum())
        counts["nan"] += int(np.isnan(v).sum())
    zeros, nans = marker_fractions(plot, "zero"), marker_fractions(plot, "nan")
    assert len(zeros) == counts["zero"] and len(nans) == counts["nan"], name
    # Markers at least a marker's height (about 0.04 of the axes) beyond the data and ticks.
    assert np.all(nans > highest + 0.04), (name, nans.min() if len(nans) else None, highest)
    assert np.all(zeros < lowest - 0.04), (name, zeros.max() if len(zeros) else None, lowest)
    # And labelled where a tick label would be, not left to guess.
    texts = {t.get_text() for t in ax.texts}
    assert {"0", "NaN/inf"} <= texts


def test_the_nan_band_of_gelu_at_depth_200_is_filled_and_named():
    # The case: shortcut GELU overflows at depth 200. Its NaN layers must not read as
    # values near some decade: they sit in the top band, above every tick label.
    values = profiles(CASES["gelu depth 200"])
    assert np.isnan(values["shortcut"]).sum() > 100  # precondition: the case still overflows
    test_values_off_the_scale_sit_apart_from_every_value_and_label_on_it(("gelu depth 200", values))


@pytest.mark.parametrize("depth", [1, 2, 3, 7, 12, 50, 137, 200])
def test_layer_ticks_are_whole_layers_from_1(depth):
    plot = drawn({"plain": np.logspace(-3, -1, depth)}, 5)
    ticks = [t for t in plot.ax.get_xticks() if plot.ax.get_xlim()[0] <= t <= plot.ax.get_xlim()[1]]
    assert ticks[0] == 1 and all(float(t).is_integer() for t in ticks), ticks
    assert 2 <= len(ticks) <= 11 or depth == 1, ticks
    assert ticks[-1] >= depth - (ticks[-1] - ticks[-2] if len(ticks) > 1 else 0)


def test_the_explorer_legend_is_above_the_data():
    values = profiles(CASES["sigmoid depth 50"])
    plot = drawn(values, 5)
    renderer = plot.figure.canvas.get_renderer()
    legend = plot.ax.get_legend().get_window_extent(renderer)
    assert legend.y0 >= plot.ax.get_window_extent(renderer).y1 - 1


def overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_the_update_ratio_panel_has_no_box_over_its_lines_or_title():
    # At depth 60 a legend inside the panel covered the plain line; above it, the title.
    histories = sl.train(depth=60, width=16, activation="sigmoid", steps=12, seed=0)
    plot = sl.TrainingPlot()
    plot.update(histories)
    FigureCanvasAgg(plot.figure).draw()
    renderer = plot.figure.canvas.get_renderer()
    ax = plot.ratio_ax
    assert ax.get_legend() is None or not overlaps(
        ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    )
    title = ax.title.get_window_extent(renderer)
    for text in ax.texts:  # the healthy mark's name: beside the panel, clear of the title
        box = text.get_window_extent(renderer)
        assert box.x0 >= ax.get_window_extent(renderer).x1 and not overlaps(box, title)


def test_a_replay_of_a_stopped_run_keeps_the_planned_step_axis():
    run = sl.TrainingRun(depth=3, width=8, steps=300, seed=0)
    run.advance(30)  # stopped at step 30 of 300
    figure = sl.plot_training(run.history(), step=20)
    assert any("step 20/300" in t.get_text() for t in figure.findobj(Text))
    assert figure.axes[0].get_xlim() == (0, 300)
