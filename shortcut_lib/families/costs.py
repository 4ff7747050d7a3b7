"""What one explorer update and one training step cost, estimated from the settings alone.

Each estimate is a sum of terms that follow what the computation does: a fixed cost per layer or
block (torch's overhead per operation, which dominates small networks), multiply-adds at a measured
rate, and bytes per number kept. The constants were measured on one core of an x86 machine and set
so that each estimate is at least what ``benchmarks/bounds.py`` measures over its grid of
settings; it prints both.

Subnormal float32 numbers (below 1.2e-38) are 60 to 200 times slower to compute with, and a deep
plain network's vanishing gradients (and a collapsing forward signal) pass through them. Whether
they do depends on the weights, so the MLP's estimate charges the plain wiring's worst case: a band
of up to ``SUBNORMAL_LAYERS`` layers whose products all run at that speed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .bounds import Cost

FLOAT = 4  # bytes
DOUBLE = 8
REDUCED = 2**16  # numbers a probe reduces at once (probes._pass.CHUNK), at least a layer

# --- the gradient explorer (both wirings of the MLP) ---------------------------------------------
MLP_FIXED_SECONDS = 0.02  # settings, the batch, the frame (plotting is about 5-10 ms)
MLP_LAYER_SECONDS = 100e-6  # per layer and wiring: forward, backward, reduction
MLP_MAC_SECONDS = 0.25e-9  # per multiply-add at these shapes (16 to 256 rows)
SUBNORMAL_MAC_SECONDS = 3e-9
SUBNORMAL_LAYERS = 60
DRAW_SECONDS = 10e-9  # per weight redrawn (a new seed, init or gain)
DRAW_LAYER_SECONDS = 60e-6
MLP_FIXED_BYTES = 4e6
MLP_SAVED = 7  # numbers per example, unit and layer that a wiring's pass keeps (LayerNorm: 10)


def roomy_depth(depth: int, most: int) -> int:
    """The depth a comparison builds its networks at for ``depth`` (see Comparison): room to
    drag on, a power of two, at most ``most``."""
    return max(depth, min(2 ** math.ceil(math.log2(depth)), most))


def mlp_update(v: Mapping[str, object]) -> Cost:
    """One gradient-explorer update of the settings ``v`` (a ComparisonSettings' fields)."""
    depth, width, batch = v["depth"], v["width"], v["batch_size"]
    room = roomy_depth(depth, 200)
    layernorm = v["norm"] == "layernorm"
    products = batch * width * width  # multiply-adds of one layer's product
    seconds = (
        MLP_FIXED_SECONDS
        + 2 * depth * MLP_LAYER_SECONDS * (1.4 if layernorm else 1.0)
        + 6 * depth * products * MLP_MAC_SECONDS  # both wirings: forward, to h, to W
        + 3 * min(depth, SUBNORMAL_LAYERS) * products * SUBNORMAL_MAC_SECONDS  # plain: worst
        + room * (width * width * DRAW_SECONDS + DRAW_LAYER_SECONDS)
    )
    saved = (MLP_SAVED + 3 * layernorm) * batch * width
    per_wiring = depth * (width * width + saved) * FLOAT  # its weight gradients, its pass
    weights = room * (width * width + 4 * width) * FLOAT  # cached, shared by both wirings
    reduced = REDUCED * (FLOAT + 2 * DOUBLE)  # a chunk stacked, in float64, centred
    return Cost(seconds, MLP_FIXED_BYTES + weights + 2 * (per_wiring + reduced))


# --- the transformer explorer (both wirings of the GPT stack, the stream only) ------------------
GPT_FIXED_SECONDS = 0.03
GPT_BLOCK_SECONDS = 0.7e-3  # per block and wiring: about 25 operations forward, 20 backward
GPT_MAC_SECONDS = 0.025e-9
GPT_SUBNORMAL_FACTOR = 12  # norm="none" without shortcuts: probed again with subnormals
GPT_FIXED_BYTES = 6e6
GPT_SAVED = 24  # numbers per token, feature and block that a wiring's pass keeps


def gpt_update(v: Mapping[str, object]) -> Cost:
    """One transformer-explorer update of the settings ``v`` (a BlockSettings' fields)."""
    depth, width, context = v["depth"], v["width"], v["context_length"]
    tokens = v["batch_size"] * context
    room = roomy_depth(depth, 48)
    # per block: 12 width^2 multiply-adds a token in the projections and the feed-forward
    # network, 2 context * width in attention; backward to the stream about twice that
    macs = 3 * depth * tokens * (12 * width * width + 2 * context * width)
    block_seconds = depth * GPT_BLOCK_SECONDS + macs * GPT_MAC_SECONDS
    seconds = GPT_FIXED_SECONDS + 2 * block_seconds + room * 12 * width * width * DRAW_SECONDS
    if v["norm"] == "none":  # the plain stack's stream may collapse: taken again, subnormals
        seconds += block_seconds * GPT_SUBNORMAL_FACTOR
    weights = room * (12 * width * width + 13 * width) * FLOAT
    unit = room * 5 * width * width * FLOAT  # the residual projections at std 1, if kept
    weights += unit if unit <= 32e6 else 0
    per_wiring = depth * tokens * (GPT_SAVED * width + 4 * v["heads"]) * FLOAT
    return Cost(seconds, GPT_FIXED_BYTES + weights + 2 * per_wiring + REDUCED * 3 * DOUBLE)


# --- training runs (memory only: a run goes on in the background and Stop ends it) -------------
HISTORY_NUMBER = 32  # bytes of a recorded float: a Python float in a list
MLP_RUN_SAVED = 8  # numbers per example, unit and hidden layer one step keeps (LayerNorm: 11)


def mlp_run_bytes(v: Mapping[str, object]) -> float:
    """Peak memory of a run of notebook 04's networks (a TrainingSettings' fields): per model,
    its weights with their gradients, Adam's two moments and the update's buffer, one step's
    activations and the recorded history."""
    models = 2 if v["models"] == "both" else 1
    depth, width = v["depth"], v["width"]
    weights = depth * width * (width + 1) + 8 * width
    saved = (MLP_RUN_SAVED + 3 * (v["norm"] == "layernorm")) * v["batch_size"] * width * depth
    history = v["steps"] * (depth + 2) * 3 + v["steps"]
    return models * (5 * FLOAT * weights + FLOAT * saved + HISTORY_NUMBER * history)


def gpt_run_bytes(v: Mapping[str, object]) -> float:
    """Peak memory of a run of GPT stacks (a BlockTrainingSettings' fields), as for the MLP's:
    about 20 numbers per token and feature in each block, 4 per token, head and key in
    attention."""
    models = 2 if v["models"] == "both" else 1
    d, tokens, context = v["width"], v["batch_size"] * v["context_length"], v["context_length"]
    weights = v["depth"] * 12 * d * d + (v["vocab_size"] * 2 + context) * d
    activations = v["depth"] * tokens * (20 * d + 4 * v["heads"] * context)
    history = HISTORY_NUMBER * 3 * v["steps"] * (v["depth"] + 2)
    return models * (5 * FLOAT * weights + FLOAT * activations + history)
