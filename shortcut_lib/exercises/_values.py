"""What came back from a learner's function, read without trusting it, and said in words.

:func:`plain` turns what a function returned into plain data while the learner's code is still
guarded (its ``__repr__``, ``__len__`` or ``__float__`` may raise, loop or print): lists, tuples,
dicts of str, numbers, strings, genuine tensors and modules stay; anything else becomes an
:class:`Opaque` that carries its words. Everything after that reads only plain data: a size is
judged before any ``repr``, and a tensor's dtype, device and layout before its values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

MAX_ITEMS = 10_000  # a list longer than any answer here is described by its length, not copied
_TENSORS = (torch.Tensor, nn.Parameter)


class Failure(Exception):
    """Raised inside a check to say, in words, what is wrong with what the learner's code did."""


@dataclass(frozen=True)
class Opaque:
    """Something a function returned that is not plain data, kept as words only."""

    words: str


def plain(value: object, depth: int = 0) -> object:
    """``value`` as plain data (see the module's docstring); run it while the learner's code
    is guarded, since reading an unknown object runs its code."""
    kind = type(value)
    if value is None or value is Ellipsis or kind in (bool, int, float, str, bytes, Opaque):
        return value
    if kind in _TENSORS:
        return value
    if isinstance(value, (list, tuple)):  # a named tuple or torch.Size too, read as its items
        base = list if isinstance(value, list) else tuple
        if len(value) > MAX_ITEMS or depth > 4:
            return Opaque(f"a {base.__name__} of {len(value):,} items")
        return base(plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS or depth > 4 or any(type(k) is not str for k in value):
            return Opaque(f"a dict of {len(value):,} items (expected string keys)")
        return {k: plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, nn.Module):
        return value  # a layer the learner built (01.1): the check runs it, guarded
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)  # a NumPy scalar, for one
    return Opaque(_opaque_words(value))


def _opaque_words(value: object) -> str:
    name = type(value).__name__
    if isinstance(value, torch.Tensor):
        return f"a tensor of type {name} (a subclass of torch.Tensor; return a plain tensor)"
    try:
        text = repr(value)
    except Exception as exc:  # a repr that raises is the learner's to fix, not the checker's
        return f"an object of type {name} (whose repr raised {type(exc).__name__})"
    if type(text) is not str:
        return f"an object of type {name}"
    return f"{_cut(text, 50)} of type {name}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- in words -------------------------------------------------------------------------------------


def describe(value: object) -> str:
    """What a function returned, in words: ``None``, the starter's ``...``, a tensor's shape.
    A long string or list is described by its size before anything is printed."""
    if value is None:
        return "None (is a `return` missing?)"
    if value is Ellipsis:
        return "... (the starter's placeholder: replace it with your code)"
    if isinstance(value, Opaque):
        return value.words
    if type(value) in _TENSORS:
        return f"a tensor of shape {tuple(value.shape)}{_unusual(value)}"
    if type(value) in (str, bytes) and len(value) > 50:
        return f"a {type(value).__name__} of {len(value):,} characters, {short(value[:30])}"
    return f"{short(value)} of type {type(value).__name__}"


def short(value: object, limit: int = 50) -> str:
    """A plain value as code would show it, cut to ``limit`` characters, built piece by piece
    so that a long list costs no more than its first items."""
    kind = type(value)
    if kind in (list, tuple):
        parts, size = [], 2
        for item in value:
            part = short(item, limit)
            size += len(part) + 2
            parts.append(part)
            if size > limit:
                break
        text = ", ".join(parts) + ("," if kind is tuple and len(value) == 1 else "")
        return _cut("[" + text + "]" if kind is list else "(" + text + ")", limit)
    if kind is dict:
        return _cut(
            "{" + ", ".join(f"{k!r}: {short(v, limit)}" for k, v in value.items()) + "}", limit
        )
    if kind in _TENSORS:
        if value.numel() == 1 and not _unusual(value):
            return f"tensor({value.item():.4g})"
        return f"<a tensor of shape {tuple(value.shape)}{_unusual(value)}>"
    if kind is int and value.bit_length() > 128:
        return f"<an int of about {int(value.bit_length() * math.log10(2)):,} digits>"
    if kind in (str, bytes):
        return _cut(repr(value[: limit + 1]), limit)
    if isinstance(value, Opaque):
        return f"<{value.words}>"
    if isinstance(value, nn.Module):
        return f"<a {kind.__name__} module>"
    return _cut(repr(value), limit)


def shown(value: object) -> str:
    """Any value in a few words, even one whose repr raises or would be huge: for the errors
    that bad arguments to the checker raise."""
    try:
        return short(plain(value))
    except Exception:  # noqa: BLE001 - words about the value must not fail on it
        return f"<an object of type {type(value).__name__}>"


def _unusual(tensor: torch.Tensor) -> str:
    """What makes a tensor unreadable as numbers, in words, or ""."""
    if tensor.device.type != "cpu":
        return f" on the {tensor.device.type} device"
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_nested:
        return f" with layout {tensor.layout}"
    if not tensor.is_floating_point() or torch.finfo(tensor.dtype).bits < 32:
        return f" of dtype {tensor.dtype}"
    return ""


