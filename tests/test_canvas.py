"""The explorers' canvas: every frame reaches the browser whole, and is the canvas's picture."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import shortcut_lib as sl  # noqa: E402

# ipympl's Toolbar passes an argument traitlets no longer wants: not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing unrecognized arguments to super\\(Toolbar\\):DeprecationWarning"
)


def test_every_frame_is_sent_whole_and_is_the_picture_on_the_canvas():
    # A diff frame would be composited over what the browser last showed; a whole one replaces it.
    e = sl.gradient_explorer(depth=8, width=12, batch_size=4)
    canvas = e.figure.canvas
    sent = []
    canvas.send_binary = sent.append  # what ipympl would send to the browser
    full_draws = e.plot._live.full_draws
    for seed in (1, 2, 3):  # new data on the same axes: frames blitted over a kept background
        e.controls["seed"].value = seed
        assert canvas._image_mode == "full"
        picture = np.asarray(Image.open(io.BytesIO(sent[-1])).convert("RGBA"))
        assert np.array_equal(picture, np.asarray(canvas.buffer_rgba()))
    assert len(sent) == 3
    assert e.plot._live.full_draws < full_draws + 3  # at least one frame was a blit


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (300, 800)])
def test_encoded_png_decodes_to_the_same_pixels(shape):
    # Pillow's decoder is the independent reader; random pixels and alpha leave nothing to luck.
    pixels = np.random.default_rng(0).integers(0, 256, (*shape, 4), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(sl.widgets.canvas.encode_png(pixels)))
    assert decoded.mode == "RGBA"
    assert np.array_equal(np.asarray(decoded), pixels)
