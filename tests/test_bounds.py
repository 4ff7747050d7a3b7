"""Every explorer is bounded: any combination of its controls either updates within the bounds or
is refused before anything is computed, naming the estimate and a setting that fits.

The estimates come from the settings alone (``families/costs.py``); ``benchmarks/bounds.py``
measures time and memory against them, and ``benchmarks/live.py`` the extremes in an explorer.
Here: the refusal itself at every corner of every explorer's controls, what it says, that the
setting it names is accepted, that nothing is allocated first, and, in a child process, that the
largest accepted update of each explorer stays under the memory bound.
"""

import itertools
import json
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

import shortcut_lib as sl  # noqa: E402
from shortcut_lib.families import BlockSettings, BlockTrainingSettings  # noqa: E402
from shortcut_lib.families.bounds import MEMORY_LIMIT, UPDATE_SECONDS  # noqa: E402

REFUSAL = re.compile(
    r"would take (about [0-9.]+ s|under 0\.1 s) and about [0-9]+ MB, more than the 1 s and 300 MB"
)


def corners(cls, *, choices):
    """Every combination of each numeric setting at its bounds (``shown`` range or spec) and
    each choice in ``choices``."""
    specs = cls.specs()
    numeric = [n for n, s in specs.items() if s.choices is None and s.control != "text"]
    for lows_highs in itertools.product(*[(specs[n].low, specs[n].high) for n in numeric]):
        for chosen in itertools.product(*choices.values()):
            yield {**dict(zip(numeric, lows_highs, strict=True)),
                   **dict(zip(choices, chosen, strict=True))}  # fmt: skip


def refused_or_bounded(cls, values):
    """Construct the settings: a refusal must name the estimate and a setting that fits (which
    must then be accepted); an accepted setting's estimate must be within the bounds."""
    try:
        settings = cls(**values)
    except ValueError as error:
        message = str(error)
        if "divisible" in message or "needs width" in message:
            return "invalid"
        assert REFUSAL.search(message), message
        fit = re.search(r"; ((?:\w+=\d+ ?)+) fits \(", message)
        assert fit, message
        changes = dict(part.split("=") for part in fit.group(1).split())
        fitting = cls(**{**values, **{k: int(v) for k, v in changes.items()}})
        assert fitting.cost().fits(), fitting
        return "refused"
    assert settings.cost().seconds <= UPDATE_SECONDS and settings.cost().bytes <= MEMORY_LIMIT
    return "accepted"


def test_every_corner_of_the_gradient_explorer_is_refused_or_bounded():
    choices = {"activation": ["identity", "gelu"], "norm": ["none", "layernorm"]}
    outcomes = [refused_or_bounded(sl.ExplorerSettings, v)
                for v in corners(sl.ExplorerSettings, choices=choices)]  # fmt: skip
    assert outcomes.count("refused") > 0 and outcomes.count("accepted") > 0
    # the defaults, the notebooks' start and every slider alone at its end are accepted
    starts = [{}, dict(depth=50, activation="sigmoid"), dict(depth=200), dict(width=256),
              dict(batch_size=256), dict(gain=4.0, init="kaiming", activation="relu")]  # fmt: skip
    for changes in starts:
        assert refused_or_bounded(sl.ExplorerSettings, changes) == "accepted", changes


def test_every_corner_of_the_transformer_explorer_is_refused_or_bounded():
    choices = {"norm": ["pre", "none"], "heads": [1, 16]}
    outcomes = [
        refused_or_bounded(BlockSettings, v) for v in corners(BlockSettings, choices=choices)
    ]
    assert outcomes.count("refused") > 0 and outcomes.count("accepted") > 0
    for changes in [{}, dict(depth=48), dict(depth=48, norm="none", use_shortcut=False)]:
        assert refused_or_bounded(BlockSettings, changes) == "accepted", changes
    with pytest.raises(ValueError, match="batch_size=") as info:  # the extreme
        BlockSettings(depth=48, width=256, context_length=64, batch_size=64)
    assert "fits" in str(info.value)


@pytest.mark.parametrize("cls", [sl.TrainingSettings, BlockTrainingSettings])
def test_every_corner_of_a_training_run_is_refused_or_within_the_memory_bound(cls):
    specs = cls.specs()
    sizes = {n: (specs[n].low, specs[n].high) for n in ("depth", "width", "steps", "batch_size")}
    for depth, width, steps, batch in itertools.product(*sizes.values()):
        values = dict(depth=depth, width=width, steps=steps, batch_size=min(batch, 256))
        try:
            settings = cls(**values)
        except ValueError as error:
            assert "MB" in str(error) and "fits" in str(error), str(error)
            continue
        assert settings.memory_estimate() <= MEMORY_LIMIT


