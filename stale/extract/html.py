"""HTML front end (Confluence exports and storage format, plain HTML pages):
BeautifulSoup with the stdlib ``html.parser`` -> neutral segments.

* prose: the text of block elements (``<p>``, ``<li>``, ``<div>``, ...), split
  into sentences; ``<code>``, ``<tt>``, ``<kbd>`` and single-line Confluence
  ``code`` macros are inline code; ``<a href>`` and Confluence
  ``<ac:link><ri:url ri:value=...>`` are links;
* code blocks: ``<pre>`` (language from ``class="language-x"``, ``lang-x``,
  ``brush: x``, ``data-language``, or an inner ``<code class="language-x">``) and
  Confluence ``<ac:structured-macro ac:name="code">`` (language parameter,
  ``<ac:plain-text-body>`` CDATA); ``noformat`` macros are plain text;
* headings ``<h1>``..``<h6>``;
* tables: one table-row sentence per ``<tr>`` with its cells and the header row
  (``<thead>`` or all ``<th>``), like the Markdown front end, so settings tables
  read the same way (:mod:`stale.extract.tables`).

Page chrome is dropped (``<script>``, ``<style>``, ``<nav>``, ``<header>``,
``<footer>``, ``<aside>``, and elements whose class or id says breadcrumb,
sidebar, footer, navigation or page-metadata); the main content is ``<main>``,
``#main-content``, ``.wiki-content`` or ``#content`` when present, else
``<body>``, else the whole fragment.

Line numbers are page lines from ``sourceline`` plus the newlines read since.
The walk is iterative, so deeply nested (unclosed) tags cannot overflow the
stack.
"""

from __future__ import annotations

import html as _html
import re
import warnings
from bisect import bisect_right
from collections.abc import Iterator

from bs4 import BeautifulSoup, Comment, NavigableString, PageElement, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction
from bs4.exceptions import ParserRejectedMarkup

from stale.extract.markdown import _ABBREVIATIONS, _BOUNDARY
from stale.extract.patterns import wordset
from stale.extract.segments import CodeBlock, Heading, InlineCode, Link, Segment, Sentence

#: Elements whose whole subtree is never page content.
DROP_TAGS = wordset(
    """
    script style nav header footer aside head title template svg math noscript iframe object
    button select ac:parameter ac:placeholder
    """
)
#: Class or id fragments that mark page chrome (Confluence export and common themes).
DROP_MARKS = ("breadcrumb", "sidebar", "footer", "navigation", "page-metadata")

