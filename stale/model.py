"""The types that cross every boundary of the pipeline.

connector --Page--> extract --Claim--> verify --Finding--> judge --Verdict--> store

Everything here is a frozen dataclass or an enum: plain data, no behaviour that
reaches into other stages. Identities never include line numbers, so a triaged
finding survives an edit that moves it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class ClaimKind(StrEnum):
    """What a claim is about. Conventions for `subject`, `value`, `context`:

    path      subject: repo-relative POSIX path as written, no leading "./", no
              trailing "/" (a directory is allowed). context: repo name if known.
    symbol    subject: identifier as written without "()": "load_config",
              "BillingClient.charge", "acme.billing.charge".
    flag      subject: "--region" or "-r". context: the program it belongs to
              when the page says so (script path "scripts/deploy.sh", a basename
              "deploy.sh", "make", a python module "acme.cli"), else None.
              value: a default the page states for it, else None.
    env       subject: "BILLING_DB_URL" (no "$"). value: a default the page
              states, else None (an example assignment is not a default).
    config    subject: key, dotted when the nesting is known ("database.pool_size"),
              else the leaf key. value: the stated value as a string with quotes
              stripped, or None when only the key is claimed. context: the file
              the page says it lives in, if it says.
    endpoint  subject: "GET /v1/invoices/{}" (method upper-case, path params
              normalised to "{}") or just "/v1/invoices/{}" when no method is
              given.
    version   subject: a normalised technology or image name ("python", "node",
              "postgres", "redis", "go", "ghcr.io/acme/api"); value: the version
              as written ("3.11", "15").
    command   subject: a build/run target: "make deploy", "npm run build".
    link      subject: repo-relative path of a repository file linked by URL
              (GitHub/GitLab blob URL or a relative link); context: repo slug.
    date      subject: "last_updated"; value: ISO date. A hint, never checked.
    marker    subject: a marker phrase found on the page ("deprecated",
              "outdated", "todo"). A hint, never checked.
    """

    PATH = "path"
    SYMBOL = "symbol"
    FLAG = "flag"
    ENV = "env"
    CONFIG = "config"
    ENDPOINT = "endpoint"
    VERSION = "version"
    COMMAND = "command"
    LINK = "link"
    DATE = "date"
    MARKER = "marker"


#: Kinds that are page-level hints rather than checkable statements about code.
HINT_KINDS = frozenset({ClaimKind.DATE, ClaimKind.MARKER})


class Outcome(StrEnum):
    """Result of checking one claim against the code."""

    CONFIRMED = "confirmed"  # the code says the same thing now
    CONTRADICTED = "contradicted"  # the code says something else now (e.g. another default)
    MISSING = "missing"  # the thing existed and is gone (evidence: the commit)
    UNVERIFIABLE = "unverifiable"  # not something this code base can speak to


class Status(StrEnum):
    """A page's verdict."""

    CURRENT = "current"
    SUSPECT = "suspect"
    STALE = "stale"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Span:
    """Where on the page a claim was read: 1-based line and column."""

    line: int
    column: int = 1


