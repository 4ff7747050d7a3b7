"""How an exercise is checked.

The learner's function runs on seeded random inputs and edge cases; its output is compared with an
independent reference (autograd, a float64 formula, torch's own layer), and what differs is said in
plain words: which input, what came back, what was expected, and, when the output matches a known
mistake, why that mistake is one. Nothing here prints: a check returns a :class:`CheckResult`,
which a notebook shows as its text.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .._checks import short_repr

WIDTH = 100  # the width a message is wrapped to: a notebook output, read without scrolling


class Failure(Exception):
    """Raised inside a check to say, in words, what is wrong with what the learner's code did."""


@dataclass(frozen=True)
class Case:
    """One input to check with: ``make()`` builds fresh arguments each time (the learner's code
    may change a model or a tensor it is given), ``describe`` says in words what they are."""

    describe: str
    make: Callable[[], tuple]


@dataclass(frozen=True)
class Mistake:
    """A known wrong version of the function, and why it is wrong. When the learner's output
    matches it, the check says so instead of a general hint."""

    function: Callable
    why: str


def call(function: Callable, args: tuple) -> object:
    """How most exercises run a function: call it once with the case's arguments."""
    return function(*args)


@dataclass(frozen=True)
class Exercise:
    """One coding exercise: what to write, how to check it, the starter and a worked solution.

    Attributes:
        id: ``"NN.k"``, notebook NN's k-th exercise.
        name: the function the learner writes, e.g. ``"gelu_derivative"``.
        task: one sentence: what the function must compute.
        cases: makes the inputs to check with, random ones first, then edge cases.
        reference: computes the expected output independently of any solution.
        compare: ``(got, expected, args)`` -> ``None`` when they agree, else what differs.
        hint: what to try when the output matches no known mistake.
        tested: what a pass means, completing "it matches ... on ...".
        starter: the code the notebook starts from; it must fail the check.
        solution: the worked solution the notebook hides; it must pass.
        mistakes: known wrong versions, with why each is wrong.
        run: how a function is exercised on a case (``call`` by default; some call it twice,
            train with it, or measure what it did to a model).

    Introduced in notebook 01.
    """

    id: str
    name: str
    task: str
    cases: Callable[[], list[Case]]
    reference: Callable
    compare: Callable[[object, object, tuple], str | None]
    hint: str
    tested: str
    starter: Callable
    solution: Callable
    mistakes: tuple[Mistake, ...] = ()
    run: Callable[[Callable, tuple], object] = call


@dataclass(frozen=True)
class CheckResult:
    """The verdict of :func:`~shortcut_lib.check_exercise`, in words.

    ``bool(result)`` is ``passed``; a notebook shows ``message``.

    Attributes:
        exercise: the exercise's id, e.g. ``"02.2"``.
        passed: whether the function matched the reference on every input.
        message: "correct" and what was tested, or the input that failed, what came back, what
            was expected, and why or a hint.

    Introduced in notebook 01.
    """

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        # IPython shows the words, not the dataclass.
        printer.text(self.message)


def run_check(exercise: Exercise, function: Callable) -> CheckResult:
    """Run ``function`` on every case of ``exercise``; stop at the first that fails."""
    with _isolated():
        for case in exercise.cases():
            args = case.make()
            expected = exercise.run(exercise.reference, args)
            problem = _attempt(exercise, function, case, expected, args)
            if problem is not None:
                return CheckResult(exercise.id, False, problem)
    words = f"✓ {exercise.id} correct: {exercise.name} matches the reference {exercise.tested}."
    return CheckResult(exercise.id, True, _wrap(words))


def _attempt(
    exercise: Exercise, function: Callable, case: Case, expected: object, args: tuple
) -> str | None:
    try:
        got = exercise.run(function, case.make())
    except Failure as failure:
        return _failed(exercise, case, str(failure), f"Hint: {exercise.hint}")
    except Exception as exc:  # the learner's code failed: say how, and where in their code
        return _failed(exercise, case, _raised(exc, function), f"Hint: {exercise.hint}")
    problem = _compare(exercise.compare, got, expected, args)
    if problem is None:
        return None
    why = _diagnose(exercise, got, case, args)
    return _failed(exercise, case, problem, why or f"Hint: {exercise.hint}")


def _compare(compare: Callable, got: object, expected: object, args: tuple) -> str | None:
    try:
        return compare(got, expected, args)
    except Failure as failure:
        return str(failure)


def _diagnose(exercise: Exercise, got: object, case: Case, args: tuple) -> str | None:
    """The explanation of the known mistake whose output ``got`` matches, if any."""
    for mistake in exercise.mistakes:
        try:
            wrong = exercise.run(mistake.function, case.make())
            if _compare(exercise.compare, got, wrong, args) is None:
                return f"Why: {mistake.why}"
        except Exception:  # a mistake that cannot even run on this input is not the one made
            continue
    return None


