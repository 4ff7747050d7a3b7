"""Bad input across the public surface, table-driven: each case is a call, the exception type it
must raise and words its message must contain.

The cases run in a child process with its memory capped (1.5 GB of address space, where torch
itself takes about 0.7) and a time limit: a size that slipped past validation would exhaust the
memory or the time of a learner's 1-2 GB Binder kernel, and here it fails this test instead of
the machine.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# (id, the call, exception type, words the message must contain)
CASES = [
    # Sizes that would exhaust memory or time.
    (
        "a million layers",
        "sl.DeepNetwork([3] * (10**6 + 1))",
        "ValueError",
        ["layer_sizes", "10000"],
    ),
    (
        "a trillion weights",
        "sl.DeepNetwork([10**6, 10**6])",
        "ValueError",
        ["parameters", "50,000,000"],
    ),
    ("spirals of 1e12 points", "sl.make_spirals(10**12)", "ValueError", ["n", "1000000"]),
    ("regression of 1e12 points", "sl.make_regression(10**12)", "ValueError", ["n", "1000000"]),
    ("1e9 steps", "sl.TrainingRun(depth=1, width=4, steps=10**9)", "ValueError", ["steps", "5000"]),
    (
        "67 GB of run",
        "sl.TrainingRun(depth=1000, width=4096, steps=1)",
        "ValueError",
        ["depth", "200"],
    ),
    (
        "a run over 300 MB",
        "sl.train(depth=200, width=512, steps=1)",
        "ValueError",
        ["MB", "300 MB", "fits"],
    ),
    ("widest comparison", "sl.compare_shortcut(width=10**6)", "ValueError", ["width", "256"]),
    # State strings.
    (
        "5000 digits",
        "sl.ComparisonSettings.parse('depth=' + '9' * 5000)",
        "ValueError",
        ["depth", "whole number"],
    ),
    (
        "a setting twice",
        "sl.ComparisonSettings.parse('depth=5 depth=7')",
        "ValueError",
        ["depth is given twice"],
    ),
    (
        "arabic-indic digits",
        "sl.ComparisonSettings.parse('depth=\\u0665\\u0660')",
        "ValueError",
        ["depth", "whole number"],
    ),
    (
        "fullwidth digits",
        "sl.ComparisonSettings.parse('depth=\\uff15')",
        "ValueError",
        ["whole number"],
    ),
    (
        "underscore in a number",
        "sl.ComparisonSettings.parse('gain=0_1')",
        "ValueError",
        ["gain", "number"],
    ),
    (
        "every bad field",
        "sl.ComparisonSettings.parse('depth=fifty activation=sigmod')",
        "ValueError",
        ["depth", "fifty", "sigmod", "did you mean sigmoid"],
    ),
    (
        "a huge bad value is echoed short",
        "sl.ComparisonSettings.parse('activation=' + 'x' * 10**6)",
        "ValueError",
        ["activation", "..."],
    ),
    (
        "base of another kind",
        "sl.ComparisonSettings.parse('depth=3', base='x')",
        "TypeError",
        ["base", "ComparisonSettings"],
    ),
    ("base a number", "sl.ComparisonSettings.parse('depth=3', base=3)", "TypeError", ["base"]),
    (
        "use_shortcut unknown",
        "sl.ExplorerSettings.parse('use_shortcut=both')",
        "ValueError",
        ["use_shortcut", "on or off"],
    ),
    # Wrong kinds of objects.
    (
        "meta-device x",
        "sl.gradient_profile(sl.DeepNetwork([3, 3]), torch.empty(2, 3, device='meta'))",
        "ValueError",
        ["x", "meta"],
    ),
    (
        "meta-device target",
        "sl.weight_gradient_means(sl.DeepNetwork([3, 3]), [[1.0, 2.0, 3.0]], torch.empty(1, 3, device='meta'))",
        "ValueError",
        ["target", "meta"],
    ),
    (
        "meta-device model",
        "sl.weight_gradient_means(sl.DeepNetwork([3, 3]).to('meta'), [[1.0, 2.0, 3.0]])",
        "ValueError",
        ["model", "meta"],
    ),
    (
        "an embedding model",
        "sl.weight_gradient_means(torch.nn.Embedding(10, 3), [[1.0]])",
        "TypeError",
        ["Embedding", "token ids"],
    ),
    (
        "a state string to profiles",
        "sl.Comparison().profiles('depth=5')",
        "TypeError",
        ["ComparisonSettings", "str"],
    ),
    (
        "a malformed Task",
        "sl.Task('spirals', 'classification', torch.zeros(4), torch.zeros(4, 1))",
        "TypeError",
        ["Task.x", "2-D"],
    ),
    (
        "a Task of another kind",
        "sl.Task('spirals', 'ranking', torch.zeros(4, 2), torch.zeros(4, 1))",
        "ValueError",
        ["kind", "'classification'"],
    ),
    ("seed 2**64 for spirals", "sl.make_spirals(seed=2**64)", "ValueError", ["seed", str(2**64)]),
    ("seed 2**64 for regression", "sl.make_regression(seed=2**64)", "ValueError", ["seed"]),
    ("seed 2**64 for train", "sl.train(seed=2**64, steps=1)", "ValueError", ["seed", "2147483647"]),
    (
        "forward with a wrong width",
        "sl.DeepNetwork([3, 3])(torch.zeros(2, 4))",
        "ValueError",
        ["x", "4 features", "3"],
    ),
    ("forward with a string", "sl.DeepNetwork([3, 3])('abc')", "TypeError", ["x", "str"]),
    (
        "hidden states of a string",
        "sl.DeepNetwork([3, 3]).hidden_states('abc')",
        "TypeError",
        ["x", "str"],
    ),
    # Plotting arguments.
    ("decade_step 0", "sl.GradientPlot(decade_step=0)", "ValueError", ["decade_step", "0"]),
    ("labels a string", "sl.GradientPlot(labels='plain')", "TypeError", ["labels", "'plain'"]),
    (
        "a tensor that requires grad",
        "sl.plot_gradients({'plain': torch.ones(3, requires_grad=True)})",
        None,
        [],
    ),
    (
        "spread of a tensor that requires grad",
        "sl.plot_spread({'a': torch.ones(3, requires_grad=True)}, xlabel='x')",
        None,
        [],
    ),
    (
        "reference a number",
        "sl.plot_final_losses(RUNS, reference=5)",
        "TypeError",
        ["reference", "(value, label)"],
    ),
    (
        "reference of one",
        "sl.plot_final_losses(RUNS, reference=(1.0,))",
        "TypeError",
        ["reference"],
    ),
    (
        "band of one",
        "sl.plot_gradients({'plain': [1e-3]}, band=(1.0,))",
        "TypeError",
        ["band", "pair"],
    ),
    (
        "band reversed",
        "sl.plot_gradients({'plain': [1e-3]}, band=(1.0, 0.1))",
        "ValueError",
        ["band", "low < high"],
    ),
    (
        "band NaN",
        "sl.plot_gradients({'plain': [1e-3]}, band=(float('nan'), 1.0))",
        "ValueError",
        ["band"],
    ),
    ("ncols a string", "sl.plot_loss_curves(RUNS, ncols='2')", "TypeError", ["ncols", "int"]),
    (
        "figure a string",
        "sl.plot_gradients({'plain': [1e-3]}, figure='abc')",
        "TypeError",
        ["figure", "Figure"],
    ),
    (
        "negative total steps",
        "sl.TrainingPlot().update(RUNS['a'], total_steps=-5)",
        "ValueError",
        ["total_steps", "-5"],
    ),
    (
        "spread of 2-D values",
        "sl.plot_spread({'a': [[1.0, 2.0]]}, xlabel='x')",
        "ValueError",
        ["1-D"],
    ),
    (
        "spread of None",
        "sl.plot_spread({'a': None}, xlabel='x')",
        "TypeError",
        ["sequence of numbers"],
    ),
    (
        "one model's means plot",
        "sl.plot_gradients(sl.weight_gradient_means(sl.DeepNetwork([3, 3, 1]), [[1.0, 0.0, -1.0]]))",
        None,
        [],
    ),
    # Words.
    # Nonsense that used to pass.
    ("gain 1e300", "sl.DeepNetwork([3, 3], gain=1e300)", "ValueError", ["gain", "100"]),
    ("noise 1e300", "sl.make_spirals(noise=1e300)", "ValueError", ["noise", "10"]),
    (
        "layernorm over one unit",
        "sl.DeepNetwork([1, 1, 1], norm='layernorm')",
        "ValueError",
        ["norm", "width >= 2"],
    ),
    (
        "final norm over one unit",
        "sl.DeepNetwork([3, 3, 1], final_norm=True)",
        "ValueError",
        ["final_norm", "width >= 2"],
    ),
    ("lr True", "sl.training_explorer(lr=True)", "TypeError", ["lr", "number"]),
    (
        "width off the slider",
        "sl.training_explorer(width=129)",
        "ValueError",
        ["width=129", "slider"],
    ),
    (
        "batch larger than the task",
        "sl.training_explorer(batch_size=1000)",
        "ValueError",
        ["batch_size", "256"],
    ),
    (
        "float limits",
        "sl.gradient_explorer(limits={'depth': (1.5, 10)})",
        "TypeError",
        ["limits['depth']", "ints"],
    ),
    (
        "duplicate controls",
        "sl.gradient_explorer(controls=('depth', 'depth'))",
        "ValueError",
        ["controls", "distinct"],
    ),
    (
        "limits not a dict",
        "sl.gradient_explorer(limits=[('depth', 1, 10)])",
        "TypeError",
        ["limits", "dict"],
    ),
    (
        "limits of one",
        "sl.gradient_explorer(limits={'depth': (1,)})",
        "TypeError",
        ["limits['depth']", "pair"],
    ),
    (
        "training controls unknown",
        "sl.training_explorer(controls=('dept',))",
        "ValueError",
        ["controls", "dept"],
    ),
]

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    import matplotlib
    matplotlib.use("Agg")
    import torch
    import shortcut_lib as sl
    RUNS = {"a": sl.train(depth=2, width=4, steps=2)}
    results = {}
    for case_id, call in json.loads(sys.argv[1]):
        try:
            eval(call)
            results[case_id] = [None, ""]
        except BaseException as exc:  # what escapes, whatever it is, is the finding
            results[case_id] = [type(exc).__name__, str(exc)[:2000]]
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def outcomes():
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    calls = json.dumps([(case_id, call) for case_id, call, _, _ in CASES])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, calls],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("case_id", "call", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(outcomes, case_id, call, error, words):
    got, message = outcomes[case_id]
    assert got == error, f"{call}: expected {error}, got {got}: {message[:300]}"
    for word in words:
        assert word in message, f"{word!r} not in {message[:300]!r}"
    assert len(message) < 1000, "a message echoes at most a short piece of the input"
