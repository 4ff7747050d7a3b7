"""The two explorers of notebook 05, outside a kernel: set a control's ``.value`` and check what
is drawn against an independent computation; Train, Stop and the errors of the training
explorer."""

import threading
import time

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from oracles import spy_on_refresh  # noqa: E402

import shortcut_lib as sl  # noqa: E402
import shortcut_lib.widgets.training as training_module  # noqa: E402
from shortcut_lib.compare import Comparison  # noqa: E402

SMALL = dict(depth=3, width=16, heads=2, context_length=8, batch_size=2)


# --- the transformer explorer ---------------------------------------------------------------


def expected_lines(s):
    """||dL/dh|| per block of a fresh GPTModel for each wiring, probed on its own."""
    task = sl.make_token_task(s.batch_size, s.context_length, 16, seed=s.seed)
    result = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        model = sl.GPTModel(
            s.depth, s.width, s.heads, s.context_length, 16, norm=s.norm,
            use_shortcut=use_shortcut, final_norm=s.final_norm, scaled_init=s.scaled_init,
            seed=s.seed,
        )  # fmt: skip
        result[label] = sl.transformer_profile(model, task.x, task.y).stream_grad_norm
    return result


def assert_plotted(explorer):
    for label, values in expected_lines(explorer.settings).items():
        drawn = explorer.plot.lines[label].get_ydata()
        np.testing.assert_allclose(drawn, values, rtol=1e-4, err_msg=label)


def test_each_control_is_named_after_its_setting():
    explorer = sl.transformer_explorer(**SMALL)
    assert list(explorer.controls) == list(sl.BlockSettings.specs())
    assert {c.description for c in explorer.controls.values()} == set(sl.BlockSettings.specs())
    assert isinstance(explorer.canvas.image, W.Image) and explorer.figure.canvas is explorer.canvas
    explorer.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("depth", 7),
        ("depth", 1),
        ("width", 24),
        ("heads", 4),
        ("norm", "post"),
        ("norm", "none"),
        ("final_norm", False),
        ("scaled_init", False),
        ("context_length", 5),
        ("batch_size", 3),
        ("seed", 11),
    ],
)
def test_setting_a_control_plots_an_independent_computation(name, value):
    explorer = sl.transformer_explorer(**SMALL)
    before = {k: line.get_ydata().copy() for k, line in explorer.plot.lines.items()}
    updates = spy_on_refresh(explorer)
    explorer.controls[name].value = value
    assert len(updates) == 1
    assert getattr(explorer.settings, name) == value
    assert_plotted(explorer)
    assert any(
        len(before[k]) != len(line.get_ydata()) or not np.allclose(before[k], line.get_ydata())
        for k, line in explorer.plot.lines.items()
    )
    assert f"{name}=" in explorer.state and explorer.errors.text == ""


def test_the_shortcut_toggle_moves_the_emphasis_and_keeps_the_data():
    explorer = sl.transformer_explorer(**SMALL)
    lines = {k: line.get_ydata().copy() for k, line in explorer.plot.lines.items()}
    widths = {k: line.get_linewidth() for k, line in explorer.plot.lines.items()}
    explorer.controls["use_shortcut"].value = False
    for k, line in explorer.plot.lines.items():
        np.testing.assert_array_equal(line.get_ydata(), lines[k])  # the same weights, wirings
    assert explorer.plot.lines["plain"].get_linewidth() > widths["plain"]


def test_state_strings_round_trip_and_load():
    explorer = sl.transformer_explorer(**SMALL, norm="post", seed=4)
    again = sl.transformer_explorer(explorer.state)
    assert again.settings == explorer.settings
    explorer.state_input.value = "depth=5 norm=none"
    assert (explorer.settings.depth, explorer.settings.norm) == (5, "none")
    assert explorer.controls["depth"].value == 5
    assert_plotted(explorer)


