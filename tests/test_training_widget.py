"""The training explorer outside a kernel: Train fills the plots with the same numbers sl.train
gives, Stop ends a run early, the kernel thread is never blocked, errors land in the output."""

import threading

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402

import shortcut_lib as sl  # noqa: E402
import shortcut_lib.widgets.training as widget_module  # noqa: E402

SMALL = {"depth": 3, "width": 8, "steps": 50, "update_every": 10}
CONTROLS = [
    "task", "depth", "width", "activation", "models", "init", "gain", "norm", "final_norm",
    "branch_scale", "optimizer", "lr", "steps", "seed",
]  # fmt: skip


def descendants(widget):
    """Every widget inside ``widget``, depth first."""
    for child in getattr(widget, "children", ()):
        yield child
        yield from descendants(child)


def test_controls_buttons_and_frame_are_what_the_browser_tests_look_for():
    explorer = sl.training_explorer()
    descriptions = {c.description for c in explorer.controls.values()}
    assert set(CONTROLS) <= descriptions
    assert explorer.train_button.description == "Train"
    assert explorer.stop_button.description == "Stop" and explorer.stop_button.disabled
    assert isinstance(explorer.canvas.image, W.Image) and explorer.figure.canvas is explorer.canvas
    assert explorer.canvas.image in descendants(explorer)
    assert explorer.replay.description == "step" and explorer.replay.disabled


def test_train_fills_the_plots_with_the_numbers_sl_train_gives():
    explorer = sl.training_explorer(**SMALL)
    line = explorer.plot.loss_lines["shortcut"]
    assert len(line.get_xdata()) == 0
    explorer.train_button.click()
    assert explorer.wait(timeout=120)
    expected = sl.train(depth=3, width=8, steps=50)
    assert explorer.histories == expected
    np.testing.assert_array_equal(line.get_ydata(), expected["shortcut"].loss)
    image = np.asarray(explorer.plot.images["plain"].get_array())
    np.testing.assert_allclose(image, np.array(expected["plain"].weight_grad_mean).T)
    assert explorer.progress.value == explorer.progress.max == 50
    assert explorer.status.value.startswith("done: 50/50 steps")
    assert not explorer.train_button.disabled and explorer.stop_button.disabled
    assert not any(c.disabled for c in explorer.controls.values())
    assert explorer.errors.text == ""


def test_show_opens_on_a_run_trained_elsewhere_as_train_would():
    trained = sl.training_explorer(**SMALL)
    trained.train()
    assert trained.wait(timeout=120)
    explorer = sl.training_explorer(**SMALL)
    explorer.show(sl.train(depth=3, width=8, steps=50))
    assert explorer.histories == trained.histories
    for a, b in zip(explorer.figure.axes, trained.figure.axes, strict=True):
        for x, y in zip(a.get_lines(), b.get_lines(), strict=True):
            np.testing.assert_array_equal(x.get_ydata(), y.get_ydata())
        for x, y in zip(a.get_images(), b.get_images(), strict=True):
            np.testing.assert_array_equal(x.get_array(), y.get_array())
    assert explorer.replay.value == explorer.replay.max == 50 and not explorer.replay.disabled
    assert explorer.status.value == "done: 50/50 steps, trained in the notebook"


def _stopped_early():
    run = sl.TrainingRun(depth=3, width=8, steps=60)
    run.advance(50)
    return run.history()


@pytest.mark.parametrize(
    ("histories", "error"),
    [({"plain": None}, TypeError), ("run", TypeError),
     (sl.train(depth=3, width=8, steps=40), ValueError), (_stopped_early(), ValueError),
     ({"plain": sl.train(depth=3, width=8, steps=60)["plain"]}, ValueError)],
    ids=["not histories", "a string", "another setting", "stopped early", "one model of two"],
)  # fmt: skip
def test_show_refuses_what_is_not_a_whole_run_of_its_settings(histories, error):
    explorer = sl.training_explorer(**{**SMALL, "steps": 60})
    with pytest.raises(error, match="histories"):
        explorer.show(histories)
    assert explorer.histories == {}


def test_plots_update_live_while_the_run_goes_on():
    explorer = sl.training_explorer(**SMALL)
    seen = []  # (progress, points on the loss curve) at every progress update, from the thread
    explorer.progress.observe(
        lambda change: seen.append(
            (change["new"], len(explorer.plot.loss_lines["plain"].get_xdata()))
        ),
        names="value",
    )
    explorer.train()
    explorer.wait(timeout=120)
    assert seen == [(10, 10), (20, 20), (30, 30), (40, 40), (50, 50)]


def test_stop_ends_a_run_early():
    explorer = sl.training_explorer(depth=3, width=8, steps=2000, update_every=10)
    # Click Stop as soon as the first chunk is reported: no timing involved.
    explorer.progress.observe(lambda change: explorer.stop_button.click(), names="value")
    explorer.train_button.click()
    assert explorer.wait(timeout=120)
    assert explorer.histories["plain"].steps == 10 < 2000
    assert explorer.status.value.startswith("stopped: 10/2000 steps")
    assert not explorer.train_button.disabled and not explorer.replay.disabled
    assert explorer.replay.max == 10


