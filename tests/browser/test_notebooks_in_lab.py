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
import time
from pathlib import Path

import pytest

from . import _learn as learn
from . import _operate as operate
from . import _views as views
from ._explorer import Explorer
from ._page import Notebook, label
from ._support import ARTIFACTS, ROOT, record_figure, skip_or_fail

pytestmark = pytest.mark.browser

NOTEBOOKS_DIR = Path(os.environ.get("SHORTCUT_NOTEBOOKS_DIR", ROOT / "notebooks"))


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
    assert page.locator("img.sl-frame").count() > 0, "no explorer frame on the page"
    assert page.locator(".widget-slider").count() > 0, "no slider rendered as a slider"
    nb.settle(since=0, need_draw=False)
    screenshot_notebook(page, ARTIFACTS / f"{Path(name).stem}.png")

    exercised, explorers = [], []
    if "gradient" in kinds:
        depth_slider = page.locator(".widget-slider").filter(
            has=page.locator("label.widget-label", has_text=label("depth"))
        )
        roots = nb.outputs_with(page.locator("img.sl-frame")).filter(has=depth_slider)
        assert roots.count() >= 1, "no gradient explorer on the page"
        explorers.append(roots.first)
        which = f"explorer{len(explorers) - 1}"
        ex = Explorer(nb, roots.first)
        seen += look_as_a_learner(nb, ex, which, readout=True)
        exercised += operate.exercise_gradient_explorer(nb, ex)
        exercised.append(views.assert_state_readout_and_figure_agree(nb, ex))
        if ex.has(".widget-text", "seed"):
            exercised.append(operate.refuse_a_setting(nb, ex, "seed", "-5"))
    if "training" in kinds:
        train = page.locator("button.jupyter-button", has_text=label("Train"))
        roots = nb.outputs_with(page.locator("img.sl-frame")).filter(has=train)
        assert roots.count() >= 1, "no training explorer on the page"
        explorers.append(roots.first)
        which = f"explorer{len(explorers) - 1}"
        ex = Explorer(nb, roots.first)
        # The cell trained before showing the explorer: its picture (and the still picture
        # committed with the notebook) is a finished run, not empty axes.
        assert "done:" in ex.readout_text(), f"no finished run: {ex.readout_text()[:200]!r}"
        seen += look_as_a_learner(nb, ex, which, readout=False)
        exercised += operate.exercise_training_explorer(nb, ex)
    assert exercised, f"{name} calls an explorer this test does not know how to operate"
    if name in LEARN_BY_DOING:
        todo = LEARN_BY_DOING[name]
        exercised.append(learn.answer_choice_question(nb, todo["choice"]))
        exercised.append(learn.answer_number_question(nb, *todo["number"]))
        exercised.append(learn.solve_exercise(nb, todo["exercise"]))
    for i, root in enumerate(explorers):
        root.screenshot(path=ARTIFACTS / f"{Path(name).stem}-explorer{i}-after.png")
    nb.assert_no_errors()  # including errors an explorer names in its own area
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
    seen.append(views.assert_words_fit(nb, ex, which))
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
