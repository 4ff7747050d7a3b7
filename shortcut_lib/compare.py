"""Plain against shortcut on the same weights: both wirings' profiles, for either family.

:class:`Comparison` serves a stream of settings, as an explorer sends them while a slider moves,
and reuses what it can: the models (built once, deep enough for the depths asked so far), the
input batch, and the last profiles when only what is shown changed (a view-only setting).
:func:`compare_shortcut` and :func:`compare_transformer` are one-off comparisons.
"""

from __future__ import annotations

import copy
import functools
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from ._checks import check_bool, check_choice
from ._cpus import usable_cores
from ._memory import release_freed_memory
from .families import BlockSettings, ComparisonSettings
from .models.block import NORM_PLACEMENTS
from .models.gpt import GPTModel
from .probes import GradientProfile, TransformerProfile, check_batch, transformer_profile

__all__ = ["Comparison", "compare_shortcut", "compare_transformer"]

PROBED = (ComparisonSettings, BlockSettings)
RELEASE_BYTES = 32e6  # memory released when an update comes down from one estimated above this
Profiles = dict[str, GradientProfile] | dict[str, TransformerProfile]


class Comparison:
    """Both wirings' profiles for a stream of settings (:class:`ComparisonSettings` for the MLP,
    :class:`BlockSettings` for the GPT stack), reusing work between calls.

    Weights are drawn layer by layer (block by block), so a deeper model of one seed starts with
    the same layers: models are built once per shape and seed at a roomy depth, and a request
    runs its first ``depth`` layers. A slider move costs a probe, not a rebuild; a view-only
    change (which wiring is bold, which series is drawn) costs nothing.

    How two cores are used depends on the family, where the process may keep two busy (its CPU
    affinity, at most its container's CPU quota: a Binder session limited to one CPU has one):

    - An MLP: when torch runs each op on one thread (as the notebooks set), the process may use
      more than one core and each op is large enough to gain (``settings.side_by_side()``:
      4096 numbers or more), the plain wiring is probed on a worker thread while the shortcut
      wiring is probed on the calling one. Smaller ops leave the GIL to the Python between
      them, and one thread wins. Each pass is the same sequence of operations either way: the
      numbers are exactly those of fresh networks of that depth, probed alone.
    - A GPT stack is probed on a thread of the module's own that flushes float32's subnormal
      numbers to zero (a deep plain stack's backward pass meets some, 60-200x slower to compute
      with), and probed again with them where that could change a number
      (``BlockSettings.exact_when_flushed``). With two cores, both wirings go through one paired
      pass of twice the batch on two threads per op (``BlockSettings.probe_pair``): at 48
      blocks about two thirds of the time of two probes side by side, whose ops wait on each
      other's turn at the GIL. Its numbers are those of fresh models probed alone up to float32
      rounding (a product over twice the rows may be summed in another order).

    Changes no torch setting of the calling thread.

    Args:
        side_by_side: ``False`` probes the two wirings one after the other on one thread,
            always: each then gives exactly the numbers of a fresh model probed alone.

    Introduced in notebook 03 (the GPT stack in notebook 05).
    """

    def __init__(self, *, side_by_side: bool = True) -> None:
        self._side_by_side = check_bool("side_by_side", side_by_side)
        self._wirings, self._wirings_key = None, None
        self._batch, self._batch_key = None, None
        self._last: tuple[tuple, Profiles] | None = None
        self._held = 0.0  # bytes the last update was estimated to take

    def profiles(self, settings: ComparisonSettings | BlockSettings) -> Profiles:
        """``{"plain": profile, "shortcut": profile}`` of the same weights and input."""
        if not isinstance(settings, PROBED):
            raise TypeError(
                "settings must be a ComparisonSettings or a BlockSettings (for a state string, "
                f"use their parse, or compare_shortcut); got {type(settings).__name__}"
            )
        computed = settings.computed()
        if self._last is not None and self._last[0] == computed:
            return dict(self._last[1])  # only what is shown changed
        with torch.inference_mode(False):  # models and a batch autograd can use, wherever called
            models = self._models_for(settings)
            if settings.batch_key() != self._batch_key:
                self._batch, self._batch_key = settings.make_batch(), settings.batch_key()
        probe = functools.partial(settings.probe, batch=self._batch)
        if settings.flush_subnormals:  # the GPT stack
            pair = functools.partial(settings.probe_pair, models, self._batch)
            paired = self._side_by_side and _cores() > 1
            result = _probe_flushed(probe, pair, models, paired, settings.exact_when_flushed)
        else:
            result = _probe_both(probe, models, self._side_by_side and settings.side_by_side())
        self._last = (computed, result)
        # Coming down from a large update, what it held goes back to the system (at the same
        # size it is kept for the next update: handed back, it would cost page faults to take).
        held, self._held = self._held, settings.cost().bytes
        if held > RELEASE_BYTES and self._held < held / 2:
            release_freed_memory()
        return dict(result)

    def _models_for(self, s: ComparisonSettings | BlockSettings) -> dict[str, torch.nn.Module]:
        key = (type(s), s.wirings_key())
        if key != self._wirings_key or s.depth > self._wirings.depth:
            # A new model is built at the depth asked for. Once the depth slider goes past it,
            # the next one gets room (a power of two) so that dragging on does not rebuild at
            # every step.
            depth = s.depth
            if key == self._wirings_key:
                most = s.specs()["depth"].high
                depth = min(2 ** math.ceil(math.log2(s.depth)), max(s.depth, most))
            self._wirings = self._last = None  # freed before the new ones are built
            self._wirings, self._wirings_key = s.make_wirings(depth), key
        return self._wirings.models(s)


