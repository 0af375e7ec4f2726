"""A folder of Markdown files (usually a git checkout) as a wiki; HTML files
(`.html`, `.htm`: Confluence exports, saved pages) beside them are read too.

Page id: the POSIX path relative to the wiki root. Front matter (YAML between
leading `---` lines) gives title, owner, tags and last_updated; it is blanked
out of the body line for line, so claim line numbers stay page line numbers.
Last-modified comes from git when the folder is in a repository (one `git log`
pass for the whole folder), else from the file's mtime.

An HTML page's title is its `<title>` (a Confluence " - Space - Confluence"
suffix or "Space : " export prefix removed), else its first `<h1>`, else the
file name. A date the page states ("Last updated: 3 March 2023", Confluence's
"last modified by Jane on Mar 03, 2023", `<meta name="last-modified">`) is its
`last_updated` property and its last-modified date: an export's file date is
when it was exported, not when it was edited.

`path` may also be an export archive (.zip, .tar, .tar.gz/.tgz, .tar.bz2,
.tar.xz): it is unpacked safely (stale/archive.py, within `[limits]
max_archive_bytes` and `max_archive_members`) once per archive content into
$XDG_CACHE_HOME/stale/exports/<sha256>, and page ids are paths inside it.

Limits the scan sets (attributes): `max_page_bytes` (a larger file is delivered
with its body cut just past the limit, which the scan reports as `unknown`),
`follow_symlinks_inside` (a symlinked file or folder whose real path stays in
the wiki root is read once, under one id; one that leaves the root never is;
False: no symlink at all), `max_archive_bytes`, `max_archive_members`.
"""

from __future__ import annotations

import html as _html
import os
import re
import stat
import subprocess
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from connectors.base import ConnectorError, PageNotFound
from stale.archive import ArchiveError, cached_extract, is_archive
from stale.model import Page, Verdict, content_hash

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
HTML_SUFFIXES = (".html", ".htm")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".stale"}
MAX_PAGE_BYTES = 2_000_000  # the default of [limits] max_page_bytes
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # the default of [limits] max_archive_bytes
MAX_ARCHIVE_MEMBERS = 100_000  # the default of [limits] max_archive_members
_GIT_TIMEOUT = 60


class MarkdownConfigError(ConnectorError):
    pass


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body with the front matter lines blanked). Bad YAML -> ({}, text)."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 500)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, RecursionError, ValueError):  # RecursionError: [[[[... nesting
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    body = "\n" * (end + 1) + "\n".join(lines[end + 1 :])
    return data, body


def _title_from_body(body: str) -> str | None:
    for line in body.splitlines():
        s = line.strip()
        if s.startswith("# "):
            return s[2:].strip()
    return None


_TITLE_RE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S)
_H1_RE = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.I | re.S)
_RAW_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]{0,2000}>")
_CONFLUENCE_SUFFIX_RE = re.compile(r"\s+[-–|]\s+(?:[^-–|]+\s+[-–|]\s+)?Confluence\s*$", re.I)
_DATE = (
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{4}"
)
_STATED_RE = re.compile(
    r"\blast[\s_-]+(?:updated|modified|edited|changed)\b"
    r"(?:\s+by\s+(?P<who>[^,;:|<>]{1,60}?))?\s*(?:\b(?:on|at)\b)?\s*[:\-–—]?\s*"
    r"(?P<d>" + _DATE + r")",
    re.I,
)
_META_RE = re.compile(r"<meta\b([^>]{0,2000})>", re.I)
_META_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_META_NAMES = frozenset(
    {
        "last-modified",
        "last_modified",
        "lastmodified",
        "modified",
        "date-modified",
        "dcterms.modified",
        "dc.date.modified",
        "article:modified_time",
        "og:updated_time",
    }
)


def _plain(fragment: str) -> str:
    text = _html.unescape(_TAG_RE.sub(" ", fragment))
    return re.sub(r"\s+", " ", text).strip()


