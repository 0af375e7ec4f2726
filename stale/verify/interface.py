"""The Verifier extension axis: one verifier per claim kind (or a few kinds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from stale.model import Claim, ClaimKind, Finding

if TYPE_CHECKING:
    from stale.codebase import Codebase


class VerifierError(Exception):
    """Base for errors raised by verifiers (a bug or an unreadable index)."""


@runtime_checkable
class Verifier(Protocol):
    """Checks claims of `kinds` against the code. Never raises for a claim it
    cannot check: returns Outcome.UNVERIFIABLE with a message instead."""

    kinds: frozenset[ClaimKind]

    def verify(self, claim: Claim, code: Codebase) -> Finding: ...
