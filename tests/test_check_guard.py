"""A check is the learner's verdict whatever the learner's code does, and leaves the kernel as it
found it.

Hostile functions, written here: they change torch's process-wide settings, replace torch's
functions, return objects that cannot be printed or measured, raise what is not an Exception,
print without end, loop for ever or get interrupted. Every one must end as a verdict in words
(never a traceback from inside the checker), leave no setting changed, and leave the checker
able to judge the next function rightly.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

import shortcut_lib as sl
from shortcut_lib.exercises import EXERCISES, check_exercise
from shortcut_lib.exercises._core import run_check
from shortcut_lib.exercises._kernel import Settings
from shortcut_lib.exercises._values import fmt_pair

SOLUTION = {k: e.solution for k, e in EXERCISES.items()}
ISCLOSE = torch.isclose
KEPT: list = []  # what a hostile function keeps alive after it returns


def _ratio(before, after):
    return ((after - before).norm() / before.norm()).item()


def _then(action):
    """An update_ratio (04.1) that computes the right value, then does ``action()``."""

    def update_ratio(before, after):
        value = _ratio(before, after)
        action()
        return value

    return update_ratio


# --- process-wide settings -----------------------------------------------------------------------


def _keep(context):
    context.__enter__()
    KEPT.append(context)


class _Passing(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


SETTERS = {
    "default dtype": lambda: torch.set_default_dtype(torch.float64),
    "threads": lambda: torch.set_num_threads(torch.get_num_threads() + 1),
    "flush-denormal": lambda: torch.set_flush_denormal(True),
    "deterministic algorithms": lambda: torch.use_deterministic_algorithms(True, warn_only=True),
    "anomaly mode": lambda: torch.set_anomaly_enabled(True, True),
    "grad mode": lambda: torch.set_grad_enabled(False),
    "inference mode, kept": lambda: _keep(torch.inference_mode()),
    "print options": lambda: torch.set_printoptions(precision=1, sci_mode=True),
    "default device": lambda: torch.set_default_device("meta"),
    "matmul precision": lambda: torch.set_float32_matmul_precision("medium"),
    "a torch function mode": lambda: _keep(_Passing()),
    "a dispatch mode": lambda: _keep(TorchDispatchMode()),
    "saved-tensor hooks": lambda: _keep(torch.autograd.graph.saved_tensors_hooks(abs, abs)),
    "recursion limit": lambda: sys.setrecursionlimit(sys.getrecursionlimit() + 7),
}


@pytest.mark.parametrize("setting", list(SETTERS))
def test_a_setting_changed_by_the_learners_code_is_put_back(setting):
    before = Settings.read()
    try:
        result = check_exercise("04.1", _then(SETTERS[setting]))
        assert Settings.read() == before
    finally:
        KEPT.clear()
    assert result.passed, result.message  # the value was right: the change is not a mistake
    assert check_exercise("02.1", SOLUTION["02.1"]).passed  # the next check is not affected


def test_pythons_own_functions_streams_and_handlers_are_put_back():
    import builtins
    import gc

    kept = (builtins.isinstance, builtins.len, builtins.abs, sys.excepthook, sys.displayhook)
    interrupt = signal.getsignal(signal.SIGINT)

    def update_ratio(before, after):
        builtins.isinstance = lambda *args: True
        builtins.len = lambda value: 3
        del builtins.abs
        sys.excepthook = sys.displayhook = None
        gc.disable()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Kernel > Interrupt would do nothing
        return 0.5

    result = check_exercise("04.1", update_ratio)
    assert not result.passed and "expected 0.00945" in result.message
    assert (builtins.isinstance, builtins.len, builtins.abs) == kept[:3]
    assert (sys.excepthook, sys.displayhook) == kept[3:]
    assert gc.isenabled() and signal.getsignal(signal.SIGINT) is interrupt


def test_the_learners_random_draws_leave_every_generator_as_it_was():
    legacy = np.random.get_state()[1].copy()  # noqa: NPY002 - the global state is the point
    states = torch.get_rng_state(), random.getstate(), legacy

    def update_ratio(before, after):
        torch.manual_seed(99), random.seed(99), np.random.seed(99)  # noqa: NPY002
        return _ratio(before, after) + 0 * torch.rand(1).item() * random.random()

    assert check_exercise("04.1", update_ratio)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert random.getstate() == states[1]
    assert (np.random.get_state()[1] == states[2]).all()  # noqa: NPY002


def test_settings_the_caller_chose_are_kept_and_do_not_reach_the_references():
    torch.set_default_dtype(torch.float64)
    torch.set_printoptions(precision=2)
    try:
        with torch.no_grad():
            for exercise in ("02.1", "03.4", "04.3", "05.3"):
                result = check_exercise(exercise, SOLUTION[exercise])
                assert result.passed, result.message
            assert not torch.is_grad_enabled()
        assert torch.get_default_dtype() == torch.float64
        assert torch._tensor_str.PRINT_OPTS.precision == 2
    finally:
        torch.set_default_dtype(torch.float32)
        torch.set_printoptions(profile="default")


def test_grad_turned_off_by_the_learner_does_not_break_the_next_reference():
    # Before: the next reference raised autograd's RuntimeError out of check_exercise.
    def sigmoid_derivative(x):
        torch.set_grad_enabled(False)
        return torch.sigmoid(x)

    result = check_exercise("02.1", sigmoid_derivative)
    assert not result.passed and "sigma(x) itself" in result.message
    assert torch.is_grad_enabled()


# --- torch's functions, replaced ------------------------------------------------------------------


def _patch(place, name, value):
    def patch():
        setattr(place, name, value)

    return patch


def _always_true(*args, **kwargs):
    return True


PATCHES = [
    ("02.1", torch, "isclose", lambda *a, **k: torch.ones((), dtype=torch.bool)),
    ("02.1", torch, "sigmoid", lambda x: 0.5 + 0 * x),
    ("01.1", torch, "allclose", _always_true),
    ("04.1", math, "isclose", _always_true),
    ("04.1", torch.Tensor, "norm", lambda self, *a, **k: torch.tensor(1.0)),
    ("02.2", F, "gelu", lambda x, approximate="none": x),
    ("03.1", nn.Linear, "forward", lambda self, x: x),
    ("01.3", torch.autograd, "grad", lambda out, inputs, **k: [0 * i for i in inputs]),
    ("03.1", sl.DeepNetwork, "hidden_states", lambda self, x: [x]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exercise", "place", "name", "fake"),
    [pytest.param(*p, id=f"{p[0]} {getattr(p[1], '__name__', p[1])}.{p[2]}") for p in PATCHES],
)
def test_a_function_the_learner_replaces_is_the_original_again(exercise, place, name, fake):
    original = vars(place).get(name)
    patch = _patch(place, name, fake)

    def wrong(*args):
        patch()  # then return what the starter returns: wrong
        return EXERCISES[exercise].starter(*args)

    result = check_exercise(exercise, wrong)
    assert vars(place).get(name) is original
    assert not result.passed, result.message
    assert check_exercise(exercise, SOLUTION[exercise]).passed


def test_a_function_replaced_before_the_check_is_the_learners_again_after_it(monkeypatch):
    monkeypatch.setattr(torch, "isclose", lambda *a, **k: torch.ones((), dtype=torch.bool))
    monkeypatch.setattr(torch, "allclose", _always_true)
    fake = torch.isclose
    assert not check_exercise("02.1", torch.sigmoid)  # judged with the real isclose
    assert not check_exercise("01.1", lambda a, b: nn.Sequential(nn.Linear(a, b)))
    assert check_exercise("02.1", SOLUTION["02.1"])
    assert torch.isclose is fake


def test_the_exercises_themselves_cannot_be_changed_by_the_learners_code():
    registered, compare = dict(EXERCISES), EXERCISES["02.1"].compare

    def sigmoid_derivative(x):
        object.__setattr__(EXERCISES["02.1"], "compare", lambda got, expected, args: None)
        EXERCISES["02.2"] = EXERCISES["02.1"]
        EXERCISES["99.9"] = EXERCISES["02.1"]
        return x

    assert not check_exercise("02.1", sigmoid_derivative)
    assert dict(EXERCISES) == registered and EXERCISES["02.1"].compare is compare
    assert not check_exercise("02.1", lambda x: x)


def test_a_tensor_type_that_lies_about_its_values_is_not_read():
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func in (torch.isclose, torch.Tensor.__eq__):
                return torch.ones((), dtype=torch.bool)
            return super().__torch_function__(func, types, args, kwargs)

    result = check_exercise("02.1", lambda x: torch.sigmoid(x).as_subclass(Liar))
    assert not result.passed and "subclass of torch.Tensor" in result.message


# --- every outcome is a verdict -------------------------------------------------------------------


class _BadRepr:
    def __repr__(self):
        raise ValueError("no repr")


class _BadMessage(Exception):
    def __str__(self):
        raise ValueError("no message")


class _BadLength(list):
    def __len__(self):
        raise ValueError("no length")


class _Pretender:
    __class__ = torch.Tensor  # isinstance(x, torch.Tensor) is True; it is not one
    shape = (10, 100)


def _raise(exc):
    def function(*args):
        raise exc

    return function


def _float64_layer(n_in, n_out):
    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(n_in, n_out)

        def forward(self, x):
            return sl.GELU()(self.linear(x)).double()

    return Layer()


OUTCOMES = [
    ("04.1", "a repr that raises", lambda b, a: _BadRepr(), ["_BadRepr", "whose repr raised"]),
    ("04.1", "a message that raises", _raise(_BadMessage()), ["_BadMessage", "could not be read"]),
    ("01.3", "a len that raises", lambda m, x: _BadLength([0.1] * 5), ["ValueError: no length"]),
    ("02.1", "a meta tensor", lambda x: torch.empty_like(x, device="meta"), ["meta device"]),
    ("02.2", "a complex tensor, right real part",
     lambda x: torch.complex(SOLUTION["02.2"](x), torch.ones_like(x)), ["complex"]),
    ("02.1", "float16", lambda x: SOLUTION["02.1"](x).half(), ["float16", "3 significant"]),
    ("03.2", "bfloat16", lambda h: torch.tensor(0.5, dtype=torch.bfloat16), ["bfloat16"]),
    ("02.1", "an int tensor", lambda x: (x > 0).long(), ["int64"]),
    ("02.1", "a sparse tensor", lambda x: SOLUTION["02.1"](x).to_sparse(), ["layout"]),
    ("02.1", "a pretender", lambda x: _Pretender(), ["_Pretender", "expected a torch.Tensor"]),
    ("02.1", "a NumPy array", lambda x: SOLUTION["02.1"](x).numpy(), ["ndarray"]),
    ("01.2", "a dict with other keys", lambda seed: {0: 1.0, (1,): 2.0}, ["string keys"]),
    ("02.1", "SystemExit", lambda x: sys.exit(3), ["SystemExit"]),
    ("02.1", "GeneratorExit", _raise(GeneratorExit()), ["GeneratorExit"]),
    ("02.1", "KeyboardInterrupt", _raise(KeyboardInterrupt()), ["interrupted", "Kernel >"]),
    ("04.1", "a message of a million lines", _raise(ValueError("x\n" * 10**6)), ["ValueError: x"]),
    ("04.1", "a list of ten million", lambda b, a: [0.0] * 10**7, ["10,000,000 items"]),
    ("04.1", "an int of 5,000 digits", lambda b, a: 10**5000, ["5,000 digits"]),
    ("01.1", "a layer that raises", lambda a, b: nn.Sequential(nn.Linear(a, b), nn.Softmax(dim=7)),
     ["raised IndexError"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exercise", "function", "words"), [pytest.param(e, f, w, id=n) for e, n, f, w in OUTCOMES]
)
def test_every_outcome_is_a_verdict_in_words(exercise, function, words):
    before = Settings.read()
    result = check_exercise(exercise, function)
    assert not result.passed
    assert result.message.startswith(f"✗ {exercise} not yet: ")
    for word in words:
        assert word in result.message, result.message
    assert max(len(line) for line in result.message.splitlines()) <= 100
    assert Settings.read() == before


def test_a_layer_returning_float64_is_compared_not_refused():
    # Before: torch.allclose raised "Double did not match Float" out of the check.
    result = check_exercise("01.1", _float64_layer)
    assert result.passed, result.message


def test_a_huge_result_is_judged_by_its_size_before_any_repr():
    huge = "a" * 50_000_000
    tracemalloc.start()
    try:
        result = check_exercise("04.1", lambda b, a: huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "a str of 50,000,000 characters" in result.message
    assert peak < 5_000_000, f"judging a 50 MB string allocated {peak:,} bytes"


def test_numbers_that_differ_are_printed_with_the_digits_that_show_it():
    assert fmt_pair(1.0, 1.0000119) == ("1", "1.000012")
    assert fmt_pair(0.011012, 0.011015) == ("0.011012", "0.011015")
    result = check_exercise(
        "02.1", lambda x: torch.sigmoid(x).half().float() * (1 - torch.sigmoid(x))
    )
    got, expected = result.message.split("it returned ")[1].split("; expected ")
    assert got.strip() != expected.split(".\n")[0].strip(".").strip()


def test_prints_are_captured_and_shown_cut():
    def update_ratio(before, after):
        for i in range(10_000):
            print("step", i)
        return _ratio(before, after)

    result = check_exercise("04.1", update_ratio)
    assert result.passed
    assert "Printed by your code (40,000 lines; the first 5):" in result.message
    assert len(result.message.splitlines()) <= 10


# --- time --------------------------------------------------------------------------------------


def _forever(*args):
    while True:
        pass


def _stubborn(*args):
    for _ in range(3):  # catches the first stops; the next one still comes
        try:
            while True:
                pass
        except BaseException:
            pass
    while True:
        pass


@pytest.mark.parametrize("function", [_forever, _stubborn])
def test_code_that_never_returns_is_stopped_with_a_verdict(function):
    result = run_check(EXERCISES["02.1"], function, time_limit=0.3)
    assert not result.passed
    assert "still running after 0.3 s" in result.message
    assert "Kernel > Interrupt" in result.message
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_time_limit_holds_even_after_the_learner_replaced_its_alarm():
    calls = []

    def sigmoid_derivative(x):  # right on the first input, then never returns
        calls.append(x)
        if len(calls) == 1:
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            return SOLUTION["02.1"](x)
        return _forever()

    result = run_check(EXERCISES["02.1"], sigmoid_derivative, time_limit=0.3)
    assert "still running after 0.3 s" in result.message


@pytest.fixture
def kernel_sigint():
    """SIGINT raising KeyboardInterrupt, as in a Jupyter kernel. A process started in the
    background by a non-interactive shell inherits SIGINT ignored, and Python then installs no
    handler: Kernel > Interrupt would do nothing there."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _interrupt_after(seconds: float) -> threading.Thread:
    """Kernel > Interrupt (SIGINT) ``seconds`` after this returns."""
    started = threading.Event()

    def interrupt():
        started.wait()
        time.sleep(seconds)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    started.set()
    return thread


