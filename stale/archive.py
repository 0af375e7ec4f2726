"""Safe extraction of a wiki export (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz).

An export is hostile input (docs/security.md): a member name may be absolute or
climb out with `..`, a member may be a symlink, hard link, device or fifo, and
the sizes in its headers may lie (a zip bomb). So:

- a member named absolutely (`/etc/x`, `C:\\x`) or with a `..` part refuses the
  whole archive: nothing of it is kept;
- links, devices, fifos and encrypted or sparse members are skipped, each with
  a recorded reason; nothing but plain files and folders is ever created;
- the bytes actually written are counted (never the headers' claims) against
  `max_bytes`, and the members against `max_members`: going over either refuses
  the archive;
- every destination is checked to lie inside the target (real paths), files are
  opened with O_NOFOLLOW, and the stdlib tar `data_filter` vets each tar member
  as a second opinion;
- extraction goes into a temporary folder beside the target, renamed into place
  only when complete, so a refused or failed archive leaves no half tree.

Errors are ArchiveError with one line that says what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = [
    "ARCHIVE_SUFFIXES",
    "ArchiveError",
    "Extracted",
    "cached_extract",
    "export_cache_dir",
    "extract",
    "is_archive",
]

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MANIFEST = ".stale-export.json"
CHUNK = 1 << 16
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """An archive that cannot or must not be extracted; the message is one line."""


@dataclass
class Extracted:
    """Where an archive was unpacked and what was left out (name, reason)."""

    root: Path
    members: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def is_archive(path: Path | str) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def _shown(name: str) -> str:
    """A member name safe for a one-line message."""
    clean = "".join(c if c.isprintable() else "?" for c in name)
    return repr(clean[:200] + ("…" if len(clean) > 200 else ""))


class _Writer:
    """Writes members under `tmp`, counting members and bytes against the limits."""

    def __init__(self, archive: Path, tmp: Path, max_bytes: int, max_members: int) -> None:
        self.archive = archive
        self.tmp = tmp
        self.real_tmp = os.path.realpath(tmp)
        self.max_bytes = max_bytes
        self.max_members = max_members
        self.result = Extracted(root=tmp)

    def fail(self, why: str) -> ArchiveError:
        return ArchiveError(f"{self.archive.name}: {why}")

    def count(self) -> None:
        self.result.members += 1
        if self.result.members > self.max_members:
            raise self.fail(
                f"has more than {self.max_members} members, over [limits] max_archive_members; "
                "split the export or raise the limit"
            )

    def parts(self, name: str) -> list[str]:
        """The member's path parts; refuses absolute names and `..`."""
        if "\0" in name:
            raise self.fail(f"member {_shown(name)} has a NUL in its name; the archive is refused")
        unified = name.replace("\\", "/")
        if unified.startswith("/") or _DRIVE_RE.match(unified):
            raise self.fail(
                f"member {_shown(name)} has an absolute path; the archive is refused "
                "(re-export it with relative names)"
            )
        parts = [p for p in unified.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise self.fail(
                f"member {_shown(name)} climbs out of the export with '..'; the archive is refused"
            )
        return parts

    def dest(self, parts: list[str]) -> Path:
        dest = self.tmp.joinpath(*parts)
        real_parent = os.path.realpath(dest.parent)
        if real_parent != self.real_tmp and not real_parent.startswith(self.real_tmp + os.sep):
            raise self.fail(f"member {_shown('/'.join(parts))} would be written outside the target")
        return dest

    def skip(self, name: str, why: str, size: int = 0) -> None:
        """Leave a member out. Its `size` still counts against max_bytes: a tar
        stream is decompressed through it all the same."""
        self.result.skipped.append((name, why))
        self.add(max(0, size))

    def add(self, n: int) -> None:
        self.result.bytes += n
        if self.result.bytes > self.max_bytes:
            raise self.fail(
                f"unpacks to more than {self.max_bytes} bytes, over [limits] "
                "max_archive_bytes; split the export or raise the limit"
            )

    def mkdir(self, parts: list[str]) -> None:
        if not parts:
            return
        self.dest(parts)
        path = self.tmp
        for part in parts:
            path = path / part
            if path.is_symlink():  # never created by us; refuse rather than follow
                raise self.fail(f"member {_shown('/'.join(parts))} goes through a link")
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=0o755)
            if not path.is_dir():
                raise self.fail(f"member {_shown('/'.join(parts))} is both a file and a folder")

    def write(self, parts: list[str], stream: IO[bytes], mtime: float | None) -> None:
        self.mkdir(parts[:-1])
        dest = self.dest(parts)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(dest, flags, 0o644)
        except OSError as e:
            raise self.fail(
                f"cannot write member {_shown('/'.join(parts))} ({e.strerror})"
            ) from None
        with os.fdopen(fd, "wb") as out:
            while True:
                budget = self.max_bytes - self.result.bytes
                chunk = stream.read(min(CHUNK, budget + 1))
                if not chunk:
                    break
                self.add(len(chunk))
                out.write(chunk)
        if mtime is not None and 0 < mtime < 2**33:
            with contextlib.suppress(OSError, OverflowError, ValueError):
                os.utime(dest, (mtime, mtime))


