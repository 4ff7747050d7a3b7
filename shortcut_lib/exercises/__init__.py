"""Learn by doing: coding exercises with self-checks, and predict-then-check questions.

``sl.check_exercise("02.2", gelu_derivative)`` runs the learner's function on seeded random
inputs and edge cases, compares it with an independent reference and answers in words.
``sl.quiz("02.a")`` (a widget, in :mod:`shortcut_lib.widgets.quiz`) asks a question of
:data:`QUESTIONS` before the cell that shows the answer. This package is computation only: it
imports torch, returns results and strings, and never prints.

Split by notebook, one folder each (``vanishing`` 01, ``activations`` 02, ``shortcuts`` 03,
``training`` 04, ``transformer`` 05): its exercises, one module per exercise or pair, and its
questions. The checker itself is the private modules here. Each exercise keeps its starter and its
worked solution, written as the notebook shows them, so the tests prove that every solution passes
its check and every starter fails it.
"""

from __future__ import annotations

from collections.abc import Callable

from .._checks import check_choice
from . import _kernel, activations, shortcuts, training, transformer, vanishing
from ._core import Exercise, run_check
from ._values import shown
from ._verdicts import CheckResult
from .questions import Band, Choice, Feedback, Question, judge, question_markdown

__all__ = [
    "EXERCISES",
    "QUESTIONS",
    "Band",
    "CheckResult",
    "Choice",
    "Exercise",
    "Feedback",
    "Question",
    "answer_question",
    "check_exercise",
    "get_question",
    "question_markdown",
]

TOPICS = (vanishing, activations, shortcuts, training, transformer)  # notebooks 01 to 05
EXERCISES: dict[str, Exercise] = {e.id: e for topic in TOPICS for e in topic.EXERCISES}
"""Every exercise by id, ``"01.1"`` to ``"05.3"``, in notebook order."""

QUESTIONS: dict[str, Question] = {q.id: q for topic in TOPICS for q in topic.QUESTIONS}
"""Every predict-then-check question by id, ``"01.a"`` to ``"05.c"``, in notebook order."""


def check_exercise(exercise: str, function: Callable) -> CheckResult:
    """Check a function written for an exercise, and say in words whether it is right.

    The function runs on seeded random inputs and edge cases and is compared with an
    independent reference (autograd, a float64 formula, torch's own layer). On the first input
    where it differs, the result says which input, what came back, what was expected, and why
    (when the output matches a known mistake) or a hint. A right value computed by changing a
    tensor or a model the function was given fails too. A notebook shows the result's text;
    ``bool(result)`` is whether it passed.

    Whatever the function does, the result is a verdict: what it raises, prints (shown cut) or
    returns is said in words; code still running after 10 s on one input is stopped, and
    Kernel > Interrupt gives a verdict too. Torch's settings and functions (and Python's) are
    left as they were before the check. The worked solution in a notebook is named
    ``<name>_solution``, and its verdict says "(worked solution)".

    Args:
        exercise: the exercise's id, e.g. ``"02.2"``; see ``sl.EXERCISES``.
        function: the function you wrote, passed without calling it:
            ``check_exercise("02.2", gelu_derivative)``.

    Returns:
        A :class:`CheckResult`.

    Raises:
        TypeError: ``exercise`` is not a string, or ``function`` is not callable.
        ValueError: no exercise has that id.

    Introduced in notebook 01.
    """
    entry = _lookup(exercise, EXERCISES, "exercise")
    if not callable(function):
        raise TypeError(
            f"function must be the function you wrote, passed without calling it: "
            f"check_exercise({exercise!r}, {entry.function_name}); got {shown(function)} of type "
            f"{type(function).__name__}"
        )
    return run_check(entry, function)


def get_question(question: str) -> Question:
    """The question with this id, e.g. ``"02.a"``.

    Raises:
        TypeError, ValueError: for an id that is not a string or names no question.

    Introduced in notebook 01.
    """
    return _lookup(question, QUESTIONS, "question")


def answer_question(question: str, response: object) -> Feedback:
    """Judge an answer to a question, as the quiz widget does.

    Args:
        question: the question's id, e.g. ``"01.b"``.
        response: a choice's index (0 for (a)) or letter (``"a"``), or for a numeric question a
            number or its text.

    Returns:
        A :class:`Feedback`: whether it is right, and why.

    Introduced in notebook 01.
    """
    return judge(get_question(question), response)


def _lookup(key: object, table: dict, what: str):
    return table[check_choice(what, key, list(table))]


# Last, once every exercise module is loaded: the checker keeps torch's and the library's
# functions and the exercises as they are now, and puts them back around the learner's code.
_kernel.remember_originals(EXERCISES)
