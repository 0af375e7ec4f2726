"""Wikitext front end (MediaWiki source) -> neutral segments.

* code blocks: ``<syntaxhighlight lang=..>``, ``<source lang=..>``, ``<pre>``
  (content read literally), and runs of lines starting with a space
  (preformatted text);
* inline code: ``<code>``, ``<tt>``, ``<kbd>``, ``<samp>``, ``<var>`` and
  ``<syntaxhighlight inline>``;
* headings ``== text ==`` (level = number of ``=``);
* links: external ``[https://x text]`` and bare URLs; internal ``[[Page|text]]``
  keep their visible text only;
* tables ``{| ... |}``: one table-row sentence per row, with the header row;
* templates ``{{...}}`` (nested too), ``[[Category:..]]``, ``[[File:..]]``,
  comments, ``<ref>`` and magic words are dropped; bold/italic quotes and other
  tags are stripped.

Everything that is removed is blanked in place, so line numbers are page lines.
"""

from __future__ import annotations

import html
import re

from stale.extract.segments import CodeBlock, Heading, InlineCode, Link, Segment, Sentence

_BLOCK_OPEN = re.compile(r"<(syntaxhighlight|source|pre)(\s[^>]*)?>", re.IGNORECASE)
_LANG = re.compile(r"""\blang\s*=\s*["']?([\w+#.-]+)""", re.IGNORECASE)
_HEADING = re.compile(r"^(={1,6})\s*(.*?)\s*\1\s*$")
_COMMENT_OPEN = re.compile(r"<!--")
_DROP_LINK = re.compile(r"\[\[\s*:?\s*(?:Category|File|Image|Media)\s*:[^\[\]]*\]\]", re.IGNORECASE)
# no `<` inside the tag: a run of unclosed `<ref` is read once, not once per opener
_REF_OPEN = re.compile(r"<ref\b[^<>]*>", re.IGNORECASE)
_MAGIC = re.compile(r"__[A-Z]+__")
_INLINE = re.compile(
    # Each scan stops at the next opener of its own kind (no `[` in a link, no `<`
    # in a tag), so a line of unclosed openers is read in linear time, not quadratic.
    r"<(?P<tag>code|tt|kbd|samp|var)\b[^<>]*>(?P<code>(?:(?!<(?P=tag)\b).)*?)</(?P=tag)\s*>"
    r"|<syntaxhighlight\b[^<>]*\binline\b[^<>]*>(?P<hl>(?:(?!<syntaxhighlight\b).)*?)"
    r"</syntaxhighlight\s*>"
    r"|<nowiki>(?P<nowiki>(?:(?!<nowiki>).)*?)</nowiki>"
    r"|\[(?P<href>(?:https?|ftp)://[^\s\[\]]+)(?:\s+(?P<ltext>[^\[\]]*))?\]"
    r"|\[\[(?P<target>[^\[\]|]*)(?:\|(?P<itext>[^\[\]]*))?\]\]"
    r"|(?P<url>https?://[^\s<>\[\]{}|\"']+[^\s<>\[\]{}|\"'.,;:!?)])"
    r"|(?P<quote>'{2,5})"
    r"|(?P<tagx></?[A-Za-z][^<>]*>)",
    re.IGNORECASE,
)


def _blank(m: re.Match[str]) -> str:
    """Replace a match by spaces, keeping its newlines (line numbers stay put)."""
    return re.sub(r"[^\n]", " ", m.group(0))


