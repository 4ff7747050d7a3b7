"""Predict-then-check questions: what a question holds, how an answer is judged, and the text a
reader without a kernel sees in place of the quiz.

The questions themselves are data, in each notebook's folder (``vanishing/questions.py`` for 01,
... ``transformer/questions.py`` for 05); each correct answer is
what the library measures (``tests/test_quiz.py`` measures it again, over several seeds). Nothing
here imports ipywidgets: :func:`shortcut_lib.quiz` draws a question, this module judges it.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

from .._checks import short_repr


@dataclass(frozen=True)
class Choice:
    """One option of a multiple-choice question, with why it is right or wrong.

    Introduced in notebook 01.
    """

    text: str
    why: str
    correct: bool = False


@dataclass(frozen=True)
class Band:
    """A range of numbers, ``low <= answer < high``, and what to say to an answer in it.

    Introduced in notebook 01.
    """

    low: float
    high: float
    why: str

    def __contains__(self, value: float) -> bool:
        return self.low <= value < self.high


@dataclass(frozen=True)
class Question:
    """A question to answer before the cell that shows the answer.

    Either ``choices`` (exactly one of them correct) or ``answer`` (the accepted band of numbers)
    with ``bands`` that explain the other numbers.

    Attributes:
        id: ``"NN.x"``: notebook NN, question x (a letter).
        prompt: the question, in Markdown (code in backticks).
        choices: the options, for a multiple-choice question.
        answer: the numbers accepted, and why they are right, for a numeric question.
        bands: what to say to numbers outside ``answer``.
        unit: what the number counts, shown in the answer box (``"orders of magnitude"``).
        measured: how the library measures the answer, for whoever maintains the question.

    Introduced in notebook 01.
    """

    id: str
    prompt: str
    choices: tuple[Choice, ...] = ()
    answer: Band | None = None
    bands: tuple[Band, ...] = ()
    unit: str = ""
    measured: str = ""

    @property
    def numeric(self) -> bool:
        """Whether the answer is a number (else one of the choices)."""
        return self.answer is not None

    def label(self, index: int) -> str:
        """The label of choice ``index``: ``"(a) ..."``."""
        return f"({string.ascii_lowercase[index]}) {self.choices[index].text}"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: whether it is right, and why, in words.

    Introduced in notebook 01.
    """

    correct: bool
    text: str


def judge(question: Question, response: object) -> Feedback:
    """Judge ``response``: a choice's index (0 for (a)) or letter, or a number (or its text).

    Raises:
        TypeError, ValueError: for a response that is no choice of this question.
    """
    if question.numeric:
        return _judge_number(question, response)
    index = _choice_index(question, response)
    choice = question.choices[index]
    verdict = "Right." if choice.correct else "Not quite."
    return Feedback(choice.correct, f"{verdict} {_sentence(choice.why)}")


def _choice_index(question: Question, response: object) -> int:
    letters = string.ascii_lowercase[: len(question.choices)]
    if isinstance(response, str) and len(response) == 1 and response.lower() in letters:
        return letters.index(response.lower())
    if isinstance(response, int) and not isinstance(response, bool):
        if 0 <= response < len(question.choices):
            return response
        raise ValueError(
            f"response must be a choice's index, 0 to {len(question.choices) - 1}; got "
            f"{short_repr(response)}"
        )
    raise TypeError(
        f"response must be a choice's index (0 to {len(question.choices) - 1}) or letter "
        f"({', '.join(letters)}); got {short_repr(response)}"
    )


def _judge_number(question: Question, response: object) -> Feedback:
    value = parse_number(response)
    if value is None:
        return Feedback(False, "Type a number, such as 12 or 3.5.")
    if value in question.answer:
        return Feedback(True, f"Right. {_sentence(question.answer.why)}")
    for band in question.bands:
        if value in band:
            return Feedback(False, f"Not quite. {_sentence(band.why)}")
    return Feedback(False, "Not quite. Try again.")


def _sentence(text: str) -> str:
    # The reasons read as the rest of a sentence in the bank; after "Right." they start one.
    return text[:1].upper() + text[1:]


def parse_number(response: object) -> float | None:
    """A finite number from a number or its text (``"27"``, ``" 2.5e1 "``), else ``None``."""
    if isinstance(response, bool):
        return None
    try:
        if isinstance(response, (int, float)):
            value = float(response)
        elif isinstance(response, str):
            value = float(response.strip().replace(",", "."))  # 8,6 as typed in much of Europe
        else:
            return None
    except (ValueError, OverflowError):  # not a number, or an int beyond float's range
        return None
    return value if math.isfinite(value) else None


def question_markdown(question: Question) -> str:
    """The question as Markdown, for a reader without a kernel: the prompt and the options,
    never the answer.

    Introduced in notebook 01.
    """
    lines = [f"**Predict ({question.id}).** {question.prompt}", ""]
    if question.numeric:
        lines.append(f"*Answer with a number ({question.unit}).*")
    else:
        lines += [f"- {question.label(i)}" for i in range(len(question.choices))]
    lines += [
        "",
        "*Run this cell in JupyterLab or on Binder to check your answer; the cells below show it.*",
    ]
    return "\n".join(lines)


def question_text(question: Question) -> str:
    """The question as plain text (Markdown's markers removed), for a plain-text display."""
    return question_markdown(question).replace("**", "").replace("*", "").replace("`", "")
