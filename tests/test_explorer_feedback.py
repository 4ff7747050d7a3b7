"""What an explorer tells the learner besides its figure: that it is computing, that a setting
was refused (and the controls went back), that a run is going on, that the figure shows a run
of other settings; in colours that read in a light and a dark theme."""

import re
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib.compare import Comparison  # noqa: E402
from shortcut_lib.widgets import layout  # noqa: E402
from shortcut_lib.widgets.messages import BusyBadge, MessageArea  # noqa: E402

SMALL = dict(depth=6, width=8, batch_size=4)


def pixels(explorer):
    return np.asarray(explorer.figure.canvas.buffer_rgba()).copy()


def test_a_slow_update_shows_the_badge_while_it_computes(monkeypatch):
    explorer = sl.gradient_explorer(**SMALL)
    explorer.busy.delay = 0.05
    seen, sent = [], []
    explorer.busy.observe(lambda change: sent.append(change["new"]), names="value")
    probe = Comparison.profiles

    def slow(self, settings):
        time.sleep(0.4)  # a probe longer than the badge's delay
        seen.append(explorer.busy.value)  # what the page shows meanwhile
        return probe(self, settings)

    monkeypatch.setattr(Comparison, "profiles", slow)
    explorer.controls["depth"].value = 9
    assert "computing" in seen[-1] and "role='status'" in seen[-1]
    assert explorer.busy.value == "" and sent == [seen[-1], ""]  # shown, then hidden
    explorer.close()


def test_a_quick_update_sends_no_badge_at_all():
    # Every message costs the page a re-render: a badge for each quick update made frames late.
    explorer = sl.gradient_explorer(**SMALL)
    sent = []
    explorer.busy.observe(lambda change: sent.append(change["new"]), names="value")
    for depth in (7, 8, 9):
        explorer.controls["depth"].value = depth
    assert sent == []
    explorer.close()


def test_the_badge_never_stays_when_its_timer_and_the_update_end_together():
    badge = BusyBadge(delay=0.0)  # the timer fires at once, racing the end of the update
    for _ in range(50):
        with badge.computing():
            pass
        assert badge.value == ""


@pytest.mark.parametrize(
    ("make", "name", "bad", "fragment"),
    [
        (lambda: sl.gradient_explorer(**SMALL), "seed", -5, "seed must be between 0"),
        (
            lambda: sl.transformer_explorer(depth=2, width=8, heads=4, batch_size=2),
            "heads",
            16,
            "width (8) must be divisible by heads (16)",
        ),
    ],
    ids=["negative-seed", "heads-16-at-width-8"],
)
def test_a_refused_setting_is_named_and_every_control_shows_the_figures_settings(
    make, name, bad, fragment
):
    explorer = make()
    good, picture = explorer.settings, pixels(explorer)
    explorer.controls[name].value = bad
    assert fragment in explorer.errors.text and explorer.errors.kind == "error"
    assert explorer.settings == good and explorer.state == str(good)
    assert {n: c.value for n, c in explorer.controls.items()} == good.values()
    np.testing.assert_array_equal(pixels(explorer), picture)
    explorer.close()


def test_messages_wrap_between_words_in_the_pages_own_colours():
    area = MessageArea()
    area.show_error(ValueError("width (8) must be divisible by heads (16): " + "words " * 40))
    style = re.search(r"style='([^']*)'", area.value)[1]
    assert "word-break:normal" in style and "overflow-wrap:break-word" in style
    assert "break-all" not in area.value
    assert "role='alert'" in area.value and area.text.startswith("ValueError: width (8)")
    # No text colour of its own (the page's, dark or light), on a translucent tint.
    assert not re.search(r"(^|;)\s*color:", style)
    assert "rgba(" in style
    area.show_notice("A run is going on")
    assert "role='status'" in area.value and area.kind == "notice"
    area.clear()
    assert (area.value, area.text, area.kind) == ("", "", "")


@pytest.mark.parametrize(
    "html",
    [layout.state_html("depth=3 width=8"), layout.readout_html(["<b>plain</b>: steady"])],
    ids=["state line", "readout"],
)
def test_the_state_line_and_readout_take_the_pages_text_colour(html):
    # A fixed dark grey (#111, #555) vanished on JupyterLab's dark theme.
    assert not re.search(r"color:\s*#", html)


def test_the_run_is_going_on_notice_goes_when_the_run_ends():
    explorer = sl.training_explorer(depth=2, width=8, steps=40, update_every=10)
    explorer.train()
    explorer.train()  # a second Train while the first run goes on (from code: the button is off)
    assert "A run is going on" in explorer.errors.text
    assert explorer.wait(timeout=120)
    assert explorer.errors.text == ""
    explorer.close()


def test_a_setting_changed_after_a_run_marks_the_figure_as_the_last_runs():
    explorer = sl.training_explorer(depth=2, width=8, steps=20, update_every=10)
    explorer.train()
    assert explorer.wait(timeout=120)
    done, run_picture = explorer.status.value, pixels(explorer)
    assert done.startswith("done: 20/20 steps")
    explorer.controls["depth"].value = 3
    assert explorer.status.value == "settings changed: press Train"
    assert explorer.plot.notice.text.get_visible()
    assert "press Train" in explorer.plot.notice.text.get_text()
    assert not np.array_equal(pixels(explorer), run_picture)  # the frame says so too
    explorer.controls["depth"].value = 2  # the run's own settings again
    assert explorer.status.value == done and not explorer.plot.notice.text.get_visible()
    np.testing.assert_array_equal(pixels(explorer), run_picture)
    explorer.controls["depth"].value = 3
    explorer.train()  # a new run: the figure is current again
    assert explorer.wait(timeout=120)
    assert not explorer.plot.notice.text.get_visible()
    assert explorer.status.value.startswith("done: 20/20 steps")
    explorer.close()


def test_before_any_run_a_changed_setting_is_no_news():
    explorer = sl.training_explorer(depth=2, width=8, steps=20)
    status = explorer.status.value
    explorer.controls["depth"].value = 3
    assert explorer.status.value == status and not explorer.plot.notice.text.get_visible()
    explorer.close()


def test_settings_the_run_refuses_at_train_send_the_controls_back_to_the_last_runs(monkeypatch):
    # A limit the run itself enforces (say, an estimate of its memory) is known only at Train.
    import shortcut_lib.widgets.training as training_module

    explorer = sl.training_explorer(depth=2, width=8, steps=20)
    first = explorer.settings
    explorer.controls["depth"].value = 7
    real = training_module.TrainingRun

    def refusing(settings):
        if settings.depth == 7:
            raise ValueError("depth=7 would need about 9 GB; lower depth")
        return real(settings)

    monkeypatch.setattr(training_module, "TrainingRun", refusing)
    explorer.train()
    assert not explorer.running and "depth=7 would need about 9 GB" in explorer.errors.text
    assert explorer.controls["depth"].value == first.depth == 2
    explorer.close()
