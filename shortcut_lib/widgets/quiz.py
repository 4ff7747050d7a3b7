"""A predict-then-check question as a widget: the learner commits to an answer before the cell
that shows it, and reads at once why their answer is right or wrong.

The question and the judging live in :mod:`shortcut_lib.exercises`; this module only draws them.
Where no widget can be drawn (GitHub, nbviewer, an untrusted notebook in JupyterLab), the display
bundle carries the question and its options as Markdown, never the answer.

Why a widget and not a quiz written in JavaScript (such as jupyterquiz): JupyterLab runs no
JavaScript output of a notebook it opens untrusted, and GitHub and nbviewer strip it, so such a
quiz shows nothing until its cell is run again, and it ships its answers inside the output. A
widget's display bundle can carry a readable fallback, and the answers stay in Python.
"""

from __future__ import annotations

import html
import re

import ipywidgets as W

from .._checks import short_repr
from ..exercises import get_question
from ..exercises.questions import Feedback, Question, judge, question_markdown, question_text
from ..plotting.style import OKABE_ITO
from .controls import close_tree, replace_in_cell

__all__ = ["Quiz", "quiz"]

COLORS = {True: OKABE_ITO["green"], False: OKABE_ITO["vermillion"]}
MARKS = {True: "✓", False: "✗"}  # the verdict in a sign too, not in colour alone


class Quiz(W.VBox):
    """One question: its prompt, the options (or a box for a number) and the feedback.

    A multiple-choice question answers as soon as an option is picked; a numeric one when Enter
    is pressed or **Check** clicked. Every answer can be changed and is judged again.

    Args:
        question: the question's id, e.g. ``"01.b"`` (see ``sl.QUESTIONS``), or the
            :class:`~shortcut_lib.exercises.Question` itself.

    Attributes:
        question: the :class:`~shortcut_lib.exercises.Question` asked.
        answer: the ``RadioButtons`` (choices) or ``Text`` (a number) the learner answers in.
        feedback: the ``HTML`` that shows the verdict and why.
        last: the :class:`~shortcut_lib.exercises.Feedback` on the latest answer, or ``None``.

    Introduced in notebook 01.
    """

    def __init__(self, question: Question | str) -> None:
        if isinstance(question, str):
            question = get_question(question)  # an id, as sl.quiz takes it
        elif not isinstance(question, Question):
            raise TypeError(
                "question must be a question's id, such as '01.a' (see sl.QUESTIONS), or a "
                f"Question; got {short_repr(question)} of type {type(question).__name__}"
            )
        self.question, self.last = question, None
        prompt = W.HTMLMath(value=f"<b>Predict ({question.id}).</b> {_html(question.prompt)}")
        self.feedback = W.HTML(value="")
        self.feedback.add_class("sl-quiz-feedback")
        if question.numeric:
            self.answer = W.Text(placeholder=question.unit, continuous_update=False,
                                 layout=W.Layout(width="220px"))  # fmt: skip
            self.check = W.Button(description="Check", layout=W.Layout(width="80px"))
            self.check.on_click(lambda _: self.respond(self.answer.value))
            self.answer.observe(lambda change: self.respond(change["new"]), "value")
            row = W.HBox([self.answer, self.check])
        else:
            labels = [(question.label(i), i) for i in range(len(question.choices))]
            self.answer = W.RadioButtons(options=labels, value=None, layout=W.Layout(width="auto"))
            self.answer.observe(self._picked, "value")
            row = self.answer
        super().__init__([prompt, row, self.feedback])
        self.add_class("sl-quiz")

    def respond(self, response: object) -> Feedback:
        """Judge ``response`` (a choice's index, or a number or its text) and show why."""
        feedback = judge(self.question, response)
        self.last = feedback
        color, mark = COLORS[feedback.correct], MARKS[feedback.correct]
        # An HTML widget has a control's line height; a reason that wraps needs a text's.
        self.feedback.value = (
            f'<div style="line-height: 1.45; padding-top: 4px">'
            f'<span style="color: {color}">{mark}</span> {_html(feedback.text)}</div>'
        )
        return feedback

    def _picked(self, change: dict) -> None:
        if change["new"] is not None:
            self.respond(change["new"])

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        # Without a kernel (GitHub, nbviewer, an untrusted notebook) the reader sees the question
        # and its options as text, not the widget's Python repr, and not the answer.
        return {
            **super()._repr_mimebundle_(**kwargs),
            "text/markdown": question_markdown(self.question),
            "text/plain": question_text(self.question),
        }

    def close(self) -> None:
        """Free the quiz's widgets."""
        close_tree(self)


def quiz(question: str) -> Quiz:
    """Ask a predict-then-check question, before the cell that shows the answer.

    Args:
        question: the question's id, e.g. ``"01.b"``; see ``sl.QUESTIONS``.

    Returns:
        A :class:`Quiz`; re-running the cell replaces the previous one.

    Introduced in notebook 01.
    """
    widget = Quiz(get_question(question))
    replace_in_cell(widget)
    return widget


def _html(text: str) -> str:
    """Markdown's code spans as <code>, everything else escaped."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))
