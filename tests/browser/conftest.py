"""Fixtures for the browser tests: one Chromium per session, a fresh JupyterLab per test.

Everything a test starts (the Playwright driver and Chromium, the server and its kernels) is
ended by PID in a `finally`, so a failing test leaves no process behind.
Without Chromium or Playwright these tests skip, except under CI (CI set), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from . import _processes
from ._lab import LabServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
TIMING_FILE = ARTIFACTS / "browser-timing.txt"
# Debian's chromium; SHORTCUT_CHROMIUM points elsewhere (e.g. /usr/bin/chromium-browser).
CHROMIUM = os.environ.get("SHORTCUT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
INSTALL_HINT = "install with `apt-get install chromium` and `pip install -r requirements-test.txt`"

_figures: list[str] = []  # measured timings, printed in the terminal summary


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
    with open(TIMING_FILE, "a" if _figures else "w") as f:  # figures of this run only
        f.write(line + "\n")
    _figures.append(line)


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.write_sep("-", "browser timings (figures, not assertions)")
        for line in _figures:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # lets fixtures see whether the test failed
    return report


@pytest.fixture(scope="session")
def browser():
    missing = [f"{CHROMIUM} is missing"] if not Path(CHROMIUM).exists() else []
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright is not installed")
    if missing:
        skip_or_fail(f"{'; '.join(missing)}: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    before = set(_processes.descendants(os.getpid()))
    started: list = []
    try:
        with sync_playwright() as pw:
            # launch() makes a fresh profile; playwright refuses --user-data-dir in args.
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # The Playwright driver and every Chromium process, to end by PID at the end.
            started = [p for p in _processes.descendants(os.getpid()) if p not in before]
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        notes = _processes.terminate(started)
        if notes:
            print("\n".join(["browser processes left after close:", *notes]))


@pytest.fixture
def lab_factory(tmp_path):
    """Start a JupyterLab on a copy of a notebooks folder; every server is stopped by PID."""
    servers: list[LabServer] = []

    def start(notebooks: Path) -> LabServer:
        server = LabServer(notebooks, tmp_path / f"lab{len(servers)}")
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            notes = server.stop()
            print("\n".join([f"stopped JupyterLab on port {server.port}", *notes]))


@pytest.fixture
def page(browser, request):
    from ._page import INIT_SCRIPT

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=ARTIFACTS / f"{request.node.name}-failure.png")
            except Exception as err:  # a crashed page must not hide the test's own failure
                print(f"no failure screenshot: {err!r}")
        context.close()
