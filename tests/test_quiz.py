"""Predict-then-check questions: the bank is well formed, answers are judged as the bank says, the
quiz widget shows the verdict when a value is set, its display bundle shows the question (never
the answer) to a reader without a kernel, and every correct answer is what the library measures,
over several seeds.
"""

import math

import pytest
import torch
from measured import gpt_width_64, seed_runs
from torch import nn

import shortcut_lib as sl
from shortcut_lib.exercises import QUESTIONS, answer_question, get_question, question_markdown
from shortcut_lib.exercises.questions import question_text
from shortcut_lib.widgets.quiz import _html

# Written out here: a renamed or dropped question must fail a test.
IDS = ["01.a", "01.b", "01.c", "01.d", "02.a", "02.b", "02.c", "02.d", "03.a", "03.b", "03.c",
       "03.d", "04.a", "04.b", "04.c", "04.d", "05.a", "05.b", "05.c"]  # fmt: skip
NUMERIC = ["01.c", "03.d"]


# --- the bank -------------------------------------------------------------------------------------


def test_every_question_is_there_in_notebook_order():
    assert list(QUESTIONS) == IDS
    assert list(sl.QUESTIONS) == IDS
    for notebook in ("01", "02", "03", "04", "05"):
        assert 2 <= sum(i.startswith(notebook) for i in IDS) <= 4
    assert [i for i in IDS if QUESTIONS[i].numeric] == NUMERIC


@pytest.mark.parametrize("question", [i for i in IDS if i not in NUMERIC])
def test_a_choice_question_has_one_right_option_and_a_reason_for_every_option(question):
    q = QUESTIONS[question]
    assert 3 <= len(q.choices) <= 4
    assert sum(c.correct for c in q.choices) == 1
    assert len({c.text for c in q.choices}) == len(q.choices)
    assert all(len(c.why) > 30 for c in q.choices)
    # A radio button's label is one line: a long one would wrap onto the next option.
    assert all(len(q.label(i)) <= 70 for i in range(len(q.choices)))


@pytest.mark.parametrize("question", NUMERIC)
def test_a_numeric_question_has_a_reason_for_every_number(question):
    q = QUESTIONS[question]
    bands = sorted([q.answer, *q.bands], key=lambda b: b.low)
    assert bands[0].low == -math.inf and bands[-1].high == math.inf
    for before, after in zip(bands, bands[1:], strict=False):
        assert before.high == after.low  # no gap, no overlap
    assert q.unit


@pytest.mark.parametrize("question", IDS)
def test_a_prompt_holds_nothing_the_widget_would_misread(question):
    prompt = QUESTIONS[question].prompt
    assert "$" not in prompt  # HTMLMath would typeset it
    assert "*" not in prompt  # Markdown emphasis, stripped from the plain-text version
    assert prompt.endswith("?") or prompt.endswith(".)")


# --- judging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [i for i in IDS if i not in NUMERIC])
def test_every_option_gets_its_own_verdict_and_reason(question):
    q = QUESTIONS[question]
    for index, choice in enumerate(q.choices):
        for response in (index, "abcd"[index], "ABCD"[index]):
            feedback = answer_question(question, response)
            assert feedback.correct == choice.correct
            assert feedback.text.startswith("Right." if choice.correct else "Not quite.")
            assert choice.why[1:] in feedback.text


@pytest.mark.parametrize("question", NUMERIC)
def test_a_number_is_judged_by_its_band(question):
    q = QUESTIONS[question]
    for band in [q.answer, *q.bands]:
        low = band.low if math.isfinite(band.low) else band.high - 10
        high = band.high if math.isfinite(band.high) else band.low + 10
        for value in (low, (low + high) / 2, str((low + high) / 2)):
            feedback = answer_question(question, value)
            assert feedback.correct == (band is q.answer)
            assert band.why[1:] in feedback.text
    assert not answer_question(question, q.answer.high).correct  # the band's upper end is open


@pytest.mark.parametrize("response", ["", "abc", "nan", "inf", True, None, [26]])
def test_what_is_not_a_number_is_asked_again(response):
    feedback = answer_question("01.c", response)
    assert not feedback.correct and feedback.text == "Type a number, such as 12 or 3.5."


def test_a_decimal_comma_is_read_as_a_number():
    assert answer_question("03.d", "8,6").correct


@pytest.mark.parametrize(
    ("question", "response", "error", "words"),
    [
        ("01.b", 4, ValueError, ["0 to 3", "4"]),
        ("01.b", "e", TypeError, ["a, b, c, d", "'e'"]),
        ("01.b", 1.0, TypeError, ["index", "1.0"]),
        ("01.b", True, TypeError, ["index", "True"]),
        ("1.b", 0, ValueError, ["question", "01.a", "05.c"]),
        (1, 0, TypeError, ["question", "'02.a'", "int"]),
    ],
)
def test_bad_responses_and_ids_raise_with_a_clear_message(question, response, error, words):
    with pytest.raises(error) as caught:
        answer_question(question, response)
    for word in words:
        assert word in str(caught.value)


