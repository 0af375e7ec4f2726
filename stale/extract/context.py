"""Historical-context rules: when a claim is told as history, not as a
statement about the code now.

All cue lists live here. Three levels:

1. Page: the title or page id names a history-type page (:data:`PAGE_CUES`), or
   the page property ``type`` is one of them. Every claim except the page
   hints (markers, dates) is historical.
2. Section: a heading whose text starts with one of :data:`SECTION_CUES` makes
   everything below it historical until the next heading of the same or a
   higher level.
3. Sentence: the sentence holding the claim contains one of
   :data:`SENTENCE_CUES` ("previously", "was renamed", "before 2021", ...).
   A code block inherits the flag of the sentence right before it only when
   that sentence contains one of :data:`BLOCK_LEAD_CUES`.
"""

from __future__ import annotations

import re

from stale.extract.patterns import may_contain
from stale.model import Page

#: Page kinds that are history by nature (matched as words in title/page id).
PAGE_CUES: tuple[str, ...] = (
    "adr",
    "postmortem",
    "post-mortem",
    "incident",
    "retro",
    "retrospective",
    "changelog",
    "history",
    "release-notes",
    "release notes",
)

#: Section headings that introduce history.
SECTION_CUES: tuple[str, ...] = (
    "history",
    "background",
    "changelog",
    "change log",
    "what changed",
    "timeline",
)

#: Sentence-level cues (regular expressions, matched case-insensitively).
SENTENCE_CUES: tuple[str, ...] = (
    r"previously",
    r"used to",
    r"formerly",
    r"(?:was|were|has been|have been) renamed",
    r"(?:was|were|has been|have been) removed",
    r"(?:was|were|has been|have been) replaced",
    r"replaced by",
    r"we used",
    r"we ran",
    r"in the past",
    r"no longer",
    r"deprecated in favou?r of",
    r"before (?:19|20)\d\d",
    r"until (?:19|20)\d\d",
    r"originally",
    r"the old",
    r"legacy",
)

#: A word of each sentence cue, lower-case: a sentence holding none of them
#: cannot match a cue (tests/test_extract_prefilters.py checks that every cue
#: in SENTENCE_CUES contains one of these outside its regex syntax).
SENTENCE_CUE_STEMS: tuple[str, ...] = (
    "previously",
    "used",
    "formerly",
    "renamed",
    "removed",
    "replaced",
    "we ran",
    "past",
    "longer",
    "deprecated",
    "before",
    "until",
    "originally",
    "the old",
    "legacy",
)

#: Cues in the sentence before a code block that make the block historical.
BLOCK_LEAD_CUES: tuple[str, ...] = (
    r"previously",
    r"used to",
    r"old",
    r"before (?:19|20)\d\d",
    r"before (?:we|the (?:migration|move|switch|rewrite))",
)


#: A word of each block lead cue, lower-case (as SENTENCE_CUE_STEMS for its cues).
BLOCK_LEAD_STEMS: tuple[str, ...] = ("previously", "used", "old", "before")


def _words(cues: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(cues) + r")(?![a-z0-9])", re.IGNORECASE)


_PAGE_RE = _words(tuple(re.escape(c).replace(r"\ ", r"[\s_-]") + "s?" for c in PAGE_CUES))
_SENTENCE_RE = _words(SENTENCE_CUES)
_BLOCK_LEAD_RE = _words(BLOCK_LEAD_CUES)
_SECTION_RE = re.compile(
    r"^\W*(?:" + "|".join(re.escape(c) for c in SECTION_CUES) + r")(?![a-z0-9])",
    re.IGNORECASE,
)


#: A word of each page cue, lower-case (as SENTENCE_CUE_STEMS for its cues).
PAGE_CUE_STEMS: tuple[str, ...] = (
    "adr",
    "mortem",
    "incident",
    "retro",
    "changelog",
    "history",
    "release",
)


def page_is_historical(page: Page) -> bool:
    """True for ADRs, postmortems, incident reports, changelogs and the like."""
    kind = (page.prop("type") or "").strip().lower()
    if kind and _PAGE_RE.fullmatch(kind):
        return True
    # most titles and page ids hold no cue word: skip the case-blind cue regex
    title, page_id = page.title or "", page.page_id or ""
    return bool(
        (may_contain(title, PAGE_CUE_STEMS) and _PAGE_RE.search(title))
        or (may_contain(page_id, PAGE_CUE_STEMS) and _PAGE_RE.search(page_id))
    )


def sentence_is_historical(text: str) -> bool:
    # most sentences hold no cue word at all: skip the (slow, case-blind) cue regex
    return may_contain(text, SENTENCE_CUE_STEMS) and bool(_SENTENCE_RE.search(text))


def heading_is_historical(text: str) -> bool:
    return bool(_SECTION_RE.search(text.strip().strip("`*_")))


def block_inherits_historical(lead_sentence: str) -> bool:
    # most lead sentences hold no cue word: skip the case-blind cue regex
    return may_contain(lead_sentence, BLOCK_LEAD_STEMS) and bool(
        _BLOCK_LEAD_RE.search(lead_sentence)
    )


class SectionTracker:
    """Tracks whether the current position is under a historical heading."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bool]] = []
        #: under a historical heading; read for every sentence and block, so kept
        #: up to date here rather than computed from the stack on each read
        self.historical = False

    def enter(self, level: int, text: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, heading_is_historical(text)))
        self.historical = any(h for _, h in self._stack)
