"""Haystack: StaleDocumentFilter in a real Pipeline behind InMemoryBM25Retriever."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from test_integrations_support import build_store, require

require("haystack", "haystack")

from haystack import Document, Pipeline  # noqa: E402
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever  # noqa: E402
from haystack.document_stores.in_memory import InMemoryDocumentStore  # noqa: E402

from stale.integrations.haystack import StaleDocumentFilter  # noqa: E402


def test_pipeline_drops_stale_and_annotates_suspect(tmp_path: Path) -> None:
    store = build_store(tmp_path / "s.db")
    docs = InMemoryDocumentStore()
    docs.write_documents(
        [
            Document(
                content="deploy billing with --region",
                meta={"file_path": "/srv/wiki/ops/deploy.md"},
            ),
            Document(
                content="deploy billing runbook",
                meta={"url": "https://wiki.acme.com/ops/runbook.md"},
            ),
            Document(content="deploy billing: developer setup", meta={"page_id": "dev/setup.md"}),
            Document(
                content="deploy billing guide (Confluence)",
                meta={"url": "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456"},
            ),
        ]
    )
    pipe = Pipeline()
    pipe.add_component("retriever", InMemoryBM25Retriever(document_store=docs, top_k=10))
    pipe.add_component("stale", StaleDocumentFilter(store=str(store)))
    pipe.connect("retriever.documents", "stale.documents")

    out = pipe.run({"retriever": {"query": "deploy billing"}})["stale"]["documents"]
    assert len(out) == 2
    by_status = {d.meta["stale_status"]: d for d in out}
    assert set(by_status) == {"suspect", "current"}
    suspect = by_status["suspect"]
    assert suspect.content.startswith("[stale: this wiki page is possibly out of date")
    assert suspect.meta["stale_reasons"] == ["last updated 2019-04-01, over 5 years ago"]
    assert suspect.score is not None
    # the document store still holds the original text
    stored = docs.filter_documents()
    assert not any(d.content.startswith("[stale") for d in stored)

    # serialisable like any Haystack component
    again = Pipeline.loads(pipe.dumps(), allowed_modules=["stale.integrations.haystack"])
    out2 = again.run({"retriever": {"query": "deploy billing"}})["stale"]["documents"]
    assert sorted(d.meta["stale_status"] for d in out2) == ["current", "suspect"]


def test_component_policies(tmp_path: Path) -> None:
    comp = StaleDocumentFilter(
        store=str(build_store(tmp_path / "s.db")), policies={"stale": "downrank"}
    )
    doc = Document(content="x", meta={"page_id": "ops/deploy.md"}, score=2.0)
    (out,) = comp.run([doc])["documents"]
    assert out.score == 1.0 and out.meta["stale_status"] == "stale" and doc.score == 2.0
