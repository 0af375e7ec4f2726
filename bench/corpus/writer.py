"""Recording claims while writing a page.

Every fact a template puts on a page goes through `Writer`, which returns the
text to show and records a `ClaimRec` (kind, subject, the value the page states,
the component it belongs to, whether it is told as history). Labels are derived
afterwards by comparing each record with the repository at HEAD.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.corpus.model import Fact, State


@dataclass
class ClaimRec:
    kind: str
    subject: str
    value: str | None
    owner: str
    historical: bool = False
    label: str = ""

    def as_json(self) -> dict[str, object]:
        d: dict[str, object] = {
            "kind": self.kind,
            "subject": self.subject,
            "value": self.value,
            "label": self.label,
        }
        if self.historical:
            d["historical"] = True
        return d


@dataclass
class Writer:
    rng: random.Random
    snap: State
    claims: list[ClaimRec] = field(default_factory=list)
    decoys: list[dict[str, str]] = field(default_factory=list)
    marker: bool = False

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def fact(self, slot: str) -> Fact:
        return self.snap.facts[slot]

    def rec(
        self,
        kind: str,
        subject: str,
        value: str | None,
        owner: str,
        historical: bool = False,
    ) -> None:
        for c in self.claims:
            if (c.kind, c.subject, c.owner, c.historical) == (kind, subject, owner, historical):
                if value is not None and c.value is None:
                    c.value = value
                return
        self.claims.append(ClaimRec(kind, subject, value, owner, historical))

    def c(
        self, slot: str, *, value: bool = False, hist: bool = False, f: Fact | None = None
    ) -> str:
        """Record the fact in `slot` (or the given old version `f`); return how it is written."""
        fact = f or self.snap.facts[slot]
        owner = slot.split("/", 1)[0]
        self.rec(fact.kind, fact.subject, fact.value if value else None, owner, hist)
        return fact.shown

    def path(self, path: str, *, hist: bool = False) -> str:
        self.rec("path", path, None, "file", hist)
        return path

    def decoy(self, kind: str, text: str) -> str:
        self.decoys.append({"kind": kind, "text": text})
        return text


def label_claims(claims: list[ClaimRec], head: State, head_files: set[str]) -> None:
    """Set each record's label: "ok" when it holds at HEAD, else "stale"."""
    for c in claims:
        if c.kind == "path":
            ok = c.subject in head_files
        else:
            ok = any(
                f.kind == c.kind
                and f.subject == c.subject
                and (c.value is None or f.value == c.value)
                for _, f in head.of(c.owner)
            )
        c.label = "ok" if ok else "stale"
