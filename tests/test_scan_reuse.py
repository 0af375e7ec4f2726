"""Work a scan does once and reuses: a finding per claim identity (the verifier
memo), and a page's stored claims when only the code moved under it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st

from bench.scale import make_repo, make_wiki
from connectors.markdown import MarkdownFolderConnector
from stale.codebase import Codebase
from stale.codebase.index import build_index
from stale.extract import extract_claims
from stale.model import HINT_KINDS, Claim, ClaimKind, Finding, Span
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
    # asking the JSON directly answers what the sets answer
    from stale.incremental import RepoChange

    words = sorted({w for t in stored.values() if t for w in PageTouch.from_json(t).tokens})
    paths = sorted({p for t in stored.values() if t for p in PageTouch.from_json(t).paths})
    changes = [
        RepoChange(frozenset(), frozenset(words[::7])),
        RepoChange(frozenset(paths[:3]), frozenset()),
        RepoChange(frozenset(), frozenset(), moved=frozenset(words[::5])),
        RepoChange(frozenset({"nothing.txt"}), frozenset({"nothing"})),
    ]
    answers = set()
    for touch in stored.values():
        assert touch is not None
        for change in changes:
            answer = PageTouch.json_touched_by(touch, change)
            assert answer == PageTouch.from_json(touch).touched_by(change)
            answers.add(answer)
    assert answers == {True, False}


_AWKWARD = ["a", "pool_size", "x.y", "], [", '"', "\\", "é", "", " ", "[", "]", ", ", "a/b.py"]


_STRINGS = st.sampled_from(_AWKWARD) | st.text(alphabet='ab"\\[], é/.', max_size=5)


@given(
    touch=st.tuples(*[st.frozensets(_STRINGS, max_size=4)] * 3),
    change=st.tuples(*[st.frozensets(_STRINGS, max_size=4)] * 3),
)
@example(
    touch=(frozenset({"a"}), frozenset(), frozenset()),
    change=(frozenset({", "}), frozenset({""}), frozenset({"[["})),
)
@example(
    touch=(frozenset(), frozenset({"a"}), frozenset()),
    change=(frozenset(), frozenset({"a"}), frozenset()),
)
@fuzz_settings()
def test_touch_json_answers_as_the_sets_do_for_awkward_strings(
    touch: tuple[frozenset[str], frozenset[str], frozenset[str]],
    change: tuple[frozenset[str], frozenset[str], frozenset[str]],
) -> None:
    """The JSON shortcut (str.split instead of json.loads) against the sets, for
    strings holding quotes, backslashes, brackets, the separator, non-ASCII."""
    from stale.incremental import PageTouch, RepoChange

    page = PageTouch(*touch)
    moved = RepoChange(paths=change[0], words=change[1], moved=change[2])
    assert PageTouch.json_touched_by(page.to_json(), moved) == page.touched_by(moved)


_SETS = st.frozensets(_STRINGS, max_size=4)


@given(
    pages=st.lists(st.tuples(_SETS, _SETS, _SETS), max_size=6),
    changes=st.lists(st.tuples(_SETS, _SETS, _SETS), max_size=3),
)
@fuzz_settings()
def test_touched_pages_are_the_pages_some_change_touches(
    pages: list[tuple[frozenset[str], frozenset[str], frozenset[str]]],
    changes: list[tuple[frozenset[str], frozenset[str], frozenset[str]]],
) -> None:
    """The whole-source pass a re-scan makes against asking each page about each change."""
    from stale.incremental import PageTouch, RepoChange, touched_pages

    touches = {f"p{i}": PageTouch(*t).to_json() for i, t in enumerate(pages)}
    moved = [RepoChange(paths=p, words=w, moved=m) for p, w, m in changes]
    expected = {
        pid
        for pid, text in touches.items()
        if any(PageTouch.from_json(text).touched_by(c) for c in moved)
    }
    assert touched_pages(touches, moved) == expected


def _copy(corpus: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(corpus / "repo", dest / "repo")
    shutil.copytree(corpus / "wiki", dest / "wiki")
    return dest


def _rows(db_path: Path) -> dict[str, tuple[object, ...]]:
    import sqlite3

    con = sqlite3.connect(db_path)
    out: dict[str, tuple[object, ...]] = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT page_id, status, round(score, 6), reasons, signals FROM verdicts"
        )
    }
    for r in con.execute(
        "SELECT page_id, claim_key, kind, subject, value, line, col, historical, text, outcome, "
        "message, evidence FROM claims ORDER BY page_id, rowid"
    ):
        out[r[0]] = (*out[r[0]], r[1:])
    con.close()
    return out


def _count_verified(monkeypatch: pytest.MonkeyPatch) -> list[Claim]:
    """The claims the scan verifies from now on (hints left out), in order."""
    import stale.scan

    verified: list[Claim] = []
    real_verify = stale.scan.verify_claims

    def counting_verify(claims, *a, **kw):  # type: ignore[no-untyped-def]
        verified.extend(c for c in claims if c.kind not in HINT_KINDS)
        return real_verify(claims, *a, **kw)

    monkeypatch.setattr(stale.scan, "verify_claims", counting_verify)
    return verified


def _tune_yaml(root: Path, count: int) -> None:
    """Change the value of `pool_size` in `count` YAML files and commit."""
    from bench.scale import git

    for p in sorted((root / "repo").rglob("*.yaml"))[:count]:
        p.write_text(p.read_text().replace("pool_size: ", "pool_size: 9"))
    git(root / "repo", "commit", "-q", "-am", "tune")


def test_pages_only_the_code_moved_under_are_rechecked_from_their_stored_claims(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stale.extract

    root = _copy(corpus, tmp_path)
    first = _scan(root)
    assert first.rechecked == 60
    _tune_yaml(root, 6)
    edited = sorted((root / "wiki").rglob("*.md"))[:3]
    for p in edited:
        p.write_text(p.read_text() + "\nEdited.\n")

    extracted: list[str] = []
    real = stale.extract.extract_claims

    def counting(page, **kw):  # type: ignore[no-untyped-def]
        extracted.append(page.page_id)
        return real(page, **kw)

    monkeypatch.setattr(stale.extract, "extract_claims", counting)
    verified = _count_verified(monkeypatch)
    again = _scan(root)
    monkeypatch.undo()
    # the pages citing a tuned value are checked again, but only the edited ones are read
    assert again.rechecked > len(edited) + 5
    assert sorted(extracted) == sorted(p.relative_to(root / "wiki").as_posix() for p in edited)
    # and of the pages only checked again, only the claims the change touches
    edited_ids = set(extracted)
    unread = [c for c in verified if c.page_id not in edited_ids]
    assert unread and {c.kind for c in unread} <= {"config", "path", "symbol"}
    assert len({c.page_id for c in unread}) == again.rechecked - len(edited)
    assert len(unread) < 3 * (again.rechecked - len(edited))
    # an edited page keeps the findings of the claims it still makes that the change
    # cannot touch: the edit added none, so only touched ones are verified again
    on_edited = [c for c in verified if c.page_id in edited_ids]
    assert {c.kind for c in on_edited} <= {"config", "path", "symbol"}
    assert len(on_edited) < len([c for p in edited for c in _page_claims(root, p)]) / 2
    assert again.counts.get("stale", 0) > first.counts.get("stale", 0)

    # the same verdicts, claims and evidence as checking every page from scratch
    fresh = _scan(root, "fresh.db", full=True)
    assert fresh.rechecked == 60
    assert _rows(root / "s.db") == _rows(root / "fresh.db")


def test_a_page_read_again_with_the_same_text_reuses_its_claims(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git checkout moves every mtime: the crawl reads every page again, and a page
    whose text is the same is checked from its stored claims."""
    import os

    import stale.extract

    root = _copy(corpus, tmp_path)
    _scan(root)
    _tune_yaml(root, 6)
    for p in (root / "wiki").rglob("*.md"):
        os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 3600))
    calls: list[str] = []
    real = stale.extract.extract_claims
    monkeypatch.setattr(
        stale.extract,
        "extract_claims",
        lambda page, **kw: calls.append(page.page_id) or real(page, **kw),
    )
    again = _scan(root)
    monkeypatch.undo()
    assert again.rechecked > 5 and calls == []
    _scan(root, "fresh.db", full=True)
    assert _rows(root / "s.db") == _rows(root / "fresh.db")


