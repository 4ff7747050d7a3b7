"""Peak memory of the kernel running the notebooks: each alone, then all in one kernel.

    python benchmarks/memory.py                     # every notebooks/NN_*.ipynb
    python benchmarks/memory.py notebooks/03_shortcut_connections.ipynb

The figure is the kernel process's peak resident set (VmHWM in /proc/<pid>/status, Linux only),
read after the last cell ran and before the kernel shuts down. Binder gives a user 1-2 GB.
A figure, not a test: nothing here asserts.

The explorers render their frames in the kernel with or without a browser; the browser tests
report the kernel's peak in JupyterLab too (artifacts/browser-timing.txt).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _isolate_jupyter_state() -> None:
    # Same isolation as the tests: no user-wide config, kernelspec or matplotlib cache.
    state = Path(tempfile.mkdtemp(prefix="shortcut-lib-memory-"))
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR"):  # fmt: skip
        os.environ[var] = str(state / var.lower())
    os.environ["JUPYTER_PATH"] = os.environ["JUPYTER_DATA_DIR"]


def _status_mb(pid: int, field: str) -> float:
    """A `VmHWM`/`VmRSS`-style field of /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # the file says kB
    raise KeyError(field)


def _kernel_pid(client: NotebookClient) -> int:
    return client.km.provisioner.process.pid  # jupyter_client's local provisioner: a Popen


def run(paths: list[Path], timeout: int) -> list[tuple[str, float, float, float]]:
    """Run `paths` one after another in one fresh kernel.

    Returns (notebook, seconds, peak MB, resident MB) after each notebook; the peak is
    cumulative, since the kernel started."""
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    client = NotebookClient(
        notebooks[0],
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(paths[0].parent)}},
    )
    rows = []
    with client.setup_kernel():
        pid = _kernel_pid(client)
        rows.append(("(kernel started)", 0.0, _status_mb(pid, "VmHWM"), _status_mb(pid, "VmRSS")))
        for path, notebook in zip(paths, notebooks, strict=True):
            client.nb = notebook  # execute_cell reads the notebook's metadata from here
            start = time.perf_counter()
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)  # raises CellExecutionError on an error
            seconds = time.perf_counter() - start
            rows.append((path.name, seconds, _status_mb(pid, "VmHWM"), _status_mb(pid, "VmRSS")))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs Linux: reads the kernel's peak memory from /proc/<pid>/status")
        return 1
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if not paths:
        print("no notebooks found")
        return 1
    _isolate_jupyter_state()

    print("Each notebook in a fresh kernel (kernel peak resident memory, VmHWM):")
    for path in paths:
        rows = run([path], args.timeout)
        (_, _, base, _), (name, seconds, peak, rss) = rows
        print(f"  {name:40s} peak {peak:7.0f} MB   (bare kernel {base:.0f} MB, "
              f"resident at the end {rss:.0f} MB, {seconds:.1f} s)", flush=True)  # fmt: skip

    print("All notebooks in one kernel, in order (peak so far):")
    for name, seconds, peak, rss in run(paths, args.timeout):
        print(f"  {name:40s} peak {peak:7.0f} MB   (resident {rss:.0f} MB, {seconds:.1f} s)",
              flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
