"""Claim extraction: a page body -> the checkable claims it makes.

    from stale.extract import extract_claims
    claims = extract_claims(page)

Layout: a *front end* per content type turns the body into neutral segments
(:mod:`stale.extract.segments`: headings, prose sentences with inline code and
links, code blocks); the shared *classifier* (:mod:`stale.extract.classify`)
turns segments into claims. Adding HTML or wikitext means writing a front end
and registering it in :data:`FRONT_ENDS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from stale.extract.segments import Segment
from stale.model import HINT_KINDS, Claim, ClaimKind, Page, Span

__all__ = ["FRONT_ENDS", "MAX_CLAIMS", "ExtractionError", "extract_claims"]

#: At most this many claims per page (the first ones are kept).
MAX_CLAIMS = 2000


class ExtractionError(Exception):
    """Claims could not be read from a page (the page gets an `unknown` verdict)."""


def _markdown(body: str) -> list[Segment]:
    from stale.extract.markdown import parse_markdown

    return parse_markdown(body)


def _html(body: str) -> list[Segment]:
    from stale.extract.html import parse_html

    return parse_html(body)


#: content_type -> front end (body -> neutral segments, in document order).
FRONT_ENDS: dict[str, Callable[[str], list[Segment]]] = {"markdown": _markdown, "html": _html}
from stale.extract import wikitext as _wikitext  # noqa: E402,F401  (registers "wikitext")


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


_new_claim = _claim_maker()
_new_span = _span_maker()


def extract_claims(page: Page, *, max_claims: int = MAX_CLAIMS) -> list[Claim]:
    """Every checkable claim on `page`, deduplicated by Claim.key (first kept),
    at most `max_claims` of them (`[limits] max_claims_per_page`).

    Raises only ExtractionError (unsupported content type or an internal bug),
    with a one-line message."""
    try:
        return _extract(page, max_claims)
    except ExtractionError:
        raise
    except Exception as exc:
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        raise ExtractionError(f"claim extraction failed: {msg}"[:300]) from exc


def _extract(page: Page, max_claims: int) -> list[Claim]:
    from stale.extract.classify import Classifier
    from stale.extract.context import page_is_historical
    from stale.extract.suppress import parse_suppressions, split_lines

    front = FRONT_ENDS.get(page.content_type)
    if front is None:
        raise ExtractionError(f"no claim extractor for content type {page.content_type!r}")
    body = page.body if isinstance(page.body, str) else ""
    sup = parse_suppressions(body, html=page.content_type == "html")
    if sup.page:
        return []
    segments = front(body)
    found = Classifier(split_lines(body)).run(segments)
    page_hist = page_is_historical(page)
    seen: set[str] = set()
    claims: list[Claim] = []
    source, page_id = page.source, page.page_id
    suppressed = sup.page or sup.subjects or sup.lines
    for d, hist in found:
        if suppressed and sup.drops(d.subject, d.line):
            continue
        hint = d.kind in HINT_KINDS
        claim = _new_claim(
            source,
            page_id,
            d.kind,
            d.subject,
            d.value,
            d.context,
            _new_span(max(d.line, 1), max(d.column, 1)),
            False if hint else (hist or page_hist),
            d.text[:200],
        )
        if claim.key in seen:
            continue
        seen.add(claim.key)
        claims.append(claim)
        if len(claims) >= max_claims:
            break
    return claims
