"""Haystack: a pipeline component (extra `stale[haystack]`).

    from stale.integrations.haystack import StaleDocumentFilter
    pipe.add_component("stale", StaleDocumentFilter(store=".stale/stale.db"))
    pipe.connect("retriever.documents", "stale.documents")

Documents are matched through `Document.meta` (`file_path`, `url`, `page_id`, ...); a
kept document's `meta` gets `stale_status` (and `stale_hazard` for a page with hidden or
agent-directed text, which the default policies drop).
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from stale.filter import Policies, StalenessFilter
from stale.integrations import as_policies, resolve_filter

__all__ = ["StaleDocumentFilter"]


@component
class StaleDocumentFilter:
    """Drops, annotates or downranks Documents by their page's verdict.

    Give `store` (a stale SQLite store) or `manifest` (from `stale export`), or a ready
    `staleness_filter` (then the component cannot be serialised). `policies` is a dict
    like `{"suspect": "downrank"}` (docs/filter.md).
    """

    def __init__(
        self,
        store: str | None = None,
        manifest: str | None = None,
        policies: dict[str, Any] | None = None,
        check_interval: float = 5.0,
        staleness_filter: StalenessFilter | None = None,
    ) -> None:
        self.store = store
        self.manifest = manifest
        self.policies = policies
        self.check_interval = check_interval
        kwargs: dict[str, Any] = {} if staleness_filter else {"check_interval": check_interval}
        self.staleness_filter = resolve_filter(
            staleness_filter, store=store, manifest=manifest, **kwargs
        )
        self._policies: Policies | None = as_policies(policies)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        return {"documents": self.staleness_filter.apply(documents, policies=self._policies)}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            store=self.store,
            manifest=self.manifest,
            policies=self.policies,
            check_interval=self.check_interval,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StaleDocumentFilter:
        return default_from_dict(cls, data)
