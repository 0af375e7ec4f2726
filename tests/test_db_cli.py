"""`stale db check` and `stale db backup`: a damaged or newer store is reported and
never rewritten; a backup is a consistent copy, even while a scan writes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stale.cli import app
from stale.model import Claim, ClaimKind, Page, Status, Verdict
from stale.store import SCHEMA_VERSION, Store, check_store

runner = CliRunner()


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _fill(db: Path, pages: int = 3, start: int = 0) -> None:
    with Store.open(db) as s:
        run = s.start_run("fp")
        rows = []
        for i in range(start, start + pages):
            page = Page(
                "wiki",
                f"p{i}.md",
                f"file:///p{i}.md",
                f"P{i}",
                "x",
                "markdown",
                content_hash=f"h{i}",
            )
            claim = Claim("wiki", page.page_id, ClaimKind.ENV, f"VAR_{i}")
            verdict = Verdict("wiki", page.page_id, Status.CURRENT, 0.1, content_hash=f"h{i}")
            rows.append((page, [claim], verdict))
        s.save_results(rows, run_id=run, code_fingerprint="fp", settings_fingerprint="st")
        s.finish_run(run, "complete", {})


def test_check_ok(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _fill(db)
    r = runner.invoke(app, ["db", "check", "--store", str(db)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("ok: ") and f"schema {SCHEMA_VERSION}" in r.output
    r = runner.invoke(app, ["db", "check", "--store", str(db), "--json"])
    doc = json.loads(r.output)
    assert doc["ok"] is True and doc["problems"] == [] and doc["schema_version"] == SCHEMA_VERSION


def test_check_reports_orphans_one_line_each(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _fill(db)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM pages WHERE page_id = 'p0.md'")
    conn.execute("DELETE FROM verdicts WHERE page_id = 'p1.md'")
    conn.commit()
    conn.close()
    r = runner.invoke(app, ["db", "check", "--store", str(db)])
    assert r.exit_code == 3
    lines = r.output.strip().splitlines()
    assert "problem: orphans: 1 claims without a page" in lines
    assert "problem: orphans: 1 claims without a verdict" in lines
    assert "problem: orphans: 1 verdicts without a page" in lines


def test_check_on_a_corrupted_file_reports_and_leaves_it_alone(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _fill(db, pages=200)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the WAL into the main file
    conn.close()
    data = bytearray(db.read_bytes())
    page_size = 4096
    for off in range(2 * page_size, len(data) - page_size, 3 * page_size):
        data[off + 100 : off + 900] = b"\xa5" * 800  # scribble over b-tree pages
    db.write_bytes(bytes(data))
    before = _digest(db)
    r = runner.invoke(app, ["db", "check", "--store", str(db)])
    assert r.exit_code == 3, r.output
    assert r.output.startswith("problem: ") and "Traceback" not in r.output
    assert _digest(db) == before
    # opening it for a scan is refused with a clear message, and it is not rewritten
    r = runner.invoke(app, ["report", "--store", str(db)])
    assert r.exit_code == 3 and "store is damaged" in r.output and _digest(db) == before


def test_check_on_junk_and_on_a_newer_schema(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 300)
    r = runner.invoke(app, ["db", "check", "--store", str(junk)])
    assert r.exit_code == 3 and "problem:" in r.output
    assert junk.read_bytes().startswith(b"not sqlite")

    db = tmp_path / "s.db"
    _fill(db)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'now')")
    conn.commit()
    conn.close()
    before = _digest(db)
    r = runner.invoke(app, ["db", "check", "--store", str(db)])
    assert r.exit_code == 3 and "newer than this stale" in r.output
    assert _digest(db) == before


def test_check_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["db", "check", "--store", str(tmp_path / "none.db")])
    assert r.exit_code == 2 and not (tmp_path / "none.db").exists()


def test_backup_copies_and_refuses_to_overwrite(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _fill(db)
    dest = tmp_path / "backups" / "s-copy.db"
    r = runner.invoke(app, ["db", "backup", str(dest), "--store", str(db)])
    assert r.exit_code == 0, r.output
    assert check_store(dest) == []
    with Store.open(dest, create=False, readonly=True) as s:
        assert {v.page_id for v in s.verdicts()} == {"p0.md", "p1.md", "p2.md"}
    before = _digest(dest)
    r = runner.invoke(app, ["db", "backup", str(dest), "--store", str(db)])
    assert r.exit_code == 2 and "--force" in r.output and _digest(dest) == before
    _fill(db, pages=2, start=10)
    r = runner.invoke(app, ["db", "backup", str(dest), "--store", str(db), "--force"])
    assert r.exit_code == 0, r.output
    with Store.open(dest, create=False, readonly=True) as s:
        assert len(list(s.verdicts())) == 5
    assert not list(dest.parent.glob(".*.tmp"))


def test_backup_while_a_scan_writes_is_consistent(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _fill(db, pages=50)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        i = 1000
        while not stop.is_set():
            _fill(db, pages=20, start=i)
            i += 20
            written[0] += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        copies = []
        for n in range(5):
            dest = tmp_path / f"copy{n}.db"
            r = runner.invoke(app, ["db", "backup", str(dest), "--store", str(db)])
            assert r.exit_code == 0, r.output
            copies.append(dest)
    finally:
        stop.set()
        t.join()
    assert written[0] > 0
    for dest in copies:
        assert check_store(dest) == [], dest
        with Store.open(dest, create=False, readonly=True) as s:
            n_pages = sum(1 for _ in s.pages())
            # every page in a copy has its verdict and claims: batches are whole
            assert n_pages == len(list(s.verdicts())) and n_pages >= 50
            assert (n_pages - 50) % 20 == 0
    assert check_store(db) == []


def test_backup_of_a_missing_or_foreign_store_fails(tmp_path: Path) -> None:
    r = runner.invoke(app, ["db", "backup", str(tmp_path / "c.db"), "--store", str(tmp_path / "x")])
    assert r.exit_code == 3 and not (tmp_path / "c.db").exists()
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users(id)")
    conn.commit()
    conn.close()
    r = runner.invoke(app, ["db", "backup", str(tmp_path / "c.db"), "--store", str(other)])
    assert r.exit_code == 3 and "not a stale store" in r.output
    assert not (tmp_path / "c.db").exists()


def test_sqlite_error_deep_in_any_command_is_one_line_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever command meets a damaged store mid-way: one line, exit 3, no traceback."""
    import sqlite3

    import stale.cli as cli

    def boom() -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 3
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: the store is damaged (database disk image is malformed); run `stale db check`"
    )
