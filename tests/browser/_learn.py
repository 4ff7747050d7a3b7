"""What a learner does with the predict-then-check questions and the exercises, in the page.

The expected words come from the library itself (``answer_question``, ``sl.EXERCISES``): the
page must show what the kernel judged, not a copy of it kept here. Each function returns a line
for the summary or fails with what it saw.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import shortcut_lib as sl
from shortcut_lib.exercises import answer_question

if TYPE_CHECKING:
    from playwright.sync_api import Locator

    from ._page import Notebook

MARKS = {True: "✓", False: "✗"}

# Each quiz cell's output in the notebook model, and what the page shows for it (unrun).
QUIZ_OUTPUTS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets
    .filter(c => c.model.type === 'code' && /^sl\\.quiz\\(/.test(c.model.sharedModel.getSource()))
    .map(c => {
      const area = c.node.querySelector('.jp-Cell-outputArea');
      return {
        source: c.model.sharedModel.getSource(),
        text: area ? area.innerText : '',
        widgets: area ? area.querySelectorAll('.sl-quiz').length : 0,
      };
    });
}
"""


def _plain(text: str) -> str:
    """What the page shows of a Markdown-ish line: code spans as their text, spaces collapsed."""
    return " ".join(re.sub(r"`([^`]+)`", r"\1", text).split())


