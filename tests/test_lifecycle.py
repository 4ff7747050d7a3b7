"""What the explorers leave behind: nothing once closed, one explorer per notebook cell, torch's
process-wide settings as the user set them, and a Train button that works whenever it shows."""

import gc
import threading
import weakref

import matplotlib
import pytest

matplotlib.use("Agg")

import ipywidgets.widgets.widget as widget_module  # noqa: E402
import torch  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib.widgets import controls  # noqa: E402

EXPLORERS = {
    "gradient": lambda: sl.gradient_explorer(depth=6, width=8, batch_size=4),
    "training": lambda: sl.training_explorer(depth=3, width=8, steps=20, update_every=10),
}


def flushes_denormals() -> bool:
    # torch has no getter; a subnormal times one reads 0 exactly when flushing is on.
    tiny = torch.tensor(1e-40, dtype=torch.float32)
    return (tiny * 1.0).item() == 0.0


@pytest.mark.parametrize("kind", EXPLORERS)
def test_a_closed_explorer_leaves_no_widget_and_frees_its_figure(kind):
    gc.collect()
    before = set(widget_module._instances)
    explorer = EXPLORERS[kind]()
    if kind == "training":
        explorer.train()
        explorer.wait(timeout=60)
    figure = weakref.ref(explorer.figure)
    assert len(set(widget_module._instances) - before) > 20  # precondition: widgets were made
    explorer.close()
    del explorer
    gc.collect()
    assert set(widget_module._instances) - before == set()
    assert figure() is None


@pytest.mark.parametrize("kind", EXPLORERS)
def test_rerunning_a_cell_closes_the_explorer_it_made_before(kind, monkeypatch):
    cell = {"id": "cell-1"}
    monkeypatch.setattr(controls, "_cell_id", lambda: cell["id"])
    first = EXPLORERS[kind]()
    second = EXPLORERS[kind]()  # the same cell, run again
    assert first.comm is None and second.comm is not None  # closed, and alive
    cell["id"] = "cell-2"
    third = EXPLORERS[kind]()  # another cell: both stay
    assert second.comm is not None and third.comm is not None
    for explorer in (second, third):
        explorer.close()


@pytest.mark.parametrize("flush", [True, False])
def test_probes_and_explorers_leave_flush_denormal_as_the_user_set_it(flush):
    torch.set_flush_denormal(flush)
    try:
        assert flushes_denormals() == flush  # precondition: the detection works here
        explorer = sl.gradient_explorer(depth=60, width=16, activation="sigmoid")
        explorer.controls["depth"].value = 61
        sl.compare_shortcut(depth=5)
        sl.train(depth=2, width=4, steps=3)
        assert flushes_denormals() == flush
        explorer.close()
    finally:
        torch.set_flush_denormal(False)


def test_train_works_the_moment_the_train_button_comes_back():
    explorer = EXPLORERS["training"]()
    started = []
    restarted = threading.Event()

    def on_button(change):
        # The Train button is enabled again: a click now must start a new run, at once.
        if change["new"] is False and not started:
            started.append(True)
            explorer.train()
            restarted.set()

    explorer.train()
    explorer.train_button.observe(on_button, names="disabled")
    assert restarted.wait(timeout=60)
    assert explorer.wait(timeout=60)
    assert explorer.status.value.startswith("done: 20/20 steps")
    assert explorer.progress.value == 20
    explorer.close()


def test_train_right_after_stop_starts_a_new_run_and_train_during_a_run_says_so():
    explorer = sl.training_explorer(depth=3, width=8, steps=2000, update_every=10)
    explorer.train()
    explorer.train()  # while the first run goes on: refused, in words
    text = explorer.errors.text
    assert "A run is going on: press Stop first" in text
    explorer.stop()
    explorer.train()  # waits for the stopping run, then starts afresh
    assert explorer.running
    explorer.stop()
    assert explorer.wait(timeout=60)
    assert explorer.status.value.startswith("stopped:")
    explorer.close()


@pytest.mark.parametrize("kind", EXPLORERS)
def test_without_a_kernel_a_reader_sees_the_explorers_picture_and_a_hint(kind):
    # GitHub, nbviewer, nbconvert and an untrusted notebook render the bundle's other formats.
    import io

    import numpy as np
    from PIL import Image

    explorer = EXPLORERS[kind]()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live where it can be
    assert bundle["text/plain"] == controls.STATIC_HINT  # never Explorer(children=...)
    png = __import__("base64").b64decode(bundle["image/png"])
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    own = io.BytesIO()
    explorer.figure.savefig(own, format="png", dpi=explorer.figure.dpi)
    figure = np.asarray(Image.open(own).convert("RGB"))
    # The figure's own pixels, whole, under a header (the hint and the state line).
    assert picture.shape[1] == figure.shape[1]
    header = picture.shape[0] - figure.shape[0]
    assert header >= 30, f"no room for the hint above the figure: {header} px"
    np.testing.assert_array_equal(picture[header:], figure)
    assert (picture[:header] < 100).any(), "the header holds no dark text"
    explorer.close()
