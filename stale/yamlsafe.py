"""YAML the safe way: libyaml's safe loader when present, and a cheap guard
against nesting deep enough to overflow libyaml's C recursion (a segfault takes
the whole scan down, so such a document is refused before it is parsed)."""

from __future__ import annotations

import re
from typing import Any

import yaml

#: libyaml's safe loader when available (same nodes and marks, ~10x faster)
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 500
_FLOW_BRACKET = re.compile(r"[\[\]{}]")
# Block indicators that open a nested node on the same line: `- - - x`, `? ? x`.
_BLOCK_INDICATOR = re.compile(r"(?:^|\s)[-?:](?=\s|$)")


def too_deep(text: str) -> bool:
    """True when the document may nest deeper than MAX_DEPTH. An upper bound:
    flow brackets ([ and {) counted without skipping quotes or comments, and per
    line the indentation plus the block indicators on it. An overestimate only
    refuses a pathological document."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for m in _FLOW_BRACKET.finditer(text):
            depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
            if depth > MAX_DEPTH:
                return True
    if len(text) <= MAX_DEPTH:
        return False  # not enough characters to nest that deep in block style
    for line in text.splitlines():
        if len(line) <= MAX_DEPTH:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent > 4 * MAX_DEPTH:
            return True
        if indent + len(_BLOCK_INDICATOR.findall(line)) > MAX_DEPTH:
            return True
    return False


def load_all(text: str) -> list[Any]:
    """Every document of a YAML stream as plain Python data (safe constructors only).
    Raises yaml.YAMLError for bad YAML and RecursionError for a document too deep."""
    if too_deep(text):
        raise RecursionError("YAML nested too deeply")
    return list(yaml.load_all(text, Loader=LOADER))