def test_train_returns_at_once_and_controls_are_locked_during_the_run():
    explorer = sl.training_explorer(**SMALL)
    gate = threading.Event()
    during = []
    explorer.progress.observe(lambda change: gate.wait(60), names="value")
    explorer.status.observe(
        lambda change: during.append(explorer.controls["depth"].disabled), names="value"
    )
    explorer.train()
    # The run is held at its first progress update: train() returned while it goes on.
    assert explorer.running and explorer.train_button.disabled
    assert not explorer.stop_button.disabled
    explorer.train()  # a second click while running does nothing
    explorer.stop()
    gate.set()
    assert explorer.wait(timeout=120)
    assert during[0] is True and not explorer.controls["depth"].disabled


def test_replay_slider_shows_the_first_steps():
    explorer = sl.training_explorer(**SMALL)
    explorer.train()
    explorer.wait(timeout=120)
    explorer.replay.value = 20
    assert len(explorer.plot.loss_lines["plain"].get_xdata()) == 20
    data = np.ma.filled(np.asarray(explorer.plot.images["plain"].get_array(), float), np.nan)
    assert np.isfinite(data[:, :20]).all() and np.isnan(data[:, 20:]).all()
    explorer.replay.value = 50
    assert len(explorer.plot.loss_lines["plain"].get_xdata()) == 50


def test_settings_reach_the_run():
    explorer = sl.training_explorer(**SMALL)
    explorer.controls["models"].value = "shortcut"
    explorer.controls["optimizer"].value = "sgd"
    explorer.controls["lr"].value = 0.1
    explorer.controls["task"].value = "regression"
    explorer.train()
    explorer.wait(timeout=120)
    assert list(explorer.histories) == ["shortcut"]
    settings = explorer.histories["shortcut"].settings
    assert (settings["optimizer"], settings["lr"], settings["task"]) == ("sgd", 0.1, "regression")
    assert explorer.plot.empty_notes["plain"].get_visible()


def test_errors_show_in_the_output_and_the_controls_stay_usable(monkeypatch):
    explorer = sl.training_explorer(**SMALL)

    def broken_advance(self, n=1):
        raise RuntimeError("something broke mid-run")

    monkeypatch.setattr(widget_module.TrainingRun, "advance", broken_advance)
    explorer.train()
    assert explorer.wait(timeout=120)
    text = explorer.errors.text
    assert "RuntimeError: something broke mid-run" in text
    assert not explorer.train_button.disabled and explorer.stop_button.disabled
    monkeypatch.undo()
    explorer.train()  # the next run works and clears the old error
    assert explorer.wait(timeout=120)
    assert explorer.errors.text == "" and explorer.histories["plain"].steps == 50


def test_a_bad_start_value_is_refused_at_once_not_when_train_is_pressed():
    with pytest.raises(ValueError, match="batch_size must be between 1 and 256; got 1000"):
        sl.training_explorer(**SMALL, batch_size=1000)  # the tasks have 256 points


def test_a_bad_setting_typed_in_later_is_named_and_its_control_goes_back():
    explorer = sl.training_explorer(**SMALL)
    explorer.controls["seed"].value = 7
    explorer.controls["seed"].value = -5  # a number box takes any int; the settings do not
    assert "seed must be between 0 and 2147483647; got -5" in explorer.errors.text
    assert explorer.controls["seed"].value == 7  # the last good value, which Train would use
    explorer.train()
    assert explorer.wait(timeout=120)
    assert explorer.settings.seed == 7 and explorer.histories["plain"].settings["seed"] == 7
    assert explorer.errors.text == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"depth": 0}, ValueError, "depth must be between 1 and 200; got 0"),
        ({"depth": 61}, ValueError, "depth=61 is not a position of its slider"),
        ({"steps": 5}, ValueError, "steps=5 is not a position of its slider"),
        ({"lr": 0.02}, ValueError, "lr must be one of 0.0001, 0.0003"),
        ({"activation": "swish"}, ValueError, "activation must be one of"),
        ({"models": 1}, TypeError, "models must be one of 'both', 'plain', 'shortcut'"),
        ({"lr": True}, TypeError, "lr must be a number"),
        ({"update_every": 0}, ValueError, "update_every must be >= 1"),
    ],
)
def test_bad_start_values_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        sl.training_explorer(**kwargs)


def test_frames_are_drawn_under_the_lock_the_training_thread_holds():
    # Whoever draws (the training thread, the replay slider, a changed setting), the frame is
    # rendered under the lock, so no frame shows half an update.
    explorer = sl.training_explorer(**SMALL)
    explorer.train()
    explorer.wait(timeout=120)
    frames, got = explorer.canvas.frames, []
    with explorer._lock:
        thread = threading.Thread(
            target=lambda: (setattr(explorer.replay, "value", 20), got.append("drawn"))
        )
        thread.start()
        thread.join(0.2)
        assert got == [] and explorer.canvas.frames == frames  # waits for the lock
    thread.join(60)
    assert got == ["drawn"] and explorer.canvas.frames == frames + 1
