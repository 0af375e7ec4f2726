"""Which pages a repository change can affect.

When a repo moves from commit A to commit B, a page needs a new check only if
something it claims could read differently now: a file its evidence points at
changed, or one of its claim's names occurs on a changed line or in a changed
path. Everything else carries over with its verdict. The rule errs towards
re-checking: a word that merely occurs in the diff costs a check, never a
missed change.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from stale.model import HINT_KINDS, Claim, ClaimKind, Finding

#: Diffs larger than this are not searched: every page touching the repo is re-checked.
MAX_DIFF_BYTES = 64 * 1024 * 1024
_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_GIT_TIMEOUT = 120


@dataclass(frozen=True)
class RepoChange:
    """What changed in one repo between two commits: paths, the words on changed
    lines, and the words whose number of lines changed in some file (`moved`:
    added, removed, or moved between files, not merely on an edited line)."""

    paths: frozenset[str]
    words: frozenset[str]
    moved: frozenset[str] = frozenset()

    def touches(
        self,
        tokens: Collection[str],
        evidence_paths: Collection[str],
        presence_tokens: Collection[str] = (),
    ) -> bool:
        """`tokens` matter on any changed line; `presence_tokens` (names whose claim
        only says they exist) only when they appear or disappear in some file."""
        # set.isdisjoint runs in C: a re-scan after a repo moved asks this of every page
        paths = self.paths
        if not paths.isdisjoint(evidence_paths):
            return True
        if not self.words.isdisjoint(tokens) or not paths.isdisjoint(tokens):
            return True
        return not self.moved.isdisjoint(presence_tokens) or not paths.isdisjoint(presence_tokens)


def _git(root: Path, *args: str) -> bytes | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", *args],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _words(text: str) -> set[str]:
    words: set[str] = set()
    for w in _WORD.findall(text):
        w = w.rstrip(".-")
        if not w:
            continue
        words.add(w)
        # `database.pool_size` also names `pool_size`; `a/b.py` lines name `b.py`
        if "." in w:
            words.update(p for p in w.split(".") if p)
    return words


def repo_change(root: Path, old: str, new: str) -> RepoChange | None:
    """The change between two commits, or None when git cannot tell (unknown
    commit, not a git repository, a diff too large to search)."""
    names = _git(root, "diff", "--name-only", "--no-renames", "-z", old, new)
    if names is None:
        return None
    paths: set[str] = set()
    for p in names.decode("utf-8", "surrogateescape").split("\0"):
        if p:
            paths.add(p)
            paths.add(PurePosixPath(p).name)
    diff = _git(root, "diff", "-U0", "--no-color", "--no-renames", "--no-ext-diff", old, new)
    if diff is None or len(diff) > MAX_DIFF_BYTES:
        return None
    words: set[str] = set()
    moved: set[str] = set()
    # per file: on how many removed and added lines each word occurs
    removed: Counter[str] = Counter()
    added: Counter[str] = Counter()

    def settle() -> None:
        moved.update(w for w in removed.keys() | added.keys() if removed[w] != added[w])
        removed.clear()
        added.clear()

    for line in diff.decode("utf-8", "replace").splitlines():
        if line.startswith("diff --git "):
            settle()
        elif line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            line_words = _words(line[1:])
            words |= line_words
            (added if line[0] == "+" else removed).update(line_words)
    settle()
    for p in paths:
        words |= _words(p)
    return RepoChange(paths=frozenset(paths), words=frozenset(words), moved=frozenset(moved))


#: Kinds whose claim, without a value, only says a name exists (their verifiers
#: look for a definition or a mention, never at the rest of the line): an edit of
#: a line that keeps the name (a changed default, a new parameter) cannot change
#: it. A change to the file their evidence points at still re-checks them.
_PRESENCE_KINDS = frozenset({ClaimKind.CONFIG, ClaimKind.ENV, ClaimKind.FLAG, ClaimKind.SYMBOL})


def presence_only(kind: str, value: str | None) -> bool:
    """True when the claim's finding depends only on its names existing."""
    return value is None and kind in _PRESENCE_KINDS


_KIND_OF: dict[str, ClaimKind] = {str(k): k for k in ClaimKind}
_DOTTED = re.compile(r"[.:]")


