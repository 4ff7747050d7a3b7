"""Every widget notebook, run and operated in JupyterLab in a real Chromium.

What CI, nbval and GitHub cannot see: that the widgets render as widgets in the front end, that
moving a control redraws the figure, and that going back gives back the same figure; that a
question reads as text before the notebook runs and, once it runs, answers a learner's pick or
number with its verdict and reason; and that an exercise's check, run from its cell, says "not
yet" to the starter and "correct" to a solution typed into it. Each notebook
gets a fresh server (a shared one restores the previous notebook's tab, and Run All would run it).

    python -m pytest tests/browser -rA          # needs /usr/bin/chromium and playwright

The widget notebooks are listed in WIDGET_NOTEBOOKS below. SHORTCUT_NOTEBOOKS_DIR points the tests
at another folder holding notebooks of the same names (to develop the harness).
Figures (key press to new plot, run times) go to the terminal summary and artifacts/.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import pytest

from . import _learn as learn
from . import _views as views
from ._page import Explorer, Notebook, Timing, label
from ._support import ARTIFACTS, FAILURES, ROOT, record_figure, skip_or_fail

pytestmark = pytest.mark.browser

NOTEBOOKS_DIR = Path(os.environ.get("SHORTCUT_NOTEBOOKS_DIR", ROOT / "notebooks"))
TIMED_PRESSES = 12


# Every notebook with widgets, and the kinds of explorer it shows. A new widget notebook is added
# here; one listed but missing fails (in CI) rather than silently testing less.
WIDGET_NOTEBOOKS = {
    "02_activation_functions.ipynb": ("gradient",),
    "03_shortcut_connections.ipynb": ("gradient",),
    "04_training_dynamics.ipynb": ("training",),
    "05_transformer_block.ipynb": ("gradient", "training"),
}

# Where a learner answers a question of each kind and solves an exercise from its starter cell.
# The other notebooks' quizzes and checks are the same widget and the same function: nbval runs
# every one of them, and every notebook's quizzes are checked to read as text before running.
LEARN_BY_DOING = {
    "03_shortcut_connections.ipynb": {"choice": "03.a", "number": ("03.d", "3", "9"),
                                      "exercise": "03.1"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(WIDGET_NOTEBOOKS))
def test_notebook_in_lab(name, request):
    if not (NOTEBOOKS_DIR / name).is_file():
        skip_or_fail(f"{name} is not in {NOTEBOOKS_DIR}")
    # Requested here, after the check above, so that nothing starts for a skipped test.
    lab_factory, page = request.getfixturevalue("lab_factory"), request.getfixturevalue("page")
    kinds = WIDGET_NOTEBOOKS[name]
    t0 = time.monotonic()
    server = lab_factory(NOTEBOOKS_DIR)
    t_server = time.monotonic() - t0
    nb = Notebook(page, name)
    nb.open(server.url, server.token)
    t_open = time.monotonic() - t0 - t_server
    page.set_viewport_size({"width": views.SIZES[0][0], "height": views.SIZES[0][1]})
    views.ensure_file_browser(nb)
    seen = [views.assert_stills_before_running(nb, expected=len(kinds))]
    seen.append(learn.assert_quizzes_readable_before_running(nb, NOTEBOOKS_DIR / name))
    t_run = nb.run_all()

    nb.assert_no_errors()
    nb.assert_widgets_rendered()
    assert page.locator(".jupyter-matplotlib canvas").count() > 0, "no ipympl figure on the page"
    assert page.locator(".widget-slider").count() > 0, "no slider rendered as a slider"
    nb.settle(since=0, need_draw=False)
    screenshot_notebook(page, ARTIFACTS / f"{Path(name).stem}.png")

    exercised, explorers = [], []
    if "gradient" in kinds:
        depth_slider = page.locator(".widget-slider").filter(
            has=page.locator("label.widget-label", has_text=label("depth"))
        )
        roots = nb.outputs_with(page.locator(".jupyter-matplotlib")).filter(has=depth_slider)
        assert roots.count() >= 1, "no gradient explorer on the page"
        explorers.append(roots.first)
        which = f"explorer{len(explorers) - 1}"
        seen += look_as_a_learner(nb, Explorer(nb, roots.first), which, readout=True)
        exercised += exercise_gradient_explorer(nb, Explorer(nb, roots.first))
        exercised.append(views.assert_state_readout_and_figure_agree(nb, Explorer(nb, roots.first)))
    if "training" in kinds:
        train = page.locator("button.jupyter-button", has_text=label("Train"))
        roots = nb.outputs_with(page.locator(".jupyter-matplotlib")).filter(has=train)
        assert roots.count() >= 1, "no training explorer on the page"
        explorers.append(roots.first)
        which = f"explorer{len(explorers) - 1}"
        seen += look_as_a_learner(nb, Explorer(nb, roots.first), which, readout=False)
        exercised += exercise_training_explorer(nb, Explorer(nb, roots.first))
    assert exercised, f"{name} calls an explorer this test does not know how to operate"
    if name in LEARN_BY_DOING:
        todo = LEARN_BY_DOING[name]
        exercised.append(learn.answer_choice_question(nb, todo["choice"]))
        exercised.append(learn.answer_number_question(nb, *todo["number"]))
        exercised.append(learn.solve_exercise(nb, todo["exercise"]))
    for i, root in enumerate(explorers):
        root.screenshot(path=ARTIFACTS / f"{Path(name).stem}-explorer{i}-after.png")
    nb.assert_no_errors()  # including errors that callbacks wrote into Output widgets
    peaks = ", ".join(f"{mb:.0f} MB" for mb in server.kernel_peak_mb())
    record_figure(
        f"{name}: server {t_server:.1f} s, page to idle kernel {t_open:.1f} s, "
        f"Run All {t_run:.1f} s, whole test {time.monotonic() - t0:.1f} s; "
        f"kernel peak memory {peaks}; "
        f"exercised: {', '.join(exercised)}; seen: {', '.join(seen)}"
    )


def look_as_a_learner(nb: Notebook, ex: Explorer, which: str, readout: bool) -> list[str]:
    """On one screen at 1280x800, beside its figure at 1920x1080 (screenshots of both), and
    accessible; the viewport is left at 1280x800."""
    seen = [views.assert_on_one_screen(nb, ex, which, views.SIZES[0])]
    seen.append(views.assert_figure_beside_controls(nb, ex, which))
    views.boxes_at(nb, ex, views.SIZES[0])
    seen.append(views.assert_accessible(nb, ex, which, readout))
    return seen


def screenshot_notebook(page, path: Path) -> None:
    """The whole notebook in one picture: grow the viewport to the notebook's height."""
    path.parent.mkdir(exist_ok=True)
    height = page.evaluate(
        """() => {
          const nb = window.jupyterapp.shell.currentWidget.content.node;
          const scroller = nb.querySelector('.jp-WindowedPanel-outer') || nb;
          scroller.scrollTop = 0;
          const cells = nb.querySelectorAll('.jp-Cell');
          const bottom = cells[cells.length - 1].getBoundingClientRect().bottom;
          // The page below the notebook (status bar) keeps its height when the viewport grows.
          return bottom + (window.innerHeight - scroller.getBoundingClientRect().bottom) + 20;
        }"""
    )
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": min(20_000, round(height))})
    try:
        page.wait_for_timeout(300)  # one layout pass
        page.screenshot(path=path)
    finally:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)


