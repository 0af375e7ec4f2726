"""The built-in embedder: feature hashing of n-grams, no weights, no network.

A text becomes three bags of features: words (lower-cased runs of letters and
digits, so `BILLING_DB_URL` reads as billing, db, url), word bigrams, and the
character 3-5-grams of each word (`<rotate>` gives `<ro`, `rot`, …, `ate>`), which
carry "rotation" close to "rotate". Each feature is weighted by sublinear term
frequency (1 + log tf) times its inverse document frequency when one was learned
from the indexed pages (`fit_idf`), hashed with a sign into `dim` buckets (signed
feature hashing keeps inner products unbiased), and each bag is L2-normalised
before they are mixed (words 1.0, bigrams 0.6, character n-grams 0.5) and the
result normalised again.

It is a bag-of-n-grams model: it sees shared vocabulary, not meaning. Good enough
to tell two pages about the same deploy apart from a page about team rituals; a
sentence-transformers model (`[semantic] embedder`) understands paraphrase.
The name says which it is, `hashing-ngrams-512`, plus `+idf-XXXXXXXX` (a
fingerprint of the learned IDF) once one is fitted, because vectors made with
another IDF must not be mixed with these.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

IDF_BITS = 20
IDF_SIZE = 1 << IDF_BITS
_IDF_MASK = IDF_SIZE - 1
MAX_CHARS = 20_000
_WORD = re.compile(r"[0-9a-z]+")
_GROUP_WEIGHTS = (1.0, 0.6, 0.5)  # words, word bigrams, character n-grams
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    ]
)
_MEMO_LIMIT = 200_000
_PREFIX = (b"u", b"c", b"b")  # words, character n-grams, word bigrams


def _features(kind: bytes, item: str) -> int:
    return zlib.crc32(kind + item.encode("utf-8", "surrogatepass"))


class HashingEmbedder:
    """Signed feature hashing of word 1-2-grams and character 3-5-grams (see module doc)."""

    def __init__(self, dim: int = 512, idf: np.ndarray | None = None) -> None:
        if dim < 16 or dim > 2048 or dim & (dim - 1):
            raise ValueError(f"dim must be a power of two between 16 and 2048, got {dim}")
        self._dim = dim
        self._shift = IDF_BITS
        self._idf: np.ndarray | None = None
        self._idf_id = ""
        self._memo: dict[tuple[int, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if idf is not None:
            self.set_idf(idf)

    # -- the protocol -----------------------------------------------------------------

    @property
    def name(self) -> str:
        base = f"hashing-ngrams-{self._dim}"
        return f"{base}+idf-{self._idf_id}" if self._idf is not None else base

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._encode_one(text)
        return out

    # -- IDF ------------------------------------------------------------------------

    @property
    def has_idf(self) -> bool:
        return self._idf is not None

    def set_idf(self, idf: np.ndarray) -> None:
        idf = np.asarray(idf, dtype=np.float32)
        if idf.shape != (IDF_SIZE,):
            raise ValueError(f"an IDF table has {IDF_SIZE} entries, got {idf.shape}")
        self._idf = idf
        self._idf_id = hashlib.sha1(idf.tobytes()).hexdigest()[:8]

    def fit_idf(self, texts: Iterable[str]) -> int:
        """Learn document frequencies from `texts` (the indexed pages); returns how many."""
        df = np.zeros(IDF_SIZE, dtype=np.float64)
        n = 0
        for text in texts:
            n += 1
            seen: set[int] = set()
            for idx, _, _, _ in self._groups(text):
                seen.update(int(x) for x in np.unique(idx))
            if seen:
                df[np.fromiter(seen, dtype=np.int64, count=len(seen))] += 1
        # float16 precision: what is saved is exactly what is used (and named)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float16).astype(np.float32)
        self.set_idf(idf)
        return n

    def save_idf(self, path: Path) -> None:
        import os

        if self._idf is None:
            raise ValueError("no IDF fitted")
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.save(fh, self._idf.astype(np.float16))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path | None, dim: int = 512) -> HashingEmbedder:
        """The embedder with the IDF saved at `path` (when it exists and is readable)."""
        emb = cls(dim)
        if path is not None and path.exists():
            with contextlib.suppress(OSError, ValueError):
                emb.set_idf(np.load(path).astype(np.float32))
        return emb

    # -- internals ------------------------------------------------------------------

    def _hashed(
        self, group: int, items: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hs = np.fromiter(
            (_features(_PREFIX[group], it) for it in items),
            dtype=np.int64,
            count=len(items),
        )
        idx = hs & _IDF_MASK
        bucket = (hs >> self._shift) & (self._dim - 1)
        sign = np.where(hs & (1 << 31), 1.0, -1.0)
        return idx, bucket, sign

    def _word_features(self, group: int, word: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (group, word)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if group == 0:
            items: list[str] = [word]
        else:
            padded = f"<{word}>"
            items = [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)] or [
                padded
            ]
        hit = self._hashed(group, items)
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = hit
        return hit

    def _groups(self, text: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per feature group: (idf index, bucket, sign, term frequency) arrays."""
        words = [w for w in _WORD.findall(text[:MAX_CHARS].lower()) if w not in _STOP]
        groups = []
        counts = Counter(words)
        uniq = list(counts)
        tf_words = np.fromiter((counts[w] for w in uniq), dtype=np.float64, count=len(uniq))
        # words
        parts = [self._word_features(0, w) for w in uniq]
        groups.append(_concat(parts, [tf_words[i : i + 1] for i in range(len(uniq))]))
        # word bigrams
        bigrams = Counter(f"{a} {b}" for a, b in itertools.pairwise(words))
        bl = list(bigrams)
        bidx, bbucket, bsign = self._hashed(2, bl) if bl else _empty3()
        btf = np.fromiter((bigrams[b] for b in bl), dtype=np.float64, count=len(bl))
        groups.append((bidx, bbucket, bsign, btf))
        # character n-grams of each word, with the word's count
        cparts = [self._word_features(1, w) for w in uniq]
        ctf = [np.full(len(p[0]), tf_words[i]) for i, p in enumerate(cparts)]
        groups.append(_concat(cparts, ctf))
        return groups

    def _encode_one(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float64)
        for (idx, bucket, sign, tf), gw in zip(self._groups(text), _GROUP_WEIGHTS, strict=True):
            if not len(idx):
                continue
            w = 1.0 + np.log(tf)
            if self._idf is not None:
                w = w * self._idf[idx]
            g = np.bincount(bucket, weights=sign * w, minlength=self._dim)
            norm = math.sqrt(float(g @ g))
            if norm > 0:
                vec += gw * g / norm
        norm = math.sqrt(float(vec @ vec))
        return (vec / norm if norm > 0 else vec).astype(np.float32)


def _empty3() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = np.zeros(0, dtype=np.int64)
    return e, e, np.zeros(0)


def _concat(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], tfs: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0), np.zeros(0)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate(list(tfs)),
    )