def html_title(text: str) -> str | None:
    """The title of an HTML page: <title>, else the first <h1>; Confluence's
    " - Space - Confluence" suffix and an export's "Space : " prefix removed."""
    confluence = "confluence" in text[:20_000].lower()
    for rx in (_TITLE_RE, _H1_RE):
        m = rx.search(text)
        if not m:
            continue
        title = _CONFLUENCE_SUFFIX_RE.sub("", _plain(m.group(1))).strip()
        if confluence and " : " in title:
            title = title.split(" : ", 1)[1].strip()
        if title:
            return title
    return None


def parse_stated_date(text: str) -> datetime | None:
    """A date phrase as an aware UTC datetime (dateparser, imported lazily)."""
    import dateparser

    settings: Any = {
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        "TO_TIMEZONE": "UTC",
    }
    try:
        parsed = dateparser.parse(text.strip(), languages=["en"], settings=settings)
    except Exception:
        return None
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return None
    return parsed.astimezone(UTC)


def stated_last_updated(text: str) -> tuple[datetime, str | None] | None:
    """(date, who) from "Last updated: 3 March 2023", "Last updated by Jane on
    Mar 03, 2023" or a last-modified <meta> tag in an HTML page, else None."""
    plain = _plain(_RAW_RE.sub(" ", text))
    for m in _STATED_RE.finditer(plain):
        when = parse_stated_date(m.group("d"))
        if when is not None:
            who = (m.group("who") or "").strip() or None
            return when, who
    for meta in _META_RE.finditer(text):
        attrs = {
            k.lower(): next((v for v in vals if v), "")
            for k, *vals in _META_ATTR_RE.findall(meta.group(1))
        }
        name = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").lower()
        if name in _META_NAMES or attrs.get("http-equiv", "").lower() == "last-modified":
            when = parse_stated_date(_html.unescape(attrs.get("content", "")))
            if when is not None:
                return when, None
    return None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        from bs4 import UnicodeDammit

        guessed = UnicodeDammit(raw, is_html=True).unicode_markup
    except Exception:
        guessed = None
    return guessed if isinstance(guessed, str) else raw.decode("utf-8", "replace")


def _as_str_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return tuple(t.strip() for t in v.split(",") if t.strip())
    if isinstance(v, list | tuple):
        return tuple(str(t) for t in v if t is not None)
    return (str(v),)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", *args],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.decode("utf-8", "replace")


def git_last_changes(root: Path) -> dict[str, tuple[datetime, str]]:
    """path relative to root -> (last commit date, author), in one git log pass."""
    prefix = _git(root, "rev-parse", "--show-prefix")
    if prefix is None:
        return {}
    prefix = prefix.strip()
    log = _git(root, "log", "--format=%x1e%cI%x1f%an", "--name-only", "--no-renames", "--", ".")
    if log is None:
        return {}
    result: dict[str, tuple[datetime, str]] = {}
    for record in log.split("\x1e"):
        if not record.strip():
            continue
        head, _, names = record.partition("\n")
        date_s, _, author = head.partition("\x1f")
        try:
            when = datetime.fromisoformat(date_s.strip())
        except ValueError:
            continue
        for name in names.splitlines():
            name = name.strip()
            if not name or not name.startswith(prefix):
                continue
            rel = name[len(prefix) :]
            result.setdefault(rel, (when, author.strip()))
    return result


#: A file counts as changed since the last crawl when its mtime or ctime is at most
#: this much before the crawl started (coarse file-system timestamps, clock steps).
CHANGE_SLACK_S = 2.0


