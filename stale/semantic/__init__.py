"""Embeddings and what they are for: superseded pages, code drift, semantic lookup.

Nothing here is imported by `import stale` or `stale check`; numpy, faiss and
sentence-transformers load only when something is embedded (docs/semantic.md).

- `interface.Embedder`: the protocol (`encode`, `dim`, `name`);
- `hashing.HashingEmbedder`: the built-in, offline embedder (no weights);
- `st.SentenceTransformerEmbedder`: a local sentence-transformers model;
- `index`: faiss indexes of pages and code chunks, persisted beside the store;
- `signals`: the `superseded`, `drift` and `duplicate` signals;
- `scanpass.SemanticPass`: what `stale scan` runs after its crawl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stale.semantic.interface import Embedder, EmbedderError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Embedder", "EmbedderError", "load_embedder"]

HASHING = "hashing"


def load_embedder(
    spec: str,
    *,
    device: str = "auto",
    batch_size: int = 32,
    warn: Callable[[str], None] | None = None,
) -> Embedder:
    """The embedder a `[semantic] embedder` setting names: "hashing" (built-in), or a
    sentence-transformers model name or local path. A model that is not available
    locally (or sentence-transformers not installed) gives the built-in embedder and
    one warning through `warn`; never a download, a hang or a crash."""
    from stale.semantic.hashing import HashingEmbedder

    if spec.strip().lower() in (HASHING, "builtin", "hashing-ngrams-512"):
        return HashingEmbedder()
    from stale.semantic.st import load_sentence_transformer

    return load_sentence_transformer(spec, device=device, batch_size=batch_size, warn=warn)
