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

from collections.abc import Callable

from stale.extract.segments import Segment
from stale.model import HINT_KINDS, Claim, Page, new_claim, new_span

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
    # locals for the loop below: it runs once per draft (tens a page)
    source, page_id = page.source, page.page_id
    suppressed = sup.page or sup.subjects or sup.lines
    drops, see, keep = sup.drops, seen.add, claims.append
    for d, hist in found:
        line = d.line
        if suppressed and drops(d.subject, line):
            continue
        kind = d.kind
        column = d.column
        claim = new_claim(
            source,
            page_id,
            kind,
            d.subject,
            d.value,
            d.context,
            new_span(line if line > 1 else 1, column if column > 1 else 1),
            False if kind in HINT_KINDS else (hist or page_hist),
            d.text[:200],
        )
        key = claim.key
        if key in seen:
            continue
        see(key)
        keep(claim)
        if len(claims) >= max_claims:
            break
    return claims
