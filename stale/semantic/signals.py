"""The semantic signals: superseded, drift, duplicate.

Pure functions over plain data (what the store knows about pages, their
neighbours in the page index, the git history of the files they describe);
`scanpass` gathers that data and hands the signals to the judge.

- `superseded`: a newer page on the same topic (cosine >= `superseded_similarity`)
  that conflicts with this one (same claim kind and subject, another value, while
  this page's claim is not confirmed; or this page's claim is missing or
  contradicted while the newer page's is confirmed, also under the name it was
  renamed to), or that states the replacement ("we moved deploys to ArgoCD",
  "X was replaced by Y", "use Y instead of X", "this page replaces …") of
  something this page still describes. Weight `superseded_weight`: alone it makes
  a page `suspect` (page-level signals are capped below `stale_score`).
- `drift`: the files the page describes (the evidence of its resolved claims and
  its nearest code chunks) changed heavily since the page's last edit: at least
  `drift_min_commits` commits and `drift_min_lines` changed lines. Weight
  `drift_weight`; the commits are the evidence.
- `duplicate`: near-identical pages (cosine >= `duplicate_similarity`), weight 0:
  reports show the group, the verdict does not change.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from stale.config import SemanticConfig
from stale.model import HINT_KINDS, Claim, Evidence, Finding, Outcome, Signal

SUPERSEDED = "superseded"
DRIFT = "drift"
DUPLICATE = "duplicate"
SEMANTIC_KINDS = frozenset({SUPERSEDED, DRIFT, DUPLICATE})
MAX_COMMITS_SHOWN = 5
MAX_FILES_SHOWN = 4
#: A page under `superseded_similarity` counts as the same topic only with at least
#: this many claim subjects in common (and `superseded_shared_claims` of them).
MIN_SHARED_SUBJECTS = 2


@dataclass
class PageFacts:
    """What the signals need to know about one page."""

    source: str
    page_id: str
    title: str
    date: datetime | None  # last reviewed: a stated "last updated", else the last edit
    findings: Sequence[Finding] = ()
    record: bool = False  # a record of history (ADR, postmortem): never superseded or drifting
    replacements: Sequence[tuple[str, str, str]] = ()  # (old, new, sentence) it states
    repos: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.page_id}"


# -- replacement statements ------------------------------------------------------------

_TERM = r"(`[^`\n]{1,80}`|\[[^\]\n]{1,80}\]\([^)\s]*\)|[\w./@:+-]+(?:\s+[\w./@:+-]+){0,3}?)"
_REPLACEMENT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\bwe(?:'ve| have)?\s+(?:moved|migrated|switched)\s+(?:the\s+|our\s+)?(?P<old>{_TERM})"
        rf"\s+(?:to|over to|onto)\s+(?P<new>{_TERM})",
        rf"\b(?:moved|migrated|switched)\s+(?:from\s+)?(?P<old>{_TERM})\s+(?:to|onto)\s+"
        rf"(?P<new>{_TERM})",
        rf"(?P<old>{_TERM})\s+(?:has been|have been|was|were|is|are)\s+(?:replaced|superseded)"
        rf"\s+by\s+(?P<new>{_TERM})",
        rf"\breplaced\s+(?P<old>{_TERM})\s+with\s+(?P<new>{_TERM})",
        rf"\buse\s+(?P<new>{_TERM})\s+instead\s+of\s+(?P<old>{_TERM})",
        rf"\b(?:this page\s+)?(?:supersedes|replaces)\s+(?P<old>{_TERM})",
    )
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_WORDS = re.compile(r"[0-9a-z]+")
_STOP = frozenset(
    {"a", "an", "the", "our", "we", "to", "of", "in", "on", "for", "by", "with", "from"}
    | {"all", "and", "or", "page", "this", "that", "it", "its"}
)


def _clean_term(term: str) -> str:
    term = term.strip().rstrip(".,;:!?)").strip().strip("`")
    m = re.match(r"\[([^\]]+)\]\(([^)]*)\)", term)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    return term


def replacement_statements(text: str) -> list[tuple[str, str, str]]:
    """(old, new, sentence) for each sentence that says one thing replaced another;
    `new` is "" when the sentence does not name it ("this page replaces [Old deploy]")."""
    out: list[tuple[str, str, str]] = []
    for sentence in _SENTENCE_SPLIT.split(text[:200_000]):
        if len(sentence) > 600 or not re.search(
            r"moved|migrated|switched|replace|supersede|instead", sentence, re.IGNORECASE
        ):
            continue
        for pat in _REPLACEMENT_PATTERNS:
            m = pat.search(sentence)
            if m:
                old = _clean_term(m.group("old"))
                new = _clean_term(m.groupdict().get("new") or "")
                if _significant(old):
                    out.append((old, new, " ".join(sentence.split())[:300]))
                break
    return out[:20]


def _significant(term: str) -> set[str]:
    return {w for w in _WORDS.findall(term.lower()) if w not in _STOP and len(w) > 1}


def _stem(w: str) -> str:
    for suffix in ("ing", "es", "s", "ed"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _mentions(words: set[str], term: str) -> bool:
    sig = {_stem(w) for w in _significant(term)}
    return bool(sig) and sig <= words


def text_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORDS.findall(text.lower())}


def _replaced_here(
    older: PageFacts, older_words: set[str], newer: PageFacts
) -> tuple[str, str, str] | None:
    """The newer page's replacement statement about something the older page still
    describes: it mentions the old thing and not the new one."""
    title_words = text_words(f"{older.title} {older.page_id}")
    for old, new, sentence in newer.replacements:
        if new and _mentions(older_words, new):
            continue
        if not new:
            # "this page replaces [Deploy (old)](old.md)": it must name the older page.
            if _mentions(title_words, old) or older.page_id in old:
                return old, new, sentence
            continue
        if _mentions(older_words, old):
            return old, new, sentence
    return None


# -- conflicts between pages' claims ----------------------------------------------------

_BAD = (Outcome.MISSING, Outcome.CONTRADICTED)
# "renamed to `--zone`", "moved to scripts/x.py", an endpoint's "moved to GET /v2/x/{}"
_RENAMED = re.compile(r"(?:renamed|moved) to (?:`([^`]+)`|((?:[A-Z]+ )?/\S+|[\w.-]+(?:/[\w.-]+)+))")


def _successors(suggestion: str) -> list[str]:
    """What a finding's suggestion says the thing became (an endpoint also without its method)."""
    m = _RENAMED.search(suggestion)
    if m is None:
        return []
    succ = (m.group(1) or m.group(2) or "").rstrip(".;,")
    out = [succ]
    if " /" in succ:
        out.append(succ.split(" ", 1)[1])
    return out


