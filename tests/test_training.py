"""sl.train and TrainingRun: histories checked against independent recomputation, and clear
errors."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

import shortcut_lib as sl


def _weights(model):
    return [p for n, p in model.named_parameters() if p.ndim == 2 and n.endswith("weight")]


# The teaching claims of notebook 04 live in test_claims_04.py, over seeds 0-11.


# --- histories ------------------------------------------------------------------------------


def test_history_shapes_and_finiteness():
    histories = sl.train(depth=4, width=8, steps=12, batch_size=16)
    assert list(histories) == ["plain", "shortcut"]
    for name, h in histories.items():
        assert h.model == name and h.steps == 12 and len(h.loss) == 12
        assert h.layer_names == ["in", "1", "2", "3", "4", "out"]
        for series in (h.weight_grad_mean, h.update_ratio, h.weight_norm):
            assert len(series) == 12 and all(len(row) == 6 for row in series)
            assert all(math.isfinite(v) for row in series for v in row)
        assert all(math.isfinite(v) for v in h.loss)
        assert h.settings["depth"] == 4 and h.settings["lr"] == 0.01
        assert h.final_loss == pytest.approx(h.loss[-1])  # a tenth of 12 steps is 1 step


def test_same_initial_weights_and_batches_for_both_models():
    run = sl.TrainingRun(depth=5, width=8, steps=3, seed=7)
    plain, shortcut = run.models["plain"], run.models["shortcut"]
    assert plain.body.use_shortcut is False and shortcut.body.use_shortcut is True
    state_p, state_s = plain.state_dict(), shortcut.state_dict()
    assert state_p.keys() == state_s.keys()
    assert all(torch.equal(state_p[k], state_s[k]) for k in state_p)
    pairs = zip(_weights(plain), _weights(shortcut), strict=True)
    assert all(p.data_ptr() != s.data_ptr() for p, s in pairs)  # copies, not shared
    run.advance(3)
    h = run.history()
    assert h["plain"].weight_norm[0] == h["shortcut"].weight_norm[0]
    # The two models did change differently from there.
    assert h["plain"].loss != h["shortcut"].loss


def test_same_seed_same_histories_other_seed_other_histories():
    a = sl.train(depth=3, width=8, steps=10, seed=3)
    b = sl.train(depth=3, width=8, steps=10, seed=3)
    c = sl.train(depth=3, width=8, steps=10, seed=4)
    assert a == b
    assert a["plain"].loss != c["plain"].loss


def test_chunks_give_the_same_history_as_one_go():
    whole = sl.TrainingRun(depth=3, width=8, steps=20, seed=1)
    whole.advance(20)
    chunked = sl.TrainingRun(depth=3, width=8, steps=20, seed=1)
    for n in (1, 6, 5, 100):
        chunked.advance(n)
    assert chunked.step == 20 and chunked.done
    assert chunked.history() == whole.history()


@pytest.mark.parametrize("name", ["plain", "shortcut"])
def test_step_zero_records_match_an_independent_forward_and_backward(name):
    # Regression task: the loss is MSE, so sl.weight_gradient_means is an independent oracle.
    run = sl.TrainingRun(
        "regression", depth=6, width=8, steps=1, batch_size=32, seed=2, models=name
    )
    initial = copy.deepcopy(run.models[name])
    x, y = run.batch(0)
    run.advance(1)
    h = run.history()[name]
    expected = list(sl.weight_gradient_means(initial, x, y).values())
    assert len(expected) == 8
    for got, want in zip(h.weight_grad_mean[0], expected, strict=True):
        assert got == pytest.approx(want, rel=1e-5, abs=1e-30)
    assert h.loss[0] == pytest.approx(F.mse_loss(initial(x), y).item(), rel=1e-6)


def test_spiral_loss_and_gradients_match_hand_written_cross_entropy():
    run = sl.TrainingRun("spirals", depth=4, width=8, steps=1, batch_size=256, seed=0)
    initial = copy.deepcopy(run.models["plain"])
    run.advance(1)
    h = run.history()["plain"]
    task = sl.make_spirals(256)
    logits = initial(task.x)
    # Binary cross-entropy written out: softplus(z) - y z, averaged (full batch, data in order).
    loss = (F.softplus(logits) - task.y * logits).mean()
    grads = torch.autograd.grad(loss, _weights(initial))
    assert h.loss[0] == pytest.approx(loss.item(), rel=1e-6)
    for got, g in zip(h.weight_grad_mean[0], grads, strict=True):
        assert got == pytest.approx(g.abs().mean().item(), rel=1e-5)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_update_ratio_and_weight_norm_match_the_weights_before_and_after(optimizer):
    run = sl.TrainingRun(depth=5, width=8, steps=4, optimizer=optimizer, lr=0.05, seed=3)
    for step in range(4):
        before = {n: [w.detach().clone() for w in _weights(m)] for n, m in run.models.items()}
        run.advance(1)
        for name, model in run.models.items():
            h = run.history()[name]
            for i, (w0, w1) in enumerate(zip(before[name], _weights(model), strict=True)):
                norm = w0.norm().item()
                assert h.weight_norm[step][i] == pytest.approx(norm, rel=1e-5)
                ratio = (w1.detach() - w0).norm().item() / norm
                assert h.update_ratio[step][i] == pytest.approx(ratio, rel=1e-4, abs=1e-12)


def test_sgd_update_ratio_is_lr_times_gradient_over_weight():
    # Plain SGD moves W by exactly lr * dL/dW: a second, independent route to the ratio.
    lr = 0.1
    run = sl.TrainingRun("regression", depth=3, width=8, steps=1, optimizer="sgd", lr=lr, seed=5)
    model = copy.deepcopy(run.models["plain"])
    x, y = run.batch(0)
    grads = torch.autograd.grad(F.mse_loss(model(x), y), _weights(model))
    run.advance(1)
    h = run.history()["plain"]
    for got, g, w in zip(h.update_ratio[0], grads, _weights(model), strict=True):
        # The recorded ratio is the change of the float32 weights, W_after - W_before: for an
        # update ~1e-5 of W, rounding to float32 (eps 6e-8) leaves it about 1e-3 off lr * g.
        assert got == pytest.approx(lr * g.norm().item() / w.norm().item(), rel=1e-2)


def test_one_model_only_and_full_batch_order():
    only = sl.train(depth=2, width=4, steps=2, models="shortcut")
    assert list(only) == ["shortcut"]
    assert list(sl.train(depth=2, width=4, steps=2, models="plain")) == ["plain"]
    run = sl.TrainingRun(depth=2, width=4, steps=2, batch_size=256)
    x, _ = run.batch(1)
    assert torch.equal(x, run.task.x)  # full batch: all the data, in order, every step
    run = sl.TrainingRun(depth=2, width=4, steps=8, batch_size=64)
    seen = torch.cat([run.batch(s)[0] for s in range(4)])  # one epoch: each point once
    assert torch.equal(seen.unique(dim=0), run.task.x.unique(dim=0))


def test_training_leaves_threads_and_global_rng_as_they_were():
    threads = torch.get_num_threads()
    torch.manual_seed(11)
    state = torch.get_rng_state()
    sl.train(depth=2, width=4, steps=3)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), state)


def test_a_task_object_can_be_passed():
    task = sl.make_regression(40, seed=9)
    h = sl.train(task, depth=2, width=4, steps=2, batch_size=40)
    assert h["plain"].settings["task"] == "regression"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"task": "moons"}, ValueError, "task must be one of"),
        (
            {"task": 3},
            TypeError,
            "task must be one of 'spirals', 'regression', 'tokens', a shortcut_lib.Task",
        ),
        ({"depth": 0}, ValueError, "depth must be between 1 and 200; got 0"),
        ({"depth": 201}, ValueError, "depth must be between 1 and 200; got 201"),
        ({"width": 2.5}, TypeError, "width must be an int"),
        ({"activation": "swish"}, ValueError, "activation must be one of"),
        ({"models": "yes"}, ValueError, "models must be one of 'both', 'plain', 'shortcut'"),
        ({"init": "he"}, ValueError, "init must be one of"),
        ({"norm": "batchnorm"}, ValueError, "norm must be one of"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of 'sgd', 'adam'"),
        ({"lr": 0}, ValueError, "lr must be between 1e-06 and 10; got 0"),
        ({"lr": -0.1}, ValueError, "lr must be between 1e-06 and 10; got -0.1"),
        ({"lr": float("nan")}, ValueError, "lr must be a finite number"),
        ({"steps": 0}, ValueError, "steps must be between 1 and 5000; got 0"),
        ({"steps": 10**9}, ValueError, "steps must be between 1 and 5000"),
        (
            {"depth": 200, "width": 512},
            ValueError,
            "would need about [0-9]+ MB, more than the 300 MB it may take; width=[0-9]+ fits",
        ),
        ({"batch_size": 1000}, ValueError, "batch_size must be between 1 and 256; got 1000"),
        ({"seed": None}, TypeError, "seed must be an int"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        sl.train(steps=kwargs.pop("steps", 1), **kwargs)


def test_bad_advance_and_batch_arguments():
    run = sl.TrainingRun(depth=2, width=4, steps=3)
    with pytest.raises(ValueError, match="n must be >= 1; got 0"):
        run.advance(0)
    with pytest.raises(ValueError, match="step must be between 0 and 2; got 3"):
        run.batch(3)
    assert run.advance(10) == 3 and run.advance(1) == 3  # never past the end
