"""The kernel's state that a learner's code can change, read and put back.

A check runs the learner's code in the learner's own kernel. That code may change torch's
process-wide settings (default dtype and device, threads, flush-denormal, deterministic
algorithms, anomaly mode, grad and inference mode, print options, matmul precision, torch
function and dispatch modes, saved-tensor hooks) or replace torch's functions
(``torch.isclose = ...``, or Python's own ``isinstance``). :class:`Settings` reads and writes the
first kind. :class:`Names` remembers where functions live: :func:`remember_originals` takes
torch's, Python's and the library's functions as they were when the library was imported, and a
check puts them back before every reference and comparison, so that both run on the real ones.
"""

from __future__ import annotations

import builtins
import contextlib
import math
import sys
from dataclasses import dataclass, replace
from types import BuiltinFunctionType, ModuleType

import torch
import torch.nn.functional as F
from torch import nn

_MISSING = object()
_PRINT_OPTIONS = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")
_KEPT: list[object] = []  # inference-mode guards that must outlive a check (see _inference_off)


@dataclass(frozen=True)
class Settings:
    """Torch's process-wide settings at one moment; ``apply`` makes them current again."""

    dtype: torch.dtype
    device: object  # what torch.set_default_device left (a DeviceContext), or None
    threads: int
    flush_denormal: bool
    deterministic: tuple[bool, bool, int]  # enabled, warn only, debug mode
    anomaly: tuple[bool, bool]  # enabled, check NaN
    grad: tuple[bool, bool]  # grad mode, forward-mode AD
    inference: bool
    matmul_precision: str
    print_options: tuple
    modes: tuple[int, int]  # torch function modes, torch dispatch modes on their stacks
    saved_hooks: object  # the innermost saved-tensor hooks, or None
    recursion_limit: int

    @classmethod
    def read(cls) -> Settings:
        return cls(
            dtype=torch.get_default_dtype(),
            device=getattr(torch._GLOBAL_DEVICE_CONTEXT, "device_context", None),
            threads=torch.get_num_threads(),
            flush_denormal=_flushes_denormals(),
            deterministic=(
                torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled(),
                torch.get_deterministic_debug_mode(),
            ),
            anomaly=(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()),
            grad=(torch.is_grad_enabled(), torch._C._is_fwd_grad_enabled()),
            inference=torch.is_inference_mode_enabled(),
            matmul_precision=torch.get_float32_matmul_precision(),
            print_options=tuple(getattr(torch._tensor_str.PRINT_OPTS, k) for k in _PRINT_OPTIONS),
            modes=(torch._C._len_torch_function_stack(), torch._C._len_torch_dispatch_stack()),
            saved_hooks=_top_hooks(),
            recursion_limit=sys.getrecursionlimit(),
        )

    def known(self) -> Settings:
        """The state references run in: these settings, with float32, gradients on, no
        inference or anomaly mode and full-precision matmuls."""
        return replace(
            self,
            dtype=torch.float32,
            grad=(True, True),
            inference=False,
            anomaly=(False, False),
            matmul_precision="highest",
        )

    def apply(self) -> None:
        """Make these settings current again, changing only what differs."""
        _pop_modes(self)  # first: a mode could intercept every call below
        if getattr(torch._GLOBAL_DEVICE_CONTEXT, "device_context", None) is not self.device:
            torch._GLOBAL_DEVICE_CONTEXT.device_context = self.device  # its mode is popped above
        now = Settings.read()
        if now.dtype != self.dtype:
            torch.set_default_dtype(self.dtype)
        if now.threads != self.threads:
            torch.set_num_threads(self.threads)
        if now.flush_denormal != self.flush_denormal:
            torch.set_flush_denormal(self.flush_denormal)
        if now.deterministic != self.deterministic:
            enabled, warn_only, debug = self.deterministic
            torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
            torch.set_deterministic_debug_mode(debug)
        if now.anomaly != self.anomaly:
            torch.set_anomaly_enabled(*self.anomaly)
        if now.inference and not self.inference:
            _inference_off()
        torch._C._set_grad_enabled(self.grad[0])
        torch._C._set_fwd_grad_enabled(self.grad[1])
        if now.matmul_precision != self.matmul_precision:
            torch.set_float32_matmul_precision(self.matmul_precision)
        if now.print_options != self.print_options:
            torch.set_printoptions(**dict(zip(_PRINT_OPTIONS, self.print_options, strict=True)))
        if now.recursion_limit != self.recursion_limit:
            sys.setrecursionlimit(self.recursion_limit)


def _flushes_denormals() -> bool:
    # torch has no getter: 1e-38 is float32's smallest normal order; a tenth of it is a
    # denormal, which comes out 0 when denormals are flushed.
    tenth = torch.full((1,), 1e-38, dtype=torch.float32, device="cpu") * 0.1
    return tenth.item() == 0.0


def _top_hooks() -> object:
    return torch._C._autograd._top_saved_tensors_default_hooks(True)