#: Elements that stay inside the running paragraph; everything else breaks it.
INLINE_TAGS = wordset(
    """
    a abbr acronym b bdi bdo big cite data dfn em font i ins del s strike label mark nobr q
    rp rt ruby samp small span strong sub sup time u var wbr img input output meter progress
    ac:link ac:link-body ac:plain-text-link-body ac:inline-comment-marker ac:emoticon
    ac:image ri:url ri:page ri:attachment ri:user ri:space ri:blog-post ri:content-entity
    """
)
CODE_TAGS = frozenset({"code", "tt", "kbd"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}

_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_WS_RE = re.compile(r"[ \t\f\v\r\u00a0\u200b]+|\s+")
_LANG_RE = re.compile(r"(?:^|\s)(?:language|lang|highlight|brush)-([\w+#.-]+)", re.I)
_BRUSH_RE = re.compile(r"\bbrush\s*:\s*([\w+#.-]+)", re.I)
_SOURCECODE_RE = re.compile(r"\bsourceCode\s+([\w+#.-]+)")  # pandoc
#: Confluence and SyntaxHighlighter language names -> the info strings the classifier knows.
_LANG_ALIASES = {"none": "text", "plain": "text", "shell": "bash", "html/xml": "xml", "js": "js"}


def parse_html(body: str) -> list[Segment]:
    """Turn an HTML body into headings, prose sentences and code blocks."""
    # html.parser counts lines on "\n" only; these keep split_lines() numbering.
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    # CDATA sections (Confluence storage format) become escaped text with the
    # same newlines, so every parser version reads them the same way.
    text = _CDATA_RE.sub(lambda m: _html.escape(m.group(1), quote=False), text)
    text = balance_tags(text)
    soup = _soup(text)
    walker = _Walker()
    walker.walk(_main_content(soup))
    walker.flush()
    return walker.out


# ------------------------------------------------------------------ tag balancing

#: Deeper nesting than this is flattened (bs4 slows down quadratically with depth).
MAX_DEPTH = 200
_VOID = wordset("area base br col embed hr img input link meta param source track wbr keygen")
_RAW_TEXT = ("script", "style")
#: Tags that carry claims; kept a while longer past MAX_DEPTH.
_KEEP_DEEP = wordset("code tt kbd pre a table tr td th ac:structured-macro ac:plain-text-body")
#: A start or end tag; its attributes hold no "<" and it ends within 4000 characters.
_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w:.-]*)([^<>]{0,4000})>")
_P_CLOSERS = wordset(
    """
    address article aside blockquote details div dl fieldset figcaption figure footer form
    h1 h2 h3 h4 h5 h6 header hr main menu nav ol p pre section table ul li dd dt
    ac:layout ac:layout-section ac:layout-cell
    """
)
#: start tag -> (elements it closes, elements that stop the search)
_IMPLIED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu", "table"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "tbody": (frozenset({"tbody", "thead", "tfoot", "tr", "td", "th"}), frozenset({"table"})),
    "thead": (frozenset({"tbody", "thead", "tfoot", "tr", "td", "th"}), frozenset({"table"})),
    "tfoot": (frozenset({"tbody", "thead", "tfoot", "tr", "td", "th"}), frozenset({"table"})),
    "option": (frozenset({"option"}), frozenset({"select"})),
}
_CLOSE_P = (
    frozenset({"p"}),
    frozenset(
        {
            "table",
            "td",
            "th",
            "caption",
            "button",
            "object",
            "template",
            "li",
            "ac:structured-macro",
        }
    ),
)


def balance_tags(text: str) -> str:
    """Insert the end tags HTML implies (an open ``<p>`` before a block, ``<li>``
    before ``<li>``, ``<td>``/``<tr>`` in tables) and drop start tags nested
    deeper than :data:`MAX_DEPTH` (twice that for code, links and tables), so
    sloppy or hostile pages parse into a shallow tree. A "<" that opens no
    complete tag, comment or declaration becomes "&lt;" (html.parser takes
    quadratic time over unterminated tags). Line numbers are kept: only end
    tags and "&lt;" are inserted, and a dropped tag leaves its newlines."""
    out: list[str] = []
    pos = 0
    stack: list[str] = []
    dropped: dict[str, int] = {}
    n = len(text)
    comments_end = decls_end = True  # False once no "-->" / ">" is left to find
    while pos < n:
        lt = text.find("<", pos)
        if lt < 0:
            break
        out.append(text[pos:lt])
        pos = lt + 1
        nxt = text[lt + 1 : lt + 2]
        if nxt in ("!", "?"):
            if text.startswith("<!--", lt):
                end = text.find("-->", lt + 4) if comments_end else -1
                comments_end = end >= 0
                end = end + 3 if end >= 0 else -1
            elif text.startswith("<![", lt):
                end = -1  # CDATA is gone by now; html.parser rejects or crawls the rest
            else:
                end = text.find(">", lt + 2) if decls_end else -1
                decls_end = end >= 0
                end = end + 1 if end >= 0 else -1
            if end < 0:
                out.append("&lt;")
            else:
                out.append(text[lt:end])
                pos = end
            continue
        m = _TAG_RE.match(text, lt)
        if m is None:
            out.append("&lt;" if nxt.isalpha() or nxt == "/" else "<")
            continue
        pos = m.end()
        raw = m.group(0)
        name = m.group(2).lower()
        if m.group(1):  # end tag
            if dropped.get(name):
                dropped[name] -= 1
                out.append("\n" * raw.count("\n"))
                continue
            for k in range(len(stack) - 1, -1, -1):
                if stack[k] == name:
                    del stack[k:]
                    break
            out.append(raw)
            continue
        rules = [_IMPLIED[name]] if name in _IMPLIED else []
        if name in _P_CLOSERS:
            rules.append(_CLOSE_P)
        for closes, stops in rules:
            for k in range(len(stack) - 1, max(len(stack) - 64, 0) - 1, -1):
                if stack[k] in stops:
                    break
                if stack[k] in closes:
                    out.append(f"</{stack[k]}>")
                    del stack[k:]
                    break
        self_closing = name in _VOID or raw.endswith("/>")
        limit = 2 * MAX_DEPTH if name in _KEEP_DEEP else MAX_DEPTH
        if not self_closing and len(stack) >= limit:
            dropped[name] = dropped.get(name, 0) + 1
            out.append("\n" * raw.count("\n"))
            continue
        out.append(raw)
        if self_closing:
            continue
        if name in _RAW_TEXT:
            close = re.compile(rf"</{name}\s*>", re.I).search(text, pos)
            out.append(text[pos : close.end()] if close else text[pos:] + f"</{name}>")
            pos = close.end() if close else n
            continue
        stack.append(name)
    out.append(text[pos:])
    return "".join(out)


