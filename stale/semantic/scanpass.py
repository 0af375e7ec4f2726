"""The semantic pass of `stale scan`: embed what changed, update the indexes,
compute the semantic signals for the pages that may have new ones, re-judge those.

`stale.scan` calls `see(page)` for every page its crawl delivers and `finish(...)`
after the crawl. Only new or changed texts are embedded (the cache in the store is
keyed by content hash and embedder); the faiss indexes beside the store are
updated by id. Signals are computed for the pages re-checked in this run and their
neighbours in the page index, or for every page when the embedder, the
`[semantic]` settings or a repository's HEAD changed; a page is re-judged (from
its stored claims and findings, no re-verify) only when its signals differ.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stale.config import Config
from stale.model import HINT_KINDS, ClaimKind, Outcome, Page, Signal, Status
from stale.semantic.dedup import (
    SKETCH_NAME,
    SKETCH_SIZE,
    drop_metadata,
    duplicate_groups,
    sketch_jaccard,
    text_edges,
    text_sketch,
    visible_text,
)
from stale.semantic.index import (
    VectorIndex,
    chunk_ids,
    index_paths,
    repo_chunks,
    stable_id,
    text_key,
)
from stale.semantic.signals import (
    DRIFT,
    MIN_SHARED_SUBJECTS,
    SEMANTIC_KINDS,
    PageFacts,
    RepoHistory,
    drift_signal,
    duplicate_signal,
    norm_subject,
    replacement_statements,
    superseded_signal,
    text_words,
)
from stale.store import Store

if TYPE_CHECKING:
    import numpy as np

    from stale.scan import RepoSet, ScanResult
    from stale.semantic.interface import Embedder

#: Characters of page text kept in memory during a crawl (for embedding and for the
#: replacement check); beyond it, a text is fetched again from its connector.
TEXT_BUDGET = 256_000_000
NEIGHBOURS = 10
#: Pages that share claims with a page, considered for `superseded` (most shared first).
SHARED_NEIGHBOURS = 30
EMBED_BATCH = 256


def page_body_text(page: Page) -> str:
    """A page's visible text: the same for the same content in Markdown or HTML
    (`<code>X</code>` and `` `X` `` both read as X; Confluence code macros as their code)."""
    return visible_text(page.body, page.content_type)


def page_text(page: Page) -> str:
    """What is embedded for a page, and compared for duplicates: its title and its
    visible text without metadata lines ("Owner: …", "Last updated: …")."""
    return f"{page.title}\n\n{drop_metadata(page_body_text(page))}"


def idf_path(store_path: Path) -> Path:
    return store_path.with_name(f"{store_path.name}.idf.npy")


def open_embedder(
    spec: str,
    store_path: Path,
    *,
    device: str = "auto",
    batch_size: int = 32,
    warn: Callable[[str], None] | None = None,
) -> Embedder:
    """The configured embedder; the built-in one carries the IDF learned for this store."""
    from stale.semantic import load_embedder
    from stale.semantic.hashing import HashingEmbedder

    emb = load_embedder(spec, device=device, batch_size=batch_size, warn=warn)
    if isinstance(emb, HashingEmbedder):
        emb = HashingEmbedder.load(idf_path(store_path), emb.dim)
    return emb


@dataclass
class _Seen:
    key: str
    replacements: list[tuple[str, str, str]]


@dataclass
class SemanticStats:
    embedder: str = ""
    embedded_pages: int = 0
    embedded_chunks: int = 0
    indexed_pages: int = 0
    indexed_chunks: int = 0
    evaluated: int = 0
    rejudged: int = 0
    signals: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "embedder": self.embedder,
            "embedded_pages": self.embedded_pages,
            "embedded_chunks": self.embedded_chunks,
            "indexed_pages": self.indexed_pages,
            "indexed_chunks": self.indexed_chunks,
            "evaluated": self.evaluated,
            "rejudged": self.rejudged,
            "signals": dict(sorted(self.signals.items())),
        }


class SemanticPass:
    """One scan's semantic work. Not thread-safe; one per scan."""

    def __init__(
        self, cfg: Config, store: Store, *, warn: Callable[[str], None] | None = None
    ) -> None:
        self.cfg = cfg
        self.scfg = cfg.semantic
        self.store = store
        self.stats = SemanticStats()
        self._warn_cb = warn
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._rechecked: set[tuple[str, str]] = set()
        self._texts: dict[tuple[str, str], str] = {}
        self._text_chars = 0
        self._embedder: Embedder | None = None

    # -- during the crawl ---------------------------------------------------------------

    def see(self, page: Page) -> None:
        text = page_text(page)
        # replacement sentences are read from the text, not the markup
        self._seen[page.key] = _Seen(text_key(text), replacement_statements(page_body_text(page)))
        if self._text_chars + len(text) <= TEXT_BUDGET:
            self._texts[page.key] = text
            self._text_chars += len(text)

    def rechecked(self, key: tuple[str, str]) -> None:
        """A page checked again from its stored claims (its text did not change): its
        counts in the run summary follow a status the semantic signals change."""
        self._rechecked.add(key)

    # -- after the crawl ----------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self.stats.warnings.append(message)
        if self._warn_cb is not None:
            self._warn_cb(message)
        else:
            import warnings

            from stale.semantic.st import EmbedderFallbackWarning

            warnings.warn(message, EmbedderFallbackWarning, stacklevel=3)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = open_embedder(
                self.scfg.embedder,
                self.cfg.store,
                device=self.scfg.device,
                batch_size=self.scfg.batch_size,
                warn=self._warn,
            )
        return self._embedder

    def _fetch_text(self, key: tuple[str, str]) -> str | None:
        text = self._texts.get(key)
        if text is not None:
            return text
        from stale.scan import make_connector

        src = next((s for s in self.cfg.sources if s.name == key[0]), None)
        if src is None:
            return None
        try:
            return page_text(make_connector(src).page(key[1]))
        except Exception:  # the page is gone or the wiki is down: no vector this time
            return None

    def _vectors(
        self, emb: Embedder, keys: Sequence[str], texts: Callable[[str], str | None], what: str
    ) -> dict[str, np.ndarray]:
        """Vectors of content keys: from the cache, embedding (and caching) the rest."""
        import numpy as np

        found = {
            k: np.frombuffer(v, dtype=np.float32)
            for k, v in self.store.cached_embeddings(keys, emb.name).items()
        }
        todo = [k for k in dict.fromkeys(keys) if k not in found]
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i : i + EMBED_BATCH]
            pairs = [(k, t) for k in batch if (t := texts(k)) is not None]
            if not pairs:
                continue
            vecs = emb.encode([t for _, t in pairs])
            rows = [(k, vecs[j].astype(np.float32).tobytes()) for j, (k, _) in enumerate(pairs)]
            self.store.save_embeddings(emb.name, emb.dim, rows)
            for j, (k, _) in enumerate(pairs):
                found[k] = vecs[j]
            if what == "pages":
                self.stats.embedded_pages += len(pairs)
            else:
                self.stats.embedded_chunks += len(pairs)
        return found

    def _maybe_fit_idf(self, pages_total: int) -> None:
        """The built-in embedder learns its IDF from the pages: once, and again when the
        wiki has doubled since (every vector is re-made then; it is cheap)."""
        from stale.semantic.hashing import HashingEmbedder

        emb = self.embedder()
        if not isinstance(emb, HashingEmbedder) or pages_total < 2:
            return
        path = idf_path(self.cfg.store)
        meta = path.with_name(path.name + ".json")
        token = self.store.embedding_token()
        try:
            rec = json.loads(meta.read_text(encoding="utf-8"))
            fitted = int(rec.get("docs", 0)) if rec.get("store") == token else 0
        except (OSError, ValueError, AttributeError):
            fitted = 0
        if emb.has_idf and fitted and pages_total < 2 * fitted:
            return
        texts = [t for k in self._seen if (t := self._texts.get(k)) is not None]
        if len(texts) < 2:
            return
        fresh = HashingEmbedder(emb.dim)
        n = fresh.fit_idf(texts)
        fresh.save_idf(path)
        meta.write_text(
            json.dumps({"docs": n, "name": fresh.name, "store": token}), encoding="utf-8"
        )
        self._embedder = fresh

    def finish(self, result: ScanResult, repo_set: RepoSet | None) -> SemanticStats:
        t0 = time.perf_counter()
        store = self.store
        rows = _page_rows(store)
        self._maybe_fit_idf(len(rows))
        emb = self.embedder()
        self.stats.embedder = emb.name
        pages_path, _ = index_paths(self.cfg.store, "pages")
        pindex = self._open_index(pages_path, emb)
        old_entries = dict(pindex.entries)

        # -- the page index: exactly the stored pages --------------------------------
        wanted: dict[int, list[str]] = {}
        key_to_page: dict[str, tuple[str, str]] = {}
        for r in rows.values():
            pid = stable_id(r.source, r.page_id)
            seen = self._seen.get((r.source, r.page_id))
            if seen is not None:
                entry = [seen.key, r.source, r.page_id, json.dumps(seen.replacements)]
            elif pid in old_entries:
                entry = old_entries[pid]  # not crawled this run (a failed source): keep
            else:
                continue
            wanted[pid] = entry
            key_to_page.setdefault(entry[0], (r.source, r.page_id))

        def page_texts(k: str) -> str | None:
            ref = key_to_page.get(k)
            return self._fetch_text(ref) if ref is not None else None

        pindex.sync(wanted, lambda ks: self._vectors(emb, ks, page_texts, "pages"))
        self.stats.indexed_pages = len(pindex)
        removed_ids = set(old_entries) - set(pindex.entries)
        changed_ids = {
            i
            for i, e in pindex.entries.items()
            if i not in old_entries or old_entries[i][0] != e[0]
        }

        # -- the code index --------------------------------------------------------
        heads = dict(repo_set.fingerprints) if repo_set is not None else {}
        cindex: VectorIndex | None = None
        if self.scfg.code_index and repo_set is not None and repo_set.repos:
            cindex = self._sync_code(emb, repo_set, heads)

        # -- which pages may have new signals -------------------------------------
        fp = f"{self.scfg.fingerprint()}|{emb.name}"
        everything = (
            pindex.rebuilt
            or pindex.extra.get("settings") != fp
            or pindex.extra.get("heads") != heads
        )
        rechecked = {
            (s, p)
            for s, p in store.conn.execute(
                "SELECT source, page_id FROM verdicts WHERE run_id = ?", (result.run_id,)
            )
        }
        by_id = {stable_id(s, p): (s, p) for (s, p) in rows}
        # pages whose accepted findings (triage baseline) changed since the last pass
        accepted = _accepted_fingerprints(store)
        before_acc = pindex.extra.get("accepted", {})
        triaged = {
            tuple(k.split(":", 1))
            for k in set(accepted) | set(before_acc)
            if accepted.get(k) != before_acc.get(k)
        }
        facts_cache: dict[tuple[str, str], PageFacts] = {}

        def facts(key: tuple[str, str]) -> PageFacts:
            if key not in facts_cache:
                facts_cache[key] = _facts(store, rows[key], pindex.entries.get(stable_id(*key)))
            return facts_cache[key]

        import numpy as np

        vec_cache: dict[int, np.ndarray] = {}

        def vectors_of(ids: Sequence[int]) -> dict[int, np.ndarray]:
            need = [i for i in ids if i not in vec_cache and i in pindex.entries]
            if need:
                got = self._vectors(emb, [pindex.entries[i][0] for i in need], page_texts, "pages")
                for i in need:
                    v = got.get(pindex.entries[i][0])
                    if v is not None:
                        vec_cache[i] = v
            return {i: vec_cache[i] for i in ids if i in vec_cache}

        floor = min(self.scfg.superseded_similarity, self.scfg.duplicate_similarity)
        if everything:
            candidates = set(rows)
        else:
            seeds = {stable_id(*k) for k in rechecked | triaged if k in rows} | changed_ids
            candidates = {by_id[i] for i in seeds if i in by_id}
            seed_vecs = vectors_of(sorted(seeds))
            # neighbours of what changed, and of what is gone (its vector is cached)
            gone_keys = [old_entries[i][0] for i in removed_ids]
            gone = self._vectors(emb, gone_keys, lambda k: None, "pages") if gone_keys else {}
            qs = list(seed_vecs.values()) + [v for v in gone.values()]
            if qs:
                for hits in pindex.search(np.stack(qs), NEIGHBOURS + 1):
                    candidates |= {by_id[i] for i, s in hits if s >= floor and i in by_id}
            # pages whose stored semantic signals name a page that changed or is gone
            named = {f"{e[1]}:{e[2]}" for i, e in old_entries.items() if i in removed_ids}
            named |= {f"{by_id[i][0]}:{by_id[i][1]}" for i in seeds if i in by_id}
            for s, p, sig in store.conn.execute(
                "SELECT source, page_id, signals FROM verdicts WHERE signals LIKE '%superseded%' "
                "OR signals LIKE '%duplicate%'"
            ):
                if any(n in sig for n in named) and (s, p) in rows:
                    candidates.add((s, p))
        busy = everything or bool(candidates)  # else nothing changed: nothing to do
        subjects = _SubjectIndex(store) if busy and self.scfg.superseded_shared_claims > 0 else None
        if subjects is not None and not everything:
            # older pages that share claims with what changed (a low cosine is made up
            # for by shared claims; see superseded_signal)
            for i in seeds:
                if i in by_id:
                    candidates |= {
                        k
                        for k, _ in subjects.sharing(by_id[i], self.scfg.superseded_shared_claims)
                        if k in rows
                    }

        # -- near-duplicate texts: every page's shingle sketch, grouped ---------------
        sketches = (
            self._sketches(pindex, page_texts)
            if busy and self.scfg.duplicate_text_similarity > 0
            else {}
        )
        same_text = text_edges(sketches, self.scfg.duplicate_text_similarity)
        text_groups, _ = duplicate_groups(sketches, 0.0, text=same_text)
        if not everything:
            seed_ids = {stable_id(*k) for k in candidates}
            for i in seed_ids & set(text_groups):
                candidates |= {by_id[j] for j in text_groups[i] if j in by_id}
        self.stats.evaluated = len(candidates)

        # -- signals -----------------------------------------------------------------
        cand_ids = sorted(stable_id(*k) for k in candidates)
        cand_vecs = vectors_of(cand_ids)
        order = [i for i in cand_ids if i in cand_vecs]
        neighbours: dict[int, list[tuple[int, float]]] = {}
        code_hits: dict[int, list[tuple[int, float]]] = {}
        if order:
            q = np.stack([cand_vecs[i] for i in order])
            for i, hits in zip(order, pindex.search(q, NEIGHBOURS + 1), strict=True):
                neighbours[i] = [(j, s) for j, s in hits if j != i and s >= floor]
            if cindex is not None and len(cindex) and self.scfg.drift_code_neighbours:
                for i, hits in zip(
                    order, cindex.search(q, self.scfg.drift_code_neighbours), strict=True
                ):
                    code_hits[i] = [(j, s) for j, s in hits if s >= self.scfg.drift_code_similarity]
        cosine_edges = [
            (i, j, s)
            for i, hits in neighbours.items()
            for j, s in hits
            if s >= self.scfg.duplicate_similarity
        ]
        groups, dup_edges = duplicate_groups(sketches, 0.0, cosine_edges, text=same_text)
        histories = self._histories(repo_set, [facts(k) for k in candidates])
        new_signals: dict[tuple[str, str], list[Signal]] = {}
        for key in sorted(candidates):
            f = facts(key)
            pid = stable_id(*key)
            near = [(facts(by_id[j]), s) for j, s in neighbours.get(pid, []) if j in by_id]
            if subjects is not None and _may_be_superseded(f):
                # pages on the same topic by the claims both make, whatever their cosine
                have = {j for j, _ in neighbours.get(pid, [])}
                extra = [
                    stable_id(*k)
                    for k, _ in subjects.sharing(key, self.scfg.superseded_shared_claims)
                    if k in rows and stable_id(*k) not in have
                ]
                vecs = vectors_of([pid, *extra])
                for j in extra:
                    if pid in vecs and j in vecs:
                        near.append((facts(by_id[j]), float(vecs[pid] @ vecs[j])))
            sigs: list[Signal] = []
            words = None
            if any(o.replacements for o, _ in near):
                text = self._fetch_text(key)
                words = text_words(text) if text is not None else None
            sup = superseded_signal(f, words, near, self.scfg)
            if sup is not None:
                sigs.append(sup)
            files = _evidence_files(f)
            if cindex is not None:
                for j, _ in code_hits.get(pid, []):
                    e = cindex.entries.get(j)
                    if e is not None and (not f.repos or e[1] in f.repos):
                        files.add((e[1], e[2]))
            drift = drift_signal(f, files, histories, self.scfg)
            if drift is not None:
                sigs.append(drift)
            dup = duplicate_signal(
                f,
                [
                    (facts(by_id[j]), *_dup_similarity(pid, j, dup_edges, sketches))
                    for j in groups.get(pid, [])
                    if j in by_id
                ],
            )
            if dup is not None:
                sigs.append(dup)
            new_signals[key] = sigs
            for s in sigs:
                self.stats.signals[s.kind] = self.stats.signals.get(s.kind, 0) + 1

        self._rejudge(result, new_signals)

        pindex.extra.update({"settings": fp, "heads": heads, "accepted": accepted})
        pindex.save()
        keep = {e[0] for e in pindex.entries.values()}
        store.prune_embeddings(SKETCH_NAME, keep)
        if cindex is not None:
            keep |= {e[0] for e in cindex.entries.values()}
        store.prune_embeddings(emb.name, keep)
        result.timings["semantic"] = result.timings.get("semantic", 0.0) + (
            time.perf_counter() - t0
        )
        return self.stats

    def _open_index(self, path: Path, emb: Embedder) -> VectorIndex:
        """The index at `path` if it was built by this embedder for this store, else empty."""
        idx = VectorIndex.open(
            path, emb.name, emb.dim, approximate_above=self.scfg.approximate_index_above
        )
        token = self.store.embedding_token()
        if idx.extra.get("store") != token:
            idx = VectorIndex(
                path, emb.name, emb.dim, approximate_above=self.scfg.approximate_index_above
            )
        idx.extra["store"] = token
        return idx

    def _sketches(
        self, pindex: VectorIndex, texts: Callable[[str], str | None]
    ) -> dict[int, np.ndarray]:
        """page id -> the shingle sketch of its text, from the cache in the store
        (keyed like the vectors, by the text's content hash), made for new texts."""
        import numpy as np

        keys = [e[0] for e in pindex.entries.values()]
        found = {
            k: np.frombuffer(v, dtype=np.uint32)
            for k, v in self.store.cached_embeddings(keys, SKETCH_NAME).items()
        }
        todo = [k for k in dict.fromkeys(keys) if k not in found]
        for i in range(0, len(todo), EMBED_BATCH):
            rows = []
            for k in todo[i : i + EMBED_BATCH]:
                t = texts(k)
                if t is None:
                    continue
                found[k] = text_sketch(t)
                rows.append((k, found[k].tobytes()))
            self.store.save_embeddings(SKETCH_NAME, SKETCH_SIZE, rows)
        return {i: found[e[0]] for i, e in pindex.entries.items() if e[0] in found}

    def _sync_code(self, emb: Embedder, repo_set: RepoSet, heads: Mapping[str, str]) -> VectorIndex:
        code_path, _ = index_paths(self.cfg.store, "code")
        cindex = self._open_index(code_path, emb)
        done = dict(cindex.extra.get("heads", {}))
        wanted: dict[int, list[str]] = {}
        texts: dict[str, str] = {}
        for name, root in repo_set.repos:
            if cindex.entries and done.get(name) == heads.get(name) and heads.get(name):
                wanted.update({i: e for i, e in cindex.entries.items() if e[1] == name})
                continue
            chunks = repo_chunks(name, Path(root))
            for cid, ch in zip(chunk_ids(chunks), chunks, strict=True):
                t = ch.embed_text()
                k = text_key(t)
                texts[k] = t
                wanted[cid] = [k, ch.repo, ch.path, ch.name, str(ch.start), str(ch.end)]
        cindex.sync(wanted, lambda ks: self._vectors(emb, ks, texts.get, "chunks"))
        cindex.extra["heads"] = dict(heads)
        cindex.save()
        self.stats.indexed_chunks = len(cindex)
        return cindex

    def _histories(
        self, repo_set: RepoSet | None, pages: Sequence[PageFacts]
    ) -> dict[str, RepoHistory]:
        if repo_set is None or not pages:
            return {}
        dates = [p.date for p in pages if p.date is not None and not p.record]
        if not dates:
            return {}
        since = min(dates)
        return {name: RepoHistory.read(name, Path(root), since) for name, root in repo_set.repos}

    def _rejudge(
        self, result: ScanResult, new_signals: Mapping[tuple[str, str], Sequence[Signal]]
    ) -> None:
        from stale.triage import rejudge_page

        store = self.store
        for key, sigs in new_signals.items():
            old = store.verdict(*key)
            if old is None or old.error:
                continue
            before = [_sig_id(s) for s in old.signals if s.kind in SEMANTIC_KINDS]
            if sorted(before) == sorted(_sig_id(s) for s in sigs):
                continue
            verdict = rejudge_page(
                store, key[0], key[1], self.cfg.judge, signals=sigs, replace_kinds=SEMANTIC_KINDS
            )
            if verdict is None:
                continue
            self.stats.rejudged += 1
            if verdict.status is not old.status and (key in self._seen or key in self._rechecked):
                o, n = str(old.status), str(verdict.status)
                result.counts[o] = max(0, result.counts.get(o, 0) - 1)
                result.counts[n] = result.counts.get(n, 0) + 1
                if verdict.status is not Status.CURRENT and key in result.newly_current:
                    result.newly_current.remove(key)
                if verdict.status is not Status.STALE and key in result.newly_stale:
                    result.newly_stale.remove(key)