def test_a_refusal_comes_before_anything_is_built(monkeypatch):
    def built(*args, **kwargs):
        raise AssertionError("a model was built for refused settings")

    monkeypatch.setattr(sl.families.mlp, "network", built)
    monkeypatch.setattr(sl.families.gpt, "GPTModel", built)
    with pytest.raises(ValueError, match="fits"):
        sl.compare_shortcut(depth=200, width=256, batch_size=256)
    with pytest.raises(ValueError, match="fits"):
        sl.Comparison().profiles(BlockSettings(depth=48, batch_size=64, context_length=64))


def test_the_explorers_show_the_refusal_and_keep_working():
    e = sl.gradient_explorer(depth=20, width=16, batch_size=4)
    for name, value in [("depth", 200), ("width", 256), ("batch_size", 256)]:
        e.controls[name].value = value
    assert REFUSAL.search(e.errors.text) and "fits" in e.errors.text, e.errors.text
    # the refused value is not kept: the controls went back to the last good settings
    assert e.controls["batch_size"].value == 4 and e.settings.batch_size == 4
    e.controls["batch_size"].value = 8  # within the bounds: it updates again
    assert not e.errors.text and e.settings.batch_size == 8
    e.close()
    b = sl.transformer_explorer(depth=4, width=16, heads=2)
    for name, value in [("batch_size", 64), ("context_length", 64), ("width", 256)]:
        b.controls[name].value = value
    assert REFUSAL.search(b.errors.text) and "fits" in b.errors.text, b.errors.text
    assert b.controls["width"].value == b.settings.width == 16
    b.close()


LARGEST = """
import json, sys, torch
torch.set_num_threads(1)
import shortcut_lib as sl
from shortcut_lib.families import BlockSettings
def status(field):  # this process's own: ru_maxrss would count the parent's, carried over exec
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) * 1024
def rss():
    return status("VmRSS")
cls = sl.ExplorerSettings if sys.argv[1] == "mlp" else BlockSettings
small = cls.parse(sys.argv[2]).replace(depth=2, batch_size=1)
sl.Comparison().profiles(small)  # torch's kernels loaded first
base = rss()
settings, comparison = cls.parse(sys.argv[2]), sl.Comparison()
comparison.profiles(settings)
comparison.profiles(settings.replace(seed=1))  # redrawn: the other heap, if threads differ
peak = status("VmHWM") - base
print(json.dumps({"peak": peak, "estimate": settings.cost().bytes}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize(
    ("kind", "state"),
    [("mlp", "depth=200 width=256 batch_size=28 activation=identity"),
     ("mlp", "depth=200 width=64 batch_size=256 activation=gelu norm=layernorm"),
     ("gpt", "depth=48 width=64 context_length=16 batch_size=28"),
     ("gpt", "depth=48 width=256 context_length=16 batch_size=3")],
)  # fmt: skip
def test_the_largest_accepted_updates_stay_under_the_memory_bound(kind, state):
    cls = sl.ExplorerSettings if kind == "mlp" else BlockSettings
    assert cls.parse(state).cost().bytes > 0.4 * MEMORY_LIMIT  # near the bound, not far below
    result = subprocess.run(
        [sys.executable, "-c", LARGEST, kind, state], capture_output=True, text=True, check=True
    )
    measured = json.loads(result.stdout)
    assert measured["peak"] <= MEMORY_LIMIT, measured
    assert measured["peak"] <= measured["estimate"], measured  # the estimate is an upper bound


# --- train_seeds --------------------------------------------------------------------------------


def test_train_seeds_gives_each_seed_the_histories_train_gives():
    together = sl.train_seeds([0, 4, 9], depth=5, width=8, steps=15, activation="tanh")
    assert list(together) == [0, 4, 9]
    for seed, histories in together.items():
        alone = sl.train(depth=5, width=8, steps=15, activation="tanh", seed=seed)
        assert list(histories) == list(alone) == ["plain", "shortcut"]
        for name in alone:
            a, b = histories[name], alone[name]
            assert a.layer_names == b.layer_names and a.settings == b.settings
            for series in ("loss", "weight_grad_mean", "update_ratio", "weight_norm"):
                got, expected = torch.tensor(getattr(a, series)), torch.tensor(getattr(b, series))
                assert torch.allclose(got, expected, rtol=1e-4, atol=1e-30), (seed, name, series)


@pytest.mark.parametrize(
    ("seeds", "settings", "error", "words"),
    [([0, 0], {}, ValueError, ["distinct"]), ([], {}, ValueError, ["at least one"]),
     ("012", {}, TypeError, ["list of ints"]), ([0], {"seed": 1}, TypeError, ["seed="]),
     ([-1], {}, ValueError, ["seed"]),
     (range(40), {"depth": 200, "width": 64}, ValueError, ["40 seeds", "MB"])],
)  # fmt: skip
def test_train_seeds_refuses_clearly(seeds, settings, error, words):
    with pytest.raises(error) as info:
        sl.train_seeds(seeds, steps=2, **settings)
    assert all(w in str(info.value) for w in words), str(info.value)
