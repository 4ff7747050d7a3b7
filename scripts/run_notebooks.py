"""Execute the notebooks top to bottom in a fresh kernel and save them with their outputs.

    python scripts/run_notebooks.py                 # the series and the instructor pages
    python scripts/run_notebooks.py notebooks/01_vanishing_gradients.ipynb

This is how the committed notebooks are produced: clean execution counts 1..N, no error outputs.
nbval (pytest) then re-runs them and compares against what this script saved.
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
    state = Path(tempfile.mkdtemp(prefix="shortcut-lib-run-"))
    for var in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
        "MPLCONFIGDIR",
    ):
        os.environ[var] = str(state / var.lower())
    os.environ["JUPYTER_PATH"] = os.environ["JUPYTER_DATA_DIR"]


def run(path: Path, timeout: int) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # per-cell timestamps would only be noise in the diffs
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first error output
    elapsed = time.perf_counter() - start
    # Widget state is not stored: a saved widget cannot come alive without a kernel anyway.
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    series = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    paths = args.paths or [*series, *sorted((ROOT / "notebooks" / "instructor").glob("*.ipynb"))]
    _isolate_jupyter_state()
    for path in paths:
        name = path.resolve().relative_to(ROOT / "notebooks")
        print(f"{name}: {run(path, args.timeout):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
