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
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stale.model import Page
from stale.store import PageRows

if TYPE_CHECKING:
    from stale.config import JudgeConfig, LimitsConfig
    from stale.model import ClaimKind
    from stale.scan import Recheck, RepoSet
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


_ChunkResult = tuple[list[PageRows], dict[str, float]]

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
    ctx: CheckContext, page: Page | Recheck, names: Sequence[str], timings: dict[str, float]
) -> PageRows:
    """Check one page and turn the result into the rows that store it (here, in
    the worker: the parent only writes them)."""
    from stale.scan import Recheck, check_page, recheck_page
    from stale.store import page_rows

    code, memo = ctx.repo_set.code(names), ctx.repo_set.finding_memo(names)
    verifiers, judge_cfg, accepted, now = ctx.verifiers, ctx.judge_cfg, ctx.accepted, ctx.now
    if isinstance(page, Recheck):
        since = page.since_fp
        changes = ctx.repo_set.changes_since(since, tuple(names)) if since else None
        claims, verdict = recheck_page(
            page, code, verifiers, judge_cfg, accepted=accepted, now=now, timings=timings,
            memo=memo, changes=changes,
        )  # fmt: skip
        t0 = time.perf_counter()
        rows = page_rows(page.page, claims, verdict, page.findings if page.unread else None)
    else:
        claims, verdict = check_page(
            page, code, verifiers, judge_cfg, accepted=accepted, now=now, timings=timings,
            memo=memo, limits=ctx.limits,
        )  # fmt: skip
        t0 = time.perf_counter()
        rows = page_rows(page, claims, verdict)
    timings["store"] = timings.get("store", 0.0) + (time.perf_counter() - t0)
    return rows


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)  # the scan is gone; nothing here is worth finishing


def _init_worker(parent: int) -> None:
    from stale.store import HELD_LOCK_FDS

    for fd in list(HELD_LOCK_FDS):
        with contextlib.suppress(OSError):
            os.close(fd)  # the parent's flock stays; only this copy goes
    HELD_LOCK_FDS.clear()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _check_chunk(items: Sequence[tuple[Page | Recheck, tuple[str, ...]]]) -> _ChunkResult:
    ctx = _CONTEXT
    if ctx is None:  # pragma: no cover - only if a pool was not forked from a scan
        raise RuntimeError("worker started without a check context")
    timings: dict[str, float] = {}
    return [check_one(ctx, page, names, timings) for page, names in items], timings


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
        self._buffer: list[tuple[Page | Recheck, tuple[str, ...], Any]] = []
        self._inflight: deque[tuple[list[Any], Future[_ChunkResult]]] = deque()

    def add(
        self, page: Page | Recheck, names: tuple[str, ...], tag: Any
    ) -> list[tuple[Any, PageRows]]:
        self._buffer.append((page, names, tag))
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

    def finish(self) -> list[tuple[Any, PageRows]]:
        """Every result not returned yet."""
        if self._pool is None:
            return self._check_here()
        if self._buffer:
            self._submit()
        return self._collect(block=True, drain=True)

    def _check_here(self) -> list[tuple[Any, PageRows]]:
        t0 = time.perf_counter()
        items, self._buffer = self._buffer, []
        out = [(tag, check_one(self.ctx, page, names, self.timings)) for page, names, tag in items]
        self.wait_seconds += time.perf_counter() - t0
        return out

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

    def _collect(self, *, block: bool, drain: bool = False) -> list[tuple[Any, PageRows]]:
        out: list[tuple[Any, PageRows]] = []
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

    def _start(self) -> Executor:
        global _CONTEXT
        if self._pool is None:
            # Build the full index before forking: every worker inherits it.
            t0 = time.perf_counter()
            self.ctx.repo_set.code(self.ctx.repo_set.names)
            self.wait_seconds += time.perf_counter() - t0
            _warm_up({p.content_type for p, _, _ in self._buffer if isinstance(p, Page)})
            _CONTEXT = self.ctx
            # Everything allocated so far (the code index above all) lives as long
            # as the scan: out of the cyclic collector's sight, a worker's full
            # collections no longer walk it, and do not write to (and so copy) the
            # pages it shares with the parent.
            gc.collect()
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
        global _CONTEXT
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            gc.unfreeze()
        _CONTEXT = None

    def __enter__(self) -> PageChecker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