def _zip_members(w: _Writer, archive: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > w.max_members:  # the central directory says so: refuse at once
            w.result.members = w.max_members
            w.count()
        for info in infos:
            w.count()
            parts = w.parts(info.filename)
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFLNK:
                w.skip(info.filename, "symlink (never extracted)")
            elif info.is_dir() or kind == stat.S_IFDIR:
                w.mkdir(parts)
            elif kind not in (0, stat.S_IFREG):
                w.skip(info.filename, "not a regular file")
            elif info.flag_bits & 0x1:
                w.skip(info.filename, "encrypted")
            elif parts:
                mtime: float | None
                try:  # zip times are local time
                    mtime = time.mktime((*info.date_time, 0, 0, -1))
                except (OverflowError, ValueError):
                    mtime = None
                with zf.open(info) as stream:
                    w.write(parts, stream, mtime)


def _tar_members(w: _Writer, archive: Path) -> None:
    data_filter = getattr(tarfile, "data_filter", None)
    # "r|*": a stream, read once in order; no member is looked up twice
    with tarfile.open(archive, "r|*") as tf:
        for member in _iter_tar(tf):
            w.count()
            parts = w.parts(member.name)
            if member.issym():
                w.skip(member.name, "symlink (never extracted)")
                continue
            if member.islnk():
                w.skip(member.name, "hard link (never extracted)")
                continue
            if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
                why = "device, fifo or other special file (never extracted)"
                if member.issparse():
                    why = "sparse file (never extracted)"
                w.skip(member.name, why, member.size)
                continue
            if data_filter is not None:
                try:
                    data_filter(member, str(w.tmp))
                except tarfile.FilterError as e:
                    raise w.fail(
                        f"member {_shown(member.name)} refused by the tar data filter "
                        f"({type(e).__name__}); the archive is refused"
                    ) from None
            if member.isdir():
                w.mkdir(parts)
                continue
            if not parts:
                continue
            stream = tf.extractfile(member)
            if stream is None:
                w.skip(member.name, "unreadable member")
                continue
            w.write(parts, stream, float(member.mtime) if member.mtime else None)


def _iter_tar(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        member = tf.next()
        if member is None:
            return
        yield member


def extract(archive: Path, target: Path, *, max_bytes: int, max_members: int) -> Extracted:
    """Unpack `archive` into the new folder `target` (which must not exist),
    atomically: a temporary folder beside it, renamed into place when complete.
    Raises ArchiveError (one line) for anything refused or unreadable; then
    nothing is left behind."""
    archive = Path(archive)
    target = Path(target)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive file; fix the source's path")
    if not is_archive(archive):
        raise ArchiveError(
            f"{archive.name}: not a supported archive; use {', '.join(ARCHIVE_SUFFIXES)}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        w = _Writer(archive, tmp, max_bytes, max_members)
        try:
            if archive.name.lower().endswith(".zip"):
                _zip_members(w, archive)
            else:
                _tar_members(w, archive)
        except ArchiveError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError) as e:
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ArchiveError(f"{archive.name}: not a readable archive ({why})") from None
        except Exception as e:  # zlib/lzma/bz2 errors, unsupported compression, OSError
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ArchiveError(
                f"{archive.name}: cannot be extracted ({type(e).__name__}: {why[:200]})"
            ) from None
        manifest = {
            "archive": archive.name,
            "members": w.result.members,
            "bytes": w.result.bytes,
            "skipped": w.result.skipped[:1000],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():
                raise ArchiveError(
                    f"{archive.name}: cannot move the extracted export to {target}"
                ) from None
            # another process extracted the same archive first: use its copy
            shutil.rmtree(tmp, ignore_errors=True)
        w.result.root = target
        return w.result
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export_cache_dir() -> Path:
    """Where exports are unpacked: $XDG_CACHE_HOME/stale/exports (~/.cache/…)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "stale" / "exports"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached_extract(
    archive: Path, *, max_bytes: int, max_members: int, cache_dir: Path | None = None
) -> Extracted:
    """Unpack `archive` once into `<cache>/<sha256 of the archive>` and re-use that
    folder while the archive's content is the same (the limits are checked again
    against what was recorded when it was unpacked)."""
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive file; fix the source's path")
    cache = Path(cache_dir) if cache_dir is not None else export_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = _sha256(archive)
    except OSError as e:
        raise ArchiveError(
            f"{archive.name}: cannot prepare the export cache {cache} ({e.strerror})"
        ) from None
    target = cache / digest
    if target.is_dir() and not target.is_symlink():
        try:
            manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
            members, size = int(manifest["members"]), int(manifest["bytes"])
            skipped = [(str(n), str(r)) for n, r in manifest.get("skipped", [])]
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(target, ignore_errors=True)  # damaged: unpack again
        else:
            if size > max_bytes:
                raise ArchiveError(
                    f"{archive.name}: unpacks to more than {max_bytes} bytes, over [limits] "
                    "max_archive_bytes; split the export or raise the limit"
                )
            if members > max_members:
                raise ArchiveError(
                    f"{archive.name}: has more than {max_members} members, over [limits] "
                    "max_archive_members; split the export or raise the limit"
                )
            return Extracted(root=target, members=members, bytes=size, skipped=skipped)
    return extract(archive, target, max_bytes=max_bytes, max_members=max_members)
