"""The JSON report: a stable, documented contract (docs/report-json.md).

Adding keys is allowed; renaming or removing one needs a new `schema` number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from stale.model import Evidence, Finding, Verdict
from stale.report.interface import PageVerdict
from stale.store import RunRecord

SCHEMA = 1


def evidence_dict(e: Evidence) -> dict[str, Any]:
    return {
        "repo": e.repo,
        "path": e.path,
        "line": e.line,
        "commit": e.commit,
        "date": e.date,
        "text": e.text,
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    c = f.claim
    return {
        "kind": str(c.kind),
        "subject": c.subject,
        "value": c.value,
        "context": c.context,
        "historical": c.historical,
        "outcome": str(f.outcome),
        "line": c.span.line,
        "message": f.message,
        "evidence": [evidence_dict(e) for e in f.evidence],
        "suggestion": f.suggestion,
    }


def verdict_dict(v: Verdict, *, url: str = "", title: str = "") -> dict[str, Any]:
    return {
        "source": v.source,
        "page_id": v.page_id,
        "url": url,
        "title": title,
        "status": str(v.status),
        "score": v.score,
        "checked_at": v.checked_at.isoformat() if v.checked_at else None,
        "content_hash": v.content_hash,
        "reasons": list(v.reasons),
        "error": v.error,
        "hazard": any(s.kind == "hazard" for s in v.signals),
        "signals": [
            {
                "kind": s.kind,
                "message": s.message,
                "weight": s.weight,
                "evidence": [evidence_dict(e) for e in s.evidence],
            }
            for s in v.signals
        ],
        "findings": [finding_dict(f) for f in v.findings],
    }


def run_dict(run: RunRecord | None) -> dict[str, Any]:
    if run is None:
        return {}
    return {
        "id": run.id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "status": run.status,
        "code_fingerprint": run.code_fingerprint,
        "stats": run.stats,
    }


class JsonReporter:
    def write(self, run: RunRecord | None, pages: Sequence[PageVerdict], out: TextIO) -> None:
        doc = {
            "schema": SCHEMA,
            "pages": [verdict_dict(p.verdict, url=p.page.url, title=p.page.title) for p in pages],
            "run": run_dict(run),
        }
        json.dump(doc, out, indent=2, sort_keys=False)
        out.write("\n")
