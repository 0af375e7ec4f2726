"""A scan killed with SIGKILL loses nothing, and the next one resumes; one scan per store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from stale.cli import app
from stale.store import ScanLock, StoreLocked

PAGES = 1200
runner = CliRunner()


def _write_pages(wiki: Path, version: int) -> None:
    for i in range(PAGES):
        flag = "--region" if i % 3 == 0 else "--zone"
        (wiki / f"p{i:04d}.md").write_text(
            f"# Page {i} v{version}\n\nDeploy with:\n\n"
            f"```bash\n./scripts/deploy.sh {flag} eu-{i}\n```\n"
        )


def _scan_cmd(world: dict[str, Path | str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stale.cli",
        "scan",
        "--wiki",
        str(world["wiki"]),
        "--repo",
        str(world["repo"]),
        "--store",
        str(world["store"]),
        "--json",
    ]


def _count(db: Path, sql: str, *args: object) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def test_sigkill_mid_scan_keeps_verdicts_and_next_run_resumes(
    world: dict[str, Path | str],
) -> None:
    wiki, store = Path(world["wiki"]), Path(world["store"])
    for p in wiki.glob("*.md"):
        p.unlink()
    _write_pages(wiki, 1)
    first = subprocess.run(_scan_cmd(world), capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr
    assert _count(store, "SELECT count(*) FROM verdicts") == PAGES

    _write_pages(wiki, 2)  # every page changed: the next run re-checks all of them
    proc = subprocess.Popen(_scan_cmd(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and proc.poll() is None:
        saved = _count(store, "SELECT count(*) FROM verdicts WHERE run_id = 2")
        if saved >= 200:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the scan finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < saved < PAGES

    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Every page still has a verdict: the new one where a batch was committed,
    # the earlier one everywhere else. Nothing half-written.
    assert _count(store, "SELECT count(*) FROM verdicts") == PAGES
    done = _count(store, "SELECT count(*) FROM verdicts WHERE run_id = 2")
    assert done % 200 == 0
    assert (
        _count(
            store,
            "SELECT count(*) FROM verdicts v WHERE NOT EXISTS (SELECT 1 FROM claims c "
            "WHERE c.source = v.source AND c.page_id = v.page_id)",
        )
        == 0
    )
    assert _count(store, "SELECT count(*) FROM runs WHERE id = 2 AND status = 'running'") == 1

    nxt = subprocess.run(_scan_cmd(world), capture_output=True, text=True, check=False)
    assert nxt.returncode == 1, nxt.stderr
    summary = json.loads(nxt.stdout)
    assert summary["carried"] == done and summary["rechecked"] == PAGES - done
    assert summary["counts"]["stale"] == len(range(0, PAGES, 3))
    assert _count(store, "SELECT count(*) FROM runs WHERE id = 2 AND status = 'interrupted'") == 1


def test_one_scan_per_store_and_dead_holder_is_no_obstacle(
    world: dict[str, Path | str],
) -> None:
    store = Path(world["store"])
    with ScanLock(store):
        res = runner.invoke(
            app,
            [
                "scan",
                "--wiki",
                str(world["wiki"]),
                "--repo",
                str(world["repo"]),
                "--store",
                str(store),
            ],
        )
        assert res.exit_code == 3 and "another scan" in res.output
        try:
            ScanLock(store).acquire()
        except StoreLocked as e:
            assert str(os.getpid()) in str(e)
        else:
            raise AssertionError("second lock acquired")
    # A holder killed with SIGKILL leaves the lock file behind, but not the lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from stale.store import ScanLock; ScanLock(Path(sys.argv[1])).acquire(); "
            "print('locked', flush=True); time.sleep(60)",
            str(store),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert store.with_name(store.name + ".lock").exists()
    res = runner.invoke(
        app,
        ["scan", "--wiki", str(world["wiki"]), "--repo", str(world["repo"]), "--store", str(store)],
    )
    assert res.exit_code == 1, res.output
