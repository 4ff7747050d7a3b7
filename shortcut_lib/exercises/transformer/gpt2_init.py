"""Exercise 05.3: GPT-2's init."""

from __future__ import annotations

import math

import torch
from torch import nn

from ...models.gpt import GPTModel
from .._core import Case, Exercise, Mistake
from .._values import fmt, fmt_pair

STD = 0.02


GROUPS = (  # (words, parts of the parameters' names)
    ("the embeddings (tok_emb, pos_emb)", ("tok_emb.", "pos_emb.")),
    ("the output head", ("out_head.",)),
    ("attention's W_query, W_key, W_value", ("W_query", "W_key", "W_value")),
    ("the first feed-forward layer (ff.layers[0])", ("ff.layers.0.",)),
    ("the residual projections (att.out_proj, ff.layers[2])", ("out_proj.", "ff.layers.2.")),
)


RESIDUAL = len(GROUPS) - 1


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
            "vocab_size=64), its Linear and Embedding weights and biases set to 1 first",
            make,
        )

    return [case(8, 1), case(2, 2)]


def _group(name: str) -> int | None:
    """The group of a drawn weight, or None for a bias, a LayerNorm or a buffer."""
    if not name.endswith(".weight") or "norm" in name:
        return None
    return next(i for i, (_, parts) in enumerate(GROUPS) if any(p in name for p in parts))


def _measure_init(function, args):
    """Every parameter and buffer after the init, in float64, and which were replaced."""
    (model,) = args
    held = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    function(model)
    now = dict(model.named_parameters())
    replaced = [n for n, p in now.items() if n in held and held[n] is not p]
    replaced += [n for n in held if "mask" not in n and n not in now]
    values = {name: t.detach().double().clone() for name, t in held.items()}
    return values, replaced, len(model.trf_blocks)


def _compare_init(got, expected, args) -> str | None:
    values, replaced, n_blocks = got
    if replaced:
        return (
            f"it replaced {replaced[0]} with a new tensor. Draw into the tensor the model "
            "already holds (weight.normal_(...), inside torch.no_grad()): an optimizer built "
            "on the model keeps updating the old one"
        )
    reference = expected[0]
    for check in (_fresh_draws, _group_stds, _each_weight, _normal_shape, _left_alone):
        problem = check(values, reference, n_blocks)
        if problem is not None:
            return problem
    return None


def _in_group(values: dict, group: int) -> list[str]:
    return [name for name in values if _group(name) == group]


def _group_stds(values, reference, n_blocks) -> str | None:
    for group, (words, _) in enumerate(GROUPS):
        names = _in_group(values, group)
        got = torch.cat([values[n].flatten() for n in names])
        target = torch.cat([reference[n].flatten() for n in names]).std().item()
        if abs(got.std().item() / target - 1) > 5 / math.sqrt(2 * got.numel()):
            why = f" = 0.02 / sqrt(2 × {n_blocks})" if group == RESIDUAL else ""
            g, e = fmt_pair(got.std().item(), target)
            return f"{words} have std {g}; expected {e}{why}"
    return None


def _each_weight(values, reference, n_blocks) -> str | None:
    for name, value in values.items():
        if _group(name) is None:
            continue
        n, target = value.numel(), reference[name].std().item()
        std, mean = value.std().item(), value.mean().item()
        if abs(std / target - 1) > 5 / math.sqrt(2 * n):
            g, e = fmt_pair(std, target)
            return f"{name} has std {g}; expected {e}, like the rest of its group"
        if abs(mean) > 5 * target / math.sqrt(n):
            return (
                f"{name} has mean {fmt(mean)}; {n:,} draws from N(0, {fmt(target)}) have a mean "
                f"within ±{fmt(5 * target / math.sqrt(n))}. The mean must be 0"
            )
    return None


def _normal_shape(values, reference, n_blocks) -> str | None:
    for group, (words, _) in enumerate(GROUPS):
        standardized = [
            (values[n] - values[n].mean()) / values[n].std() for n in _in_group(values, group)
        ]
        z = torch.cat([s.flatten() for s in standardized])
        kurtosis = z.pow(4).mean().item()
        if abs(kurtosis - 3) > 6 * math.sqrt(24 / z.numel()):
            return (
                f"{words} are not drawn from a normal distribution: their kurtosis is "
                f"{fmt(kurtosis)}, a normal's is 3 (a uniform's is 1.8). Use normal_(0.0, std)"
            )
    return None


def _fresh_draws(values, reference, n_blocks) -> str | None:
    """No two weights of the same shape alike: each block, each layer drawn afresh."""
    names = [n for n in values if _group(n) is not None]
    for shape in {tuple(values[n].shape) for n in names}:
        same = [n for n in names if tuple(values[n].shape) == shape]
        rows = torch.stack([values[n].flatten() - values[n].mean() for n in same])
        rows = rows / rows.norm(dim=1, keepdim=True)
        corr = (rows @ rows.T).abs().fill_diagonal_(0.0)  # (weights, weights)
        worst = int(corr.argmax())
        a, b = divmod(worst, len(same))
        if corr[a, b] > 6 / math.sqrt(rows.shape[1]):
            return (
                f"{same[a]} and {same[b]} are the same draw (correlation "
                f"{fmt(corr[a, b].item())}): each weight must be drawn afresh, block by block"
            )
    return None


def _left_alone(values, reference, n_blocks) -> str | None:
    for name, value in values.items():
        if _group(name) is not None or torch.equal(value, reference[name]):
            continue
        if "norm" in name:
            return (
                f"{name} was changed. GPT-2's init draws the Linear and Embedding weights; a "
                "LayerNorm keeps its scale 1 and shift 0"
            )
        if name.endswith(".bias"):
            worst = value.abs().max().item()
            return f"every Linear's bias must start at 0; {name} holds up to {fmt(worst)}"
        return f"{name} was changed; an init draws weights and leaves the rest as it was"
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


def _exact_init(model):
    """The reference: every weight of a group with exactly the group's std and mean 0 (the
    targets the learner's draws are compared with), every Linear's bias 0, nothing else
    touched. Written from the groups' names, not from the solution."""
    residual = STD / math.sqrt(2 * len(model.trf_blocks))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if _group(name) is not None:
                z = torch.randn(p.shape, generator=generator, dtype=torch.float64)
                z = (z - z.mean()) / z.std()  # exactly mean 0, std 1
                p.copy_(z * (residual if _group(name) == RESIDUAL else STD))
            elif name.endswith(".bias") and "norm" not in name:
                p.zero_()


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
    "projections from N(0, 0.02 / sqrt(2 N)) for N blocks, and set every Linear's bias to 0, "
    "leaving the LayerNorms as they are.",
    cases=_init_cases,
    reference=_exact_init,
    compare=_compare_init,
    hint="inside `with torch.no_grad():`, module.weight.normal_(0.0, std) draws in place; the "
    "residual projections are block.att.out_proj and block.ff.layers[2].",
    tested="(each weight's std, mean and kurtosis against its group's target, a fresh draw for "
    "every weight, biases 0, LayerNorms untouched) for 8 blocks and 2",
    starter=_init_starter,
    solution=_init_solution,
    run=_measure_init,
    changes=(0,),
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