def compare_shortcut(
    settings: ComparisonSettings | str | None = None, **changes: object
) -> dict[str, GradientProfile]:
    """Profile the plain and the shortcut MLP of one configuration, on the same weights.

    Calls share one :class:`Comparison`: in a loop over seeds, depths or options the networks
    are built once (the numbers are those of fresh ones). Settings over the bounds of one update
    (1 s, 300 MB) are refused with a ValueError that names a setting that fits.

    Args:
        settings: a :class:`ComparisonSettings`, a state string, or ``None`` for the defaults.
        **changes: fields to override, e.g. ``depth=50, activation="sigmoid"``.

    Returns:
        ``{"plain": GradientProfile, "shortcut": GradientProfile}``, ready for
        :func:`~shortcut_lib.plot_gradients`.

    Introduced in notebook 03.
    """
    if settings is None:
        settings = ComparisonSettings()
    elif isinstance(settings, str):
        settings = ComparisonSettings.parse(settings)
    elif not isinstance(settings, ComparisonSettings):
        raise TypeError(
            "settings must be a ComparisonSettings, a state string or None; got "
            f"{type(settings).__name__}"
        )
    settings = settings.replace(**changes)
    with _SHARED_LOCK:  # one call at a time: they share the networks
        return copy.deepcopy(_shared().profiles(settings))  # the caller's own lists


def compare_transformer(
    model: GPTModel,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    vary: str = "shortcut",
    weights: bool = True,
) -> dict[str, TransformerProfile]:
    """Profile several wirings of the same weights: shortcuts off and on, or the norm placements.

    The model is rewired in place for each probe and left as it was found.

    Args:
        model: a :class:`~shortcut_lib.GPTModel`.
        x: token ids, shape (batch, tokens).
        y: the next-token targets, shaped like ``x``.
        vary: ``"shortcut"`` for ``{"plain": ..., "shortcut": ...}`` at the model's norm
            placement, or ``"norm"`` for ``{"pre": ..., "post": ..., "none": ...}`` at its
            ``use_shortcut``.
        weights: also the weight gradients, as in :func:`transformer_profile`; ``False``
            measures the stream only.

    Returns:
        ``{label: TransformerProfile}``.

    Introduced in notebook 05.
    """
    check_choice("vary", vary, ("shortcut", "norm"))
    check_bool("weights", weights)
    x, y = check_batch(model, x, y, weights=weights)
    if vary == "shortcut":
        wirings = {"plain": ("use_shortcut", False), "shortcut": ("use_shortcut", True)}
    else:
        wirings = {name: ("norm", name) for name in NORM_PLACEMENTS}
    saved = model.use_shortcut, model.norm
    result = {}
    try:
        for label, (attribute, value) in wirings.items():
            setattr(model, attribute, value)
            result[label] = transformer_profile(model, x, y, weights=weights)
    finally:
        model.use_shortcut, model.norm = saved
    return result


