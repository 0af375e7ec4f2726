"""Checking pages in worker processes: same verdicts as one process, a dead
worker costs only its pages, a killed scan leaves no worker behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.scale import make_repo, make_wiki
from connectors.markdown import CHANGE_SLACK_S
from stale import parallel
from stale.config import parse_config
from stale.parallel import MIN_POOL_PAGES, can_fork, resolve_workers
from stale.scan import run_scan
from stale.store import Store

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker pool needs fork (Linux)")

PAGES = 3 * MIN_POOL_PAGES


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("par")
    rng = random.Random(3)
    facts = make_repo(root / "repo", 120, rng)
    make_wiki(root / "wiki", PAGES, rng, facts)
    return root


def _config(root: Path, store: str, workers: int) -> str:
    return (
        f'store = "{store}"\n[[repos]]\nname = "repo"\npath = "repo"\n'
        '[[sources]]\ntype = "markdown"\npath = "wiki"\n'
        f"[semantic]\nenabled = false\n[scan]\nworkers = {workers}\n"
    )


def _scan(root: Path, store: str, workers: int, full: bool = False):  # type: ignore[no-untyped-def]
    import tomllib

    cfg = parse_config(tomllib.loads(_config(root, store, workers)), root)
    with Store.open(cfg.store) as db:
        return run_scan(cfg, db, full=full)


def _verdicts(db_path: Path) -> dict[str, tuple[str, float, tuple[str, ...]]]:
    with Store.open(db_path) as db:
        out = {}
        for v in db.verdicts():
            keys = tuple(sorted(f"{f.claim.key}:{f.outcome}" for f in v.findings))
            out[v.page_id] = (str(v.status), round(v.score, 6), keys)
        return out


def test_workers_give_the_same_verdicts_as_one_process(corpus: Path) -> None:
    one = _scan(corpus, "one.db", workers=1)
    two = _scan(corpus, "two.db", workers=2)
    assert one.workers == 1 and two.workers == 2
    assert one.counts == two.counts and one.rechecked == two.rechecked == PAGES
    a, b = _verdicts(corpus / "one.db"), _verdicts(corpus / "two.db")
    assert len(a) == PAGES and a == b
    assert any(status == "stale" for status, _, _ in a.values())  # the corpus has stale pages
    # the per-stage CPU seconds of the workers are reported
    assert two.timings["extract"] > 0 and two.timings["verify"] > 0


def test_a_small_scan_stays_in_process(corpus: Path, tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    for p in sorted((corpus / "wiki").rglob("*.md"))[: MIN_POOL_PAGES - 1]:
        (wiki / p.name).write_text(p.read_text())
    (tmp_path / "repo").symlink_to(corpus / "repo")
    result = _scan(tmp_path, "s.db", workers=2)
    assert result.rechecked == MIN_POOL_PAGES - 1
    assert result.workers == 1  # forking would cost more than it saves


def test_resolve_workers() -> None:
    assert resolve_workers(3) == 3
    assert resolve_workers(0) >= 1


def test_a_dead_worker_costs_its_pages_not_the_scan(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _scan(corpus, "dead.db", workers=1)
    before = _verdicts(corpus / "dead.db")
    victim = sorted(before)[PAGES // 2]
    parent = os.getpid()
    real = parallel.check_one

    def crashing(ctx, page, names, timings, stored=None):  # type: ignore[no-untyped-def]
        if page.page_id == victim and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as a segfault in a C parser would
        return real(ctx, page, names, timings, stored)

    monkeypatch.setattr(parallel, "check_one", crashing)  # inherited by the forked workers
    again = _scan(corpus, "dead.db", workers=2, full=True)
    assert again.workers == 2
    lost = [e for e in again.errors if "not checked" in e]
    assert lost and any(victim in e for e in lost)
    assert again.rechecked + len(lost) == PAGES == first.rechecked
    after = _verdicts(corpus / "dead.db")
    assert set(after) == set(before)  # nothing forgotten, the lost pages kept their verdicts
    assert after[victim] == before[victim]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie has exited


def _procs_with(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            pids.append(int(d.name))
    return pids


def test_killed_scan_leaves_no_workers_and_no_lock(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "killed-scan.db"
    # eight copies of each page: the scan is still checking when it is killed
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    (cfg_dir / "repo").symlink_to(corpus / "repo")
    wiki = cfg_dir / "wiki"
    wiki.mkdir()
    for i, p in enumerate(sorted((corpus / "wiki").rglob("*.md"))):
        for k in range(8):
            (wiki / f"{i}-{k}.md").write_text(p.read_text())
    (cfg_dir / "stale.toml").write_text(_config(cfg_dir, str(store), 2))
    cmd = [sys.executable, "-m", "stale.cli", "scan", "-c", str(cfg_dir / "stale.toml"), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_procs_with(str(cfg_dir / "stale.toml"))) < 3:
        time.sleep(0.05)
    workers = [p for p in _procs_with(str(cfg_dir / "stale.toml")) if p != proc.pid]
    assert proc.poll() is None and workers, "the scan ended before its workers started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    alive = [p for p in workers if _alive(p)]
    assert alive == [], "workers outlived the killed scan"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode in (0, 1), rerun.stderr  # not "store locked" (exit 3)


def test_workers_read_stored_checks_and_give_what_one_process_gives(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-scan after the code moved and some pages were edited, one deleted: the
    pages the code moved under are sent to the workers while the crawl still
    reads (some of them the crawl then returns edited, one is gone), and the
    workers read the pages' stored checks themselves. Each page counts once, and
    the store ends as a fresh scan in one process leaves it."""
    import shutil
    import sqlite3

    from bench.scale import git

    root = tmp_path / "c"
    shutil.copytree(corpus / "repo", root / "repo")
    shutil.copytree(corpus / "wiki", root / "wiki")
    _scan(root, "two.db", workers=2)
    time.sleep(CHANGE_SLACK_S + 0.5)  # so that the crawl returns only what changes now
    tuned = [
        p.relative_to(root / "repo").as_posix()
        for p in sorted((root / "repo").rglob("*.yaml"))[:10]
    ]
    for path in tuned:
        p = root / "repo" / path
        p.write_text(p.read_text().replace("pool_size: ", "pool_size: 7"))
    git(root / "repo", "commit", "-q", "-am", "tune")
    pages = sorted((root / "wiki").rglob("*.md"))
    citing = [p for p in pages if any(t in p.read_text() for t in tuned)]
    edited = pages[::3]
    assert set(citing) & set(edited) and set(citing) - set(edited)
    for p in edited:
        p.write_text(p.read_text() + "\nSee also `svc000/elsewhere.yaml`.\n")
    deleted = sorted(set(citing) - set(edited))[0]
    deleted.unlink()
    children: list[int | None] = []  # which pages the code moved under: a forked child's work

    class Spied(parallel.Forked):  # type: ignore[type-arg]
        def result(self):  # type: ignore[no-untyped-def]
            children.append(self._child[0] if self._child else None)
            return super().result()

    monkeypatch.setattr("stale.scan.Forked", Spied)
    again = _scan(root, "two.db", workers=2)
    assert len(children) == 1 and children[0] not in (None, os.getpid())
    assert again.workers == 2 and not again.errors
    assert again.forgotten == 1
    assert again.carried == PAGES - 1 - again.rechecked > 0
    # each page once: as many re-checked as verdicts written by this run
    con = sqlite3.connect(root / "two.db")
    written = con.execute("SELECT count(*) FROM verdicts WHERE run_id = ?", (again.run_id,))
    assert again.rechecked == written.fetchone()[0] > len(edited)
    assert again.seen == sum(again.counts.values()) == PAGES - 1
    con.close()
    fresh = _scan(root, "one.db", workers=1, full=True)
    assert fresh.rechecked == PAGES - 1
    assert _verdicts(root / "two.db") == _verdicts(root / "one.db")
    with Store.open(root / "two.db") as a, Store.open(root / "one.db") as b:
        (source,) = {v.source for v in b.verdicts()}
        for page_id in sorted(_verdicts(root / "one.db"))[::7]:
            assert a.claims(source, page_id) == b.claims(source, page_id)
            assert a.claims(source, page_id)


