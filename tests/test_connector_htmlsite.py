"""The HTML site connector against a local HTTP server: links, sitemap, robots.txt,
main-content extraction, conditional re-crawls (304)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorError
from connectors.htmlsite import HtmlSiteConnector

PAGES = {
    "/docs/": (
        "<html><head><title>Docs home</title></head><body><nav><a href='/docs/nav-only'>x</a>"
        "</nav><main><h1>Home</h1><p>See <a href='deploy.html'>deploy</a> and "
        "<a href='/docs/private/secret.html'>secret</a> and <a href='/other/'>out</a>.</p>"
        "</main><footer>Footer text</footer></body></html>"
    ),
    "/docs/deploy.html": (
        "<html><head><title>Deploy</title></head><body><header>Site header</header>"
        "<article><p>Run <code>./scripts/deploy.sh --zone eu</code>.</p></article></body></html>"
    ),
    "/docs/private/secret.html": "<html><body><p>secret</p></body></html>",
    "/docs/nav-only": "<html><body><main><p>nav page</p></main></body></html>",
    "/other/": "<html><body><p>outside</p></body></html>",
}
ETAG = '"v1"'


class Site:
    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []


def handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def _reply(self, status: int, body: str = "", ctype: str = "text/html") -> None:
            data = body.encode()
            site.log.append((self.path, status))
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", ETAG)
            self.send_header("Last-Modified", "Sun, 02 Mar 2025 10:00:00 GMT")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                return self._reply(200, "User-agent: *\nDisallow: /docs/private/\n", "text/plain")
            if self.path == "/docs/sitemap.xml":
                host = self.headers["Host"]
                return self._reply(
                    200,
                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9"><url><loc>http://{host}/docs/deploy.html</loc></url></urlset>',
                    "application/xml",
                )
            if self.path not in PAGES:
                return self._reply(404, "no")
            if self.headers.get("If-None-Match") == ETAG:
                return self._reply(304)
            return self._reply(200, PAGES[self.path])

    return H


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    s = Site()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler(s))
    threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield s, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_crawl_follows_links_within_prefix_and_respects_robots(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    log, url = site
    conn = HtmlSiteConnector.from_config(
        "docs", {"url": f"{url}/docs/", "cache": str(tmp_path / "c.json")}
    )
    pages = {p.page_id: p for p in conn.pages()}
    assert set(pages) == {"/docs/", "/docs/deploy.html", "/docs/nav-only"}
    assert not any(path.startswith(("/docs/private", "/other")) for path, _ in log.log)
    home = pages["/docs/"]
    assert home.title == "Docs home" and home.content_type == "html"
    assert "Footer text" not in home.body and "<main>" in home.body
    deploy = pages["/docs/deploy.html"]
    assert "Site header" not in deploy.body and "--zone" in deploy.body
    assert deploy.last_modified is not None and deploy.last_modified.year == 2025


def test_second_crawl_is_conditional_and_gets_304(site: tuple[Site, str], tmp_path: Path) -> None:
    log, url = site
    opts = {"url": f"{url}/docs/", "cache": str(tmp_path / "c.json")}
    first = {p.page_id: p.content_hash for p in HtmlSiteConnector.from_config("d", opts).pages()}
    log.log.clear()
    conn = HtmlSiteConnector.from_config("d", opts)
    second = {p.page_id: p.content_hash for p in conn.pages()}
    assert second == first
    assert conn.not_modified == 3
    assert [s for p, s in log.log if p != "/robots.txt"] == [304, 304, 304]


def test_sitemap_lists_pages(site: tuple[Site, str], tmp_path: Path) -> None:
    _, url = site
    conn = HtmlSiteConnector.from_config(
        "d", {"sitemap": f"{url}/docs/sitemap.xml", "cache": str(tmp_path / "c.json")}
    )
    assert [p.page_id for p in conn.pages()] == ["/docs/deploy.html"]
    assert conn.owns(f"{url}/docs/deploy.html") == "/docs/deploy.html"
    assert conn.page("/docs/deploy.html").title == "Deploy"


def test_config_errors_name_the_key() -> None:
    with pytest.raises(ConnectorError, match=r"^sources.d.url: required"):
        HtmlSiteConnector.from_config("d", {})
    with pytest.raises(ConnectorError, match=r"^sources.d.depth: unknown option"):
        HtmlSiteConnector.from_config("d", {"url": "https://x/", "depth": 3})


def test_unreachable_site_is_one_line_naming_the_source(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn = HtmlSiteConnector.from_config(
        "d", {"url": f"http://127.0.0.1:{port}/", "cache": str(tmp_path / "c.json")}
    )
    conn.http.retries = 0
    with pytest.raises(ConnectorError, match=r"^source d: cannot reach http://127.0.0.1"):
        conn.check()
