"""`GitHistory.value_change` answers from one history listing and blobs read
through one `git cat-file --batch`; it must say what asking `git log -G` per
question says, on histories made to be awkward."""

from __future__ import annotations

import itertools
import os
import random
import signal
from pathlib import Path

import pytest
from conftest import GitRepo

from stale.codebase import history as history_mod
from stale.codebase.gitutil import BlobReader
from stale.codebase.history import GitHistory

KEYS = ("pool_size", "timeout", "DB_URL", "--region", "replicas")
VALUES = ("5", "10", "20", "30s", "eu-west-1", "us-east-1", "3")


def _line(rng: random.Random) -> str:
    key = rng.choice(KEYS)
    value = rng.choice(VALUES)
    return rng.choice(
        [
            f"{key}: {value}",
            f"  {key} = {value}",
            f'p.add_argument("{key}", default="{value}")',
            "# notes",
        ]
    )


def _history(root: Path, seed: int) -> GitRepo:
    """Commits that change, move, delete and re-add lines and files, a merge, a
    binary file and CRLF line ends."""
    rng = random.Random(seed)
    repo = GitRepo(root)
    files = ["conf.yaml", "svc/app.py", "deploy.sh", "win.ini"]
    for f in files:
        repo.write(f, "\n".join(_line(rng) for _ in range(6)) + "\n")
    repo.write("blob.bin", b"\0pool_size: 5\n")
    repo.commit("init", "2025-01-01T00:00:00+00:00")
    for day in range(2, 16):
        f = rng.choice(files)
        path = root / f
        if day == 7:
            path.unlink()  # deleted, re-added later
        elif not path.exists():
            path.write_text("\n".join(_line(rng) for _ in range(4)) + "\n")
        else:
            lines = path.read_text().split("\n")
            op = rng.choice(["edit", "move", "add", "drop"])
            i = rng.randrange(len(lines))
            if op == "edit":
                lines[i] = _line(rng)
            elif op == "move" and len(lines) > 2:
                lines.insert(rng.randrange(len(lines)), lines.pop(i))
            elif op == "add":
                lines.insert(i, _line(rng))
            else:
                lines.pop(i)
            end = "\r\n" if f == "win.ini" else "\n"
            path.write_bytes(end.join(lines).encode())
        repo.git("add", "-A")
        repo.git("commit", "-q", "--allow-empty", "-m", f"day {day}",
                 date=f"2025-01-{day:02d}T00:00:00+00:00")  # fmt: skip
        if day == 9:  # a side branch with its own change to conf.yaml, merged
            repo.git("checkout", "-q", "-b", "side")
            (root / "conf.yaml").write_text("pool_size: 30s\nreplicas: 3\n")
            repo.commit("side", "2025-01-09T06:00:00+00:00")
            repo.git("checkout", "-q", "main")
            repo.git("merge", "-q", "--no-ff", "-X", "theirs", "side", "-m", "merge",
                     date="2025-01-09T12:00:00+00:00")  # fmt: skip
    return repo


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_blob_answers_equal_git_log_answers(tmp_path: Path, seed: int) -> None:
    _history(tmp_path / "r", seed)
    h = GitHistory(tmp_path / "r")
    paths = ["conf.yaml", "svc/app.py", "deploy.sh", "win.ini", "blob.bin", "gone.txt"]
    found = 0
    for path, key, old, fallback in itertools.product(paths, KEYS, (None, *VALUES), (True, False)):
        commits = h._commits_touching(path)
        assert commits is not None
        by_blobs = h._value_change_in(commits, path, key, old, fallback)
        by_log = h._value_change_by_log(path, key, old, fallback)
        assert by_blobs == by_log, (path, key, old, fallback)
        found += by_blobs is not None
    assert found > 20  # the histories do hold value changes to find
    assert not h._blobs.broken


def test_a_long_history_is_asked_through_git_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(tmp_path / "r", 1)
    monkeypatch.setattr(history_mod, "MAX_LISTED_COMMITS", 3)
    h = GitHistory(tmp_path / "r")
    assert h._commits_touching("conf.yaml") is None
    calls: list[str] = []
    real = h._value_change_by_log
    monkeypatch.setattr(h, "_value_change_by_log", lambda *a: calls.append(a[0]) or real(*a))
    h.value_change("conf.yaml", "pool_size", "5")
    assert calls == ["conf.yaml"]


def test_blob_reader_survives_a_dead_git_and_a_fork(tmp_path: Path) -> None:
    repo = _history(tmp_path / "r", 2)
    head = repo.git("rev-parse", "HEAD").strip()
    reader = BlobReader(tmp_path / "r")
    assert reader.read(f"{head}:deploy.sh") == (tmp_path / "r" / "deploy.sh").read_bytes()
    assert reader.read(f"{head}:no/such/file") is None and not reader.broken
    assert reader.read("HEAD:bad\nname") is None and not reader.broken
    # a child process gets its own git: the parent's pipes stay in order
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        ok = reader.read(f"{head}:deploy.sh") == (tmp_path / "r" / "deploy.sh").read_bytes()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reader.read(f"{head}:deploy.sh") is not None
    # git killed under it: the next question starts another
    assert reader._proc is not None
    os.kill(reader._proc.pid, signal.SIGKILL)
    reader._proc.wait()
    assert reader.read(f"{head}:deploy.sh") == (tmp_path / "r" / "deploy.sh").read_bytes()
    # git cannot run at all: None, marked broken, and history asks git log instead
    gone = BlobReader(tmp_path / "no-such-dir")
    assert gone.read(f"{head}:deploy.sh") is None and gone.broken
    h = GitHistory(tmp_path / "r")
    h._blobs = gone
    assert h._commits_touching("conf.yaml")
    for key in ("pool_size", "replicas", "timeout"):
        assert h.value_change("conf.yaml", key) == h._value_change_by_log(
            "conf.yaml", key, None, True
        )
