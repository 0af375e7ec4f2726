"""The Markdown report: for a chat message or a pull-request comment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from stale.model import Outcome, Signal, Status, Verdict
from stale.report.interface import PageVerdict
from stale.store import RunRecord

_ORDER = (Status.STALE, Status.SUSPECT, Status.UNKNOWN, Status.CURRENT)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def _inert(s: str) -> str:
    """Page text made inert in Markdown: no markup, no HTML, no links."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _hazards(v: Verdict) -> list[Signal]:
    return [s for s in v.signals if s.kind == "hazard"]


class MarkdownReporter:
    def write(self, run: RunRecord | None, pages: Sequence[PageVerdict], out: TextIO) -> None:
        counts = {s: sum(1 for p in pages if p.verdict.status is s) for s in _ORDER}
        out.write("# stale report\n\n")
        if run is not None:
            out.write(f"Run {run.id} ({run.status}), finished {run.finished_at or 'n/a'}.\n\n")
        hazardous = [p for p in pages if _hazards(p.verdict)]
        summary = " · ".join(f"**{counts[s]}** {s}" for s in _ORDER)
        if hazardous:
            summary += f" · **{len(hazardous)}** with hidden or agent-directed text"
        out.write(summary + "\n\n")
        if hazardous:
            out.write(
                f"## Pages with hidden or agent-directed text ({len(hazardous)})\n\n"
                "Possible prompt injection: the retrieval filter drops these pages by "
                "default. Excerpts are shown inert.\n\n"
            )
            for p in hazardous:
                v = p.verdict
                out.write(
                    f"- [{_cell(p.page.title)}]({p.page.url}) `{v.source}:{v.page_id}` "
                    f"({v.status})\n"
                )
                for sig in _hazards(v):
                    out.write(f"  - {_inert(sig.message)}\n")
                    for e in sig.evidence:
                        out.write(f"    - line {e.line}: {_inert(e.text or '')}\n")
            out.write("\n")
        for status in _ORDER:
            group = [p for p in pages if p.verdict.status is status]
            if not group:
                continue
            out.write(f"## {status.value.capitalize()} ({len(group)})\n\n")
            if status is Status.CURRENT:
                for p in group:
                    out.write(f"- [{_cell(p.page.title)}]({p.page.url}) `{p.verdict.page_id}`\n")
                out.write("\n")
                continue
            for p in group:
                v = p.verdict
                out.write(
                    f"### [{_cell(p.page.title)}]({p.page.url})\n\n"
                    f"`{v.source}:{v.page_id}` · score {v.score:.2f}\n\n"
                )
                for reason in v.reasons:
                    out.write(f"- {_cell(reason)}\n")
                for f in v.findings:
                    if (
                        f.outcome in (Outcome.CONTRADICTED, Outcome.MISSING)
                        and not f.claim.historical
                    ):
                        for e in f.evidence:
                            out.write(
                                f"  - evidence for `{_cell(f.claim.subject)}`: {e.describe()}\n"
                            )
                out.write("\n")
