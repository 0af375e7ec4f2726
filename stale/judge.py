"""Findings + signals -> Verdict.

The score is a noisy-or of the weights of everything that speaks against the
page: 1 - prod(1 - w). One contradicted claim with evidence is enough to make a
page stale (the renamed flag that caused the outage was one claim among many).
Page-level hints (a "deprecated" marker, an old edit date) can make a page
suspect but never stale on their own: their combined score is capped just
below the stale threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from stale.config import JudgeConfig
from stale.hazard import HAZARD, detect_hazards
from stale.model import (
    HINT_KINDS,
    Claim,
    ClaimKind,
    Finding,
    Outcome,
    Page,
    Signal,
    Status,
    Verdict,
)

_MARKER_TEXT = {
    "deprecated": "the page says it is deprecated",
    "outdated": "the page says it is outdated",
    "todo": "the page has an open TODO to update it",
}


def hint_signals(
    page: Page, claims: Sequence[Claim], cfg: JudgeConfig, now: datetime | None = None
) -> list[Signal]:
    """Signals from page-level hints: markers, and an edit date older than old_page_days."""
    signals: list[Signal] = []
    seen: set[str] = set()
    for c in claims:
        if c.kind is ClaimKind.MARKER and not c.historical and c.subject not in seen:
            seen.add(c.subject)
            text = _MARKER_TEXT.get(c.subject, f"the page is marked {c.subject!r}")
            signals.append(
                Signal(
                    kind="marker", message=f"{text} (line {c.span.line})", weight=cfg.marker_weight
                )
            )
    now = now or datetime.now(UTC)
    when = page_date(page, claims)
    if when is not None:
        last, what = when
        age = (now - last).days
        if cfg.old_page_days and age > cfg.old_page_days:
            signals.append(
                Signal(
                    kind="age",
                    message=f"{what} {age} days ago ({last.date().isoformat()})",
                    weight=cfg.old_page_weight,
                )
            )
    return signals


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def page_date(page: Page, claims: Sequence[Claim]) -> tuple[datetime, str] | None:
    """When the page was last really reviewed: a date the page states ("Last
    updated: 3 March 2023", front matter `last_updated`) wins over the file's
    edit date, since a typo fix does not re-review a page; else the edit date."""
    stated = [
        d
        for c in claims
        if c.kind is ClaimKind.DATE and c.subject == "last_updated"
        if (d := _parse_iso(c.value)) is not None
    ]
    front = _parse_iso(page.prop("last_updated"))
    if front is not None:
        stated.append(front)
    if stated:
        return max(stated), "says it was last updated"
    if page.last_modified is None:
        return None
    last = page.last_modified
    return (last if last.tzinfo else last.replace(tzinfo=UTC)), "last edited"


def _finding_weight(f: Finding, cfg: JudgeConfig) -> float:
    if f.accepted is not None:
        return 0.0  # a person looked at it and accepted it (triage baseline)
    if f.claim.historical or not f.evidence:
        # Evidence or silence: a finding that cannot show where never counts.
        return 0.0
    if f.outcome is Outcome.CONTRADICTED:
        return cfg.contradicted_weight
    if f.outcome is Outcome.MISSING:
        has_commit = any(e.commit for e in f.evidence)
        return cfg.missing_weight if has_commit else cfg.missing_without_commit_weight
    return 0.0


def _noisy_or(weights: Sequence[float]) -> float:
    keep = 1.0
    for w in weights:
        keep *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - keep


def _describe_parts(f: Finding) -> tuple[str, int, str]:
    """(what the claim is, its line, what was found) for one finding."""
    c = f.claim
    head = f"{c.kind} `{c.subject}`" + (f" = {c.value}" if c.value else "")
    msg = f.message or str(f.outcome)
    sugg = f"; suggestion: {f.suggestion}" if f.suggestion and f.suggestion not in msg else ""
    return head, c.span.line, f"{msg}{sugg}"


def _merge_same(parts: Sequence[tuple[str, int, str]]) -> list[str]:
    """One reason per distinct finding; the same thing said on several lines
    becomes one sentence naming all the lines."""
    merged: dict[tuple[str, str], list[int]] = {}
    for head, line, msg in parts:
        merged.setdefault((head, msg), []).append(line)
    out = []
    for (head, msg), lines in merged.items():
        where = "line" if len(lines) == 1 else "lines"
        out.append(f"{head} ({where} {', '.join(str(n) for n in sorted(set(lines)))}): {msg}")
    return out


def judge(
    page: Page,
    claims: Sequence[Claim],
    findings: Sequence[Finding],
    cfg: JudgeConfig,
    *,
    signals: Sequence[Signal] = (),
    now: datetime | None = None,
) -> Verdict:
    """Decide a page's status from its findings and signals. Prompt-injection hazards
    on the page (stale.hazard) are added to the signals afterwards: they are shown
    and the filter acts on them, but they never change the status, score or reasons.
    Hazard signals passed in are kept only when the page comes without its body (a
    re-judge from the store); with a body they are detected afresh."""
    others = [s for s in signals if s.kind != HAZARD]
    verdict = _decide(page, claims, findings, cfg, signals=others, now=now)
    return _with_hazards(verdict, page, [s for s in signals if s.kind == HAZARD])


def _with_hazards(verdict: Verdict, page: Page, passed: Sequence[Signal] = ()) -> Verdict:
    body = page.body if isinstance(page.body, str) else ""
    hazards = detect_hazards(page) if body else list(passed)
    return replace(verdict, signals=(*verdict.signals, *hazards)) if hazards else verdict


def _decide(
    page: Page,
    claims: Sequence[Claim],
    findings: Sequence[Finding],
    cfg: JudgeConfig,
    *,
    signals: Sequence[Signal] = (),
    now: datetime | None = None,
) -> Verdict:
    now = now or datetime.now(UTC)
    all_signals = [*hint_signals(page, claims, cfg, now), *signals]

    current_findings = [f for f in findings if not f.claim.historical]
    checked = [f for f in current_findings if f.outcome is not Outcome.UNVERIFIABLE]
    against = sorted(
        ((w, f) for f in checked if (w := _finding_weight(f, cfg)) > 0),
        key=lambda wf: (-wf[0], wf[1].claim.span.line),
    )
    confirmed = [f for f in checked if f.outcome is Outcome.CONFIRMED]

    finding_score = _noisy_or([w for w, _ in against])
    hint_score = _noisy_or([s.weight for s in all_signals])
    # Hints alone never make a page stale.
    hint_score = min(hint_score, max(0.0, cfg.stale_score - 0.01))
    score = round(_noisy_or([finding_score, hint_score]), 4)

    reasons = _merge_same([_describe_parts(f) for _, f in against])
    reasons += [s.message for s in all_signals if s.weight > 0]
    accepted = [f for f in checked if f.accepted is not None]
    if accepted:
        reasons.append(f"{len(accepted)} finding(s) accepted in the triage baseline")

    # Past-tense claims the repository's history bears out (the flag did exist and
    # was removed; the old version was pinned): the page is an accurate record.
    history_matches = [
        f
        for f in findings
        if f.claim.historical
        and (
            (f.outcome is Outcome.CONFIRMED and f.evidence)
            or (
                f.outcome in (Outcome.MISSING, Outcome.CONTRADICTED)
                and any(e.commit for e in f.evidence)
            )
        )
    ]
    checkable = [c for c in claims if c.kind not in HINT_KINDS and not c.historical]
    if not checked and history_matches and score < cfg.suspect_score:
        example = history_matches[0]
        reasons = [
            f"a record of history: {len(history_matches)} past-tense claim(s) match the "
            f"repository's history (e.g. {example.claim.kind} `{example.claim.subject}`: "
            f"{example.message.rstrip('.')})",
            *reasons,
        ]
        return Verdict(
            source=page.source,
            page_id=page.page_id,
            status=Status.CURRENT,
            score=score,
            findings=tuple(findings),
            signals=tuple(all_signals),
            reasons=tuple(reasons),
            checked_at=now,
            content_hash=page.content_hash,
        )
    if not checked and not all_signals:
        why = (
            "no checkable claims on this page"
            if not checkable
            else f"none of its {len(checkable)} claims could be checked against the code"
        )
        status = Status.UNKNOWN
        reasons = [why]
        return Verdict(
            source=page.source,
            page_id=page.page_id,
            status=status,
            score=0.0,
            findings=tuple(findings),
            signals=tuple(all_signals),
            reasons=tuple(reasons),
            checked_at=now,
            content_hash=page.content_hash,
            error=None,
        )

    if score >= cfg.stale_score and against:
        status = Status.STALE
    elif score >= cfg.suspect_score:
        status = Status.SUSPECT
    elif checked:
        status = Status.CURRENT
    else:
        # Only weak hints and nothing checkable: we cannot call it current.
        status = Status.UNKNOWN
        reasons = ["none of its claims could be checked against the code", *reasons]
    if status is Status.CURRENT or (status is Status.SUSPECT and not against):
        reasons.append(f"{len(confirmed)} of {len(checked)} checked claims confirmed by the code")
    return Verdict(
        source=page.source,
        page_id=page.page_id,
        status=status,
        score=score,
        findings=tuple(findings),
        signals=tuple(all_signals),
        reasons=tuple(reasons),
        checked_at=now,
        content_hash=page.content_hash,
    )


def unknown_verdict(page: Page, error: str, now: datetime | None = None) -> Verdict:
    """A page that could not be checked: says why, keeps nothing else but the
    prompt-injection hazards found in its body (when the connector delivered one)."""
    verdict = Verdict(
        source=page.source,
        page_id=page.page_id,
        status=Status.UNKNOWN,
        score=0.0,
        reasons=(error,),
        checked_at=now or datetime.now(UTC),
        content_hash=page.content_hash,
        error=error,
    )
    return _with_hazards(verdict, page)