# -- the gradient explorer (notebooks 02, 03) -------------------------------------------------


def _change_and_back(nb, ex, what: str, change, back, value=None, setting=None) -> str:
    """Make a change, check the picture changed; undo it, check the first picture is back.

    With ``setting`` (a slider's name), each picture is taken once the explorer's state line
    shows the slider's value: the kernel computed and drew that very setting. An update runs
    after the message that asked for it, when the kernel already reads idle, so a quiet moment
    alone can come before a slow update (48 blocks at a large width) has drawn."""
    first, first_value = ex.pictures(), value() if value else None
    assert first, f"{what}: the explorer shows no figure"
    t = nb.now()
    change()
    nb.settle(t)
    _wait_for_state(nb, ex, setting, value)
    changed = ex.pictures()
    if value:
        assert value() != first_value, f"{what}: the control's value did not change"
    assert changed != first, f"{what}: the figure did not change"
    changed_value = value() if value else None
    t = nb.now()
    back()
    nb.settle(t)
    _wait_for_state(nb, ex, setting, value)
    if value:
        assert value() == first_value, (
            f"{what}: the control did not return to {first_value}: it went {first_value} -> "
            f"{changed_value} -> {value()} (a value sent back by the kernel can make it jump)"
        )
    back_again = ex.pictures()
    if back_again != first:
        slug = re.sub(r"\W+", "-", what).strip("-")
        stem = FAILURES / f"{Path(nb.name).stem}-{slug}"
        saved = ex.save_pictures(first, stem.with_name(stem.name + "-first"))
        saved += ex.save_pictures(back_again, stem.with_name(stem.name + "-back"))
        raise AssertionError(
            f"{what}: going back did not give back the first figure; {pixel_difference(saved)}"
        )
    return what


