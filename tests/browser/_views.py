"""What a learner sees of an explorer: before the kernel runs, on one screen, and with a screen
reader. Each check returns a line for the summary or fails with what it saw."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ._support import ARTIFACTS

if TYPE_CHECKING:
    from ._explorer import Explorer
    from ._page import Notebook

SIZES = ((1280, 800), (1920, 1080))  # a laptop, and a desktop monitor
AS_TEXT = re.compile(r"Explorer\(children=")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The explorers' cells in the notebook model, and what the page shows for each (unrun). An
# explorer's output is a widget view with a picture of it; a quiz's has its question as text.
STILLS_JS = """
mime => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return cells
    .filter(c => c.model.outputs.toJSON().some(
      o => o.data && o.data[mime] && o.data['image/png']))
    .map(c => {
      const area = c.node.querySelector('.jp-Cell-outputArea');
      const img = area && area.querySelector('.jp-OutputArea-output img');
      const box = img ? img.getBoundingClientRect() : null;
      return {
        text: area ? area.innerText : '',
        image: img ? [img.naturalWidth, img.naturalHeight, box.width, box.height] : null,
      };
    });
}
"""

# Boxes of an explorer's parts, in page pixels, and the notebook's visible area.
BOXES_JS = """
root => {
  // The notebook's visible area; a Voilà page has only the window.
  const current = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const panel = current && current.content ? current.content.node : document.documentElement;
  const view = panel.getBoundingClientRect();
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  // What is seen of a control: its label, field, buttons, track and readout, not the box
  // around them (a grid cell may be wider than what it holds).
  const parts = c => {
    const seen = Array.from(c.querySelectorAll(
      'label, select, input, button, .noUi-target, .widget-readout'))
      .filter(e => e.offsetParent !== null).map(box);
    if (!seen.length) return box(c);
    return [Math.min(...seen.map(b => b[0])), Math.min(...seen.map(b => b[1])),
            Math.max(...seen.map(b => b[2])), Math.max(...seen.map(b => b[3]))];
  };
  const controls = root.querySelectorAll(
    '.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-text, ' +
    '.widget-checkbox, button.jupyter-button');
  return {
    view: [view.left, view.top, view.right, view.bottom],
    figure: box(root.querySelector('img.sl-frame')),
    controls: Array.from(controls)
      .filter(c => c.offsetParent !== null)
      .map(c => ({
      name: (c.querySelector('label.widget-label') || c).innerText.trim().slice(0, 30),
      box: c.matches('button') ? box(c) : parts(c),
    })),
  };
}
"""


def assert_stills_before_running(nb: Notebook, expected: int) -> str:
    """Opened, not run (an untrusted notebook): each explorer is its picture, never its repr."""
    stills = nb.page.evaluate(STILLS_JS, _WIDGET_VIEW)
    assert len(stills) == expected, f"{nb.name}: {len(stills)} explorer outputs, not {expected}"
    for i, still in enumerate(stills):
        assert not AS_TEXT.search(still["text"]), (
            f"{nb.name}: explorer {i} shows as Python text before running: {still['text'][:120]!r}"
        )
        assert still["image"], f"{nb.name}: explorer {i} shows no picture before running"
        natural_w, natural_h, shown_w, shown_h = still["image"]
        assert natural_w >= 600 and shown_w >= 300 and shown_h > 100, (
            f"{nb.name}: explorer {i}'s picture is {natural_w}x{natural_h}, "
            f"shown {shown_w:.0f}x{shown_h:.0f}"
        )
    return f"{expected} explorer picture(s) before running"


def ensure_file_browser(nb: Notebook) -> None:
    """The left file browser open, as a learner who just opened the notebook from it has it."""
    browser = nb.page.locator("#filebrowser")
    if not browser.is_visible():
        nb.page.locator(".jp-SideBar [data-id='filebrowser']").click()
    assert browser.is_visible(), "the file browser did not open"


def boxes_at(nb: Notebook, ex: Explorer, size: tuple[int, int]) -> dict:
    """The explorer's parts at a viewport ``size``, its top scrolled to the notebook's top."""
    page = nb.page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(300)  # one layout pass
    ex.root.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    return ex.root.evaluate(BOXES_JS)


def assert_on_one_screen(nb: Notebook, ex: Explorer, which: str, size: tuple[int, int]) -> str:
    """Every control and the whole figure inside the notebook's visible area together."""
    boxes = boxes_at(nb, ex, size)
    left, top, right, bottom = boxes["view"]
    outside = [
        f"{part['name'] or 'control'} {tuple(round(v) for v in part['box'])}"
        for part in [*boxes["controls"], {"name": "figure", "box": boxes["figure"]}]
        if not (
            part["box"][0] >= left - 1
            and part["box"][1] >= top - 1
            and part["box"][2] <= right + 1
            and part["box"][3] <= bottom + 1
        )
    ]
    assert boxes["controls"], f"{nb.name} {which}: no control found"
    assert not outside, (
        f"{nb.name} {which} at {size[0]}x{size[1]}: outside the visible notebook area "
        f"{tuple(round(v) for v in boxes['view'])}: {outside}"
    )
    return screenshot(nb, which, size)


