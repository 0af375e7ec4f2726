"""Work a scan does once and reuses: a finding per claim identity (the verifier
memo), and a page's stored claims when only the code moved under it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from bench.scale import make_repo, make_wiki
from connectors.markdown import MarkdownFolderConnector
from stale.codebase import Codebase
from stale.codebase.index import build_index
from stale.extract import extract_claims
from stale.model import Claim, ClaimKind, Finding, Span
from stale.scan import FindingMemo, load_verifiers, verify_claims


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reuse")
    rng = random.Random(5)
    facts = make_repo(root / "repo", 80, rng)
    make_wiki(root / "wiki", 60, rng, facts)
    return root


def _claims(root: Path) -> list[list[Claim]]:
    pages = sorted(MarkdownFolderConnector("wiki", root / "wiki").pages(), key=lambda p: p.page_id)
    return [extract_claims(p) for p in pages]


def test_memo_gives_the_findings_of_checking_every_claim(corpus: Path) -> None:
    code = Codebase([build_index("repo", corpus / "repo")])
    verifiers = load_verifiers()
    memo: FindingMemo = {}
    per_page = _claims(corpus)
    checked = 0
    for claims in per_page:
        plain = verify_claims(claims, code, verifiers)
        reused = verify_claims(claims, code, verifiers, memo)
        checked += len(plain)
        assert reused == plain
        # every finding is about this page's own claim (its page id, line and text)
        for f, g in zip(reused, plain, strict=True):
            assert f.claim is g.claim
            assert (f.evidence, f.message, f.suggestion) == (g.evidence, g.message, g.suggestion)
    outcomes = {str(f.outcome) for f in memo.values()}
    assert {"confirmed", "contradicted"} <= outcomes  # the corpus has both
    # pages cite the same facts: far fewer identities than claims were checked
    assert 0 < len(memo) < checked / 2


@dataclass
class _Counting:
    """A verifier that counts its calls (memoizable or not, as told)."""

    memoizable: bool
    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.ENV})
    calls: list[str] = field(default_factory=list)

    def verify(self, claim: Claim, code: Codebase) -> Finding:
        from stale.verify.support import unverifiable

        self.calls.append(claim.page_id)
        return unverifiable(claim, f"seen {claim.subject}")


def _env(page: str, line: int, value: str | None = None) -> Claim:
    return Claim("w", page, ClaimKind.ENV, "DB_URL", value, span=Span(line, 1), text=page)


def test_memo_checks_an_identity_once_and_only_for_a_memoizable_verifier() -> None:
    code = Codebase([])
    claims = [_env("a.md", 3), _env("b.md", 9), _env("c.md", 1, value="x")]
    pure = _Counting(memoizable=True)
    memo: FindingMemo = {}
    out = [verify_claims([c], code, {ClaimKind.ENV: pure}, memo)[0] for c in claims]
    # a.md and b.md make the same claim; c.md states a value: another identity
    assert pure.calls == ["a.md", "c.md"]
    assert [f.claim.page_id for f in out] == ["a.md", "b.md", "c.md"]
    assert out[1].claim.span == Span(9, 1) and out[1].message == "seen DB_URL"

    plain = _Counting(memoizable=False)
    for c in claims:
        verify_claims([c], code, {ClaimKind.ENV: plain}, memo)
    assert plain.calls == ["a.md", "b.md", "c.md"]  # a plugin that did not opt in


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from stale import scan

    monkeypatch.setattr(scan, "MEMO_MAX_FINDINGS", 3)
    pure = _Counting(memoizable=True)
    memo: FindingMemo = {}
    for i in range(10):
        c = Claim("w", "p", ClaimKind.ENV, f"VAR_{i}")
        verify_claims([c], Codebase([]), {ClaimKind.ENV: pure}, memo)
        assert len(memo) <= 3
    assert len(pure.calls) == 10


def _scan(root: Path, store: str = "s.db", workers: int = 1, full: bool = False):  # type: ignore[no-untyped-def]
    import tomllib

    from stale.config import parse_config
    from stale.scan import run_scan
    from stale.store import Store

    text = (
        f'store = "{store}"\n[[repos]]\nname = "repo"\npath = "repo"\n'
        '[[sources]]\ntype = "markdown"\nname = "wiki"\npath = "wiki"\n'
        f"[semantic]\nenabled = false\n[scan]\nworkers = {workers}\n"
    )
    cfg = parse_config(tomllib.loads(text), root)
    with Store.open(cfg.store) as db:
        return run_scan(cfg, db, full=full)


def test_touch_points_stored_with_a_verdict_match_those_read_from_its_claims(
    corpus: Path, tmp_path: Path
) -> None:
    from stale.incremental import PageTouch, touch_points
    from stale.store import Store

    _scan(corpus, str(tmp_path / "t.db"))
    with Store.open(tmp_path / "t.db") as db:
        stored = dict(db.all_page_touch("wiki"))
        from_claims = touch_points(db.all_touch_points("wiki"))
    assert len(stored) == 60 and all(t is not None for t in stored.values())
    assert set(from_claims) <= set(stored)
    for pid, touch in stored.items():
        assert touch is not None
        expected = from_claims.get(pid, PageTouch(frozenset(), frozenset(), frozenset()))
        assert PageTouch.from_json(touch) == expected
    assert any(PageTouch.from_json(t).paths for t in stored.values() if t)  # evidence paths
