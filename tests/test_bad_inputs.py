"""Bad input across the public surface, table-driven, in one mechanism: each case is code, the
exception it must raise (``None``: it must work) and words its message must contain.

A refusal must be a ValueError or TypeError raised by shortcut_lib's own checks (the innermost
frame of its traceback is in the library, never deep inside torch, NumPy or matplotlib), with a
short message that names the argument. A case that must work states what it must leave alone
with ``CHECK(condition, words)``: the global RNG, a model's train/eval mode, a value given.

The cases run in a child process with its memory capped (1.5 GB of address space, where torch
itself takes about 0.7) and a time limit: a size that slipped past validation would exhaust the
memory or the time of a learner's 1-2 GB Binder kernel, and here it fails this test instead of
the machine.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# fmt: off
# (id, code run in the child, the exception's type or None, words the message must contain)
SIZES = [
    ("a million layers", "sl.DeepNetwork([3] * (10**6 + 1))", "ValueError", ["layer_sizes", "10000"]),
    ("a trillion weights", "sl.DeepNetwork([10**6, 10**6])", "ValueError", ["parameters", "50,000,000"]),
    ("spirals of 1e12 points", "sl.make_spirals(10**12)", "ValueError", ["n", "1000000"]),
    ("regression of 1e12 points", "sl.make_regression(10**12)", "ValueError", ["n", "1000000"]),
    ("1e9 steps", "sl.TrainingRun(depth=1, width=4, steps=10**9)", "ValueError", ["steps", "5000"]),
    ("67 GB of run", "sl.TrainingRun(depth=1000, width=4096, steps=1)", "ValueError", ["depth", "200"]),
    ("a run over 300 MB", "sl.train(depth=200, width=512, steps=1)", "ValueError", ["MB", "300 MB", "fits"]),
    ("widest comparison", "sl.compare_shortcut(width=10**6)", "ValueError", ["width", "256"]),
    ("GPT: a huge vocabulary", "sl.GPTModel(vocab_size=100_000, emb_dim=1024, n_heads=16)", "ValueError", ["MB", "vocab_size"]),
    ("GPT: a huge width", "sl.GPTModel(emb_dim=4096, n_heads=16)", "ValueError", ["MB", "emb_dim"]),
    ("GPT: 1.6 GB of causal masks", "sl.GPTModel(n_blocks=96, context_length=4096)", "ValueError", ["MB", "96 causal masks of 4096x4096", "context_length"]),
    ("GPT-2 124M outside the meta device", "sl.GPTModel(12, 768, 12, 1024, 50257)", "ValueError", ["MB, more than the 500 MB", "meta device"]),
    ("GPT-2 124M on the meta device", "with torch.device('meta'): m = sl.GPTModel(12, 768, 12, 1024, 50257, seed=None)", None, []),
    ("a huge feed-forward", "sl.FeedForward(4096)", "ValueError", ["FeedForward(4096)", "MB", "emb_dim"]),
    ("a huge attention", "sl.MultiHeadAttention(4096, 4096, 4096, 0.0, 16)", "ValueError", ["MB", "context_length"]),
    ("a token task of 4e9 ids", "sl.make_token_task(10**6, 4096)", "ValueError", ["MB", "n_sequences or context_length"]),
    ("train_transformer: 5000 steps of 1e6 sequences", "sl.train_transformer(GPT(), sl.make_token_task(10**6, 8), steps=5000, batch_size=10**6)", "ValueError", ["MB", "steps or batch_size"]),
    ("train_transformer: 1e5 steps", "sl.train_transformer(GPT(), TT, steps=100_000, batch_size=1)", "ValueError", ["steps", "5000"]),
    ("train_transformer: a batch of 2e5 long sequences", "sl.train_transformer(sl.GPTModel(2, 256, 4, 64), sl.make_token_task(100_000, 64), steps=1, batch_size=100_000)", "ValueError", ["MB", "batch_size"]),
    ("gradient_profile: a batch through wide layers", "sl.gradient_profile(sl.DeepNetwork([3] + [1024] * 8, seed=0), torch.zeros(100_000, 3))", "ValueError", ["MB", "examples in x"]),
    ("gradient_profile: 1e9 rows of a view", "sl.gradient_profile(NET(), torch.zeros(1, 3).expand(10**9, 3))", "ValueError", ["x", "3,000,000,000 numbers", "MB"]),
    ("forward: 1e9 rows of a view", "NET()(torch.zeros(1, 3).expand(10**9, 3))", "ValueError", ["x", "numbers"]),
    ("transformer_profile: 1e5 long sequences", "ids = torch.zeros(1, 64, dtype=torch.long).expand(100_000, 64)\nsl.transformer_profile(sl.GPTModel(4, 256, 4, 64), ids, ids)", "ValueError", ["MB", "sequences in x"]),
    ("token ids: 1e8 rows of a view", "GPT()(torch.zeros(1, 8, dtype=torch.long).expand(10**8, 8))", "ValueError", ["in_idx", "numbers"]),
    ("activation_derivative: 1e10 points of a view", "sl.activation_derivative('tanh', torch.zeros(1).expand(10**10))", "ValueError", ["x", "numbers"]),
    ("TrainingPlot: 1e9 steps", "sl.TrainingPlot().update(RUNS['a'], total_steps=10**9)", "ValueError", ["total_steps", "100000"]),
    ("TrainingPlot: 1e9 layers", "sl.TrainingPlot().update({}, layers=10**9)", "ValueError", ["layers"]),
    ("TrainingPlot: a heatmap over 500 MB", "sl.TrainingPlot().update({}, total_steps=100_000, layers=10_000)", "ValueError", ["MB", "total_steps"]),
    ("plot_training: a plan of 1e9 steps", "h = RUNS['a']['plain']\nf = sl.plot_training({'plain': sl.History(**{**h.__dict__, 'settings': {'steps': 10**9}})})", None, []),
    ("plot_gradients: 1e4 series", "sl.plot_gradients({f'm{i}': [1.0] for i in range(10**4)})", "ValueError", ["series' labels", "1 to 20"]),
    ("plot_spread: 1e7 values", "sl.plot_spread({'a': range(10**7)}, xlabel='x')", "ValueError", ["samples['a']", "1,000,000"]),
]

STATE_STRINGS = [
    ("5000 digits", "sl.ComparisonSettings.parse('depth=' + '9' * 5000)", "ValueError", ["depth", "whole number"]),
    ("a setting twice", "sl.ComparisonSettings.parse('depth=5 depth=7')", "ValueError", ["depth is given twice"]),
    ("arabic-indic digits", "sl.ComparisonSettings.parse('depth=\\u0665\\u0660')", "ValueError", ["depth", "whole number"]),
    ("fullwidth digits", "sl.ComparisonSettings.parse('depth=\\uff15')", "ValueError", ["whole number"]),
    ("underscore in a number", "sl.ComparisonSettings.parse('gain=0_1')", "ValueError", ["gain", "number"]),
    ("every bad field", "sl.ComparisonSettings.parse('depth=fifty activation=sigmod')", "ValueError", ["depth", "fifty", "sigmod", "did you mean sigmoid"]),
    ("a huge bad value is echoed short", "sl.ComparisonSettings.parse('activation=' + 'x' * 10**6)", "ValueError", ["activation", "..."]),
    ("base of another kind", "sl.ComparisonSettings.parse('depth=3', base='x')", "TypeError", ["base", "ComparisonSettings"]),
    ("base a number", "sl.ComparisonSettings.parse('depth=3', base=3)", "TypeError", ["base"]),
    ("use_shortcut unknown", "sl.ExplorerSettings.parse('use_shortcut=both')", "ValueError", ["use_shortcut", "on or off"]),
]

# Ordinary torch contexts: each works, or is refused in words.
CONTEXTS = [
    ("train under no_grad", "with torch.no_grad(): h = sl.train(depth=2, width=4, steps=2)\nCHECK(len(h['plain'].loss) == 2, 'steps')", None, []),
    ("train under inference_mode", "with torch.inference_mode(): h = sl.train(depth=2, width=4, steps=2)\nCHECK(h['plain'].loss == RUNS['a']['plain'].loss, 'the same run')", None, []),
    ("train a GPT stack under inference_mode", "with torch.inference_mode(): sl.train('tokens', depth=1, width=8, steps=2)", None, []),
    ("train_transformer under no_grad", "with torch.no_grad(): sl.train_transformer(GPT(), TT, steps=2, batch_size=4)", None, []),
    ("train_transformer under inference_mode", "m = GPT()\nwith torch.inference_mode(): sl.train_transformer(m, TT, steps=2, batch_size=4)", None, []),
    ("train_transformer on a task made in inference_mode", "with torch.inference_mode(): t = sl.make_token_task(16)\nsl.train_transformer(GPT(), t, steps=2, batch_size=4)", None, []),
    ("train_transformer on a frozen model", "sl.train_transformer(GPT().requires_grad_(False), TT, steps=2, batch_size=4)", "ValueError", ["model", "frozen", "requires_grad_(True)"]),
    ("train_transformer on a model built in inference_mode", "with torch.inference_mode(): m = GPT()\nsl.train_transformer(m, TT, steps=2)", "ValueError", ["model", "inference_mode"]),
    ("train_transformer keeps eval()", "m = GPT().eval()\nsl.train_transformer(m, TT, steps=2, batch_size=4)\nCHECK(not any(x.training for x in m.modules()), 'left in train mode')", None, []),
    ("compare_shortcut under inference_mode", "with torch.inference_mode(): p = sl.compare_shortcut(depth=5)\nCHECK(p == sl.compare_shortcut(depth=5), 'the same profiles')", None, []),
    ("a Comparison of GPT stacks under inference_mode", "with torch.inference_mode(): sl.Comparison().profiles(sl.BlockSettings(depth=2))", None, []),
    ("gradient_profile under inference_mode", "m, x = NET(), torch.randn(4, 3)\nwith torch.inference_mode(): p = sl.gradient_profile(m, x)\nCHECK(p == sl.gradient_profile(m, x), 'the same profile')", None, []),
    ("gradient_profile of an inference tensor", "with torch.inference_mode(): x = torch.randn(4, 3)\nsl.gradient_profile(NET(), x)", None, []),
    ("gradient_profile of a model built in inference_mode", "with torch.inference_mode(): m = NET()\nsl.gradient_profile(m, torch.randn(4, 3))", "ValueError", ["model", "inference_mode", "torch.no_grad() is fine"]),
    ("gradient_profile of a frozen model", "m = NET().requires_grad_(False)\nsl.gradient_profile(m, torch.randn(4, 3))\nCHECK(not any(p.requires_grad for p in m.parameters()), 'unfrozen')", None, []),
    ("transformer_profile under inference_mode", "m = GPT()\nwith torch.inference_mode(): sl.transformer_profile(m, TT.x[:2], TT.y[:2])", None, []),
    ("transformer_profile of ids made in inference_mode", "with torch.inference_mode(): x = TT.x[:2].clone()\nsl.transformer_profile(GPT(), x, x)", None, []),
    ("compare_transformer of a model built in inference_mode", "with torch.inference_mode(): m = GPT()\nsl.compare_transformer(m, TT.x[:2], TT.y[:2])", "ValueError", ["model", "inference_mode"]),
    ("activation_derivative of an inference tensor", "with torch.inference_mode(): x = torch.zeros(3)\nCHECK(sl.activation_derivative('gelu', x).tolist() == [0.5] * 3, 'value')", None, []),
    ("activation_derivative under no_grad", "with torch.no_grad(): CHECK(sl.activation_derivative('gelu', torch.zeros(3)).tolist() == [0.5] * 3, 'value')", None, []),
]

GPT_LAYERS = [
    ("FeedForward of width -1", "sl.FeedForward(-1)", "ValueError", ["emb_dim", "-1", "between 1 and 4096"]),
    ("FeedForward of width 0", "sl.FeedForward(0)", "ValueError", ["emb_dim", "0"]),
    ("FeedForward of width 2.5", "sl.FeedForward(2.5)", "TypeError", ["emb_dim", "2.5", "int"]),
    ("FeedForward of width None", "sl.FeedForward(None)", "TypeError", ["emb_dim", "None"]),
    ("FeedForward of a wrong width", "sl.FeedForward(16)(torch.zeros(2, 8, 12))", "ValueError", ["x", "(..., 16)", "(2, 8, 12)"]),
    ("FeedForward of ints", "sl.FeedForward(16)(torch.zeros(2, 8, 16, dtype=torch.long))", "TypeError", ["x", "torch.int64"]),
    ("FeedForward of a list", "sl.FeedForward(16)([[0.0] * 16])", "TypeError", ["x", "list"]),
    ("FeedForward of float64", "y = sl.FeedForward(16)(torch.zeros(2, 16, dtype=torch.float64))\nCHECK(y.dtype == torch.float32, 'dtype')", None, []),
    ("a block: longer than its context", "sl.TransformerBlock(16, 2, 8)(torch.zeros(2, 9, 16))", "ValueError", ["x", "9 tokens", "context_length of 8"]),
    ("attention: longer than its context", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2)(torch.zeros(2, 9, 16))", "ValueError", ["x", "9 tokens", "context_length of 8"]),
    ("a block: a 2-D input", "sl.TransformerBlock(16, 2, 8)(torch.zeros(8, 16))", "ValueError", ["x", "(batch, tokens, 16)", "(8, 16)"]),
    ("attention: a 2-D input", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2)(torch.zeros(8, 16))", "ValueError", ["x", "(batch, tokens, 16)"]),
    ("a block: a wrong width", "sl.TransformerBlock(16, 2, 8)(torch.zeros(2, 8, 12))", "ValueError", ["x", "(batch, tokens, 16)", "(2, 8, 12)"]),
    ("attention: a wrong width", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2)(torch.zeros(2, 8, 12))", "ValueError", ["x", "(2, 8, 12)"]),
    ("a block: token ids", "sl.TransformerBlock(16, 2, 8)(torch.zeros(2, 8, 16, dtype=torch.long))", "TypeError", ["x", "token ids go to a GPTModel"]),
    ("a block: None", "sl.TransformerBlock(16, 2, 8)(None)", "TypeError", ["x", "None"]),
    ("attention: a list", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2)([[[0.0] * 16]])", "TypeError", ["x", "list"]),
    ("a block: float64", "y = sl.TransformerBlock(16, 2, 8)(torch.zeros(2, 8, 16, dtype=torch.float64))\nCHECK(y.dtype == torch.float32, 'dtype')", None, []),
    ("qkv_bias='no'", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2, qkv_bias='no')", "TypeError", ["qkv_bias", "'no'", "True or False"]),
    ("qkv_bias=1", "sl.MultiHeadAttention(16, 16, 8, 0.0, 2, qkv_bias=1)", "TypeError", ["qkv_bias"]),
    ("a block of width 36 and 8 heads", "sl.TransformerBlock(36, 8, 8)", "ValueError", ["emb_dim (36)", "n_heads (8)", "divisible"]),
    ("GPT: heads set to one that does not divide the width", "m = sl.GPTModel(1); m.n_heads = 5", "ValueError", ["emb_dim (64)", "n_heads (5)", "divisible"]),
    ("GPT: heads set to a float", "m = sl.GPTModel(1); m.n_heads = 2.0", "TypeError", ["n_heads"]),
]

META = [
    ("meta-device x", "sl.gradient_profile(NET(), torch.empty(2, 3, device='meta'))", "ValueError", ["x", "meta"]),
    ("meta-device target", "sl.weight_gradient_means(NET(), [[1.0, 2.0, 3.0]], torch.empty(1, 1, device='meta'))", "ValueError", ["target", "meta"]),
    ("meta-device model", "sl.weight_gradient_means(NET().to('meta'), [[1.0, 2.0, 3.0]])", "ValueError", ["model", "meta"]),
    ("forward of a meta x", "NET()(torch.empty(2, 3, device='meta'))", "ValueError", ["x", "meta"]),
    ("forward of a meta network", "NET().to('meta')(torch.zeros(2, 3))", "ValueError", ["meta"]),
    ("a meta GPT's forward", "GPT().to('meta')(TT.x[:2])", "ValueError", ["meta"]),
    ("a GPT built on meta, probed", "with torch.device('meta'): m = sl.GPTModel(2, 16, 2, 8, seed=None)\nsl.transformer_profile(m, TT.x[:2], TT.y[:2])", "ValueError", ["model", "meta"]),
    ("meta token ids", "sl.transformer_profile(GPT(), TT.x[:2].to('meta'), TT.y[:2])", "ValueError", ["x", "meta"]),
    ("a block on a meta x", "sl.TransformerBlock(16, 2, 8)(torch.zeros(2, 8, 16, device='meta'))", "ValueError", ["x", "meta"]),
    ("plot a meta tensor", "sl.plot_gradients({'plain': torch.empty(3, device='meta')})", "ValueError", ["series['plain']", "meta"]),
    ("derivative at meta points", "sl.activation_derivative('tanh', torch.empty(3, device='meta'))", "ValueError", ["x", "meta"]),
    ("a Task of meta tensors", "sl.Task('regression', 'regression', torch.zeros(4, 1, device='meta'), torch.zeros(4, 1, device='meta'))", "ValueError", ["Task.x", "meta"]),
    ("a TokenTask of meta tensors", "sl.TokenTask(TT.x.to('meta'), TT.y.to('meta'), 16, 2)", "ValueError", ["TokenTask.x", "meta"]),
]

SEEDS = [
    ("seed 2**64 for spirals", "sl.make_spirals(seed=2**64)", "ValueError", ["seed", str(2**64)]),
    ("seed 2**64 for regression", "sl.make_regression(seed=2**64)", "ValueError", ["seed"]),
    ("seed 2**64 for train", "sl.train(seed=2**64, steps=1)", "ValueError", ["seed", "2147483647"]),
    ("seed 2**64 for the token task", "sl.make_token_task(8, seed=2**64)", "ValueError", ["seed", "18446744073709551615"]),
    ("seed -2**63-1 for the token task", "sl.make_token_task(8, seed=-(2**63) - 1)", "ValueError", ["seed", "-9223372036854775808"]),
    ("seed 2**64 for train_transformer", "sl.train_transformer(GPT(), TT, steps=1, batch_size=4, seed=2**64)", "ValueError", ["seed", "18446744073709551615"]),
    ("seed 2**64 - 1 is torch's largest", "sl.make_token_task(8, seed=2**64 - 1)", None, []),
]

CONTAINERS = [
    ("a malformed Task", "sl.Task('spirals', 'classification', torch.zeros(4), torch.zeros(4, 1))", "TypeError", ["Task.x", "2-D"]),
    ("a Task of another kind", "sl.Task('spirals', 'ranking', torch.zeros(4, 2), torch.zeros(4, 1))", "ValueError", ["kind", "'classification'"]),
    ("a Task of NaN inputs", "sl.Task('regression', 'regression', torch.full((4, 1), float('nan')), torch.zeros(4, 1))", "ValueError", ["Task.x", "NaN"]),
    ("a Task of inf targets", "sl.Task('regression', 'regression', torch.zeros(4, 1), torch.full((4, 1), float('inf')))", "ValueError", ["Task.y", "NaN or inf"]),
    ("a classification Task labelled 2", "sl.Task('spirals', 'classification', torch.zeros(4, 2), torch.full((4, 1), 2.0))", "ValueError", ["Task.y", "0.0 or 1.0", "2"]),
    ("a Task of no features", "sl.Task('spirals', 'classification', torch.zeros(4, 0), torch.zeros(4, 1))", "ValueError", ["Task.x", "features", "0"]),
    ("a Task named None", "sl.Task(None, 'regression', torch.zeros(4, 1), torch.zeros(4, 1))", "TypeError", ["Task.name"]),
    ("a Task of float64", "t = sl.Task('regression', 'regression', torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64))\nsl.train(t, depth=1, width=2, steps=1, batch_size=4)", None, []),
    ("train on a Task of NaN", "sl.train(sl.Task('regression', 'regression', torch.full((8, 1), float('nan')), torch.zeros(8, 1)), steps=2)", "ValueError", ["NaN"]),
    ("TokenTask('abc', None, -3, 0)", "sl.TokenTask('abc', None, -3, 0)", "ValueError", ["TokenTask.vocab_size", "-3"]),
    ("TokenTask of a str", "sl.TokenTask('abc', None, 16, 2)", "TypeError", ["TokenTask.x", "'abc'"]),
    ("TokenTask with period 0", "sl.TokenTask(TT.x, TT.y, 16, 0)", "ValueError", ["TokenTask.period", "0"]),
    ("TokenTask of ids beyond the vocabulary", "sl.TokenTask(TT.x, TT.y, 4, 2)", "ValueError", ["TokenTask.x", "vocab_size=4"]),
    ("TokenTask of float ids", "sl.TokenTask(TT.x.float(), TT.y, 16, 2)", "TypeError", ["TokenTask.x", "float32"]),
    ("TokenTask with y of another shape", "sl.TokenTask(TT.x, TT.y[:, :4], 16, 2)", "ValueError", ["TokenTask.y", "(16, 4)"]),
    ("TokenTask of no sequences", "sl.TokenTask(TT.x[:0], TT.y[:0], 16, 2)", "TypeError", ["TokenTask.x", "(0, 8)"]),
    ("a ragged History", "sl.History('plain', ['in', '1', 'out'], [1.0, 0.5], [[1.0] * 3, [1.0]], [[1e-3] * 3] * 2, [[1.0] * 3] * 2)", "ValueError", ["History.weight_grad_mean", "one row per step"]),
    ("a History of None losses", "sl.History('plain', ['in', 'out'], [None], [[1.0] * 2], [[1e-3] * 2], [[1.0] * 2])", "TypeError", ["History.loss", "numbers"]),
    ("a History of str layer names", "sl.History('plain', 'abc', [1.0], [[1.0] * 3], [[1e-3] * 3], [[1.0] * 3])", "TypeError", ["History.layer_names"]),
    ("a History with settings None", "sl.History('plain', ['in'], [1.0], [[1.0]], [[1e-3]], [[1.0]], None)", "TypeError", ["History.settings"]),
    ("a GradientProfile of junk", "sl.GradientProfile(7, 'gelu', 2, [], [], [], 1.0, 0.0)", "TypeError", ["GradientProfile.names", "7"]),
    ("a TransformerProfile with a str loss", "sl.TransformerProfile([1.0], [1.0], [], [], 'x')", "TypeError", ["TransformerProfile.loss", "'x'"]),
    ("a History of str numbers, plotted", "sl.plot_training({'plain': sl.History('plain', ['in'], [1.0], [['a']], [[1e-3]], [[1.0]])})", "TypeError", ["plain's History.weight_grad_mean", "numbers"]),
]

# A value silently changed is refused instead.
CHANGED = [
    ("complex points", "sl.activation_derivative('tanh', torch.zeros(3, dtype=torch.complex64))", "TypeError", ["x", "real numbers", "complex64"]),
    ("complex series", "sl.plot_gradients({'plain': [1 + 2j, 1.0]})", "TypeError", ["series['plain']", "real", "abs()"]),
    ("a complex tensor series", "sl.plot_gradients({'plain': torch.tensor([1 + 2j])})", "TypeError", ["series['plain']", "complex64"]),
    ("complex spread", "sl.plot_spread({'a': np.array([1 + 1j])}, xlabel='x')", "TypeError", ["samples['a']", "real"]),
    ("None among a series", "sl.plot_gradients({'plain': [None, 1.0]})", "TypeError", ["series['plain']", "numbers"]),
    ("gain 1.01 off its slider", "sl.gradient_explorer(gain=1.01)", "ValueError", ["gain=1.01", "step 0.05", "such as 1"]),
    ("gain 1.05 on its slider", "e = sl.gradient_explorer(gain=1.05)\nCHECK(e.settings.gain == 1.05, 'gain')\ne.close()", None, []),
    ("token ids of shape (0, 8)", "sl.transformer_profile(GPT(), torch.zeros(0, 8, dtype=torch.long), torch.zeros(0, 8, dtype=torch.long))", "ValueError", ["x", "empty", "(0, 8)"]),
    ("a forward on no sequences", "GPT()(torch.zeros(0, 8, dtype=torch.long))", "ValueError", ["in_idx", "empty"]),
    ("x beyond float32", "sl.gradient_profile(NET(), torch.full((2, 3), 1e39, dtype=torch.float64))", "ValueError", ["x", "float32", "inf"]),
]

LATE = [
    ("a title matplotlib cannot read", "sl.plot_gradients({'plain': [1e-3]}, title='$\\\\frac{$')", "ValueError", ["title", "mathtext", "\\$"]),
    ("an xlabel matplotlib cannot read", "sl.plot_spread({'a': [1.0]}, xlabel='$\\\\frac{$')", "ValueError", ["xlabel", "mathtext"]),
    ("a reference label matplotlib cannot read", "sl.plot_final_losses(RUNS, reference=(0.7, '$^{$'))", "ValueError", ["reference's label"]),
    ("a lone dollar is text", "f = sl.plot_gradients({'plain': [1e-3]}, title='costs $5')\nf.canvas.draw()", None, []),
    ("a title of 3", "sl.plot_gradients({'plain': [1e-3]}, title=3)", "TypeError", ["title", "str"]),
    ("describe_backward of a TransformerProfile", "sl.describe_backward(sl.transformer_profile(GPT(), TT.x[:2], TT.y[:2]))", "TypeError", ["TransformerProfile", "stream_grad_norm"]),
    ("describe_forward of None", "sl.describe_forward(None)", "TypeError", ["profile", "GradientProfile", "None"]),
    ("describe_backward of empty lists", "sl.describe_backward(sl.GradientProfile([], [], [], [], [], [], 1.0, 0.0))", "TypeError", ["profile.output_grad_norm", "non-empty"]),
    ("a quiz answered 10**400", "fb = sl.quiz(NUMERIC).respond(10**400)\nCHECK(not fb.correct and 'Type a number' in fb.text, fb.text)", None, []),
    ("a choice answered 10**400", "sl.quiz(CHOICE).respond(10**400)", "ValueError", ["response", "..."]),
    ("sl.Quiz('01.a')", "CHECK(sl.Quiz('01.a').question.id == '01.a', 'question')", None, []),
    ("sl.Quiz(3)", "sl.Quiz(3)", "TypeError", ["question", "'01.a'", "int"]),
    ("sl.Quiz('99.z')", "sl.Quiz('99.z')", "ValueError", ["question", "'99.z'"]),
    ("a GradientExplorer of a str", "sl.GradientExplorer('depth=3', (), {})", "TypeError", ["settings", "ExplorerSettings", "str"]),
    ("a TrainingExplorer of ComparisonSettings", "sl.TrainingExplorer(sl.ComparisonSettings(), shown=(), limits={}, update_every=None)", "TypeError", ["settings", "TrainingSettings"]),
    ("a run of labels that are not str", "sl.plot_loss_curves({3: RUNS['a']})", "TypeError", ["runs' labels", "str"]),
    ("a model whose layers do not fit", "sl.weight_gradient_means(nn.Sequential(nn.Linear(3, 3), nn.Linear(4, 1)), torch.zeros(2, 3))", "ValueError", ["model(x) failed", "2x3 and 4x1"]),
]

VALID = [
    ("an all-zero input, in words", "p = sl.gradient_profile(NET(), torch.zeros(4, 3))\nCHECK('all zeros' in sl.describe_forward(p), sl.describe_forward(p))", None, []),
    ("a float64 tensor reads as the same numbers", "rows = [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]\nCHECK(sl.gradient_profile(NET(), torch.tensor(rows, dtype=torch.float64)) == sl.gradient_profile(NET(), rows), 'float64')", None, []),
    ("an int tensor reads as floats", "CHECK(torch.equal(NET()(torch.tensor([[1, 0, -1]])), NET()(torch.tensor([[1.0, 0.0, -1.0]]))), 'ints')", None, []),
    ("a bad argument draws no random numbers", "s = torch.get_rng_state()\nfor kw in (dict(activation='swish'), dict(gain=-1.0)):\n    try:\n        sl.DeepNetwork([3, 3, 1], **kw)\n    except ValueError:\n        pass\nCHECK(torch.equal(s, torch.get_rng_state()), 'rng')", None, []),
    ("tiny and huge gradients still get axes", "f = sl.plot_gradients({'plain': [1e-300, 1e300], 'b': [5e-324]})\nf.canvas.draw()", None, []),
]

# Dropout: probes repeatable and the global RNG untouched; training from the run's own RNG.
DROPOUT = [
    ("two probes with dropout agree", "m = GPT(drop_rate=0.5).train()\ns = torch.get_rng_state()\na, b = (sl.transformer_profile(m, TT.x[:4], TT.y[:4]) for _ in range(2))\nCHECK(a == b, 'two probes differ')\nCHECK(torch.equal(s, torch.get_rng_state()), 'global RNG drawn')", None, []),
    ("compare_transformer with dropout", "m = GPT(drop_rate=0.5).train()\ns = torch.get_rng_state()\nCHECK(sl.compare_transformer(m, TT.x[:4], TT.y[:4]) == sl.compare_transformer(m, TT.x[:4], TT.y[:4]), 'differ')\nCHECK(torch.equal(s, torch.get_rng_state()), 'global RNG drawn')\nCHECK(m.training, 'mode')", None, []),
    ("a dropout model's probe in eval", "m = GPT(drop_rate=0.5).eval()\nsl.transformer_profile(m, TT.x[:4], TT.y[:4])\nCHECK(not m.training, 'mode')", None, []),
    ("train_transformer with dropout", "s = torch.get_rng_state()\na, b = (sl.train_transformer(GPT(drop_rate=0.3), TT, steps=3, batch_size=4).loss for _ in range(2))\nCHECK(a == b, 'two runs differ')\nCHECK(torch.equal(s, torch.get_rng_state()), 'global RNG drawn')", None, []),
]

NETWORK = [
    ("forward with a wrong width", "NET()(torch.zeros(2, 4))", "ValueError", ["x", "4 features", "3"]),
    ("forward with a string", "NET()('abc')", "TypeError", ["x", "str"]),
    ("forward with a list", "NET()([[1.0, 0.0, -1.0]])", "TypeError", ["x", "torch.Tensor", "list"]),
    ("forward of a scalar", "NET()(torch.tensor(2.0))", "ValueError", ["x", "scalar"]),
    ("hidden states of a string", "NET().hidden_states('abc')", "TypeError", ["x", "str"]),
    ("gain 1e300", "sl.DeepNetwork([3, 3], gain=1e300)", "ValueError", ["gain", "100"]),
    ("layernorm over one unit", "sl.DeepNetwork([1, 1, 1], norm='layernorm')", "ValueError", ["norm", "width >= 2"]),
    ("final norm over one unit", "sl.DeepNetwork([3, 3, 1], final_norm=True)", "ValueError", ["final_norm", "width >= 2"]),
]
LAYER_SIZES = [  # (value, error, words)
    ("[]", "ValueError", ["[]", "at least two"]), ("[3]", "ValueError", ["[3]", "at least two"]),
    ("()", "ValueError", ["at least two"]), ("'3,3'", "TypeError", ["'3,3'", "str", "list or tuple"]),
    ("3", "TypeError", ["3", "int", "list or tuple"]), ("np.array([3, 3, 1])", "TypeError", ["ndarray"]),
    ("torch.tensor([3, 3, 1])", "TypeError", ["Tensor"]), ("{3: 1}", "TypeError", ["dict"]),
    ("None", "TypeError", ["None"]), ("[3, 3.0, 1]", "TypeError", ["element 1", "3.0", "float", "ints"]),
    ("[3.0, 3]", "TypeError", ["element 0", "3.0"]), ("[3, True, 1]", "TypeError", ["element 1", "True", "bool"]),
    ("[3, '3']", "TypeError", ["element 1", "'3'", "str"]), ("[3, 0, 1]", "ValueError", ["element 1 is 0", ">= 1"]),
    ("[3, 3, -2]", "ValueError", ["element 2 is -2", ">= 1"]), ("[0, 3]", "ValueError", ["element 0 is 0"]),
]
NETWORK_ARGUMENTS = [  # (argument, value, error, words)
    ("activation", "'swish'", "ValueError", ["'swish'", "'gelu'", "'relu'"]), ("activation", "'GELU'", "ValueError", ["'GELU'"]),
    ("activation", "None", "TypeError", ["None", "'gelu'"]), ("activation", "nn.ReLU", "TypeError", ["ReLU"]),
    ("activation", "'x' * 10**5", "ValueError", ["'xxx", "..."]),
    ("use_shortcut", "1", "TypeError", ["1", "int", "True or False"]), ("use_shortcut", "'yes'", "TypeError", ["'yes'", "str"]),
    ("use_shortcut", "None", "TypeError", ["None", "True or False"]),
    ("seed", "1.5", "TypeError", ["1.5", "float", "int"]), ("seed", "'1'", "TypeError", ["'1'", "str"]),
    ("seed", "True", "TypeError", ["True", "bool"]), ("seed", "2**64", "ValueError", [str(2**64)]),
    ("init", "'he'", "ValueError", ["'he'", "'default'", "'xavier'", "'kaiming'"]), ("init", "None", "TypeError", ["None", "'xavier'"]),
    ("init", "sl.INITS", "TypeError", ["tuple"]),
    ("norm", "'batchnorm'", "ValueError", ["'batchnorm'", "'none'", "'layernorm'"]), ("norm", "None", "TypeError", ["None"]),
    ("norm", "False", "TypeError", ["False", "'none'"]),
    ("gain", "-1.0", "ValueError", ["-1", "between 0 and 100"]), ("gain", "-1", "ValueError", ["-1"]),
    ("gain", "math.nan", "ValueError", ["nan", "finite"]), ("gain", "math.inf", "ValueError", ["inf", "finite"]),
    ("gain", "'2'", "TypeError", ["'2'", "str", "number"]), ("gain", "True", "TypeError", ["True", "bool", "number"]),
]
X_FOR_PROBES = [  # (x, error, words)
    ("torch.zeros(2, 4)", "ValueError", ["4 features", "takes 3", "(2, 4)"]), ("[[1.0, 2.0]]", "ValueError", ["2 features", "takes 3"]),
    ("torch.empty(0, 3)", "ValueError", ["empty", "(0, 3)"]), ("[]", "ValueError", ["empty"]), ("[[]]", "ValueError", ["empty"]),
    ("torch.tensor(1.0)", "ValueError", ["scalar"]), ("torch.tensor([[1.0, math.nan, 0.0]])", "ValueError", ["NaN or inf"]),
    ("torch.tensor([[1.0, math.inf, 0.0]])", "ValueError", ["NaN or inf"]), ("[[1.0, -math.inf, 0.0]]", "ValueError", ["NaN or inf"]),
    ("[[1, 2, 3], [1, 2]]", "TypeError", ["rows of equal length", "[[1, 2, 3], [1, 2]]"]),
    ("[['a', 'b', 'c']]", "TypeError", ["nested list of numbers", "'a'"]), ("'1, 0, -1'", "TypeError", ["str"]),
    ("np.zeros((1, 3))", "TypeError", ["ndarray"]), ("torch.tensor([[True, False, True]])", "TypeError", ["real numbers", "torch.bool"]),
    ("torch.zeros(2, 3, dtype=torch.complex64)", "TypeError", ["real numbers", "complex64"]),
]
PROBES_ON_MODELS = [  # (model, error, words)
    ("'model'", "TypeError", ["torch.nn.Module", "str"]), ("None", "TypeError", ["torch.nn.Module", "NoneType"]),
    ("lambda x: x", "TypeError", ["torch.nn.Module", "function"]), ("nn.Linear", "TypeError", ["torch.nn.Module", "type"]),
    ("nn.Linear(3, 1).to(torch.complex64)", "TypeError", ["weights", "complex64"]),
]
PROBING = [
    *[(f"layer_sizes={v}", f"sl.DeepNetwork({v}, seed=0)", e, ["layer_sizes", *w]) for v, e, w in LAYER_SIZES],
    *[(f"{a}={v}"[:60], f"sl.DeepNetwork([3, 3, 1], **{{'seed': 0, {a!r}: {v}}})", e, [a, *w]) for a, v, e, w in NETWORK_ARGUMENTS],
    *[(f"{p}: x={x}", f"sl.{p}(NET(), {x})", e, ["x", *w]) for x, e, w in X_FOR_PROBES for p in ("weight_gradient_means", "print_gradients", "gradient_profile")],
    *[(f"{p}: model={m}", f"sl.{p}({m}, [[1.0, 0.0, -1.0]])", e, ["model", *w]) for m, e, w in PROBES_ON_MODELS for p in ("weight_gradient_means", "gradient_profile")],
    ("a target of another shape", "sl.gradient_profile(NET(), torch.zeros(2, 3), torch.zeros(2, 2))", "ValueError", ["target", "(2, 2)", "(2, 1)"]),
    ("a 1-D target", "sl.weight_gradient_means(NET(), torch.zeros(2, 3), [0.0, 0.0])", "ValueError", ["target", "(2,)", "(2, 1)"]),
    ("a NaN target", "sl.gradient_profile(NET(), torch.zeros(2, 3), [[math.nan], [0.0]])", "ValueError", ["target", "NaN or inf"]),
    ("a str target", "sl.print_gradients(NET(), torch.zeros(2, 3), 'zeros')", "TypeError", ["target", "str"]),
    ("an embedding model", "sl.weight_gradient_means(torch.nn.Embedding(10, 3), [[1.0]])", "TypeError", ["Embedding", "token ids"]),
    ("gradient_profile of a Sequential", "sl.gradient_profile(nn.Sequential(nn.Linear(3, 1)), [[1.0, 0.0, -1.0]])", "TypeError", ["model", "DeepNetwork", "Sequential", "weight_gradient_means"]),
    ("a model without weight matrices", "sl.weight_gradient_means(nn.Sequential(nn.Tanh()), [[1.0]])", "ValueError", ["model", "no weight matrices", "Sequential"]),
    ("a state string to profiles", "sl.Comparison().profiles('depth=5')", "TypeError", ["ComparisonSettings", "str"]),
    ("an unknown diagnostic", "sl.gradient_profile(NET(), [[1.0, 0.0, -1.0]]).diagnostic('grad_mean')", "ValueError", ["diagnostic", "'grad_mean'", "'weight_grad_mean'", "'output_grad_norm'"]),
    ("make_activation('softmax')", "sl.make_activation('softmax')", "ValueError", ["activation", "'softmax'", "'gelu'", "'identity'"]),
    ("make_activation(3)", "sl.make_activation(3)", "TypeError", ["activation", "3", "int"]),
    ("derivative at a list", "sl.activation_derivative('tanh', [0.0])", "TypeError", ["x", "torch.Tensor", "list"]),
    ("derivative of 'elu'", "sl.activation_derivative('elu', torch.zeros(2))", "ValueError", ["activation", "'elu'"]),
]

PLOTTING = [
    ("decade_step 0", "sl.GradientPlot(decade_step=0)", "ValueError", ["decade_step", "0"]),
    ("labels a string", "sl.GradientPlot(labels='plain')", "TypeError", ["labels", "'plain'"]),
    ("labels twice", "sl.GradientPlot(labels=['a', 'a'])", "ValueError", ["labels", "distinct"]),
    ("show_note 'yes'", "sl.GradientPlot(show_note='yes')", "TypeError", ["show_note"]),
    ("hidden a str", "sl.GradientPlot().update({'plain': [1.0]}, hidden='plain')", "TypeError", ["hidden", "'plain'"]),
    ("emphasis a number", "sl.GradientPlot().update({'plain': [1.0]}, emphasis=3)", "TypeError", ["emphasis", "3"]),
    ("models twice", "sl.TrainingPlot(models=('a', 'a'))", "ValueError", ["models", "one or two distinct"]),
    ("models of numbers", "sl.TrainingPlot(models=(1, 2))", "TypeError", ["models", "str"]),
    ("a tensor that requires grad", "sl.plot_gradients({'plain': torch.ones(3, requires_grad=True)})", None, []),
    ("spread of a tensor that requires grad", "sl.plot_spread({'a': torch.ones(3, requires_grad=True)}, xlabel='x')", None, []),
    ("reference a number", "sl.plot_final_losses(RUNS, reference=5)", "TypeError", ["reference", "(value, label)"]),
    ("reference of one", "sl.plot_final_losses(RUNS, reference=(1.0,))", "TypeError", ["reference"]),
    ("reference NaN", "sl.plot_final_losses(RUNS, reference=(math.nan, 'x'))", "ValueError", ["reference's value", "finite"]),
    ("band of one", "sl.plot_gradients({'plain': [1e-3]}, band=(1.0,))", "TypeError", ["band", "pair"]),
    ("band reversed", "sl.plot_gradients({'plain': [1e-3]}, band=(1.0, 0.1))", "ValueError", ["band", "low < high"]),
    ("band NaN", "sl.plot_gradients({'plain': [1e-3]}, band=(float('nan'), 1.0))", "ValueError", ["band"]),
    ("ncols a string", "sl.plot_loss_curves(RUNS, ncols='2')", "TypeError", ["ncols", "int"]),
    ("runs a list", "sl.plot_loss_curves([RUNS['a']])", "TypeError", ["runs", "dict"]),
    ("runs of History alone", "sl.plot_final_losses({'a': RUNS['a']['plain']})", "TypeError", ["runs['a']", "History"]),
    ("figure a string", "sl.plot_gradients({'plain': [1e-3]}, figure='abc')", "TypeError", ["figure", "Figure"]),
    ("negative total steps", "sl.TrainingPlot().update(RUNS['a'], total_steps=-5)", "ValueError", ["total_steps", "-5"]),
    ("three models to plot_training", "sl.plot_training({'a': RUNS['a']['plain'], 'b': RUNS['a']['plain'], 'c': RUNS['a']['plain']})", "ValueError", ["histories' models", "one or two"]),
    ("spread of 2-D values", "sl.plot_spread({'a': [[1.0, 2.0]]}, xlabel='x')", "ValueError", ["1-D"]),
    ("spread of None", "sl.plot_spread({'a': None}, xlabel='x')", "TypeError", ["sequence of numbers"]),
    ("spread without an xlabel", "sl.plot_spread({'a': [1.0]}, xlabel=None)", "TypeError", ["xlabel", "str"]),
    ("curves named by numbers", "sl.plot_activations([0.0, 1.0], {3: [0.0, 1.0]})", "TypeError", ["values' names", "str"]),
    ("one model's means plot", "sl.plot_gradients(sl.weight_gradient_means(sl.DeepNetwork([3, 3, 1]), [[1.0, 0.0, -1.0]]))", None, []),
    ("a TransformerProfile as a series", "sl.plot_gradients({'a': sl.transformer_profile(GPT(), TT.x[:2], TT.y[:2])})", "TypeError", ["TransformerProfile", "stream_grad_norm"]),
]

EXPLORERS = [
    ("lr True", "sl.training_explorer(lr=True)", "TypeError", ["lr", "number"]),
    ("width off the slider", "sl.training_explorer(width=129)", "ValueError", ["width=129", "slider"]),
    ("batch larger than the task", "sl.training_explorer(batch_size=1000)", "ValueError", ["batch_size", "256"]),
    ("float limits", "sl.gradient_explorer(limits={'depth': (1.5, 10)})", "TypeError", ["limits['depth']", "ints"]),
    ("duplicate controls", "sl.gradient_explorer(controls=('depth', 'depth'))", "ValueError", ["controls", "distinct"]),
    ("limits not a dict", "sl.gradient_explorer(limits=[('depth', 1, 10)])", "TypeError", ["limits", "dict"]),
    ("limits of one", "sl.gradient_explorer(limits={'depth': (1,)})", "TypeError", ["limits['depth']", "pair"]),
    ("training controls unknown", "sl.training_explorer(controls=('dept',))", "ValueError", ["controls", "dept"]),
]
# fmt: on

CASES = [
    *SIZES,
    *STATE_STRINGS,
    *CONTEXTS,
    *GPT_LAYERS,
    *META,
    *SEEDS,
    *CONTAINERS,
    *CHANGED,
    *LATE,
    *VALID,
    *DROPOUT,
    *NETWORK,
    *PROBING,
    *PLOTTING,
    *EXPLORERS,
]

CHILD = textwrap.dedent(
    """
    import json, math, os, resource, sys, traceback
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    import torch
    from torch import nn
    import shortcut_lib as sl

    LIBRARY = os.path.dirname(sl.__file__)


    class Silent(Exception):
        "A case that ran, but changed what it must leave alone."


    def CHECK(condition, words):
        if not condition:
            raise Silent(words)


    def NET():
        return sl.DeepNetwork([3, 3, 1], seed=0)


    def GPT(**options):
        return sl.GPTModel(2, 16, 2, 8, 16, **options)


    TT = sl.make_token_task(16, 8, 16)
    RUNS = {"a": sl.train(depth=2, width=4, steps=2)}
    NUMERIC = next(k for k, q in sl.QUESTIONS.items() if q.numeric)
    CHOICE = next(k for k, q in sl.QUESTIONS.items() if not q.numeric)
    FIXTURES = dict(globals())
    results = {}
    for case_id, code in json.loads(sys.argv[1]):
        try:
            exec(code, dict(FIXTURES))
            results[case_id] = [None, "", True]
        except BaseException as exc:  # what escapes, whatever it is, is the finding
            where = traceback.extract_tb(exc.__traceback__)[-1].filename
            ours = os.path.abspath(where).startswith(LIBRARY)
            results[case_id] = [type(exc).__name__, str(exc)[:2000], ours]
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def outcomes():
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    calls = json.dumps([(case_id, code) for case_id, code, _, _ in CASES])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, calls],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_case_ids_are_distinct():
    ids = [case[0] for case in CASES]
    assert len(set(ids)) == len(ids), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize(("case_id", "code", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(outcomes, case_id, code, error, words):
    got, message, ours = outcomes[case_id]
    assert got == error, f"{code}: expected {error}, got {got}: {message[:300]}"
    if error is None:
        return
    assert ours, f"{code}: raised deep inside a library, not by shortcut_lib's checks: {message}"
    for word in words:
        assert word in message, f"{word!r} not in {message[:300]!r}"
    assert len(message) < 1000, "a message echoes at most a short piece of the input"
