"""Settings as data: frozen dataclasses whose fields carry their own range or choices.

Each field of a settings class is declared with :func:`setting`, which records what values it
takes and which kind of control sets it. From that one declaration come the validation (once, in
``__post_init__``), the one-line state string (``str(settings)`` and :meth:`Settings.parse`) and,
in ``widgets``, the control itself. A new setting is one new line.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ._checks import check_bool, check_choice, check_float, check_int, short_repr

__all__ = ["Settings", "Spec", "setting"]

S = TypeVar("S", bound="Settings")
_BOOL_WORDS = {"on": True, "off": False, "true": True, "false": False}
_ECHO = 40  # characters of a bad value repeated in a message: enough to spot it, never a flood


@dataclass(frozen=True)
class Spec:
    """What one setting takes, and how a control shows it.

    Attributes:
        low, high: the bounds of a number (inclusive), what the library can compute.
        choices: the allowed values of a choice.
        control: ``"slider"``, ``"text"`` (a number box), ``"dropdown"``, ``"toggle"``
            (a row of buttons) or ``"steps"`` (a slider over ``choices``).
        step: a slider's step; its values are snapped to it.
        shown: the slider range a control starts with, inside ``low``..``high``.
        labels: the words a toggle or dropdown shows for each choice.
        marks: the values a ``"steps"`` slider stops at (a number between them is still a
            valid setting, for code).
        view: the setting changes only what is shown (which wiring is drawn bold, which series),
            not what is computed: changing it redraws without a new probe.
    """

    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    control: str = "slider"
    step: float | None = None
    shown: tuple[float, float] | None = None
    labels: tuple[str, ...] | None = None
    marks: tuple[float, ...] | None = None
    view: bool = False


def setting(default: Any, **spec: Any) -> Any:
    """A dataclass field holding ``default`` and its :class:`Spec` (see there for the keywords)."""
    if "choices" in spec:
        spec["choices"] = tuple(spec["choices"])
        spec.setdefault("control", "dropdown")
    return dataclasses.field(default=default, metadata={"spec": Spec(**spec)})


class Settings:
    """Base of the settings dataclasses: checks every field, reads and writes state strings.

    Subclasses are ``@dataclass(frozen=True)`` with every field made by :func:`setting`, and may
    add checks across fields in ``_check_together``.
    """

    def __post_init__(self) -> None:
        errors = []
        for name, spec in self.specs().items():
            try:
                object.__setattr__(self, name, _check(name, getattr(self, name), spec))
            except (TypeError, ValueError) as exc:
                errors.append(exc)
        if errors:  # every bad field at once, not just the first
            kind = TypeError if all(isinstance(e, TypeError) for e in errors) else ValueError
            raise kind("; ".join(str(e) for e in errors))
        self._check_together()

    def _check_together(self) -> None:
        """Checks that involve several fields; raise ``ValueError``."""

    @classmethod
    def specs(cls) -> dict[str, Spec]:
        """``{field name: Spec}``, in declaration order."""
        return {f.name: f.metadata["spec"] for f in dataclasses.fields(cls)}

    def values(self) -> dict[str, Any]:
        """``{field name: value}``, in declaration order."""
        return {name: getattr(self, name) for name in self.specs()}

    def computed(self) -> tuple:
        """What the numbers depend on: the class and every field that is not view-only."""
        specs = self.specs()
        return (type(self), *(getattr(self, n) for n, spec in specs.items() if not spec.view))

    def replace(self: S, **changes: Any) -> S:
        """A copy with some fields changed (and checked)."""
        unknown = sorted(set(changes) - set(self.specs()))
        if unknown:
            raise TypeError(f"unknown setting(s) {unknown}; known: {', '.join(self.specs())}")
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        return format_state(self.values())

    @classmethod
    def parse(cls: type[S], text: str, base: S | None = None) -> S:
        """Read a state string such as ``"depth=50 width=64 activation=sigmoid"``.

        Fields left out keep their values from ``base`` (the defaults when ``None``).

        Raises:
            ValueError: naming every part that cannot be read, with a suggestion for a
                misspelt name or choice.
        """
        if not isinstance(text, str):
            raise TypeError(f"the state string must be a str; got {type(text).__name__}")
        if base is not None and not isinstance(base, cls):
            raise TypeError(f"base must be a {cls.__name__} or None; got {type(base).__name__}")
        specs = cls.specs()
        changes, errors = _read_parts(text, specs)
        if errors:  # also the values that read but are out of range: every bad part at once
            errors += _range_errors(changes, specs)
        else:
            try:
                return (base or cls()).replace(**changes)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError("state string: " + "; ".join(errors))


def format_state(values: Mapping[str, Any]) -> str:
    """``{name: value}`` as a state string, ``depth=50 width=64 ...``; numbers as short as they
    can be while still reading back to the same value."""
    return " ".join(f"{name}={format_value(value)}" for name, value in values.items())


def format_value(value: Any) -> str:
    """One value as the state string writes it: on/off for bools, 1 rather than 1.0, and a float
    as a person would write it: ``0.9999999999999999`` (a slider's rounding) is ``1``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        short = f"{value:.6g}"  # the short form, when it is the value up to float rounding
        if math.isclose(float(short), value, rel_tol=4e-16, abs_tol=0.0):
            return short
        return repr(value)
    return str(value)


def _check(name: str, value: Any, spec: Spec) -> Any:
    if spec.choices is not None:
        if all(isinstance(c, bool) for c in spec.choices):
            return check_bool(name, value)
        if all(isinstance(c, str) for c in spec.choices):
            return check_choice(name, value, spec.choices)
        if value not in spec.choices or isinstance(value, bool):
            allowed = ", ".join(format_value(c) for c in spec.choices)
            raise ValueError(f"{name} must be one of {allowed}; got {_short(value)}")
        return value
    if isinstance(spec.low, int) and isinstance(spec.high, int):
        return check_int(name, value, low=spec.low, high=spec.high)
    return check_float(name, value, low=spec.low, high=spec.high)


def _range_errors(changes: Mapping[str, Any], specs: Mapping[str, Spec]) -> list[str]:
    errors = []
    for name, value in changes.items():
        try:
            _check(name, value, specs[name])
        except (TypeError, ValueError) as exc:
            errors.append(str(exc))
    return errors


def _read_parts(text: str, specs: Mapping[str, Spec]) -> tuple[dict[str, Any], list[str]]:
    changes: dict[str, Any] = {}
    errors: list[str] = []
    seen: set[str] = set()
    for part in text.replace(",", " ").split():
        key, sep, raw = part.partition("=")
        if not sep or not raw:
            errors.append(f"cannot read {_short(part)}: write name=value, e.g. depth=50")
        elif key not in specs:
            errors.append(f"unknown setting {_short(key)}{_suggest(key, specs)}")
        elif key in seen:
            errors.append(f"{key} is given twice")
        else:
            seen.add(key)
            try:
                changes[key] = _read_value(key, raw, specs[key], _short(part))
            except ValueError as exc:
                errors.append(str(exc))
    return changes, errors


def _read_value(key: str, raw: str, spec: Spec, part: str) -> Any:
    if spec.choices is not None:
        if all(isinstance(c, bool) for c in spec.choices):
            if raw.lower() not in _BOOL_WORDS:
                raise ValueError(f"{key} needs on or off in {part}")
            return _BOOL_WORDS[raw.lower()]
        if all(isinstance(c, str) for c in spec.choices):
            if raw not in spec.choices:
                allowed = ", ".join(repr(c) for c in spec.choices)
                hint = _suggest(raw, spec.choices)
                raise ValueError(f"{key} must be one of {allowed}; got {_short(raw)}{hint}")
            return raw
    if isinstance(spec.low, int) and isinstance(spec.high, int):
        # ASCII digits only (int() would take Unicode digits and 1_000), and few of them.
        if not re.fullmatch(r"-?[0-9]{1,20}", raw):
            raise ValueError(f"{key} needs a whole number in {part}")
        return int(raw)
    number = r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?|[-+]?(nan|inf)"
    if len(raw) > 40 or not re.fullmatch(number, raw.lower()):
        raise ValueError(f"{key} needs a number in {part}")
    value = float(raw)
    return value if spec.choices is None else _nearest_choice(key, value, spec.choices)


def _nearest_choice(key: str, value: float, choices: Sequence[float]) -> float:
    # A choice of numbers (learning rates): "0.01" and "1e-2" both name 0.01.
    for choice in choices:
        if math.isclose(value, choice, rel_tol=1e-9):
            return choice
    allowed = ", ".join(format_value(c) for c in choices)
    raise ValueError(f"{key} must be one of {allowed}; got {format_value(value)}")


def _suggest(word: str, known: Iterator[str] | Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(known)}"


def _short(value: object) -> str:
    return short_repr(value, _ECHO)
