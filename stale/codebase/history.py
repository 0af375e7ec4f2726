"""Lazily queried, cached git history of one repository.

Every query returns None (never raises) when history cannot answer: not a git
repository, a shallow clone without the commit, a timeout.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from stale.codebase.facts import CommitRef, PathEvent, Removal
from stale.codebase.gitutil import BlobReader, run_git, run_git_text
from stale.codebase.norm import has_token

_FMT = "%x01%H%x1f%cI%x1f%an"
_MAX_PICKAXE_COMMITS = 200
_MAX_TRANSITION_CHECKS = 80
#: Histories up to this many commits are listed once (which files each commit
#: touched) so value look-ups read blobs instead of running git per question.
MAX_LISTED_COMMITS = 20_000

#: Files whose text is about the code rather than the code itself: a mention in
#: them (a changelog line, a README) is not a definition.
_DOC_EXT = (".md", ".markdown", ".rst", ".txt", ".adoc", ".html", ".htm", ".rtf")
_DOC_NAMES = re.compile(r"(^|/)(changelog|changes|history|news|release[-_ ]?notes)[^/]*$", re.I)


_TEST_SEGMENTS = frozenset(
    {"test", "tests", "testing", "spec", "specs", "__tests__", "fixtures", "testdata", "examples"}
)


def is_test_path(path: str) -> bool:
    """Tests, fixtures and examples: their values are not the product's settings."""
    parts = path.lower().split("/")
    base = parts[-1]
    return (
        bool(_TEST_SEGMENTS.intersection(parts[:-1]))
        or base.startswith("test_")
        or (".test." in base or ".spec." in base or base.endswith("_test.go"))
    )


def is_doc_path(path: str) -> bool:
    low = path.lower()
    if low.endswith(_DOC_EXT) and not low.rsplit("/", 1)[-1].startswith("requirements"):
        return True
    if _DOC_NAMES.search(low):
        return True
    return low.startswith(("docs/", "doc/", "wiki/")) or "/docs/" in low


# Families of tokens a renamed thing can turn into.
FLAG_RX = re.compile(r"(?<![\w-])--?[A-Za-z0-9][A-Za-z0-9_-]*")
ENV_RX = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]+(?![A-Za-z0-9_])")
DEF_RX = re.compile(r"\b(?:def|class|func|function|type)\s+([A-Za-z_]\w*)")
KEY_RX = re.compile(r"^\s*(?:-\s+)?[\"']?([A-Za-z_][\w.-]*)[\"']?\s*[:=]")
ROUTE_RX = re.compile(r"/[A-Za-z0-9_{}<>:.-]+(?:/[A-Za-z0-9_{}<>:.-]+)*")
TARGET_RX = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_./+-]*)\s*:(?!=)")
IDENT_RX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def family_for(token: str) -> re.Pattern[str]:
    if token.startswith("-"):
        return FLAG_RX
    if token.startswith("/"):
        return ROUTE_RX
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", token):
        return ENV_RX
    return IDENT_RX


def _parse_header(header: str) -> CommitRef | None:
    parts = header.split("\x1f")
    if len(parts) < 3 or not re.fullmatch(r"[0-9a-f]{40,64}", parts[0]):
        return None
    return CommitRef(parts[0], parts[1], parts[2])


#: A rename git detects is taken as a move only when the content is this similar
#: (percent) and the file keeps its name, or when it is nearly identical.
MOVE_SIMILARITY = 80
MOVE_SIMILARITY_NEW_NAME = 90


