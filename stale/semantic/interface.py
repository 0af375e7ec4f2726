"""The Embedder protocol: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


class EmbedderError(Exception):
    """An embedder cannot be created or used. str() is a one-line fix-it message."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors whose inner product is their cosine similarity.

    `encode` returns a float32 array of shape (len(texts), dim), each row of unit
    length (a row of zeros only for a text with nothing to embed). `name` says
    what made the vectors, honestly: vectors of different names are never mixed
    (it keys the embedding cache and the persisted indexes)."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...
