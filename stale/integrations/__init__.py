"""Adapters from `StalenessFilter` to retrieval frameworks and agent protocols.

Each module imports its framework at import time, so import only the one you use:

- `stale.integrations.langchain`: `StaleDocumentCompressor`, `StaleFilterRetriever`
  (extra `stale[langchain]`);
- `stale.integrations.llamaindex`: `StaleNodePostprocessor` (extra `stale[llamaindex]`);
- `stale.integrations.haystack`: `StaleDocumentFilter` (extra `stale[haystack]`);
- `stale.integrations.mcp_server`: the `stale mcp` server (extra `stale[mcp]`);
- `stale.integrations.http_api`: the `stale serve` HTTP API (standard library only).

This package itself imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stale.filter import Policies, StalenessFilter


def resolve_filter(
    staleness_filter: StalenessFilter | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> StalenessFilter:
    """The filter an adapter uses: given, or built from a store or a manifest."""
    given = [x is not None for x in (staleness_filter, store, manifest)]
    if sum(given) != 1:
        raise ValueError("pass exactly one of staleness_filter=, store= or manifest=")
    if staleness_filter is not None:
        return staleness_filter
    if store is not None:
        return StalenessFilter.from_store(Path(store), **kwargs)
    assert manifest is not None
    return StalenessFilter.from_manifest(Path(manifest), **kwargs)


def as_policies(policies: Policies | dict[str, Any] | None) -> Policies | None:
    if policies is None or isinstance(policies, Policies):
        return policies
    return Policies.from_mapping(policies)
