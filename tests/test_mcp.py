"""`stale mcp`: a real MCP client session over stdio against the server subprocess."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from test_integrations_support import build_store, require

require("mcp", "mcp")

import anyio  # noqa: E402
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from stale.filter import StalenessFilter  # noqa: E402
from stale.integrations.mcp_server import is_page_current, search_current_pages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def payload(result: Any) -> dict[str, Any]:
    assert not result.is_error, result
    if result.structured_content:
        data = result.structured_content
        return data.get("result", data) if set(data) == {"result"} else data
    return json.loads(result.content[0].text)


async def session_calls(args: list[str]) -> tuple[list[str], dict[str, Any], dict[str, Any], dict]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "stale.cli", "mcp", *args],
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")},
        cwd=str(ROOT),
    )
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            stale = payload(
                await session.call_tool(
                    "is_page_current",
                    {"url_or_id": "https://wiki.acme.com/ops/deploy.md?utm_source=agent"},
                )
            )
            missing = payload(await session.call_tool("is_page_current", {"url_or_id": "nope.md"}))
            found = payload(
                await session.call_tool("search_current_pages", {"query": "deploy", "limit": 5})
            )
    return tools, stale, missing, found


@pytest.mark.parametrize("source", ["store", "manifest"])
def test_agent_asks_whether_a_page_is_current(tmp_path: Path, source: str) -> None:
    store = build_store(tmp_path / "s.db")
    if source == "store":
        args = ["--store", str(store)]
    else:
        from typer.testing import CliRunner

        from stale.cli import app

        manifest = tmp_path / "m.jsonl"
        res = CliRunner().invoke(app, ["export", "--store", str(store), "-o", str(manifest)])
        assert res.exit_code == 0, res.output
        args = ["--manifest", str(manifest)]

    tools, stale, missing, found = anyio.run(session_calls, args)
    assert tools == ["is_page_current", "search_current_pages"]
    assert stale["found"] is True and stale["status"] == "stale" and stale["stale"] is True
    assert stale["reasons"] == [
        "--region is not accepted by scripts/deploy.sh; it was renamed --zone"
    ]
    assert stale["checked_at"].startswith("2025-03-02")
    assert stale["title"] == "Deploying billing"
    assert stale["url"] == "https://wiki.acme.com/ops/deploy.md"
    assert any("scripts/deploy.sh:5" in e for e in stale["evidence"])
    assert missing["found"] is False and missing["status"] == "unchecked"
    results = found["results"]
    assert {r["page"] for r in results} >= {"wiki:ops/deploy.md", "mw:Deploy guide"}
    assert all(r["stale"] == (r["status"] == "stale") for r in results)


def test_tool_functions_directly(tmp_path: Path) -> None:
    flt = StalenessFilter.from_store(build_store(tmp_path / "s.db"))
    assert is_page_current(flt, " dev/setup.md ")["current"] is True
    out = search_current_pages(flt, "billing", limit=2)
    assert len(out["results"]) == 2
    assert out["results"][0]["relevance"] >= out["results"][1]["relevance"]


def test_mcp_command_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stale.cli import app

    res = CliRunner().invoke(app, ["mcp", "--store", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "no store here yet" in res.output
    res = CliRunner().invoke(
        app, ["mcp", "--store", "a.db", "--manifest", str(tmp_path / "m.jsonl")]
    )
    assert res.exit_code == 2 and "not both" in res.output
