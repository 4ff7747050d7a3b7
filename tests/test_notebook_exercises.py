"""The notebooks ask the library's questions and set the library's exercises, as the library holds
them: every question once, in order; every exercise as a heading, a starter, a check and a
collapsed worked solution whose code is the library's own (``tests/test_check.py`` proves that
the solution passes and the starter fails); the committed verdicts are "not yet" under the
starter and "correct (worked solution)" under the solution. The worked solution has a name of its
own, and no cell after a starter defines the learner's name again, so that Run All leaves the
learner's function as the learner wrote it. And each notebook still ends with its Summary,
Exercises and References.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

import shortcut_lib as sl

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
WITH_EXERCISES = {
    "01": "01_vanishing_gradients.ipynb",
    "02": "02_activation_functions.ipynb",
    "03": "03_shortcut_connections.ipynb",
    "04": "04_training_dynamics.ipynb",
    "05": "05_transformer_block.ipynb",
}
CHECK = re.compile(r'^sl\.check_exercise\("(\d\d\.\d)", (\w+)\)$')


def _cells(number: str) -> list:
    notebook = nbformat.read(NOTEBOOKS / WITH_EXERCISES[number], as_version=4)
    nbformat.validate(notebook)  # nbformat 4.5: every cell has a unique id
    return notebook.cells


def _hidden(cell) -> bool:
    return cell.metadata.get("jupyter", {}).get("source_hidden", False)


def _text(cell) -> str:
    """What a code cell's committed output says (its text, or the plain text of its result)."""
    return "".join(
        o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


def _as_written(function, name: str) -> str:
    """The library's copy of a starter or solution, named as the notebook names it."""
    source = textwrap.dedent(inspect.getsource(function)).rstrip("\n")
    return re.sub(r"^def \w+\(", f"def {name}(", source)


@pytest.mark.parametrize("number", sorted(WITH_EXERCISES))
def test_every_question_is_asked_once_in_order(number):
    asked = [
        re.fullmatch(r'sl\.quiz\("([^"]+)"\)', c.source.strip())
        for c in _cells(number)
        if c.cell_type == "code" and c.source.startswith("sl.quiz(")
    ]
    assert all(asked), "a quiz cell holds more than the call"
    assert [m[1] for m in asked] == [q for q in sl.QUESTIONS if q.startswith(number + ".")]


@pytest.mark.parametrize("number", sorted(WITH_EXERCISES))
def test_every_exercise_is_the_librarys_with_its_verdicts(number):
    cells = _cells(number)
    checks = [
        (i, CHECK.match(c.source))
        for i, c in enumerate(cells)
        if c.cell_type == "code" and CHECK.match(c.source)
    ]
    assert [m[1] for _, m in checks] == [e for e in sl.EXERCISES if e.startswith(number + ".")]
    for i, match in checks:
        exercise, name = match[1], match[2]
        entry = sl.EXERCISES[exercise]
        assert name == entry.name.split("(")[0]
        heading, starter, check, solution = cells[i - 2 : i + 2]
        assert heading.cell_type == "markdown"
        assert heading.source.startswith(f"### Exercise {exercise} · ")
        worked = f"{name}_solution"
        assert starter.source == _as_written(entry.starter, name), exercise
        assert solution.source == (
            _as_written(entry.solution, worked) + f'\n\n\nsl.check_exercise("{exercise}", {worked})'
        )
        assert not _hidden(starter) and not _hidden(check) and _hidden(solution), exercise
        assert _text(check).startswith(f"✗ {exercise} not yet: {entry.name} "), _text(check)
        assert _text(solution).startswith(f"✓ {exercise} correct (worked solution): {worked} ")
        later = [c.source for c in cells[i:] if c.cell_type == "code"]
        assert not [c for c in later if re.search(rf"^(def {name}\(|{name} *=)", c, re.M)], exercise


@pytest.mark.parametrize("number", sorted(WITH_EXERCISES))
def test_the_notebook_ends_with_summary_exercises_and_references(number):
    cells = _cells(number)
    headings = [
        line
        for c in cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ") or line.startswith("### More")
    ]
    assert headings[-4:] == [
        "## Summary",
        "## Exercises",
        "### More to explore",
        "## References",
    ]
    summary = next(i for i, c in enumerate(cells) if "## Summary" in c.source.splitlines())
    after = [c for c in cells[summary:] if c.cell_type == "code"]
    assert after and all(CHECK.match(c.source) or c.source.startswith("def ") for c in after)
