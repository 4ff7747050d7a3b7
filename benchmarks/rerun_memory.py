"""Does re-running an explorer cell grow the kernel's memory?

    python benchmarks/rerun_memory.py [--times 10]

One fresh kernel (inline backend, as in the notebooks) runs each explorer cell ``--times`` times at
large settings: the gradient explorer at depth 200, width 256 and the largest batch an update may
take there (28), the training explorer at depth 200, width 148 (the widest a run of that depth may
be under its 300 MB limit), trained for 20 steps, and the transformer explorer at 48 blocks. Each
execute request carries the cell's id, as JupyterLab sends it, so a re-run cell closes the
explorer it made before (IPython's ``Out`` cache still holds the closed shells). The resident
memory (VmRSS of the kernel process, Linux only) should level off after the first runs. A figure,
not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jupyter_client.manager import start_new_kernel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import _isolate_jupyter_state, _status_mb  # noqa: E402

SETUP = "%matplotlib inline\nimport shortcut_lib as sl"
CELLS = {
    "gradient explorer": "e = sl.gradient_explorer(depth=200, width=256, batch_size=28)\ne",
    "training explorer": (
        "t = sl.training_explorer(depth=200, width=148, steps=20,\n"
        "                         limits={'depth': (1, 200), 'width': (2, 256)})\n"
        "t.train()\nt.wait()\nt"
    ),
    "transformer explorer": "b = sl.transformer_explorer(depth=48)\nb",
}


def execute(client, code: str, cell_id: str) -> None:
    """Run ``code`` as the notebook cell ``cell_id`` and wait for it; raise on an error."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    message = client.session.msg("execute_request", content, metadata={"cellId": cell_id})
    client.shell_channel.send(message)
    while True:
        reply = client.get_shell_msg(timeout=600)
        if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{cell_id} failed: {reply['content'].get('evalue')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=10, help="runs of each explorer cell")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs Linux: reads the kernel's memory from /proc/<pid>/status")
        return 1
    _isolate_jupyter_state()
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        pid = manager.provisioner.process.pid
        execute(client, SETUP, "setup")
        print(f"kernel with shortcut_lib imported: resident {_status_mb(pid, 'VmRSS'):.0f} MB")
        for name, code in CELLS.items():
            resident = []
            for _ in range(args.times):
                execute(client, code, name)  # the same cell, re-run
                resident.append(_status_mb(pid, "VmRSS"))
            runs = ", ".join(f"{mb:.0f}" for mb in resident)
            print(f"{name}, {args.times} runs of one cell: resident MB after each: {runs}")
            print(f"  growth from run 2 to run {args.times}: {resident[-1] - resident[1]:+.0f} MB")
        print(f"kernel peak (VmHWM): {_status_mb(pid, 'VmHWM'):.0f} MB")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
