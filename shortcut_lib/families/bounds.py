"""What one explorer update or one training run may take, and the refusal that says so.

Each settings class estimates the cost of what it describes from its fields alone, before anything
is allocated (:mod:`.costs`); :func:`check_cost` refuses a setting whose estimate is over the
bounds, naming the estimate and the nearest setting that fits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# A Binder session has 1-2 GB for the kernel, the browser's share and every notebook's objects:
# an explorer's update, or a training run, may take this much of it; an update this long.
UPDATE_SECONDS = 1.0
MEMORY_LIMIT = 300e6  # bytes


@dataclass(frozen=True)
class Cost:
    """An estimate: seconds on one CPU core (None: not bounded), and bytes at the peak."""

    seconds: float | None
    bytes: float

    def fits(self, seconds: float | None = UPDATE_SECONDS) -> bool:
        """Whether it stays within ``seconds`` (None: any time) and the memory limit."""
        in_time = seconds is None or self.seconds is None or self.seconds <= seconds
        return in_time and self.bytes <= MEMORY_LIMIT

    def __str__(self) -> str:
        memory = f"about {self.bytes / 1e6:.0f} MB"
        if self.seconds is None:
            return memory
        seconds = f"about {self.seconds:.1f} s" if self.seconds >= 0.1 else "under 0.1 s"
        return f"{seconds} and {memory}"


def check_cost(
    settings: object,
    estimate: Callable[[Mapping[str, object]], Cost],
    lower: Sequence[str],
    *,
    what: str,
    seconds: float | None = UPDATE_SECONDS,
    why: str = "",
    valid: Callable[[Mapping[str, object]], bool] = lambda values: True,
) -> None:
    """Raise a ValueError unless ``estimate(settings.values())`` fits in ``seconds`` (None: any
    time) and the memory limit, naming the estimate, ``why`` (why it takes so long, if only the
    time is over) and the nearest setting that fits: the fields ``lower`` lowered in turn (each
    to a value ``valid`` accepts)."""
    values, specs = settings.values(), settings.specs()
    cost = estimate(values)
    if cost.fits(seconds):
        return
    named = " ".join(f"{name}={values[name]}" for name in specs if name in lower)
    fit = _Search(estimate, specs, valid, seconds).fitting(values, lower)
    advice = "" if fit is None else f"; {fit[0]} fits ({fit[1]})"
    why = why if cost.bytes <= MEMORY_LIMIT else ""  # a reason for the time it would take
    bound = f"{MEMORY_LIMIT / 1e6:.0f} MB"
    if seconds is None:
        raise ValueError(f"{named}: {what} would need {cost}, more than the {bound} it may take"
                         f"{why}{advice}")  # fmt: skip
    raise ValueError(
        f"{named}: {what} would take {cost}, more than the {seconds:g} s and {bound} it may "
        f"take{why}{advice}"
    )


class _Search:
    """The nearest setting that fits, lowering some fields (the cost grows with each)."""

    def __init__(self, estimate: Callable, specs: Mapping, valid: Callable, seconds: float | None):
        self.estimate, self.specs, self.valid, self.seconds = estimate, specs, valid, seconds

    def fitting(self, values: Mapping[str, object], lower: Sequence[str]) -> tuple | None:
        """``("name=value ...", its Cost)``, or None if nothing lowered fits: the one field
        that fits alone keeping the largest part of its value, if at least half; else the first
        field lowered as little as needed, or if that is not enough, set to its lowest and the
        next one lowered, and so on."""
        alone = [(name, self._largest(dict(values), name)) for name in lower]
        alone = [(found[name] / values[name], name, found) for name, found in alone if found]
        kept, name, found = max(alone, key=lambda a: a[0], default=(0, "", {}))
        if kept >= 0.5:
            return f"{name}={found[name]}", self.estimate(found)
        changed = dict(values)
        for i, name in enumerate(lower):
            found = self._largest(changed, name)
            if found is not None:
                return " ".join(f"{n}={found[n]}" for n in lower[: i + 1]), self.estimate(found)
            changed[name] = self._candidates(changed, name)[0]
        return None

    def _candidates(self, values: dict, name: str) -> list[int]:
        spec = self.specs[name]
        step = int(spec.step or 1)
        return [
            v for v in range(spec.low, values[name] + 1, step) if self.valid({**values, name: v})
        ] or [values[name]]

    def _largest(self, values: dict, name: str) -> dict | None:
        # The largest candidate value of ``name`` that fits, as the changed values, or None.
        candidates = self._candidates(values, name)

        def fits(value: int) -> bool:
            return self.estimate({**values, name: value}).fits(self.seconds)

        if not fits(candidates[0]):
            return None
        first, last = 0, len(candidates) - 1
        while first < last:  # bisect: the last candidate that fits
            middle = (first + last + 1) // 2
            first, last = (middle, last) if fits(candidates[middle]) else (first, middle - 1)
        return {**values, name: candidates[first]}
