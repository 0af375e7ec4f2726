"""LlamaIndex: StaleNodePostprocessor in a real retriever + query engine (no model download)."""

from __future__ import annotations

from pathlib import Path

from test_integrations_support import build_store, require

require("llama_index.core", "llamaindex")

from llama_index.core import SummaryIndex  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402
from llama_index.core.schema import NodeWithScore, TextNode  # noqa: E402

from stale.filter import Policies, StalenessFilter  # noqa: E402
from stale.integrations.llamaindex import StaleNodePostprocessor  # noqa: E402


def nodes() -> list[TextNode]:
    return [
        TextNode(
            text="Run deploy.sh --region eu", metadata={"file_path": "/srv/wiki/ops/deploy.md"}
        ),
        TextNode(text="Billing runbook", metadata={"url": "https://wiki.acme.com/ops/runbook.md"}),
        TextNode(text="Developer setup", metadata={"page_id": "dev/setup.md"}),
        TextNode(text="Unrelated notes", metadata={"file_path": "/tmp/notes.txt"}),
    ]


def test_query_engine_drops_stale_and_annotates_suspect(tmp_path: Path) -> None:
    store = build_store(tmp_path / "s.db")
    post = StaleNodePostprocessor.from_store(store)
    retriever = SummaryIndex(nodes()).as_retriever()
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(), node_postprocessors=[post])

    response = engine.query("how do I deploy billing?")
    by_text = {n.node.get_content().split("\n\n")[-1]: n.node for n in response.source_nodes}
    assert set(by_text) == {"Billing runbook", "Developer setup", "Unrelated notes"}
    runbook = by_text["Billing runbook"]
    assert runbook.metadata["stale_status"] == "suspect"
    assert runbook.metadata["stale_reasons"] == ["last updated 2019-04-01, over 5 years ago"]
    assert runbook.get_content().startswith("[stale: this wiki page is possibly out of date")
    assert "stale_status" in runbook.excluded_embed_metadata_keys
    assert by_text["Developer setup"].metadata["stale_status"] == "current"
    assert by_text["Unrelated notes"].metadata["stale_status"] == "unchecked"
    # what the LLM was given mentions the warning, and not the stale page
    assert "--region" not in str(response)
    # the index's own nodes were not changed
    assert all("stale_status" not in n.node.metadata for n in retriever.retrieve("deploy"))


def test_downrank_multiplies_node_scores(tmp_path: Path) -> None:
    flt = StalenessFilter.from_store(build_store(tmp_path / "s.db"))
    post = StaleNodePostprocessor(
        staleness_filter=flt,
        policies=Policies(stale="downrank", downrank_factor=0.25),  # type: ignore[arg-type]
    )
    scored = [
        NodeWithScore(node=n, score=s) for n, s in zip(nodes(), (0.9, 0.8, 0.7, 0.6), strict=True)
    ]
    out = post.postprocess_nodes(scored, query_str="deploy")
    assert [round(n.score or 0, 3) for n in out] == [0.8, 0.7, 0.6, 0.225]
    assert out[-1].node.metadata["stale_status"] == "stale"
    assert scored[0].score == 0.9
