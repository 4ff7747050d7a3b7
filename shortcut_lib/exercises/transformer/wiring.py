"""Exercises 05.1 and 05.2: one sub-layer in three wirings, and the residual stream."""

from __future__ import annotations

import torch
from torch import nn

from ...models.block import FeedForward
from ...models.gpt import GPTModel
from .._core import Case, Exercise, Mistake
from .._support import compare_states
from .._values import compare_tensors

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