def test_bad_input_shows_a_message_and_the_explorer_stays_usable():
    explorer = sl.transformer_explorer(**SMALL)
    drawn = explorer.plot.lines["shortcut"].get_ydata().copy()
    explorer.controls["width"].value = 24  # 24 / 16 heads is no whole number...
    explorer.controls["heads"].value = 16
    text = explorer.errors.text
    assert "width (24) must be divisible by heads (16)" in text
    assert len(explorer.plot.lines["shortcut"].get_ydata()) == len(drawn)  # the old picture
    explorer.controls["heads"].value = 4  # ...fixed: drawn again, message gone
    assert explorer.errors.text == ""
    assert_plotted(explorer)
    explorer.state_input.value = "depth=100"
    text = explorer.errors.text
    assert "depth" in text and "48" in text
    assert explorer.settings.depth == 3


def test_the_readout_gives_each_wirings_ratios():
    explorer = sl.transformer_explorer(**{**SMALL, "depth": 6})
    readout = explorer.readout.value
    for label, values in expected_lines(explorer.settings).items():
        words = f"||dL/dh|| entering block 1 / after the last {values[0] / values[-1]:.2g};"
        assert f"<b>{label}</b>: {words}" in readout


def test_updates_from_two_threads_run_one_at_a_time(monkeypatch):
    # JupyterLab may deliver control messages on a kernel subshell's thread while the main
    # thread still updates; two probes at once would redraw the weights under each other.
    explorer = sl.transformer_explorer(**SMALL)
    inside, most, gate = [0], [0], threading.Event()
    original = Comparison.profiles

    def held(self, settings):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        gate.wait(2)  # hold this update while the other thread tries to start one
        try:
            return original(self, settings)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(Comparison, "profiles", held)
    updates = spy_on_refresh(explorer)
    threads = [threading.Thread(target=explorer.refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in threads:
        thread.join(30)
    assert most[0] == 1 and len(updates) == 2
    assert explorer.errors.text == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(depth=0), ValueError, "depth"),
        (dict(width=30, heads=4), ValueError, "width (30) must be divisible by heads (4)"),
        (dict(blocks=4), TypeError, "unknown setting"),
        (dict(state="depth=4 norm=sideways"), ValueError, "norm"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, words):
    with pytest.raises(error) as info:
        sl.transformer_explorer(**kwargs)
    assert words in str(info.value)


# --- the transformer training explorer --------------------------------------------------------

TRAIN = dict(depth=2, width=16, context_length=6, vocab_size=7, steps=20, update_every=5)


def expected_histories(explorer):
    run = sl.TrainingRun(explorer.settings)
    run.advance(run.steps)
    return run.history()


def test_train_fills_the_plots_with_the_numbers_a_run_gives():
    explorer = sl.transformer_training_explorer(**TRAIN, norm="post")
    line = explorer.plot.loss_lines["shortcut"]
    assert len(line.get_xdata()) == 0
    explorer.train_button.click()
    assert explorer.wait(timeout=120)
    expected = expected_histories(explorer)
    assert explorer.histories == expected
    np.testing.assert_array_equal(line.get_ydata(), expected["shortcut"].loss)
    image = np.asarray(explorer.plot.images["plain"].get_array())
    assert image.shape == (4, 20)  # in, two blocks, out x steps
    np.testing.assert_allclose(image, np.array(expected["plain"].weight_grad_mean).T)
    assert explorer.status.value.startswith("done: 20/20 steps")
    assert "norm post" in explorer.plot.title.get_text()
    assert explorer.errors.text == "" and not explorer.train_button.disabled


def test_settings_reach_the_run():
    explorer = sl.transformer_training_explorer(**TRAIN)
    explorer.controls["models"].value = "shortcut"
    explorer.controls["lr"].value = 0.01
    explorer.controls["warmup"].value = 10
    explorer.controls["depth"].value = 3
    explorer.train()
    assert explorer.wait(timeout=120)
    assert list(explorer.histories) == ["shortcut"]
    history = explorer.histories["shortcut"]
    assert (history.settings["lr"], history.settings["warmup"]) == (0.01, 10)
    assert history.layer_names == ["in", "1", "2", "3", "out"]
    assert explorer.histories == expected_histories(explorer)
    assert explorer.plot.empty_notes["plain"].get_visible()
    assert "warmup=10" in explorer.state


def test_stop_ends_a_run_early():
    explorer = sl.transformer_training_explorer(**{**TRAIN, "steps": 500})
    explorer.progress.observe(lambda change: explorer.stop_button.click(), names="value")
    explorer.train_button.click()
    assert explorer.wait(timeout=120)
    assert explorer.histories["plain"].steps == 5 < 500
    assert explorer.status.value.startswith("stopped: 5/500 steps")
    assert not explorer.train_button.disabled and explorer.stop_button.disabled


def test_a_refused_setting_is_named_and_its_control_goes_back():
    explorer = sl.transformer_training_explorer(**TRAIN)
    explorer.controls["heads"].value = 16  # width 16 takes 16 heads; width 8 does not
    explorer.controls["width"].value = 8
    assert "width (8) must be divisible by heads (16)" in explorer.errors.text
    assert (explorer.controls["width"].value, explorer.controls["heads"].value) == (16, 16)
    explorer.controls["heads"].value = 2  # a good setting clears the message
    assert explorer.errors.text == ""
    explorer.train()
    assert explorer.wait(timeout=120)
    assert explorer.histories["plain"].steps == 20 and explorer.settings.heads == 2


def test_an_error_mid_run_lands_in_the_output(monkeypatch):
    explorer = sl.transformer_training_explorer(**TRAIN)

    def broken(self, n=1):
        raise RuntimeError("something broke mid-run")

    monkeypatch.setattr(training_module.TrainingRun, "advance", broken)
    explorer.train()
    assert explorer.wait(timeout=120)
    text = explorer.errors.text
    assert "RuntimeError: something broke mid-run" in text
    assert not explorer.train_button.disabled


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(depth=0), ValueError, "depth"),
        (dict(lr=0.04), ValueError, "lr must be one of"),
        (dict(steps=15), ValueError, "steps=15 is not a position of its slider"),
        (dict(controls=("depth", "depth")), ValueError, "controls must be distinct names"),
        (dict(controls=("blocks",)), ValueError, "controls must be distinct names"),
        (dict(update_every=0), ValueError, "update_every"),
        (dict(limits={"depth": (1, 100)}), ValueError, "limits['depth']"),
        (dict(width=12, heads=8), ValueError, "width (12) must be divisible by heads (8)"),
        (dict(state="depth=4 lr=fast"), ValueError, "lr"),
    ],
)
def test_bad_start_values_are_named(kwargs, error, words):
    with pytest.raises(error) as info:
        sl.transformer_training_explorer(**kwargs)
    assert words in str(info.value)


