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
        watchdog.join(timeout=1)  # cancelled: ends at once; no thread outlives the read


class BlobReader:
    """`rev:path` -> bytes through one long-lived `git cat-file --batch`: a history
    query that reads a file at a few commits costs pipe round trips, not a git
    process each (~5 ms). Each process (a forked scan worker) starts its own; a
    request that fails, times out or cannot be written on one line gives None."""

    def __init__(self, root: Path, timeout: float = 30.0) -> None:
        self.root = root
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid = 0
        self._broken = False

    @property
    def broken(self) -> bool:
        """True once git could not be started or stopped answering."""
        return self._broken

    def _process(self) -> subprocess.Popen[bytes] | None:
        if self._proc is not None and self._pid == os.getpid() and self._proc.poll() is None:
            return self._proc
        if self._broken:
            return None
        # a copy inherited from the parent by fork shares its pipes: never touch it
        self._proc = None
        try:
            self._proc = subprocess.Popen(
                git_cmd(["cat-file", "--batch"]),
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_env(),
            )
        except OSError:
            self._broken = True
            return None
        self._pid = os.getpid()
        return self._proc

    def read(self, name: str) -> bytes | None:
        if "\n" in name or "\r" in name:
            return None
        proc = self._process()
        if proc is None or proc.stdin is None or proc.stdout is None:
            return None
        import select

        try:
            proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
            if not ready:
                raise OSError("git cat-file did not answer")
            header = proc.stdout.readline()
            parts = header.split()
            if len(parts) < 3 or parts[1] == b"missing" or parts[1] == b"ambiguous":
                if not header:
                    raise OSError("git cat-file exited")
                return None
            size = int(parts[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after the content
            if len(data) != size:
                raise OSError("git cat-file cut an answer short")
            return data if parts[1] == b"blob" else None
        except (OSError, ValueError):
            self.close()
            self._broken = True  # the callers fall back to a git process per question
            return None

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or self._pid != os.getpid():
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc.wait(timeout=5)
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