def _may_be_superseded(f: PageFacts) -> bool:
    """Whether a page has a claim about now that the code does not confirm."""
    if f.record or f.date is None:
        return False
    return any(
        not d.claim.historical
        and d.claim.kind not in HINT_KINDS
        and d.outcome is not Outcome.CONFIRMED
        and d.accepted is None
        for d in f.findings
    )


class _SubjectIndex:
    """Which pages state which claim subjects about now (one read of the claims
    table): the pages that share claims with a page."""

    #: A subject stated on more pages than this is common ground, not a topic.
    MAX_POSTING = 200

    def __init__(self, store: Store) -> None:
        ids: dict[tuple[str, str], int] = {}
        self._page_no: dict[tuple[str, str], int] = {}
        self._pages: list[tuple[str, str]] = []
        self._subjects: list[set[int]] = []
        self._posting: dict[int, list[int]] = {}
        for src, page_id, kind, subject in store.conn.execute(
            "SELECT source, page_id, kind, subject FROM claims WHERE historical = 0 "
            "AND outcome IS NOT NULL AND kind NOT IN ('date', 'marker')"
        ):
            key = (src, page_id)
            no = self._page_no.get(key)
            if no is None:
                no = self._page_no[key] = len(self._pages)
                self._pages.append(key)
                self._subjects.append(set())
            sid = ids.setdefault((kind, norm_subject(kind, subject)), len(ids))
            if sid not in self._subjects[no]:
                self._subjects[no].add(sid)
                self._posting.setdefault(sid, []).append(no)

    def sharing(
        self, page: tuple[str, str], min_share: float, limit: int = SHARED_NEIGHBOURS
    ) -> list[tuple[tuple[str, str], int]]:
        """Pages with at least MIN_SHARED_SUBJECTS subjects in common with `page`,
        making at least `min_share` of the smaller one's: the most shared first."""
        no = self._page_no.get(page)
        if no is None:
            return []
        mine = self._subjects[no]
        counts: dict[int, int] = {}
        for sid in mine:
            posting = self._posting.get(sid, ())
            if len(posting) > self.MAX_POSTING:
                continue
            for other in posting:
                if other != no:
                    counts[other] = counts.get(other, 0) + 1
        hits = [
            (self._pages[o], n)
            for o, n in counts.items()
            if n >= MIN_SHARED_SUBJECTS and n / min(len(mine), len(self._subjects[o])) >= min_share
        ]
        hits.sort(key=lambda t: (-t[1], t[0]))
        return hits[:limit]


