"""What claim extraction costs per page, stage by stage.

    python -m bench.extract                       # 3000 pages of /tmp/p3/c10k-base/wiki
    python -m bench.extract --wiki .stale/bench-corpus/wiki --pages 0 --runs 7
    python -m bench.extract --generate 3000       # pages from bench.scale.page_text

Prints milliseconds per page for

* ``md.parse``   markdown-it-py's own parse (the floor: a front end cannot be cheaper),
* ``front end``  :func:`stale.extract.markdown.parse_markdown` (includes md.parse;
                 HTML pages go through :func:`stale.extract.html.parse_html`),
* ``classify``   ``Classifier(split_lines(body)).run(segments)`` on ready segments,
* ``extract``    :func:`stale.extract.extract_claims`, all of it,
* ``keys x65``   65 reads of ``Claim.key`` for every claim, about what a scan does,

each the median (and the minimum: on a busy machine the steadier figure) of
``--runs`` passes over the same pages. Every pass starts with
the extractor's memo caches cleared, so a pass costs what a fresh scan process
pays for those pages (repeats *within* a pass still hit the caches, as in a scan).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stale.model import Page

DEFAULT_WIKI = Path("/tmp/p3/c10k-base/wiki")
KEY_READS = 65


def load_pages(wiki: Path, limit: int) -> list[Page]:
    """Up to `limit` pages (0: all) of a folder of .md/.html files, in path order."""
    from stale.model import Page

    files = sorted(p for p in wiki.rglob("*") if p.suffix in (".md", ".html") and p.is_file())
    if limit:
        files = files[:limit]
    pages = []
    for p in files:
        rel = p.relative_to(wiki).as_posix()
        ctype = "html" if p.suffix == ".html" else "markdown"
        body = p.read_text(encoding="utf-8", errors="replace")
        pages.append(Page("wiki", rel, "", p.stem, body, ctype))
    return pages


def generated_pages(n: int, seed: int = 1) -> list[Page]:
    """`n` pages the way bench.scale writes them (facts made up, no repository)."""
    from bench.scale import page_text
    from stale.model import Page

    rng = random.Random(seed)
    facts = []
    for k in range(200):
        kind = ("py", "yaml", "sh")[k % 3]
        facts.append(
            {
                "kind": kind,
                "env": f"SVC{k:03d}_DB_URL",
                "symbol": f"run_job_{k}",
                "flag": f"--job-{k}",
                "default": str(k % 50 + 1),
                "path": f"svc{k % 10:03d}/job_{k}.{'py' if kind == 'py' else 'yaml'}",
                "key": f"job_{k}.pool_size",
                "value": str(k % 40 + 2),
            }
        )
    return [
        Page("wiki", f"page{i:06d}.md", "", f"page{i:06d}", page_text(i, rng, facts), "markdown")
        for i in range(n)
    ]


def clear_caches() -> None:
    """Empty every functools cache in the extractor's modules."""
    for name, mod in list(sys.modules.items()):
        if not (name == "stale.model" or name.startswith("stale.extract")):
            continue
        for obj in vars(mod).values():
            clear = getattr(obj, "cache_clear", None)
            if callable(clear):
                clear()


def _time(fn: Callable[[], object]) -> float:
    clear_caches()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(pages: list[Page], runs: int) -> dict[str, float]:
    """Median ms/page of each stage over `runs` passes."""
    from stale.extract import FRONT_ENDS, extract_claims
    from stale.extract.classify import Classifier
    from stale.extract.markdown import _parser
    from stale.extract.suppress import split_lines

    md = [p.body for p in pages if p.content_type == "markdown"]
    fronts = [(FRONT_ENDS[p.content_type], p.body) for p in pages]
    segs = [(split_lines(body), front(body)) for front, body in fronts]
    claims = [extract_claims(p) for p in pages]

    def parse() -> None:
        parser = _parser()
        for body in md:
            parser.parse(body)

    def front_end() -> None:
        for front, body in fronts:
            front(body)

    def classify() -> None:
        for lines, seg in segs:
            Classifier(lines).run(seg)

    def extract() -> None:
        for p in pages:
            extract_claims(p)

    def fresh_keys() -> None:
        for p in pages:
            for c in extract_claims(p):
                for _ in range(KEY_READS):
                    _ = c.key

    # the inputs made above stay alive through the timings: freeze them so that the
    # garbage collector's full passes do not walk them (a scan holds no such heap of
    # every page's segments, and the stages would be charged for it)
    gc.collect()
    gc.freeze()
    stages: dict[str, Callable[[], object]] = {
        "md.parse": parse,
        "front end": front_end,
        "classify": classify,
        "extract": extract,
        f"extract+keys x{KEY_READS}": fresh_keys,
    }
    out: dict[str, float] = {}
    for name, fn in stages.items():
        n = len(md) if name == "md.parse" else len(pages)
        times = [_time(fn) for _ in range(runs)]
        out[name] = 1000 * statistics.median(times) / max(n, 1)
        out[f"{name} (min)"] = 1000 * min(times) / max(n, 1)
    out["claims/page"] = sum(len(c) for c in claims) / max(len(pages), 1)
    gc.unfreeze()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__.split("\n")[0])
    ap.add_argument("--wiki", type=Path, default=DEFAULT_WIKI, help="folder of .md/.html pages")
    ap.add_argument("--pages", type=int, default=3000, help="first N pages (0: all)")
    ap.add_argument("--generate", type=int, default=0, help="use N bench.scale pages instead")
    ap.add_argument("--runs", type=int, default=5, help="passes; the median is reported")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--root", type=Path, help="import stale from this checkout (e.g. a base commit's worktree)"
    )
    args = ap.parse_args(argv)
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))

    if args.generate or not args.wiki.is_dir():
        pages = generated_pages(args.generate or args.pages or 3000)
        where = "bench.scale.page_text"
    else:
        pages = load_pages(args.wiki, args.pages)
        where = str(args.wiki)
    res: dict[str, Any] = measure(pages, args.runs)
    if args.json:
        print(json.dumps({"pages": len(pages), "source": where, **res}, indent=2))
        return 0
    import stale

    print(f"{len(pages)} pages from {where}, median of {args.runs} runs, {stale.__file__}")
    print(f"  {'':<20} {'median':>8} {'min':>8}  ms/page")
    for name, v in res.items():
        if name.endswith(" (min)"):
            continue
        if name == "claims/page":
            print(f"  {name:<20} {v:8.3f}")
        else:
            print(f"  {name:<20} {v:8.3f} {res[name + ' (min)']:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
