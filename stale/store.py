"""SQLite store: runs, sources, repos, pages, claims/findings, verdicts.

Schema changes are numbered migrations recorded in `schema_migrations`; a
database written by a newer `stale` is refused, never rewritten. A verdict and
its findings are replaced in one transaction, so a killed scan leaves every
page either with its old verdict or its new one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from stale.incremental import page_touch
from stale.model import (
    Claim,
    ClaimKind,
    Evidence,
    Finding,
    Outcome,
    Page,
    Signal,
    Status,
    Verdict,
    new_claim,
    new_span,
)


class StoreError(Exception):
    """The store cannot be opened or is not ours. str() is a one-line fix-it message."""


class StoreLocked(StoreError):
    """Another scan holds the store."""


#: File descriptors of the scan locks this process holds: a forked worker closes
#: them, so a worker outliving a killed scan cannot keep its store locked.
HELD_LOCK_FDS: set[int] = set()


def close_inherited_locks() -> None:
    """In a forked process: close its copies of the scan locks. The locks stay the
    parent's, and a child that outlives a killed scan cannot keep a store locked."""
    import os

    for fd in list(HELD_LOCK_FDS):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD_LOCK_FDS.clear()


class ScanLock:
    """One scan per store at a time: an exclusive `flock` on `<store>.lock`.

    The kernel releases the lock when its process dies, however it dies, so a
    lock left by a killed scan is never stale: the next scan just takes it.
    The file holds the holder's pid for the error message only.
    """

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise StoreLocked(
                f"{self.path}: another scan (pid {holder}) is using this store; "
                "wait for it or pass another --store"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        HELD_LOCK_FDS.add(fd)

    def release(self) -> None:
        import fcntl
        import os

        if self._fd is not None:
            HELD_LOCK_FDS.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ScanLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "initial schema",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            code_fingerprint TEXT,
            stats TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            options TEXT NOT NULL DEFAULT '{}',
            repos TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE repos (
            name TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            head TEXT
        );
        CREATE TABLE pages (
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            last_modified TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            labels TEXT NOT NULL DEFAULT '[]',
            properties TEXT NOT NULL DEFAULT '[]',
            seen_run INTEGER,
            PRIMARY KEY (source, page_id)
        );
        CREATE INDEX pages_url ON pages(url);
        CREATE TABLE claims (
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            claim_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            value TEXT,
            context TEXT,
            line INTEGER NOT NULL,
            col INTEGER NOT NULL,
            historical INTEGER NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            outcome TEXT,
            message TEXT NOT NULL DEFAULT '',
            suggestion TEXT,
            evidence TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (source, page_id, claim_key)
        );
        CREATE TABLE verdicts (
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            status TEXT NOT NULL,
            score REAL NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            signals TEXT NOT NULL DEFAULT '[]',
            checked_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            code_fingerprint TEXT NOT NULL DEFAULT '',
            settings_fingerprint TEXT NOT NULL DEFAULT '',
            error TEXT,
            run_id INTEGER,
            PRIMARY KEY (source, page_id)
        );
        CREATE INDEX verdicts_status ON verdicts(status);
        """,
    ),
    (
        "triage baseline",
        """
        ALTER TABLE claims ADD COLUMN accepted TEXT;
        CREATE TABLE accepted (
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            claim_key TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (source, page_id, claim_key)
        );
        """,
    ),
    (
        "write-back: tag actions and tag state",
        """
        CREATE TABLE tag_actions (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            action TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            error TEXT
        );
        CREATE INDEX tag_actions_page ON tag_actions(source, page_id);
        CREATE TABLE tags (
            source TEXT NOT NULL,
            page_id TEXT NOT NULL,
            tagged_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (source, page_id)
        );
        """,
    ),
    (
        "embedding cache",
        """
        CREATE TABLE embeddings (
            content_hash TEXT NOT NULL,
            embedder TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (content_hash, embedder)
        );
        """,
    ),
    (
        "incremental crawls",
        """
        ALTER TABLE sources ADD COLUMN crawled_at TEXT;
        """,
    ),
    (
        "touch points per verdict",
        """
        ALTER TABLE verdicts ADD COLUMN touch TEXT;
        """,
    ),
    (
        "code fingerprint aliases",
        """
        CREATE TABLE code_fp_alias (
            source TEXT NOT NULL,
            old_fp TEXT NOT NULL,
            new_fp TEXT NOT NULL,
            PRIMARY KEY (source, old_fp)
        );
        """,
    ),
    (
        "page id lookup",
        # `stale check <id>` finds a page by id in any source: without this, a scan
        # of every page row (25 ms at 100k pages, a tenth of the command)
        """
        CREATE INDEX pages_page_id ON pages(page_id);
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


@dataclass(frozen=True)
class StoredFinding:
    """A claim's finding as stored: what `finding()` needs to rebuild it (the
    evidence stays JSON until then: most are never rebuilt)."""

    outcome: str
    message: str
    suggestion: str | None
    evidence: str  # JSON
    accepted: str | None = None

    def finding(self, claim: Claim) -> Finding:
        return Finding(
            claim=claim,
            outcome=_OUTCOMES[self.outcome],
            evidence=_evidence_from_json(self.evidence),
            message=self.message,
            suggestion=self.suggestion,
        )


@dataclass(frozen=True)
class StoredCheck:
    """A page's last check, to check it again without reading or extracting it:
    the page without its body, its claims in page order, each claim's stored
    finding (None for a hint), and the hazards found in its body."""

    page: Page
    claims: tuple[Claim, ...]
    findings: tuple[StoredFinding | None, ...]
    hazards: tuple[Signal, ...]
    #: the verdict's touch points (PageTouch JSON), None when not stored
    touch: str | None = None


@dataclass(frozen=True)
class PageRows:
    """One page's check as store rows: built where the page was checked (in a
    worker process; plain strings and numbers pickle several times faster than the
    claims and findings they come from) and written by the one process that
    writes (`Store.write_rows`). `page` is None for a page checked again from its
    stored claims: its page row and claims stay, and `claims` holds only the
    findings that changed (UPDATE rows)."""

    source: str
    page_id: str
    status: str
    page: tuple[Any, ...] | None  # the pages row, but seen_run
    claims: tuple[tuple[Any, ...], ...]
    verdict: tuple[Any, ...]  # the verdicts row, but the fingerprints and run

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.page_id)