_VERSION_SEGMENT = re.compile(r"/v\d+(?=/|$)")
_LEAF_TOKENS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
#: The claim kinds whose subject may be written as a leaf key on one page and
#: dotted on the other ("pool_size" and "database.pool_size").
_DOTTED = "config"


def _endpoint(subject: str) -> tuple[str | None, str]:
    method, sep, path = subject.partition(" ")
    if sep and method.isupper():
        return method, path
    return None, subject


def norm_subject(kind: str, subject: str) -> str:
    """A subject the way two pages may both write it: an endpoint without its method,
    a path without "./" and a trailing "/"."""
    if kind == "endpoint":
        return _endpoint(subject)[1]
    if kind in ("path", "link"):
        return subject.removeprefix("./").rstrip("/") or subject
    return subject


def _leaf(subject: str) -> str:
    return subject.rsplit(".", 1)[-1]


def _parent(subject: str) -> str:
    return subject.rsplit(".", 1)[0] if "." in subject else ""


class PageClaims:
    """A page's findings about now, looked up by kind and subject the way another
    page may write them."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.by_key: dict[tuple[str, str], list[Finding]] = {}
        self.leaves: dict[str, set[str]] = {}
        for f in findings:
            c = f.claim
            if c.kind in HINT_KINDS or c.historical:
                continue
            kind = str(c.kind)
            self.by_key.setdefault((kind, norm_subject(kind, c.subject)), []).append(f)
            if kind == _DOTTED:
                self.leaves.setdefault(_leaf(c.subject), set()).add(c.subject)

    def subjects(self) -> set[tuple[str, str]]:
        return set(self.by_key)

    def unique_leaf(self, subject: str) -> bool:
        """Whether `subject`'s leaf key names one key on this page."""
        return len(self.leaves.get(_leaf(subject), ())) <= 1

    def find(self, kind: str, subject: str, *, leaf: bool = False) -> list[Finding]:
        """This page's findings about `subject`: the same one, an endpoint with or
        without the method, and with `leaf`, a config key written as its leaf here
        or there when that leaf names one key on this page."""
        hits = self.by_key.get((kind, norm_subject(kind, subject)), [])
        if kind == "endpoint":
            method = _endpoint(subject)[0]
            hits = [
                h for h in hits if method is None or _endpoint(h.claim.subject)[0] in (None, method)
            ]
        if hits or kind != _DOTTED or not leaf:
            return hits
        keys = [
            k
            for k in self.leaves.get(_leaf(subject), ())
            if k.endswith("." + subject) or subject.endswith("." + k)
        ]
        return self.by_key.get((kind, keys[0]), []) if len(keys) == 1 else []

    def all(self, kind: str) -> list[Finding]:
        return [f for (k, _), fs in self.by_key.items() if k == kind for f in fs]


