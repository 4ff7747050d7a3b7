"""How much does ``sl.gradient_profile`` cost over a bare forward and backward pass?

For each depth and width it times, interleaved in one loop so machine noise hits both alike:

  (a) bare:    model(x); mse against zeros; model.zero_grad(set_to_none=True); loss.backward()
  (b) profile: sl.gradient_profile(model, x)

and prints the medians, their ratio, and the cost per layer (flat per-layer cost = linear in depth).
``--breakdown`` also times the pieces of the profile, to show where any overhead goes.

Run: python benchmarks/probe.py [--repeats 21] [--warmup 3] [--batch 64] [--shortcut both]
     [--breakdown] [--clock cpu|wall] [--keep-denormals]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

import shortcut_lib as sl
from shortcut_lib import probes
from shortcut_lib.probes import mlp as probe_mlp
from shortcut_lib.probes._pass import reduce_pass


def bare_step(model: torch.nn.Module, x: torch.Tensor) -> None:
    out = model(x)
    loss = F.mse_loss(out, torch.zeros_like(out))
    model.zero_grad(set_to_none=True)
    loss.backward()


def profile_step(model: torch.nn.Module, x: torch.Tensor) -> None:
    sl.gradient_profile(model, x)


# CPU time of this thread: with torch.set_num_threads(1) every op runs here, and time spent
# waiting for a core on a busy machine is not counted (wall time is available with --clock wall).
CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def timed(fn: Callable[[], object]) -> float:
    start = clock()
    fn()
    return clock() - start


def interleaved_medians(
    steps: dict[str, Callable[[], object]], repeats: int, warmup: int
) -> dict[str, float]:
    """Median seconds per step; the order alternates each round to cancel drift."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps)
    for round_ in range(repeats):
        for name in order if round_ % 2 == 0 else order[::-1]:
            times[name].append(timed(steps[name]))
    return {name: statistics.median(ts) for name, ts in times.items()}


def breakdown_steps(model: sl.DeepNetwork, x: torch.Tensor) -> dict[str, Callable[[], object]]:
    """The profile's pieces, timed interleaved with (a) and (b) so the rows are comparable (uses
    private helpers: this is a benchmark, not an API)."""
    states = model.hidden_states(x)
    loss = F.mse_loss(states[-1], torch.zeros_like(states[-1]))
    names, weights = probes.weight_matrices(model)

    def forward_only() -> None:
        with torch.no_grad():
            model.hidden_states(x)

    return {
        "(a) bare forward+backward": lambda: bare_step(model, x),
        "(b) sl.gradient_profile": lambda: profile_step(model, x),
        "validate model and x": lambda: probe_mlp._check_model_and_input(model, x),
        "weight_matrices": lambda: probes.weight_matrices(model),
        "forward, no grad": forward_only,
        "autograd.grad wrt W and h": lambda: torch.autograd.grad(
            loss, weights + states, retain_graph=True
        ),
        "autograd.grad wrt W only": lambda: torch.autograd.grad(loss, weights, retain_graph=True),
        "reduce_pass (the library's reduction)": lambda: reduce_pass(
            F.mse_loss(model.hidden_states(x)[-1], torch.zeros(len(x), model.layer_sizes[-1])),
            weights,
            [],
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed rounds per setting")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 64])
    parser.add_argument("--shortcut", choices=["off", "on", "both"], default="both")
    parser.add_argument("--breakdown", action="store_true", help="time the profile's pieces too")
    parser.add_argument("--clock", choices=list(CLOCKS), default="cpu")
    parser.add_argument(
        "--keep-denormals",
        action="store_true",
        help="do not flush denormals (a plain deep stack's vanishing gradients pass through the "
        "denormal range, where CPU arithmetic is many times slower)",
    )
    args = parser.parse_args()

    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(1)
    flushing = not args.keep_denormals and torch.set_flush_denormal(True)
    shortcuts = {"off": [False], "on": [True], "both": [False, True]}[args.shortcut]
    print(
        f"torch {torch.__version__}, torch.set_num_threads(1), activation gelu, "
        f"batch {args.batch}, layer sizes [width] * (depth + 1), default init, seed 0\n"
        f"{args.clock} clock, denormals {'flushed' if flushing else 'kept'}, "
        f"median of {args.repeats} interleaved rounds after {args.warmup} warm-up rounds;\n"
        "'finite' says whether the loss stayed finite (a deep shortcut stack can overflow)"
    )
    header = (
        f"{'shortcut':>8} {'width':>5} {'depth':>5} | {'bare ms':>9} {'profile ms':>10} "
        f"{'ratio':>6} | {'bare us/layer':>13} {'profile us/layer':>16} | finite"
    )
    print(header)
    print("-" * len(header))
    for use_shortcut in shortcuts:
        for width in args.widths:
            for depth in args.depths:
                model = sl.DeepNetwork([width] * (depth + 1), use_shortcut=use_shortcut, seed=0)
                x = torch.randn(args.batch, width, generator=torch.Generator().manual_seed(0))
                medians = interleaved_medians(
                    {
                        "bare": lambda m=model, x=x: bare_step(m, x),
                        "profile": lambda m=model, x=x: profile_step(m, x),
                    },
                    args.repeats,
                    args.warmup,
                )
                bare, prof = medians["bare"], medians["profile"]
                print(
                    f"{'on' if use_shortcut else 'off':>8} {width:>5} {depth:>5} | "
                    f"{bare * 1e3:>9.3f} {prof * 1e3:>10.3f} {prof / bare:>6.2f} | "
                    f"{bare / depth * 1e6:>13.2f} {prof / depth * 1e6:>16.2f} | "
                    f"{'yes' if math.isfinite(sl.gradient_profile(model, x).loss) else 'no'}"
                )
                if args.breakdown:
                    parts = interleaved_medians(
                        breakdown_steps(model, x), args.repeats, args.warmup
                    )
                    for name, seconds in parts.items():
                        print(f"{'':>22}   {name:<28} {seconds * 1e3:>9.3f} ms")


if __name__ == "__main__":
    main()