def assert_quizzes_readable_before_running(nb: Notebook, path: Path) -> str:
    """Opened, not run: every quiz is its question and options as text, never the answer."""
    calls = [
        "".join(c["source"])
        for c in json.loads(path.read_text())["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).startswith("sl.quiz(")
    ]
    shown = nb.page.evaluate(QUIZ_OUTPUTS_JS)
    assert [s["source"] for s in shown] == calls, f"{nb.name}: quiz cells {shown}"
    for s in shown:
        question = sl.QUESTIONS[re.search(r'"([^"]+)"', s["source"])[1]]
        text = " ".join(s["text"].split())
        assert s["widgets"] == 0, f"{nb.name} {question.id}: a quiz widget before running"
        assert f"Predict ({question.id})" in text, f"{nb.name} {question.id}: shows {text!r}"
        if question.numeric:
            assert "Answer with a number" in text, f"{nb.name} {question.id}: shows {text!r}"
        else:
            for i in range(len(question.choices)):
                assert _plain(question.label(i)) in text, f"{question.id}: no option {i}: {text!r}"
        reasons = [c.why for c in question.choices] + (
            [question.answer.why] if question.numeric else []
        )
        leaked = [r for r in reasons if _plain(r)[:40] in text]
        assert not leaked, f"{nb.name} {question.id}: a verdict's reason shows unrun: {leaked}"
    return f"{len(shown)} quiz(zes) readable as text before running"


def _quiz(nb: Notebook, question: str) -> Locator:
    box = nb.page.locator(".sl-quiz").filter(has_text=f"Predict ({question})")
    assert box.count() == 1, f"{nb.name}: {box.count()} quiz widgets for {question}"
    box.scroll_into_view_if_needed()
    return box


def _expect_feedback(nb: Notebook, box: Locator, question: str, response, timeout=15) -> str:
    """Wait until the quiz's feedback shows the kernel's verdict on ``response``."""
    feedback = answer_question(question, response)
    expected = f"{MARKS[feedback.correct]} {_plain(feedback.text)}"
    shown = box.locator(".sl-quiz-feedback")
    deadline = time.monotonic() + timeout
    while (seen := " ".join(shown.inner_text().split())) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{nb.name} {question}: after answering {response!r} the feedback reads "
                f"{seen!r}; expected {expected!r}"
            )
        time.sleep(0.05)
    return seen


def answer_choice_question(nb: Notebook, question: str) -> str:
    """Pick a wrong option, read why it is wrong; then the right one, read why it is right."""
    q = sl.QUESTIONS[question]
    wrong = next(i for i, c in enumerate(q.choices) if not c.correct)
    right = next(i for i, c in enumerate(q.choices) if c.correct)
    box = _quiz(nb, question)
    assert box.locator(".sl-quiz-feedback").inner_text().strip() == "", "feedback before answering"
    for i in (wrong, right):
        letter = q.label(i)[:3]  # "(a)"
        option = box.locator(".widget-radio-box label").filter(
            has_text=re.compile(rf"^\s*{re.escape(letter)}")
        )
        assert option.count() == 1, f"{question}: {option.count()} options labelled {letter}"
        option.click()
        seen = _expect_feedback(nb, box, question, i)
        assert seen.startswith("✓ Right." if i == right else "✗ Not quite."), seen
    return f"{question}: {q.label(wrong)[:3]} wrong, then {q.label(right)[:3]} right, with reasons"


def answer_number_question(nb: Notebook, question: str, wrong: str, right: str) -> str:
    """Type a wrong number and click Check; then the right one and press Enter."""
    assert not answer_question(question, wrong).correct, f"{wrong} is right for {question}"
    assert answer_question(question, right).correct, f"{right} is wrong for {question}"
    box = _quiz(nb, question)
    field = box.locator("input[type='text']")
    field.fill(wrong)
    box.locator("button", has_text=re.compile(r"^\s*Check\s*$")).click()
    _expect_feedback(nb, box, question, wrong)
    field.fill(right)
    field.press("Enter")
    _expect_feedback(nb, box, question, right)
    return f"{question}: {wrong} with Check, then {right} with Enter, with reasons"


# -- an exercise, solved in its starter cell -------------------------------------------------

CELL_JS = """
source => window.jupyterapp.shell.currentWidget.content.widgets.findIndex(
  c => c.model.sharedModel.getSource() === source)
"""
CELL_STATE_JS = """
i => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cell = panel.content.widgets[i];
  return {
    source: cell.model.sharedModel.getSource(),
    count: cell.model.executionCount,
    hidden: cell.inputHidden,
    active: panel.content.activeCellIndex === i,
    output: Array.from(cell.node.querySelectorAll('.jp-Cell-outputArea .jp-OutputArea-output'))
      .map(o => o.innerText).join('\\n'),
    status: panel.sessionContext.session.kernel.status,
  };
}
"""


def _function_source(function, name: str) -> str:
    """A library function's code as the notebook writes it: under the learner's name."""
    return re.sub(r"^def \w+\(", f"def {name}(", textwrap.dedent(inspect.getsource(function)))


class _Cell:
    def __init__(self, nb: Notebook, index: int):
        self.nb, self.index = nb, index
        self.node = nb.page.locator(".jp-Notebook .jp-Cell").nth(index)
        is_it = "(n, i) => n === window.jupyterapp.shell.currentWidget.content.widgets[i].node"
        assert self.node.evaluate(is_it, index), f"cell {index} is not where the page shows it"

    @classmethod
    def with_source(cls, nb: Notebook, source: str) -> _Cell:
        index = nb.page.evaluate(CELL_JS, source)
        assert index >= 0, f"{nb.name}: no cell holds {source!r}"
        return cls(nb, index)

    def state(self) -> dict:
        return self.nb.page.evaluate(CELL_STATE_JS, self.index)

    def wait(self, done, what: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while not done(state := self.state()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.nb.name}: {what} not seen after {timeout} s: {state}")
            time.sleep(0.05)
        return state


def solve_exercise(nb: Notebook, exercise: str) -> str:
    """The check under the starter says "not yet"; write the solution into the starter cell,
    run it and the check (Shift+Enter twice): "correct". Then open the collapsed solution."""
    ex = sl.EXERCISES[exercise]
    name = ex.name.split("(")[0]
    check = _Cell.with_source(nb, f'sl.check_exercise("{exercise}", {name})')
    starter = _Cell(nb, check.index - 1)
    solution = _Cell(nb, check.index + 1)
    assert check.state()["output"].startswith(f"✗ {exercise} not yet"), check.state()["output"]

    # Type the solution over the starter: select all in its editor, insert the text (as a paste
    # does: no auto-indent or closing brackets), then run the cell and the check below it.
    code = _function_source(ex.solution, name).rstrip("\n")
    starter.node.locator(".jp-InputArea-editor .cm-content").click()
    nb.page.keyboard.press("Control+A")
    nb.page.keyboard.insert_text(code)
    assert starter.state()["source"] == code, f"the editor holds {starter.state()['source']!r}"
    before = check.state()["count"]
    nb.page.keyboard.press("Shift+Enter")
    check.wait(lambda s: s["active"], "the check cell selected after running the starter")
    nb.page.keyboard.press("Shift+Enter")
    state = check.wait(
        lambda s: s["count"] != before and s["status"] == "idle" and s["output"].strip(),
        "the check's new verdict",
    )
    assert state["output"].startswith(f"✓ {exercise} correct"), state["output"]

    # The worked solution is collapsed: its "···" opens it.
    assert solution.state()["hidden"], f"{exercise}'s solution is not collapsed"
    placeholder = solution.node.locator(".jp-InputPlaceholder .jp-Placeholder-content")
    assert placeholder.is_visible() and placeholder.get_attribute("title") == "Click to expand"
    assert not solution.node.locator(".jp-InputArea-editor").is_visible()
    placeholder.locator(".jp-MoreHorizIcon").click()
    solution.wait(lambda s: not s["hidden"], "the solution opened")
    editor = solution.node.locator(".jp-InputArea-editor .cm-content")
    assert editor.is_visible(), "the opened solution shows no editor"
    starter_code = _function_source(ex.starter, name)
    line = next(line.strip() for line in code.splitlines() if line not in starter_code)
    shown = editor.inner_text()
    assert line in shown, f"the opened solution shows {shown!r}, without {line!r}"
    return (
        f"{exercise}: 'not yet' on the starter, 'correct' on the solution typed in; solution opened"
    )


def wrong_edit_stays_wrong(nb: Notebook, exercise: str, wrong: str) -> str:
    """After a Run All: the check says "not yet" and the worked solution's check says "correct
    (worked solution)". Type a wrong function over the starter, Run All again, then run the check
    once more by itself: still "not yet". The worked solution, run by Run All after the check,
    has a name of its own and cannot make the learner's function right."""
    ex = sl.EXERCISES[exercise]
    name = ex.function_name
    check = _Cell.with_source(nb, f'sl.check_exercise("{exercise}", {name})')
    starter, solution = _Cell(nb, check.index - 1), _Cell(nb, check.index + 1)
    not_yet, worked = f"✗ {exercise} not yet", f"✓ {exercise} correct (worked solution)"
    assert check.state()["output"].startswith(not_yet), check.state()["output"]
    assert solution.state()["output"].startswith(worked), solution.state()["output"]

    starter.node.locator(".jp-InputArea-editor .cm-content").click()
    nb.page.keyboard.press("Control+A")
    nb.page.keyboard.insert_text(wrong)
    assert starter.state()["source"] == wrong, f"the editor holds {starter.state()['source']!r}"
    nb.run_all(again=True)
    nb.assert_no_errors()
    assert check.state()["output"].startswith(not_yet), check.state()["output"]
    assert solution.state()["output"].startswith(worked), solution.state()["output"]

    before = check.state()["count"]
    check.node.locator(".jp-InputArea-editor .cm-content").click()
    nb.page.keyboard.press("Shift+Enter")
    state = check.wait(
        lambda s: s["count"] != before and s["status"] == "idle" and s["output"].strip(),
        "the check's verdict, run again after Run All",
    )
    assert state["output"].startswith(not_yet), state["output"]
    return f"{exercise}: a wrong starter, Run All, the check run again: {not_yet!r}"
