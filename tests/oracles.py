"""Independent computations that several test modules compare the library against."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

import shortcut_lib as sl

# Written out here, not read from the library: a renamed diagnostic must fail a test.
LONG_NAMES = {
    "dW_mean": "weight_grad_mean",
    "dW_norm": "weight_grad_norm",
    "dh_norm": "output_grad_norm",
}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Small models: a second thread gains nothing and, on a busy machine, makes LayerNorm probes
    10x slower. Restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def flushed_denormals() -> Iterator[None]:
    """As ShortcutComparison documents: float32 subnormals (below 1.2e-38) flushed to zero while
    it probes, PyTorch's default again after."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def fresh_input(s: sl.ExplorerSettings) -> torch.Tensor:
    """The documented input of a comparison: ``batch`` rows of noise drawn from ``seed``."""
    return torch.randn(s.batch, s.width, generator=torch.Generator().manual_seed(s.seed))


def fresh_profiles(s: sl.ExplorerSettings) -> dict[str, sl.GradientProfile]:
    """The documented meaning of a comparison: two fresh networks of exactly ``s.depth`` layers,
    probed with subnormals flushed."""
    x = fresh_input(s)
    result = {}
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        network = sl.DeepNetwork(
            [s.width] * (s.depth + 1),
            s.activation,
            use_shortcut,
            seed=s.seed,
            init=s.init,
            gain=s.gain,
            norm=s.norm,
        )
        with flushed_denormals():
            result[label] = sl.gradient_profile(network, x)
    return result
