"""How the figures read: lines that stand out from what lies under them, labels that do not
overlap, text large enough to read at the size a notebook shows it, and a healthy band that can
be seen at any scale. Measured on the rendered pictures and the artists' boxes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_rgb, to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib.plotting import offscale  # noqa: E402
from shortcut_lib.plotting.style import MIN_TEXT_PX  # noqa: E402


def luminance(rgb):
    """WCAG relative luminance of an sRGB colour (components 0-1)."""
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def over(rgba, background):
    """``rgba`` composited over an opaque ``background``."""
    alpha = rgba[3]
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(rgba[:3], background, strict=True))


@pytest.mark.parametrize("bold", ["plain", "shortcut"])
def test_the_thin_line_keeps_3_to_1_contrast_on_white_and_on_the_green_band(bold):
    # WCAG 1.4.11 asks 3:1 for graphics a reader must see. The faded line used to be 35% opaque:
    # light blue on the pale green band, where it vanished.
    plot = sl.plotting.GradientPlot()
    plot.update({"plain": [1e-3, 1e-2], "shortcut": [1e-2, 1e-2]}, emphasis=bold, band=(1e-3, 1))
    white = (1.0, 1.0, 1.0)
    band = over(to_rgba(plot.band.get_facecolor()), white)
    for label, line in plot.lines.items():
        colour = to_rgba(line.get_color(), line.get_alpha())
        for background, name in ((white, "white"), (band, "the band")):
            shown = over(colour, background)
            assert contrast(shown, background) >= 3, f"{label} on {name}"
    faded = next(line for label, line in plot.lines.items() if label != bold)
    assert faded.get_linewidth() < plot.lines[bold].get_linewidth()


def drawn(figure):
    """``figure`` rendered by Agg (a bare Figure has no raster canvas of its own)."""
    if not hasattr(figure.canvas, "get_renderer"):
        FigureCanvasAgg(figure)
    figure.canvas.draw()
    return figure


def boxes(figure, texts):
    renderer = figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts if t.get_text()]


def overlapping(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize(
    "make",
    [
        lambda: sl.gradient_explorer(depth=50, activation="sigmoid").figure,  # 40 decades
        lambda: sl.plot_gradients(
            sl.compare_shortcut(depth=50, activation="sigmoid"), diagnostic="output_grad_norm"
        ),
    ],
    ids=["explorer", "static"],
)
def test_the_y_label_overlaps_neither_the_band_labels_nor_the_tick_labels(make):
    figure = drawn(make())
    ax = figure.axes[0]
    label = boxes(figure, [ax.yaxis.label])[0]
    bands = [t for t in ax.texts if t.get_text() in ("0", "NaN/inf")]
    assert len(bands) == 2
    others = boxes(figure, [*bands, *ax.get_yticklabels()])
    assert not [b for b in others if overlapping(label, b)]
    assert label.x0 >= 0, "the y label runs off the figure"


def small_training_copy():
    # Notebook 05's copy of a training figure: 9 x 6 inches at 64 dpi, 576 x 384 px.
    histories = sl.train(depth=4, width=8, steps=20)
    return sl.plot_training(histories, figure=Figure(figsize=(9, 6), dpi=64))


def six_loss_panels():
    # Notebook 05's six runs side by side, at plot_loss_curves' own size (72 dpi).
    histories = sl.train(depth=3, width=8, steps=20)
    return sl.plot_loss_curves({f"run {i}": histories for i in range(6)})


@pytest.mark.parametrize(
    "make",
    [small_training_copy, six_loss_panels, lambda: sl.training_explorer(steps=10).figure],
    ids=["training-64dpi", "loss-curves", "training-explorer"],
)
def test_every_text_is_at_least_11_px_and_inside_the_picture(make):
    figure = drawn(make())
    renderer = figure.canvas.get_renderer()
    width, height = figure.bbox.width, figure.bbox.height
    for text in figure.findobj(Text):
        # (Tick labels of ticks beyond an axis's limits exist, far off the picture, undrawn.)
        if not text.get_text() or not text.get_visible():
            continue
        if not text.get_window_extent(renderer).overlaps(figure.bbox):
            continue
        px = text.get_fontsize() * figure.dpi / 72
        assert px >= MIN_TEXT_PX - 1e-9, f"{text.get_text()!r} is {px:.1f} px"
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1 and box.y0 >= -1 and box.y1 <= height + 1, (
            f"{text.get_text()!r} runs off the {width:.0f}x{height:.0f} picture: {box}"
        )


def band_edge_rows(explorer):
    """Rows of the frame where the band's edge colour runs across most of the axes."""
    plot = explorer.plot
    rgb = np.asarray(explorer.figure.canvas.buffer_rgba())[..., :3].astype(float) / 255
    edge = np.array(over(to_rgba(plot.band.get_edgecolor()), (1.0, 1.0, 1.0)))
    near = np.abs(rgb - edge).max(axis=2) < 0.06
    return np.nonzero(near.sum(axis=1) > 0.5 * plot.ax.bbox.width)[0]


def test_the_healthy_band_shows_with_both_edges_and_the_readout_names_its_range():
    explorer = sl.gradient_explorer(depth=5, activation="sigmoid")
    assert explorer.plot.band_pixels >= 8
    rows = band_edge_rows(explorer)
    assert len(np.unique(rows // 3)) >= 2, f"edge rows {rows}"  # two edges, apart
    low, high = (
        explorer.plot.band.get_y(),
        explorer.plot.band.get_y() + explorer.plot.band.get_height(),
    )
    assert f"green band: {low:.2g} to {high:.2g}" in explorer.readout.value
    assert "thin line" not in explorer.readout.value


def test_at_a_scale_of_40_decades_the_readout_says_the_band_is_thin():
    # Sigmoid at depth 50: the plain line spans 40 decades, and the band's two decades are a few
    # pixels under the bold shortcut line. The readout used to describe a band nobody could see.
    explorer = sl.gradient_explorer(depth=50, activation="sigmoid")
    low, high = np.log10(explorer.plot.ax.get_ylim())
    assert high - low > 40  # precondition: the scale the learner saw
    assert explorer.plot.band_pixels < 8
    assert "green band (a thin line at this scale): 0.16 to 16" in explorer.readout.value


def test_the_grey_bands_hold_zeros_below_and_overflow_above():
    # What notebook 01 tells the reader: zeros in the band labelled 0 at the bottom, inf and NaN
    # in the band labelled NaN/inf at the top; both bands grey, apart from the data.
    figure = sl.plot_gradients({"model": [1e-3, 0.0, float("inf"), float("nan"), 1e-2]})
    ax = figure.axes[0]
    labels = {t.get_text(): t.get_position()[1] for t in ax.texts}
    assert labels["0"] < 0.5 < labels["NaN/inf"]
    grey = [p for p in ax.patches if to_rgb(p.get_facecolor()) == to_rgb("0.93")]
    assert len(grey) == 2
    assert offscale.SYMBOL == {"zero": "v", "inf": "^", "nan": "x"}  # as notebook 01 names them
