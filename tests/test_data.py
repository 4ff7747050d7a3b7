"""The synthetic tasks: shapes, the formulas they claim, seeding, and clear errors."""

import math

import pytest
import torch

import shortcut_lib as sl


def test_spirals_shapes_and_balanced_labels():
    task = sl.make_spirals(100, seed=1)
    assert task.x.shape == (100, 2) and task.y.shape == (100, 1)
    assert task.kind == "classification" and task.name == "spirals"
    assert task.in_features == 2 and task.out_features == 1 and len(task) == 100
    assert sorted(set(task.y.flatten().tolist())) == [0.0, 1.0]
    assert task.y.sum().item() == 50


def test_spirals_without_noise_are_two_arms_of_one_spiral():
    # Oracle: with no noise, class 1 is class 0 rotated by pi, and every point of class 0 lies
    # on r -> (r cos(2 pi turns r), r sin(2 pi turns r)).
    turns = 1.5
    task = sl.make_spirals(60, turns=turns, noise=0.0, seed=3)
    arm, other = task.x[:30], task.x[30:]
    torch.testing.assert_close(other, -arm)
    r = arm.norm(dim=1)
    angle = 2 * math.pi * turns * r
    torch.testing.assert_close(arm, torch.stack([r * angle.cos(), r * angle.sin()], dim=1))
    assert r.max() <= 1.0


def test_regression_follows_its_formula_without_noise():
    task = sl.make_regression(50, noise=0.0, seed=2)
    assert task.x.shape == (50, 1) and task.y.shape == (50, 1)
    assert task.kind == "regression"
    x = task.x.flatten().tolist()
    assert x == sorted(x) and min(x) >= -1 and max(x) <= 1
    expected = [math.sin(1.5 * math.pi * v) + 0.5 * v for v in x]
    torch.testing.assert_close(task.y.flatten(), torch.tensor(expected))


@pytest.mark.parametrize("make", [sl.make_spirals, sl.make_regression])
def test_same_seed_same_data_other_seed_other_data_global_rng_untouched(make):
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a, b, c = make(64, seed=5), make(64, seed=5), make(64, seed=6)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_make_task_by_name():
    assert sl.TASKS == ("spirals", "regression")
    assert torch.equal(sl.make_task("spirals").x, sl.make_spirals(256).x)
    assert torch.equal(sl.make_task("regression", 32, seed=4).y, sl.make_regression(32, seed=4).y)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: sl.make_task("moons"), ValueError, "task must be one of 'spirals', 'regression'"),
        (lambda: sl.make_task(3), TypeError, "task must be one of"),
        (lambda: sl.make_spirals(7), ValueError, "n must be even"),
        (lambda: sl.make_spirals(0), ValueError, "n must be between 2 and 1000000; got 0"),
        (lambda: sl.make_spirals(10.0), TypeError, "n must be an int"),
        (
            lambda: sl.make_spirals(10, noise=-1),
            ValueError,
            "noise must be between 0 and 10; got -1",
        ),
        (lambda: sl.make_spirals(10, turns=0), ValueError, "turns must be between"),
        (lambda: sl.make_regression(10, seed="a"), TypeError, "seed must be an int"),
    ],
)
def test_bad_arguments_are_named(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        call()
