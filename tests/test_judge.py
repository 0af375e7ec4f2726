from datetime import UTC, datetime, timedelta

from stale.config import JudgeConfig
from stale.judge import judge, unknown_verdict
from stale.model import Claim, ClaimKind, Evidence, Finding, Outcome, Page, Status

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EV = (Evidence(repo="r", path="scripts/deploy.sh", line=4, commit="abc", date="2025-01-01"),)


def page(days_old: int = 10) -> Page:
    return Page(
        source="w",
        page_id="p.md",
        url="",
        title="P",
        body="",
        content_type="markdown",
        last_modified=NOW - timedelta(days=days_old),
        content_hash="h",
    )


def claim(subject: str, kind: ClaimKind = ClaimKind.FLAG, historical: bool = False) -> Claim:
    return Claim("w", "p.md", kind, subject, historical=historical)


def finding(c: Claim, outcome: Outcome, evidence: tuple[Evidence, ...] = EV) -> Finding:
    return Finding(c, outcome, evidence=evidence, message=f"{c.subject} {outcome}")


CFG = JudgeConfig()


def test_one_contradiction_among_many_confirmations_is_stale() -> None:
    cs = [claim(f"--ok{i}") for i in range(20)] + [claim("--region")]
    fs = [finding(c, Outcome.CONFIRMED) for c in cs[:-1]] + [finding(cs[-1], Outcome.MISSING)]
    v = judge(page(), cs, fs, CFG, now=NOW)
    assert v.status is Status.STALE
    assert v.score >= CFG.stale_score
    assert "--region" in v.reasons[0] and "line" in v.reasons[0]


def test_all_confirmed_is_current_with_count() -> None:
    cs = [claim("--a"), claim("--b")]
    v = judge(page(), cs, [finding(c, Outcome.CONFIRMED) for c in cs], CFG, now=NOW)
    assert v.status is Status.CURRENT and v.score == 0.0
    assert "2 of 2" in v.reasons[-1]


def test_finding_without_evidence_never_counts_against_the_page() -> None:
    c, ok = claim("--region"), claim("--zone")
    v = judge(
        page(),
        [c, ok],
        [finding(c, Outcome.MISSING, evidence=()), finding(ok, Outcome.CONFIRMED)],
        CFG,
        now=NOW,
    )
    assert v.status is Status.CURRENT


def test_historical_claims_are_not_judged() -> None:
    old, ok = claim("--region", historical=True), claim("--zone")
    v = judge(
        page(),
        [old, ok],
        [finding(old, Outcome.MISSING), finding(ok, Outcome.CONFIRMED)],
        CFG,
        now=NOW,
    )
    assert v.status is Status.CURRENT


def test_missing_without_commit_is_only_suspect() -> None:
    c = claim("make seed", ClaimKind.COMMAND)
    ev = (Evidence(repo="r", path="Makefile"),)
    v = judge(page(), [c], [finding(c, Outcome.MISSING, evidence=ev)], CFG, now=NOW)
    assert v.status is Status.SUSPECT


def test_markers_and_age_make_suspect_but_never_stale() -> None:
    ok = claim("--zone")
    markers = [claim(m, ClaimKind.MARKER) for m in ("deprecated", "outdated", "todo")]
    v = judge(page(days_old=4000), [ok, *markers], [finding(ok, Outcome.CONFIRMED)], CFG, now=NOW)
    assert v.status is Status.SUSPECT
    assert v.score < CFG.stale_score
    assert {s.kind for s in v.signals} == {"marker", "age"}


def test_no_claims_or_nothing_checkable_is_unknown() -> None:
    v = judge(page(), [], [], CFG, now=NOW)
    assert v.status is Status.UNKNOWN and v.reasons == ("no checkable claims on this page",)
    c = claim("--namespace")
    v = judge(page(), [c], [finding(c, Outcome.UNVERIFIABLE, evidence=())], CFG, now=NOW)
    assert v.status is Status.UNKNOWN and "could be checked" in v.reasons[0]


def test_thresholds_are_configurable() -> None:
    c = claim("--region")
    fs = [finding(c, Outcome.CONTRADICTED)]
    assert judge(page(), [c], fs, CFG, now=NOW).status is Status.STALE
    lenient = JudgeConfig(stale_score=0.95, suspect_score=0.5)
    assert judge(page(), [c], fs, lenient, now=NOW).status is Status.SUSPECT


def test_unknown_verdict_carries_the_error() -> None:
    v = unknown_verdict(page(), "could not read the page: bad bytes", now=NOW)
    assert v.status is Status.UNKNOWN and v.error and "bad bytes" in v.reasons[0]


def test_history_page_matching_repo_history_is_current_with_evidence() -> None:
    old = claim("--region", historical=True)
    v = judge(page(), [old], [finding(old, Outcome.MISSING)], CFG, now=NOW)
    assert v.status is Status.CURRENT
    assert v.reasons[0].startswith("a record of history: 1 past-tense claim")
    # A past-tense claim the history cannot bear out is no evidence at all.
    hist_unverified = finding(old, Outcome.UNVERIFIABLE, evidence=())
    assert judge(page(), [old], [hist_unverified], CFG, now=NOW).status is Status.UNKNOWN
    # Missing "with evidence" but without a commit says nothing about history.
    no_commit = finding(old, Outcome.MISSING, evidence=(Evidence(repo="r", path="Makefile"),))
    assert judge(page(), [old], [no_commit], CFG, now=NOW).status is Status.UNKNOWN


def test_stated_last_updated_date_wins_over_the_edit_date() -> None:
    ok = claim("--zone")
    fresh_edit = page(days_old=5)
    stated = Claim("w", "p.md", ClaimKind.DATE, "last_updated", value="2020-01-01")
    v = judge(fresh_edit, [ok, stated], [finding(ok, Outcome.CONFIRMED)], CFG, now=NOW)
    (age,) = [s for s in v.signals if s.kind == "age"]
    assert "says it was last updated" in age.message and "2020-01-01" in age.message
    assert v.status is Status.CURRENT  # age alone is a weak hint
    v = judge(fresh_edit, [ok], [finding(ok, Outcome.CONFIRMED)], CFG, now=NOW)
    assert not [s for s in v.signals if s.kind == "age"]
