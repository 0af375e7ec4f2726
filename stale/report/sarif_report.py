"""The SARIF report: SARIF 2.1.0 for code-scanning UIs, when the wiki lives in git.

One result per contradicted or missing finding on a claim about now that nobody
accepted, on a stale page (level "error") or a suspect one ("warning"). The
location is the page file relative to the wiki root (`uriBaseId` WIKIROOT) at
the claim's line; `partialFingerprints` carries the claim's stable key (never
the line), so an alert follows its claim when the page is edited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote

import stale
from stale.model import ClaimKind, Finding, Outcome, Status
from stale.report.html_report import counts_against
from stale.report.interface import PageVerdict
from stale.store import RunRecord

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# pyproject.toml names no homepage yet; the package index page is the stable one.
INFORMATION_URI = "https://pypi.org/project/stale/"
WIKIROOT = "WIKIROOT"
FINGERPRINT = "staleClaimKey/v1"

_LEVEL = {Status.STALE: "error", Status.SUSPECT: "warning"}

_KIND_TEXT = {
    ClaimKind.PATH: "a repository path",
    ClaimKind.SYMBOL: "a code symbol",
    ClaimKind.FLAG: "a command-line flag",
    ClaimKind.ENV: "an environment variable",
    ClaimKind.CONFIG: "a configuration key or value",
    ClaimKind.ENDPOINT: "an HTTP endpoint",
    ClaimKind.VERSION: "a tool or image version",
    ClaimKind.COMMAND: "a build or run command",
    ClaimKind.LINK: "a link to a repository file",
    ClaimKind.DATE: "a date",
    ClaimKind.MARKER: "a marker",
}


def rule_id(f: Finding) -> str:
    return f"stale/{f.claim.kind}-{f.outcome}"


def _rule(f: Finding) -> dict[str, Any]:
    kind, outcome = f.claim.kind, f.outcome
    what = _KIND_TEXT.get(kind, f"a {kind} claim")
    if outcome is Outcome.MISSING:
        short = f"The page names {what} that is gone from the code"
    else:
        short = f"The page states {what} that the code contradicts"
    help_text = (
        f"{short}. A wiki page that disagrees with the code misleads readers and the AI "
        "agents that retrieve it. Update the page to match the code (the result's message "
        "says what the code says now, the related locations where), or, if the page is "
        "right to say so, accept the finding with `stale triage accept ID --reason TEXT`."
    )
    return {
        "id": rule_id(f),
        "name": "".join(part.capitalize() for part in (str(kind), str(outcome))),
        "shortDescription": {"text": short},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["documentation", "stale", str(kind)]},
    }


def _message(f: Finding) -> str:
    c = f.claim
    text = f.message or f"{c.kind} `{c.subject}` is {f.outcome}"
    if f.suggestion:
        text = f"{text.rstrip()} Suggestion: {f.suggestion}"
    return text


def _related(f: Finding) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in f.evidence:
        if not e.path:
            continue
        phys: dict[str, Any] = {
            "artifactLocation": {"uri": quote(e.path, safe="/"), "uriBaseId": e.repo}
        }
        if e.line and e.line >= 1:
            phys["region"] = {"startLine": e.line}
        out.append(
            {
                "id": len(out) + 1,
                "physicalLocation": phys,
                "message": {"text": e.describe()},
            }
        )
    return out


def _wiki_root(pages: Sequence[PageVerdict]) -> str | None:
    """The file:// URI of the wiki folder when every page's URL agrees on it."""
    roots = set()
    for p in pages:
        url, pid = p.page.url, quote(p.page.page_id, safe="/")
        if not (url.startswith("file://") and url.endswith("/" + pid)):
            return None
        roots.add(url[: -len(pid)])
    return roots.pop() if len(roots) == 1 else None


def sarif_doc(run: RunRecord | None, pages: Sequence[PageVerdict]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for p in pages:
        level = _LEVEL.get(p.verdict.status)
        if level is None:
            continue
        for f in p.verdict.findings:
            if not counts_against(f):
                continue
            rid = rule_id(f)
            if rid not in rules:
                rules[rid] = _rule(f)
            c = f.claim
            result: dict[str, Any] = {
                "ruleId": rid,
                "level": level,
                "message": {"text": _message(f)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": quote(p.page.page_id, safe="/"),
                                "uriBaseId": WIKIROOT,
                            },
                            "region": {
                                "startLine": max(1, c.span.line),
                                "startColumn": max(1, c.span.column),
                            },
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT: c.key},
                "properties": {
                    "source": p.page.source,
                    "pageId": p.page.page_id,
                    "pageTitle": p.page.title,
                    "pageUrl": p.page.url,
                    "pageStatus": str(p.verdict.status),
                    "pageScore": p.verdict.score,
                    "claimKind": str(c.kind),
                    "subject": c.subject,
                    "outcome": str(f.outcome),
                },
            }
            related = _related(f)
            if related:
                result["relatedLocations"] = related
            results.append(result)
    ordered_rules = [rules[k] for k in sorted(rules)]
    index = {r["id"]: i for i, r in enumerate(ordered_rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    root: dict[str, Any] = {
        "description": {"text": "The root of the wiki folder the pages were read from."}
    }
    uri = _wiki_root(pages)
    if uri:
        root["uri"] = uri
    sarif_run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "stale",
                "version": stale.__version__,
                "semanticVersion": stale.__version__,
                "informationUri": INFORMATION_URI,
                "rules": ordered_rules,
            }
        },
        "originalUriBaseIds": {WIKIROOT: root},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if run is not None:
        sarif_run["automationDetails"] = {"id": f"stale/run-{run.id}"}
        sarif_run["properties"] = {"runStatus": run.status, "finishedAt": run.finished_at}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [sarif_run]}


class SarifReporter:
    def write(self, run: RunRecord | None, pages: Sequence[PageVerdict], out: TextIO) -> None:
        # Compact, and dumps() not dump(): large wikis give tens of thousands of
        # results, code-scanning uploads have a size limit, and only dumps() without
        # an indent uses the C encoder.
        out.write(json.dumps(sarif_doc(run, pages), separators=(",", ":")) + "\n")
