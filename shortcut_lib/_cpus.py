"""How many cores this process may keep busy: its CPU affinity, capped by the CPU quota of its
control groups.

A container's CPU limit (a Binder session, a JupyterHub on Kubernetes, ``docker run --cpus``) is a
quota of CPU time per period, which the affinity does not show: such a kernel sees every core of
its machine and may use only one. Two threads there take turns on that one, and a probe split
across them took twice as long as on one thread (notebook 05's start, 55 ms against 31).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["cpu_quota", "usable_cores"]


def usable_cores(root: Path = Path("/")) -> int:
    """The cores this process may keep busy: those of its CPU affinity (every core where the
    system does not say: macOS, Windows), at most its CPU quota, rounded down, and at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    quota = cpu_quota(root)
    return max(1, min(cores, math.floor(quota))) if quota is not None else cores


def cpu_quota(root: Path = Path("/")) -> float | None:
    """The CPUs' worth of time this process's control groups allow it, the smallest quota on
    the way from its own group to the top (cgroup v2's ``cpu.max``, v1's ``cpu.cfs_quota_us``
    over ``cpu.cfs_period_us``); ``None`` where no quota is set, or the system is not Linux.
    ``root`` is where ``/proc`` and ``/sys`` are read from."""
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:  # the unified hierarchy (v2)
            quotas += _quotas(root / "sys/fs/cgroup", path, _v2_quota)
        elif "cpu" in controllers.split(","):
            for mount in (controllers, "cpu", "cpu,cpuacct"):  # how v1 mounts name it
                if (root / "sys/fs/cgroup" / mount).is_dir():
                    quotas += _quotas(root / "sys/fs/cgroup" / mount, path, _v1_quota)
                    break
    return min(quotas, default=None)


def _quotas(mount: Path, path: str, read: Callable[[Path], float | None]) -> list[float]:
    # Each group from the process's own up to the mount's top, where they are visible (inside a
    # container the mount's top is often the container's own group, its path not shown).
    parts = Path(path).parts[1:]  # "/kubepods/pod1": ("kubepods", "pod1")
    found = []
    for group in (mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)):
        try:
            quota = read(group)
        except (OSError, ValueError):
            continue
        if quota is not None:
            found.append(quota)
    return found


def _v2_quota(group: Path) -> float | None:
    quota, period = (group / "cpu.max").read_text().split()[:2]  # "max 100000", "150000 100000"
    return None if quota == "max" else int(quota) / int(period)


def _v1_quota(group: Path) -> float | None:
    quota = int((group / "cpu.cfs_quota_us").read_text())  # -1: no quota
    period = int((group / "cpu.cfs_period_us").read_text())
    return None if quota < 0 else quota / period
