"""Write-back under faults: a wiki that fails half-way through `stale tag`.

Through a fault-injecting proxy (tests/faultproxy.py) in front of a REAL MediaWiki
(tests/mediawiki_server.py; skipped with the reason when it is not installed, a
failure under CI=true) and in front of a stateful fake Confluence, each test
breaks some writes (500/502/503, 429 with Retry-After, a stall past the client's
timeout, an answer lost after the wiki acted, SIGKILL mid-run) and then checks:

* **the record matches the wiki**, read back through its API after every run: a
  page the store lists in `tags` is tagged in the wiki exactly once; a page it
  does not list is not tagged; only a page whose last attempt is recorded with
  an `unknown` outcome (or `started`, when the run was killed) may be either;
* **a clean rerun converges**: afterwards no outcome is unknown and every page
  that should be tagged carries exactly one category line and one banner (one
  label), and none other does;
* **the cap holds**: `tagging.max_per_run` counts distinct page writes per run.
  HTTP retries of one write (only after 429/503, answers that say the wiki did
  not act) count once; reads (`verify`) do not count. So per run, the number of
  distinct pages the proxy saw edit requests for is <= max_per_run, and a
  write that got no answer is never sent again within the run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from faultproxy import FaultProxy
from mediawiki_server import Wiki, mediawiki_wiki  # noqa: F401  (the session fixture)
from test_integrations_support import result
from typer.testing import CliRunner

from connectors.mediawiki import MediaWikiConnector
from stale.cli import app
from stale.config import Config, SourceConfig
from stale.model import Status
from stale.store import Store
from stale.tagging import TagResult, apply_tags, plan_tags

ROOT = Path(__file__).resolve().parent.parent
CATEGORY = "Stale pages"
BANNER = "Stale"


# -- the store --------------------------------------------------------------------


def set_verdicts(db_path: Path, source: str, statuses: dict[str, Status]) -> None:
    with Store.open(db_path) as db:
        run = db.start_run("fp")
        db.save_results(
            [
                result(source, pid, f"http://wiki/{pid}", pid, st, (f"{pid} is {st}",))
                for pid, st in statuses.items()
            ],
            run_id=run,
            code_fingerprint="fp",
            settings_fingerprint="s",
        )


def last_id(db_path: Path) -> int:
    with sqlite3.connect(db_path) as c:
        return int(c.execute("SELECT coalesce(max(id), 0) FROM tag_actions").fetchone()[0])


def actions_since(db_path: Path, after: int) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(db_path) as c:
        return [
            (r[0], r[1], r[2], r[3])
            for r in c.execute(
                "SELECT page_id, action, status, error FROM tag_actions WHERE id > ? ORDER BY id",
                (after,),
            )
        ]


def assert_record_matches(
    db_path: Path, source: str, pages: list[str], marks: Callable[[str], tuple[int, ...]]
) -> set[str]:
    """The store's record against the wiki's real state; returns the unsettled pages."""
    with Store.open(db_path) as db:
        tagged = db.tagged(source)
        unsettled = db.unsettled_tags(source)
        rows = db.conn.execute("SELECT status, error FROM tag_actions").fetchall()
    for status, error in rows:
        assert status in ("ok", "failed", "unknown", "started"), status
        assert (error is None) == (status in ("ok", "started")), (status, error)
    for pid in pages:
        m = marks(pid)
        assert max(m) <= 1, f"{pid}: a tag is there twice: {m}"
        assert len(set(m)) == 1, f"{pid}: half a tag: {m}"  # all marks or none
        if pid in unsettled:
            continue  # recorded as unknown: may be either; the next run reads it
        in_wiki = m[0] == 1
        assert (pid in tagged) == in_wiki, (
            f"{pid}: the store says {'tagged' if pid in tagged else 'untagged'}, "
            f"the wiki says {'tagged' if in_wiki else 'untagged'}"
        )
    return set(unsettled)


def apply(cfg: Config, **kw: Any) -> TagResult:
    with Store.open(cfg.store) as db:
        return apply_tags(cfg, db, plan_tags(cfg, db), **kw)


def planned(cfg: Config) -> list[tuple[str, str, bool]]:
    with Store.open(cfg.store) as db:
        return [(a.page_id, a.action, a.unsettled) for p in plan_tags(cfg, db) for a in p.actions]


# -- MediaWiki through the proxy ----------------------------------------------------


@dataclass
class MW:
    wiki: Wiki
    proxy: FaultProxy
    direct: MediaWikiConnector  # straight to the wiki, never through the proxy
    prefix: str

    def cfg(self, tmp_path: Path, **tagging: Any) -> Config:
        opts = {
            "url": f"{self.proxy.url}/api.php",
            "username": self.wiki.username,
            "password": self.wiki.password,
            "timeout": 1,
            "tagging": {
                "enabled": True,
                "max_per_run": 10,
                "category": CATEGORY,
                "banner": BANNER,
                **tagging,
            },
        }
        return Config(store=tmp_path / "s.db", sources=(SourceConfig("mw", "mediawiki", opts),))

    def seed(self, n: int) -> list[str]:
        titles = [f"{self.prefix} {i}" for i in range(1, n + 1)]
        for t in titles:
            self.direct.edit(t, f"Notes on {t}.\n\nRun the deploy.\n", "seed")
        return titles

    def marks(self, title: str) -> tuple[int, int, int]:
        """(category lines, banners, category memberships) of the page now."""
        text, _ = self.direct._current(title)
        doc = self.direct._call(
            {"action": "query", "prop": "categories", "titles": title, "cllimit": "max"}
        )
        cats = [c["title"] for c in doc["query"]["pages"][0].get("categories", [])]
        return (
            len(re.findall(r"\[\[Category:" + CATEGORY + r"\]\]", text)),
            len(re.findall(r"\{\{" + BANNER + r"\|", text)),
            cats.count(f"Category:{CATEGORY}"),
        )

    def edits(self) -> list[str]:
        """Titles of the edit requests the proxy saw since its last reset (retries too)."""
        return [s.title for s in self.proxy.requests("POST edit")]


_counter = iter(range(10_000))


@pytest.fixture
def mw(mediawiki_wiki: Wiki) -> Iterator[MW]:  # noqa: F811
    proxy = FaultProxy(mediawiki_wiki.base, stall_s=2.5).start()
    direct = MediaWikiConnector.from_config(
        "direct",
        {
            "url": mediawiki_wiki.api,
            "username": mediawiki_wiki.username,
            "password": mediawiki_wiki.password,
            "tagging": {"category": CATEGORY, "banner": BANNER},
        },
    )
    try:
        yield MW(mediawiki_wiki, proxy, direct, f"Fault{next(_counter)}")
    finally:
        proxy.stop()


def test_mediawiki_5xx_half_way_recorded_then_rerun_converges(mw: MW, tmp_path: Path) -> None:
    pages = mw.seed(6)
    cfg = mw.cfg(tmp_path)
    set_verdicts(cfg.store, "mw", dict.fromkeys(pages, Status.STALE))
    mw.proxy.on("POST edit", nth=[3], fault="500")  # never reached the wiki
    mw.proxy.on("POST edit", nth=[4], fault="502", retry_after="1")  # a POST: not resent
    mw.proxy.on("POST edit", nth=[5], fault="503", retry_after="1")  # refused: resent once

    res = apply(cfg)
    assert [a.page_id for a in res.done] == [pages[0], pages[1], pages[4], pages[5]]
    assert [a.page_id for a, _ in res.unknown] == [pages[2], pages[3]]
    assert "500" in res.unknown[0][1] and "may or may not" in res.unknown[0][1]
    # 7 edit requests: p5's was refused with 503 and sent again; 6 distinct pages <= cap
    assert mw.edits() == [pages[0], pages[1], pages[2], pages[3], pages[4], pages[4], pages[5]]
    assert len(set(mw.edits())) <= 10
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == {pages[2], pages[3]}

    # The next run reads the two unknown pages before acting; only they are edited.
    mw.proxy.clear()
    mw.proxy.reset()
    assert planned(cfg) == [(pages[2], "tag", True), (pages[3], "tag", True)]
    res = apply(cfg)
    assert res.ok and len(res.done) == 2
    assert sorted(mw.edits()) == [pages[2], pages[3]]
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == set()
    assert all(mw.marks(p) == (1, 1, 1) for p in pages)
    assert planned(cfg) == []  # converged: nothing left to do


def test_mediawiki_timeouts_half_way(mw: MW, tmp_path: Path) -> None:
    pages = mw.seed(5)
    cfg = mw.cfg(tmp_path)
    set_verdicts(cfg.store, "mw", dict.fromkeys(pages, Status.STALE))
    mw.proxy.on("POST edit", nth=[2], fault="stall")  # held, never forwarded
    mw.proxy.on("POST edit", nth=[4], fault="forward+stall")  # saved, answer never comes

    t0 = time.monotonic()
    res = apply(cfg)
    assert time.monotonic() - t0 < 30
    assert [a.page_id for a, _ in res.unknown] == [pages[1], pages[3]]
    assert all("timed out" in e for _, e in res.unknown)
    assert mw.edits() == pages  # a write with no answer is never sent twice
    assert mw.marks(pages[1]) == (0, 0, 0) and mw.marks(pages[3]) == (1, 1, 1)
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == {pages[1], pages[3]}

    mw.proxy.clear()
    mw.proxy.reset()
    res = apply(cfg)
    assert res.ok
    assert mw.edits() == [pages[1]]  # pages[3] was read: tagged already, no second edit
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == set()
    assert all(mw.marks(p) == (1, 1, 1) for p in pages)


def test_mediawiki_answer_lost_after_the_edit(mw: MW, tmp_path: Path) -> None:
    pages = mw.seed(4)
    cfg = mw.cfg(tmp_path)
    set_verdicts(cfg.store, "mw", dict.fromkeys(pages[:3], Status.STALE))
    assert apply(cfg).ok  # pages 1-3 tagged cleanly
    # pages 1 and 2 are fixed (untag), page 4 turns stale (tag); every answer is lost
    set_verdicts(
        cfg.store,
        "mw",
        {pages[0]: Status.CURRENT, pages[1]: Status.CURRENT, pages[3]: Status.STALE},
    )
    mw.proxy.reset()
    mw.proxy.on("POST edit", nth=[1], fault="forward+drop")
    mw.proxy.on("POST edit", nth=[2], fault="forward+500")
    mw.proxy.on("POST edit", nth=[3], fault="forward+502")
    before = last_id(cfg.store)
    res = apply(cfg)
    assert [(a.page_id, a.action) for a, _ in res.unknown] == [
        (pages[0], "untag"),
        (pages[1], "untag"),
        (pages[3], "tag"),
    ]
    assert [s.upstream_status for s in mw.proxy.requests("POST edit")] == [200, 200, 200]
    # the wiki acted every time; the store believes none of it
    assert [mw.marks(p)[0] for p in pages] == [0, 0, 1, 1]
    with Store.open(cfg.store) as db:
        assert set(db.tagged("mw")) == {pages[0], pages[1], pages[2]}
    assert [r[2] for r in actions_since(cfg.store, before)] == ["unknown"] * 3
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == {
        pages[0],
        pages[1],
        pages[3],
    }

    # Page 1 is now neither stale nor current (suspect): its state is only read.
    set_verdicts(cfg.store, "mw", {pages[0]: Status.SUSPECT})
    assert planned(cfg) == [
        (pages[0], "verify", True),
        (pages[1], "untag", True),
        (pages[3], "tag", True),
    ]
    mw.proxy.clear()
    mw.proxy.reset()
    res = apply(cfg)
    assert res.ok and [(a.page_id, t) for a, t in res.verified] == [(pages[0], False)]
    assert mw.edits() == []  # everything was done already: reads only
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == set()
    with Store.open(cfg.store) as db:
        assert set(db.tagged("mw")) == {pages[2], pages[3]}
    assert [mw.marks(p) for p in pages] == [(0, 0, 0), (0, 0, 0), (1, 1, 1), (1, 1, 1)]
    assert planned(cfg) == []


def test_mediawiki_429_retry_after_and_the_cap(mw: MW, tmp_path: Path) -> None:
    """Cap = distinct page writes per run; retries of one write count once."""
    pages = mw.seed(7)
    cfg = mw.cfg(tmp_path, max_per_run=3)
    set_verdicts(cfg.store, "mw", dict.fromkeys(pages[:3], Status.STALE))
    mw.proxy.on("POST edit", nth=[1, 2], fault="429", retry_after="1")
    mw.proxy.on("POST edit", nth=[4], fault="503")  # no Retry-After: backoff
    t0 = time.monotonic()
    res = apply(cfg)
    assert res.ok and len(res.done) == 3
    assert time.monotonic() - t0 >= 2  # waited the two Retry-After seconds
    edits = mw.edits()
    assert edits == [pages[0], pages[0], pages[0], pages[1], pages[1], pages[2]]
    assert len(set(edits)) <= 3  # the cap: distinct pages written this run
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == set()

    # Over the cap: nothing is sent at all, faults or not.
    set_verdicts(cfg.store, "mw", dict.fromkeys(pages[3:], Status.STALE))
    mw.proxy.reset()
    res = apply(cfg)
    assert res.skipped and "4 changes planned, more than tagging.max_per_run = 3" in res.skipped[0]
    assert mw.edits() == []

    # At the cap with every write failing: exactly max_per_run pages are tried.
    cfg = mw.cfg(tmp_path, max_per_run=4)
    mw.proxy.clear()
    mw.proxy.on("POST edit", from_nth=1, fault="500")
    res = apply(cfg, max_failures=10)
    assert len(res.unknown) == 4 and mw.edits() == pages[3:]
    assert assert_record_matches(cfg.store, "mw", pages, mw.marks) == set(pages[3:])
    mw.proxy.clear()
    mw.proxy.reset()
    assert apply(cfg).ok and sorted(mw.edits()) == pages[3:]
    assert all(mw.marks(p) == (1, 1, 1) for p in pages)


def _toml(tmp_path: Path, source: str) -> Path:
    cfg = tmp_path / "stale.toml"
    cfg.write_text(f'store = "{tmp_path / "s.db"}"\n{source}')
    return cfg


def mw_toml(mw: MW, tmp_path: Path, timeout: float = 1) -> Path:
    return _toml(
        tmp_path,
        f'[[sources]]\nname = "mw"\ntype = "mediawiki"\nurl = "{mw.proxy.url}/api.php"\n'
        f'username = "{mw.wiki.username}"\npassword = "${{WIKI_PASSWORD}}"\n'
        f"timeout = {timeout}\n"
        f'tagging = {{ enabled = true, max_per_run = 10, category = "{CATEGORY}", '
        f'banner = "{BANNER}" }}\n',
    )


def test_cli_stops_after_consecutive_failures_exit_3(
    mw: MW, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = mw.seed(6)
    monkeypatch.setenv("WIKI_PASSWORD", mw.wiki.password)
    toml = mw_toml(mw, tmp_path)
    set_verdicts(tmp_path / "s.db", "mw", dict.fromkeys(pages, Status.STALE))
    mw.proxy.on("POST edit", from_nth=1, fault="500")
    runner = CliRunner()
    res = runner.invoke(app, ["tag", "--config", str(toml)])
    assert res.exit_code == 3, res.output
    assert len(mw.edits()) == 3  # the circuit breaker: 3 consecutive failures, then stop
    stop_lines = [ln for ln in res.stderr.splitlines() if "stopped after" in ln]
    assert len(stop_lines) == 1
    assert stop_lines[0].startswith("error: source mw: stopped after 3 consecutive failures")
    assert stop_lines[0].endswith("3 change(s) left for the next run")
    assert "outcome unknown" in res.stderr
    assert "3 unknown" in res.stdout and "1 stopped early" in res.stdout

    res = runner.invoke(app, ["tag", "--config", str(toml), "--dry-run"])
    assert res.exit_code == 0
    assert "[last outcome unknown: the wiki is read first]" in res.stdout

    mw.proxy.clear()
    mw.proxy.reset()
    res = runner.invoke(app, ["tag", "--config", str(toml), "--max-failures", "1"])
    assert res.exit_code == 0, res.output
    assert sorted(mw.edits()) == pages
    assert assert_record_matches(tmp_path / "s.db", "mw", pages, mw.marks) == set()
    assert all(mw.marks(p) == (1, 1, 1) for p in pages)
    res = runner.invoke(app, ["tag", "--config", str(toml), "--dry-run", "--json"])
    assert json.loads(res.stdout)[0]["actions"] == []


def test_sigkill_mid_tagging_then_rerun_converges(mw: MW, tmp_path: Path) -> None:
    pages = mw.seed(5)
    toml = mw_toml(mw, tmp_path, timeout=60)
    db = tmp_path / "s.db"
    set_verdicts(db, "mw", dict.fromkeys(pages, Status.STALE))
    mw.proxy.stall_s = 60
    mw.proxy.on("POST edit", nth=[3], fault="forward+stall")  # saved; the answer is held
    env = {**os.environ, "WIKI_PASSWORD": mw.wiki.password}
    cmd = [sys.executable, "-m", "stale", "tag", "--config", str(toml)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert mw.proxy.hit.wait(60), "the third edit never reached the proxy"
        os.kill(proc.pid, signal.SIGKILL)  # while it waits for the wiki's answer
    finally:
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [(p, a, s) for p, a, s, _ in actions_since(db, 0)] == [
        (pages[0], "tag", "ok"),
        (pages[1], "tag", "ok"),
        (pages[2], "tag", "started"),  # logged before the edit was sent
    ]
    assert mw.marks(pages[2]) == (1, 1, 1)  # ...and the edit did happen
    assert assert_record_matches(db, "mw", pages, mw.marks) == {pages[2]}

    mw.proxy.clear()
    mw.proxy.reset()
    rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    log = actions_since(db, 0)
    assert log[2] == (
        pages[2],
        "tag",
        "unknown",
        "interrupted: the run ended before the wiki answered",
    )
    assert [(p, a, s) for p, a, s, _ in log[3:]] == [(p, "tag", "ok") for p in pages[2:]]
    assert mw.edits() == pages[3:]  # pages[2] was read first: no second edit
    assert assert_record_matches(db, "mw", pages, mw.marks) == set()
    assert all(mw.marks(p) == (1, 1, 1) for p in pages)


# -- Confluence (a stateful fake) through the proxy -----------------------------------


class FakeConfluence:
    """Labels per page over the REST API shape. Stricter than Confluence: a POST
    of a label the page has already adds it again, so a double write shows."""

    def __init__(self, ids: list[str]) -> None:
        self.labels: dict[str, list[str]] = {i: [] for i in ids}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def marks(self, pid: str) -> tuple[int]:
        with self.lock:
            return (self.labels[pid].count("stale"),)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, status: int, doc: Any = None) -> None:
                body = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _labels(self, pid: str) -> dict[str, Any]:
                names = fake.labels[pid]
                return {
                    "results": [{"prefix": "global", "name": n} for n in names],
                    "size": len(names),
                }

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                path = parts.path
                if path == "/rest/api/user/current":
                    return self._send(200, {"type": "known", "username": "bot"})
                m = re.fullmatch(r"/rest/api/content/(\d+)/label", path)
                if not m or m.group(1) not in fake.labels:
                    return self._send(404, {"message": "no such thing"})
                pid = m.group(1)
                with fake.lock:
                    if self.command == "GET":
                        return self._send(200, self._labels(pid))
                    if self.command == "POST":
                        for lb in json.loads(body):
                            fake.labels[pid].append(lb["name"])
                        return self._send(200, self._labels(pid))
                    if self.command == "DELETE":
                        name = unquote(parse_qs(parts.query)["name"][0])
                        if name not in fake.labels[pid]:
                            return self._send(404, {"message": "no such label"})
                        fake.labels[pid] = [n for n in fake.labels[pid] if n != name]
                        return self._send(204)
                return self._send(405, {"message": "method"})

            do_GET = do_POST = do_DELETE = _handle

        return H


def test_confluence_faults_half_way_then_rerun_converges(tmp_path: Path) -> None:
    ids = [str(2001 + i) for i in range(6)]
    fake = FakeConfluence(ids)
    proxy = FaultProxy(fake.url, stall_s=2.5).start()
    try:
        opts = {
            "url": proxy.url,
            "flavor": "datacenter",
            "token": "t0ken",
            "spaces": ["ENG"],
            "timeout": 1,
            "tagging": {"enabled": True, "max_per_run": 6},
        }
        cfg = Config(store=tmp_path / "s.db", sources=(SourceConfig("conf", "confluence", opts),))
        set_verdicts(cfg.store, "conf", dict.fromkeys(ids, Status.STALE))
        proxy.on("POST label", nth=[2], fault="500")  # not applied
        proxy.on("POST label", nth=[3], fault="forward+drop")  # applied, answer lost
        proxy.on("POST label", nth=[4], fault="429", retry_after="1")  # refused, resent: #5
        proxy.on("POST label", nth=[6], fault="stall")  # not applied, timed out
        res = apply(cfg)
        assert [a.page_id for a in res.done] == [ids[0], ids[3], ids[5]]
        assert [a.page_id for a, _ in res.unknown] == [ids[1], ids[2], ids[4]]
        posts = [s.path.split("/")[-2] for s in proxy.requests("POST label")]
        assert posts == [ids[0], ids[1], ids[2], ids[3], ids[3], ids[4], ids[5]]
        assert len(set(posts)) <= 6  # the cap counts pages, not retried requests
        assert [fake.marks(i)[0] for i in ids] == [1, 0, 1, 1, 0, 1]
        unsettled = assert_record_matches(cfg.store, "conf", ids, fake.marks)
        assert unsettled == {ids[1], ids[2], ids[4]}

        proxy.clear()
        proxy.reset()
        assert apply(cfg).ok
        posts = [s.path.split("/")[-2] for s in proxy.requests("POST label")]
        assert posts == [ids[1], ids[4]]  # ids[2]'s labels were read: no second POST
        assert assert_record_matches(cfg.store, "conf", ids, fake.marks) == set()
        assert all(fake.marks(i) == (1,) for i in ids)

        # Untag under faults: the DELETE's answer is lost, then it is redone safely.
        set_verdicts(cfg.store, "conf", {ids[0]: Status.CURRENT, ids[1]: Status.CURRENT})
        proxy.reset()
        proxy.on("DELETE label", nth=[1], fault="forward+500")
        res = apply(cfg)
        assert [a.page_id for a, _ in res.unknown] == [ids[0]] and len(res.done) == 1
        assert assert_record_matches(cfg.store, "conf", ids, fake.marks) == {ids[0]}
        proxy.clear()
        proxy.reset()
        assert apply(cfg).ok
        assert assert_record_matches(cfg.store, "conf", ids, fake.marks) == set()
        assert [fake.marks(i)[0] for i in ids] == [0, 0, 1, 1, 1, 1]
        assert planned(cfg) == []
    finally:
        proxy.stop()
        fake.stop()
