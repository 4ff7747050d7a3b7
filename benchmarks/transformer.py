"""What does notebook 05 cost: a transformer-explorer update, and the notebook's training cell?

explorer  one update of ``sl.transformer_explorer`` end to end in-process, as a drag causes it:
          the new settings read from the controls, both wirings probed (``Comparison``: the
          stream only, both wirings in one paired pass on two threads per op, on a thread that
          flushes subnormal numbers;
          the residual projections rescaled when the depth changes, every weight redrawn when
          the seed does), the artists updated, the canvas rendered (blitted, or drawn in full
          when the axes change) and the frame's PNG encoded into the explorer's Image widget.
          Not included: the comm message to the browser and the browser's paint.
          Patterns, at 12 and at 48 blocks (width 64, 4 heads, batch 8; context 32, the issue's
          size, and 16, the explorer's default):
            drag    depth alternates target, target-1, target, ... (weights redrawn each time)
            reseed  the seed changes each time (weights and sequences redrawn)
            norm    the norm placement cycles pre, post, none (a rewiring only)
          then the split at 12 and 48 blocks: the probe alone (``Comparison.profiles``), in one
          paired pass on two threads per op and one wiring after the other on one thread
          (``side_by_side=False``), and the bare floor, two plain forward +
          ``loss.backward()`` passes on one thread.
training  notebook 05's training cells: 12 runs of ``train_transformer`` of 60 steps (4 blocks;
          pre-norm, post-norm, no shortcut; seeds 0-2; then seed 0 with one change each: post-norm
          at lr 0.01, no shortcut with 1 block, no shortcut with LayerNorm's eps at 1e-12), each
          run's final loss / chance and time.

Times are wall clock and CPU time of this process (``time.process_time``). The explorer's paired
pass runs on two threads at once, so its wait is the wall clock, and its CPU time, both threads
together, is what the update costs; on a shared machine the wall clock also counts other
processes' turns. Medians and p95 are printed, never means. torch.set_num_threads(1) throughout,
as the notebook: one thread per op, but two for the explorer's paired pass.

Goal: wall p95 <= 40 ms per explorer update at 12 blocks, context 32.

Run: python benchmarks/transformer.py [--repeats 60] [--skip-training]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _stats import median_and_p95_ms, p95  # noqa: E402 (this folder)

import shortcut_lib as sl  # noqa: E402

GOAL_MS = 40.0
EXPLORER = dict(width=64, heads=4, context_length=32, batch_size=8)
TRAINING = dict(emb_dim=32, n_heads=2, context_length=8, vocab_size=16)
WIRINGS = {"pre": ("pre", True), "post": ("post", True), "no shortcut": ("pre", False)}


def percentiles(seconds: list[float]) -> str:
    median, high = median_and_p95_ms(seconds)
    return f"median {median:6.1f} ms, p95 {high:6.1f} ms"


def changes(pattern: str, depth: int, repeats: int) -> list[tuple[str, object]]:
    if pattern == "drag":
        return [("depth", depth if i % 2 else depth - 1) for i in range(repeats)]
    if pattern == "reseed":
        return [("seed", i + 1) for i in range(repeats)]
    return [("norm", n) for n, _ in zip(itertools.cycle(("post", "none", "pre")), range(repeats))]


def time_updates(explorer, moves) -> tuple[list[float], list[float]]:
    """Each move's wall and CPU time; the moves the explorer refuses (over its bounds: it says
    so, keeps the last good settings and computes nothing) are left out of both."""
    wall, cpu, refused = [], [], {}
    for name, value in moves:
        w, c = time.perf_counter(), time.process_time()
        explorer.controls[name].value = value  # no event loop: returns after its update
        if explorer.errors.kind == "error":
            refused[f"{name}={value}"] = explorer.errors.text
            explorer.errors.clear()
            continue
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    for move, words in refused.items():
        print(f"          {move} refused, before computing: {words}")
    return wall, cpu


def explorer_table(repeats: int, context_length: int) -> float:
    verdict = 0.0
    size = {**EXPLORER, "context_length": context_length}
    for depth in (12, 48):
        for pattern in ("drag", "reseed", "norm"):
            n = repeats if depth == 12 else max(10, repeats // 3)
            explorer = sl.transformer_explorer(depth=depth, **size)
            time_updates(explorer, changes(pattern, depth, 3))  # warm-up
            wall, cpu = time_updates(explorer, changes(pattern, depth, n))
            print(
                f"explorer  {depth:2d} blocks, context {context_length}, {pattern:6s}: "
                f"wall {percentiles(wall)}; "
                f"cpu {percentiles(cpu)}"
            )
            if depth == 12 and pattern == "drag":
                verdict = p95(wall)
            explorer.close()
    return verdict


def probe(comparison: sl.Comparison, settings: sl.BlockSettings, i: int) -> None:
    depth = settings.depth
    comparison.profiles(settings.replace(depth=depth - i % 2))  # weights redrawn each time


def split_table(repeats: int) -> None:
    for depth in (12, 48):
        settings = sl.BlockSettings(depth=depth, **EXPLORER)
        paired, one_after_the_other = (
            functools.partial(probe, sl.Comparison(side_by_side=flag), settings)
            for flag in (True, False)
        )
        task = sl.make_token_task(8, 32, 16, seed=0)
        model = sl.GPTModel(depth, 64, 4, 32, 16, seed=0)

        def bare(i: int, model=model, task=task) -> None:
            for _ in range(2):
                loss = F.cross_entropy(model(task.x).flatten(0, 1), task.y.flatten())
                model.zero_grad(set_to_none=True)
                loss.backward()

        for label, work in [
            ("probe alone, paired pass (weights redrawn)", paired),
            ("probe alone, one after the other (the same)", one_after_the_other),
            ("2 x bare forward + loss.backward()", bare),
        ]:
            work(0)  # warm-up
            wall, cpu = [], []
            for i in range(repeats if depth == 12 else max(10, repeats // 3)):
                w, c = time.perf_counter(), time.process_time()
                work(i)
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
            print(
                f"split     {depth} blocks, {label}: wall {percentiles(wall)}; "
                f"cpu {percentiles(cpu)}"
            )


RUNS = {  # label: (seeds, options), as notebook 05 trains them
    **{label: (range(3), dict(norm=norm, use_shortcut=shortcut))
       for label, (norm, shortcut) in WIRINGS.items()},
    "post, lr 0.01": ((0,), dict(norm="post", lr=0.01)),
    "no shortcut, 1 block": ((0,), dict(use_shortcut=False, n_blocks=1)),
    "no shortcut, eps 1e-12": ((0,), dict(use_shortcut=False, eps=1e-12)),
}  # fmt: skip


def train_once(seed: int, n_blocks: int = 4, lr: float = 0.03, eps: float = 1e-5, **wiring):
    task = sl.make_token_task(512, 8, 16, seed=seed)
    model = sl.GPTModel(n_blocks, **TRAINING, seed=seed, **wiring)
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.eps = eps
    history = sl.train_transformer(model, task, lr=lr, steps=60, batch_size=32, seed=seed)
    return history.final_loss / task.chance_loss


def training_table() -> None:
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # its one-time import, not a run's
    finals, seconds = {}, {}
    wall, cpu = time.perf_counter(), time.process_time()
    for label, (seeds, options) in RUNS.items():
        for seed in seeds:
            c = time.process_time()
            finals.setdefault(label, []).append(train_once(seed, **options))
            seconds.setdefault(label, []).append(time.process_time() - c)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for label, values in finals.items():
        print(
            f"training  {label:22s}: final loss / chance "
            + " ".join(f"{v:.2f}" for v in values)
            + f"  (cpu {statistics.median(seconds[label]):.2f} s a run)"
        )
    runs = sum(len(values) for values in finals.values())
    print(f"training  the notebook's {runs} runs: wall {wall:.1f} s, cpu {cpu:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--context", type=int, nargs="+", default=[32, 16])
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (1 min), torch threads 1")
    verdicts = {c: explorer_table(args.repeats, c) for c in args.context}
    split_table(args.repeats)
    for context_length, verdict in verdicts.items():
        met = "met" if verdict * 1e3 <= GOAL_MS else "NOT met"
        print(
            f"goal      wall p95 <= {GOAL_MS:g} ms at 12 blocks, context {context_length}, drag: "
            f"{met} ({verdict * 1e3:.1f} ms)"
        )
    if not args.skip_training:
        training_table()


if __name__ == "__main__":
    main()
