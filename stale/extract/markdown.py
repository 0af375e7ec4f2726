"""Markdown front end: markdown-it-py tokens -> neutral segments."""

from __future__ import annotations

import bisect
import re
import string
from typing import TYPE_CHECKING, TypeVar

from markdown_it import MarkdownIt

from stale.extract.segments import CodeBlock, Heading, InlineCode, Link, Segment, Sentence

T = TypeVar("T")

if TYPE_CHECKING:
    from markdown_it.token import Token

_PARSER: MarkdownIt | None = None

#: Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "esp", "fig", "no"})

_LAST_WORD = re.compile(r"([A-Za-z.]+)$")  # what _last_word finds (its reference)
_WORD_CHARS = string.ascii_letters + "."
#: [.!?][.!?]* is [.!?]+ spelled so that the pattern starts with a character set:
#: re then skips to the next candidate character in C instead of trying a match at
#: every position (its search of a one-sentence paragraph takes half the time).
_BOUNDARY = re.compile(r"[.!?][.!?]*[\"')\]]*\s+(?=[A-Z0-9`\"'(\[*_])")


def _parser() -> MarkdownIt:
    global _PARSER
    if _PARSER is None:
        _PARSER = MarkdownIt("commonmark").enable("table")
    return _PARSER


def parse_markdown(body: str) -> list[Segment]:
    """Turn a markdown body into headings, prose sentences and code blocks."""
    tokens = _parser().parse(body)
    out: list[Segment] = []
    i = 0
    n = len(tokens)
    header: tuple[str, ...] = ()
    while i < n:
        tok = tokens[i]
        ttype = tok.type  # most tokens are none of these (paragraph and list open/close)
        if ttype == "inline":
            line = (tok.map[0] + 1) if tok.map else 1
            out.extend(_inline_sentences(tok, line, split=True))
        elif ttype == "heading_open":
            inline = tokens[i + 1] if i + 1 < n else None
            line = (tok.map[0] + 1) if tok.map else 1
            if inline is not None and inline.type == "inline":
                level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
                sents = _inline_sentences(inline, line, split=False, is_heading=True)
                text = " ".join(s.text for s in sents)
                out.append(Heading(level=level, text=text, line=line))
                out.extend(sents)
            i += 3
            continue
        elif ttype == "tr_open":
            j, row = _table_row(tokens, i)
            if row is not None:
                if not header and _in_thead(tokens, i):
                    header = row.cells
                    out.append(row)
                else:
                    out.append(
                        Sentence(row.text, row.line, row.codes, row.links, row.cells, header)
                    )
            i = j + 1
            continue
        elif ttype == "fence" or ttype == "code_block":
            start = (tok.map[0] + 1) if tok.map else 1
            first = start + 1 if ttype == "fence" else start
            info = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
            info = info.strip("{}.")
            lines = tuple(tok.content.split("\n"))
            if lines and lines[-1] == "":
                lines = lines[:-1]
            out.append(CodeBlock(info=info, lines=lines, first_line=first))
        elif ttype == "table_open":
            header = ()
        i += 1
    return out


def _in_thead(tokens: list[Token], i: int) -> bool:
    for k in range(i - 1, -1, -1):
        t = tokens[k].type
        if t == "thead_open":
            return True
        if t in ("tbody_open", "table_open"):
            return False
    return False


def _table_row(tokens: list[Token], i: int) -> tuple[int, Sentence | None]:
    """Read one table row starting at tr_open; return (index of tr_close, row)."""
    row_map = tokens[i].map
    line = (row_map[0] + 1) if row_map else 1
    cells: list[str] = []
    codes: list[InlineCode] = []
    links: list[Link] = []
    text = ""
    j = i + 1
    while j < len(tokens) and tokens[j].type != "tr_close":
        t = tokens[j]
        if t.type == "inline":
            sents = _inline_sentences(t, line, split=False)
            cell_text = " ".join(s.text for s in sents)
            prefix = text + (" | " if cells else "")
            for s in sents:
                for c in s.codes:
                    codes.append(
                        InlineCode(
                            c.text, c.line, c.start + len(prefix), c.end + len(prefix), len(cells)
                        )
                    )
                links.extend(s.links)
            text = prefix + cell_text
            cells.append(cell_text)
        j += 1
    if not cells:
        return j, None
    return j, Sentence(text, line, tuple(codes), tuple(links), tuple(cells))


def line_at(breaks: list[tuple[int, int]], offset: int) -> int:
    """The line of `offset`, from (offset, line) breaks in offset order."""
    if len(breaks) == 1:  # most paragraphs are one line
        return breaks[0][1]
    i = bisect.bisect_right(breaks, offset, key=lambda b: b[0]) - 1
    return breaks[max(i, 0)][1]


