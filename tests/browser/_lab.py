"""A throw-away Jupyter server, as a learner starts it: JupyterLab (``jupyter lab``, light or dark
theme), Notebook 7 (``jupyter notebook``) or Voilà (``voila``); its own port, token, settings and
copy of the notebooks."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import _processes

# Settings a fresh user would otherwise see differently, or that would break the waits:
# - windowingMode "none": every cell stays in the page, so "all prompts numbered" sees them all
#   (the default windowing drops cells scrolled out of view);
# - no news and update notifications popping over the notebook.
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
FRONT_ENDS = ("lab", "notebook", "voila")


def _not_copied(folder: str, names: list[str]) -> list[str]:
    # Checkpoints, and sockets or other special files a kernel may have left (copytree fails).
    return [
        n for n in names
        if n == ".ipynb_checkpoints"
        or not (os.path.isfile(os.path.join(folder, n)) or os.path.isdir(os.path.join(folder, n)))
    ]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A server of ``front_end`` ("lab", "notebook" or "voila") serving a copy of ``notebooks``,
    in JupyterLab's ``theme`` ("light" or "dark"); ``stop()`` ends it and every kernel it
    started."""

    def __init__(
        self, notebooks: Path, workdir: Path, front_end: str = "lab", theme: str = "light"
    ):
        assert front_end in FRONT_ENDS and theme in THEMES, (front_end, theme)
        self.front_end, self.theme = front_end, theme
        self.workdir = workdir
        self.root = workdir / "notebooks"
        # A copy, so that autosave and checkpoints never write into the repository.
        shutil.copytree(notebooks, self.root, ignore=_not_copied)
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.env = dict(os.environ)
        for var in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTER_RUNTIME_DIR",
            "IPYTHONDIR",
            "MPLCONFIGDIR",
        ):
            self.env[var] = str(workdir / var.lower())
            os.makedirs(self.env[var], exist_ok=True)
        self.env["JUPYTER_PATH"] = self.env["JUPYTER_DATA_DIR"]
        settings = Path(self.env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings"
        theme = {"@jupyterlab/apputils-extension/themes.jupyterlab-settings": {
            "theme": THEMES[theme]}}  # fmt: skip
        for name, values in {**USER_SETTINGS, **theme}.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        for _attempt in range(3):  # another process may grab the free port before the server
            self.port = _free_port()
            cmd = self.command()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )
            if self._wait_ready(timeout):
                return
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; its log:\n{self.log()}")

    def command(self) -> list[str]:
        """What a learner types (``jupyter lab``, ``jupyter notebook``, ``voila``), with the
        options a test needs: this port only, this token, no browser, the app exposed."""
        if self.front_end == "voila":
            return [
                sys.executable, "-m", "voila", str(self.root), "--no-browser",
                "--Voila.ip=127.0.0.1", f"--port={self.port}", "--Voila.port_retries=0",
                f"--token={self.token}",
            ]  # fmt: skip
        app = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}[self.front_end]
        module = {"lab": "jupyterlab", "notebook": "notebook"}[self.front_end]
        return [
            sys.executable, "-m", module, "--allow-root", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", f"--{app}.expose_app_in_browser=True",
            *(["--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
              if self.front_end == "lab" else []),
        ]  # fmt: skip

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # failed start (e.g. port taken): fail fast
                return False
            try:
                # Voilà serves its page tree, not Jupyter's REST API.
                self.api("GET", "/" if self.front_end == "voila" else "/api/status", timeout=2)
                return True
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        return False

    def api(self, method: str, path: str, timeout: float = 10):
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"},
            data=b"" if method == "POST" else None,
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        if "json" not in response.headers.get("Content-Type", "json"):
            return body.decode(errors="replace")
        return json.loads(body) if body else None

    def kernel_peak_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each live kernel this server started, in MB."""
        peaks = []
        for pid, _ in _processes.descendants(self.proc.pid):
            if "ipykernel" in _processes.cmdline(pid):
                status = Path(f"/proc/{pid}/status").read_text()
                kb = next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM:"))
                peaks.append(int(kb) / 1024)
        return peaks

    def log(self, tail: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])
        except OSError:
            return ""

    def stop(self) -> list[str]:
        """POST /api/shutdown, then SIGTERM, then SIGKILL the server; then end the survivors
        among the processes it started (kernels run in their own sessions, so they outlive it)."""
        if self.proc is None:
            return []
        notes = []
        server = _processes.identify(self.proc.pid)
        started = _processes.descendants(self.proc.pid)  # before the kernels get reparented
        if self.proc.poll() is None and self.front_end != "voila":  # Voilà: SIGTERM below
            try:
                kernels = self.api("GET", "/api/kernels", timeout=3)
                notes.append(f"kernels at shutdown: {[k['id'] for k in kernels]}")
                self.api("POST", "/api/shutdown", timeout=5)
            except (OSError, urllib.error.URLError, ValueError) as err:
                notes.append(f"/api/shutdown failed: {err!r}")
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=10 if self.front_end != "voila" else 0.1)
            except subprocess.TimeoutExpired:
                notes += _processes.terminate([server] if server else [])
        self.proc.wait()
        notes += _processes.terminate(started)
        self.proc = None
        return notes
