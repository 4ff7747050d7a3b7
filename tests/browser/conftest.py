"""Fixtures for the browser tests: one Chromium per session, a fresh JupyterLab per test.

Everything a test starts (the Playwright driver and Chromium, the server and its kernels) is
ended by PID in a `finally`, so a failing test leaves no process behind.
Without Chromium or Playwright these tests skip, except under CI (CI set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from . import _processes
from ._lab import LabServer
from ._support import CHROMIUM, CHROMIUM_ARGS, FAILURES, INSTALL_HINT, skip_or_fail


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # lets fixtures see whether the test failed
    return report


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# Package scope: Playwright's sync API keeps an event loop registered as running in this thread
# while it lives; it must be gone before the other tests run.
@pytest.fixture(scope="package")
def browser():
    missing = [f"{CHROMIUM} is missing"] if not Path(CHROMIUM).exists() else []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("playwright is not installed")
    if missing:
        skip_or_fail(f"{'; '.join(missing)}: {INSTALL_HINT}")

    shutil.rmtree(FAILURES, ignore_errors=True)  # only this run's failures
    # A cancelled CI job gets SIGTERM: turn it into KeyboardInterrupt so the finalizers below
    # (and the server fixtures') still end every process this session started.
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
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
                # Renderers started since the launch hang below the browser: take them too.
                started += [d for p in started for d in _processes.descendants(p[0])]
                chromium.close()
    finally:
        if previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)
        notes = _processes.terminate(started)
        if notes:
            print("\n".join(["browser processes left after close:", *notes]))


@pytest.fixture
def lab_factory(tmp_path):
    """Start a JupyterLab on a copy of a notebooks folder; every server is stopped by PID."""
    servers: list[LabServer] = []

    def start(notebooks: Path, front_end: str = "lab", theme: str = "light") -> LabServer:
        server = LabServer(notebooks, tmp_path / f"lab{len(servers)}", front_end, theme)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            notes = server.stop()
            print("\n".join([f"stopped {server.front_end} on port {server.port}", *notes]))


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
            FAILURES.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=FAILURES / f"{request.node.name}.png")
            except Exception as err:  # a crashed page must not hide the test's own failure
                print(f"no failure screenshot: {err!r}")
        context.close()
