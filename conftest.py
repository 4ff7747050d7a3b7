"""Test-session setup shared by the unit tests, nbval and the browser tests.

Jupyter, IPython and matplotlib write into $HOME; every run gets its own temporary folders instead,
so runs leak no state into each other or into the user's setup. Kernels started by nbval inherit
this environment.
"""

import atexit
import os
import shutil
import tempfile
import time

import pytest

_state = tempfile.mkdtemp(prefix="shortcut-lib-tests-")
atexit.register(shutil.rmtree, _state, ignore_errors=True)
for _var, _sub in [
    ("JUPYTER_CONFIG_DIR", "jupyter-config"),
    ("JUPYTER_DATA_DIR", "jupyter-data"),
    ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
    ("IPYTHONDIR", "ipython"),
    ("MPLCONFIGDIR", "matplotlib"),
]:
    os.environ[_var] = os.path.join(_state, _sub)
    os.makedirs(os.environ[_var], exist_ok=True)
# Leave the kernelspec search to the running interpreter, never a stray user-wide one.
os.environ["JUPYTER_PATH"] = os.environ["JUPYTER_DATA_DIR"]


# The suite runs on every core (pytest-xdist, `-n auto --dist loadgroup` in pyproject.toml). A
# worker gets whole files: a notebook's cells share one kernel, and a module's fixtures (a claim's
# training runs) are computed once. The quiz's measured answers share notebook 04's and 05's
# runs with their claim tests (tests/measured.py), so they go with those files.
_WITH = {"04.a 04.b": "tests/test_claims_04.py", "04.c": "tests/test_claims_04.py",
         "05.a 05.b 05.c": "tests/test_claims_05.py"}  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(config, items):
    groups = {}
    for item in items:
        path = item.path.relative_to(config.rootpath)
        group = "browser" if "browser" in path.parts else str(path)
        if path.name == "test_quiz.py":
            group = _WITH.get(getattr(item, "callspec", None) and item.callspec.id, group)
        item.add_marker(pytest.mark.xdist_group(group))
        groups[item] = group
    # The longest groups first, the many short files last to fill the workers' gaps: the
    # browser tests, then the claims (they train), then the notebooks. Within a group, the
    # order collected.
    order = {item: i for i, item in enumerate(items)}
    items.sort(key=lambda item: (_rank(groups[item]), order[item]))


def _rank(group: str) -> int:
    if group == "browser":
        return 0
    return 1 if "test_claims_" in group else 2 if group.startswith("notebooks/") else 3


_TIMINGS = os.path.join(os.path.dirname(__file__), "artifacts", "browser-timing.txt")
_START = time.time()


def pytest_terminal_summary(terminalreporter):
    # The browser tests' figures, written by whichever process ran them (tests/browser).
    reports = (r for kind in terminalreporter.stats.values() for r in kind)
    ran = any(getattr(r, "nodeid", "").startswith("tests/browser/") for r in reports)
    if ran and os.path.exists(_TIMINGS) and os.path.getmtime(_TIMINGS) >= _START:
        terminalreporter.write_sep("-", "browser timings (figures, not assertions)")
        with open(_TIMINGS) as f:
            for line in f:
                terminalreporter.write_line(line.rstrip("\n"))
