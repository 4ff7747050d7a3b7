"""Each settings' estimate against one update measured in a fresh process (see bounds.py).

For a grid of the gradient and the transformer explorer's settings (sizes that reach the bounds,
the slowest activations, every norm placement), a child process runs the first update (models
built), a new seed and a depth step twice. First as the explorer runs them with two cores, for its
peak memory above what it held before (a GPT stack's paired pass holds twice the batch at once).
Then on one core, what the time estimate is for and what a session limited to one CPU runs: the
CPU seconds of the slowest of the three (two cores take less wall time, and their CPU seconds
count threads waiting on each other). The settings are forced past the refusal, so that settings
near and over the bounds are measured too.
"""

from __future__ import annotations

import json
import subprocess
import sys

MEASURE = """
import ctypes, gc, json, sys, time
import torch; torch.set_num_threads(1)
import shortcut_lib as sl
from shortcut_lib import compare
from shortcut_lib.families import BlockSettings
def status(field):  # this process's own: ru_maxrss would count the parent's, carried over exec
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) * 1024
def rss():
    return status("VmRSS")
kind, values = sys.argv[1], json.loads(sys.argv[2])
cls = sl.ExplorerSettings if kind == "mlp" else BlockSettings
def forced(**changes):  # past the refusal: measured, not estimated
    s = cls(depth=2, batch_size=1, **{k: v for k, v in values.items() if k in ("heads",)})
    for k, v in {**values, **changes}.items():
        object.__setattr__(s, k, v)
    return s
def run(cores):
    compare._cores = lambda: cores
    comparison, seconds = sl.Comparison(), []
    for changes in ({}, {"seed": 1}, {"seed": 1, "depth": max(values["depth"] - 1, 1)}):
        start = time.process_time()
        comparison.profiles(forced(**changes))
        seconds.append(time.process_time() - start)
    return seconds
sl.Comparison().profiles(forced(depth=2, batch_size=1))  # torch's kernels loaded first
gc.collect(); ctypes.CDLL("libc.so.6").malloc_trim(0)
base = rss()
run(2)  # as the explorer runs with two cores: its memory
peak = status("VmHWM") - base
gc.collect()
seconds = run(1)  # on one core: the time
print(json.dumps({"seconds": max(seconds), "peak": peak, "estimate": forced().cost().__dict__}))
"""
MLP = [
    dict(depth=d, width=w, batch_size=b, activation=a)
    for d in (20, 100, 200)
    for w, b in [(16, 256), (64, 16), (64, 64), (64, 256), (128, 64), (256, 4), (256, 16)]
    for a in (("identity", "gelu") if d == 200 else ("gelu",))
] + [
    dict(depth=200, width=64, batch_size=16, activation="gelu", norm="layernorm"),
    dict(depth=200, width=128, batch_size=64, activation="sigmoid", norm="layernorm"),
    dict(depth=200, width=256, batch_size=16, activation="tanh", gain=0.3),
    dict(depth=200, width=128, batch_size=64, activation="relu", init="kaiming", gain=4.0),
    dict(depth=60, width=256, batch_size=64, activation="identity"),
]
GPT = [
    dict(depth=d, width=w, heads=h, context_length=c, batch_size=b, norm=n)
    for d, w, h, c, b in [(48, 64, 4, 16, 8), (12, 64, 4, 16, 8), (48, 64, 4, 32, 8),
                          (48, 64, 4, 16, 2), (24, 64, 4, 64, 8), (48, 64, 4, 16, 24),
                          (48, 128, 4, 16, 4), (48, 256, 4, 16, 2), (24, 256, 8, 32, 2),
                          (12, 256, 16, 64, 4), (48, 8, 1, 2, 1), (6, 128, 4, 64, 16)]
    for n in ("pre", "post", "none")
]  # fmt: skip


def estimates(timeout: float) -> None:
    print("estimates: one update, measured (CPU s on one core, the worst of first / new seed /")
    print("depth step; peak MB above the start, with two cores) against the estimate;")
    print("'x' = estimate / measured")
    for kind, grid in (("mlp", MLP), ("gpt", GPT)):
        worst_s = worst_b = float("inf")
        for values in grid:
            try:
                command = [sys.executable, "-c", MEASURE, kind, json.dumps(values)]
                out = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                     check=True)  # fmt: skip
            except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as error:
                print(f"  {kind} {values}: {type(error).__name__}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            est = r["estimate"]
            xs, xb = est["seconds"] / r["seconds"], est["bytes"] / max(r["peak"], 1)
            worst_s, worst_b = min(worst_s, xs), min(worst_b, xb)
            text = " ".join(f"{k}={v}" for k, v in values.items())
            print(f"  {kind} {text:<72} {r['seconds']:6.2f} s est {est['seconds']:6.2f} "
                  f"(x{xs:4.1f}) | {r['peak'] / 1e6:5.0f} MB est {est['bytes'] / 1e6:5.0f} "
                  f"(x{xb:4.1f})", flush=True)  # fmt: skip
        print(f"  {kind}: the estimate over the measured, lowest: time x{worst_s:.2f}, "
              f"memory x{worst_b:.2f} (at least 1: an upper bound)")  # fmt: skip
