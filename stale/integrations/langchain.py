"""LangChain: a document compressor and a retriever wrapper (extra `stale[langchain]`).

    from stale.integrations.langchain import StaleFilterRetriever
    retriever = StaleFilterRetriever.from_store(base_retriever, ".stale/stale.db")

`StaleDocumentCompressor` also plugs into langchain-classic's
`ContextualCompressionRetriever(base_compressor=..., base_retriever=...)`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
    Callbacks,
)
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever, RetrieverLike
from pydantic import ConfigDict

from stale.filter import Policies, StalenessFilter
from stale.integrations import resolve_filter

__all__ = ["StaleDocumentCompressor", "StaleFilterRetriever"]


class StaleDocumentCompressor(BaseDocumentCompressor):
    """Drops, annotates or downranks retrieved Documents by their page's verdict.

    Documents are matched through `metadata` (`source`, `url`, `page_id`, ...); the
    annotations land in a copy's metadata (`stale_status`, `stale_reasons`,
    `stale_checked_at`; `stale_hazard` for a page with hidden or agent-directed text,
    which the default policies drop) and, for annotated ones, a warning before
    `page_content`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    staleness_filter: StalenessFilter
    policies: Policies | None = None

    @classmethod
    def from_store(cls, path: str | os.PathLike[str], **kwargs: Any) -> StaleDocumentCompressor:
        return cls(staleness_filter=resolve_filter(store=path), **kwargs)

    @classmethod
    def from_manifest(cls, path: str | os.PathLike[str], **kwargs: Any) -> StaleDocumentCompressor:
        return cls(staleness_filter=resolve_filter(manifest=path), **kwargs)

    def compress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        return self.staleness_filter.apply(list(documents), policies=self.policies)


class StaleFilterRetriever(BaseRetriever):
    """Wraps another retriever; what it returns goes through the staleness filter."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: RetrieverLike
    staleness_filter: StalenessFilter
    policies: Policies | None = None

    @classmethod
    def from_store(
        cls, retriever: RetrieverLike, path: str | os.PathLike[str], **kwargs: Any
    ) -> StaleFilterRetriever:
        return cls(retriever=retriever, staleness_filter=resolve_filter(store=path), **kwargs)

    @classmethod
    def from_manifest(
        cls, retriever: RetrieverLike, path: str | os.PathLike[str], **kwargs: Any
    ) -> StaleFilterRetriever:
        return cls(retriever=retriever, staleness_filter=resolve_filter(manifest=path), **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        docs = self.retriever.invoke(query, config={"callbacks": run_manager.get_child()}, **kwargs)
        return self.staleness_filter.apply(docs, policies=self.policies)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        docs = await self.retriever.ainvoke(
            query, config={"callbacks": run_manager.get_child()}, **kwargs
        )
        return self.staleness_filter.apply(docs, policies=self.policies)
