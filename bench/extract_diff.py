"""Differential check of claim extraction: this tree against a base commit.

    git worktree add --detach /tmp/extract-base <BASE-COMMIT>
    python -m bench.extract_diff --base /tmp/extract-base
    python -m bench.extract_diff --base /tmp/extract-base --quick   # no 10k wiki, fewer mutants

Collects page bodies from

* the quality corpus (``bench.corpus.build_corpus``, as ``python -m bench.quality``
  builds it; Markdown and Confluence-style HTML) and any other ``.stale/bench-corpus*``,
* the demo wiki (``examples/acme/wiki`` and ``.stale-demo/wiki`` when built),
* ``docs/`` and the top-level ``*.md``,
* ``.md``/``.html``/``.wiki`` files under ``tests/`` and every string literal of the
  test modules that looks like a page body, read as Markdown, HTML and wikitext,
* the generated wiki in ``--c10k`` (default ``/tmp/p3/c10k-base/wiki``; only read),
* ``--mutants`` random variants of all those (cut at random points, lines
  shuffled, spliced, random unicode and markup inserted, ``\\r`` line ends,
  another content type, a history-type title), seeded so a failure reproduces,

then runs :func:`stale.extract.extract_claims` on every one of them in two
subprocesses, one importing ``stale`` from ``--base`` and one from this tree, and
compares every claim field by field (source, page id, kind, subject, value,
context, span line and column, historical, text and key) and every error message.
Exits 1 on the first differences (listed), 0 when there are none.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = Path("/tmp/extract-base")
DEFAULT_C10K = Path("/tmp/p3/c10k-base/wiki")

#: Run inside each subprocess: argv = [root, pages.jsonl, out.jsonl].
WORKER = r"""
import json, sys
root, src, dst = sys.argv[1:4]
sys.path.insert(0, root)
import stale.extract
from stale.extract import ExtractionError, extract_claims
from stale.model import Page
if not stale.extract.__file__.startswith(root):
    sys.exit(f"imported stale from {stale.extract.__file__}, not from {root}")
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        d = json.loads(line)
        d["properties"] = tuple(tuple(p) for p in d["properties"])
        page = Page(**d)
        try:
            got = [
                [c.source, c.page_id, str(c.kind), c.subject, c.value, c.context,
                 c.span.line, c.span.column, c.historical, c.text, c.key]
                for c in extract_claims(page)
            ]
        except ExtractionError as e:
            got = ["error", str(e)]
        out.write(json.dumps(got) + "\n")
