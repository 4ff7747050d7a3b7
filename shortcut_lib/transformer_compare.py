"""The transformer explorer's computation: its settings, and both wirings' profiles for a stream
of settings, reusing the models between calls."""

from __future__ import annotations

import copy
import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from ._checks import check_bool
from .settings import Settings, setting
from .transformer import NORM_PLACEMENTS, GPTModel
from .transformer_layers import check_heads
from .transformer_probes import TransformerProfile, transformer_profile
from .transformer_task import make_token_task

__all__ = ["BlockComparison", "BlockSettings"]

VOCAB_SIZE = 16  # the explorer's token task
HEADS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class BlockSettings(Settings):
    """One configuration of the transformer explorer: a :class:`GPTModel` of ``depth`` blocks of
    ``width`` features and ``heads`` heads, probed on ``batch_size`` sequences of the token task
    (vocabulary 16) of ``context_length`` tokens, weights and sequences drawn from ``seed``.
    ``use_shortcut`` picks the wiring drawn bold; the other is the same weights with the
    shortcut flipped. ``str(settings)`` is the state string; :meth:`parse` reads it back.

    Introduced in notebook 05.
    """

    depth: int = setting(12, low=1, high=48)
    width: int = setting(64, low=8, high=256, step=8)
    heads: int = setting(4, choices=HEADS, labels=tuple(map(str, HEADS)))
    norm: str = setting("pre", choices=NORM_PLACEMENTS, control="toggle")
    use_shortcut: bool = setting(True, choices=(False, True), control="toggle")
    final_norm: bool = setting(True, choices=(False, True), control="toggle")
    scaled_init: bool = setting(True, choices=(False, True), control="toggle")
    context_length: int = setting(16, low=2, high=64)
    batch_size: int = setting(8, low=1, high=64)
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    def _check_together(self) -> None:
        check_heads(self.width, self.heads, "width", "heads", HEADS)


class BlockComparison:
    """Both wirings' profiles for a stream of :class:`BlockSettings`, reusing work between calls.

    Two models over the same weights, one wired plain and one with shortcuts, are kept per
    (width, heads, context_length), with blocks for the deepest ``depth`` asked so far; a new
    depth, seed or init redraws the weights of the blocks used (:meth:`GPTModel.init_weights`),
    giving exactly the weights of a fresh ``GPTModel(depth, ..., seed=seed)``, and a switch only
    rewires. Each model's probe measures the stream only, with its blocks' weights frozen.

    When torch runs each op on one thread (as the notebooks set) and the process may run on more
    than one core, the plain model is probed on a worker thread while the shortcut model is
    probed on the calling one: at 12 blocks, context 32, 24 ms instead of 44 (median), and 23
    instead of 43 even under a one-CPU quota, as hubs set, which lets short bursts use two cores.
    Each pass is the same sequence of operations either way, so the numbers do not depend on it.
    Changes no torch setting.

    Args:
        side_by_side: ``False`` probes the two wirings one after the other, always.

    Introduced in notebook 05.
    """

    def __init__(self, *, side_by_side: bool = True) -> None:
        self._side_by_side = check_bool("side_by_side", side_by_side)
        self._shape: tuple | None = None
        self._blocks: dict[str, list[nn.Module]] = {}
        self._models: dict[str, GPTModel] = {}
        self._weights: tuple | None = None
        self._task: tuple | None = None

    def profiles(self, settings: BlockSettings) -> dict[str, TransformerProfile]:
        """``{"plain": profile, "shortcut": profile}`` of the same weights and sequences."""
        if not isinstance(settings, BlockSettings):
            raise TypeError(f"settings must be a BlockSettings; got {type(settings).__name__}")
        s, models = settings, self._models_for(settings)
        for model in models.values():
            model.norm, model.use_final_norm = s.norm, s.final_norm
        key = (s.batch_size, s.context_length, s.seed)
        if key != self._task:
            self._task, self._tokens = key, make_token_task(*key[:2], VOCAB_SIZE, seed=s.seed)
        probe = functools.partial(
            transformer_profile, x=self._tokens.x, y=self._tokens.y, weights=False
        )
        side_by_side = self._side_by_side and torch.get_num_threads() == 1 and _cores() > 1
        plain = _worker().submit(probe, models["plain"]) if side_by_side else None
        shortcut = probe(models["shortcut"])
        return {"plain": plain.result() if plain else probe(models["plain"]), "shortcut": shortcut}

    def _models_for(self, s: BlockSettings) -> dict[str, GPTModel]:
        shape = (s.width, s.heads, s.context_length)
        if shape != self._shape or s.depth > len(self._blocks["plain"]):
            # Room to drag on: the next power of two, as ShortcutComparison does.
            depth = s.depth if shape != self._shape else min(2 ** math.ceil(math.log2(s.depth)), 48)
            shortcut = GPTModel(depth, s.width, s.heads, s.context_length, VOCAB_SIZE)
            # Never trained: only the embeddings stay in the probe's graph, and for good, so that
            # the two probes running at once never switch requires_grad on their shared weights.
            shortcut.requires_grad_(False)
            shortcut.tok_emb.requires_grad_(True)
            shortcut.pos_emb.requires_grad_(True)
            plain = _twin(shortcut)
            plain.use_shortcut = False
            self._models = {"plain": plain, "shortcut": shortcut}
            self._blocks = {label: list(m.trf_blocks) for label, m in self._models.items()}
            self._shape, self._weights = shape, None
        weights = (s.depth, s.scaled_init, s.seed)
        if weights != self._weights:
            for label, model in self._models.items():
                model.trf_blocks = nn.Sequential(*self._blocks[label][: s.depth])
            self._models["shortcut"].init_weights(s.seed, scaled_init=s.scaled_init)  # shared
            self._weights = weights
        return self._models


def _twin(model: GPTModel) -> GPTModel:
    """A copy of ``model``'s modules over the very same weights (``Parameter`` objects): its
    wiring switches are its own, its weights are ``model``'s."""
    return copy.deepcopy(model, memo={id(p): p for p in model.parameters()})


def _cores() -> int:
    """The cores this process may run on: its CPU affinity where the system tells it (Linux),
    else every core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@functools.cache
def _worker() -> ThreadPoolExecutor:
    """The one thread, made on first use, that probes the plain wiring."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="shortcut_lib-probe")