# --- the widget -----------------------------------------------------------------------------------


def test_picking_an_option_shows_its_verdict_at_once():
    quiz = sl.quiz("01.b")
    q = get_question("01.b")
    right = next(i for i, c in enumerate(q.choices) if c.correct)
    assert quiz.answer.value is None and quiz.feedback.value == "" and quiz.last is None
    assert [label for label, _ in quiz.answer.options] == [q.label(i) for i in range(4)]
    wrong = (right + 1) % 4
    quiz.answer.value = wrong
    assert "✗" in quiz.feedback.value and "Not quite." in quiz.feedback.value
    assert q.choices[wrong].why[1:] in quiz.feedback.value
    assert not quiz.last.correct
    quiz.answer.value = right
    assert "✓" in quiz.feedback.value and "Right." in quiz.feedback.value
    assert quiz.last.correct
    quiz.close()


def test_a_number_is_judged_on_enter_and_on_check():
    quiz = sl.quiz("01.c")
    quiz.answer.value = "21"  # what Enter (or leaving the box) sends
    assert "✗" in quiz.feedback.value and "close, but too few" in quiz.feedback.value.lower()
    quiz.feedback.value = ""
    quiz.check.click()  # judges what the box holds
    assert "✗" in quiz.feedback.value
    quiz.answer.value = "26.5"
    assert "✓" in quiz.feedback.value and quiz.last.correct
    quiz.close()


def test_code_in_a_prompt_is_shown_as_code_and_the_rest_escaped():
    quiz = sl.quiz("01.a")
    assert "<code>nn.Sequential(nn.Linear(3, 3, GELU()))</code>" in quiz.children[0].value
    quiz.close()
    assert _html("a < b & `x[0] < 1`") == "a &lt; b &amp; <code>x[0] &lt; 1</code>"


@pytest.mark.parametrize("question", IDS)
def test_without_a_kernel_the_reader_sees_the_question_but_not_the_answer(question):
    quiz = sl.quiz(question)
    q = quiz.question
    bundle = quiz._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    for text in (bundle["text/markdown"], bundle["text/plain"]):
        assert f"({question})" in text
        assert "Run this cell" in text
        if q.numeric:
            assert q.unit in text and q.answer.why not in text
        else:
            assert all(c.text in text for c in q.choices)
            assert all(c.why not in text for c in q.choices)
        assert "Right" not in text
    assert bundle["text/markdown"] == question_markdown(q)
    assert bundle["text/plain"] == question_text(q)
    assert "`" not in bundle["text/plain"] and "**" not in bundle["text/plain"]
    quiz.close()


def test_closing_a_quiz_closes_every_widget_in_it():
    quiz = sl.quiz("01.c")
    parts = [quiz, *quiz.children, *quiz.children[1].children]
    quiz.close()
    assert all(part.comm is None for part in parts)


@pytest.mark.parametrize(("question", "error"), [("9.z", ValueError), (None, TypeError)])
def test_an_unknown_question_raises(question, error):
    with pytest.raises(error, match="question"):
        sl.quiz(question)


# --- every correct answer is what the library measures, over several seeds ------------------------


def _first_over_last(values):
    return values[0] / values[-1]


def _deep(depth, activation, seed, **options):
    net = sl.DeepNetwork([64] * (depth + 1), activation, seed=seed, **options)
    x = torch.randn(16, 64, generator=torch.Generator().manual_seed(seed))
    return net, x


def _claim_01a():
    layer = nn.Linear(3, 3, sl.GELU())
    assert layer.bias is not None
    assert not any(isinstance(m, (sl.GELU, nn.GELU)) for m in layer.modules())


def _claim_01b():
    net = sl.DeepNetwork([3, 3, 3, 3, 3, 1], seed=123)
    x, first = torch.tensor([[1.0, 0.0, -1.0]]), "layers.0.0.weight"
    plain = sl.weight_gradient_means(net, x)[first]
    net.use_shortcut = True
    assert 900 < sl.weight_gradient_means(net, x)[first] / plain < 1300


def _claim_01cd():
    for seed in range(5):
        net, x = _deep(50, "gelu", seed)
        orders = -math.log10(_first_over_last(sl.gradient_profile(net, x).output_grad_norm))
        assert orders in QUESTIONS["01.c"].answer
        net.use_shortcut = True
        assert 3e4 < _first_over_last(sl.gradient_profile(net, x).output_grad_norm) < 3e5


def _claim_02a():
    grid = torch.arange(-6000, 6001) / 1000
    peaks = {a: sl.activation_derivative(a, grid).max().item() for a in sl.ACTIVATIONS}
    assert max(peaks, key=peaks.get) == "gelu" and abs(peaks["gelu"] - 1.129) < 1e-3


