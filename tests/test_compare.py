"""compare: the state string, the plain-against-shortcut profiles and the ratio in words.

Oracle: every profile Comparison returns is checked against a network built from scratch at
that depth (``DeepNetwork([width] * (depth + 1), ...)``) and an input drawn the documented way, and
against a hand-written forward/backward pass. Claims about wording use hand-chosen ratios.
"""

import dataclasses
import random

import numpy as np
import pytest
from oracles import architecture, fresh_input, fresh_profiles, oracle_profile

import shortcut_lib as sl
from shortcut_lib import Comparison, ExplorerSettings

parse_settings = ExplorerSettings.parse

SERIES = (
    "weight_grad_mean",
    "weight_grad_norm",
    "output_grad_norm",
    "activation_rms",
    "activation_spread",
)


# --- helpers ------------------------------------------------------------------------------------


def random_settings(rng, *, max_depth=200, max_width=256, max_batch=256, gain_digits=2):
    """A random valid ExplorerSettings, within the bounds of one update (drawn again when its
    estimate is refused); gains carry ``gain_digits`` decimals (None: any float)."""
    while True:
        try:
            return _random_settings(rng, max_depth, max_width, max_batch, gain_digits)
        except ValueError as error:
            assert "fits" in str(error), str(error)


def _random_settings(rng, max_depth, max_width, max_batch, gain_digits):
    norm = rng.choice(["none", "layernorm"])
    width = rng.randint(2 if norm == "layernorm" else 1, max_width)
    gain = rng.uniform(0.05, 4.0)
    if gain_digits is not None:
        gain = min(max(round(gain, gain_digits), 0.05), 4.0)
    return ExplorerSettings(
        depth=rng.randint(1, max_depth),
        width=width,
        activation=rng.choice(["gelu", "relu", "sigmoid", "tanh", "identity"]),
        use_shortcut=rng.choice([False, True]),
        init=rng.choice(["default", "xavier", "kaiming"]),
        gain=gain,
        norm=norm,
        final_norm=width >= 2 and rng.random() < 0.3,
        branch_scale=rng.choice(["1", "1/sqrt(depth)"]),
        batch_size=rng.randint(1, max_batch),
        seed=rng.randint(0, 2**31 - 1),
        diagnostic=rng.choice(list(sl.probes.DIAGNOSTICS)),
    )


def assert_same_profiles(got, expected, context):
    assert set(got) == {"plain", "shortcut"}, context
    for label in ("plain", "shortcut"):
        assert got[label].names == expected[label].names, (label, context)
        for series in SERIES:
            np.testing.assert_allclose(
                getattr(got[label], series),
                getattr(expected[label], series),
                rtol=1e-6,
                atol=0,
                equal_nan=True,
                err_msg=f"{label} {series} for {context}",
            )
        np.testing.assert_allclose(
            got[label].loss,
            expected[label].loss,
            rtol=1e-6,
            equal_nan=True,
            err_msg=f"{label} loss for {context}",
        )


# --- the state string ---------------------------------------------------------------------------


def test_state_string_round_trips_for_random_settings():
    rng = random.Random(20240601)
    for _ in range(300):
        s = random_settings(rng)
        text = str(s)
        assert "\n" not in text and text.count("=") == len(dataclasses.fields(s))
        assert parse_settings(text) == s, text
        # The base must not leak into a complete string.
        assert parse_settings(text, base=random_settings(rng)) == s, text


def test_state_string_round_trips_any_gain():
    # A state string must reproduce its configuration exactly: "{:g}" alone would write
    # gain=0.123456789 as 0.123457.
    rng = random.Random(7)
    for _ in range(50):
        s = random_settings(rng, gain_digits=None)
        assert parse_settings(str(s)) == s, str(s)


def test_state_string_reads_the_documented_format():
    s = parse_settings("depth=50 width=64 activation=sigmoid use_shortcut=on")
    assert (s.depth, s.width, s.activation, s.use_shortcut) == (50, 64, "sigmoid", True)
    # Commas separate as well as spaces; the order does not matter.
    assert parse_settings("gain=1.5, depth=7,seed=3") == ExplorerSettings(gain=1.5, depth=7, seed=3)
    assert str(ExplorerSettings(depth=7)).startswith("depth=7 width=64 activation=gelu")


