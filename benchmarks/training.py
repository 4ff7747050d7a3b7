"""How fast does notebook 04 train, and how long does the explorer's default run take?

Prints, at the notebook's default settings (spirals, depth 20, width 32, sigmoid, Adam, lr 0.01,
300 steps, batch 64; a step trains both the plain and the shortcut model):

  cold start  the first TrainingRun of a process: torch.optim imports torch._dynamo on first use
  train()     steps per second of ``sl.train`` (median and best of ``--repeats``)
  draw        one frame of the explorer's figure: blitted (the axes as they were) and in full
  explorer    the default run from the Train button to the end, in-process: the training
              thread draws a frame (about ten a second) and sends it to its Image, as in a
              kernel; and the same run with frames drawn but not encoded or sent.

torch.set_num_threads(1) for the whole run, as in the notebooks (with torch's default of one thread
per core, the training thread's kernels and the drawing thread fight over the same two cores).

Goal: the default run finishes in <= 10 s on a 2-core machine. The machine's load average is
printed too: other processes slow every number here.

Run: python benchmarks/training.py [--repeats 5] [--steps 300] [--depth 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

import shortcut_lib as sl  # noqa: E402

GOAL_SECONDS = 10.0


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run_without_sending(explorer: sl.TrainingExplorer) -> tuple[float, int]:
    """Train with every frame rendered but neither encoded nor sent: what sending costs."""
    canvas = explorer.canvas
    sent = canvas.frames
    canvas.send = lambda: None  # the render stays, the PNG and the message go
    start = time.perf_counter()
    explorer.train()
    explorer.wait()
    return time.perf_counter() - start, canvas.frames - sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--depth", type=int, default=20)
    args = parser.parse_args()
    settings = {"depth": args.depth, "steps": args.steps}

    torch.set_num_threads(1)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (1 min), torch threads 1")
    cold = timed(lambda: sl.TrainingRun(**settings))
    print(f"cold start   first TrainingRun: {cold:6.2f} s (torch._dynamo import, once a process)")

    times = [timed(lambda: sl.train(**settings)) for _ in range(args.repeats)]
    median, best = statistics.median(times), min(times)
    print(
        f"train()      {args.steps} steps: median {median:5.2f} s ({args.steps / median:5.0f} "
        f"steps/s), best {best:5.2f} s ({args.steps / best:5.0f} steps/s); "
        f"{median / args.steps / 2 * 1e3:.2f} ms per model step"
    )

    explorer = sl.training_explorer(**settings)
    explorer.train()
    explorer.wait()
    # plot.redraw() is what each frame runs: blitting while the axes stay, a full draw if not.
    blits = [timed(explorer.plot.redraw) for _ in range(args.repeats)]
    fulls = [timed(lambda: explorer.plot.redraw(full=True)) for _ in range(args.repeats)]
    print(
        f"draw         a frame: median {statistics.median(blits) * 1e3:5.0f} ms blitted, "
        f"{statistics.median(fulls) * 1e3:5.0f} ms in full (when the axes change)"
    )

    live = []
    for _ in range(args.repeats):
        explorer = sl.training_explorer(**settings)
        sent = explorer.canvas.frames
        seconds = timed(lambda e=explorer: (e.train(), e.wait()))
        live.append((seconds, explorer.canvas.frames - sent))
    seconds = statistics.median(t for t, _ in live)
    frames = statistics.median(f for _, f in live)
    print(
        f"explorer     default run, frames sent: median {seconds:5.2f} s, "
        f"{frames:.0f} frames ({frames / seconds:.1f} frames/s)"
    )
    quiet = [run_without_sending(sl.training_explorer(**settings)) for _ in range(args.repeats)]
    print(
        "explorer     default run, frames drawn but not sent: median "
        f"{statistics.median(t for t, _ in quiet):5.2f} s"
    )
    verdict = "met" if seconds <= GOAL_SECONDS else "NOT met"
    print(f"goal         default run <= {GOAL_SECONDS:g} s: {verdict} ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
