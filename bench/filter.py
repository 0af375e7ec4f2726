"""What the retrieval filter costs next to the retrieval it filters.

    python -m bench.filter            # make bench-filter
    python -m bench.filter --pages 20000 --docs 20000 --json

Builds a synthetic manifest of N pages (a mix of Markdown, Confluence and MediaWiki
addresses), loads it with `StalenessFilter.from_manifest`, then filters D retrieved
documents in batches of 10. The documents name their page the ways real pipelines do:
URLs in other spellings with tracking noise (every one distinct, so the URL cache does
not help), page ids, file paths, `source:page_id`, and 10% that match no page.

Compared with one faiss `IndexFlatIP` search (k=10) over N random 384-d float32
vectors: the target is that filtering the 10 hits of a search adds < 1% to it.
Memory is the tracemalloc peak of loading the filter. faiss is imported here only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from stale.filter import StalenessFilter
from stale.manifest import PageStatus, write_manifest

STATUSES = ("current",) * 6 + ("suspect",) * 2 + ("stale",) + ("unknown",)
WORDS = ("deploy billing runbook setup guide api oncall database cache queue auth release").split()  # noqa: SIM905


def synthetic_pages(n: int, rng: random.Random) -> list[PageStatus]:
    pages = []
    for i in range(n):
        kind = i % 10
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
        if kind < 6:
            source, pid = "wiki", f"team{i % 97}/{rng.choice(WORDS)}-{i}.md"
            url = f"https://git.acme.com/wiki/blob/main/{pid}"
        elif kind < 8:
            source, pid = "confluence", str(100000 + i)
            slug = title.replace(" ", "+")
            url = f"https://acme.atlassian.net/wiki/spaces/S{i % 13}/pages/{pid}/{slug}"
        else:
            source, pid = "mediawiki", title
            url = f"https://mw.acme.com/wiki/{title.replace(' ', '_')}"
        status = STATUSES[rng.randrange(len(STATUSES))]
        pages.append(
            PageStatus(
                source=source,
                page_id=pid,
                status=status,
                url=url,
                title=title,
                score={"stale": 0.9, "suspect": 0.5}.get(status, 0.0),
                checked_at="2025-03-02T10:00:00+00:00",
                content_hash=f"{i:064x}",
                reasons=("a reason why",) if status in ("stale", "suspect") else (),
            )
        )
    return pages


def synthetic_docs(pages: list[PageStatus], n: int, rng: random.Random) -> list[dict[str, Any]]:
    docs = []
    for j in range(n):
        p = pages[rng.randrange(len(pages))]
        r = rng.random()
        if r < 0.1:
            md: dict[str, Any] = {"source": f"https://elsewhere.example/doc/{j}"}
        elif r < 0.45:  # another spelling of the URL, tracking noise, fragment
            u = p.url.replace("https://", "HTTP://", 1)
            if p.source == "confluence":
                u = f"https://acme.atlassian.net/wiki/pages/viewpage.action?pageId={p.page_id}"
            elif p.source == "mediawiki":
                u = f"https://mw.acme.com/w/index.php?title={p.page_id.replace(' ', '%20')}"
            sep = "&" if "?" in u else "?"
            md = {"source": f"{u}{sep}utm_source=bench&utm_term={j}#s{j % 7}"}
        elif r < 0.65:
            md = {"url": p.url}
        elif r < 0.8:
            md = {"page_id": p.page_id}
        elif r < 0.95 and p.source == "wiki":
            md = {"file_path": f"/srv/checkouts/wiki/{p.page_id}"}
        else:
            md = {"id": p.key}
        docs.append({"page_content": f"chunk {j}", "metadata": md, "score": 1.0 - j / n})
    return docs


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def bench_filter(flt: StalenessFilter, docs: list[dict[str, Any]], batch: int) -> dict[str, Any]:
    batches = [docs[i : i + batch] for i in range(0, len(docs), batch)]
    for b in batches[:200]:  # warm up
        flt.apply(b)
    per_batch: list[float] = []
    kept = 0
    clock = time.perf_counter_ns
    for b in batches:
        t0 = clock()
        out = flt.apply(b)
        per_batch.append((clock() - t0) / 1000.0)
        kept += len(out)
    per_doc = [t / batch for t in per_batch]
    matched = sum(1 for d in docs if flt.lookup(d["metadata"]) is not None)
    return {
        "batches": len(batches),
        "batch_size": batch,
        "batch_us_median": statistics.median(per_batch),
        "batch_us_p99": pct(per_batch, 0.99),
        "doc_us_median": statistics.median(per_doc),
        "doc_us_p99": pct(per_doc, 0.99),
        "kept_fraction": kept / len(docs),
        "matched_fraction": matched / len(docs),
    }


def bench_faiss(n: int, queries: int, rng_seed: int) -> dict[str, Any] | None:
    try:
        import faiss
        import numpy as np
    except ImportError as e:
        print(f"faiss not installed ({e}); skipping the comparison", file=sys.stderr)
        return None
    gen = np.random.default_rng(rng_seed)
    xb = gen.standard_normal((n, 384), dtype=np.float32)
    faiss.normalize_L2(xb)
    index = faiss.IndexFlatIP(384)
    index.add(xb)
    xq = gen.standard_normal((queries, 384), dtype=np.float32)
    faiss.normalize_L2(xq)
    for i in range(min(20, queries)):
        index.search(xq[i : i + 1], 10)
    times = []
    for i in range(queries):
        t0 = time.perf_counter_ns()
        index.search(xq[i : i + 1], 10)
        times.append((time.perf_counter_ns() - t0) / 1000.0)
    return {
        "vectors": n,
        "dim": 384,
        "k": 10,
        "queries": queries,
        "threads": faiss.omp_get_max_threads(),
        "query_us_median": statistics.median(times),
        "query_us_p99": pct(times, 0.99),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.filter", description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--queries", type=int, default=300, help="faiss queries to time")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    pages = synthetic_pages(args.pages, rng)
    docs = synthetic_docs(pages, args.docs, rng)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "verdicts.jsonl"
        t0 = time.perf_counter()
        write_manifest(pages, manifest, run_id=1)
        export_s = time.perf_counter() - t0
        size = manifest.stat().st_size
        del pages

        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        probe = StalenessFilter.from_manifest(manifest, auto_reload=False)
        mem = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        mem_mb = (mem[0] - base) / 2**20
        peak_mb = (mem[1] - base) / 2**20
        del probe

        t0 = time.perf_counter()
        flt = StalenessFilter.from_manifest(manifest, auto_reload=False)
        load_s = time.perf_counter() - t0
        res = bench_filter(flt, docs, args.batch)

    fa = bench_faiss(args.pages, args.queries, args.seed)
    out: dict[str, Any] = {
        "pages": args.pages,
        "manifest_bytes": size,
        "manifest_write_s": round(export_s, 3),
        "filter_load_s": round(load_s, 3),
        "filter_memory_mb": round(mem_mb, 1),
        "filter_load_peak_mb": round(peak_mb, 1),
        "filter": res,
        "faiss": fa,
    }
    if fa:
        out["batch_over_faiss_query"] = res["batch_us_median"] / fa["query_us_median"]
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"pages: {args.pages:,}  manifest: {size / 2**20:.1f} MiB (written in {export_s:.2f} s)")
    print(
        f"filter: loaded in {load_s:.2f} s, {mem_mb:.0f} MiB held "
        f"(peak {peak_mb:.0f} MiB while loading, tracemalloc)"
    )
    print(
        f"filter: {args.docs:,} docs in batches of {args.batch}: per doc median "
        f"{res['doc_us_median']:.2f} us, p99 {res['doc_us_p99']:.2f} us; per batch median "
        f"{res['batch_us_median']:.1f} us, p99 {res['batch_us_p99']:.1f} us "
        f"({res['matched_fraction']:.0%} matched, {res['kept_fraction']:.0%} kept)"
    )
    if fa:
        print(
            f"faiss IndexFlatIP {args.pages:,} x 384, k=10, one query: median "
            f"{fa['query_us_median']:.0f} us, p99 {fa['query_us_p99']:.0f} us "
            f"({fa['threads']} threads)"
        )
        ratio = out["batch_over_faiss_query"]
        verdict = "OK" if ratio < 0.01 else "over the 1% target"
        print(f"filtering 10 hits / one search: {ratio:.2%} ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
