"""Operator output: periodic progress lines for cron, JSON logs, quiet; verdict max age."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

from stale.config import Config, RepoConfig, ScanConfig, SourceConfig
from stale.model import Page, Status
from stale.progress import ScanProgress
from stale.scan import run_scan
from stale.store import Store


def _page(i: int) -> Page:
    return Page(source="w", page_id=f"p{i}.md", url="", title="", body="", content_type="markdown")


def test_periodic_text_and_json_lines_and_quiet() -> None:
    out = io.StringIO()
    p = ScanProgress(stream=out, every_s=0.0, live=False)
    p.on_page(_page(1), Status.STALE)
    p.on_page(_page(2), None)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("stale scan: 2 pages seen, 1 checked")

    out = io.StringIO()
    p = ScanProgress(stream=out, every_s=0.0, log_format="json", live=False)
    p.on_page(_page(1), Status.CURRENT)
    p.emit("summary", run_id=7)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert events[0]["event"] == "progress" and events[0]["statuses"] == {"current": 1}
    assert events[-1] == {**events[-1], "event": "summary", "run_id": 7, "seen": 1}

    out = io.StringIO()
    p = ScanProgress(stream=out, every_s=0.0, quiet=True, live=False)
    p.on_page(_page(1), Status.STALE)
    assert out.getvalue() == ""


def test_the_live_bar_runs_no_thread_of_its_own() -> None:
    """A terminal's progress bar is redrawn from on_page: a thread would keep the
    scan from forking its helpers (stale.parallel.Forked)."""
    import threading
    import time

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    before = threading.active_count()
    out = Terminal()
    p = ScanProgress(stream=out, live=True)
    assert p._progress is not None
    p.on_page(_page(1), Status.STALE)
    time.sleep(0.15)
    p.on_page(_page(2), None)  # redrawn: more than 0.1 s since the last redraw
    assert threading.active_count() == before
    assert p.seen == 2 and p.checked == 1
    assert "2 pages, 1 checked" in out.getvalue()
    p.close()


def test_verdicts_older_than_max_age_are_rechecked(world: dict[str, Path | str]) -> None:
    cfg = Config(
        store=Path(world["store"]),
        repos=(RepoConfig("billing", Path(world["repo"])),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(world["wiki"])}),),
        scan=ScanConfig(max_age_days=30),
    )
    with Store.open(cfg.store) as store:
        first = run_scan(cfg, store)
        assert first.rechecked == 3 and set(first.timings) >= {"extract", "verify", "index"}
        assert run_scan(cfg, store).rechecked == 0
    with sqlite3.connect(cfg.store) as conn:
        conn.execute(
            "UPDATE verdicts SET checked_at = '2020-01-01T00:00:00+00:00' WHERE page_id = 'new.md'"
        )
    with Store.open(cfg.store) as store:
        again = run_scan(cfg, store)
        assert again.rechecked == 1 and again.carried == 2
