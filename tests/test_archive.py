"""Wiki export archives: safe extraction (stale/archive.py) and the markdown
connector reading a .zip/.tar.gz export. Every hostile archive here is built by
the test; each proves that nothing is written outside the target and that the
error is one line naming what to do."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.base import ConnectorError
from connectors.markdown import MarkdownFolderConnector
from stale import archive as archive_mod
from stale.archive import MANIFEST, ArchiveError, cached_extract, export_cache_dir, extract
from stale.cli import app

MB = 1024 * 1024
BIG = dict(max_bytes=64 * MB, max_members=1000)


def make_zip(
    path: Path, members: list[tuple[str, bytes]], *, links: dict[str, str] | None = None
) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2023, 3, 4, 5, 6, 8))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2023, 3, 4, 5, 6, 8))
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def make_tar(
    path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz"
) -> Path:
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
            else:
                name, data = m
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = 1_680_000_000
                tf.addfile(info, io.BytesIO(data))
    return path


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def all_names(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """tmp/box/out is the extraction target; anything that escapes lands in tmp/box or above."""
    box = tmp_path / "box"
    box.mkdir()
    return box


def assert_refused(err: ArchiveError, *words: str) -> None:
    msg = str(err)
    assert "\n" not in msg and msg.strip() == msg, msg
    for w in words:
        assert w in msg, msg


# -- what a good export gives ---------------------------------------------------------


def test_a_good_zip_is_extracted_with_its_dates_and_a_manifest(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "wiki.zip", [("ENG/a.md", b"# A\n"), ("ENG/sub/b.md", b"# B\n")])
    out = extract(z, tmp_path / "out", **BIG)
    assert out.root == tmp_path / "out" and out.members == 2 and out.bytes == 8
    assert (tmp_path / "out" / "ENG" / "sub" / "b.md").read_bytes() == b"# B\n"
    when = time.localtime((tmp_path / "out" / "ENG" / "a.md").stat().st_mtime)
    assert (when.tm_year, when.tm_mon, when.tm_mday) == (2023, 3, 4)
    assert json.loads((tmp_path / "out" / MANIFEST).read_text())["members"] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                         (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])  # fmt: skip
def test_every_tar_flavour_is_extracted(tmp_path: Path, suffix: str, mode: str) -> None:
    t = make_tar(tmp_path / f"wiki{suffix}", [("docs/a.md", b"# A\n")], mode)
    out = extract(t, tmp_path / "out", **BIG)
    assert (out.root / "docs" / "a.md").read_text() == "# A\n"
    assert (out.root / "docs" / "a.md").stat().st_mtime == 1_680_000_000


def test_the_stdlib_tar_data_filter_vets_each_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hasattr(tarfile, "data_filter")  # Python >= 3.11.4: used in addition to our checks
    seen: list[str] = []

    def refuse(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        seen.append(member.name)
        raise tarfile.OutsideDestinationError(member, dest)

    monkeypatch.setattr(tarfile, "data_filter", refuse)
    t = make_tar(tmp_path / "w.tar.gz", [("a.md", b"x")])
    with pytest.raises(ArchiveError) as e:
        extract(t, tmp_path / "out", **BIG)
    assert seen == ["a.md"]
    assert_refused(e.value, "data filter")
    assert not (tmp_path / "out").exists()


# -- names that leave the target ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../evil.md", "docs/../../../evil.md", "..\\..\\evil.md", "/tmp/evil.md", "C:\\evil.md"],
)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_traversal_and_absolute_names_refuse_the_archive(
    sandbox: Path, name: str, kind: str
) -> None:
    members = [("good.md", b"# fine\n"), (name, b"owned\n")]
    path = sandbox / "x"
    arc = (
        make_zip(path.with_suffix(".zip"), members)
        if kind == "zip"
        else make_tar(path.with_suffix(".tar.gz"), members)
    )
    target = sandbox / "deep" / "er" / "out"
    with pytest.raises(ArchiveError) as e:
        extract(arc, target, **BIG)
    assert_refused(e.value, "refused")
    # nothing written anywhere: not the target, not beside it, not above it
    assert not target.exists()
    assert all_names(sandbox) <= {arc.name, "deep", "deep/er"}
    assert not Path("/tmp/evil.md").exists() or Path("/tmp/evil.md").read_bytes() != b"owned\n"


def test_tar_links_devices_and_fifos_are_skipped_never_created(sandbox: Path) -> None:
    outside = sandbox / "secret.txt"
    outside.write_text("secret")
    t = make_tar(
        sandbox / "w.tar.gz",
        [
            ("a.md", b"# A\n"),
            special("passwd.md", tarfile.SYMTYPE, "/etc/passwd"),
            special("up.md", tarfile.SYMTYPE, "../secret.txt"),
            special("hard.md", tarfile.LNKTYPE, "/etc/passwd"),
            special("dev", tarfile.CHRTYPE),
            special("pipe", tarfile.FIFOTYPE),
            special("linkdir", tarfile.SYMTYPE, "/etc"),
            ("linkdir/x.md", b"lands in a real folder, not /etc\n"),
        ],
    )
    out = extract(t, sandbox / "out", **BIG)
    reasons = dict(out.skipped)
    assert reasons["passwd.md"].startswith("symlink") and reasons["up.md"].startswith("symlink")
    assert reasons["hard.md"].startswith("hard link")
    assert "special" in reasons["dev"] and "special" in reasons["pipe"]
    files = all_names(out.root)
    assert files == {"a.md", "linkdir", "linkdir/x.md", MANIFEST}
    assert not any(p.is_symlink() for p in out.root.rglob("*"))
    assert (out.root / "linkdir").is_dir() and not Path("/etc/x.md").exists()
    assert outside.read_text() == "secret"


def test_zip_symlink_members_are_skipped(sandbox: Path) -> None:
    z = make_zip(sandbox / "w.zip", [("a.md", b"# A\n")], links={"passwd.md": "/etc/passwd"})
    out = extract(z, sandbox / "out", **BIG)
    assert dict(out.skipped) == {"passwd.md": "symlink (never extracted)"}
    assert not (out.root / "passwd.md").exists() and not (out.root / "passwd.md").is_symlink()


# -- size and count limits ----------------------------------------------------------------


def test_a_zip_bomb_stops_at_max_archive_bytes_counting_bytes_written(sandbox: Path) -> None:
    z = make_zip(sandbox / "bomb.zip", [(f"z{i}.md", b"\0" * (4 * MB)) for i in range(4)])
    assert z.stat().st_size < 100_000  # small compressed, 16 MB unpacked
    with pytest.raises(ArchiveError) as e:
        extract(z, sandbox / "out", max_bytes=5 * MB, max_members=100)
    assert_refused(e.value, "bomb.zip", "[limits] max_archive_bytes", "5242880")
    assert all_names(sandbox) == {"bomb.zip"}  # the partial tree is gone too


def test_a_zip_whose_headers_lie_about_sizes_is_refused(sandbox: Path) -> None:
    z = make_zip(sandbox / "liar.zip", [("a.md", b"A" * 100_000)])
    raw = bytearray(z.read_bytes())
    # claim 10 bytes in the local header and the central directory
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig)
        raw[at + off : at + off + 4] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError) as e:
        extract(z, sandbox / "out", max_bytes=50_000, max_members=10)
    assert_refused(e.value, "liar.zip")
    assert all_names(sandbox) == {"liar.zip"}


def test_a_tar_gz_bomb_stops_at_max_archive_bytes(sandbox: Path) -> None:
    t = make_tar(sandbox / "bomb.tar.gz", [("big.md", b"\0" * (8 * MB))])
    assert t.stat().st_size < 100_000
    with pytest.raises(ArchiveError) as e:
        extract(t, sandbox / "out", max_bytes=MB, max_members=100)
    assert_refused(e.value, "[limits] max_archive_bytes")
    assert all_names(sandbox) == {"bomb.tar.gz"}


def test_skipped_tar_members_still_count_toward_the_size(sandbox: Path) -> None:
    sparse_like = tarfile.TarInfo("weird")
    sparse_like.type = b"Z"  # an unknown type: tar reads through its data anyway
    sparse_like.size = 2 * MB
    with tarfile.open(sandbox / "w.tar.gz", "w:gz") as tf:
        tf.addfile(sparse_like, io.BytesIO(b"\0" * (2 * MB)))
    with pytest.raises(ArchiveError) as e:
        extract(sandbox / "w.tar.gz", sandbox / "out", max_bytes=MB, max_members=10)
    assert_refused(e.value, "max_archive_bytes")


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_too_many_members_is_refused(sandbox: Path, kind: str) -> None:
    members = [(f"p{i}.md", b"x") for i in range(30)]
    arc = (
        make_zip(sandbox / "many.zip", members)
        if kind == "zip"
        else make_tar(sandbox / "many.tar.gz", members)
    )
    with pytest.raises(ArchiveError) as e:
        extract(arc, sandbox / "out", max_bytes=MB, max_members=10)
    assert_refused(e.value, "more than 10 members", "[limits] max_archive_members")
    assert all_names(sandbox) == {arc.name}


def test_a_corrupt_archive_is_one_line(sandbox: Path) -> None:
    bad = sandbox / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ArchiveError) as e:
        extract(bad, sandbox / "out", **BIG)
    assert_refused(e.value, "bad.zip")
    bad_tar = sandbox / "bad.tar.gz"
    bad_tar.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ArchiveError) as e:
        extract(bad_tar, sandbox / "out", **BIG)
    assert_refused(e.value, "bad.tar.gz")


# -- the cache --------------------------------------------------------------------------


def test_cache_is_content_addressed_reused_and_honours_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert export_cache_dir() == tmp_path / "xdg" / "stale" / "exports"
    z = make_zip(tmp_path / "w.zip", [("a.md", b"# A\n")])
    first = cached_extract(z, **BIG)
    assert first.root.parent == export_cache_dir() and len(first.root.name) == 64
    calls: list[Path] = []
    monkeypatch.setattr(archive_mod, "extract", lambda *a, **k: calls.append(a[0]))
    again = cached_extract(z, **BIG)
    assert again.root == first.root and calls == []  # re-used, not unpacked again
    # lower limits apply to what is already unpacked
    with pytest.raises(ArchiveError) as e:
        cached_extract(z, max_bytes=2, max_members=10)
    assert_refused(e.value, "max_archive_bytes")


# -- the markdown connector on an export ----------------------------------------------------


def test_markdown_source_reads_a_zip_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    z = make_zip(
        tmp_path / "wiki-export.zip",
        [
            ("ENG/deploy.md", b"# Deploy\nRun it.\n"),
            ("ENG/index.html", b"<title>Home</title><p>x</p>"),
        ],
        links={"ENG/passwd.md": "/etc/passwd"},
    )
    c = MarkdownFolderConnector.from_config("exp", {"path": str(z)})
    pages = {p.page_id: p for p in c.pages()}
    assert set(pages) == {"ENG/deploy.md", "ENG/index.html"}
    assert pages["ENG/deploy.md"].title == "Deploy"
    assert pages["ENG/deploy.md"].url == z.resolve().as_uri() + "#ENG/deploy.md"
    assert c.describe()["path"] == str(z.resolve())
    assert c.owns("ENG/deploy.md") == "ENG/deploy.md"
    assert c.owns(pages["ENG/deploy.md"].url) == "ENG/deploy.md"
    assert c.page("ENG/deploy.md").body.startswith("# Deploy")
    assert pages["ENG/deploy.md"].last_modified is not None
    assert pages["ENG/deploy.md"].last_modified.year == 2023


def test_markdown_source_refuses_a_hostile_export_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    z = make_zip(tmp_path / "evil.zip", [("../../evil.md", b"x")])
    c = MarkdownFolderConnector.from_config("exp", {"path": str(z)})
    with pytest.raises(ConnectorError) as e:
        list(c.pages())
    assert "\n" not in str(e.value) and "source exp" in str(e.value)
    assert not any((tmp_path / "xdg").rglob("*.md"))
    assert not (tmp_path / "evil.md").exists() and not (tmp_path.parent / "evil.md").exists()


def test_tagging_an_export_is_a_config_error(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "w.zip", [("a.md", b"# A\n")])
    with pytest.raises(ConnectorError, match=r"tagging\.enabled"):
        MarkdownFolderConnector.from_config(
            "exp", {"path": str(z), "tagging": {"enabled": True, "field": "stale"}}
        )


def test_scan_of_an_export_over_the_limits_fails_the_source_with_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x.py").write_text("X = 1\n")
    make_zip(tmp_path / "wiki-export.zip", [(f"p{i}.md", b"# P\n") for i in range(20)])
    cfg = tmp_path / "stale.toml"
    cfg.write_text(
        'store = "s.db"\n[[repos]]\npath = "repo"\n'
        '[[sources]]\nname = "exp"\ntype = "markdown"\npath = "wiki-export.zip"\n'
        "[limits]\nmax_archive_members = 5\n"
    )
    res = CliRunner().invoke(app, ["scan", "--config", str(cfg)])
    assert res.exit_code == 3, res.output
    assert "max_archive_members" in res.output
    cfg.write_text(cfg.read_text().replace("max_archive_members = 5", "max_archive_members = 50"))
    res = CliRunner().invoke(app, ["scan", "--config", str(cfg), "--json"])
    assert res.exit_code in (0, 1), res.output
    assert json.loads(res.stdout)["seen"] == 20
    assert os.listdir(tmp_path / "xdg" / "stale" / "exports")  # unpacked in the cache