def _path_name(path: str) -> str:
    """PurePosixPath(path).name, without building the path (asked of every path
    claim a re-scan looks at): the last piece after "/" is the name, unless the
    path ends in "/" or "/." (then the path object's normalisation decides)."""
    name = path.rsplit("/", 1)[-1]
    return name if name not in ("", ".") else PurePosixPath(path).name


def claim_tokens(kind: str, subject: str, value: str | None) -> set[str]:
    """Words whose appearance in a diff may change this claim's finding."""
    k = _KIND_OF.get(kind) or ClaimKind(kind)
    if k in HINT_KINDS:
        return set()
    s = subject.strip()
    tokens = {s}
    if k is ClaimKind.PATH or k is ClaimKind.LINK:
        tokens.add(_path_name(s))
    elif k is ClaimKind.SYMBOL:
        tokens.update(p for p in _DOTTED.split(s) if p)
    elif k is ClaimKind.CONFIG:
        parts = [p for p in _DOTTED.split(s) if p]
        # A dotted key's leaf (`pool_size`) is on every diff of every config file;
        # the key is touched through its evidence file, or through its parents'
        # names, which a diff that adds the key elsewhere contains.
        tokens.update(parts[:-1] if len(parts) > 1 else parts)
    elif k is ClaimKind.ENDPOINT:
        path = s.split(" ", 1)[-1]
        tokens.update(seg for seg in path.split("/") if seg and seg != "{}")
    elif k is ClaimKind.COMMAND:
        tokens.update(s.split()[1:])  # "make deploy" -> "deploy"
    elif k is ClaimKind.VERSION:
        tokens.add(s.rsplit("/", 1)[-1])
        if value:
            tokens.add(value)
    tokens.discard("")
    return tokens


def split_fingerprint(fp: str) -> dict[str, str]:
    """`name@head;name@head` -> {name: head}."""
    out = {}
    for part in fp.split(";"):
        name, sep, head = part.rpartition("@")
        if sep:
            out[name] = head
    return out


@lru_cache(maxsize=1 << 18)
def _claim_touch(kind: str, subject: str, value: str | None) -> tuple[frozenset[str], bool]:
    # pages cite the same facts again and again: computed once per claim identity
    return frozenset(claim_tokens(kind, subject, value)), presence_only(kind, value)


@lru_cache(maxsize=1 << 18)
def _evidence_paths(evidence: str) -> frozenset[str]:
    """The paths an evidence JSON list names (stale.store writes it with
    json.dumps, `"path": "..."` for each item that has one)."""
    if "\\" not in evidence:
        # Without escapes every quote is JSON's own, so `"path": "` only starts
        # the value of a path key: taken apart by str.split (C), not parsed.
        pieces = evidence.split('"path": "')
        if len(pieces) > 1 or '"path"' not in evidence:  # else another layout: parse
            return frozenset(p.split('"', 1)[0] for p in pieces[1:]) - {""}
    try:
        items = json.loads(evidence)
    except ValueError:
        return frozenset()
    return frozenset(e["path"] for e in items if isinstance(e, dict) and e.get("path"))


@dataclass(frozen=True)
class PageTouch:
    """What a page's stored claims can be touched by: tokens that matter on any
    changed line, names that matter only when they appear or disappear, and the
    repo paths its evidence names."""

    tokens: frozenset[str]
    presence: frozenset[str]
    paths: frozenset[str]

    def touched_by(self, change: RepoChange) -> bool:
        return change.touches(self.tokens, self.paths, self.presence)

    @staticmethod
    def json_touched_by(text: str, change: RepoChange) -> bool:
        """`PageTouch.from_json(text).touched_by(change)` without building the sets
        (a re-scan after a repo moved asks it of every page)."""
        if "\\" not in text:
            # `to_json`'s layout, `[["a", "b"], ["c"], []]`, taken apart by str.split
            # in C: with no escapes, the strings are the odd pieces between quotes.
            # A string holding the separator makes more than three parts, and
            # escapes (quotes, backslashes, non-ASCII) take the JSON parser.
            parts = text.split("], [")
            if len(parts) == 3:
                tokens, presence, paths = (p.split('"')[1::2] for p in parts)
                return change.touches(tokens, paths, presence)
        tokens, presence, paths = json.loads(text)
        return change.touches(tokens, paths, presence)

    def to_json(self) -> str:
        return json.dumps([sorted(self.tokens), sorted(self.presence), sorted(self.paths)])

    @classmethod
    def from_json(cls, text: str) -> PageTouch:
        tokens, presence, paths = json.loads(text)
        return cls(frozenset(tokens), frozenset(presence), frozenset(paths))


