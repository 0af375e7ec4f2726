import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stale.model import Claim, ClaimKind, Evidence, Finding, Outcome, Page, Span, Status, Verdict
from stale.store import SCHEMA_VERSION, Store, StoreError


def _page(body: str = "x") -> Page:
    return Page(
        source="wiki",
        page_id="a.md",
        url="file:///a.md",
        title="A",
        body=body,
        content_type="markdown",
        content_hash="h-" + body,
    )


def _verdict(page: Page, claim: Claim) -> Verdict:
    f = Finding(
        claim,
        Outcome.MISSING,
        evidence=(Evidence(repo="r", path="s.sh", line=3, commit="abc123", date="2025-03-02"),),
        message="gone",
        suggestion="renamed to --zone",
    )
    return Verdict(
        source=page.source,
        page_id=page.page_id,
        status=Status.STALE,
        score=0.9,
        findings=(f,),
        reasons=("gone",),
        checked_at=datetime(2026, 1, 1, tzinfo=UTC),
        content_hash=page.content_hash,
    )


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as s:
        assert [m[0] for m in s.migrations()] == list(range(1, SCHEMA_VERSION + 1))
    with Store.open(db) as s:
        assert len(s.migrations()) == SCHEMA_VERSION


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'now')")
    conn.commit()
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match="newer stale"):
        Store.open(db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_foreign_or_corrupt_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users(id)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a stale store"):
        Store.open(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(junk)
    assert junk.read_bytes().startswith(b"this is not sqlite")


def test_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="stale scan"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_verdict_round_trip_keeps_evidence_and_claims(tmp_path: Path) -> None:
    page = _page()
    claim = Claim("wiki", "a.md", ClaimKind.FLAG, "--region", context="deploy.sh", span=Span(7, 3))
    hist = Claim("wiki", "a.md", ClaimKind.FLAG, "--old", span=Span(9), historical=True)
    with Store.open(tmp_path / "s.db") as s:
        run = s.start_run("fp")
        s.save_results(
            [(page, [claim, hist], _verdict(page, claim))],
            run_id=run,
            code_fingerprint="fp",
            settings_fingerprint="st",
        )
        v = s.verdict("wiki", "a.md")
        assert v is not None and v.status is Status.STALE and v.score == 0.9
        (f,) = v.findings
        assert f.claim.key == claim.key and f.claim.span == Span(7, 3)
        assert f.evidence[0].commit == "abc123" and f.suggestion == "renamed to --zone"
        rows = s.claims("wiki", "a.md")
        assert [(c.subject, c.historical, f is None) for c, f in rows] == [
            ("--region", False, False),
            ("--old", True, True),
        ]
        assert s.verdict_states("wiki", "st") == {"a.md": ("h-x", "fp", "stale", True)}
        assert s.verdict_states("wiki", "other") == {"a.md": ("h-x", "fp", "stale", False)}
        assert s.verdict_states("wiki", "st", checked_before="9999") == {
            "a.md": ("h-x", "fp", "stale", False)
        }
        assert s.verdict_states("wiki", "st", checked_before="2000")["a.md"][3] is True
        assert s.verdict_states("elsewhere", "st") == {}
        assert s.find_pages("file:///a.md") == [("wiki", "a.md")]
        assert s.find_pages("a.md") == [("wiki", "a.md")]
        # by id or by URL, through an index either way: never a scan of every page
        plan = s.conn.execute(
            "EXPLAIN QUERY PLAN SELECT source, page_id FROM pages WHERE page_id = ? OR url = ?",
            ("a.md", "a.md"),
        ).fetchall()
        details = " ".join(str(row[-1]) for row in plan)
        assert "pages_page_id" in details and "pages_url" in details, details
        assert "SCAN pages" not in details.replace("SCAN pages USING", ""), details


def test_resave_replaces_old_claims_and_forget_unseen(tmp_path: Path) -> None:
    page = _page()
    c1 = Claim("wiki", "a.md", ClaimKind.ENV, "OLD_VAR")
    c2 = Claim("wiki", "a.md", ClaimKind.ENV, "NEW_VAR")
    with Store.open(tmp_path / "s.db") as s:
        r1 = s.start_run()
        s.save_results(
            [(page, [c1], _verdict(page, c1))],
            run_id=r1,
            code_fingerprint="",
            settings_fingerprint="",
        )
        r2 = s.start_run()
        s.save_results(
            [(page, [c2], _verdict(page, c2))],
            run_id=r2,
            code_fingerprint="",
            settings_fingerprint="",
        )
        assert [c.subject for c, _ in s.claims("wiki", "a.md")] == ["NEW_VAR"]
        r3 = s.start_run()
        assert s.forget_unseen("wiki", r3) == 1
        assert s.verdict("wiki", "a.md") is None and s.claims("wiki", "a.md") == []
