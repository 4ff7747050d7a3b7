"""What does one gradient-explorer update cost, end to end in-process?

Sets the explorer's controls the way a drag does and times each update: the new settings, both
models' profiles (a rebuild only when the cache misses), the artists updated and the canvas
rendered (blitted, or drawn in full when the axis limits change) and the frame's PNG encoded
and set as its Image's value (``canvas.blit`` -> ``send``). No event loop runs, so every
``.value =`` returns after its update. Not included: the comm message to the browser (no kernel
sends it here) and the browser's paint.

Times are wall clock and CPU time of this process (``time.process_time``): on a shared machine
the wall clock also counts other processes' turns, the CPU time is what the update itself costs.

Patterns, per target depth (width 64 unless told):
  drag    depth alternates target, target-1, target, ... (a slider nudged back and forth)
  sweep   depth steps by 1 from target-10 to target+10 and back (clipped to 1..200)
  reseed  the seed changes each time: a cache miss, so the networks are rebuilt

Then, on the same explorer: the split (probe vs plot update + blitted redraw), a forced full
redraw ``fig.canvas.draw()``, ``redraw(full=True)``, and the open-figure count after 100 updates.
``--profile`` prints a cProfile of a drag at each depth.

torch.set_num_threads(1) for the whole run, as in the notebooks. Nothing flushes float32 subnormals:
a deep plain network's vanishing gradients pass through them, and the probe reports them as they
are (slower arithmetic, true numbers).

Run: python benchmarks/explorer.py [--activation gelu] [--depths 10 100 200] [--width 64]
                                   [--batch 16] [--steps 60] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from _stats import median_and_p95_ms, p95  # noqa: E402 (this folder)
from matplotlib.figure import Figure  # noqa: E402

import shortcut_lib as sl  # noqa: E402

GOAL_MS = 40.0  # p95 at depth 100, width 64


def ms(seconds: list[float]) -> str:
    median, high = median_and_p95_ms(seconds)
    return f"{median:7.1f} {high:7.1f}"


def depth_path(pattern: str, target: int, steps: int) -> list[int]:
    if pattern == "drag":
        return [target if i % 2 == 0 else max(target - 1, 1) for i in range(steps)]
    low, high = max(target - 10, 1), min(target + 10, 200)
    up = list(range(low, high + 1))
    path = up + up[-2::-1]
    return (path * (steps // len(path) + 1))[:steps]


def count_updates(explorer: sl.GradientExplorer) -> list[None]:
    """A list that grows by one at every update of ``explorer`` from now on."""
    updates, refresh = [], explorer.refresh
    explorer.refresh = lambda: (updates.append(None), refresh())[1]
    return updates


def time_changes(
    explorer: sl.GradientExplorer, changes: list[tuple[str, object]]
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each update the changes cause."""
    wall, cpu = [], []
    for name, value in changes:
        if explorer.controls[name].value == value:
            continue  # not a change: no update would run
        start, start_cpu = time.perf_counter(), time.process_time()
        explorer.controls[name].value = value
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