def touched_pages(touches: Mapping[str, str], changes: Sequence[RepoChange]) -> set[str]:
    """The ids of the pages whose touch points (`PageTouch` JSON by page id) some
    of `changes` touches: `json_touched_by` for every page at once. A page is
    touched by some change exactly when it is touched by their union, so the
    changes are merged first and each page is asked once."""
    merged = merge_changes(changes)
    if merged is None:
        return set()
    return {pid for pid, text in touches.items() if PageTouch.json_touched_by(text, merged)}


def merge_changes(changes: Sequence[RepoChange]) -> RepoChange | None:
    """One change that touches what any of `changes` touches (None for none):
    `RepoChange.touches` asks whether sets meet, so their unions answer for all."""
    if not changes:
        return None
    if len(changes) == 1:
        return changes[0]
    return RepoChange(
        paths=frozenset().union(*(c.paths for c in changes)),
        words=frozenset().union(*(c.words for c in changes)),
        moved=frozenset().union(*(c.moved for c in changes)),
    )


def claim_touched(
    kind: str, subject: str, value: str | None, evidence: str, changes: Iterable[RepoChange]
) -> bool:
    """Whether one claim (with its stored finding's evidence JSON) can read
    differently after `changes`: the page-level rule, for one claim."""
    tokens, only_presence = _claim_touch(kind, subject, value)
    paths = _evidence_paths(evidence) if evidence and evidence != "[]" else frozenset()
    for change in changes:
        if only_presence:
            if change.touches((), paths, tokens):
                return True
        elif change.touches(tokens, paths):
            return True
    return False


class ClaimTouch:
    """`claim_touched` against fixed changes, merged once, with the answers kept
    per claim identity and evidence: a wiki makes the same claim on page after
    page, and a re-scan asks about every stored claim of every page it checks."""

    #: answers kept before starting over (a bound on a worker's memory)
    MAX_ANSWERS = 100_000

    def __init__(self, changes: Sequence[RepoChange]) -> None:
        merged = merge_changes(changes)
        self._changes = (merged,) if merged is not None else ()
        self._answers: dict[tuple[str, str, str | None, str], bool] = {}

    def __call__(self, kind: str, subject: str, value: str | None, evidence: str) -> bool:
        key = (kind, subject, value, evidence)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= self.MAX_ANSWERS:
                self._answers.clear()
            answer = self._answers[key] = claim_touched(
                kind, subject, value, evidence, self._changes
            )
        return answer


def page_touch(claims: Iterable[Claim], findings: Iterable[Finding]) -> PageTouch:
    """A page's touch points from its claims and their findings' evidence (stored
    with the verdict, so a scan after the repos moved reads one row per page)."""
    tokens: set[str] = set()
    presence: set[str] = set()
    for c in claims:
        toks, only_presence = _claim_touch(str(c.kind), c.subject, c.value)
        (presence if only_presence else tokens).update(toks)
    paths = {e.path for f in findings for e in f.evidence if e.path}
    return PageTouch(frozenset(tokens), frozenset(presence), frozenset(paths))


def touch_points(rows: Iterable[tuple[str, str, str, str | None, str]]) -> dict[str, PageTouch]:
    """page_id -> PageTouch, from (page_id, kind, subject, value, evidence JSON) rows."""
    acc: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for page_id, kind, subject, value, evidence in rows:
        tokens, presence, paths = acc.setdefault(page_id, (set(), set(), set()))
        toks, only_presence = _claim_touch(kind, subject, value)
        (presence if only_presence else tokens).update(toks)
        if evidence and evidence != "[]":
            paths.update(_evidence_paths(evidence))
    return {
        pid: PageTouch(frozenset(t), frozenset(p), frozenset(e)) for pid, (t, p, e) in acc.items()
    }
