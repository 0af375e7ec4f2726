"""Shared pieces of the built-in verifiers: findings, evidence, history look-ups."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from stale.codebase import (
    Codebase,
    CodeIndex,
    CommitRef,
    Location,
    Removal,
    is_doc_path,
    is_test_path,
)
from stale.codebase.norm import Cmp, compare_values, strip_quotes
from stale.model import Claim, Evidence, Finding, Outcome

MAX_EVIDENCE = 5


def unverifiable(claim: Claim, message: str, suggestion: str | None = None) -> Finding:
    return Finding(claim, Outcome.UNVERIFIABLE, (), message, suggestion)


def confirmed(claim: Claim, message: str, evidence: Iterable[Evidence] = ()) -> Finding:
    return Finding(claim, Outcome.CONFIRMED, tuple(evidence)[:MAX_EVIDENCE], message)


def negative(
    claim: Claim,
    outcome: Outcome,
    message: str,
    evidence: Sequence[Evidence],
    suggestion: str | None = None,
) -> Finding:
    """A contradicted or missing finding; it must carry evidence, so without any
    it degrades to unverifiable."""
    if not evidence:
        return unverifiable(claim, message, suggestion)
    return Finding(claim, outcome, tuple(evidence)[:MAX_EVIDENCE], message, suggestion)


def repo_names(repos: Sequence[CodeIndex]) -> str:
    names = [r.name for r in repos]
    if len(names) <= 1:
        return names[0] if names else "the configured repositories"
    return ", ".join(names[:-1]) + " and " + names[-1]


def never_found(claim: Claim, what: str, repos: Sequence[CodeIndex]) -> Finding:
    has_history = any(r.history is not None for r in repos)
    names = repo_names(repos)
    where = f"{names} or its history" if has_history else names
    if has_history and len(repos) > 1:
        where = f"{names} or their history"
    return unverifiable(
        claim, f"{what} is not found in {where}; may belong to another tool or repo."
    )


def commit_phrase(c: CommitRef) -> str:
    return f"{c.short} on {c.day}"


def commit_evidence(repo: str, path: str | None, c: CommitRef, text: str | None = None) -> Evidence:
    return Evidence(repo=repo, path=path, commit=c.sha, date=c.date, text=text)


def where(code: Codebase, loc: Location) -> str:
    """ "path:line", prefixed with the repo name when several repos are checked."""
    return f"{loc.repo}:{loc}" if len(code.repos) > 1 else str(loc)


@dataclass(frozen=True)
class Found:
    repo: CodeIndex
    removal: Removal


def newest_removal(
    repos: Sequence[CodeIndex],
    tokens: Sequence[str],
    path: str | None = None,
    accept: Callable[[str], bool] | None = None,
) -> Found | None:
    """The most recent removal of any of `tokens` across repos (None without history)."""
    best: Found | None = None
    for r in repos:
        if r.history is None:
            continue
        for tok in tokens:
            rem = r.history.removal_of(tok, path, accept)
            if rem is not None and (best is None or rem.commit.ts > best.removal.commit.ts):
                best = Found(r, rem)
    return best


def head_mention(repos: Sequence[CodeIndex], token: str) -> tuple[CodeIndex, Location] | None:
    """Where `token` still occurs in code (not docs) at HEAD, if anywhere. Only git
    repositories are searched (cheaply, with git grep): without history a plain
    directory cannot turn an absence into MISSING anyway."""
    for r in repos:
        if not r.is_git:
            continue
        hits = r.grep(token)
        if hits:
            return r, hits[0][0]
    return None


def product_values(items: Sequence[tuple[str, Location]]) -> list[tuple[str, Location]]:
    """Values that may contradict a page: not those of tests, fixtures or examples."""
    return [(v, loc) for v, loc in items if not is_test_path(loc.path)]


_PROGRAM_EXT = frozenset(
    {"py", "sh", "bash", "zsh", "ksh", "go", "js", "mjs", "cjs", "ts", "rb", "rs", "java", "kt"}
)


def program_file(path: str) -> bool:
    """A file that can define command-line flags (not one that merely passes them to
    another tool, like a CI workflow or a Makefile), outside tests and docs."""
    base = path.rsplit("/", 1)[-1]
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if is_doc_path(path) or is_test_path(path):
        return False
    return ext in _PROGRAM_EXT or (not ext and base.lower() not in ("makefile", "dockerfile"))


def code_file(path: str) -> bool:
    return not is_doc_path(path)


def strip_value(v: str | None) -> str | None:
    return None if v is None else strip_quotes(v)


@dataclass(frozen=True)
class ValueJudgement:
    outcome: Cmp
    equal: list[tuple[str, Location]]
    different: list[tuple[str, Location]]
    unclear: list[tuple[str, Location]]

    @property
    def distinct_different(self) -> list[str]:
        seen: list[str] = []
        for v, _ in self.different:
            if not any(compare_values(v, s) is Cmp.EQUAL for s in seen):
                seen.append(v)
        return seen


def judge_values(claimed: str, actual: Sequence[tuple[str, Location]]) -> ValueJudgement:
    """EQUAL when any place agrees; DIFFERENT when all disagree; else UNCLEAR."""
    eq: list[tuple[str, Location]] = []
    diff: list[tuple[str, Location]] = []
    unclear: list[tuple[str, Location]] = []
    for value, loc in actual:
        c = compare_values(claimed, value)
        (eq if c is Cmp.EQUAL else diff if c is Cmp.DIFFERENT else unclear).append((value, loc))
    if eq:
        outcome = Cmp.EQUAL
    elif diff and not unclear:
        outcome = Cmp.DIFFERENT
    else:
        outcome = Cmp.UNCLEAR
    return ValueJudgement(outcome, eq, diff, unclear)


def specific_key(leaf: str) -> bool:
    """A key name distinctive enough to match on its leaf alone ("pool_size", not "port")."""
    return bool(re.search(r"[_\-.]|[a-z][A-Z]", leaf)) or len(leaf) >= 10
