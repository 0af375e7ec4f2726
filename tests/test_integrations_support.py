"""Helpers for the filter and integration tests: a small store, and `require`.

`require(module, extra)` skips a test module when an optional package is missing,
except under `CI=true`, where a missing package is a failure: CI installs every extra
(`make test` installs `.[dev]`), so a skip there would hide a broken install.
"""

from __future__ import annotations

import importlib
import os
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from stale.model import Claim, ClaimKind, Evidence, Finding, Outcome, Page, Status, Verdict
from stale.store import Store

WHEN = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)

#: (source, page_id, url, title, status, reasons)
PAGES: list[tuple[str, str, str, str, Status, tuple[str, ...]]] = [
    (
        "wiki",
        "ops/deploy.md",
        "https://wiki.acme.com/ops/deploy.md",
        "Deploying billing",
        Status.STALE,
        ("--region is not accepted by scripts/deploy.sh; it was renamed --zone",),
    ),
    (
        "wiki",
        "ops/runbook.md",
        "https://wiki.acme.com/ops/runbook.md",
        "Billing runbook",
        Status.SUSPECT,
        ("last updated 2019-04-01, over 5 years ago",),
    ),
    (
        "wiki",
        "dev/setup.md",
        "https://wiki.acme.com/dev/setup.md",
        "Developer setup",
        Status.CURRENT,
        (),
    ),
    (
        "wiki",
        "team.md",
        "https://wiki.acme.com/team.md",
        "Team rituals",
        Status.UNKNOWN,
        ("no checkable claims",),
    ),
    (
        "conf",
        "123456",
        "https://acme.atlassian.net/wiki/spaces/OPS/pages/123456/Billing+Guide",
        "Billing guide",
        Status.STALE,
        ("BILLING_DB_URL is no longer read by the code",),
    ),
    (
        "mw",
        "Deploy guide",
        "https://mw.acme.com/wiki/Deploy_guide",
        "Deploy guide",
        Status.SUSPECT,
        ("marked deprecated",),
    ),
]


def require(module: str, extra: str) -> ModuleType:
    """Import `module`, or skip the calling test module (fail under CI=true)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        msg = f"{module} is not installed ({e}); pip install 'stale[{extra}]'"
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true: {msg}", pytrace=False)
        pytest.skip(msg, allow_module_level=True)


def content_hash_of(page_id: str) -> str:
    return f"hash-{page_id}"


def result(
    source: str,
    page_id: str,
    url: str,
    title: str,
    status: Status,
    reasons: tuple[str, ...],
    *,
    content_hash: str | None = None,
) -> tuple[Page, list[Claim], Verdict]:
    chash = content_hash or content_hash_of(page_id)
    page = Page(
        source=source,
        page_id=page_id,
        url=url,
        title=title,
        body=f"# {title}\n",
        content_type="markdown",
        content_hash=chash,
    )
    claims: list[Claim] = []
    findings: tuple[Finding, ...] = ()
    if status is Status.STALE:
        claim = Claim(source, page_id, ClaimKind.FLAG, "--region", context="scripts/deploy.sh")
        claims = [claim]
        findings = (
            Finding(
                claim,
                Outcome.CONTRADICTED,
                (Evidence("billing", "scripts/deploy.sh", 5, "3f2a1c0de1", "2025-03-02"),),
                message=reasons[0] if reasons else "contradicted",
            ),
        )
    verdict = Verdict(
        source=source,
        page_id=page_id,
        status=status,
        score={"stale": 0.9, "suspect": 0.5}.get(str(status), 0.0),
        findings=findings,
        reasons=reasons,
        checked_at=WHEN,
        content_hash=chash,
    )
    return page, claims, verdict


def build_store(path: Path) -> Path:
    """A store with one page per status, Confluence and MediaWiki pages among them."""
    with Store.open(path) as store:
        run = store.start_run("fp")
        store.save_results(
            [result(*p) for p in PAGES], run_id=run, code_fingerprint="fp", settings_fingerprint="s"
        )
        store.finish_run(run, "complete", {})
    return path


def set_status(path: Path, page_id: str, status: Status, reasons: tuple[str, ...] = ()) -> None:
    """Write a new verdict for one page of PAGES through the Store API, in a new run."""
    spec = next(p for p in PAGES if p[1] == page_id)
    with Store.open(path) as store:
        run = store.start_run("fp2")
        store.save_results(
            [result(*spec[:4], status, reasons or spec[5])],
            run_id=run,
            code_fingerprint="fp2",
            settings_fingerprint="s",
        )
        store.finish_run(run, "complete", {})


def test_require_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require("stale_no_such_module_xyz", "mcp")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require("stale_no_such_module_xyz", "mcp")
    assert require("json", "none").dumps([]) == "[]"
