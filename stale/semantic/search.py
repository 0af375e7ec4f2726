"""Semantic lookup over the page index a scan left beside the store.

`SemanticSearch.open(store)` reads `<store>.pages.faiss` and loads the embedder
that built it (the built-in one with the store's IDF, or the same
sentence-transformers model, offline); `query(text, k)` gives (source, page_id,
cosine) best first. `SemanticRanker` plugs it into `StalenessFilter.search` (and
so into the MCP tool `search_current_pages`); the filter uses it on its own when
the store has page embeddings, and keyword ranking otherwise.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stale.semantic.index import index_paths
from stale.semantic.interface import EmbedderError

if TYPE_CHECKING:
    from stale.filter import PageStatus, StalenessFilter
    from stale.semantic.index import VectorIndex
    from stale.semantic.interface import Embedder

#: Share of the keyword relevance in SemanticRanker's score (the rest is the cosine).
KEYWORD_SHARE = 0.3


def has_page_index(store_path: Path) -> bool:
    path, meta = index_paths(store_path, "pages")
    return path.exists() and meta.exists()


class SemanticSearch:
    """Queries against one store's page index."""

    def __init__(self, index: VectorIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    @classmethod
    def open(cls, store_path: Path) -> SemanticSearch:
        """EmbedderError (a one-line message) when there is no index or its embedder
        cannot be loaded here."""
        from stale.semantic.index import VectorIndex
        from stale.semantic.scanpass import idf_path

        path, _ = index_paths(store_path, "pages")
        index = VectorIndex.read(path) if has_page_index(store_path) else None
        if index is None or not len(index):
            raise EmbedderError(
                f"{store_path}: no page embeddings yet; run `stale scan` with [semantic] enabled"
            )
        name = index.embedder
        embedder: Embedder
        if name.startswith("hashing-ngrams-"):
            from stale.semantic.hashing import HashingEmbedder

            embedder = HashingEmbedder.load(idf_path(store_path), index.dim)
        elif name.startswith("st:"):
            from stale.semantic.st import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder(name[3:])
        else:
            raise EmbedderError(
                f"{path}: made by an unknown embedder {name!r}; re-run `stale scan`"
            )
        if embedder.dim != index.dim:
            raise EmbedderError(
                f"{path}: made by {name} ({index.dim} dims), which cannot be loaded here; "
                "re-run `stale scan`"
            )
        return cls(index, embedder)

    def query(self, text: str, k: int) -> list[tuple[str, str, float]]:
        if not text.strip() or k <= 0:
            return []
        vec = self.embedder.encode([text])
        out = []
        for i, score in self.index.search(vec, k)[0]:
            entry = self.index.entries.get(i)
            if entry is not None and len(entry) >= 3:
                out.append((entry[1], entry[2], score))
        return out


_cache: dict[tuple[str, Any], SemanticSearch] = {}
_lock = threading.Lock()


def cached_search(store_path: Path) -> SemanticSearch | None:
    """The store's SemanticSearch, re-opened when the index file changes; None when the
    store has no page index or it cannot be used here."""
    if not has_page_index(store_path):
        return None
    path, _ = index_paths(store_path, "pages")
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (str(path.resolve()), (st.st_ino, st.st_mtime_ns, st.st_size))
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            try:
                hit = SemanticSearch.open(store_path)
            except (EmbedderError, OSError, ValueError, RuntimeError, ImportError):
                return None
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            _cache[key] = hit
    return hit


class SemanticRanker:
    """Ranks the filter's pages by cosine to the query (plus a little keyword relevance,
    so an exact title still wins), falling back to keyword ranking when the store has
    no page embeddings."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = Path(store_path)

    def rank(self, query: str, flt: StalenessFilter, limit: int) -> list[tuple[PageStatus, float]]:
        from stale.filter import KeywordRanker

        keyword = KeywordRanker()
        search = cached_search(self.store_path)
        if search is None or limit <= 0 or not query.strip():
            return keyword.rank(query, flt, limit)
        hits = search.query(query, max(limit * 3, 20))
        kw_hits = keyword.rank(query, flt, max(limit * 3, 20))
        by_kw = {p.key: rel for p, rel in kw_hits}
        scored: dict[str, tuple[PageStatus, float]] = {}
        for source, page_id, cos in hits:
            page = flt.check(f"{source}:{page_id}", source=source)
            if page is None:
                continue
            rel = (1 - KEYWORD_SHARE) * max(0.0, cos) + KEYWORD_SHARE * by_kw.get(page.key, 0.0)
            scored[page.key] = (page, min(1.0, rel))
        for page, kw in kw_hits:
            if page.key not in scored:
                scored[page.key] = (page, KEYWORD_SHARE * kw)
        ranked = sorted(scored.values(), key=lambda t: (-t[1], t[0].key))
        return ranked[:limit]