def _dup_similarity(
    a: int, b: int, edges: Mapping[tuple[int, int], float], sketches: Mapping[int, np.ndarray]
) -> tuple[float, str]:
    """How alike two pages of one duplicate group are: their text (shingle Jaccard),
    or the embedder's cosine where that is what joined them."""
    key = (min(a, b), max(a, b))
    sa, sb = sketches.get(a), sketches.get(b)
    text = sketch_jaccard(sa, sb) if sa is not None and sb is not None else 0.0
    if key in edges and edges[key] > text:
        return edges[key], "cosine"
    return text, "text"


def _accepted_fingerprints(store: Store) -> dict[str, str]:
    """`source:page_id` -> a hash of its accepted findings and their reasons."""
    import hashlib

    per: dict[str, list[str]] = {}
    for (s, p, k), reason in store.accepted().items():
        per.setdefault(f"{s}:{p}", []).append(f"{k}\x1f{reason}")
    return {
        page: hashlib.sha1("\x1e".join(sorted(v)).encode()).hexdigest()[:16]
        for page, v in per.items()
    }


def _sig_id(s: Signal) -> tuple[str, str, float]:
    return (s.kind, s.message, round(s.weight, 6))


@dataclass(frozen=True)
class _Row:
    source: str
    page_id: str
    title: str
    last_modified: datetime | None
    properties: tuple[tuple[str, str], ...]
    repos: tuple[str, ...]