def test_forked_work_comes_from_a_child_and_falls_back_to_this_process() -> None:
    here = os.getpid()
    assert parallel.Forked(os.getpid).result() != here  # worked out in the child
    # a child that dies without an answer: worked out here instead
    dies = parallel.Forked(lambda: os.getpid() if os.getpid() == here else os._exit(3))
    assert dies.result() == here
    # another thread alive (fork would copy its locks mid-use): here, when asked
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        busy = parallel.Forked(os.getpid)
    finally:
        stop.set()
        other.join()
    assert busy.result() == here


def test_a_store_without_touch_points_is_filled_in_when_the_code_moves(
    corpus: Path, tmp_path: Path
) -> None:
    """Verdicts stored before touch points were (migration 6): the forked child
    cannot tell which pages the code moved under, so the scan reads the claims
    and fills the touch points in itself, and re-checks what a store with them
    re-checks."""
    import shutil
    import sqlite3

    from bench.scale import git

    root = tmp_path / "c"
    shutil.copytree(corpus / "repo", root / "repo")
    shutil.copytree(corpus / "wiki", root / "wiki")
    _scan(root, "new.db", workers=2)
    shutil.copy(root / "new.db", root / "old.db")
    con = sqlite3.connect(root / "old.db")
    with con:
        con.execute("UPDATE verdicts SET touch = NULL")
    con.close()
    time.sleep(CHANGE_SLACK_S + 0.5)
    tuned = sorted((root / "repo").rglob("*.yaml"))[:6]
    for p in tuned:
        p.write_text(p.read_text().replace("pool_size: ", "pool_size: 9"))
    git(root / "repo", "commit", "-q", "-am", "tune")
    with_points = _scan(root, "new.db", workers=2)
    filled = _scan(root, "old.db", workers=2)
    assert 0 < filled.rechecked == with_points.rechecked < PAGES
    assert filled.carried == with_points.carried
    assert _verdicts(root / "old.db") == _verdicts(root / "new.db")
    con = sqlite3.connect(root / "old.db")
    assert con.execute("SELECT count(*) FROM verdicts WHERE touch IS NULL").fetchone()[0] == 0
    con.close()