def _pop_modes(target: Settings) -> None:
    for _ in range(torch._C._len_torch_function_stack() - target.modes[0]):
        torch._C._pop_torch_function_stack()
    for _ in range(torch._C._len_torch_dispatch_stack() - target.modes[1]):
        torch._C._pop_torch_dispatch_stack(None)
    for _ in range(64):  # hooks pushed and never popped; 64 is far more than any code nests
        top = _top_hooks()
        if top is None or (target.saved_hooks is not None and top[0] is target.saved_hooks[0]):
            break
        torch._C._autograd._pop_saved_tensors_default_hooks()


def _inference_off() -> None:
    # Inference mode is a guard object: code that entered it and kept the object leaves it on.
    # Only another guard turns it off; it is kept, since dropping it would turn the mode back on.
    guard = torch._C._InferenceMode(False)
    guard.__enter__()
    _KEPT.append(guard)


# --- where functions live -------------------------------------------------------------------------


class Names:
    """The attributes of torch's modules and classes (and the library's) at one moment."""

    def __init__(self, places: list[object]) -> None:
        self.saved = [(place, _watched(place)) for place in places]

    def restore(self) -> None:
        """Put back every attribute (or, in a dict, item) replaced or deleted since; in a class
        or a dict, also remove what was added (in a class it would hide a base class's method).
        A module keeps what was added: importing a submodule adds it there. Python's builtins
        come first in the places, and until they are back this uses only its own references."""
        for place, saved in self.saved:
            _restore(place, saved)


def _restore(place, saved, kind=type, of=isinstance, get=vars, size=len, missing=_MISSING):
    # Builtins bound here, at import, as defaults: replaced ones cannot reach this.
    now = place if kind(place) is dict else get(place)
    for key, value in saved.items():
        if now.get(key, missing) is not value:
            _set(place, key, value)
    if of(place, _GROWING) and size(now) != size(saved):
        for key in [k for k in now if k not in saved]:
            _delete(place, key)


_GROWING = (type, dict)  # places whose added keys are removed again
_HOLDERS = (type, ModuleType)  # places whose attributes setattr can write


def _watched(place: object) -> dict:
    if place is builtins:  # its functions and types; IPython adds and hides the rest per cell
        return {k: v for k, v in vars(place).items() if isinstance(v, (type, BuiltinFunctionType))}
    return dict(place) if isinstance(place, dict) else dict(vars(place))


def _set(place, key, value, kind=type, of=isinstance, put=setattr, force=object.__setattr__):
    try:
        if kind(place) is dict:
            place[key] = value
        elif of(place, _HOLDERS):
            put(place, key, value)
        else:  # an instance of a frozen dataclass: an exercise
            force(place, key, value)
    except (AttributeError, TypeError):  # a read-only attribute cannot have been replaced
        pass


def _delete(place, key, kind=type, remove=delattr) -> None:
    try:
        if kind(place) is dict:
            del place[key]
        else:
            remove(place, key)
    except (AttributeError, TypeError, KeyError):
        pass


def places() -> list[object]:
    """torch's modules and classes that the exercises, their references and the checker use,
    every module and class of the library loaded now, and the exercises themselves."""
    import torch.autograd.functional
    import torch.nn.init
    import torch.optim

    modules = [builtins, torch, nn, F, torch.nn.init, torch.linalg, torch.special, torch.autograd]
    modules += [torch.autograd.functional, torch.random, torch.optim, torch._C._nn, math]
    modules += [torch._C._linalg, torch._C._special]
    classes = [torch.Tensor, torch.optim.Optimizer, torch.optim.SGD, torch.optim.Adam]
    classes += [c for c in vars(nn).values() if isinstance(c, type) and issubclass(c, nn.Module)]
    classes += [nn.Parameter]
    for name, module in list(sys.modules.items()):
        if name.startswith("shortcut_lib.") and module is not None:
            modules.append(module)
            classes += [
                c
                for c in vars(module).values()
                if isinstance(c, type) and c.__module__ == name and not issubclass(c, BaseException)
            ]
    return modules + list(dict.fromkeys(classes)) + REGISTRY


ORIGINALS: list[Names] = []  # set once, by remember_originals()
REGISTRY: list[object] = []  # the exercises and the dict that holds them, set with them


def remember_originals(registry: dict) -> None:
    """Remember torch's and the library's functions, and the exercises in ``registry``, as they
    are now, at import."""
    REGISTRY[:] = [registry, *registry.values()]
    # An optimizer class wraps its own step() the first time one is built: build one of each
    # first, so that the step remembered is the wrapped one torch keeps. With no parameters the
    # build stops right after the wrapping: a parameter group would import torch's compiler
    # (about 1 s of every notebook's first cell).
    for optimizer in (torch.optim.SGD, torch.optim.Adam):
        with contextlib.suppress(ValueError):  # "optimizer got an empty parameter list"
            optimizer([], lr=0.1)
    assert torch.optim.SGD.step.hooked and torch.optim.Adam.step.hooked
    ORIGINALS[:] = [Names(places())]


def originals() -> Names:
    return ORIGINALS[0]
