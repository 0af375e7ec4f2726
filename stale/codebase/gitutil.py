"""Thin, safe wrappers around the git CLI: argument lists, timeouts, no shell."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 60.0
_ENV_OVERRIDES = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
    "GIT_PAGER": "cat",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_ENV_OVERRIDES)
    # Never let a caller's environment redirect git at another repository.
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def git_cmd(args: Sequence[str]) -> list[str]:
    return ["git", "-c", "core.quotepath=off", "-c", "color.ui=false", *args]


def run_git(root: Path, args: Sequence[str], timeout: float = GIT_TIMEOUT) -> bytes | None:
    """Run git in `root`; stdout bytes, or None when git fails or times out."""
    try:
        proc = subprocess.run(
            git_cmd(args),
            cwd=root,
            capture_output=True,
            timeout=timeout,
            env=_env(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout


def run_git_text(root: Path, args: Sequence[str], timeout: float = GIT_TIMEOUT) -> str | None:
    out = run_git(root, args, timeout)
    return None if out is None else out.decode("utf-8", "replace")


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str  # blob | commit | tree
    sha: str
    size: int | None
    path: str


def ls_tree(root: Path, rev: str = "HEAD", timeout: float = 120.0) -> list[TreeEntry] | None:
    out = run_git(root, ["ls-tree", "-r", "-z", "--long", "--full-tree", rev], timeout)
    if out is None:
        return None
    entries: list[TreeEntry] = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) < 4:
            continue
        size = int(parts[3]) if parts[3].isdigit() else None
        entries.append(
            TreeEntry(
                mode=parts[0].decode(),
                kind=parts[1].decode(),
                sha=parts[2].decode(),
                size=size,
                path=path.decode("utf-8", "surrogateescape"),
            )
        )
    return entries


def cat_blobs(root: Path, shas: Sequence[str], timeout: float = 600.0) -> Iterator[bytes | None]:
    """Yield the content of each blob in order through one `git cat-file --batch`.

    A writer thread feeds the requests so neither pipe can fill up and block; a
    watchdog kills the process after `timeout` seconds (remaining items: None).
    """
    if not shas:
        return
    try:
        proc = subprocess.Popen(
            git_cmd(["cat-file", "--batch"]),
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
    except OSError:
        for _ in shas:
            yield None
        return
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:
        try:
            for sha in shas:
                stdin.write(sha.encode() + b"\n")
            stdin.close()
        except (OSError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    dead = False
    try:
        for _ in shas:
            if dead:
                yield None
                continue
            header = stdout.readline()
            if not header:
                dead = True
                yield None
                continue
            parts = header.split()
            if len(parts) < 3 or parts[1] == b"missing":
                yield None
                continue
            size = int(parts[2])
            data = stdout.read(size)
            stdout.read(1)  # trailing newline
            yield data if len(data) == size else None
    finally:
        watchdog.cancel()
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError):
            stdout.close()
        proc.wait()
        writer.join(timeout=1)