_NO_FINDING: tuple[str | None, str, str | None, str, str | None] = (None, "", None, "[]", None)


def page_rows(
    page: Page,
    claims: Sequence[Claim],
    verdict: Verdict,
    previous: Sequence[StoredFinding | None] | None = None,
    touch: str | None = None,
) -> PageRows:
    """The rows that store one page's check. With `previous` (the findings stored
    for `claims`, the page checked again from the store), the page row and claims
    stay and only the findings that changed are written; then `touch`, the touch
    points stored with them, is kept when no finding changed (they are worked
    out from the claims and the findings' evidence alone)."""
    findings = {f.claim.key: f for f in verdict.findings}

    def verdict_row(touch: str | None) -> tuple[Any, ...]:
        return (
            verdict.source,
            verdict.page_id,
            str(verdict.status),
            verdict.score,
            json.dumps(list(verdict.reasons)),
            _signals_to_json(verdict.signals),
            _iso(verdict.checked_at) or _now(),
            verdict.content_hash,
            verdict.error,
            touch or page_touch(claims, verdict.findings).to_json(),
        )

    source, page_id = page.source, page.page_id
    if previous is not None and len(previous) == len(claims):
        updates = []
        for cl, old in zip(claims, previous, strict=True):
            f = findings.get(cl.key)
            if f is None:
                if old is not None:
                    updates.append((*_NO_FINDING, source, page_id, cl.key))
                continue
            outcome = str(f.outcome)
            if (
                old is not None
                and (outcome, f.message, f.suggestion, f.accepted)
                == (old.outcome, old.message, old.suggestion, old.accepted)
                # a kept finding's evidence is the very tuple its JSON decodes to
                # (cached): no need to encode it again to see it is unchanged
                and (
                    f.evidence is _evidence_from_json(old.evidence)
                    or _evidence_to_json(f.evidence) == old.evidence
                )
            ):
                continue
            evidence = _evidence_to_json(f.evidence)
            updates.append(
                (outcome, f.message, f.suggestion, evidence, f.accepted, source, page_id, cl.key)
            )
        row = verdict_row(None if updates else touch)
        return PageRows(source, page_id, str(verdict.status), None, tuple(updates), row)
    page_row = (
        source,
        page_id,
        page.url,
        page.title,
        page.content_type,
        page.content_hash,
        _iso(page.last_modified),
        json.dumps(page.authors),
        json.dumps(page.labels),
        json.dumps(page.properties),
    )
    claim_rows = []
    for cl in claims:
        f = findings.get(cl.key)
        claim_rows.append(
            (
                source,
                page_id,
                cl.key,
                str(cl.kind),
                cl.subject,
                cl.value,
                cl.context,
                cl.span.line,
                cl.span.column,
                int(cl.historical),
                cl.text,
                str(f.outcome) if f else None,
                f.message if f else "",
                f.suggestion if f else None,
                _evidence_to_json(f.evidence) if f else "[]",
                f.accepted if f else None,
            )
        )
    return PageRows(
        source, page_id, str(verdict.status), page_row, tuple(claim_rows), verdict_row(None)
    )


@dataclass(frozen=True)
class StoredPage:
    """A page's row: what the store knows about a page without its body."""

    source: str
    page_id: str
    url: str
    title: str
    content_type: str
    content_hash: str
    last_modified: datetime | None
    authors: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class SourceRecord:
    name: str
    type: str
    location: str
    options: dict[str, Any]
    repos: tuple[str, ...]


@dataclass(frozen=True)
class RunRecord:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    code_fingerprint: str | None
    stats: dict[str, Any]


# stored value -> member: an Enum call costs a Python-level lookup per claim read
_CLAIM_KINDS: dict[str, ClaimKind] = {str(k): k for k in ClaimKind}
_OUTCOMES: dict[str, Outcome] = {str(o): o for o in Outcome}


def _claim_row(source: str, page_id: str, r: Sequence[Any], key: str | None = None) -> Claim:
    """A Claim from (kind, subject, value, context, line, col, historical, text).
    `key`: the key stored with it (the claim's key when it was written, so it is
    not hashed again)."""
    claim = new_claim(
        source,
        page_id,
        _CLAIM_KINDS[r[0]],
        r[1],
        r[2],
        r[3],
        new_span(int(r[4]), int(r[5])),
        bool(r[6]),
        r[7],
    )
    if key is not None:
        claim.__dict__["key"] = key  # see model._computed_once
    return claim


def _evidence_to_json(ev: Sequence[Evidence]) -> str:
    # the same evidence recurs on every page that makes the same claim (the scan
    # verifies a claim once and reuses its finding): encoded once
    return _evidence_tuple_json(ev if isinstance(ev, tuple) else tuple(ev))


