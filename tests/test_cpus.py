"""The cores a probe may use: the CPU affinity, capped by a container's CPU quota.

Each case builds the files a Linux system shows (``/proc/self/cgroup`` and the cgroup mounts) in a
temporary root, as cgroup v2, v1 and a hybrid of both lay them out.
"""

from __future__ import annotations

import os

import pytest

from shortcut_lib._cpus import cpu_quota, usable_cores


def system(tmp_path, cgroup: str, files: dict[str, str]):
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    for name, text in files.items():
        path = tmp_path / "sys/fs/cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


V1 = "12:memory:/job\n4:cpu,cpuacct:{path}\n1:name=systemd:/\n"


@pytest.mark.parametrize(
    ("cgroup", "files", "quota"),
    [
        ("0::/\n", {"cpu.max": "max 100000\n"}, None),  # v2, no limit
        ("0::/\n", {"cpu.max": "150000 100000\n"}, 1.5),  # v2, Docker's --cpus 1.5
        # v2 inside a group of its own: the parent's quota is the smaller, and counts
        ("0::/kubepods/pod1\n", {"cpu.max": "max 100000\n", "kubepods/cpu.max": "50000 100000\n",
                                 "kubepods/pod1/cpu.max": "200000 100000\n"}, 0.5),
        # v1 with its group's path shown and visible: the group's quota
        (V1.format(path="/job"), {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
                                  "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
                                  "cpu,cpuacct/job/cpu.cfs_quota_us": "100000\n",
                                  "cpu,cpuacct/job/cpu.cfs_period_us": "100000\n"}, 1.0),
        # v1 inside a container: the path is the host's, the mount's top is the container's group
        (V1.format(path="/docker/abc"), {"cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
                                         "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 2.0),
        # v1 mounted as plain "cpu", no quota
        ("3:cpu:/\n", {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        # a hybrid: v1's cpu controller and the unified hierarchy; the smaller counts
        ("4:cpu:/\n0::/\n", {"cpu/cpu.cfs_quota_us": "300000\n",
                             "cpu/cpu.cfs_period_us": "100000\n",
                             "cpu.max": "100000 100000\n"}, 1.0),
        ("0::/\n", {}, None),  # no cpu.max to read
        ("0::/\n", {"cpu.max": "garbage\n"}, None),  # unreadable: as if none
        ("", {}, None),
    ],
    ids=["v2 none", "v2 1.5", "v2 nested", "v1 group", "v1 container", "v1 cpu none", "hybrid",
         "v2 no file", "v2 garbage", "no groups"],
)  # fmt: skip
def test_cpu_quota_is_the_smallest_on_the_way_up(tmp_path, cgroup, files, quota):
    root = system(tmp_path, cgroup, files)
    assert cpu_quota(root) == quota


def test_no_proc_means_no_quota(tmp_path):
    assert cpu_quota(tmp_path) is None  # macOS, Windows: no /proc/self/cgroup


def affinity() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.mark.parametrize(
    ("cpu_max", "cores"),
    [("max 100000", affinity()), ("100000 100000", 1), ("150000 100000", 1),
     ("10000 100000", 1), ("25600000 100000", affinity())],
    ids=["no quota", "one cpu", "one and a half: one", "a tenth: still one", "more than the cores"],
)  # fmt: skip
def test_usable_cores_is_the_affinity_capped_by_the_quota_rounded_down(tmp_path, cpu_max, cores):
    root = system(tmp_path, "0::/\n", {"cpu.max": cpu_max})
    assert usable_cores(root) == cores
