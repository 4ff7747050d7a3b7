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
    """The profile's pieces and two candidate variants, timed interleaved with (a) and (b) so the
    rows are comparable (uses private helpers: this is a benchmark, not an API)."""
    states = model.hidden_states(x)
    loss = F.mse_loss(states[-1], torch.zeros_like(states[-1]))
    names, weights = probes.weight_matrices(model)
    grads = torch.autograd.grad(loss, weights + states, retain_graph=True)
    wg = list(grads[: len(weights)])

    def forward_only() -> None:
        with torch.no_grad():
            model.hidden_states(x)

    return {
        "(a) bare forward+backward": lambda: bare_step(model, x),
        "(b) sl.gradient_profile": lambda: profile_step(model, x),
        "validate model and x": lambda: probes._check_model_and_input(model, x),
        "weight_matrices": lambda: probes.weight_matrices(model),
        "forward, no grad": forward_only,
        "autograd.grad wrt W and h": lambda: torch.autograd.grad(
            loss, weights + states, retain_graph=True
        ),
        "autograd.grad wrt W only": lambda: torch.autograd.grad(loss, weights, retain_graph=True),
        "_mean_abs (abs.mean, stack, tolist)": lambda: probes._mean_abs(wg),
        "_norms (as the library does it now)": lambda: probes._norms(wg),
        "alt: mean|dW| as L1 norm / numel": lambda: mean_abs_by_l1(wg),
        "alt: norms by _foreach_norm(float64)": lambda: torch.stack(
            torch._foreach_norm(wg, 2, dtype=torch.float64)
        ).tolist(),
        "alt: weights read from model.layers": lambda: [layer[0].weight for layer in model.layers],
        "variant: lean profile (all alts)": lambda: lean_profile(model, x, with_states=True),
        "variant: lean profile without dL/dh": lambda: lean_profile(model, x, with_states=False),
    }


def mean_abs_by_l1(grads: list[torch.Tensor]) -> list[float]:
    """mean |g| as one fused L1 norm per tensor divided by its size."""
    l1 = torch.stack(torch._foreach_norm(grads, 1)).tolist()
    return [total / g.numel() for total, g in zip(l1, grads, strict=True)]


def lean_profile(model: sl.DeepNetwork, x: torch.Tensor, with_states: bool) -> list[list[float]]:
    """What gradient_profile computes, with the candidate savings applied."""
    x = probes._check_model_and_input(model, x)
    states = model.hidden_states(x)
    loss = F.mse_loss(states[-1], torch.zeros_like(states[-1]))
    weights = [layer[0].weight for layer in model.layers]
    inputs = weights + states if with_states else weights
    grads = list(torch.autograd.grad(loss, inputs))
    wg, sg = grads[: len(weights)], grads[len(weights) :]
    # Both norms of every tensor in two fused calls and one conversion to Python floats;
    # the 2-norms in float64 as the library takes them (float32 squares underflow).
    l1 = [t.double() for t in torch._foreach_norm(wg, 1)]
    l2 = torch._foreach_norm(wg + sg, 2, dtype=torch.float64)
    table = torch.stack([*l1, *l2]).tolist()
    means = [t / g.numel() for t, g in zip(table[: len(wg)], wg, strict=True)]
    return [means, table[len(wg) : 2 * len(wg)], table[2 * len(wg) :], [loss.item()]]


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