@lru_cache(maxsize=1 << 15)
def _evidence_tuple_json(ev: tuple[Evidence, ...]) -> str:
    return json.dumps([{k: v for k, v in vars(e).items() if v is not None} for e in ev])


@lru_cache(maxsize=1 << 15)
def _evidence_from_json(s: str) -> tuple[Evidence, ...]:
    return tuple(Evidence(**d) for d in json.loads(s))


def _json_strings(text: str) -> tuple[str, ...]:
    """A stored JSON list of strings (authors, labels), mostly empty."""
    return () if text == "[]" else tuple(json.loads(text))


def _signals_to_json(signals: Sequence[Signal]) -> str:
    return json.dumps(
        [
            {
                "kind": s.kind,
                "message": s.message,
                "weight": s.weight,
                "evidence": json.loads(_evidence_to_json(s.evidence)),
            }
            for s in signals
        ]
    )


def _signals_from_json(s: str) -> tuple[Signal, ...]:
    out = []
    for d in json.loads(s):
        ev = tuple(Evidence(**e) for e in d.get("evidence", []))
        out.append(Signal(kind=d["kind"], message=d["message"], weight=d["weight"], evidence=ev))
    return tuple(out)


class Store:
    """One SQLite database. Open with `Store.open(path)`; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # -- opening and migrations -------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, readonly: bool = False) -> Store:
        if not path.exists():
            if not create:
                raise StoreError(
                    f"{path}: no store here yet; run `stale scan` first or pass --store"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"{path}: cannot create the store folder ({e.strerror})") from None
        try:
            if readonly:
                # a URI, so that a path with `?` or `#` in it still names the file
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            else:
                conn = sqlite3.connect(path, timeout=30)
            conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, path)
            store._migrate(readonly=readonly)
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"{path}: not a readable stale store ({e}); move it aside or pass another --store"
            ) from None
        return store

    def _schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
        ).fetchone()
        if row is None:
            tables = self.conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table'"
            ).fetchone()[0]
            if tables:
                raise StoreError(
                    f"{self.path}: this SQLite file is not a stale store; pass another --store"
                )
            return 0
        return int(
            self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0
        )

    def _migrate(self, *, readonly: bool) -> None:
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer stale (schema {version} > {SCHEMA_VERSION}); "
                "upgrade stale, the store was not touched"
            )
        if version == SCHEMA_VERSION:
            return
        if readonly:
            raise StoreError(f"{self.path}: store needs an upgrade; run `stale scan` once")
        with self.conn:
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            # executescript commits first; run the statements inside one explicit transaction.
            self.conn.execute("BEGIN")
            try:
                for statement in sql.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, _now()),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def migrations(self) -> list[tuple[int, str, str]]:
        return [
            (int(r[0]), r[1], r[2])
            for r in self.conn.execute(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            )
        ]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------

    def start_run(self, code_fingerprint: str | None = None) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO runs(started_at, status, code_fingerprint) VALUES (?, 'running', ?)",
                (_now(), code_fingerprint),
            )
        return int(cur.lastrowid or 0)

    def mark_interrupted(self) -> int:
        """Runs still 'running' while we hold the scan lock died mid-way (killed,
        power loss); record that. Their committed batches stay valid."""
        with self.conn:
            cur = self.conn.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
            )
        return cur.rowcount

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                (_now(), status, json.dumps(stats, sort_keys=True), run_id),
            )

    def run(self, run_id: int) -> RunRecord | None:
        row = self.conn.execute(
            "SELECT id, started_at, finished_at, status, code_fingerprint, stats FROM runs "
            "WHERE id = ?",
            (run_id,),
        ).fetchone()
        return self._run(row) if row else None

    def last_run(self) -> RunRecord | None:
        row = self.conn.execute(
            "SELECT id, started_at, finished_at, status, code_fingerprint, stats FROM runs "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return self._run(row) if row else None

    @staticmethod
    def _run(row: Sequence[Any]) -> RunRecord:
        return RunRecord(
            id=int(row[0]),
            started_at=row[1],
            finished_at=row[2],
            status=row[3],
            code_fingerprint=row[4],
            stats=json.loads(row[5] or "{}"),
        )

    # -- sources and repos (so `stale check` works without a config) --------------

    def save_source(self, rec: SourceRecord) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO sources(name, type, location, options, repos) VALUES (?,?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET type=excluded.type, location=excluded.location, "
                "options=excluded.options, repos=excluded.repos",
                (rec.name, rec.type, rec.location, json.dumps(rec.options), json.dumps(rec.repos)),
            )

    def sources(self) -> list[SourceRecord]:
        return [
            SourceRecord(r[0], r[1], r[2], json.loads(r[3]), tuple(json.loads(r[4])))
            for r in self.conn.execute(
                "SELECT name, type, location, options, repos FROM sources ORDER BY name"
            )
        ]

    def crawled_at(self, source: str) -> datetime | None:
        """Start time of the last complete crawl of `source` (incremental crawls start there)."""
        row = self.conn.execute(
            "SELECT crawled_at FROM sources WHERE name = ?", (source,)
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None

    def set_crawled_at(self, source: str, when: datetime) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE sources SET crawled_at = ? WHERE name = ?", (when.isoformat(), source)
            )

    def all_page_properties(self, source: str) -> dict[str, tuple[tuple[str, str], ...]]:
        """page_id -> properties of every page of a source that has any, in one read."""
        return {
            pid: tuple((str(k), str(v)) for k, v in json.loads(props))
            for pid, props in self.conn.execute(
                "SELECT page_id, properties FROM pages "
                "WHERE source = ? AND properties NOT IN ('', '[]')",
                (source,),
            )
        }

    def forget_page(self, source: str, page_id: str) -> None:
        """Drop a page the wiki says no longer exists."""
        with self.conn:
            for table in ("claims", "verdicts", "pages"):
                self.conn.execute(
                    f"DELETE FROM {table} WHERE source = ? AND page_id = ?", (source, page_id)
                )

    def save_repo(self, name: str, path: str, head: str | None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO repos(name, path, head) VALUES (?,?,?) ON CONFLICT(name) DO UPDATE "
                "SET path=excluded.path, head=excluded.head",
                (name, path, head),
            )

    def repos(self) -> list[tuple[str, str, str | None]]:
        return [
            (r[0], r[1], r[2])
            for r in self.conn.execute("SELECT name, path, head FROM repos ORDER BY name")
        ]

    # -- pages and verdicts -------------------------------------------------------

    def verdict_states(
        self, source: str, settings_fingerprint: str, *, checked_before: str | None = None
    ) -> dict[str, tuple[str, str, str, bool]]:
        """page_id -> (content_hash, code_fingerprint, status, usable) of the stored
        verdicts of a source. `usable`: checked under `settings_fingerprint` and not
        before `checked_before` (ISO time; an older verdict needs a new check). The
        settings are compared in SQL: they are long, and this reads every verdict."""
        fresh = "checked_at >= ?" if checked_before is not None else "1"
        args = (settings_fingerprint, *([checked_before] if checked_before else []), source)
        return {
            r[0]: (r[1], r[2], r[3], bool(r[4]))
            for r in self.conn.execute(
                "SELECT page_id, content_hash, code_fingerprint, status, "
                f"settings_fingerprint = ? AND {fresh} FROM verdicts WHERE source = ?",
                args,
            )
        }

    def verdict_page_ids(self, source: str) -> set[str]:
        """The ids of the pages of `source` that have a verdict."""
        return {
            r[0]
            for r in self.conn.execute("SELECT page_id FROM verdicts WHERE source = ?", (source,))
        }

    def all_page_touch(self, source: str) -> Iterator[tuple[str, str | None]]:
        """(page_id, touch JSON) of every verdict of a source: what its claims can be
        touched by (stale.incremental.PageTouch), written with the verdict; None for a
        verdict stored before touch points were (read them from the claims then)."""
        yield from self.conn.execute(
            "SELECT page_id, touch FROM verdicts WHERE source = ?", (source,)
        )

    def set_touch(self, source: str, touches: Iterable[tuple[str, str]]) -> None:
        """Store (page_id, touch JSON) for verdicts written before touch points were."""
        with self.conn:
            self.conn.executemany(
                "UPDATE verdicts SET touch = ? WHERE source = ? AND page_id = ?",
                [(t, source, pid) for pid, t in touches],
            )

    def all_touch_points(self, source: str) -> Iterator[tuple[str, str, str, str | None, str]]:
        """(page_id, kind, subject, value, evidence JSON) of every claim of a source,
        in one read: the scan asks for every page after the repos moved."""
        yield from self.conn.execute(
            "SELECT page_id, kind, subject, value, evidence FROM claims WHERE source = ?",
            (source,),
        )

    def code_fp_aliases(self, source: str) -> dict[str, str]:
        """old code fingerprint -> the newer one its verdicts of `source` hold under."""
        return dict(
            self.conn.execute(
                "SELECT old_fp, new_fp FROM code_fp_alias WHERE source = ?", (source,)
            ).fetchall()
        )

    def alias_code_fingerprints(self, source: str, pairs: Iterable[tuple[str, str]]) -> None:
        """After a complete crawl in which every verdict of `source` under `old` was
        either checked again or found untouched by the change to `new`: all of them
        hold under `new` (one row instead of rewriting every carried verdict)."""
        with self.conn:
            for old, new in sorted(set(pairs)):
                if old == new:
                    continue
                # verdicts written under `new` this run must read as `new`
                self.conn.execute(
                    "DELETE FROM code_fp_alias WHERE source = ? AND old_fp = ?", (source, new)
                )
                self.conn.execute(
                    "UPDATE code_fp_alias SET new_fp = ? WHERE source = ? AND new_fp = ?",
                    (new, source, old),
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO code_fp_alias(source, old_fp, new_fp) VALUES (?,?,?)",
                    (source, old, new),
                )

    def refingerprint(self, rows: Iterable[tuple[str, str, str, int]]) -> None:
        """Verdicts that still hold under a new code fingerprint: (source, page_id, fp, run).
        (Whether the crawl saw the page is `mark_seen`'s business.)"""
        with self.conn:
            self.conn.executemany(
                "UPDATE verdicts SET code_fingerprint = ? WHERE source = ? AND page_id = ?",
                [(fp, s, p) for s, p, fp, _ in rows],
            )

    def mark_seen(self, keys: Iterable[tuple[str, str]], run_id: int) -> None:
        with self.conn:
            self.conn.executemany(
                "UPDATE pages SET seen_run = ? WHERE source = ? AND page_id = ?",
                [(run_id, s, p) for s, p in keys],
            )

    def save_results(
        self,
        results: Iterable[tuple[Page, Sequence[Claim], Verdict]],
        *,
        run_id: int,
        code_fingerprint: str,
        settings_fingerprint: str,
        verified: bool = True,
        unread: Mapping[tuple[str, str], Sequence[StoredFinding | None]] | None = None,
    ) -> int:
        """Replace pages' claims, findings and verdicts in one transaction.
        `verified`: the findings were checked against the code under
        `code_fingerprint` now (not re-judged from the store); an alias that reads
        that fingerprint as a newer one no longer holds for every verdict under it.
        `unread`: pages checked again from their stored claims, with the findings
        stored for them: their page row and claims stay, only changed findings and
        the verdict are written."""
        rows = [
            (page_rows(page, claims, verdict, unread.get(page.key) if unread else None),
             code_fingerprint)
            for page, claims, verdict in results
        ]  # fmt: skip
        return self.write_rows(
            rows, run_id=run_id, settings_fingerprint=settings_fingerprint, verified=verified
        )

    def write_rows(
        self,
        rows: Sequence[tuple[PageRows, str]],
        *,
        run_id: int,
        settings_fingerprint: str,
        verified: bool = True,
    ) -> int:
        """Write checked pages, each (rows, code fingerprint it was checked under),
        in one transaction (see `page_rows`; `verified` as for `save_results`). A
        page given twice is written as its last."""
        latest = {r.key: (r, fp) for r, fp in rows}
        replaced = [(r, fp) for r, fp in latest.values() if r.page is not None]
        c = self.conn
        with c:
            c.executemany(
                "INSERT INTO pages(source, page_id, url, title, content_type, content_hash, "
                "last_modified, authors, labels, properties, seen_run) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, page_id) DO UPDATE SET "
                "url=excluded.url, title=excluded.title, content_type=excluded.content_type, "
                "content_hash=excluded.content_hash, last_modified=excluded.last_modified, "
                "authors=excluded.authors, labels=excluded.labels, "
                "properties=excluded.properties, seen_run=excluded.seen_run",
                [(*r.page, run_id) for r, _ in replaced if r.page is not None],
            )
            c.executemany(
                "DELETE FROM claims WHERE source = ? AND page_id = ?",
                [r.key for r, _ in replaced],
            )
            c.executemany(
                "INSERT OR REPLACE INTO claims(source, page_id, claim_key, kind, subject, "
                "value, context, line, col, historical, text, outcome, message, suggestion, "
                "evidence, accepted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [row for r, _ in replaced for row in r.claims],
            )
            c.executemany(
                "UPDATE claims SET outcome = ?, message = ?, suggestion = ?, evidence = ?, "
                "accepted = ? WHERE source = ? AND page_id = ? AND claim_key = ?",
                [row for r, _ in latest.values() if r.page is None for row in r.claims],
            )
            c.executemany(
                "INSERT INTO verdicts(source, page_id, status, score, reasons, signals, "
                "checked_at, content_hash, error, touch, code_fingerprint, "
                "settings_fingerprint, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(source, page_id) DO UPDATE SET "
                "status=excluded.status, score=excluded.score, reasons=excluded.reasons, "
                "signals=excluded.signals, checked_at=excluded.checked_at, "
                "content_hash=excluded.content_hash, code_fingerprint=excluded.code_fingerprint, "
                "settings_fingerprint=excluded.settings_fingerprint, error=excluded.error, "
                "run_id=excluded.run_id, touch=excluded.touch",
                [(*r.verdict, fp, settings_fingerprint, run_id) for r, fp in latest.values()],
            )
            if verified:
                c.executemany(
                    "DELETE FROM code_fp_alias WHERE source = ? AND old_fp = ?",
                    sorted({(r.source, fp) for r, fp in latest.values()}),
                )
        return len(latest)

    def forget_unseen(self, source: str, run_id: int) -> int:
        """Drop pages of `source` that the completed crawl of run `run_id` did not see."""
        with self.conn:
            gone = [
                r[0]
                for r in self.conn.execute(
                    "SELECT page_id FROM pages WHERE source = ? "
                    "AND (seen_run IS NULL OR seen_run != ?)",
                    (source, run_id),
                )
            ]
            for pid in gone:
                for table in ("claims", "verdicts", "pages"):
                    self.conn.execute(
                        f"DELETE FROM {table} WHERE source = ? AND page_id = ?", (source, pid)
                    )
        return len(gone)

    def page(self, source: str, page_id: str) -> StoredPage | None:
        row = self.conn.execute(
            "SELECT source, page_id, url, title, content_type, content_hash, last_modified, "
            "authors, labels FROM pages WHERE source = ? AND page_id = ?",
            (source, page_id),
        ).fetchone()
        return self._page(row) if row else None

    def pages(self) -> Iterator[StoredPage]:
        for row in self.conn.execute(
            "SELECT source, page_id, url, title, content_type, content_hash, last_modified, "
            "authors, labels FROM pages ORDER BY source, page_id"
        ):
            yield self._page(row)

    @staticmethod
    def _page(row: Sequence[Any]) -> StoredPage:
        return StoredPage(
            source=row[0],
            page_id=row[1],
            url=row[2],
            title=row[3],
            content_type=row[4],
            content_hash=row[5],
            last_modified=_dt(row[6]),
            authors=tuple(json.loads(row[7])),
            labels=tuple(json.loads(row[8])),
        )

    def find_pages(self, ref: str) -> list[tuple[str, str]]:
        """(source, page_id) pairs whose id or URL equals `ref`."""
        rows = self.conn.execute(
            "SELECT source, page_id FROM pages WHERE page_id = ? OR url = ? ORDER BY source",
            (ref, ref),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def stored_check(self, source: str, page_id: str) -> StoredCheck | None:
        """A page as it was last checked, to check again without reading it from the
        wiki: the page without its body, its claims in page order with their stored
        findings, and the hazards found in its body. None when there is no verdict
        or its check failed."""
        return self.stored_checks(source, [page_id]).get(page_id)

    def stored_checks(self, source: str, page_ids: Sequence[str]) -> dict[str, StoredCheck]:
        """`stored_check` for many pages in a few queries (pages without one are left out)."""
        out: dict[str, StoredCheck] = {}
        for start in range(0, len(page_ids), 500):  # SQLite's bound-parameter limit
            chunk = list(page_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            pages: dict[str, tuple[Page, tuple[Signal, ...], str | None]] = {}
            for row in self.conn.execute(
                "SELECT p.page_id, p.url, p.title, p.content_type, p.content_hash, "
                "p.last_modified, p.authors, p.labels, p.properties, v.signals, v.error, "
                "v.touch FROM pages p JOIN verdicts v "
                "ON v.source = p.source AND v.page_id = p.page_id "
                f"WHERE p.source = ? AND p.page_id IN ({marks})",
                (source, *chunk),
            ):
                if row[10]:
                    continue  # the last check failed: read the page again
                page = Page(
                    source=source,
                    page_id=row[0],
                    url=row[1],
                    title=row[2],
                    body="",
                    content_type=row[3],
                    last_modified=_dt(row[5]),
                    authors=_json_strings(row[6]),
                    labels=_json_strings(row[7]),
                    properties=tuple((str(k), str(v)) for k, v in json.loads(row[8] or "[]")),
                    content_hash=row[4],
                )
                hazards = tuple(s for s in _signals_from_json(row[9]) if s.kind == "hazard")
                pages[row[0]] = (page, hazards, row[11])
            rows: dict[str, tuple[list[Claim], list[StoredFinding | None]]] = {
                pid: ([], []) for pid in pages
            }
            # rowid: a page's claims were inserted in the order the page makes them
            for r in self.conn.execute(
                "SELECT page_id, kind, subject, value, context, line, col, historical, text, "
                "outcome, message, suggestion, evidence, accepted, claim_key FROM claims "
                f"WHERE source = ? AND page_id IN ({marks}) ORDER BY page_id, rowid",
                (source, *chunk),
            ):
                held = rows.get(r[0])
                if held is None:
                    continue
                held[0].append(_claim_row(source, r[0], r[1:9], r[14]))
                held[1].append(StoredFinding(r[9], r[10], r[11], r[12], r[13]) if r[9] else None)
            for pid, (page, hazards, touch) in pages.items():
                claims, findings = rows[pid]
                out[pid] = StoredCheck(page, tuple(claims), tuple(findings), hazards, touch)
        return out

    def claims(self, source: str, page_id: str) -> list[tuple[Claim, Finding | None]]:
        out: list[tuple[Claim, Finding | None]] = []
        for r in self.conn.execute(
            "SELECT kind, subject, value, context, line, col, historical, text, outcome, "
            "message, suggestion, evidence, accepted FROM claims WHERE source = ? AND page_id = ? "
            "ORDER BY line, col, kind, subject",
            (source, page_id),
        ):
            claim = _claim_row(source, page_id, r[:8])
            finding = (
                Finding(
                    claim=claim,
                    outcome=Outcome(r[8]),
                    evidence=_evidence_from_json(r[11]),
                    message=r[9],
                    suggestion=r[10],
                    accepted=r[12],
                )
                if r[8]
                else None
            )
            out.append((claim, finding))
        return out

    def verdict(self, source: str, page_id: str) -> Verdict | None:
        row = self.conn.execute(
            "SELECT status, score, reasons, signals, checked_at, content_hash, error "
            "FROM verdicts WHERE source = ? AND page_id = ?",
            (source, page_id),
        ).fetchone()
        if row is None:
            return None
        findings = tuple(f for _, f in self.claims(source, page_id) if f is not None)
        return Verdict(
            source=source,
            page_id=page_id,
            status=Status(row[0]),
            score=float(row[1]),
            findings=findings,
            signals=_signals_from_json(row[3]),
            reasons=tuple(json.loads(row[2])),
            checked_at=_dt(row[4]),
            content_hash=row[5],
            error=row[6],
        )

    def verdicts(self) -> Iterator[Verdict]:
        keys = self.conn.execute(
            "SELECT source, page_id FROM verdicts ORDER BY source, page_id"
        ).fetchall()
        for source, page_id in keys:
            v = self.verdict(source, page_id)
            if v is not None:
                yield v

    def accepted(self) -> dict[tuple[str, str, str], str]:
        """(source, page_id, claim_key) -> reason, as last synced from the baseline file."""
        return {
            (r[0], r[1], r[2]): r[3]
            for r in self.conn.execute("SELECT source, page_id, claim_key, reason FROM accepted")
        }

    def set_accepted(self, entries: dict[tuple[str, str, str], str]) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM accepted")
            self.conn.executemany(
                "INSERT INTO accepted(source, page_id, claim_key, reason) VALUES (?,?,?,?)",
                [(s, p, k, r) for (s, p, k), r in entries.items()],
            )

    # -- write-back (stale/tagging.py) ---------------------------------------------

    def record_tag_action(
        self,
        source: str,
        page_id: str,
        action: str,
        reason: str,
        status: str,
        error: str | None = None,
        *,
        tagged: bool | None = None,
    ) -> int:
        """Log one tag/untag attempt; on success also update the `tags` state.
        `status`: ok / failed (nothing changed) / unknown (a write that may or may
        not have been applied) / started (logged before the wiki is written to;
        `finish_tag_action` closes it). A `verify` action (the wiki was read after
        an unknown outcome) sets the `tags` state to what was found: `tagged`.
        Returns the row id."""
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO tag_actions(at, source, page_id, action, reason, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now(), source, page_id, action, reason, status, error),
            )
            if status == "ok":
                self._set_tag_state(source, page_id, action, reason, tagged)
        return int(cur.lastrowid or 0)

    def _set_tag_state(
        self, source: str, page_id: str, action: str, reason: str, tagged: bool | None = None
    ) -> None:
        if action == "tag" or (action == "verify" and tagged):
            if action == "verify":  # keep the reason the page was tagged for
                row = self.conn.execute(
                    "SELECT reason FROM tag_actions WHERE source = ? AND page_id = ? "
                    "AND action = 'tag' ORDER BY id DESC LIMIT 1",
                    (source, page_id),
                ).fetchone()
                reason = row[0] if row else reason
            self.conn.execute(
                "INSERT OR REPLACE INTO tags(source, page_id, tagged_at, reason) "
                "VALUES (?, ?, ?, ?)",
                (source, page_id, _now(), reason),
            )
        elif action in ("untag", "verify"):
            self.conn.execute(
                "DELETE FROM tags WHERE source = ? AND page_id = ?", (source, page_id)
            )

    def finish_tag_action(self, action_id: int, status: str, error: str | None = None) -> None:
        """Close a `started` attempt with its outcome; on `ok` update the `tags`
        state in the same transaction."""
        with self.conn:
            row = self.conn.execute(
                "SELECT source, page_id, action, reason FROM tag_actions WHERE id = ?",
                (action_id,),
            ).fetchone()
            if row is None:
                return
            self.conn.execute(
                "UPDATE tag_actions SET at = ?, status = ?, error = ? WHERE id = ?",
                (_now(), status, error, action_id),
            )
            if status == "ok":
                self._set_tag_state(row[0], row[1], row[2], row[3])

    def interrupt_tag_actions(self) -> int:
        """Attempts left `started` by a run that died before the wiki answered
        become `unknown`; call it while holding the store's lock."""
        with self.conn:
            cur = self.conn.execute(
                "UPDATE tag_actions SET status = 'unknown', error = ? WHERE status = 'started'",
                ("interrupted: the run ended before the wiki answered",),
            )
        return int(cur.rowcount or 0)

    def unsettled_tags(self, source: str) -> dict[str, dict[str, Any]]:
        """page_id -> the last attempt, for pages whose last attempt that may have
        changed something (failed ones changed nothing) has an unknown outcome:
        the wiki must be read before stale believes either way."""
        cols = ("page_id", "action", "reason", "status", "error")
        rows = self.conn.execute(
            "SELECT t.page_id, t.action, t.reason, t.status, t.error FROM tag_actions t "
            "WHERE t.source = ? AND t.status IN ('unknown', 'started') AND t.id = ("
            "SELECT max(u.id) FROM tag_actions u WHERE u.source = t.source "
            "AND u.page_id = t.page_id AND u.status != 'failed')",
            (source,),
        )
        return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}

    def tagged(self, source: str) -> dict[str, str]:
        """page_id -> reason of the pages of `source` that stale has tagged."""
        return {
            r[0]: r[1]
            for r in self.conn.execute(
                "SELECT page_id, reason FROM tags WHERE source = ?", (source,)
            )
        }

    def tag_actions(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent tag actions, newest first."""
        cols = ("at", "source", "page_id", "action", "reason", "status", "error")
        return [
            dict(zip(cols, r, strict=True))
            for r in self.conn.execute(
                f"SELECT {', '.join(cols)} FROM tag_actions ORDER BY id DESC LIMIT ?", (limit,)
            )
        ]

    def page_counts(self) -> dict[str, dict[str, int]]:
        """source -> status -> number of pages (status "unchecked" without a verdict)."""
        out: dict[str, dict[str, int]] = {}
        for source, status, n in self.conn.execute(
            "SELECT p.source, coalesce(v.status, 'unchecked'), count(*) FROM pages p "
            "LEFT JOIN verdicts v ON v.source = p.source AND v.page_id = p.page_id "
            "GROUP BY 1, 2"
        ):
            out.setdefault(source, {})[status] = int(n)
        return out

    # -- embedding cache (stale/semantic) -------------------------------------------------

    def cached_embeddings(self, keys: Iterable[str], embedder: str) -> dict[str, bytes]:
        """content hash -> float32 vector bytes, for the keys cached under `embedder`."""
        out: dict[str, bytes] = {}
        todo = list(dict.fromkeys(keys))
        for i in range(0, len(todo), 500):
            chunk = todo[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.conn.execute(
                f"SELECT content_hash, vector FROM embeddings WHERE embedder = ? "
                f"AND content_hash IN ({marks})",
                (embedder, *chunk),
            ):
                out[key] = bytes(blob)
        return out

    def save_embeddings(self, embedder: str, dim: int, rows: Iterable[tuple[str, bytes]]) -> int:
        """Cache (content hash, float32 vector bytes) pairs under `embedder`."""
        now = _now()
        batch = [(k, embedder, dim, v, now) for k, v in rows]
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO embeddings(content_hash, embedder, dim, vector, "
                "created_at) VALUES (?,?,?,?,?)",
                batch,
            )
        return len(batch)

    def embedding_token(self) -> str:
        """A random id of this store, made on first use (a row of embedder ""), so that
        index files beside the store can tell a re-created store from the one they
        were built for."""
        row = self.conn.execute(
            "SELECT vector FROM embeddings WHERE embedder = '' AND content_hash = 'store-token'"
        ).fetchone()
        if row is not None:
            return bytes(row[0]).hex()
        import os

        token = os.urandom(16)
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO embeddings(content_hash, embedder, dim, vector, created_at)"
                " VALUES ('store-token', '', 0, ?, ?)",
                (token, _now()),
            )
        return self.embedding_token()

    def embedding_count(self, embedder: str | None = None) -> int:
        if embedder is None:
            return int(
                self.conn.execute(
                    "SELECT count(*) FROM embeddings WHERE embedder != ''"
                ).fetchone()[0]
            )
        return int(
            self.conn.execute(
                "SELECT count(*) FROM embeddings WHERE embedder = ?", (embedder,)
            ).fetchone()[0]
        )

    def prune_embeddings(self, embedder: str, keep: Iterable[str]) -> int:
        """Drop `embedder`'s cached vectors whose content hash is not in `keep`."""
        keep_set = set(keep)
        stored = [
            r[0]
            for r in self.conn.execute(
                "SELECT content_hash FROM embeddings WHERE embedder = ?", (embedder,)
            )
        ]
        gone = [k for k in stored if k not in keep_set]
        with self.conn:
            self.conn.executemany(
                "DELETE FROM embeddings WHERE embedder = ? AND content_hash = ?",
                [(embedder, k) for k in gone],
            )
        return len(gone)

    def status_counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for status, n in self.conn.execute("SELECT status, count(*) FROM verdicts GROUP BY status"):
            counts[status] = int(n)
        return counts


# -- maintenance: `stale db check` / `stale db backup` ------------------------------


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection that never creates, migrates or rewrites `path`."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


#: (what, query counting orphans): rows that point at a page or verdict that is gone.
_ORPHAN_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "claims without a page",
        "SELECT count(*) FROM claims c LEFT JOIN pages p "
        "ON p.source = c.source AND p.page_id = c.page_id WHERE p.page_id IS NULL",
    ),
    (
        "claims without a verdict",
        "SELECT count(*) FROM claims c LEFT JOIN verdicts v "
        "ON v.source = c.source AND v.page_id = c.page_id WHERE v.page_id IS NULL",
    ),
    (
        "verdicts without a page",
        "SELECT count(*) FROM verdicts v LEFT JOIN pages p "
        "ON p.source = v.source AND p.page_id = v.page_id WHERE p.page_id IS NULL",
    ),
    (
        "verdicts naming a run that does not exist",
        "SELECT count(*) FROM verdicts v LEFT JOIN runs r ON r.id = v.run_id "
        "WHERE v.run_id IS NOT NULL AND r.id IS NULL",
    ),
)


