"""faiss indexes of pages and code chunks, persisted beside the store.

`<store>.pages.faiss` holds one vector per page, `<store>.code.faiss` one per code
chunk; each has a JSON sidecar (`….faiss.json`) naming the embedder, and for every
id the content hash its vector was made from and what it points at. `sync` makes
an index hold exactly the wanted entries: ids that are gone or whose content
changed are removed, new ones added; nothing else is touched.

The index is `IndexIDMap(IndexFlatIP)` (exact cosine on normalised vectors) up
to `approximate_above` entries, an `IndexIVFFlat` (inverted lists, `nprobe`
probed per query) beyond; both support adding and removing ids. An index made
by another embedder or of another kind is rebuilt from the embedding cache.

Code chunks come from simple rules: Python functions and classes (`ast`), the
top-level blocks of YAML/TOML/INI files, the sections of Markdown files, and
other text files whole or in windows of 80 lines.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

META_VERSION = 1


def stable_id(*parts: str) -> int:
    """A 63-bit id for a page or chunk, the same in every process."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


def text_key(text: str) -> str:
    """The embedding cache key of a text: its content hash."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def index_paths(store_path: Path, kind: str) -> tuple[Path, Path]:
    """(index file, sidecar) of the `kind` ("pages" or "code") index of a store."""
    base = store_path.with_name(f"{store_path.name}.{kind}.faiss")
    return base, base.with_name(base.name + ".json")


class VectorIndex:
    """One persisted faiss index with its sidecar. Entries: id -> [content key, *label]."""

    def __init__(
        self,
        path: Path,
        embedder: str,
        dim: int,
        *,
        approximate_above: int = 20000,
    ) -> None:
        self.path = path
        self.meta_path = path.with_name(path.name + ".json")
        self.embedder = embedder
        self.dim = dim
        self.approximate_above = approximate_above
        self.entries: dict[int, list[str]] = {}
        self.extra: dict[str, Any] = {}
        self.kind = "flat"
        self.trained_on = 0
        self.nprobe = 1
        self._index: Any = None
        self.rebuilt = False

    # -- persistence ------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path, embedder: str, dim: int, *, approximate_above: int = 20000
    ) -> VectorIndex:
        """The index at `path` when it was made by `embedder`; else an empty one."""
        import faiss

        idx = cls(path, embedder, dim, approximate_above=approximate_above)
        try:
            meta = json.loads(idx.meta_path.read_text(encoding="utf-8"))
            if (
                meta.get("version") == META_VERSION
                and meta.get("embedder") == embedder
                and int(meta.get("dim", 0)) == dim
                and path.exists()
            ):
                loaded = faiss.read_index(str(path))
                if loaded.ntotal == len(meta.get("entries", {})):
                    idx._index = loaded
                    idx.entries = {int(k): list(v) for k, v in meta["entries"].items()}
                    idx.extra = dict(meta.get("extra", {}))
                    idx.kind = str(meta.get("kind", "flat"))
                    idx.trained_on = int(meta.get("trained_on", 0))
                    idx.nprobe = int(meta.get("nprobe", 1))
                    idx._set_nprobe()
        except (OSError, ValueError, RuntimeError, KeyError, TypeError):
            pass  # unreadable or foreign: start empty (rebuilt from the cache)
        return idx

    @classmethod
    def read(cls, path: Path) -> VectorIndex | None:
        """An existing index as it is, whatever made it (for search); None when absent."""
        meta_path = path.with_name(path.name + ".json")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or not path.exists():
            return None
        return cls.open(
            path,
            str(meta.get("embedder", "")),
            int(meta.get("dim", 0)),
            approximate_above=int(meta.get("approximate_above", 20000)),
        )

    def save(self) -> None:
        import faiss

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        faiss.write_index(self._faiss(), str(tmp))
        meta = {
            "version": META_VERSION,
            "embedder": self.embedder,
            "dim": self.dim,
            "kind": self.kind,
            "trained_on": self.trained_on,
            "nprobe": self.nprobe,
            "approximate_above": self.approximate_above,
            "extra": self.extra,
            "entries": {str(k): v for k, v in self.entries.items()},
        }
        tmp_meta = self.meta_path.with_name(self.meta_path.name + ".tmp")
        tmp_meta.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self.path)
        os.replace(tmp_meta, self.meta_path)

    # -- building -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def _faiss(self) -> Any:
        if self._index is None:
            self._index = self._empty_flat()
        return self._index

    def _empty_flat(self) -> Any:
        import faiss

        return faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))

    def _set_nprobe(self) -> None:
        if self.kind == "ivf" and self._index is not None:
            import faiss

            faiss.extract_index_ivf(self._index).nprobe = self.nprobe

    def _build(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        """A fresh index of the kind `len(ids)` calls for, holding exactly these."""
        import faiss

        n = len(ids)
        if n > self.approximate_above and n >= 2:
            nlist = max(1, min(int(4 * math.sqrt(n)), n // 39 or 1))
            quantizer = faiss.IndexFlatIP(self.dim)
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.train(vecs)
            self._index = ivf
            self.kind = "ivf"
            self.trained_on = n
            self.nprobe = max(1, min(nlist, max(8, nlist // 8)))
            self._set_nprobe()
        else:
            self._index = self._empty_flat()
            self.kind = "flat"
            self.trained_on = 0
            self.nprobe = 1
        if n:
            self._index.add_with_ids(vecs, ids)
        self.rebuilt = True

    def sync(
        self,
        wanted: Mapping[int, Sequence[str]],
        vectors: Callable[[Sequence[str]], Mapping[str, np.ndarray]],
    ) -> tuple[int, int]:
        """Make the index hold exactly `wanted` (id -> [content key, *label]); `vectors`
        gives the vectors of content keys. Returns (added, removed)."""
        stale_ids = [i for i, e in self.entries.items() if i not in wanted or wanted[i][0] != e[0]]
        new_ids = [i for i, e in wanted.items() if i not in self.entries or i in stale_ids]
        stale_set = set(stale_ids)
        n_after = len(self.entries) - len(stale_ids) + len(new_ids)
        want_kind = "ivf" if n_after > self.approximate_above and n_after >= 2 else "flat"
        needs_rebuild = (
            self._index is None
            or want_kind != self.kind
            or (self.kind == "ivf" and n_after > 4 * max(1, self.trained_on))
        )
        if needs_rebuild:
            ids = list(wanted)
            vecs = _stack(vectors([wanted[i][0] for i in ids]), [wanted[i][0] for i in ids])
            keep = [j for j, v in enumerate(vecs) if v is not None]
            arr = (
                np.stack([vecs[j] for j in keep]).astype(np.float32)
                if keep
                else np.zeros((0, self.dim), dtype=np.float32)
            )
            self._build(np.asarray([ids[j] for j in keep], dtype=np.int64), arr)
            removed = len(stale_set | (set(self.entries) - set(wanted)))
            self.entries = {ids[j]: list(wanted[ids[j]]) for j in keep}
            return len(new_ids), removed
        index = self._faiss()
        if stale_ids:
            index.remove_ids(np.asarray(stale_ids, dtype=np.int64))
            for i in stale_ids:
                self.entries.pop(i, None)
        if new_ids:
            keys = [wanted[i][0] for i in new_ids]
            vecs = _stack(vectors(keys), keys)
            keep = [j for j, v in enumerate(vecs) if v is not None]
            if keep:
                index.add_with_ids(
                    np.stack([vecs[j] for j in keep]).astype(np.float32),
                    np.asarray([new_ids[j] for j in keep], dtype=np.int64),
                )
                for j in keep:
                    self.entries[new_ids[j]] = list(wanted[new_ids[j]])
        return len(new_ids), len(stale_ids)

    # -- querying -------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Per query row: up to k (id, cosine) pairs, best first."""
        if not self.entries or k <= 0 or len(queries) == 0:
            return [[] for _ in range(len(queries))]
        k = min(k, len(self.entries))
        scores, ids = self._faiss().search(np.ascontiguousarray(queries, dtype=np.float32), k)
        out = []
        for srow, irow in zip(scores, ids, strict=True):
            out.append([(int(i), float(s)) for s, i in zip(srow, irow, strict=True) if i >= 0])
        return out


