"""An explorer's own places for what it has to say: a refused setting, a bug, a notice
(:class:`MessageArea`), and that it is computing (:class:`BusyBadge`).

Text wraps between words only (an output area's ``<pre>`` breaks anywhere, mid-word), takes the
page's text colour in every theme on a translucent tint that reads on light and dark pages, and
is announced by screen readers when it changes (``role="alert"`` for errors, ``"status"``
for notices).
"""

from __future__ import annotations

import contextlib
import html
import threading
import traceback
from collections.abc import Iterator

import ipywidgets as W

__all__ = ["BusyBadge", "MessageArea"]

# Over the figure, which is always a white card: fixed colours read in every theme.
_BADGE = (
    "<span role='status' style='display:inline-block;margin:6px 10px;padding:1px 8px;"
    "border-radius:3px;font-size:12px;background:#fff;color:#222;border:1px solid #888'>"
    "computing the new settings\u2026</span>"
)

_BOX = (
    "white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;line-height:1.35;"
    "font-size:12.5px;padding:4px 8px;margin:2px 0;border-left:3px solid {edge};"
    "background:{tint}"
)
# Translucent, so that the page's own text colour (dark or light) reads on it; JupyterLab's
# error tint where the page defines it.
_ERROR = _BOX.format(
    edge="#d32f2f", tint="var(--jp-rendermime-error-background, rgba(244, 67, 54, 0.18))"
)
_NOTICE = _BOX.format(edge="#1976d2", tint="rgba(25, 118, 210, 0.12)")


class MessageArea(W.HTML):
    """Empty until there is something to say; ``text`` is what it says, as plain text."""

    def __init__(self) -> None:
        super().__init__(value="", layout=W.Layout(width="100%"))
        self.add_class("sl-message")
        self.text = ""
        self.kind = ""  # "error", "notice" or ""

    def show_error(self, exc: BaseException) -> None:
        """A bad setting as its type and message; anything else (a bug) with its traceback,
        which helps to report it."""
        if isinstance(exc, (ValueError, TypeError)):
            self._show("error", f"{type(exc).__name__}: {exc}")
        else:
            self._show("error", "".join(traceback.format_exception(exc)).rstrip("\n"))

    def show_notice(self, text: str) -> None:
        """A word that is not an error, e.g. "a run is going on"."""
        self._show("notice", text)

    def clear(self) -> None:
        """Say nothing."""
        self.text, self.kind = "", ""
        self.value = ""

    def _show(self, kind: str, text: str) -> None:
        self.text, self.kind = text, kind
        style, role = (_ERROR, "alert") if kind == "error" else (_NOTICE, "status")
        body = html.escape(text)
        self.value = f"<div role='{role}' class='sl-{kind}' style='{style}'>{body}</div>"


class BusyBadge(W.HTML):
    """A badge over the figure while an update takes longer than ``delay`` seconds.

    Shown from a timer thread, so a quick update sends no message at all and nothing flickers;
    a lock orders the timer's "show" before the update's "hide". (A badge sent at every update
    and hidden by a CSS delay cost the browser a style recalculation of the whole page twice an
    update: frames came 20-35% later.)
    """

    def __init__(self, delay: float = 0.15) -> None:
        super().__init__(value="")
        self.delay = delay
        self._lock = threading.Lock()
        self._computing = False

    @contextlib.contextmanager
    def computing(self) -> Iterator[None]:
        """Show the badge if the body of the ``with`` runs longer than ``delay``."""
        with self._lock:
            self._computing = True
        timer = threading.Timer(self.delay, self._show)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:
                self._computing = False
                if self.value:
                    self.value = ""

    def _show(self) -> None:
        with self._lock:
            if self._computing:
                self.value = _BADGE