def test_kernel_interrupt_stops_the_learners_code_with_a_verdict(kernel_sigint):
    before = Settings.read()
    thread = _interrupt_after(0.2)
    result = check_exercise("02.1", _forever)
    thread.join()
    assert not result.passed
    assert "interrupted (Kernel > Interrupt)" in result.message
    assert Settings.read() == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_while_the_check_opens_waits_and_then_gives_a_verdict(
    monkeypatch, kernel_sigint
):
    # Kernel > Interrupt while the guard reads the kernel's state: not lost (the learner's
    # endless loop would then run to the time limit), but delivered once the state is read.
    before, read = Settings.read(), Settings.read

    def read_interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the signal lands here, in the window
        return read(*args, **kwargs)

    monkeypatch.setattr(Settings, "read", read_interrupted)
    started = time.perf_counter()
    result = check_exercise("02.1", _forever)
    monkeypatch.setattr(Settings, "read", read)
    assert time.perf_counter() - started < 5  # not the 10 s time limit
    assert not result.passed and "interrupted (Kernel > Interrupt)" in result.message
    assert Settings.read() == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_anywhere_in_a_check_gives_a_verdict_and_leaves_no_setting_changed(
    kernel_sigint,
):
    before, verdicts = Settings.read(), []
    for delay in (0.005, 0.008, 0.011, 0.014, 0.017, 0.02, 0.03, 0.045):
        returned = False
        try:
            thread = _interrupt_after(delay)
            verdicts.append(check_exercise("04.3", SOLUTION["04.3"]).passed)
            returned = True
            thread.join()
        except KeyboardInterrupt:  # after the check had returned, it is not the check's
            assert returned, "an interrupt escaped from the check"
            thread.join()
        assert Settings.read() == before
        assert torch.isclose is ISCLOSE
    assert False in verdicts  # some interrupts came during the check, and were verdicts


# --- bad arguments to the checker itself ----------------------------------------------------------


def test_a_bad_argument_to_the_checker_still_raises_a_clear_error():
    with pytest.raises(TypeError, match="_BadRepr"):
        check_exercise("02.1", _BadRepr())
    with pytest.raises(ValueError, match="must be one of"):
        check_exercise("x" * 10**6, abs)
    with pytest.raises(TypeError, match="exercise must be one of '01.1'.*_BadRepr"):
        check_exercise(_BadRepr(), abs)
