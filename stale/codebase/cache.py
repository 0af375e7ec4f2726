"""The code index cached on disk, keyed by the commit it was built from.

Indexing a 20k-file repository takes seconds; a nightly scan whose repos did
not move, or a re-scan after a few pages changed, should not pay that again.
An index of a git repository depends only on the committed tree at HEAD (the
index never reads the working tree of a git repo), the limits, and the code of
the extractors, so those make the key. A plain directory is not cached: its
identity is a walk of every file's size and mtime, about what indexing costs.

The cache is a pickle, so loading one runs whatever it says: a file is loaded
only from the cache folder (created 0700 beside the store), only when it is
owned by this user and writable by nobody else. Anything wrong with a file
(corrupt, truncated, another version) means it is rebuilt, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from stale import __version__, collector

if TYPE_CHECKING:
    from stale.codebase.index import CodeIndex
    from stale.config import LimitsConfig

FORMAT = 1
#: Index files kept per repository name (the newest by use).
KEEP_PER_REPO = 3
_CODE_DIGEST: str | None = None


def _code_digest() -> str:
    """A digest of the indexer's own source: an edited extractor invalidates the
    cache even without a version bump (a development checkout)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        h = hashlib.sha256()
        here = Path(__file__).parent
        for p in sorted(here.glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
        _CODE_DIGEST = h.hexdigest()[:16]
    return _CODE_DIGEST


def cache_key(root: Path, head: str, limits: LimitsConfig | None) -> str:
    from stale.config import LimitsConfig

    lim = (limits or LimitsConfig()).fingerprint()
    ident = f"{FORMAT}|{__version__}|{_code_digest()}|{root}|{head}|{lim}"
    return hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] or "repo"


def _trusted(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    mode = stat.S_IMODE(st.st_mode)
    return st.st_uid == os.getuid() and not mode & (stat.S_IWGRP | stat.S_IWOTH)


def _ensure_dir(cache_dir: Path) -> bool:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return _trusted(cache_dir)


def _load_trusted(path: Path) -> object | None:
    if not (_trusted(path.parent) and _trusted(path)):
        return None
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # damaged or written by other code: rebuild
        return None


def _dump_atomic(obj: object, path: Path) -> bool:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return False
    return True


def load(
    cache_dir: Path, name: str, root: Path, head: str, limits: LimitsConfig | None
) -> CodeIndex | None:
    """The cached index of `root` at `head`, or None (missing, untrusted, damaged)."""
    from stale.codebase.history import GitHistory
    from stale.codebase.index import CodeIndex

    path = cache_dir / f"{_safe_name(name)}-{cache_key(root, head, limits)}.pickle"
    index = _load_trusted(path)
    if not isinstance(index, CodeIndex) or index.head != head or index.root != root:
        return None
    index.name = name
    index.history = GitHistory(root, lambda: index.files)
    with contextlib.suppress(OSError):
        os.utime(path)  # the newest by use is kept when pruning
    return index


def save(cache_dir: Path, index: CodeIndex, limits: LimitsConfig | None) -> Path | None:
    """Write `index` atomically; None when the cache folder cannot be used."""
    if not index.is_git or not index.head or not _ensure_dir(cache_dir):
        return None
    # History and look-up caches are per run (and the history holds a closure).
    plain = replace(
        index,
        history=None,
        _grep_cache={},
        _config_by_suffix=None,
        _modules_by_leaf=None,
    )
    prefix = _safe_name(index.name)
    path = cache_dir / f"{prefix}-{cache_key(index.root, index.head, limits)}.pickle"
    if not _dump_atomic(plain, path):
        return None
    _prune(cache_dir, prefix)
    return path


def _facts_path(cache_dir: Path, name: str, root: Path, limits: LimitsConfig | None) -> Path:
    # one per repository and settings, whatever the commit: it is keyed by blob inside
    return cache_dir / f"{_safe_name(name)}.facts-{cache_key(root, 'facts', limits)}.pickle"


def _prune(cache_dir: Path, prefix: str) -> None:
    mine = []
    for p in cache_dir.glob(f"{prefix}-*.pickle"):  # indexes, not the .facts- file
        try:
            mine.append((p.stat().st_mtime, p))
        except OSError:
            continue
    for _, p in sorted(mine, reverse=True)[KEEP_PER_REPO:]:
        p.unlink(missing_ok=True)


#: Children writing the cache (see `_write`), until `wait_for_writes`.
_WRITERS: list[int] = []


def _write(write: Callable[[], object], background: bool) -> None:
    """Run `write`; with `background`, in a forked child where that is safe (fork
    exists, no other thread runs): pickling a 20k-file index takes about half a
    second the scan need not wait for. The files appear atomically either way."""
    others = [t for t in threading.enumerate() if t.is_alive()]
    if not background or not hasattr(os, "fork") or len(others) > 1:
        write()
        return
    try:
        pid = os.fork()
    except OSError:
        write()
        return
    if pid == 0:  # the child: write, and leave without running the parent's exit code
        code = 1
        try:
            from stale.store import close_inherited_locks

            close_inherited_locks()  # the scan lock stays the parent's
            write()
            code = 0
        finally:
            os._exit(code)
    _WRITERS.append(pid)


def wait_for_writes() -> None:
    """Wait for the cache writes started in the background (a scan's last step)."""
    while _WRITERS:
        pid = _WRITERS.pop()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def build_index_cached(
    name: str,
    path: Path,
    limits: LimitsConfig | None,
    cache_dir: Path | None,
    *,
    background: bool = False,
) -> tuple[CodeIndex, bool]:
    """(index, loaded from the cache) for one repository. `background`: write the
    cache in a child process (`wait_for_writes` before relying on the files)."""
    # Loading or building an index makes millions of objects that live as long as
    # the scan, and none of them is garbage.
    with collector.paused():
        return _build_index_cached(name, path, limits, cache_dir, background)


def _build_index_cached(
    name: str,
    path: Path,
    limits: LimitsConfig | None,
    cache_dir: Path | None,
    background: bool,
) -> tuple[CodeIndex, bool]:
    from stale.codebase.index import _git_head, build_index

    root = Path(path).resolve()
    head = _git_head(root) if cache_dir is not None else None
    if cache_dir is not None and head:
        cached = load(cache_dir, name, root, head, limits)
        if cached is not None:
            return cached, True
    if cache_dir is None or not head:
        return build_index(name, Path(path), limits), False
    # A new commit: only the blobs that changed since the last build are read.
    facts_path = _facts_path(cache_dir, name, root, limits)
    facts = _load_trusted(facts_path)
    if not isinstance(facts, dict):
        facts = {}
    index = build_index(name, Path(path), limits, facts)
    if index.head == head:
        known = facts

        def write() -> None:
            save(cache_dir, index, limits)
            if _ensure_dir(cache_dir):
                _dump_atomic(known, facts_path)

        _write(write, background)
    return index, False
