"""Neutral segment types: what every front end (markdown, later HTML and
wikitext) turns a page body into, and what the shared classifier reads.

A front end only has to produce, in document order:

* :class:`Heading` for section titles (their text is also read as prose),
* :class:`Sentence` for prose, with the inline code spans and links it holds,
* :class:`CodeBlock` for fenced or indented code with its info string.

Line numbers are 1-based lines of the page body.

The types made by the thousand per page (:class:`InlineCode`, :class:`Sentence`,
:class:`Draft`) write their own ``__init__``: the one a frozen dataclass generates
sets every field through ``object.__setattr__``, which costs about twice as much
as filling the instance ``__dict__`` directly. They are still frozen dataclasses
(equality, hash, repr and the read-only fields come from the fields as declared);
tests/test_extract_fastpaths.py checks that each hand-written ``__init__`` takes
the declared fields, in order, with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from stale.model import ClaimKind


@dataclass(frozen=True)
class InlineCode:
    """An inline code span. `start`/`end` index into the sentence text, which
    renders the span with its backticks."""

    text: str
    line: int
    start: int = 0
    end: int = 0
    cell: int | None = None  # table column index when in a table row

    def __init__(
        self, text: str, line: int, start: int = 0, end: int = 0, cell: int | None = None
    ) -> None:
        d = self.__dict__
        d["text"] = text
        d["line"] = line
        d["start"] = start
        d["end"] = end
        d["cell"] = cell


@dataclass(frozen=True)
class Link:
    """A hyperlink; `text` is its visible text."""

    href: str
    text: str
    line: int


@dataclass(frozen=True)
class Sentence:
    """One prose sentence (or one table row, or one heading's text).

    `text` is plain text with inline code rendered as `code` (backticks kept);
    `codes[i].start:end` is that span in `text`. For a table row, `cells` holds
    the cell texts and `header` the header cells of its table.
    """

    text: str
    line: int
    codes: tuple[InlineCode, ...] = ()
    links: tuple[Link, ...] = ()
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    is_heading: bool = False

    def __init__(
        self,
        text: str,
        line: int,
        codes: tuple[InlineCode, ...] = (),
        links: tuple[Link, ...] = (),
        cells: tuple[str, ...] = (),
        header: tuple[str, ...] = (),
        is_heading: bool = False,
    ) -> None:
        d = self.__dict__
        d["text"] = text
        d["line"] = line
        d["codes"] = codes
        d["links"] = links
        d["cells"] = cells
        d["header"] = header
        d["is_heading"] = is_heading


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1..6. Its text is also emitted as a Sentence."""

    level: int
    text: str
    line: int


@dataclass(frozen=True)
class CodeBlock:
    """A code block. `first_line` is the page line of the first content line
    (the line after the opening fence). `info` is lower-cased, first word only."""

    info: str
    lines: tuple[str, ...]
    first_line: int


Segment = Sentence | Heading | CodeBlock


@dataclass(frozen=True)
class Draft:
    """A claim before page identity, span and historical flag are attached."""

    kind: ClaimKind
    subject: str
    value: str | None = None
    context: str | None = None
    line: int = 1
    column: int = 1
    text: str = ""

    def __init__(
        self,
        kind: ClaimKind,
        subject: str,
        value: str | None = None,
        context: str | None = None,
        line: int = 1,
        column: int = 1,
        text: str = "",
    ) -> None:
        d = self.__dict__
        d["kind"] = kind
        d["subject"] = subject
        d["value"] = value
        d["context"] = context
        d["line"] = line
        d["column"] = column
        d["text"] = text