def _tokens(leaf: str) -> list[str]:
    return [t.lower() for t in _LEAF_TOKENS.findall(leaf)]


def _renamed_sibling(a: str, b: str) -> bool:
    """Config keys that look like one key renamed in place: the same parent, leaves
    that differ but start with the same word ("autoscaling.max" and
    "autoscaling.maxReplicas"; "db_size" and "db_instance_class")."""
    if a == b or _parent(a) != _parent(b):
        return False
    ta, tb = _tokens(_leaf(a)), _tokens(_leaf(b))
    return bool(ta) and bool(tb) and ta[0] == tb[0]


def _inferred_successor(c: Claim, mine: PageClaims, theirs: PageClaims) -> Finding | None:
    """What the newer page says instead of a claim that is missing here, when no
    verifier named a successor: an endpoint under another API version
    (`GET /v1/x` -> `/v2/x`), or a config key renamed in place with the same value.
    Only when exactly one claim of the newer page fits and this page does not
    mention it."""
    kind = str(c.kind)
    fits: list[Finding] = []
    if kind == "endpoint":
        method, path = _endpoint(c.subject)
        unversioned = _VERSION_SEGMENT.sub("/v", path)
        for t in theirs.all(kind):
            tm, tp = _endpoint(t.claim.subject)
            if (
                tp != path
                and _VERSION_SEGMENT.sub("/v", tp) == unversioned
                and (method is None or tm in (None, method))
            ):
                fits.append(t)
    elif kind == _DOTTED and c.value is not None:
        for t in theirs.all(kind):
            if t.claim.value == c.value and _renamed_sibling(c.subject, t.claim.subject):
                fits.append(t)
    fits = [
        t for t in fits if t.outcome not in _BAD and not mine.find(kind, t.claim.subject, leaf=True)
    ]
    subjects = {t.claim.subject for t in fits}
    return fits[0] if len(subjects) == 1 else None


