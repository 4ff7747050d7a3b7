"""How an exercise is checked: the learner's function on seeded inputs and edge cases against an
independent reference (autograd, a float64 formula, torch's own layer), and what differs said in
plain words, a known mistake named. A right value computed by changing what it was given fails
too. Nothing prints: a check returns a :class:`CheckResult`. The learner's code runs guarded
(:mod:`._guard`): whatever it does ends as a verdict, and the kernel is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._guard import TIME_LIMIT, Guard, TimeLimit, learners
from ._inputs import ADVICE, changed, keep
from ._values import Failure, describe
from ._verdicts import CheckResult, broken, failed, raised_words, stopped_outside, verdict


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
        arguments: the names of a case's arguments, for messages (by default the parameters
            in ``name``).
        changes: the indices of the arguments the function is asked to change; every other
            tensor and model it is given must be left as it was.

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
    arguments: tuple[str, ...] = ()
    changes: tuple[int, ...] = ()

    @property
    def function_name(self) -> str:
        """The learner's function's name, e.g. ``"gelu_derivative"``."""
        return self.name.split("(")[0]

    @property
    def argument_names(self) -> tuple[str, ...]:
        """The names of a case's arguments, for messages."""
        inside = self.name.partition("(")[2].rstrip(")")
        return self.arguments or tuple(a.split("=")[0].strip() for a in inside.split(","))


def run_check(
    exercise: Exercise, function: Callable, *, time_limit: float = TIME_LIMIT
) -> CheckResult:
    """Run ``function`` on every case of ``exercise``; stop at the first that fails. Whatever
    the learner's code does (raise, print, loop, change torch's settings or functions), the
    result is a verdict, and the kernel is left as it was."""
    guard = Guard(time_limit)
    try:
        guard.open()
        problem = _first_problem(exercise, function, guard)
    except (KeyboardInterrupt, TimeLimit) as stop:  # Kernel > Interrupt, outside the learner's code
        problem = stopped_outside(exercise, stop)
    except Exception as exc:  # noqa: BLE001 - a verdict even if the check itself breaks
        problem = broken(exercise, exc)
    finally:
        guard.close()
    return verdict(exercise, function, problem, guard.printed.summary())


def _first_problem(exercise: Exercise, function: Callable, guard: Guard) -> str | None:
    for case in exercise.cases():
        args = case.make()
        expected = exercise.run(exercise.reference, args)
        problem = _attempt(exercise, function, case, expected, args, guard)
        if problem is not None:
            return problem
    return None


def _attempt(
    exercise: Exercise, function: Callable, case: Case, expected: object, args: tuple, guard: Guard
) -> str | None:
    given = case.make()
    kept = keep(given, exercise.argument_names, exercise.changes)
    outcome = guard.call(lambda: exercise.run(lambda *a: learners(function, *a), given))
    if outcome.raised is not None:
        return failed(exercise, case, *raised_words(outcome.raised, function, guard, exercise))
    problem = _compare(exercise.compare, outcome.value, expected, args)
    if problem is not None:
        why = _diagnose(exercise, outcome.value, case, args)
        return failed(exercise, case, problem, why or f"Hint: {exercise.hint}")
    moved = guard.call(lambda: changed(kept))
    if moved.raised is not None or moved.value is not None:
        words = moved.value or "it changed what it was given (reading it again raised an error)"
        return failed(exercise, case, f"the value is right, but {words}", ADVICE)
    return None


def _compare(compare: Callable, got: object, expected: object, args: tuple) -> str | None:
    try:
        return compare(got, expected, args)
    except Failure as failure:
        return str(failure)
    except Exception as exc:  # noqa: BLE001 - plain data the comparison did not foresee
        return f"the check could not read what it returned, {describe(got)} ({type(exc).__name__})"


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
