import os
import subprocess
from pathlib import Path

import pytest

from connectors.base import ConnectorError, PageNotFound
from connectors.markdown import MarkdownFolderConnector, split_front_matter
from stale import plugins

GIT = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


def git(cwd: Path, *args: str, date: str = "2024-01-02T03:04:05+00:00") -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_front_matter_is_blanked_line_for_line() -> None:
    meta, body = split_front_matter("---\ntitle: T\ntags: [a, b]\n---\n# H\nline6\n")
    assert meta == {"title": "T", "tags": ["a", "b"]}
    assert body.split("\n")[5] == "line6"
    assert split_front_matter("---\n: [bad\n---\nx")[0] == {}
    assert split_front_matter("no front matter") == ({}, "no front matter")


def test_pages_ids_titles_and_git_dates(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    (wiki / "ops").mkdir(parents=True)
    (wiki / "a.md").write_text("---\ntitle: Alpha\nowner: ana\ntags: [x]\n---\nbody\n")
    (wiki / "ops" / "b.md").write_text("# Bravo page\ntext\n")
    (wiki / ".hidden").mkdir()
    (wiki / ".hidden" / "c.md").write_text("# hidden")
    (wiki / "notes.txt").write_text("not markdown")
    git(wiki, "init", "-q")
    git(wiki, "add", ".")
    git(wiki, "commit", "-q", "-m", "one", date="2023-05-06T07:08:09+00:00")
    (wiki / "ops" / "b.md").write_text("# Bravo page\nnew text\n")
    git(wiki, "commit", "-q", "-am", "two", date="2025-01-01T00:00:00+00:00")

    c = MarkdownFolderConnector("wiki", wiki)
    pages = {p.page_id: p for p in c.pages()}
    assert set(pages) == {"a.md", "ops/b.md"}
    a, b = pages["a.md"], pages["ops/b.md"]
    assert a.title == "Alpha" and a.labels == ("x",) and a.prop("owner") == "ana"
    assert b.title == "Bravo page"
    assert a.last_modified is not None and a.last_modified.year == 2023
    assert b.last_modified is not None and b.last_modified.year == 2025
    assert a.authors[0] == "ana"
    assert a.content_hash != b.content_hash and a.url.startswith("file://")


def test_uncommitted_edit_uses_mtime_and_non_git_folder_works(tmp_path: Path) -> None:
    wiki = tmp_path / "w"
    wiki.mkdir()
    (wiki / "p.md").write_text("# P\n")
    git(wiki, "init", "-q")
    git(wiki, "add", ".")
    git(wiki, "commit", "-q", "-m", "one", date="2020-01-01T00:00:00+00:00")
    (wiki / "p.md").write_text("# P edited\n")
    (p,) = MarkdownFolderConnector("w", wiki).pages()
    assert p.last_modified is not None and p.last_modified.year >= 2026
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "q.md").write_text("# Q\n")
    (q,) = MarkdownFolderConnector("p", plain).pages()
    assert q.page_id == "q.md" and q.last_modified is not None


def test_symlink_leaving_the_root_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("# secret\n")
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "in.md").write_text("# in\n")
    (wiki / "link.md").symlink_to(outside)
    ids = [p.page_id for p in MarkdownFolderConnector("w", wiki).pages()]
    assert ids == ["in.md"]


def test_owns_and_page_resolve_ids_paths_and_urls(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    (wiki / "sub").mkdir(parents=True)
    (wiki / "sub" / "x.md").write_text("# X\n")
    c = MarkdownFolderConnector("w", wiki, url_base="https://wiki.example.com/blob/main/")
    assert c.owns("sub/x.md") == "sub/x.md"
    assert c.owns(str(wiki / "sub" / "x.md")) == "sub/x.md"
    assert c.owns((wiki / "sub" / "x.md").as_uri()) == "sub/x.md"
    assert c.owns("https://wiki.example.com/blob/main/sub/x.md") == "sub/x.md"
    assert c.owns("other.md") is None
    assert c.page("sub/x.md").url == "https://wiki.example.com/blob/main/sub/x.md"
    with pytest.raises(PageNotFound):
        c.page("nope.md")


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    c = MarkdownFolderConnector("w", tmp_path / "nope")
    with pytest.raises(ConnectorError, match="does not exist"):
        list(c.pages())


def test_registered_as_entry_point_and_validates_options() -> None:
    cls = plugins.load("stale.connectors", "markdown")
    assert cls is MarkdownFolderConnector
    with pytest.raises(ConnectorError, match=r"sources\.w\.colour"):
        cls.from_config("w", {"path": "x", "colour": 1})
    with pytest.raises(ConnectorError, match=r"sources\.w\.path"):
        cls.from_config("w", {})
