"""Driving a notebook in JupyterLab as a person would, with waits borrowed from Galata.

Pictures are read from the figure's <canvas> (`toDataURL`), so two pictures compare exactly.
Redraws are timed in the page: an init script wraps `drawImage`, which ipympl calls each time a
new image of the figure reaches a canvas in the notebook.
"""

from __future__ import annotations

import base64
import hashlib
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright may be missing: the tests then skip, they must still import
    from playwright.sync_api import Locator, Page

INIT_SCRIPT = """
(() => {
  window.__draws = [];
  window.__keys = [];
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    const c = this.canvas;
    if (c && c.isConnected && c.closest && c.closest('.jupyter-matplotlib')) {
      window.__draws.push(performance.now());
    }
    return drawImage.apply(this, args);
  };
  document.addEventListener('keydown', () => window.__keys.push(performance.now()), true);
})();
"""

# What the notebook and its kernel are doing, read from the application JupyterLab exposes.
STATE_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.widgets) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const errors = [], stderr = [], widgetStderr = [];
  const stderrMime = "[data-mime-type='application/vnd.jupyter.stderr']";
  const inWidget = '.widget-output .jp-OutputArea-output' + stderrMime;
  for (const cell of cells) {
    // A cell tagged raises-exception shows an error on purpose (nbval and JupyterLab agree).
    const tags = (cell.model.getMetadata && cell.model.getMetadata('tags')) || [];
    if (tags.includes('raises-exception')) continue;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
    // Errors inside widget callbacks land in Output widgets, which the notebook model does not
    // hold: read what the page shows.
    for (const e of cell.node.querySelectorAll('.jp-OutputArea-output' + stderrMime)) {
      stderr.push(e.innerText);
    }
    for (const e of cell.node.querySelectorAll(inWidget)) {
      widgetStderr.push(e.innerText);
    }
  }
  return {
    path: panel.context.path,
    stderr,
    widgetStderr,
    status: kernel ? kernel.status : 'none',
    // A collapsed input (a worked solution) shows no prompt: its execution count says it ran.
    prompts: cells.map(c => {
      if (c.inputHidden) return c.model.executionCount ? `[${c.model.executionCount}]:` : '';
      const p = c.node.querySelector('.jp-InputArea-prompt');
      return p ? p.textContent.trim() : '';
    }),
    counts: cells.map(c => c.model.executionCount),
    errors,
    now: performance.now(),
    lastDraw: window.__draws.length ? window.__draws[window.__draws.length - 1] : -1,
    draws: window.__draws.length,
  };
}
"""

# Text that means a widget was shown as its Python repr or failed to render.
WIDGET_AS_TEXT = re.compile(
    r"\b(IntSlider|FloatSlider|Dropdown|ToggleButtons|BoundedIntText|VBox|HBox|Button|Canvas|"
    r"Output|HTML)\(|Error displaying widget|model not found|Loading widget\.\.\."
)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b\w*Error\b|\bException\b")


def label(description: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(description)}\s*:?\s*$", re.IGNORECASE)


@dataclass
class Timing:
    """Key press to the next picture on the canvas, in milliseconds."""

    notebook: str
    first: list[float] = field(default_factory=list)  # to the first new image on the canvas
    settled: list[float] = field(default_factory=list)  # to the last image of that update

    def summary(self) -> str:
        def stats(xs):
            xs = sorted(xs)
            p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
            return f"median {statistics.median(xs):.0f} ms, p95 {p95:.0f} ms"

        return (
            f"{self.notebook}: key press on depth (depth 100, width 64) to new plot over "
            f"{len(self.first)} presses: {stats(self.first)}; to the last image of the update: "
            f"{stats(self.settled)}"
        )


class Notebook:
    """One notebook open in JupyterLab."""

    def __init__(self, page: Page, name: str):
        self.page = page
        self.name = name

    # -- opening and running ----------------------------------------------------------------
    def open(self, base_url: str, token: str, timeout: float = 60_000) -> None:
        page = self.page
        page.goto(f"{base_url}/lab/tree/{self.name}?token={token}")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.started", timeout=timeout
        )
        page.wait_for_function(
            "() => window.jupyterapp.restored && !document.querySelector('#jupyterlab-splash')",
            timeout=timeout,
        )
        page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=self.name).first.click()
        ready = "name => { const s = (" + STATE_JS + ")(); return s && s.path === name"
        page.wait_for_function(ready + " && s.status === 'idle'; }", arg=self.name, timeout=timeout)

    def state(self) -> dict:
        return self.page.evaluate(STATE_JS)

    def menu(self, menu: str, command: str) -> None:
        """Open a main-menu menu and click the item running `command` (its data-command)."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=label(menu)).click()
        self.page.locator(f".lm-Menu-item[data-command='{command}']").click()

    def run_all(self, timeout: float = 240, *, again: bool = False) -> float:
        """Clear all outputs, Run All, wait until every cell ran; returns the seconds it took.

        Clearing first makes "every prompt numbered" mean this run: committed notebooks carry
        numbered prompts already. ``again``: a second Run All in the same kernel, whose
        execution counts go on from the first's."""
        self.menu("Edit", "editmenu:clear-all")
        self._wait(lambda s: all(c is None for c in s["counts"]), 30, "clearing outputs")
        start = time.monotonic()
        self.menu("Run", "runmenu:run-all")
        state = self._wait(
            lambda s: s["status"] == "idle"
            and all(c is not None for c in s["counts"])
            and all(re.fullmatch(r"\[\d+\]:", p) for p in s["prompts"]),
            timeout, "Run All",
        )  # fmt: skip
        n, first = len(state["counts"]), state["counts"][0] if again else 1
        assert state["counts"] == list(range(first, first + n)), (
            f"execution counts {state['counts']}"
        )
        return time.monotonic() - start

    def _wait(self, done, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            self._check_errors(state, what)  # Run All stops at the first error: fail at once
            if done(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {what} not done after {timeout} s: {state}")
            time.sleep(0.1)

    # -- checks on what a person sees ---------------------------------------------------------
    def output_texts(self) -> list[str]:
        return self.page.locator(".jp-OutputArea-output").all_inner_texts()

    def assert_no_errors(self) -> None:
        self._check_errors(self.state(), "the run")

    def _check_errors(self, state: dict, what: str) -> None:
        assert not state["errors"], f"{self.name}: error output during {what}: {state['errors']}"
        # Top-level stderr may hold a harmless warning; an Output widget inside a widget shows
        # stderr only when a callback failed (explorers write their errors there).
        bad = [t for t in state["stderr"] if TRACEBACK.search(t)] + state["widgetStderr"]
        assert not bad, f"{self.name}: error shown during {what}:\n" + "\n---\n".join(bad)

    def assert_widgets_rendered(self) -> None:
        as_text = [t[:200] for t in self.output_texts() if WIDGET_AS_TEXT.search(t)]
        assert not as_text, f"{self.name}: widgets shown as text (front-end extension?): {as_text}"

    def outputs_with(self, inner: Locator) -> Locator:
        """Top-level cell outputs (not outputs nested in Output widgets) containing `inner`."""
        return self.page.locator(
            ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
        ).filter(has=inner)

    # -- waiting for pictures -----------------------------------------------------------------
    def draws_since(self, t: float) -> list[float]:
        return self.page.evaluate("t => window.__draws.filter(d => d > t)", t)

    def now(self) -> float:
        return self.page.evaluate("() => performance.now()")

    def settle(
        self, since: float, quiet_ms: float = 400, timeout: float = 30, need_draw=True
    ) -> list[float]:
        """Wait until the figure was redrawn after `since` (page clock), no redraw came for
        `quiet_ms`, and the kernel is idle; returns the redraw times after `since`."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            self._check_errors(state, "an update")  # a callback error means no redraw: fail now
            draws = self.draws_since(since)
            drew = bool(draws) or not need_draw
            if (
                drew
                and state["status"] == "idle"
                and state["now"] - max(draws or [since]) > quiet_ms
            ):
                return draws
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: no settled redraw {timeout} s after the change "
                    f"(redraws {draws}, kernel {state['status']})"
                )
            time.sleep(0.05)


class Explorer:
    """One explorer's output: its controls by description, and the pictures of its figures."""

    def __init__(self, notebook: Notebook, root: Locator):
        self.nb = notebook
        self.page = notebook.page
        self.root = root
        self.images: dict[str, str] = {}  # digest -> data: URL, to save pictures on failure

    def pictures(self) -> tuple[str, ...]:
        """A digest of each figure's pixels (the canvas as PNG), in page order."""
        urls = self.root.locator(".jupyter-matplotlib-canvas-div canvas:first-child").evaluate_all(
            "cs => cs.map(c => c.toDataURL())"
        )
        digests = tuple(hashlib.sha1(url.encode()).hexdigest()[:12] for url in urls)
        self.images.update(zip(digests, urls, strict=True))
        return digests

    def save_pictures(self, digests: tuple[str, ...], path_stem: Path) -> list[Path]:
        """Write the PNGs behind `digests` (as returned by `pictures`) for a failure report."""
        paths = []
        for i, digest in enumerate(digests):
            path = path_stem.with_name(f"{path_stem.name}-{i}.png")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(self.images[digest].split(",", 1)[1]))
            paths.append(path)
        return paths

    def _labelled(self, selector: str, description: str) -> Locator:
        return self.root.locator(selector).filter(
            has=self.page.locator("label.widget-label", has_text=label(description))
        )

    def has(self, selector: str, description: str) -> bool:
        return self._labelled(selector, description).count() > 0

    def slider(self, description: str) -> Locator:
        return self._labelled(".widget-slider", description).first

    def slider_value(self, description: str) -> float:
        handle = self.slider(description).locator(".noUi-handle[role='slider']")
        return float(handle.get_attribute("aria-valuenow"))

    def dropdown(self, description: str) -> Locator:
        return self._labelled(".widget-dropdown", description).first.locator("select")

    def toggle_buttons(self, description: str) -> Locator:
        return self._labelled(".widget-toggle-buttons", description).first.locator("button")

    def button(self, description: str) -> Locator:
        return self.root.locator("button.jupyter-button", has_text=label(description)).first

    def readout_text(self) -> str:
        # HTML widgets and Label widgets (descriptions are <label>s, left out).
        return " ".join(
            self.root.locator(
                ".widget-html-content, div.widget-label:not(.jupyter-matplotlib-header)"
            ).all_inner_texts()
        )

    # -- a person's interactions --------------------------------------------------------------
    def type_slider_value(self, description: str, value: int) -> None:
        """Type an exact value into the slider's readout, as a person sets a precise number."""
        readout = self.slider(description).locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    def press_on_slider(self, description: str, key: str, times: int = 1) -> None:
        handle = self.slider(description).locator(".noUi-handle[role='slider']")
        handle.focus()
        for _ in range(times):
            self.page.keyboard.press(key)

    def drag_slider(self, description: str, dx: float) -> None:
        handle = self.slider(description).locator(".noUi-handle[role='slider']")
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        mouse.move(x + dx, y, steps=12)
        mouse.up()
