"""A Markdown folder is crawled incrementally: after a complete crawl only files
changed on disk are read; gone pages are forgotten, moved ones read."""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path

import pytest
from conftest import git

from connectors.markdown import CHANGE_SLACK_S, MarkdownFolderConnector
from stale.config import parse_config
from stale.scan import ScanResult, run_scan
from stale.store import Store


@pytest.fixture
def site(tmp_path: Path) -> Path:
    repo = tmp_path / "svc"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "deploy.sh").write_text('case "$1" in\n  --zone) Z=$2 ;;\nesac\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    wiki = tmp_path / "wiki"
    (wiki / "ops").mkdir(parents=True)
    for i in range(5):
        (wiki / "ops" / f"p{i}.md").write_text(
            f"# P{i}\n\n```bash\n./scripts/deploy.sh --zone eu-{i}\n```\n"
        )
    (tmp_path / "stale.toml").write_text(
        'store = "s.db"\n[[repos]]\nname = "svc"\npath = "svc"\n'
        '[[sources]]\ntype = "markdown"\nname = "wiki"\npath = "wiki"\n'
        "[semantic]\nenabled = false\n"
    )
    # past the change slack: the first crawl's files are older than the crawl
    time.sleep(CHANGE_SLACK_S + 0.5)
    return tmp_path


def _scan(
    root: Path, monkeypatch: pytest.MonkeyPatch, *, full: bool = False
) -> tuple[ScanResult, list[str]]:
    read: list[str] = []
    real = MarkdownFolderConnector._read

    def counting(self, root_: Path, path: Path, page_id: str | None = None):  # type: ignore[no-untyped-def]
        read.append(path.name)
        return real(self, root_, path, page_id)

    monkeypatch.setattr(MarkdownFolderConnector, "_read", counting)
    cfg = parse_config(tomllib.loads((root / "stale.toml").read_text()), root)
    with Store.open(cfg.store) as db:
        return run_scan(cfg, db, full=full), read


def _ids(root: Path) -> set[str]:
    with Store.open(root / "s.db") as db:
        return {v.page_id for v in db.verdicts()}


def _subjects(root: Path, page_id: str) -> set[str]:
    with Store.open(root / "s.db") as db:
        v = db.verdict("wiki", page_id)
        return {f.claim.subject for f in v.findings} if v else set()


def _age(path: Path) -> None:
    """Make the file look untouched for a while (mtime and ctime in the past)."""
    # ctime cannot be set back; waiting out the slack is the honest way
    old = time.time() - 3600
    os.utime(path, (old, old))


def test_second_crawl_reads_only_changed_files(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, read = _scan(site, monkeypatch)
    assert first.rechecked == 5 and len(read) == 5

    second, read = _scan(site, monkeypatch)
    assert read == [] and second.seen == 5 and second.carried == 5 and second.rechecked == 0

    (site / "wiki" / "ops" / "p2.md").write_text("# P2\n\nRun `./scripts/deploy.sh --region x`.\n")
    third, read = _scan(site, monkeypatch)
    assert read == ["p2.md"] and third.rechecked == 1
    assert "--region" in _subjects(site, "ops/p2.md")

    full, read = _scan(site, monkeypatch, full=True)
    assert len(read) == 5 and full.rechecked == 5


def test_an_old_mtime_still_counts_as_a_change(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scan(site, monkeypatch)
    page = site / "wiki" / "ops" / "p1.md"
    page.write_text("# P1\n\nRun `./scripts/deploy.sh --region x`.\n")
    _age(page)  # as rsync -t or tar would leave it: the ctime still moves
    result, read = _scan(site, monkeypatch)
    assert result.rechecked == 1
    assert read == ["p1.md"] and "--region" in _subjects(site, "ops/p1.md")


def test_gone_and_moved_pages(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scan(site, monkeypatch)
    (site / "wiki" / "ops" / "p0.md").unlink()
    # a folder rename keeps the files' own timestamps: they must still be read
    (site / "wiki" / "ops").rename(site / "wiki" / "runbooks")
    result, read = _scan(site, monkeypatch)
    assert sorted(read) == ["p1.md", "p2.md", "p3.md", "p4.md"]
    assert result.forgotten == 5  # p0 gone, p1..p4 moved away from ops/
    assert _ids(site) == {f"runbooks/p{i}.md" for i in range(1, 5)}