# Words a control shows that do not fit: a label cut off, a row of buttons wrapped onto a second
# row, a menu entry wider than its menu (any entry: a learner may pick each).
WORDS_FIT_JS = """
root => {
  const bad = [];
  const canvas = document.createElement('canvas').getContext('2d');
  for (const l of root.querySelectorAll('label.widget-label')) {
    if (l.offsetParent && l.scrollWidth > l.clientWidth + 1) bad.push(`label ${l.innerText} cut`);
  }
  for (const t of root.querySelectorAll('.widget-toggle-buttons')) {
    const tops = new Set(Array.from(t.querySelectorAll('button')).map(b => b.offsetTop));
    const name = t.querySelector('label').innerText;
    if (tops.size > 1) bad.push(`buttons of ${name} on ${tops.size} rows`);
  }
  for (const s of root.querySelectorAll('.widget-dropdown select')) {
    const cs = getComputedStyle(s);
    canvas.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    for (const o of s.options) {
      const w = canvas.measureText(o.text).width;
      if (w > room + 1) bad.push(`menu entry "${o.text}" ${w.toFixed(0)} px in ${room} px`);
    }
  }
  return bad;
}
"""


def assert_words_fit(nb: Notebook, ex: Explorer, which: str) -> str:
    """Every label, button row and menu entry of the explorer shows whole."""
    bad = ex.root.evaluate(WORDS_FIT_JS)
    assert not bad, f"{nb.name} {which}: {bad}"
    return "every label, button row and menu entry whole"


def assert_figure_beside_controls(nb: Notebook, ex: Explorer, which: str) -> str:
    """On a wide screen the figure sits beside the controls: the explorer uses the width."""
    boxes = boxes_at(nb, ex, SIZES[1])
    figure_left = boxes["figure"][0]
    # The controls beside the figure (the replay slider under it excepted).
    beside = [p for p in boxes["controls"] if p["box"][1] < boxes["figure"][3]]
    right = max(beside, key=lambda p: p["box"][2])
    assert figure_left >= right["box"][2] - 1, (
        f"{nb.name} {which} at 1920x1080: the figure starts at x={figure_left:.0f}, left of "
        f"{right['name']!r} ending at x={right['box'][2]:.0f}: it is not beside the controls"
    )
    return screenshot(nb, which, SIZES[1])


def screenshot(nb: Notebook, which: str, size: tuple[int, int]) -> str:
    path = ARTIFACTS / f"{Path(nb.name).stem}-{which}-{size[0]}x{size[1]}.png"
    path.parent.mkdir(exist_ok=True)
    nb.page.screenshot(path=path)
    return path.name


def axe_violations(nb: Notebook, ex: Explorer) -> list[dict]:
    """Serious and critical axe-core violations inside the explorer (axe bundled, no download)."""
    from axe_playwright_python.sync_playwright import Axe

    ex.root.evaluate("e => e.setAttribute('data-axe-scan', '')")
    try:
        results = Axe().run(nb.page, context="[data-axe-scan]")
    finally:
        ex.root.evaluate("e => e.removeAttribute('data-axe-scan')")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
            "html": [n["html"][:80] for n in v["nodes"]],
        }
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# ipywidgets 8.1 builds its sliders with noUiSlider and gives the handle (role="slider") no
# aria-label: no Python-side setting reaches it. Counted and printed, never silently passed: any
# other serious or critical violation fails, and so does this one on anything but a handle.
UPSTREAM_GAP = "aria-input-field-name"


def assert_accessible(nb: Notebook, ex: Explorer, which: str, readout: bool) -> str:
    """axe-core on the explorer's part of the page; its readout is text in a live region."""
    violations = axe_violations(nb, ex)
    upstream = [
        v for v in violations
        if v["id"] == UPSTREAM_GAP and all("noUi-handle" in h for h in v["html"])
    ]  # fmt: skip
    ours = [v for v in violations if v not in upstream]
    assert not ours, f"{nb.name} {which}: axe-core reports {ours}"
    if readout:
        status = ex.root.get_by_role("status")
        assert status.count() == 1, f"{nb.name} {which}: the readout is not one live region"
        text = status.inner_text()
        assert "backward" in text or "||dL/dh||" in text, f"readout text: {text[:120]!r}"
    handles = sum(len(v["targets"]) for v in upstream)
    return (
        f"axe: no serious/critical violation of ours; {handles} slider handle(s) unnamed upstream"
    )


def assert_state_readout_and_figure_agree(nb: Notebook, ex: Explorer) -> str:
    """After a key press on depth: the slider's readout and the state line name the new depth,
    and loading that very state line elsewhere gives back that figure and readout."""
    handle = ex.slider("depth").locator(".noUi-handle[role='slider']")
    low, value = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuenow"))
    there, back = ("ArrowLeft", "ArrowRight") if value - low >= 3 else ("ArrowRight", "ArrowLeft")
    t = nb.now()
    ex.press_on_slider("depth", there)
    nb.settle(t)
    depth = int(ex.slider_value("depth"))
    shown = ex.slider("depth").locator(".widget-readout").inner_text().strip()
    state = ex.root.locator(".widget-html-content code").first.inner_text().strip()
    assert shown == str(depth), f"slider readout {shown!r}, slider value {depth}"
    assert re.search(rf"(^|\s)depth={depth}(\s|$)", state), f"state line {state!r}, depth {depth}"
    picture, verdicts = ex.pictures(), ex.root.get_by_role("status").inner_text()
    t = nb.now()
    ex.press_on_slider("depth", back, 2)  # away, to another figure
    nb.settle(t)
    assert ex.pictures() != picture
    box = (
        ex.root.locator(".widget-text")
        .filter(has=nb.page.locator("label.widget-label", has_text=re.compile(r"load state")))
        .locator("input")
    )
    t = nb.now()
    box.fill(state)
    box.press("Enter")
    nb.settle(t)
    assert int(ex.slider_value("depth")) == depth, "loading the state line moved depth elsewhere"
    assert ex.pictures() == picture, "the state line's own settings draw another figure"
    assert ex.root.get_by_role("status").inner_text() == verdicts, "and another readout"
    return f"key press: depth {depth} in readout, state line and figure"
