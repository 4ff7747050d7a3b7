"""Exercises on the GPT block: a sub-layer with its shortcut and LayerNorm (pre, post, none), the
residual stream, and GPT-2's scaled init of the residual projections.

The references write each formula out; an init is checked by what it did to the weights,
measured as standard deviations.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..transformer import FeedForward, GPTModel
from ._core import (
    Case,
    Exercise,
    Mistake,
    compare_tensors,
    fmt,
)
from ._support import compare_states

# --- 05.1 a transformer sub-layer: pre-norm, post-norm or no norm ---------------------------------

PLACEMENTS = ("pre", "post", "none")


def _sublayer_cases() -> list[Case]:
    def case(placement, seed):
        def make():
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                layer, norm = FeedForward(8), nn.LayerNorm(8)
                with torch.no_grad():  # a trained-looking LayerNorm, not the identity at init
                    norm.weight.uniform_(0.5, 1.5)
                    norm.bias.normal_(0.0, 0.3)
                x = 2 * torch.randn(2, 5, 8) + 1  # (batch, tokens, emb_dim)
            return x, layer, norm, placement

        return Case(
            f'placement "{placement}", x of shape (2, 5, 8), a FeedForward(8) and a '
            f"LayerNorm(8) (seed {seed})",
            make,
        )

    return [case("pre", 1), case("post", 2), case("none", 3), case("pre", 4), case("post", 5)]


def _sublayer(x, layer, norm, placement):
    if placement == "pre":
        return x + layer(norm(x))
    if placement == "post":
        return norm(x + layer(x))
    return x + layer(x)


def _sublayer_starter(x, layer, norm, placement):
    if placement == "none":
        return x + layer(x)
    # YOUR CODE: "pre" (GPT-2 and the book) and "post" (the original Transformer)
    return ...


def _sublayer_solution(x, layer, norm, placement):
    if placement == "pre":
        return x + layer(norm(x))  # the identity path carries x untouched
    if placement == "post":
        return norm(x + layer(x))  # a LayerNorm on the path, after every sum
    return x + layer(x)


def _swap(placement: str) -> str:
    return {"pre": "post", "post": "pre"}.get(placement, placement)


SUBLAYER = Exercise(
    id="05.1",
    name="sublayer(x, layer, norm, placement)",
    task='must return one sub-layer with its shortcut: "pre" x + layer(norm(x)), "post" '
    'norm(x + layer(x)), "none" x + layer(x).',
    cases=_sublayer_cases,
    reference=_sublayer,
    compare=lambda got, expected, args: compare_tensors(
        got, expected, lambda i: f"at sequence {i[0]}, token {i[1]}, feature {i[2]}"
    ),
    hint='with "pre" the LayerNorm acts on the sub-layer\'s input only; with "post" on the sum.',
    tested='(the three formulas) for "pre", "post" and "none", with a LayerNorm whose scale and '
    "shift are not 1 and 0",
    starter=_sublayer_starter,
    solution=_sublayer_solution,
    mistakes=(
        Mistake(
            lambda x, f, n, p: n(x) + f(n(x)) if p == "pre" else _sublayer(x, f, n, p),
            "its shortcut adds norm(x), not x. The identity path must carry x itself: then "
            "dx_L/dx_l holds a clean I, and no LayerNorm sits between the loss and block 1.",
        ),
        Mistake(
            lambda x, f, n, p: x + n(f(x)) if p == "post" else _sublayer(x, f, n, p),
            "it normalizes the branch, x + norm(layer(x)). Post-norm normalizes the sum: "
            "norm(x + layer(x)).",
        ),
        Mistake(
            lambda x, f, n, p: _sublayer(x, f, n, _swap(p)),
            'pre and post are swapped: "pre" means the LayerNorm comes before the sub-layer.',
        ),
        Mistake(
            lambda x, f, n, p: {"pre": f(n(x)), "post": n(f(x))}.get(p, f(x)),
            "the shortcut is missing: the sub-layer's input x is never added back.",
        ),
    ),
)


# --- 05.2 the residual stream ---------------------------------------------------------------------


def _stream_cases() -> list[Case]:
    def case(n_blocks, seed, shape, **wiring):
        def make():
            model = GPTModel(
                n_blocks, emb_dim=16, n_heads=2, context_length=8, vocab_size=7, seed=seed, **wiring
            )
            ids = torch.randint(7, shape, generator=torch.Generator().manual_seed(seed))
            return model, ids

        options = "".join(f", {k}={v!r}" for k, v in wiring.items())
        return Case(
            f"sl.GPTModel({n_blocks}, emb_dim=16, n_heads=2, context_length=8, "
            f"vocab_size=7{options}, seed={seed}), token ids of shape {shape}",
            make,
        )

    return [
        case(2, 1, (3, 8)),
        case(3, 2, (2, 5), norm="post"),
        case(2, 3, (1, 8), use_shortcut=False),
    ]


def _stream(model, ids, *, positions=True, final=False):
    x = model.tok_emb(ids)  # (batch, tokens, emb_dim)
    if positions:
        x = x + model.pos_emb(torch.arange(ids.shape[1]))  # one vector per position, broadcast
    states = [x]
    for block in model.trf_blocks:
        states.append(block(states[-1]))
    if final:
        states[-1] = model.final_norm(states[-1])
    return states


def _stream_starter(model, ids):
    x = model.tok_emb(ids)  # (batch, tokens, emb_dim): token embeddings only, so far
    states = [x]
    # YOUR CODE: add the position embeddings, then run the blocks (model.trf_blocks) one by one
    return states


def _stream_solution(model, ids):
    positions = torch.arange(ids.shape[1])  # 0 .. tokens - 1
    x = model.tok_emb(ids) + model.pos_emb(positions)  # (batch, tokens, emb_dim)
    states = [x]
    for block in model.trf_blocks:
        x = block(x)  # each block adds its attention and feed-forward branches to the stream
        states.append(x)
    return states


RESIDUAL_STREAM = Exercise(
    id="05.2",
    name="residual_stream(model, ids)",
    task="must return the residual stream entering each block and after the last: n_blocks + 1 "
    "tensors of shape (batch, tokens, emb_dim).",
    cases=_stream_cases,
    reference=_stream,
    compare=lambda got, expected, args: compare_states(
        got, expected, "the stream entering each block, then after the last"
    ),
    hint="x = model.tok_emb(ids) + model.pos_emb(torch.arange(ids.shape[1])), then x = block(x) "
    "for each block in model.trf_blocks.",
    tested="(embeddings and blocks run one by one) for pre-norm, post-norm and plain models, "
    "with sequences shorter than the context",
    starter=_stream_starter,
    solution=_stream_solution,
    mistakes=(
        Mistake(
            lambda m, ids: _stream(m, ids, positions=False),
            "the position embeddings are missing: without them attention cannot tell the "
            "tokens' order, and this task needs the two tokens just before.",
        ),
        Mistake(
            lambda m, ids: _stream(m, ids, final=True),
            "the last state went through final_norm. That LayerNorm feeds the output head; "
            "the stream itself ends with the last block's output.",
        ),
    ),
)


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


EXERCISES = (SUBLAYER, RESIDUAL_STREAM, GPT2_INIT)