def test_forked_work_nobody_asks_for_is_stopped() -> None:
    """A scan that fails before it asks: the child, blocked writing an answer
    larger than the pipe holds, is stopped and reaped."""
    work = parallel.Forked(lambda: "x" * (1 << 20))
    assert work._child is not None
    pid = work._child[0]
    time.sleep(0.2)
    os.kill(pid, 0)  # still there, waiting for a reader
    work.cancel()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert work.result() == "x" * (1 << 20)  # asked after all: worked out here


class _Node:
    other: object = None


def test_a_worker_collects_garbage_once_per_chunk_and_freezes_what_it_keeps() -> None:
    """A worker runs without automatic collections (they walked the growing memo
    again and again); each chunk ends with one young collection, which frees the
    cycles the chunk made, and freezes what the chunk kept."""
    import gc
    import weakref

    here = os.getpid()

    def in_a_worker() -> tuple[bool, bool, bool, int, int] | None:
        if os.getpid() == here:
            return None  # never change the collector of the test process
        parallel._init_worker(here)
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        cycle = weakref.ref(a)
        del a, b
        for _ in range(5000):  # would have set off automatic collections
            _Node().other = []
        left_alone = cycle() is not None
        kept = [_Node() for _ in range(500)]
        frozen = gc.get_freeze_count()
        parallel._CONTEXT = object()  # type: ignore[assignment]  # no item needs it
        parallel._check_chunk([])
        return (
            gc.isenabled(),
            left_alone,
            cycle() is None,
            gc.get_freeze_count() - frozen - len(kept),
            gc.get_count()[0],
        )

    found = parallel.Forked(in_a_worker).result()
    assert found is not None, "the check ran in the test process, not in a forked child"
    enabled, left_alone, collected, newly_frozen_beyond_kept, young = found
    assert not enabled
    assert left_alone  # no automatic collection between chunks
    assert collected  # the chunk's cycle is freed when the chunk ends
    assert newly_frozen_beyond_kept >= 0  # what the chunk kept is frozen, not walked again
    assert young == 0


def test_a_scan_collects_garbage_per_written_batch_not_automatically(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a scan crawls and checks, automatic collections are off (they walked
    its large, long-lived containers again and again); each batch it writes ends
    with a young collection, so cycles do not pile up; afterwards the collector
    is as it was."""
    import gc
    import tomllib
    import weakref

    from stale import scan

    monkeypatch.setattr(scan, "BATCH_SIZE", 4)
    cycles: list[weakref.ref[_Node]] = []
    during: list[tuple[bool, bool]] = []  # (collector on, the first cycle still there)

    def on_page(page: object, status: object) -> None:
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        cycles.append(weakref.ref(a))
        during.append((gc.isenabled(), cycles[0]() is not None))

    cfg = parse_config(tomllib.loads(_config(corpus, str(tmp_path / "gc.db"), 1)), corpus)
    assert gc.isenabled()
    with Store.open(cfg.store) as db:
        result = run_scan(cfg, db, on_page=on_page)
    assert result.rechecked == PAGES == len(during)
    assert gc.isenabled()
    assert not any(on for on, _ in during)
    assert during[1][1]  # no automatic collection between two pages
    assert not during[-1][1]  # freed when a batch was written
