"""Run the rest of a benchmark under a CPU quota, as a container's CPU limit sets it (a Binder
session, a JupyterHub on Kubernetes): this process moves into a control group of its own whose
quota is ``cpus`` CPUs' worth of time per 100 ms. Linux only, and only where this process may
create control groups (root, cgroup v1's cpu controller or v2 with cpu enabled)."""

from __future__ import annotations

import os
from pathlib import Path

GROUP = "shortcut-lib-benchmark"
PERIOD_US = 100_000


def run_under_cpu_quota(cpus: float) -> None:
    """Move this process into a control group limited to ``cpus`` CPUs, or raise SystemExit
    saying why it cannot."""
    quota = round(cpus * PERIOD_US)
    v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
    try:
        if (v1 / "cpu.cfs_quota_us").exists():
            group = v1 / GROUP
            group.mkdir(exist_ok=True)
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        elif "cpu" in (v2 / "cgroup.subtree_control").read_text().split():
            group = v2 / GROUP
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            raise SystemExit("--cpu-quota: no cgroup cpu controller to limit this process with")
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError as exc:
        raise SystemExit(f"--cpu-quota: cannot create a control group here ({exc})") from exc