def test_close_frees_the_figure():
    explorer = sl.transformer_training_explorer(**TRAIN)
    explorer.train()
    explorer.wait(timeout=120)
    explorer.close()
    assert explorer.histories == {} and explorer.figure.axes == []


def test_show_opens_on_runs_trained_one_model_at_a_time():
    # Notebook 05 opens its training explorer on section 5's runs, each model trained alone
    # with sl.train_transformer from the same seed: they are the run Train gives, step for step,
    # and a run of other settings is refused with what differs.
    explorer = sl.transformer_training_explorer(
        depth=2, width=16, heads=2, steps=20, context_length=6, vocab_size=7
    )
    task = sl.make_token_task(512, 6, 7, seed=0)
    runs = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        model = sl.GPTModel(2, 16, 2, 6, 7, use_shortcut=use_shortcut, seed=0)
        runs[label] = sl.train_transformer(model, task, steps=20, batch_size=32, seed=0)
    explorer.show(runs)
    assert explorer.histories == runs
    assert explorer.status.value == "done: 20/20 steps, trained in the notebook"
    explorer.train()
    assert explorer.wait(timeout=120)
    for label, history in runs.items():
        trained = explorer.histories[label]
        for name in ("loss", "weight_grad_mean", "update_ratio", "weight_norm"):
            assert getattr(trained, name) == getattr(history, name), (label, name)
    other = sl.GPTModel(2, 16, 4, 6, 7, seed=0)
    with pytest.raises(ValueError, match="heads=4 instead of 2"):
        explorer.show({**runs, "shortcut": sl.train_transformer(other, task, steps=20, seed=0)})
