"""The verdict words: describe_backward and describe_forward on hand-built profiles.

Each profile is written out by hand so that the quantity a verdict names is known exactly; the
bands are the documented ones (a factor of 10 either way, collapsed below 1e-3).
"""

import math

import pytest
import torch

import shortcut_lib as sl
from shortcut_lib.probes import GradientProfile


def profile(backward=(1.0, 1.0), rms=(1.0, 1.0), spread=(0.5, 0.5), input_rms=1.0):
    depth = len(backward)
    return GradientProfile(
        names=[f"layers.{i}.0.weight" for i in range(depth)],
        weight_grad_mean=[1.0] * depth,
        weight_grad_norm=[1.0] * depth,
        output_grad_norm=list(backward),
        activation_rms=list(rms),
        activation_spread=list(spread),
        input_rms=input_rms,
        loss=1.0,
    )


@pytest.mark.parametrize(
    ("first", "last", "word"),
    [
        (1e-5, 1.0, "vanishing"),
        (0.09, 1.0, "vanishing"),
        (0.11, 1.0, "steady"),
        (9.0, 1.0, "steady"),
        (11.0, 1.0, "exploding"),
        (1e10, 1.0, "exploding"),
        (0.0, 1.0, "dead"),
        (1.0, 0.0, "dead"),
        (math.nan, 1.0, "overflow"),
        (math.inf, 1.0, "overflow"),
    ],
)
def test_backward_verdict_follows_the_first_over_last_ratio(first, last, word):
    assert sl.describe_backward(profile(backward=(first, 0.5, last))).startswith(f"{word}:")


def test_backward_verdict_names_the_bound_not_the_digits_of_a_subnormal():
    # Two CPUs that keep different bits of a subnormal (or flush it to 0) must not print
    # different numbers: below float32's smallest normal the words give the bound.
    tiny = torch.finfo(torch.float32).tiny
    texts = {sl.describe_backward(profile(backward=(v, 1.0))) for v in (tiny / 3, tiny / 1e5)}
    assert len(texts) == 1
    (text,) = texts
    assert text.startswith("vanishing:") and "1e-38" in text
    # A small but normal value still prints its ratio.
    assert "2e-30 of" in sl.describe_backward(profile(backward=(2e-30, 1.0)))


def test_backward_verdict_is_about_the_gradient_at_h_not_the_weights():
    # Weight gradients that shrink 100x do not make a flat backward signal "vanishing".
    p = profile(backward=(1.1, 1.0))
    p.weight_grad_mean[0] = 0.01
    assert sl.describe_backward(p).startswith("steady:")


@pytest.mark.parametrize(
    ("spread", "word"), [(0.0, "collapsed"), (9e-4, "collapsed"), (2e-3, "apart"), (0.4, "apart")]
)
def test_forward_verdict_follows_the_last_layers_spread(spread, word):
    assert sl.describe_forward(profile(spread=(0.5, spread))).startswith(f"{word}:")


@pytest.mark.parametrize(
    ("last_rms", "words"),
    [
        (25.0, "grows 25 times"),
        (4e9, "grows 4e9 times"),
        (0.039, "shrinks to 0.039 of"),
        (0.5, "stays within 10x"),
    ],
)
def test_forward_verdict_reports_the_growth_of_rms_from_the_input(last_rms, words):
    assert words in sl.describe_forward(profile(rms=(1.0, last_rms), input_rms=1.0))


def test_forward_verdict_says_overflow_for_a_non_finite_state():
    assert sl.describe_forward(profile(rms=(1.0, math.inf))).startswith("overflow:")
