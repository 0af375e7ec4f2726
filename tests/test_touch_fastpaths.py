"""The re-scan's per-claim shortcuts give what the plain code they stand in for gives.

A re-scan asks, of every stored claim of every page the code moved under,
whether the change can touch it. The shortcuts taken there (no path object for
a path's name, no JSON parser for an evidence list without escapes, claims read
from the store with their stored key) are compared here with the plain
definitions, on awkward strings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st

from stale.incremental import _evidence_paths, _path_name, claim_tokens
from stale.model import (
    HINT_KINDS,
    Claim,
    ClaimKind,
    Evidence,
    Finding,
    Outcome,
    Page,
    Span,
    Status,
    Verdict,
)
from stale.store import Store, _evidence_to_json, page_rows

FUZZ = fuzz_settings()  # fixed and derandomized unless STALE_FUZZ_EXAMPLES is set

_PATHISH = st.text(alphabet='ab/."\\ é:-{} ', max_size=12)


def _reference_tokens(kind: str, subject: str, value: str | None) -> set[str]:
    """claim_tokens as first written: the enum call, PurePosixPath, re.split."""
    k = ClaimKind(kind)
    if k in HINT_KINDS:
        return set()
    s = subject.strip()
    tokens = {s}
    if k in (ClaimKind.PATH, ClaimKind.LINK):
        tokens.add(PurePosixPath(s).name)
    elif k is ClaimKind.SYMBOL:
        tokens |= {p for p in re.split(r"[.:]", s) if p}
    elif k is ClaimKind.CONFIG:
        parts = [p for p in re.split(r"[.:]", s) if p]
        tokens |= set(parts[:-1]) if len(parts) > 1 else set(parts)
    elif k is ClaimKind.ENDPOINT:
        path = s.split(" ", 1)[-1]
        tokens |= {seg for seg in path.split("/") if seg and seg != "{}"}
    elif k is ClaimKind.COMMAND:
        tokens |= set(s.split()[1:])
    elif k is ClaimKind.VERSION:
        tokens |= {s.rsplit("/", 1)[-1], *(v for v in [value] if v)}
    return {t for t in tokens if t}


@given(path=_PATHISH)
@example(path="a/b/.")
@example(path="a/b/")
@example(path="a//b")
@example(path="a/./b")
@example(path="/")
@example(path=".")
@example(path="a/..")
@FUZZ
def test_a_path_name_is_the_path_objects_name(path: str) -> None:
    assert _path_name(path) == PurePosixPath(path).name


@given(
    kind=st.sampled_from([str(k) for k in ClaimKind]), subject=_PATHISH, value=st.none() | _PATHISH
)
@example(kind="path", subject="docs/", value=None)
@example(kind="config", subject="db.:pool_size", value="5")
@example(kind="version", subject="ghcr.io/acme/api", value="")
@FUZZ
def test_claim_tokens_are_those_of_the_plain_definition(
    kind: str, subject: str, value: str | None
) -> None:
    assert claim_tokens(kind, subject, value) == _reference_tokens(kind, subject, value)


_EVIDENCE = st.builds(
    Evidence,
    repo=_PATHISH,
    path=st.none() | _PATHISH | st.just('"path": "x'),
    line=st.none() | st.integers(1, 9),
    text=st.none() | _PATHISH | st.just('the "path": "y" seen'),
)


@given(evidence=st.lists(_EVIDENCE, max_size=4))
@example(evidence=[Evidence("r", path=""), Evidence("r", path="a.py")])
@FUZZ
def test_evidence_paths_are_those_the_json_parser_finds(evidence: list[Evidence]) -> None:
    text = _evidence_to_json(tuple(evidence))
    parsed = {e["path"] for e in json.loads(text) if e.get("path")}
    _evidence_paths.cache_clear()
    assert _evidence_paths(text) == parsed


def test_evidence_in_another_layout_is_parsed() -> None:
    """Written by other code (no space after the colon): the parser reads it."""
    assert _evidence_paths('[{"repo":"r","path":"a/b.py"}]') == {"a/b.py"}
    assert _evidence_paths("not json") == frozenset()


def _claim(subject: str, line: int) -> Claim:
    return Claim("wiki", "p.md", ClaimKind.PATH, subject, span=Span(line, 1), text=subject)


def _verdict(findings: tuple[Finding, ...]) -> Verdict:
    return Verdict("wiki", "p.md", Status.CURRENT, 0.0, findings=findings)


def test_claims_read_from_the_store_are_the_claims_written(tmp_path: Path) -> None:
    page = Page("wiki", "p.md", url="", title="P", body="x", content_type="markdown")
    claims = [_claim("a/b.py", 1), _claim("c.md", 2)]
    found = (Finding(claims[0], Outcome.CONFIRMED, (Evidence("r", "a/b.py", 1),), "ok"),)
    with Store.open(tmp_path / "s.db") as store:
        run_id = store.start_run("r@1")
        rows = page_rows(page, claims, _verdict(found))
        store.write_rows([(rows, "r@1")], run_id=run_id, settings_fingerprint="fp")
        stored = store.stored_checks("wiki", ["p.md"])["p.md"]
    assert stored.claims == tuple(claims)
    assert [vars(c) | {"key": c.key} for c in stored.claims] == [
        vars(c) | {"key": c.key} for c in claims
    ]
    assert stored.touch is not None and "a/b.py" in stored.touch


def test_unchanged_findings_keep_the_stored_touch_points_and_changed_ones_do_not() -> None:
    page = Page("wiki", "p.md", url="", title="P", body="", content_type="markdown")
    claim = _claim("a/b.py", 1)
    ev = (Evidence("r", "a/b.py", 1),)
    old = page_rows(page, [claim], _verdict((Finding(claim, Outcome.CONFIRMED, ev, "ok"),)))
    stored_finding = old.claims[0]
    from stale.store import StoredFinding

    previous = [StoredFinding(stored_finding[11], stored_finding[12], None, stored_finding[14])]
    same = _verdict((Finding(claim, Outcome.CONFIRMED, ev, "ok"),))
    kept = page_rows(page, [claim], same, previous, touch="KEPT")
    assert kept.claims == () and kept.verdict[-1] == "KEPT"
    moved = _verdict((Finding(claim, Outcome.MISSING, (Evidence("r", "z/b.py", 1),), "gone"),))
    rewritten = page_rows(page, [claim], moved, previous, touch="KEPT")
    assert len(rewritten.claims) == 1
    assert rewritten.verdict[-1] != "KEPT" and "z/b.py" in rewritten.verdict[-1]
