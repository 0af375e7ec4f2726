"""The Confluence connector over real HTTP against a local server that follows
the documented REST API shape (content listing, CQL search, labels, user/current)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import ConnectorError
from connectors.confluence import ConfluenceConnector, ConfluenceError
from connectors.http import AuthError, HttpClient, redact
from stale.model import Page, Status, Verdict

TOKEN = "s3cret-token-value"


def _content(i: int, space: str = "ENG") -> dict[str, Any]:
    return {
        "id": str(1000 + i),
        "type": "page",
        "status": "current",
        "title": f"Page {i}",
        "space": {"key": space},
        "body": {"storage": {"value": f"<p>Run <code>make deploy{i}</code>.</p>"}},
        "version": {"number": 3, "when": "2025-03-02T10:00:00.000Z", "by": {"displayName": "Ann"}},
        "history": {"lastUpdated": {"when": "2025-03-02T10:00:00.000Z"}},
        "metadata": {"labels": {"results": [{"prefix": "global", "name": "ops"}]}},
        "ancestors": [{"title": "Home"}, {"title": "Ops"}],
        "_links": {"webui": f"/spaces/{space}/pages/{1000 + i}/Page+{i}"},
    }


class Fake:
    def __init__(self) -> None:
        self.mode = "cursor"  # or "offset"
        self.prefix = "/wiki"
        self.expect_auth = ""
        self.anonymous = False
        self.throttle_once = False
        self.requests: list[tuple[str, str, str]] = []  # method, path?query, body
        self.throttled_at: float | None = None
        self.retried_at: float | None = None
        self.total = 5


def make_handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def _send(
            self, status: int, doc: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            body = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            fake.requests.append((method, self.path, body))
            if self.headers.get("Authorization") != fake.expect_auth:
                return self._send(401, {"message": "Unauthorized"})
            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            path = parts.path.removeprefix(fake.prefix)
            if path == "/rest/api/user/current":
                if fake.anonymous:
                    return self._send(200, {"type": "anonymous", "displayName": "Anonymous"})
                return self._send(200, {"type": "known", "accountId": "a1", "displayName": "Bot"})
            if path == "/rest/api/content" and method == "GET":
                if fake.throttle_once:
                    fake.throttle_once = False
                    fake.throttled_at = time.monotonic()
                    return self._send(429, {"message": "slow down"}, {"Retry-After": "1"})
                if fake.throttled_at and fake.retried_at is None:
                    fake.retried_at = time.monotonic()
                limit = int(q.get("limit", 25))
                limit = min(limit, 2)  # the server caps the page size
                start = int(q.get("cursor", q.get("start", 0)))
                items = [_content(i, q.get("spaceKey", "ENG")) for i in range(fake.total)]
                chunk = items[start : start + limit]
                links: dict[str, Any] = {"base": f"http://{self.headers['Host']}{fake.prefix}"}
                if fake.mode == "cursor" and start + limit < fake.total:
                    links["next"] = (
                        f"/rest/api/content?spaceKey=ENG&cursor={start + limit}&limit={limit}"
                        f"&expand={q.get('expand', '')}"
                    )
                return self._send(
                    200,
                    {"results": chunk, "start": start, "limit": limit, "size": len(chunk),
                     "_links": links},
                )  # fmt: skip
            if path == "/rest/api/content/search":
                return self._send(
                    200,
                    {"results": [_content(1)], "start": 0, "limit": 25, "size": 1, "_links": {}},
                )
            if path.startswith("/rest/api/content/") and path.endswith("/label"):
                return self._send(200, {"results": []})
            return self._send(404, {"message": "no such thing"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return H


@pytest.fixture
def server() -> Iterator[tuple[Fake, str]]:
    fake = Fake()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    t = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    t.start()
    try:
        yield fake, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def cloud(url: str, fake: Fake, **extra: Any) -> ConfluenceConnector:
    from connectors.http import basic_auth

    fake.expect_auth = basic_auth("bot@acme.com", TOKEN)
    return ConfluenceConnector.from_config(
        "conf",
        {"url": url, "flavor": "cloud", "email": "bot@acme.com", "token": TOKEN,
         "spaces": ["ENG"], "limit": 2, **extra},
    )  # fmt: skip


def test_cursor_pagination_reads_every_page_with_metadata(server: tuple[Fake, str]) -> None:
    fake, url = server
    pages = list(cloud(url, fake).pages())
    assert [p.page_id for p in pages] == [str(1000 + i) for i in range(5)]
    p = pages[0]
    assert p.content_type == "html" and "make deploy0" in p.body
    assert p.labels == ("ops",) and p.authors == ("Ann",)
    assert p.last_modified == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assert p.prop("space") == "ENG" and p.prop("ancestors") == "Home / Ops"
    assert p.url == f"{url}/wiki/spaces/ENG/pages/1000/Page+0"
    listing = [r for r in fake.requests if r[1].startswith("/wiki/rest/api/content?")]
    assert any("cursor=2" in r[1] for r in listing) and any("cursor=4" in r[1] for r in listing)
    assert "expand=body.storage" in listing[0][1]


def test_offset_pagination_and_datacenter_bearer(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.mode, fake.prefix, fake.expect_auth = "offset", "", f"Bearer {TOKEN}"
    conn = ConfluenceConnector.from_config(
        "dc", {"url": url, "flavor": "datacenter", "token": TOKEN, "spaces": ["ENG"], "limit": 2}
    )
    assert len(list(conn.pages())) == 5
    starts = [parse_qs(urlsplit(r[1]).query).get("start") for r in fake.requests]
    assert ["0"] in starts and ["2"] in starts and ["4"] in starts


def test_429_retry_after_is_honoured(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.throttle_once = True
    conn = cloud(url, fake)
    assert len(list(conn.pages())) == 5
    assert fake.throttled_at is not None and fake.retried_at is not None
    assert fake.retried_at - fake.throttled_at >= 0.95  # waited the Retry-After second
    assert conn.http.waited >= 1.0


def test_401_is_a_clear_auth_error_without_the_token(server: tuple[Fake, str]) -> None:
    fake, url = server
    conn = cloud(url, fake)
    fake.expect_auth = "something else"
    with pytest.raises(AuthError) as e:
        list(conn.pages())
    msg = str(e.value)
    assert msg.startswith("source conf: 401 Unauthorized from http://127.0.0.1")
    assert "sources.conf.token" in msg and TOKEN not in msg and "\n" not in msg


def test_anonymous_user_is_an_auth_error(server: tuple[Fake, str]) -> None:
    fake, url = server
    fake.anonymous = True
    with pytest.raises(AuthError, match="anonymous"):
        list(cloud(url, fake).pages())


def test_incremental_crawl_uses_cql_last_modified(server: tuple[Fake, str]) -> None:
    fake, url = server
    pages = list(cloud(url, fake).pages(since=datetime(2025, 3, 2, 10, 30, tzinfo=UTC)))
    assert [p.page_id for p in pages] == ["1001"]
    search = [r[1] for r in fake.requests if "/content/search" in r[1]]
    cql = parse_qs(urlsplit(search[0]).query)["cql"][0]
    assert cql == 'space = "ENG" and type = page and lastModified >= "2025-03-02 10:28"'


def test_labels_are_added_and_removed(server: tuple[Fake, str]) -> None:
    fake, url = server
    conn = cloud(url, fake, tagging={"enabled": True, "label": "outdated"})
    page = Page("conf", "1003", "u", "Page 3", "", "html")
    conn.tag(page, Verdict("conf", "1003", Status.STALE, 0.9, reasons=("x",)))
    conn.untag(page)
    writes = [(m, p, b) for m, p, b in fake.requests if m in ("POST", "DELETE")]
    assert writes[0][0] == "POST" and writes[0][1] == "/wiki/rest/api/content/1003/label"
    assert json.loads(writes[0][2]) == [{"prefix": "global", "name": "outdated"}]
    assert (
        writes[1][0] == "DELETE"
        and writes[1][1] == "/wiki/rest/api/content/1003/label?name=outdated"
    )


def test_config_errors_name_the_key() -> None:
    base = {"url": "https://acme.atlassian.net", "token": "t", "spaces": ["ENG"]}
    with pytest.raises(ConfluenceError, match=r"^sources.c.email: required for cloud"):
        ConfluenceConnector.from_config("c", base)
    with pytest.raises(ConfluenceError, match=r"^sources.c.flavor: "):
        ConfluenceConnector.from_config("c", {**base, "flavor": "server"})
    with pytest.raises(ConnectorError, match=r"^sources.c.tagging.colour: unknown key"):
        ConfluenceConnector.from_config(
            "c", {**base, "email": "a@b.c", "tagging": {"colour": "red"}}
        )
    c = ConfluenceConnector.from_config("c", {**base, "email": "a@b.c"})
    assert c.api == "https://acme.atlassian.net/wiki/rest/api"
    assert "token" not in c.describe() and TOKEN not in repr(c)


def test_redact_hides_userinfo_and_secret_query_values() -> None:
    assert (
        redact("https://u:pw@h.example.com/a?token=abc&x=1")
        == "https://h.example.com/a?token=***&x=1"
    )
    assert "pw" not in repr(HttpClient("s", headers={"Authorization": "Bearer pw"}))
