"""When the cyclic garbage collector runs during a scan.

A scan makes large containers that live as long as it does (the stored
verdicts, a listing of every page file, the code index, a worker's finding
memo) and almost no cyclic garbage. Left to itself, the collector walks those
containers again and again while they grow. Here automatic collections are
paused, and the scan collects at its own steps instead: young collections
only, which cost what was made since the last one.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collections meanwhile; the collector is as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_young() -> None:
    """Free what was left in cycles since the last collection: one collection of
    the young generations, which hold every object made since (no automatic
    collection moves them on while `paused`); what survives is not walked again
    by the next one."""
    gc.collect(1)


def collect_young_and_freeze() -> None:
    """`collect_young`, then freeze what survived, so that no collection walks it
    again, full ones included (a worker process: everything older is frozen
    already). A frozen object is still freed when its last reference goes."""
    collect_young()
    gc.freeze()


_SKIP_AT_EXIT = False


def skip_collection_at_exit() -> None:
    """For a command whose process ends when it does: freeze everything at exit,
    so that the interpreter's last collection neither walks nor frees, one object
    at a time, what the command left in cycles (a scan's code index, held by the
    closures of the scan: half a second at 100k pages). The memory goes back to
    the system with the process. Registered once; a process that goes on (a
    library caller, a test run) is not affected until it exits."""
    global _SKIP_AT_EXIT
    if not _SKIP_AT_EXIT:
        _SKIP_AT_EXIT = True
        atexit.register(gc.freeze)
