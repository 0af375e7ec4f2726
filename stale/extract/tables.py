"""Settings tables, shared by every front end.

A table whose header has a key-ish column ("Setting", "Key", "Name", "Option",
"Parameter", "Variable", "Env", "Environment variable", "Flag") and a
value-ish column ("Default", "Value", "Default value") lists settings: each row
claims its key with that value. Front ends emit such rows as ordinary table-row
:class:`~stale.extract.segments.Sentence` objects (``cells`` + ``header``); the
classifier calls :func:`normalize_row` so a key written as plain text
(``| pool_size | 10 |``) is read like one written as inline code
(``| `pool_size` | 10 |``), and :func:`value_column` so a "Value" column counts
like a "Default" column.
"""

from __future__ import annotations

import re

from stale.extract.segments import InlineCode, Sentence

_KEY_HEADER_RE = re.compile(
    r"^(?:setting|key|config(?:uration)?\s+key|name|option|parameter|param|variable"
    r"|env|env\s+var(?:iable)?|environment(?:\s+variable)?|flag|property)s?$",
    re.IGNORECASE,
)
_VALUE_HEADER_RE = re.compile(r"^(?:defaults?|values?|default\s+values?)$", re.IGNORECASE)

#: A key written as plain text in a settings table: a flag, an ALL_CAPS name,
#: or an identifier starting lower-case ("pool_size", "db.pool", "maxConns").
_PLAIN_KEY_RE = re.compile(
    r"^(?:--?[A-Za-z0-9][\w.-]*|\$?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|\$?[A-Z]{2,}[0-9]*"
    r"|[a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)$"
)


def _clean_header(h: str) -> str:
    return re.sub(r"\s+", " ", h.strip().strip("`*_:").strip())


def key_columns(header: tuple[str, ...]) -> list[int]:
    """Indexes of key-ish columns, only when the header also has a value-ish column."""
    cleaned = [_clean_header(h) for h in header]
    if not any(_VALUE_HEADER_RE.match(h) for h in cleaned):
        return []
    return [i for i, h in enumerate(cleaned) if _KEY_HEADER_RE.match(h)]


def value_column(header: tuple[str, ...]) -> int | None:
    """The value-ish column of a settings table (one with a key-ish column too)."""
    if not key_columns(header):
        return None
    for i, h in enumerate(header):
        if _VALUE_HEADER_RE.match(_clean_header(h)):
            return i
    return None


def normalize_row(s: Sentence) -> Sentence:
    """A settings-table row whose key cell is plain text, with that key turned
    into inline code (text, cells and code offsets updated). Any other sentence
    is returned unchanged."""
    if not s.cells or not s.header:
        return s
    keys = key_columns(s.header)
    if not keys:
        return s
    if any(c.cell in keys for c in s.codes):
        return s
    k = keys[0]
    if k >= len(s.cells):
        return s
    cell = s.cells[k]
    key = cell.strip()
    if not key or len(key) > 100 or not _PLAIN_KEY_RE.match(key):
        return s
    start = sum(len(c) + 3 for c in s.cells[:k])
    if s.text[start : start + len(cell)] != cell:
        return s
    lead = len(cell) - len(cell.lstrip())
    at = start + lead
    new_cell = cell[:lead] + f"`{key}`" + cell[lead + len(key) :]
    text = s.text[:start] + new_cell + s.text[start + len(cell) :]
    shifted = tuple(
        InlineCode(c.text, c.line, c.start + 2, c.end + 2, c.cell) if c.start >= at else c
        for c in s.codes
    )
    code = InlineCode(key, s.line, at, at + len(key) + 2, k)
    codes = tuple(sorted((*shifted, code), key=lambda c: c.start))
    cells = (*s.cells[:k], new_cell, *s.cells[k + 1 :])
    return Sentence(text, s.line, codes, s.links, cells, s.header, s.is_heading)
