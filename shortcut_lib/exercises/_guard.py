"""Running a learner's code inside a check, so that whatever it does ends as a verdict.

A :class:`Guard` is opened once around a check. Every call into the learner's code goes through
:meth:`Guard.call` (or :func:`learners`, from inside an exercise's ``run``): the code runs with a
time limit, its prints captured, and whatever it raises (``SystemExit`` and ``KeyboardInterrupt``
too) kept as an :class:`Outcome`; afterwards torch's functions are the originals again and its
settings the known ones, so the reference and the comparison that follow run on the real torch.
Closing the guard gives the kernel back as it was when the check began.
"""

from __future__ import annotations

import contextlib
import gc
import io
import random
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ._kernel import Names, Settings, originals, places
from ._values import plain

TIME_LIMIT = 10.0  # seconds for the learner's code on one input; the solutions take milliseconds
_ACTIVE: list[Guard] = []  # the open guard (a list, so that restoring names never replaces it)


class TimeLimit(BaseException):
    """The learner's code ran longer than :data:`TIME_LIMIT` on one input. A BaseException, so
    that the learner's own ``except Exception`` does not swallow it."""


class LearnerRaised(BaseException):
    """Carries what the learner's code raised out through the checker's own code."""

    def __init__(self, raised: BaseException) -> None:
        super().__init__()
        self.raised = raised


@dataclass
class Outcome:
    """What running the learner's code gave: a value (as plain data) or what it raised."""

    value: object = None
    raised: BaseException | None = None


class Printed(io.TextIOBase):
    """Where the learner's prints go during a check: the first lines are kept, the rest counted."""

    KEEP = 2000  # characters

    def __init__(self) -> None:
        self.head, self.chars, self.lines = "", 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text: object) -> int:
        text = text if type(text) is str else "<not text>"
        if len(self.head) < self.KEEP:
            self.head += text[: self.KEEP - len(self.head)]
        self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)

    def summary(self, shown: int = 5) -> str | None:
        """The first lines printed, and how many there were, or None if nothing was printed."""
        if not self.chars:
            return None
        lines = self.head.splitlines()[:shown]
        total = max(self.lines, 1)
        count = f"{total:,} line" + ("s" if total != 1 else "")
        which = "" if total <= len(lines) else f"; the first {len(lines)}"
        body = "\n".join(
            "    " + (line if len(line) <= 96 else line[:93] + "...") for line in lines
        )
        return f"Printed by your code ({count}{which}):\n{body}"


class Guard:
    """One check's protection of the kernel; :meth:`open` it, then always :meth:`close` it."""

    def __init__(self, time_limit: float = TIME_LIMIT) -> None:
        self.time_limit = time_limit
        self.printed = Printed()
        self._depth = 0
        self._stack = contextlib.ExitStack()
        self._opened = False
        self._ring: Callable | None = None  # the SIGALRM handler, while the check is open

    def open(self) -> None:
        # Read before interrupts are deferred: the handler that Kernel > Interrupt relies on.
        self.entry_interrupt = signal.getsignal(signal.SIGINT) if _on_main_thread() else None
        with _interrupts_deferred():
            self.entry = Settings.read()
            self.known = self.entry.known()
            self.entry_names = Names(places())  # the learner's own patches, given back at close
            self.entry_python = _python_state()
            self._opened = True
            self._stack.enter_context(torch.random.fork_rng(devices=[]))
            self._stack.enter_context(warnings.catch_warnings())
            self._stack.enter_context(torch.inference_mode(False))
            self._stack.enter_context(torch.enable_grad())
            self._stack.enter_context(_alarm(self))
            torch.manual_seed(0)  # the learner's random draws are the same at every check
            _ACTIVE.append(self)
            self.clean()

    def close(self) -> None:
        with _interrupts_deferred(then=getattr(self, "entry_interrupt", None), deliver=False):
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            if not self._opened:
                return
            self.clean()  # first, so that what follows runs on the real torch
            self._stack.close()
            self.entry.apply()
            self.entry_names.restore()  # last: the learner's own patches, if any, are theirs
            _set_python_state(self.entry_python)

    def clean(self) -> None:
        """torch's original functions and the known settings, as the checker's code needs."""
        originals().restore()
        self.known.apply()

    def call(self, thunk: Callable[[], object]) -> Outcome:
        """Run the learner's code: time-limited, its prints captured; its value read as plain
        data while still guarded. Torch is clean again when this returns."""
        try:
            with self._learners():
                value = thunk()
            with self._learners():  # read on the real builtins, and still guarded
                return Outcome(value=plain(value))
        except LearnerRaised as inner:  # raised by a call nested in this one
            return Outcome(raised=inner.raised)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and interrupts are outcomes too
            return Outcome(raised=exc)

    @contextlib.contextmanager
    def _learners(self) -> Iterator[None]:
        outermost = self._depth == 0
        self._depth += 1
        try:
            if outermost:
                _arm(self.time_limit, self._ring)
            with (
                contextlib.redirect_stdout(self.printed),
                contextlib.redirect_stderr(self.printed),
                warnings.catch_warnings(),
            ):
                warnings.simplefilter("ignore")  # torch's advice to the learner is not a verdict
                yield
        finally:
            self._depth -= 1
            if outermost:
                _disarm()
            self.clean()

    @property
    def running_learners_code(self) -> bool:
        return self._depth > 0