def claim_conflicts(older: PageFacts, newer: PageFacts) -> list[str]:
    """Where the newer page contradicts the older one, in words (most telling first)."""
    theirs = PageClaims(newer.findings)
    mine = PageClaims(older.findings)
    out: list[str] = []
    for f in older.findings:
        c = f.claim
        if c.historical or c.kind in HINT_KINDS or f.accepted is not None:
            continue  # accepted in the triage baseline: a person said it is fine
        kind = str(c.kind)
        there = theirs.find(kind, c.subject, leaf=mine.unique_leaf(c.subject))
        confirmed_there = [t for t in there if t.outcome is Outcome.CONFIRMED]
        if f.outcome in _BAD and confirmed_there:
            out.append(
                f"{c.kind} `{c.subject}` is {f.outcome} here and confirmed on the newer page"
            )
            continue
        if f.outcome in _BAD:
            succ = None
            for s in _successors(f.suggestion or ""):
                if kind == _DOTTED and "." not in s and _parent(c.subject):
                    s = f"{_parent(c.subject)}.{s}"  # "renamed to `ttlSeconds`"
                hit = [t for t in theirs.find(kind, s, leaf=True) if t.outcome is Outcome.CONFIRMED]
                if hit:
                    succ = hit[0].claim.subject
                    break
            if succ is not None:
                out.append(
                    f"{c.kind} `{c.subject}` is {f.outcome} here; the newer page uses `{succ}`"
                )
                continue
            if f.outcome is Outcome.MISSING and not there:
                t = _inferred_successor(c, mine, theirs)
                if t is not None:
                    same = " with the same value" if kind == _DOTTED else ""
                    out.append(
                        f"{c.kind} `{c.subject}` is missing here; the newer page has "
                        f"`{t.claim.subject}`{same}"
                    )
                    continue
        if c.value is None or f.outcome is Outcome.CONFIRMED:
            continue
        other = [
            t
            for t in there
            if t.claim.value is not None
            and t.claim.value != c.value
            and t.outcome not in _BAD
            and (c.context is None or t.claim.context in (None, c.context))
        ]
        if other:
            out.append(
                f"{c.kind} `{c.subject}` is {c.value} here and {other[0].claim.value} "
                "on the newer page"
            )
    return list(dict.fromkeys(out))


def shared_subjects(older: PageFacts, newer: PageFacts) -> tuple[int, float]:
    """How many claim subjects (kind and subject, about now) both pages state, and
    what share of the smaller page's subjects that is: evidence that two pages are
    on the same topic, whatever the embedder says."""
    a = PageClaims(older.findings).subjects()
    b = PageClaims(newer.findings).subjects()
    if not a or not b:
        return 0, 0.0
    n = len(a & b)
    return n, n / min(len(a), len(b))


def superseded_signal(
    page: PageFacts,
    page_words: set[str] | None,
    neighbours: Sequence[tuple[PageFacts, float]],
    cfg: SemanticConfig,
) -> Signal | None:
    """The `superseded` signal naming the newer page, or None."""
    if page.record or page.date is None:
        return None
    best: tuple[int, float, PageFacts, str, str] | None = None
    for other, sim in neighbours:
        if other.date is None or other.date <= page.date:
            continue
        if other.record and not other.replacements:
            continue
        close = sim >= cfg.superseded_similarity
        topic = f"similarity {sim:.2f}"
        if not close:
            # a low cosine, made up for by the claims both pages make (a conflict is
            # still needed: the shared subjects only say the topic is the same)
            if other.record or cfg.superseded_shared_claims <= 0:
                continue
            n, share = shared_subjects(page, other)
            if n < MIN_SHARED_SUBJECTS or share < cfg.superseded_shared_claims:
                continue
            topic += f", {n} claims in common"
        reasons = [] if other.record else claim_conflicts(page, other)
        rep = _replaced_here(page, page_words, other) if page_words is not None and close else None
        if rep is not None:
            reasons.insert(0, f'it says "{rep[2]}"')
        if not reasons:
            continue
        why = "; ".join(reasons[:2]) + (f" (+{len(reasons) - 2} more)" if len(reasons) > 2 else "")
        rank = (len(reasons), sim)
        if best is None or rank > (best[0], best[1]):
            best = (len(reasons), sim, other, why, topic)
    if best is None:
        return None
    _, sim, other, why, topic = best
    assert other.date is not None
    when = other.date.date().isoformat()
    return Signal(
        kind=SUPERSEDED,
        message=f'superseded by {other.ref} ("{other.title}", {when}, {topic}): {why}',
        weight=cfg.superseded_weight,
        evidence=(Evidence(repo=other.source, path=other.page_id, date=when, text=why[:300]),),
    )