def sizes_text(sizes: list[int]) -> str:
    """Layer sizes as a reader would type them: ``[16] * 31`` rather than 31 sixteens."""
    if len(sizes) > 4 and len(set(sizes)) == 1:
        return f"[{sizes[0]}] * {len(sizes)}"
    return str(sizes)


def fmt(value: float, digits: int = 3) -> str:
    """A number to 3 significant digits: what the learner needs to compare, and no more digits
    than every CPU agrees on."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.{digits}g}"


def fmt_pair(got: float, expected: float) -> tuple[str, str]:
    """Two numbers that differ, with enough digits to show that they do: never "returned 1;
    expected 1"."""
    for digits in (3, 5, 7, 9, 12, 17):
        pair = fmt(got, digits), fmt(expected, digits)
        if pair[0] != pair[1]:
            return pair
    return pair


def returned(got: float, expected: float, what: str = "it returned") -> str:
    g, e = fmt_pair(got, expected)
    return f"{what} {g}; expected {e}"


# --- reading numbers and tensors ------------------------------------------------------------------

_LOW_PRECISION = (
    "{what} a tensor of dtype {dtype}, which keeps only about {digits} significant digits; "
    "compute in the input's dtype (float32)"
)


def as_tensor(value: object, shape: tuple[int, ...], what: str = "it returned") -> torch.Tensor:
    """``value`` as a float64 tensor of ``shape``, or a :class:`Failure` saying what it is."""
    if type(value) not in _TENSORS:
        hint = " (torch.tensor(...) makes one from a list)" if type(value) is list else ""
        raise Failure(f"{what} {describe(value)}; expected a torch.Tensor of shape {shape}{hint}")
    _readable(value, what)
    if tuple(value.shape) != tuple(shape):
        raise Failure(f"{what} a tensor of shape {tuple(value.shape)}; expected shape {shape}")
    return value.detach().to(torch.float64)


def _readable(tensor: torch.Tensor, what: str) -> None:
    """A :class:`Failure` for a tensor whose values cannot stand for real numbers as computed."""
    if tensor.device.type == "meta":
        raise Failure(f"{what} a tensor on the meta device: it has a shape but no values")
    if tensor.device.type != "cpu":
        raise Failure(f"{what} a tensor on the {tensor.device} device; the check reads the CPU's")
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_nested:
        raise Failure(f"{what} a tensor with layout {tensor.layout}; expected a plain dense one")
    if tensor.is_complex():
        raise Failure(f"{what} a tensor of complex numbers ({tensor.dtype}); expected real numbers")
    if not tensor.is_floating_point():
        raise Failure(
            f"{what} a tensor of dtype {tensor.dtype}; expected floating-point numbers (float32)"
        )
    info = torch.finfo(tensor.dtype)
    if info.bits < 32:
        digits = max(1, round(-math.log10(info.eps)))
        raise Failure(_LOW_PRECISION.format(what=what, dtype=tensor.dtype, digits=digits))


def as_number(value: object, what: str = "it returned") -> float:
    """``value`` as a float: a Python number or a one-element tensor."""
    if type(value) in (int, float):
        return float(value)
    if type(value) in _TENSORS and value.numel() == 1:
        _readable(value, what)
        return float(value.detach().double().item())
    raise Failure(f"{what} {describe(value)}; expected one number (a float)")


def as_numbers(value: object, count: int, what: str = "it returned") -> list[float]:
    """``value`` as ``count`` floats: a list, a tuple or a 1-D tensor of numbers."""
    if type(value) in _TENSORS and value.ndim == 1:
        _readable(value, what)
        value = value.detach().double().tolist()
    if type(value) not in (list, tuple):
        raise Failure(f"{what} {describe(value)}; expected a list of {count} numbers")
    if len(value) != count:
        many = "number" if len(value) == 1 else "numbers"
        raise Failure(f"{what} {len(value)} {many}; expected {count}, one per layer")
    return [as_number(v, f"{what} a list holding") for v in value]


def compare_tensors(
    got: object,
    expected: torch.Tensor,
    where: Callable[[tuple[int, ...]], str] | None = None,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    what: str = "it returned",
) -> str | None:
    """``None`` when ``got`` matches ``expected`` entry by entry, else the worst entry in words:
    where it is (``where(index)``), what came back and what was expected."""
    g = as_tensor(got, tuple(expected.shape), what)
    e = expected.detach().to(torch.float64)
    bad = ~torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    # The worst entry, NaN and inf first: the one that says most about what went wrong.
    error = ((g - e).abs() / (atol + rtol * e.abs())).nan_to_num(nan=math.inf)
    error[~bad] = -1.0
    index = _unravel(int(error.argmax()), tuple(error.shape))
    place = where(index) if where is not None else f"at index {list(index)}"
    return f"{place}, {returned(g[index].item(), e[index].item())}."


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of entry ``flat`` of a tensor of ``shape``, in row-major order. (Not
    ``torch.unravel_index``: its first call imports sympy, a second or more in a notebook.)"""
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


def compare_numbers(
    got: list[float], expected: list[float], labels: list[str], *, rtol: float = 1e-4
) -> str | None:
    """``None`` when two lists of numbers agree to ``rtol``, else the first that differs."""
    for label, g, e in zip(labels, got, expected, strict=True):
        if not math.isclose(g, e, rel_tol=rtol, abs_tol=1e-12):
            return f"for {label} {returned(g, e)}."
    return None