def _failed(exercise: Exercise, case: Case, problem: str, advice: str) -> str:
    lines = [
        f"✗ {exercise.id} not yet: {exercise.name} {exercise.task}",
        f"Input: {case.describe}.",
        f"Problem: {problem if problem.endswith(('.', '?')) else problem + '.'}",
        advice,
    ]
    return "\n".join(_wrap(line) for line in lines)


def _wrap(text: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def _raised(exc: Exception, function: Callable) -> str:
    if isinstance(exc, NotImplementedError):
        return "it raised NotImplementedError: the body is not written yet."
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
    words = f"it raised {type(exc).__name__}: {text[:160]}"
    # Point at the learner's own line, not at torch's internals.
    code = getattr(function, "__code__", None)
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    if mine and mine[-1].line:
        words += f" (in the line `{mine[-1].line.strip()}`)"
    return words


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    # The learner's code may draw random numbers, seed the generator or run under no_grad: inside
    # a check it draws the same numbers every time, and the caller's state is left as it was.
    with torch.random.fork_rng(devices=[]), torch.inference_mode(False), torch.enable_grad():
        torch.manual_seed(0)
        yield


# --- what came back, in words ---------------------------------------------------------------------


def describe(value: object) -> str:
    """What a function returned, in words: ``None``, the starter's ``...``, a tensor's shape."""
    if value is None:
        return "None (is a `return` missing?)"
    if value is Ellipsis:
        return "... (the starter's placeholder: replace it with your code)"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"{short_repr(value, 50)} of type {type(value).__name__}"


def sizes_text(sizes: list[int]) -> str:
    """Layer sizes as a reader would type them: ``[16] * 31`` rather than 31 sixteens."""
    if len(sizes) > 4 and len(set(sizes)) == 1:
        return f"[{sizes[0]}] * {len(sizes)}"
    return str(sizes)


def fmt(value: float) -> str:
    """A number to 3 significant digits: what the learner needs to compare, and no more digits
    than every CPU agrees on."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.3g}"


def as_tensor(value: object, shape: tuple[int, ...], what: str = "it returned") -> torch.Tensor:
    """``value`` as a float64 tensor of ``shape``, or a :class:`Failure` saying what it is."""
    if not isinstance(value, torch.Tensor):
        hint = " (torch.tensor(...) makes one from a list)" if isinstance(value, list) else ""
        raise Failure(f"{what} {describe(value)}; expected a torch.Tensor of shape {shape}{hint}")
    if tuple(value.shape) != tuple(shape):
        raise Failure(f"{what} a tensor of shape {tuple(value.shape)}; expected shape {shape}")
    return value.detach().to(torch.float64)


def as_number(value: object, what: str = "it returned") -> float:
    """``value`` as a float: a Python number or a one-element tensor."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().double().item())
    raise Failure(f"{what} {describe(value)}; expected one number (a float)")


def as_numbers(value: object, count: int, what: str = "it returned") -> list[float]:
    """``value`` as ``count`` floats: a list, a tuple or a 1-D tensor of numbers."""
    if isinstance(value, torch.Tensor) and value.ndim == 1:
        value = value.detach().double().tolist()
    if not isinstance(value, (list, tuple)):
        raise Failure(f"{what} {describe(value)}; expected a list of {count} numbers")
    if len(value) != count:
        many = "number" if len(value) == 1 else "numbers"
        raise Failure(f"{what} {len(value)} {many}; expected {count}, one per layer")
    return [as_number(v, f"{what} a list holding") for v in value]


def compare_tensors(
    got: object,
    expected: torch.Tensor,
    where: Callable[[tuple[int, ...]], str] | None = None,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    what: str = "it returned",
) -> str | None:
    """``None`` when ``got`` matches ``expected`` entry by entry, else the worst entry in words:
    where it is (``where(index)``), what came back and what was expected."""
    g = as_tensor(got, tuple(expected.shape), what)
    e = expected.detach().to(torch.float64)
    bad = ~torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    # The worst entry, NaN and inf first: the one that says most about what went wrong.
    error = ((g - e).abs() / (atol + rtol * e.abs())).nan_to_num(nan=math.inf)
    error[~bad] = -1.0
    index = _unravel(int(error.argmax()), tuple(error.shape))
    place = where(index) if where is not None else f"at index {list(index)}"
    return f"{place}, it returned {fmt(g[index].item())}; expected {fmt(e[index].item())}."


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of entry ``flat`` of a tensor of ``shape``, in row-major order. (Not
    ``torch.unravel_index``: its first call imports sympy, a second or more in a notebook.)"""
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


def compare_numbers(
    got: list[float], expected: list[float], labels: list[str], *, rtol: float = 1e-4
) -> str | None:
    """``None`` when two lists of numbers agree to ``rtol``, else the first that differs."""
    for label, g, e in zip(labels, got, expected, strict=True):
        if not math.isclose(g, e, rel_tol=rtol, abs_tol=1e-12):
            return f"for {label} it returned {fmt(g)}; expected {fmt(e)}."
    return None