def _wait_for_state(nb, ex, setting, value, timeout: float = 30) -> None:
    """Wait until the state line reads ``setting=<the slider's value>``, then for quiet."""
    if setting is None:
        return
    number = value()
    shown = f"{int(number)}" if float(number).is_integer() else f"{number:g}"
    pattern = re.compile(rf"(^|\s){re.escape(setting)}={re.escape(shown)}(\s|$)")
    deadline = time.monotonic() + timeout
    while not pattern.search(text := ex.readout_text()):
        if time.monotonic() > deadline:
            raise AssertionError(f"the state line never read {setting}={shown}: {text[:300]!r}")
        time.sleep(0.05)
    nb.settle(nb.now(), need_draw=False)


def pixel_difference(paths: list[Path]) -> str:
    """How two saved pictures differ, for the failure message."""
    import numpy as np
    from PIL import Image  # matplotlib's own dependency

    first, back = (np.asarray(Image.open(p).convert("RGB"), dtype=int) for p in paths[:2])
    if first.shape != back.shape:
        return f"sizes {first.shape} and {back.shape}; saved {[str(p) for p in paths]}"
    diff = np.abs(first - back).max(axis=2)
    rows, cols = np.nonzero(diff)
    box = (
        tuple(int(v) for v in (cols.min(), rows.min(), cols.max(), rows.max()))
        if rows.size
        else None
    )
    return (
        f"{rows.size} of {diff.size} pixels differ (x0, y0, x1, y1 = {box}), max difference "
        f"{diff.max()}; saved {[str(p) for p in paths]}"
    )


def look_at(nb: Notebook, ex: Explorer) -> None:
    """Scroll the explorer into view and wait until its figure is quiet, as a person looks first.

    ipympl may draw again once a figure is on screen (its view sends its size), so the first
    picture is taken only then."""
    ex.root.scroll_into_view_if_needed()
    nb.settle(since=0, need_draw=False, quiet_ms=500)


def exercise_gradient_explorer(nb: Notebook, ex: Explorer) -> list[str]:
    look_at(nb, ex)
    done = []

    def depth():
        return ex.slider_value("depth")

    # Key presses on the focused depth handle; away from the end of its range.
    handle = ex.slider("depth").locator(".noUi-handle[role='slider']")
    up = float(handle.get_attribute("aria-valuenow")) < float(handle.get_attribute("aria-valuemax"))
    there, back = ("ArrowRight", "ArrowLeft") if up else ("ArrowLeft", "ArrowRight")
    done.append(
        _change_and_back(
            nb, ex, "depth: 3 key presses",
            lambda: ex.press_on_slider("depth", there, 3),
            lambda: ex.press_on_slider("depth", back, 3),
            depth, "depth",
        )
    )  # fmt: skip

    # A mouse drag of a slider handle (width; notebook 02 shows only depth), undone by typing
    # the old value into the slider's readout.
    dragged = "width" if ex.has(".widget-slider", "width") else "depth"
    handle = ex.slider(dragged).locator(".noUi-handle[role='slider']")
    lo, hi, v0 = (float(handle.get_attribute(a)) for a in
                  ("aria-valuemin", "aria-valuemax", "aria-valuenow"))  # fmt: skip
    dx = 60 if (v0 - lo) < (hi - lo) / 2 else -60
    done.append(
        _change_and_back(
            nb, ex, f"{dragged}: mouse drag {dx:+d} px, then typed back",
            lambda: ex.drag_slider(dragged, dx),
            lambda: ex.type_slider_value(dragged, int(v0)),
            lambda: ex.slider_value(dragged), dragged,
        )
    )  # fmt: skip

    # A dropdown choice, and a click on a toggle (notebook 05 sets its norm with a toggle).
    if ex.has(".widget-dropdown", "activation"):
        select = ex.dropdown("activation")
        first = select.input_value()
        other = next(v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)")
                     if v != first)  # fmt: skip
        done.append(
            _change_and_back(
                nb, ex, f"activation: {first} -> {other}",
                lambda: select.select_option(value=other),
                lambda: select.select_option(value=first),
                select.input_value,
            )
        )  # fmt: skip
    for toggle in ("shortcut", "norm"):
        if ex.has(".widget-toggle-buttons", toggle):
            done.append(_click_toggle_and_back(nb, ex, toggle))
    # Timed on the full MLP explorer (notebook 03): its depth reaches 100 and it has a width.
    if ex.has(".widget-dropdown", "activation") and ex.has(".widget-slider", "width"):
        timing = time_key_presses(nb, ex)
        record_figure(timing.summary())
        done.append(f"timed {len(timing.first)} key presses")
    return done


