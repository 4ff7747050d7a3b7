"""An explorer's own place for what it has to say: a refused setting, a bug, a notice.

Text wraps between words only (an output area's ``<pre>`` breaks anywhere, mid-word), takes the
page's text colour in every theme on a translucent tint that reads on light and dark pages, and
is announced by screen readers when it changes (``role="alert"`` for errors, ``"status"``
for notices).
"""

from __future__ import annotations

import html
import traceback

import ipywidgets as W

__all__ = ["MessageArea"]

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