def learners(function: Callable, *args: object) -> object:
    """Call the learner's ``function`` (or a layer it built) from inside an exercise's ``run``:
    guarded when a check is open, so the code after it runs on the real torch. What it raised
    comes out as :class:`LearnerRaised`, which the check turns into words."""
    if not _ACTIVE:
        return function(*args)
    outcome = _ACTIVE[-1].call(lambda: function(*args))
    if outcome.raised is not None:
        raise LearnerRaised(outcome.raised)
    return outcome.value


# --- the time limit and interrupts ----------------------------------------------------------------


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _alarm(guard: Guard) -> Iterator[None]:
    """While the check is open, SIGALRM stops the learner's code (main thread, where signals
    exist; elsewhere Kernel > Interrupt is the only way)."""
    if not (_on_main_thread() and hasattr(signal, "setitimer")):
        yield
        return

    def ring(signum, frame):
        if guard.running_learners_code:
            raise TimeLimit

    guard._ring = ring
    previous = signal.signal(signal.SIGALRM, ring)
    try:
        yield
    finally:
        _disarm()
        signal.signal(signal.SIGALRM, previous)


def _arm(seconds: float, ring: Callable | None) -> None:
    if ring is not None and _on_main_thread() and hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, ring)  # again: the learner's last call may have replaced it
        # Then every second: code that catches the first one is stopped by the next.
        signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)


def _disarm() -> None:
    if _on_main_thread() and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0.0)


@contextlib.contextmanager
def _interrupts_deferred(then: object = None, *, deliver: bool = True) -> Iterator[None]:
    """Kernel > Interrupt waits until the kernel's state is read or put back whole; then the
    handler is the one before (or ``then``), and an interrupt that came meanwhile reaches it
    (``deliver``: while a check opens, so that it ends with a verdict) or is dropped (at its
    close, when the verdict is ready)."""
    if not _on_main_thread():
        yield
        return
    came: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        handler = previous if then is None else then
        signal.signal(signal.SIGINT, handler)
        if came and deliver and callable(handler):
            handler(signal.SIGINT, None)  # Python's own handler raises KeyboardInterrupt


# --- Python's own state ---------------------------------------------------------------------------

_STREAMS = ("stdout", "stderr", "stdin", "displayhook", "excepthook")


def _python_state() -> tuple:
    """Python's and NumPy's generators, sys's streams and hooks and the garbage collector: what
    code in a kernel can change for the code after it (the interrupt handler: Guard.open)."""
    numpy = sys.modules.get("numpy")  # only if something imported it: the check never does
    return (
        random.getstate(),
        numpy.random.get_state() if numpy is not None else None,
        {name: getattr(sys, name) for name in _STREAMS},
        gc.isenabled(),
    )


def _set_python_state(state: tuple) -> None:
    python, numpy_state, streams, collecting = state
    random.setstate(python)
    numpy = sys.modules.get("numpy")
    if numpy is not None and numpy_state is not None:
        numpy.random.set_state(numpy_state)
    for name, value in streams.items():
        setattr(sys, name, value)
    (gc.enable if collecting else gc.disable)()
