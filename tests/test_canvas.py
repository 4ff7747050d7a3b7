"""The explorers' canvas: every frame reaches a core ipywidgets.Image whole, and is the picture
the figure shows; shortcut_lib needs no front-end extension of its own."""

import io
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import shortcut_lib as sl  # noqa: E402


def picture(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_every_frame_is_sent_whole_and_is_the_picture_on_the_canvas():
    # A frame replaces what the browser showed: the Image's value is the canvas's whole picture.
    e = sl.gradient_explorer(depth=8, width=12, batch_size=4)
    canvas = e.figure.canvas
    sent = []
    e.canvas.image.observe(lambda change: sent.append(change["new"]), names="value")
    full_draws = e.plot._live.full_draws
    for seed in (1, 2, 3):  # new data on the same axes: frames blitted over a kept background
        e.controls["seed"].value = seed
        assert np.array_equal(picture(sent[-1]), np.asarray(canvas.buffer_rgba()))
    assert len(sent) == 3  # one frame an update
    assert e.plot._live.full_draws < full_draws + 3  # at least one frame was a blit
    # And that picture is the figure as a full draw renders it.
    blitted = picture(sent[-1])
    canvas.draw()
    np.testing.assert_array_equal(picture(e.canvas.image.value), blitted)
    e.close()


@pytest.mark.parametrize(
    "make",
    [
        lambda: sl.gradient_explorer(depth=4, width=8, batch_size=2),
        lambda: sl.transformer_explorer(depth=2, width=16, heads=2, batch_size=2),
        lambda: sl.training_explorer(depth=2, width=8, steps=10),
        lambda: sl.transformer_training_explorer(depth=1, width=16, heads=2, steps=10),
    ],
    ids=["gradient", "transformer", "training", "transformer_training"],
)
def test_each_explorer_shows_its_figure_in_a_core_image_of_the_figures_size(make):
    explorer = make()
    image = explorer.canvas.image
    assert isinstance(image, W.Image) and image.format == "png"
    # A core widget: the front end's own Image model and view draw it, nothing of ours.
    assert (image._model_module, image._model_name) == ("@jupyter-widgets/controls", "ImageModel")
    assert (image._view_module, image._view_name) == ("@jupyter-widgets/controls", "ImageView")
    width, height = (round(v) for v in explorer.figure.bbox.size)
    assert (image.width, image.height) == (str(width), str(height))  # the page holds its place
    assert picture(image.value).shape == (height, width, 4)
    assert image.tooltip  # the picture's accessible name
    explorer.close()


def test_shortcut_lib_imports_no_ipympl():
    # A figure widget of a third-party front end is what VS Code fetches from a CDN (or not at
    # all offline), and what Colab and Voilà's Output widget render badly.
    code = "import shortcut_lib, sys; print(sorted(m for m in sys.modules if 'ipympl' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (300, 800)])
def test_encoded_png_decodes_to_the_same_pixels(shape):
    # Pillow's decoder is the independent reader; random pixels and alpha leave nothing to luck.
    pixels = np.random.default_rng(0).integers(0, 256, (*shape, 4), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(sl.widgets.canvas.encode_png(pixels)))
    assert decoded.mode == "RGBA"
    assert np.array_equal(np.asarray(decoded), pixels)
