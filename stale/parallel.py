"""Checking pages on every core.

Extraction and verification are CPU-bound pure Python, so threads would not
help; a pool of worker processes does. The workers are *forked* after the code
index is built, so each starts with the index already in memory (shared
copy-on-write) instead of rebuilding or unpickling it. Pages go to the workers
in chunks and the rows that store each result come back in submission order
(built in the worker: plain tuples cost the parent little to receive); only the
parent writes to the store, so crash safety is unchanged: a killed scan loses
at most the batch in flight.

A worker never touches the parent's SQLite connection, closes its copy of the
scan lock (so a worker that outlives a killed scan cannot keep the store
locked), and exits as soon as its parent is gone.

Where `fork` is not available (macOS's default is spawn, Windows has no fork)
pages are checked in the scan's own process: correct, just not parallel.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from stale import collector
from stale.model import Page
from stale.store import PageRows, Store, StoredCheck, close_inherited_locks

if TYPE_CHECKING:
    from stale.config import JudgeConfig, LimitsConfig
    from stale.model import ClaimKind
    from stale.scan import FromStore, RepoSet
    from stale.verify.interface import Verifier

#: Pages per task sent to a worker: large enough to amortise pickling and the
#: round trip, small enough to keep both cores busy to the end.
CHUNK_PAGES = 32
#: Below this many pages to check, forking a pool costs more than it saves.
MIN_POOL_PAGES = 64


@dataclass(frozen=True)
class CheckContext:
    """Everything a page check needs besides the page: shared with the workers
    by fork, never pickled."""

    repo_set: RepoSet
    verifiers: Mapping[ClaimKind, Verifier]
    judge_cfg: JudgeConfig
    accepted: dict[tuple[str, str, str], str]
    now: datetime
    limits: LimitsConfig
    #: the store `FromStore` items are read from (each process opens it read-only)
    store_path: Path | None = None


_ChunkResult = tuple[list[PageRows | None], dict[str, float]]

# Set in the parent just before the pool forks; the workers inherit it.
_CONTEXT: CheckContext | None = None


def resolve_workers(configured: int) -> int:
    """`[scan] workers`: 0 means one per CPU this process may run on."""
    if configured > 0:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def check_one(
    ctx: CheckContext,
    item: Page | FromStore,
    names: Sequence[str],
    timings: dict[str, float],
    stored: StoredCheck | None = None,
) -> PageRows | None:
    """Check one page and turn the result into the rows that store it (here, in
    the worker: the parent only writes them). `stored`: the page's last check,
    for a `FromStore` item. None: an unread page the store holds no check for
    (the caller reads it from the wiki)."""
    from stale.scan import Recheck, check_page, recheck_page
    from stale.store import page_rows

    if isinstance(item, Page):
        page, stored, unread, touched = item, None, False, None
    else:
        if item.page is not None:
            page, unread = item.page, False
        elif stored is not None:
            page, unread = stored.page, True
        else:
            return None
        touched = ctx.repo_set.claim_touch(item.since_fp, tuple(names))
    code, memo = ctx.repo_set.code(names), ctx.repo_set.finding_memo(names)
    verifiers, judge_cfg, accepted, now = ctx.verifiers, ctx.judge_cfg, ctx.accepted, ctx.now
    if stored is not None and (unread or _same_text(stored.page, page)):
        # only the code moved under the page: its stored claims still say what it says
        recheck = Recheck(page, stored.claims, stored.hazards if unread else (), stored.findings)
        claims, verdict = recheck_page(
            recheck, code, verifiers, judge_cfg, accepted=accepted, now=now, timings=timings,
            memo=memo, touched=touched,
        )  # fmt: skip
        t0 = time.perf_counter()
        rows = (
            page_rows(page, claims, verdict, stored.findings, stored.touch)
            if unread
            else page_rows(page, claims, verdict)
        )
    else:
        claims, verdict = check_page(
            page, code, verifiers, judge_cfg, accepted=accepted, now=now, timings=timings,
            memo=memo, limits=ctx.limits, stored=stored, touched=touched,
        )  # fmt: skip
        t0 = time.perf_counter()
        rows = page_rows(page, claims, verdict)
    timings["store"] = timings.get("store", 0.0) + (time.perf_counter() - t0)
    return rows


def _same_text(stored: Page, page: Page) -> bool:
    """A page read again says what its stored claims say: the same text, and the
    same title and properties (they decide whether a page tells history,
    stale.extract.context.page_is_historical, which every claim carries). Hazards
    are found in the body again."""
    return (stored.content_hash, stored.title, stored.properties) == (
        page.content_hash,
        page.title,
        page.properties,
    )


#: This process's read-only connection to the store (pid, store): a worker reads
#: the stored checks of its pages itself. Never used across a fork.
_READER: tuple[int, Store] | None = None


def _stored_checks(ctx: CheckContext, items: Sequence[Any]) -> dict[tuple[str, str], StoredCheck]:
    """The stored checks of the `FromStore` items among `items`, in a few queries."""
    global _READER
    wanted: dict[str, list[str]] = {}
    for item in items:
        if not isinstance(item, Page):  # a FromStore
            wanted.setdefault(item.source, []).append(item.page_id)
    if not wanted or ctx.store_path is None:
        return {}
    if _READER is None or _READER[0] != os.getpid():
        _READER = (os.getpid(), Store.open(ctx.store_path, create=False, readonly=True))
    store = _READER[1]
    return {
        (source, page_id): found
        for source, ids in wanted.items()
        for page_id, found in store.stored_checks(source, ids).items()
    }


def check_items(
    ctx: CheckContext,
    items: Sequence[tuple[Page | FromStore, Sequence[str]]],
    timings: dict[str, float],
) -> list[PageRows | None]:
    """`check_one` for each item, the stored checks of all of them read at once."""
    t0 = time.perf_counter()
    stored = _stored_checks(ctx, [item for item, _ in items])
    timings["store"] = timings.get("store", 0.0) + (time.perf_counter() - t0)
    return [
        check_one(
            ctx,
            item,
            names,
            timings,
            None if isinstance(item, Page) else stored.get((item.source, item.page_id)),
        )
        for item, names in items
    ]


_T = TypeVar("_T")
_UNSET: Any = object()


class Forked(Generic[_T]):
    """`fn()` worked out in a forked child while this process goes on; `result()`
    waits for it. Where fork is not available, or another thread is alive (fork
    would copy its locks mid-use), or the child fails, `result()` calls `fn` here:
    the answer is the same, only later. `fn` must not use this process's SQLite
    connection (open its own) and its value must pickle."""

    def __init__(self, fn: Callable[[], _T]) -> None:
        self._fn = fn
        self._value: _T = _UNSET
        self._child: tuple[int, int] | None = None  # (pid, read end of the pipe)
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: send the value, and leave without the parent's exit code
            code = 1
            try:
                os.close(read)
                close_inherited_locks()
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._child = (pid, read)

    def result(self) -> _T:
        if self._value is _UNSET and self._child is not None:
            pid, read = self._child
            self._child = None
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            if status == 0:
                with contextlib.suppress(Exception):
                    self._value = pickle.loads(data)
        if self._value is _UNSET:
            self._value = self._fn()
        return self._value

    def cancel(self) -> None:
        """Stop the child when its value will not be asked for (the scan failed
        first): a child whose answer fills the pipe would wait for a reader."""
        if self._child is not None:
            pid, read = self._child
            self._child = None
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(read)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)  # the scan is gone; nothing here is worth finishing


def _init_worker(parent: int) -> None:
    close_inherited_locks()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # A worker's long-lived objects grow as it goes (the finding memo, the
    # encoders' caches): automatic full collections walked all of them again and
    # again, about a tenth of a worker's CPU. It collects once per chunk instead.
    gc.disable()


def _check_chunk(items: Sequence[tuple[Page | FromStore, tuple[str, ...]]]) -> _ChunkResult:
    ctx = _CONTEXT
    if ctx is None:  # pragma: no cover - only if a pool was not forked from a scan
        raise RuntimeError("worker started without a check context")
    timings: dict[str, float] = {}
    try:
        return check_items(ctx, items, timings), timings
    finally:
        # the memo entries and cache lines this chunk added: never walked again
        collector.collect_young_and_freeze()


#: One small page per front end, extracted in the parent before the workers fork
#: (for the content types among the first pages):
#: the parsers' modules, compiled patterns and caches are then inherited instead of
#: built again in every worker (a re-scan sends workers a few pages each).
_WARM_UP_PAGES = {
    "markdown": (
        "# Deploy\n\nSet `API_URL` in `config/app.yaml`, then run `make deploy`.\n\n"
        "```bash\n./deploy.sh --region eu-west-1\n```\n\n"
        "```yaml\nservice:\n  pool_size: 5\n```\n"
    ),
    "html": "<h1>Deploy</h1><p>Set <code>API_URL</code>.</p><pre><code>make deploy</code></pre>",
    "wikitext": "== Deploy ==\nSet <code>API_URL</code>, then run <code>make deploy</code>.\n",
}


def _warm_up(content_types: set[str]) -> None:
    from stale.extract import FRONT_ENDS, extract_claims

    for content_type, body in _WARM_UP_PAGES.items():
        if content_type not in FRONT_ENDS or content_type not in content_types:
            continue
        page = Page(
            source="", page_id="warm-up", url="", title="", body=body, content_type=content_type
        )
        with contextlib.suppress(Exception):  # only a head start: a failure costs nothing
            extract_claims(page)


class PageChecker:
    """Checks pages for one scan, in worker processes when that pays off.

    `add` queues a page and returns the results that are ready, in the order the
    pages were added; `finish` returns the rest. The caller keeps reading pages
    and writing verdicts while the workers check, so crawling, storing and
    checking overlap. A worker that dies (a crash in a C parser, the OOM killer)
    costs the pages of its chunks, never the scan: they are returned in `lost`
    and keep their earlier verdicts.
    """

    def __init__(self, ctx: CheckContext, workers: int, timings: dict[str, float]) -> None:
        self.ctx = ctx
        self.workers = workers if can_fork() else 1
        self.timings = timings
        self.pooled = False  # whether any pages went through the pool
        self.wait_seconds = 0.0  # wall time the caller spent waiting for checks
        self.lost: list[tuple[Any, str]] = []  # (tag, why) of pages a dead worker took
        self._pool: Executor | None = None
        self._buffer: list[tuple[Page | FromStore, tuple[str, ...], Any]] = []
        self._inflight: deque[tuple[list[Any], Future[_ChunkResult]]] = deque()

    def add(
        self, item: Page | FromStore, names: tuple[str, ...], tag: Any
    ) -> list[tuple[Any, PageRows | None]]:
        self._buffer.append((item, names, tag))
        if self._pool is None:
            if self.workers > 1 and len(self._buffer) >= MIN_POOL_PAGES:
                self._start()
            elif self.workers <= 1:
                return self._check_here()
            else:
                return []
        if len(self._buffer) >= CHUNK_PAGES:
            self._submit()
        return self._collect(block=len(self._inflight) > 4 * self.workers)

    def hungry(self) -> bool:
        """Whether more pages would keep the workers busy (no pool yet: pages are
        needed to start one; in one process: never, pages are checked as added)."""
        if self.workers <= 1:
            return False
        return self._pool is None or len(self._inflight) < 2 * self.workers

    def finish(self) -> list[tuple[Any, PageRows | None]]:
        """Every result not returned yet."""
        if self._pool is None:
            return self._check_here()
        if self._buffer:
            self._submit()
        return self._collect(block=True, drain=True)

    def _check_here(self) -> list[tuple[Any, PageRows | None]]:
        t0 = time.perf_counter()
        items, self._buffer = self._buffer, []
        results = check_items(self.ctx, [(item, names) for item, names, _ in items], self.timings)
        self.wait_seconds += time.perf_counter() - t0
        return [(tag, rows) for (_, _, tag), rows in zip(items, results, strict=True)]

    def _submit(self) -> None:
        assert self._pool is not None
        items, self._buffer = self._buffer, []
        for i in range(0, len(items), CHUNK_PAGES):
            chunk = items[i : i + CHUNK_PAGES]
            try:
                fut = self._pool.submit(_check_chunk, [(p, n) for p, n, _ in chunk])
            except BrokenExecutor:
                self._restart()
                fut = self._pool.submit(_check_chunk, [(p, n) for p, n, _ in chunk])
            self._inflight.append(([tag for _, _, tag in chunk], fut))

    def _collect(self, *, block: bool, drain: bool = False) -> list[tuple[Any, PageRows | None]]:
        out: list[tuple[Any, PageRows | None]] = []
        t0 = time.perf_counter()
        while self._inflight:
            must = drain or (block and len(self._inflight) > 4 * self.workers)
            if not must and not self._inflight[0][1].done():
                break
            tags, fut = self._inflight.popleft()
            try:
                results, worker_timings = fut.result()
            except BrokenExecutor as e:
                why = f"a worker process died ({type(e).__name__})"
                self.lost.extend((tag, why) for tag in tags)
                continue
            for k, v in worker_timings.items():
                self.timings[k] = self.timings.get(k, 0.0) + v
            out.extend(zip(tags, results, strict=True))
        self.wait_seconds += time.perf_counter() - t0
        return out

    def build_index(self) -> None:
        """Build the full code index now (counted as time waited for checks)."""
        t0 = time.perf_counter()
        self.ctx.repo_set.code(self.ctx.repo_set.names)
        self.wait_seconds += time.perf_counter() - t0

    def _start(self) -> Executor:
        global _CONTEXT
        if self._pool is None:
            self.build_index()  # before forking: every worker inherits it
            pages = [i if isinstance(i, Page) else i.page for i, _, _ in self._buffer]
            _warm_up({p.content_type for p in pages if p is not None})
            _CONTEXT = self.ctx
            # Everything allocated so far (the code index above all) lives as long
            # as the scan: out of the cyclic collector's sight, a worker's full
            # collections no longer walk it, and do not write to (and so copy) the
            # pages it shares with the parent. No collection first: it would walk
            # all of it once more (0.2 s at 100k pages, before any worker starts),
            # and what little garbage there is now is kept until the scan ends.
            gc.freeze()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
            self.pooled = True
        return self._pool

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._start()

    def close(self) -> None:
        global _CONTEXT, _READER
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            gc.unfreeze()
        _CONTEXT = None
        if _READER is not None and _READER[0] == os.getpid():
            _READER[1].conn.close()
        _READER = None

    def __enter__(self) -> PageChecker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