def _click_toggle_and_back(nb: Notebook, ex: Explorer, name: str) -> str:
    buttons = ex.toggle_buttons(name)
    active = buttons.and_(nb.page.locator(".mod-active"))
    first = active.inner_text().strip()
    other = buttons.filter(has_not_text=re.compile(rf"^\s*{re.escape(first)}\s*$")).first
    return _change_and_back(
        nb, ex, f"{name}: toggle clicked",
        lambda: other.click(),
        lambda: buttons.filter(has_text=re.compile(rf"^\s*{re.escape(first)}\s*$")).click(),
        lambda: active.inner_text().strip(),
    )  # fmt: skip


def time_key_presses(nb: Notebook, ex: Explorer) -> Timing:
    """Key press on the depth slider to the new picture, at depth 100 and width 64."""
    for description, value in (("depth", 100), ("width", 64)):
        handle = ex.slider(description).locator(".noUi-handle[role='slider']")
        value = min(value, int(float(handle.get_attribute("aria-valuemax"))))
        if ex.slider_value(description) != value:
            t = nb.now()
            ex.type_slider_value(description, value)
            nb.settle(t)
        assert ex.slider_value(description) == value
    timing = Timing(nb.name)
    handle = ex.slider("depth").locator(".noUi-handle[role='slider']")
    handle.focus()
    for i in range(TIMED_PRESSES):
        # Alternate, so the depth stays at 100 +- 1; one press at a time, each fully drawn.
        nb.page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        pressed = nb.page.evaluate("() => window.__keys[window.__keys.length - 1]")
        draws = nb.settle(pressed, quiet_ms=300)
        timing.first.append(draws[0] - pressed)
        timing.settled.append(draws[-1] - pressed)
    return timing


# -- the training explorer (notebook 04) ------------------------------------------------------


def exercise_training_explorer(nb: Notebook, ex: Explorer) -> list[str]:
    look_at(nb, ex)
    # A run long enough to be stopped before its end (notebook 05's default run takes seconds).
    handle = ex.slider("steps").locator(".noUi-handle[role='slider']")
    ex.type_slider_value("steps", int(float(handle.get_attribute("aria-valuemax"))))
    before = ex.pictures()
    clicked = nb.now()
    ex.button("Train").click()
    seen, deadline, statuses = {before}, time.monotonic() + 60, []
    while len(seen) < 4 and time.monotonic() < deadline:  # three changes of the live plots
        seen.add(ex.pictures())
        statuses.append(nb.state()["status"])
        time.sleep(0.1)
    assert len(seen) >= 4, f"the live plots changed {len(seen) - 1} times in 60 s of training"
    # The notebook says the kernel stays free while a run goes on: it must show idle meanwhile.
    idle = statuses.count("idle") / max(1, len(statuses))
    assert idle > 0, f"the kernel never showed idle during the run: {statuses}"
    stop = nb.now()
    ex.button("Stop").click()
    draws = nb.settle(clicked, quiet_ms=2000, timeout=60)
    after_stop = [d - stop for d in draws if d > stop]
    # Training was live when Stop was clicked, and the plots stopped within a few seconds.
    assert any(stop - d < 2000 for d in draws if d <= stop), "no redraw in the 2 s before Stop"
    assert not after_stop or after_stop[-1] < 5000, (
        f"{len(after_stop)} redraws after Stop, the last {after_stop[-1] / 1000:.1f} s after it"
    )
    still = ex.pictures()
    time.sleep(2)
    assert ex.pictures() == still, "the plots still change after Stop"
    # If the readout counts steps or epochs ("step 12/300"), Stop came before the end.
    readout = ex.readout_text()
    counted = re.search(r"(\d+)\s*/\s*(\d+)", readout)
    if counted:
        assert int(counted[1]) < int(counted[2]), f"training ran to the end: {readout!r}"
    intervals = [b - a for a, b in zip(draws, draws[1:], strict=False) if b <= stop] or [0.0]
    record_figure(
        f"{nb.name}: kernel idle in {idle:.0%} of {len(statuses)} looks during the run; "
        f"training redraws every {statistics.median(intervals):.0f} ms (median) "
        f"while training; last redraw {after_stop[-1] if after_stop else 0:.0f} ms after Stop; "
        f"readout after Stop: {' '.join(readout.split())[:120]!r}"
    )
    return ["Train clicked, plots live", "Stop clicked, stopped early"]