def _page_rows(store: Store) -> dict[tuple[str, str], _Row]:
    """Every stored page, with what the signals need from its row."""
    src_repos = {r.name: r.repos for r in store.sources()}
    out: dict[tuple[str, str], _Row] = {}
    for s, p, title, lm, props in store.conn.execute(
        "SELECT source, page_id, title, last_modified, properties FROM pages"
    ):
        properties = tuple((str(k), str(v)) for k, v in json.loads(props or "[]"))
        declared = dict(properties).get("repos") or dict(properties).get("repo") or ""
        repos = tuple(n.strip() for n in declared.replace(";", ",").split(",") if n.strip())
        out[(s, p)] = _Row(
            s,
            p,
            title,
            datetime.fromisoformat(lm) if lm else None,
            properties,
            repos or tuple(src_repos.get(s, ())),
        )
    return out


def _facts(store: Store, row: _Row, entry: Sequence[str] | None) -> PageFacts:
    from stale.judge import page_date

    pairs = store.claims(row.source, row.page_id)
    claims = [c for c, _ in pairs]
    findings = [f for _, f in pairs if f is not None]
    page = Page(
        source=row.source,
        page_id=row.page_id,
        url="",
        title=row.title,
        body="",
        content_type="markdown",
        last_modified=row.last_modified,
        properties=row.properties,
    )
    when = page_date(page, claims)
    date = when[0] if when else None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    checkable = [c for c in claims if c.kind not in (ClaimKind.DATE, ClaimKind.MARKER)]
    record = bool(checkable) and all(c.historical for c in checkable)
    if not record:
        from stale.extract.context import page_is_historical

        try:
            record = page_is_historical(page)
        except Exception:
            record = False
    replacements: list[tuple[str, str, str]] = []
    if entry is not None and len(entry) > 3:
        try:
            replacements = [(str(a), str(b), str(c)) for a, b, c in json.loads(entry[3])]
        except (ValueError, TypeError):
            replacements = []
    return PageFacts(
        source=row.source,
        page_id=row.page_id,
        title=row.title,
        date=date,
        findings=findings,
        record=record,
        replacements=replacements,
        repos=row.repos,
    )


def _evidence_files(f: PageFacts) -> set[tuple[str, str]]:
    """(repo, path) of the evidence of the page's resolved claims about now."""
    out: set[tuple[str, str]] = set()
    for fd in f.findings:
        if fd.claim.historical or str(fd.outcome) == "unverifiable":
            continue
        for e in fd.evidence:
            if e.path:
                out.add((e.repo, e.path))
    return out


__all__ = ["DRIFT", "SemanticPass", "SemanticStats", "idf_path", "open_embedder", "page_text"]
