"""The transformer explorer's computation: its settings, and both wirings' profiles for a stream
of settings, reusing the model between calls."""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from .settings import Settings, setting
from .transformer import NORM_PLACEMENTS, GPTModel
from .transformer_layers import check_heads
from .transformer_probes import TransformerProfile, compare_wirings
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

    One model is kept per (width, heads, context_length), with blocks for the deepest ``depth``
    asked so far; a new depth, seed or init redraws the weights of the blocks used
    (:meth:`GPTModel.init_weights`), giving exactly the weights of a fresh
    ``GPTModel(depth, ..., seed=seed)``, and a switch only rewires. Changes no torch setting.

    Introduced in notebook 05.
    """

    def __init__(self) -> None:
        self._shape: tuple | None = None
        self._blocks: list[nn.Module] = []
        self._model: GPTModel | None = None
        self._weights: tuple | None = None
        self._task: tuple | None = None

    def profiles(self, settings: BlockSettings) -> dict[str, TransformerProfile]:
        """``{"plain": profile, "shortcut": profile}`` of the same weights and sequences."""
        if not isinstance(settings, BlockSettings):
            raise TypeError(f"settings must be a BlockSettings; got {type(settings).__name__}")
        s, model = settings, self._model_for(settings)
        model.norm, model.use_final_norm = s.norm, s.final_norm
        key = (s.batch_size, s.context_length, s.seed)
        if key != self._task:
            self._task, self._tokens = key, make_token_task(*key[:2], VOCAB_SIZE, seed=s.seed)
        return compare_wirings(model, self._tokens.x, self._tokens.y)

    def _model_for(self, s: BlockSettings) -> GPTModel:
        shape = (s.width, s.heads, s.context_length)
        if shape != self._shape or s.depth > len(self._blocks):
            # Room to drag on: the next power of two, as ShortcutComparison does.
            depth = s.depth if shape != self._shape else min(2 ** math.ceil(math.log2(s.depth)), 48)
            self._model = GPTModel(depth, s.width, s.heads, s.context_length, VOCAB_SIZE)
            self._model.requires_grad_(False)  # never trained: no weight in the probe's graph
            self._shape, self._blocks, self._weights = shape, list(self._model.trf_blocks), None
        weights = (s.depth, s.scaled_init, s.seed)
        if weights != self._weights:
            self._model.trf_blocks = nn.Sequential(*self._blocks[: s.depth])
            self._model.init_weights(s.seed, scaled_init=s.scaled_init)
            self._weights = weights
        return self._model
