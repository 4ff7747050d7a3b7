"""A deep fully connected network whose shortcut connections can be switched on and off."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as _module

from .._checks import (
    MAX_ELEMENTS,
    as_batch,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_layer_sizes,
    check_seed,
)
from ..activations import make_activation

__all__ = ["BRANCH_SCALES", "INITS", "NORMS", "DeepNetwork"]

INITS = ("default", "xavier", "kaiming")
NORMS = ("none", "layernorm")
MAX_GAIN = 100.0  # beyond it every weight is so large that the first layers already overflow
# What multiplies each layer's output where a shortcut adds it back: h = h + scale * layer(h).
BRANCH_SCALES = ("1", "1/sqrt(depth)")


class DeepNetwork(nn.Module):
    """A stack of ``Linear -> activation`` layers with optional shortcut connections.

    Layer ``i`` is ``nn.Sequential(nn.Linear(sizes[i], sizes[i+1]), activation)``, so parameter
    names read ``layers.0.0.weight`` as in the book. Wherever a layer's output has the shape of its
    input, a shortcut adds the input back: ``h = h + layer(h)`` instead of ``h = layer(h)``.

    ``use_shortcut`` is a plain attribute: flip it to compare both versions on the same weights.

    Args:
        layer_sizes: the input size, then each layer's output size, e.g. ``[3, 3, 3, 3, 3, 1]``.
        activation: ``"gelu"``, ``"relu"``, ``"sigmoid"``, ``"tanh"`` or ``"identity"``.
        use_shortcut: add each layer's input to its output where the shapes match.
        seed: if given, weights are drawn from a forked RNG seeded with it; the global RNG is left
            exactly as it was. ``DeepNetwork([3, 3, 3, 3, 3, 1], seed=123)`` has the weights of the
            book's ``torch.manual_seed(123); ExampleDeepNeuralNetwork(...)``. ``None`` draws from
            the global RNG like any module.
        init: ``"default"`` (PyTorch's own), ``"xavier"`` (Glorot normal) or ``"kaiming"``
            (He normal, for ReLU); biases start at zero for the last two.
        gain: multiplies every weight matrix's scale (1 leaves the chosen init as it is).
        norm: ``"none"``, or ``"layernorm"`` for a LayerNorm before each layer's transform
            (pre-norm: ``h = h + layer(norm(h))``).
        final_norm: a LayerNorm on the last layer's output, as GPT-2's ``ln_f`` after its
            pre-norm stack: whatever size the stream grew to, the output is unit-scale.
        branch_scale: ``"1"``, or ``"1/sqrt(depth)"`` to scale every shortcut branch,
            ``h = h + layer(h) / sqrt(depth)``, so the sum of ``depth`` branches keeps the size
            of one (the idea of GPT-2's scaled init of its residual projections). Plain layers
            are left as they are, so plain and shortcut still share one set of weights.

    Introduced in notebook 01 (init, gain and norm in notebook 03; final_norm and branch_scale
    in notebook 04).
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "gelu",
        use_shortcut: bool = False,
        seed: int | None = None,
        *,
        init: str = "default",
        gain: float = 1.0,
        norm: str = "none",
        final_norm: bool = False,
        branch_scale: str = "1",
    ) -> None:
        super().__init__()
        sizes = check_layer_sizes(layer_sizes)
        make_activation(activation)  # validate the name before any weights are drawn
        self.use_shortcut = check_bool("use_shortcut", use_shortcut)
        gain = _check_options(sizes, seed, init, gain, norm, final_norm, branch_scale)
        self.layer_sizes = sizes
        self.activation = activation
        self.init, self.gain, self.norm = init, gain, norm
        self.final_norm, self.branch_scale = final_norm, branch_scale

        with _seeded(seed):
            layers = []
            # One layer at a time, init included, so a deeper network with the same seed starts
            # with the same weights: the first layers never depend on the depth.
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
                linear = nn.Linear(fan_in, fan_out)
                initialize(linear, init, gain)
                layers.append(nn.Sequential(linear, make_activation(activation)))
        self.layers = nn.ModuleList(layers)
        self._add_norms()

    def _add_norms(self) -> None:
        sizes, norm = self.layer_sizes, self.norm
        # LayerNorm starts at weight 1, bias 0 and draws nothing from the RNG. Without norm the
        # list stays empty, so the model prints (and counts parameters) just like the book's.
        self.norms = nn.ModuleList(nn.LayerNorm(n) for n in sizes[:-1] if norm == "layernorm")
        # None rather than an Identity when off: the model prints just like the book's.
        self.final = nn.LayerNorm(sizes[-1]) if self.final_norm else None

    def rewire(self, *, activation: str, norm: str, final_norm: bool, branch_scale: str) -> None:
        """Switch the activation, the LayerNorm placement, the final LayerNorm and the branch
        scale in place, the weights as they are: the network is then the one built with these
        options from the same seed (LayerNorms start at weight 1 and bias 0 and draw nothing).
        What the comparison's cache does instead of a rebuild (notebook 03's explorer)."""
        make_activation(activation)
        _check_options(self.layer_sizes, None, self.init, self.gain, norm, final_norm, branch_scale)
        if activation != self.activation:
            for layer in self.layers:
                layer[1] = make_activation(activation)
        changed = (norm, final_norm) != (self.norm, self.final_norm)
        self.activation, self.norm, self.final_norm = activation, norm, final_norm
        self.branch_scale = branch_scale
        if changed:
            self._add_norms()

    @property
    def depth(self) -> int:
        """The number of layers."""
        return len(self.layers)

    @property
    def in_features(self) -> int:
        """The input size the first layer takes."""
        return self.layer_sizes[0]

    def first_layers(self, depth: int) -> DeepNetwork:
        """A network made of this one's first ``depth`` layers, sharing their weights.

        Because weights are drawn layer by layer, it equals ``DeepNetwork`` built with the same
        seed at that depth, at the cost of a few microseconds instead of a fresh build.
        """
        check_int("depth", depth, low=1, high=self.depth)
        view = copy.copy(self)  # every setting as it is here, whatever __init__ stores
        view._modules = dict(self._modules)  # its own table of submodules, holding the same ones
        view.layers, view.norms = self.layers[:depth], self.norms[:depth]
        view.layer_sizes = self.layer_sizes[: depth + 1]
        if self.final is not None and view.layer_sizes[-1] != self.layer_sizes[-1]:
            view.final = nn.LayerNorm(view.layer_sizes[-1])  # another width: a fresh one
        return view

    def forward_states(
        self, x: torch.Tensor, *, linear_io: list | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Every layer's output ``h_1 .. h_depth`` (after its shortcut) and the network's output
        (``h_depth``, or its final LayerNorm), for ``x`` of shape (batch, in_features).
        ``linear_io``, a list, receives each layer's ``nn.Linear`` input and output, in order:
        what its weight gradient is made of."""
        x = self._check_input(x)
        scale = 1 / math.sqrt(self.depth) if self.branch_scale == "1/sqrt(depth)" else 1.0
        # Unless a hook watches a layer, its Linear is called as the function it is: a module
        # call would only look for hooks, and a probe at depth 200 spent a fifth of its time on it.
        direct = not _hooked(self.layers)
        states = []
        for i, layer in enumerate(self.layers):
            u = self.norms[i](x) if self.norms else x
            if direct:
                linear, activation = layer
                z = F.linear(u, linear.weight, linear.bias)
                if linear_io is not None:
                    linear_io.append((u, z))
                out = activation(z)
            else:  # every hook sees the call it watches
                with _recorded(layer[0], linear_io):
                    out = layer(u)
            if self.use_shortcut and out.shape == x.shape:
                x = x + out if scale == 1.0 else x + scale * out
            else:
                x = out
            states.append(x)
        return states, x if self.final is None else self.final(x)

    def hidden_states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output ``h_1 .. h_depth`` (after its shortcut), for ``x`` of shape
        (batch, in_features)."""
        return self.forward_states(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_states(x)[1]

    def _check_input(self, x: object) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
        weight = self.layers[0][0].weight
        if weight.device.type == "meta":
            raise ValueError("the network is on the meta device: its weights have no values")
        if (
            x.ndim == 0
            or x.numel() > MAX_ELEMENTS
            or x.shape[-1] != self.in_features
            or x.dtype != weight.dtype
            or x.device != weight.device
        ):
            # Raises with a clear message for a wrong shape or device; converts ints and float64.
            x = as_batch("x", x, features=self.in_features, dtype=weight.dtype)
        return x

    def extra_repr(self) -> str:
        return (
            f"layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
            f"use_shortcut={self.use_shortcut}, init={self.init!r}, gain={self.gain:g}, "
            f"norm={self.norm!r}, final_norm={self.final_norm}, branch_scale={self.branch_scale!r}"
        )


def _check_options(
    sizes: list[int],
    seed: object,
    init: object,
    gain: object,
    norm: object,
    final_norm: object,
    branch_scale: object,
) -> float:
    """Check DeepNetwork's keyword options before any weight is drawn; return the gain."""
    if seed is not None:
        check_seed("seed", seed)
    check_choice("init", init, INITS)
    gain = check_float("gain", gain, low=0.0, high=MAX_GAIN)
    check_choice("norm", norm, NORMS)
    check_bool("final_norm", final_norm)
    check_choice("branch_scale", branch_scale, BRANCH_SCALES)
    for name, on, width in (("norm", norm == "layernorm", min(sizes[:-1])),
                            ("final_norm", final_norm, sizes[-1])):  # fmt: skip
        if on and width < 2:
            raise ValueError(
                f"{name} needs layers of width >= 2: LayerNorm over a single unit outputs "
                f"zeros, so no gradient could flow; got layer_sizes {sizes}"
            )
    return gain


def body_options(settings: object) -> dict[str, object]:
    """The DeepNetwork keywords a settings object carries (activation, init, gain, norm,
    final_norm, branch_scale): one place that maps settings to a network."""
    names = ("activation", "init", "gain", "norm", "final_norm", "branch_scale")
    return {name: getattr(settings, name) for name in names}


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    if seed is None:
        yield
        return
    # fork_rng restores the global CPU RNG on exit; devices=[] keeps it off any GPU.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def initialize(linear: nn.Linear, init: str, gain: float) -> None:
    """Redraw ``linear`` with ``init`` (``"default"`` keeps nn.Linear's own) and scale its weight
    by ``gain``."""
    with torch.no_grad():
        if init == "xavier":
            nn.init.xavier_normal_(linear.weight)
            nn.init.zeros_(linear.bias)
        elif init == "kaiming":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        if not math.isclose(gain, 1.0):
            linear.weight.mul_(gain)


def _hooked(layers: Iterable[nn.Module]) -> bool:
    """Whether a forward hook, a global one or one on a layer or its parts, would see a call."""
    if _module._global_forward_hooks or _module._global_forward_pre_hooks:
        return True
    return any(
        m._forward_hooks or m._forward_pre_hooks for layer in layers for m in (layer, *layer)
    )


@contextlib.contextmanager
def _recorded(linear: nn.Module, linear_io: list | None) -> Iterator[None]:
    """``linear``'s input and output appended to ``linear_io`` while its layer runs."""
    if linear_io is None:
        yield
        return
    handle = linear.register_forward_hook(lambda m, args, out: linear_io.append((args[0], out)))
    try:
        yield
    finally:
        handle.remove()
