"""A sentence-transformers model as an Embedder, loaded only from local files.

Offline-safe: `HF_HUB_OFFLINE=1` and `TRANSFORMERS_OFFLINE=1` are set before
sentence-transformers is imported, and the model is opened with
`local_files_only=True`, so nothing is ever downloaded and nothing waits on a
network. A model that is not on this machine (a name not in the Hugging Face
cache, a path that does not exist, sentence-transformers not installed) gives
the built-in hashing embedder and one warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stale.semantic.interface import Embedder, EmbedderError


class EmbedderFallbackWarning(UserWarning):
    """The configured model could not be loaded; the built-in embedder is used instead."""


_warned: set[str] = set()


def _offline_env() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _quiet_progress() -> None:
    """No progress bars on stderr while a model loads (a scan prints its own progress)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # an older or newer transformers: bars are cosmetic
        pass


def _device(device: str) -> str | None:
    return None if device in ("", "auto") else device  # None: sentence-transformers picks


class SentenceTransformerEmbedder:
    """Batched encoding with a local sentence-transformers model, normalised rows."""

    def __init__(self, model: str, *, device: str = "auto", batch_size: int = 32) -> None:
        _offline_env()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EmbedderError(
                f"sentence-transformers is not installed ({e}); pip install 'stale[embed]'"
            ) from None
        _quiet_progress()
        path = Path(model).expanduser()
        local = path.exists()
        try:
            self._model: Any = SentenceTransformer(
                str(path) if local else model,
                device=_device(device),
                local_files_only=True,
            )
        except Exception as e:  # OSError, ValueError, HF errors: all mean "not usable here"
            where = str(path) if local else f"{model!r} (not in the local Hugging Face cache)"
            why = (str(e).strip().splitlines() or [""])[0]
            raise EmbedderError(
                f"cannot load sentence-transformers model {where}: {type(e).__name__}: {why}"
            ) from None
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension", None
        )
        dim = get_dim() if callable(get_dim) else None
        if not dim:
            dim = int(self._model.encode(["x"], convert_to_numpy=True).shape[1])
        self._dim = int(dim)
        self._batch = max(1, batch_size)
        self._label = str(path.resolve()) if local else model
        self.device = str(getattr(self._model, "device", "cpu"))

    @property
    def name(self) -> str:
        return f"st:{self._label}"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self._batch,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_sentence_transformer(
    spec: str,
    *,
    device: str = "auto",
    batch_size: int = 32,
    warn: Callable[[str], None] | None = None,
) -> Embedder:
    """The model `spec` names, or the built-in embedder with one warning when it is not
    available on this machine."""
    from stale.semantic.hashing import HashingEmbedder

    try:
        return SentenceTransformerEmbedder(spec, device=device, batch_size=batch_size)
    except EmbedderError as e:
        message = f"{e}; using the built-in hashing embedder instead (no download is attempted)"
        if spec not in _warned:
            _warned.add(spec)
            if warn is not None:
                warn(message)
            else:
                warnings.warn(message, EmbedderFallbackWarning, stacklevel=2)
        return HashingEmbedder()
