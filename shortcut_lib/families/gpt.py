"""Notebook 05's GPT stack: what a comparison probes and what a run trains.

Both build a :class:`~shortcut_lib.GPTModel` of ``depth`` blocks of ``width`` features and
``heads`` heads from the seed, and feed it the token task (:func:`~shortcut_lib.make_token_task`)
made from the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_int
from ..data import TokenTask, make_token_task
from ..models.block import NORM_PLACEMENTS, check_heads
from ..models.gpt import GPTModel, block_weights, residual_init_std
from ..probes import TransformerProfile, transformer_profile, transformer_profile_pair
from ..settings import Settings, setting
from . import costs
from .bounds import Cost, check_cost
from .mlp import MODELS, twin

__all__ = ["HEADS", "BlockSettings", "BlockTrainingSettings"]

HEADS = (1, 2, 4, 8, 16)
VOCAB_SIZE = 16  # the comparison's token task
TASK_SIZE = 512  # sequences in the task a run makes
# The learning-rate control's stops: fine where post-norm turns from training to failing.
LEARNING_RATES = (1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1)
UNIT_CACHE_BYTES = 32e6  # the explorer's copy of the residual projections at std 1, at most
FLUSH_SAFE = 1e-20  # a probe whose stream norms stay above this is exact with subnormals flushed


@dataclass(frozen=True)
class BlockSettings(Settings):
    """One configuration of the transformer comparison: a :class:`GPTModel` of ``depth`` blocks
    of ``width`` features and ``heads`` heads, probed on ``batch_size`` sequences of the token
    task (vocabulary 16) of ``context_length`` tokens, weights and sequences drawn from ``seed``.
    ``use_shortcut`` picks the wiring drawn bold; the other is the same weights with the
    shortcut flipped. ``str(settings)`` is the state string; :meth:`parse` reads it back.

    Introduced in notebook 05.
    """

    depth: int = setting(12, low=1, high=48)
    width: int = setting(64, low=8, high=256, step=8)
    heads: int = setting(4, choices=HEADS, labels=tuple(map(str, HEADS)))
    norm: str = setting("pre", choices=NORM_PLACEMENTS, control="toggle")
    use_shortcut: bool = setting(True, choices=(False, True), control="toggle", view=True)
    final_norm: bool = setting(True, choices=(False, True), control="toggle")
    scaled_init: bool = setting(True, choices=(False, True), control="toggle")
    context_length: int = setting(16, low=2, high=64)
    batch_size: int = setting(8, low=1, high=64)
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    # A deep plain stack's backward pass meets float32's subnormal numbers (below 1.2e-38) in
    # some entries; a CPU computes with them 60-200x slower, which made the plain wiring 3x slower
    # than the shortcut one at 48 blocks. Flushed to zero, they change no stream norm that stays
    # above 1e-20 (the norms are float64 sums dominated by entries 1e18 times larger, and
    # a float32 entry above 1e-31 cannot feel an addend below 1.2e-38): such a probe is exact,
    # any other is taken again with subnormals (norm=none without shortcuts, where the stream
    # itself collapses). tests/test_transformer.py checks the probes bit for bit.
    flush_subnormals = True

    @staticmethod
    def exact_when_flushed(profile: TransformerProfile) -> bool:
        """Whether a probe taken with subnormals flushed gives the numbers of one without."""
        return all(v >= FLUSH_SAFE for v in (*profile.stream_grad_norm, *profile.stream_rms))

    def _check_together(self) -> None:
        check_heads(self.width, self.heads, "width", "heads", HEADS)
        check_cost(
            self, costs.gpt_update, ("batch_size", "context_length", "depth", "width"),
            what="one update", valid=lambda v: v["width"] % v["heads"] == 0,
        )  # fmt: skip

    def cost(self) -> Cost:
        """The estimated time (on one core) and peak memory of one update of these settings,
        computed from the fields alone; more than 1 s or 300 MB is refused."""
        return costs.gpt_update(self.values())

    def wirings_key(self) -> tuple:
        """What needs new models: the shapes (the heads split the same weights). A new depth,
        seed or init redraws weights."""
        return (self.width, self.context_length)

    def make_wirings(self, depth: int) -> Wirings:
        """The plain and the shortcut stack, over one set of weights, with ``depth`` blocks."""
        # Built with PyTorch's own init, the cheaper (48 blocks of width 128: 57 ms against 103
        # for GPT-2's), from a forked RNG: the wirings draw every weight again for their seed.
        shape = (depth, self.width, self.heads, self.context_length, VOCAB_SIZE)
        return Wirings(GPTModel(*shape, init="default"))

    def batch_key(self) -> tuple:
        return (self.batch_size, self.context_length, self.seed)

    def make_batch(self) -> TokenTask:
        """``batch_size`` sequences of the token task, drawn from ``seed``."""
        return make_token_task(self.batch_size, self.context_length, VOCAB_SIZE, seed=self.seed)

    @staticmethod
    def probe(model: GPTModel, batch: TokenTask) -> TransformerProfile:
        # The stream only: no weight gradient is needed, and the frozen blocks keep the graph
        # small (about 7% less time for the pass).
        return transformer_profile(model, batch.x, batch.y, weights=False)

    @staticmethod
    def probe_pair(models: dict[str, GPTModel], batch: TokenTask) -> dict[str, TransformerProfile]:
        """Both wirings at once, one pass of twice the batch (:func:`transformer_profile_pair`).
        On two threads per op it is as fast as two probes side by side on two threads, or
        faster: 48 blocks of 8 sequences of 16 tokens, 52 ms against 70 (median)."""
        return transformer_profile_pair(models["shortcut"], batch.x, batch.y)


class Wirings:
    """A comparison's two GPT stacks over the same weights (``Parameter`` objects), one wired
    plain and one with shortcuts, with blocks for the deepest ``depth`` asked so far. A new seed
    draws every block's weights; a new depth or init rescales the residual projections of the
    blocks used. Either way the weights are exactly those of a fresh ``GPTModel(depth, ...,
    seed=seed)``: block i's draws do not depend on the depth, and ``normal_(0, s)`` computes
    ``z * s`` from the same ``z`` that ``normal_(0, 1)`` gives (for tensors of 16 numbers or
    more, as every weight here is). The norm placement, the final norm and the number of heads
    only rewire."""

    def __init__(self, shortcut: GPTModel) -> None:
        # Never trained: only the embeddings stay in the probe's graph, and for good, so that
        # two probes running at once never switch requires_grad on their shared weights.
        shortcut.requires_grad_(False)
        shortcut.tok_emb.requires_grad_(True)
        shortcut.pos_emb.requires_grad_(True)
        plain = twin(shortcut)
        plain.use_shortcut = False
        self._models = {"plain": plain, "shortcut": shortcut}
        self._blocks = {label: list(m.trf_blocks) for label, m in self._models.items()}
        self.depth, self._seed, self._scale = shortcut.n_blocks, None, None
        self._residual = residual_weights(shortcut)  # 2 per block: out_proj, the second ff
        # The residual projections at std 1, kept to rescale them for a new depth without a
        # redraw (9 ms at 48 blocks of width 64), unless that copy would be large.
        keep = sum(w.numel() for w in self._residual) * 4 <= UNIT_CACHE_BYTES
        self._unit = [torch.empty_like(w) for w in self._residual] if keep else None

    def models(self, s: BlockSettings) -> dict[str, GPTModel]:
        shortcut = self._models["shortcut"]  # its Parameters are the plain stack's too
        if s.seed != self._seed:
            self._seed, self._scale = s.seed, None
            if self._unit is not None:
                self._use_blocks(self.depth)
                with torch.random.fork_rng(devices=[]), torch.no_grad():
                    torch.manual_seed(s.seed)
                    shortcut._draw_weights(1.0)
                    torch._foreach_copy_(self._unit, self._residual)
        if (s.depth, s.scaled_init) != self._scale:
            self._use_blocks(s.depth)
            if self._unit is None:
                shortcut.init_weights(s.seed, scaled_init=s.scaled_init)
            else:
                std = residual_init_std(s.depth, s.scaled_init)
                used = 2 * s.depth  # two residual projections per block
                with torch.no_grad():
                    for unit, weight in zip(self._unit[:used], self._residual[:used], strict=True):
                        torch.mul(unit, std, out=weight)
            self._scale = (s.depth, s.scaled_init)
        for model in self._models.values():  # what each model's repr and attributes say
            model.init, model.scaled_init = "gpt2", s.scaled_init
            model.norm, model.use_final_norm, model.n_heads = s.norm, s.final_norm, s.heads
        return self._models

    def _use_blocks(self, depth: int) -> None:
        for label, model in self._models.items():
            model.trf_blocks = nn.Sequential(*self._blocks[label][:depth])


def residual_weights(model: GPTModel) -> list[torch.Tensor]:
    """The residual projections' weight matrices, block by block: ``out_proj``, the second
    feed-forward layer."""
    pairs = ((blk.att.out_proj.weight, blk.ff.layers[2].weight) for blk in model.trf_blocks)
    return [w for pair in pairs for w in pair]


@dataclass(frozen=True)
class BlockTrainingSettings(Settings):
    """The settings of one training run of GPT stacks: a :class:`GPTModel` of ``depth`` blocks
    (``width``, ``heads``, ``norm``, ``final_norm``, ``scaled_init`` as there) trained on the
    token task (``context_length``, ``vocab_size``) with Adam at ``lr``, after ``warmup`` steps
    of a linear warmup, for ``steps`` steps of ``batch_size`` sequences. ``models`` says which
    to train: ``"both"`` (plain and shortcut from the same weights), ``"plain"`` or
    ``"shortcut"``. A run whose estimated memory exceeds 300 MB is refused before anything is
    allocated. ``str(settings)`` is the state string.

    Introduced in notebook 05.
    """

    depth: int = setting(4, low=1, high=48)
    width: int = setting(32, low=8, high=256, step=8)
    heads: int = setting(2, choices=HEADS, labels=tuple(map(str, HEADS)))
    norm: str = setting("pre", choices=NORM_PLACEMENTS, control="toggle")
    models: str = setting("both", choices=("both", *MODELS), control="toggle")
    final_norm: bool = setting(True, choices=(False, True), control="toggle")
    scaled_init: bool = setting(True, choices=(False, True), control="toggle")
    lr: float = setting(0.03, low=1e-6, high=1.0, control="steps", marks=LEARNING_RATES)
    warmup: int = setting(0, low=0, high=5000, shown=(0, 200), step=10)
    steps: int = setting(60, low=1, high=5000, shown=(10, 500), step=10)
    context_length: int = setting(8, low=2, high=64)
    vocab_size: int = setting(16, low=2, high=64)
    batch_size: int = setting(32, low=1, high=TASK_SIZE, control="text")
    seed: int = setting(0, low=0, high=2**31 - 1, control="text")

    optimizer = "adam"  # not a setting here: GPT stacks train with Adam

    def _check_together(self) -> None:
        check_heads(self.width, self.heads, "width", "heads", HEADS)
        check_cost(
            self, lambda v: Cost(None, costs.gpt_run_bytes(v)),
            ("width", "depth", "batch_size", "context_length", "steps"), what="one run",
            seconds=None, valid=lambda v: v["width"] % v["heads"] == 0,
        )  # fmt: skip

    def memory_estimate(self) -> float:
        """Bytes a run of these settings needs, roughly: per model the weights with their
        gradients, Adam's two moments and the update buffer, the activations of one batch
        (about 20 numbers per token and feature in each block) and the recorded history. More
        than 300 MB is refused."""
        return costs.gpt_run_bytes(self.values())

    @classmethod
    def for_task(
        cls, task: object, changes: dict[str, object]
    ) -> tuple[BlockTrainingSettings, TokenTask]:
        """The settings and the task of a run: ``"tokens"`` makes the task from the settings; a
        :class:`TokenTask` sets ``context_length`` and ``vocab_size`` to its own."""
        if isinstance(task, TokenTask):
            sizes = {"context_length": task.context_length, "vocab_size": task.vocab_size}
            settings = cls(**{**changes, **sizes})
            check_int("batch_size", settings.batch_size, low=1, high=len(task))
            return settings, task
        settings = cls(**changes)
        return settings, settings.make_task()

    def make_task(self) -> TokenTask:
        """The token task of ``TASK_SIZE`` sequences, drawn from ``seed``."""
        return make_token_task(TASK_SIZE, self.context_length, self.vocab_size, seed=self.seed)

    def make_model(self, task: TokenTask) -> GPTModel:
        """The stack to train, its weights drawn from ``seed`` (the global RNG untouched)."""
        return GPTModel(
            self.depth, self.width, self.heads, self.context_length, self.vocab_size,
            norm=self.norm, final_norm=self.final_norm, scaled_init=self.scaled_init,
            seed=self.seed,
        )  # fmt: skip

    def layer_names(self) -> list[str]:
        """One name per recorded layer: ``in`` (the embeddings), the blocks, ``out`` (the head)."""
        return ["in", *map(str, range(1, self.depth + 1)), "out"]

    def described(self) -> dict[str, object]:
        """The settings, and the words the training plot's title reads."""
        return {**self.words(self.warmup, self.scaled_init), **self.values()}

    @staticmethod
    def words(warmup: int, scaled_init: bool, init: str = "gpt2") -> dict[str, str]:
        """What the training plot's title reads of a GPT run: task, activation, init, optimizer."""
        optimizer = f"adam, warmup {warmup}," if warmup else "adam"
        words = {"default": "pytorch default"}  # the book's GPTModel keeps PyTorch's init
        init = words.get(init, "gpt2, scaled" if scaled_init else "gpt2")
        return {"task": "tokens", "activation": "gelu", "init": init, "optimizer": optimizer}

    @staticmethod
    def weights(model: GPTModel) -> tuple[list[torch.Tensor], list[int]]:
        """A run's weight matrices and the layer each is recorded under: the two embeddings under
        ``in`` (0), each block's six matrices under the block, the head under ``out``."""
        blocks = block_weights(model)  # six per block
        groups = [0, 0, *(1 + i // 6 for i in range(len(blocks))), model.n_blocks + 1]
        return [model.tok_emb.weight, model.pos_emb.weight, *blocks, model.out_head.weight], groups

    @staticmethod
    def output(model: GPTModel, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, tokens, vocab) for token ids checked once, when the task was made."""
        return model.head(model.hidden_states(x)[-1])

    @staticmethod
    def loss(task: TokenTask, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The mean next-token cross-entropy of logits (batch, tokens, vocab)."""
        return F.cross_entropy(logits.flatten(0, 1), target.flatten())