def check_store(path: Path) -> list[str]:
    """Problems with the store at `path`, one line each; [] when it is sound.

    Read-only: runs `PRAGMA integrity_check` and `quick_check`, checks the schema
    version and `foreign_key_check`, and counts orphaned claims and verdicts. A
    file that is not SQLite, or is damaged, is reported, never touched."""
    if not path.exists():
        raise StoreError(f"{path}: no store here; pass --store or run `stale scan` first")
    problems: list[str] = []
    try:
        conn = _open_readonly(path)
    except sqlite3.Error as e:
        return [f"{path}: cannot open ({e})"]
    try:
        for pragma in ("integrity_check", "quick_check"):
            rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
            if rows != ["ok"]:
                problems += [f"{pragma}: {r}" for r in rows[:20]]
        if problems:
            return problems
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_migrations" not in tables:
            return [f"{path}: not a stale store (no schema_migrations table)"]
        version = int(conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0)
        if version > SCHEMA_VERSION:
            return [
                f"schema version {version} is newer than this stale's {SCHEMA_VERSION}; "
                "upgrade stale (the store was not touched)"
            ]
        if version < SCHEMA_VERSION:
            return problems  # an older store: `stale scan` upgrades it; nothing to count yet
        for row in conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"foreign key: {row[0]} row {row[1]} points at a missing {row[2]}")
        for what, sql in _ORPHAN_CHECKS:
            n = int(conn.execute(sql).fetchone()[0])
            if n:
                problems.append(f"orphans: {n} {what}")
    except sqlite3.DatabaseError as e:
        problems.append(f"{path}: unreadable ({e}); restore a backup (`stale db backup`)")
    finally:
        conn.close()
    return problems


