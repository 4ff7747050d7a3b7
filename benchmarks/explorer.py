"""What does one gradient-explorer update cost, end to end in-process?

Sets the explorer's controls the way a drag does and times each update: the new settings, both
models' profiles (a rebuild only when the cache misses), the artists updated and the canvas
rendered (blitted, or drawn in full when the axis limits change). No event loop runs, so every
``.value =`` returns after its update. What it does not include: the comm message to the browser
and the browser's paint. ``+frame`` adds ipympl's diff-PNG encoding of the new frame, which a
kernel with a connected view pays in ``refresh_all``.

Patterns, per target depth (width 64 unless told):
  drag    depth alternates target, target-1, target, ... (a slider nudged back and forth)
  sweep   depth steps by 1 from target-10 to target+10 and back (clipped to 1..200)
  reseed  the seed changes each time: a cache miss, so the networks are rebuilt

Then, on the same explorer: the split (probe vs plot update + blitted redraw), a forced full
redraw ``fig.canvas.draw()``, ``redraw(full=True)``, and the open-figure count after 100 updates.
``--profile`` prints a cProfile of a drag at each depth.

Run: python benchmarks/explorer.py [--activation gelu] [--depths 10 100 200] [--width 64]
                                   [--batch 16] [--steps 60] [--profile] [--flush-denormals]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import time
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import shortcut_lib as sl  # noqa: E402

GOAL_MS = 40.0  # p95 at depth 100, width 64


def ms(seconds: list[float]) -> str:
    values = sorted(seconds)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"{statistics.median(values) * 1e3:7.1f} {p95 * 1e3:7.1f}"


def depth_path(pattern: str, target: int, steps: int) -> list[int]:
    if pattern == "drag":
        return [target if i % 2 == 0 else max(target - 1, 1) for i in range(steps)]
    low, high = max(target - 10, 1), min(target + 10, 200)
    up = list(range(low, high + 1))
    path = up + up[-2::-1]
    return (path * (steps // len(path) + 1))[:steps]


def time_changes(explorer: sl.GradientExplorer, changes: list[tuple[str, object]],
                 frame: bool) -> list[float]:
    canvas = explorer.figure.canvas
    times = []
    for name, value in changes:
        if explorer.controls[name].value == value:
            continue  # not a change: no update would run
        start = time.perf_counter()
        explorer.controls[name].value = value
        if frame:
            canvas.get_diff_image()  # what refresh_all encodes and sends to a connected view
        times.append(time.perf_counter() - start)
    return times


def split(explorer: sl.GradientExplorer, target: int, steps: int) -> dict[str, list[float]]:
    """Probe and draw timed apart, on the explorer's own comparison and plot."""
    comparison, plot = explorer._comparison, explorer.plot  # a benchmark may look inside
    settings = explorer.settings
    times: dict[str, list[float]] = {"probe (both models)": [], "plot.update": [],
                                     "redraw (blit)": [], "redraw(full=True)": [],
                                     "fig.canvas.draw() (forced full)": []}
    for depth in depth_path("drag", target, steps):
        s = settings.replace(depth=depth)
        t0 = time.perf_counter()
        profiles = comparison.profiles(s)
        t1 = time.perf_counter()
        values = {k: p.diagnostic(s.diagnostic_name) for k, p in profiles.items()}
        full = plot.update(values, emphasis="shortcut")
        t2 = time.perf_counter()
        plot.redraw(full=full)
        t3 = time.perf_counter()
        times["probe (both models)"].append(t1 - t0)
        times["plot.update"].append(t2 - t1)
        times["redraw (blit)"].append(t3 - t2)
    for _ in range(max(steps // 3, 5)):
        t0 = time.perf_counter()
        plot.redraw(full=True)
        t1 = time.perf_counter()
        explorer.figure.canvas.draw()
        t2 = time.perf_counter()
        times["redraw(full=True)"].append(t1 - t0)
        times["fig.canvas.draw() (forced full)"].append(t2 - t1)
    plot.redraw(full=True)  # leave the canvas as the explorer would
    return times


def profile_drag(explorer: sl.GradientExplorer, target: int, steps: int, top: int) -> str:
    changes = [("depth", d) for d in depth_path("drag", target, steps)]
    profiler = cProfile.Profile()
    profiler.enable()
    time_changes(explorer, changes, frame=False)
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
    parser.add_argument("--flush-denormals", action="store_true",
                        help="torch.set_flush_denormal(True) first (the explorer does not)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    flushing = args.flush_denormals and torch.set_flush_denormal(True)
    print(f"torch {torch.__version__}, matplotlib {matplotlib.__version__}, "
          f"torch.set_num_threads(1), denormals {'flushed' if flushing else 'kept (as the explorer)'}")
    print(f"activation {args.activation}, width {args.width}, batch {args.batch}, seed 0, "
          f"shortcut on, diagnostic dW_mean; {args.steps} updates per pattern after "
          f"{args.warmup} untimed; median and p95 in ms; goal p95 <= {GOAL_MS:g} ms at depth 100")
    print("update = control.value = ... returning (settings, probe, artists, canvas render + blit);"
          " +frame adds ipympl's diff PNG of the frame")
    header = f"{'depth':>5} {'pattern':<8} | {'update':>15} | {'+frame':>15} | full redraws"
    print(header)
    print(f"{'':>5} {'':<8} | {'median     p95':>15} | {'median     p95':>15} |")
    print("-" * len(header))
    figures_before, fignums_before = figures_alive(), plt.get_fignums()
    splits, profiles = {}, {}
    for target in args.depths:
        e = sl.gradient_explorer(depth=target, width=args.width, batch=args.batch,
                                 activation=args.activation, seed=0)
        time_changes(e, [("depth", d) for d in depth_path("drag", target, args.warmup)], False)
        fulls = count_full_redraws(e)
        patterns: dict[str, Callable[[], list[tuple[str, object]]]] = {
            "drag": lambda t=target: [("depth", d) for d in depth_path("drag", t, args.steps)],
            "sweep": lambda t=target: [("depth", d) for d in depth_path("sweep", t, args.steps)],
            "reseed": lambda: [("seed", i + 1) for i in range(max(args.steps // 3, 10))],
        }
        for pattern, changes in patterns.items():
            if pattern == "reseed":
                e.controls["depth"].value = target
            count = e.update_count
            plain = time_changes(e, changes(), frame=False)
            e.controls["seed"].value = 0
            full_before = fulls["full"]
            with_frame = time_changes(e, changes(), frame=True)
            full = fulls["full"] - full_before
            assert e.update_count > count
            print(f"{target:>5} {pattern:<8} | {ms(plain)} | {ms(with_frame)} | "
                  f"{full}/{len(with_frame)}")
        e.controls["seed"].value = 0
        e.controls["depth"].value = target
        splits[target] = split(e, target, args.steps)
        if args.profile:
            profiles[target] = profile_drag(e, target, args.steps, args.top)
        e.close()

    print("\nsplit of a drag (the explorer's own comparison and plot), ms median / p95:")
    for target, times in splits.items():
        for name, values in times.items():
            print(f"{target:>5} {name:<34} {ms(values)}")

    e = sl.gradient_explorer(depth=100, width=args.width, batch=args.batch,
                             activation=args.activation)
    count = e.update_count
    for i in range(100):
        e.controls["depth"].value = 100 - (i % 2) if i % 5 else 50 + i % 7
    print(f"\nafter {e.update_count - count} updates of one explorer: "
          f"{figures_alive() - figures_before} Figure(s) alive that were not before "
          f"(plt.get_fignums() {plt.get_fignums()} before {fignums_before})")
    for target, text in profiles.items():
        print(f"\ncProfile of a {args.steps}-step drag at depth {target}, sorted by own time:")
        print("\n".join(text.splitlines()[:args.top + 12]))


def count_full_redraws(explorer: sl.GradientExplorer) -> dict[str, int]:
    """Wrap the plot's redraw to count the full ones (the limits changed)."""
    plot, counter = explorer.plot, {"full": 0}
    original = plot.redraw

    def redraw(full: bool = True) -> None:
        counter["full"] += bool(full)
        original(full=full)

    plot.redraw = redraw
    return counter


if __name__ == "__main__":
    main()
