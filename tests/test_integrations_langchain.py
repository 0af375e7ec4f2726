"""LangChain: StaleFilterRetriever and StaleDocumentCompressor around a real BaseRetriever."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_integrations_support import build_store, require

require("langchain_core", "langchain")

from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402

from stale.filter import StalenessFilter  # noqa: E402
from stale.integrations.langchain import (  # noqa: E402
    StaleDocumentCompressor,
    StaleFilterRetriever,
)


class FixedRetriever(BaseRetriever):
    """Returns the same documents for every query (a stand-in for a vector store)."""

    docs: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.docs


DOCS = [
    Document(
        page_content="./deploy.sh --region eu",
        metadata={"source": "https://wiki.acme.com/ops/deploy.md"},
    ),
    Document(page_content="Billing runbook", metadata={"source": "/srv/wiki/ops/runbook.md"}),
    Document(
        page_content="Developer setup", metadata={"source": "https://wiki.acme.com/dev/setup.md/"}
    ),
]


def check(docs: list[Document]) -> None:
    assert [d.metadata["stale_status"] for d in docs] == ["suspect", "current"]
    runbook = docs[0]
    assert runbook.page_content.startswith("[stale: this wiki page is possibly out of date")
    assert runbook.page_content.endswith("Billing runbook")
    assert runbook.metadata["stale_reasons"] == ["last updated 2019-04-01, over 5 years ago"]
    assert runbook.metadata["stale_checked_at"].startswith("2025-03-02")
    assert docs[1].page_content == "Developer setup"
    assert DOCS[1].page_content == "Billing runbook" and "stale_status" not in DOCS[1].metadata


def test_retriever_wrapper(tmp_path: Path) -> None:
    store = build_store(tmp_path / "s.db")
    retriever = StaleFilterRetriever.from_store(FixedRetriever(docs=DOCS), store)
    check(retriever.invoke("how do I deploy?"))
    check(asyncio.run(retriever.ainvoke("how do I deploy?")))


def test_compressor(tmp_path: Path) -> None:
    flt = StalenessFilter.from_store(build_store(tmp_path / "s.db"))
    compressor = StaleDocumentCompressor(staleness_filter=flt)
    check(list(compressor.compress_documents(DOCS, "deploy")))


def test_contextual_compression_retriever(tmp_path: Path) -> None:
    try:
        from langchain_classic.retrievers import ContextualCompressionRetriever
    except ImportError:
        pytest.skip("langchain-classic is not installed")
    compressor = StaleDocumentCompressor.from_store(build_store(tmp_path / "s.db"))
    retriever = ContextualCompressionRetriever(
        base_compressor=compressor, base_retriever=FixedRetriever(docs=DOCS)
    )
    check(retriever.invoke("deploy"))
