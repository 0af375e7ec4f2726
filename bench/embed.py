"""Embedding benchmark (docs/semantic.md).

    python -m bench.embed [--pages 160] [--recall-pages 2000] [--json]

Prints

- embedding throughput (pages/s) of the built-in hashing embedder and of the
  sentence-transformers path (a tiny BERT built offline: hidden 64, 2 layers; a
  real model is slower) on the quality corpus's pages;
- the time of a full scan of the quality corpus (bench/corpus) against a re-scan
  after 1% of its pages changed, with how many pages each embedded;
- recall@10 of the approximate index (faiss IVF, as `[semantic]
  approximate_index_above` switches to) against exact search, on the page
  embeddings of a larger generated corpus (every page queried).

Everything runs offline; corpora are built under .stale/ and reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEST = Path(".stale")


def _texts(wiki: Path) -> list[str]:
    from connectors.markdown import MarkdownFolderConnector
    from stale.semantic.scanpass import page_text

    conn = MarkdownFolderConnector.from_config("wiki", {"path": str(wiki)})
    return [page_text(p) for p in conn.pages()]


def build_tiny_model(out: Path) -> Path:
    """A real sentence-transformers model, built offline (WordPiece + tiny BERT + mean pooling)."""
    from stale.semantic.st import _quiet_progress

    _quiet_progress()
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    lines = [
        f"{a} the {b} of the service with {c}"
        for a in ("deploy", "rotate", "restart", "configure", "migrate", "monitor", "scale")
        for b in ("database", "password", "api", "keys", "zone", "region", "queue", "cache")
        for c in ("scripts", "make", "kubectl", "helm", "argocd", "cron", "terraform")
    ]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        lines, trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials)
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=512,
    )
    hf = out / "hf"
    BertModel(cfg).save_pretrained(hf)
    fast.save_pretrained(hf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sentence_transformers import models as st_models

        word = st_models.Transformer(str(hf), max_seq_length=256)
        pool = st_models.Pooling(word.get_word_embedding_dimension(), "mean")
        SentenceTransformer(modules=[word, pool]).save(str(out / "st"))
    return out / "st"


def throughput(texts: Sequence[str], tmp: Path) -> dict[str, Any]:
    from stale.semantic import load_embedder
    from stale.semantic.hashing import HashingEmbedder

    out: dict[str, Any] = {}
    emb = HashingEmbedder()
    emb.fit_idf(texts)
    emb.encode(texts[:8])  # warm
    fresh = HashingEmbedder()
    fresh.set_idf(emb._idf)  # type: ignore[arg-type]  # cold word memo: the honest number
    t0 = time.perf_counter()
    fresh.encode(texts)
    dt = time.perf_counter() - t0
    out["hashing"] = {"name": fresh.name, "pages": len(texts), "pages_per_s": len(texts) / dt}
    try:
        model = build_tiny_model(tmp)
        st = load_embedder(str(model), batch_size=32)
        st.encode(texts[:8])
        t0 = time.perf_counter()
        st.encode(texts)
        dt = time.perf_counter() - t0
        out["sentence-transformers"] = {
            "name": "tiny BERT (hidden 64, 2 layers, max 256 tokens)",
            "pages": len(texts),
            "pages_per_s": len(texts) / dt,
        }
    except ImportError as e:
        out["sentence-transformers"] = {"skipped": str(e)}
    return out


def rescan(info: Any, tmp: Path) -> dict[str, Any]:
    from stale.config import Config, RepoConfig, SourceConfig
    from stale.scan import run_scan
    from stale.store import Store

    wiki = tmp / "wiki"
    shutil.copytree(info.wiki, wiki)
    store_path = tmp / "s.db"
    cfg = Config(
        store=store_path,
        repos=(RepoConfig(info.repo_name, info.repo),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(wiki)}),),
    )

    def run() -> tuple[float, dict[str, Any]]:
        with Store.open(store_path) as store:
            t0 = time.perf_counter()
            res = run_scan(cfg, store)
            return time.perf_counter() - t0, res.as_dict()

    full_s, full = run()
    pages = sorted(
        p for p in wiki.rglob("*") if p.suffix in (".md", ".html") and ".git" not in p.parts
    )
    n = max(1, round(len(pages) * 0.01))
    for p in pages[:: max(1, len(pages) // n)][:n]:
        p.write_text(
            p.read_text(encoding="utf-8") + "\n\nReviewed again this week.\n", encoding="utf-8"
        )
    inc_s, inc = run()
    same_s, _ = run()
    return {
        "pages": full["seen"],
        "changed": n,
        "full_scan_s": full_s,
        "full_semantic_s": full["timings"].get("semantic", 0.0),
        "full_embedded_pages": full["semantic"].get("embedded_pages"),
        "full_embedded_chunks": full["semantic"].get("embedded_chunks"),
        "rescan_1pct_s": inc_s,
        "rescan_semantic_s": inc["timings"].get("semantic", 0.0),
        "rescan_embedded_pages": inc["semantic"].get("embedded_pages"),
        "rescan_embedded_chunks": inc["semantic"].get("embedded_chunks"),
        "rescan_rechecked": inc["rechecked"],
        "unchanged_rescan_s": same_s,
        "embedder": full["embedder"],
    }


def recall(wiki: Path, k: int = 10) -> dict[str, Any]:
    from stale.semantic.hashing import HashingEmbedder
    from stale.semantic.index import VectorIndex, stable_id

    texts = _texts(wiki)
    emb = HashingEmbedder()
    emb.fit_idf(texts)
    vecs = emb.encode(texts)
    keys = [f"p{i}" for i in range(len(texts))]
    ids = np.asarray([stable_id(kk) for kk in keys], dtype=np.int64)
    table = dict(zip(keys, vecs, strict=True))
    with tempfile.TemporaryDirectory() as d:
        flat = VectorIndex(Path(d) / "flat.faiss", emb.name, emb.dim, approximate_above=10**9)
        flat.sync(
            {int(i): [kk] for i, kk in zip(ids, keys, strict=True)},
            lambda ks: {x: table[x] for x in ks},
        )
        ivf = VectorIndex(Path(d) / "ivf.faiss", emb.name, emb.dim, approximate_above=0)
        t0 = time.perf_counter()
        ivf.sync(
            {int(i): [kk] for i, kk in zip(ids, keys, strict=True)},
            lambda ks: {x: table[x] for x in ks},
        )
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        exact = flat.search(vecs, k)
        flat_s = time.perf_counter() - t0
        out: dict[str, Any] = {"pages": len(texts), "kind": ivf.kind, "build_s": build_s}
        import faiss

        nlist = faiss.extract_index_ivf(ivf._faiss()).nlist
        out["nlist"] = nlist
        out["flat_query_ms"] = 1000 * flat_s / len(texts)
        out["by_nprobe"] = {}
        for nprobe in sorted({1, 4, ivf.nprobe, 16, 32}):
            if nprobe > nlist:
                continue
            faiss.extract_index_ivf(ivf._faiss()).nprobe = nprobe
            t0 = time.perf_counter()
            approx = ivf.search(vecs, k)
            dt = time.perf_counter() - t0
            r = np.mean(
                [
                    len({i for i, _ in a} & {i for i, _ in e}) / max(1, len(e))
                    for a, e in zip(approx, exact, strict=True)
                ]
            )
            out["by_nprobe"][nprobe] = {
                "recall_at_10": float(r),
                "query_ms": 1000 * dt / len(texts),
                "default": nprobe == ivf.nprobe,
            }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.embed", description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pages", type=int, default=160, help="quality corpus size (bench.quality's)")
    ap.add_argument("--recall-pages", type=int, default=2000, help="corpus size for recall@10")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from bench.corpus import build_corpus

    info = build_corpus(DEST / "bench-corpus", seed=args.seed, pages=args.pages)
    big = build_corpus(
        DEST / f"bench-corpus-{args.recall_pages}", seed=args.seed, pages=args.recall_pages
    )
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        res = {
            "throughput": throughput(_texts(big.wiki), tmp / "model"),
            "rescan": rescan(info, tmp / "rescan"),
            "recall": recall(big.wiki),
        }
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    t = res["throughput"]
    print(f"== embedding throughput ({t['hashing']['pages']} pages of the generated corpus) ==")
    print(f"  {t['hashing']['name']:<48} {t['hashing']['pages_per_s']:8.0f} pages/s")
    st = t["sentence-transformers"]
    if "pages_per_s" in st:
        print(f"  {'sentence-transformers: ' + st['name']:<48} {st['pages_per_s']:8.0f} pages/s")
    else:
        print(f"  sentence-transformers: skipped ({st['skipped']})")
    r = res["rescan"]
    print(f"== scan of the quality corpus ({r['pages']} pages, embedder {r['embedder']}) ==")
    print(
        f"  full scan      {r['full_scan_s']:6.2f}s (semantic {r['full_semantic_s']:.2f}s; "
        f"embedded {r['full_embedded_pages']} pages, {r['full_embedded_chunks']} code chunks)"
    )
    print(
        f"  1% changed     {r['rescan_1pct_s']:6.2f}s (semantic {r['rescan_semantic_s']:.2f}s; "
        f"{r['changed']} pages changed, {r['rescan_rechecked']} re-checked, embedded "
        f"{r['rescan_embedded_pages']} pages, {r['rescan_embedded_chunks']} code chunks)"
    )
    print(f"  nothing changed {r['unchanged_rescan_s']:5.2f}s")
    rc = res["recall"]
    print(
        f"== approximate index vs exact, {rc['pages']} page embeddings, every page queried, k=10 =="
    )
    print(
        f"  IVF nlist={rc['nlist']}, built in {rc['build_s']:.2f}s; "
        f"exact {rc['flat_query_ms']:.3f} ms/query"
    )
    for nprobe, v in rc["by_nprobe"].items():
        mark = "  (default)" if v["default"] else ""
        r10, ms = v["recall_at_10"], v["query_ms"]
        print(f"  nprobe={nprobe:<3} recall@10 {r10:.3f}  {ms:.3f} ms/query{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
