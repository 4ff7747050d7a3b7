"""What a learner does with an explorer, in any front end: move a control and go back, press a
key and time the frame, type a value the settings refuse, train and stop. Each function returns
a line for the summary or fails with what it saw."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from ._explorer import Explorer, Timing
from ._page import FramePage
from ._support import FAILURES, record_figure

TIMED_PRESSES = 12


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


def look_at(nb: FramePage, ex: Explorer) -> None:
    """Scroll the explorer into view and wait until its figure is quiet, as a person looks
    first."""
    ex.root.scroll_into_view_if_needed()
    nb.settle(since=0, need_draw=False, quiet_ms=500)


def exercise_gradient_explorer(nb: FramePage, ex: Explorer) -> list[str]:
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
    timing = time_key_presses(nb, ex)
    record_figure(timing.summary())
    done.append(f"timed {len(timing.first)} key presses")
    return done


def _click_toggle_and_back(nb: FramePage, ex: Explorer, name: str) -> str:
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


def time_key_presses(
    nb: FramePage, ex: Explorer, keys: tuple[str, str] = ("ArrowRight", "ArrowLeft")
) -> Timing:
    """Key press (``keys``, up and down) on the depth slider to the new frame: at depth 100 and
    width 64 where the sliders reach them (the MLP explorers), else at the explorer's own
    depth."""
    where = []
    for description, value in (("depth", 100), ("width", 64)):
        if not ex.has(".widget-slider", description) or (
            description == "width" and not ex.has(".widget-dropdown", "activation")
        ):  # the GPT explorer's width is another quantity: left as the notebook set it
            continue
        handle = ex.slider(description).locator(".noUi-handle[role='slider']")
        value = min(value, int(float(handle.get_attribute("aria-valuemax"))))
        if ex.slider_value(description) != value:
            t = nb.now()
            ex.type_slider_value(description, value)
            nb.settle(t)
        assert ex.slider_value(description) == value
    handle = ex.slider("depth").locator(".noUi-handle[role='slider']")
    at_top = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    keys = keys[::-1] if at_top else keys
    for description in ("depth", "width"):
        if ex.has(".widget-slider", description):
            where.append(f"{description} {ex.slider_value(description):.0f}")
    timing = Timing(nb.name, ", ".join([*where, f"{keys[0]}/{keys[1]}"]))
    handle.focus()
    for i in range(TIMED_PRESSES):
        # Alternate, so the depth stays within one of where it was; each press fully drawn.
        nb.page.keyboard.press(keys[i % 2])
        pressed = nb.page.evaluate("() => window.__keys[window.__keys.length - 1]")
        draws = nb.settle(pressed, quiet_ms=300)
        timing.first.append(draws[0] - pressed)
        timing.settled.append(draws[-1] - pressed)
    return timing


# Words of an explorer's error broken across two lines (each word's box, on one line or two).
BROKEN_WORDS_JS = """
root => {
  const area = root.querySelector('.sl-error');
  if (!area) return null;
  const broken = [], lines = new Set();
  const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g;
    for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      if (new Set(rects.map(r => Math.round(r.top))).size > 1) broken.push(m[0]);
      rects.forEach(r => lines.add(Math.round(r.top)));
    }
  }
  return {broken, lines: lines.size, text: area.innerText,
          overflow: area.scrollWidth > area.clientWidth + 1};
}
"""


def refuse_a_setting(
    nb: FramePage, ex: Explorer, name: str, value: str, undo=None, while_shown=None, wraps=False
) -> str:
    """Set ``name`` to ``value``, which the settings refuse: the explorer names it in its own
    area, in whole words, and the control goes back to the value the figure shows. Then
    ``while_shown()`` (say, an accessibility scan) runs, and ``undo()`` (default: another good
    value typed in and the first typed back) makes a good update that clears the error.
    ``wraps``: the message is long enough to take two lines or more (so that a word could be
    broken)."""
    dropdown = ex.has(".widget-dropdown", name)
    field = ex.dropdown(name) if dropdown else ex.text_box(name)
    before, picture = field.input_value(), ex.pictures()
    nb.expect_errors = True
    try:
        t = nb.now()
        if dropdown:
            field.select_option(label=value)
        else:
            field.fill(value)
            field.press("Enter")
        deadline = time.monotonic() + 30
        while (said := ex.root.evaluate(BROKEN_WORDS_JS)) is None or field.input_value() != before:
            assert time.monotonic() < deadline, f"{name}={value}: no error, or the box stayed"
            time.sleep(0.05)
        nb.settle(t, need_draw=False)
        assert ex.pictures() == picture, f"{name}={value} changed the figure"
        if wraps and said["lines"] < 2:  # a wide page: narrow it until the message wraps
            said = _on_a_narrow_page(nb, ex)
        assert not said["broken"], f"words broken across lines: {said['broken']}"
        assert not said["overflow"], f"the error runs out of its area: {said}"
        assert said["lines"] >= 2 or not wraps, f"the error fits one line: nothing broke ({said})"
        extra = [while_shown()] if while_shown else []
        t = nb.now()
        if undo is not None:
            undo()
        else:
            for typed in (str(int(before) + 1), before):
                field.fill(typed)
                field.press("Enter")
                nb.settle(t)
                t = nb.now()
        nb.settle(t, need_draw=False)
    finally:
        nb.expect_errors = False
    nb.settle(nb.now(), need_draw=False)  # and no error is left
    lines = said["lines"]
    return ", ".join(
        [f"{name}={value} refused in {lines} lines of whole words, {name} back to {before}", *extra]
    )


def _on_a_narrow_page(nb: FramePage, ex: Explorer) -> dict:
    viewport = nb.page.viewport_size
    nb.page.set_viewport_size({"width": 760, "height": viewport["height"]})
    try:
        nb.page.wait_for_timeout(300)  # one layout pass
        return ex.root.evaluate(BROKEN_WORDS_JS)
    finally:
        nb.page.set_viewport_size(viewport)
        nb.page.wait_for_timeout(300)


# -- the training explorer (notebook 04) ------------------------------------------------------


def exercise_training_explorer(nb: FramePage, ex: Explorer) -> list[str]:
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
    stale = _change_after_the_run(nb, ex, still)
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
    return ["Train clicked, plots live", "Stop clicked, stopped early", stale]


def _change_after_the_run(nb: FramePage, ex: Explorer, still: tuple[str, ...]) -> str:
    """A setting changed after a run: the figure and the status say that it shows the last run;
    set back, they show the run plainly again."""
    status = ex.root.locator(".widget-label").filter(has_text=re.compile(r"^(stopped|done):"))
    said = status.inner_text()
    box = ex.text_box("seed")
    seed = box.input_value()
    t = nb.now()
    box.fill(str(int(seed) + 1))
    box.press("Enter")
    nb.settle(t)
    assert ex.pictures() != still, "the figure looks the same after a setting changed"
    assert "settings changed: press Train" in ex.readout_text()
    t = nb.now()
    box.fill(seed)
    box.press("Enter")
    nb.settle(t)
    assert ex.pictures() == still and said in ex.readout_text(), "the run is not shown plainly"
    return "a changed setting marks the figure as the last run's"
