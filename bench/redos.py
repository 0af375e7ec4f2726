"""Catastrophic-backtracking benchmark: adversarial inputs against every extractor.

    python -m bench.redos [--size 1000000] [--bound 60] [--growth 8] [--only NAME] [--json]

Feeds each regex-heavy reader (claim extraction for markdown, html and wikitext;
front matter; page dates; every codebase extractor, dispatched by file name as
the index does; prompt-injection hazard detection for each content type) long runs
of the characters their patterns treat specially: backticks, dashes, underscores,
`{{`, `<`, nested brackets, spaces, `${`, `|`, quotes, code spans, links, near-misses
of flags and env vars, comments, hidden elements, instruction words, zero-width and
tag characters, entities. Each input is
timed at `--size` and at a quarter of it. A `FAIL` line marks an input over
`--bound` seconds (generous: markdown-it-py needs up to ~25 s for 1 MB of
brackets; the backtracking bugs this found took minutes to hours), or one whose
time grew more than `--growth` times for 4x the input (linear: ~4, quadratic:
~16) when it took over a second. Exit code 1 when any input fails.

tests/test_fuzz_redos.py runs the same inputs at 50 KB and asserts only that they
complete, so CI catches a regression without a flaky timing assertion.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEFAULT_SIZE = 1_000_000
DEFAULT_BOUND_S = 60.0
DEFAULT_GROWTH = 8.0


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    n = max(1, (size - len(head) - len(tail)) // max(1, len(unit)))
    return head + unit * n + tail


#: name -> (unit repeated, head, tail): each a known trigger for some pattern family.
PATTERNS: dict[str, tuple[str, str, str]] = {
    "backticks": ("`", "", "x"),
    "backtick-pairs": ("`a` ", "", "`"),
    "open-fences": ("```\n", "", ""),
    "dashes": ("-", "", "x"),
    "double-dash-words": ("--a", " ", "="),
    "underscores": ("_", "A", "!"),
    "env-near-miss": ("A_", "$", "a"),
    "braces": ("{{", "", ""),
    "dollar-braces": ("${", "", ""),
    "angle": ("<", "", ""),
    "tags": ("<a ", "", ""),
    "brackets": ("[", "", "]("),
    "nested-brackets": ("[[(", "", ""),
    "spaces": (" ", "x", "!"),
    "spaces-lines": (" \t \n", "", "x"),
    "pipes": ("| a ", "", ""),
    "quotes": ("'\"", "", ""),
    "equals": ("a=", "", ""),
    "colons": ("a: ", "", ""),
    "slashes": ("/a", "GET ", "{"),
    "dots": ("a.", "", "("),
    "digits": ("1.", "v", "x"),
    "hashes": ("#", "", "\n"),
    "backslashes": ("\\", "", ""),
    "words": ("updated ", "", ""),
    "code-sentences": ("`a`. ", "", ""),
    "tag-code-sentences": ("<code>a</code>. ", "", ""),
    "unclosed-code": ("<code>", "", ""),
    "wiki-links": ("[[a|", "", ""),
    "ext-links": ("[http://a ", "", ""),
    # prompt-injection hazard detection (stale/hazard.py)
    "comments": ("<!--", "", ""),
    "hidden-divs": ('<div style="display:none">', "", ""),
    "instruction-words": ("ignore all previous you are now as an ", "", ""),
    "zero-width": ("a\u200b", "", ""),
    "tag-chars": ("\U000e0041", "", ""),
    "entities": ("&lt;|", "", ""),
}


def _extract(content_type: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        from stale.extract import ExtractionError, extract_claims
        from stale.model import Page

        page = Page("b", "p", "file:///p", "P", text, content_type, content_hash="h")
        try:
            return extract_claims(page)
        except ExtractionError:
            return None  # documented; a bug, but not a hang

    return run


def _hazards(content_type: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        from stale.hazard import detect_hazards
        from stale.model import Page

        return detect_hazards(Page("b", "p", "file:///p", "P", text, content_type))

    return run


def _codebase(path: str) -> Callable[[str], object]:
    def run(text: str) -> object:
        from stale.codebase.index import _extract_one
        from stale.codebase.sink import FactSink

        sink = FactSink("b")
        _extract_one(path, text.encode("utf-8", "surrogatepass"), sink, {path})
        return sink

    return run


def _front_matter(text: str) -> object:
    from connectors.markdown import split_front_matter

    return split_front_matter("---\n" + text + "\n---\n")


def _dates(text: str) -> object:
    from stale.extract.dates import find_dates

    return find_dates(text)


#: name -> reader under test (text -> anything).
TARGETS: dict[str, Callable[[str], object]] = {
    "extract:markdown": _extract("markdown"),
    "extract:html": _extract("html"),
    "extract:wikitext": _extract("wikitext"),
    "hazard:markdown": _hazards("markdown"),
    "hazard:html": _hazards("html"),
    "hazard:wikitext": _hazards("wikitext"),
    "front-matter": _front_matter,
    "dates": _dates,
    **{
        f"code:{p}": _codebase(p)
        for p in (
            "a.py",
            "a.yaml",
            "a.toml",
            "a.json",
            "a.ini",
            ".env",
            "a.properties",
            "Dockerfile",
            "Makefile",
            "a.sh",
            "a.go",
            "a.ts",
            "a.tf",
            "requirements.txt",
            "go.mod",
        )
    },
}


@dataclass(frozen=True)
class Result:
    target: str
    pattern: str
    size: int
    seconds: float
    error: str | None = None
    quarter_seconds: float | None = None  # the same input at a quarter of the size

    @property
    def growth(self) -> float | None:
        """How many times longer 4x the input took (about 4 when linear)."""
        if self.quarter_seconds is None:
            return None
        return self.seconds / max(self.quarter_seconds, 0.01)


def inputs(size: int) -> Iterator[tuple[str, str]]:
    for name, (unit, head, tail) in PATTERNS.items():
        yield name, _fill(unit, size, head, tail)


def run_one(target: str, pattern: str, text: str) -> Result:
    t0 = time.perf_counter()
    error = None
    try:
        TARGETS[target](text)
    except Exception as exc:  # reported, not raised: the bench measures time
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return Result(target, pattern, len(text), time.perf_counter() - t0, error)


def run_all(size: int, only: str | None = None, scaling: bool = True) -> Iterator[Result]:
    cases = list(inputs(size))
    small = dict(inputs(size // 4)) if scaling else {}
    for target in TARGETS:
        if only and only not in target:
            continue
        for pattern, text in cases:
            q = run_one(target, pattern, small[pattern]).seconds if scaling else None
            r = run_one(target, pattern, text)
            yield Result(r.target, r.pattern, r.size, r.seconds, r.error, q)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.redos", description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE, help="bytes per input")
    ap.add_argument("--bound", type=float, default=DEFAULT_BOUND_S, help="seconds per input")
    ap.add_argument(
        "--growth", type=float, default=DEFAULT_GROWTH, help="max time ratio for 4x the input"
    )
    ap.add_argument("--only", help="run only targets whose name contains this")
    ap.add_argument("--json", action="store_true", help="one JSON object per input")
    args = ap.parse_args(argv)
    failed = 0
    worst: Result | None = None
    total = 0.0
    for r in run_all(args.size, args.only):
        total += r.seconds
        growth = r.growth or 0.0
        bad = (
            r.seconds > args.bound
            or r.error is not None
            or (r.seconds > 1.0 and growth > args.growth)
        )
        failed += bad
        if worst is None or r.seconds > worst.seconds:
            worst = r
        if args.json:
            print(json.dumps({**vars(r), "growth": r.growth, "fail": bad}), flush=True)
        else:
            mark = "FAIL" if bad else "ok  "
            extra = f"  ({r.error})" if r.error else ""
            print(
                f"{mark} {r.target:<24} {r.pattern:<18} {r.size:>8} B {r.seconds:8.3f} s"
                f"  x{growth:5.1f}{extra}",
                flush=True,
            )
    if not args.json and worst is not None:
        print(
            f"total {total:.1f} s; slowest {worst.target} / {worst.pattern} {worst.seconds:.3f} s; "
            f"bound {args.bound:g} s per input, growth x{args.growth:g} for 4x the input; "
            f"{'FAIL' if failed else 'PASS'} ({failed} failed)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
