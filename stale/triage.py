"""The triage baseline: findings a person has looked at and accepted.

A versioned JSON file (commit it beside the wiki or the config) whose entries
are keyed by the claim's stable identity (page, kind, subject, value, context),
never by line number, so an accepted finding stays accepted when the page is
edited around it. An accepted finding is kept and shown, but never counts
against its page.

The store keeps a copy of the entries it last applied; `sync_baseline` re-judges
(without re-verifying) exactly the pages whose accepted set changed, whether the
file was changed by `stale triage` or by hand (a `git pull`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stale.config import JudgeConfig
from stale.model import Claim, Finding, Outcome, Page, Signal, Verdict
from stale.store import Store

BASELINE_VERSION = 1


class TriageError(Exception):
    """The baseline cannot be read or written; str() is a one-line fix-it message."""


@dataclass(frozen=True)
class Accepted:
    """One accepted finding. kind/subject/value/outcome are for people reading the file."""

    source: str
    page_id: str
    claim_key: str
    kind: str
    subject: str
    value: str | None
    outcome: str
    reason: str
    accepted_by: str
    accepted_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.page_id, self.claim_key)


class Baseline:
    """The accepted findings of one baseline file."""

    def __init__(self, path: Path, entries: Iterable[Accepted] = ()) -> None:
        self.path = path
        self.entries: dict[tuple[str, str, str], Accepted] = {e.key: e for e in entries}

    @classmethod
    def load(cls, path: Path) -> Baseline:
        if not path.exists():
            return cls(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise TriageError(
                f"{path}: not a readable baseline ({e}); fix or remove the file"
            ) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("accepted"), list):
            raise TriageError(f"{path}: not a stale baseline (no 'accepted' list)")
        version = doc.get("version")
        if version != BASELINE_VERSION:
            raise TriageError(
                f"{path}: baseline version {version!r} is not {BASELINE_VERSION}; "
                "upgrade stale or regenerate the baseline"
            )
        entries = []
        fields = set(Accepted.__dataclass_fields__)
        for i, raw in enumerate(doc["accepted"]):
            if not isinstance(raw, dict) or not {"source", "page_id", "claim_key"} <= set(raw):
                raise TriageError(f"{path}: accepted[{i}] lacks source, page_id or claim_key")
            values: dict[str, Any] = {k: raw.get(k) for k in fields}
            for k in fields - {"value"}:
                values[k] = "" if values[k] is None else str(values[k])
            entries.append(Accepted(**values))
        return cls(path, entries)

    def save(self) -> None:
        """Write atomically, sorted, so the file diffs well under version control."""
        doc = {
            "version": BASELINE_VERSION,
            "accepted": [asdict(e) for e in sorted(self.entries.values(), key=lambda e: e.key)],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".baseline-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def reasons(self) -> dict[tuple[str, str, str], str]:
        return {k: e.reason for k, e in self.entries.items()}

    def accept(self, finding: Finding, reason: str, by: str) -> Accepted:
        c = finding.claim
        entry = Accepted(
            source=c.source,
            page_id=c.page_id,
            claim_key=c.key,
            kind=str(c.kind),
            subject=c.subject,
            value=c.value,
            outcome=str(finding.outcome),
            reason=reason,
            accepted_by=by,
            accepted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.entries[entry.key] = entry
        return entry

    def revoke(self, key: tuple[str, str, str]) -> bool:
        return self.entries.pop(key, None) is not None


def apply_accepted(
    findings: Sequence[Finding], accepted: dict[tuple[str, str, str], str]
) -> list[Finding]:
    """Mark the findings a person accepted (the judge then ignores them)."""
    if not accepted:
        return list(findings)
    out = []
    for f in findings:
        reason = accepted.get((f.claim.source, f.claim.page_id, f.claim.key))
        out.append(replace(f, accepted=reason) if reason is not None else f)
    return out


def open_findings(store: Store) -> list[Finding]:
    """Contradicted or missing findings on claims about now, accepted or not."""
    out = []
    rows = store.conn.execute(
        "SELECT source, page_id FROM verdicts ORDER BY source, page_id"
    ).fetchall()
    for source, page_id in rows:
        for _, f in store.claims(source, page_id):
            if (
                f is not None
                and not f.claim.historical
                and f.outcome in (Outcome.CONTRADICTED, Outcome.MISSING)
            ):
                out.append(f)
    return out


def rejudge_page(
    store: Store,
    source: str,
    page_id: str,
    cfg: JudgeConfig,
    *,
    signals: Sequence[Signal] | None = None,
    replace_kinds: Collection[str] = (),
) -> Verdict | None:
    """Judge a stored page again from its stored claims and findings (no re-verify),
    keeping the stored fingerprints so the next scan still sees it as up to date.
    With `signals`, the stored signals of `replace_kinds` are replaced by them (the
    semantic pass); signals of weight 0 are shown but never judged."""
    import json

    from stale.judge import judge

    stored = store.page(source, page_id)
    old = store.verdict(source, page_id)
    row = store.conn.execute(
        "SELECT code_fingerprint, settings_fingerprint, run_id, error FROM verdicts "
        "WHERE source = ? AND page_id = ?",
        (source, page_id),
    ).fetchone()
    if stored is None or old is None or row is None or row[3]:
        return None  # an unreadable page has nothing to re-judge
    accepted = {k: r for k, r in store.accepted().items() if k[:2] == (source, page_id)}
    pairs = store.claims(source, page_id)
    claims: list[Claim] = [c for c, _ in pairs]
    findings = apply_accepted(
        [replace(f, accepted=None) for _, f in pairs if f is not None], accepted
    )
    page = Page(
        source=source,
        page_id=page_id,
        url=stored.url,
        title=stored.title,
        body="",
        content_type=stored.content_type,
        last_modified=stored.last_modified,
        authors=stored.authors,
        labels=stored.labels,
        content_hash=stored.content_hash,
        properties=tuple(
            (str(k), str(v))
            for k, v in json.loads(
                store.conn.execute(
                    "SELECT properties FROM pages WHERE source = ? AND page_id = ?",
                    (source, page_id),
                ).fetchone()[0]
                or "[]"
            )
        ),
    )
    # A triage change may void a `superseded` signal (it can rest on a finding that is
    # accepted now): it is dropped here and recomputed by the next scan's semantic pass.
    dropped = {"marker", "age", *(replace_kinds if signals is not None else ("superseded",))}
    extra = [s for s in old.signals if s.kind not in dropped] + list(signals or ())
    shown_only = tuple(s for s in extra if s.weight <= 0)
    verdict = judge(
        page, claims, findings, cfg, signals=[s for s in extra if s.weight > 0], now=old.checked_at
    )
    if shown_only:
        verdict = replace(verdict, signals=(*verdict.signals, *shown_only))
    store.save_results(
        [(page, claims, verdict)],
        run_id=int(row[2] or 0),
        code_fingerprint=row[0],
        settings_fingerprint=row[1],
        verified=False,  # judged again from stored findings, not checked again
    )
    return verdict


def sync_baseline(store: Store, baseline: Baseline, cfg: JudgeConfig) -> list[tuple[str, str]]:
    """Bring the store in line with the baseline file; re-judge the pages whose
    accepted set changed. Returns those pages."""
    before = store.accepted()
    after = baseline.reasons()
    if before == after:
        return []
    changed = {k[:2] for k in set(before) ^ set(after)}
    changed |= {k[:2] for k in set(before) & set(after) if before[k] != after[k]}
    store.set_accepted(after)
    done = []
    for source, page_id in sorted(changed):
        if rejudge_page(store, source, page_id, cfg) is not None:
            done.append((source, page_id))
    return done


def resolve_finding(store: Store, ident: str) -> Finding:
    """A finding by its id: the claim key, or a unique prefix of at least 6 characters."""
    ident = ident.strip().lower()
    if len(ident) < 6:
        raise TriageError(f"{ident}: give at least 6 characters of a finding id")
    hits = [f for f in open_findings(store) if f.claim.key.startswith(ident)]
    if not hits:
        raise TriageError(f"{ident}: no open finding with this id; see `stale triage list`")
    if len({f.claim.key for f in hits}) > 1:
        raise TriageError(f"{ident}: matches several findings; give more characters")
    return hits[0]