def test_parse_settings_keeps_base_for_fields_left_out():
    base = ExplorerSettings(
        depth=12,
        width=8,
        activation="tanh",
        use_shortcut=False,
        init="xavier",
        gain=0.5,
        norm="layernorm",
        batch_size=3,
        seed=99,
        diagnostic="output_grad_norm",
    )
    assert parse_settings("", base=base) == base
    assert parse_settings("   ", base=base) == base
    got = parse_settings("depth=40 seed=1", base=base)
    assert got == dataclasses.replace(base, depth=40, seed=1)
    # Without a base, left-out fields take the defaults.
    assert parse_settings("activation=relu") == ExplorerSettings(activation="relu")
    # The base itself is not modified (frozen), and a later field wins over an earlier one.
    assert base.depth == 12
    with pytest.raises(ValueError, match="depth is given twice"):
        parse_settings("depth=3 depth=4")


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("depth=foo", ["depth=foo", "whole number"]),
        ("depht=3", ["depht", "depth"]),  # names the bad key and lists the known ones
        ("depth", ["'depth'", "name=value"]),
        ("depth=", ["'depth='", "name=value"]),
        ("activation=swish", ["swish", "'gelu'", "'sigmoid'"]),
        ("depth=0", ["depth", "got 0", "between 1 and 200"]),
        ("depth=500", ["depth", "got 500", "between 1 and 200"]),
        ("depth=3.5", ["depth=3.5", "whole number"]),
        ("width=300", ["width", "300"]),
        ("gain=abc", ["gain=abc", "number"]),
        ("gain=0", ["gain", "0.05"]),
        ("gain=nan", ["gain", "finite"]),
        ("use_shortcut=maybe", ["use_shortcut", "maybe", "on"]),
        ("init=he", ["init", "'he'", "'kaiming'"]),
        ("norm=batchnorm", ["norm", "'batchnorm'", "'layernorm'"]),
        ("diagnostic=grad", ["diagnostic", "'grad'", "'weight_grad_mean'"]),
        ("depth=10 width=64 activation=swish", ["swish"]),
        ("norm=layernorm width=1", ["layernorm", "width"]),
    ],
)
def test_parse_settings_names_the_bad_part(text, fragments):
    with pytest.raises(ValueError) as info:
        parse_settings(text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_impossible_combination_is_rejected_in_either_order_and_from_a_base():
    for text in ("norm=layernorm width=1", "width=1 norm=layernorm"):
        with pytest.raises(ValueError, match="layernorm"):
            parse_settings(text)
    with pytest.raises(ValueError, match="layernorm"):
        parse_settings("width=1", base=ExplorerSettings(norm="layernorm"))
    with pytest.raises(ValueError, match="layernorm"):
        ExplorerSettings(norm="layernorm", width=1)
    # Each half alone is fine.
    assert parse_settings("width=1").width == 1
    assert parse_settings("norm=layernorm").norm == "layernorm"


def test_seed_range_message_gives_the_exact_bound():
    # The learner must read the real bound, 2147483647, not "{:g}"'s 2.14748e+09.
    with pytest.raises(ValueError) as info:
        parse_settings(f"seed={2**31}")
    assert str(2**31 - 1) in str(info.value), str(info.value)


def test_parse_settings_rejects_non_strings():
    with pytest.raises(TypeError, match="str"):
        parse_settings(["depth=3"])
    with pytest.raises(TypeError, match="str"):
        parse_settings(None)


# --- Comparison against fresh networks -------------------------------------------------


def test_profiles_equal_fresh_networks_for_random_settings():
    rng = random.Random(11)
    for _ in range(10):
        s = random_settings(rng, max_depth=120, max_width=64, max_batch=32)
        assert_same_profiles(Comparison().profiles(s), fresh_profiles(s), s)


def test_profiles_equal_fresh_networks_through_a_stream_of_changes():
    """One comparison fed a random walk of settings: prefix reuse and cache invalidation."""
    rng = random.Random(5)
    comparison = Comparison()
    s = ExplorerSettings(depth=20, width=16, batch_size=8)
    choices = {
        "depth": lambda: rng.choice([1, 2, 5, 19, 33, 64, 65, 130, 200]),
        "width": lambda: rng.choice([2, 3, 16, 17, 40]),
        "seed": lambda: rng.choice([0, 1, 2, 12345]),
        "activation": lambda: rng.choice(["gelu", "relu", "sigmoid", "tanh", "identity"]),
        "init": lambda: rng.choice(["default", "xavier", "kaiming"]),
        "gain": lambda: rng.choice([0.5, 1.0, 1.3]),
        "norm": lambda: rng.choice(["none", "layernorm"]),
        "batch_size": lambda: rng.choice([1, 4, 8]),
        "use_shortcut": lambda: rng.choice([False, True]),
        "final_norm": lambda: rng.choice([False, True]),
        "branch_scale": lambda: rng.choice(["1", "1/sqrt(depth)"]),
    }
    for step in range(40):
        field = rng.choice(list(choices))
        s = s.replace(**{field: choices[field]()})
        assert_same_profiles(comparison.profiles(s), fresh_profiles(s), f"step {step}: {s}")


def test_prefix_reuse_gives_the_numbers_of_a_fresh_network():
    comparison = Comparison()
    deep = ExplorerSettings(
        depth=150, width=24, activation="tanh", init="xavier", seed=3, batch_size=6
    )
    assert_same_profiles(comparison.profiles(deep), fresh_profiles(deep), deep)
    # The cached network is now at least as deep; every shallower request must run a prefix
    # of it and still match a network built at exactly that depth.
    assert comparison._wirings.depth >= 150  # precondition: the prefix path is exercised
    for depth in (149, 100, 33, 2, 1):
        s = deep.replace(depth=depth)
        assert_same_profiles(comparison.profiles(s), fresh_profiles(s), s)
    # Growing past the cached depth must not reuse a too-shallow network.
    shallow = Comparison()
    for depth in (5, 31, 32, 33, 64, 65, 200, 7):
        s = deep.replace(depth=depth)
        assert_same_profiles(shallow.profiles(s), fresh_profiles(s), s)


def test_changing_width_seed_or_weights_invalidates_the_cache():
    comparison = Comparison()
    s = ExplorerSettings(depth=30, width=32, seed=0, batch_size=4)
    before = comparison.profiles(s)
    for change in (
        {"width": 31},
        {"seed": 1},
        {"activation": "relu"},
        {"init": "kaiming"},
        {"gain": 2.0},
        {"norm": "layernorm"},
        {"batch_size": 5},
        {"final_norm": True},
    ):
        t = s.replace(**change)
        got = comparison.profiles(t)
        assert_same_profiles(got, fresh_profiles(t), t)
        # And the change really changed the numbers (else the comparison above proves little).
        assert got["plain"].weight_grad_mean != before["plain"].weight_grad_mean, change
        # Going back gives the original numbers again.
        assert_same_profiles(comparison.profiles(s), before, f"back from {change}")


HAND_CASES = [
    ExplorerSettings(depth=12, width=9, activation="gelu", batch_size=5, seed=1),
    ExplorerSettings(depth=30, width=16, activation="relu", init="kaiming", batch_size=3, seed=2),
    ExplorerSettings(depth=20, width=7, activation="sigmoid", init="xavier", gain=1.25, seed=3),
    ExplorerSettings(depth=25, width=12, activation="tanh", norm="layernorm", batch_size=4, seed=4),
    ExplorerSettings(depth=18, width=10, activation="identity", gain=0.5, batch_size=2, seed=5),
    ExplorerSettings(
        depth=15, width=4, activation="gelu", norm="layernorm", init="xavier", batch_size=2, seed=6
    ),
    ExplorerSettings(depth=1, width=1, activation="relu", batch_size=1, seed=7),
]


@pytest.mark.parametrize("s", HAND_CASES, ids=lambda s: f"{s.activation}-{s.init}-{s.norm}")
def test_profiles_match_a_hand_written_forward_and_backward_pass(s):
    """Independent of DeepNetwork.hidden_states and gradient_profile: my own loop over the
    weights, loss.backward() on leaf copies, gradients read from .grad, norms in float64.

    Gains stay <= 1.25: in a chaotic regime (tanh, kaiming, gain 2.4) float32 rounding
    differences between torch's fused LayerNorm and the hand-written one grow to ~1% over 25
    layers (both agree to 3e-11 in float64), which would test rounding, not the comparison.
    The spread is a difference of nearly equal float32 numbers: each h carries a rounding error of
    ~1e-7 of its size, so it is compared to 1e-6 absolute, not relative."""
    profiles = Comparison().profiles(s)
    net = sl.DeepNetwork(
        [s.width] * (s.depth + 1), s.activation, seed=s.seed, init=s.init, gain=s.gain, norm=s.norm
    )
    for label, use_shortcut in (("plain", False), ("shortcut", True)):
        arch = architecture(dict(activation=s.activation, use_shortcut=use_shortcut, norm=s.norm))
        expected = oracle_profile(net, fresh_input(s), None, **arch)
        for series in SERIES:
            np.testing.assert_allclose(
                getattr(profiles[label], series),
                expected[series],
                rtol=1e-4,
                atol=1e-6 if series == "activation_spread" else 1e-30,
                equal_nan=True,
                err_msg=f"{label} {series} for {s}",
            )


@pytest.mark.parametrize(
    "settings, check",
    [
        # Sigmoid, depth 50, xavier: mean |dW| of layer 1 is ~6e-35, tiny but a normal float32.
        (
            ExplorerSettings(depth=50, activation="sigmoid", init="xavier", seed=0),
            lambda mean: 0 < mean < 1e-30,
        ),
        # Identity, kaiming, gain 2.2: gradients ~1e21, norms ~1e23 (a float32 holds 3e38).
        (
            ExplorerSettings(
                depth=24,
                width=19,
                activation="identity",
                init="kaiming",
                gain=2.2,
                batch_size=2,
                seed=56556069,
            ),
            lambda mean: 1e19 < mean < 1e30,
        ),
        # Identity, kaiming, gain 2, depth 42: every entry of dW_1 is finite, the mean ~9e35.
        (
            ExplorerSettings(
                depth=42,
                width=64,
                activation="identity",
                init="kaiming",
                gain=2.0,
                batch_size=4,
                seed=0,
            ),
            lambda mean: 1e35 < mean < 1e37,
        ),
    ],
    ids=["underflow", "overflow", "mean-overflow"],
)
def test_profiles_are_exact_where_the_gradients_are_representable(settings, check):
    # A float32 reduction can under- or overflow though the result is an ordinary float32:
    # squares of entries below ~1e-19 underflow (norm reads 0), squares above ~2e19 overflow
    # (norm reads inf), and a float32 *sum* of 4096 entries of ~1e35 overflows (mean |dW| reads
    # inf). The explorer would then draw "exactly 0"/"inf" markers and say "dead" or "overflow"
    # where the truth is "vanishing" or "exploding". Every reduction of the probe runs in
    # float64 for this reason; "mean-overflow" is the case
    # where a float32 sum of |dW| (or g.abs().mean()) would read inf.
    s = settings
    plain = Comparison().profiles(s)["plain"]
    net = sl.DeepNetwork(
        [s.width] * (s.depth + 1), s.activation, seed=s.seed, init=s.init, gain=s.gain
    )
    expected = oracle_profile(
        net, fresh_input(s), None, **architecture(dict(activation=s.activation))
    )
    assert check(expected["weight_grad_mean"][0])  # precondition: the case is what it says
    for series in SERIES[:3]:  # the gradients
        assert all(0 < v < 3e38 for v in expected[series]), series  # representable in float32
        np.testing.assert_allclose(
            getattr(plain, series), expected[series], rtol=1e-3, err_msg=series
        )


# --- compare_shortcut ---------------------------------------------------------------------------


def test_compare_shortcut_accepts_settings_a_string_or_none_with_overrides():
    small = ExplorerSettings(depth=6, width=8, batch_size=4)
    assert_same_profiles(sl.compare_shortcut(small), fresh_profiles(small), small)
    s = small.replace(activation="tanh", seed=4)
    assert_same_profiles(
        sl.compare_shortcut(small, activation="tanh", seed=4), fresh_profiles(s), s
    )
    s = ExplorerSettings(depth=5, width=8, activation="relu", seed=2)
    assert_same_profiles(
        sl.compare_shortcut("depth=5 width=8 activation=relu seed=2"), fresh_profiles(s), s
    )
    # Overrides win over the string.
    s = ExplorerSettings(depth=9, width=8, activation="relu", seed=2)
    assert_same_profiles(
        sl.compare_shortcut("depth=5 width=8 activation=relu", depth=9, seed=2),
        fresh_profiles(s),
        s,
    )
    # None is the defaults.
    s = ExplorerSettings(depth=4)
    assert_same_profiles(sl.compare_shortcut(None, depth=4), fresh_profiles(s), s)
    assert_same_profiles(sl.compare_shortcut(depth=4), fresh_profiles(s), s)


def test_compare_shortcut_rejects_bad_arguments_clearly():
    with pytest.raises(TypeError, match="ComparisonSettings, a state string or None; got int"):
        sl.compare_shortcut(5)
    with pytest.raises(ValueError, match="depth=foo"):
        sl.compare_shortcut("depth=foo")
    with pytest.raises(ValueError, match="depth"):
        sl.compare_shortcut(depth=0)
    with pytest.raises(TypeError, match="dpth"):
        sl.compare_shortcut(dpth=3)
    with pytest.raises(ValueError, match="layernorm"):
        sl.compare_shortcut("norm=layernorm", width=1)


def test_compare_shortcut_calls_share_networks_and_give_a_fresh_networks_numbers():
    # One Comparison serves every call: built once, redrawn and rewired in place. The numbers
    # must be those of fresh networks whatever came before, and each call's lists its own.
    for state in ["depth=30 width=8 batch_size=4 activation=tanh", "depth=12 width=8 seed=3",
                  "depth=40 width=8 norm=layernorm", "depth=5 width=9 final_norm=on seed=1",
                  "depth=30 width=8 batch_size=4 activation=tanh"]:  # fmt: skip
        got = sl.compare_shortcut(state)
        assert_same_profiles(got, fresh_profiles(ExplorerSettings.parse(state)), state)
    got["plain"].output_grad_norm.clear()
    again = sl.compare_shortcut("depth=30 width=8 batch_size=4 activation=tanh")
    assert len(again["plain"].output_grad_norm) == 30


@pytest.mark.parametrize(
    ("size", "threads"),
    [({"width": 64, "batch_size": 16}, 1), ({"width": 256, "batch_size": 16}, 2),
     ({"width": 32, "batch_size": 256}, 2)],
    ids=["small ops: one thread", "wide: two", "a large batch: two"],
)  # fmt: skip
def test_mlp_wirings_run_side_by_side_only_where_the_ops_are_large(size, threads, monkeypatch):
    # Two threads gain only when each op is large (batch x width >= 4096 numbers); below, the
    # Python between the ops holds the GIL. Either way the numbers are a fresh network's.
    import threading

    import shortcut_lib.compare as compare_module
    import shortcut_lib.families.mlp as mlp_family

    monkeypatch.setattr(compare_module, "_cores", lambda: 4)
    seen = []
    probe = mlp_family.gradient_profile

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return probe(*args, **kwargs)

    monkeypatch.setattr(mlp_family, "gradient_profile", spy)
    settings = ExplorerSettings(depth=6, activation="tanh", seed=3, **size)
    got = Comparison().profiles(settings)
    assert len(seen) == 2 and len(set(seen)) == threads
    for label, expected in fresh_profiles(settings).items():
        assert got[label] == expected
