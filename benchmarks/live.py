"""Is every explorer live at its start and at every setting the notebooks tell learners to try?

For each explorer cell of notebooks 02-05 (its own start settings) and each setting its notebook
suggests, the explorer is built at that setting and a control is moved the way a learner moves
it (a drag back and forth by one step, a dropdown cycled, a toggle flipped), and each update is
timed end to end in-process: the settings read from the controls, both wirings probed, the plot
updated and the canvas rendered, the frame's PNG encoded into the explorer's Image widget. No
event loop runs, so each ``.value =`` returns after its update. Not included: the comm message to
the browser and the browser's paint (tests/browser reports those).

Wall clock and CPU time of this process (both probe threads): on a shared machine the wall clock
counts other processes' turns too. Median and p95 (nearest rank) per setting, against the goal:
wall p95 <= 50 ms ("met"/"missed"). The training explorers' suggested runs are timed to the end
(a run goes on in the background, the kernel stays free).

torch.set_num_threads(1), as in the notebooks. ``--cpu-quota 1`` runs it all as in a container
limited to one CPU (a Binder session), which the explorers read from the control group's quota.

Run: python benchmarks/live.py [--repeats 30] [--only gradient|transformer|training]
     [--cpu-quota CPUS]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from _quota import run_under_cpu_quota  # noqa: E402 (this folder)
from _stats import median_and_p95_ms, p95  # noqa: E402 (this folder)

import shortcut_lib as sl  # noqa: E402
from shortcut_lib._cpus import usable_cores  # noqa: E402

GOAL_MS = 50.0


def drag(name: str, value: int) -> list[tuple[str, object]]:
    """A slider nudged back and forth by one step around ``value``."""
    return [(name, value - 1), (name, value)]


def cycle(name: str, values: list[object]) -> list[tuple[str, object]]:
    return [(name, v) for v in values]


# (label, how the explorer is built, moves); each explorer's first line is its notebook's start
GRADIENT = [
    ("02 start: sigmoid, depth 50, drag", dict(controls=("activation", "depth"), depth=50,
     activation="sigmoid"), drag("depth", 50)),
    ("02 try: depth 51", dict(depth=51, activation="sigmoid"), drag("depth", 51)),
    ("02 try: depth 10", dict(depth=10, activation="sigmoid"), drag("depth", 10)),
    ("02 try: activations at depth 50", dict(depth=50, activation="sigmoid"),
     cycle("activation", ["tanh", "relu", "gelu", "identity", "sigmoid"])),
    ("02 try: relu, depth 100", dict(depth=100, activation="relu"), drag("depth", 100)),
    ("02 try: relu, depth 200", dict(depth=200, activation="relu"), drag("depth", 200)),
    ("02 try: gelu, depth 200", dict(depth=200, activation="gelu"), drag("depth", 200)),
    ("03 start: depth=50 width=64 sigmoid, drag", dict(depth=50, activation="sigmoid"),
     drag("depth", 50)),
    ("03 try: gelu depth 100, drag", dict(depth=100, activation="gelu"), drag("depth", 100)),
    ("03 try: gelu depth 100, norm", dict(depth=100, activation="gelu"),
     cycle("norm", ["layernorm", "none"])),
    ("03 try: relu depth 30 width 3, width", dict(depth=30, width=3, activation="relu"),
     cycle("width", [4, 5, 6, 7, 8, 3])),
    ("03 try: gelu depth 200, drag", dict(depth=200, activation="gelu"), drag("depth", 200)),
    ("03 try: cures at depth 100", dict(depth=100, activation="gelu"),
     cycle("final_norm", [True, False]) + cycle("branch_scale", ["1/sqrt(depth)", "1"])),
    ("03 try: relu depth 50, init", dict(depth=50, activation="relu"),
     cycle("init", ["kaiming", "default"])),
    ("03 try: relu kaiming, gain drag", dict(depth=50, activation="relu", init="kaiming"),
     cycle("gain", [1.05, 1.0])),
    ("03 try: shortcut, diagnostic (view)", dict(depth=50, activation="sigmoid"),
     cycle("use_shortcut", [False, True]) + cycle("diagnostic", ["weight_grad_mean",
                                                                "output_grad_norm"])),
]  # fmt: skip
TRANSFORMER = [
    ("05 start: depth 12, drag", {}, drag("depth", 12)),
    ("05 try, instructor start: depth 48, drag", dict(depth=48), drag("depth", 48)),
    ("05 try: depth 1 to 48", dict(depth=48), [("depth", d) for d in (*range(1, 49), 48)]),
    ("05 try: norm at depth 48", dict(depth=48), cycle("norm", ["post", "none", "pre"])),
    ("05 try: scaled_init at depth 48", dict(depth=48), cycle("scaled_init", [False, True])),
    ("05 try: width 128 at depth 48", dict(depth=48), cycle("width", [128, 64])),
    ("05 try: norm none, drag", dict(depth=48, norm="none"), drag("depth", 48)),
]
TRAINING = [  # (label, explorer, settings)
    ("04 start", "mlp", {}),
    ("04 try: tanh", "mlp", dict(activation="tanh")),
    ("04 try: relu", "mlp", dict(activation="relu")),
    ("04 try: layernorm", "mlp", dict(norm="layernorm")),
    ("04 try: final_norm", "mlp", dict(final_norm=True)),
    ("04 try: sgd lr 0.3", "mlp", dict(optimizer="sgd", lr=0.3)),
    ("04 try: regression, 1000 steps", "mlp", dict(task="regression", steps=1000)),
    ("04 try: relu kaiming plain, depth 60", "mlp", dict(activation="relu", init="kaiming",
                                                        models="plain", depth=60)),
    ("05 start", "gpt", {}),
    ("05 try: post, warmup 30, lr 0.02", "gpt", dict(depth=4, norm="post", lr=0.02, warmup=30)),
    ("05 try: pre, depth 12", "gpt", dict(depth=12)),
]  # fmt: skip


def time_moves(explorer, moves, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each update, the moves cycled ``repeats`` times after one round."""
    wall, cpu = [], []
    for n, (name, value) in enumerate(itertools.chain(moves, itertools.cycle(moves))):
        if n >= len(moves) + repeats:
            break
        w, c = time.perf_counter(), time.process_time()
        explorer.controls[name].value = value
        if n >= len(moves):  # the first round warms the caches up
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
    if explorer.errors.text:
        raise RuntimeError(f"the explorer reported an error: {explorer.errors.text}")
    return wall, cpu