def _stack(found: Mapping[str, np.ndarray], keys: Sequence[str]) -> list[Any]:
    return [found.get(k) for k in keys]


# -- code chunks -----------------------------------------------------------------------

SKIP_DIRS = {".git", "node_modules", "vendor", "dist", "build", ".venv", "venv", "__pycache__"}
MAX_FILE_BYTES = 256_000
MAX_CHUNK_CHARS = 3000
WINDOW_LINES = 80
MAX_CHUNKS_PER_REPO = 50_000
_CONFIG_SUFFIXES = {".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".properties"}
_DOC_SUFFIXES = {".md", ".markdown", ".rst", ".txt"}
_TEXT_SUFFIXES = {
    ".py", ".sh", ".bash", ".js", ".ts", ".tsx", ".jsx", ".go", ".rb", ".java", ".kt", ".rs",
    ".json", ".env", ".sql", ".tf", ".hcl", ".mk", ".cfg", ".conf", ".properties",
    *_CONFIG_SUFFIXES, *_DOC_SUFFIXES,
}  # fmt: skip
_TEXT_NAMES = {"Makefile", "Dockerfile", "Procfile", "Justfile", "Jenkinsfile"}
_YAML_TOP = re.compile(r"^[A-Za-z0-9_.\"'-][^:#]*:")
_SECTION = re.compile(r"^\[")
_HEADING = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class Chunk:
    """A piece of a repository file that a page may describe."""

    repo: str
    path: str
    name: str
    start: int  # 1-based first line
    end: int
    text: str

    def embed_text(self) -> str:
        return f"{self.path} {self.name}\n{self.text}"


def repo_files(root: Path) -> list[str]:
    """Tracked files (git ls-files), else every file under root; POSIX, relative."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", "ls-files", "-z"],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        files = [f for f in out.decode("utf-8", "replace").split("\0") if f]
    except (OSError, subprocess.SubprocessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            rel = Path(dirpath).relative_to(root)
            files += [(rel / f).as_posix() for f in filenames]
    return sorted(f for f in files if not set(f.split("/")[:-1]) & SKIP_DIRS)


def _is_text(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    return name in _TEXT_NAMES or suffix in _TEXT_SUFFIXES or name.startswith(".env")


def _blocks(lines: Sequence[str], starts: Iterable[int], names: Sequence[str]) -> list[tuple]:
    starts = list(starts)
    out = []
    for j, s in enumerate(starts):
        e = starts[j + 1] if j + 1 < len(starts) else len(lines)
        out.append((names[j], s + 1, e))
    return out


def chunk_file(repo: str, path: str, text: str) -> list[Chunk]:
    """A file's chunks by the rules in the module doc."""
    lines = text.splitlines()
    if not lines:
        return []
    name = path.rsplit("/", 1)[-1]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    spans: list[tuple] = []  # (name, first line, last line)
    if suffix == ".py":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            tree = None
        if tree is not None:
            covered: set[int] = set()
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    end = node.end_lineno or node.lineno
                    spans.append((node.name, start, end))
                    covered.update(range(start, end + 1))
            rest = [i for i in range(1, len(lines) + 1) if i not in covered and lines[i - 1]]
            if rest:
                spans.append(("<module>", rest[0], rest[-1]))
    elif suffix in (".yaml", ".yml"):
        starts = [i for i, ln in enumerate(lines) if _YAML_TOP.match(ln)]
        spans = _blocks(lines, starts, [lines[i].split(":", 1)[0].strip() for i in starts])
    elif suffix in (".toml", ".ini", ".cfg", ".conf"):
        starts = [i for i, ln in enumerate(lines) if _SECTION.match(ln)]
        if not starts or starts[0] != 0:
            starts = [0, *starts]
        spans = _blocks(lines, starts, [lines[i].strip() or name for i in starts])
    elif suffix in _DOC_SUFFIXES:
        starts = [i for i, ln in enumerate(lines) if _HEADING.match(ln)]
        if not starts or starts[0] != 0:
            starts = [0, *starts]
        spans = _blocks(lines, starts, [lines[i].lstrip("# ").strip() or name for i in starts])
    if not spans:
        if len(lines) <= 2 * WINDOW_LINES:
            spans = [(name, 1, len(lines))]
        else:
            spans = [
                (f"{name}:{s + 1}", s + 1, min(len(lines), s + WINDOW_LINES))
                for s in range(0, len(lines), WINDOW_LINES)
            ]
    out = []
    for cname, start, end in spans:
        body = "\n".join(lines[start - 1 : end]).strip()
        if body:
            out.append(Chunk(repo, path, str(cname), start, end, body[:MAX_CHUNK_CHARS]))
    return out


def repo_chunks(repo: str, root: Path) -> list[Chunk]:
    """Every chunk of a repository's text files at its working tree."""
    out: list[Chunk] = []
    for rel in repo_files(root):
        if not _is_text(rel):
            continue
        p = root / rel
        try:
            if p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_FILE_BYTES:
                continue
            raw = p.read_bytes()
        except OSError:
            continue
        if b"\0" in raw[:1024]:
            continue
        out += chunk_file(repo, rel, raw.decode("utf-8", "replace"))
        if len(out) >= MAX_CHUNKS_PER_REPO:
            break
    return out[:MAX_CHUNKS_PER_REPO]


def chunk_ids(chunks: Sequence[Chunk]) -> list[int]:
    """Stable ids: repo, path, chunk name and the ordinal among same-named chunks."""
    seen: dict[tuple[str, str, str], int] = {}
    ids = []
    for c in chunks:
        k = (c.repo, c.path, c.name)
        n = seen.get(k, 0)
        seen[k] = n + 1
        ids.append(stable_id(c.repo, c.path, c.name, str(n)))
    return ids