class Clock:
    """Wall and CPU time since the last lap, recorded under a name."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.start()

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str, keep: bool = True) -> tuple[float, float]:
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        if keep:
            self.wall.setdefault(name, []).append(wall)
            self.cpu.setdefault(name, []).append(cpu)
        self.start()
        return wall, cpu


def split(explorer: sl.GradientExplorer, target: int, steps: int) -> Clock:
    """Probe and draw timed apart, on the explorer's own comparison and plot."""
    comparison, plot = explorer._comparison, explorer.plot  # a benchmark may look inside
    settings = explorer.settings
    canvas = explorer.canvas
    send = canvas.send
    clock = Clock()
    for depth in depth_path("drag", target, steps):
        s = settings.replace(depth=depth)
        clock.start()
        profiles = comparison.profiles(s)
        clock.lap("probe (both models)")
        values = {k: p.diagnostic(s.diagnostic) for k, p in profiles.items()}
        full = plot.update(values, emphasis="shortcut")
        clock.lap("plot.update")
        plot.redraw(full=full)
        with_frame = clock.lap("redraw (blit + frame PNG to the Image)", keep=not full)
        canvas.send = lambda: None  # the same blit again, without the frame's PNG
        plot.redraw(full=False)
        canvas.send = send
        clock.lap("redraw (blit only)", keep=not full)
        if not full:
            clock.wall.setdefault("  so the frame PNG costs", []).append(
                max(with_frame[0] - clock.wall["redraw (blit only)"][-1], 0.0)
            )
            clock.cpu.setdefault("  so the frame PNG costs", []).append(
                max(with_frame[1] - clock.cpu["redraw (blit only)"][-1], 0.0)
            )
    for _ in range(max(steps // 3, 5)):
        clock.start()
        plot.redraw(full=True)
        clock.lap("redraw(full=True)")
        explorer.figure.canvas.draw()
        clock.lap("fig.canvas.draw() (forced full)")
    plot.redraw(full=True)  # leave the canvas as the explorer would
    return clock


def profile_drag(explorer: sl.GradientExplorer, target: int, steps: int, top: int) -> str:
    changes = [("depth", d) for d in depth_path("drag", target, steps)]
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    time_changes(explorer, changes)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def figures_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="gelu", choices=list(sl.ACTIVATIONS))
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 100, 200])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16, help="the explorer's default is 16")
    parser.add_argument("--steps", type=int, default=60, help="timed updates per pattern")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile a drag per depth")
    parser.add_argument("--top", type=int, default=18, help="rows of the cProfile listing")
    args = parser.parse_args()

    torch.set_num_threads(1)
    print(
        f"torch {torch.__version__}, matplotlib {matplotlib.__version__}, "
        f"shortcut_lib from {sl.__file__}; torch.set_num_threads(1)"
    )
    print(
        f"activation {args.activation}, width {args.width}, batch {args.batch}, seed 0, "
        f"shortcut on, diagnostic dW_mean; {args.steps} updates per pattern after "
        f"{args.warmup} untimed; median and p95 in ms; goal p95 <= {GOAL_MS:g} ms at depth 100"
    )
    print(
        "one update = control.value = ... returning: settings, probe of both models, artists,"
        " canvas render + blit, the frame's PNG set on its Image"
    )
    header = f"{'depth':>5} {'pattern':<7} | {'wall ms':>15} | {'CPU ms':>15} | full redraws | goal"
    print(header)
    print(f"{'':>5} {'':<7} | {'median     p95':>15} | {'median     p95':>15} |")
    print("-" * len(header))
    splits, profiles = {}, {}
    for target in args.depths:
        e = sl.gradient_explorer(
            depth=target,
            width=args.width,
            batch_size=args.batch,
            activation=args.activation,
            seed=0,
        )
        time_changes(e, [("depth", d) for d in depth_path("drag", target, args.warmup)])
        fulls = count_full_redraws(e)
        patterns: dict[str, Callable[[], list[tuple[str, object]]]] = {
            "drag": lambda t=target: [("depth", d) for d in depth_path("drag", t, args.steps)],
            "sweep": lambda t=target: [("depth", d) for d in depth_path("sweep", t, args.steps)],
            "reseed": lambda: [("seed", i + 1) for i in range(max(args.steps // 3, 10))],
        }
        for pattern, changes in patterns.items():
            e.controls["seed"].value = 0
            e.controls["depth"].value = target
            updates, full_before = count_updates(e), fulls["full"]
            wall, cpu = time_changes(e, changes())
            assert len(updates) == len(wall)
            goal = ""
            if target == 100:
                goal = "met" if p95(wall) <= GOAL_MS / 1e3 else "MISSED (wall)"
                goal += "" if p95(cpu) <= GOAL_MS / 1e3 else ", MISSED (CPU)"
            print(
                f"{target:>5} {pattern:<7} | {ms(wall)} | {ms(cpu)} | "
                f"{fulls['full'] - full_before:>5}/{len(wall):<6} | {goal}"
            )
        e.controls["seed"].value = 0
        e.controls["depth"].value = target
        splits[target] = split(e, target, args.steps)
        if args.profile:
            profiles[target] = profile_drag(e, target, args.steps, args.top)
        e.close()

    print("\nsplit of a drag (the explorer's own comparison and plot):")
    print(f"{'depth':>5} {'part':<34} | {'wall ms':>15} | {'CPU ms':>15}")
    for target, clock in splits.items():
        for name, values in clock.wall.items():
            print(f"{target:>5} {name:<34} | {ms(values)} | {ms(clock.cpu[name])}")

    figures_before, fignums_before = figures_alive(), plt.get_fignums()
    e = sl.gradient_explorer(
        depth=100, width=args.width, batch_size=args.batch, activation=args.activation
    )
    updates = count_updates(e)
    for i in range(100):  # a drag with a jump every fifth step; each one a change
        e.controls["depth"].value = (100 - i % 2) if i % 5 else 50 + i % 7
    print(
        f"\nafter {len(updates)} updates of one explorer: "
        f"{figures_alive() - figures_before} more Figure alive than before it was made "
        f"(expected 1: its own); plt.get_fignums() {plt.get_fignums()}, before "
        f"{fignums_before}"
    )
    for target, text in profiles.items():
        print(
            f"\ncProfile (CPU time) of a {args.steps}-step drag at depth {target}, "
            "sorted by own time:"
        )
        print("\n".join(text.splitlines()[: args.top + 12]))


def count_full_redraws(explorer: sl.GradientExplorer) -> dict[str, int]:
    """The plot's count of full draws (the axes changed), read as a live dict."""
    live = explorer.plot._live  # a benchmark may look inside

    class Counter(dict):
        def __getitem__(self, key: str) -> int:
            return live.full_draws

    return Counter(full=0)


if __name__ == "__main__":
    main()
