"""What one explorer update or one training run may take, and the refusal that says so.

Each settings class estimates the cost of what it describes from its fields alone, before anything
is allocated; :func:`check_cost` refuses a setting whose estimate is over the bounds, naming the
estimate and the nearest setting that fits. The estimates are upper bounds measured on one CPU
core of a laptop-class x86 machine (``benchmarks/bounds.py`` prints estimate against measured).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# A Binder session has 1-2 GB for the kernel, the browser's share and every notebook's objects;
# an update of an explorer, or a training run, may take this much of it, and so long.
UPDATE_SECONDS = 1.0
MEMORY_LIMIT = 300e6  # bytes


@dataclass(frozen=True)
class Cost:
    """An estimate: seconds of one CPU core, and bytes of memory at the peak."""

    seconds: float
    bytes: float

    def fits(self) -> bool:
        return self.seconds <= UPDATE_SECONDS and self.bytes <= MEMORY_LIMIT

    def __str__(self) -> str:
        seconds = f"{self.seconds:.1f} s" if self.seconds >= 0.1 else "under 0.1 s"
        return f"about {seconds} and {self.bytes / 1e6:.0f} MB"


Estimate = Callable[[Mapping[str, object]], Cost]


def check_cost(
    values: Mapping[str, object],
    estimate: Estimate,
    lower: Sequence[str],
    *,
    what: str,
    low: Mapping[str, int],
    valid: Callable[[Mapping[str, object]], bool] = lambda values: True,
    why: str = "",
) -> None:
    """Raise a ValueError unless ``estimate(values)`` fits: the estimate, the bounds, ``why``
    (a reason, if any) and a setting that fits, found by lowering the fields ``lower`` (from
    their ``low`` values up) in turn, one alone if one can, else each in order."""
    cost = estimate(values)
    if cost.fits():
        return
    named = " ".join(f"{name}={values[name]}" for name in lower)
    fit = fitting(values, estimate, lower, low, valid)
    advice = "" if fit is None else f"; {fit[0]} fits ({fit[1]})"
    raise ValueError(
        f"{named}: {what} would take {cost}, more than the {UPDATE_SECONDS:g} s and "
        f"{MEMORY_LIMIT / 1e6:.0f} MB it may take{why}{advice}"
    )


def fitting(
    values: Mapping[str, object],
    estimate: Estimate,
    lower: Sequence[str],
    low: Mapping[str, int],
    valid: Callable[[Mapping[str, object]], bool],
) -> tuple[str, Cost] | None:
    """The nearest setting that fits, as ``("name=value ...", its cost)``, or None."""
    for name in lower:  # one field alone, the first that can
        found = _largest(dict(values), name, estimate, low[name], valid)
        if found is not None:
            return f"{name}={found[name]}", estimate(found)
    changed = dict(values)
    for i, name in enumerate(lower):  # else each in turn, the earlier ones at their lowest
        found = _largest(changed, name, estimate, low[name], valid)
        if found is not None:
            text = " ".join(f"{n}={found[n]}" for n in lower[: i + 1])
            return text, estimate(found)
        changed[name] = low[name]
    return None


def _largest(values: dict, name: str, estimate: Estimate, low: int, valid: Callable) -> dict | None:
    # The largest value of ``name`` from ``low`` to its current one that fits (the cost grows
    # with it), as the changed values; None if even ``low`` does not.
    candidates = [v for v in range(low, values[name] + 1) if valid({**values, name: v})]
    if not candidates or not estimate({**values, name: candidates[0]}).fits():
        return None
    first, last = 0, len(candidates) - 1
    while first < last:  # the last candidate that fits
        middle = (first + last + 1) // 2
        if estimate({**values, name: candidates[middle]}).fits():
            first = middle
        else:
            last = middle - 1
    return {**values, name: candidates[first]}