def test_a_page_whose_last_check_failed_is_read_again(corpus: Path, tmp_path: Path) -> None:
    import sqlite3

    from stale.store import Store

    root = _copy(corpus, tmp_path)
    _scan(root)
    with Store.open(root / "s.db") as db:
        pid = sorted(dict(db.all_page_touch("wiki")))[0]
        assert db.stored_check("wiki", pid) is not None
    con = sqlite3.connect(root / "s.db")
    with con:
        con.execute("UPDATE verdicts SET error = 'boom' WHERE page_id = ?", (pid,))
    con.close()
    with Store.open(root / "s.db") as db:
        assert db.stored_check("wiki", pid) is None


def test_carried_verdicts_follow_the_code_through_aliases(corpus: Path, tmp_path: Path) -> None:
    """A verdict that still holds after the repos moved is not rewritten: one alias
    (old fingerprint -> new) stands for all of them. Through moves forward, a move
    that touches nothing and a reset back to an old commit, every scan ends with
    the verdicts a fresh scan of the same code gives."""
    import sqlite3

    from bench.scale import git

    root = _copy(corpus, tmp_path)
    _scan(root)

    def aliases() -> dict[str, str]:
        con = sqlite3.connect(root / "s.db")
        rows = dict(con.execute("SELECT old_fp, new_fp FROM code_fp_alias").fetchall())
        con.close()
        return rows

    def raw_fps() -> set[str]:
        con = sqlite3.connect(root / "s.db")
        fps = {r[0] for r in con.execute("SELECT code_fingerprint FROM verdicts")}
        con.close()
        return fps

    def same_as_fresh(name: str) -> None:
        fresh = _scan(root, f"{name}.db", full=True)
        assert fresh.rechecked == 60
        assert _rows(root / "s.db") == _rows(root / f"{name}.db")

    fp0 = raw_fps()
    assert len(fp0) == 1 and aliases() == {}
    _tune_yaml(root, 6)  # touches the pages citing those values
    second = _scan(root)
    assert 0 < second.rechecked < 60 and second.carried == 60 - second.rechecked
    fp1 = raw_fps() - fp0
    assert len(fp1) == 1 and aliases() == {next(iter(fp0)): next(iter(fp1))}
    same_as_fresh("a")

    notes = sorted((root / "repo").rglob("*.md"))[0]
    notes.write_text(notes.read_text() + "\nMore notes.\n")
    git(root / "repo", "commit", "-q", "-am", "notes")
    third = _scan(root)
    assert third.rechecked == 0 and third.carried == 60
    assert raw_fps() == fp0 | fp1  # nothing rewritten
    head = set(aliases().values())
    assert len(head) == 1 and set(aliases()) == fp0 | fp1  # chains kept one step long
    assert _scan(root).rechecked == 0  # and the next scan carries everything again
    same_as_fresh("b")

    git(root / "repo", "reset", "-q", "--hard", "HEAD~2")  # back to the first commit
    fourth = _scan(root)
    assert fourth.rechecked > 0  # the pages checked against the tuned values
    same_as_fresh("c")
    assert _scan(root).rechecked == 0
    # forward again to the tuned values: an alias from before the reset must not
    # pass off the verdicts checked after it as checked against the tuned code
    _tune_yaml(root, 6)
    fifth = _scan(root)
    assert fifth.rechecked == second.rechecked
    same_as_fresh("d")


