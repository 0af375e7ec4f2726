"""The Connector extension axis: one module per wiki kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from stale.model import Page, Verdict


class ConnectorError(Exception):
    """Base for connector failures. The message is one line a user can act on."""


class PageNotFound(ConnectorError):
    """`page(ref)` was given something this source does not hold."""


@runtime_checkable
class Connector(Protocol):
    """A source of wiki pages. `name` is the configured source name."""

    name: str

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        """Stream every page (or only those changed since `since`)."""
        ...

    def page(self, ref: str) -> Page:
        """One page by id, path or URL; raises PageNotFound."""
        ...

    def owns(self, ref: str) -> str | None:
        """The page id `ref` names in this source, or None if not ours."""
        ...


@runtime_checkable
class Taggable(Protocol):
    """Connectors that can write a tag back to the wiki.

    `tag` and `untag` must be idempotent (write only what is missing), because
    a write whose answer was lost is retried on the next run. Optionally, a
    connector also offers `is_tagged(page) -> bool`, reading the wiki's current
    state: `stale tag` uses it to settle a write whose outcome is unknown
    before acting again (without it such a page stays unsettled)."""

    def tag(self, page: Page, verdict: Verdict) -> None: ...

    def untag(self, page: Page) -> None: ...
