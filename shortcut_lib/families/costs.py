"""What one explorer update costs, and how much memory a training run needs, estimated from
the settings alone, before anything is allocated.

Each estimate is a sum of terms that follow what the computation does: a fixed cost per layer or
block (torch's overhead per operation, which dominates small networks), multiply-adds at a measured
rate, the weights built and drawn, and bytes per number kept. The constants were measured on one
core of an x86 machine (``benchmarks/bounds.py`` prints estimate against measured over a grid of
settings) and set so that the estimate is the larger, by up to about 3x.

Subnormal float32 numbers (below 1.2e-38) take 60 to 200 times longer to compute with, and a deep
plain network's vanishing gradients, or its collapsing forward signal, pass through them. The MLP's
rates were measured where that happens most (identity and GELU activations, 200 layers); a GPT
stack's probe flushes them, except where the stream collapses (``norm="none"``), which is probed
again with them and charged so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .bounds import Cost

# Numbers per operation from which probing an MLP's two wirings on two threads beats one: below,
# the Python between the operations holds the GIL (measured with Comparison.profiles: at depth 100
# with LayerNorm, 1,024 numbers, 22 ms on two threads against 17 on one). A GPT stack's two
# wirings go through one paired pass instead (BlockSettings.probe_pair).
SIDE_BY_SIDE_NUMBERS = 4096
FLOAT = 4  # bytes
DOUBLE = 8
REDUCED = 2**16  # numbers a probe reduces at once (probes._pass.CHUNK), at least a layer

# --- the gradient explorer (both wirings of the MLP) ---------------------------------------------
MLP_FIXED_SECONDS = 0.04  # settings, the batch, the frame (plotting is about 5-10 ms)
MLP_LAYER_SECONDS = 120e-6  # per layer and wiring: forward, backward, reduction
MLP_MAC_SECONDS = 0.3e-9  # per multiply-add at these shapes, subnormal numbers included
MLP_WEIGHT_SECONDS = 12e-9  # per weight: drawn, its gradient reduced
MLP_BUILD_SECONDS = 300e-6  # per layer built (a new width)
MLP_FIXED_BYTES = 14e6
MLP_SAVED = 6  # numbers per example, unit, layer and wiring that a pass keeps (LayerNorm: 9)


def roomy_depth(depth: int, most: int) -> int:
    """The depth a comparison builds its networks at for ``depth`` (see Comparison): room to
    drag on, a power of two, at most ``most``."""
    return max(depth, min(2 ** math.ceil(math.log2(depth)), most))


def mlp_update(v: Mapping[str, object]) -> Cost:
    """One gradient-explorer update of the settings ``v`` (a ComparisonSettings' fields), at
    its slowest: the networks built (a new width), both wirings probed."""
    depth, width, batch = v["depth"], v["width"], v["batch_size"]
    room = roomy_depth(depth, 200)
    layernorm = v["norm"] == "layernorm"
    seconds = (
        MLP_FIXED_SECONDS
        + 2 * depth * MLP_LAYER_SECONDS * (1.4 if layernorm else 1.0)
        + 6 * depth * batch * width * width * MLP_MAC_SECONDS  # both: forward, to h, to W
        + room * (MLP_BUILD_SECONDS + width * width * MLP_WEIGHT_SECONDS)
    )
    weights = room * (width * width + 4 * width) * FLOAT  # cached, shared by both wirings
    per_wiring = (MLP_SAVED + 3 * layernorm) * depth * batch * width * FLOAT
    reduced = REDUCED * (FLOAT + DOUBLE)  # a chunk stacked, in float64
    return Cost(seconds, MLP_FIXED_BYTES + weights + 2 * (per_wiring + reduced))


# --- the transformer explorer (both wirings of the GPT stack, the stream only) ------------------
GPT_FIXED_SECONDS = 0.04
GPT_BLOCK_SECONDS = 0.8e-3  # per block and wiring: about 25 operations forward, 20 backward
GPT_MAC_SECONDS = 0.03e-9
GPT_SUBNORMAL_FACTOR = 14  # norm="none": the plain stack's products again, subnormals and all
GPT_BUILD_SECONDS = 2.5e-3  # per block built (a new width, heads or context length)
GPT_DRAW_SECONDS = 7e-9  # per weight built and drawn
GPT_FIXED_BYTES = 12e6
GPT_SAVED = 24  # numbers per token, feature and block that a wiring's pass keeps


def gpt_update(v: Mapping[str, object]) -> Cost:
    """One transformer-explorer update of the settings ``v`` (a BlockSettings' fields), at its
    slowest: the stacks built (a new width, heads or context length), both wirings probed."""
    depth, width, context = v["depth"], v["width"], v["context_length"]
    tokens = v["batch_size"] * context
    room = roomy_depth(depth, 48)
    # per block: 12 width^2 multiply-adds a token in the projections and the feed-forward
    # network, 2 context * width in attention; backward to the stream about twice that
    products = 3 * depth * tokens * (12 * width * width + 2 * context * width) * GPT_MAC_SECONDS
    seconds = GPT_FIXED_SECONDS + 2 * (depth * GPT_BLOCK_SECONDS + products)
    seconds += room * (GPT_BUILD_SECONDS + 12 * width * width * GPT_DRAW_SECONDS)
    if v["norm"] == "none":  # the plain stack's stream may collapse: probed again, subnormals
        seconds += depth * GPT_BLOCK_SECONDS + products * GPT_SUBNORMAL_FACTOR
    weights = room * (12 * width * width + 13 * width) * FLOAT
    unit = room * 5 * width * width * FLOAT  # the residual projections at std 1, if kept
    weights += unit if unit <= 32e6 else 0
    per_wiring = depth * tokens * (GPT_SAVED * width + 4 * v["heads"]) * FLOAT
    return Cost(seconds, GPT_FIXED_BYTES + weights + 2 * per_wiring + REDUCED * 3 * DOUBLE)


# --- training runs (memory only: a run goes on in the background and Stop ends it) -------------
# Bytes per recorded number, measured: a Python float in a list (32) and the copies made at a
# chunk's end and for the plot. A training explorer's run at depth 200 grew by 67 bytes a number
# over its steps, one sl.train chunk of 5000 steps by 75 at its peak.
HISTORY_NUMBER = 80
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
