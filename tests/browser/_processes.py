"""Find and end the processes a test started, by PID, from /proc (Linux; no psutil needed).

A process is named by (pid, start time) so that a PID the kernel has reused for an unrelated
process is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

Proc = tuple[int, int]  # (pid, start time in clock ticks since boot)


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, start time, state) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19]), fields[0]


def identify(pid: int) -> Proc | None:
    stat = _stat(pid)
    return None if stat is None else (pid, stat[1])


def alive(proc: Proc) -> bool:
    stat = _stat(proc[0])
    return stat is not None and stat[1] == proc[1] and stat[2] != "Z"


def descendants(pid: int) -> list[Proc]:
    """Every live process below `pid` in the process tree (children first found first)."""
    children: dict[int, list[Proc]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def terminate(procs: list[Proc], grace: float = 3.0) -> list[str]:
    """SIGTERM each live process, then SIGKILL what is left after `grace` seconds.

    Returns a line per process that needed SIGKILL (for the test log)."""
    notes = []
    procs = [p for p in procs if alive(p)]
    for pid, _ in procs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in procs):
        time.sleep(0.05)
    for proc in procs:
        if alive(proc):
            notes.append(f"SIGKILL {proc[0]}: {cmdline(proc[0])[:120]}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc[0], signal.SIGKILL)
    return notes