def _claim_02bc():
    names = ["identity", "relu", "tanh", "sigmoid", "gelu"]
    for seed in range(5):
        ratio = {}
        for a in names:
            p = sl.compare_shortcut(depth=50, activation=a, seed=seed)["plain"]
            ratio[a] = _first_over_last(p.weight_grad_mean)
        assert ratio["sigmoid"] < 1e-40  # 02.b: 40 orders of magnitude or more
        assert sorted(names, key=ratio.get)[:2] == ["sigmoid", "gelu"]  # 02.c: second worst


def _claim_02d():
    for seed in range(5):
        net, x = _deep(50, "sigmoid", seed, init="xavier", gain=12.0)
        ratio = _first_over_last(sl.gradient_profile(net.double(), x.double()).output_grad_norm)
        assert 1e-2 < ratio < 1e2


def _claim_03abc():
    for seed in range(5):
        sigmoid = sl.compare_shortcut("depth=50 width=64 activation=sigmoid", seed=seed)
        assert 1.0 < _first_over_last(sigmoid["shortcut"].output_grad_norm) < 1.25
        bare = sl.compare_shortcut("depth=100 width=64 activation=gelu", seed=seed)["shortcut"]
        assert 1e9 < _first_over_last(bare.output_grad_norm) < 1e11
        normed = sl.compare_shortcut("depth=100 activation=gelu norm=layernorm", seed=seed)
        normed = normed["shortcut"]
        assert _first_over_last(normed.output_grad_norm) < 10
        assert 8 < normed.activation_rms[-1] / normed.input_rms < 16


def _claim_03d():
    for seed in range(5):
        state = "depth=50 width=64 activation=relu init=kaiming gain=1.5"
        plain = sl.compare_shortcut(state, seed=seed)["plain"]
        assert math.log10(_first_over_last(plain.output_grad_norm)) in QUESTIONS["03.d"].answer


def _claim_04ab():
    plain = seed_runs("plain")  # the runs test_claims_04 asserts on, shared through measured
    assert all(abs(f - math.log(2)) < 0.01 for f in plain.final_loss)  # 04.a
    first, last = 1, 20  # the weight matrices of hidden layers 1 and 20 (0 is the input layer)
    grads = plain.weight_grad_mean  # (steps, seeds, layers)
    assert (grads[:, :, first] / grads[:, :, last]).max() < 1e-12
    assert (plain.update_ratio[:, :, :2] == 0).all()  # 04.b: "in" and "1" never move


def _claim_04c():
    # sl.train's plain model and batches, trained by Adam with its floor moved to 1e-30.
    runs = seed_runs("plain", eps=1e-30)
    assert (runs.moved.median(dim=0).values >= 21).all()  # all 22, or all but one
    finals = runs.final_loss
    assert min(finals) > 0.5  # below 0.5 for none
    at_chance = sum(abs(f - math.log(2)) < 0.01 for f in finals)
    assert 9 <= at_chance < len(finals)  # at chance for most, partway for one or two


def _claim_04d():
    def distinct_logits(activation, seed, models="plain"):
        run = sl.TrainingRun(activation=activation, seed=seed, models=models)
        with torch.no_grad():
            return run.models[models](run.task.x).unique().numel()  # of 256 points

    for seed in range(20):
        assert distinct_logits("sigmoid", seed) == 1
        assert distinct_logits("sigmoid", seed, "shortcut") >= 254
        assert distinct_logits("relu", seed) <= 20 and distinct_logits("tanh", seed) >= 25


def _claim_05():
    # Notebook 05's probe at width 64, seeds 0-9: the runs test_claims_05 asserts on, shared.
    for seed in range(10):
        short, deep = gpt_width_64()[12, seed], gpt_width_64()[48, seed]
        assert _first_over_last(deep["plain"].stream_grad_norm) < 1e-6  # 05.a
        post = short["post"].stream_grad_norm[1:]  # 05.b
        assert max(post) < 1.005 * min(post)
        unscaled = deep["unscaled"].stream_rms  # 05.c
        assert 6 < unscaled[-1] / unscaled[0] < 11
        assert deep["shortcut"].stream_rms[-1] / deep["shortcut"].stream_rms[0] < 1.5


CLAIMS = {
    "01.a": _claim_01a,
    "01.b": _claim_01b,
    "01.c 01.d": _claim_01cd,
    "02.a": _claim_02a,
    "02.b 02.c": _claim_02bc,
    "02.d": _claim_02d,
    "03.a 03.b 03.c": _claim_03abc,
    "03.d": _claim_03d,
    "04.a 04.b": _claim_04ab,
    "04.c": _claim_04c,
    "04.d": _claim_04d,
    "05.a 05.b 05.c": _claim_05,
}


def test_every_question_has_its_claim_measured():
    assert sorted(" ".join(CLAIMS).split()) == IDS


@pytest.mark.parametrize("questions", list(CLAIMS))
def test_the_correct_answer_is_what_the_library_measures(questions):
    CLAIMS[questions]()
