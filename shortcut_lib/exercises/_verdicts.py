"""An exercise's verdict in words: "correct" and what was tested, or the input that failed, the
problem and a hint, wrapped to a notebook's width; and what to say when the learner's code
raised, ran too long or was interrupted, or the check itself could not run."""

from __future__ import annotations

import textwrap
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._guard import Guard, TimeLimit
from ._values import Failure

if TYPE_CHECKING:
    from ._core import Case, Exercise

WIDTH = 100  # the width a message is wrapped to: a notebook output, read without scrolling


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


def failed(exercise: Exercise, case: Case, problem: str, advice: str) -> str:
    lines = [
        f"✗ {exercise.id} not yet: {exercise.name} {exercise.task}",
        f"Input: {case.describe}.",
        f"Problem: {problem if problem.endswith(('.', '?')) else problem + '.'}",
        advice,
    ]
    return "\n".join(_wrap(line) for line in lines)


def _wrap(text: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def verdict(
    exercise: Exercise, function: Callable, problem: str | None, printed: str | None
) -> CheckResult:
    message = problem
    if problem is None:
        label, subject = _subject(exercise, function)
        words = (
            f"✓ {exercise.id} correct{label}: {subject} matches the reference {exercise.tested}."
        )
        message = _wrap(words)
    if printed is not None:
        message += "\n" + printed
    return CheckResult(exercise.id, problem is None, message)


def _subject(exercise: Exercise, function: Callable) -> tuple[str, str]:
    """Whose verdict it is: the worked solution is named ``<name>_solution`` in the notebook,
    so that its cell never replaces the learner's function."""
    name = function.__name__ if type(function) is types.FunctionType else None
    if name == exercise.function_name + "_solution":
        return " (worked solution)", name
    return "", exercise.name


# --- when the learner's code raised, or was stopped -----------------------------------------------


def raised_words(
    raised: BaseException, function: Callable, guard: Guard, exercise: Exercise
) -> tuple[str, str]:
    """(problem, advice) for what the learner's code raised; reading its message is guarded."""
    if isinstance(raised, TimeLimit):
        return (
            f"it was still running after {guard.time_limit:g} s on this input (the worked "
            "solution takes a fraction of a second), so the check stopped it. Is there a loop "
            "that never ends?",
            "Hint: if a cell ever runs on and on, Kernel > Interrupt (the ■ button) stops it.",
        )
    if isinstance(raised, KeyboardInterrupt):
        return (
            "it was interrupted (Kernel > Interrupt) while it ran on this input",
            "Hint: run the check again when your function is ready.",
        )
    hint = f"Hint: {exercise.hint}"
    if isinstance(raised, Failure):
        said = guard.call(lambda: str(raised)[:500])
        return (said.value if type(said.value) is str else "it returned something unreadable"), hint
    words = guard.call(lambda: _raised(raised, function))
    if type(words.value) is str:
        return words.value, hint
    return f"it raised {type(raised).__name__} (whose message could not be read)", hint


def _raised(exc: BaseException, function: Callable) -> str:
    if isinstance(exc, NotImplementedError):
        return "it raised NotImplementedError: the body is not written yet."
    if isinstance(exc, SystemExit):
        return "it raised SystemExit (sys.exit() or exit() ends a script; a function returns)"
    message = str(exc)
    text = message.strip().splitlines()[0] if message.strip() else "(no message)"
    words = f"it raised {type(exc).__name__}: {text[:160]}"
    # Point at the learner's own line, not at torch's internals.
    code = function.__code__ if type(function) is types.FunctionType else None
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    if mine and mine[-1].line:
        words += f" (in the line `{mine[-1].line.strip()[:100]}`)"
    return words


def stopped_outside(exercise: Exercise, stop: BaseException) -> str:
    what = (
        "took too long" if isinstance(stop, TimeLimit) else "was interrupted (Kernel > Interrupt)"
    )
    return "\n".join(
        _wrap(line)
        for line in (
            f"✗ {exercise.id} not yet: the check {what} before it finished, so nothing was judged.",
            "Hint: run the check again.",
        )
    )


def broken(exercise: Exercise, exc: Exception) -> str:
    return "\n".join(
        _wrap(line)
        for line in (
            f"✗ {exercise.id} not yet: the check could not run ({type(exc).__name__} in the "
            "checker), so nothing was judged. Something earlier in the notebook may have changed "
            "torch in a way the check cannot undo.",
            "Hint: Kernel > Restart Kernel and Run All Cells, then run the check again.",
        )
    )