class MarkdownFolderConnector:
    """Connector for a directory of Markdown files.

    Incremental: `pages(since=t)` reads only files whose mtime or ctime is after
    `t` (ctime cannot be set back, so a file restored with an old mtime by rsync
    or tar still counts as changed), and leaves every page id it listed in
    `listed_ids`, so the scan can tell pages that are gone from pages that did not
    change, and read pages that appeared under an old timestamp (a moved folder).
    """

    type_name = "markdown"
    incremental = True
    options_help: Mapping[str, str] = {
        "path": "folder holding the .md files, or an export archive (.zip, .tar.gz, …) (required)",
        "url_base": "URL prefix a page id is appended to, e.g. https://git.example.com/wiki/blob/main/",
        "include_hidden": "also read files in folders starting with '.' (default false)",
        "html": "also read .html/.htm files, e.g. Confluence exports (default true)",
        "tagging": "write-back: { enabled, max_per_run, statuses, field, banner }",
    }
    tagging_keys: Mapping[str, type] = {"field": str, "banner": str}

    def __init__(
        self,
        name: str,
        root: Path,
        *,
        url_base: str | None = None,
        include_hidden: bool = False,
        html: bool = True,
        tag_field: str | None = None,
        tag_banner: str | None = None,
    ) -> None:
        self.name = name
        self.root = root
        self.url_base = url_base
        self.include_hidden = include_hidden
        self.html = html
        self.tag_field = tag_field
        self.tag_banner = tag_banner
        self._git_dates: dict[str, tuple[datetime, str]] | None = None
        # [limits], set by the scan (stale.scan.make_connector)
        self.max_page_bytes = MAX_PAGE_BYTES
        self.follow_symlinks_inside = True
        self.max_archive_bytes = MAX_ARCHIVE_BYTES
        self.max_archive_members = MAX_ARCHIVE_MEMBERS
        self._unpacked: Path | None = None
        # ids of pages the walk found as plain files under the (resolved) root: no
        # link on the way, so their URL needs no resolve() and they open O_NOFOLLOW
        self._plain_ids: set[str] = set()
        self.listed_ids: set[str] | None = None  # every page id of the last pages(since=)

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> MarkdownFolderConnector:
        unknown = sorted(set(options) - set(cls.options_help))
        if unknown:
            raise MarkdownConfigError(
                f"sources.{name}.{unknown[0]}: unknown option for a markdown source; "
                f"allowed: {', '.join(sorted(cls.options_help))}"
            )
        if "path" not in options or not isinstance(options["path"], str):
            raise MarkdownConfigError(f"sources.{name}.path: required; the folder of .md files")
        url_base = options.get("url_base")
        if url_base is not None and not isinstance(url_base, str):
            raise MarkdownConfigError(f"sources.{name}.url_base: expected a string")
        hidden = options.get("include_hidden", False)
        if not isinstance(hidden, bool):
            raise MarkdownConfigError(f"sources.{name}.include_hidden: expected true or false")
        html = options.get("html", True)
        if not isinstance(html, bool):
            raise MarkdownConfigError(f"sources.{name}.html: expected true or false")
        from stale.tagging import parse_tagging

        tcfg = parse_tagging(name, options.get("tagging"), cls.tagging_keys)
        field = tcfg.extra.get("field")
        banner = tcfg.extra.get("banner")
        if tcfg.enabled and not field and not banner:
            raise MarkdownConfigError(
                f"sources.{name}.tagging.field: give a front-matter field or a banner line"
            )
        if field is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", field):
            raise MarkdownConfigError(
                f"sources.{name}.tagging.field: {field!r} is not a plain front-matter key"
            )
        if banner is not None and ("\n" in banner or not banner.strip()):
            raise MarkdownConfigError(f"sources.{name}.tagging.banner: must be one non-empty line")
        if tcfg.enabled and is_archive(options["path"]) and not Path(options["path"]).is_dir():
            raise MarkdownConfigError(
                f"sources.{name}.tagging.enabled: an export archive cannot be written back; "
                "turn tagging off for this source"
            )
        return cls(
            name,
            Path(options["path"]),
            url_base=url_base,
            include_hidden=hidden,
            html=html,
            tag_field=field,
            tag_banner=banner,
        )

    @property
    def location(self) -> str:
        return str(self.root.resolve())

    def describe(self) -> dict[str, Any]:
        """Non-secret options, enough to reopen this source later (stored for `stale check`)."""
        d: dict[str, Any] = {"path": self.location}
        if self.url_base:
            d["url_base"] = self.url_base
        if self.include_hidden:
            d["include_hidden"] = True
        if not self.html:
            d["html"] = False
        return d

    @property
    def suffixes(self) -> tuple[str, ...]:
        """File name endings read as pages (lower case)."""
        return MARKDOWN_SUFFIXES + HTML_SUFFIXES if self.html else MARKDOWN_SUFFIXES

    # -- reading ------------------------------------------------------------------

    @property
    def is_archive(self) -> bool:
        return is_archive(self.root) and not self.root.is_dir()

    def _check_root(self) -> Path:
        root = self.root
        if not root.exists():
            raise ConnectorError(f"source {self.name}: folder {root} does not exist; fix its path")
        if self.is_archive:
            return self._unpack()
        if not root.is_dir():
            raise ConnectorError(
                f"source {self.name}: {root} is not a folder or an export archive; fix its path"
            )
        return root.resolve()

    def _unpack(self) -> Path:
        """The folder the export archive is unpacked in (once per content)."""
        if self._unpacked is None or not self._unpacked.is_dir():
            try:
                done = cached_extract(
                    self.root,
                    max_bytes=self.max_archive_bytes,
                    max_members=self.max_archive_members,
                )
            except ArchiveError as e:
                raise ConnectorError(f"source {self.name}: {e}") from None
            self._unpacked = done.root.resolve()
            self._git_dates = {}  # an export has no history: its files keep the archive's dates
        return self._unpacked

    def _skip_dir(self, name: str) -> bool:
        return name in SKIP_DIRS or (not self.include_hidden and name.startswith("."))

    def _link_target(self, root: Path, path: Path) -> str | None:
        """The real path of a symlink when it may be followed: it stays in the wiki
        root and not in a folder the walk skips. None: never follow it."""
        if not self.follow_symlinks_inside:
            return None
        try:
            real = os.path.realpath(path)
            rel = Path(real).relative_to(root)
            folders = rel.parts if os.path.isdir(real) else rel.parts[:-1]
        except (ValueError, OSError):
            return None  # Never follow a link that leaves the wiki root.
        if any(self._skip_dir(part) for part in folders):
            return None
        return real

    def _file_entries(self, root: Path) -> Iterator[tuple[str, str]]:
        """(page id, path) of every page file, sorted by page id, without a Path
        object per file (a listing of 100k files is done on every crawl). Plain
        folders are walked first; a symlinked folder or file inside the root is
        then followed once per real path (no loops), and a file reached both ways
        keeps its plain id."""
        found: dict[str, tuple[bool, str, str]] = {}  # real path -> (via a link, id, path)
        root_prefix = os.path.join(str(root), "")
        visited: set[str] = {str(root)}
        plain: list[Path] = [root]
        linked: list[tuple[Path, str]] = []  # (folder reached through a link, its real path)
        while plain or linked:
            via_link = not plain
            if plain:
                here = plain.pop()
            else:
                here, real_here = linked.pop()
                if real_here in visited:
                    continue  # a loop, or a folder the plain walk (or another link) read
                visited.add(real_here)
            try:
                with os.scandir(here) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                path = Path(entry.path) if via_link else None
                try:
                    is_link = entry.is_symlink()
                    if is_link and path is None:
                        path = Path(entry.path)
                    real = self._link_target(root, path) if is_link and path else None
                    if is_link and real is None:
                        continue
                    if real is None:
                        real = os.path.realpath(entry.path) if via_link else entry.path
                    is_dir = entry.is_dir()
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if is_dir:
                    if self._skip_dir(entry.name):
                        continue
                    if via_link or is_link:
                        linked.append((path or Path(entry.path), real))
                    else:
                        visited.add(real)
                        plain.append(Path(entry.path))
                elif is_file and entry.name.lower().endswith(self.suffixes):
                    rel = entry.path[len(root_prefix) :].replace(os.sep, "/")
                    cand = (via_link or is_link, rel, str(path) if path else entry.path)
                    if real not in found or cand[:2] < found[real][:2]:
                        found[real] = cand
        for linked_, page_id, file in sorted(found.values(), key=lambda c: c[1]):
            if not linked_:
                self._plain_ids.add(page_id)
            yield page_id, file

    def _dates(self, root: Path) -> dict[str, tuple[datetime, str]]:
        if self._git_dates is None:
            self._git_dates = git_last_changes(root)
        return self._git_dates

    def url_for(self, page_id: str, path: Path) -> str:
        if self.url_base:
            return self.url_base.rstrip("/") + "/" + page_id
        if self.is_archive:
            return f"{self.root.resolve().as_uri()}#{page_id}"
        if page_id in self._plain_ids:  # == path.resolve().as_uri(), without the lstat per part
            return path.as_uri()
        return path.resolve().as_uri()

    def _read_capped(self, root: Path, path: Path) -> tuple[bytes, int]:
        """(bytes, size): at most max_page_bytes + 1 bytes are read; a symlink is
        read only while its real path stays in the root."""
        rel = str(path)[len(str(root)) + 1 :]
        if rel in self._plain_ids:
            # found as a plain file: if it was swapped for a link since, refuse it
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                raw = fh.read(self.max_page_bytes + 1)
            return raw, max(size, len(raw))
        if path.is_symlink() and self._link_target(root, path) is None:
            raise OSError(2, "symlink not followed")
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            raw = fh.read(self.max_page_bytes + 1)
        return raw, max(size, len(raw))

    def _too_large(self, root: Path, path: Path, page_id: str, raw: bytes, size: int) -> Page:
        """An over-size page: its body is the first max_page_bytes + 1 bytes, so the
        scan's own size check reports it `unknown` ([limits] max_page_bytes); the
        rest is never read or parsed."""
        text = raw.decode("utf-8", "replace")
        html = page_id.lower().endswith(HTML_SUFFIXES)
        note = f"{size} bytes, over [limits] max_page_bytes ({self.max_page_bytes})"
        return Page(
            source=self.name,
            page_id=page_id,
            url=self.url_for(page_id, path),
            title=PurePosixPath(page_id).stem,
            body=text,
            content_type="html" if html else "markdown",
            last_modified=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
            properties=(("bytes", str(size)), ("too_large", note)),
            content_hash=content_hash(text, str(size)),
        )

    def _read(self, root: Path, path: Path, page_id: str | None = None) -> Page:
        """The page in file `path`; `page_id`: its id when the listing gave it."""
        if page_id is None:
            page_id = path.relative_to(root).as_posix()  # (checks that it is under the root)
        try:
            raw, size = self._read_capped(root, path)
            if size > self.max_page_bytes:
                return self._too_large(root, path, page_id, raw, size)
        except OSError as e:
            raise ConnectorError(f"{page_id}: cannot read ({e.strerror})") from None
        if page_id.lower().endswith(HTML_SUFFIXES):
            return self._html_page(root, path, page_id, _decode(raw).replace("\r\n", "\n"))
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        meta, body = split_front_matter(text)
        title = str(meta.get("title") or _title_from_body(body) or PurePosixPath(page_id).stem)
        last_modified, authors = self._file_date(root, path, page_id)
        props: dict[str, str] = {}
        for key in ("owner", "last_updated", "repo", "repos", "space", "type", "status"):
            if meta.get(key) is not None:
                value = meta[key]
                # lists (repos: [a, b]) travel as comma-separated strings
                props[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        labels = _as_str_tuple(meta.get("tags", meta.get("labels")))
        if "owner" in props and props["owner"] not in authors:
            authors = (props["owner"], *authors)
        return Page(
            source=self.name,
            page_id=page_id,
            url=self.url_for(page_id, path),
            title=title,
            body=body,
            content_type="markdown",
            last_modified=last_modified,
            authors=authors,
            labels=labels,
            properties=tuple(sorted(props.items())),
            content_hash=content_hash(text),
        )

    def _file_date(self, root: Path, path: Path, page_id: str) -> tuple[datetime, tuple[str, ...]]:
        """(last modified, authors): the last commit's date and author for a
        committed, unmodified file; else the file's mtime and no author."""
        dates = self._dates(root)
        if page_id in dates and not self._dirty(root, page_id):
            when, author = dates[page_id]
            return when, ((author,) if author else ())
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), ()

    def _html_page(self, root: Path, path: Path, page_id: str, text: str) -> Page:
        title = html_title(text) or PurePosixPath(page_id).stem
        last_modified, authors = self._file_date(root, path, page_id)
        props: dict[str, str] = {}
        stated = stated_last_updated(text)
        if stated is not None:
            last_modified, who = stated
            props["last_updated"] = last_modified.date().isoformat()
            if who:
                authors = (who,)
        return Page(
            source=self.name,
            page_id=page_id,
            url=self.url_for(page_id, path),
            title=title,
            body=text,
            content_type="html",
            last_modified=last_modified,
            authors=authors,
            properties=tuple(sorted(props.items())),
            content_hash=content_hash(text),
        )

    def _dirty(self, root: Path, page_id: str) -> bool:
        if self._unpacked is not None:
            return False  # an unpacked export is no git checkout
        dirty = getattr(self, "_dirty_set", None)
        if dirty is None:
            out = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
            prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
            dirty = set()
            for entry in (out or "").split("\0"):
                if len(entry) > 3:
                    name = entry[3:]
                    if name.startswith(prefix):
                        dirty.add(name[len(prefix) :])
            self._dirty_set: set[str] = dirty
        return page_id in dirty

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        root = self._check_root()
        self.listed_ids = None
        if since is None:
            for page_id, file in self._file_entries(root):
                yield self._read(root, Path(file), page_id)
            return
        cutoff = since.timestamp() - CHANGE_SLACK_S
        listed: set[str] = set()
        for page_id, file in self._file_entries(root):
            listed.add(page_id)
            try:
                own = os.lstat(file)
                st = os.stat(file) if stat.S_ISLNK(own.st_mode) else own
            except OSError:
                continue  # gone since it was listed
            if max(own.st_ctime, st.st_ctime, st.st_mtime) < cutoff:
                continue
            yield self._read(root, Path(file), page_id)
        self.listed_ids = listed

    def owns(self, ref: str) -> str | None:
        """The page id `ref` names: page id, file path, file:// URI or URL under url_base."""
        if self.url_base and ref.startswith(self.url_base.rstrip("/") + "/"):
            return unquote(ref[len(self.url_base.rstrip("/")) + 1 :].split("#")[0])
        if self.is_archive:
            uri = self.root.resolve().as_uri() + "#"
            if ref.startswith(uri):
                ref = unquote(ref[len(uri) :])
            try:
                root = self._unpack()
            except ConnectorError:
                return None
        else:
            root = self.root.resolve()
        if ref.startswith("file://"):
            ref = unquote(urlparse(ref).path)
        candidates = [Path(ref)]
        if not Path(ref).is_absolute():
            candidates.append(root / ref)
        for cand in candidates:
            # the id as written (a page read through an inside symlink keeps the
            # link's id), then the real path
            try:
                lexical = Path(os.path.abspath(cand)).relative_to(root)
            except ValueError:
                pass
            else:
                if self._page_path_ok(root, lexical):
                    return lexical.as_posix()
            try:
                rel = cand.resolve().relative_to(root)
            except (ValueError, OSError):
                continue
            if cand.resolve().is_file() and rel.as_posix().lower().endswith(self.suffixes):
                return rel.as_posix()
        return None

    def _page_path_ok(self, root: Path, rel: Path) -> bool:
        """Whether root/rel is a page file that may be read: through symlinks
        only when they stay in the root and the policy follows them."""
        path = root / rel
        if not rel.parts or not rel.name.lower().endswith(self.suffixes):
            return False
        try:
            if not path.is_file():
                return False
            real = os.path.realpath(path)
            Path(real).relative_to(root)
        except (ValueError, OSError):
            return False
        return real == str(path) or self.follow_symlinks_inside

    def page(self, ref: str) -> Page:
        root = self._check_root()
        if ref in self._plain_ids:  # an id this connector just listed: no resolving
            return self._read(root, root / ref)
        page_id = self.owns(ref)
        if page_id is None:
            raise PageNotFound(f"{ref}: not a Markdown or HTML page under {root}")
        return self._read(root, root / page_id)

    # -- write-back (opt-in: sources.NAME.tagging) ---------------------------------
    # A front-matter field (`stale: stale`) and/or one banner line under the front
    # matter. The banner is preceded by a suppression comment so its own words are
    # never read as claims, and both are removed again by untag. Files are
    # replaced atomically; committing them is left to the wiki's own workflow.

    _BANNER_MARK = "<!-- stale: ignore -->"

    def _writable(self, page: Page) -> Path:
        if self.is_archive:
            raise ConnectorError(
                f"source {self.name}: write-back is not possible for an export archive"
            )
        root = self._check_root()
        path = (root / page.page_id).resolve()
        try:
            path.relative_to(root)
        except ValueError:
            raise PageNotFound(f"{page.page_id}: not under {root}") from None
        if not path.is_file():
            raise PageNotFound(f"source {self.name}: {page.page_id} no longer exists")
        if not path.name.lower().endswith(MARKDOWN_SUFFIXES):
            raise ConnectorError(f"{page.page_id}: write-back is only for Markdown pages")
        return path

    def tagged_text(self, text: str, verdict_status: str, reason: str) -> str:
        text = self.untagged_text(text)
        lines = text.split("\n")
        end = _front_matter_end(lines)
        if self.tag_field:
            if end is None:
                lines = ["---", f"{self.tag_field}: {verdict_status}", "---", *lines]
                end = 2
            else:
                lines.insert(end, f"{self.tag_field}: {verdict_status}")
                end += 1
        if self.tag_banner:
            clean = " ".join(reason.split())[:200]
            banner = self.tag_banner.replace("{status}", verdict_status).replace("{reason}", clean)
            at = 0 if end is None else end + 1
            lines[at:at] = [self._BANNER_MARK, banner, ""]
        return "\n".join(lines)

    def untagged_text(self, text: str) -> str:
        lines = text.split("\n")
        end = _front_matter_end(lines)
        if self.tag_field and end is not None:
            field_re = re.compile(rf"^{re.escape(self.tag_field)}\s*:")
            kept = [ln for ln in lines[1:end] if not field_re.match(ln)]
            if not any(ln.strip() for ln in kept) and len(kept) < end - 1:
                lines = lines[end + 1 :]  # the front matter held only our field
            else:
                lines = [lines[0], *kept, *lines[end:]]
        # drop each banner: the mark, the banner line, and the blank line we added
        out: list[str] = []
        i = 0
        while i < len(lines):
            if lines[i] == self._BANNER_MARK:
                i += 2
                if i < len(lines) and not lines[i].strip():
                    i += 1
                continue
            out.append(lines[i])
            i += 1
        return "\n".join(out)

    def _rewrite(self, path: Path, new: str) -> None:
        tmp = path.with_name(f".{path.name}.stale-tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, path)

    def is_tagged(self, page: Page) -> bool:
        """Whether the file carries the tag field or a banner now."""
        try:
            path = self._writable(page)
        except PageNotFound:
            return False
        text = path.read_text(encoding="utf-8")
        return self.untagged_text(text) != text

    def tag(self, page: Page, verdict: Verdict) -> None:
        path = self._writable(page)
        text = path.read_text(encoding="utf-8")
        reason = verdict.reasons[0] if verdict.reasons else f"{verdict.status} page"
        new = self.tagged_text(text, str(verdict.status), reason)
        if new != text:
            self._rewrite(path, new)

    def untag(self, page: Page) -> None:
        path = self._writable(page)
        text = path.read_text(encoding="utf-8")
        new = self.untagged_text(text)
        if new != text:
            self._rewrite(path, new)


def _front_matter_end(lines: list[str]) -> int | None:
    """Index of the closing `---` of leading front matter, or None."""
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, min(len(lines), 500)):
        if lines[i].strip() in ("---", "..."):
            return i
    return None