def _page_claims(root: Path, path: Path) -> list[Claim]:
    page = MarkdownFolderConnector("wiki", root / "wiki").page(
        path.relative_to(root / "wiki").as_posix()
    )
    return [c for c in extract_claims(page) if c.kind not in HINT_KINDS]


def test_an_edited_page_verifies_only_the_claims_the_edit_added(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code did not move: a page's edit costs the verification of what it says
    new. `--full` verifies everything again, and the rows match a fresh scan."""

    root = _copy(corpus, tmp_path)
    _scan(root)
    page = sorted((root / "wiki").rglob("*.md"))[4]
    before = _page_claims(root, page)
    page.write_text(
        page.read_text()
        + "\nSet `BILLING_LEDGER_TOKEN` before you run `./svc000/nowhere.sh --dry-run`.\n"
    )
    added = {c.key for c in _page_claims(root, page)} - {c.key for c in before}
    assert added  # an env var, a path, a flag

    verified = _count_verified(monkeypatch)
    again = _scan(root)
    assert again.rechecked == 1
    assert {c.key for c in verified} == added

    verified.clear()
    full = _scan(root, full=True)
    assert full.rechecked == 60
    assert {c.key for c in verified} >= {c.key for c in before} | added
    monkeypatch.undo()

    # what an edit kept is what checking the page from scratch finds
    page.write_text(page.read_text() + "\nEdited once more.\n")
    _scan(root)
    _scan(root, "fresh.db", full=True)
    assert _rows(root / "s.db") == _rows(root / "fresh.db")


def test_findings_of_a_verifier_that_is_not_memoizable_are_not_carried_over_an_edit() -> None:
    """A plugin that did not declare `memoizable` may look at the page: its findings
    are never reused for a page whose text changed."""
    from stale.model import Page
    from stale.scan import carried_findings
    from stale.store import StoredCheck, StoredFinding

    page = Page("w", "a.md", url="", title="", body="", content_type="markdown")
    old = (_env("a.md", 3), _env("a.md", 5, value="x"))
    found = (StoredFinding("unverifiable", "seen", None, "[]"), None)
    stored = StoredCheck(page, old, found, ())
    now = [_env("a.md", 9), _env("a.md", 10, value="x"), _env("a.md", 11, value="y")]
    pure = _Counting(memoizable=True)
    # the same identity on another line keeps its finding; one without a finding or
    # a new one has none
    assert carried_findings(now, stored, {ClaimKind.ENV: pure}) == (found[0], None, None)
    plain = _Counting(memoizable=False)
    assert carried_findings(now, stored, {ClaimKind.ENV: plain}) == (None, None, None)
