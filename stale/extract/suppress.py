"""Inline suppression comments, read from the raw page body.

* ``<!-- stale: ignore-page -->`` anywhere: no claims from this page.
* ``<!-- stale: ignore SUBJECT -->`` anywhere: drop claims whose subject is
  SUBJECT (several may be given, separated by commas).
* ``<!-- stale: ignore -->`` alone on a line: drop the claims of the next
  non-blank line (of the whole block when that line opens a code fence); at the
  end of a line with other text: drop the claims of that line.

In HTML pages (``html=True``) the "next line" that opens an element such as
``<pre>``, ``<p>``, ``<table>`` or a Confluence ``<ac:structured-macro>``
stands for the whole element, up to the line of its closing tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_COMMENT_RE = re.compile(r"<!--\s*stale\s*:\s*(ignore-page|ignore)\b\s*(.*?)\s*-->", re.I | re.S)
_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HTML_BLOCK_RE = re.compile(
    r"^\s*<(pre|table|ul|ol|dl|p|li|tr|blockquote|div|h[1-6]|ac:structured-macro)(?=[\s>/])",
    re.I,
)
#: An HTML element that is never closed drops at most this many lines.
_HTML_BLOCK_MAX_LINES = 500


@dataclass
class Suppressions:
    page: bool = False
    subjects: set[str] = field(default_factory=set)
    lines: set[int] = field(default_factory=set)

    def drops(self, subject: str, line: int) -> bool:
        return self.page or subject in self.subjects or line in self.lines


def split_lines(body: str) -> list[str]:
    """Lines as markdown-it numbers them (\\r\\n, \\r and \\n all end a line)."""
    if "\r" not in body:  # then only "\n" ends a line: str.split, no regex
        return body.split("\n")
    return _LINE_END_RE.split(body)


def parse_suppressions(body: str, *, html: bool = False) -> Suppressions:
    sup = Suppressions()
    if "stale" not in body:
        return sup
    lines = split_lines(body)
    offsets = [0] + [m.end() for m in _LINE_END_RE.finditer(body)]
    for m in _COMMENT_RE.finditer(body):
        if m.group(1).lower() == "ignore-page":
            sup.page = True
            return sup
        arg = m.group(2).strip()
        if arg:
            for part in arg.split(","):
                part = part.strip()
                if part:
                    sup.subjects.add(part)
                    sup.subjects.add(part.lstrip("$").removeprefix("./"))
            continue
        # 0-based index of the line holding the end of the comment
        idx = _line_of(offsets, m.end() - 1)
        line_text = lines[idx]
        rest = _COMMENT_RE.sub("", line_text).strip()
        if rest:
            sup.lines.add(idx + 1)
            continue
        nxt = idx + 1
        while nxt < len(lines) and not lines[nxt].strip():
            nxt += 1
        if nxt >= len(lines):
            continue
        sup.lines.add(nxt + 1)
        block = _HTML_BLOCK_RE.match(lines[nxt]) if html else None
        if block:
            sup.lines.update(_html_element_lines(lines, nxt, block.group(1)))
            continue
        fence = _FENCE_RE.match(lines[nxt])
        if fence:
            marker = fence.group(1)
            k = nxt + 1
            while k < len(lines):
                sup.lines.add(k + 1)
                if (
                    lines[k].strip().startswith(marker[0] * len(marker))
                    and not lines[k].strip(marker[0]).strip()
                ):
                    break
                k += 1
    return sup


def _html_element_lines(lines: list[str], start: int, tag: str) -> list[int]:
    """1-based lines from `start` (0-based) to the line closing its `tag` element."""
    name = re.escape(tag)
    opens = re.compile(rf"<{name}(?=[\s>/])", re.I)
    closes = re.compile(rf"</{name}\s*>", re.I)
    out: list[int] = []
    depth = 0
    for k in range(start, min(len(lines), start + _HTML_BLOCK_MAX_LINES)):
        out.append(k + 1)
        depth += len(opens.findall(lines[k])) - len(closes.findall(lines[k]))
        if depth <= 0:
            break
    return out


def _line_of(offsets: list[int], pos: int) -> int:
    lo, hi = 0, len(offsets) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offsets[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo
