"""Is every explorer bounded: at its extremes, after any sequence of changes, and as estimated?

extremes  each explorer opened at its notebook's start, then every control moved to its end, one
          after the other as a learner drags them, in a fresh kernel-like process (a child, the
          explorers' own Agg canvas): each update's time, the outcome of the last one (updated, or
          refused before computing, with the estimate and a setting that fits, in the explorer's
          own error area) and the process's peak memory (VmHWM) above what it held at the start.
          A training explorer's controls at their ends: Train, and the run's outcome.
walk      a random sequence of changes over every control's whole range, then the start settings
          again: the peak above the start and what stays resident after coming back.
estimates each settings' estimate (families/costs.py) against the time and memory of one update
          measured in a fresh process: the first (models built), a new seed, a depth step. The
          estimate should be the larger everywhere.

Wall and CPU seconds of this machine (torch.set_num_threads(1), as the notebooks); memory from
/proc (Linux only). A child that takes more than --timeout seconds or 8 GB is stopped, and says so.

Run: python benchmarks/bounds.py [--only extremes|walk|estimates] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = """
import json, random, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
import matplotlib; matplotlib.use("Agg")
import torch; torch.set_num_threads(1)
import shortcut_lib as sl
def memory(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) * 1024
def error(explorer):
    return explorer.errors.text
job = json.loads(sys.argv[1])
make = getattr(sl, job["make"])
explorer = make(**job["start"])
base = memory("VmRSS")
times = []
for name, value in job["moves"]:
    w, c = time.perf_counter(), time.process_time()
    explorer.controls[name].value = value
    times.append((name, value, time.perf_counter() - w, time.process_time() - c))
if job.get("train"):
    w = time.perf_counter()
    explorer.train()
    explorer.wait()
    times.append(("train", "", time.perf_counter() - w, 0))
if job.get("back"):
    for name, value in job["start"].items():
        if name in explorer.controls:
            explorer.controls[name].value = value
print(json.dumps({"times": times, "error": error(explorer), "peak": memory("VmHWM") - base,
                  "resident": memory("VmRSS") - base}))
"""
# (label, the explorer's function, its start, the moves to the extremes, train at the end)
EXTREMES = [
    ("02 gradient explorer", "gradient_explorer",
     dict(controls=["activation", "depth"], depth=50, activation="sigmoid"),
     [("depth", 200), ("activation", "identity"), ("activation", "gelu")], False),
    ("03 gradient explorer", "gradient_explorer", dict(depth=50, activation="sigmoid"),
     [("depth", 200), ("width", 256), ("batch_size", 256), ("gain", 4.0), ("init", "kaiming"),
      ("activation", "identity"), ("norm", "layernorm")], False),
    ("05 transformer explorer", "transformer_explorer", dict(depth=48),
     [("width", 256), ("context_length", 64), ("batch_size", 64), ("norm", "none")], False),
    ("04 training explorer, shown ranges", "training_explorer",
     dict(depth=20, width=32, activation="sigmoid", lr=0.01, steps=300),
     [("depth", 60), ("width", 128), ("steps", 2000)], True),
    ("04 training explorer, whole ranges", "training_explorer",
     dict(depth=20, width=32, activation="sigmoid", lr=0.01, steps=300,
          limits={"depth": (1, 200), "width": (2, 512), "steps": (10, 5000)}),
     [("depth", 200), ("width", 512), ("steps", 5000)], True),
    ("05 training explorer", "transformer_training_explorer", dict(depth=4),
     [("depth", 48), ("width", 256), ("steps", 500)], True),
]  # fmt: skip


def child(job: dict, timeout: float) -> dict:
    """Run ``job`` in a fresh process; its result, or what stopped it."""
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(job)], capture_output=True,
                             text=True, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"stopped": f"still computing after {timeout:.0f} s: stopped"}
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"stopped": f"failed: {last[:120]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def extremes(timeout: float) -> None:
    print("extremes: every control to its end, one after the other (a fresh process each)")
    for label, make, start, moves, train in EXTREMES:
        result = child({"make": make, "start": start, "moves": moves, "train": train}, timeout)
        print(f"  {label}")
        if "stopped" in result:
            print(f"    {result['stopped']}")
            continue
        for name, value, wall, cpu in result["times"]:
            print(f"    {name}={value}: wall {wall * 1e3:7.0f} ms, CPU {cpu * 1e3:7.0f} ms")
        outcome = result["error"] or "updated"
        print(f"    outcome: {outcome[:300]}")
        print(f"    peak memory above the start: {result['peak'] / 1e6:.0f} MB")


WALK = {
    "gradient_explorer": dict(depth=(1, 200), width=(1, 256), batch_size=(1, 256),
                              gain=(0.05, 4.0), activation=["gelu", "relu", "sigmoid", "tanh",
                              "identity"], norm=["none", "layernorm"], final_norm=[False, True]),
    "transformer_explorer": dict(depth=(1, 48), width=(8, 256), context_length=(2, 64),
                                 batch_size=(1, 64), norm=["pre", "post", "none"]),
}  # fmt: skip


def random_moves(ranges: dict, steps: int, seed: int) -> list[tuple[str, object]]:
    """``steps`` random changes: a choice, a whole number or a multiple of 0.05 in range
    (widths of the GPT stack in steps of 8, as its slider has them)."""
    rng, moves = random.Random(seed), []
    for _ in range(steps):
        name = rng.choice(list(ranges))
        span = ranges[name]
        if isinstance(span, list):
            value = rng.choice(span)
        elif isinstance(span[0], int):
            step = 8 if span[0] == 8 else 1
            value = rng.randrange(span[0], span[1] + 1, step)
        else:
            value = round(rng.uniform(*span) / 0.05) * 0.05
        moves.append((name, value))
    return moves


def walk(timeout: float, steps: int, seed: int = 0) -> None:
    print(f"walk: {steps} random changes over every control's range, then the start again")
    for make, ranges in WALK.items():
        start = {} if make == "transformer_explorer" else dict(depth=50, activation="sigmoid")
        job = {"make": make, "start": start, "moves": random_moves(ranges, steps, seed)}
        result = child({**job, "back": True}, timeout)
        if "stopped" in result:
            print(f"  {make}: {result['stopped']}")
            continue
        walls = sorted(t[2] for t in result["times"])
        print(f"  {make}: slowest update {walls[-1]:.2f} s, median {walls[len(walls) // 2]:.3f} "
              f"s; peak above the start {result['peak'] / 1e6:.0f} MB; back at the start, "
              f"resident above it {result['resident'] / 1e6:.0f} MB")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["extremes", "walk", "estimates"])
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per child")
    parser.add_argument("--steps", type=int, default=60, help="changes in a walk")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs Linux: reads memory from /proc/self/status")
        return 1
    if args.only in (None, "extremes"):
        extremes(args.timeout)
    if args.only in (None, "walk"):
        walk(args.timeout, args.steps)
    if args.only in (None, "estimates"):
        from estimates import estimates  # noqa: PLC0415 (this folder)

        estimates(args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