def in_range(items: list[tuple[int, T]], s: int, e: int) -> list[T]:
    """The items whose offset is in [s, e), from (offset, item) pairs in offset order
    (a bisect: a paragraph of thousands of sentences and code spans stays linear)."""
    if not items:
        return []
    lo = bisect.bisect_left(items, s, key=lambda x: x[0])
    hi = bisect.bisect_left(items, e, key=lambda x: x[0])
    return [it for _, it in items[lo:hi]]


def _inline_sentences(
    tok: Token, line: int, split: bool, is_heading: bool = False
) -> list[Sentence]:
    breaks: list[tuple[int, int]] = [(0, line)]  # (offset, line)
    codes: list[InlineCode] = []
    links: list[tuple[int, Link]] = []
    link_stack: list[tuple[int, str]] = []
    text = ""  # a local: CPython appends in place (an attribute += would copy: quadratic)
    for child in tok.children or ():
        ct = child.type
        if ct == "text":
            text += child.content
        elif ct == "code_inline":
            start = len(text)
            text += "`" + child.content + "`"
            codes.append(InlineCode(child.content, line, start, len(text)))
        elif ct in ("softbreak", "hardbreak"):
            text += " "
            line += 1
            breaks.append((len(text), line))
        elif ct == "link_open":
            href = child.attrGet("href")
            link_stack.append((len(text), str(href) if href is not None else ""))
        elif ct == "link_close" and link_stack:
            start, href = link_stack.pop()
            links.append((start, Link(href=href, text=text[start:], line=line_at(breaks, start))))
        elif ct == "image":
            text += child.content
    if not text.strip():
        return []
    bounds = _sentence_bounds(text, codes) if split else [(0, len(text))]
    if len(bounds) == 1 and not links:  # the usual paragraph: one sentence, no link
        s, e = bounds[0]
        raw = text[s:e]
        stripped = raw.strip()
        if not stripped:
            return []
        s2 = s + len(raw) - len(raw.lstrip())
        line = breaks[0][1] if len(breaks) == 1 else line_at(breaks, s2)
        sc = tuple(_shifted(codes, s2)) if codes else ()
        return [Sentence(stripped, line, sc, (), (), (), is_heading)]
    # in_range and line_at, their bisects made on plain offset lists (no key function)
    code_starts = [c.start for c in codes]
    link_at = sorted(links, key=lambda x: x[0])
    link_starts = [k for k, _ in link_at]
    break_starts = [k for k, _ in breaks]
    out: list[Sentence] = []
    for s, e in bounds:
        raw = text[s:e]
        stripped = raw.strip()
        if not stripped:
            continue
        s2 = s + len(raw) - len(raw.lstrip())
        in_sentence = codes[bisect.bisect_left(code_starts, s) : bisect.bisect_left(code_starts, e)]
        sl = tuple(
            lk
            for _, lk in link_at[
                bisect.bisect_left(link_starts, s) : bisect.bisect_left(link_starts, e)
            ]
        )
        line = breaks[max(bisect.bisect_right(break_starts, s2) - 1, 0)][1]
        out.append(
            Sentence(stripped, line, tuple(_shifted(in_sentence, s2)), sl, (), (), is_heading)
        )
    return out


def _shifted(codes: list[InlineCode], s2: int) -> list[InlineCode]:
    """The code spans with offsets relative to a sentence starting at `s2`."""
    if s2 == 0:  # offsets already sentence-relative (the usual one-sentence paragraph)
        return codes
    return [InlineCode(c.text, c.line, c.start - s2, c.end - s2) for c in codes]


def _sentence_bounds(text: str, codes: list[InlineCode]) -> list[tuple[int, int]]:
    # a boundary is a [.!?] with at least a blank and a letter after it: most
    # paragraphs are one sentence, their only "." the last character
    head = text[:-2]
    if "." not in head and "?" not in head and "!" not in head:
        return [(0, len(text))]
    bounds: list[tuple[int, int]] = []
    start = 0
    spans = sorted((c.start, c.end) for c in codes) if codes else []
    inf = float("inf")
    for m in _BOUNDARY.finditer(text):
        pos = m.start()
        if spans:
            i = bisect.bisect_right(spans, (pos, inf)) - 1
            if i >= 0 and (
                spans[i][0] <= pos < spans[i][1]
                or (i > 0 and spans[i - 1][0] <= pos < spans[i - 1][1])
            ):
                continue
        word = _last_word(text[start:pos])
        if word and word.lower().rstrip(".") in _ABBREVIATIONS:
            continue
        bounds.append((start, m.end()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _last_word(text: str) -> str:
    """What _LAST_WORD.search(text) finds (its group 1), or "": the run of letters and
    dots that ends the text (or ends it before one last newline, where "$" also
    matches). Stripped from the right instead: the search tries every position of
    the text, some microseconds a sentence."""
    if text.endswith("\n"):
        text = text[:-1]
    return text[len(text.rstrip(_WORD_CHARS)) :]