"""


# ------------------------------------------------------------------ the pages


def _page(page_id: str, body: str, ctype: str, title: str = "", **kw: Any) -> dict[str, Any]:
    return {
        "source": kw.get("source", "wiki"),
        "page_id": page_id,
        "url": "",
        "title": title or Path(page_id).stem,
        "body": body,
        "content_type": ctype,
        "properties": kw.get("properties", ()),
    }


def folder_pages(root: Path, tag: str) -> list[dict[str, Any]]:
    """Every page of a folder as the Markdown connector reads it (front matter
    stripped, title and properties from it)."""
    from connectors.markdown import MarkdownFolderConnector

    conn = MarkdownFolderConnector(tag, root)
    return [
        _page(
            p.page_id,
            p.body,
            p.content_type,
            p.title,
            source=p.source,
            properties=[list(kv) for kv in p.properties],
        )
        for p in conn.pages()
    ]


def test_literals(tests: Path) -> list[str]:
    """String literals of the test modules that look like page bodies."""
    out: list[str] = []
    for py in sorted(tests.rglob("*.py")):
        try:
            tree = ast.parse(py.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                s = node.value
                if len(s) >= 12 and ("\n" in s or "`" in s or "<" in s or " " in s):
                    out.append(s)
    return list(dict.fromkeys(out))


def corpus_dirs() -> list[Path]:
    """The quality corpus wiki (built or reused as bench.quality does) and the
    other generated corpora under .stale/."""
    from bench.corpus import build_corpus
    from bench.quality import DEFAULT_DEST

    info = build_corpus(ROOT / DEFAULT_DEST, seed=7, pages=160)
    dirs = [info.wiki]
    for extra in sorted((ROOT / ".stale").glob("bench-corpus?*/wiki")):
        if extra.resolve() != info.wiki.resolve():
            dirs.append(extra)
    return dirs


def seed_pages(c10k: Path | None) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    for d in corpus_dirs():
        pages += folder_pages(d, "quality")
    for d in (ROOT / "examples" / "acme" / "wiki", ROOT / ".stale-demo" / "wiki"):
        if d.is_dir():
            pages += folder_pages(d, "demo")
    pages += folder_pages(ROOT / "docs", "docs")
    for md in sorted(ROOT.glob("*.md")):
        pages.append(_page(md.name, md.read_text(encoding="utf-8"), "markdown", source="top"))
    tests = ROOT / "tests"
    for f in sorted(tests.rglob("*")):
        kind = {".md": "markdown", ".html": "html", ".htm": "html", ".wiki": "wikitext"}
        if f.is_file() and f.suffix in kind:
            body = f.read_text(encoding="utf-8", errors="replace")
            pages.append(_page(f.relative_to(tests).as_posix(), body, kind[f.suffix]))
    for i, s in enumerate(test_literals(tests)):
        for ctype in ("markdown", "html", "wikitext"):
            pages.append(_page(f"literal{i:05d}", s, ctype, source="tests"))
    if c10k is not None and c10k.is_dir():
        pages += folder_pages(c10k, "c10k")
    return pages


# ------------------------------------------------------------------ mutants

#: What random edits insert: markup, unicode that changes length when case-mapped,
#: surrogates, line ends of every kind, and phrases that trigger claim kinds.
SNIPPETS = (
    "`",
    "``",
    "```",
    "~~~",
    "*",
    "_",
    "|",
    "#",
    "## ",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\t",
    "<",
    ">",
    "&",
    "&amp;",
    "$",
    "${",
    "}",
    "{",
    "[",
    "](",
    ")",
    "(",
    ":",
    "=",
    "-",
    "--",
    ".",
    ". ",
    "? ",
    "! ",
    " ",
    "\u00a0",
    "\u200b",
    "é",
    "İ",
    "ß",
    "ﬁ",
    "Σ",
    "\U0001f600",
    "\ud800",
    "\x00",
    "\x1f",
    "3",
    "11",
    "2023",
    "A",
    "Z_",
    "e.g. ",
    "vs. ",
    "<!-- stale: ignore -->",
    "<!-- stale: ignore --region -->",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<p>",
    "</p>",
    "<table><tr><td>",
    "</td></tr></table>",
    "{|",
    "|}",
    "<syntaxhighlight lang=bash>",
    "</syntaxhighlight>",
    "[[",
    "]]",
    "''",
    "'''",
    "Python 3.11",
    "Node.js 18",
    "Go 1.21",
    "postgres:15",
    " defaults to ",
    " default ",
    "Last updated: 3 March 2023",
    "as of Q2 2022",
    "Updated 2024-02-30",
    "GET /v1/x/{id}",
    "https://github.com/acme/api/blob/main/src/app.py",
    "TODO",
    "deprecated",
    "previously",
    "`--region`",
    "`BILLING_DB_URL`",
    "`scripts/deploy.sh`",
    "`pool_size = 5`",
    "`make deploy`",
    "`acme.billing.charge()`",
    "| Setting | Default |\n|---|---|\n",
    "```bash\n$ ./scripts/run.sh --fast\n```\n",
    "```yaml\na:\n  b: 1\n```\n",
    "    indented code\n",
    "> quote ",
    "1. ",
    "- ",
)
TITLES = ("", "ADR 7: queues", "Postmortem 2023-01", "Release notes", "Changelog", "Guide")


def mutate(rng: random.Random, page: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    body: str = page["body"]
    ctype: str = page["content_type"]
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        n = len(body)
        if op == 0 and n:  # cut at a random point
            k = rng.randrange(n)
            body = body[:k] if rng.random() < 0.5 else body[k:]
        elif op == 1:  # lines shuffled
            lines = body.split("\n")
            rng.shuffle(lines)
            body = "\n".join(lines)
        elif op == 2:  # random insertions
            for _ in range(rng.randint(1, 12)):
                k = rng.randint(0, len(body))
                body = body[:k] + rng.choice(SNIPPETS) + body[k:]
        elif op == 3 and n:  # a span deleted
            a = rng.randrange(n)
            body = body[:a] + body[a + rng.randint(1, 200) :]
        elif op == 4:  # spliced with another page
            ob = other["body"]
            body = body[: rng.randint(0, n)] + ob[rng.randint(0, len(ob)) :]
        elif op == 5:  # lines duplicated
            lines = body.split("\n")
            for _ in range(rng.randint(1, 5)):
                if lines:
                    k = rng.randrange(len(lines))
                    lines.insert(k, lines[k])
            body = "\n".join(lines)
        elif op == 6:  # other line ends
            body = body.replace("\n", rng.choice(("\r\n", "\r", "\n\n", " \n")))
        elif op == 7:  # read as another content type
            ctype = rng.choice(("markdown", "html", "wikitext"))
        elif op == 8 and n:  # case changed in a span (unicode lengths move)
            a = rng.randrange(n)
            b = a + rng.randint(1, 300)
            seg = body[a:b]
            body = body[:a] + (seg.upper() if rng.random() < 0.5 else seg.lower()) + body[b:]
    title = rng.choice(TITLES) or page["title"]
    return {**page, "body": body, "content_type": ctype, "title": title, "source": "mutant"}


def mutants(rng: random.Random, pages: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        m = mutate(rng, rng.choice(pages), rng.choice(pages))
        m["page_id"] = f"mutant{i:05d}/{m['page_id']}"
        yield m


# ------------------------------------------------------------------ running


def run_workers(roots: list[Path], pages_file: Path, tmp: Path) -> list[Path]:
    """Run the worker for every root side by side; the output files, in order."""
    procs = []
    outs = []
    for k, root in enumerate(roots):
        out = tmp / f"out{k}.jsonl"
        cmd = [sys.executable, "-c", WORKER, str(root), str(pages_file), str(out)]
        procs.append(subprocess.Popen(cmd, cwd=tmp))
        outs.append(out)
    for root, p in zip(roots, procs, strict=True):
        if p.wait() != 0:
            raise SystemExit(f"extractor run for {root} failed (exit {p.returncode})")
    return outs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.extract_diff", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--base", type=Path, default=DEFAULT_BASE, help="checkout of the base commit")
    ap.add_argument("--c10k", type=Path, default=DEFAULT_C10K, help="the 10k generated wiki")
    ap.add_argument("--mutants", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="no --c10k wiki, 500 mutants")
    ap.add_argument("--show", type=int, default=10, help="differences to print")
    args = ap.parse_args(argv)
    if not (args.base / "stale" / "extract" / "__init__.py").is_file():
        ap.error(f"{args.base}: not a checkout (git worktree add --detach {args.base} REV)")

    t0 = time.perf_counter()
    pages = seed_pages(None if args.quick else args.c10k)
    n_seed = len(pages)
    rng = random.Random(args.seed)
    pages += list(mutants(rng, pages, 500 if args.quick else args.mutants))
    with tempfile.TemporaryDirectory(prefix="extract-diff-") as d:
        tmp = Path(d)
        src = tmp / "pages.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for p in pages:
                f.write(json.dumps(p) + "\n")
        base_out, head_out = run_workers([args.base.resolve(), ROOT], src, tmp)
        diffs = 0
        claims = 0
        with base_out.open(encoding="utf-8") as fb, head_out.open(encoding="utf-8") as fh:
            for page, lb, lh in zip(pages, fb, fh, strict=True):
                a, b = json.loads(lb), json.loads(lh)
                claims += len(a) if a[:1] != ["error"] else 0
                if a == b:
                    continue
                diffs += 1
                if diffs <= args.show:
                    _show(page, a, b)
    print(
        f"{len(pages)} pages ({n_seed} collected, {len(pages) - n_seed} mutants), "
        f"{claims} claims: {diffs} differences ({time.perf_counter() - t0:.0f} s)"
    )
    return 1 if diffs else 0


def _show(page: dict[str, Any], a: list[Any], b: list[Any]) -> None:
    print(f"DIFF {page['source']}:{page['page_id']} ({page['content_type']})")
    if a[:1] == ["error"] or b[:1] == ["error"]:
        print(f"  base: {str(a)[:300]}\n  this: {str(b)[:300]}")
        return
    for k in range(max(len(a), len(b))):
        ca = a[k] if k < len(a) else None
        cb = b[k] if k < len(b) else None
        if ca != cb:
            print(f"  claim {k}:\n    base: {ca}\n    this: {cb}")
            return


if __name__ == "__main__":
    raise SystemExit(main())
