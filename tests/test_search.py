"""`stale search` and the semantic ranker behind StalenessFilter.search / the MCP tool."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stale.cli import app
from stale.filter import KeywordRanker, StalenessFilter

runner = CliRunner()


def _scan(world: dict[str, Path | str]) -> str:
    store = str(world["store"])
    res = runner.invoke(
        app,
        ["scan", "--wiki", str(world["wiki"]), "--repo", str(world["repo"]), "--store", store],
    )
    assert res.exit_code == 1, res.output  # old.md is stale
    assert "embedder: hashing-ngrams-512" in res.output and "built-in, offline" in res.output
    return store


def test_search_ranks_by_meaning_and_flags_stale_pages(world: dict[str, Path | str]) -> None:
    store = _scan(world)
    res = runner.invoke(app, ["search", "how do I deploy with a zone", "--store", store])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith(" 1.") and "[wiki:new.md]" in lines[0] and "CURRENT" in lines[0]
    stale_line = next(ln for ln in lines if "[wiki:old.md]" in ln)
    assert "STALE" in stale_line
    flag = lines[lines.index(stale_line) + 1]
    assert "!! STALE: out of date, do not rely on it" in flag and "--region" in flag
    assert "(embedder: hashing-ngrams-512" in lines[-1]

    res = runner.invoke(app, ["search", "cake on mondays", "--store", store, "-n", "1", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["embedder"].startswith("hashing-ngrams-512")
    (top,) = doc["results"]
    assert top["page_id"] == "team.md" and top["stale"] is False and top["similarity"] > 0.2
    assert set(top) >= {"source", "title", "url", "status", "current", "reasons", "checked_at"}

    res = runner.invoke(app, ["search", "deploy", "--store", store, "--limit", "0"])
    assert res.exit_code == 2 and "--limit" in res.output


def test_search_without_embeddings_says_what_to_do(tmp_path: Path) -> None:
    res = runner.invoke(app, ["search", "deploy", "--store", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "no store here yet" in res.output
    from stale.store import Store

    Store.open(tmp_path / "empty.db").close()
    res = runner.invoke(app, ["search", "deploy", "--store", str(tmp_path / "empty.db")])
    assert res.exit_code == 2 and "no page embeddings yet" in res.output


def test_filter_and_mcp_search_use_the_page_index(world: dict[str, Path | str]) -> None:
    from stale.integrations.mcp_server import search_current_pages
    from stale.semantic.search import SemanticRanker

    store = _scan(world)
    flt = StalenessFilter.from_store(store, auto_reload=False)
    assert isinstance(flt._default_ranker(), SemanticRanker)
    hits = flt.search("meet on mondays and eat cake", limit=2)
    assert hits[0][0].key == "wiki:team.md" and hits[0][1] > 0.2
    # keyword ranking finds nothing for words that are in no title or id
    assert KeywordRanker().rank("meet on mondays and eat cake", flt, 2) == []
    out = search_current_pages(flt, "deploy zone dry run", limit=3)
    pages = [r["page"] for r in out["results"]]
    assert pages[0] == "wiki:new.md" and "wiki:old.md" in pages
    assert all(r["stale"] == (r["status"] == "stale") for r in out["results"])
    flt.close()
    # a manifest has no page index: keyword ranking
    manifest = Path(world["tmp"]) / "m.jsonl"
    assert runner.invoke(app, ["export", "--store", store, "-o", str(manifest)]).exit_code == 0
    mflt = StalenessFilter.from_manifest(manifest)
    assert isinstance(mflt._default_ranker(), KeywordRanker)
