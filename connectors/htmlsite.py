"""A plain HTML documentation site, crawled over HTTP.

* start from `url` (following links) and/or a `sitemap` (sitemap.xml, sitemap
  indexes too); only URLs under one of the `prefixes` are read (default: the
  folder of `url`, or of the sitemap);
* robots.txt is honoured (`urllib.robotparser`, for the `stale` user agent);
* re-scans use conditional requests: the ETag / Last-Modified of each URL and
  the page it gave are kept in a JSON cache file (option `cache`, default
  `.stale/htmlsite-<source>.json` beside the default store); a `304 Not Modified`
  re-uses the cached page;
* main content: `<main>`, `[role=main]`, `<article>`, `#content`, else `<body>`,
  with `nav`, `header`, `footer`, `aside`, `script` and `style` dropped;
* page id = URL path (plus `?query` when there is one); content_type "html".
"""

from __future__ import annotations

import json
import os
import urllib.robotparser
import warnings
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from connectors.base import ConnectorError, PageNotFound
from connectors.http import BodyTooLarge, HttpClient, HttpError, NotFoundError, redact
from stale.model import Page, content_hash

MAX_PAGE_BYTES = 2_000_000  # the default of [limits] max_page_bytes
HTML_FACTOR = 4  # an HTML answer may be this many times max_page_bytes (markup, navigation)

DROP = ("nav", "header", "footer", "aside", "script", "style", "noscript", "template")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class HtmlSiteError(ConnectorError):
    pass


