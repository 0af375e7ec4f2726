"""A page's visible text, and near-duplicates by shingles of it (no embedder).

- `visible_text(body, content_type)`: what a reader sees, the same for the same
  content written as Markdown or as (Confluence) HTML: tags dropped, Confluence
  code macros kept as their code (CDATA) without their parameters, entities
  decoded; Markdown links read as their text, fences, emphasis, heading and table
  markup dropped. It is what is embedded, and what duplicates are compared on.
- `shingles(text)`: the page's word 3-shingles, as 32-bit hashes, after dropping
  its metadata lines ("Owner: …", "Last updated: …": a copy differs in those).
- `sketch(shingle_hashes)`: the `SKETCH_SIZE` smallest of them (a bottom-k
  sketch), stored per page text beside its vector; two sketches estimate the
  Jaccard similarity of the two pages' shingle sets, exactly for pages of at most
  `SKETCH_SIZE` shingles.
- `duplicate_groups(...)`: pages whose texts are near-identical (Jaccard at or
  above `duplicate_text_similarity`), joined transitively (union-find).
  Candidate pairs come from an identical text and from sharing one of the few
  smallest shingle hashes (each shared with probability about the Jaccard
  similarity), never from the embedder.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping

import numpy as np

#: Shingles kept per page text (the smallest hashes): 1 KiB per page.
SKETCH_SIZE = 256
#: A page with fewer shingles than this (about 12 words) is never a duplicate:
#: two stubs ("TODO", "Moved, see X") are alike without being copies.
MIN_SHINGLES = 12
#: Candidate pairs: pages that share one of their `_KEYS` smallest hashes.
_KEYS = 4
#: A hash shared by more pages than this is boilerplate, not evidence of a copy.
_MAX_POSTING = 200
SKETCH_NAME = f"shingles-w3-bottom{SKETCH_SIZE}-v1"

# -- visible text -------------------------------------------------------------------------

_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DROP_BLOCKS = re.compile(
    r"<(script|style|ac:parameter|ri:[\w-]+)\b[^>]*>.*?</\1\s*>|<(?:ac|ri):[\w-]+\b[^>]*/>",
    re.S | re.I,
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|tr|table|tbody|thead|pre|blockquote|br|hr|section|article|"
    r"dt|dd|dl|ac:structured-macro|ac:plain-text-body|ac:rich-text-body)\b[^>]*>",
    re.I,
)
_CELL_TAG = re.compile(r"</?(?:td|th)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n+")

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}).*$", re.M)
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_MD_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)
_MD_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M
)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+|[ \t]+#+[ \t]*$", re.M)
_MD_RULE = re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_MD_BULLET = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+", re.M)
#: Inline HTML in Markdown, by the usual tag names: an unknown `<your-token>` is text.
_MD_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|code|del|details|div|em|hr|i|img|ins|kbd|mark|p|pre|s|small|span|"
    r"strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul|ol|li|dl|dt|dd|h[1-6])\b[^>]*>",
    re.I,
)
_MD_EMPHASIS = re.compile(r"\*{2,3}|(?:(?<=\s)|^)\*(?=\w)|(?<=\w)\*(?=[\s.,;:!?)]|$)", re.M)


def html_text(body: str) -> str:
    """The visible text of an HTML (or Confluence storage format) body."""
    text = _COMMENT.sub(" ", body)
    # CDATA (Confluence code macros) is text: escape it so its `<`s survive the tags
    text = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), text)
    text = _DROP_BLOCKS.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _CELL_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    return _tidy(html.unescape(text))


def markdown_text(body: str) -> str:
    """The visible text of a Markdown body (front matter is the connector's business)."""
    text = _COMMENT.sub(" ", body)
    text = _FENCE.sub("", text)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_DEF.sub("", text)
    text = _MD_TABLE_RULE.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub(r"\1", text)
    text = text.replace("`", "").replace("|", " ")
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_HTML_TAG.sub("", text)
    return _tidy(html.unescape(text))


def _tidy(text: str) -> str:
    lines = []
    for line in text.splitlines():
        body = line.lstrip()
        lines.append(line[: len(line) - len(body)].replace("\t", "    ") + _SPACES.sub(" ", body))
    lines = [line.rstrip() for line in lines]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def visible_text(body: str, content_type: str) -> str:
    """What a reader of the page sees, as plain text (see the module docstring)."""
    if not isinstance(body, str):
        return ""
    if content_type == "html":
        return html_text(body)
    if content_type == "markdown":
        return markdown_text(body)
    return _tidy(_TAG.sub(" ", _COMMENT.sub(" ", body)))


# -- shingles and sketches ------------------------------------------------------------------

_META_LINE = re.compile(
    r"^(?:owners?|authors?|maintainers?|labels?|tags?|status|space|created|updated|"
    r"last[ _-]?(?:updated|modified|reviewed|edited|changed)|reviewed|review date)\s*:",
    re.I,
)
_WORD = re.compile(r"[0-9a-z]+")


def drop_metadata(text: str) -> str:
    """The text without its metadata lines ("Owner: …", "Last updated: …"): a
    Markdown page keeps those in its front matter, an HTML page in its body."""
    return "\n".join(line for line in text.splitlines() if not _META_LINE.match(line.strip()))


def content_words(text: str) -> list[str]:
    """The words of a page's text, without its metadata lines, lower-cased."""
    return _WORD.findall(drop_metadata(text).lower())


def shingles(text: str, k: int = 3) -> np.ndarray:
    """The distinct 32-bit hashes of the text's word k-shingles, sorted (uint32)."""
    words = content_words(text)
    if len(words) < k:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
    hashes = {
        int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "big")
        for g in grams
    }
    return np.array(sorted(hashes), dtype=np.uint32)


