"""Driving a notebook as a person would, in JupyterLab or Notebook 7 (with waits borrowed from
Galata), or a page in Voilà.

Frames are timed in the page: an init script notes each ``load`` of an explorer's frame (an
``<img class="sl-frame">``, whose picture each new frame replaces) and each key press.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright may be missing: the tests then skip, they must still import
    from playwright.sync_api import Locator, Page

INIT_SCRIPT = """
(() => {
  window.__draws = [];
  window.__keys = [];
  // A frame is shown when its <img> has loaded the new picture ("load" does not bubble: caught
  // on its way down).
  document.addEventListener('load', e => {
    const t = e.target;
    if (t && t.tagName === 'IMG' && t.classList.contains('sl-frame')) {
      window.__draws.push(performance.now());
    }
  }, true);
  document.addEventListener('keydown', () => window.__keys.push(performance.now()), true);
})();
"""

# What an explorer says in its own message area, and whether it is computing (any page).
EXPLORERS_JS = """
() => ({
  explorerErrors: Array.from(document.querySelectorAll('.sl-error')).map(e => e.innerText),
  busy: Array.from(document.querySelectorAll('.sl-frame ~ * [role=status]')).length,
  now: performance.now(),
})
"""

# What the notebook and its kernel are doing, read from the application JupyterLab (and
# Notebook 7) expose.
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
  const explorers = (EXPLORERS_JS)();
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
    explorerErrors: explorers.explorerErrors,
    busy: explorers.busy,
  };
}
""".replace("EXPLORERS_JS", EXPLORERS_JS.strip())

# Text that means a widget was shown as its Python repr or failed to render.
WIDGET_AS_TEXT = re.compile(
    r"\b(IntSlider|FloatSlider|Dropdown|ToggleButtons|BoundedIntText|VBox|HBox|Button|Image|"
    r"Output|HTML)\(|Error displaying widget|model not found|Loading widget\.\.\.|"
    r"javascript error"
)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b\w*Error\b|\bException\b")


def label(description: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(description)}\s*:?\s*$", re.IGNORECASE)


class FramePage:
    """What every page with explorers has: a clock, the frames shown, and a wait for quiet."""

    name = "the page"
    expect_errors = False  # True while a test provokes a refused setting on purpose

    def __init__(self, page: Page):
        self.page = page

    def state(self) -> dict:
        raise NotImplementedError

    def draws_since(self, t: float) -> list[float]:
        return self.page.evaluate("t => window.__draws.filter(d => d > t)", t)

    def now(self) -> float:
        return self.page.evaluate("() => performance.now()")

    def _check_errors(self, state: dict, what: str) -> None:
        assert not state["errors"], f"{self.name}: error output during {what}: {state['errors']}"
        # Top-level stderr may hold a harmless warning; an Output widget inside a widget shows
        # stderr only when a callback failed; an explorer names what went wrong in its own area.
        bad = [t for t in state["stderr"] if TRACEBACK.search(t)] + state["widgetStderr"]
        bad += [] if self.expect_errors else state["explorerErrors"]
        assert not bad, f"{self.name}: error shown during {what}:\n" + "\n---\n".join(bad)

    def settle(
        self, since: float, quiet_ms: float = 400, timeout: float = 30, need_draw=True
    ) -> list[float]:
        """Wait until a frame was shown after `since` (page clock), no frame came for
        `quiet_ms`, no explorer is computing and the kernel is idle; returns the frames' times
        after `since`."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            self._check_errors(state, "an update")  # a callback error means no redraw: fail now
            draws = self.draws_since(since)
            drew = bool(draws) or not need_draw
            if (
                drew
                and state["status"] == "idle"
                and not state["busy"]
                and state["now"] - max(draws or [since]) > quiet_ms
            ):
                return draws
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: no settled frame {timeout} s after the change "
                    f"(frames {draws}, kernel {state['status']})"
                )
            time.sleep(0.05)


class VoilaPage(FramePage):
    """A notebook rendered by Voilà: its outputs only, the kernel behind them out of reach."""

    def __init__(self, page: Page, name: str):
        super().__init__(page)
        self.name = name

    def open(self, base_url: str, token: str, timeout: float = 120_000) -> None:
        self.page.goto(f"{base_url}/voila/render/{self.name}?token={token}")
        # Voilà shows the outputs once every cell ran; the frames then load.
        self.page.wait_for_function(
            "() => { const f = document.querySelectorAll('img.sl-frame');"
            " return f.length > 0 && Array.from(f).every(i => i.complete && i.naturalWidth); }",
            timeout=timeout,
        )

    def state(self) -> dict:
        state = self.page.evaluate(EXPLORERS_JS)
        # No kernel status in the page: an explorer's own busy badge says it is computing.
        return {**state, "status": "idle", "errors": [], "stderr": [], "widgetStderr": []}

    def assert_widgets_rendered(self) -> None:
        text = self.page.locator("body").inner_text()
        assert not WIDGET_AS_TEXT.search(text), f"{self.name}: widgets not rendered: {text[:300]}"


class Notebook(FramePage):
    """One notebook open in JupyterLab (``front_end="lab"``) or Notebook 7 (``"notebook"``)."""

    def __init__(self, page: Page, name: str, front_end: str = "lab"):
        super().__init__(page)
        self.name, self.front_end = name, front_end

    # -- opening and running ----------------------------------------------------------------
    def open(
        self, base_url: str, token: str, timeout: float = 60_000, workspace: str | None = None
    ) -> None:
        """Open the notebook; in JupyterLab, in ``workspace`` if given (a fresh one restores
        no tab of an earlier page on the same server)."""
        page = self.page
        if self.front_end == "notebook":
            page.goto(f"{base_url}/notebooks/{self.name}?token={token}")
        else:
            where = f"/lab/workspaces/{workspace}" if workspace else "/lab"
            page.goto(f"{base_url}{where}/tree/{self.name}?token={token}")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.started", timeout=timeout
        )
        if self.front_end == "lab":
            page.wait_for_function(
                "() => window.jupyterapp.restored && !document.querySelector('#jupyterlab-splash')",
                timeout=timeout,
            )
            tab = self.name.rsplit("/", 1)[-1]  # a tab shows the file's name, not its folder
            page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=tab).first.click()
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

    def assert_widgets_rendered(self) -> None:
        as_text = [t[:200] for t in self.output_texts() if WIDGET_AS_TEXT.search(t)]
        assert not as_text, f"{self.name}: widgets shown as text (front-end extension?): {as_text}"

    def outputs_with(self, inner: Locator) -> Locator:
        """Top-level cell outputs (not outputs nested in Output widgets) containing `inner`."""
        return self.page.locator(
            ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
        ).filter(has=inner)
