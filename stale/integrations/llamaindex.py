"""LlamaIndex: a node postprocessor (extra `stale[llamaindex]`).

    from stale.integrations.llamaindex import StaleNodePostprocessor
    engine = index.as_query_engine(
        node_postprocessors=[StaleNodePostprocessor.from_store(".stale/stale.db")]
    )

Nodes are matched through `node.metadata` (`file_path`, `url`, `page_id`, ...) and the
node's `ref_doc_id`; `downrank` multiplies `NodeWithScore.score`. Annotations
(`stale_status`, `stale_hazard` for a page with hidden or agent-directed text, ...) go to
the node's metadata, kept out of its embedding.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from stale.filter import DocumentAccess, Policies, StalenessFilter
from stale.integrations import resolve_filter

__all__ = ["StaleNodePostprocessor"]


class _NodeAccess(DocumentAccess):
    def ref_maps(self, doc: Any) -> list[Mapping[str, Any]]:
        node = doc.node
        maps: list[Mapping[str, Any]] = [node.metadata]
        ref_doc = getattr(node, "ref_doc_id", None)
        if ref_doc:
            maps.append({"id": ref_doc})
        return maps

    def text(self, doc: Any) -> str | None:
        node = doc.node
        return node.text if isinstance(node, TextNode) else None

    def score(self, doc: Any) -> float | None:
        s = doc.score
        return float(s) if s is not None else None

    def update(
        self, doc: Any, meta: Mapping[str, Any], text: str | None, score: float | None
    ) -> Any:
        node = doc.node.model_copy()
        node.metadata = {**doc.node.metadata, **meta}
        # The annotations are for the reader of the text; keep them out of embeddings.
        node.excluded_embed_metadata_keys = [
            *node.excluded_embed_metadata_keys,
            *(k for k in meta if k not in node.excluded_embed_metadata_keys),
        ]
        if text is not None and isinstance(node, TextNode):
            node.text = text
        return NodeWithScore(node=node, score=score if score is not None else doc.score)


_NODES = _NodeAccess()


class StaleNodePostprocessor(BaseNodePostprocessor):
    """Drops, annotates or downranks retrieved nodes by their page's verdict."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    staleness_filter: StalenessFilter
    policies: Policies | None = None

    @classmethod
    def class_name(cls) -> str:
        return "StaleNodePostprocessor"

    @classmethod
    def from_store(cls, path: str | os.PathLike[str], **kwargs: Any) -> StaleNodePostprocessor:
        return cls(staleness_filter=resolve_filter(store=path), **kwargs)

    @classmethod
    def from_manifest(cls, path: str | os.PathLike[str], **kwargs: Any) -> StaleNodePostprocessor:
        return cls(staleness_filter=resolve_filter(manifest=path), **kwargs)

    def _postprocess_nodes(
        self,
        nodes: list[NodeWithScore],
        query_bundle: QueryBundle | None = None,
    ) -> list[NodeWithScore]:
        return self.staleness_filter.apply(nodes, policies=self.policies, access=_NODES)