def _ext(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _commit_events(
    commit: CommitRef, toks: list[str]
) -> list[tuple[CommitRef, str, str, str | None]]:
    """The D/R/A events of one commit from `--name-status -z` tokens, with weak
    renames split into a deletion (remembering the paired file) and an addition."""
    raw: list[tuple[str, int, str, str | None]] = []
    i = 0
    while i < len(toks):
        status = toks[i].strip()
        if not status:
            i += 1
            continue
        if status[0] in "RC" and i + 2 < len(toks):
            score = int(status[1:]) if status[1:].isdigit() else 100
            raw.append((status[0], score, toks[i + 1], toks[i + 2]))
            i += 3
        elif i + 1 < len(toks):
            raw.append((status[0], 100, toks[i + 1], None))
            i += 2
        else:
            break
    added: list[str] = [p for st, _, p, _ in raw if st == "A"]
    events: list[tuple[CommitRef, str, str, str | None]] = []
    for st, score, old, new in raw:
        if st == "R" and new is not None:
            same_name = old.rsplit("/", 1)[-1] == new.rsplit("/", 1)[-1]
            if score >= MOVE_SIMILARITY_NEW_NAME or (same_name and score >= MOVE_SIMILARITY):
                events.append((commit, "R", old, new))
            else:
                events.append((commit, "D", old, new))
                events.append((commit, "A", new, None))
        elif st == "D":
            folder = old.rsplit("/", 1)[0] if "/" in old else ""
            alike = [
                p
                for p in added
                if _ext(p) == _ext(old) and (p.rsplit("/", 1)[0] if "/" in p else "") == folder
            ]
            events.append((commit, "D", old, alike[0] if len(alike) == 1 else None))
        elif st == "A":
            events.append((commit, "A", old, None))
    return events


class GitHistory:
    """History queries for one repository (`root` must be its top level)."""

    def __init__(self, root: Path, head_files: Callable[[], set[str]] | None = None) -> None:
        self.root = root
        self._head_files = head_files
        self._events: list[tuple[CommitRef, str, str, str | None]] | None = None
        self._cache: dict[tuple[object, ...], object] = {}
        self._blobs = BlobReader(root)
        self._touching: dict[str, list[CommitRef]] | None = None
        self._listed = False  # whether _touching holds the whole history

    # ------------------------------------------------------------ helpers

    def _git(self, args: Sequence[str], timeout: float = 60.0) -> str | None:
        return run_git_text(self.root, args, timeout)

    def show_file(self, commit: str, path: str) -> str | None:
        """The file's text at `commit`; None when it does not exist there."""
        key = ("show", commit, path)
        if key not in self._cache:
            out = self._blobs.read(f"{commit}:{path}")
            if out is None and self._blobs.broken:
                out = run_git(self.root, ["cat-file", "blob", f"{commit}:{path}"], 30.0)
            self._cache[key] = None if out is None else out.decode("utf-8", "replace")
        val = self._cache[key]
        return val if isinstance(val, str) else None

    def _in_head(self, path: str) -> bool:
        return self._head_files is not None and path in self._head_files()

    # ------------------------------------------------------------ paths

    def _path_events(self) -> list[tuple[CommitRef, str, str, str | None]]:
        """(commit, status, old path, other path) for all history, newest first.

        Status "R": a move (other = the new path); "D": a deletion (other = a file
        that possibly replaced it, or None); "A": an addition (other = None).
        git's rename detection pairs a deleted file with any added file of similar
        content; only a pair with high similarity that keeps its name (or is nearly
        identical) is taken as a move, the rest is a deletion plus an addition."""
        if self._events is None:
            out = run_git(
                self.root,
                [
                    "log",
                    "--name-status",
                    "-M50%",
                    "--diff-filter=DRA",
                    f"--format={_FMT}",
                    "-z",
                ],
                120.0,
            )
            events: list[tuple[CommitRef, str, str, str | None]] = []
            if out is not None:
                for chunk in out.decode("utf-8", "surrogateescape").split("\x01"):
                    if not chunk:
                        continue
                    header, _, rest = chunk.partition("\0")
                    commit = _parse_header(header)
                    if commit is None:
                        continue
                    events.extend(_commit_events(commit, rest.lstrip("\n").split("\0")))
            self._events = events
        return self._events

    def path_history(self, path: str) -> PathEvent | None:
        """What happened to a path (file or directory, or a bare file name) that is
        not at HEAD: the most recent deletion or rename of it."""
        key = ("path", path)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        result = self._path_history(path.strip("/"))
        self._cache[key] = result
        return result

    def _path_history(self, path: str) -> PathEvent | None:
        events = self._path_events()
        bare = "/" not in path

        def hit(p: str) -> bool:
            if p == path or p.startswith(path + "/"):
                return True
            return bare and p.rsplit("/", 1)[-1] == path

        for commit, status, old, new in events:
            if status not in "DR" or not hit(old):
                continue
            as_dir = old.startswith(path + "/")
            if status == "D":
                replaced = None
                if new and not as_dir:
                    final = self._follow(new, commit)
                    replaced = final if self._exists_at_head(final) else None
                return PathEvent("deleted", path if as_dir else old, commit, replaced_by=replaced)
            assert new is not None
            if not as_dir:
                target = new
            else:  # a directory: map the prefix
                suffix = old[len(path) :]
                target = new[: -len(suffix)] if new.endswith(suffix) else new.rsplit("/", 1)[0]
            final = self._follow(target, commit)
            return PathEvent(
                "renamed", path if as_dir else old, commit, final, self._exists_at_head(final)
            )
        return None

    def _follow(self, path: str, after: CommitRef) -> str:
        """Follow later renames of `path` (events are newest first)."""
        events = self._path_events()
        idx = next((i for i, e in enumerate(events) if e[0].sha == after.sha), len(events))
        current = path
        for _commit, status, old, new in reversed(events[:idx]):
            if status == "R" and new and (old == current or current.startswith(old + "/")):
                current = new + current[len(old) :]
        return current

    def _exists_at_head(self, path: str) -> bool:
        if self._head_files is None:
            return False
        files = self._head_files()
        return path in files or any(f.startswith(path + "/") for f in files)

    # ------------------------------------------------------------ tokens

    def pickaxe(
        self, token: str, path: str | None = None, lines: bool = False
    ) -> list[tuple[CommitRef, list[str]]]:
        """Commits (newest first) whose diff changes the number of occurrences of
        `token` (a fixed string, `git log -S`), with the files where it changed.
        With `lines`, commits that add or remove any line containing it (`-G`),
        which also sees `cache_ttl` renamed to `cache_ttl_seconds`."""
        key = ("pickaxe", token, path, lines)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        args = [
            "log",
            f"-G{_ere_escape(token)}" if lines else f"-S{token}",
            "--no-renames",
            f"--format={_FMT}",
            "--name-only",
            "-z",
            f"-n{_MAX_PICKAXE_COMMITS}",
        ]
        if path:
            args += ["--", path]
        result = _parse_log(run_git(self.root, args, 120.0))
        self._cache[key] = result
        return result

    def removal_of(
        self,
        token: str,
        path: str | None = None,
        accept: Callable[[str], bool] | None = None,
    ) -> Removal | None:
        """The most recent commit after which `token` no longer occurs in a file
        that had it, among files where it is absent at HEAD. `accept` filters
        candidate files (default: skip docs and changelogs). None when the token
        never occurred (or still occurs everywhere it did)."""
        key = ("removal", token, path, accept)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        result = self._removal(token, path, accept, lines=False)
        if result is None:
            result = self._removal(token, path, accept, lines=True)
        self._cache[key] = result
        return result

    def _removal(
        self,
        token: str,
        path: str | None,
        accept: Callable[[str], bool] | None,
        lines: bool,
    ) -> Removal | None:
        """Newest commit that took `token` (as a whole token) out of a file that still
        lacks it at HEAD. Transitions are checked on the file before and after each
        listed commit, so "--alpha" -> "--alphabet" (same substring count) counts."""
        return self._transition(
            token, self.pickaxe(token, path, lines), lambda text: has_token(text, token), accept
        )

    def removal_matching(
        self,
        label: str,
        ere: str,
        rx: re.Pattern[str],
        accept: Callable[[str], bool] | None = None,
    ) -> Removal | None:
        """Like removal_of, for a pattern rather than a fixed token: `ere` is the
        POSIX extended regex git searches diffs with (`-G`), `rx` the same pattern
        in Python, checked on whole file versions. Used for route literals, whose
        parameters are spelled differently by each framework."""
        key = ("removal_matching", ere, accept)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        commits = self._log_pattern(ere)
        result = self._transition(label, commits, lambda text: rx.search(text) is not None, accept)
        self._cache[key] = result
        return result

    def _log_pattern(self, ere: str) -> list[tuple[CommitRef, list[str]]]:
        args = [
            "log",
            f"-G{ere}",
            "--no-renames",
            f"--format={_FMT}",
            "--name-only",
            "-z",
            f"-n{_MAX_PICKAXE_COMMITS}",
        ]
        return _parse_log(run_git(self.root, args, 120.0))

    def _transition(
        self,
        token: str,
        commits: list[tuple[CommitRef, list[str]]],
        present: Callable[[str], bool],
        accept: Callable[[str], bool] | None,
    ) -> Removal | None:
        ok = accept or (lambda p: not is_doc_path(p))
        present_at_head: dict[str, bool] = {}
        checks = 0
        for commit, files in commits:
            for f in files:
                if not ok(f):
                    continue
                if f not in present_at_head:
                    head = self.show_file("HEAD", f) if self._in_head(f) else None
                    present_at_head[f] = head is not None and present(head)
                if present_at_head[f]:
                    continue  # still there now: whatever happened to it, it is not gone
                checks += 1
                if checks > _MAX_TRANSITION_CHECKS:
                    return None
                after = self.show_file(commit.sha, f)
                if after is not None and present(after):
                    continue  # added (or kept) here; a later commit removed it
                before = self.show_file(commit.sha + "^", f)
                if before is not None and present(before):
                    return Removal(token, f, commit)
        return None

    def successor_of(
        self, token: str, commit: str, path: str, family: re.Pattern[str] | None = None
    ) -> str | None:
        """What `token` turned into in `commit`: a token of the same family on the
        added lines of the hunk that removed it, most similar to it."""
        key = ("succ", token, commit, path, family)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        out = self._git(["show", "-U0", "--no-color", "--format=", commit, "--", path])
        result = None if out is None else _successor_in_diff(out, token, family)
        if result is None:
            # a file moved and edited in one commit: look at the whole commit with renames
            out = self._git(["show", "-U0", "-M", "--no-color", "--format=", commit])
            if out is not None and len(out) < 2_000_000:
                result = _successor_in_diff(out, token, family)
        self._cache[key] = result
        return result

    def value_change(
        self, path: str, key: str, old_value: str | None = None, fallback: bool = True
    ) -> CommitRef | None:
        """The most recent commit that changed a line holding `key` in `path` (and,
        when given, removed a line with `old_value` next to it). Without a commit
        that removed `old_value` (and with `fallback`), the most recent commit that
        replaced a line holding `key` (not one that only added it)."""
        ck = ("value", path, key, old_value, fallback)
        if ck in self._cache:
            return self._cache[ck]  # type: ignore[return-value]
        commits = self._commits_touching(path)
        if commits is None:
            result = self._value_change_by_log(path, key, old_value, fallback)
        else:
            result = self._value_change_in(commits, path, key, old_value, fallback)
            if self._blobs.broken:  # blobs could not be read: ask git the long way
                result = self._value_change_by_log(path, key, old_value, fallback)
        self._cache[ck] = result
        return result

    def _commits_touching(self, path: str) -> list[CommitRef] | None:
        """The commits that changed `path`, newest first, from one listing of the
        whole history (merges show no files, as in `git log -- path`); None when
        the history is longer than MAX_LISTED_COMMITS or cannot be listed."""
        if not self._listed:
            self._listed = True
            out = run_git(
                self.root,
                [
                    "log",
                    "--no-renames",
                    "--name-only",
                    "-z",
                    f"--format={_FMT}",
                    f"-n{MAX_LISTED_COMMITS + 1}",
                ],
                120.0,
            )
            commits = _parse_log(out) if out is not None else []
            if out is not None and len(commits) <= MAX_LISTED_COMMITS:
                touching: dict[str, list[CommitRef]] = {}
                for commit, files in commits:
                    for f in files:
                        touching.setdefault(f, []).append(commit)
                self._touching = touching
        if self._touching is None:
            return None
        return self._touching.get(path, [])

    def _changed_lines(self, commit: CommitRef, path: str) -> tuple[list[str], list[str]] | None:
        """(removed, added) lines of `path` in `commit` against its first parent,
        by line counts (a line that only moved within the file is neither); None
        for a binary file or a blob git cannot read."""
        key = ("lines", commit.sha, path)
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        texts = []
        for rev in (f"{commit.sha}^", commit.sha):
            data = self._blobs.read(f"{rev}:{path}")
            if data is None:
                data = b""  # the file does not exist on that side (added, deleted, root)
            if b"\0" in data[:8000]:
                self._cache[key] = None
                return None
            texts.append(Counter(data.decode("utf-8", "replace").split("\n")))
        before, after = texts
        result = (list((before - after).elements()), list((after - before).elements()))
        self._cache[key] = result
        return result

    def _value_change_in(
        self,
        commits: list[CommitRef],
        path: str,
        key: str,
        old_value: str | None,
        fallback: bool,
    ) -> CommitRef | None:
        """`value_change` from blobs: what `git log -G<pattern> -n20 -- path` and the
        diff of each hit would say, without a git process per question."""
        with_old = re.compile(f"{re.escape(key)}.*{re.escape(old_value)}") if old_value else None
        patterns = [with_old] if with_old is not None else []
        if fallback or with_old is None:
            patterns.append(re.compile(re.escape(key)))
        for rx in patterns:
            hits = 0
            for commit in commits:
                changed = self._changed_lines(commit, path)
                if changed is None:
                    continue
                removed, added = changed
                if not any(rx.search(ln) for ln in (*removed, *added)):
                    continue  # -G would not list this commit
                hits += 1
                if hits > 20:
                    break
                if _changes_value(removed, added, key, old_value if rx is with_old else None):
                    return commit
        return None

    def _value_change_by_log(
        self, path: str, key: str, old_value: str | None, fallback: bool
    ) -> CommitRef | None:
        result: CommitRef | None = None
        bre_key = _ere_escape(key)
        patterns = [bre_key] if fallback or not old_value else []
        if old_value:
            patterns.insert(0, f"{bre_key}.*{_ere_escape(old_value)}")
        for pattern in patterns:
            # the commits and their diffs of `path` in one git call (a scan asks this
            # for every contradicted value; a process per commit cost ~7 ms each)
            args = ["log", f"-G{pattern}", "-p", "-U0", "--no-color", "--no-ext-diff"]
            out = self._git([*args, f"--format={_FMT}", "-n20", "--", path], 120.0)
            if not out:
                continue
            for chunk in out.split("\x01"):
                header, _, diff = chunk.partition("\n")
                commit = _parse_header(header.strip())
                if commit is None:
                    continue
                minus: Counter[str] = Counter()
                plus: Counter[str] = Counter()
                for rem, add in _hunks(diff):
                    minus.update(rem)
                    plus.update(add)
                removed, added = list((minus - plus).elements()), list((plus - minus).elements())
                old = old_value if pattern is not bre_key else None
                if _changes_value(removed, added, key, old):
                    result = commit
                    break
            if result is not None:
                break
        return result


def _changes_value(removed: list[str], added: list[str], key: str, old: str | None) -> bool:
    """Whether a commit's changed lines change `key`: with `old`, a removed line
    holds the key and the old value; else a line holding the key was replaced
    (not only added or dropped). Lines that only moved count as neither."""
    if old is not None:
        return any(key in ln and has_token(ln, old) for ln in removed)
    return any(key in ln for ln in removed) and any(key in ln for ln in added)


def _parse_log(out: bytes | None) -> list[tuple[CommitRef, list[str]]]:
    """Commits (newest first) with their files, from `git log --format=_FMT --name-only -z`."""
    result: list[tuple[CommitRef, list[str]]] = []
    if out is None:
        return result
    for chunk in out.decode("utf-8", "surrogateescape").split("\x01"):
        if not chunk:
            continue
        header, _, rest = chunk.partition("\0")
        commit = _parse_header(header)
        if commit is None:
            continue
        files = [f for f in rest.lstrip("\n").split("\0") if f.strip()]
        result.append((commit, [f.strip("\n") for f in files]))
    return result


def _ere_escape(s: str) -> str:
    """Escape for git's pickaxe regexes (POSIX extended: `git log -G`)."""
    return re.sub(r"([.\[\]\\*^$+?(){}|])", r"\\\1", s)


def _hunks(diff: str) -> list[tuple[list[str], list[str]]]:
    """(removed, added) lines per hunk of a unified diff. File headers (`--- a/x`)
    come before a file's first `@@`; inside a hunk a removed `--flag` line reads
    `---flag` and is a line like any other."""
    hunks: list[tuple[list[str], list[str]]] = []
    cur: tuple[list[str], list[str]] | None = None
    for ln in diff.split("\n"):
        if ln.startswith("diff --git "):
            cur = None
        elif ln.startswith("@@"):
            cur = ([], [])
            hunks.append(cur)
        elif cur is None:
            continue
        elif ln.startswith("-"):
            cur[0].append(ln[1:])
        elif ln.startswith("+"):
            cur[1].append(ln[1:])
    return hunks


def _tokens(line: str, rx: re.Pattern[str]) -> list[str]:
    out = []
    for m in rx.finditer(line):
        out.append(m.group(1) if rx.groups else m.group(0))
    return out


_GENERIC_WORDS = frozenset(
    {"the", "and", "for", "env", "var", "value", "default", "config", "setting", "settings"}
)


def _words(name: str) -> list[str]:
    """Lower-case words of an identifier: "BILLING_DB_URL" -> billing, db, url;
    "cacheTtl" -> cache, ttl; "--dry-run" -> dry, run."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _shared_component(a: str, b: str) -> bool:
    """A meaningful word in common, not just a shared leading namespace
    ("PORTAL_API_BASE" and "PORTAL_SESSION_SECRET" only share their prefix)."""
    wa, wb = _words(a), _words(b)
    shared = {w for w in wa if len(w) >= 3 and w not in _GENERIC_WORDS} & set(wb)
    if wa and wb and wa[0] == wb[0]:
        shared.discard(wa[0])
    return bool(shared)


def plausible_successor(token: str, cand: str, removed_line: str, added_line: str) -> bool:
    """Is `cand` a believable new name for `token`? Alike names, a meaningful
    word in common, or the same line with only the name changed."""
    a, b = token.strip("\"'-"), cand.strip("\"'-")
    la, lb = a.lower(), b.lower()
    m = re.match(r"[a-z0-9]+[_-]", la)
    if m and lb.startswith(m.group(0)) and len(la) > m.end() and len(lb) > m.end():
        la, lb = la[m.end() :], lb[m.end() :]  # a shared namespace says nothing
    if difflib.SequenceMatcher(None, la, lb).ratio() >= 0.5:
        return True
    if _shared_component(a, b):
        return True
    ra = removed_line.replace(token, "\0").strip()
    ad = added_line.replace(cand, "\0").strip()
    if len(re.sub(r"[\s\0]", "", ra)) < 4 or len(re.sub(r"[\s\0]", "", ad)) < 4:
        return False
    return difflib.SequenceMatcher(None, ra, ad).ratio() >= 0.75


def _successor_in_diff(diff: str, token: str, family: re.Pattern[str] | None) -> str | None:
    rx = family or family_for(token)
    needle = token
    m = DEF_RX.fullmatch(token) if rx is DEF_RX else None
    if m:
        needle = m.group(1)
    best: tuple[float, str] | None = None
    for removed, added in _hunks(diff):
        hit_lines = [ln for ln in removed if has_token(ln, token)]
        if not hit_lines or not added:
            continue
        removed_toks = {t for ln in removed for t in _tokens(ln, rx)}
        # prefer the added line most like the removed line that held the token
        for rl in hit_lines:
            scored = sorted(
                added, key=lambda al: difflib.SequenceMatcher(None, rl, al).ratio(), reverse=True
            )
            for al in scored[:2]:
                for cand in _tokens(al, rx):
                    if cand == needle or cand in removed_toks:
                        continue
                    if not plausible_successor(needle, cand, rl, al):
                        continue
                    line_ratio = difflib.SequenceMatcher(None, rl, al).ratio()
                    tok_ratio = difflib.SequenceMatcher(None, needle, cand).ratio()
                    score = line_ratio + tok_ratio
                    if best is None or score > best[0]:
                        best = (score, cand)
    return best[1] if best else None