def _blank_text(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _blank_pairs(text: str, opener: re.Pattern[str], closer: str, *, unclosed_to_end: bool) -> str:
    """Blank every opener..closer span in one left-to-right pass (a lazy `.*?`
    regex rescans to the end of the page for each unclosed opener: quadratic).
    A self-closing opener (`<ref name=a />`) is blanked alone. An unclosed one
    runs to the end of the page when `unclosed_to_end` (as MediaWiki reads an
    unclosed comment), else it is left as text."""
    low = text.lower()
    out: list[str] = []
    pos = 0
    closer_gone = False  # no closer after some opener: none after any later one either
    while True:
        m = opener.search(text, pos)
        if m is None:
            break
        if m.group(0).endswith("/>"):
            out += [text[pos : m.start()], _blank_text(m.group(0))]
            pos = m.end()
            continue
        end = -1 if closer_gone else low.find(closer, m.end())
        if end < 0:
            if unclosed_to_end:
                out += [text[pos : m.start()], _blank_text(text[m.start() :])]
                pos = len(text)
                break
            closer_gone = True
            out.append(text[pos : m.end()])  # left as text
            pos = m.end()
            continue
        end += len(closer)
        out += [text[pos : m.start()], _blank_text(text[m.start() : end])]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _strip_templates(text: str) -> str:
    """Blank every ``{{...}}`` (nested) and ``{{{param}}}`` in place."""
    out = list(text)
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n - 1:
        two = text[i : i + 2]
        if two == "{{":
            if depth == 0:
                start = i
            depth += 1
            i += 2
            continue
        if two == "}}" and depth:
            depth -= 1
            i += 2
            if depth == 0:
                for k in range(start, i):
                    if out[k] != "\n":
                        out[k] = " "
            continue
        i += 1
    return "".join(out)


def _clean(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    text = _blank_pairs(text, _COMMENT_OPEN, "-->", unclosed_to_end=True)
    # self-closing refs are blanked wherever they are, even past an unclosed one
    text = _blank_pairs(text, _REF_OPEN, "</ref>", unclosed_to_end=False)
    text = _strip_templates(text)
    text = _DROP_LINK.sub(_blank, text)
    return _MAGIC.sub(_blank, text)


class _Line:
    """One line's visible text with its inline code spans and links."""

    def __init__(self, raw: str, line: int) -> None:
        self.text = ""
        self.codes: list[InlineCode] = []
        self.links: list[tuple[int, Link]] = []
        pos = 0
        for m in _INLINE.finditer(raw):
            self.text += html.unescape(raw[pos : m.start()])
            pos = m.end()
            code = m.group("code") if m.group("tag") else m.group("hl")
            if code is not None:
                code = html.unescape(re.sub(r"<[^>]+>", "", code)).strip()
                if code:
                    start = len(self.text)
                    self.text += f"`{code}`"
                    self.codes.append(InlineCode(code, line, start, len(self.text)))
            elif m.group("nowiki") is not None:
                self.text += html.unescape(m.group("nowiki"))
            elif m.group("href"):
                start = len(self.text)
                label = m.group("ltext") or m.group("href")
                self.text += html.unescape(re.sub(r"'{2,5}|<[^>]+>", "", label))
                self.links.append((start, Link(m.group("href"), self.text[start:], line)))
            elif m.group("target") is not None:
                self.text += html.unescape(m.group("itext") or m.group("target"))
            elif m.group("url"):
                start = len(self.text)
                self.text += m.group("url")
                self.links.append((start, Link(m.group("url"), m.group("url"), line)))
            # quotes and other tags: dropped
        self.text += html.unescape(raw[pos:])


def _sentences(lines: list[tuple[int, str]], *, split: bool = True) -> list[Sentence]:
    """Join prose lines into one paragraph and split it into sentences."""
    text = ""
    codes: list[InlineCode] = []
    links: list[tuple[int, Link]] = []
    breaks: list[tuple[int, int]] = []
    for ln, raw in lines:
        piece = _Line(raw, ln)
        if text:
            text += " "
        breaks.append((len(text), ln))
        off = len(text)
        text += piece.text
        codes += [InlineCode(c.text, c.line, c.start + off, c.end + off) for c in piece.codes]
        links += [(o + off, lk) for o, lk in piece.links]
    if not text.strip():
        return []

    # lazy: markdown-it-py
    from stale.extract.markdown import _sentence_bounds, in_range, line_at

    bounds = _sentence_bounds(text, codes) if split else [(0, len(text))]
    code_at = [(c.start, c) for c in codes]
    link_at = sorted(links, key=lambda x: x[0])
    out: list[Sentence] = []
    for s, e in bounds:
        raw = text[s:e]
        s2 = s + (len(raw) - len(raw.lstrip()))
        stripped = raw.strip()
        if not stripped:
            continue
        sc = tuple(
            InlineCode(c.text, c.line, c.start - s2, c.end - s2) for c in in_range(code_at, s, e)
        )
        sl = tuple(in_range(link_at, s, e))
        out.append(Sentence(stripped, line_at(breaks, s2), sc, sl))
    return out


def _cells(line: str) -> tuple[bool, list[str]]:
    header = line.startswith("!")
    body = line[1:]
    parts = re.split(r"!!|\|\|", body) if header else body.split("||")
    cells = []
    for p in parts:
        # "style=... | content": drop cell attributes
        if "|" in p and "[[" not in p:
            p = p.split("|", 1)[1]
        cells.append(p.strip())
    return header, cells


def _table_row(cells: list[tuple[int, str]], header: tuple[str, ...]) -> Sentence | None:
    if not cells:
        return None
    text = ""
    codes: list[InlineCode] = []
    links: list[Link] = []
    texts: list[str] = []
    for idx, (ln, raw) in enumerate(cells):
        piece = _Line(raw, ln)
        prefix = text + (" | " if texts else "")
        ctext = piece.text.strip()
        lead = len(piece.text) - len(piece.text.lstrip())
        off = len(prefix) - lead
        codes += [InlineCode(c.text, c.line, c.start + off, c.end + off, idx) for c in piece.codes]
        links += [lk for _, lk in piece.links]
        text = prefix + ctext
        texts.append(ctext)
    return Sentence(text, cells[0][0], tuple(codes), tuple(links), tuple(texts), header)


def parse_wikitext(body: str) -> list[Segment]:
    """Turn wikitext into headings, prose sentences, table rows and code blocks."""
    lines = _clean(body).split("\n")
    out: list[Segment] = []
    para: list[tuple[int, str]] = []

    def flush() -> None:
        if para:
            out.extend(_sentences(para))
            para.clear()

    i = 0
    n = len(lines)
    while i < n:
        ln = i + 1
        line = lines[i]
        stripped = line.strip()
        m = _BLOCK_OPEN.search(line)
        if m and not re.search(r"\binline\b", m.group(2) or "", re.IGNORECASE):
            tag = m.group(1).lower()
            close = re.compile(rf"</{tag}\s*>", re.IGNORECASE)
            before = line[: m.start()]
            if before.strip():
                para.append((ln, before))
            flush()
            lang_m = _LANG.search(m.group(2) or "")
            info = lang_m.group(1).lower() if lang_m else ""
            rest = line[m.end() :]
            end_m = close.search(rest)
            if end_m:  # one-line block
                content = [rest[: end_m.start()]]
                out.append(CodeBlock(info, tuple(html.unescape(c) for c in content), ln))
                after = rest[end_m.end() :]
                if after.strip():
                    para.append((ln, after))
                i += 1
                continue
            block: list[str] = [rest] if rest.strip() else []
            first = ln if rest.strip() else ln + 1
            j = i + 1
            while j < n:
                em = close.search(lines[j])
                if em:
                    if lines[j][: em.start()].strip():
                        block.append(lines[j][: em.start()])
                    break
                block.append(lines[j])
                j += 1
            if tag == "pre":
                block = [html.unescape(re.sub(r"</?nowiki>", "", b)) for b in block]
            out.append(CodeBlock(info, tuple(block), first))
            i = j + 1
            continue
        hm = _HEADING.match(stripped)
        if hm and len(hm.group(1)) >= 1 and hm.group(2):
            flush()
            sents = _sentences([(ln, hm.group(2))], split=False)
            text = " ".join(s.text for s in sents)
            if text:
                out.append(Heading(level=len(hm.group(1)), text=text, line=ln))
                out.extend(
                    Sentence(s.text, s.line, s.codes, s.links, is_heading=True) for s in sents
                )
            i += 1
            continue
        if stripped.startswith("{|"):
            flush()
            i = _table(lines, i, out)
            continue
        if line.startswith(" ") and stripped:
            flush()
            block = []
            first = ln
            while i < n and lines[i].startswith(" ") and lines[i].strip():
                block.append(html.unescape(lines[i][1:]))
                i += 1
            out.append(CodeBlock("", tuple(block), first))
            continue
        if not stripped or stripped in ("----",):
            flush()
            i += 1
            continue
        if stripped[0] in "*#:;":
            flush()
            item = stripped.lstrip("*#:;").strip()
            if item:
                para.append((ln, item))
                flush()
            i += 1
            continue
        para.append((ln, line))
        i += 1
    flush()
    return out


def _table(lines: list[str], i: int, out: list[Segment]) -> int:
    """Read a ``{| ... |}`` table starting at line index i; return the next index."""
    header: tuple[str, ...] = ()
    row: list[tuple[int, str]] = []
    row_is_header = False

    def end_row() -> None:
        nonlocal header, row_is_header
        if not row:
            return
        sent = _table_row(row, () if row_is_header else header)
        if sent is not None:
            if row_is_header and not header:
                header = sent.cells
            out.append(sent)
        row.clear()
        row_is_header = False

    i += 1
    n = len(lines)
    while i < n:
        ln = i + 1
        s = lines[i].strip()
        if s.startswith("|}"):
            end_row()
            return i + 1
        if s.startswith("|-"):
            end_row()
        elif s.startswith("|+"):
            pass  # caption
        elif s.startswith(("|", "!")):
            is_header, cells = _cells(s)
            if is_header and not row:
                row_is_header = True
            row.extend((ln, c) for c in cells)
        elif s and row:
            # continuation of the last cell
            last_ln, last = row[-1]
            row[-1] = (last_ln, f"{last} {s}")
        i += 1
    end_row()
    return i


def _register() -> None:
    from stale.extract import FRONT_ENDS

    FRONT_ENDS.setdefault("wikitext", parse_wikitext)


_register()
