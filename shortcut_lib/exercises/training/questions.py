"""Notebook 04, training dynamics: its predict-then-check questions, each correct answer a
measurement (``measured`` says which; tests/test_quiz.py measures it again)."""

from __future__ import annotations

from ..questions import Choice, Question

QUESTIONS = (
    Question(
        id="04.a",
        prompt="Depth 20, sigmoid, Adam at learning rate 0.01, 300 steps of 64 points. Where "
        "does the plain model's loss end? (Chance is ln 2 = 0.693.)",
        choices=(
            Choice(
                "below 0.1: Adam rescales every gradient",
                "Adam divides by each gradient's running size, but the plain model's first "
                "layers get almost nothing to rescale, and section 4 shows that even that is "
                "not the whole story.",
            ),
            Choice(
                "about 0.3, like the shortcut model",
                "the shortcut model gets there (0.17 to 0.30 over four seeds); the plain one "
                "does not move from chance.",
            ),
            Choice(
                "at chance, 0.693",
                "0.693 to 0.695 for each of 12 seeds tested: at every step its first layer gets "
                "less than 1e-12 of the last layer's gradient, and the loss never leaves ln 2. "
                "Section 4 finds out why.",
                correct=True,
            ),
            Choice(
                "NaN: training diverges",
                "nothing diverges: the plain model's gradients are tiny, not huge.",
            ),
        ),
        measured="train(seed=s)['plain'].final_loss within 0.01 of ln 2 for seeds 0-11",
    ),
    Question(
        id="04.b",
        prompt="Adam rescales each gradient by its running size. How much do the plain model's "
        "first hidden layer's weights change per step (its update ratio ‖ΔW‖ / ‖W‖)?",
        choices=(
            Choice(
                "exactly 0, at every step",
                "0 at all 300 steps for each of 12 seeds tested, and the input layer's too: its "
                "gradient of about 1e-20 is far below Adam's floor, eps = 1e-8, and the step it "
                "gives, about 1e-14, rounds away in float32.",
                correct=True,
            ),
            Choice(
                "about 1e-3, like any layer under Adam",
                "Adam's rescaling has a floor, eps = 1e-8: a gradient of about 1e-20 gives a "
                "step of about 1e-14, far below what float32 can add to a weight of 0.1.",
            ),
            Choice(
                "more than 0.1: Adam's steps are large for every layer",
                "Adam's step, lr × g / (sqrt(v) + eps), is about lr only when |g| is well "
                "above eps = 1e-8.",
            ),
            Choice(
                "it cannot be measured: the weights become NaN",
                "nothing overflows; the weights just stay where they were.",
            ),
        ),
        measured="train(seed=s)['plain'].update_ratio of layers 'in' and '1' is 0 at every step "
        "for seeds 0-11",
    ),
    Question(
        id="04.c",
        prompt="Move Adam's floor from eps = 1e-8 to 1e-30, so that even the tiniest gradient "
        "takes a full step: every layer of the plain model now moves. Over a dozen seeds, where "
        "does its loss end after 300 steps?",
        choices=(
            Choice(
                "below 0.5 for most seeds: with every layer moving, it learns",
                "every layer does move now (21 or 22 of the 22 weight matrices at a typical step), "
                "and yet no "
                "seed of 12 gets below 0.5. Moving layers were not what it lacked.",
            ),
            Choice(
                "at chance for most, partway for one or two, below 0.5 for none",
                "10 or 11 of 12 seeds end at chance, the others between 0.54 and 0.69, with 21 "
                "or 22 of the 22 weight matrices moving at a typical step. Freeing the early "
                "layers helps a seed or two a little; the frozen layers were a symptom, not the "
                "main cause. Section 4.2 looks for the cause in the forward pass.",
                correct=True,
            ),
            Choice(
                "at chance for every seed, exactly as with the floor",
                "close, and true of seeds 0-4, but seed 5 ends at about 0.55 (and one or two "
                "more of 12, depending on the CPU): freeing the layers does a little, not much.",
            ),
            Choice(
                "it diverges: steps without a floor blow up",
                "Adam's step stays about lr whatever the gradient's size, so nothing blows up; "
                "the steps just lead nowhere.",
            ),
        ),
        measured="TrainingRun(seed=s, models='plain') trained by Adam(lr=0.01, eps=1e-30) on its "
        "own batches, seeds 0-11: no final loss below 0.5, at least 9 of 12 within 0.01 of ln 2, "
        "a median of 21 or 22 of the 22 weight matrices moving per step",
    ),
    Question(
        id="04.d",
        prompt="The plain sigmoid network of section 3 at initialization, fed all 256 spiral "
        "points. How many different logits come out?",
        choices=(
            Choice(
                "exactly 1",
                "one and the same logit for all 256 points, for each of 20 seeds tested: by the "
                "last layer the differences between inputs have shrunk below float32's resolution. "
                "No update of the last layers can then tell the classes apart, and the best "
                "they can do is ln 2.",
                correct=True,
            ),
            Choice(
                "a handful, fewer than 10",
                "that is about what ReLU's plain network keeps (1 to 18 over 20 seeds); "
                "sigmoid's factors per layer are smaller still.",
            ),
            Choice(
                "more than 100, but not all 256",
                "that is where tanh's plain network usually stays (31 to 250 over 20 seeds); "
                "sigmoid's contracts much further.",
            ),
            Choice(
                "256, one per point",
                "that is the shortcut network on the same weights: its identity carries the "
                "differences between inputs past every layer. Without it they shrink by a "
                "factor at every layer, as the gradient does on its way back.",
            ),
        ),
        measured="TrainingRun(seed=s, models='plain').models['plain'](task.x) has 1 distinct "
        "value for seeds 0-19 (relu: 20 or fewer, tanh: 25 or more); the shortcut model's 254 or "
        "more",
    ),
)