def row(label: str, wall: list[float], cpu: list[float]) -> str:
    (wm, wp), (cm, cp) = median_and_p95_ms(wall), median_and_p95_ms(cpu)
    verdict = "met" if p95(wall) * 1e3 <= GOAL_MS else "missed"
    return f"  {label:<42} | {wm:6.1f} {wp:6.1f} | {cm:6.1f} {cp:6.1f} | {verdict}"


def explorers(kind: str, repeats: int) -> None:
    make = sl.gradient_explorer if kind == "gradient" else sl.transformer_explorer
    print(f"{kind} explorer{' ' * 31}|  wall ms median p95 |  CPU ms median p95 | p95 <= 50")
    for label, start, moves in GRADIENT if kind == "gradient" else TRANSFORMER:
        explorer = make(**start)
        wall, cpu = time_moves(explorer, moves, repeats)
        print(row(label, wall, cpu), flush=True)
        explorer.close()


START = {  # the training explorers' starts in notebooks 04 and 05
    "mlp": dict(depth=20, width=32, activation="sigmoid", lr=0.01, steps=300),
    "gpt": dict(depth=4),
}


def training() -> None:
    print("training explorer: a suggested run, Train to done (in the background)")
    for label, kind, changes in TRAINING:
        make = sl.training_explorer if kind == "mlp" else sl.transformer_training_explorer
        explorer = make(**{**START[kind], **changes})
        w, c = time.perf_counter(), time.process_time()
        explorer.train()
        explorer.wait()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        steps = next(iter(explorer.histories.values())).steps
        print(f"  {label:<42} | {steps:4d} steps: wall {wall:5.1f} s, CPU {cpu:5.1f} s", flush=True)
        explorer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed updates per setting")
    parser.add_argument("--only", choices=["gradient", "transformer", "training"])
    parser.add_argument("--cpu-quota", type=float, help="run limited to this many CPUs' time")
    args = parser.parse_args()
    if args.cpu_quota:
        run_under_cpu_quota(args.cpu_quota)
    torch.set_num_threads(1)
    quota = f", CPU quota {args.cpu_quota:g}" if args.cpu_quota else ""
    print(f"cpus {os.cpu_count()}{quota}, usable {usable_cores()}, load average "
          f"{os.getloadavg()[0]:.2f}; torch threads 1; shortcut_lib from "
          f"{os.path.dirname(sl.__file__)}")  # fmt: skip
    for kind in ("gradient", "transformer"):
        if args.only in (None, kind):
            explorers(kind, args.repeats)
    if args.only in (None, "training"):
        training()


if __name__ == "__main__":
    main()
