"""Every explorer, alone on its page (notebooks/instructor/), in each front end a learner or an
instructor opens: JupyterLab in its dark theme, Notebook 7 and Voilà, each started by the test as
its own server (``jupyter lab``, ``jupyter notebook``, ``voila``). JupyterLab's light theme runs
every notebook in full (test_notebooks_in_lab.py).

In each: every explorer renders (its frame a core Image of the figure's size), a key press on
depth brings a new frame and going back brings back the first, a setting the settings refuse is
named in whole words while its control goes back, Train then Stop work, and a setting changed
after a run marks the figure as the last run's. In the dark theme, axe-core scans each explorer
with an error showing; in Voilà each page fits 1280x720 at 100% zoom without scrolling.

    python -m pytest tests/browser/test_front_ends.py -rA
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from . import _operate as operate
from . import _views as views
from ._explorer import Explorer
from ._page import INIT_SCRIPT, Notebook, VoilaPage
from ._support import ARTIFACTS, ROOT, record_figure, skip_or_fail

pytestmark = pytest.mark.browser

PAGES = ROOT / "notebooks"
EXPLORERS = {  # each explorer's page, and what kind of explorer it holds
    "instructor/gradient_explorer.ipynb": "gradient",
    "instructor/transformer_explorer.ipynb": "gradient",
    "instructor/training_explorer.ipynb": "training",
    "instructor/transformer_training_explorer.ipynb": "training",
}
FRONT_ENDS = {  # name: (server, JupyterLab theme, viewport)
    "lab-dark": ("lab", "dark", (1280, 800)),
    "notebook7": ("notebook", "light", (1280, 800)),
    "voila": ("voila", "light", (1280, 720)),  # a projector
}
# The keys pressed on a focused slider. Notebook 7 handles shortcuts before the page does: with
# a slider focused in command mode, the arrow keys move between cells; a slider's own PageUp and
# PageDown (five steps) reach it.
KEYS = {"notebook7": ("PageUp", "PageDown")}
ARROWS = ("ArrowRight", "ArrowLeft")
# A setting each explorer's settings refuse, as learners typed them: a negative seed into the
# MLP's box; 16 heads at width 8 in the GPT stack (a message of two lines or more).
REFUSED = {
    "instructor/gradient_explorer.ipynb": ("seed", "-5", None, False),
    "instructor/transformer_explorer.ipynb": ("heads", "16", ("width", 8), True),
}


@pytest.mark.parametrize("front", FRONT_ENDS)
def test_every_explorer_in(front, request):
    missing = [p for p in EXPLORERS if not (PAGES / p).is_file()]
    if missing:
        skip_or_fail(f"pages missing: {missing}")
    lab_factory, browser = (
        request.getfixturevalue("lab_factory"),
        request.getfixturevalue("browser"),
    )
    kind, theme, size = FRONT_ENDS[front]
    t0 = time.monotonic()
    server = lab_factory(PAGES, front_end=kind, theme=theme)
    lines = [f"server {time.monotonic() - t0:.1f} s"]
    for i, (path, explorer) in enumerate(EXPLORERS.items()):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        context.add_init_script(INIT_SCRIPT)
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            lines.append(_one_page(front, page, server, path, explorer, f"w{i}"))
        except Exception:
            page.screenshot(path=_artifact(front, path, "failure"))
            raise
        finally:
            context.close()
    record_figure(f"{front}: " + "; ".join(lines))


def _one_page(front: str, page, server, path: str, explorer: str, workspace: str) -> str:
    kind, theme, size = FRONT_ENDS[front]
    t0 = time.monotonic()
    if kind == "voila":
        nb = VoilaPage(page, path)
        nb.open(server.url, server.token)
        root = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.sl-frame"))
    else:
        nb = Notebook(page, path, front_end=kind)
        nb.open(server.url, server.token, workspace=workspace)
        nb.run_all()
        root = nb.outputs_with(page.locator("img.sl-frame"))
    nb.assert_widgets_rendered()
    assert root.count() == 1, f"{front} {path}: {root.count()} explorers on the page"
    ex = Explorer(nb, root.first)
    nb.settle(since=0, need_draw=False)
    done = [f"{Path(path).stem} ready in {time.monotonic() - t0:.1f} s"]
    done.append(_assert_frame_is_the_figure(ex))
    if theme == "dark":
        dark = page.evaluate("() => document.body.dataset.jpThemeLight")
        assert dark == "false", f"JupyterLab's theme is not dark: {dark!r}"
    if kind == "voila":
        done.append(_assert_fits(nb, ex, path, size))
    if explorer == "gradient":
        keys = KEYS.get(front, ARROWS)
        done.append(_key_press_and_back(nb, ex, keys))
        done.append(_refuse(nb, ex, path, accessible=theme == "dark"))
        if path.endswith("/gradient_explorer.ipynb"):
            timing = operate.time_key_presses(nb, ex, keys)
            record_figure(f"{front}: {timing.summary()}")
    else:
        done += operate.exercise_training_explorer(nb, ex)
        if theme == "dark":
            done.append(views.assert_accessible(nb, ex, Path(path).stem, readout=False))
    ex.root.screenshot(path=_artifact(front, path))
    return ", ".join(done)


def _artifact(front: str, path: str, suffix: str = "") -> Path:
    folder = ARTIFACTS / "front-ends"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{front}-{Path(path).stem}{'-' + suffix if suffix else ''}.png"


def _assert_frame_is_the_figure(ex: Explorer) -> str:
    """The frame is a core Image holding a whole picture of the figure's size (800 px wide)."""
    size = ex.frame().evaluate("i => [i.naturalWidth, i.naturalHeight, i.complete]")
    assert size[0] == 800 and size[1] >= 300 and size[2], f"frame {size}"
    assert ex.root.locator(".widget-image img.sl-frame, img.widget-image.sl-frame").count() == 1
    return f"frame {size[0]}x{size[1]}"


