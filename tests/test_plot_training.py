"""Training figures under Agg: the artists carry exactly the history's numbers, updated in place;
zeros, NaN and inf neither crash nor vanish silently."""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib.plotting.style import MODEL_COLORS  # noqa: E402


def _history(model, grads, ratios, losses=None):
    steps = len(grads)
    layers = len(grads[0])
    return sl.History(
        model=model,
        layer_names=["in", *[str(i) for i in range(1, layers - 1)], "out"],
        loss=list(losses) if losses is not None else [1.0 / (s + 1) for s in range(steps)],
        weight_grad_mean=[list(r) for r in grads],
        update_ratio=[list(r) for r in ratios],
        weight_norm=[[1.0] * layers for _ in range(steps)],
        settings={
            "task": "spirals",
            "depth": layers - 2,
            "width": 4,
            "activation": "tanh",
            "init": "default",
            "norm": "none",
            "optimizer": "adam",
            "lr": 0.01,
        },
    )


@pytest.fixture(scope="module")
def real():
    return sl.train(depth=4, width=8, steps=30, seed=0)


def _draw(figure):
    figure.canvas.draw()  # rendering must not raise either
    return figure


def test_plot_training_artists_hold_the_history(real):
    fig = _draw(sl.plot_training(real))
    assert isinstance(fig, Figure)
    plot_lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    for model, h in real.items():
        x, y = plot_lines[model].get_data()
        np.testing.assert_array_equal(x, np.arange(1, 31))
        np.testing.assert_array_equal(y, h.loss)
        assert plot_lines[model].get_color() == MODEL_COLORS[model]
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    for image, h in zip(images, real.values(), strict=True):
        data = np.asarray(image.get_array())
        assert data.shape == (6, 30)  # (layers: in, 1..4, out) x steps
        np.testing.assert_allclose(data, np.array(h.weight_grad_mean).T)
        assert image.norm.vmin <= data.min() and data.max() <= image.norm.vmax
    assert images[0].norm is images[1].norm  # one colour scale for both models


def test_training_plot_updates_the_same_artists_in_place(real):
    plot = sl.TrainingPlot()
    line, image = plot.loss_lines["plain"], plot.images["shortcut"]
    plot.update(real, step=10, total_steps=30)
    assert plot.loss_lines["plain"] is line and plot.images["shortcut"] is image
    assert len(line.get_xdata()) == 10
    data = np.ma.filled(np.asarray(image.get_array(), dtype=float), np.nan)
    assert data.shape == (6, 30)
    assert np.isfinite(data[:, :10]).all() and np.isnan(data[:, 10:]).all()  # not run: blank
    assert plot.loss_ax.get_xlim() == (0, 30)
    # The ratio panel shows the mean of the last 10 steps shown.
    expected = np.mean(real["plain"].update_ratio[:10], axis=0)
    np.testing.assert_allclose(plot.ratio_lines["plain"].get_ydata(), expected)
    plot.update(real)
    assert len(line.get_xdata()) == 30
    assert "step 30/30" in plot.progress.get_text()
    _draw(plot.figure)


def test_zeros_nan_and_inf_are_shown_not_dropped():
    grads = [[0.0, 1e-3, 1e-1], [0.0, float("nan"), 1.0], [1e-20, float("inf"), 1e-2]]
    ratios = [[0.0, 1e-3, 1e-2]] * 3
    h = _history("plain", grads, ratios, losses=[0.7, float("nan"), float("inf")])
    plot = sl.TrainingPlot()
    plot.update({"plain": h})
    data = np.ma.filled(np.asarray(plot.images["plain"].get_array(), dtype=float), np.nan)
    assert data[0, 0] == plot.norm.vmin  # exact zero: the darkest colour, not a hole
    assert plot.norm.vmin <= 1e-20 and plot.norm.vmax >= 1.0
    zeros_x = plot.ratio_zeros["plain"].get_xdata()
    assert list(zeros_x) == [0]  # layer "in" did not move: a marker at the bottom edge
    assert plot.empty_notes["shortcut"].get_visible()  # no shortcut history: "not trained"
    assert not plot.empty_notes["plain"].get_visible()
    _draw(plot.figure)


def test_empty_and_single_model_plots():
    plot = sl.TrainingPlot()
    plot.update({})
    assert "press Train" in plot.title.get_text()
    _draw(plot.figure)
    only = sl.TrainingPlot(("shortcut",))
    assert list(only.images) == ["shortcut"]
    with pytest.raises(ValueError, match="one or two distinct names"):
        sl.TrainingPlot(("a", "b", "c"))


def test_layer_ticks_read_in_hidden_out():
    h = sl.train(depth=20, width=4, steps=2)
    fig = _draw(sl.plot_training(h))
    heat = [ax for ax in fig.axes if ax.images][0]
    labels = [t.get_text() for t in heat.get_yticklabels()]
    assert labels[0] == "in" and labels[-1] == "out"
    assert "20" not in labels  # it would crowd "out"
    assert {"5", "10", "15"} <= set(labels)


def test_plot_loss_curves_one_panel_per_run(real):
    runs = {"a": real, "b": real, "c": {"plain": real["plain"]}}
    fig = _draw(sl.plot_loss_curves(runs, ncols=2))
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert len(shown[0].get_lines()) == 2 and len(shown[2].get_lines()) == 1
    np.testing.assert_array_equal(shown[1].get_lines()[1].get_ydata(), real["shortcut"].loss)


def test_plot_final_losses_marks_each_runs_final_loss(real):
    runs = {"seed 0": real, "seed 1": real}
    fig = _draw(sl.plot_final_losses(runs, reference=(math.log(2), "chance")))
    ax = fig.axes[0]
    points = {line.get_label(): line for line in ax.get_lines()}
    for model in ("plain", "shortcut"):
        np.testing.assert_allclose(points[model].get_ydata(), [real[model].final_loss] * 2)
    assert points["chance"].get_ydata()[0] == pytest.approx(math.log(2))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["seed 0", "seed 1"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: sl.plot_training({}),
        lambda: sl.plot_training([1, 2]),
        lambda: sl.plot_training({"plain": [0.1]}),
        lambda: sl.plot_loss_curves({}),
        lambda: sl.plot_final_losses({"a": {"plain": 3}}),
    ],
)
def test_bad_input_is_a_clear_type_error(call):
    with pytest.raises(TypeError, match="dict of"):
        call()


def test_blitted_frames_show_what_a_full_draw_shows(real):
    plot = sl.TrainingPlot()
    plot.update(real, step=10, total_steps=30)
    plot.redraw()
    for step in (20, 30):  # the axes may or may not change: either path must give the picture
        plot.update(real, step=step, total_steps=30)
        plot.redraw()
        fast = np.asarray(plot.figure.canvas.buffer_rgba()).copy()
        plot.redraw(full=True)
        full = np.asarray(plot.figure.canvas.buffer_rgba())
        differ = np.any(fast != full, axis=-1).mean()
        # Only where a curve crosses the legend box is the order of drawing different.
        assert differ < 0.01
    assert len(plot.loss_lines["plain"].get_xdata()) == 30