@dataclass(frozen=True)
class Page:
    """One wiki page as a connector delivers it.

    `properties` carries connector-specific metadata (front matter such as
    `owner`, `repo`, `last_updated`) as sorted (key, value) string pairs so the
    dataclass stays hashable.
    """

    source: str
    page_id: str
    url: str
    title: str
    body: str
    content_type: str  # "markdown" | "html" | "wikitext"
    last_modified: datetime | None = None
    authors: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    content_hash: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.page_id)

    def prop(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.properties:
            if k == name:
                return v
        return default


def content_hash(body: str, *parts: str) -> str:
    """Hash of what a verdict depends on from the page side."""
    h = hashlib.sha256()
    for chunk in (body, *parts):
        h.update(chunk.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class _computed_once(Generic[_T]):
    """A read-only attribute computed on the first read and kept in the instance's
    __dict__; being a non-data descriptor, later reads find it there directly.

    functools.cached_property does the same, but on Python 3.11 it takes a lock on
    every first read that costs as much as the sha1 behind Claim.key. A frozen
    dataclass still has a __dict__; equality, hash and dataclasses.replace() go by
    the fields only, so a replaced claim computes its own key, and a pickled or
    copied one carries a key that matches its fields."""

    def __init__(self, fn: Callable[[Any], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _computed_once[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _computed_once[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass(frozen=True)
class Claim:
    """One checkable statement on a page. See ClaimKind for field conventions.

    `historical` is True when the page tells it as history (past tense, an ADR,
    a postmortem): it is recorded but is not a claim about the code now.
    `text` is the snippet it was read from (for humans; not part of identity).
    """

    source: str
    page_id: str
    kind: ClaimKind
    subject: str
    value: str | None = None
    context: str | None = None
    span: Span = field(default=Span(1, 1), compare=False)
    historical: bool = False
    text: str = field(default="", compare=False)

    # Computed once per claim (a scan reads it dozens of times); see _computed_once.
    @_computed_once
    def key(self) -> str:
        """Stable identity: page, kind, subject, value, context. Never the line."""
        ident = "\x1f".join(
            [
                self.source,
                self.page_id,
                str(self.kind),
                self.subject,
                self.value or "",
                self.context or "",
            ]
        )
        return hashlib.sha1(ident.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Evidence:
    """Where the code says so. `commit` and `date` come from git history."""

    repo: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    date: str | None = None  # ISO 8601
    text: str | None = None

    def describe(self) -> str:
        where = self.path or ""
        if where and self.line:
            where += f":{self.line}"
        bits = [f"{self.repo}:{where}" if where else self.repo]
        if self.commit:
            bits.append(f"commit {self.commit[:10]}")
        if self.date:
            bits.append(self.date[:10])
        return " ".join(bits)


@dataclass(frozen=True)
class Finding:
    """The check of one claim.

    `message` says in one sentence what was found ("--region is not accepted by
    scripts/deploy.sh; it was removed in 3f2a1c on 2025-03-02"). Every
    contradicted or missing finding carries at least one Evidence.
    `accepted` is the reason a person gave for accepting it in the triage
    baseline (then it never counts against the page), else None.
    """

    claim: Claim
    outcome: Outcome
    evidence: tuple[Evidence, ...] = ()
    message: str = ""
    suggestion: str | None = None
    accepted: str | None = None


@dataclass(frozen=True)
class Signal:
    """A page-level hint that feeds the score: a marker, an old date, and later
    semantic signals (superseded, drift, duplicate) or hazards."""

    kind: str
    message: str
    weight: float = 0.0
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Per page. `score` is the staleness score in [0, 1]: 0 nothing against
    the page, 1 certainly stale. `reasons` are human sentences, most important
    first. For `unknown`, `error` says what prevented a check."""

    source: str
    page_id: str
    status: Status
    score: float
    findings: tuple[Finding, ...] = ()
    signals: tuple[Signal, ...] = ()
    reasons: tuple[str, ...] = ()
    checked_at: datetime | None = None
    content_hash: str = ""
    error: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.page_id)


def _claim_maker() -> Callable[
    [str, str, ClaimKind, str, str | None, str | None, Span, bool, str], Claim
]:
    """Claim(...) by position, made cheaper: a frozen dataclass's __init__ sets each
    field through object.__setattr__, several times the cost of this, which fills
    the new instance's __dict__ with the same fields (all that __init__ leaves
    behind; a page makes tens of claims). When Claim is not the plain frozen
    dataclass of exactly these fields (one added, slots, a __post_init__), it is
    Claim itself."""
    fields = ("source", "page_id", "kind", "subject", "value", "context", "span", "historical")
    if not _plain_frozen(Claim, (*fields, "text")):
        return Claim
    new = object.__new__

    def make(
        source: str,
        page_id: str,
        kind: ClaimKind,
        subject: str,
        value: str | None,
        context: str | None,
        span: Span,
        historical: bool,
        text: str,
    ) -> Claim:
        claim = new(Claim)
        d = claim.__dict__
        d["source"] = source
        d["page_id"] = page_id
        d["kind"] = kind
        d["subject"] = subject
        d["value"] = value
        d["context"] = context
        d["span"] = span
        d["historical"] = historical
        d["text"] = text
        return claim

    return make


def _span_maker() -> Callable[[int, int], Span]:
    """Span(line, column), made cheaper as _claim_maker makes claims."""
    if not _plain_frozen(Span, ("line", "column")):
        return Span
    new = object.__new__

    def make(line: int, column: int) -> Span:
        span = new(Span)
        d = span.__dict__
        d["line"] = line
        d["column"] = column
        return span

    return make


def _plain_frozen(cls: type, fields: tuple[str, ...]) -> bool:
    """`cls` is a dataclass of exactly `fields`, held in its instances' __dict__,
    with no __post_init__ (its generated __init__ does no more than set them;
    tests/test_extract_fastpaths.py compares the makers with the classes)."""
    return (
        tuple(f.name for f in dataclasses.fields(cls)) == fields
        and not hasattr(cls, "__post_init__")
        and not hasattr(cls, "__slots__")
    )


#: Claim(...) and Span(...) by position, for code that makes many (extraction,
#: reading stored claims): see `_claim_maker`.
new_claim = _claim_maker()
new_span = _span_maker()
