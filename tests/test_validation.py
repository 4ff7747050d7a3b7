"""Every bad input meets a ValueError or TypeError, raised by shortcut_lib itself, whose message
names the argument and the value received or what is allowed."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import shortcut_lib as sl

LIBRARY = Path(sl.__file__).resolve().parent


def assert_clear_error(exc_type, call, *fragments):
    """``call()`` raises exactly ``exc_type`` from inside shortcut_lib, mentioning each fragment."""
    with pytest.raises(exc_type, match=re.escape(fragments[0])) as info:
        call()
    error = info.value
    assert type(error) is exc_type, f"expected exactly {exc_type.__name__}, got {type(error)!r}"
    assert not isinstance(error, RuntimeError)
    # Raised by our own checks at the public boundary, not by torch internals.
    raised_in = Path(str(info.traceback[-1].path)).resolve()
    assert LIBRARY in raised_in.parents, f"raised in {raised_in}, not in shortcut_lib"
    message = str(error)
    for fragment in fragments[1:]:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def network(**overrides):
    kwargs = dict(layer_sizes=[3, 3, 1], seed=0)
    kwargs.update(overrides)
    return lambda: sl.DeepNetwork(**kwargs)


# --- DeepNetwork arguments ---------------------------------------------------------------------

LAYER_SIZES_CASES = [
    # (value, error type, fragments the message must contain)
    ([], ValueError, ["layer_sizes", "[]", "at least two"]),
    ([3], ValueError, ["layer_sizes", "[3]", "at least two"]),
    ((), ValueError, ["layer_sizes", "at least two"]),
    ("3,3", TypeError, ["layer_sizes", "'3,3'", "str", "list or tuple"]),
    (3, TypeError, ["layer_sizes", "3", "int", "list or tuple"]),
    (np.array([3, 3, 1]), TypeError, ["layer_sizes", "ndarray", "list or tuple"]),
    (torch.tensor([3, 3, 1]), TypeError, ["layer_sizes", "Tensor", "list or tuple"]),
    ({3: 1}, TypeError, ["layer_sizes", "dict"]),
    (None, TypeError, ["layer_sizes", "None"]),
    ([3, 3.0, 1], TypeError, ["layer_sizes", "element 1", "3.0", "float", "ints"]),
    ([3.0, 3], TypeError, ["layer_sizes", "element 0", "3.0", "float"]),
    ([3, True, 1], TypeError, ["layer_sizes", "element 1", "True", "bool"]),
    ([3, "3"], TypeError, ["layer_sizes", "element 1", "'3'", "str"]),
    ([3, 0, 1], ValueError, ["layer_sizes", "element 1 is 0", ">= 1"]),
    ([3, 3, -2], ValueError, ["layer_sizes", "element 2 is -2", ">= 1"]),
    ([0, 3], ValueError, ["layer_sizes", "element 0 is 0"]),
]


@pytest.mark.parametrize(
    ("value", "exc_type", "fragments"),
    LAYER_SIZES_CASES,
    ids=[repr(c[0]) for c in LAYER_SIZES_CASES],
)
def test_bad_layer_sizes(value, exc_type, fragments):
    assert_clear_error(exc_type, network(layer_sizes=value), *fragments)


ARGUMENT_CASES = [
    ("activation", "swish", ValueError, ["activation", "'swish'", "'gelu'", "'relu'"]),
    ("activation", "GELU", ValueError, ["activation", "'GELU'", "'gelu'"]),
    ("activation", None, TypeError, ["activation", "None", "'gelu'"]),
    ("activation", nn.ReLU, TypeError, ["activation", "ReLU"]),
    ("use_shortcut", 1, TypeError, ["use_shortcut", "1", "int", "True or False"]),
    ("use_shortcut", "yes", TypeError, ["use_shortcut", "'yes'", "str", "True or False"]),
    ("use_shortcut", None, TypeError, ["use_shortcut", "None", "True or False"]),
    ("seed", 1.5, TypeError, ["seed", "1.5", "float", "int"]),
    ("seed", "1", TypeError, ["seed", "'1'", "str", "int"]),
    ("seed", True, TypeError, ["seed", "True", "bool", "int"]),
    ("seed", 2**64, ValueError, ["seed", str(2**64)]),
    ("init", "he", ValueError, ["init", "'he'", "'default'", "'xavier'", "'kaiming'"]),
    ("init", None, TypeError, ["init", "None", "'xavier'"]),
    ("norm", "batchnorm", ValueError, ["norm", "'batchnorm'", "'none'", "'layernorm'"]),
    ("norm", None, TypeError, ["norm", "None", "'layernorm'"]),
    ("norm", False, TypeError, ["norm", "False", "'none'"]),
    ("gain", -1.0, ValueError, ["gain", "-1", "between 0 and 100"]),
    ("gain", 1e300, ValueError, ["gain", "1e+300", "between 0 and 100"]),
    ("gain", -1, ValueError, ["gain", "-1", "between 0 and 100"]),
    ("gain", math.nan, ValueError, ["gain", "nan", "finite"]),
    ("gain", math.inf, ValueError, ["gain", "inf", "finite"]),
    ("gain", "2", TypeError, ["gain", "'2'", "str", "number"]),
    ("gain", True, TypeError, ["gain", "True", "bool", "number"]),
]


@pytest.mark.parametrize(
    ("argument", "value", "exc_type", "fragments"),
    ARGUMENT_CASES,
    ids=[f"{c[0]}={c[1]!r}" for c in ARGUMENT_CASES],
)
def test_bad_network_arguments(argument, value, exc_type, fragments):
    assert_clear_error(exc_type, network(**{argument: value}), *fragments)


def test_a_bad_argument_draws_no_random_numbers():
    """Validation runs before any weight is drawn, so a typo does not shift the global RNG."""
    torch.manual_seed(0)
    before = torch.get_rng_state()
    with pytest.raises(ValueError):
        sl.DeepNetwork([3, 3, 1], activation="swish")
    with pytest.raises(ValueError):
        sl.DeepNetwork([3, 3, 1], gain=-1.0)
    assert torch.equal(torch.get_rng_state(), before)


# --- inputs to the probes and to forward -------------------------------------------------------

PROBES = [sl.weight_gradient_means, sl.print_gradients, sl.gradient_profile]
PROBE_IDS = [p.__name__ for p in PROBES]

X_CASES = [
    (torch.zeros(2, 4), ValueError, ["x", "4 features", "takes 3", "(2, 4)"]),
    ([[1.0, 2.0]], ValueError, ["x", "2 features", "takes 3"]),
    (torch.empty(0, 3), ValueError, ["x", "empty", "(0, 3)"]),
    ([], ValueError, ["x", "empty"]),
    ([[]], ValueError, ["x", "empty"]),
    (torch.tensor(1.0), ValueError, ["x", "scalar"]),
    (torch.tensor([[1.0, math.nan, 0.0]]), ValueError, ["x", "NaN or inf"]),
    (torch.tensor([[1.0, math.inf, 0.0]]), ValueError, ["x", "NaN or inf"]),
    ([[1.0, -math.inf, 0.0]], ValueError, ["x", "NaN or inf"]),
    ([[1, 2, 3], [1, 2]], TypeError, ["x", "rows of equal length", "[[1, 2, 3], [1, 2]]"]),
    ([["a", "b", "c"]], TypeError, ["x", "nested list of numbers", "'a'"]),
    ("1, 0, -1", TypeError, ["x", "str"]),
    (np.zeros((1, 3)), TypeError, ["x", "ndarray"]),
    (torch.tensor([[True, False, True]]), TypeError, ["x", "real numbers", "torch.bool"]),
]


@pytest.mark.parametrize("probe", PROBES, ids=PROBE_IDS)
@pytest.mark.parametrize(
    ("x", "exc_type", "fragments"), X_CASES, ids=[f"x{i}" for i in range(len(X_CASES))]
)
def test_bad_x_for_the_probes(probe, x, exc_type, fragments):
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    assert_clear_error(exc_type, lambda: probe(model, x), *fragments)


@pytest.mark.parametrize("probe", PROBES, ids=PROBE_IDS)
def test_target_shape_mismatch_names_both_shapes(probe):
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    x = torch.zeros(2, 3)
    assert_clear_error(
        ValueError, lambda: probe(model, x, torch.zeros(2, 2)), "target", "(2, 2)", "(2, 1)"
    )
    assert_clear_error(ValueError, lambda: probe(model, x, [0.0, 0.0]), "target", "(2,)", "(2, 1)")


@pytest.mark.parametrize("probe", PROBES, ids=PROBE_IDS)
def test_bad_target_values(probe):
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    x = torch.zeros(2, 3)
    assert_clear_error(
        ValueError, lambda: probe(model, x, [[math.nan], [0.0]]), "target", "NaN or inf"
    )
    assert_clear_error(TypeError, lambda: probe(model, x, "zeros"), "target", "str")


@pytest.mark.parametrize("probe", PROBES, ids=PROBE_IDS)
@pytest.mark.parametrize(
    "model", ["model", None, lambda x: x, nn.Linear], ids=["str", "None", "function", "class"]
)
def test_model_must_be_a_module(probe, model):
    assert_clear_error(
        TypeError,
        lambda: probe(model, [[1.0, 0.0, -1.0]]),
        "model",
        "torch.nn.Module",
        type(model).__name__,
    )


def test_gradient_profile_names_the_module_it_cannot_profile():
    model = nn.Sequential(nn.Linear(3, 1))
    assert_clear_error(
        TypeError,
        lambda: sl.gradient_profile(model, [[1.0, 0.0, -1.0]]),
        "model",
        "DeepNetwork",
        "Sequential",
        "weight_gradient_means",
    )


def test_a_module_without_weight_matrices_cannot_be_probed():
    model = nn.Sequential(nn.Tanh())
    assert_clear_error(
        ValueError,
        lambda: sl.weight_gradient_means(model, [[1.0]]),
        "model",
        "no weight matrices",
        "Sequential",
    )


def test_forward_with_the_wrong_number_of_features_names_both_numbers():
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    assert_clear_error(ValueError, lambda: model(torch.zeros(5, 7)), "x", "7 features", "takes 3")
    assert_clear_error(ValueError, lambda: model(torch.tensor(2.0)), "x", "scalar")


def test_forward_needs_a_tensor():
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    assert_clear_error(TypeError, lambda: model([[1.0, 0.0, -1.0]]), "x", "torch.Tensor", "list")


# --- inputs the probes read as numbers must reach the model as its own dtype -------------------


@pytest.mark.parametrize(
    "probe",
    [sl.weight_gradient_means, sl.gradient_profile],
    ids=["weight_gradient_means", "gradient_profile"],
)
def test_a_float64_tensor_is_not_met_by_a_torch_dtype_error(probe):
    """torch.from_numpy gives float64: the probe should read it like a nested list of the same
    numbers, or refuse it with a ValueError/TypeError naming x and its dtype."""
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    rows = [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]
    try:
        got = probe(model, torch.tensor(rows, dtype=torch.float64))
    except (ValueError, TypeError) as error:
        assert "x" in str(error) and "float64" in str(error)
        assert type(error) in (ValueError, TypeError)
    else:
        assert got == probe(model, rows)


def test_forward_reads_an_integer_tensor_like_the_probes_do():
    """The probes accept integer tensors; forward should either accept them too or say why,
    never fail with torch's 'mat1 and mat2 must have the same dtype'."""
    model = sl.DeepNetwork([3, 3, 1], seed=0)
    try:
        got = model(torch.tensor([[1, 0, -1]]))
    except (ValueError, TypeError) as error:
        assert "x" in str(error) and "int64" in str(error)
    else:
        torch.testing.assert_close(got, model(torch.tensor([[1.0, 0.0, -1.0]])))


# --- activations and profiles ------------------------------------------------------------------


def test_make_activation_names_the_argument_and_the_value():
    assert_clear_error(
        ValueError,
        lambda: sl.make_activation("softmax"),
        "activation",
        "'softmax'",
        "'gelu'",
        "'identity'",
    )
    assert_clear_error(TypeError, lambda: sl.make_activation(3), "activation", "3", "int")


def test_activation_derivative_arguments():
    assert_clear_error(
        TypeError, lambda: sl.activation_derivative("tanh", [0.0]), "x", "torch.Tensor", "list"
    )
    assert_clear_error(
        ValueError, lambda: sl.activation_derivative("elu", torch.zeros(2)), "activation", "'elu'"
    )


def test_unknown_diagnostic_names_the_value_and_the_valid_ones():
    profile = sl.gradient_profile(sl.DeepNetwork([3, 3, 1], seed=0), [[1.0, 0.0, -1.0]])
    assert_clear_error(
        ValueError,
        lambda: profile.diagnostic("grad_mean"),
        "diagnostic",
        "'grad_mean'",
        "'weight_grad_mean'",
        "'weight_grad_norm'",
        "'output_grad_norm'",
    )