def duplicate_signal(
    page: PageFacts, group: Sequence[tuple[PageFacts, float, str]]
) -> Signal | None:
    """The `duplicate` signal (weight 0) naming the other pages of the page's
    near-duplicate group: (page, similarity, "text" or "cosine"), or None."""
    if not group:
        return None
    ranked = sorted(group, key=lambda t: (-t[1], t[0].ref))
    names = ", ".join(f"{o.ref} ({how} {s:.2f})" for o, s, how in ranked[:5])
    more = f" and {len(ranked) - 5} more" if len(ranked) > 5 else ""
    return Signal(
        kind=DUPLICATE,
        message=f"near-duplicate of {names}{more}",
        weight=0.0,
        evidence=tuple(Evidence(repo=o.source, path=o.page_id) for o, _, _ in ranked[:5]),
    )


# -- drift ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    commit: str
    date: datetime
    subject: str
    lines: int


@dataclass
class RepoHistory:
    """Per file: the commits that changed it since `since`, from one `git log`."""

    repo: str
    since: datetime | None
    files: dict[str, list[FileChange]] = field(default_factory=dict)

    @classmethod
    def read(cls, repo: str, root: Path, since: datetime | None) -> RepoHistory:
        hist = cls(repo, since)
        args = [
            "git",
            "-C",
            str(root),
            "-c",
            "core.quotepath=off",
            "log",
            "--no-merges",
            "--no-renames",
            "--format=%x1e%H%x1f%cI%x1f%s",
            "--numstat",
        ]
        if since is not None:
            args.append(f"--since={since.isoformat()}")
        try:
            out = subprocess.run(
                args, capture_output=True, check=True, timeout=300, text=True, errors="replace"
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return hist
        for record in out.split("\x1e"):
            head, _, body = record.partition("\n")
            parts = head.split("\x1f")
            if len(parts) < 3:
                continue
            sha, iso, subject = parts[0], parts[1], parts[2]
            try:
                when = datetime.fromisoformat(iso)
            except ValueError:
                continue
            for line in body.splitlines():
                cols = line.split("\t")
                if len(cols) != 3:
                    continue
                added, deleted, path = cols
                n = (int(added) if added.isdigit() else 0) + (
                    int(deleted) if deleted.isdigit() else 0
                )
                hist.files.setdefault(path, []).append(FileChange(sha, when, subject, n))
        return hist


def drift_signal(
    page: PageFacts,
    files: Iterable[tuple[str, str]],
    histories: Mapping[str, RepoHistory],
    cfg: SemanticConfig,
) -> Signal | None:
    """The `drift` signal when the page's files changed heavily since its last edit."""
    if page.record or page.date is None:
        return None
    since = page.date if page.date.tzinfo else page.date.replace(tzinfo=UTC)
    commits: dict[tuple[str, str], tuple[FileChange, str]] = {}
    lines = 0
    touched: dict[tuple[str, str], int] = {}
    for repo, path in sorted(set(files)):
        hist = histories.get(repo)
        if hist is None:
            continue
        for ch in hist.files.get(path, ()):
            if ch.date <= since:
                continue
            lines += ch.lines
            touched[(repo, path)] = touched.get((repo, path), 0) + ch.lines
            commits.setdefault((repo, ch.commit), (ch, path))
    if len(commits) < max(1, cfg.drift_min_commits) or lines < cfg.drift_min_lines:
        return None
    shown = sorted(commits.items(), key=lambda kv: kv[1][0].date, reverse=True)
    evidence = tuple(
        Evidence(
            repo=repo,
            path=path,
            commit=ch.commit,
            date=ch.date.date().isoformat(),
            text=ch.subject[:200],
        )
        for (repo, _), (ch, path) in shown[:MAX_COMMITS_SHOWN]
    )
    top = sorted(touched, key=lambda k: -touched[k])
    names = ", ".join(p for _, p in top[:MAX_FILES_SHOWN])
    if len(top) > MAX_FILES_SHOWN:
        names += f" and {len(top) - MAX_FILES_SHOWN} more"
    return Signal(
        kind=DRIFT,
        message=(
            f"code drift: {len(commits)} commits changed {lines} lines in {len(top)} file(s) "
            f"this page describes since it was last edited ({since.date().isoformat()}): {names}"
        ),
        weight=cfg.drift_weight,
        evidence=evidence,
    )