def main_content(html: str) -> tuple[str, str]:
    """(title, main-content HTML) of a page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = ""
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    for tag in soup.find_all(DROP):
        tag.decompose()
    main = (
        soup.find("main")
        or soup.find(role="main")
        or soup.find("article")
        or soup.find(id="content")
        or soup.body
        or soup
    )
    if not title:
        h1 = main.find("h1") if hasattr(main, "find") else None
        title = h1.get_text(" ", strip=True) if h1 else ""
    return title, str(main)


class HtmlSiteConnector:
    type_name = "htmlsite"
    options_help: Mapping[str, str] = {
        "url": "start URL; links are followed from here",
        "sitemap": "a sitemap.xml URL listing the pages (url or sitemap is required)",
        "prefixes": "URL prefixes that may be crawled (default: the start URL's folder)",
        "max_pages": "stop after this many pages (default 1000)",
        "cache": "JSON file for ETag/Last-Modified (default .stale/htmlsite-<source>.json)",
        "timeout": "seconds per request (default 30)",
        "concurrency": "requests in flight at once (default 4)",
    }

    def __init__(
        self,
        name: str,
        *,
        url: str | None,
        sitemap: str | None,
        prefixes: tuple[str, ...],
        max_pages: int = 1000,
        cache: Path | None = None,
        timeout: float = 30.0,
        concurrency: int = 4,
    ) -> None:
        self.name = name
        self.start = url
        self.sitemap = sitemap
        self.prefixes = prefixes
        self.max_pages = max_pages
        self.cache_path = cache or Path(".stale") / f"htmlsite-{name}.json"
        self.http = HttpClient(name, timeout=timeout, concurrency=concurrency)
        self.max_page_bytes = MAX_PAGE_BYTES
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self.not_modified = 0  # 304s in the last crawl (for tests and summaries)

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> HtmlSiteConnector:
        def bad(key: str, msg: str) -> HtmlSiteError:
            return HtmlSiteError(f"sources.{name}.{key}: {msg}")

        unknown = sorted(set(options) - set(cls.options_help))
        if unknown:
            allowed = ", ".join(sorted(cls.options_help))
            raise bad(unknown[0], f"unknown option for an htmlsite source; allowed: {allowed}")
        url, sitemap = options.get("url"), options.get("sitemap")
        for key, v in (("url", url), ("sitemap", sitemap)):
            if v is not None and (
                not isinstance(v, str) or not v.startswith(("http://", "https://"))
            ):
                raise bad(key, "expected an http(s) URL")
        if not url and not sitemap:
            raise bad("url", "required (or give sitemap); the site's start page")
        first = str(url or sitemap)
        default_prefix = first.rsplit("/", 1)[0] + "/"
        prefixes = options.get("prefixes", [default_prefix])
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            raise bad("prefixes", "expected a list of URL prefixes")
        ints: dict[str, int] = {}
        for key, default in (("max_pages", 1000), ("timeout", 30), ("concurrency", 4)):
            v = options.get(key, default)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise bad(key, f"expected an integer >= 1, got {v!r}")
            ints[key] = v
        cache = options.get("cache")
        if cache is not None and not isinstance(cache, str):
            raise bad("cache", "expected a file path")
        return cls(
            name,
            url=url,
            sitemap=sitemap,
            prefixes=tuple(prefixes),
            max_pages=ints["max_pages"],
            cache=Path(cache) if cache else None,
            timeout=float(ints["timeout"]),
            concurrency=ints["concurrency"],
        )

    @property
    def location(self) -> str:
        return str(self.start or self.sitemap)

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"prefixes": list(self.prefixes)}
        if self.start:
            d["url"] = self.start
        if self.sitemap:
            d["sitemap"] = self.sitemap
        return d

    # -- helpers --------------------------------------------------------------------------

    def _allowed(self, url: str) -> bool:
        if not any(url.startswith(p) for p in self.prefixes):
            return False
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        rp = self._robots.get(root)
        if rp is None:
            rp = urllib.robotparser.RobotFileParser(root + "/robots.txt")
            try:
                resp = self.http.get(root + "/robots.txt", ok=(200,))
                rp.parse(resp.text().splitlines())
            except NotFoundError:
                rp.parse([])
            except HttpError as e:
                if e.status in (401, 403):
                    rp.parse(["User-agent: *", "Disallow: /"])
                else:
                    rp.parse([])
            self._robots[root] = rp
        return rp.can_fetch("stale", url)

    def _load_cache(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_cache(self, cache: Mapping[str, Any]) -> None:
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_name(self.cache_path.name + ".tmp")
            tmp.write_text(json.dumps(cache), encoding="utf-8")
            os.replace(tmp, self.cache_path)
        except OSError as e:
            raise HtmlSiteError(
                f"source {self.name}: cannot write the cache {self.cache_path} ({e.strerror}); "
                f"set sources.{self.name}.cache"
            ) from None

    def page_id(self, url: str) -> str:
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _sitemap_urls(self, url: str, depth: int = 0) -> list[str]:
        from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

        text = self.http.get(url, ok=(200,)).text()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(text, "html.parser")  # tolerant of namespaces, no DTDs
        out: list[str] = []
        for sm in soup.find_all("sitemap"):
            loc = sm.find("loc")
            if loc and depth < 3:
                out += self._sitemap_urls(loc.get_text(strip=True), depth + 1)
        for u in soup.find_all("url"):
            loc = u.find("loc")
            if loc:
                out.append(loc.get_text(strip=True))
        return out

    @property
    def max_page_bytes(self) -> int:
        """`[limits] max_page_bytes` (set by the scan). An HTML answer longer than
        HTML_FACTOR times it is not read further: the page comes back with its
        body cut there (not parsed), and the scan reports it `unknown`."""
        return self._max_page_bytes

    @max_page_bytes.setter
    def max_page_bytes(self, value: int) -> None:
        self._max_page_bytes = value
        self.http.max_body_bytes = HTML_FACTOR * value

    def _too_large(self, url: str, head: bytes) -> Page:
        body = head.decode("utf-8", "replace")
        pid = self.page_id(url)
        cap = HTML_FACTOR * self.max_page_bytes
        note = f"over {cap} bytes of HTML, over [limits] max_page_bytes ({self.max_page_bytes})"
        return Page(
            source=self.name,
            page_id=pid,
            url=url,
            title=pid,
            body=body,
            content_type="html",
            properties=(("bytes", str(len(head))), ("too_large", note)),
            content_hash=content_hash(body, pid),
        )

    def _fetch(self, url: str, cache: dict[str, dict[str, Any]]) -> tuple[Page | None, list[str]]:
        """(page or None, links on it) for one URL, conditionally when cached."""
        from bs4 import BeautifulSoup

        entry = cache.get(url)
        headers: dict[str, str] = {}
        if entry:
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        try:
            resp = self.http.get(url, headers=headers, ok=(200, 304))
        except BodyTooLarge as e:
            cache.pop(url, None)
            return self._too_large(url, e.head), []
        if resp.status == 304 and entry:
            self.not_modified += 1
            return self._page(url, entry), list(entry.get("links", []))
        ctype = (resp.header("Content-Type") or "text/html").split(";")[0].strip().lower()
        if ctype not in HTML_TYPES:
            return None, []
        raw = resp.text()
        links: list[str] = []
        for a in BeautifulSoup(raw, "html.parser").find_all("a", href=True):
            link = urldefrag(urljoin(resp.url, str(a["href"])))[0]
            if link.startswith(("http://", "https://")):
                links.append(link)
        title, body = main_content(raw)
        entry = {
            "etag": resp.header("ETag"),
            "last_modified": resp.header("Last-Modified"),
            "title": title,
            "body": body,
            "links": sorted(set(links)),
        }
        cache[url] = entry
        return self._page(url, entry), links

    def _page(self, url: str, entry: Mapping[str, Any]) -> Page:
        when: datetime | None = None
        if entry.get("last_modified"):
            try:
                when = parsedate_to_datetime(entry["last_modified"])
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
            except (TypeError, ValueError):
                when = None
        pid = self.page_id(url)
        body = str(entry.get("body", ""))
        title = str(entry.get("title") or pid)
        return Page(
            source=self.name,
            page_id=pid,
            url=url,
            title=title,
            body=body,
            content_type="html",
            last_modified=when,
            content_hash=content_hash(body, title),
        )

    # -- the Connector protocol ----------------------------------------------------------

    def check(self) -> str:
        first = str(self.start or self.sitemap)
        self.http.get(first, ok=(200,))
        return f"HTML site at {redact(first)}"

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        old = self._load_cache()
        cache: dict[str, dict[str, Any]] = {}
        self.not_modified = 0
        queue: deque[str] = deque()
        seen: set[str] = set()
        if self.sitemap:
            queue.extend(self._sitemap_urls(self.sitemap))
        if self.start:
            queue.append(self.start)
        follow = self.start is not None
        count = 0
        try:
            while queue and count < self.max_pages:
                url = urldefrag(queue.popleft())[0]
                if url in seen:
                    continue
                seen.add(url)
                if not self._allowed(url):
                    continue
                if url in old:
                    cache[url] = old[url]
                try:
                    page, links = self._fetch(url, cache)
                except NotFoundError:
                    cache.pop(url, None)
                    continue
                if follow:
                    queue.extend(u for u in links if u not in seen)
                if page is not None:
                    count += 1
                    yield page
        finally:
            self._save_cache(cache)

    def page(self, ref: str) -> Page:
        url = ref if ref.startswith(("http://", "https://")) else None
        if url is None:
            base = str(self.start or self.sitemap)
            parts = urlsplit(base)
            url = f"{parts.scheme}://{parts.netloc}{ref}"
        try:
            page, _ = self._fetch(url, {})
        except NotFoundError:
            page = None
        if page is None:
            raise PageNotFound(f"source {self.name}: no HTML page at {redact(url)}")
        return page

    def owns(self, ref: str) -> str | None:
        if ref.startswith(("http://", "https://")) and any(
            ref.startswith(p) for p in self.prefixes
        ):
            return self.page_id(ref)
        return None
