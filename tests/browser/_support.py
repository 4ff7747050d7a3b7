"""What the browser tests share: paths, the skip-or-fail rule, and the measured figures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
TIMING_FILE = ARTIFACTS / "browser-timing.txt"
FAILURES = ARTIFACTS / "browser-failures"  # pictures behind a failure; emptied at each run
# Debian's chromium; SHORTCUT_CHROMIUM points elsewhere (e.g. /usr/bin/chromium-browser).
CHROMIUM = os.environ.get("SHORTCUT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
INSTALL_HINT = "install with `apt-get install chromium` and `pip install -r requirements-test.txt`"

FIGURES: list[str] = []  # this process's measured timings (the summary reads TIMING_FILE)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(message: str) -> None:
    """Skip locally; under CI a missing prerequisite must not pass silently."""
    if in_ci():
        pytest.fail(f"{message} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


def record_figure(line: str) -> None:
    """Print a measured figure and keep it for the summary and artifacts/browser-timing.txt."""
    print(line)
    ARTIFACTS.mkdir(exist_ok=True)
    with open(TIMING_FILE, "a" if FIGURES else "w") as f:  # figures of this run only
        f.write(line + "\n")
    FIGURES.append(line)
