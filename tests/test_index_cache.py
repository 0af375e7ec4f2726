"""The code index is cached on disk by commit: reused while HEAD stays, rebuilt
when it moves, when a cache file is damaged, or when it could have been written
by someone else."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from conftest import git
from typer.testing import CliRunner

from stale.cli import app
from stale.codebase import build_index
from stale.codebase.cache import KEEP_PER_REPO, build_index_cached, cache_key, load, save
from stale.config import LimitsConfig
from stale.scan import index_cache_dir

runner = CliRunner()


def _scan(world: dict[str, Path | str], *extra: str) -> dict:
    res = runner.invoke(
        app,
        [
            "scan",
            "--wiki",
            str(world["wiki"]),
            "--repo",
            str(world["repo"]),
            "--store",
            str(world["store"]),
            "--json",
            *extra,
        ],
    )
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def _pickles(world: dict[str, Path | str]) -> list[Path]:
    return sorted(index_cache_dir(Path(world["store"])).glob("billing-*.pickle"))  # indexes


def test_second_scan_reuses_the_index_and_a_commit_invalidates_it(
    world: dict[str, Path | str],
) -> None:
    first = _scan(world)
    assert first["index_cached"] == []
    assert len(_pickles(world)) == 1
    cache_dir = index_cache_dir(Path(world["store"]))
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"

    second = _scan(world, "--full")
    assert second["index_cached"] == ["billing"]
    assert second["counts"] == first["counts"] and second["rechecked"] == 3

    repo = Path(world["repo"])
    (repo / "scripts" / "deploy.sh").write_text(
        (repo / "scripts" / "deploy.sh").read_text().replace("--zone)", "--region)")
    )
    git(repo, "commit", "-q", "-am", "back to --region")
    third = _scan(world)
    assert third["index_cached"] == []  # a new HEAD: built again, from the new tree
    assert "wiki:old.md" in third["newly_current"]
    assert len(_pickles(world)) == 2


def test_cached_index_answers_like_a_fresh_one(world: dict[str, Path | str]) -> None:
    repo = Path(world["repo"])
    cache = Path(world["tmp"]) / "cache"
    built, hit = build_index_cached("billing", repo, None, cache)
    assert not hit
    loaded, hit = build_index_cached("billing", repo, None, cache)
    assert hit
    assert loaded.files == built.files and loaded.head == built.head
    assert loaded.flags.keys() == built.flags.keys()
    assert loaded.history is not None  # history is re-attached, not pickled
    text = loaded.history.show_file(loaded.head or "", "scripts/deploy.sh")
    assert text == (repo / "scripts" / "deploy.sh").read_text()


def test_a_cache_written_in_the_background_is_there_after_waiting(
    world: dict[str, Path | str],
) -> None:
    import os

    from stale.codebase.cache import _WRITERS, wait_for_writes

    repo = Path(world["repo"])
    cache = Path(world["tmp"]) / "cache-bg"
    built, hit = build_index_cached("billing", repo, None, cache, background=True)
    assert not hit
    writers = list(_WRITERS)
    assert len(writers) == 1 and writers[0] != os.getpid()  # a child wrote it
    wait_for_writes()
    assert _WRITERS == []
    loaded, hit = build_index_cached("billing", repo, None, cache)
    assert hit and loaded.files == built.files and loaded.head == built.head
    assert len(list(cache.glob("*.facts-*.pickle"))) == 1  # the per-blob facts too


def test_damaged_or_foreign_cache_files_are_rebuilt_not_loaded(
    world: dict[str, Path | str],
) -> None:
    repo = Path(world["repo"]).resolve()
    cache = Path(world["tmp"]) / "cache"
    index = build_index("billing", repo)
    path = save(cache, index, None)
    assert path is not None and load(cache, "billing", repo, index.head or "", None) is not None

    path.write_bytes(path.read_bytes()[:100])  # truncated
    assert load(cache, "billing", repo, index.head or "", None) is None
    again, hit = build_index_cached("billing", repo, None, cache)
    assert not hit and again.files == index.files

    # something else pickled under the right name: not an index, not used
    path.write_bytes(pickle.dumps({"not": "an index"}))
    assert load(cache, "billing", repo, index.head or "", None) is None

    save(cache, index, None)
    os.chmod(path, 0o666)  # writable by others: could be anyone's pickle
    assert load(cache, "billing", repo, index.head or "", None) is None
    os.chmod(path, 0o600)
    assert load(cache, "billing", repo, index.head or "", None) is not None
    os.chmod(cache, 0o777)
    assert load(cache, "billing", repo, index.head or "", None) is None


def test_the_key_covers_limits_and_old_files_are_pruned(world: dict[str, Path | str]) -> None:
    repo = Path(world["repo"]).resolve()
    head = git(repo, "rev-parse", "HEAD")
    assert cache_key(repo, head, None) == cache_key(repo, head, LimitsConfig())
    assert cache_key(repo, head, None) != cache_key(repo, head, LimitsConfig(max_file_bytes=10))
    cache = Path(world["tmp"]) / "cache"
    index = build_index("billing", repo)
    for size in range(1, KEEP_PER_REPO + 3):
        save(cache, index, LimitsConfig(max_file_bytes=size))
    assert len(list(cache.glob("billing-*.pickle"))) == KEEP_PER_REPO


_FIELDS = [
    "files",
    "symbols",
    "modules",
    "flags",
    "program_flags",
    "programs",
    "aliases",
    "env",
    "config",
    "routes",
    "versions",
    "commands",
    "command_files",
    "skipped",
]


def _same(a: object, b: object) -> None:
    for f in _FIELDS:
        assert getattr(a, f) == getattr(b, f), f


def test_a_new_commit_reads_only_the_changed_blobs(
    world: dict[str, Path | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from stale.codebase import index as index_mod

    repo = Path(world["repo"])
    (repo / "app").mkdir()
    for i in range(6):
        (repo / "app" / f"m{i}.py").write_text(
            f"import os\n\ndef run_{i}():\n    return os.getenv('M{i}_URL', '{i}')\n"
        )
    (repo / "Makefile").write_text("deploy:\n\t./scripts/deploy.sh\n")
    (repo / "conf.yaml").write_text("db:\n  pool_size: 5\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "more files")
    cache = Path(world["tmp"]) / "cache"
    first, hit = build_index_cached("billing", repo, None, cache)
    assert not hit

    (repo / "app" / "m3.py").write_text("import os\n\ndef run_three():\n    return 1\n")
    (repo / "conf.yaml").write_text("db:\n  pool_size: 9\n")
    git(repo, "commit", "-q", "-am", "change two files")
    read: list[str] = []
    real = index_mod.cat_blobs

    def counting(root: Path, shas: list[str]):  # type: ignore[no-untyped-def]
        read.extend(shas)
        return real(root, shas)

    monkeypatch.setattr(index_mod, "cat_blobs", counting)
    second, hit = build_index_cached("billing", repo, None, cache)
    assert not hit  # a new commit is no index-cache hit ...
    changed = {git(repo, "rev-parse", f"HEAD:{p}") for p in ("app/m3.py", "conf.yaml")}
    makefile = git(repo, "rev-parse", "HEAD:Makefile")
    assert set(read) == changed | {makefile}  # ... but only the changed blobs (and the
    # Makefile, whose facts depend on the tree) are read again
    monkeypatch.setattr(index_mod, "cat_blobs", real)
    _same(second, build_index("billing", repo))
    assert "run_three" in second.symbols and "run_3" not in second.symbols
    assert [kv.value for kv in second.config["poolsize"]] == ["9"]
    assert first.head != second.head
