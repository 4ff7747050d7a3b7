"""The README's quick start, run as written: `jupyter lab --allow-root notebooks/...` starts a
server as root (where JupyterLab refuses to start without the flag) and for a user who is not
root. Where the tests run as root, that user is played by JupyterLab's own entry point with
``os.geteuid`` answering 1000 (a real other user may not reach this machine's interpreter)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# `jupyter lab ARGS`, for a process that is told it is not root.
NOT_ROOT = (
    "import os, sys; os.geteuid = lambda: 1000; from jupyterlab.labapp import main; "
    "sys.argv[0] = 'jupyter-lab'; sys.exit(main())"
)


def quick_start_command() -> list[str]:
    """The last step of the README's "Open the series in JupyterLab" command line."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"\*\*Open the series in JupyterLab\*\*.*?```bash\n(.*?)\n```", readme, re.S)
    assert block, "the quick start's command is not in the README"
    last = block[1].split("&&")[-1].strip()
    assert last.startswith("jupyter lab "), last
    return shlex.split(last)


def start(command: list[str], home: Path) -> tuple[bool, str]:
    """Run ``command`` from the repository until its server says it is running, or it exits;
    end it. Returns (running, its log)."""
    env = {**os.environ, "HOME": str(home), "BROWSER": "true"}  # no browser window opens
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(home / name.lower())
    env["JUPYTER_PATH"] = env["JUPYTER_DATA_DIR"]
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the venv's jupyter
    log = home / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "--ServerApp.port=0"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if "is running at" in log.read_text(errors="replace"):
                return True, log.read_text(errors="replace")
            time.sleep(0.2)
        return False, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def home():
    folder = Path(tempfile.mkdtemp(prefix="shortcut-lib-quick-start-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_quick_start_starts_jupyterlab_for_the_user_running_it(home):
    running, log = start(quick_start_command(), home)
    assert running, log[-2000:]


def test_as_root_the_flag_is_what_lets_it_start(home):
    if os.geteuid() != 0:
        pytest.skip("not root: the other test ran the command as this user")
    command = [part for part in quick_start_command() if part != "--allow-root"]
    running, log = start(command, home)
    assert not running and "Running as root is not recommended" in log, log[-2000:]


def test_the_quick_start_also_starts_for_a_user_who_is_not_root(home):
    if os.geteuid() != 0:
        pytest.skip("not root: the first test ran the command as this user")
    command = quick_start_command()
    assert command[:2] == ["jupyter", "lab"]
    running, log = start([sys.executable, "-c", NOT_ROOT, *command[2:]], home)
    assert running, log[-2000:]
