"""The verdict manifest: what a retrieval pipeline needs to know, without the store.

A manifest is JSON Lines (docs/filter.md). The first line is a header:

    {"schema": "stale.manifest", "version": 1, "created_at": "...", "run_id": 7,
     "run_finished_at": "...", "pages": 1234, "generator": "stale 0.1.0"}

then one line per page that has a verdict:

    {"source": "wiki", "page_id": "ops/deploy.md", "url": "https://...",
     "canonical_urls": ["//wiki.example.com/ops/deploy.md"], "title": "Deploy",
     "status": "stale", "score": 0.9, "checked_at": "2025-03-02T10:00:00+00:00",
     "content_hash": "ab12...", "reasons": ["..."], "evidence": ["..."], "aliases": [],
     "hazard": false, "hazards": []}

Readers ignore keys they do not know; a bigger `version` is refused. `hazard` and
`hazards` were added within version 1: a manifest without them reads as no hazard.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stale.model import Evidence
from stale.urls import url_keys

__all__ = [
    "MANIFEST_SCHEMA",
    "MANIFEST_VERSION",
    "ManifestError",
    "PageStatus",
    "read_manifest",
    "statuses_from_store",
    "write_manifest",
]

MANIFEST_SCHEMA = "stale.manifest"
MANIFEST_VERSION = 1
MAX_REASONS = 3
MAX_EVIDENCE = 3
MAX_HAZARDS = 3
#: What a page with `"hazard": true` but no `hazards` list says.
HAZARD_REASON = "the page contains hidden or agent-directed text"
ALIAS_PROPERTIES = ("aliases", "alias", "redirect_from", "redirects")


class ManifestError(Exception):
    """A manifest cannot be read. str() is a one-line message naming the file."""


@dataclass(frozen=True, slots=True)
class PageStatus:
    """One page's verdict as the filter sees it: plain data, cheap to hold 100k of.

    `status` is the stored verdict (current/suspect/stale/unknown); `reasons` and
    `evidence` are the first few, most important first; `aliases` are other addresses
    the page is known under. `hazards` are the page's prompt-injection hazards
    (stale.hazard), in stale's own words without page text; any makes `hazard` true.
    """

    source: str
    page_id: str
    status: str
    url: str = ""
    title: str = ""
    score: float = 0.0
    checked_at: str | None = None
    content_hash: str = ""
    reasons: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    canonical_urls: tuple[str, ...] = field(default=(), compare=False)
    hazards: tuple[str, ...] = ()

    @property
    def hazard(self) -> bool:
        """The page holds hidden or agent-directed text (docs/security.md)."""
        return bool(self.hazards)

    @property
    def key(self) -> str:
        """`source:page_id`, the unambiguous name of the page."""
        return f"{self.source}:{self.page_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page_id": self.page_id,
            "url": self.url,
            "canonical_urls": list(self.canonical_urls or _canonical(self.url, self.aliases)),
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "checked_at": self.checked_at,
            "content_hash": self.content_hash,
            "reasons": list(self.reasons),
            "evidence": list(self.evidence),
            "aliases": list(self.aliases),
            "hazard": self.hazard,
            "hazards": list(self.hazards),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PageStatus:
        checked = d.get("checked_at")
        return cls(
            # repeated values (source names, statuses, run times) are shared, not copied
            source=sys.intern(str(d["source"])),
            page_id=str(d["page_id"]),
            status=sys.intern(str(d["status"])),
            url=str(d.get("url") or ""),
            title=str(d.get("title") or ""),
            score=float(d.get("score") or 0.0),
            checked_at=sys.intern(str(checked)) if checked else None,
            content_hash=str(d.get("content_hash") or ""),
            reasons=tuple(str(r) for r in d.get("reasons") or ())[:MAX_REASONS],
            evidence=tuple(str(e) for e in d.get("evidence") or ())[:MAX_EVIDENCE],
            aliases=tuple(str(a) for a in d.get("aliases") or ()),
            canonical_urls=tuple(str(c) for c in d.get("canonical_urls") or ()),
            hazards=_hazards_of(d),
        )


def _hazards_of(d: Mapping[str, Any]) -> tuple[str, ...]:
    raw = d.get("hazards")
    hazards = tuple(str(h) for h in raw)[:MAX_HAZARDS] if isinstance(raw, list) else ()
    if not hazards and d.get("hazard") is True:
        return (HAZARD_REASON,)
    return hazards


def _hazard_messages(signals_json: str | None) -> tuple[str, ...]:
    """The messages of a stored verdict's hazard signals (most verdicts have none: a
    substring test spares parsing their JSON)."""
    if not signals_json or '"hazard"' not in signals_json:
        return ()
    try:
        signals = json.loads(signals_json)
    except ValueError:
        return ()
    out = [
        str(s.get("message") or HAZARD_REASON)
        for s in signals
        if isinstance(s, dict) and s.get("kind") == "hazard"
    ]
    return tuple(out[:MAX_HAZARDS])


def _canonical(url: str, aliases: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for u in (url, *aliases):
        for k in url_keys(u) if u else ():
            if k not in out:
                out.append(k)
    return tuple(out)


def _aliases(properties_json: str) -> tuple[str, ...]:
    try:
        props = json.loads(properties_json or "[]")
    except ValueError:
        return ()
    out: list[str] = []
    for pair in props:
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] in ALIAS_PROPERTIES:
            out += [a.strip() for a in str(pair[1]).split(",") if a.strip()]
    return tuple(out)


def statuses_from_store(conn: Any) -> Iterator[PageStatus]:
    """Every page with a verdict, read in three queries (not one per page).

    `conn` is the sqlite3 connection of an open `stale.store.Store`.
    """
    evidence: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, page_id, message, ev_json in conn.execute(
        "SELECT source, page_id, message, evidence FROM claims "
        "WHERE outcome IN ('contradicted', 'missing') AND historical = 0 "
        "ORDER BY source, page_id, line, col"
    ):
        bucket = evidence[(source, page_id)]
        if len(bucket) >= MAX_EVIDENCE:
            continue
        try:
            evs = [Evidence(**e) for e in json.loads(ev_json or "[]")]
        except (TypeError, ValueError):
            evs = []
        where = "; ".join(e.describe() for e in evs[:2])
        text = message or ""
        if where:
            text = f"{text} ({where})" if text else where
        if text:
            bucket.append(text)
    for row in conn.execute(
        "SELECT v.source, v.page_id, v.status, v.score, v.reasons, v.checked_at, "
        "v.content_hash, p.url, p.title, p.properties, v.signals "
        "FROM verdicts v LEFT JOIN pages p ON p.source = v.source AND p.page_id = v.page_id "
        "ORDER BY v.source, v.page_id"
    ):
        source, page_id, status, score, reasons, checked_at, chash, url, title, props, sigs = row
        try:
            reason_list = tuple(str(r) for r in json.loads(reasons or "[]"))
        except ValueError:
            reason_list = ()
        aliases = _aliases(props or "[]")
        yield PageStatus(
            source=sys.intern(source),
            page_id=page_id,
            status=sys.intern(status),
            url=url or "",
            title=title or "",
            score=float(score),
            checked_at=sys.intern(checked_at) if checked_at else None,
            content_hash=chash or "",
            reasons=reason_list[:MAX_REASONS],
            evidence=tuple(evidence.get((source, page_id), ())),
            aliases=aliases,
            canonical_urls=_canonical(url or "", aliases),
            hazards=_hazard_messages(sigs),
        )


def manifest_header(*, run_id: int | None, run_finished_at: str | None, pages: int) -> dict:
    from stale import __version__

    return {
        "schema": MANIFEST_SCHEMA,
        "version": MANIFEST_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "run_finished_at": run_finished_at,
        "pages": pages,
        "generator": f"stale {__version__}",
    }


def write_manifest(
    statuses: Iterable[PageStatus],
    path: Path | None,
    *,
    run_id: int | None = None,
    run_finished_at: str | None = None,
) -> int:
    """Write a manifest to `path` atomically (a temporary file renamed over it), or to
    stdout when `path` is None. Returns the number of pages written."""
    rows = list(statuses)
    lines = [
        json.dumps(manifest_header(run_id=run_id, run_finished_at=run_finished_at, pages=len(rows)))
    ]
    lines += [json.dumps(s.as_dict(), ensure_ascii=False) for s in rows]
    text = "\n".join(lines) + "\n"
    if path is None:
        sys.stdout.write(text)
        return len(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


def read_manifest(path: Path) -> tuple[dict[str, Any], list[PageStatus]]:
    """(header, pages) of a manifest file; ManifestError when it is not one."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as e:
        raise ManifestError(f"{path}: cannot read the manifest ({e.strerror})") from None
    with fh:
        first = fh.readline()
        try:
            header = json.loads(first)
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("schema") != MANIFEST_SCHEMA:
            raise ManifestError(
                f"{path}: not a stale manifest; write one with `stale export --format manifest`"
            )
        version = header.get("version")
        if not isinstance(version, int) or version > MANIFEST_VERSION:
            raise ManifestError(
                f"{path}: manifest version {version!r} is newer than this stale reads "
                f"({MANIFEST_VERSION}); upgrade stale"
            )
        pages: list[PageStatus] = []
        for n, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            try:
                pages.append(PageStatus.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as e:
                raise ManifestError(f"{path}:{n}: not a manifest page line ({e})") from None
    return header, pages
