"""Exercise on initialization: GPT-2's scaled init of the residual projections.

An init is checked by what it did to the weights: the standard deviation of each group.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..transformer import GPTModel
from ._core import Case, Exercise, Mistake
from ._values import fmt

# --- 05.3 GPT-2's init ----------------------------------------------------------------------------

GROUPS = (
    ("the embeddings (tok_emb, pos_emb)", 0.02),
    ("the output head", 0.02),
    ("attention's W_query, W_key, W_value", 0.02),
    ("the first feed-forward layer (ff.layers[0])", 0.02),
    ("the residual projections (att.out_proj, ff.layers[2])", None),  # 0.02 / sqrt(2 N)
)


def _init_cases() -> list[Case]:
    def case(n_blocks, seed):
        def make():
            model = GPTModel(
                n_blocks, emb_dim=64, n_heads=4, context_length=16, vocab_size=64, seed=seed
            )
            with torch.no_grad():  # a bad start, so that a weight left alone shows
                for module in model.modules():
                    if isinstance(module, (nn.Linear, nn.Embedding)):
                        module.weight.fill_(1.0)
                    if isinstance(module, nn.Linear) and module.bias is not None:
                        module.bias.fill_(1.0)
            return (model,)

        return Case(
            f"sl.GPTModel({n_blocks}, emb_dim=64, n_heads=4, context_length=16, "
            "vocab_size=64), its weights and biases set to 1 first",
            make,
        )

    return [case(8, 1), case(2, 2)]


def _measure_init(function, args):
    (model,) = args
    function(model)
    blocks = model.trf_blocks
    groups = [
        [model.tok_emb.weight, model.pos_emb.weight],
        [model.out_head.weight],
        [
            w
            for b in blocks
            for w in (b.att.W_query.weight, b.att.W_key.weight, b.att.W_value.weight)
        ],
        [b.ff.layers[0].weight for b in blocks],
        [w for b in blocks for w in (b.att.out_proj.weight, b.ff.layers[2].weight)],
    ]
    stds = [torch.cat([w.detach().flatten() for w in g]).double().std().item() for g in groups]
    biases = [m.bias for m in model.modules() if isinstance(m, nn.Linear) and m.bias is not None]
    return stds, max(b.detach().abs().max().item() for b in biases), len(blocks)


def _compare_init(got, expected, args) -> str | None:
    stds, bias, n_blocks = got
    for (name, std), g, e in zip(GROUPS, stds, expected[0], strict=True):
        if not math.isclose(g, e, rel_tol=0.1):  # a std estimated from 4,000+ weights: ~1%
            why = "" if std else f" = 0.02 / sqrt(2 × {n_blocks})"
            return f"{name} have std {fmt(g)}; expected {fmt(e)}{why}."
    if bias != 0:
        return f"every Linear's bias must start at 0; the largest is {fmt(bias)}."
    return None


def _init_starter(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.normal_(0.0, 0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.zero_()
        # YOUR CODE: the residual projections (block.att.out_proj and block.ff.layers[2] of
        # every block in model.trf_blocks) get std 0.02 / sqrt(2 * number of blocks)


def _init_solution(model):
    residual_std = 0.02 / math.sqrt(2 * len(model.trf_blocks))  # 2 branches write per block
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.normal_(0.0, 0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.zero_()
        for block in model.trf_blocks:  # the two projections that write into the stream
            block.att.out_proj.weight.normal_(0.0, residual_std)
            block.ff.layers[2].weight.normal_(0.0, residual_std)


def _scaled(model, *, factor: int = 2, layer: int = 2):
    _init_starter(model)
    std = 0.02 / math.sqrt(factor * len(model.trf_blocks))
    with torch.no_grad():
        for block in model.trf_blocks:
            block.att.out_proj.weight.normal_(0.0, std)
            block.ff.layers[layer].weight.normal_(0.0, std)


GPT2_INIT = Exercise(
    id="05.3",
    name="gpt2_init(model)",
    task="must draw, in place, every Linear and Embedding weight from N(0, 0.02), the residual "
    "projections from N(0, 0.02 / sqrt(2 N)) for N blocks, and set every bias to 0.",
    cases=_init_cases,
    reference=_init_solution,
    compare=_compare_init,
    hint="inside `with torch.no_grad():`, module.weight.normal_(0.0, std) draws in place; the "
    "residual projections are block.att.out_proj and block.ff.layers[2].",
    tested="(standard deviations of every group of weights, within 10%) for 8 blocks and 2",
    starter=_init_starter,
    solution=_init_solution,
    run=_measure_init,
    mistakes=(
        Mistake(
            lambda m: _scaled(m, factor=1),
            "the residual projections have std 0.02 / sqrt(N). Each block has two of them, "
            "attention's out_proj and the feed-forward's second layer, so 2N branches add "
            "into the stream: 0.02 / sqrt(2N).",
        ),
        Mistake(
            _init_starter,
            "every weight has std 0.02: the residual projections still need their own, "
            "smaller std, 0.02 / sqrt(2N), so that 2N branches together add about as much "
            "as one.",
        ),
        Mistake(
            lambda m: _scaled(m, layer=0),
            "it scaled the feed-forward's first layer, ff.layers[0], which reads from the "
            "stream; the one that writes into it is ff.layers[2].",
        ),
    ),
)


EXERCISES = (GPT2_INIT,)