def sketch(hashes: np.ndarray, size: int = SKETCH_SIZE) -> np.ndarray:
    """The bottom-`size` sketch of sorted, distinct shingle hashes."""
    return np.asarray(hashes[:size], dtype=np.uint32)


def text_sketch(text: str) -> np.ndarray:
    return sketch(shingles(text))


def sketch_jaccard(a: np.ndarray, b: np.ndarray, size: int = SKETCH_SIZE) -> float:
    """The Jaccard similarity of two shingle sets estimated from their bottom-k
    sketches: of the `size` smallest hashes of the union, the share in both.
    Exact when both sets have at most `size` shingles."""
    if not len(a) or not len(b):
        return 0.0
    both = np.concatenate((a, b))
    both.sort()
    twice = both[1:] == both[:-1]  # a hash in both sketches, seen twice in a row
    union = both[np.concatenate(([True], ~twice))]
    cut = union[min(size, len(union)) - 1]
    # a hash of the union's bottom k is in both sets iff it is in both sketches
    # (each sketch holds all of its set's hashes up to the union's k-th smallest)
    shared = int(np.count_nonzero(both[1:][twice] <= cut))
    return shared / min(size, len(union))


# -- groups -----------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def candidate_pairs(sketches: Mapping[int, np.ndarray]) -> set[tuple[int, int]]:
    """Pairs of page ids worth comparing: they share one of their few smallest
    shingle hashes (an identical text shares all of them)."""
    posting: dict[int, list[int]] = {}
    for pid, s in sketches.items():
        if len(s) < MIN_SHINGLES:
            continue
        for h in s[:_KEYS].tolist():
            posting.setdefault(h, []).append(pid)
    pairs: set[tuple[int, int]] = set()
    for ids in posting.values():
        if len(ids) < 2 or len(ids) > _MAX_POSTING:
            continue
        ids.sort()
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pairs.add((a, b))
    return pairs


def text_edges(
    sketches: Mapping[int, np.ndarray], threshold: float
) -> dict[tuple[int, int], float]:
    """(a, b) with a < b -> the Jaccard similarity of their texts, for the pairs at
    or above `threshold` (none when it is 0)."""
    out: dict[tuple[int, int], float] = {}
    if threshold <= 0:
        return out
    for a, b in candidate_pairs(sketches):
        sa, sb = sketches[a], sketches[b]
        whole = len(sa) < SKETCH_SIZE and len(sb) < SKETCH_SIZE
        if whole and min(len(sa), len(sb)) < threshold * max(len(sa), len(sb)):
            continue  # both sketches hold their whole sets: the sizes bound the similarity
        j = sketch_jaccard(sa, sb)
        if j >= threshold:
            out[(a, b)] = j
    return out


def duplicate_groups(
    sketches: Mapping[int, np.ndarray],
    threshold: float,
    extra_edges: Iterable[tuple[int, int, float]] = (),
    *,
    text: Mapping[tuple[int, int], float] | None = None,
) -> tuple[dict[int, list[int]], dict[tuple[int, int], float]]:
    """Pages with near-identical text, grouped transitively.

    Returns (page id -> the other members of its group, sorted by id) for every
    page in a group of two or more, and the similarity of each joined pair
    (a < b). `extra_edges` (a, b, similarity) join pages found another way (the
    embedder's cosine). A page of fewer than MIN_SHINGLES shingles joins none.
    `text`: the text edges when already known (`text_edges`)."""
    uf = _UnionFind()
    edges = dict(text_edges(sketches, threshold)) if text is None else dict(text)

    def short(i: int) -> bool:
        sk = sketches.get(i)
        return sk is not None and len(sk) < MIN_SHINGLES

    for a, b, s in extra_edges:
        if a != b and not short(a) and not short(b):
            key = (min(a, b), max(a, b))
            edges[key] = max(edges.get(key, 0.0), s)
    for a, b in edges:
        uf.union(a, b)
    members: dict[int, list[int]] = {}
    for pid in {x for e in edges for x in e}:
        members.setdefault(uf.find(pid), []).append(pid)
    out: dict[int, list[int]] = {}
    for group in members.values():
        if len(group) < 2:
            continue
        group.sort()
        for pid in group:
            out[pid] = [o for o in group if o != pid]
    return out, edges


__all__ = [
    "MIN_SHINGLES",
    "SKETCH_NAME",
    "SKETCH_SIZE",
    "candidate_pairs",
    "content_words",
    "drop_metadata",
    "duplicate_groups",
    "html_text",
    "markdown_text",
    "shingles",
    "sketch",
    "sketch_jaccard",
    "text_edges",
    "text_sketch",
    "visible_text",
]