def _key_press_and_back(nb, ex: Explorer, keys: tuple[str, str]) -> str:
    handle = ex.slider("depth").locator(".noUi-handle[role='slider']")
    at_top = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    there, back = keys[::-1] if at_top else keys
    return operate._change_and_back(
        nb, ex, f"depth: {there}, and {back}",
        lambda: ex.press_on_slider("depth", there),
        lambda: ex.press_on_slider("depth", back),
        lambda: ex.slider_value("depth"), "depth",
    )  # fmt: skip


def _refuse(nb, ex: Explorer, path: str, accessible: bool) -> str:
    name, value, first, wraps = REFUSED[path]
    undo = None
    if first is not None:  # a setting that makes the value impossible, set back afterwards
        slider, to = first
        start = int(ex.slider_value(slider))
        t = nb.now()
        ex.type_slider_value(slider, to)
        nb.settle(t)

        def undo():
            ex.type_slider_value(slider, start)

    def scan():
        return views.assert_accessible(nb, ex, Path(path).stem, readout=True)

    return operate.refuse_a_setting(
        nb, ex, name, value, undo=undo, while_shown=accessible and scan, wraps=wraps
    )


def _assert_fits(nb: VoilaPage, ex: Explorer, path: str, size: tuple[int, int]) -> str:
    """At 100% zoom the page needs no scrolling, and every control and the figure are in view."""
    page = nb.page
    extent = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]"
    )
    assert extent[0] <= size[0] and extent[1] <= size[1], f"{path}: page {extent} in {size}"
    boxes = ex.root.evaluate(views.BOXES_JS)
    outside = [
        part["name"] or "control"
        for part in [*boxes["controls"], {"name": "figure", "box": boxes["figure"]}]
        if part["box"][2] > size[0] + 1 or part["box"][3] > size[1] + 1
    ]
    assert not outside, f"{path}: out of view at {size[0]}x{size[1]}: {outside}"
    shot = ARTIFACTS / f"voila-{Path(path).stem}-{size[0]}x{size[1]}.png"
    page.screenshot(path=shot)
    return f"fits {size[0]}x{size[1]} ({shot.name})"
