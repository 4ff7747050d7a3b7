"""How long does notebook 05's transformer explorer take per update, and its training comparison?

Prints, on one thread (``torch.set_num_threads(1)``):

  explorer  one update: ``compare_transformer`` probing the plain and the shortcut wiring of the
            same weights (one forward and one backward pass each; no drawing), median and p95 over
            ``--repeats``, with the model cached ("probe") and rebuilt first ("build + probe", as
            when the seed or the width changes), at 12 and at 48 blocks (width 64, 4 heads,
            context 32, batch 8).
  reference two bare forward + ``loss.backward()`` passes of the 12-block model: the floor.
  training  each run of the notebook's comparison (the two depths, pre / post / no shortcut, the
            seeds), its final loss (the mean of the last tenth of the steps) and its time.

Goal: p95 <= 40 ms per update at 12 blocks, leaving about 10 ms for drawing. The machine's load
average is printed too: other processes slow every number here.

Run: python benchmarks/transformer.py [--repeats 50] [--skip-training]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

from shortcut_lib.transformer import GPTModel
from shortcut_lib.transformer_probes import compare_transformer, make_token_task, train_transformer

GOAL_MS = 40.0
EXPLORER = dict(emb_dim=64, n_heads=4, context_length=32, vocab_size=16)
BATCH = 8
# The notebook's training comparison (tests/test_transformer.py asserts the 4-block rows).
TRAINING = dict(emb_dim=32, n_heads=2, context_length=16, vocab_size=5)
TRAIN_STEPS, TRAIN_BATCH = 150, 32
RUNS = [  # (n_blocks, lr, label, norm, use_shortcut)
    (4, 3e-3, "pre", "pre", True),
    (4, 3e-3, "post", "post", True),
    (4, 3e-3, "plain", "pre", False),
    (12, 2e-3, "pre", "pre", True),
    (12, 2e-3, "post", "post", True),
    (12, 2e-3, "plain", "pre", False),
    (8, 1e-2, "pre", "pre", True),  # a learning rate that needs warmup
    (8, 1e-2, "post", "post", True),
]
SEEDS = (0, 1, 2)


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1e3:6.1f} ms, p95 {p95 * 1e3:6.1f} ms"


def explorer_times(n_blocks: int, repeats: int, rebuild: bool) -> list[float]:
    task = make_token_task(BATCH, EXPLORER["context_length"], EXPLORER["vocab_size"], seed=0)
    model = GPTModel(n_blocks, **EXPLORER, seed=0)
    compare_transformer(model, task.x, task.y)  # warm-up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        if rebuild:
            model = GPTModel(n_blocks, **EXPLORER, seed=i)
        compare_transformer(model, task.x, task.y)
        times.append(time.perf_counter() - start)
    return times


def bare_times(repeats: int) -> list[float]:
    """The floor: one model's plain forward and loss.backward(), twice (as for two models)."""
    task = make_token_task(BATCH, EXPLORER["context_length"], EXPLORER["vocab_size"], seed=0)
    model = GPTModel(12, **EXPLORER, seed=0)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        for _ in range(2):
            loss = F.cross_entropy(model(task.x).flatten(0, 1), task.y.flatten())
            model.zero_grad(set_to_none=True)
            loss.backward()
        times.append(time.perf_counter() - start)
    return times[1:]


def training_table() -> None:
    task_cache = {}
    total = 0.0
    for n_blocks, lr, label, norm, use_shortcut in RUNS:
        finals, seconds = [], []
        for seed in SEEDS:
            if seed not in task_cache:
                task_cache[seed] = make_token_task(
                    512, TRAINING["context_length"], TRAINING["vocab_size"], seed=seed
                )
            model = GPTModel(n_blocks, **TRAINING, norm=norm, use_shortcut=use_shortcut, seed=seed)
            start = time.perf_counter()
            loss = train_transformer(
                model, task_cache[seed], lr=lr, steps=TRAIN_STEPS, batch_size=TRAIN_BATCH, seed=seed
            )
            seconds.append(time.perf_counter() - start)
            tail = loss[-TRAIN_STEPS // 10 :]
            finals.append(sum(tail) / len(tail))
        total += sum(seconds)
        print(
            f"training  {n_blocks:2d} blocks lr {lr:g} {label:5s}: final loss "
            + " ".join(f"{f:.3f}" for f in finals)
            + f"  ({statistics.mean(seconds):.2f} s a run)"
        )
    chance = task_cache[SEEDS[0]].chance_loss
    print(f"training  chance ln V = {chance:.3f}; all {len(RUNS) * len(SEEDS)} runs: {total:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (1 min), torch threads 1")
    verdict = None
    for n_blocks in (12, 48):
        for rebuild in (False, True):
            repeats = args.repeats if n_blocks == 12 else max(5, args.repeats // 4)
            times = explorer_times(n_blocks, repeats, rebuild)
            what = "build + probe" if rebuild else "probe        "
            print(f"explorer  {n_blocks} blocks, {what}: {percentiles(times)}")
            if n_blocks == 12 and not rebuild:
                verdict = sorted(times)[round(0.95 * (len(times) - 1))] * 1e3
    print(f"reference 12 blocks, 2 x bare forward + loss.backward(): {percentiles(bare_times(20))}")
    met = "met" if verdict <= GOAL_MS else "NOT met"
    print(f"goal      p95 <= {GOAL_MS:g} ms at 12 blocks (cached model): {met} ({verdict:.1f} ms)")
    if not args.skip_training:
        training_table()


if __name__ == "__main__":
    main()
