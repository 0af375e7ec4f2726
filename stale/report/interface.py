"""The Reporter extension axis: verdicts -> a document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO, runtime_checkable

from stale.model import Verdict
from stale.store import RunRecord, Store, StoredPage


class ReportError(Exception):
    """A report could not be written."""


@dataclass(frozen=True)
class PageVerdict:
    page: StoredPage
    verdict: Verdict


@runtime_checkable
class Reporter(Protocol):
    def write(self, run: RunRecord | None, pages: Sequence[PageVerdict], out: TextIO) -> None: ...


def collect(store: Store) -> tuple[RunRecord | None, list[PageVerdict]]:
    """Every page with a verdict, in (source, page_id) order, and the last run."""
    pages = {(p.source, p.page_id): p for p in store.pages()}
    rows = [PageVerdict(page=pages[v.key], verdict=v) for v in store.verdicts() if v.key in pages]
    return store.last_run(), rows
