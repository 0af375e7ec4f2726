"""`stale serve`: the HTTP API on an ephemeral port, called with urllib."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from test_integrations_support import build_store

from stale.filter import StalenessFilter
from stale.integrations.http_api import make_server

ROOT = Path(__file__).resolve().parent.parent


def call(
    base: str, path: str, body: bytes | None = None, method: str | None = None
) -> tuple[int, Any]:
    req = urllib.request.Request(base + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith("application/json")
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        assert e.headers["Content-Type"].startswith("application/json")
        return e.code, json.loads(e.read())


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    flt = StalenessFilter.from_store(build_store(tmp_path / "s.db"))
    server = make_server(flt, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_verdict_endpoints(base: str) -> None:
    status, body = call(base, "/healthz")
    assert status == 200 and body["ok"] is True and body["pages"] == 6

    status, body = call(base, "/pages/" + quote("ops/deploy.md", safe="") + "/verdict")
    assert status == 200 and body["status"] == "stale" and body["current"] is False
    assert body["reasons"][0].startswith("--region") and body["checked_at"].startswith("2025-03-02")
    status, body = call(base, "/pages/" + quote("mw:Deploy guide", safe="") + "/verdict")
    assert status == 200 and body["status"] == "suspect"

    ref = quote("https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456", safe="")
    status, body = call(base, f"/verdict?ref={ref}")
    assert status == 200 and body["page_id"] == "123456" and body["status"] == "stale"

    status, body = call(base, "/pages/nope.md/verdict")
    assert status == 404 and "no verdict" in body["error"]
    status, body = call(base, "/verdict")
    assert status == 400 and "ref" in body["error"]
    status, body = call(base, "/nowhere")
    assert status == 404 and "error" in body
    status, body = call(base, "/healthz", body=b"{}", method="POST")
    assert status == 405


def test_filter_endpoint(base: str) -> None:
    docs = [
        {"id": "ops/deploy.md", "text": "deploy with --region"},
        {"url": "https://wiki.acme.com/ops/runbook.md", "text": "runbook"},
        {"metadata": {"source": "/srv/wiki/dev/setup.md"}, "text": "setup", "score": 0.4},
        {"text": "no reference at all"},
    ]
    status, body = call(base, "/filter", json.dumps({"documents": docs}).encode())
    assert status == 200 and body["dropped"] == 1
    out = body["documents"]
    assert [d["metadata"]["stale_status"] for d in out] == ["suspect", "current", "unchecked"]
    assert out[0]["text"].startswith("[stale: this wiki page is possibly out of date")
    assert out[0]["url"] == "https://wiki.acme.com/ops/runbook.md"

    req = {"documents": docs, "policies": {"stale": "annotate", "suspect": "drop"}}
    status, body = call(base, "/filter", json.dumps(req).encode())
    assert status == 200 and body["dropped"] == 1
    assert [d["metadata"]["stale_status"] for d in body["documents"]] == [
        "stale",
        "current",
        "unchecked",
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected"),
        (b'{"documents": [1]}', "JSON object"),
        (b'{"documents": [], "policies": {"stale": "explode"}}', "policies"),
        (b'{"documents": [], "policies": {"nope": "drop"}}', "unknown policy key"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_requests_get_json_errors(base: str, payload: bytes, message: str) -> None:
    status, body = call(base, "/filter", payload)
    assert status == 400, body
    assert message in body["error"]
    assert "Traceback" not in body["error"]
    status, _ = call(base, "/healthz")  # the server is still fine
    assert status == 200


def test_serve_command_binds_localhost(tmp_path: Path) -> None:
    store = build_store(tmp_path / "s.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stale.cli", "serve", "--store", str(store), "--port", "0", "-q"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"http://(127\.0\.0\.1):(\d+)/ \(6 pages\)", line)
        assert m, line
        status, body = call(f"http://127.0.0.1:{m.group(2)}", "/pages/team.md/verdict")
        assert status == 200 and body["status"] == "unknown"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
