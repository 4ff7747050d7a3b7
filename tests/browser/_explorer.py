"""One explorer in a page, as a learner sees and uses it: its controls by their labels, the
frames of its figure, and the time from a key press to a new frame."""

from __future__ import annotations

import base64
import hashlib
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._page import label

if TYPE_CHECKING:  # playwright may be missing: the tests then skip, they must still import
    from playwright.sync_api import Locator

    from ._page import FramePage

# Each frame's pixels as a PNG data URL: the <img> drawn onto a canvas of its natural size, so
# two frames of the same picture compare equal whatever URL carried them.
PIXELS_JS = """
imgs => imgs.map(img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext('2d').drawImage(img, 0, 0);
  return c.toDataURL();
})
"""


@dataclass
class Timing:
    """Key press to the next frame shown, in milliseconds."""

    notebook: str
    where: str  # the settings pressed at, e.g. "depth 100, width 64"
    first: list[float] = field(default_factory=list)  # to the first new frame
    settled: list[float] = field(default_factory=list)  # to the last frame of that update

    def summary(self) -> str:
        def stats(xs):
            xs = sorted(xs)
            p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
            return f"median {statistics.median(xs):.0f} ms, p95 {p95:.0f} ms"

        return (
            f"{self.notebook}: key press on depth ({self.where}) to new frame over "
            f"{len(self.first)} presses: {stats(self.first)}; to the last frame of the update: "
            f"{stats(self.settled)}"
        )


class Explorer:
    """One explorer's output: its controls by description, and the pictures of its figures."""

    def __init__(self, notebook: FramePage, root: Locator):
        self.nb = notebook
        self.page = notebook.page
        self.root = root
        self.images: dict[str, str] = {}  # digest -> data: URL, to save pictures on failure

    def pictures(self) -> tuple[str, ...]:
        """A digest of each frame's pixels (read back as a PNG), in page order."""
        urls = self.root.locator("img.sl-frame").evaluate_all(PIXELS_JS)
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

    def text_box(self, description: str) -> Locator:
        return self._labelled(".widget-text", description).first.locator("input")

    def toggle_buttons(self, description: str) -> Locator:
        return self._labelled(".widget-toggle-buttons", description).first.locator("button")

    def button(self, description: str) -> Locator:
        return self.root.locator("button.jupyter-button", has_text=label(description)).first

    def readout_text(self) -> str:
        # HTML widgets and Label widgets (descriptions are <label>s, left out).
        return " ".join(
            self.root.locator(".widget-html-content, div.widget-label").all_inner_texts()
        )

    def frame(self) -> Locator:
        return self.root.locator("img.sl-frame").first

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