def _soup(text: str) -> BeautifulSoup:
    """Parse; markup html.parser rejects is retried with declarations escaped,
    then read as plain text (same lines either way)."""
    attempts = (text, re.sub(r"<(?=[!?])", "&lt;", text), _html.escape(text, quote=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, attempt in enumerate(attempts):
            try:
                return BeautifulSoup(attempt, "html.parser")
            except ParserRejectedMarkup:
                if i == len(attempts) - 1:
                    raise
    raise AssertionError("unreachable")


def _main_content(soup: BeautifulSoup) -> Tag:
    """<main>, else #main-content, .wiki-content, #content, <body>, else the document."""
    found: list[Tag | None] = [None, None, None, None]
    for el in soup.descendants:
        if not isinstance(el, Tag):
            continue
        if el.name == "main":
            return el
        ident = _attr(el, "id")
        cls = el.attrs.get("class")
        classes = cls if isinstance(cls, list) else str(cls or "").split()
        for i, hit in enumerate(
            (
                ident == "main-content",
                "wiki-content" in classes,
                ident == "content",
                el.name == "body",
            )
        ):
            if hit and found[i] is None:
                found[i] = el
    return next((f for f in found if f is not None), soup)


def _is_chrome(tag: Tag) -> bool:
    if tag.name in DROP_TAGS:
        return True
    attrs = tag.attrs
    if not attrs:
        return False
    cls = attrs.get("class")
    marks = " ".join(cls) if isinstance(cls, list) else str(cls or "")
    marks = (marks + " " + str(attrs.get("id") or "")).lower()
    return any(m in marks for m in DROP_MARKS)


def _attr(tag: Tag, name: str) -> str:
    v = tag.attrs.get(name)
    if isinstance(v, list):
        return " ".join(v)
    return str(v) if v is not None else ""


def _strings(tag: Tag) -> Iterator[str]:
    for d in tag.descendants:
        if isinstance(d, NavigableString) and not isinstance(
            d, Comment | Declaration | Doctype | ProcessingInstruction
        ):
            yield str(d)


def _newlines(node: PageElement) -> int:
    if isinstance(node, NavigableString):
        return str(node).count("\n")
    if isinstance(node, Tag):
        return sum(str(d).count("\n") for d in node.descendants if isinstance(d, NavigableString))
    return 0


# ------------------------------------------------------------------ paragraph


class _Para:
    """Running prose: whitespace-collapsed text, inline codes, links, and the
    page line at each offset."""

    def __init__(self) -> None:
        self.text = ""
        self.offsets: list[int] = []
        self.lines: list[int] = []
        self.codes: list[InlineCode] = []
        self.links: list[Link] = []
        self.link_offsets: list[int] = []

    def _mark(self, line: int) -> None:
        self.offsets.append(len(self.text))
        self.lines.append(line)

    def line_at(self, offset: int) -> int:
        if not self.lines:
            return 1
        i = bisect_right(self.offsets, offset) - 1
        return self.lines[max(i, 0)]

    def space(self) -> None:
        if self.text and not self.text.endswith(" "):
            self.text += " "

    def add_text(self, text: str, line: int) -> int:
        """Append `text` read at page line `line`; return the line after it."""
        # a local, not self.text: CPython appends to a str it alone holds in place,
        # so a text node of 100,000 lines is linear, not quadratic
        buf, self.text = self.text, ""
        for i, part in enumerate(text.split("\n")):
            if i:
                line += 1
                if buf and not buf.endswith(" "):
                    buf += " "
            chunk = _WS_RE.sub(" ", part)
            if not buf or buf.endswith(" "):
                chunk = chunk.lstrip()
            if chunk:
                self.offsets.append(len(buf))
                self.lines.append(line)
                buf += chunk
        self.text = buf
        return line

    def add_code(self, code: str, line: int) -> None:
        code = _WS_RE.sub(" ", code).strip()
        if not code:
            return
        self._mark(line)
        start = len(self.text)
        self.text += "`" + code + "`"
        self.codes.append(InlineCode(code, line, start, len(self.text)))

    def add_link(self, start: int, href: str) -> None:
        href = href.strip()
        if href:
            text = self.text[start:].strip()
            self.links.append(Link(href=href, text=text, line=self.line_at(start)))
            self.link_offsets.append(start)

    def sentences(self, split: bool) -> list[Sentence]:
        if not self.text.strip():
            return []
        bounds = _sentence_bounds(self.text, self.codes) if split else [(0, len(self.text))]
        out: list[Sentence] = []
        ci = li = 0
        for s, e in bounds:
            raw = self.text[s:e]
            s2 = s + len(raw) - len(raw.lstrip())
            text = raw.strip()
            codes: list[InlineCode] = []
            while ci < len(self.codes) and self.codes[ci].start < e:
                c = self.codes[ci]
                if c.start >= s:
                    codes.append(InlineCode(c.text, c.line, c.start - s2, c.end - s2))
                ci += 1
            links: list[Link] = []
            while li < len(self.links) and self.link_offsets[li] < e:
                if self.link_offsets[li] >= s:
                    links.append(self.links[li])
                li += 1
            if text:
                out.append(Sentence(text, self.line_at(s2), tuple(codes), tuple(links)))
        return out


def _sentence_bounds(text: str, codes: list[InlineCode]) -> list[tuple[int, int]]:
    """Same rules as the Markdown front end; linear in the number of codes."""
    bounds: list[tuple[int, int]] = []
    start = 0
    ci = 0
    for m in _BOUNDARY.finditer(text):
        pos = m.start()
        while ci < len(codes) and codes[ci].end <= pos:
            ci += 1
        if ci < len(codes) and codes[ci].start <= pos < codes[ci].end:
            continue
        word = re.search(r"([A-Za-z.]+)$", text[max(start, pos - 40) : pos])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        bounds.append((start, m.end()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


# ------------------------------------------------------------------ code blocks


def _language(tag: Tag) -> str:
    """The language a <pre> (or its <code>, or a wrapping div) names, lower-cased."""
    candidates = [tag]
    inner = tag.find("code")
    if isinstance(inner, Tag):
        candidates.insert(0, inner)
    parent = tag.parent
    for _ in range(2):
        if isinstance(parent, Tag):
            candidates.append(parent)
            parent = parent.parent
    for t in candidates:
        for attr in ("data-language", "data-lang"):
            v = _attr(t, attr).strip()
            if v:
                return _norm_lang(v)
        cls = _attr(t, "class")
        m = _LANG_RE.search(cls) or _BRUSH_RE.search(cls) or _SOURCECODE_RE.search(cls)
        if not m:
            m = _BRUSH_RE.search(_attr(t, "data-syntaxhighlighter-params"))
        if m:
            return _norm_lang(m.group(1))
    return ""


def _norm_lang(v: str) -> str:
    word = v.strip().split()[0].lower().strip("{}.;,") if v.strip() else ""
    return _LANG_ALIASES.get(word, word)


def _block_lines(text: str, line: int) -> tuple[tuple[str, ...], int]:
    """(lines, first page line) of a code block's text that starts at `line`."""
    if text.startswith("\n"):
        text = text[1:]
        line += 1
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines), line


def _pre_text(pre: Tag) -> str:
    parts: list[str] = []
    for d in pre.descendants:
        if isinstance(d, Tag) and d.name == "br":
            parts.append("\n")
        elif isinstance(d, NavigableString) and not isinstance(
            d, Comment | Declaration | Doctype | ProcessingInstruction
        ):
            parts.append(str(d))
    return "".join(parts)


def _in_prose(tag: Tag) -> bool:
    parent = tag.parent
    return isinstance(parent, Tag) and (
        parent.name in INLINE_TAGS or parent.name in ("p", "li", "dt", "dd", "td", "th")
    )


def _macro_name(tag: Tag) -> str:
    return _attr(tag, "ac:name").strip().lower()


def _macro_code(tag: Tag) -> tuple[str, str, int] | None:
    """(info, text, line of the text's start) of a Confluence code/noformat macro."""
    name = _macro_name(tag)
    if name not in ("code", "noformat"):
        return None
    info = "text"
    if name == "code":
        info = ""
        for p in tag.find_all("ac:parameter"):
            if _attr(p, "ac:name").lower() == "language":
                info = _norm_lang(p.get_text())
                break
    body = tag.find("ac:plain-text-body")
    if not isinstance(body, Tag):
        return info, "", tag.sourceline or 1
    return info, "".join(_strings(body)), body.sourceline or tag.sourceline or 1


# ------------------------------------------------------------------ the walk


class _Walker:
    """Walks a subtree in document order, collecting segments in `out`.

    In `flat` mode (a table cell) block boundaries are spaces, and code blocks
    and nested tables go to `out` to follow the row."""

    def __init__(self, flat: bool = False) -> None:
        self.flat = flat
        self.out: list[Segment] = []
        self.para = _Para()
        self.line = 1
        self.heading: tuple[int, Tag] | None = None

    def flush(self) -> None:
        """End the running paragraph (inside a heading or a cell: a space)."""
        if self.flat or self.heading is not None:
            self.para.space()
            return
        self.out.extend(self.para.sentences(split=True))
        self.para = _Para()

    def _end_heading(self) -> None:
        assert self.heading is not None
        level = self.heading[0]
        self.heading = None
        sents = self.para.sentences(split=False)
        if sents:
            text = " ".join(s.text for s in sents)
            self.out.append(Heading(level=level, text=text, line=sents[0].line))
            self.out.extend(
                Sentence(s.text, s.line, s.codes, s.links, is_heading=True) for s in sents
            )
        self.para = _Para()

    def walk(self, root: Tag, skip_root_cells: bool = False) -> None:
        # Stack items: a node to enter, or ("exit", tag, link start) to leave one.
        stack: list[PageElement | tuple[Tag, int | None]] = list(reversed(root.contents))
        if isinstance(root, Tag) and root.sourceline:
            self.line = root.sourceline
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):
                self._exit(*item)
                continue
            if isinstance(item, NavigableString):
                self._string(item)
                continue
            if not isinstance(item, Tag):
                continue
            tag = item
            if tag.sourceline:
                self.line = tag.sourceline
            if skip_root_cells and tag.name in ("td", "th", "tr"):
                self.line += _newlines(tag)
                continue
            if self._enter(tag):
                continue
            stack.append((tag, len(self.para.text) if tag.name in ("a", "ac:link") else None))
            stack.extend(reversed(tag.contents))

    def _string(self, s: NavigableString) -> None:
        if isinstance(s, Comment | Declaration | Doctype | ProcessingInstruction):
            self.line += str(s).count("\n")
            return
        self.line = self.para.add_text(str(s), self.line)

    def _enter(self, tag: Tag) -> bool:
        """Handle entering `tag`; True when its subtree is done (not to be walked)."""
        name = tag.name
        if _is_chrome(tag):
            self.line += _newlines(tag)
            return True
        if name in CODE_TAGS:
            self.para.add_code("".join(_strings(tag)), self.line)
            self.line += _newlines(tag)
            return True
        if name == "br":
            self.para.space()
            return True
        if name == "pre":
            self.flush()
            self._code_block(_language(tag), _pre_text(tag), tag.sourceline or self.line)
            self.line += _newlines(tag)
            return True
        if name == "ac:structured-macro":
            code = _macro_code(tag)
            if code is not None:
                info, text, line = code
                inline = self.flat or bool(self.para.text.strip()) or _in_prose(tag)
                if inline and info != "text" and "\n" not in text.strip():
                    self.para.add_code(text, line)
                else:
                    self.flush()
                    self._code_block(info, text, line)
                self.line += _newlines(tag)
                return True
            self.flush()
            return False
        if name == "ac:plain-text-body":  # outside a code macro: raw HTML etc.
            self.line += _newlines(tag)
            return True
        if name == "table":
            self.flush()
            self._table(tag)
            self.line += _newlines(tag)
            return True
        if name in HEADINGS and not self.flat and self.heading is None:
            self.flush()
            self.heading = (HEADINGS[name], tag)
            return False
        if name in INLINE_TAGS:
            return False
        self.flush()
        return False

    def _exit(self, tag: Tag, link_start: int | None) -> None:
        name = tag.name
        if link_start is not None:
            href = _attr(tag, "href")
            if name == "ac:link":
                url = tag.find("ri:url")
                href = _attr(url, "ri:value") if isinstance(url, Tag) else ""
            self.para.add_link(link_start, href)
        if name in INLINE_TAGS:
            return
        if self.heading is not None and self.heading[1] is tag:
            self._end_heading()
            return
        self.flush()

    def _code_block(self, info: str, text: str, line: int) -> None:
        lines, first = _block_lines(text, line)
        if lines:
            self.out.append(CodeBlock(info=info, lines=lines, first_line=first))

    # -------------------------------------------------------------- tables

    def _table(self, table: Tag) -> None:
        header: tuple[str, ...] = ()
        first = True
        for tr in _collect(table, {"tr"}, {"table"}):
            cells = _collect(tr, {"td", "th"}, {"table", "tr"})
            if not cells:
                continue
            texts: list[str] = []
            codes: list[InlineCode] = []
            links: list[Link] = []
            after: list[Segment] = []
            text = ""
            for cell in cells:
                w = _Walker(flat=True)
                w.walk(cell, skip_root_cells=True)
                sents = w.para.sentences(split=False)
                cell_text = " ".join(s.text for s in sents)
                prefix = text + (" | " if texts else "")
                for s in sents:
                    for c in s.codes:
                        codes.append(
                            InlineCode(
                                c.text,
                                c.line,
                                c.start + len(prefix),
                                c.end + len(prefix),
                                len(texts),
                            )
                        )
                    links.extend(s.links)
                text = prefix + cell_text
                texts.append(cell_text)
                after.extend(w.out)
            line = tr.sourceline or self.line
            is_header = first and (
                tr.find_parent("thead") is not None or all(c.name == "th" for c in cells)
            )
            first = False
            if is_header:
                header = tuple(texts)
                self.out.append(Sentence(text, line, tuple(codes), tuple(links), tuple(texts)))
            elif any(t.strip() for t in texts):
                self.out.append(
                    Sentence(text, line, tuple(codes), tuple(links), tuple(texts), header)
                )
            self.out.extend(after)


def _collect(root: Tag, want: set[str], stop: set[str]) -> list[Tag]:
    """Descendants of `root` named in `want`, in document order, not looking
    inside elements named in `stop` (but looking inside wanted ones)."""
    found: list[Tag] = []
    stack: list[PageElement] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if not isinstance(node, Tag):
            continue
        if node.name in want:
            found.append(node)
        elif node.name in stop or _is_chrome(node):
            continue
        stack.extend(reversed(node.contents))
    return found