def store_schema_version(path: Path) -> int | None:
    """The schema version recorded in the store at `path` (None when unreadable)."""
    try:
        conn = _open_readonly(path)
        try:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0] or 0)


def backup_store(path: Path, dest: Path, *, force: bool = False) -> int:
    """Copy the store at `path` to `dest` with SQLite's online backup API: a
    consistent snapshot even while a scan writes. Refuses an existing `dest` unless
    `force`; writes a temporary file beside `dest` and renames it into place.
    Returns the size of the copy in bytes."""
    import os

    if not path.exists():
        raise StoreError(f"{path}: no store here; pass --store or run `stale scan` first")
    if dest.exists() and not force:
        raise StoreError(f"{dest}: already exists; pass --force to overwrite it")
    if dest.exists() and dest.resolve() == path.resolve():
        raise StoreError(f"{dest}: is the store itself; back up to another file")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = _open_readonly(path)
        try:
            q = "SELECT name FROM sqlite_master WHERE type='table'"
            if "schema_migrations" not in {r[0] for r in src.execute(q)}:
                raise StoreError(f"{path}: not a stale store; nothing backed up")
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
                out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                out.close()
        finally:
            src.close()
        os.replace(tmp, dest)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot back up ({e}); run `stale db check`") from None
    except OSError as e:
        raise StoreError(f"{dest}: cannot write the backup ({e.strerror or e})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest.stat().st_size
