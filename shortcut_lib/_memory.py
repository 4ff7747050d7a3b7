"""Memory that freed tensors held, handed back to the system."""

from __future__ import annotations

import ctypes
import functools


def release_freed_memory() -> None:
    """Hand the free pages of the C heap back to the system (glibc's ``malloc_trim``; elsewhere
    nothing to do).

    glibc keeps freed memory for reuse, in one heap per thread that allocated it, so a kernel's
    resident size would only ever grow as an explorer moves between large and small settings: on
    a 1-2 GB Binder that is what counts. A few milliseconds after an update of hundreds of MB.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> object:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: macOS, Windows, musl
        return None