def _probe_both(probe: Callable, models: dict, side_by_side: bool) -> Profiles:
    """Both wirings' profiles: the plain one on the worker thread while the shortcut one runs
    here, when that can help (torch runs each op on one thread, the process has two cores)."""
    parallel = side_by_side and _parallel()
    plain = _submit(_worker(), probe, models["plain"]) if parallel else None
    shortcut = probe(models["shortcut"])
    return {"plain": plain.result() if plain else probe(models["plain"]), "shortcut": shortcut}


def _probe_flushed(
    probe: Callable,
    pair: Callable,
    models: dict,
    paired: bool,
    exact: Callable[[object], bool],
) -> Profiles:
    """Both wirings' profiles from a thread of this module's own that flushes float32's
    subnormal numbers to zero (its own only: the caller's is left as it is), either in one
    ``pair`` pass on two threads per op (the flushing thread's own team, which inherits its
    mode), or one wiring after the other. A profile that ``exact`` does not vouch for is taken
    again here, alone, subnormals and all."""
    threads = torch.get_num_threads()
    if paired:
        result = _flushing_worker().submit(_on_threads, max(2, threads), pair, threads).result()
    else:
        both = _submit(_flushing_worker(), lambda: {k: probe(m) for k, m in models.items()})
        result = both.result()
    for label, profile in result.items():
        if not exact(profile):
            result[label] = probe(models[label])
    return {"plain": result["plain"], "shortcut": result["shortcut"]}


def _submit(pool: ThreadPoolExecutor, fn: Callable, *args: object) -> Future:
    """``fn(*args)`` on a thread of ``pool``, with as many threads per op as the caller's."""
    return pool.submit(_with_threads, torch.get_num_threads(), fn, *args)


def _with_threads(threads: int, fn: Callable, *args: object) -> object:
    # A new thread starts with OpenMP's and MKL's own count of threads (every core), not the
    # process's: its first products then started a team of threads (1 s of CPU at the first
    # probe). Set to the caller's count, the same as the process's: no setting changes.
    torch.set_num_threads(threads)
    return fn(*args)


def _on_threads(threads: int, fn: Callable, then: int) -> object:
    # Torch's count of threads is also what a thread started later begins with: set back to
    # the caller's once ``fn`` is done (a training explorer's run pins its own: TrainingRun).
    torch.set_num_threads(threads)
    try:
        return fn()
    finally:
        torch.set_num_threads(then)


def _parallel() -> bool:
    return torch.get_num_threads() == 1 and _cores() > 1


@functools.cache
def _cores() -> int:
    """The cores this process may keep busy: its affinity, at most its container's CPU quota
    (read once: 0.1 ms of files, not on every update)."""
    return usable_cores()


_SHARED_LOCK = threading.Lock()


@functools.cache
def _shared() -> Comparison:
    """The comparison every compare_shortcut call uses: called in a loop over seeds, depths or
    options, it builds the networks once and redraws or rewires them (exactly the numbers of
    fresh ones); it holds the networks of the last width asked for."""
    return Comparison(side_by_side=False)


@functools.cache
def _worker() -> ThreadPoolExecutor:
    """The one thread, made on first use, that probes the plain wiring."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="shortcut_lib-probe")


@functools.cache
def _flushing_worker() -> ThreadPoolExecutor:
    """The thread, made on first use, that computes with subnormal float32 numbers flushed to
    zero: 60 to 200 times faster than with them on an x86 CPU, which a deep plain GPT stack's
    backward pass meets (``torch.set_flush_denormal`` sets the calling thread's mode only; the
    threads it starts for an op inherit it)."""
    return ThreadPoolExecutor(
        max_workers=1,
        thread_name_prefix="shortcut_lib-probe-flushing",
        initializer=torch.set_flush_denormal,
        initargs=(True,),
    )
